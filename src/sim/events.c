/*
 * Net events: what classify records (a Block always when asked, a Permit when asked) and their
 * enumeration through the backend table, shaped as FWPM_NET_EVENT0.
 *
 * The log is a ring of the newest events; an enumeration handle takes a copy of the events its
 * template selects when it is created, so later classifies do not disturb its pages.  Each page
 * is one allocation (pointer array, events, payloads) so free_memory releases it with one free.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify_internal.h"

#define DEFAULT_CAPACITY 16384u
#define FILETIME_UNIX_EPOCH 116444736000000000ull /* 1970-01-01 in 100 ns units since 1601 */

typedef struct sim_event {
    uint64_t time;
    uint64_t filter_id;
    uint32_t type;
    uint32_t flags; /* WFP_NET_EVENT_FLAG_* */
    uint32_t ip_version;
    uint16_t layer_id;
    uint8_t protocol;
    uint8_t reserved;
    uint8_t local[16];
    uint8_t remote[16];
    uint16_t local_port;
    uint16_t remote_port;
    uint32_t app_id_len;
    uint32_t user_len;
    uint8_t *app_id;
    uint8_t *user; /* a SID */
} sim_event;

typedef struct sim_event_log sim_event_log;
typedef struct sim_event_snapshot sim_event_snapshot;

struct sim_event_log {
    sim_event *ring;
    size_t capacity;
    size_t next;  /* where the next event goes */
    size_t count;
    uint64_t last_time;
};

struct sim_event_snapshot {
    sim_event *events;
    size_t count;
};

/* ============================================================================================
 * Time
 * ============================================================================================ */

static uint64_t filetime_now(void)
{
#ifdef TIME_UTC
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) == TIME_UTC)
        return FILETIME_UNIX_EPOCH + (uint64_t)ts.tv_sec * 10000000ull + (uint64_t)ts.tv_nsec / 100u;
#endif
    return FILETIME_UNIX_EPOCH + (uint64_t)time(NULL) * 10000000ull;
}

/* ============================================================================================
 * The log
 * ============================================================================================ */

static void event_clear(sim_event *ev)
{
    free(ev->app_id);
    free(ev->user);
    memset(ev, 0, sizeof *ev);
}

static sim_event_log *log_of(sim_engine *e, int create)
{
    if (e->events == NULL && create) {
        sim_event_log *log = calloc(1, sizeof *log);
        if (log == NULL)
            return NULL;
        log->capacity = DEFAULT_CAPACITY;
        e->events = log;
    }
    return e->events;
}

static void log_drop_all(sim_event_log *log)
{
    if (log->ring != NULL)
        for (size_t i = 0; i < log->capacity; i++)
            event_clear(&log->ring[i]);
    free(log->ring);
    log->ring = NULL;
    log->next = log->count = 0;
}

void sim_events_free(sim_engine *e)
{
    if (e->events == NULL)
        return;
    log_drop_all(e->events);
    free(e->events);
    e->events = NULL;
}

uint32_t wfp_sim_events_set_capacity(wfp_sim_engine *e, size_t capacity)
{
    if (e == NULL)
        return WFP_E_NULL_POINTER;
    if (capacity == 0 || capacity > ((size_t)1 << 26))
        return WFP_E_INVALID_PARAMETER;
    sim_mutex_lock(e->mutex);
    sim_event_log *log = log_of(e, 1);
    uint32_t status = WFP_ERROR_NOT_ENOUGH_MEMORY;
    if (log != NULL) {
        log_drop_all(log);
        log->capacity = capacity;
        status = WFP_OK;
    }
    sim_mutex_unlock(e->mutex);
    return status;
}

void wfp_sim_events_clear(wfp_sim_engine *e)
{
    if (e == NULL)
        return;
    sim_mutex_lock(e->mutex);
    if (e->events != NULL)
        log_drop_all(e->events);
    sim_mutex_unlock(e->mutex);
}

static void *copy_bytes(const void *src, size_t len)
{
    if (len == 0)
        return NULL;
    void *p = malloc(len);
    if (p != NULL)
        memcpy(p, src, len);
    return p;
}

static const sim_input *input_named(const wfp_layer_info *layer, const sim_input *inputs, const char *name)
{
    for (uint32_t i = 0; i < layer->num_fields; i++)
        if (strcmp(layer->fields[i].name, name) == 0)
            return inputs[i].type != WFP_EMPTY ? &inputs[i] : NULL;
    return NULL;
}

static void put_address(sim_event *ev, const sim_input *v, uint8_t out[16], uint32_t flag)
{
    if (v == NULL)
        return;
    if (v->type == WFP_UINT32) {
        uint32_t a = (uint32_t)v->bits;
        memcpy(out, &a, 4); /* read back as the header's UINT32 member: host order */
    } else if (v->type == WFP_BYTE_ARRAY16_TYPE) {
        memcpy(out, v->data, 16);
    } else {
        return;
    }
    ev->flags |= flag;
}

void sim_events_record(sim_engine *e, uint32_t type, uint64_t filter_id, const wfp_layer_info *layer,
                       const sim_input *inputs)
{
    sim_event_log *log = log_of(e, 1);
    if (log == NULL)
        return;
    if (log->ring == NULL) {
        log->ring = calloc(log->capacity, sizeof *log->ring);
        if (log->ring == NULL)
            return; /* events are best effort, as on Windows */
    }
    sim_event *ev = &log->ring[log->next];
    event_clear(ev);
    log->next = (log->next + 1) % log->capacity;
    if (log->count < log->capacity)
        log->count++;

    uint64_t now = filetime_now();
    if (now <= log->last_time)
        now = log->last_time + 1; /* strictly increasing: enumeration windows never split a tie */
    log->last_time = now;
    ev->time = now;
    ev->type = type;
    ev->filter_id = filter_id;
    ev->layer_id = layer->layer_id;

    const sim_input *v;
    if ((v = input_named(layer, inputs, "IP_LOCAL_ADDRESS")) != NULL ||
        (v = input_named(layer, inputs, "IP_REMOTE_ADDRESS")) != NULL || layer->is_ale) {
        ev->ip_version = layer->is_v6 ? WFP_IP_VERSION_V6 : WFP_IP_VERSION_V4;
        ev->flags |= WFP_NET_EVENT_FLAG_IP_VERSION_SET;
    } else {
        ev->ip_version = WFP_IP_VERSION_NONE;
    }
    if ((v = input_named(layer, inputs, "IP_PROTOCOL")) != NULL) {
        ev->protocol = (uint8_t)v->bits;
        ev->flags |= WFP_NET_EVENT_FLAG_IP_PROTOCOL_SET;
    }
    put_address(ev, input_named(layer, inputs, "IP_LOCAL_ADDRESS"), ev->local, WFP_NET_EVENT_FLAG_LOCAL_ADDR_SET);
    put_address(ev, input_named(layer, inputs, "IP_REMOTE_ADDRESS"), ev->remote, WFP_NET_EVENT_FLAG_REMOTE_ADDR_SET);
    if ((v = input_named(layer, inputs, "IP_LOCAL_PORT")) != NULL) {
        ev->local_port = (uint16_t)v->bits;
        ev->flags |= WFP_NET_EVENT_FLAG_LOCAL_PORT_SET;
    }
    if ((v = input_named(layer, inputs, "IP_REMOTE_PORT")) != NULL) {
        ev->remote_port = (uint16_t)v->bits;
        ev->flags |= WFP_NET_EVENT_FLAG_REMOTE_PORT_SET;
    }
    if ((v = input_named(layer, inputs, "ALE_APP_ID")) != NULL && v->len > 0) {
        ev->app_id = copy_bytes(v->data, v->len);
        if (ev->app_id != NULL) {
            ev->app_id_len = v->len;
            ev->flags |= WFP_NET_EVENT_FLAG_APP_ID_SET;
        }
    }
    if ((v = input_named(layer, inputs, "ALE_USER_ID")) != NULL && v->type == WFP_TOKEN_INFORMATION_TYPE &&
        v->token->sidCount > 0) {
        const wfp_sid *sid = v->token->sids[0].Sid;
        size_t len = 8u + 4u * (size_t)sid->SubAuthorityCount;
        ev->user = copy_bytes(sid, len);
        if (ev->user != NULL) {
            ev->user_len = (uint32_t)len;
            ev->flags |= WFP_NET_EVENT_FLAG_USER_ID_SET;
        }
    }
}

/* ============================================================================================
 * Enumeration templates
 * ============================================================================================ */

enum { EV_PROTOCOL = 1, EV_LOCAL_ADDRESS, EV_REMOTE_ADDRESS, EV_LOCAL_PORT, EV_REMOTE_PORT, EV_APP_ID };

static int event_field(const wfp_guid *key)
{
    static const struct {
        const char *name;
        int field;
    } names[] = {
        {"IP_PROTOCOL", EV_PROTOCOL},       {"IP_LOCAL_ADDRESS", EV_LOCAL_ADDRESS},
        {"IP_REMOTE_ADDRESS", EV_REMOTE_ADDRESS}, {"IP_LOCAL_PORT", EV_LOCAL_PORT},
        {"IP_REMOTE_PORT", EV_REMOTE_PORT}, {"ALE_APP_ID", EV_APP_ID},
    };
    const wfp_named_guid *named = wfp_named_guid_find(wfp_condition_table, wfp_condition_count, key);
    if (named == NULL)
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(named->name, names[i].name) == 0)
            return names[i].field;
    return 0;
}

/* An unsigned scalar of a template value, 0 if it is not one of the expected type. */
static int scalar_of(const wfp_value0 *v, uint32_t type, uint64_t *out)
{
    if (v->type != type)
        return 0;
    switch (type) {
    case WFP_UINT8:
        *out = v->uint8;
        return 1;
    case WFP_UINT16:
        *out = v->uint16;
        return 1;
    case WFP_UINT32:
        *out = v->uint32;
        return 1;
    default:
        return 0;
    }
}

static int compare_scalar(uint32_t match, uint64_t v, uint64_t c)
{
    switch (match) {
    case WFP_MATCH_EQUAL:
        return v == c;
    case WFP_MATCH_NOT_EQUAL:
        return v != c;
    case WFP_MATCH_GREATER:
        return v > c;
    case WFP_MATCH_LESS:
        return v < c;
    case WFP_MATCH_GREATER_OR_EQUAL:
        return v >= c;
    case WFP_MATCH_LESS_OR_EQUAL:
        return v <= c;
    default:
        return 0;
    }
}

static int scalar_condition(const wfp_filter_condition0 *c, uint32_t type, uint64_t v)
{
    const wfp_condition_value0 *cv = &c->conditionValue;
    if (cv->type == WFP_RANGE_TYPE) {
        uint64_t low, high;
        return c->matchType == WFP_MATCH_RANGE && scalar_of(&cv->rangeValue->valueLow, type, &low) &&
               scalar_of(&cv->rangeValue->valueHigh, type, &high) && low <= v && v <= high;
    }
    wfp_value0 plain;
    memset(&plain, 0, sizeof plain);
    plain.type = cv->type;
    memcpy(&plain.uint64, &cv->uint64, sizeof(void *));
    uint64_t value;
    return scalar_of(&plain, type, &value) && compare_scalar(c->matchType, v, value);
}

static int address_condition(const wfp_filter_condition0 *c, const sim_event *ev, const uint8_t addr[16])
{
    const wfp_condition_value0 *cv = &c->conditionValue;
    if (ev->ip_version == WFP_IP_VERSION_V4) {
        uint32_t a;
        memcpy(&a, addr, 4);
        if (cv->type == WFP_V4_ADDR_MASK)
            return c->matchType == WFP_MATCH_EQUAL && (a & cv->v4AddrMask->mask) == (cv->v4AddrMask->addr & cv->v4AddrMask->mask);
        return scalar_condition(c, WFP_UINT32, a);
    }
    if (ev->ip_version != WFP_IP_VERSION_V6)
        return 0;
    if (cv->type == WFP_BYTE_ARRAY16_TYPE)
        return c->matchType == WFP_MATCH_EQUAL && memcmp(addr, cv->byteArray16->byteArray16, 16) == 0;
    if (cv->type == WFP_V6_ADDR_MASK && c->matchType == WFP_MATCH_EQUAL) {
        uint32_t prefix = cv->v6AddrMask->prefixLength > 128 ? 128 : cv->v6AddrMask->prefixLength;
        uint32_t whole = prefix / 8, rest = prefix % 8;
        if (whole > 0 && memcmp(addr, cv->v6AddrMask->addr, whole) != 0)
            return 0;
        uint8_t mask = (uint8_t)(0xFFu << (8 - rest));
        return rest == 0 || (addr[whole] & mask) == (cv->v6AddrMask->addr[whole] & mask);
    }
    return 0;
}

static int condition_holds(const wfp_filter_condition0 *c, int field, const sim_event *ev)
{
    switch (field) {
    case EV_PROTOCOL:
        return (ev->flags & WFP_NET_EVENT_FLAG_IP_PROTOCOL_SET) && scalar_condition(c, WFP_UINT8, ev->protocol);
    case EV_LOCAL_PORT:
        return (ev->flags & WFP_NET_EVENT_FLAG_LOCAL_PORT_SET) && scalar_condition(c, WFP_UINT16, ev->local_port);
    case EV_REMOTE_PORT:
        return (ev->flags & WFP_NET_EVENT_FLAG_REMOTE_PORT_SET) && scalar_condition(c, WFP_UINT16, ev->remote_port);
    case EV_LOCAL_ADDRESS:
        return (ev->flags & WFP_NET_EVENT_FLAG_LOCAL_ADDR_SET) && address_condition(c, ev, ev->local);
    case EV_REMOTE_ADDRESS:
        return (ev->flags & WFP_NET_EVENT_FLAG_REMOTE_ADDR_SET) && address_condition(c, ev, ev->remote);
    case EV_APP_ID: {
        const wfp_condition_value0 *cv = &c->conditionValue;
        return (ev->flags & WFP_NET_EVENT_FLAG_APP_ID_SET) && cv->type == WFP_BYTE_BLOB_TYPE &&
               c->matchType == WFP_MATCH_EQUAL && cv->byteBlob->size == ev->app_id_len &&
               memcmp(cv->byteBlob->data, ev->app_id, ev->app_id_len) == 0;
    }
    default:
        return 0;
    }
}

/* Same field ORed, different fields ANDed, as in filters. */
static int template_selects(const wfp_net_event_enum_template0 *t, const int *fields, const sim_event *ev)
{
    if (ev->time < ((uint64_t)t->startTime.dwHighDateTime << 32 | t->startTime.dwLowDateTime))
        return 0;
    uint64_t end = (uint64_t)t->endTime.dwHighDateTime << 32 | t->endTime.dwLowDateTime;
    if (end != 0 && ev->time > end) /* an end of 0 means "no end" [I] */
        return 0;
    unsigned present = 0, satisfied = 0;
    for (uint32_t i = 0; i < t->numFilterConditions; i++) {
        unsigned bit = 1u << fields[i];
        present |= bit;
        if (!(satisfied & bit) && condition_holds(&t->filterCondition[i], fields[i], ev))
            satisfied |= bit;
    }
    return present == satisfied;
}

static int copy_event(sim_event *dst, const sim_event *src)
{
    *dst = *src;
    dst->app_id = copy_bytes(src->app_id, src->app_id_len);
    dst->user = copy_bytes(src->user, src->user_len);
    return (src->app_id_len == 0 || dst->app_id != NULL) && (src->user_len == 0 || dst->user != NULL);
}

static void snapshot_free(sim_event_snapshot *snap)
{
    if (snap == NULL)
        return;
    for (size_t i = 0; i < snap->count; i++) {
        free(snap->events[i].app_id);
        free(snap->events[i].user);
    }
    free(snap->events);
    free(snap);
}

void sim_events_snapshot_free(sim_enum *en)
{
    snapshot_free(en->events);
    en->events = NULL;
}

uint32_t sim_events_snapshot(sim_engine *e, const wfp_net_event_enum_template0 *tmpl, sim_enum *en)
{
    en->count = en->pos = 0;
    int fields[64];
    if (tmpl != NULL) {
        if (tmpl->numFilterConditions > 0 && tmpl->filterCondition == NULL)
            return WFP_E_NULL_POINTER;
        if (tmpl->numFilterConditions > sizeof fields / sizeof fields[0])
            return WFP_E_INVALID_PARAMETER;
        for (uint32_t i = 0; i < tmpl->numFilterConditions; i++) {
            if ((fields[i] = event_field(&tmpl->filterCondition[i].fieldKey)) == 0)
                return WFP_E_CONDITION_NOT_FOUND;
            if (tmpl->filterCondition[i].conditionValue.type != WFP_UINT8 &&
                tmpl->filterCondition[i].conditionValue.type != WFP_UINT16 &&
                tmpl->filterCondition[i].conditionValue.type != WFP_UINT32 &&
                tmpl->filterCondition[i].conditionValue.uint64 == NULL)
                return WFP_E_NULL_POINTER;
        }
    }
    sim_event_snapshot *snap = calloc(1, sizeof *snap);
    if (snap == NULL)
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    const sim_event_log *log = e->events;
    size_t available = log != NULL && log->ring != NULL ? log->count : 0;
    if (available > 0) {
        snap->events = calloc(available, sizeof *snap->events);
        if (snap->events == NULL) {
            free(snap);
            return WFP_ERROR_NOT_ENOUGH_MEMORY;
        }
    }
    size_t oldest = available > 0 ? (log->next + log->capacity - available) % log->capacity : 0;
    for (size_t i = 0; i < available; i++) {
        const sim_event *ev = &log->ring[(oldest + i) % log->capacity];
        if (tmpl != NULL && !template_selects(tmpl, fields, ev))
            continue;
        if (!copy_event(&snap->events[snap->count++], ev)) {
            snapshot_free(snap);
            return WFP_ERROR_NOT_ENOUGH_MEMORY;
        }
    }
    en->events = snap;
    en->count = snap->count;
    return WFP_OK;
}

/* ============================================================================================
 * Pages: FWPM_NET_EVENT0 in one allocation
 * ============================================================================================ */

static size_t round8(size_t n) { return (n + 7u) & ~(size_t)7u; }

uint32_t sim_events_page(sim_enum *en, size_t n, void ***out)
{
    const sim_event_snapshot *snap = en->events;
    const sim_event *first = snap->events + en->pos;
    size_t size = round8(n * sizeof(void *)) + n * (round8(sizeof(wfp_net_event0)) +
                                                    round8(sizeof(wfp_net_event_classify_drop0)));
    for (size_t i = 0; i < n; i++)
        size += round8(first[i].app_id_len) + round8(first[i].user_len);
    uint8_t *block = calloc(1, size);
    if (block == NULL)
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    void **pointers = (void **)(void *)block;
    size_t off = round8(n * sizeof(void *));
    for (size_t i = 0; i < n; i++) {
        const sim_event *ev = &first[i];
        wfp_net_event0 *out_ev = (wfp_net_event0 *)(void *)(block + off);
        off += round8(sizeof *out_ev);
        wfp_net_event_classify_drop0 *drop = (wfp_net_event_classify_drop0 *)(void *)(block + off);
        off += round8(sizeof *drop);
        pointers[i] = out_ev;
        wfp_net_event_header0 *h = &out_ev->header;
        h->timeStamp.dwLowDateTime = (uint32_t)ev->time;
        h->timeStamp.dwHighDateTime = (uint32_t)(ev->time >> 32);
        h->flags = ev->flags;
        h->ipVersion = ev->ip_version;
        h->ipProtocol = ev->protocol;
        if (ev->ip_version == WFP_IP_VERSION_V6) {
            memcpy(h->localAddrV6.byteArray16, ev->local, 16);
            memcpy(h->remoteAddrV6.byteArray16, ev->remote, 16);
        } else {
            memcpy(&h->localAddrV4, ev->local, 4);
            memcpy(&h->remoteAddrV4, ev->remote, 4);
        }
        h->localPort = ev->local_port;
        h->remotePort = ev->remote_port;
        if (ev->app_id_len > 0) {
            h->appId.data = block + off;
            h->appId.size = ev->app_id_len;
            memcpy(block + off, ev->app_id, ev->app_id_len);
            off += round8(ev->app_id_len);
        }
        if (ev->user_len > 0) {
            h->userId = (wfp_sid *)(void *)(block + off);
            memcpy(block + off, ev->user, ev->user_len);
            off += round8(ev->user_len);
        }
        out_ev->type = ev->type;
        /* FWPM_NET_EVENT_CLASSIFY_ALLOW0 begins with the same filterId and layerId. */
        drop->filterId = ev->filter_id;
        drop->layerId = ev->layer_id;
        out_ev->classifyDrop = drop;
    }
    *out = pointers;
    return WFP_OK;
}
