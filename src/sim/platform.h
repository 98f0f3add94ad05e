/*
 * The only OS-specific surface of the embedded engine: locks, clocks, entropy and files.
 * POSIX (pthreads, flock) and Windows (SRWLOCK, CONDITION_VARIABLE, LockFileEx) live in
 * platform.c; every other engine file is portable C11.
 */
#ifndef WFP_SIM_PLATFORM_H
#define WFP_SIM_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

typedef struct sim_mutex sim_mutex;
typedef struct sim_cond sim_cond;
typedef struct sim_file_lock sim_file_lock;

/* NULL when out of memory. */
sim_mutex *sim_mutex_create(void);
void sim_mutex_destroy(sim_mutex *m);
void sim_mutex_lock(sim_mutex *m);
void sim_mutex_unlock(sim_mutex *m);

sim_cond *sim_cond_create(void);
void sim_cond_destroy(sim_cond *c);
void sim_cond_broadcast(sim_cond *c);
/* Waits until woken or until the monotonic clock reaches deadline_ms (UINT64_MAX = forever).
   Returns 0 when woken (possibly spuriously), 1 when the deadline has passed. */
int sim_cond_wait_until(sim_cond *c, sim_mutex *m, uint64_t deadline_ms);

/* One process-wide lock, usable before anything is initialised (guards the session registry and
   the default engine). */
void sim_global_lock(void);
void sim_global_unlock(void);

uint64_t sim_monotonic_ms(void);
void sim_sleep_ms(uint32_t ms);
/* Zeroed memory for a large index array (the hash tables' slots); NULL when out of memory.
   Released with sim_free_large, given the same size.  On Linux an array of 1 MiB or more is a
   mapping of its own, aligned to and marked for transparent huge pages: a million filters make
   tables of tens of MiB probed at random, where 4 KiB pages miss the TLB on nearly every probe
   (and a prefetch that misses the TLB stalls).  Elsewhere it is calloc and free. */
void *sim_zalloc_large(size_t bytes);
void sim_free_large(void *p, size_t bytes);

/* Best-effort entropy for GUID generation: never fails, falls back to clock and address mixing. */
void sim_entropy(void *buf, size_t len);

/* Whole-file read.  WFP_OK, WFP_ERROR_FILE_NOT_FOUND, or WFPKIT_E_STATE_IO.  *data is malloc'd. */
uint32_t sim_file_read(const char *path, uint8_t **data, size_t *len);
/* Reads at most len bytes from the start of the file into buf; *got receives the count. */
uint32_t sim_file_read_prefix(const char *path, void *buf, size_t len, size_t *got);
/* Hands the file's bytes to visit in order, a bounded chunk at a time, so that checking a file
   of any size needs no copy of it; stops early when visit returns nonzero.  WFP_OK,
   WFP_ERROR_FILE_NOT_FOUND or WFPKIT_E_STATE_IO. */
uint32_t sim_file_scan(const char *path, int (*visit)(void *arg, const uint8_t *data, size_t len),
                       void *arg);
/*
 * Crash-safe replace, in steps:
 *   1. write <path>.tmp.<pid> with mode 0600 and flush it to disk;
 *   2. (backup given and path present) make <backup>.tmp.<pid> the same file as path: a hard
 *      link, or a flushed copy where the file system has no links;
 *   3. rename that over backup and flush the directory;
 *   4. rename the new file over path and flush the directory.
 * Path always holds a whole file (its old content until step 4) and backup a whole file too
 * (its old content until step 3, then path's old content), so a crash at any point leaves both
 * readable.  WFP_OK or WFPKIT_E_STATE_IO.
 */
uint32_t sim_file_replace(const char *path, const void *data, size_t len, const char *backup);
/* For crash-safety tests: sim_file_replace stops right after the given step (1-4) as if the
   process had died there, returning WFPKIT_E_STATE_IO and cleaning nothing up; 0 (the default)
   runs every step.  Process-wide; tests set it while no other thread saves. */
void sim_file_replace_stop_after(unsigned step);

/* An advisory lock between processes on the file <path> (created 0600 if missing).  The lock
   file also carries a few bytes of shared data (read/write at offset 0 while locked). */
uint32_t sim_file_lock_open(const char *path, sim_file_lock **lock);
void sim_file_lock_close(sim_file_lock *lock);
/* 1 = acquired, 0 = held by someone else, -1 = error. */
int sim_file_lock_try(sim_file_lock *lock);
void sim_file_lock_release(sim_file_lock *lock);
size_t sim_file_lock_read(sim_file_lock *lock, void *buf, size_t len);
int sim_file_lock_write(sim_file_lock *lock, const void *buf, size_t len);

#endif /* WFP_SIM_PLATFORM_H */
