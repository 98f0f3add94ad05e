/* Stress of the embedded engine's indexes, white box: sparse and huge filter ids through the
   snapshot load entry point, id order within and across layers through churn (the id index's
   per-layer tags), the optional per-filter records (extras) through every way out, and the
   classify index checked against the per-sublayer trees it must agree with.
   WFP_SIM_TEST_QUICK shrinks the sizes (valgrind). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "classify_internal.h" /* the trees, slots and matcher the index is checked against */
#include "test_sim.h"

/* ---- helpers ------------------------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t below(uint32_t n) { return (uint32_t)(rnd() % n); }

static size_t scaled(size_t full, size_t quick) { return test_quick() ? quick : full; }

static int by_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x == y ? 0 : x < y ? -1 : 1;
}

static void shuffle(uint64_t *v, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rnd() % i;
        uint64_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

static wfp_guid key_for_id(uint64_t id)
{
    wfp_guid g = test_guid((uint32_t)id ^ (uint32_t)(id >> 32));
    memcpy(g.Data4, &id, sizeof g.Data4); /* unique per id */
    return g;
}

static uint32_t load(wfp_handle h, const wfp_guid *layer, uint64_t id, uint64_t weight)
{
    wfp_filter0 f = test_filter(layer, "loaded");
    f.filterKey = key_for_id(id);
    return wfp_sim_load_filter(h, &f, id, weight);
}

static uint64_t *enum_ids(wfp_handle h, const wfp_guid *layer, uint32_t page, size_t cap, size_t *n)
{
    wfp_filter_enum_template0 t;
    memset(&t, 0, sizeof t);
    t.actionMask = 0xFFFFFFFFu;
    t.flags = WFP_FILTER_ENUM_FLAG_INCLUDE_BOOTTIME | WFP_FILTER_ENUM_FLAG_INCLUDE_DISABLED;
    if (layer != NULL)
        t.layerKey = *layer;
    uint64_t *ids = malloc((cap ? cap : 1) * sizeof *ids);
    *n = test_enum_filter_ids(h, layer != NULL ? &t : NULL, page, ids, cap);
    return ids;
}

static int same_ids(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

static size_t field_index_of(const wfp_layer_info *layer, const wfp_guid *key)
{
    const wfp_field_info *field = wfp_layer_field_find(layer, key);
    return field != NULL ? (size_t)(field - layer->fields) : 0;
}

static size_t heap_bytes(wfp_sim_engine *e)
{
    wfp_sim_stats stats;
    wfp_sim_engine_stats(e, &stats);
    return stats.heap_bytes;
}

/* ---- sparse and huge ids ----------------------------------------------------------------------- */

static const uint64_t EDGE_IDS[] = {1, 2, 63, 64, 65, 4095, 4096, 4097, 1ull << 20, (1ull << 32) + 5,
                                    (1ull << 36) - 1, 1ull << 48, 1ull << 63, UINT64_MAX - 1, UINT64_MAX};
#define NUM_EDGE_IDS (sizeof EDGE_IDS / sizeof EDGE_IDS[0])

/* Edge ids of the radix tree (node boundaries, every height, the top) and random ones: dense
   clusters, scattered small ones and anywhere in 64 bits.  Sorted and distinct. */
static uint64_t *sparse_ids(size_t n)
{
    uint64_t *ids = malloc(n * sizeof *ids);
    size_t count = 0;
    for (; count < NUM_EDGE_IDS && count < n; count++)
        ids[count] = EDGE_IDS[count];
    while (count < n) {
        uint64_t id;
        switch (below(3)) {
        case 0:
            id = rnd();
            break;
        case 1:
            id = rnd() & 0xFFFFFFu;
            break;
        default:
            id = ids[count - 1] + 1 + below(3);
            break;
        }
        if (id != 0)
            ids[count++] = id;
        if (count == n) {
            qsort(ids, count, sizeof *ids, by_u64);
            size_t kept = 1;
            for (size_t i = 1; i < count; i++)
                if (ids[i] != ids[kept - 1])
                    ids[kept++] = ids[i];
            count = kept;
        }
    }
    return ids;
}

static int id_in(const uint64_t *sorted, size_t n, uint64_t id)
{
    return bsearch(&id, sorted, n, sizeof id, by_u64) != NULL;
}

/* Enumeration without a layer lists the layers in table order, each in id order. */
static const wfp_guid *sparse_layers;

static size_t table_index(const wfp_guid *layer) { return (size_t)(wfp_layer_find(layer) - wfp_layer_table); }

static int by_layer_then_id(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    size_t lx = table_index(&sparse_layers[x % 3]), ly = table_index(&sparse_layers[y % 3]);
    return lx != ly ? (lx < ly ? -1 : 1) : by_u64(a, b);
}

static void sparse_and_huge_ids(void)
{
    wfp_sim_engine *e = NULL;
    CHECK_OK(wfp_sim_engine_create(NULL, &e));
    wfp_handle h = test_open(e, 0, 0);
    wfp_guid layers[3] = {test_layer("ALE_AUTH_CONNECT_V4"), test_layer("ALE_AUTH_RECV_ACCEPT_V6"),
                          test_layer("OUTBOUND_TRANSPORT_V4")};
    sparse_layers = layers;
    size_t n = scaled(3000, 300);
    uint64_t *sorted = sparse_ids(n);
    uint64_t *listed = malloc(n * sizeof *listed); /* in enumeration order */
    memcpy(listed, sorted, n * sizeof *listed);
    qsort(listed, n, sizeof *listed, by_layer_then_id);
    uint64_t *order = malloc(n * sizeof *order);
    memcpy(order, sorted, n * sizeof *order);
    size_t empty_heap = heap_bytes(e), cycle_heap = 0;

    for (int cycle = 0; cycle < 2; cycle++) {
        shuffle(order, n);
        for (size_t i = 0; i < n; i++)
            if (load(h, &layers[order[i] % 3], order[i], rnd()) != WFP_OK)
                CHECK(!"load failed");
        CHECK_CODE(load(h, &layers[0], order[n / 2], 0), WFP_E_ALREADY_EXISTS);
        CHECK_CODE(load(h, &layers[0], 0, 0), WFP_E_INVALID_PARAMETER);

        /* Every id finds its filter; its neighbours that were not loaded find nothing. */
        size_t found = 0, absent_ok = 0, absent = 0;
        for (size_t i = 0; i < n; i++) {
            wfp_filter0 *f = NULL;
            if (B->filter_get_by_id(h, sorted[i], &f) == WFP_OK && f->filterId == sorted[i]) {
                wfp_guid want = key_for_id(sorted[i]);
                found += wfp_guid_equal(&f->filterKey, &want);
            }
            B->free_memory((void **)&f);
            uint64_t around[2] = {sorted[i] - 1, sorted[i] + 1};
            for (int k = 0; k < 2; k++) {
                if (id_in(sorted, n, around[k]))
                    continue;
                absent++;
                absent_ok += B->filter_get_by_id(h, around[k], &f) == WFP_E_FILTER_NOT_FOUND;
                B->free_memory((void **)&f);
            }
        }
        CHECK(found == n && absent_ok == absent && absent > 0);
        size_t got;
        uint64_t *ids = enum_ids(h, NULL, 97, n + 1, &got);
        CHECK(same_ids(ids, got, listed, n));
        free(ids);

        /* UINT64_MAX is taken: the engine has no id left to hand out, and says so. */
        wfp_sim_stats stats;
        wfp_sim_engine_stats(e, &stats);
        CHECK(stats.filters == n && stats.next_filter_id == UINT64_MAX);
        wfp_filter0 plain = test_filter(&layers[0], "plain");
        uint64_t plain_id = 0;
        CHECK_CODE(B->filter_add(h, &plain, NULL, &plain_id), WFP_E_OUT_OF_BOUNDS);

        /* An aborted transaction of loads leaves every id as it was. */
        CHECK_OK(B->transaction_begin(h, 0));
        size_t extra = 0;
        for (size_t i = 0; i < 64; i++) {
            uint64_t id = sorted[i * (n / 64)] + 1;
            if (!id_in(sorted, n, id) && load(h, &layers[1], id, 5) == WFP_OK)
                extra++;
        }
        CHECK(extra > 0);
        CHECK_OK(B->filter_delete_by_id(h, UINT64_MAX));
        CHECK_OK(B->transaction_abort(h));
        ids = enum_ids(h, NULL, 1000, n + 64, &got);
        CHECK(same_ids(ids, got, listed, n));
        free(ids);

        /* Half go in random order, come back, then all go. */
        shuffle(order, n);
        for (size_t i = 0; i < n / 2; i++)
            if (B->filter_delete_by_id(h, order[i]) != WFP_OK)
                CHECK(!"delete failed");
        uint64_t *rest = malloc(n * sizeof *rest);
        memcpy(rest, order + n / 2, (n - n / 2) * sizeof *rest);
        qsort(rest, n - n / 2, sizeof *rest, by_layer_then_id);
        ids = enum_ids(h, NULL, 33, n, &got);
        CHECK(same_ids(ids, got, rest, n - n / 2));
        free(ids);
        free(rest);
        for (size_t i = 0; i < n / 2; i++)
            if (load(h, &layers[order[i] % 3], order[i], 1) != WFP_OK)
                CHECK(!"reload of a freed id failed");
        for (size_t i = 0; i < n; i++)
            if (B->filter_delete_by_id(h, order[i]) != WFP_OK)
                CHECK(!"delete failed");
        wfp_sim_engine_stats(e, &stats);
        CHECK(stats.filters == 0);
        ids = enum_ids(h, NULL, 10, 1, &got);
        CHECK(got == 0);
        free(ids);
        /* Memory comes back: a second cycle ends where the first did. */
        if (cycle == 0)
            cycle_heap = heap_bytes(e);
        else
            CHECK(heap_bytes(e) == cycle_heap);
    }
    CHECK(cycle_heap >= empty_heap);
    free(sorted);
    free(listed);
    free(order);
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

/* ---- id order across layers ---------------------------------------------------------------------- */

typedef struct live_filter {
    uint64_t id;
    unsigned layer;
} live_filter;

static size_t live_table_index[8]; /* table index of each test layer */

/* The order of an enumeration of every layer: layers in table order, each in id order. */
static int by_listing_order(const void *a, const void *b)
{
    const live_filter *x = a, *y = b;
    size_t lx = live_table_index[x->layer], ly = live_table_index[y->layer];
    return lx != ly ? (lx < ly ? -1 : 1) : by_u64(&x->id, &y->id);
}

/* Normal adds and forced jumps at six layers, a quarter deleted each round: enumerating one layer
   (a walk of the id index by layer tag) and every layer give exactly the live ids, in order. */
static void id_order_across_layers(void)
{
    static const char *const names[] = {"ALE_AUTH_CONNECT_V4", "ALE_AUTH_CONNECT_V6", "ALE_AUTH_RECV_ACCEPT_V4",
                                        "OUTBOUND_TRANSPORT_V4", "INBOUND_IPPACKET_V4", "ALE_FLOW_ESTABLISHED_V4"};
    enum { NUM_LAYERS = sizeof names / sizeof names[0] };
    wfp_guid layers[NUM_LAYERS];
    for (unsigned l = 0; l < NUM_LAYERS; l++) {
        layers[l] = test_layer(names[l]);
        live_table_index[l] = table_index(&layers[l]);
    }
    wfp_sim_engine *e = NULL;
    CHECK_OK(wfp_sim_engine_create(NULL, &e));
    wfp_handle h = test_open(e, 1, 0);
    size_t rounds = scaled(12, 4), per_round = scaled(800, 120);
    size_t cap = rounds * (per_round + 8), count = 0;
    live_filter *live = malloc(cap * sizeof *live);
    uint64_t *want = malloc(cap * sizeof *want);
    uint64_t next_forced = 1ull << 20;

    for (size_t round = 0; round < rounds; round++) {
        for (size_t i = 0; i < per_round; i++) {
            unsigned l = below(NUM_LAYERS);
            uint64_t id = 0;
            if (below(10) == 0) {
                /* A jump ahead: later adds continue above it. */
                next_forced += 1 + (rnd() & ((1ull << (8 + 3 * round)) - 1));
                id = next_forced;
                if (load(h, &layers[l], id, rnd() >> 4) != WFP_OK)
                    CHECK(!"load failed");
            } else {
                wfp_filter0 f = test_filter(&layers[l], "ordered");
                if (B->filter_add(h, &f, NULL, &id) != WFP_OK)
                    CHECK(!"add failed");
                next_forced = id > next_forced ? id : next_forced;
            }
            live[count].id = id;
            live[count].layer = l;
            count++;
        }
        for (size_t k = count / 4; k > 0 && count > 0; k--) {
            size_t victim = rnd() % count;
            if (B->filter_delete_by_id(h, live[victim].id) != WFP_OK)
                CHECK(!"delete failed");
            live[victim] = live[--count];
        }
        qsort(live, count, sizeof *live, by_listing_order);
        for (size_t i = 0; i < count; i++)
            want[i] = live[i].id;
        static const uint32_t pages[] = {1, 7, 4096};
        size_t got;
        uint64_t *ids = enum_ids(h, NULL, pages[round % 3], cap, &got);
        CHECK(same_ids(ids, got, want, count));
        free(ids);
        for (unsigned l = 0; l < NUM_LAYERS; l++) {
            size_t in_layer = 0;
            for (size_t i = 0; i < count; i++)
                if (live[i].layer == l)
                    want[in_layer++] = live[i].id;
            ids = enum_ids(h, &layers[l], pages[(round + l) % 3], cap, &got);
            if (!same_ids(ids, got, want, in_layer))
                printf("    round %zu layer %s: %zu ids, want %zu\n", round, names[l], got, in_layer);
            CHECK(same_ids(ids, got, want, in_layer));
            free(ids);
        }
    }
    free(live);
    free(want);
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

/* ---- extras round trip ------------------------------------------------------------------------- */

enum {
    X_RAW_CONTEXT = 1,
    X_PROVIDER_CONTEXT = 2,
    X_DESCRIPTION = 4,
    X_EMPTY_DESCRIPTION = 8,
    X_DATA = 16,
    X_CALLOUT = 32,
    X_FILTER_TYPE = 64, /* a filterType on a Block, which WFP ignores but keeps */
    X_ALL = 128
};

typedef struct extras_case {
    unsigned what;
    uint64_t id;
    char name[40];
    char description[40];
    uint8_t data[40];
    uint32_t data_size;
    wfp_guid action_key;
    wfp_guid context_key;
    uint64_t raw_context;
} extras_case;

static void make_case(extras_case *c, unsigned what, size_t index)
{
    memset(c, 0, sizeof *c);
    if ((what & X_RAW_CONTEXT) && (what & X_PROVIDER_CONTEXT))
        what &= ~(unsigned)X_RAW_CONTEXT; /* one union */
    if ((what & X_DESCRIPTION) && (what & X_EMPTY_DESCRIPTION))
        what &= ~(unsigned)X_EMPTY_DESCRIPTION;
    if ((what & X_CALLOUT) && (what & X_FILTER_TYPE))
        what &= ~(unsigned)X_FILTER_TYPE;
    c->what = what;
    c->id = 5000 + (uint64_t)index * 1000003u;
    size_t name_len = index % 9; /* every alignment of what follows the name */
    for (size_t i = 0; i < name_len; i++)
        c->name[i] = (char)('a' + (index + i) % 26);
    snprintf(c->description, sizeof c->description, "description %zu", index % 17);
    c->data_size = (uint32_t)(1 + index % 33);
    for (uint32_t i = 0; i < c->data_size; i++)
        c->data[i] = (uint8_t)(index * 31 + i);
    c->action_key = test_guid(0xCA110000u + (uint32_t)index);
    c->context_key = test_guid(0xC0000000u + (uint32_t)index);
    c->raw_context = 0x0102030405060708ull * (index + 1);
}

static wfp_filter0 case_filter(const extras_case *c, const wfp_guid *layer, wfp_filter_condition0 *cond)
{
    wfp_filter0 f = test_filter(layer, c->name);
    f.filterKey = key_for_id(c->id);
    if (c->what & X_RAW_CONTEXT)
        f.rawContext = c->raw_context;
    if (c->what & X_PROVIDER_CONTEXT) {
        f.flags |= WFP_FILTER_FLAG_HAS_PROVIDER_CONTEXT;
        f.providerContextKey = c->context_key;
    }
    if (c->what & X_DESCRIPTION)
        f.displayData.description = (wfp_wchar *)test_w(c->description);
    if (c->what & X_EMPTY_DESCRIPTION)
        f.displayData.description = (wfp_wchar *)test_w("");
    if (c->what & X_DATA) {
        f.providerData.data = (uint8_t *)c->data;
        f.providerData.size = c->data_size;
    }
    if (c->what & X_CALLOUT) {
        f.action.type = WFP_ACTION_CALLOUT_TERMINATING;
        f.action.calloutKey = c->action_key;
    }
    if (c->what & X_FILTER_TYPE)
        f.action.filterType = c->action_key;
    f.flags |= WFP_FILTER_FLAG_PERSISTENT;
    f.numFilterConditions = 1;
    f.filterCondition = cond;
    return f;
}

/* Everything the case put in comes back out of f as it went in. */
static int case_matches(const extras_case *c, const wfp_filter0 *f)
{
    int ok = f->filterId == c->id && test_wstr_eq(f->displayData.name, c->name);
    if (c->what & X_DESCRIPTION)
        ok = ok && test_wstr_eq(f->displayData.description, c->description);
    else if (c->what & X_EMPTY_DESCRIPTION)
        ok = ok && test_wstr_eq(f->displayData.description, "");
    else
        ok = ok && f->displayData.description == NULL;
    if (c->what & X_DATA)
        ok = ok && f->providerData.size == c->data_size && memcmp(f->providerData.data, c->data, c->data_size) == 0;
    else
        ok = ok && f->providerData.size == 0;
    wfp_guid key = (c->what & (X_CALLOUT | X_FILTER_TYPE)) ? c->action_key : WFP_GUID_NULL;
    ok = ok && wfp_guid_equal(&f->action.filterType, &key);
    ok = ok && f->action.type == ((c->what & X_CALLOUT) ? WFP_ACTION_CALLOUT_TERMINATING : WFP_ACTION_BLOCK);
    if (c->what & X_PROVIDER_CONTEXT) {
        ok = ok && (f->flags & WFP_FILTER_FLAG_HAS_PROVIDER_CONTEXT) &&
             wfp_guid_equal(&f->providerContextKey, &c->context_key);
    } else {
        uint8_t context[16] = {0};
        if (c->what & X_RAW_CONTEXT)
            memcpy(context, &c->raw_context, sizeof c->raw_context);
        ok = ok && memcmp(&f->providerContextKey, context, sizeof context) == 0;
    }
    ok = ok && f->numFilterConditions == 1 && f->filterCondition[0].conditionValue.type == WFP_UINT16 &&
         f->filterCondition[0].conditionValue.uint16 == (uint16_t)c->id;
    return ok;
}

static uint32_t record_callout(void *context, const wfp_callout_call *call, wfp_callout_verdict *verdict)
{
    *(wfp_guid *)context = *call->callout_key;
    verdict->registered = 1;
    verdict->action = WFP_ACTION_BLOCK;
    return WFP_OK;
}

/* Every combination of the optional filter records, at every alignment of the name, through get
   by id and by key, enumeration, a save and reload, and classify's callout call. */
static void extras_round_trip(void)
{
    char dir[] = "/tmp/wfp-sim-stress-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[96];
    snprintf(path, sizeof path, "%s/extras.state", dir);
    wfp_guid layer = test_layer("ALE_AUTH_CONNECT_V4"), port = test_field("IP_REMOTE_PORT");
    size_t repeats = scaled(3, 1), n = (size_t)X_ALL * repeats;
    extras_case *cases = malloc(n * sizeof *cases);
    for (size_t i = 0; i < n; i++)
        make_case(&cases[i], (unsigned)(i % X_ALL), i);

    wfp_sim_engine *e = NULL;
    CHECK_OK(wfp_sim_engine_create(path, &e));
    wfp_handle h = test_open(e, 0, 0);
    CHECK_OK(B->transaction_begin(h, 0));
    for (size_t i = 0; i < n; i++) {
        wfp_filter_condition0 cond;
        memset(&cond, 0, sizeof cond);
        cond.fieldKey = port;
        cond.conditionValue.type = WFP_UINT16;
        cond.conditionValue.uint16 = (uint16_t)cases[i].id;
        wfp_filter0 f = case_filter(&cases[i], &layer, &cond);
        if (wfp_sim_load_filter(h, &f, cases[i].id, 1000 + i) != WFP_OK)
            CHECK(!"load failed");
    }
    CHECK_OK(B->transaction_commit(h));

    /* An action key costs its 16 bytes only where there is one. */
    sim_filter *plain = sim_filter_find_id(e, cases[0].id);
    sim_filter *keyed = sim_filter_find_id(e, cases[X_CALLOUT].id);
    CHECK(plain != NULL && keyed != NULL && (plain->obj.extras & SIM_EXTRAS_ACTION_KEY) == 0);
    if (keyed != NULL && plain != NULL && strlen(cases[0].name) == strlen(cases[X_CALLOUT].name))
        CHECK(keyed->obj.size == plain->obj.size + sizeof(wfp_guid));
    CHECK(keyed != NULL && keyed->obj.extras == SIM_EXTRAS_ACTION_KEY);

    for (int pass = 0; pass < 2; pass++) {
        size_t by_id = 0, by_key = 0, enumerated = 0;
        for (size_t i = 0; i < n; i++) {
            wfp_filter0 *f = NULL;
            if (B->filter_get_by_id(h, cases[i].id, &f) == WFP_OK)
                by_id += case_matches(&cases[i], f);
            else if (by_id == i)
                printf("    case %zu (what 0x%x) get failed\n", i, cases[i].what);
            B->free_memory((void **)&f);
            wfp_guid key = key_for_id(cases[i].id);
            if (B->filter_get_by_key(h, &key, &f) == WFP_OK)
                by_key += case_matches(&cases[i], f);
            B->free_memory((void **)&f);
        }
        wfp_pager pager;
        CHECK_OK(wfp_pager_open(&pager, B, h, WFP_ENUM_FILTERS, NULL, 0));
        size_t next = 0;
        for (;;) {
            CHECK_OK(wfp_pager_next(&pager));
            if (pager.page_count == 0)
                break;
            for (uint32_t k = 0; k < pager.page_count && next < n; k++, next++)
                enumerated += case_matches(&cases[next], pager.page[k]); /* ids ascend like the cases */
        }
        wfp_pager_close(&pager);
        if (by_id != n || by_key != n || enumerated != n)
            printf("    pass %d: by id %zu, by key %zu, enumerated %zu of %zu\n", pass, by_id, by_key,
                   enumerated, n);
        CHECK(by_id == n && by_key == n && enumerated == n);

        /* Classify hands a callout filter's key to the model. */
        const wfp_layer_info *info = wfp_layer_find(&layer);
        for (size_t i = X_CALLOUT; i < n; i += X_ALL) {
            wfp_classify_value value;
            memset(&value, 0, sizeof value);
            value.field = (uint32_t)field_index_of(info, &port);
            value.value.type = WFP_UINT16;
            value.value.uint16 = (uint16_t)cases[i].id;
            wfp_guid seen = WFP_GUID_NULL;
            wfp_classify_options options;
            memset(&options, 0, sizeof options);
            options.callout = record_callout;
            options.callout_context = &seen;
            wfp_classify_result result;
            CHECK_OK(wfp_sim_classify(h, &layer, &value, 1, &options, &result));
            CHECK(result.filter_id == cases[i].id && wfp_guid_equal(&seen, &cases[i].action_key));
        }
        if (pass == 0) { /* again from the state file */
            B->engine_close(h);
            wfp_sim_engine_release(e);
            CHECK_OK(wfp_sim_engine_create(path, &e));
            h = test_open(e, 0, 0);
        }
    }
    B->engine_close(h);
    wfp_sim_engine_release(e);
    free(cases);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

/* ---- the classify index against the trees ------------------------------------------------------- */

typedef struct tree_walk {
    const sim_input *inputs;
    uint64_t *ids;
    const sim_filter **filters;
    size_t count;
} tree_walk;

static int collect_matching(sim_filter *f, void *arg)
{
    tree_walk *w = arg;
    if (sim_filter_matches(f, w->inputs)) {
        w->ids[w->count] = f->id;
        w->filters[w->count] = f;
        w->count++;
    }
    return 0;
}

typedef struct index_fixture {
    wfp_handle h;
    wfp_guid layer;
    const wfp_layer_info *info;
    wfp_guid sublayers[4];
    wfp_guid port, proto, addr, local_port;
    uint64_t next_forced;
} index_fixture;

static const uint32_t ADDRESSES[] = {0x0A000001u, 0x0A000002u, 0x0A0000FFu, 0xC0A80101u, 0x08080808u};
#define NUM_ADDRESSES (sizeof ADDRESSES / sizeof ADDRESSES[0])

/* A random filter: up to three conditions, most of them equalities the index can hash (a field
   may repeat: those are ORed), some ranges, masks and inequalities it cannot; weights that tie
   often; sometimes a huge forced id through the load entry point. */
static uint32_t add_random_filter(index_fixture *x, uint64_t *id)
{
    wfp_filter_condition0 c[3];
    wfp_range0 ranges[3];
    wfp_v4_addr_and_mask masks[3];
    memset(c, 0, sizeof c);
    uint32_t n = below(4);
    for (uint32_t i = 0; i < n; i++) {
        switch (below(7)) {
        case 0:
        case 1:
            c[i].fieldKey = x->port;
            c[i].conditionValue.type = WFP_UINT16;
            c[i].conditionValue.uint16 = (uint16_t)below(40);
            break;
        case 2:
            c[i].fieldKey = x->proto;
            c[i].conditionValue.type = WFP_UINT8;
            c[i].conditionValue.uint8 = below(2) ? 6 : 17;
            break;
        case 3:
            c[i].fieldKey = x->addr;
            c[i].conditionValue.type = WFP_UINT32;
            c[i].conditionValue.uint32 = ADDRESSES[below(NUM_ADDRESSES)];
            break;
        case 4: {
            uint16_t low = (uint16_t)below(40);
            c[i].fieldKey = x->port;
            c[i].matchType = WFP_MATCH_RANGE;
            c[i].conditionValue.type = WFP_RANGE_TYPE;
            ranges[i].valueLow.type = ranges[i].valueHigh.type = WFP_UINT16;
            ranges[i].valueLow.uint16 = low;
            ranges[i].valueHigh.uint16 = (uint16_t)(low + below(10));
            c[i].conditionValue.rangeValue = &ranges[i];
            break;
        }
        case 5:
            c[i].fieldKey = x->addr;
            c[i].conditionValue.type = WFP_V4_ADDR_MASK;
            masks[i].addr = 0x0A000000u;
            masks[i].mask = below(2) ? 0xFFFFFF00u : 0xFF000000u;
            c[i].conditionValue.v4AddrMask = &masks[i];
            break;
        default:
            c[i].fieldKey = x->local_port;
            c[i].matchType = below(2) ? WFP_MATCH_NOT_EQUAL : WFP_MATCH_GREATER;
            c[i].conditionValue.type = WFP_UINT16;
            c[i].conditionValue.uint16 = (uint16_t)below(40);
            break;
        }
    }
    wfp_filter0 f = test_filter(&x->layer, "indexed");
    f.subLayerKey = x->sublayers[below(4)];
    f.numFilterConditions = n;
    f.filterCondition = c;
    f.action.type = below(3) ? WFP_ACTION_BLOCK : WFP_ACTION_PERMIT;
    if (below(4) == 0)
        f.flags |= WFP_FILTER_FLAG_CLEAR_ACTION_RIGHT;
    uint64_t exact = 100 * (1 + below(3)); /* few distinct values: ties, ordered by id */
    if (below(8) == 0) {
        x->next_forced += 1 + (rnd() >> (8 + below(40)));
        f.filterKey = key_for_id(x->next_forced);
        *id = x->next_forced;
        return wfp_sim_load_filter(x->h, &f, x->next_forced, exact);
    }
    if (below(2)) {
        f.weight.type = WFP_UINT64;
        f.weight.uint64 = &exact;
    } else {
        f.weight.type = WFP_UINT8;
        f.weight.uint8 = (uint8_t)below(3);
    }
    return B->filter_add(x->h, &f, NULL, id);
}

/* Classifies random values with a trace and checks every sublayer's steps against a walk of its
   tree: the same matching filters in the same order, the first one deciding. */
static size_t check_classifies(wfp_sim_engine *e, index_fixture *x, size_t lookups, size_t max_filters)
{
    size_t mismatches = 0;
    size_t layer_index = (size_t)(x->info - wfp_layer_table);
    sim_input *inputs = malloc(x->info->num_fields * sizeof *inputs);
    wfp_classify_step *steps = malloc(max_filters * sizeof *steps);
    wfp_classify_sublayer subs[16];
    tree_walk walk = {inputs, malloc(max_filters * sizeof(uint64_t)), malloc(max_filters * sizeof(sim_filter *)), 0};
    for (size_t q = 0; q < lookups; q++) {
        wfp_classify_value v[4];
        uint32_t nv = 0;
        memset(v, 0, sizeof v);
        if (below(8)) {
            v[nv].field = (uint32_t)field_index_of(x->info, &x->port);
            v[nv].value.type = WFP_UINT16;
            v[nv++].value.uint16 = (uint16_t)below(45);
        }
        if (below(8)) {
            v[nv].field = (uint32_t)field_index_of(x->info, &x->proto);
            v[nv].value.type = WFP_UINT8;
            v[nv++].value.uint8 = below(3) ? (below(2) ? 6 : 17) : 1;
        }
        if (below(8)) {
            v[nv].field = (uint32_t)field_index_of(x->info, &x->addr);
            v[nv].value.type = WFP_UINT32;
            v[nv++].value.uint32 = below(6) ? ADDRESSES[below(NUM_ADDRESSES)] : 0x0A000000u | below(512);
        }
        if (below(2)) {
            v[nv].field = (uint32_t)field_index_of(x->info, &x->local_port);
            v[nv].value.type = WFP_UINT16;
            v[nv++].value.uint16 = (uint16_t)below(45);
        }
        wfp_classify_options options;
        memset(&options, 0, sizeof options);
        options.flags = WFP_CLASSIFY_TRACE;
        options.sublayers = subs;
        options.sublayer_capacity = 16;
        options.steps = steps;
        options.step_capacity = (uint32_t)max_filters;
        wfp_classify_result r;
        CHECK_OK(wfp_sim_classify(x->h, &x->layer, v, nv, &options, &r));
        uint32_t bad;
        CHECK_OK(sim_inputs_build(x->info, v, nv, inputs, &bad));

        const sim_layer_state *ls = &e->layers[layer_index];
        int ok = !r.trace_truncated && r.num_sublayers == ls->num_slots;
        uint32_t verdict = WFP_ACTION_NONE;
        int writable = 1;
        uint64_t decider = 0;
        for (size_t i = 0; ok && i < ls->num_slots; i++) {
            const wfp_classify_sublayer *ts = &r.sublayers[i];
            walk.count = 0;
            sim_tree_walk(ls->slots[i].root, collect_matching, &walk);
            ok = wfp_guid_equal(&ts->sublayer_key, &ls->slots[i].sublayer->key) && ts->num_steps == walk.count;
            for (size_t k = 0; ok && k < walk.count; k++) {
                const wfp_classify_step *step = &r.steps[ts->first_step + k];
                uint32_t outcome = k > 0 ? WFP_STEP_NOT_EVALUATED
                                   : walk.filters[0]->action_type == WFP_ACTION_PERMIT ? WFP_STEP_PERMIT
                                                                                       : WFP_STEP_BLOCK;
                ok = step->filter_id == walk.ids[k] && step->outcome == outcome;
            }
            if (!ok || walk.count == 0)
                continue;
            /* Arbitration across sublayers: a hard decision stands, a soft one is replaced. */
            const sim_filter *f = walk.filters[0];
            int hard = f->action_type == WFP_ACTION_BLOCK || (f->flags & WFP_FILTER_FLAG_CLEAR_ACTION_RIGHT);
            ok = ts->filter_id == f->id;
            if (writable) {
                verdict = f->action_type;
                writable = !hard;
                decider = f->id;
            }
        }
        ok = ok && r.filter_id == decider &&
             r.action == (verdict == WFP_ACTION_BLOCK ? WFP_ACTION_BLOCK : WFP_ACTION_PERMIT);
        if (!ok && mismatches++ == 0)
            printf("    lookup %zu (%u values) disagrees with the trees: decided by %llu\n", q, nv,
                   (unsigned long long)r.filter_id);
    }
    free(walk.ids);
    free(walk.filters);
    free(inputs);
    free(steps);
    return mismatches;
}

static void classify_index_against_trees(void)
{
    wfp_sim_engine *e = NULL;
    CHECK_OK(wfp_sim_engine_create(NULL, &e));
    index_fixture x;
    memset(&x, 0, sizeof x);
    x.h = test_open(e, 1, 0);
    x.layer = test_layer("ALE_AUTH_CONNECT_V4");
    x.info = wfp_layer_find(&x.layer);
    x.port = test_field("IP_REMOTE_PORT");
    x.proto = test_field("IP_PROTOCOL");
    x.addr = test_field("IP_REMOTE_ADDRESS");
    x.local_port = test_field("IP_LOCAL_PORT");
    x.next_forced = 1ull << 40;
    x.sublayers[0] = WFP_SUBLAYER_UNIVERSAL;
    static const uint16_t weights[3] = {0xF000, 0x7000, 0x0100};
    for (int i = 1; i < 4; i++) {
        x.sublayers[i] = test_guid(0x5B000000u + (uint32_t)i);
        CHECK_OK(test_add_sublayer(x.h, &x.sublayers[i], NULL, weights[i - 1], 0));
    }
    size_t n = scaled(3000, 300), rounds = scaled(6, 3), lookups = scaled(700, 80);
    size_t cap = n + rounds * n, count = 0;
    uint64_t *live = malloc(cap * sizeof *live);
    for (size_t i = 0; i < n; i++)
        if (add_random_filter(&x, &live[count]) == WFP_OK)
            count++;
    CHECK(count == n);
    size_t mismatches = check_classifies(e, &x, lookups, cap);
    for (size_t round = 0; round < rounds; round++) {
        /* Churn: deletes, adds, and a transaction that is undone. */
        for (size_t k = count / 5; k > 0; k--) {
            size_t victim = rnd() % count;
            if (B->filter_delete_by_id(x.h, live[victim]) != WFP_OK)
                CHECK(!"delete failed");
            live[victim] = live[--count];
        }
        for (size_t k = n / 5; k > 0; k--)
            if (add_random_filter(&x, &live[count]) == WFP_OK)
                count++;
        CHECK_OK(B->transaction_begin(x.h, 0));
        for (size_t k = 0; k < n / 10; k++) {
            uint64_t id;
            add_random_filter(&x, &id);
            B->filter_delete_by_id(x.h, live[rnd() % count]);
        }
        if (round % 2 == 0)
            mismatches += check_classifies(e, &x, lookups / 4, cap); /* own uncommitted view */
        CHECK_OK(B->transaction_abort(x.h));
        mismatches += check_classifies(e, &x, lookups, cap);
    }
    if (mismatches > 0)
        printf("    %zu lookups disagreed\n", mismatches);
    CHECK(mismatches == 0);
    wfp_sim_stats stats;
    wfp_sim_engine_stats(e, &stats);
    CHECK(stats.filters == count);
    free(live);
    B->engine_close(x.h);
    wfp_sim_engine_release(e);
}

int main(void)
{
    static const test_case cases[] = {
        {"sparse_and_huge_ids", sparse_and_huge_ids},
        {"id_order_across_layers", id_order_across_layers},
        {"extras_round_trip", extras_round_trip},
        {"classify_index_against_trees", classify_index_against_trees},
    };
    return test_run_all("stress", cases, sizeof cases / sizeof cases[0]);
}
