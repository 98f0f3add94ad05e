/*
 * What-if classification in the embedded engine: the filter engine's arbitration run on a set of
 * field values at one layer, with the deciding filter and a per-sublayer trace; net events; and
 * the entry points that rebuild a snapshot of another engine (a Windows machine's) keeping its
 * filter ids and effective weights.
 *
 * Semantics are those of reference §1.5 (arbitration) and §5.2-§5.4 (matching).  Choices the
 * documentation leaves open are marked [I] where they are made (src/sim/classify*.c).
 *
 * Every function takes a session handle of the embedded engine (wfp_sim_backend()->engine_open
 * or wfp_sim_session_open) and runs under the same discipline as a get: it waits for another
 * session's write transaction, and inside the caller's own transaction it sees the caller's
 * uncommitted changes.  A classify never changes filters, sublayers or providers; the only state
 * it touches is the net-event log (when asked to record) and internal index caches.
 */
#ifndef WFP_CLASSIFY_H
#define WFP_CLASSIFY_H

#include "core.h"
#include "sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* FWPS_RIGHT_ACTION_WRITE: the current decision may still be overridden. */
#define WFP_RIGHT_ACTION_WRITE 0x00000001u

/* ---- inputs ---------------------------------------------------------------------------------- */

/*
 * One field value.  field is the field's position in its layer's field table
 * (wfp_layer_info.fields, include/wfp/ids.h).  value has the field's run-time type
 * (wfp_field_info.data_type) or WFP_EMPTY (unknown; an absent field is WFP_EMPTY too).  Token
 * fields (ALE_USER_ID, ...) also accept WFP_TOKEN_INFORMATION_TYPE, a list of SIDs: that is what
 * lets a security-descriptor condition be decided (DACL evaluated for FWP_ACTRL_MATCH_FILTER).
 */
typedef struct wfp_classify_value {
    uint32_t field;
    wfp_value0 value;
} wfp_classify_value;

/* ---- callout models -------------------------------------------------------------------------- */

typedef struct wfp_callout_call {
    const wfp_guid *callout_key;
    const wfp_guid *layer_key;
    uint64_t filter_id;
    uint32_t action_type;  /* the filter's WFP_ACTION_CALLOUT_TERMINATING/INSPECTION/UNKNOWN */
    uint32_t filter_flags; /* WFP_FILTER_FLAG_* (CLEAR_ACTION_RIGHT tells it to clear the right) */
    uint32_t rights;       /* WFP_RIGHT_ACTION_WRITE when it may write an action */
    const wfp_classify_value *values;
    uint32_t num_values;
    size_t row;            /* row of a batch (0 for a single classify) */
} wfp_callout_call;

/* A model's rights answer meaning "as the WDK sample does": clear the write right on Block,
   and on Permit only when the filter has CLEAR_ACTION_RIGHT [D: DEEP]. */
#define WFP_CALLOUT_RIGHTS_DEFAULT 0xFFFFFFFFu

typedef struct wfp_callout_verdict {
    uint32_t registered; /* 0: no model for this callout key, the unregistered rules apply */
    uint32_t action;     /* WFP_ACTION_PERMIT, WFP_ACTION_BLOCK or WFP_ACTION_CONTINUE */
    uint32_t rights;     /* rights left for lower sublayers, or WFP_CALLOUT_RIGHTS_DEFAULT */
} wfp_callout_verdict;

/*
 * Called for every matching callout filter that arbitration reaches.  The verdict arrives zeroed
 * with rights = WFP_CALLOUT_RIGHTS_DEFAULT.  Return WFP_OK, or any other status to abort the
 * classify with it.  The engine lock is not held during the call (a model may read the engine);
 * if the engine's filters change meanwhile, the classify starts over, asking again.
 */
typedef uint32_t (*wfp_callout_fn)(void *context, const wfp_callout_call *call,
                                   wfp_callout_verdict *verdict);

/* ---- results --------------------------------------------------------------------------------- */

/* What one matching filter did (wfp_classify_step.outcome). */
enum {
    WFP_STEP_PERMIT = 1,          /* terminated its sublayer with Permit */
    WFP_STEP_BLOCK = 2,           /* terminated its sublayer with Block */
    WFP_STEP_CONTINUE = 3,        /* a callout answered Continue */
    WFP_STEP_SKIPPED = 4,         /* an inspection callout with no model: never terminates [I] */
    WFP_STEP_IGNORED = 5,         /* a callout answered Permit without the write right [I] */
    WFP_STEP_NOT_EVALUATED = 6    /* matched, but a heavier filter of its sublayer had terminated */
};

/* wfp_classify_step.flags */
#define WFP_STEP_FLAG_CALLOUT 0x1u      /* a callout filter */
#define WFP_STEP_FLAG_UNREGISTERED 0x2u /* its callout has no model: treated per §1.3 */
#define WFP_STEP_FLAG_HARD 0x4u         /* the action it produced clears the write right */
#define WFP_STEP_FLAG_TIE 0x8u          /* same effective weight as the filter before it: the
                                           order between them is this engine's tie-break [I] */

typedef struct wfp_classify_step {
    wfp_guid filter_key;
    uint64_t filter_id;
    uint64_t effective_weight;
    uint32_t outcome; /* WFP_STEP_* */
    uint32_t flags;   /* WFP_STEP_FLAG_* */
} wfp_classify_step;

/* What one sublayer's result did to the decision (wfp_classify_sublayer.effect). */
enum {
    WFP_SUBLAYER_ABSTAINED = 0, /* nothing terminated */
    WFP_SUBLAYER_DECIDED = 1,   /* its result became the current decision */
    WFP_SUBLAYER_OVERRULED = 2, /* a hard decision of a heavier sublayer stood */
    WFP_SUBLAYER_VETOED = 3     /* a callout blocked a hard permit */
};

typedef struct wfp_classify_sublayer {
    wfp_guid sublayer_key;
    uint64_t filter_id;  /* the filter that terminated it, 0 if none */
    uint32_t action;     /* WFP_ACTION_PERMIT, WFP_ACTION_BLOCK, or WFP_ACTION_NONE */
    uint32_t effect;     /* WFP_SUBLAYER_* */
    uint32_t first_step; /* its steps: steps[first_step .. first_step + num_steps) */
    uint32_t num_steps;
    uint16_t weight;
    uint8_t hard;
    uint8_t reserved;
} wfp_classify_sublayer;

typedef struct wfp_classify_result {
    uint32_t action;      /* WFP_ACTION_PERMIT or WFP_ACTION_BLOCK (no decision = permit) */
    uint32_t decided;     /* 0 when no filter decided */
    uint64_t filter_id;   /* the deciding filter, 0 if none */
    wfp_guid filter_key;
    wfp_guid sublayer_key;
    uint8_t hard;         /* the decision is final for lower sublayers */
    uint8_t vetoed;       /* a callout vetoed a hard permit */
    uint8_t trace_truncated; /* the trace buffers filled up and no arena was given */
    uint8_t reserved;
    uint32_t bad_value;   /* on an input error: index of the offending value */
    /* The trace (WFP_CLASSIFY_TRACE): in the caller's buffers or in the arena. */
    wfp_classify_sublayer *sublayers;
    uint32_t num_sublayers;
    wfp_classify_step *steps;
    uint32_t num_steps;
} wfp_classify_result;

/* wfp_classify_options.flags */
#define WFP_CLASSIFY_TRACE 0x1u          /* fill the per-sublayer trace */
#define WFP_CLASSIFY_RECORD_DROPS 0x2u   /* record a net event for a Block */
#define WFP_CLASSIFY_RECORD_ALLOWS 0x4u  /* record a net event for a Permit by a filter */
#define WFP_CLASSIFY_BOOT_TIME 0x8u      /* only BOOTTIME filters, as before BFE starts [I] */

typedef struct wfp_classify_options {
    uint32_t flags;
    wfp_callout_fn callout;            /* NULL: every callout is unregistered */
    void *callout_context;
    /* Trace storage: these buffers first, then (when given) blocks from the arena, which the
       caller frees.  Without either, a trace is marked truncated.  For a batch, the caller's
       buffers serve the first row only; later rows use the arena. */
    wfp_arena *arena;
    wfp_classify_sublayer *sublayers;
    uint32_t sublayer_capacity;
    wfp_classify_step *steps;
    uint32_t step_capacity;
} wfp_classify_options;

/*
 * Classify values at a layer.  WFP_OK and *result, or: WFP_E_LAYER_NOT_FOUND (unknown layer),
 * WFP_E_CONDITION_NOT_FOUND (a field index the layer lacks), WFP_E_TYPE_MISMATCH (a value of
 * the wrong type), WFP_E_DUPLICATE_CONDITION (a field given twice), WFP_E_NULL_POINTER;
 * result->bad_value names the value for the last three.  A callout's error status is returned
 * as is.
 */
uint32_t wfp_sim_classify(wfp_handle session, const wfp_guid *layer_key,
                          const wfp_classify_value *values, uint32_t num_values,
                          const wfp_classify_options *options, wfp_classify_result *result);

/*
 * Classify n rows at one layer under one engine lock: row i's values are
 * values[row_start[i] .. row_start[i + 1]).  Stops at the first row that fails (its index in
 * *failed_row, else n).
 */
uint32_t wfp_sim_classify_many(wfp_handle session, const wfp_guid *layer_key,
                               const wfp_classify_value *values, const uint32_t *row_start,
                               size_t n, const wfp_classify_options *options,
                               wfp_classify_result *results, size_t *failed_row);

/* ---- net events ------------------------------------------------------------------------------ */

/*
 * Net events are kept in a ring of the newest `capacity` events (default 16384) and enumerated
 * through the backend table's net_event_* entries (FWPM_NET_EVENT0: type CLASSIFY_DROP, or
 * CLASSIFY_ALLOW whose payload begins like FWPM_NET_EVENT_CLASSIFY_ALLOW0: filterId, layerId).
 * The header carries what the classify values had of: IP protocol, local and remote address
 * and port, app id and user (the first SID of a token value).  Time stamps are FILETIMEs.
 * Enumeration templates select by time window and by EQUAL/RANGE/address-mask conditions on
 * IP_PROTOCOL, IP_LOCAL/REMOTE_ADDRESS (V4 and V6), IP_LOCAL/REMOTE_PORT and ALE_APP_ID.
 */
uint32_t wfp_sim_events_set_capacity(wfp_sim_engine *engine, size_t capacity);
void wfp_sim_events_clear(wfp_sim_engine *engine);

/* ---- rebuilding another engine's state (snapshots) --------------------------------------------- */

/*
 * Add a filter keeping a given filter id and effective weight (and its weight as given, its
 * DISABLED flag and any callout key: a snapshot of a Windows machine names callouts that only its
 * drivers registered).  Through a session like FwpmFilterAdd0, with the same validation
 * otherwise; the id must be free (FWP_E_ALREADY_EXISTS) and later ids are allocated above it.
 */
uint32_t wfp_sim_load_filter(wfp_handle session, const wfp_filter0 *filter, uint64_t filter_id,
                             uint64_t effective_weight);

/*
 * Give a built-in sublayer the weight it has on the machine a snapshot came from (this engine's
 * built-in weights are its own choice, reference §2.1).  WFP_E_SUBLAYER_NOT_FOUND for an unknown
 * key; WFP_E_INVALID_PARAMETER for a sublayer that is not built in (its weight is given when it
 * is added).  Needs a write transaction like an add.
 */
uint32_t wfp_sim_load_builtin_sublayer_weight(wfp_handle session, const wfp_guid *sublayer_key,
                                              uint16_t weight);

#ifdef __cplusplus
}
#endif

#endif /* WFP_CLASSIFY_H */
