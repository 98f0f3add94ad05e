/*
 * The equality index that keeps a classify's cost nearly flat in the number of filters.
 *
 * Per (layer, sublayer) slot, every filter is filed once:
 *  - under one of its fields whose conditions are all EQUAL tests of single values (an exact
 *    value, or an address with a mask or prefix): one entry per ORed value, in a bucket keyed by
 *    (field, prefix length, value under the prefix).  A filter can only match values that hash
 *    to one of its buckets, so a classify probes, per field used in the slot and per prefix
 *    length in use there, one bucket;
 *  - or, when it has no such field, in the slot's residual list, which every classify scans.
 * The field is chosen from the filter alone (the most selective kind, see condition_rank), so
 * deleting recomputes the same keys.  A classify merges the residual list and the buckets it
 * hit in arbitration order (effective weight desc, id asc) and runs the full match on each.
 *
 * Memory: most keys belong to one filter (an address per rule).  Such a bucket is the filter's
 * own pointer, filed in the slot's bucket table under the key's 32-bit hash: 12 bytes of table
 * and nothing else.  Only a filter with a single condition on its chosen field is filed that
 * way, so add and delete verify a hash match by recomputing the key from that condition (a
 * classify takes every filter under the hash: the full match decides).  A key shared by several
 * filters, or held by a filter with several conditions on the field, is a list bucket that
 * stores the key; list entries are bare filter pointers (the order reads the filters).
 *
 * Lists are kept sorted lazily: additions append (staying sorted when they arrive in order),
 * deletions leave a NULL in the sorted part, and a classify sorts and merges what it reads.
 * The engine mutex guards all of it; add, delete and abort maintain it through link/unlink.
 */
#include <stdlib.h>
#include <string.h>

#include "classify_internal.h"

#define PREFIX_EXACT 129u   /* a key that is the whole value of a non-address field */
#define PREFIX_SLOTS 130u   /* prefix lengths 0..128 and PREFIX_EXACT */
#define TAIL_SORT_THRESHOLD 32u
#define LIST_KIND 0x40u     /* sim_object.kind of a list bucket: no engine object has it */

typedef struct idx_list {
    sim_filter **items;  /* NULL entries were deleted from the sorted part */
    uint32_t count;
    uint32_t cap;
    uint32_t sorted;     /* items[0 .. sorted) are in arbitration order */
    uint32_t tombstones; /* deleted entries, all in the sorted part */
} idx_list;

/* A bucket table entry is a sim_filter (one filter holds the key) or this; both start with a
   sim_object, whose kind tells them apart. */
typedef struct idx_bucket {
    sim_object hdr;
    uint16_t field;
    uint8_t prefix;
    uint8_t reserved;
    uint32_t key_len;
    idx_list list;
    uint8_t key[];
} idx_bucket;

typedef struct idx_field {
    uint32_t field;
    uint32_t entries;
    uint32_t prefix_entries[PREFIX_SLOTS];
    uint32_t num_used;
    uint8_t used[PREFIX_SLOTS]; /* the prefix lengths with entries, in no order */
} idx_field;

typedef struct idx_slot {
    size_t layer;
    const sim_sublayer *sublayer;
    size_t filters;
    idx_list residual;
    sim_table buckets; /* tag: sim_tag(key_hash(key)) */
    idx_field *fields;
    size_t num_fields;
    size_t cap_fields;
} idx_slot;

typedef struct idx_key {
    uint32_t field;
    uint8_t prefix;
    uint32_t len;
    const uint8_t *bytes; /* points into scratch or a payload */
    uint8_t scratch[16];
} idx_key;

#define PLAN_TAGS 4u   /* bucket keys a plan keeps; a filter with more keys computes the rest */
#define EARLY_CONDS 8u /* conditions the early plan's scratch filter holds */

/* What sim_index_prefetch worked out for the filter being added, so sim_index_add need not
   repeat it: valid while plan_filter is that filter and plan_slot still exists.
   sim_index_plan_early makes the same plan from a filter add's input while it is still being
   validated (plan_filter NULL, early set), so the bucket reads start a few hundred instructions
   sooner; the conditions it encoded for that (in scratch) become the built filter's own through
   sim_index_take_early, which adopts the plan. */
struct sim_classify_state {
    sim_map slots;
    uint64_t generation;
    size_t bytes;
    const sim_filter *plan_filter;
    uint64_t plan_id;
    idx_slot *plan_slot;
    int plan_field;
    int early;
    uint32_t plan_tags_n;          /* the chosen field's keys and their tags, in condition order */
    uint32_t plan_tags[PLAN_TAGS];
    idx_key plan_keys[PLAN_TAGS];  /* bytes in their own scratch, or in the planned filter */
    sim_filter *scratch;           /* the early plan's conditions (room for EARLY_CONDS) */
};

/* ============================================================================================
 * Lists in arbitration order
 * ============================================================================================ */

static int entry_before(const sim_filter *a, const sim_filter *b)
{
    if (a->effective_weight != b->effective_weight)
        return a->effective_weight > b->effective_weight;
    return a->id < b->id;
}

static int entry_order(const void *pa, const void *pb)
{
    const sim_filter *a = *(sim_filter *const *)pa, *b = *(sim_filter *const *)pb;
    if (entry_before(a, b))
        return -1;
    return entry_before(b, a) ? 1 : 0;
}

static uint32_t list_add(sim_classify_state *st, idx_list *l, sim_filter *f)
{
    if (l->count == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 2;
        sim_filter **items = realloc(l->items, (size_t)cap * sizeof *items);
        if (items == NULL)
            return WFP_ERROR_NOT_ENOUGH_MEMORY;
        st->bytes += (size_t)(cap - l->cap) * sizeof *items;
        l->items = items;
        l->cap = cap;
    }
    if (l->sorted == l->count &&
        (l->count == 0 || (l->items[l->count - 1] != NULL && entry_before(l->items[l->count - 1], f))))
        l->sorted++;
    l->items[l->count++] = f;
    return WFP_OK;
}

static void list_compact(idx_list *l)
{
    uint32_t n = 0, sorted = 0;
    for (uint32_t i = 0; i < l->count; i++) {
        if (l->items[i] == NULL)
            continue;
        if (i < l->sorted)
            sorted++;
        l->items[n++] = l->items[i];
    }
    l->count = n;
    l->sorted = sorted;
    l->tombstones = 0;
}

/* Sorts the tail and merges it into the sorted part, dropping deleted entries. */
static void list_prepare(idx_list *l)
{
    if (l->sorted == l->count)
        return;
    list_compact(l);
    sim_filter **tail = l->items + l->sorted;
    size_t tail_n = l->count - l->sorted;
    qsort(tail, tail_n, sizeof *tail, entry_order);
    if (l->sorted == 0 || entry_before(l->items[l->sorted - 1], tail[0])) {
        l->sorted = l->count; /* the tail goes after the sorted part as it is */
        return;
    }
    sim_filter **merged = malloc((size_t)l->cap * sizeof *merged);
    if (merged == NULL) {
        /* Out of memory: sort everything in place. */
        qsort(l->items, l->count, sizeof *l->items, entry_order);
        l->sorted = l->count;
        return;
    }
    size_t i = 0, j = 0, n = 0;
    while (i < l->sorted || j < tail_n) {
        if (j == tail_n || (i < l->sorted && entry_before(l->items[i], tail[j])))
            merged[n++] = l->items[i++];
        else
            merged[n++] = tail[j++];
    }
    free(l->items);
    l->items = merged;
    l->sorted = l->count;
}

/* Position of f in the sorted part, or -1.  Deleted entries are skipped: between live ones
   they say nothing about order. */
static long list_search(const idx_list *l, const sim_filter *f)
{
    size_t lo = 0, hi = l->sorted;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2, j = mid;
        while (j < hi && l->items[j] == NULL)
            j++;
        if (j == hi) {
            hi = mid;
            continue;
        }
        if (l->items[j] == f)
            return (long)j;
        if (entry_before(l->items[j], f))
            lo = j + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Removes f if present; returns the number of live entries left. */
static uint32_t list_remove(idx_list *l, const sim_filter *f)
{
    if (l->count - l->sorted > TAIL_SORT_THRESHOLD)
        list_prepare(l);
    long at = list_search(l, f);
    if (at >= 0) {
        l->items[at] = NULL;
        l->tombstones++;
    } else {
        for (uint32_t i = l->sorted; i < l->count; i++) {
            if (l->items[i] == f) {
                l->items[i] = l->items[l->count - 1];
                l->count--;
                break;
            }
        }
    }
    if (l->tombstones > 8 && l->tombstones * 2 > l->count)
        list_compact(l);
    return l->count - l->tombstones;
}

/* The only live entry of a list that has one. */
static sim_filter *list_sole(const idx_list *l)
{
    for (uint32_t i = 0; i < l->count; i++)
        if (l->items[i] != NULL)
            return l->items[i];
    return NULL;
}

static void list_free(sim_classify_state *st, idx_list *l)
{
    st->bytes -= (size_t)l->cap * sizeof *l->items;
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* ============================================================================================
 * Keys
 * ============================================================================================ */

static uint64_t hash_bytes(const uint8_t *p, size_t n, uint64_t seed)
{
    uint64_t h = seed ^ (0x9e3779b97f4a7c15ull * (n + 1));
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = sim_hash_u64(h ^ w);
        p += 8;
        n -= 8;
    }
    if (n > 0) {
        uint64_t w = 0;
        memcpy(&w, p, n);
        h = sim_hash_u64(h ^ w ^ ((uint64_t)n << 56));
    }
    return h;
}

static uint64_t key_hash(const idx_key *k)
{
    return hash_bytes(k->bytes, k->len, ((uint64_t)k->field << 8 | k->prefix) * 0xff51afd7ed558ccdull);
}

static int is_address_field(const wfp_field_info *field)
{
    return field->field_type == WFP_FIELD_IP_ADDRESS &&
           (field->data_type == WFP_UINT32 || field->data_type == WFP_BYTE_ARRAY16_TYPE);
}

static void put_u64(uint8_t *p, uint64_t x)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(x >> (8 * i));
}

static void v4_key(idx_key *k, uint32_t addr, uint32_t prefix)
{
    uint32_t mask = prefix == 0 ? 0 : 0xFFFFFFFFu << (32 - prefix);
    put_u64(k->scratch, addr & mask);
    k->prefix = (uint8_t)prefix;
    k->len = 4;
    k->bytes = k->scratch;
}

static void v6_key(idx_key *k, const uint8_t *addr, uint32_t prefix)
{
    memset(k->scratch, 0, 16);
    uint32_t whole = prefix / 8, rest = prefix % 8;
    memcpy(k->scratch, addr, whole);
    if (rest)
        k->scratch[whole] = (uint8_t)(addr[whole] & (0xFFu << (8 - rest)));
    k->prefix = (uint8_t)prefix;
    k->len = 16;
    k->bytes = k->scratch;
}

static uint32_t popcount32(uint32_t x)
{
    uint32_t n = 0;
    while (x) {
        x &= x - 1;
        n++;
    }
    return n;
}

/* Whether a condition is an EQUAL test the index can file, and how selective its kind is.
   0 = not indexable. */
static uint32_t condition_rank(const sim_filter *f, const wfp_field_info *field, const sim_cond *c)
{
    if (c->match != WFP_MATCH_EQUAL)
        return 0;
    uint32_t len;
    if (c->type == WFP_V4_ADDR_MASK) {
        uint32_t prefix = popcount32((uint32_t)c->bits);
        return prefix == 32 ? 100 : 40 + prefix * 60 / 32;
    }
    if (c->type == WFP_V6_ADDR_MASK) {
        uint32_t prefix = sim_payload(f, c->bits, &len)[16];
        if (prefix > 128)
            return 0;
        return prefix == 128 ? 100 : 40 + prefix * 60 / 128;
    }
    if (c->type != field->data_type)
        return 0;
    if (is_address_field(field))
        return 100;
    switch (c->type) {
    case WFP_BYTE_BLOB_TYPE:
    case WFP_UNICODE_STRING_TYPE:
    case WFP_SID:
    case WFP_BYTE_ARRAY16_TYPE:
    case WFP_BYTE_ARRAY6_TYPE:
        return 95;
    case WFP_UINT64:
    case WFP_INT64:
        return 90;
    case WFP_UINT16:
    case WFP_INT16:
        return 70;
    case WFP_UINT32:
    case WFP_INT32:
        return 60;
    case WFP_UINT8:
    case WFP_INT8:
        return 30;
    default:
        return 0; /* EMPTY, floats (IEEE equality is not bitwise), token types */
    }
}

/* The field a filter is filed under, or -1 for the residual list. */
static int chosen_field(const sim_filter *f)
{
    const wfp_field_info *fields = wfp_layer_table[f->layer].fields;
    const sim_cond *c = f->conditions;
    uint32_t n = f->num_conditions;
    int best = -1;
    uint32_t best_rank = 0;
    /* Fields in order of first appearance; a field's rank is the lowest of its conditions', and
       only a rank above the best so far wins.  A condition ranked no higher than the best cannot
       make its field win, whether the field was seen before or not, so it is passed over before
       anything else is looked at. */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t field = c[i].field;
        uint32_t rank = condition_rank(f, &fields[field], &c[i]);
        if (rank <= best_rank)
            continue;
        uint32_t j = 0;
        while (j < i && c[j].field != field)
            j++;
        if (j < i)
            continue; /* ranked with its first condition, where rank was counted too */
        for (j = i + 1; j < n && rank > best_rank; j++)
            if (c[j].field == field) {
                uint32_t r = condition_rank(f, &fields[field], &c[j]);
                if (r < rank)
                    rank = r;
            }
        if (rank > best_rank) {
            best_rank = rank;
            best = (int)field;
        }
    }
    return best;
}

static void condition_key(const sim_filter *f, const wfp_field_info *field, const sim_cond *c, idx_key *k)
{
    uint32_t len;
    k->field = c->field;
    if (c->type == WFP_V4_ADDR_MASK) {
        v4_key(k, (uint32_t)(c->bits >> 32), popcount32((uint32_t)c->bits));
        return;
    }
    if (c->type == WFP_V6_ADDR_MASK) {
        const uint8_t *p = sim_payload(f, c->bits, &len);
        v6_key(k, p, p[16]);
        return;
    }
    if (is_address_field(field)) {
        if (c->type == WFP_UINT32)
            v4_key(k, (uint32_t)c->bits, 32);
        else
            v6_key(k, sim_payload(f, c->bits, &len), 128);
        return;
    }
    k->prefix = PREFIX_EXACT;
    if (sim_type_is_inline(c->type)) {
        put_u64(k->scratch, c->bits);
        k->len = 8;
        k->bytes = k->scratch;
    } else {
        k->bytes = sim_payload(f, c->bits, &len);
        k->len = len;
    }
}

/* The key a value has for a field under one prefix; 0 when it cannot be in any bucket. */
static int input_key(const wfp_field_info *field, uint32_t field_index, uint32_t prefix, const sim_input *v,
                     idx_key *k)
{
    if (v->type == WFP_EMPTY || v->type != field->data_type)
        return 0;
    k->field = field_index;
    if (prefix != PREFIX_EXACT) {
        if (v->type == WFP_UINT32)
            v4_key(k, (uint32_t)v->bits, prefix <= 32 ? prefix : 32);
        else
            v6_key(k, v->data, prefix);
        return 1;
    }
    k->prefix = PREFIX_EXACT;
    if (sim_type_is_inline(v->type)) {
        put_u64(k->scratch, v->bits);
        k->len = 8;
        k->bytes = k->scratch;
    } else {
        k->bytes = v->data;
        k->len = v->len;
    }
    return 1;
}

/* ============================================================================================
 * Slots
 * ============================================================================================ */

static uint64_t slot_hash_of(size_t layer, const sim_sublayer *s)
{
    return sim_hash_u64((uint64_t)(uintptr_t)s ^ ((uint64_t)layer * 0x9e3779b97f4a7c15ull));
}

static uint64_t slot_hash(const void *o)
{
    const idx_slot *s = o;
    return slot_hash_of(s->layer, s->sublayer);
}

static sim_classify_state *state_of(sim_engine *e, int create)
{
    if (e->classify == NULL && create) {
        sim_classify_state *st = calloc(1, sizeof *st);
        size_t scratch = sizeof(sim_filter) + EARLY_CONDS * sizeof(sim_cond);
        if (st != NULL && (st->scratch = calloc(1, scratch)) == NULL) {
            free(st);
            st = NULL;
        }
        if (st != NULL) {
            sim_map_init(&st->slots, slot_hash);
            st->bytes = scratch;
        }
        e->classify = st;
    }
    return e->classify;
}

static idx_slot *slot_find(const sim_classify_state *st, size_t layer, const sim_sublayer *s)
{
    size_t cursor = 0;
    idx_slot *slot;
    while ((slot = sim_map_probe(&st->slots, slot_hash_of(layer, s), &cursor)) != NULL)
        if (slot->layer == layer && slot->sublayer == s)
            return slot;
    return NULL;
}

static idx_slot *slot_get(sim_classify_state *st, size_t layer, const sim_sublayer *s)
{
    idx_slot *slot = slot_find(st, layer, s);
    if (slot != NULL)
        return slot;
    slot = calloc(1, sizeof *slot);
    if (slot == NULL)
        return NULL;
    slot->layer = layer;
    slot->sublayer = s;
    sim_table_init(&slot->buckets);
    if (sim_map_insert(&st->slots, slot) != 0) {
        free(slot);
        return NULL;
    }
    st->bytes += sizeof *slot;
    return slot;
}

static void slot_release_if_empty(sim_classify_state *st, idx_slot *slot)
{
    if (slot->filters > 0)
        return;
    if (st->plan_slot == slot) {
        st->plan_filter = NULL;
        st->early = 0;
    }
    sim_map_remove(&st->slots, slot);
    list_free(st, &slot->residual);
    st->bytes -= sim_table_bytes(&slot->buckets) + slot->cap_fields * sizeof *slot->fields + sizeof *slot;
    sim_table_free(&slot->buckets);
    free(slot->fields);
    free(slot);
}

/* ============================================================================================
 * Buckets
 * ============================================================================================ */

static int is_list(const void *entry) { return ((const sim_object *)entry)->kind == LIST_KIND; }

static int keys_equal(const idx_key *a, uint32_t field, uint8_t prefix, const uint8_t *bytes, uint32_t len)
{
    return a->field == field && a->prefix == prefix && a->len == len && (len == 0 || memcmp(a->bytes, bytes, len) == 0);
}

static uint32_t conditions_on(const sim_filter *f, uint32_t field)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->num_conditions; i++)
        n += f->conditions[i].field == field;
    return n;
}

/* Does filter g, filed inline (its chosen field has one condition), hold key k? */
static int inline_holds(const sim_filter *g, const idx_key *k)
{
    int field = chosen_field(g);
    if (field < 0 || (uint32_t)field != k->field)
        return 0;
    for (uint32_t i = 0; i < g->num_conditions; i++) {
        if (g->conditions[i].field != (uint32_t)field)
            continue;
        idx_key own;
        condition_key(g, &wfp_layer_table[g->layer].fields[field], &g->conditions[i], &own);
        return keys_equal(k, own.field, own.prefix, own.bytes, own.len);
    }
    return 0;
}

/* The table entry (a filter or a list bucket) holding key k, or NULL; then *empty (when not
   NULL) is the empty slot that ended the probe, where an insert of tag goes (SIZE_MAX if none). */
static void *bucket_find(const idx_slot *slot, const idx_key *k, uint32_t tag, size_t *empty)
{
    size_t cursor = 0;
    void *entry;
    while ((entry = sim_table_probe(&slot->buckets, tag, &cursor)) != NULL) {
        if (is_list(entry)) {
            const idx_bucket *b = entry;
            if (keys_equal(k, b->field, b->prefix, b->key, b->key_len))
                return entry;
        } else if (inline_holds(entry, k)) {
            return entry;
        }
    }
    if (empty != NULL)
        *empty = slot->buckets.slots != NULL && cursor > 0 ? (tag + cursor - 1) & slot->buckets.mask : SIZE_MAX;
    return NULL;
}

static idx_bucket *bucket_new(sim_classify_state *st, const idx_key *k)
{
    idx_bucket *b = calloc(1, sizeof *b + k->len);
    if (b == NULL)
        return NULL;
    b->hdr.kind = LIST_KIND;
    b->field = (uint16_t)k->field;
    b->prefix = k->prefix;
    b->key_len = k->len;
    memcpy(b->key, k->bytes, k->len);
    st->bytes += sizeof *b + k->len;
    return b;
}

static void bucket_free(sim_classify_state *st, idx_bucket *b)
{
    list_free(st, &b->list);
    st->bytes -= sizeof *b + b->key_len;
    free(b);
}

static int table_insert(sim_classify_state *st, idx_slot *slot, uint32_t tag, void *entry, size_t empty)
{
    size_t before = sim_table_bytes(&slot->buckets);
    if (sim_table_insert_at(&slot->buckets, tag, entry, empty) != 0)
        return -1;
    st->bytes += sim_table_bytes(&slot->buckets) - before;
    return 0;
}

/* Files f under key k; *added tells whether an entry was made (a repeated key is not).  single:
   f has one condition on the field, so it may stand for the key by itself. */
static uint32_t bucket_add(sim_classify_state *st, idx_slot *slot, const idx_key *k, uint32_t tag, sim_filter *f,
                           int single, int *added)
{
    *added = 0;
    size_t empty = SIZE_MAX;
    void *entry = bucket_find(slot, k, tag, &empty);
    if (entry != NULL && is_list(entry)) {
        idx_list *l = &((idx_bucket *)entry)->list;
        if (l->count > 0 && l->items[l->count - 1] == f)
            return WFP_OK; /* the same value twice in one filter */
        if (list_add(st, l, f) != WFP_OK)
            return WFP_ERROR_NOT_ENOUGH_MEMORY;
    } else if (entry != NULL) {
        /* A second filter for a key one filter held: the key gets a list. */
        sim_filter *g = entry;
        if (g == f)
            return WFP_OK;
        idx_bucket *b = bucket_new(st, k);
        if (b == NULL || list_add(st, &b->list, g) != WFP_OK || list_add(st, &b->list, f) != WFP_OK) {
            if (b != NULL)
                bucket_free(st, b);
            return WFP_ERROR_NOT_ENOUGH_MEMORY;
        }
        sim_table_replace(&slot->buckets, tag, g, b);
    } else if (single) {
        if (table_insert(st, slot, tag, f, empty) != 0)
            return WFP_ERROR_NOT_ENOUGH_MEMORY;
    } else {
        idx_bucket *b = bucket_new(st, k);
        if (b == NULL || list_add(st, &b->list, f) != WFP_OK || table_insert(st, slot, tag, b, empty) != 0) {
            if (b != NULL)
                bucket_free(st, b);
            return WFP_ERROR_NOT_ENOUGH_MEMORY;
        }
    }
    *added = 1;
    return WFP_OK;
}

/* Unfiles f from key k; 1 if it was there. */
static int bucket_remove(sim_classify_state *st, idx_slot *slot, const idx_key *k, const sim_filter *f)
{
    uint32_t tag = sim_tag(key_hash(k));
    void *entry = bucket_find(slot, k, tag, NULL);
    if (entry == NULL)
        return 0;
    if (!is_list(entry)) {
        if (entry != f)
            return 0;
        sim_table_remove(&slot->buckets, tag, entry);
        return 1;
    }
    idx_bucket *b = entry;
    uint32_t before = b->list.count - b->list.tombstones;
    uint32_t left = list_remove(&b->list, f);
    if (left == before)
        return 0;
    if (left == 0) {
        sim_table_remove(&slot->buckets, tag, b);
        bucket_free(st, b);
    } else if (left == 1) {
        /* Back to an inline entry when the one filter left may stand for the key. */
        sim_filter *g = list_sole(&b->list);
        if (conditions_on(g, k->field) == 1) {
            sim_table_replace(&slot->buckets, tag, b, g);
            bucket_free(st, b);
        }
    }
    return 1;
}

static idx_field *field_use(idx_slot *slot, uint32_t field, int create)
{
    for (size_t i = 0; i < slot->num_fields; i++)
        if (slot->fields[i].field == field)
            return &slot->fields[i];
    if (!create)
        return NULL;
    if (slot->num_fields == slot->cap_fields) {
        size_t cap = slot->cap_fields ? slot->cap_fields * 2 : 2;
        idx_field *fields = realloc(slot->fields, cap * sizeof *fields);
        if (fields == NULL)
            return NULL;
        slot->fields = fields;
        slot->cap_fields = cap;
    }
    idx_field *u = &slot->fields[slot->num_fields++];
    memset(u, 0, sizeof *u);
    u->field = field;
    return u;
}

static void field_count(idx_field *u, uint32_t prefix)
{
    u->entries++;
    if (u->prefix_entries[prefix]++ == 0)
        u->used[u->num_used++] = (uint8_t)prefix;
}

static void field_release(idx_slot *slot, idx_field *u, uint32_t prefix)
{
    if (--u->prefix_entries[prefix] == 0)
        for (uint32_t i = 0; i < u->num_used; i++)
            if (u->used[i] == prefix) {
                u->used[i] = u->used[--u->num_used];
                break;
            }
    if (--u->entries > 0)
        return;
    size_t i = (size_t)(u - slot->fields);
    slot->fields[i] = slot->fields[slot->num_fields - 1];
    slot->num_fields--;
}

/* A field use made for a filter whose filing then failed. */
static void field_drop_if_unused(idx_slot *slot, uint32_t field)
{
    idx_field *u = field_use(slot, field, 0);
    if (u != NULL && u->entries == 0) {
        *u = slot->fields[slot->num_fields - 1];
        slot->num_fields--;
    }
}

/* ============================================================================================
 * Maintenance: called when a filter becomes visible in the engine or stops being visible
 * ============================================================================================ */

static void unfile(sim_classify_state *st, idx_slot *slot, const sim_filter *f, int field, uint32_t upto)
{
    const wfp_field_info *info = &wfp_layer_table[f->layer].fields[field];
    idx_field *u = field_use(slot, (uint32_t)field, 0);
    for (uint32_t i = 0; i < upto; i++) {
        const sim_cond *c = &f->conditions[i];
        if (c->field != (uint32_t)field)
            continue;
        idx_key k;
        condition_key(f, info, c, &k);
        if (bucket_remove(st, slot, &k, f) && u != NULL) {
            field_release(slot, u, k.prefix);
            u = field_use(slot, (uint32_t)field, 0);
        }
    }
}

/* Works out f's slot, field and bucket tags and starts loading the buckets. */
static void plan(sim_classify_state *st, idx_slot *slot, const sim_filter *f)
{
    int field = chosen_field(f);
    st->plan_slot = slot;
    st->plan_field = field;
    st->plan_tags_n = 0;
    for (uint32_t i = 0; field >= 0 && i < f->num_conditions; i++) {
        const sim_cond *c = &f->conditions[i];
        if (c->field != (uint32_t)field)
            continue;
        idx_key k;
        condition_key(f, &wfp_layer_table[f->layer].fields[field], c, &k);
        uint32_t tag = sim_tag(key_hash(&k));
        if (st->plan_tags_n < PLAN_TAGS) {
            st->plan_keys[st->plan_tags_n] = k;
            if (k.bytes == k.scratch)
                st->plan_keys[st->plan_tags_n].bytes = st->plan_keys[st->plan_tags_n].scratch;
            st->plan_tags[st->plan_tags_n++] = tag;
        }
        sim_table_prefetch(&slot->buckets, tag);
    }
}

int sim_index_plan_early(sim_engine *e, const wfp_layer_info *layer, const sim_sublayer *sublayer,
                         const wfp_filter_condition0 *conds, const uint16_t *fields, uint32_t n)
{
    sim_classify_state *st = e->classify;
    if (st == NULL)
        return 0;
    st->early = 0;
    st->plan_filter = NULL;
    if (n > EARLY_CONDS)
        return 0;
    /* Only values held inline: their encoding reads nothing the pointer check has not passed
       and writes no payload, so the scratch needs no room beyond the conditions. */
    for (uint32_t i = 0; i < n; i++)
        if (!sim_type_is_inline(conds[i].conditionValue.type))
            return 0;
    size_t layer_index = (size_t)(layer - wfp_layer_table);
    sim_filter *f = st->scratch;
    f->layer = (uint16_t)layer_index;
    f->sublayer = (sim_sublayer *)sublayer;
    f->num_conditions = n;
    for (uint32_t i = 0; i < n; i++) {
        sim_cond *c = &f->conditions[i];
        size_t unused = 0;
        c->type = conds[i].conditionValue.type;
        c->field = fields[i];
        c->match = (uint8_t)conds[i].matchType;
        c->reserved = 0;
        c->bits = sim_encode_value(NULL, &unused, &conds[i].conditionValue);
    }
    idx_slot *slot = slot_find(st, layer_index, sublayer);
    if (slot != NULL) {
        plan(st, slot, f);
        st->early = 1;
    }
    return 1;
}

void sim_index_take_early(sim_engine *e, sim_filter *f)
{
    sim_classify_state *st = e->classify;
    const sim_filter *g = st->scratch;
    memcpy(f->conditions, g->conditions, (size_t)g->num_conditions * sizeof(sim_cond));
    f->num_conditions = g->num_conditions;
    if (st->early && g->layer == f->layer && g->sublayer == f->sublayer) {
        st->plan_filter = f;
        st->plan_id = f->id;
    }
    st->early = 0;
}

void sim_index_forget(sim_engine *e)
{
    if (e->classify != NULL) {
        e->classify->plan_filter = NULL;
        e->classify->early = 0;
    }
}

void sim_index_prefetch(sim_engine *e, const sim_filter *f)
{
    sim_classify_state *st = e->classify;
    if (st == NULL)
        return;
    st->early = 0;
    idx_slot *slot = slot_find(st, f->layer, f->sublayer);
    if (slot == NULL)
        return;
    plan(st, slot, f);
    st->plan_filter = f;
    st->plan_id = f->id;
}

uint32_t sim_index_add(sim_engine *e, sim_filter *f)
{
    sim_classify_state *st = state_of(e, 1);
    if (st == NULL)
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    idx_slot *slot;
    int field;
    uint32_t tags_n = 0;
    if (st->plan_filter == f && st->plan_id == f->id && st->plan_slot->layer == f->layer &&
        st->plan_slot->sublayer == f->sublayer) {
        slot = st->plan_slot;
        field = st->plan_field;
        tags_n = st->plan_tags_n;
    } else {
        if ((slot = slot_get(st, f->layer, f->sublayer)) == NULL)
            return WFP_ERROR_NOT_ENOUGH_MEMORY;
        field = chosen_field(f);
    }
    st->plan_filter = NULL;
    st->early = 0;
    uint32_t status = WFP_OK;
    if (field < 0) {
        status = list_add(st, &slot->residual, f);
    } else {
        const wfp_field_info *info = &wfp_layer_table[f->layer].fields[field];
        int single = conditions_on(f, (uint32_t)field) == 1;
        size_t fields_before = slot->cap_fields;
        idx_field *u = field_use(slot, (uint32_t)field, 1);
        st->bytes += (slot->cap_fields - fields_before) * sizeof *slot->fields;
        if (u == NULL)
            status = WFP_ERROR_NOT_ENOUGH_MEMORY;
        for (uint32_t i = 0, nth = 0; i < f->num_conditions && status == WFP_OK; i++) {
            const sim_cond *c = &f->conditions[i];
            if (c->field != (uint32_t)field)
                continue;
            idx_key own;
            const idx_key *k = &own;
            uint32_t tag;
            if (nth < tags_n) {
                /* The key the plan made; an early plan's came from the same encoded values. */
                k = &st->plan_keys[nth];
                tag = st->plan_tags[nth];
            } else {
                condition_key(f, info, c, &own);
                tag = sim_tag(key_hash(&own));
            }
            nth++;
            int added;
            status = bucket_add(st, slot, k, tag, f, single, &added);
            if (status != WFP_OK) {
                unfile(st, slot, f, field, i);
                break;
            }
            if (added)
                field_count(field_use(slot, (uint32_t)field, 0), k->prefix);
        }
        if (status != WFP_OK)
            field_drop_if_unused(slot, (uint32_t)field);
    }
    if (status != WFP_OK) {
        slot_release_if_empty(st, slot);
        return status;
    }
    slot->filters++;
    st->generation++;
    return WFP_OK;
}

void sim_index_remove(sim_engine *e, sim_filter *f)
{
    sim_classify_state *st = state_of(e, 0);
    if (st == NULL)
        return;
    idx_slot *slot = slot_find(st, f->layer, f->sublayer);
    if (slot == NULL)
        return;
    int field = chosen_field(f);
    if (field < 0) {
        uint32_t before = slot->residual.count - slot->residual.tombstones;
        if (list_remove(&slot->residual, f) == before)
            return; /* never filed (its add failed) */
    } else {
        idx_field *u = field_use(slot, (uint32_t)field, 0);
        uint32_t entries_before = u != NULL ? u->entries : 0;
        unfile(st, slot, f, field, f->num_conditions);
        u = field_use(slot, (uint32_t)field, 0);
        if ((u != NULL ? u->entries : 0) == entries_before)
            return;
    }
    slot->filters--;
    st->generation++;
    slot_release_if_empty(st, slot);
}

void sim_classify_state_free(sim_engine *e)
{
    sim_classify_state *st = e->classify;
    if (st == NULL)
        return;
    if (st->slots.slots != NULL) {
        for (size_t i = 0; i <= st->slots.mask; i++) {
            idx_slot *slot = st->slots.slots[i];
            if (slot == NULL)
                continue;
            for (size_t j = 0; slot->buckets.slots != NULL && j <= slot->buckets.mask; j++) {
                void *entry = sim_table_at(&slot->buckets, j);
                if (entry != NULL && is_list(entry)) {
                    free(((idx_bucket *)entry)->list.items);
                    free(entry);
                }
            }
            sim_table_free(&slot->buckets);
            free(slot->residual.items);
            free(slot->fields);
            free(slot);
        }
    }
    sim_map_free(&st->slots);
    free(st->scratch);
    free(st);
    e->classify = NULL;
}

uint64_t sim_index_generation(const sim_engine *e) { return e->classify != NULL ? e->classify->generation : 0; }

size_t sim_index_bytes(const sim_engine *e)
{
    const sim_classify_state *st = e->classify;
    return st == NULL ? 0 : st->bytes + sizeof *st + sim_map_bytes(&st->slots);
}

/* ============================================================================================
 * Lookup and merge
 * ============================================================================================ */

void sim_candidates_init(sim_candidates *c)
{
    c->streams = c->inline_streams;
    c->cap = sizeof c->inline_streams / sizeof c->inline_streams[0];
    c->count = 0;
    c->last_id = 0;
    c->started = 0;
}

void sim_candidates_free(sim_candidates *c)
{
    if (c->streams != c->inline_streams)
        free(c->streams);
    sim_candidates_init(c);
}

static sim_index_stream *new_stream(sim_candidates *c)
{
    if (c->count == c->cap) {
        size_t cap = c->cap * 2;
        sim_index_stream *streams = malloc(cap * sizeof *streams);
        if (streams == NULL)
            return NULL;
        memcpy(streams, c->streams, c->count * sizeof *streams);
        if (c->streams != c->inline_streams)
            free(c->streams);
        c->streams = streams;
        c->cap = cap;
    }
    return &c->streams[c->count++];
}

static uint32_t add_stream(sim_candidates *c, void *entry)
{
    sim_index_stream *s;
    if (is_list(entry)) {
        idx_list *l = &((idx_bucket *)entry)->list;
        list_prepare(l);
        if (l->count == 0)
            return WFP_OK;
        if ((s = new_stream(c)) == NULL)
            return WFP_ERROR_NOT_ENOUGH_MEMORY;
        s->at = l->items;
        s->end = l->items + l->count;
        s->one = NULL;
    } else {
        if ((s = new_stream(c)) == NULL)
            return WFP_ERROR_NOT_ENOUGH_MEMORY;
        s->at = s->end = NULL;
        s->one = entry;
    }
    return WFP_OK;
}

uint32_t sim_index_candidates(sim_engine *e, size_t layer, const sim_sublayer *sublayer,
                              const sim_input *inputs, sim_candidates *out)
{
    out->count = 0;
    out->started = 0;
    sim_classify_state *st = state_of(e, 0);
    if (st == NULL)
        return WFP_OK;
    idx_slot *slot = slot_find(st, layer, sublayer);
    if (slot == NULL)
        return WFP_OK;
    uint32_t status = WFP_OK;
    idx_list *residual = &slot->residual;
    list_prepare(residual);
    if (residual->count > 0) {
        sim_index_stream *s = new_stream(out);
        if (s == NULL)
            return WFP_ERROR_NOT_ENOUGH_MEMORY;
        s->at = residual->items;
        s->end = residual->items + residual->count;
        s->one = NULL;
    }
    const wfp_layer_info *info = &wfp_layer_table[layer];
    for (size_t i = 0; i < slot->num_fields && status == WFP_OK; i++) {
        const idx_field *u = &slot->fields[i];
        const sim_input *v = &inputs[u->field];
        for (uint32_t j = 0; j < u->num_used && status == WFP_OK; j++) {
            uint32_t prefix = u->used[j];
            idx_key k;
            if (!input_key(&info->fields[u->field], u->field, prefix, v, &k))
                break;
            /* Candidates may be a superset (each gets the full match), so a filter filed inline
               under this tag needs no check that the key is really its own. */
            uint32_t tag = sim_tag(key_hash(&k));
            size_t cursor = 0;
            void *entry;
            while (status == WFP_OK && (entry = sim_table_probe(&slot->buckets, tag, &cursor)) != NULL) {
                if (is_list(entry)) {
                    const idx_bucket *b = entry;
                    if (!keys_equal(&k, b->field, b->prefix, b->key, b->key_len))
                        continue;
                }
                status = add_stream(out, entry);
            }
        }
    }
    return status;
}

/* The stream's next filter, past deleted entries; NULL when it is exhausted. */
static sim_filter *stream_head(sim_index_stream *s)
{
    if (s->at == NULL)
        return s->one;
    while (s->at < s->end && *s->at == NULL)
        s->at++;
    return s->at < s->end ? *s->at : NULL;
}

sim_filter *sim_candidates_next(sim_candidates *c)
{
    for (;;) {
        sim_index_stream *best = NULL;
        sim_filter *best_filter = NULL;
        for (size_t i = 0; i < c->count; i++) {
            sim_index_stream *s = &c->streams[i];
            sim_filter *f = stream_head(s);
            if (f != NULL && (best_filter == NULL || entry_before(f, best_filter))) {
                best = s;
                best_filter = f;
            }
        }
        if (best == NULL)
            return NULL;
        if (best->at != NULL)
            best->at++;
        else
            best->one = NULL;
        if (c->started && best_filter->id == c->last_id)
            continue; /* reached through a second key */
        c->started = 1;
        c->last_id = best_filter->id;
        return best_filter;
    }
}
