/*
 * Enumeration snapshots.  A handle holds references to the objects that matched when it was
 * created, so later adds and deletes never change what it returns (FwpmFilterCreateEnumHandle0
 * enumerates a snapshot) and deleted objects stay readable until the handle is destroyed.
 *
 * Filter templates (FWPM_FILTER_ENUM_TEMPLATE0) are evaluated here.  Conditions compare field
 * by field: a filter's match set is the product over fields of the union of its conditions on
 * that field, so "fully contains" (filter set includes the template set) and "overlaps"
 * (the sets intersect) decompose per field [I].  Exact for:
 *   - integer and BYTE_ARRAY16 fields under EQUAL, NOT_EQUAL, RANGE, GREATER/LESS[_OR_EQUAL],
 *     V4_ADDR_MASK and V6_ADDR_MASK (each condition is one or two intervals);
 *   - EQUAL with FWP_EMPTY;
 *   - a template EQUAL value of any other type, tested against the filter's conditions on that
 *     field (EQUAL, NOT_EQUAL, ordering, RANGE, EQUAL_CASE_INSENSITIVE, PREFIX, NOT_PREFIX).
 * Approximations: any other pair (FLAGS_* tests, SID / security descriptor / token values,
 * FLOAT/DOUBLE, PREFIX in the template) is taken to overlap, and to be contained only when the
 * filter has an identical condition.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"


/* ---- 128-bit interval arithmetic on big-endian keys ---------------------------------------- */

typedef struct interval {
    uint8_t lo[16];
    uint8_t hi[16];
} interval;

static int key_cmp(const uint8_t a[16], const uint8_t b[16]) { return memcmp(a, b, 16); }

/* Returns 0 when the key was already the minimum / maximum (no neighbour). */
static int key_step(uint8_t k[16], int up)
{
    for (int i = 15; i >= 0; i--) {
        if (up ? k[i] != 0xff : k[i] != 0x00) {
            k[i] = (uint8_t)(up ? k[i] + 1 : k[i] - 1);
            for (int j = i + 1; j < 16; j++)
                k[j] = up ? 0x00 : 0xff;
            return 1;
        }
    }
    return 0;
}

static int key_is_domain_end(const uint8_t k[16], uint32_t width, int high)
{
    uint8_t end[16];
    sim_domain_end(width, high, end);
    return key_cmp(k, end) == 0;
}

/* Condition shapes. */
enum { SHAPE_INTERVALS, SHAPE_EMPTY, SHAPE_POINT, SHAPE_OTHER };

typedef struct shape {
    int kind;
    int count;       /* intervals */
    interval iv[2];
} shape;

static void prefix_interval(const uint8_t *addr, uint32_t bits_total, uint32_t prefix, uint32_t skip,
                            interval *iv)
{
    /* addr occupies bits [skip, skip + bits_total) of the 128-bit key. */
    memset(iv, 0, sizeof *iv);
    for (uint32_t b = 0; b < bits_total; b++) {
        uint32_t bit = skip + b, byte = bit / 8, shift = 7 - bit % 8;
        int value = (addr[b / 8] >> (7 - b % 8)) & 1;
        if (b < prefix) {
            iv->lo[byte] |= (uint8_t)(value << shift);
            iv->hi[byte] |= (uint8_t)(value << shift);
        } else {
            iv->hi[byte] |= (uint8_t)(1u << shift);
        }
    }
}

static int popcount32(uint32_t x)
{
    int n = 0;
    while (x) {
        x &= x - 1;
        n++;
    }
    return n;
}

/* field_type: the field's runtime data type (the domain of interval keys). */
static shape shape_of(const sim_filter *f, const sim_cond *c, uint32_t field_type)
{
    shape s;
    memset(&s, 0, sizeof s);
    s.kind = SHAPE_OTHER;
    uint32_t width = sim_type_bits(field_type);
    if (c->type == WFP_EMPTY) {
        s.kind = c->match == WFP_MATCH_EQUAL ? SHAPE_EMPTY : SHAPE_OTHER;
        return s;
    }
    if (c->type == WFP_V4_ADDR_MASK) {
        uint8_t addr[4];
        uint32_t a = (uint32_t)(c->bits >> 32), mask = (uint32_t)c->bits;
        for (int i = 0; i < 4; i++)
            addr[i] = (uint8_t)(a >> (24 - 8 * i));
        s.kind = SHAPE_INTERVALS;
        s.count = 1;
        prefix_interval(addr, 32, (uint32_t)popcount32(mask), 96, &s.iv[0]);
        return s;
    }
    if (c->type == WFP_V6_ADDR_MASK) {
        uint32_t len;
        const uint8_t *p = sim_payload(f, c->bits, &len);
        s.kind = SHAPE_INTERVALS;
        s.count = 1;
        prefix_interval(p, 128, p[16], 0, &s.iv[0]);
        return s;
    }
    if (width == 0) {
        s.kind = c->match == WFP_MATCH_EQUAL ? SHAPE_POINT : SHAPE_OTHER;
        return s;
    }
    uint8_t v[16];
    switch (c->match) {
    case WFP_MATCH_EQUAL:
        sim_ordered_key(f, c->type, c->bits, v);
        memcpy(s.iv[0].lo, v, 16);
        memcpy(s.iv[0].hi, v, 16);
        s.count = 1;
        break;
    case WFP_MATCH_RANGE: {
        uint32_t len;
        sim_value ends[2];
        memcpy(ends, sim_payload(f, c->bits, &len), sizeof ends);
        sim_ordered_key(f, ends[0].type, ends[0].bits, s.iv[0].lo);
        sim_ordered_key(f, ends[1].type, ends[1].bits, s.iv[0].hi);
        s.count = 1;
        break;
    }
    case WFP_MATCH_GREATER:
    case WFP_MATCH_GREATER_OR_EQUAL:
        sim_ordered_key(f, c->type, c->bits, s.iv[0].lo);
        sim_domain_end(width, 1, s.iv[0].hi);
        s.count = 1;
        if (c->match == WFP_MATCH_GREATER && (key_is_domain_end(s.iv[0].lo, width, 1) || !key_step(s.iv[0].lo, 1)))
            s.count = 0;
        break;
    case WFP_MATCH_LESS:
    case WFP_MATCH_LESS_OR_EQUAL:
        sim_ordered_key(f, c->type, c->bits, s.iv[0].hi);
        sim_domain_end(width, 0, s.iv[0].lo);
        s.count = 1;
        if (c->match == WFP_MATCH_LESS && (key_is_domain_end(s.iv[0].hi, width, 0) || !key_step(s.iv[0].hi, 0)))
            s.count = 0;
        break;
    case WFP_MATCH_NOT_EQUAL:
        sim_ordered_key(f, c->type, c->bits, v);
        if (!key_is_domain_end(v, width, 0)) {
            sim_domain_end(width, 0, s.iv[s.count].lo);
            memcpy(s.iv[s.count].hi, v, 16);
            key_step(s.iv[s.count].hi, 0);
            s.count++;
        }
        if (!key_is_domain_end(v, width, 1)) {
            memcpy(s.iv[s.count].lo, v, 16);
            key_step(s.iv[s.count].lo, 1);
            sim_domain_end(width, 1, s.iv[s.count].hi);
            s.count++;
        }
        break;
    default:
        return s; /* FLAGS_* */
    }
    s.kind = SHAPE_INTERVALS;
    return s;
}

static int intervals_intersect(const interval *a, const interval *b)
{
    return key_cmp(a->lo, b->hi) <= 0 && key_cmp(b->lo, a->hi) <= 0;
}

static int interval_order(const void *pa, const void *pb)
{
    return key_cmp(((const interval *)pa)->lo, ((const interval *)pb)->lo);
}

/* Is every interval of `inner` inside the union of `outer` (which gets sorted)? */
static int union_covers(interval *outer, size_t n_outer, const interval *inner, size_t n_inner)
{
    qsort(outer, n_outer, sizeof *outer, interval_order);
    /* Merge touching and overlapping intervals. */
    size_t m = 0;
    for (size_t i = 0; i < n_outer; i++) {
        if (m > 0) {
            uint8_t next[16];
            memcpy(next, outer[m - 1].hi, 16);
            int has_next = key_step(next, 1);
            if (!has_next || key_cmp(outer[i].lo, next) <= 0) {
                if (key_cmp(outer[i].hi, outer[m - 1].hi) > 0)
                    memcpy(outer[m - 1].hi, outer[i].hi, 16);
                continue;
            }
        }
        outer[m++] = outer[i];
    }
    for (size_t j = 0; j < n_inner; j++) {
        int covered = 0;
        for (size_t i = 0; i < m && !covered; i++)
            covered = key_cmp(outer[i].lo, inner[j].lo) <= 0 && key_cmp(inner[j].hi, outer[i].hi) <= 0;
        if (!covered)
            return 0;
    }
    return 1;
}

/* ---- evaluating a filter condition on one value (non-interval types) ----------------------- */

static int same_value(const sim_filter *fa, uint32_t ta, uint64_t a, const sim_filter *fb, uint32_t tb, uint64_t b)
{
    if (ta != tb)
        return 0;
    if (sim_type_is_inline(ta))
        return a == b;
    uint32_t la, lb;
    const uint8_t *pa = sim_payload(fa, a, &la);
    const uint8_t *pb = sim_payload(fb, b, &lb);
    return la == lb && memcmp(pa, pb, la) == 0;
}

static size_t string_units(uint32_t type, uint32_t len)
{
    return type == WFP_UNICODE_STRING_TYPE ? len / 2 - 1 : len;
}

static wfp_wchar unit_at(const uint8_t *p, size_t i)
{
    uint16_t u;
    memcpy(&u, p + 2 * i, 2);
    return u;
}

/* A blob holding a NUL-terminated UTF-16 string (an app id) is compared without its NUL. */
static uint32_t blob_text_len(const uint8_t *p, uint32_t len)
{
    if (len >= 2 && len % 2 == 0 && p[len - 1] == 0 && p[len - 2] == 0)
        return len - 2;
    return len;
}

static int ends_with(const sim_filter *fv, uint64_t v, const sim_filter *fc, uint64_t c, uint32_t type)
{
    uint32_t lv, lc;
    const uint8_t *pv = sim_payload(fv, v, &lv);
    const uint8_t *pc = sim_payload(fc, c, &lc);
    size_t nv, nc;
    if (type == WFP_UNICODE_STRING_TYPE) {
        nv = string_units(type, lv) * 2;
        nc = string_units(type, lc) * 2;
    } else {
        nv = blob_text_len(pv, lv);
        nc = blob_text_len(pc, lc);
    }
    return nc <= nv && memcmp(pv + nv - nc, pc, nc) == 0;
}

static int equal_ignoring_case(const sim_filter *fa, uint64_t a, const sim_filter *fb, uint64_t b)
{
    uint32_t la, lb;
    const uint8_t *pa = sim_payload(fa, a, &la);
    const uint8_t *pb = sim_payload(fb, b, &lb);
    if (la != lb)
        return 0;
    for (size_t i = 0; i < la / 2; i++)
        if (sim_to_lower(unit_at(pa, i)) != sim_to_lower(unit_at(pb, i)))
            return 0;
    return 1;
}

/* Does condition c of filter f accept value (type, bits) of vf?  *known = 0 when undecidable. */
static int accepts(const sim_filter *f, const sim_cond *c, const sim_filter *vf, uint32_t type, uint64_t bits,
                   int *known)
{
    *known = 1;
    if (c->type == WFP_RANGE_TYPE) {
        uint32_t len;
        sim_value ends[2];
        memcpy(ends, sim_payload(f, c->bits, &len), sizeof ends);
        if (ends[0].type != type)
            return 0;
        return sim_compare_values(f, type, ends[0].bits, vf, bits) <= 0 &&
               sim_compare_values(vf, type, bits, f, ends[1].bits) <= 0;
    }
    if (c->type != type) {
        *known = c->type == WFP_SECURITY_DESCRIPTOR_TYPE ? 0 : 1;
        return 0;
    }
    switch (c->match) {
    case WFP_MATCH_EQUAL:
        return same_value(f, c->type, c->bits, vf, type, bits);
    case WFP_MATCH_NOT_EQUAL:
        return !same_value(f, c->type, c->bits, vf, type, bits);
    case WFP_MATCH_GREATER:
        return sim_compare_values(vf, type, bits, f, c->bits) > 0;
    case WFP_MATCH_GREATER_OR_EQUAL:
        return sim_compare_values(vf, type, bits, f, c->bits) >= 0;
    case WFP_MATCH_LESS:
        return sim_compare_values(vf, type, bits, f, c->bits) < 0;
    case WFP_MATCH_LESS_OR_EQUAL:
        return sim_compare_values(vf, type, bits, f, c->bits) <= 0;
    case WFP_MATCH_EQUAL_CASE_INSENSITIVE:
        return equal_ignoring_case(f, c->bits, vf, bits);
    case WFP_MATCH_PREFIX:
        return ends_with(vf, bits, f, c->bits, type);
    case WFP_MATCH_NOT_PREFIX:
        return !ends_with(vf, bits, f, c->bits, type);
    default:
        *known = 0;
        return 0;
    }
}

static int identical(const sim_filter *fa, const sim_cond *a, const sim_filter *fb, const sim_cond *b)
{
    return a->match == b->match && same_value(fa, a->type, a->bits, fb, b->type, b->bits);
}

/* ---- per-field relation -------------------------------------------------------------------- */

#define MAX_GROUP 64

/* Relation between the filter's conditions on one field and the template's (at most one). */
static int field_relation(const sim_filter *f, const sim_cond *const *fc, size_t nf, const sim_filter *t,
                          const sim_cond *tc, uint32_t field_type, int want_contained)
{
    if (nf == 0)
        return 1; /* the filter does not constrain the field: contains and overlaps anything */
    interval outer[2 * MAX_GROUP];
    size_t n_outer = 0;
    int filter_other = 0, filter_empty = 0;
    for (size_t i = 0; i < nf && i < MAX_GROUP; i++) {
        shape s = shape_of(f, fc[i], field_type);
        if (s.kind == SHAPE_INTERVALS)
            for (int k = 0; k < s.count; k++)
                outer[n_outer++] = s.iv[k];
        else if (s.kind == SHAPE_EMPTY)
            filter_empty = 1;
        else
            filter_other = 1;
    }
    if (tc == NULL) {
        /* The template leaves the field open: only a filter covering the whole domain contains it. */
        if (!want_contained)
            return 1;
        uint32_t width = sim_type_bits(field_type);
        if (width == 0)
            return 0;
        interval all;
        sim_domain_end(width, 0, all.lo);
        sim_domain_end(width, 1, all.hi);
        return union_covers(outer, n_outer, &all, 1);
    }
    shape ts = shape_of(t, tc, field_type);
    switch (ts.kind) {
    case SHAPE_EMPTY:
        return filter_empty;
    case SHAPE_INTERVALS:
        if (want_contained)
            return ts.count == 0 || union_covers(outer, n_outer, ts.iv, (size_t)ts.count);
        for (size_t i = 0; i < n_outer; i++)
            for (int k = 0; k < ts.count; k++)
                if (intervals_intersect(&outer[i], &ts.iv[k]))
                    return 1;
        return filter_other; /* a FLAGS test might still overlap */
    case SHAPE_POINT: {
        /* A single value: contained iff some filter condition accepts it. */
        int unknown = 0;
        for (size_t i = 0; i < nf; i++) {
            int known;
            if (accepts(f, fc[i], t, tc->type, tc->bits, &known))
                return 1;
            unknown |= !known;
        }
        return want_contained ? 0 : unknown;
    }
    default:
        for (size_t i = 0; i < nf; i++)
            if (identical(f, fc[i], t, tc))
                return 1;
        return !want_contained;
    }
}

typedef struct filter_template {
    const wfp_guid *provider_key;
    int all_layers;
    size_t layer;
    uint32_t flags;
    uint32_t action_mask;
    const wfp_guid *callout_key;
    int needs_provider_context;
    int want_contained;
    sim_filter *conditions; /* the template's conditions, encoded like a filter's; may be NULL */
} filter_template;

static int conditions_match(const filter_template *t, const sim_filter *f)
{
    const sim_filter *tc = t->conditions;
    if (tc == NULL || f->layer != tc->layer)
        return tc == NULL;
    const wfp_layer_info *layer = &wfp_layer_table[f->layer];
    /* Every field either side constrains. */
    for (uint32_t field = 0; field < layer->num_fields; field++) {
        const sim_cond *fc[MAX_GROUP];
        size_t nf = 0;
        for (uint32_t i = 0; i < f->num_conditions && nf < MAX_GROUP; i++)
            if (f->conditions[i].field == field)
                fc[nf++] = &f->conditions[i];
        const sim_cond *tcond = NULL;
        for (uint32_t i = 0; i < tc->num_conditions; i++)
            if (tc->conditions[i].field == field)
                tcond = &tc->conditions[i];
        if (nf == 0 && tcond == NULL)
            continue;
        if (!field_relation(f, fc, nf, tc, tcond, layer->fields[field].data_type, t->want_contained))
            return 0;
    }
    return 1;
}

static int template_accepts(const filter_template *t, const sim_filter *f)
{
    if (t->provider_key != NULL && (f->provider == NULL || !wfp_guid_equal(&f->provider->key, t->provider_key)))
        return 0;
    int boottime = (f->flags & WFP_FILTER_FLAG_BOOTTIME) != 0;
    if (t->flags & WFP_FILTER_ENUM_FLAG_BOOTTIME_ONLY) {
        if (!boottime)
            return 0;
    } else if (boottime && !(t->flags & WFP_FILTER_ENUM_FLAG_INCLUDE_BOOTTIME)) {
        return 0;
    }
    if ((f->flags & WFP_FILTER_FLAG_DISABLED) && !(t->flags & WFP_FILTER_ENUM_FLAG_INCLUDE_DISABLED))
        return 0;
    if ((f->action_type & t->action_mask) == 0)
        return 0;
    if (t->callout_key != NULL &&
        (!(f->action_type & WFP_ACTION_FLAG_CALLOUT) || !wfp_guid_equal(sim_filter_action_key(f), t->callout_key)))
        return 0;
    if (t->needs_provider_context && !(f->flags & WFP_FILTER_FLAG_HAS_PROVIDER_CONTEXT))
        return 0;
    return conditions_match(t, f);
}

#define ENUM_FLAGS_ALLOWED                                                                         \
    (WFP_FILTER_ENUM_FLAG_BEST_TERMINATING_MATCH | WFP_FILTER_ENUM_FLAG_SORTED |                    \
     WFP_FILTER_ENUM_FLAG_BOOTTIME_ONLY | WFP_FILTER_ENUM_FLAG_INCLUDE_BOOTTIME |                    \
     WFP_FILTER_ENUM_FLAG_INCLUDE_DISABLED)

/* Template check order follows §3.6: null pointers, flags/enumerators, existence, types. */
static uint32_t parse_template(const wfp_filter_enum_template0 *in, filter_template *t)
{
    memset(t, 0, sizeof *t);
    t->all_layers = 1;
    if (in == NULL) {
        /* No template: every filter, boot-time and disabled ones included [I]. */
        t->action_mask = UINT32_MAX;
        t->flags = WFP_FILTER_ENUM_FLAG_INCLUDE_BOOTTIME | WFP_FILTER_ENUM_FLAG_INCLUDE_DISABLED;
        return WFP_OK;
    }
    uint32_t status = sim_check_conditions_null(in->filterCondition, in->numFilterConditions);
    if (status != WFP_OK)
        return status;
    if (in->flags & ~ENUM_FLAGS_ALLOWED)
        return WFP_E_INVALID_FLAGS;
    if (in->enumType != WFP_FILTER_ENUM_FULLY_CONTAINED && in->enumType != WFP_FILTER_ENUM_OVERLAPPING)
        return WFP_E_INVALID_ENUMERATOR;
    const wfp_layer_info *layer = NULL;
    if (!wfp_guid_is_null(&in->layerKey)) {
        layer = wfp_layer_find(&in->layerKey);
        if (layer == NULL)
            return WFP_E_LAYER_NOT_FOUND;
        t->all_layers = 0;
        t->layer = (size_t)(layer - wfp_layer_table);
    }
    if (in->numFilterConditions > 0) {
        /* Field GUIDs mean something only within a layer. */
        if (layer == NULL)
            return WFP_E_INVALID_PARAMETER;
        uint16_t *fields = malloc((size_t)in->numFilterConditions * sizeof *fields);
        if (fields == NULL)
            return WFP_ERROR_NOT_ENOUGH_MEMORY;
        status = sim_check_conditions_exist(NULL, layer, in->filterCondition, in->numFilterConditions, fields);
        if (status == WFP_OK)
            status = sim_check_conditions_types(layer, in->filterCondition, fields, in->numFilterConditions,
                                                SIM_CONDITIONS_TEMPLATE);
        if (status == WFP_OK) {
            t->conditions = sim_build_condition_block_fields(layer, in->filterCondition, fields,
                                                             in->numFilterConditions);
            if (t->conditions == NULL)
                status = WFP_ERROR_NOT_ENOUGH_MEMORY;
        }
        free(fields);
        if (status != WFP_OK)
            return status;
    }
    t->provider_key = in->providerKey;
    t->flags = in->flags;
    t->action_mask = in->actionMask; /* 0 matches nothing [I] */
    t->callout_key = in->calloutKey;
    t->needs_provider_context = in->providerContextTemplate != NULL;
    t->want_contained = in->enumType == WFP_FILTER_ENUM_FULLY_CONTAINED;
    return WFP_OK;
}

/* ---- the snapshot ---------------------------------------------------------------------------- */

typedef struct collector {
    const filter_template *tmpl;
    sim_object **items;
    uint16_t *layers; /* each item's layer, when the walk mixes layers */
    size_t count;
    size_t cap;
    int failed;
    int best_only;
    int track_layers;
} collector;

static int collect(collector *c, sim_filter *f)
{
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        sim_object **items = realloc(c->items, cap * sizeof *items);
        if (items == NULL) {
            c->failed = 1;
            return 1;
        }
        c->items = items;
        if (c->track_layers) {
            uint16_t *layers = realloc(c->layers, cap * sizeof *layers);
            if (layers == NULL) {
                c->failed = 1;
                return 1;
            }
            c->layers = layers;
        }
        c->cap = cap;
    }
    if (c->track_layers)
        c->layers[c->count] = f->layer;
    c->items[c->count++] = &f->obj;
    return 0;
}

/* Filters of one layer (layer >= 0) or of all layers, in id order. */
static void collect_by_id(sim_engine *e, collector *c, int layer)
{
    sim_filter *f;
    for (uint64_t id = 0; !c->failed && (f = sim_filter_next_by_id(e, &id, layer)) != NULL; id++) {
        if (template_accepts(c->tmpl, f))
            collect(c, f);
        if (id == UINT64_MAX)
            break;
    }
}

/* Stable counting sort of the collected filters by layer: id order within each layer. */
static void order_by_layer(collector *c)
{
    size_t *start = calloc(wfp_layer_count + 1, sizeof *start);
    sim_object **sorted = malloc((c->count ? c->count : 1) * sizeof *sorted);
    if (start == NULL || sorted == NULL) {
        free(start);
        free(sorted);
        c->failed = 1;
        return;
    }
    for (size_t i = 0; i < c->count; i++)
        start[c->layers[i] + 1]++;
    for (size_t l = 0; l < wfp_layer_count; l++)
        start[l + 1] += start[l];
    for (size_t i = 0; i < c->count; i++)
        sorted[start[c->layers[i]]++] = c->items[i];
    free(start);
    free(c->items);
    c->items = sorted;
    c->cap = c->count;
}

static int is_terminating(uint32_t action_type)
{
    return action_type == WFP_ACTION_BLOCK || action_type == WFP_ACTION_PERMIT ||
           action_type == WFP_ACTION_CALLOUT_TERMINATING;
}

static int visit_sorted(sim_filter *f, void *arg)
{
    collector *c = arg;
    if (!template_accepts(c->tmpl, f))
        return 0;
    if (c->best_only) {
        /* The highest-weight terminating filter of this (layer, sublayer) [I]. */
        if (!is_terminating(f->action_type))
            return 0;
        collect(c, f);
        return 1;
    }
    return collect(c, f);
}

uint32_t sim_filter_snapshot(sim_engine *e, const wfp_filter_enum_template0 *tmpl, sim_enum *en)
{
    filter_template t;
    uint32_t status = parse_template(tmpl, &t);
    if (status != WFP_OK)
        return status;
    collector c;
    memset(&c, 0, sizeof c);
    c.tmpl = &t;
    c.best_only = (t.flags & WFP_FILTER_ENUM_FLAG_BEST_TERMINATING_MATCH) != 0;
    /* Layers in table order; SORTED (and BEST_TERMINATING_MATCH) walk arbitration order,
       otherwise each layer's filters come in id order. */
    int walk_slots = (t.flags & (WFP_FILTER_ENUM_FLAG_SORTED | WFP_FILTER_ENUM_FLAG_BEST_TERMINATING_MATCH)) != 0;
    size_t first = t.all_layers ? 0 : t.layer;
    size_t last = t.all_layers ? wfp_layer_count : t.layer + 1;
    if (walk_slots) {
        for (size_t l = first; l < last && !c.failed; l++) {
            sim_layer_state *ls = &e->layers[l];
            for (size_t s = 0; s < ls->num_slots && !c.failed; s++)
                sim_tree_walk(ls->slots[s].root, visit_sorted, &c);
        }
    } else {
        /* One walk of the id index: per layer when there is one, else over every filter. */
        size_t layers_used = 0, only = 0;
        for (size_t l = first; l < last; l++)
            if (e->layers[l].count > 0) {
                layers_used++;
                only = l;
            }
        if (layers_used == 1) {
            collect_by_id(e, &c, (int)only);
        } else if (layers_used > 1) {
            c.track_layers = 1;
            collect_by_id(e, &c, -1);
            if (!c.failed)
                order_by_layer(&c);
        }
    }
    free(t.conditions);
    free(c.layers);
    if (c.failed) {
        free(c.items);
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    }
    for (size_t i = 0; i < c.count; i++)
        sim_object_ref(c.items[i]);
    en->items = c.items;
    en->count = c.count;
    return WFP_OK;
}

/* ---- providers and sublayers ------------------------------------------------------------------ */

static int by_seq(const void *pa, const void *pb)
{
    const sim_object *a = *(sim_object *const *)pa, *b = *(sim_object *const *)pb;
    uint64_t sa = a->kind == SIM_KIND_PROVIDER ? ((const sim_provider *)a)->seq : ((const sim_sublayer *)a)->seq;
    uint64_t sb = b->kind == SIM_KIND_PROVIDER ? ((const sim_provider *)b)->seq : ((const sim_sublayer *)b)->seq;
    return sa == sb ? 0 : (sa < sb ? -1 : 1);
}

/* Providers or sublayers (optionally those of one provider), built-ins first, then in insertion
   order. */
uint32_t sim_enum_providers(sim_engine *e, const wfp_sublayer_enum_template0 *sublayer_tmpl, int kind,
                            sim_enum *en)
{
    const sim_map *map = kind == SIM_ENUM_PROVIDER ? &e->providers_by_key : &e->sublayers_by_key;
    const wfp_guid *provider = kind == SIM_ENUM_SUBLAYER && sublayer_tmpl != NULL ? sublayer_tmpl->providerKey : NULL;
    sim_object **items = malloc((map->count + 1) * sizeof *items);
    if (items == NULL)
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    size_t n = 0;
    for (size_t i = 0; map->slots != NULL && i <= map->mask; i++) {
        sim_object *o = map->slots[i];
        if (o == NULL)
            continue;
        if (provider != NULL) {
            const sim_sublayer *s = (const sim_sublayer *)o;
            if (s->provider == NULL || !wfp_guid_equal(&s->provider->key, provider))
                continue;
        }
        items[n++] = o;
    }
    qsort(items, n, sizeof *items, by_seq);
    for (size_t i = 0; i < n; i++)
        sim_object_ref(items[i]);
    en->items = items;
    en->count = n;
    return WFP_OK;
}
