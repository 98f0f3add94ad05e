/*
 * Results handed to callers: every get and every enumeration page is ONE zeroed allocation
 * (pointer array, structs and all nested data) that free_memory releases, as FwpmFreeMemory0
 * does.  Each builder runs twice: once to measure (base == NULL), once to fill.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

typedef struct out_buf {
    uint8_t *base; /* NULL while measuring */
    size_t used;
} out_buf;

static void *take(out_buf *o, size_t size, size_t align)
{
    o->used = (o->used + align - 1) & ~(align - 1);
    void *p = o->base != NULL ? o->base + o->used : NULL;
    o->used += size;
    return p;
}

static void *copy_in(out_buf *o, const void *src, size_t len, size_t align)
{
    if (src == NULL)
        return NULL;
    void *p = take(o, len, align);
    if (p != NULL && len > 0)
        memcpy(p, src, len);
    return p;
}

static wfp_wchar *copy_wstr(out_buf *o, const wfp_wchar *s)
{
    if (s == NULL)
        return NULL;
    return copy_in(o, s, (wfp_wcslen(s) + 1) * sizeof(wfp_wchar), _Alignof(wfp_wchar));
}

static wfp_guid *copy_guid(out_buf *o, const wfp_guid *g)
{
    return copy_in(o, g, sizeof *g, _Alignof(wfp_guid));
}

static void put_blob(out_buf *o, wfp_byte_blob *dst, const uint8_t *data, uint32_t size)
{
    dst->size = size;
    dst->data = size > 0 ? copy_in(o, data, size, 1) : NULL;
}

static wfp_byte_blob *new_blob(out_buf *o, const uint8_t *data, uint32_t size)
{
    wfp_byte_blob scratch;
    wfp_byte_blob *b = take(o, sizeof *b, _Alignof(wfp_byte_blob));
    put_blob(o, b != NULL ? b : &scratch, data, size);
    return b;
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t x;
    memcpy(&x, p, 4);
    return x;
}

static wfp_token_information *new_token(out_buf *o, const uint8_t *payload)
{
    wfp_token_information scratch;
    wfp_token_information *t = take(o, sizeof *t, _Alignof(wfp_token_information));
    wfp_token_information *d = t != NULL ? t : &scratch;
    d->sidCount = get_u32(payload);
    d->restrictedSidCount = get_u32(payload + 4);
    size_t pos = 8;
    for (int pass = 0; pass < 2; pass++) {
        uint32_t n = pass == 0 ? d->sidCount : d->restrictedSidCount;
        wfp_sid_and_attributes *list = n > 0 ? take(o, n * sizeof *list, _Alignof(wfp_sid_and_attributes)) : NULL;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t attributes = get_u32(payload + pos), len = get_u32(payload + pos + 4);
            wfp_sid *sid = copy_in(o, payload + pos + 8, len, 4);
            if (list != NULL) {
                list[i].Sid = sid;
                list[i].Attributes = attributes;
            }
            pos += 8 + len;
        }
        if (pass == 0)
            d->sids = list;
        else
            d->restrictedSids = list;
    }
    return t;
}

static uint64_t *new_u64(out_buf *o, uint64_t x) { return copy_in(o, &x, sizeof x, 8); }

/* Decodes one stored value (see sim_value) into an FWP_CONDITION_VALUE0 inside the block. */
static void put_value(out_buf *o, const sim_filter *f, uint32_t type, uint64_t bits, wfp_condition_value0 *dst)
{
    memset(dst, 0, sizeof *dst);
    dst->type = type;
    uint32_t len = 0;
    const uint8_t *payload = sim_type_is_inline(type) ? NULL : sim_payload(f, bits, &len);
    switch (type) {
    case WFP_EMPTY:
        break;
    case WFP_UINT8:
        dst->uint8 = (uint8_t)bits;
        break;
    case WFP_UINT16:
        dst->uint16 = (uint16_t)bits;
        break;
    case WFP_UINT32:
        dst->uint32 = (uint32_t)bits;
        break;
    case WFP_INT8:
        dst->int8 = (int8_t)(int64_t)bits;
        break;
    case WFP_INT16:
        dst->int16 = (int16_t)(int64_t)bits;
        break;
    case WFP_INT32:
        dst->int32 = (int32_t)(int64_t)bits;
        break;
    case WFP_FLOAT: {
        uint32_t word = (uint32_t)bits;
        memcpy(&dst->float32, &word, 4);
        break;
    }
    case WFP_UINT64:
    case WFP_INT64:
    case WFP_DOUBLE:
        dst->uint64 = new_u64(o, bits); /* the three share the union slot and a 64-bit payload */
        break;
    case WFP_V4_ADDR_MASK: {
        wfp_v4_addr_and_mask m = {(uint32_t)(bits >> 32), (uint32_t)bits};
        dst->v4AddrMask = copy_in(o, &m, sizeof m, _Alignof(wfp_v4_addr_and_mask));
        break;
    }
    case WFP_V6_ADDR_MASK:
        dst->v6AddrMask = copy_in(o, payload, sizeof(wfp_v6_addr_and_mask), 1);
        break;
    case WFP_BYTE_ARRAY16_TYPE:
        dst->byteArray16 = copy_in(o, payload, 16, 1);
        break;
    case WFP_BYTE_ARRAY6_TYPE:
        dst->byteArray6 = copy_in(o, payload, 6, 1);
        break;
    case WFP_BYTE_BLOB_TYPE:
    case WFP_SECURITY_DESCRIPTOR_TYPE:
    case WFP_TOKEN_ACCESS_INFORMATION_TYPE:
        dst->byteBlob = new_blob(o, payload, len);
        break;
    case WFP_UNICODE_STRING_TYPE:
        dst->unicodeString = copy_in(o, payload, len, _Alignof(wfp_wchar));
        break;
    case WFP_SID:
        dst->sid = copy_in(o, payload, len, 4);
        break;
    case WFP_TOKEN_INFORMATION_TYPE:
        dst->tokenInformation = new_token(o, payload);
        break;
    case WFP_RANGE_TYPE: {
        sim_value ends[2];
        memcpy(ends, payload, sizeof ends);
        wfp_range0 scratch;
        wfp_range0 *r = take(o, sizeof *r, _Alignof(wfp_range0));
        wfp_range0 *d = r != NULL ? r : &scratch;
        wfp_condition_value0 low, high;
        put_value(o, f, ends[0].type, ends[0].bits, &low);
        put_value(o, f, ends[1].type, ends[1].bits, &high);
        /* FWP_VALUE0 is FWP_CONDITION_VALUE0's prefix: type at 0, the union at 8. */
        memcpy(&d->valueLow, &low, sizeof d->valueLow);
        memcpy(&d->valueHigh, &high, sizeof d->valueHigh);
        dst->rangeValue = r;
        break;
    }
    default:
        break;
    }
}

static void put_filter(out_buf *o, const sim_filter *f, wfp_filter0 *d)
{
    d->filterKey = f->key;
    d->displayData.name = copy_wstr(o, sim_filter_name(f));
    d->displayData.description = copy_wstr(o, sim_filter_description(f));
    d->flags = f->flags;
    d->providerKey = f->provider != NULL ? copy_guid(o, &f->provider->key) : NULL;
    uint32_t data_size;
    const uint8_t *data = sim_filter_data(f, &data_size);
    put_blob(o, &d->providerData, data, data_size);
    d->layerKey = wfp_layer_table[f->layer].key;
    d->subLayerKey = f->sublayer->key;
    /* weight keeps the caller's form; effectiveWeight is the UINT64 the engine sorts by. */
    d->weight.type = f->weight_type;
    if (f->weight_type == WFP_UINT8)
        d->weight.uint8 = (uint8_t)(f->effective_weight >> WFP_AUTO_WEIGHT_BITS);
    else if (f->weight_type == WFP_UINT64)
        d->weight.uint64 = new_u64(o, f->effective_weight);
    d->numFilterConditions = f->num_conditions;
    wfp_filter_condition0 *conds =
        f->num_conditions > 0 ? take(o, f->num_conditions * sizeof *conds, _Alignof(wfp_filter_condition0)) : NULL;
    const wfp_field_info *fields = wfp_layer_table[f->layer].fields;
    for (uint32_t i = 0; i < f->num_conditions; i++) {
        wfp_filter_condition0 scratch;
        wfp_filter_condition0 *c = conds != NULL ? &conds[i] : &scratch;
        const sim_cond *sc = &f->conditions[i];
        c->fieldKey = fields[sc->field].key;
        c->matchType = sc->match;
        put_value(o, f, sc->type, sc->bits, &c->conditionValue);
    }
    d->filterCondition = conds;
    d->action.type = f->action_type;
    d->action.filterType = *sim_filter_action_key(f);
    uint8_t context[16];
    sim_filter_context(f, context);
    memcpy(&d->providerContextKey, context, sizeof d->providerContextKey);
    d->reserved = NULL;
    d->filterId = f->id;
    d->effectiveWeight.type = WFP_UINT64;
    d->effectiveWeight.uint64 = new_u64(o, f->effective_weight);
}

static void put_provider(out_buf *o, const sim_provider *p, wfp_provider0 *d)
{
    d->providerKey = p->key;
    d->displayData.name = copy_wstr(o, p->name);
    d->displayData.description = copy_wstr(o, p->description);
    d->flags = p->flags;
    put_blob(o, &d->providerData, p->data, p->data_size);
    d->serviceName = copy_wstr(o, p->service_name);
}

static void put_sublayer(out_buf *o, const sim_sublayer *s, wfp_sublayer0 *d)
{
    d->subLayerKey = s->key;
    d->displayData.name = copy_wstr(o, s->name);
    d->displayData.description = copy_wstr(o, s->description);
    d->flags = s->flags;
    d->providerKey = s->provider != NULL ? copy_guid(o, &s->provider->key) : NULL;
    put_blob(o, &d->providerData, s->data, s->data_size);
    d->weight = s->weight;
}

static void put_layer(out_buf *o, size_t index, wfp_layer0 *d)
{
    const wfp_layer_info *layer = &wfp_layer_table[index];
    d->layerKey = layer->key;
    size_t len = strlen(layer->name);
    wfp_wchar *name = take(o, (len + 1) * sizeof *name, _Alignof(wfp_wchar));
    if (name != NULL) {
        for (size_t i = 0; i < len; i++)
            name[i] = (wfp_wchar)(unsigned char)layer->name[i];
        name[len] = 0;
    }
    d->displayData.name = name;
    d->displayData.description = NULL;
    d->flags = layer->flags;
    d->numFields = layer->num_fields;
    wfp_field0 *fields = layer->num_fields > 0 ? take(o, layer->num_fields * sizeof *fields, _Alignof(wfp_field0)) : NULL;
    for (uint32_t i = 0; i < layer->num_fields; i++) {
        wfp_guid *key = copy_guid(o, &layer->fields[i].key);
        if (fields != NULL) {
            fields[i].fieldKey = key;
            fields[i].type = layer->fields[i].field_type;
            fields[i].dataType = layer->fields[i].data_type;
        }
    }
    d->field = fields;
    d->defaultSubLayerKey = WFP_SUBLAYER_UNIVERSAL; /* [I] for every layer */
    d->layerId = layer->layer_id;
}

/* One builder for every result shape. */
typedef struct out_job {
    int kind;                     /* SIM_ENUM_* */
    sim_object *const *items;     /* objects, or NULL for layers */
    size_t first_layer;
    size_t n;
    int as_page;                  /* pointer array first */
} out_job;

static size_t struct_size(int kind)
{
    switch (kind) {
    case SIM_ENUM_FILTER:
        return sizeof(wfp_filter0);
    case SIM_ENUM_PROVIDER:
        return sizeof(wfp_provider0);
    case SIM_ENUM_SUBLAYER:
        return sizeof(wfp_sublayer0);
    default:
        return sizeof(wfp_layer0);
    }
}

static void run_job(out_buf *o, const out_job *job)
{
    void **pointers = job->as_page ? take(o, job->n * sizeof(void *), _Alignof(void *)) : NULL;
    size_t size = struct_size(job->kind);
    for (size_t i = 0; i < job->n; i++) {
        union {
            wfp_filter0 filter;
            wfp_provider0 provider;
            wfp_sublayer0 sublayer;
            wfp_layer0 layer;
        } scratch;
        void *dst = take(o, size, 8);
        void *d = dst != NULL ? dst : &scratch;
        if (pointers != NULL)
            pointers[i] = dst;
        switch (job->kind) {
        case SIM_ENUM_FILTER:
            put_filter(o, (const sim_filter *)job->items[i], d);
            break;
        case SIM_ENUM_PROVIDER:
            put_provider(o, (const sim_provider *)job->items[i], d);
            break;
        case SIM_ENUM_SUBLAYER:
            put_sublayer(o, (const sim_sublayer *)job->items[i], d);
            break;
        default:
            put_layer(o, job->first_layer + i, d);
            break;
        }
    }
}

static uint32_t build(const out_job *job, void **out)
{
    out_buf measure = {NULL, 0};
    run_job(&measure, job);
    out_buf fill = {calloc(1, measure.used ? measure.used : 1), 0};
    if (fill.base == NULL)
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    run_job(&fill, job);
    *out = fill.base;
    return WFP_OK;
}

uint32_t sim_out_filter(const sim_filter *f, wfp_filter0 **out)
{
    sim_object *item = (sim_object *)&f->obj;
    out_job job = {SIM_ENUM_FILTER, &item, 0, 1, 0};
    return build(&job, (void **)out);
}

uint32_t sim_out_provider(const sim_provider *p, wfp_provider0 **out)
{
    sim_object *item = (sim_object *)&p->obj;
    out_job job = {SIM_ENUM_PROVIDER, &item, 0, 1, 0};
    return build(&job, (void **)out);
}

uint32_t sim_out_sublayer(const sim_sublayer *s, wfp_sublayer0 **out)
{
    sim_object *item = (sim_object *)&s->obj;
    out_job job = {SIM_ENUM_SUBLAYER, &item, 0, 1, 0};
    return build(&job, (void **)out);
}

uint32_t sim_out_layer(size_t layer_index, wfp_layer0 **out)
{
    out_job job = {SIM_ENUM_LAYER, NULL, layer_index, 1, 0};
    return build(&job, (void **)out);
}

uint32_t sim_out_page(int kind, sim_object *const *items, size_t n, void ***out)
{
    out_job job = {kind, items, 0, n, 1};
    return build(&job, (void **)out);
}

uint32_t sim_out_layer_page(size_t first, size_t n, void ***out)
{
    out_job job = {SIM_ENUM_LAYER, NULL, first, n, 1};
    return build(&job, (void **)out);
}
