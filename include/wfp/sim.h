/*
 * The embedded engine: an in-process implementation of the WFP management API and of the filter
 * engine's arbitration.  wfp_sim_backend() (core.h) exposes it through the backend table; this
 * header adds what only the embedded engine has: several independent engines in one process,
 * an optional state file, and introspection for tests and benchmarks.
 */
#ifndef WFP_SIM_H
#define WFP_SIM_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wfp_sim_engine wfp_sim_engine;

/*
 * Create an engine.  state_path NULL keeps everything in memory.  With a path, static and
 * persistent objects are loaded from it now and saved to it at every commit that changes them
 * (dynamic objects never touch the file).  Each save first keeps the file it replaces, if that
 * file is intact, as <state_path>.bak, so the backup holds the state before the last save.
 * A corrupt, truncated or foreign file fails with WFPKIT_E_STATE_CORRUPT / WFPKIT_E_STATE_VERSION
 * and leaves the file and its backup alone; wfp_sim_state_inspect then tells whether the backup
 * is good, and wfp_sim_engine_recover restores it.
 */
uint32_t wfp_sim_engine_create(const char *state_path, wfp_sim_engine **engine);

/* What wfp_sim_state_inspect found in a state file and in its backup <state_path>.bak. */
typedef struct wfp_sim_state_info {
    uint32_t status;            /* WFP_OK (it loads), WFP_ERROR_FILE_NOT_FOUND, WFPKIT_E_STATE_CORRUPT,
                                   WFPKIT_E_STATE_VERSION or WFPKIT_E_STATE_IO */
    uint32_t backup_status;     /* the same, for the backup */
    uint64_t generation;        /* saves the file has seen (when status is WFP_OK, else 0) */
    uint64_t backup_generation; /* the same, for the backup */
} wfp_sim_state_info;

/*
 * Reads and checks a state file and its backup completely (header, checksums, every record)
 * without changing either: after wfp_sim_engine_create fails with WFPKIT_E_STATE_CORRUPT, this
 * tells the caller whether a good backup exists to recover.  WFP_OK (the results are in *info),
 * WFP_E_NULL_POINTER or WFP_ERROR_NOT_ENOUGH_MEMORY.
 */
uint32_t wfp_sim_state_inspect(const char *state_path, wfp_sim_state_info *info);

/*
 * Replace a corrupt, truncated or missing state file with a copy of its backup (written
 * crash-safely; the backup stays), under the lock between processes.  Returns WFP_OK when the
 * state file now loads, also when it loaded already (then nothing changes).  Otherwise nothing
 * changes and it returns: WFP_ERROR_FILE_NOT_FOUND (no backup), the backup's
 * WFPKIT_E_STATE_CORRUPT / WFPKIT_E_STATE_VERSION (it does not load either),
 * WFPKIT_E_STATE_VERSION (the state file is foreign or of a newer format: never replaced),
 * WFPKIT_E_STATE_LOCKED (another process held the lock for 15 s), WFPKIT_E_STATE_IO,
 * WFP_E_NULL_POINTER.  Create the engine afterwards as usual.
 */
uint32_t wfp_sim_engine_recover(const char *state_path);
/* Drop the creator's reference; the engine lives on while sessions are open on it. */
void wfp_sim_engine_release(wfp_sim_engine *engine);
/* Open a session on a given engine (the backend table's engine_open uses a process default). */
uint32_t wfp_sim_session_open(wfp_sim_engine *engine, const wfp_session0 *session,
                              wfp_handle *handle);
/* The process-wide engine behind wfp_sim_backend()->engine_open (created on first use). */
wfp_sim_engine *wfp_sim_default_engine(void);
/* The engine a session handle belongs to, or NULL if the handle is not a live sim session. */
wfp_sim_engine *wfp_sim_session_engine(wfp_handle handle);

/*
 * Simulate a BFE restart: close nothing, but drop every static object; persistent objects stay
 * and BOOTTIME filters are dropped.  Fails with FWP_E_TXN_IN_PROGRESS while a transaction is open.
 */
uint32_t wfp_sim_engine_restart(wfp_sim_engine *engine);

typedef struct wfp_sim_stats {
    size_t providers; /* including built-ins */
    size_t sublayers; /* including built-ins */
    size_t filters;
    size_t sessions;
    size_t heap_bytes; /* bytes the engine holds for its objects and indexes */
    uint64_t next_filter_id;
} wfp_sim_stats;

void wfp_sim_engine_stats(wfp_sim_engine *engine, wfp_sim_stats *stats);

/*
 * Fail the nth (1-based, counted from now) call of the given kind with code, once.  For testing
 * rollback paths on every backend that wraps this engine (the Wine runner reaches it through the
 * DLL export WfpSimInjectFailure).  kind: 0 = filter add.
 */
void wfp_sim_inject_failure(wfp_sim_engine *engine, uint32_t kind, uint32_t nth, uint32_t code);

#ifdef __cplusplus
}
#endif

#endif /* WFP_SIM_H */
