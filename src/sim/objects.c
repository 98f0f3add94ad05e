/*
 * Providers, sublayers and filters: validation, construction, linking into the indexes, and the
 * add/delete calls.  The check order of every call is the table right below; reorder its rows to
 * change which error wins when several apply.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

/* ============================================================================================
 * Check order (reference §3.6, recommended order [I]):
 *   handle/session state -> transaction state      (engine.c: call_begin)
 *   -> null pointers -> flags -> object existence -> types -> lifetime -> duplicates
 * ============================================================================================ */

typedef struct add_check {
    const sim_add_context *ctx;
    const void *input;              /* wfp_provider0 / wfp_sublayer0 / wfp_filter0 */
    const wfp_layer_info *layer;    /* filters */
    sim_sublayer *sublayer;         /* filters */
    sim_provider *provider;         /* sublayers and filters */
    sim_lifetime lifetime;
    uint32_t key_tag;               /* filters: the filter key's tag in filters_by_key */
    size_t key_slot;                /* filters: the empty slot the duplicate check ended at */
    int early_encoded;              /* filters: sim_index_plan_early encoded the conditions */
    uint16_t *fields;               /* filters: each condition's index in layer->fields */
} add_check;

typedef uint32_t (*add_stage)(add_check *c);

static uint32_t provider_pointers(add_check *c);
static uint32_t provider_flags(add_check *c);
static uint32_t provider_lifetime(add_check *c);
static uint32_t provider_duplicate(add_check *c);

static const add_stage provider_add_stages[] = {
    provider_pointers,  /* FWP_E_NULL_DISPLAY_NAME, FWP_E_NULL_POINTER */
    provider_flags,     /* FWP_E_INVALID_FLAGS */
    provider_lifetime,  /* FWP_E_DYNAMIC_SESSION_IN_PROGRESS */
    provider_duplicate, /* FWP_E_ALREADY_EXISTS */
};

static uint32_t sublayer_pointers(add_check *c);
static uint32_t sublayer_flags(add_check *c);
static uint32_t sublayer_provider(add_check *c);
static uint32_t sublayer_lifetime(add_check *c);
static uint32_t sublayer_duplicate(add_check *c);
static uint32_t sublayer_capacity(add_check *c);

static const add_stage sublayer_add_stages[] = {
    sublayer_pointers,  /* FWP_E_NULL_DISPLAY_NAME, FWP_E_NULL_POINTER */
    sublayer_flags,     /* FWP_E_INVALID_FLAGS */
    sublayer_provider,  /* FWP_E_PROVIDER_NOT_FOUND */
    sublayer_lifetime,  /* FWP_E_DYNAMIC_SESSION_IN_PROGRESS, FWP_E_LIFETIME_MISMATCH */
    sublayer_duplicate, /* FWP_E_ALREADY_EXISTS */
    sublayer_capacity,  /* FWP_E_TOO_MANY_SUBLAYERS */
};

static uint32_t filter_pointers(add_check *c);
static uint32_t filter_flags(add_check *c);
static uint32_t filter_layer(add_check *c);
static uint32_t filter_condition_fields(add_check *c);
static uint32_t filter_sublayer(add_check *c);
static uint32_t filter_index_plan(add_check *c);
static uint32_t filter_provider(add_check *c);
static uint32_t filter_callout(add_check *c);
static uint32_t filter_provider_context(add_check *c);
static uint32_t filter_action(add_check *c);
static uint32_t filter_weight(add_check *c);
static uint32_t filter_condition_types(add_check *c);
static uint32_t filter_boottime_layer(add_check *c);
static uint32_t filter_lifetime(add_check *c);
static uint32_t filter_duplicate(add_check *c);

static const add_stage filter_add_stages[] = {
    filter_pointers,         /* FWP_E_NULL_DISPLAY_NAME, FWP_E_NULL_POINTER (weight, data, values) */
    filter_flags,            /* FWP_E_INVALID_FLAGS, FWP_E_RESERVED */
    filter_layer,            /* FWP_E_LAYER_NOT_FOUND */
    filter_condition_fields, /* FWP_E_CONDITION_NOT_FOUND */
    filter_sublayer,         /* FWP_E_SUBLAYER_NOT_FOUND */
    filter_index_plan,       /* never fails: starts the classify index reads (a hint) */
    filter_provider,         /* FWP_E_PROVIDER_NOT_FOUND */
    filter_callout,          /* FWP_E_CALLOUT_NOT_FOUND */
    filter_provider_context, /* FWP_E_PROVIDER_CONTEXT_NOT_FOUND */
    filter_action,           /* FWP_E_INVALID_ACTION_TYPE */
    filter_weight,           /* FWP_E_INVALID_WEIGHT */
    filter_condition_types,  /* FWP_E_INVALID_ENUMERATOR, FWP_E_TYPE_MISMATCH,
                                FWP_E_MATCH_TYPE_MISMATCH, FWP_E_INVALID_RANGE,
                                FWP_E_INVALID_NET_MASK, ERROR_INVALID_SECURITY_DESCR */
    filter_boottime_layer,   /* FWP_E_INCOMPATIBLE_LAYER */
    filter_lifetime,         /* FWP_E_DYNAMIC_SESSION_IN_PROGRESS, FWP_E_LIFETIME_MISMATCH */
    filter_duplicate,        /* FWP_E_ALREADY_EXISTS (run once the filter is built: see
                                sim_filter_create; it must stay the last row) */
};

typedef struct delete_check {
    sim_session *session;
    sim_object *obj;
} delete_check;

typedef uint32_t (*delete_stage)(delete_check *c);

static uint32_t delete_builtin(delete_check *c);
static uint32_t delete_session(delete_check *c);
static uint32_t delete_in_use(delete_check *c);

/* Existence (FWP_E_*_NOT_FOUND) is checked by the lookup before these run. */
static const delete_stage delete_stages[] = {
    delete_builtin, /* FWP_E_BUILTIN_OBJECT */
    delete_session, /* FWP_E_WRONG_SESSION, FWP_E_DYNAMIC_SESSION_IN_PROGRESS */
    delete_in_use,  /* FWP_E_IN_USE */
};

#define RUN_STAGES(stages, check)                                                                  \
    do {                                                                                           \
        for (size_t i_ = 0; i_ < sizeof(stages) / sizeof((stages)[0]); i_++) {                    \
            uint32_t status_ = (stages)[i_](check);                                                \
            if (status_ != WFP_OK)                                                                 \
                return status_;                                                                    \
        }                                                                                          \
    } while (0)

/* ============================================================================================
 * Built-in objects
 * ============================================================================================ */

/*
 * Built-in sublayer weights: Windows documents none of them, only that INSPECTION is the lowest
 * [D: SUBID].  These values are our choice [I]: UNIVERSAL in the middle so callers can place
 * their sublayers above or below it; the firewall service's sublayers just above UNIVERSAL;
 * IPsec and platform sublayers higher.  Any sublayer not listed gets SIM_DEFAULT_BUILTIN_WEIGHT.
 */
typedef struct builtin_weight {
    const char *name;
    uint16_t weight;
} builtin_weight;

#define SIM_DEFAULT_BUILTIN_WEIGHT 0x4000u

static const builtin_weight builtin_sublayer_weights[] = {
    {"RPC_AUDIT", 0xF000},
    {"IPSEC_TUNNEL", 0xE000},
    {"IPSEC_FORWARD_OUTBOUND_TUNNEL", 0xE000},
    {"IPSEC_SECURITY_REALM", 0xD800},
    {"IPSEC_DOSP", 0xD000},
    {"LIPS", 0xC000},
    {"SECURE_SOCKET", 0xB000},
    {"TCP_CHIMNEY_OFFLOAD", 0xA000},
    {"TCP_TEMPLATES", 0xA000},
    {"TEREDO", 0x9000},
    {"MPSSVC_QUARANTINE", 0x8800},
    {"MPSSVC_WSH", 0x8400},
    {"MPSSVC_WF", 0x8300},
    {"MPSSVC_EDP", 0x8200},
    {"MPSSVC_TENANT_RESTRICTIONS", 0x8180},
    {"MPSSVC_APP_ISOLATION", 0x8100},
    {"UNIVERSAL", 0x8000},
    {"INSPECTION", 0x0000},
};

uint16_t sim_builtin_sublayer_weight(const wfp_guid *key)
{
    const wfp_named_guid *named = wfp_named_guid_find(wfp_sublayer_table, wfp_sublayer_count, key);
    if (named == NULL)
        return SIM_DEFAULT_BUILTIN_WEIGHT;
    for (size_t i = 0; i < sizeof builtin_sublayer_weights / sizeof builtin_sublayer_weights[0]; i++)
        if (strcmp(builtin_sublayer_weights[i].name, named->name) == 0)
            return builtin_sublayer_weights[i].weight;
    return SIM_DEFAULT_BUILTIN_WEIGHT;
}

/* FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP and _IPSEC (ids.h has no provider-context table). */
static const wfp_guid builtin_provider_contexts[] = {
    {0xb25ea800u, 0x0d02u, 0x46edu, {0x92, 0xbd, 0x7f, 0xa8, 0x4b, 0xb7, 0x3e, 0x9d}},
    {0x8c2d4144u, 0xf8e0u, 0x42c0u, {0x94, 0xce, 0x7c, 0xcf, 0xc6, 0x3b, 0x2f, 0x9b}},
};

int sim_is_builtin_provider_context(const wfp_guid *key)
{
    for (size_t i = 0; i < sizeof builtin_provider_contexts / sizeof builtin_provider_contexts[0]; i++)
        if (sim_guid_equal(&builtin_provider_contexts[i], key))
            return 1;
    return 0;
}

int sim_is_builtin_callout(const wfp_guid *key)
{
    return wfp_named_guid_find(wfp_callout_table, wfp_callout_count, key) != NULL;
}

/* ============================================================================================
 * Small helpers
 * ============================================================================================ */

static size_t round8(size_t n) { return (n + 7u) & ~(size_t)7u; }

static size_t wstr_bytes(const wfp_wchar *s) { return s == NULL ? 0 : (wfp_wcslen(s) + 1) * sizeof(wfp_wchar); }

/* Copies a string or blob into an object's trailing area. */
static void *place_bytes(uint8_t *base, size_t *offset, const void *src, size_t len)
{
    if (src == NULL || len == 0)
        return NULL;
    void *dst = base + *offset;
    memcpy(dst, src, len);
    *offset += round8(len);
    return dst;
}

static int blob_ok(const wfp_byte_blob *b) { return b->size == 0 || b->data != NULL; }

static sim_lifetime lifetime_for(const sim_add_context *ctx, int persistent_flag)
{
    if (ctx->loading)
        return ctx->lifetime;
    if (persistent_flag)
        return SIM_LIFETIME_PERSISTENT;
    return ctx->session != NULL && ctx->session->dynamic ? SIM_LIFETIME_DYNAMIC : SIM_LIFETIME_STATIC;
}

static uint32_t owner_of(const sim_add_context *ctx, sim_lifetime lifetime)
{
    if (lifetime != SIM_LIFETIME_DYNAMIC)
        return 0;
    return ctx->loading ? ctx->owner : ctx->session->serial;
}

/*
 * §3.1 reference rule: a persistent object refers only to built-in or persistent objects, and
 * not to a persistent object owned by a different provider (an object without a provider is
 * owned by none, so it is allowed [I]); a static object never refers to a dynamic one; a dynamic
 * object refers to no other session's dynamic objects.
 */
static int reference_allowed(sim_lifetime from, uint32_t from_owner, const sim_provider *from_provider,
                             const sim_object *to, const sim_provider *to_provider)
{
    switch ((sim_lifetime)to->lifetime) {
    case SIM_LIFETIME_BUILTIN:
        return 1;
    case SIM_LIFETIME_PERSISTENT:
        return from != SIM_LIFETIME_PERSISTENT || to_provider == NULL || to_provider == from_provider;
    case SIM_LIFETIME_STATIC:
        return from != SIM_LIFETIME_PERSISTENT;
    case SIM_LIFETIME_DYNAMIC:
        return from == SIM_LIFETIME_DYNAMIC && from_owner == to->owner;
    }
    return 0;
}

/* A dynamic session adds only dynamic objects: FWP_E_DYNAMIC_SESSION_IN_PROGRESS [I]. */
static uint32_t persistent_in_dynamic_session(const sim_add_context *ctx, int persistent_flag)
{
    if (!ctx->loading && persistent_flag && ctx->session != NULL && ctx->session->dynamic)
        return WFP_E_DYNAMIC_SESSION_IN_PROGRESS;
    return WFP_OK;
}

/* ============================================================================================
 * Lookups and hashing
 * ============================================================================================ */

static uint64_t provider_hash(const void *o) { return sim_hash_guid(&((const sim_provider *)o)->key); }
static uint64_t sublayer_hash(const void *o) { return sim_hash_guid(&((const sim_sublayer *)o)->key); }
static uint32_t filter_key_tag(const wfp_guid *key) { return sim_tag(sim_hash_guid(key)); }

void sim_objects_init_maps(sim_engine *e)
{
    sim_map_init(&e->providers_by_key, provider_hash);
    sim_map_init(&e->sublayers_by_key, sublayer_hash);
    sim_table_init(&e->filters_by_key);
    sim_id_index_init(&e->filters_by_id);
}

size_t sim_filter_indexes_bytes(const sim_engine *e)
{
    return sim_table_bytes(&e->filters_by_key) + e->filters_by_id.bytes;
}

void sim_filter_indexes_free(sim_engine *e)
{
    sim_table_free(&e->filters_by_key);
    sim_id_index_free(&e->filters_by_id);
}

sim_provider *sim_provider_find(sim_engine *e, const wfp_guid *key)
{
    if (e->last_provider != NULL && sim_guid_equal(&e->last_provider->key, key))
        return e->last_provider;
    size_t cursor = 0;
    uint64_t h = sim_hash_guid(key);
    sim_provider *p;
    while ((p = sim_map_probe(&e->providers_by_key, h, &cursor)) != NULL)
        if (sim_guid_equal(&p->key, key))
            return e->last_provider = p;
    return NULL;
}

sim_sublayer *sim_sublayer_find(sim_engine *e, const wfp_guid *key)
{
    if (e->last_sublayer != NULL && sim_guid_equal(&e->last_sublayer->key, key))
        return e->last_sublayer;
    size_t cursor = 0;
    uint64_t h = sim_hash_guid(key);
    sim_sublayer *s;
    while ((s = sim_map_probe(&e->sublayers_by_key, h, &cursor)) != NULL)
        if (sim_guid_equal(&s->key, key))
            return e->last_sublayer = s;
    return NULL;
}

sim_filter *sim_filter_find_key(sim_engine *e, const wfp_guid *key)
{
    size_t cursor = 0;
    uint32_t tag = filter_key_tag(key);
    sim_filter *f;
    while ((f = sim_table_probe(&e->filters_by_key, tag, &cursor)) != NULL)
        if (sim_guid_equal(&f->key, key))
            return f;
    return NULL;
}

sim_filter *sim_filter_find_id(sim_engine *e, uint64_t id) { return sim_id_index_find(&e->filters_by_id, id); }

sim_filter *sim_filter_next_by_id(sim_engine *e, uint64_t *id, int layer)
{
    return sim_id_index_next(&e->filters_by_id, id, layer);
}

void sim_filter_context(const sim_filter *f, uint8_t out[16])
{
    const sim_filter_extras *x = sim_filter_extras_of(f);
    if (x != NULL)
        memcpy(out, x->context, 16);
    else
        memset(out, 0, 16);
}

/* Arbitration order of sublayers: weight descending, then seq (built-ins first, then insertion
   order [I]), then key bytes so the order is total. */
int sim_sublayer_order(const sim_sublayer *a, const sim_sublayer *b)
{
    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return memcmp(&a->key, &b->key, sizeof a->key);
}

/* ============================================================================================
 * Linking (visibility in the engine) and freeing
 * ============================================================================================ */

static size_t slot_position(const sim_layer_state *ls, const sim_sublayer *s, int *found)
{
    size_t lo = 0, hi = ls->num_slots;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = sim_sublayer_order(ls->slots[mid].sublayer, s);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

static sim_slot *slot_for(sim_engine *e, sim_layer_state *ls, sim_sublayer *s, int create)
{
    int found;
    size_t pos = slot_position(ls, s, &found);
    if (found)
        return &ls->slots[pos];
    if (!create)
        return NULL;
    if (ls->num_slots == ls->cap_slots) {
        size_t cap = ls->cap_slots ? ls->cap_slots * 2 : 4;
        sim_slot *slots = realloc(ls->slots, cap * sizeof *slots);
        if (slots == NULL)
            return NULL;
        e->object_bytes += (cap - ls->cap_slots) * sizeof *slots;
        ls->slots = slots;
        ls->cap_slots = cap;
    }
    memmove(&ls->slots[pos + 1], &ls->slots[pos], (ls->num_slots - pos) * sizeof *ls->slots);
    ls->slots[pos].sublayer = s;
    ls->slots[pos].root = NULL;
    ls->slots[pos].last = NULL;
    ls->slots[pos].spine.len = 0;
    ls->slots[pos].count = 0;
    ls->num_slots++;
    return &ls->slots[pos];
}

static void slot_release_if_empty(sim_layer_state *ls, sim_slot *slot)
{
    if (slot->count != 0)
        return;
    size_t pos = (size_t)(slot - ls->slots);
    memmove(&ls->slots[pos], &ls->slots[pos + 1], (ls->num_slots - pos - 1) * sizeof *ls->slots);
    ls->num_slots--;
}


static void adjust_owner(sim_engine *e, const sim_object *o, int delta)
{
    if (o->lifetime != SIM_LIFETIME_DYNAMIC)
        return;
    sim_session *s = sim_session_by_serial(e, o->owner);
    if (s != NULL)
        s->owned = (size_t)((long long)s->owned + delta);
}

static uint32_t link_filter(sim_engine *e, sim_filter *f)
{
    sim_layer_state *ls = &e->layers[f->layer];
    sim_slot *slot = slot_for(e, ls, f->sublayer, 1);
    if (slot == NULL)
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    int inserted = sim_id_index_insert(&e->filters_by_id, f->id, f, f->layer);
    if (inserted != 0) {
        /* A taken id: only forced ids (loading) can collide, e.g. after the counter wrapped. */
        slot_release_if_empty(ls, slot);
        return inserted > 0 ? WFP_E_ALREADY_EXISTS : WFP_ERROR_NOT_ENOUGH_MEMORY;
    }
    /* Right after sim_filter_create built f, its tag is known and, when its duplicate check ran,
       so is the slot it goes to: nothing touched the table in between. */
    int built_just_now = e->key_tag_filter == f;
    uint32_t key_tag = built_just_now ? e->key_tag : filter_key_tag(&f->key);
    size_t key_slot = built_just_now ? e->key_slot : SIZE_MAX;
    e->key_tag_filter = NULL;
    if (sim_table_insert_at(&e->filters_by_key, key_tag, f, key_slot) != 0) {
        sim_id_index_remove(&e->filters_by_id, f->id);
        slot_release_if_empty(ls, slot);
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    }
    /* The index entry last: its probe was prefetched when the filter was built. */
    sim_tree_insert(slot, f);
    if (sim_index_add(e, f) != WFP_OK) {
        sim_tree_remove(slot, f);
        sim_table_remove(&e->filters_by_key, key_tag, f);
        sim_id_index_remove(&e->filters_by_id, f->id);
        slot_release_if_empty(ls, slot);
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    }
    slot->count++;
    ls->count++;
    f->sublayer->obj.users++;
    if (f->provider != NULL)
        f->provider->obj.users++;
    e->num_filters++;
    return WFP_OK;
}

static void unlink_filter(sim_engine *e, sim_filter *f)
{
    sim_index_remove(e, f);
    sim_layer_state *ls = &e->layers[f->layer];
    sim_slot *slot = slot_for(e, ls, f->sublayer, 0);
    sim_tree_remove(slot, f);
    slot->count--;
    slot_release_if_empty(ls, slot);
    sim_id_index_remove(&e->filters_by_id, f->id);
    sim_table_remove(&e->filters_by_key, filter_key_tag(&f->key), f);
    e->key_slot = SIZE_MAX; /* a removal may open a slot earlier in a run */
    ls->count--;
    f->sublayer->obj.users--;
    if (f->provider != NULL)
        f->provider->obj.users--;
    e->num_filters--;
}

uint32_t sim_link(sim_engine *e, sim_object *o)
{
    uint32_t status = WFP_OK;
    switch (o->kind) {
    case SIM_KIND_PROVIDER:
        if (sim_map_insert(&e->providers_by_key, o) != 0)
            return WFP_ERROR_NOT_ENOUGH_MEMORY;
        e->num_providers++;
        break;
    case SIM_KIND_SUBLAYER: {
        sim_sublayer *s = (sim_sublayer *)o;
        if (sim_map_insert(&e->sublayers_by_key, o) != 0)
            return WFP_ERROR_NOT_ENOUGH_MEMORY;
        if (s->provider != NULL)
            s->provider->obj.users++;
        e->num_sublayers++;
        break;
    }
    case SIM_KIND_FILTER:
        status = link_filter(e, (sim_filter *)o);
        break;
    }
    if (status == WFP_OK) {
        o->linked = 1;
        adjust_owner(e, o, +1);
    }
    return status;
}

void sim_unlink(sim_engine *e, sim_object *o)
{
    switch (o->kind) {
    case SIM_KIND_PROVIDER:
        sim_map_remove(&e->providers_by_key, o);
        if (e->last_provider == (sim_provider *)o)
            e->last_provider = NULL;
        e->num_providers--;
        break;
    case SIM_KIND_SUBLAYER: {
        sim_sublayer *s = (sim_sublayer *)o;
        sim_map_remove(&e->sublayers_by_key, o);
        if (e->last_sublayer == s)
            e->last_sublayer = NULL;
        if (s->provider != NULL)
            s->provider->obj.users--;
        e->num_sublayers--;
        break;
    }
    case SIM_KIND_FILTER:
        unlink_filter(e, (sim_filter *)o);
        break;
    }
    o->linked = 0;
    adjust_owner(e, o, -1);
}

void sim_object_free(sim_engine *e, sim_object *o)
{
    e->object_bytes -= o->size;
    switch (o->kind) {
    case SIM_KIND_SUBLAYER: {
        sim_sublayer *s = (sim_sublayer *)o;
        if (s->provider != NULL)
            sim_object_unref(e, &s->provider->obj);
        break;
    }
    case SIM_KIND_FILTER: {
        sim_filter *f = (sim_filter *)o;
        if (e->key_tag_filter == f)
            e->key_tag_filter = NULL; /* built but never linked: its address may come back */
        sim_object_unref(e, &f->sublayer->obj);
        if (f->provider != NULL)
            sim_object_unref(e, &f->provider->obj);
        free(o);
        return;
    }
    default:
        break;
    }
    free(o);
}

/* Undo-log integration: every successful change is recorded so abort can reverse it. */
static uint32_t record_change(sim_session *session, sim_object *o, uint32_t kind)
{
    if (session == NULL)
        return WFP_OK;
    uint32_t status = sim_undo_push(&session->undo, o, kind);
    if (status == WFP_OK && o->lifetime != SIM_LIFETIME_DYNAMIC)
        session->undo.durable_change = 1;
    return status;
}

uint32_t sim_undo_apply(sim_engine *e, sim_undo *u)
{
    if (u->kind == SIM_UNDO_ADDED) {
        if (u->obj->linked) {
            sim_unlink(e, u->obj);
            sim_object_unref(e, u->obj); /* the index reference */
        }
        return WFP_OK;
    }
    /* A dynamic object whose session has closed meanwhile stays deleted. */
    if (u->obj->lifetime == SIM_LIFETIME_DYNAMIC) {
        sim_session *owner = sim_session_by_serial(e, u->obj->owner);
        if (owner == NULL || owner->closing)
            return WFP_OK;
    }
    uint32_t status = sim_link(e, u->obj);
    if (status == WFP_OK)
        sim_object_ref(u->obj); /* the index holds it again */
    return status;
}

/* Makes a newly built object visible and records it; on failure frees it. */
static uint32_t publish(sim_engine *e, sim_session *session, sim_object *o)
{
    uint32_t status = sim_link(e, o);
    if (status != WFP_OK) {
        sim_object_unref(e, o);
        return status;
    }
    status = record_change(session, o, SIM_UNDO_ADDED);
    if (status != WFP_OK) {
        sim_unlink(e, o);
        sim_object_unref(e, o);
    }
    return status;
}

/* ============================================================================================
 * Providers
 * ============================================================================================ */

static uint32_t provider_pointers(add_check *c)
{
    const wfp_provider0 *p = c->input;
    if (p->displayData.name == NULL)
        return WFP_E_NULL_DISPLAY_NAME;
    return blob_ok(&p->providerData) ? WFP_OK : WFP_E_NULL_POINTER;
}

static uint32_t provider_flags(add_check *c)
{
    const wfp_provider0 *p = c->input;
    /* DISABLED is output only ("cannot be set when adding"). */
    uint32_t allowed = c->ctx->loading ? (WFP_PROVIDER_FLAG_PERSISTENT | WFP_PROVIDER_FLAG_DISABLED)
                                       : WFP_PROVIDER_FLAG_PERSISTENT;
    return (p->flags & ~allowed) ? WFP_E_INVALID_FLAGS : WFP_OK;
}

static uint32_t provider_lifetime(add_check *c)
{
    const wfp_provider0 *p = c->input;
    c->lifetime = lifetime_for(c->ctx, p->flags & WFP_PROVIDER_FLAG_PERSISTENT);
    return persistent_in_dynamic_session(c->ctx, p->flags & WFP_PROVIDER_FLAG_PERSISTENT);
}

static uint32_t provider_duplicate(add_check *c)
{
    const wfp_provider0 *p = c->input;
    if (!sim_guid_is_null(&p->providerKey) && sim_provider_find(c->ctx->engine, &p->providerKey) != NULL)
        return WFP_E_ALREADY_EXISTS;
    return WFP_OK;
}

static sim_provider *build_provider(sim_engine *e, const wfp_provider0 *in, const wfp_guid *key,
                                    sim_lifetime lifetime, uint32_t owner, uint64_t seq)
{
    size_t size = round8(sizeof(sim_provider)) + round8(wstr_bytes(in->displayData.name)) +
                  round8(wstr_bytes(in->displayData.description)) + round8(wstr_bytes(in->serviceName)) +
                  round8(in->providerData.size);
    sim_provider *p = sim_alloc_object(e, size);
    if (p == NULL)
        return NULL;
    p->obj.kind = SIM_KIND_PROVIDER;
    p->obj.lifetime = (uint8_t)lifetime;
    p->obj.owner = owner;
    p->key = *key;
    p->seq = seq;
    p->flags = in->flags;
    uint8_t *base = (uint8_t *)p;
    size_t off = round8(sizeof(sim_provider));
    p->name = place_bytes(base, &off, in->displayData.name, wstr_bytes(in->displayData.name));
    p->description = place_bytes(base, &off, in->displayData.description, wstr_bytes(in->displayData.description));
    p->service_name = place_bytes(base, &off, in->serviceName, wstr_bytes(in->serviceName));
    p->data = place_bytes(base, &off, in->providerData.data, in->providerData.size);
    p->data_size = in->providerData.size;
    return p;
}

uint32_t sim_provider_create(const sim_add_context *ctx, const wfp_provider0 *in, sim_provider **out)
{
    add_check c;
    memset(&c, 0, sizeof c);
    c.ctx = ctx;
    c.input = in;
    RUN_STAGES(provider_add_stages, &c);
    wfp_guid key = in->providerKey;
    if (sim_guid_is_null(&key))
        sim_generate_guid(ctx->engine, &key);
    uint64_t seq = ctx->loading && ctx->forced_seq ? ctx->forced_seq : ctx->engine->next_seq++;
    *out = build_provider(ctx->engine, in, &key, c.lifetime, owner_of(ctx, c.lifetime), seq);
    return *out == NULL ? WFP_ERROR_NOT_ENOUGH_MEMORY : WFP_OK;
}

uint32_t sim_provider_add(sim_session *session, const wfp_provider0 *in)
{
    sim_add_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.engine = session->engine;
    ctx.session = session;
    sim_provider *p;
    uint32_t status = sim_provider_create(&ctx, in, &p);
    if (status != WFP_OK)
        return status;
    return publish(session->engine, session, &p->obj);
}

/* ============================================================================================
 * Sublayers
 * ============================================================================================ */

static uint32_t sublayer_pointers(add_check *c)
{
    const wfp_sublayer0 *s = c->input;
    if (s->displayData.name == NULL)
        return WFP_E_NULL_DISPLAY_NAME;
    return blob_ok(&s->providerData) ? WFP_OK : WFP_E_NULL_POINTER;
}

static uint32_t sublayer_flags(add_check *c)
{
    const wfp_sublayer0 *s = c->input;
    return (s->flags & ~WFP_SUBLAYER_FLAG_PERSISTENT) ? WFP_E_INVALID_FLAGS : WFP_OK;
}

static uint32_t sublayer_provider(add_check *c)
{
    const wfp_sublayer0 *s = c->input;
    if (s->providerKey == NULL)
        return WFP_OK;
    c->provider = sim_provider_find(c->ctx->engine, s->providerKey);
    return c->provider == NULL ? WFP_E_PROVIDER_NOT_FOUND : WFP_OK;
}

static uint32_t sublayer_lifetime(add_check *c)
{
    const wfp_sublayer0 *s = c->input;
    int persistent = (s->flags & WFP_SUBLAYER_FLAG_PERSISTENT) != 0;
    uint32_t status = persistent_in_dynamic_session(c->ctx, persistent);
    if (status != WFP_OK)
        return status;
    c->lifetime = lifetime_for(c->ctx, persistent);
    if (c->provider != NULL &&
        !reference_allowed(c->lifetime, owner_of(c->ctx, c->lifetime), c->provider, &c->provider->obj, NULL))
        return WFP_E_LIFETIME_MISMATCH;
    return WFP_OK;
}

static uint32_t sublayer_duplicate(add_check *c)
{
    const wfp_sublayer0 *s = c->input;
    if (!sim_guid_is_null(&s->subLayerKey) && sim_sublayer_find(c->ctx->engine, &s->subLayerKey) != NULL)
        return WFP_E_ALREADY_EXISTS;
    return WFP_OK;
}

#define SIM_MAX_SUBLAYERS 65536u /* "WFP supports at most 2^16 sublayers" */

static uint32_t sublayer_capacity(add_check *c)
{
    return c->ctx->engine->num_sublayers >= SIM_MAX_SUBLAYERS ? WFP_E_TOO_MANY_SUBLAYERS : WFP_OK;
}

static sim_sublayer *build_sublayer(sim_engine *e, const wfp_sublayer0 *in, const wfp_guid *key,
                                    sim_provider *provider, sim_lifetime lifetime, uint32_t owner,
                                    uint64_t seq)
{
    size_t size = round8(sizeof(sim_sublayer)) + round8(wstr_bytes(in->displayData.name)) +
                  round8(wstr_bytes(in->displayData.description)) + round8(in->providerData.size);
    sim_sublayer *s = sim_alloc_object(e, size);
    if (s == NULL)
        return NULL;
    s->obj.kind = SIM_KIND_SUBLAYER;
    s->obj.lifetime = (uint8_t)lifetime;
    s->obj.owner = owner;
    s->key = *key;
    s->seq = seq;
    s->flags = in->flags;
    s->weight = in->weight;
    s->provider = provider;
    if (provider != NULL)
        sim_object_ref(&provider->obj);
    uint8_t *base = (uint8_t *)s;
    size_t off = round8(sizeof(sim_sublayer));
    s->name = place_bytes(base, &off, in->displayData.name, wstr_bytes(in->displayData.name));
    s->description = place_bytes(base, &off, in->displayData.description, wstr_bytes(in->displayData.description));
    s->data = place_bytes(base, &off, in->providerData.data, in->providerData.size);
    s->data_size = in->providerData.size;
    return s;
}

uint32_t sim_sublayer_create(const sim_add_context *ctx, const wfp_sublayer0 *in, sim_sublayer **out)
{
    add_check c;
    memset(&c, 0, sizeof c);
    c.ctx = ctx;
    c.input = in;
    RUN_STAGES(sublayer_add_stages, &c);
    wfp_guid key = in->subLayerKey;
    if (sim_guid_is_null(&key))
        sim_generate_guid(ctx->engine, &key);
    uint64_t seq = ctx->loading && ctx->forced_seq ? ctx->forced_seq : ctx->engine->next_seq++;
    *out = build_sublayer(ctx->engine, in, &key, c.provider, c.lifetime, owner_of(ctx, c.lifetime), seq);
    return *out == NULL ? WFP_ERROR_NOT_ENOUGH_MEMORY : WFP_OK;
}

uint32_t sim_sublayer_add(sim_session *session, const wfp_sublayer0 *in)
{
    sim_add_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.engine = session->engine;
    ctx.session = session;
    sim_sublayer *s;
    uint32_t status = sim_sublayer_create(&ctx, in, &s);
    if (status != WFP_OK)
        return status;
    return publish(session->engine, session, &s->obj);
}

/* ============================================================================================
 * Filters
 * ============================================================================================ */

/* Flags a caller may pass: everything the SDK defines up to IPSEC_NO_ACQUIRE_INITIATE except the
   output-only DISABLED; RESERVED0..2 and unknown bits are rejected. */
#define FILTER_FLAGS_ALLOWED                                                                       \
    (WFP_FILTER_FLAG_PERSISTENT | WFP_FILTER_FLAG_BOOTTIME | WFP_FILTER_FLAG_HAS_PROVIDER_CONTEXT |  \
     WFP_FILTER_FLAG_CLEAR_ACTION_RIGHT | WFP_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED |           \
     WFP_FILTER_FLAG_INDEXED | 0x0080u | 0x0100u | 0x0200u | 0x0400u | 0x0800u)

static int is_filter_action(uint32_t type)
{
    return type == WFP_ACTION_BLOCK || type == WFP_ACTION_PERMIT || type == WFP_ACTION_CALLOUT_TERMINATING ||
           type == WFP_ACTION_CALLOUT_INSPECTION || type == WFP_ACTION_CALLOUT_UNKNOWN;
}

static int is_callout_action(uint32_t type)
{
    return is_filter_action(type) && (type & WFP_ACTION_FLAG_CALLOUT) != 0;
}

static uint32_t filter_pointers(add_check *c)
{
    const wfp_filter0 *f = c->input;
    if (f->displayData.name == NULL)
        return WFP_E_NULL_DISPLAY_NAME;
    if (!blob_ok(&f->providerData))
        return WFP_E_NULL_POINTER;
    if (f->weight.type == WFP_UINT64 && f->weight.uint64 == NULL)
        return WFP_E_NULL_POINTER;
    return sim_check_conditions_null(f->filterCondition, f->numFilterConditions);
}

static uint32_t filter_flags(add_check *c)
{
    const wfp_filter0 *f = c->input;
    uint32_t allowed = FILTER_FLAGS_ALLOWED | (c->ctx->loading ? WFP_FILTER_FLAG_DISABLED : 0);
    if (f->flags & ~allowed)
        return WFP_E_INVALID_FLAGS;
    if ((f->flags & WFP_FILTER_FLAG_PERSISTENT) && (f->flags & WFP_FILTER_FLAG_BOOTTIME))
        return WFP_E_INVALID_FLAGS;
    if ((f->flags & WFP_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED) &&
        f->action.type != WFP_ACTION_CALLOUT_TERMINATING && f->action.type != WFP_ACTION_CALLOUT_UNKNOWN)
        return WFP_E_INVALID_FLAGS;
    /* reserved is "for system use" and must be NULL [I]. */
    return f->reserved != NULL ? WFP_E_RESERVED : WFP_OK;
}

static uint32_t filter_layer(add_check *c)
{
    const wfp_filter0 *f = c->input;
    sim_engine *e = c->ctx->engine;
    /* The adds of a bulk load mostly go to one layer. */
    if (e->last_layer != NULL && sim_guid_equal(&e->last_layer->key, &f->layerKey)) {
        c->layer = e->last_layer;
        return WFP_OK;
    }
    c->layer = wfp_layer_find(&f->layerKey);
    if (c->layer == NULL)
        return WFP_E_LAYER_NOT_FOUND;
    e->last_layer = c->layer;
    return WFP_OK;
}

static uint32_t filter_condition_fields(add_check *c)
{
    const wfp_filter0 *f = c->input;
    sim_engine *e = c->ctx->engine;
    c->fields = sim_condition_fields_scratch(e, f->numFilterConditions);
    if (c->fields == NULL)
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    return sim_check_conditions_exist(e, c->layer, f->filterCondition, f->numFilterConditions, c->fields);
}

static uint32_t filter_sublayer(add_check *c)
{
    const wfp_filter0 *f = c->input;
    /* IID_NULL means the layer's default sublayer, FWPM_SUBLAYER_UNIVERSAL for every layer [I]. */
    const wfp_guid *key = sim_guid_is_null(&f->subLayerKey) ? &WFP_SUBLAYER_UNIVERSAL : &f->subLayerKey;
    c->sublayer = sim_sublayer_find(c->ctx->engine, key);
    return c->sublayer == NULL ? WFP_E_SUBLAYER_NOT_FOUND : WFP_OK;
}

/* The classify index's bucket reads are cache misses with many filters: start them now, so they
   load while the remaining checks run and the filter is built. */
static uint32_t filter_index_plan(add_check *c)
{
    const wfp_filter0 *f = c->input;
    c->early_encoded = sim_index_plan_early(c->ctx->engine, c->layer, c->sublayer, f->filterCondition,
                                            c->fields, f->numFilterConditions);
    return WFP_OK;
}

static uint32_t filter_provider(add_check *c)
{
    const wfp_filter0 *f = c->input;
    if (f->providerKey == NULL)
        return WFP_OK;
    c->provider = sim_provider_find(c->ctx->engine, f->providerKey);
    return c->provider == NULL ? WFP_E_PROVIDER_NOT_FOUND : WFP_OK;
}

/* Only built-in callouts exist in this engine: the backend table has no callout add. */
static uint32_t filter_callout(add_check *c)
{
    const wfp_filter0 *f = c->input;
    if (!is_callout_action(f->action.type))
        return WFP_OK;
    /* A loaded snapshot names the callouts its machine's drivers registered (snapshot.c). */
    if (c->ctx->loading)
        return WFP_OK;
    return sim_is_builtin_callout(&f->action.calloutKey) ? WFP_OK : WFP_E_CALLOUT_NOT_FOUND;
}

static uint32_t filter_provider_context(add_check *c)
{
    const wfp_filter0 *f = c->input;
    if (!(f->flags & WFP_FILTER_FLAG_HAS_PROVIDER_CONTEXT) || c->ctx->loading)
        return WFP_OK;
    return sim_is_builtin_provider_context(&f->providerContextKey) ? WFP_OK
                                                                   : WFP_E_PROVIDER_CONTEXT_NOT_FOUND;
}

static uint32_t filter_action(add_check *c)
{
    const wfp_filter0 *f = c->input;
    return is_filter_action(f->action.type) ? WFP_OK : WFP_E_INVALID_ACTION_TYPE;
}

static uint32_t filter_weight(add_check *c)
{
    const wfp_filter0 *f = c->input;
    switch (f->weight.type) {
    case WFP_EMPTY:
    case WFP_UINT64:
        return WFP_OK;
    case WFP_UINT8:
        return f->weight.uint8 <= WFP_WEIGHT_RANGE_MAX ? WFP_OK : WFP_E_INVALID_WEIGHT;
    default:
        return WFP_E_INVALID_WEIGHT;
    }
}

static uint32_t filter_condition_types(add_check *c)
{
    const wfp_filter0 *f = c->input;
    return sim_check_conditions_types(c->layer, f->filterCondition, c->fields, f->numFilterConditions,
                                      SIM_CONDITIONS_FILTER);
}

/* Boot-time filters exist only at kernel-mode layers. */
static uint32_t filter_boottime_layer(add_check *c)
{
    const wfp_filter0 *f = c->input;
    if ((f->flags & WFP_FILTER_FLAG_BOOTTIME) && !(c->layer->flags & WFP_LAYER_FLAG_KERNEL))
        return WFP_E_INCOMPATIBLE_LAYER;
    return WFP_OK;
}

static uint32_t filter_lifetime(add_check *c)
{
    const wfp_filter0 *f = c->input;
    int persistent = (f->flags & WFP_FILTER_FLAG_PERSISTENT) != 0;
    uint32_t status = persistent_in_dynamic_session(c->ctx, persistent);
    if (status != WFP_OK)
        return status;
    c->lifetime = lifetime_for(c->ctx, persistent);
    uint32_t owner = owner_of(c->ctx, c->lifetime);
    if (!reference_allowed(c->lifetime, owner, c->provider, &c->sublayer->obj, c->sublayer->provider))
        return WFP_E_LIFETIME_MISMATCH;
    if (c->provider != NULL && !reference_allowed(c->lifetime, owner, c->provider, &c->provider->obj, NULL))
        return WFP_E_LIFETIME_MISMATCH;
    return WFP_OK;
}

static uint32_t filter_duplicate(add_check *c)
{
    const wfp_filter0 *f = c->input;
    if (sim_guid_is_null(&f->filterKey))
        return WFP_OK;
    size_t cursor = 0;
    const sim_table *t = &c->ctx->engine->filters_by_key;
    const sim_filter *other;
    while ((other = sim_table_probe(t, c->key_tag, &cursor)) != NULL)
        if (sim_guid_equal(&other->key, &f->filterKey))
            return WFP_E_ALREADY_EXISTS;
    if (t->slots != NULL && cursor > 0)
        c->key_slot = (c->key_tag + cursor - 1) & t->mask; /* the empty slot that ended the probe */
    return WFP_OK;
}

/* Size of the conditions block: the 16-byte records and the payloads after them. */
static size_t conditions_size(const wfp_filter_condition0 *conds, uint32_t n)
{
    size_t size = (size_t)n * sizeof(sim_cond);
    for (uint32_t i = 0; i < n; i++)
        size += sim_encoded_payload_size(&conds[i].conditionValue);
    return size;
}

static void encode_conditions(sim_filter *f, const wfp_filter_condition0 *conds, const uint16_t *fields,
                              uint32_t n, size_t *offset)
{
    uint8_t *base = (uint8_t *)f;
    f->num_conditions = n;
    *offset += (size_t)n * sizeof(sim_cond);
    for (uint32_t i = 0; i < n; i++) {
        sim_cond *c = &f->conditions[i];
        c->type = conds[i].conditionValue.type;
        c->field = fields[i];
        c->match = (uint8_t)conds[i].matchType;
        c->reserved = 0;
        c->bits = sim_encode_value(base, offset, &conds[i].conditionValue);
    }
}

sim_filter *sim_build_condition_block(const wfp_layer_info *layer, const wfp_filter_condition0 *conds,
                                      uint32_t n)
{
    uint16_t *fields = malloc((n > 0 ? n : 1) * sizeof *fields);
    sim_filter *f = NULL;
    if (fields != NULL && sim_check_conditions_exist(NULL, layer, conds, n, fields) == WFP_OK)
        f = sim_build_condition_block_fields(layer, conds, fields, n);
    free(fields);
    return f;
}

sim_filter *sim_build_condition_block_fields(const wfp_layer_info *layer, const wfp_filter_condition0 *conds,
                                             const uint16_t *fields, uint32_t n)
{
    size_t size = round8(sizeof(sim_filter)) + conditions_size(conds, n);
    sim_filter *f = calloc(1, size);
    if (f == NULL)
        return NULL;
    size_t off = round8(sizeof(sim_filter));
    f->layer = (uint16_t)(layer - wfp_layer_table);
    f->obj.size = (uint32_t)size;
    encode_conditions(f, conds, fields, n, &off);
    return f;
}

static sim_filter *build_filter(sim_engine *e, const wfp_filter0 *in, const add_check *c,
                                const wfp_guid *key, uint64_t id, uint32_t owner)
{
    sim_filter_extras extras;
    memset(&extras, 0, sizeof extras);
    if (in->flags & WFP_FILTER_FLAG_HAS_PROVIDER_CONTEXT)
        memcpy(extras.context, &in->providerContextKey, sizeof in->providerContextKey);
    else
        memcpy(extras.context, &in->rawContext, sizeof in->rawContext);
    static const uint8_t no_context[16];
    int has_extras = memcmp(extras.context, no_context, sizeof no_context) != 0 ||
                     in->displayData.description != NULL || in->providerData.size > 0;
    int has_action_key = !sim_guid_is_null(&in->action.filterType);
    size_t name_bytes = wstr_bytes(in->displayData.name), description_bytes = wstr_bytes(in->displayData.description);
    size_t size = round8(sizeof(sim_filter)) + conditions_size(in->filterCondition, in->numFilterConditions) +
                  (has_action_key ? sizeof(wfp_guid) : 0) + (has_extras ? sizeof extras : 0) +
                  round8(name_bytes) + round8(description_bytes) + round8(in->providerData.size);
    if (size > UINT32_MAX)
        return NULL;
    sim_filter *f = sim_alloc_object(e, size);
    if (f == NULL)
        return NULL;
    f->obj.kind = SIM_KIND_FILTER;
    f->obj.lifetime = (uint8_t)c->lifetime;
    f->obj.owner = owner;
    f->sublayer = c->sublayer;
    sim_object_ref(&c->sublayer->obj);
    f->provider = c->provider;
    if (c->provider != NULL)
        sim_object_ref(&c->provider->obj);
    f->id = id;
    f->key = *key;
    f->action_type = in->action.type;
    f->flags = in->flags;
    f->layer = (uint16_t)(c->layer - wfp_layer_table);
    f->weight_type = (uint8_t)in->weight.type;
    f->left = f->right = NULL;
    f->height = 0;

    uint8_t *base = (uint8_t *)f;
    size_t off = round8(sizeof(sim_filter));
    if (c->early_encoded) {
        /* The same encoding of the same input, done during validation: taken as it is. */
        sim_index_take_early(e, f);
        off += (size_t)in->numFilterConditions * sizeof(sim_cond);
    } else {
        encode_conditions(f, in->filterCondition, c->fields, in->numFilterConditions, &off);
        sim_index_prefetch(e, f); /* loads while the rest is built and linked */
    }
    if (has_action_key) {
        memcpy(base + off, &in->action.filterType, sizeof(wfp_guid));
        off += sizeof(wfp_guid); /* 16: the offset stays a multiple of 8 */
    }
    size_t extras_off = off;
    if (has_extras)
        off += sizeof extras; /* a multiple of 8 */
    f->obj.extras = (uint8_t)((has_extras ? SIM_EXTRAS_RECORD : 0) | (has_action_key ? SIM_EXTRAS_ACTION_KEY : 0));
    f->name_off = (uint32_t)off;
    place_bytes(base, &off, in->displayData.name, name_bytes);
    if (has_extras) {
        extras.description_off = in->displayData.description != NULL ? (uint32_t)off : 0;
        place_bytes(base, &off, in->displayData.description, description_bytes);
        extras.data_size = in->providerData.size;
        extras.data_off = in->providerData.size > 0 ? (uint32_t)off : 0;
        place_bytes(base, &off, in->providerData.data, in->providerData.size);
        memcpy(base + extras_off, &extras, sizeof extras);
    }

    uint64_t auto60 = sim_auto_weight(f);
    switch (in->weight.type) {
    case WFP_UINT8:
        f->effective_weight = ((uint64_t)in->weight.uint8 << WFP_AUTO_WEIGHT_BITS) | auto60;
        break;
    case WFP_UINT64:
        f->effective_weight = *in->weight.uint64;
        break;
    default:
        f->effective_weight = auto60;
        break;
    }
    return f;
}

uint32_t sim_filter_create(const sim_add_context *ctx, const wfp_filter0 *in, sim_filter **out)
{
    sim_engine *e = ctx->engine;
    add_check c;
    memset(&c, 0, sizeof c);
    c.ctx = ctx;
    c.input = in;
    c.key_slot = SIZE_MAX;
    /* With a million filters the duplicate check's probe is a cache miss: it is started now, and
       the check itself (the table's last row) runs only after the filter is built, which nothing
       the check decides can change.  Errors come out exactly as in the table's order: a
       duplicate wins over running out of ids, which wins over running out of memory, and a
       failed add consumes neither an id nor a random key. */
    int keyed = !sim_guid_is_null(&in->filterKey);
    if (keyed) {
        c.key_tag = filter_key_tag(&in->filterKey);
        sim_table_prefetch(&e->filters_by_key, c.key_tag);
    }
    size_t early_stages = sizeof filter_add_stages / sizeof filter_add_stages[0] - 1;
    for (size_t i = 0; i < early_stages; i++) {
        uint32_t status = filter_add_stages[i](&c);
        if (status != WFP_OK)
            return status;
    }
    /* next_filter_id stops at UINT64_MAX, which only a loaded filter can hold: counting on
       would wrap to 0 (no filter's id) and then to ids in use. */
    int out_of_ids = !ctx->loading && e->next_filter_id == UINT64_MAX;
    wfp_guid key = in->filterKey;
    if (!keyed) {
        /* No duplicate check for a generated key. */
        if (out_of_ids)
            return WFP_E_OUT_OF_BOUNDS;
        sim_generate_guid(e, &key);
        c.key_tag = filter_key_tag(&key);
        sim_table_prefetch(&e->filters_by_key, c.key_tag);
    }
    /* The id is taken only once the add cannot fail any more. */
    uint64_t id = ctx->loading ? ctx->forced_id : e->next_filter_id;
    sim_filter *f = build_filter(e, in, &c, &key, id, owner_of(ctx, c.lifetime));
    if (keyed) {
        uint32_t status = filter_add_stages[early_stages](&c); /* filter_duplicate */
        if (status == WFP_OK && out_of_ids)
            status = WFP_E_OUT_OF_BOUNDS;
        if (status != WFP_OK) {
            if (f != NULL) {
                sim_index_forget(e); /* its plan names a filter that never was */
                sim_object_unref(e, &f->obj);
            }
            return status;
        }
    }
    if (f == NULL)
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    if (ctx->loading) {
        if (id >= e->next_filter_id)
            e->next_filter_id = id == UINT64_MAX ? UINT64_MAX : id + 1;
    } else {
        e->next_filter_id++; /* never reused, even if the transaction aborts */
    }
    e->key_tag_filter = f;
    e->key_tag = c.key_tag;
    e->key_slot = c.key_slot;
    *out = f;
    return WFP_OK;
}

uint32_t sim_filter_add(sim_session *session, const wfp_filter0 *in, uint64_t *id)
{
    sim_add_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.engine = session->engine;
    ctx.session = session;
    sim_filter *f;
    uint32_t status = sim_filter_create(&ctx, in, &f);
    if (status != WFP_OK)
        return status;
    uint64_t new_id = f->id;
    status = publish(session->engine, session, &f->obj);
    if (status == WFP_OK && id != NULL)
        *id = new_id;
    return status;
}

/* ============================================================================================
 * Deletion
 * ============================================================================================ */

static uint32_t delete_builtin(delete_check *c)
{
    return c->obj->lifetime == SIM_LIFETIME_BUILTIN ? WFP_E_BUILTIN_OBJECT : WFP_OK;
}

/* A dynamic session deletes only its own objects; a static session may delete anything [I]. */
static uint32_t delete_session(delete_check *c)
{
    if (!c->session->dynamic)
        return WFP_OK;
    if (c->obj->lifetime != SIM_LIFETIME_DYNAMIC)
        return WFP_E_DYNAMIC_SESSION_IN_PROGRESS;
    return c->obj->owner == c->session->serial ? WFP_OK : WFP_E_WRONG_SESSION;
}

static uint32_t delete_in_use(delete_check *c) { return c->obj->users > 0 ? WFP_E_IN_USE : WFP_OK; }

static uint32_t delete_checked(sim_session *session, sim_object *o)
{
    delete_check c = {session, o};
    RUN_STAGES(delete_stages, &c);
    sim_engine *e = session->engine;
    uint32_t status = record_change(session, o, SIM_UNDO_DELETED);
    if (status != WFP_OK)
        return status;
    sim_unlink(e, o);
    sim_object_unref(e, o); /* the index reference; the undo log keeps it alive */
    return WFP_OK;
}

uint32_t sim_provider_delete(sim_session *session, const wfp_guid *key)
{
    if (key == NULL)
        return WFP_E_NULL_POINTER;
    sim_provider *p = sim_provider_find(session->engine, key);
    return p == NULL ? WFP_E_PROVIDER_NOT_FOUND : delete_checked(session, &p->obj);
}

uint32_t sim_sublayer_delete(sim_session *session, const wfp_guid *key)
{
    if (key == NULL)
        return WFP_E_NULL_POINTER;
    sim_sublayer *s = sim_sublayer_find(session->engine, key);
    return s == NULL ? WFP_E_SUBLAYER_NOT_FOUND : delete_checked(session, &s->obj);
}

uint32_t sim_filter_delete_key(sim_session *session, const wfp_guid *key)
{
    if (key == NULL)
        return WFP_E_NULL_POINTER;
    sim_filter *f = sim_filter_find_key(session->engine, key);
    return f == NULL ? WFP_E_FILTER_NOT_FOUND : delete_checked(session, &f->obj);
}

uint32_t sim_filter_delete_id(sim_session *session, uint64_t id)
{
    sim_filter *f = sim_filter_find_id(session->engine, id);
    return f == NULL ? WFP_E_FILTER_NOT_FOUND : delete_checked(session, &f->obj);
}

/* ============================================================================================
 * Built-ins
 * ============================================================================================ */

/* Built-in names are the table's ASCII names, widened. */
static void widen_ascii(const char *s, wfp_wchar *out, size_t cap)
{
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < cap; i++)
        out[i] = (wfp_wchar)(unsigned char)s[i];
    out[i] = 0;
}

uint32_t sim_install_builtins(sim_engine *e)
{
    wfp_wchar name[128];
    for (size_t i = 0; i < wfp_provider_count; i++) {
        wfp_provider0 in;
        memset(&in, 0, sizeof in);
        widen_ascii(wfp_provider_table[i].name, name, 128);
        in.displayData.name = name;
        sim_provider *p = build_provider(e, &in, &wfp_provider_table[i].key, SIM_LIFETIME_BUILTIN, 0, e->next_seq++);
        if (p == NULL || sim_link(e, &p->obj) != WFP_OK)
            return WFP_ERROR_NOT_ENOUGH_MEMORY;
    }
    for (size_t i = 0; i < wfp_sublayer_count; i++) {
        /* Aliases (EDGE_TRAVERSAL = TEREDO) share a GUID: one object per GUID. */
        if (sim_sublayer_find(e, &wfp_sublayer_table[i].key) != NULL)
            continue;
        wfp_sublayer0 in;
        memset(&in, 0, sizeof in);
        widen_ascii(wfp_sublayer_table[i].name, name, 128);
        in.displayData.name = name;
        in.weight = sim_builtin_sublayer_weight(&wfp_sublayer_table[i].key);
        sim_sublayer *s = build_sublayer(e, &in, &wfp_sublayer_table[i].key, NULL, SIM_LIFETIME_BUILTIN, 0,
                                         e->next_seq++);
        if (s == NULL || sim_link(e, &s->obj) != WFP_OK)
            return WFP_ERROR_NOT_ENOUGH_MEMORY;
    }
    return WFP_OK;
}
