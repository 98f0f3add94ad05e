/* Enumeration in the embedded engine: templates, containment and overlap, sorting, paging,
   snapshots and one-block pages. */
#include <stdlib.h>
#include <string.h>

#include "test_sim.h"

static wfp_guid L_V4, L_V6, L_RECV, F_PORT, F_ADDR, F_PROTO, F_APP;

static wfp_sim_engine *new_engine(void)
{
    wfp_sim_engine *e = NULL;
    CHECK_OK(wfp_sim_engine_create(NULL, &e));
    return e;
}

static wfp_filter_condition0 port_eq(uint16_t port)
{
    wfp_filter_condition0 c;
    memset(&c, 0, sizeof c);
    c.fieldKey = F_PORT;
    c.matchType = WFP_MATCH_EQUAL;
    c.conditionValue.type = WFP_UINT16;
    c.conditionValue.uint16 = port;
    return c;
}

static wfp_filter_condition0 port_range(wfp_range0 *r, uint16_t low, uint16_t high)
{
    memset(r, 0, sizeof *r);
    r->valueLow.type = r->valueHigh.type = WFP_UINT16;
    r->valueLow.uint16 = low;
    r->valueHigh.uint16 = high;
    wfp_filter_condition0 c;
    memset(&c, 0, sizeof c);
    c.fieldKey = F_PORT;
    c.matchType = WFP_MATCH_RANGE;
    c.conditionValue.type = WFP_RANGE_TYPE;
    c.conditionValue.rangeValue = r;
    return c;
}

static wfp_filter_condition0 addr_mask(wfp_v4_addr_and_mask *m, uint32_t addr, uint32_t mask)
{
    m->addr = addr;
    m->mask = mask;
    wfp_filter_condition0 c;
    memset(&c, 0, sizeof c);
    c.fieldKey = F_ADDR;
    c.matchType = WFP_MATCH_EQUAL;
    c.conditionValue.type = WFP_V4_ADDR_MASK;
    c.conditionValue.v4AddrMask = m;
    return c;
}

static wfp_filter_condition0 addr_eq(uint32_t addr)
{
    wfp_filter_condition0 c;
    memset(&c, 0, sizeof c);
    c.fieldKey = F_ADDR;
    c.matchType = WFP_MATCH_EQUAL;
    c.conditionValue.type = WFP_UINT32;
    c.conditionValue.uint32 = addr;
    return c;
}

static uint64_t add(wfp_handle h, const wfp_guid *layer, wfp_filter_condition0 *c, uint32_t n, uint32_t action,
                    uint8_t range)
{
    wfp_filter0 f = test_filter(layer, "enum");
    f.numFilterConditions = n;
    f.filterCondition = c;
    f.action.type = action;
    f.weight.type = WFP_UINT8;
    f.weight.uint8 = range;
    uint64_t id = 0;
    CHECK_OK(B->filter_add(h, &f, NULL, &id));
    return id;
}

static wfp_filter_enum_template0 tmpl_for(const wfp_guid *layer, uint32_t type, wfp_filter_condition0 *c, uint32_t n)
{
    wfp_filter_enum_template0 t;
    memset(&t, 0, sizeof t);
    if (layer != NULL)
        t.layerKey = *layer;
    t.enumType = type;
    t.actionMask = 0xFFFFFFFFu;
    t.numFilterConditions = n;
    t.filterCondition = c;
    return t;
}

static int has(const uint64_t *ids, size_t n, uint64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* ---------------------------------------------------------------------------------------------- */

static void basic_templates(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    wfp_guid prov = test_guid(1), sub = test_guid(2);
    CHECK_OK(test_add_provider(h, &prov, 0));
    CHECK_OK(test_add_sublayer(h, &sub, NULL, 5, 0));
    wfp_filter0 f = test_filter(&L_V4, "owned");
    f.providerKey = &prov;
    uint64_t owned, boot, permit, v6, callout;
    CHECK_OK(B->filter_add(h, &f, NULL, &owned));
    f = test_filter(&L_V4, "boot");
    f.flags = WFP_FILTER_FLAG_BOOTTIME;
    CHECK_OK(B->filter_add(h, &f, NULL, &boot));
    permit = add(h, &L_V4, NULL, 0, WFP_ACTION_PERMIT, 0);
    v6 = add(h, &L_V6, NULL, 0, WFP_ACTION_BLOCK, 0);
    f = test_filter(&L_V4, "callout");
    f.action.type = WFP_ACTION_CALLOUT_TERMINATING;
    f.action.calloutKey = test_callout("WFP_TRANSPORT_LAYER_V4_SILENT_DROP");
    CHECK_OK(B->filter_add(h, &f, NULL, &callout));

    uint64_t ids[16];
    size_t n = test_enum_filter_ids(h, NULL, 100, ids, 16);
    CHECK(n == 5); /* no template: everything, boot-time included */
    wfp_filter_enum_template0 t = tmpl_for(NULL, WFP_FILTER_ENUM_OVERLAPPING, NULL, 0);
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    CHECK(n == 4 && !has(ids, n, boot)); /* boot-time filters need a flag */
    t.flags = WFP_FILTER_ENUM_FLAG_INCLUDE_BOOTTIME;
    CHECK(test_enum_filter_ids(h, &t, 100, ids, 16) == 5);
    t.flags = WFP_FILTER_ENUM_FLAG_BOOTTIME_ONLY;
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    CHECK(n == 1 && ids[0] == boot);
    t.flags = 0;
    t.providerKey = &prov;
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    CHECK(n == 1 && ids[0] == owned);
    t.providerKey = NULL;
    t.layerKey = L_V6;
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    CHECK(n == 1 && ids[0] == v6);
    t.layerKey = WFP_GUID_NULL;
    /* (type & mask) != 0 is bitwise: bit 0x2 is set in PERMIT (0x1002) and CALLOUT_TERMINATING
       (0x5003), not in BLOCK (0x1001). */
    t.actionMask = 0x2;
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    CHECK(n == 2 && has(ids, n, permit) && has(ids, n, callout));
    t.actionMask = WFP_ACTION_FLAG_CALLOUT;
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    CHECK(n == 1 && ids[0] == callout);
    t.actionMask = 0; /* matches nothing */
    CHECK(test_enum_filter_ids(h, &t, 100, ids, 16) == 0);
    t.actionMask = 0xFFFFFFFFu;
    wfp_guid drop = test_callout("WFP_TRANSPORT_LAYER_V4_SILENT_DROP"), other = test_guid(9);
    t.calloutKey = &drop;
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    CHECK(n == 1 && ids[0] == callout);
    t.calloutKey = &other;
    CHECK(test_enum_filter_ids(h, &t, 100, ids, 16) == 0);

    /* Template errors. */
    wfp_handle en;
    t = tmpl_for(NULL, 7, NULL, 0);
    CHECK_CODE(B->filter_create_enum_handle(h, &t, &en), WFP_E_INVALID_ENUMERATOR);
    t = tmpl_for(NULL, 0, NULL, 0);
    t.flags = 0x100;
    CHECK_CODE(B->filter_create_enum_handle(h, &t, &en), WFP_E_INVALID_FLAGS);
    wfp_guid unknown = test_guid(77);
    t = tmpl_for(&unknown, 0, NULL, 0);
    CHECK_CODE(B->filter_create_enum_handle(h, &t, &en), WFP_E_LAYER_NOT_FOUND);
    wfp_filter_condition0 c[2] = {port_eq(1), port_eq(2)};
    t = tmpl_for(&L_V4, 0, c, 2);
    CHECK_CODE(B->filter_create_enum_handle(h, &t, &en), WFP_E_DUPLICATE_CONDITION);
    t = tmpl_for(NULL, 0, c, 1); /* conditions need a layer */
    CHECK_CODE(B->filter_create_enum_handle(h, &t, &en), WFP_E_INVALID_PARAMETER);
    t = tmpl_for(&L_V4, 0, NULL, 1);
    CHECK_CODE(B->filter_create_enum_handle(h, &t, &en), WFP_E_NULL_POINTER);
    c[0].conditionValue.type = WFP_UINT8;
    t = tmpl_for(&L_V4, 0, c, 1);
    CHECK_CODE(B->filter_create_enum_handle(h, &t, &en), WFP_E_TYPE_MISMATCH);
    c[0] = port_eq(1);
    c[0].fieldKey = test_field("MAC_LOCAL_ADDRESS");
    CHECK_CODE(B->filter_create_enum_handle(h, &t, &en), WFP_E_CONDITION_NOT_FOUND);
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

/* FULLY_CONTAINED vs OVERLAPPING for equality, ranges, masks, no-condition filters, ORed
   conditions and multi-field filters. */
static void containment(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    wfp_range0 r1, r2, r3;
    wfp_v4_addr_and_mask m1, m2;
    wfp_filter_condition0 c[2];

    uint64_t all = add(h, &L_V4, NULL, 0, WFP_ACTION_BLOCK, 0);
    c[0] = port_eq(80);
    uint64_t p80 = add(h, &L_V4, c, 1, WFP_ACTION_BLOCK, 0);
    c[0] = port_range(&r1, 1, 1023);
    uint64_t low = add(h, &L_V4, c, 1, WFP_ACTION_BLOCK, 0);
    c[0] = port_eq(8080);
    c[1] = port_eq(80); /* 8080 OR 80 */
    uint64_t either = add(h, &L_V4, c, 2, WFP_ACTION_BLOCK, 0);
    c[0] = addr_mask(&m1, 0x0A000000u, 0xFF000000u); /* 10/8 */
    uint64_t ten = add(h, &L_V4, c, 1, WFP_ACTION_BLOCK, 0);
    c[0] = addr_mask(&m2, 0x0A010000u, 0xFFFF0000u); /* 10.1/16 */
    c[1] = port_eq(443);
    uint64_t ten_one_443 = add(h, &L_V4, c, 2, WFP_ACTION_BLOCK, 0);
    c[0] = port_range(&r2, 0, 65535); /* the whole domain */
    uint64_t full = add(h, &L_V4, c, 1, WFP_ACTION_BLOCK, 0);
    wfp_v4_addr_and_mask m3;
    c[0] = addr_mask(&m3, 0x0A010000u, 0xFFFF0000u);
    uint64_t ten_one = add(h, &L_V4, c, 1, WFP_ACTION_BLOCK, 0);

    uint64_t ids[16];
    size_t n;
    wfp_filter_enum_template0 t;

    /* Template port == 80: a filter limiting the address does not contain "port 80 anywhere". */
    c[0] = port_eq(80);
    t = tmpl_for(&L_V4, WFP_FILTER_ENUM_FULLY_CONTAINED, c, 1);
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    CHECK(n == 5);
    CHECK(has(ids, n, all) && has(ids, n, p80) && has(ids, n, low) && has(ids, n, either) && has(ids, n, full));
    CHECK(!has(ids, n, ten) && !has(ids, n, ten_one_443));

    t.enumType = WFP_FILTER_ENUM_OVERLAPPING;
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    CHECK(has(ids, n, ten) && has(ids, n, ten_one) && !has(ids, n, ten_one_443) && n == 7);

    /* Template port in [1000, 1100]. */
    c[0] = port_range(&r3, 1000, 1100);
    t = tmpl_for(&L_V4, WFP_FILTER_ENUM_FULLY_CONTAINED, c, 1);
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    CHECK(n == 2 && has(ids, n, all) && has(ids, n, full)); /* low stops at 1023 */
    t.enumType = WFP_FILTER_ENUM_OVERLAPPING;
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    CHECK(has(ids, n, low) && !has(ids, n, p80) && !has(ids, n, either) && has(ids, n, ten));

    /* Template address 10.1.2.3 (exact). */
    c[0] = addr_eq(0x0A010203u);
    t = tmpl_for(&L_V4, WFP_FILTER_ENUM_FULLY_CONTAINED, c, 1);
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    CHECK(has(ids, n, all) && has(ids, n, ten) && !has(ids, n, ten_one_443) && !has(ids, n, p80));
    t.enumType = WFP_FILTER_ENUM_OVERLAPPING;
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    CHECK(has(ids, n, ten_one_443) && has(ids, n, p80));
    /* Template 11.0.0.1 overlaps neither address filter. */
    c[0] = addr_eq(0x0B000001u);
    t = tmpl_for(&L_V4, WFP_FILTER_ENUM_OVERLAPPING, c, 1);
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    CHECK(!has(ids, n, ten) && !has(ids, n, ten_one_443) && has(ids, n, all));
    /* Template 10.1/16 is inside 10/8 but not the other way round. */
    c[0] = addr_mask(&m2, 0x0A010000u, 0xFFFF0000u);
    t = tmpl_for(&L_V4, WFP_FILTER_ENUM_FULLY_CONTAINED, c, 1);
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    CHECK(has(ids, n, ten) && has(ids, n, ten_one) && !has(ids, n, ten_one_443));
    c[0] = addr_mask(&m1, 0x0A000000u, 0xFF000000u);
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    CHECK(has(ids, n, ten) && !has(ids, n, ten_one) && !has(ids, n, ten_one_443));
    t.enumType = WFP_FILTER_ENUM_OVERLAPPING;
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    CHECK(has(ids, n, ten_one) && has(ids, n, ten_one_443));
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

static void greater_not_equal_and_blobs(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    wfp_filter_condition0 c[1];
    c[0] = port_eq(1024);
    c[0].matchType = WFP_MATCH_GREATER;
    uint64_t above = add(h, &L_V4, c, 1, WFP_ACTION_BLOCK, 0);
    c[0].matchType = WFP_MATCH_NOT_EQUAL;
    c[0].conditionValue.uint16 = 53;
    uint64_t not53 = add(h, &L_V4, c, 1, WFP_ACTION_BLOCK, 0);
    uint8_t app[] = {'\\', 0, 'x', 0, '.', 0, 'e', 0, 'x', 0, 'e', 0, 0, 0};
    uint8_t suffix[] = {'.', 0, 'e', 0, 'x', 0, 'e', 0, 0, 0};
    wfp_byte_blob app_blob = {sizeof app, app}, suffix_blob = {sizeof suffix, suffix};
    memset(c, 0, sizeof c);
    c[0].fieldKey = F_APP;
    c[0].matchType = WFP_MATCH_PREFIX; /* a suffix test */
    c[0].conditionValue.type = WFP_BYTE_BLOB_TYPE;
    c[0].conditionValue.byteBlob = &suffix_blob;
    uint64_t exe = add(h, &L_V4, c, 1, WFP_ACTION_BLOCK, 0);

    uint64_t ids[8];
    wfp_filter_condition0 tc = port_eq(2000);
    wfp_filter_enum_template0 t = tmpl_for(&L_V4, WFP_FILTER_ENUM_FULLY_CONTAINED, &tc, 1);
    size_t n = test_enum_filter_ids(h, &t, 10, ids, 8);
    CHECK(has(ids, n, above) && has(ids, n, not53) && !has(ids, n, exe));
    tc = port_eq(1024);
    n = test_enum_filter_ids(h, &t, 10, ids, 8);
    CHECK(!has(ids, n, above) && has(ids, n, not53));
    tc = port_eq(53);
    n = test_enum_filter_ids(h, &t, 10, ids, 8);
    CHECK(!has(ids, n, above) && !has(ids, n, not53));
    /* An exact app id is contained in the suffix filter. */
    memset(&tc, 0, sizeof tc);
    tc.fieldKey = F_APP;
    tc.conditionValue.type = WFP_BYTE_BLOB_TYPE;
    tc.conditionValue.byteBlob = &app_blob;
    n = test_enum_filter_ids(h, &t, 10, ids, 8);
    CHECK(has(ids, n, exe) && !has(ids, n, above));
    app[2] = 'y';
    app[10] = 'f'; /* \y.exf */
    n = test_enum_filter_ids(h, &t, 10, ids, 8);
    CHECK(!has(ids, n, exe));
    t.enumType = WFP_FILTER_ENUM_OVERLAPPING;
    n = test_enum_filter_ids(h, &t, 10, ids, 8);
    CHECK(!has(ids, n, exe) && has(ids, n, above));
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

/* SORTED = arbitration order: sublayer weight, then effective weight, ties by id; unsorted = id
   order per layer.  BEST_TERMINATING_MATCH keeps the first terminating filter per sublayer. */
static void ordering(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    wfp_guid hi = test_guid(1), hi2 = test_guid(2);
    CHECK_OK(test_add_sublayer(h, &hi, NULL, 0xFFFF, 0));
    CHECK_OK(test_add_sublayer(h, &hi2, NULL, 0xFFFF, 0)); /* same weight, added later */
    wfp_filter0 f;
    uint64_t a, b, c, d, x, y, z;
    a = add(h, &L_V4, NULL, 0, WFP_ACTION_BLOCK, 1);  /* universal, range 1 */
    b = add(h, &L_V4, NULL, 0, WFP_ACTION_BLOCK, 5);  /* universal, range 5 */
    c = add(h, &L_V4, NULL, 0, WFP_ACTION_BLOCK, 5);  /* same weight as b, later id */
    f = test_filter(&L_V4, "hi");
    f.subLayerKey = hi2;
    CHECK_OK(B->filter_add(h, &f, NULL, &x));
    f.subLayerKey = hi;
    f.action.type = WFP_ACTION_CALLOUT_INSPECTION;
    f.action.calloutKey = test_callout("WFP_TRANSPORT_LAYER_V4_SILENT_DROP");
    f.weight.type = WFP_UINT8;
    f.weight.uint8 = 15;
    CHECK_OK(B->filter_add(h, &f, NULL, &y));
    f.action.type = WFP_ACTION_PERMIT;
    f.weight.uint8 = 3;
    CHECK_OK(B->filter_add(h, &f, NULL, &z));
    d = add(h, &L_V6, NULL, 0, WFP_ACTION_BLOCK, 0);

    uint64_t ids[16];
    wfp_filter_enum_template0 t = tmpl_for(&L_V4, 0, NULL, 0);
    size_t n = test_enum_filter_ids(h, &t, 100, ids, 16);
    uint64_t unsorted[] = {a, b, c, x, y, z};
    CHECK(n == 6 && memcmp(ids, unsorted, sizeof unsorted) == 0);
    t.flags = WFP_FILTER_ENUM_FLAG_SORTED;
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    uint64_t sorted[] = {y, z, x, b, c, a};
    CHECK(n == 6 && memcmp(ids, sorted, sizeof sorted) == 0);
    t.flags = WFP_FILTER_ENUM_FLAG_BEST_TERMINATING_MATCH;
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    uint64_t best[] = {z, x, b}; /* per sublayer, y is an inspection callout */
    CHECK(n == 3 && memcmp(ids, best, sizeof best) == 0);
    t = tmpl_for(NULL, 0, NULL, 0);
    n = test_enum_filter_ids(h, &t, 100, ids, 16);
    CHECK(n == 7 && has(ids, n, d));
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

/* Pages of any size, each one block; the handle enumerates a snapshot. */
static void paging_and_snapshot(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    uint64_t added[50];
    for (int i = 0; i < 50; i++) {
        wfp_filter_condition0 c = port_eq((uint16_t)i);
        added[i] = add(h, &L_RECV, &c, 1, WFP_ACTION_PERMIT, 0);
    }
    uint32_t sizes[] = {1, 7, 49, 50, 51, 1000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        uint64_t ids[64];
        size_t n = test_enum_filter_ids(h, NULL, sizes[s], ids, 64);
        CHECK(n == 50 && memcmp(ids, added, sizeof added) == 0);
    }
    wfp_handle en;
    CHECK_OK(B->filter_create_enum_handle(h, NULL, &en));
    /* Changes after the handle exists do not show, deleted filters stay readable. */
    for (int i = 0; i < 10; i++)
        CHECK_OK(B->filter_delete_by_id(h, added[i]));
    wfp_filter_condition0 c = port_eq(999);
    add(h, &L_RECV, &c, 1, WFP_ACTION_PERMIT, 0);
    wfp_filter0 **page = NULL;
    uint32_t got = 0, total = 0;
    do {
        CHECK_OK(B->filter_enum(h, en, 16, &page, &got));
        for (uint32_t i = 0; i < got; i++) {
            CHECK(page[i]->filterId == added[total + i]);
            CHECK(page[i]->numFilterConditions == 1 &&
                  page[i]->filterCondition[0].conditionValue.uint16 == total + i);
        }
        total += got;
        B->free_memory((void **)&page);
        CHECK(page == NULL);
    } while (got == 16);
    CHECK(total == 50);
    CHECK_OK(B->filter_enum(h, en, 16, &page, &got)); /* exhausted stays exhausted */
    CHECK(got == 0 && page == NULL);
    CHECK_OK(B->filter_destroy_enum_handle(h, en));
    CHECK_CODE(B->filter_destroy_enum_handle(h, en), WFP_ERROR_INVALID_HANDLE);
    /* Handles left open are released with the session. */
    CHECK_OK(B->filter_create_enum_handle(h, NULL, &en));
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

static void providers_sublayers_layers(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    wfp_guid p = test_guid(1), s1 = test_guid(2), s2 = test_guid(3), s3 = test_guid(4);
    CHECK_OK(test_add_provider(h, &p, 0));
    CHECK_OK(test_add_sublayer(h, &s1, &p, 1, 0));
    CHECK_OK(test_add_sublayer(h, &s2, NULL, 2, 0));
    CHECK_OK(test_add_sublayer(h, &s3, &p, 3, 0));

    wfp_handle en;
    wfp_sublayer_enum_template0 st = {&p};
    CHECK_OK(B->sublayer_create_enum_handle(h, &st, &en));
    wfp_sublayer0 **subs = NULL;
    uint32_t n = 0;
    CHECK_OK(B->sublayer_enum(h, en, 10, &subs, &n));
    CHECK(n == 2 && wfp_guid_equal(&subs[0]->subLayerKey, &s1) && wfp_guid_equal(&subs[1]->subLayerKey, &s3));
    CHECK(n == 2 && wfp_guid_equal(subs[1]->providerKey, &p));
    B->free_memory((void **)&subs);
    CHECK_OK(B->sublayer_destroy_enum_handle(h, en));
    CHECK_OK(B->sublayer_create_enum_handle(h, NULL, &en));
    CHECK_OK(B->sublayer_enum(h, en, 1000, &subs, &n));
    wfp_sim_stats stats;
    wfp_sim_engine_stats(e, &stats);
    CHECK(n == stats.sublayers);
    /* Built-ins come first, then insertion order. */
    CHECK(n >= 3 && wfp_guid_equal(&subs[n - 3]->subLayerKey, &s1) && wfp_guid_equal(&subs[n - 1]->subLayerKey, &s3));
    B->free_memory((void **)&subs);
    CHECK_OK(B->sublayer_destroy_enum_handle(h, en));

    CHECK_OK(B->provider_create_enum_handle(h, NULL, &en));
    wfp_provider0 **provs = NULL;
    CHECK_OK(B->provider_enum(h, en, 3, &provs, &n));
    CHECK(n == 3);
    B->free_memory((void **)&provs);
    CHECK_OK(B->provider_enum(h, en, 1000, &provs, &n));
    CHECK(n + 3 == stats.providers && wfp_guid_equal(&provs[n - 1]->providerKey, &p));
    B->free_memory((void **)&provs);
    CHECK_CODE(B->sublayer_destroy_enum_handle(h, en), WFP_ERROR_INVALID_HANDLE); /* wrong kind */
    CHECK_OK(B->provider_destroy_enum_handle(h, en));

    CHECK_OK(B->layer_create_enum_handle(h, NULL, &en));
    size_t layers = 0;
    int saw_connect = 0;
    for (;;) {
        wfp_layer0 **page = NULL;
        CHECK_OK(B->layer_enum(h, en, 10, &page, &n));
        for (uint32_t i = 0; i < n; i++) {
            if (wfp_guid_equal(&page[i]->layerKey, &L_V4))
                saw_connect = page[i]->numFields > 0 && page[i]->field[0].fieldKey != NULL;
            CHECK(wfp_guid_equal(&page[i]->defaultSubLayerKey, &WFP_SUBLAYER_UNIVERSAL));
        }
        layers += n;
        B->free_memory((void **)&page);
        if (n < 10)
            break;
    }
    CHECK(layers == wfp_layer_count && saw_connect);
    CHECK_OK(B->layer_destroy_enum_handle(h, en));

    /* Net events: the handle works; classify is what records events. */
    CHECK_OK(B->net_event_create_enum_handle(h, NULL, &en));
    wfp_net_event0 **events = NULL;
    CHECK_OK(B->net_event_enum(h, en, 10, &events, &n));
    CHECK(n == 0 && events == NULL);
    CHECK_OK(B->net_event_destroy_enum_handle(h, en));
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

int main(void)
{
    L_V4 = test_layer("ALE_AUTH_CONNECT_V4");
    L_V6 = test_layer("ALE_AUTH_CONNECT_V6");
    L_RECV = test_layer("ALE_AUTH_RECV_ACCEPT_V4");
    F_PORT = test_field("IP_REMOTE_PORT");
    F_ADDR = test_field("IP_REMOTE_ADDRESS");
    F_PROTO = test_field("IP_PROTOCOL");
    F_APP = test_field("ALE_APP_ID");
    (void)F_PROTO;
    static const test_case cases[] = {
        {"basic_templates", basic_templates},
        {"containment", containment},
        {"greater_not_equal_and_blobs", greater_not_equal_and_blobs},
        {"ordering", ordering},
        {"paging_and_snapshot", paging_and_snapshot},
        {"providers_sublayers_layers", providers_sublayers_layers},
    };
    return test_run_all("enum", cases, sizeof cases / sizeof cases[0]);
}
