/*
 * The state file: static and persistent objects of an engine, as a BFE that stays up between
 * processes would keep them.  Dynamic objects never reach it.
 *
 * Format 2 (all integers little-endian):
 *   header (48 bytes): magic "WFPKSIM1", u32 version (2), u32 header size (48), u64 generation,
 *                      u64 payload size, u64 payload checksum, u64 checksum of the 40 bytes before
 *   payload: u64 next filter id, u64 next sequence number,
 *            u32 count + provider records, u32 count + sublayer records, u32 count + filter records
 * Every header byte is covered by a checksum, so no single damaged byte goes unnoticed; the
 * header checksum also identifies the content (two saves of different states differ in it).
 * Format 1 (a 40-byte header without its own checksum, FNV-1a-64 of the payload) still loads;
 * saves always write format 2.  A short, oversized or mis-summed file is WFPKIT_E_STATE_CORRUPT;
 * another magic or version is WFPKIT_E_STATE_VERSION.  Neither is ever replaced by an empty engine.
 *
 * Backup: every save first turns the file it replaces, when that file is intact, into
 * <path>.bak (platform.c: link, rename, flush, then the new file's rename), so after a save the
 * backup holds the state before it and at no moment are both files unusable.  A damaged state
 * file is left alone; wfp_sim_state_inspect reports whether the backup is good and
 * wfp_sim_engine_recover puts it back.
 *
 * Writers replace the file atomically while holding an exclusive lock on <path>.lock from the
 * start of a write transaction to its end.  Under that lock a writer first compares the file's
 * header checksum with the one it last saw and reloads when another process wrote since, so no
 * process overwrites another's changes.  The lock file also carries the next filter id and
 * sequence number, so ids stay unique across processes even for dynamic filters, which are never
 * saved, and even after a recovery brings back an older file.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"


#define STATE_MAGIC "WFPKSIM1"
#define STATE_MAGIC_SIZE 8u
#define STATE_VERSION 2u
#define HEADER_SIZE 48u
#define HEADER_V1_SIZE 40u /* also the part of a format 2 header its own checksum covers */
#define LOCK_POLL_MAX_MS 20u
#define RECOVER_LOCK_WAIT_MS 15000u /* as long as a session waits for a transaction by default */

/* ============================================================================================
 * Byte buffers
 * ============================================================================================ */

typedef struct writer {
    uint8_t *data;
    size_t len;
    size_t cap;
    int failed;
} writer;

static void put(writer *w, const void *src, size_t n)
{
    if (w->failed)
        return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n)
            cap *= 2;
        uint8_t *data = realloc(w->data, cap);
        if (data == NULL) {
            w->failed = 1;
            return;
        }
        w->data = data;
        w->cap = cap;
    }
    if (n > 0)
        memcpy(w->data + w->len, src, n);
    w->len += n;
}

static void put_u8(writer *w, uint8_t x) { put(w, &x, 1); }

static void put_u16(writer *w, uint16_t x)
{
    uint8_t b[2] = {(uint8_t)x, (uint8_t)(x >> 8)};
    put(w, b, 2);
}

static void put_u32(writer *w, uint32_t x)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(x >> (8 * i));
    put(w, b, 4);
}

static void put_u64(writer *w, uint64_t x)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(x >> (8 * i));
    put(w, b, 8);
}

static void put_guid(writer *w, const wfp_guid *g)
{
    put_u32(w, g->Data1);
    put_u16(w, g->Data2);
    put_u16(w, g->Data3);
    put(w, g->Data4, 8);
}

#define NO_STRING 0xffffffffu

static void put_wstr(writer *w, const wfp_wchar *s)
{
    if (s == NULL) {
        put_u32(w, NO_STRING);
        return;
    }
    size_t n = wfp_wcslen(s);
    put_u32(w, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        put_u16(w, s[i]);
}

static void put_blob(writer *w, const uint8_t *data, uint32_t size)
{
    put_u32(w, size);
    put(w, data, size);
}

typedef struct reader {
    const uint8_t *data;
    size_t len;
    size_t pos;
    int failed;
} reader;

static const uint8_t *get(reader *r, size_t n)
{
    if (r->failed || r->len - r->pos < n) {
        r->failed = 1;
        return NULL;
    }
    const uint8_t *p = r->data + r->pos;
    r->pos += n;
    return p;
}

static uint64_t get_le(reader *r, size_t n)
{
    const uint8_t *p = get(r, n);
    uint64_t x = 0;
    for (size_t i = 0; p != NULL && i < n; i++)
        x |= (uint64_t)p[i] << (8 * i);
    return x;
}

static uint8_t get_u8(reader *r) { return (uint8_t)get_le(r, 1); }
static uint16_t get_u16(reader *r) { return (uint16_t)get_le(r, 2); }
static uint32_t get_u32(reader *r) { return (uint32_t)get_le(r, 4); }
static uint64_t get_u64(reader *r) { return get_le(r, 8); }

static void get_guid(reader *r, wfp_guid *g)
{
    g->Data1 = get_u32(r);
    g->Data2 = get_u16(r);
    g->Data3 = get_u16(r);
    const uint8_t *p = get(r, 8);
    if (p != NULL)
        memcpy(g->Data4, p, 8);
}

static void *arena_alloc(reader *r, wfp_arena *arena, size_t n)
{
    void *p = wfp_arena_alloc(arena, n ? n : 1);
    if (p == NULL)
        r->failed = 1;
    return p;
}

static wfp_wchar *get_wstr(reader *r, wfp_arena *arena)
{
    uint32_t n = get_u32(r);
    if (n == NO_STRING || r->failed)
        return NULL;
    if (n > (r->len - r->pos) / 2) {
        r->failed = 1;
        return NULL;
    }
    wfp_wchar *s = arena_alloc(r, arena, ((size_t)n + 1) * sizeof *s);
    for (uint32_t i = 0; s != NULL && i < n; i++)
        s[i] = get_u16(r);
    if (s != NULL)
        s[n] = 0;
    return s;
}

static void get_blob(reader *r, wfp_arena *arena, wfp_byte_blob *b)
{
    b->size = get_u32(r);
    const uint8_t *p = get(r, b->size);
    b->data = NULL;
    if (p != NULL && b->size > 0) {
        b->data = arena_alloc(r, arena, b->size);
        if (b->data != NULL)
            memcpy(b->data, p, b->size);
    }
}

/* ============================================================================================
 * Checksums
 * ============================================================================================ */

/* Format 1's payload checksum. */
static uint64_t fnv1a64_update(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

#define FNV1A64_START 0xcbf29ce484222325ull

/*
 * Format 2's checksum: four 64-bit lanes fed 32-byte blocks.  Each step (xor a word, multiply by
 * an odd constant, xor-shift) is a bijection of its lane, and the lanes are folded the same way,
 * so a change within any one 8-byte word always changes the sum.  It runs several times faster
 * than byte-wise FNV-1a, which matters because every save also re-reads the file it backs up.
 * Words are read little-endian on every host.
 */
typedef struct state_sum {
    uint64_t lane[4];
    uint8_t block[32];
    size_t pending; /* bytes waiting in block */
    uint64_t total;
} state_sum;

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x |= (uint64_t)p[i] << (8 * i);
    return x;
}

static uint64_t sum_step(uint64_t lane, uint64_t word)
{
    lane = (lane ^ word) * 0x9e3779b97f4a7c15ull;
    return lane ^ (lane >> 29);
}

static void sum_init(state_sum *s)
{
    s->lane[0] = 0x243f6a8885a308d3ull;
    s->lane[1] = 0x13198a2e03707344ull;
    s->lane[2] = 0xa4093822299f31d0ull;
    s->lane[3] = 0x082efa98ec4e6c89ull;
    s->pending = 0;
    s->total = 0;
}

static void sum_block(state_sum *s, const uint8_t *p)
{
    for (int k = 0; k < 4; k++)
        s->lane[k] = sum_step(s->lane[k], load_le64(p + 8 * k));
}

static void sum_update(state_sum *s, const uint8_t *p, size_t n)
{
    s->total += n;
    if (s->pending > 0) {
        size_t take = n < 32 - s->pending ? n : 32 - s->pending;
        memcpy(s->block + s->pending, p, take);
        s->pending += take;
        p += take;
        n -= take;
        if (s->pending < 32)
            return;
        sum_block(s, s->block);
        s->pending = 0;
    }
    for (; n >= 32; p += 32, n -= 32)
        sum_block(s, p);
    if (n > 0) {
        memcpy(s->block, p, n);
        s->pending = n;
    }
}

static uint64_t sum_final(state_sum *s)
{
    if (s->pending > 0) {
        memset(s->block + s->pending, 0, 32 - s->pending);
        sum_block(s, s->block); /* the length below tells padding from data */
    }
    uint64_t h = s->total;
    for (int k = 0; k < 4; k++)
        h = sum_step(h, s->lane[k]);
    return h;
}

static uint64_t state_checksum(const uint8_t *p, size_t n)
{
    state_sum s;
    sum_init(&s);
    sum_update(&s, p, n);
    return sum_final(&s);
}

/* ============================================================================================
 * Values
 * ============================================================================================ */

static void put_value(writer *w, const sim_filter *f, uint32_t type, uint64_t bits)
{
    put_u32(w, type);
    if (sim_type_is_inline(type)) {
        put_u64(w, bits);
        return;
    }
    uint32_t len;
    const uint8_t *payload = sim_payload(f, bits, &len);
    if (type == WFP_RANGE_TYPE) {
        sim_value ends[2];
        memcpy(ends, payload, sizeof ends);
        put_value(w, f, ends[0].type, ends[0].bits);
        put_value(w, f, ends[1].type, ends[1].bits);
        return;
    }
    put_blob(w, payload, len); /* token information keeps the engine's position-free encoding */
}

static wfp_sid *copy_sid(reader *r, wfp_arena *arena, const uint8_t *p, uint32_t len)
{
    if (len < 8 || len != 8u + 4u * p[1]) {
        r->failed = 1;
        return NULL;
    }
    wfp_sid *sid = arena_alloc(r, arena, len < sizeof(wfp_sid) ? sizeof(wfp_sid) : len);
    if (sid != NULL)
        memcpy(sid, p, len);
    return sid;
}

static wfp_token_information *decode_token(reader *r, wfp_arena *arena, const uint8_t *p, uint32_t len)
{
    reader t = {p, len, 0, 0};
    wfp_token_information *token = arena_alloc(r, arena, sizeof *token);
    if (token == NULL)
        return NULL;
    token->sidCount = get_u32(&t);
    token->restrictedSidCount = get_u32(&t);
    for (int pass = 0; pass < 2 && !t.failed; pass++) {
        uint32_t n = pass == 0 ? token->sidCount : token->restrictedSidCount;
        if (n > len / 16) {
            t.failed = 1;
            break;
        }
        wfp_sid_and_attributes *list = n > 0 ? arena_alloc(r, arena, n * sizeof *list) : NULL;
        for (uint32_t i = 0; i < n && list != NULL && !t.failed; i++) {
            list[i].Attributes = get_u32(&t);
            uint32_t sid_len = get_u32(&t);
            const uint8_t *sid = get(&t, sid_len);
            list[i].Sid = sid != NULL ? copy_sid(r, arena, sid, sid_len) : NULL;
        }
        if (pass == 0)
            token->sids = list;
        else
            token->restrictedSids = list;
    }
    if (t.failed || t.pos != len)
        r->failed = 1;
    return token;
}

static void get_value(reader *r, wfp_arena *arena, wfp_condition_value0 *v, int depth)
{
    memset(v, 0, sizeof *v);
    v->type = get_u32(r);
    if (r->failed)
        return;
    if (sim_type_is_inline(v->type)) {
        uint64_t bits = get_u64(r);
        switch (v->type) {
        case WFP_UINT8:
            v->uint8 = (uint8_t)bits;
            break;
        case WFP_UINT16:
            v->uint16 = (uint16_t)bits;
            break;
        case WFP_UINT32:
            v->uint32 = (uint32_t)bits;
            break;
        case WFP_INT8:
            v->int8 = (int8_t)(int64_t)bits;
            break;
        case WFP_INT16:
            v->int16 = (int16_t)(int64_t)bits;
            break;
        case WFP_INT32:
            v->int32 = (int32_t)(int64_t)bits;
            break;
        case WFP_FLOAT: {
            uint32_t word = (uint32_t)bits;
            memcpy(&v->float32, &word, 4);
            break;
        }
        case WFP_UINT64:
        case WFP_INT64:
        case WFP_DOUBLE:
            v->uint64 = arena_alloc(r, arena, 8);
            if (v->uint64 != NULL)
                memcpy(v->uint64, &bits, 8);
            break;
        case WFP_V4_ADDR_MASK:
            v->v4AddrMask = arena_alloc(r, arena, sizeof *v->v4AddrMask);
            if (v->v4AddrMask != NULL) {
                v->v4AddrMask->addr = (uint32_t)(bits >> 32);
                v->v4AddrMask->mask = (uint32_t)bits;
            }
            break;
        default:
            break;
        }
        return;
    }
    if (v->type == WFP_RANGE_TYPE) {
        if (depth > 0) {
            r->failed = 1;
            return;
        }
        v->rangeValue = arena_alloc(r, arena, sizeof *v->rangeValue);
        if (v->rangeValue == NULL)
            return;
        wfp_condition_value0 low, high;
        get_value(r, arena, &low, depth + 1);
        get_value(r, arena, &high, depth + 1);
        memcpy(&v->rangeValue->valueLow, &low, sizeof v->rangeValue->valueLow);
        memcpy(&v->rangeValue->valueHigh, &high, sizeof v->rangeValue->valueHigh);
        return;
    }
    uint32_t len = get_u32(r);
    const uint8_t *p = get(r, len);
    if (p == NULL)
        return;
    size_t fixed = v->type == WFP_BYTE_ARRAY16_TYPE ? 16 : v->type == WFP_BYTE_ARRAY6_TYPE ? 6
                   : v->type == WFP_V6_ADDR_MASK     ? 17 : 0;
    if (fixed != 0 && len != fixed) {
        r->failed = 1;
        return;
    }
    switch (v->type) {
    case WFP_BYTE_BLOB_TYPE:
    case WFP_SECURITY_DESCRIPTOR_TYPE:
    case WFP_TOKEN_ACCESS_INFORMATION_TYPE: {
        wfp_byte_blob *b = arena_alloc(r, arena, sizeof *b);
        uint8_t *data = arena_alloc(r, arena, len);
        if (b != NULL && data != NULL) {
            memcpy(data, p, len);
            b->size = len;
            b->data = data;
        }
        v->byteBlob = b;
        break;
    }
    case WFP_UNICODE_STRING_TYPE: {
        if (len < 2 || len % 2 != 0 || p[len - 1] != 0 || p[len - 2] != 0) {
            r->failed = 1;
            return;
        }
        wfp_wchar *s = arena_alloc(r, arena, len);
        for (uint32_t i = 0; s != NULL && i < len / 2; i++)
            s[i] = (wfp_wchar)(p[2 * i] | (p[2 * i + 1] << 8));
        v->unicodeString = s;
        break;
    }
    case WFP_SID:
        v->sid = copy_sid(r, arena, p, len);
        break;
    case WFP_TOKEN_INFORMATION_TYPE:
        v->tokenInformation = decode_token(r, arena, p, len);
        break;
    default: {
        if (fixed == 0) {
            r->failed = 1;
            return;
        }
        void *copy = arena_alloc(r, arena, fixed);
        if (copy != NULL)
            memcpy(copy, p, fixed);
        v->byteArray16 = copy; /* BYTE_ARRAY16 / BYTE_ARRAY6 / V6_ADDR_MASK share the slot */
        break;
    }
    }
}

/* ============================================================================================
 * Records
 * ============================================================================================ */

typedef struct loaded_provider {
    wfp_provider0 p;
    uint8_t lifetime;
    uint64_t seq;
} loaded_provider;

typedef struct loaded_sublayer {
    wfp_sublayer0 s;
    uint8_t lifetime;
    uint64_t seq;
} loaded_sublayer;

typedef struct loaded_filter {
    wfp_filter0 f;
    uint8_t lifetime;
} loaded_filter;

typedef struct staged_state {
    wfp_arena arena;
    uint64_t generation;
    uint64_t stamp;
    uint64_t next_filter_id;
    uint64_t next_seq;
    uint32_t num_providers, num_sublayers, num_filters;
    loaded_provider *providers;
    loaded_sublayer *sublayers;
    loaded_filter *filters;
} staged_state;

static int durable(const sim_object *o)
{
    return o->linked && (o->lifetime == SIM_LIFETIME_PERSISTENT || o->lifetime == SIM_LIFETIME_STATIC);
}

static void write_provider(writer *w, const sim_provider *p)
{
    put_u8(w, p->obj.lifetime);
    put_guid(w, &p->key);
    put_u64(w, p->seq);
    put_u32(w, p->flags);
    put_wstr(w, p->name);
    put_wstr(w, p->description);
    put_wstr(w, p->service_name);
    put_blob(w, p->data, p->data_size);
}

static void write_sublayer(writer *w, const sim_sublayer *s)
{
    put_u8(w, s->obj.lifetime);
    put_guid(w, &s->key);
    put_u64(w, s->seq);
    put_u32(w, s->flags);
    put_u16(w, s->weight);
    put_u8(w, s->provider != NULL);
    put_guid(w, s->provider != NULL ? &s->provider->key : &WFP_GUID_NULL);
    put_wstr(w, s->name);
    put_wstr(w, s->description);
    put_blob(w, s->data, s->data_size);
}

static void write_filter(writer *w, const sim_filter *f)
{
    const wfp_layer_info *layer = &wfp_layer_table[f->layer];
    put_u8(w, f->obj.lifetime);
    put_guid(w, &f->key);
    put_u64(w, f->id);
    put_u32(w, f->flags);
    put_guid(w, &layer->key);
    put_guid(w, &f->sublayer->key);
    put_u8(w, f->provider != NULL);
    put_guid(w, f->provider != NULL ? &f->provider->key : &WFP_GUID_NULL);
    put_u8(w, f->weight_type);
    put_u64(w, f->weight_type == WFP_UINT8 ? f->effective_weight >> WFP_AUTO_WEIGHT_BITS : f->effective_weight);
    put_u32(w, f->action_type);
    put_guid(w, sim_filter_action_key(f));
    uint8_t context[16];
    sim_filter_context(f, context);
    put(w, context, sizeof context);
    put_wstr(w, sim_filter_name(f));
    put_wstr(w, sim_filter_description(f));
    uint32_t data_size;
    const uint8_t *data = sim_filter_data(f, &data_size);
    put_blob(w, data, data_size);
    put_u32(w, f->num_conditions);
    for (uint32_t i = 0; i < f->num_conditions; i++) {
        const sim_cond *c = &f->conditions[i];
        put_guid(w, &layer->fields[c->field].key);
        put_u32(w, c->match);
        put_value(w, f, c->type, c->bits);
    }
}

static int read_provider(reader *r, wfp_arena *arena, loaded_provider *out)
{
    memset(out, 0, sizeof *out);
    out->lifetime = get_u8(r);
    get_guid(r, &out->p.providerKey);
    out->seq = get_u64(r);
    out->p.flags = get_u32(r);
    out->p.displayData.name = get_wstr(r, arena);
    out->p.displayData.description = get_wstr(r, arena);
    out->p.serviceName = get_wstr(r, arena);
    get_blob(r, arena, &out->p.providerData);
    return !r->failed;
}

static int read_sublayer(reader *r, wfp_arena *arena, loaded_sublayer *out)
{
    memset(out, 0, sizeof *out);
    out->lifetime = get_u8(r);
    get_guid(r, &out->s.subLayerKey);
    out->seq = get_u64(r);
    out->s.flags = get_u32(r);
    out->s.weight = get_u16(r);
    uint8_t has_provider = get_u8(r);
    wfp_guid provider;
    get_guid(r, &provider);
    if (has_provider) {
        out->s.providerKey = arena_alloc(r, arena, sizeof provider);
        if (out->s.providerKey != NULL)
            *out->s.providerKey = provider;
    }
    out->s.displayData.name = get_wstr(r, arena);
    out->s.displayData.description = get_wstr(r, arena);
    get_blob(r, arena, &out->s.providerData);
    return !r->failed;
}

static int read_filter(reader *r, wfp_arena *arena, loaded_filter *out)
{
    memset(out, 0, sizeof *out);
    wfp_filter0 *f = &out->f;
    out->lifetime = get_u8(r);
    get_guid(r, &f->filterKey);
    f->filterId = get_u64(r);
    f->flags = get_u32(r);
    get_guid(r, &f->layerKey);
    get_guid(r, &f->subLayerKey);
    uint8_t has_provider = get_u8(r);
    wfp_guid provider;
    get_guid(r, &provider);
    if (has_provider) {
        f->providerKey = arena_alloc(r, arena, sizeof provider);
        if (f->providerKey != NULL)
            *f->providerKey = provider;
    }
    f->weight.type = get_u8(r);
    uint64_t weight = get_u64(r);
    if (f->weight.type == WFP_UINT8) {
        f->weight.uint8 = (uint8_t)weight;
    } else if (f->weight.type == WFP_UINT64) {
        f->weight.uint64 = arena_alloc(r, arena, 8);
        if (f->weight.uint64 != NULL)
            *f->weight.uint64 = weight;
    }
    f->action.type = get_u32(r);
    get_guid(r, &f->action.filterType);
    const uint8_t *context = get(r, 16);
    if (context != NULL)
        memcpy(&f->providerContextKey, context, 16);
    f->displayData.name = get_wstr(r, arena);
    f->displayData.description = get_wstr(r, arena);
    get_blob(r, arena, &f->providerData);
    f->numFilterConditions = get_u32(r);
    if (r->failed || f->numFilterConditions > (r->len - r->pos) / 24) {
        r->failed = 1;
        return 0;
    }
    f->filterCondition = f->numFilterConditions > 0
                             ? arena_alloc(r, arena, f->numFilterConditions * sizeof *f->filterCondition)
                             : NULL;
    for (uint32_t i = 0; i < f->numFilterConditions && !r->failed; i++) {
        wfp_filter_condition0 *c = &f->filterCondition[i];
        get_guid(r, &c->fieldKey);
        c->matchType = get_u32(r);
        get_value(r, arena, &c->conditionValue, 0);
    }
    return !r->failed;
}

static void *stage_array(reader *r, wfp_arena *arena, uint32_t count, size_t elem, size_t min_record)
{
    if (count > (r->len - r->pos) / min_record) {
        r->failed = 1;
        return NULL;
    }
    return count > 0 ? arena_alloc(r, arena, count * elem) : NULL;
}

/* ============================================================================================
 * Checking files
 * ============================================================================================ */

typedef struct state_header {
    uint32_t version;
    uint32_t size;         /* of the header */
    uint64_t generation;
    uint64_t payload_size;
    uint64_t payload_sum;
    uint64_t stamp;        /* the checksum of the header's first 40 bytes: names the content */
} state_header;

/*
 * What the first len bytes of a file say (the whole file, or at least its first HEADER_SIZE
 * bytes).  WFP_OK; WFPKIT_E_STATE_VERSION for another magic (somebody else's file) or a version
 * this engine does not know; WFPKIT_E_STATE_CORRUPT for anything short or damaged.
 */
static uint32_t parse_header(const uint8_t *data, size_t len, state_header *h)
{
    memset(h, 0, sizeof *h);
    if (len == 0)
        return WFPKIT_E_STATE_CORRUPT;
    if (memcmp(data, STATE_MAGIC, len < STATE_MAGIC_SIZE ? len : STATE_MAGIC_SIZE) != 0)
        return WFPKIT_E_STATE_VERSION;
    if (len < STATE_MAGIC_SIZE + 8)
        return WFPKIT_E_STATE_CORRUPT;
    reader r = {data, len, STATE_MAGIC_SIZE, 0};
    h->version = get_u32(&r);
    h->size = get_u32(&r);
    uint32_t size = h->version == STATE_VERSION ? HEADER_SIZE : h->version == 1 ? HEADER_V1_SIZE : 0;
    if (size == 0)
        return WFPKIT_E_STATE_VERSION;
    if (h->size != size || len < size)
        return WFPKIT_E_STATE_CORRUPT;
    h->generation = get_u64(&r);
    h->payload_size = get_u64(&r);
    h->payload_sum = get_u64(&r);
    h->stamp = state_checksum(data, HEADER_V1_SIZE);
    if (h->version == STATE_VERSION && get_u64(&r) != h->stamp)
        return WFPKIT_E_STATE_CORRUPT;
    return WFP_OK;
}

static uint64_t payload_checksum(uint32_t version, const uint8_t *p, size_t n)
{
    return version == 1 ? fnv1a64_update(FNV1A64_START, p, n) : state_checksum(p, n);
}

/* Header and payload checksum of a whole file in memory. */
static uint32_t check_bytes(const uint8_t *data, size_t len, state_header *h)
{
    uint32_t status = parse_header(data, len, h);
    if (status != WFP_OK)
        return status;
    if (h->payload_size != len - h->size || payload_checksum(h->version, data + h->size, len - h->size) != h->payload_sum)
        return WFPKIT_E_STATE_CORRUPT;
    return WFP_OK;
}

/* The same check for a file on disk, read in chunks so that no copy of it is held. */
typedef struct file_check {
    uint8_t head[HEADER_SIZE];
    size_t head_len;
    uint32_t status; /* of the header, once head_len == HEADER_SIZE or the file ended */
    state_header header;
    uint64_t payload_len;
    uint64_t fnv;
    state_sum sum;
} file_check;

static void check_payload(file_check *c, const uint8_t *p, size_t n)
{
    c->payload_len += n;
    if (c->header.version == 1)
        c->fnv = fnv1a64_update(c->fnv, p, n);
    else
        sum_update(&c->sum, p, n);
}

static void check_head(file_check *c)
{
    c->status = parse_header(c->head, c->head_len, &c->header);
    c->fnv = FNV1A64_START;
    sum_init(&c->sum);
    if (c->status == WFP_OK && c->head_len > c->header.size) /* format 1: payload starts at 40 */
        check_payload(c, c->head + c->header.size, c->head_len - c->header.size);
}

static int check_chunk(void *arg, const uint8_t *p, size_t n)
{
    file_check *c = arg;
    if (c->head_len < HEADER_SIZE) {
        size_t take = n < HEADER_SIZE - c->head_len ? n : HEADER_SIZE - c->head_len;
        memcpy(c->head + c->head_len, p, take);
        c->head_len += take;
        p += take;
        n -= take;
        if (c->head_len < HEADER_SIZE)
            return 0;
        check_head(c);
    }
    if (c->status != WFP_OK)
        return 1; /* nothing after a bad header matters */
    check_payload(c, p, n);
    return 0;
}

/* WFP_OK when the file at path is whole and undamaged; WFP_ERROR_FILE_NOT_FOUND, the status of
   a damaged or foreign file, or WFPKIT_E_STATE_IO otherwise. */
static uint32_t check_file(const char *path)
{
    file_check c;
    memset(&c, 0, sizeof c);
    uint32_t status = sim_file_scan(path, check_chunk, &c);
    if (status != WFP_OK)
        return status;
    if (c.head_len < HEADER_SIZE)
        check_head(&c); /* a file shorter than a format 2 header */
    if (c.status != WFP_OK)
        return c.status;
    uint64_t sum = c.header.version == 1 ? c.fnv : sum_final(&c.sum);
    return c.payload_len == c.header.payload_size && sum == c.header.payload_sum ? WFP_OK
                                                                                  : WFPKIT_E_STATE_CORRUPT;
}

/* Checks a whole file in memory and reads its records into `staged`. */
static uint32_t stage_bytes(const uint8_t *data, size_t len, staged_state *staged)
{
    state_header h;
    uint32_t status = check_bytes(data, len, &h);
    if (status != WFP_OK)
        return status;
    staged->generation = h.generation;
    staged->stamp = h.stamp;
    reader r = {data + h.size, len - h.size, 0, 0};
    staged->next_filter_id = get_u64(&r);
    staged->next_seq = get_u64(&r);
    staged->num_providers = get_u32(&r);
    staged->providers = stage_array(&r, &staged->arena, staged->num_providers, sizeof *staged->providers, 33);
    for (uint32_t i = 0; i < staged->num_providers && !r.failed; i++)
        read_provider(&r, &staged->arena, &staged->providers[i]);
    staged->num_sublayers = get_u32(&r);
    staged->sublayers = stage_array(&r, &staged->arena, staged->num_sublayers, sizeof *staged->sublayers, 52);
    for (uint32_t i = 0; i < staged->num_sublayers && !r.failed; i++)
        read_sublayer(&r, &staged->arena, &staged->sublayers[i]);
    staged->num_filters = get_u32(&r);
    staged->filters = stage_array(&r, &staged->arena, staged->num_filters, sizeof *staged->filters, 100);
    for (uint32_t i = 0; i < staged->num_filters && !r.failed; i++)
        read_filter(&r, &staged->arena, &staged->filters[i]);
    return r.failed || r.pos != r.len ? WFPKIT_E_STATE_CORRUPT : WFP_OK;
}

/* Reads and checks the whole file into `staged` (nothing in the engine changes).  A missing
   file is WFP_OK with *missing set; staged->arena needs freeing either way.  With kept not NULL,
   the bytes of a file that checks out stay in *kept (malloc'd) for the caller. */
static uint32_t stage_file(const char *path, staged_state *staged, int *missing, uint8_t **kept, size_t *kept_len)
{
    memset(staged, 0, sizeof *staged);
    wfp_arena_init(&staged->arena, 1 << 16);
    *missing = 0;
    uint8_t *data;
    size_t len;
    uint32_t status = sim_file_read(path, &data, &len);
    if (status == WFP_ERROR_FILE_NOT_FOUND) {
        *missing = 1;
        return WFP_OK;
    }
    if (status != WFP_OK)
        return WFPKIT_E_STATE_IO;
    status = stage_bytes(data, len, staged);
    if (status == WFP_OK && kept != NULL) {
        *kept = data;
        *kept_len = len;
    } else {
        free(data);
    }
    return status;
}

/* ============================================================================================
 * Loading into the engine
 * ============================================================================================ */

static int lifetime_storable(uint8_t lifetime)
{
    return lifetime == SIM_LIFETIME_PERSISTENT || lifetime == SIM_LIFETIME_STATIC;
}

static int by_id(const void *pa, const void *pb)
{
    const sim_filter *a = *(sim_filter *const *)pa, *b = *(sim_filter *const *)pb;
    return a->id == b->id ? 0 : (a->id < b->id ? -1 : 1);
}

typedef struct object_list {
    sim_object **items;
    size_t count;
    size_t cap;
} object_list;

static int list_push(object_list *l, sim_object *o)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        sim_object **items = realloc(l->items, cap * sizeof *items);
        if (items == NULL)
            return -1;
        l->items = items;
        l->cap = cap;
    }
    l->items[l->count++] = o;
    return 0;
}

/* Points a dynamic object's reference at the freshly loaded object with the same key. */
static int retarget_provider(sim_engine *e, sim_provider **slot)
{
    sim_provider *old = *slot;
    if (old == NULL || old->obj.lifetime == SIM_LIFETIME_BUILTIN)
        return 1;
    if (old->obj.lifetime == SIM_LIFETIME_DYNAMIC)
        return old->obj.linked;
    sim_provider *now = sim_provider_find(e, &old->key);
    if (now == NULL)
        return 0;
    sim_object_ref(&now->obj);
    *slot = now;
    sim_object_unref(e, &old->obj);
    return 1;
}

static int retarget_sublayer(sim_engine *e, sim_sublayer **slot)
{
    sim_sublayer *old = *slot;
    if (old->obj.lifetime == SIM_LIFETIME_BUILTIN)
        return 1;
    if (old->obj.lifetime == SIM_LIFETIME_DYNAMIC)
        return old->obj.linked;
    sim_sublayer *now = sim_sublayer_find(e, &old->key);
    if (now == NULL)
        return 0;
    sim_object_ref(&now->obj);
    *slot = now;
    sim_object_unref(e, &old->obj);
    return 1;
}

static int not_builtin(const sim_object *o, void *arg)
{
    (void)arg;
    return o->lifetime != SIM_LIFETIME_BUILTIN;
}

/*
 * Replaces the engine's static and persistent objects with the staged ones.  Dynamic objects
 * survive; one whose static or persistent referent vanished, or whose key now belongs to a loaded
 * object, is deleted with it [I].
 */
static uint32_t apply_staged(sim_engine *e, staged_state *staged)
{
    object_list dynamic = {NULL, 0, 0};
    object_list filters = {NULL, 0, 0};
    uint32_t status = WFP_OK;

    /* 1. Detach dynamic objects, keeping them alive. */
    sim_filter *f;
    for (uint64_t id = 0; (f = sim_filter_next_by_id(e, &id, -1)) != NULL && status == WFP_OK; id++) {
        if (f->obj.lifetime == SIM_LIFETIME_DYNAMIC && list_push(&dynamic, &f->obj) != 0)
            status = WFP_ERROR_NOT_ENOUGH_MEMORY;
        if (id == UINT64_MAX)
            break;
    }
    for (int pass = 0; pass < 2; pass++) {
        const sim_map *map = pass == 0 ? &e->sublayers_by_key : &e->providers_by_key;
        for (size_t i = 0; map->slots != NULL && i <= map->mask; i++) {
            sim_object *o = map->slots[i];
            if (o != NULL && o->lifetime == SIM_LIFETIME_DYNAMIC && list_push(&dynamic, o) != 0)
                status = WFP_ERROR_NOT_ENOUGH_MEMORY;
        }
    }
    if (status != WFP_OK) {
        free(dynamic.items);
        return status;
    }
    /* Newest-first order of the list is filters, sublayers, providers: unlink in that order. */
    for (size_t i = 0; i < dynamic.count; i++)
        sim_unlink(e, dynamic.items[i]); /* the index reference now belongs to the list */

    /* 2. Drop every static and persistent object. */
    sim_drop_objects(e, not_builtin, NULL);

    /* 3. Load the staged objects. */
    sim_add_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.engine = e;
    ctx.loading = 1;
    for (uint32_t i = 0; i < staged->num_providers && status == WFP_OK; i++) {
        loaded_provider *lp = &staged->providers[i];
        sim_provider *p;
        ctx.lifetime = lp->lifetime;
        ctx.forced_seq = lp->seq;
        status = lifetime_storable(lp->lifetime) ? sim_provider_create(&ctx, &lp->p, &p) : WFPKIT_E_STATE_CORRUPT;
        if (status == WFP_OK && (status = sim_link(e, &p->obj)) != WFP_OK)
            sim_object_unref(e, &p->obj);
    }
    for (uint32_t i = 0; i < staged->num_sublayers && status == WFP_OK; i++) {
        loaded_sublayer *ls = &staged->sublayers[i];
        sim_sublayer *s;
        ctx.lifetime = ls->lifetime;
        ctx.forced_seq = ls->seq;
        status = lifetime_storable(ls->lifetime) ? sim_sublayer_create(&ctx, &ls->s, &s) : WFPKIT_E_STATE_CORRUPT;
        if (status == WFP_OK && (status = sim_link(e, &s->obj)) != WFP_OK)
            sim_object_unref(e, &s->obj);
    }
    ctx.forced_seq = 0;
    for (uint32_t i = 0; i < staged->num_filters && status == WFP_OK; i++) {
        loaded_filter *lf = &staged->filters[i];
        sim_filter *f;
        ctx.lifetime = lf->lifetime;
        ctx.forced_id = lf->f.filterId;
        status = lifetime_storable(lf->lifetime) && lf->f.filterId != 0 ? sim_filter_create(&ctx, &lf->f, &f)
                                                                        : WFPKIT_E_STATE_CORRUPT;
        if (status == WFP_OK && list_push(&filters, &f->obj) != 0) {
            sim_object_unref(e, &f->obj);
            status = WFP_ERROR_NOT_ENOUGH_MEMORY;
        }
    }
    if (status != WFP_OK && status != WFP_ERROR_NOT_ENOUGH_MEMORY)
        status = WFPKIT_E_STATE_CORRUPT; /* the checksum held but the content does not validate */

    /* 4. Re-attach the dynamic objects, providers first. */
    for (int kind = SIM_KIND_PROVIDER; kind <= SIM_KIND_FILTER; kind++) {
        for (size_t i = dynamic.count; i-- > 0;) {
            sim_object *o = dynamic.items[i];
            if (o == NULL || o->kind != kind)
                continue;
            int keep = status == WFP_OK;
            if (kind == SIM_KIND_PROVIDER) {
                keep = keep && sim_provider_find(e, &((sim_provider *)o)->key) == NULL;
            } else if (kind == SIM_KIND_SUBLAYER) {
                sim_sublayer *s = (sim_sublayer *)o;
                keep = keep && sim_sublayer_find(e, &s->key) == NULL && retarget_provider(e, &s->provider);
            } else {
                sim_filter *f = (sim_filter *)o;
                keep = keep && retarget_sublayer(e, &f->sublayer) && retarget_provider(e, &f->provider);
            }
            if (keep && kind == SIM_KIND_FILTER) {
                keep = list_push(&filters, o) == 0;
            } else if (keep) {
                keep = sim_link(e, o) == WFP_OK;
            }
            if (!keep)
                sim_object_unref(e, o);
            dynamic.items[i] = NULL;
        }
    }
    free(dynamic.items);

    /* 5. Link every filter, in id order (the order the id index fills fastest). */
    if (filters.count > 1)
        qsort(filters.items, filters.count, sizeof *filters.items, by_id);
    for (size_t i = 0; i < filters.count; i++) {
        sim_filter *f = (sim_filter *)filters.items[i];
        int clash = status != WFP_OK || sim_filter_find_key(e, &f->key) != NULL ||
                    sim_filter_find_id(e, f->id) != NULL;
        if (clash || sim_link(e, &f->obj) != WFP_OK)
            sim_object_unref(e, &f->obj);
    }
    free(filters.items);
    if (staged->next_filter_id > e->next_filter_id)
        e->next_filter_id = staged->next_filter_id;
    if (staged->next_seq > e->next_seq)
        e->next_seq = staged->next_seq;
    return status;
}

static uint32_t reload(sim_engine *e)
{
    staged_state staged;
    int missing;
    uint32_t status = stage_file(e->persist.path, &staged, &missing, NULL, NULL);
    if (status == WFP_OK) {
        status = apply_staged(e, &staged);
        e->persist.generation = missing ? 0 : staged.generation;
        e->persist.stamp = missing ? 0 : staged.stamp;
        e->persist.loaded = !missing;
    }
    wfp_arena_free(&staged.arena);
    return status;
}

/* The stamp of the file's header as it is now: WFP_OK, WFP_ERROR_FILE_NOT_FOUND, or an error for
   an unreadable, damaged or foreign header (reload then says which). */
static uint32_t file_stamp(const char *path, uint64_t *stamp)
{
    uint8_t head[HEADER_SIZE];
    size_t got;
    *stamp = 0;
    uint32_t status = sim_file_read_prefix(path, head, sizeof head, &got);
    if (status != WFP_OK)
        return status;
    state_header h;
    status = parse_header(head, got, &h);
    *stamp = h.stamp;
    return status;
}

/* A file that vanished is not an empty state [I]: the engine keeps what it has and the next
   save writes the file again. */
static uint32_t refresh_if_changed(sim_engine *e)
{
    uint64_t stamp;
    uint32_t status = file_stamp(e->persist.path, &stamp);
    if (status == WFP_ERROR_FILE_NOT_FOUND || (status == WFP_OK && e->persist.loaded && stamp == e->persist.stamp))
        return WFP_OK;
    return reload(e);
}

/* ============================================================================================
 * Saving
 * ============================================================================================ */

static int by_object_seq(const void *pa, const void *pb)
{
    const sim_object *a = *(sim_object *const *)pa, *b = *(sim_object *const *)pb;
    uint64_t sa = a->kind == SIM_KIND_PROVIDER ? ((const sim_provider *)a)->seq : ((const sim_sublayer *)a)->seq;
    uint64_t sb = b->kind == SIM_KIND_PROVIDER ? ((const sim_provider *)b)->seq : ((const sim_sublayer *)b)->seq;
    return sa == sb ? 0 : (sa < sb ? -1 : 1);
}

static uint32_t save(sim_engine *e)
{
    writer w = {NULL, 0, 0, 0};
    object_list list = {NULL, 0, 0};
    uint8_t header[HEADER_SIZE];
    memset(header, 0, sizeof header);
    put(&w, header, sizeof header);
    put_u64(&w, e->next_filter_id);
    put_u64(&w, e->next_seq);
    for (int pass = 0; pass < 2; pass++) {
        const sim_map *map = pass == 0 ? &e->providers_by_key : &e->sublayers_by_key;
        list.count = 0;
        for (size_t i = 0; map->slots != NULL && i <= map->mask; i++)
            if (map->slots[i] != NULL && durable(map->slots[i]) && list_push(&list, map->slots[i]) != 0)
                w.failed = 1;
        if (list.count > 1)
            qsort(list.items, list.count, sizeof *list.items, by_object_seq);
        put_u32(&w, (uint32_t)list.count);
        for (size_t i = 0; i < list.count; i++) {
            if (pass == 0)
                write_provider(&w, (const sim_provider *)list.items[i]);
            else
                write_sublayer(&w, (const sim_sublayer *)list.items[i]);
        }
    }
    list.count = 0;
    sim_filter *f; /* walked in id order: the file lists filters by id */
    for (uint64_t id = 0; (f = sim_filter_next_by_id(e, &id, -1)) != NULL; id++) {
        if (durable(&f->obj) && list_push(&list, &f->obj) != 0)
            w.failed = 1;
        if (id == UINT64_MAX)
            break;
    }
    put_u32(&w, (uint32_t)list.count);
    for (size_t i = 0; i < list.count; i++)
        write_filter(&w, (const sim_filter *)list.items[i]);
    free(list.items);
    if (w.failed) {
        free(w.data);
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    }
    uint64_t generation = e->persist.generation + 1;
    writer h = {NULL, 0, 0, 0};
    put(&h, STATE_MAGIC, STATE_MAGIC_SIZE);
    put_u32(&h, STATE_VERSION);
    put_u32(&h, HEADER_SIZE);
    put_u64(&h, generation);
    put_u64(&h, w.len - HEADER_SIZE);
    put_u64(&h, state_checksum(w.data + HEADER_SIZE, w.len - HEADER_SIZE));
    uint64_t stamp = h.failed ? 0 : state_checksum(h.data, HEADER_V1_SIZE);
    put_u64(&h, stamp);
    uint32_t status = h.failed ? WFP_ERROR_NOT_ENOUGH_MEMORY : WFP_OK;
    if (status == WFP_OK) {
        memcpy(w.data, h.data, HEADER_SIZE);
        /* Only an intact file becomes the backup: a damaged one must not push out the good
           backup it may be needed to recover from. */
        const char *backup = check_file(e->persist.path) == WFP_OK ? e->persist.backup_path : NULL;
        status = sim_file_replace(e->persist.path, w.data, w.len, backup);
    }
    free(h.data);
    free(w.data);
    if (status == WFP_OK) {
        e->persist.generation = generation;
        e->persist.stamp = stamp;
        e->persist.loaded = 1;
    }
    return status;
}

/* ============================================================================================
 * The inter-process lock and the engine hooks
 * ============================================================================================ */

/* The lock file's shared data: next filter id and next sequence number. */
static void merge_counters(sim_engine *e)
{
    uint8_t buf[16];
    if (sim_file_lock_read(e->persist.lock, buf, sizeof buf) != sizeof buf)
        return;
    reader r = {buf, sizeof buf, 0, 0};
    uint64_t next_id = get_u64(&r), next_seq = get_u64(&r);
    if (next_id > e->next_filter_id)
        e->next_filter_id = next_id;
    if (next_seq > e->next_seq)
        e->next_seq = next_seq;
}

static void publish_counters(sim_engine *e)
{
    writer w = {NULL, 0, 0, 0};
    put_u64(&w, e->next_filter_id);
    put_u64(&w, e->next_seq);
    if (!w.failed)
        sim_file_lock_write(e->persist.lock, w.data, w.len);
    free(w.data);
}

/* "<path><suffix>", malloc'd. */
static char *path_with(const char *path, const char *suffix)
{
    size_t n = strlen(path), m = strlen(suffix);
    char *out = malloc(n + m + 1);
    if (out != NULL) {
        memcpy(out, path, n);
        memcpy(out + n, suffix, m + 1);
    }
    return out;
}

uint32_t sim_persist_open(sim_engine *e, const char *path)
{
    e->persist.path = path_with(path, "");
    e->persist.lock_path = path_with(path, ".lock");
    e->persist.backup_path = path_with(path, ".bak");
    if (e->persist.path == NULL || e->persist.lock_path == NULL || e->persist.backup_path == NULL)
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    uint32_t status = sim_file_lock_open(e->persist.lock_path, &e->persist.lock);
    if (status != WFP_OK)
        return status;
    status = reload(e);
    if (status == WFP_OK)
        merge_counters(e);
    return status;
}

void sim_persist_close(sim_engine *e)
{
    if (e->persist.lock != NULL) {
        if (e->persist.lock_held)
            sim_file_lock_release(e->persist.lock);
        sim_file_lock_close(e->persist.lock);
    }
    free(e->persist.path);
    free(e->persist.lock_path);
    free(e->persist.backup_path);
    memset(&e->persist, 0, sizeof e->persist);
}

uint32_t sim_persist_begin_write(sim_engine *e, uint64_t deadline_ms, int unlock_while_waiting)
{
    uint32_t pause = 1;
    for (;;) {
        int got = sim_file_lock_try(e->persist.lock);
        if (got > 0)
            break;
        if (got < 0)
            return WFPKIT_E_STATE_IO;
        if (sim_monotonic_ms() >= deadline_ms)
            return WFP_E_TIMEOUT;
        /* Another process is in a write transaction: poll with a growing pause. */
        if (unlock_while_waiting)
            sim_mutex_unlock(e->mutex);
        sim_sleep_ms(pause);
        if (unlock_while_waiting)
            sim_mutex_lock(e->mutex);
        if (pause < LOCK_POLL_MAX_MS)
            pause *= 2;
    }
    e->persist.lock_held = 1;
    uint32_t status = refresh_if_changed(e);
    if (status != WFP_OK) {
        sim_file_lock_release(e->persist.lock);
        e->persist.lock_held = 0;
        return status;
    }
    merge_counters(e);
    return WFP_OK;
}

uint32_t sim_persist_end_write(sim_engine *e, int save_now)
{
    if (!e->persist.lock_held)
        return WFP_OK;
    uint32_t status = save_now ? save(e) : WFP_OK;
    publish_counters(e);
    sim_file_lock_release(e->persist.lock);
    e->persist.lock_held = 0;
    return status;
}

uint32_t sim_persist_refresh(sim_engine *e) { return refresh_if_changed(e); }

/* ============================================================================================
 * Inspection and recovery (no engine needed)
 * ============================================================================================ */

/* WFP_OK, WFP_ERROR_FILE_NOT_FOUND, or why the file does not load; its generation when it does.
   With kept non-NULL, the bytes of a file that loads stay in *kept (malloc'd). */
static uint32_t examine(const char *path, uint64_t *generation, uint8_t **kept, size_t *kept_len)
{
    staged_state staged;
    int missing;
    uint32_t status = stage_file(path, &staged, &missing, kept, kept_len);
    *generation = status == WFP_OK && !missing ? staged.generation : 0;
    wfp_arena_free(&staged.arena);
    return status == WFP_OK && missing ? WFP_ERROR_FILE_NOT_FOUND : status;
}

uint32_t wfp_sim_state_inspect(const char *state_path, wfp_sim_state_info *info)
{
    if (state_path == NULL || info == NULL)
        return WFP_E_NULL_POINTER;
    memset(info, 0, sizeof *info);
    char *backup = path_with(state_path, ".bak");
    if (backup == NULL)
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    info->status = examine(state_path, &info->generation, NULL, NULL);
    info->backup_status = examine(backup, &info->backup_generation, NULL, NULL);
    free(backup);
    return WFP_OK;
}

static uint32_t recover_locked(const char *state_path, const char *backup)
{
    uint64_t generation;
    uint32_t status = examine(state_path, &generation, NULL, NULL);
    if (status == WFP_OK)
        return WFP_OK; /* nothing to recover (another process may have done it) */
    if (status != WFPKIT_E_STATE_CORRUPT && status != WFP_ERROR_FILE_NOT_FOUND)
        return status; /* a foreign or newer file is not ours to replace; I/O errors stay */
    uint8_t *data = NULL;
    size_t len = 0;
    status = examine(backup, &generation, &data, &len);
    if (status == WFP_OK)
        status = sim_file_replace(state_path, data, len, NULL);
    free(data);
    return status;
}

uint32_t wfp_sim_engine_recover(const char *state_path)
{
    if (state_path == NULL)
        return WFP_E_NULL_POINTER;
    char *lock_path = path_with(state_path, ".lock");
    char *backup = path_with(state_path, ".bak");
    sim_file_lock *lock = NULL;
    uint32_t status = lock_path != NULL && backup != NULL ? sim_file_lock_open(lock_path, &lock)
                                                          : WFP_ERROR_NOT_ENOUGH_MEMORY;
    if (status == WFP_OK) {
        /* Writers replace the file under this lock; waiting for it keeps a recovery from
           undoing a save that is under way. */
        uint64_t deadline = sim_monotonic_ms() + RECOVER_LOCK_WAIT_MS;
        uint32_t pause = 1;
        int got;
        while ((got = sim_file_lock_try(lock)) == 0 && sim_monotonic_ms() < deadline) {
            sim_sleep_ms(pause);
            if (pause < LOCK_POLL_MAX_MS)
                pause *= 2;
        }
        status = got > 0 ? recover_locked(state_path, backup) : got == 0 ? WFPKIT_E_STATE_LOCKED
                                                                          : WFPKIT_E_STATE_IO;
        if (got > 0)
            sim_file_lock_release(lock);
        sim_file_lock_close(lock);
    }
    free(lock_path);
    free(backup);
    return status;
}
