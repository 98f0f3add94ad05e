/*
 * Entry points that rebuild another engine's state (a snapshot, typically of a Windows machine)
 * so that classify explains that machine's decisions: filters keep their ids and effective
 * weights, built-in sublayers take the machine's weights.
 */
#include <stdlib.h>
#include <string.h>

#include "classify_internal.h"

uint32_t wfp_sim_load_filter(wfp_handle session, const wfp_filter0 *filter, uint64_t filter_id,
                             uint64_t effective_weight)
{
    if (filter == NULL)
        return WFP_E_NULL_POINTER;
    if (filter_id == 0)
        return WFP_E_INVALID_PARAMETER;
    sim_call_scope scope;
    uint32_t status = sim_scope_begin(session, 1, &scope);
    if (status != WFP_OK)
        return status;
    sim_engine *e = scope.engine;
    sim_session *s = scope.session;
    if (sim_filter_find_id(e, filter_id) != NULL)
        return sim_scope_end(&scope, WFP_E_ALREADY_EXISTS);

    /* "Loading" keeps the given id, admits DISABLED and any callout key; the lifetime is what
       an add through this session would give. */
    sim_add_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.engine = e;
    ctx.session = s;
    ctx.loading = 1;
    ctx.forced_id = filter_id;
    if (filter->flags & WFP_FILTER_FLAG_PERSISTENT) {
        if (s->dynamic)
            return sim_scope_end(&scope, WFP_E_DYNAMIC_SESSION_IN_PROGRESS);
        ctx.lifetime = SIM_LIFETIME_PERSISTENT;
    } else {
        ctx.lifetime = s->dynamic ? SIM_LIFETIME_DYNAMIC : SIM_LIFETIME_STATIC;
        ctx.owner = s->dynamic ? s->serial : 0;
    }
    sim_filter *f;
    status = sim_filter_create(&ctx, filter, &f);
    if (status != WFP_OK)
        return sim_scope_end(&scope, status);
    f->effective_weight = effective_weight;
    status = sim_link(e, &f->obj);
    if (status != WFP_OK) {
        sim_object_unref(e, &f->obj);
        return sim_scope_end(&scope, status);
    }
    status = sim_undo_push(&s->undo, &f->obj, SIM_UNDO_ADDED);
    if (status != WFP_OK) {
        sim_unlink(e, &f->obj);
        sim_object_unref(e, &f->obj);
        return sim_scope_end(&scope, status);
    }
    if (f->obj.lifetime != SIM_LIFETIME_DYNAMIC)
        s->undo.durable_change = 1;
    return sim_scope_end(&scope, WFP_OK);
}

static int slot_order(const void *a, const void *b)
{
    return sim_sublayer_order(((const sim_slot *)a)->sublayer, ((const sim_slot *)b)->sublayer);
}

uint32_t wfp_sim_load_builtin_sublayer_weight(wfp_handle session, const wfp_guid *sublayer_key, uint16_t weight)
{
    if (sublayer_key == NULL)
        return WFP_E_NULL_POINTER;
    sim_call_scope scope;
    uint32_t status = sim_scope_begin(session, 1, &scope);
    if (status != WFP_OK)
        return status;
    sim_engine *e = scope.engine;
    sim_sublayer *s = sim_sublayer_find(e, sublayer_key);
    if (s == NULL)
        return sim_scope_end(&scope, WFP_E_SUBLAYER_NOT_FOUND);
    if (s->obj.lifetime != SIM_LIFETIME_BUILTIN)
        return sim_scope_end(&scope, WFP_E_INVALID_PARAMETER);
    if (s->weight != weight) {
        /* Every layer keeps its slots in arbitration order, which depends on this weight. */
        s->weight = weight;
        for (size_t l = 0; l < wfp_layer_count; l++)
            if (e->layers[l].num_slots > 1)
                qsort(e->layers[l].slots, e->layers[l].num_slots, sizeof *e->layers[l].slots, slot_order);
    }
    return sim_scope_end(&scope, WFP_OK);
}
