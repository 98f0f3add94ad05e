/*
 * Content digests of filters, sublayers and providers, for change detection.
 *
 * Each object is written out in a canonical byte form (every field that says what the object
 * is; ids, effective weights and the flags the engine sets itself are left out) and hashed to
 * 128 bits.  The hash is MurmurHash3's x64 128-bit construction: well mixed and fast, but NOT
 * cryptographic.  It tells "the engine still holds what we wrote" from "something changed";
 * it is no defence against someone crafting two filters with one digest (anyone who can write
 * filters under a provider can change them outright).
 *
 * The conditions of a filter are hashed one by one and their digests sorted before they enter
 * the filter's form: WFP gives no meaning to the order of conditions, and an engine may return
 * them in another order than they were added.
 */
#include <stdlib.h>
#include <string.h>

#include "wfp/core.h"

#define FORM_FILTER 0x46475731u    /* "1WGF": version 1 of each form */
#define FORM_CONDITION 0x43475731u
#define FORM_SUBLAYER 0x53475731u
#define FORM_PROVIDER 0x50475731u
#define FORM_AGGREGATE 0x41475731u

/* ---- the hash ---- */

static uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

static uint64_t load64(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
#else
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
#endif
}

static void store64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void wfp_digest_bytes(const void *data, size_t size, uint8_t out[WFP_DIGEST_SIZE])
{
    const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
    const uint8_t *p = (const uint8_t *)data;
    const size_t blocks = size / 16;
    uint64_t h1 = 0x9e3779b97f4a7c15ULL, h2 = 0x6a09e667f3bcc908ULL; /* fixed seeds */
    uint64_t k1, k2;
    for (size_t i = 0; i < blocks; i++) {
        k1 = load64(p + 16 * i);
        k2 = load64(p + 16 * i + 8);
        k1 *= c1; k1 = rotl64(k1, 31); k1 *= c2; h1 ^= k1;
        h1 = rotl64(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729;
        k2 *= c2; k2 = rotl64(k2, 33); k2 *= c1; h2 ^= k2;
        h2 = rotl64(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5;
    }
    const uint8_t *tail = p + 16 * blocks;
    size_t rest = size & 15;
    k1 = 0;
    k2 = 0;
    for (size_t i = rest; i > 8; i--)
        k2 = (k2 << 8) | tail[i - 1];
    if (rest > 8) {
        k2 *= c2; k2 = rotl64(k2, 33); k2 *= c1; h2 ^= k2;
    }
    for (size_t i = rest < 8 ? rest : 8; i > 0; i--)
        k1 = (k1 << 8) | tail[i - 1];
    if (rest > 0) {
        k1 *= c1; k1 = rotl64(k1, 31); k1 *= c2; h1 ^= k1;
    }
    h1 ^= (uint64_t)size;
    h2 ^= (uint64_t)size;
    h1 += h2;
    h2 += h1;
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 += h2;
    h2 += h1;
    store64(out, h1);
    store64(out + 8, h2);
}

/* ---- the canonical form, written into a growing buffer ---- */

typedef struct form {
    uint8_t *data;
    size_t size;
    size_t capacity;
    int failed; /* out of memory: the form is incomplete and must not be hashed */
    uint8_t inline_space[512];
} form;

static void form_init(form *f)
{
    f->data = f->inline_space;
    f->size = 0;
    f->capacity = sizeof f->inline_space;
    f->failed = 0;
}

static void form_free(form *f)
{
    if (f->data != f->inline_space)
        free(f->data);
    form_init(f);
}

static void put(form *f, const void *bytes, size_t n)
{
    if (f->failed || n == 0)
        return;
    if (f->size + n > f->capacity) {
        size_t capacity = f->capacity;
        while (capacity < f->size + n)
            capacity *= 2;
        uint8_t *grown = f->data == f->inline_space ? malloc(capacity) : realloc(f->data, capacity);
        if (grown == NULL) {
            f->failed = 1;
            return;
        }
        if (f->data == f->inline_space)
            memcpy(grown, f->inline_space, f->size);
        f->data = grown;
        f->capacity = capacity;
    }
    memcpy(f->data + f->size, bytes, n);
    f->size += n;
}

static void put_u8(form *f, uint8_t v) { put(f, &v, 1); }

static void put_u32(form *f, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(f, b, 4);
}

static void put_u64(form *f, uint64_t v)
{
    uint8_t b[8];
    store64(b, v);
    put(f, b, 8);
}

/* A GUID as 16 bytes in its text order (uuid.UUID.bytes): sorting these sorts by key. */
void wfp_guid_to_bytes(const wfp_guid *g, uint8_t out[16])
{
    out[0] = (uint8_t)(g->Data1 >> 24);
    out[1] = (uint8_t)(g->Data1 >> 16);
    out[2] = (uint8_t)(g->Data1 >> 8);
    out[3] = (uint8_t)g->Data1;
    out[4] = (uint8_t)(g->Data2 >> 8);
    out[5] = (uint8_t)g->Data2;
    out[6] = (uint8_t)(g->Data3 >> 8);
    out[7] = (uint8_t)g->Data3;
    memcpy(out + 8, g->Data4, 8);
}

static void put_guid(form *f, const wfp_guid *g)
{
    uint8_t b[16];
    wfp_guid_to_bytes(g, b);
    put(f, b, 16);
}

static void put_optional_guid(form *f, const wfp_guid *g)
{
    put_u8(f, g != NULL);
    if (g != NULL)
        put_guid(f, g);
}

/* No string and an empty one read the same: engines keep either for the other. */
static void put_wstr(form *f, const wfp_wchar *s)
{
    size_t n = s != NULL ? wfp_wcslen(s) : 0;
    put_u64(f, n);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    put(f, s, 2 * n);
#else
    for (size_t i = 0; i < n; i++) {
        uint8_t b[2] = {(uint8_t)s[i], (uint8_t)(s[i] >> 8)};
        put(f, b, 2);
    }
#endif
}

/* Likewise no blob and an empty one. */
static void put_blob_contents(form *f, uint32_t size, const uint8_t *data)
{
    if (data == NULL)
        size = 0;
    put_u32(f, size);
    put(f, data, size);
}

static void put_blob(form *f, const wfp_byte_blob *blob)
{
    if (blob == NULL) {
        put_u8(f, 0);
        return;
    }
    put_u8(f, 1);
    put_blob_contents(f, blob->size, blob->data);
}

static void put_sid(form *f, const wfp_sid *sid)
{
    put_u8(f, sid != NULL);
    if (sid != NULL)
        put(f, sid, 8 + 4 * (size_t)sid->SubAuthorityCount);
}

static void put_pointed(form *f, const void *p, size_t n)
{
    put_u8(f, p != NULL);
    if (p != NULL)
        put(f, p, n);
}

/*
 * A value of either union (FWP_VALUE0 and FWP_CONDITION_VALUE0 share their layout up to the
 * condition-only types), its type first, then what the type says the union holds or points to.
 */
static void put_plain_value(form *f, const wfp_value0 *value);

static void put_value(form *f, uint32_t type, const wfp_condition_value0 *v)
{
    put_u32(f, type);
    switch (type) {
    case WFP_EMPTY:
        break;
    case WFP_UINT8:
        put_u8(f, v->uint8);
        break;
    case WFP_INT8:
        put_u8(f, (uint8_t)v->int8);
        break;
    case WFP_UINT16:
        put_u32(f, v->uint16);
        break;
    case WFP_INT16:
        put_u32(f, (uint16_t)v->int16);
        break;
    case WFP_UINT32:
        put_u32(f, v->uint32);
        break;
    case WFP_INT32:
        put_u32(f, (uint32_t)v->int32);
        break;
    case WFP_FLOAT: {
        uint32_t bits;
        memcpy(&bits, &v->float32, 4);
        put_u32(f, bits);
        break;
    }
    case WFP_UINT64:
    case WFP_INT64:
    case WFP_DOUBLE:
        put_u8(f, v->uint64 != NULL);
        if (v->uint64 != NULL) {
            uint64_t bits;
            memcpy(&bits, v->uint64, 8);
            put_u64(f, bits);
        }
        break;
    case WFP_BYTE_ARRAY16_TYPE:
        put_pointed(f, v->byteArray16, 16);
        break;
    case WFP_BYTE_ARRAY6_TYPE:
        put_pointed(f, v->byteArray6, 6);
        break;
    case WFP_BYTE_BLOB_TYPE:
    case WFP_SECURITY_DESCRIPTOR_TYPE:
    case WFP_TOKEN_ACCESS_INFORMATION_TYPE:
        put_blob(f, v->byteBlob);
        break;
    case WFP_SID:
        put_sid(f, v->sid);
        break;
    case WFP_UNICODE_STRING_TYPE:
        put_wstr(f, v->unicodeString);
        break;
    case WFP_TOKEN_INFORMATION_TYPE: {
        const wfp_token_information *t = v->tokenInformation;
        put_u8(f, t != NULL);
        if (t == NULL)
            break;
        put_u32(f, t->sidCount);
        for (uint32_t i = 0; t->sids != NULL && i < t->sidCount; i++) {
            put_sid(f, t->sids[i].Sid);
            put_u32(f, t->sids[i].Attributes);
        }
        put_u32(f, t->restrictedSidCount);
        for (uint32_t i = 0; t->restrictedSids != NULL && i < t->restrictedSidCount; i++) {
            put_sid(f, t->restrictedSids[i].Sid);
            put_u32(f, t->restrictedSids[i].Attributes);
        }
        break;
    }
    case WFP_V4_ADDR_MASK:
        put_u8(f, v->v4AddrMask != NULL);
        if (v->v4AddrMask != NULL) {
            put_u32(f, v->v4AddrMask->addr);
            put_u32(f, v->v4AddrMask->mask);
        }
        break;
    case WFP_V6_ADDR_MASK:
        put_u8(f, v->v6AddrMask != NULL);
        if (v->v6AddrMask != NULL) {
            put(f, v->v6AddrMask->addr, 16);
            put_u8(f, v->v6AddrMask->prefixLength);
        }
        break;
    case WFP_RANGE_TYPE:
        put_u8(f, v->rangeValue != NULL);
        if (v->rangeValue != NULL) {
            /* The ends are FWP_VALUE0s: never of a condition-only type. */
            put_plain_value(f, &v->rangeValue->valueLow);
            put_plain_value(f, &v->rangeValue->valueHigh);
        }
        break;
    default:
        break; /* a type no engine accepts: its number alone is its form */
    }
}

/* An FWP_VALUE0: never of a condition-only type. */
static void put_plain_value(form *f, const wfp_value0 *value)
{
    wfp_condition_value0 as_condition;
    memset(&as_condition, 0, sizeof as_condition);
    memcpy(&as_condition, value, sizeof *value);
    put_value(f, value->type < WFP_SINGLE_DATA_TYPE_MAX ? value->type : WFP_DATA_TYPE_MAX,
              &as_condition);
}

static uint32_t finish(form *f, uint8_t out[WFP_DIGEST_SIZE])
{
    uint32_t status = f->failed ? WFP_ERROR_NOT_ENOUGH_MEMORY : WFP_OK;
    if (status == WFP_OK)
        wfp_digest_bytes(f->data, f->size, out);
    form_free(f);
    return status;
}

static int compare_digests(const void *a, const void *b) { return memcmp(a, b, WFP_DIGEST_SIZE); }

static void sort_digests(uint8_t *digests, uint32_t n)
{
    if (n > 16) {
        qsort(digests, n, WFP_DIGEST_SIZE, compare_digests);
        return;
    }
    for (uint32_t i = 1; i < n; i++) { /* the usual handful: insertion sort, no allocation */
        uint8_t item[WFP_DIGEST_SIZE];
        uint32_t j = i;
        memcpy(item, digests + (size_t)i * WFP_DIGEST_SIZE, WFP_DIGEST_SIZE);
        while (j > 0 && memcmp(digests + (size_t)(j - 1) * WFP_DIGEST_SIZE, item, WFP_DIGEST_SIZE) > 0) {
            memcpy(digests + (size_t)j * WFP_DIGEST_SIZE, digests + (size_t)(j - 1) * WFP_DIGEST_SIZE,
                   WFP_DIGEST_SIZE);
            j--;
        }
        memcpy(digests + (size_t)j * WFP_DIGEST_SIZE, item, WFP_DIGEST_SIZE);
    }
}

static int compare_records(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(wfp_digest_record));
}

/* ---- objects ---- */

#define WFP_DIGEST_COMPARED_FILTER_FLAGS                                                   \
    (WFP_FILTER_FLAG_PERSISTENT | WFP_FILTER_FLAG_BOOTTIME | WFP_FILTER_FLAG_HAS_PROVIDER_CONTEXT \
     | WFP_FILTER_FLAG_CLEAR_ACTION_RIGHT | WFP_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED)

uint32_t wfp_filter_digest(const wfp_filter0 *filter, uint8_t out[WFP_DIGEST_SIZE])
{
    uint8_t inline_digests[16 * WFP_DIGEST_SIZE];
    uint8_t *digests = inline_digests;
    uint32_t n = filter->filterCondition != NULL ? filter->numFilterConditions : 0;
    uint32_t status = WFP_OK;
    form f;
    if (n > 16) {
        digests = malloc((size_t)n * WFP_DIGEST_SIZE);
        if (digests == NULL)
            return WFP_ERROR_NOT_ENOUGH_MEMORY;
    }
    for (uint32_t i = 0; i < n && status == WFP_OK; i++) {
        const wfp_filter_condition0 *c = &filter->filterCondition[i];
        form_init(&f);
        put_u32(&f, FORM_CONDITION);
        put_guid(&f, &c->fieldKey);
        put_u32(&f, c->matchType);
        put_value(&f, c->conditionValue.type, &c->conditionValue);
        status = finish(&f, digests + (size_t)i * WFP_DIGEST_SIZE);
    }
    if (status == WFP_OK) {
        sort_digests(digests, n);
        uint32_t flags = filter->flags & WFP_DIGEST_COMPARED_FILTER_FLAGS;
        form_init(&f);
        put_u32(&f, FORM_FILTER);
        put_guid(&f, &filter->filterKey);
        put_wstr(&f, filter->displayData.name);
        put_wstr(&f, filter->displayData.description);
        put_u32(&f, flags);
        put_optional_guid(&f, filter->providerKey);
        put_blob_contents(&f, filter->providerData.size, filter->providerData.data);
        put_guid(&f, &filter->layerKey);
        put_guid(&f, &filter->subLayerKey);
        put_plain_value(&f, &filter->weight);
        put_u32(&f, filter->action.type);
        put_guid(&f, &filter->action.filterType);
        if (flags & WFP_FILTER_FLAG_HAS_PROVIDER_CONTEXT)
            put_guid(&f, &filter->providerContextKey);
        else
            put_u64(&f, filter->rawContext);
        put_u32(&f, n);
        put(&f, digests, (size_t)n * WFP_DIGEST_SIZE);
        status = finish(&f, out);
    }
    if (digests != inline_digests)
        free(digests);
    return status;
}

uint32_t wfp_sublayer_digest(const wfp_sublayer0 *sublayer, uint8_t out[WFP_DIGEST_SIZE])
{
    form f;
    form_init(&f);
    put_u32(&f, FORM_SUBLAYER);
    put_guid(&f, &sublayer->subLayerKey);
    put_wstr(&f, sublayer->displayData.name);
    put_wstr(&f, sublayer->displayData.description);
    put_u32(&f, sublayer->flags);
    put_optional_guid(&f, sublayer->providerKey);
    put_blob_contents(&f, sublayer->providerData.size, sublayer->providerData.data);
    put_u32(&f, sublayer->weight);
    return finish(&f, out);
}

uint32_t wfp_provider_digest(const wfp_provider0 *provider, uint8_t out[WFP_DIGEST_SIZE])
{
    form f;
    form_init(&f);
    put_u32(&f, FORM_PROVIDER);
    put_guid(&f, &provider->providerKey);
    put_wstr(&f, provider->displayData.name);
    put_wstr(&f, provider->displayData.description);
    put_u32(&f, provider->flags);
    put_blob_contents(&f, provider->providerData.size, provider->providerData.data);
    put_wstr(&f, provider->serviceName);
    return finish(&f, out);
}

/* ---- a provider's objects, read from an engine ---- */

typedef struct records {
    wfp_digest_record *items;
    size_t count;
    size_t capacity;
} records;

static wfp_digest_record *records_add(records *r)
{
    if (r->count == r->capacity) {
        size_t capacity = r->capacity ? 2 * r->capacity : 256;
        wfp_digest_record *grown = realloc(r->items, capacity * sizeof *grown);
        if (grown == NULL)
            return NULL;
        r->items = grown;
        r->capacity = capacity;
    }
    return &r->items[r->count++];
}

static uint32_t read_records(const wfp_backend *backend, wfp_handle engine, wfp_enum_kind kind,
                             const void *tmpl, records *out)
{
    wfp_pager pager;
    uint32_t status = wfp_pager_open(&pager, backend, engine, kind, tmpl, 0);
    while (status == WFP_OK) {
        status = wfp_pager_next(&pager);
        if (status != WFP_OK || pager.page_count == 0)
            break;
        for (uint32_t i = 0; i < pager.page_count && status == WFP_OK; i++) {
            wfp_digest_record *record = records_add(out);
            if (record == NULL) {
                status = WFP_ERROR_NOT_ENOUGH_MEMORY;
                break;
            }
            if (kind == WFP_ENUM_FILTERS) {
                const wfp_filter0 *f = (const wfp_filter0 *)pager.page[i];
                wfp_guid_to_bytes(&f->filterKey, record->key);
                status = wfp_filter_digest(f, record->digest);
            } else {
                const wfp_sublayer0 *s = (const wfp_sublayer0 *)pager.page[i];
                wfp_guid_to_bytes(&s->subLayerKey, record->key);
                status = wfp_sublayer_digest(s, record->digest);
            }
        }
    }
    wfp_pager_close(&pager);
    return status;
}

void wfp_digest_sort_records(wfp_digest_record *records, size_t count)
{
    if (count > 1)
        qsort(records, count, sizeof(wfp_digest_record), compare_records);
}

/*
 * The records as a multiset: the sum of their digests modulo 2**128 (each digest already
 * covers its object's key).  Independent of the order the engine enumerates in, so the
 * aggregate needs no sort.
 */
static void put_records_sum(form *f, const records *r)
{
    uint64_t low = 0, high = 0;
    for (size_t i = 0; i < r->count; i++) {
        uint64_t add_low = load64(r->items[i].digest), add_high = load64(r->items[i].digest + 8);
        low += add_low;
        high += add_high + (low < add_low);
    }
    put_u64(f, r->count);
    put_u64(f, low);
    put_u64(f, high);
}

uint32_t wfp_digest_provider_objects(const wfp_backend *backend, wfp_handle engine,
                                     const wfp_guid *provider_key, wfp_digest_set *out)
{
    records filters = {NULL, 0, 0}, sublayers = {NULL, 0, 0};
    wfp_filter_enum_template0 filter_tmpl;
    wfp_sublayer_enum_template0 sublayer_tmpl;
    wfp_guid key;
    uint32_t status;
    memset(out, 0, sizeof *out);
    if (backend->filter_create_enum_handle == NULL || backend->filter_enum == NULL
        || backend->filter_destroy_enum_handle == NULL || backend->free_memory == NULL
        || (provider_key != NULL
            && (backend->sublayer_create_enum_handle == NULL || backend->sublayer_enum == NULL
                || backend->sublayer_destroy_enum_handle == NULL
                || backend->provider_get_by_key == NULL)))
        return WFPKIT_E_UNSUPPORTED;
    if (provider_key != NULL)
        key = *provider_key;

    memset(&filter_tmpl, 0, sizeof filter_tmpl);
    filter_tmpl.providerKey = provider_key != NULL ? &key : NULL;
    filter_tmpl.enumType = WFP_FILTER_ENUM_OVERLAPPING;
    filter_tmpl.flags = WFP_FILTER_ENUM_FLAG_INCLUDE_BOOTTIME | WFP_FILTER_ENUM_FLAG_INCLUDE_DISABLED;
    filter_tmpl.actionMask = 0xFFFFFFFFu;
    status = read_records(backend, engine, WFP_ENUM_FILTERS, &filter_tmpl, &filters);

    if (status == WFP_OK && provider_key != NULL) {
        sublayer_tmpl.providerKey = &key;
        status = read_records(backend, engine, WFP_ENUM_SUBLAYERS, &sublayer_tmpl, &sublayers);
    }
    if (status == WFP_OK && provider_key != NULL) {
        wfp_provider0 *provider = NULL;
        uint32_t found = backend->provider_get_by_key(engine, &key, &provider);
        if (found == WFP_OK && provider != NULL) {
            out->has_provider = 1;
            status = wfp_provider_digest(provider, out->provider);
        } else if (found != WFP_E_PROVIDER_NOT_FOUND) {
            status = found;
        }
        if (provider != NULL)
            backend->free_memory((void **)&provider);
    }
    if (status == WFP_OK) {
        form f;
        form_init(&f);
        put_u32(&f, FORM_AGGREGATE);
        put_u8(&f, (uint8_t)out->has_provider);
        put(&f, out->provider, WFP_DIGEST_SIZE);
        put_records_sum(&f, &sublayers);
        put_records_sum(&f, &filters);
        status = finish(&f, out->aggregate);
    }
    if (status != WFP_OK) {
        free(filters.items);
        free(sublayers.items);
        memset(out, 0, sizeof *out);
        return status;
    }
    out->filters = filters.items;
    out->filter_count = filters.count;
    out->sublayers = sublayers.items;
    out->sublayer_count = sublayers.count;
    return WFP_OK;
}

void wfp_digest_set_free(wfp_digest_set *set)
{
    free(set->filters);
    free(set->sublayers);
    memset(set, 0, sizeof *set);
}
