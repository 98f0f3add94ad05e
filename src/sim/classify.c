/*
 * What-if classification: the filter engine's arbitration (reference §1.5) over the filters the
 * equality index offers (classify_index.c), matched by classify_match.c.
 *
 * Within a sublayer, matching filters are taken in (effective weight desc, filter id asc) order
 * and the first Permit or Block ends the sublayer; callouts may Continue.  Across sublayers
 * (weight desc, then insertion order) the decision keeps the write right: a soft decision is
 * replaced by the next sublayer that decides, a hard one stands, and only a callout Block can
 * veto a hard Permit.  Every sublayer is walked even after a hard decision, so the trace shows
 * each one's result.  Nothing deciding means Permit.
 *
 * Choices the documentation leaves open [I]: an unregistered inspection callout is skipped; an
 * unregistered terminating/unknown callout is a static Block (hard), or with
 * PERMIT_IF_CALLOUT_UNREGISTERED a static Permit (hard only with CLEAR_ACTION_RIGHT); a callout
 * that answers Permit without the write right is ignored; an unknown-type callout's answer
 * other than Permit/Block/Continue is Continue; BOOTTIME filters take part only in boot mode,
 * and then alone.
 */
#include <stdlib.h>
#include <string.h>

#include "classify_internal.h"

/* A callout model that changes the engine on every call could restart a classify forever. */
#define MAX_RESTARTS 64

#define FILTER_KIND_CALLOUT(type) (((type) & WFP_ACTION_FLAG_CALLOUT) != 0)

/* ============================================================================================
 * Trace storage
 * ============================================================================================ */

typedef struct trace_store {
    wfp_arena *arena;
    wfp_classify_sublayer *sublayers;
    uint32_t sublayer_cap;
    wfp_classify_step *steps;
    uint32_t step_cap;
    int enabled;
} trace_store;

static void *grow_array(trace_store *t, void *old, uint32_t count, uint32_t *cap, size_t item)
{
    if (t->arena == NULL)
        return NULL;
    uint32_t new_cap = *cap ? *cap * 2 : 8;
    void *p = wfp_arena_alloc(t->arena, (size_t)new_cap * item);
    if (p == NULL)
        return NULL;
    if (count > 0)
        memcpy(p, old, (size_t)count * item);
    *cap = new_cap;
    return p;
}

static wfp_classify_sublayer *trace_sublayer(trace_store *t, wfp_classify_result *r)
{
    if (!t->enabled)
        return NULL;
    if (r->num_sublayers == t->sublayer_cap) {
        wfp_classify_sublayer *p = grow_array(t, t->sublayers, r->num_sublayers, &t->sublayer_cap, sizeof *p);
        if (p == NULL) {
            r->trace_truncated = 1;
            return NULL;
        }
        t->sublayers = p;
    }
    r->sublayers = t->sublayers;
    wfp_classify_sublayer *s = &t->sublayers[r->num_sublayers++];
    memset(s, 0, sizeof *s);
    s->action = WFP_ACTION_NONE;
    s->first_step = r->num_steps;
    return s;
}

static void trace_step(trace_store *t, wfp_classify_result *r, wfp_classify_sublayer *s, const sim_filter *f,
                       uint32_t outcome, uint32_t flags)
{
    if (s == NULL)
        return;
    if (r->num_steps == t->step_cap) {
        wfp_classify_step *p = grow_array(t, t->steps, r->num_steps, &t->step_cap, sizeof *p);
        if (p == NULL) {
            r->trace_truncated = 1;
            return;
        }
        t->steps = p;
    }
    r->steps = t->steps;
    wfp_classify_step *step = &t->steps[r->num_steps++];
    step->filter_key = f->key;
    step->filter_id = f->id;
    step->effective_weight = f->effective_weight;
    step->outcome = outcome;
    step->flags = flags;
    s->num_steps++;
}

/* ============================================================================================
 * Arbitration
 * ============================================================================================ */

typedef struct classify_run {
    sim_engine *engine;
    const wfp_layer_info *layer;
    size_t layer_index;
    const wfp_classify_options *options;
    const wfp_classify_value *values;
    uint32_t num_values;
    size_t row;
    const sim_input *inputs;
    trace_store *trace;
    wfp_classify_result *result;
    sim_candidates candidates;
    uint64_t generation;
    int restart; /* the engine's filters changed while a callout model ran */
} classify_run;

typedef struct sublayer_result {
    uint32_t action; /* WFP_ACTION_NONE when nothing terminated */
    int hard;
    int from_callout;
    const sim_filter *filter;
} sublayer_result;

static int filter_enabled(const sim_filter *f, int boot_mode)
{
    if (f->flags & WFP_FILTER_FLAG_DISABLED)
        return 0;
    if (f->provider != NULL && (f->provider->flags & WFP_PROVIDER_FLAG_DISABLED))
        return 0;
    return ((f->flags & WFP_FILTER_FLAG_BOOTTIME) != 0) == (boot_mode != 0);
}

/* Asks the model with the engine unlocked (it may read the engine, even write through its own
   transaction); other sessions' writes wait meanwhile, as behind a read transaction. */
static uint32_t ask_model(classify_run *run, const sim_filter *f, int writable, wfp_callout_verdict *v)
{
    sim_engine *e = run->engine;
    wfp_callout_call call;
    call.callout_key = sim_filter_action_key(f);
    call.layer_key = &run->layer->key;
    call.filter_id = f->id;
    call.action_type = f->action_type;
    call.filter_flags = f->flags;
    call.rights = writable ? WFP_RIGHT_ACTION_WRITE : 0;
    call.values = run->values;
    call.num_values = run->num_values;
    call.row = run->row;
    memset(v, 0, sizeof *v);
    v->rights = WFP_CALLOUT_RIGHTS_DEFAULT;
    if (run->options->callout == NULL)
        return WFP_OK;
    e->readers++;
    sim_mutex_unlock(e->mutex);
    uint32_t status = run->options->callout(run->options->callout_context, &call, v);
    sim_mutex_lock(e->mutex);
    e->readers--;
    sim_cond_broadcast(e->changed);
    if (sim_index_generation(e) != run->generation)
        run->restart = 1;
    return status;
}

/* What one matching callout filter does; *terminal says whether r is its sublayer's result. */
static uint32_t run_callout(classify_run *run, const sim_filter *f, int writable, sublayer_result *r,
                            uint32_t *outcome, uint32_t *flags, int *terminal)
{
    wfp_callout_verdict v;
    uint32_t status = ask_model(run, f, writable, &v);
    *terminal = 0;
    if (status != WFP_OK || run->restart)
        return status;
    *flags |= WFP_STEP_FLAG_CALLOUT;
    if (!v.registered) {
        *flags |= WFP_STEP_FLAG_UNREGISTERED;
        if (f->action_type == WFP_ACTION_CALLOUT_INSPECTION) {
            *outcome = WFP_STEP_SKIPPED;
            return WFP_OK;
        }
        r->from_callout = 0; /* it stands in for a static filter */
        if (f->flags & WFP_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED) {
            r->action = WFP_ACTION_PERMIT;
            r->hard = (f->flags & WFP_FILTER_FLAG_CLEAR_ACTION_RIGHT) != 0;
        } else {
            r->action = WFP_ACTION_BLOCK;
            r->hard = 1;
        }
        *terminal = 1;
        return WFP_OK;
    }
    uint32_t action = v.action;
    if (f->action_type == WFP_ACTION_CALLOUT_TERMINATING && action != WFP_ACTION_PERMIT)
        action = WFP_ACTION_BLOCK; /* "any other value is treated as BLOCK" [D: FWPS_ACTION0] */
    else if (f->action_type == WFP_ACTION_CALLOUT_INSPECTION)
        action = WFP_ACTION_CONTINUE; /* "any other value is treated as CONTINUE" */
    else if (action != WFP_ACTION_PERMIT && action != WFP_ACTION_BLOCK)
        action = WFP_ACTION_CONTINUE;
    if (action == WFP_ACTION_CONTINUE) {
        *outcome = WFP_STEP_CONTINUE;
        return WFP_OK;
    }
    if (!writable && action != WFP_ACTION_BLOCK) {
        *outcome = WFP_STEP_IGNORED;
        return WFP_OK;
    }
    uint32_t rights = v.rights;
    if (rights == WFP_CALLOUT_RIGHTS_DEFAULT)
        rights = action == WFP_ACTION_BLOCK || (f->flags & WFP_FILTER_FLAG_CLEAR_ACTION_RIGHT) ? 0
                                                                                             : WFP_RIGHT_ACTION_WRITE;
    r->action = action;
    r->hard = (rights & WFP_RIGHT_ACTION_WRITE) == 0;
    r->from_callout = 1;
    *terminal = 1;
    return WFP_OK;
}

static uint32_t arbitrate_sublayer(classify_run *run, const sim_sublayer *sublayer, int writable,
                                   wfp_classify_sublayer *trace, sublayer_result *r)
{
    memset(r, 0, sizeof *r);
    r->action = WFP_ACTION_NONE;
    uint32_t status = sim_index_candidates(run->engine, run->layer_index, sublayer, run->inputs, &run->candidates);
    if (status != WFP_OK)
        return status;
    int boot_mode = (run->options->flags & WFP_CLASSIFY_BOOT_TIME) != 0;
    int terminated = 0, have_previous = 0;
    uint64_t previous_weight = 0;
    sim_filter *f;
    while ((f = sim_candidates_next(&run->candidates)) != NULL) {
        if (!filter_enabled(f, boot_mode) || !sim_filter_matches(f, run->inputs))
            continue;
        uint32_t flags = have_previous && previous_weight == f->effective_weight ? WFP_STEP_FLAG_TIE : 0;
        have_previous = 1;
        previous_weight = f->effective_weight;
        if (terminated) {
            if (trace == NULL)
                break;
            trace_step(run->trace, run->result, trace, f,  WFP_STEP_NOT_EVALUATED,
                       flags | (FILTER_KIND_CALLOUT(f->action_type) ? WFP_STEP_FLAG_CALLOUT : 0));
            continue;
        }
        uint32_t outcome = 0;
        int terminal = 0;
        switch (f->action_type) {
        case WFP_ACTION_BLOCK:
            r->action = WFP_ACTION_BLOCK;
            r->hard = 1; /* a static Block is always hard [D: ARB] */
            terminal = 1;
            break;
        case WFP_ACTION_PERMIT:
            r->action = WFP_ACTION_PERMIT;
            r->hard = (f->flags & WFP_FILTER_FLAG_CLEAR_ACTION_RIGHT) != 0;
            terminal = 1;
            break;
        default:
            status = run_callout(run, f, writable, r, &outcome, &flags, &terminal);
            if (status != WFP_OK || run->restart)
                return status;
            break;
        }
        if (terminal) {
            r->filter = f;
            outcome = r->action == WFP_ACTION_PERMIT ? WFP_STEP_PERMIT : WFP_STEP_BLOCK;
            if (r->hard)
                flags |= WFP_STEP_FLAG_HARD;
            terminated = 1;
        }
        trace_step(run->trace, run->result, trace, f, outcome, flags);
    }
    return WFP_OK;
}

typedef struct decision_state {
    uint32_t verdict; /* WFP_ACTION_NONE until a sublayer decides */
    int writable;
    int vetoed;
    const sim_filter *filter;
    const sim_sublayer *sublayer;
} decision_state;

static uint32_t classify_pass(classify_run *run)
{
    wfp_classify_result *result = run->result;
    decision_state state = {WFP_ACTION_NONE, 1, 0, NULL, NULL};
    const sim_layer_state *ls = &run->engine->layers[run->layer_index];
    for (size_t i = 0; i < ls->num_slots; i++) {
        const sim_sublayer *sublayer = ls->slots[i].sublayer;
        wfp_classify_sublayer *trace = trace_sublayer(run->trace, result);
        sublayer_result r;
        uint32_t status = arbitrate_sublayer(run, sublayer, state.writable, trace, &r);
        if (status != WFP_OK || run->restart)
            return status;
        uint32_t effect;
        if (r.action == WFP_ACTION_NONE) {
            effect = WFP_SUBLAYER_ABSTAINED;
        } else if (state.writable) {
            state.verdict = r.action;
            state.writable = !r.hard;
            state.filter = r.filter;
            state.sublayer = sublayer;
            effect = WFP_SUBLAYER_DECIDED;
        } else if (state.verdict == WFP_ACTION_PERMIT && r.action == WFP_ACTION_BLOCK && r.from_callout) {
            state.verdict = WFP_ACTION_BLOCK;
            state.writable = 0;
            state.filter = r.filter;
            state.sublayer = sublayer;
            state.vetoed = 1;
            effect = WFP_SUBLAYER_VETOED;
        } else {
            effect = WFP_SUBLAYER_OVERRULED;
        }
        if (trace != NULL) {
            trace->sublayer_key = sublayer->key;
            trace->weight = sublayer->weight;
            trace->action = r.action;
            trace->hard = (uint8_t)(r.action != WFP_ACTION_NONE && r.hard);
            trace->effect = effect;
            trace->filter_id = r.filter != NULL ? r.filter->id : 0;
        }
    }
    result->decided = state.filter != NULL;
    result->action = state.verdict == WFP_ACTION_BLOCK ? WFP_ACTION_BLOCK : WFP_ACTION_PERMIT;
    result->hard = (uint8_t)(result->decided && !state.writable);
    result->vetoed = (uint8_t)state.vetoed;
    if (state.filter != NULL) {
        result->filter_id = state.filter->id;
        result->filter_key = state.filter->key;
        result->sublayer_key = state.sublayer->key;
    }
    return WFP_OK;
}

static uint32_t classify_row(classify_run *run, trace_store *trace)
{
    wfp_classify_result *result = run->result;
    trace_store start = *trace;
    run->trace = trace;
    for (int attempt = 0; attempt <= MAX_RESTARTS; attempt++) {
        memset(result, 0, sizeof *result);
        result->action = WFP_ACTION_PERMIT;
        *trace = start;
        run->restart = 0;
        run->generation = sim_index_generation(run->engine);
        uint32_t status = classify_pass(run);
        if (status != WFP_OK)
            return status;
        if (!run->restart) {
            uint32_t flags = run->options->flags;
            if (result->decided && ((result->action == WFP_ACTION_BLOCK && (flags & WFP_CLASSIFY_RECORD_DROPS)) ||
                                    (result->action == WFP_ACTION_PERMIT && (flags & WFP_CLASSIFY_RECORD_ALLOWS))))
                sim_events_record(run->engine,
                                  result->action == WFP_ACTION_BLOCK ? WFP_NET_EVENT_TYPE_CLASSIFY_DROP
                                                                     : WFP_NET_EVENT_TYPE_CLASSIFY_ALLOW,
                                  result->filter_id, run->layer, run->inputs);
            return WFP_OK;
        }
    }
    return WFP_E_TIMEOUT; /* the filters kept changing under the callout models */
}

/* ============================================================================================
 * Entry points
 * ============================================================================================ */

static const wfp_classify_options no_options = {0, NULL, NULL, NULL, NULL, 0, NULL, 0};

uint32_t wfp_sim_classify_many(wfp_handle session, const wfp_guid *layer_key, const wfp_classify_value *values,
                               const uint32_t *row_start, size_t n, const wfp_classify_options *options,
                               wfp_classify_result *results, size_t *failed_row)
{
    if (failed_row != NULL)
        *failed_row = 0;
    if (layer_key == NULL || row_start == NULL || (n > 0 && results == NULL))
        return WFP_E_NULL_POINTER;
    if (n > 0 && row_start[n] > row_start[0] && values == NULL)
        return WFP_E_NULL_POINTER;
    if (options == NULL)
        options = &no_options;
    const wfp_layer_info *layer = wfp_layer_find(layer_key);
    if (layer == NULL)
        return WFP_E_LAYER_NOT_FOUND;
    sim_input *inputs = malloc((layer->num_fields ? layer->num_fields : 1) * sizeof *inputs);
    if (inputs == NULL)
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    sim_call_scope scope;
    uint32_t status = sim_scope_begin(session, 0, &scope);
    if (status != WFP_OK) {
        free(inputs);
        return status;
    }
    classify_run run;
    memset(&run, 0, sizeof run);
    run.engine = scope.engine;
    run.layer = layer;
    run.layer_index = (size_t)(layer - wfp_layer_table);
    run.options = options;
    run.inputs = inputs;
    sim_candidates_init(&run.candidates);
    trace_store trace = {options->arena, options->sublayers, options->sublayer_capacity, options->steps,
                         options->step_capacity, (options->flags & WFP_CLASSIFY_TRACE) != 0};
    size_t row = 0;
    for (; row < n && status == WFP_OK; row++) {
        if (row > 0) {
            /* The caller's buffers belong to the first row; later rows grow in the arena. */
            trace.sublayers = NULL;
            trace.sublayer_cap = 0;
            trace.steps = NULL;
            trace.step_cap = 0;
        }
        uint32_t first = row_start[row], count = row_start[row + 1] - row_start[row];
        run.values = values != NULL ? values + first : NULL;
        run.num_values = count;
        run.row = row;
        run.result = &results[row];
        memset(run.result, 0, sizeof *run.result);
        uint32_t bad = 0;
        status = sim_inputs_build(layer, run.values, count, inputs, &bad);
        if (status != WFP_OK) {
            results[row].bad_value = bad;
            break;
        }
        status = classify_row(&run, &trace);
        if (status != WFP_OK)
            break;
    }
    if (failed_row != NULL)
        *failed_row = status == WFP_OK ? n : row;
    sim_candidates_free(&run.candidates);
    free(inputs);
    return sim_scope_end(&scope, status);
}

uint32_t wfp_sim_classify(wfp_handle session, const wfp_guid *layer_key, const wfp_classify_value *values,
                          uint32_t num_values, const wfp_classify_options *options, wfp_classify_result *result)
{
    uint32_t row_start[2] = {0, num_values};
    if (result == NULL)
        return WFP_E_NULL_POINTER;
    return wfp_sim_classify_many(session, layer_key, values, row_start, 1, options, result, NULL);
}
