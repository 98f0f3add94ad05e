/* The core's digests, arena reuse and bulk undo, against the embedded engine. */
#include <stdlib.h>
#include <string.h>

#include "test_sim.h"

static wfp_guid L_V4, F_PORT, F_PROTO;

static int same(const uint8_t *a, const uint8_t *b) { return memcmp(a, b, WFP_DIGEST_SIZE) == 0; }

/* A filter with two conditions (port 80, protocol 6) in the given order. */
static wfp_filter0 two_conditions(wfp_filter_condition0 conditions[2], int swapped)
{
    memset(conditions, 0, 2 * sizeof conditions[0]);
    wfp_filter_condition0 *port = &conditions[swapped ? 1 : 0];
    wfp_filter_condition0 *proto = &conditions[swapped ? 0 : 1];
    port->fieldKey = F_PORT;
    port->matchType = WFP_MATCH_EQUAL;
    port->conditionValue.type = WFP_UINT16;
    port->conditionValue.uint16 = 80;
    proto->fieldKey = F_PROTO;
    proto->matchType = WFP_MATCH_EQUAL;
    proto->conditionValue.type = WFP_UINT8;
    proto->conditionValue.uint8 = 6;
    wfp_filter0 f = test_filter(&L_V4, "digest");
    f.filterKey = test_guid(7);
    f.numFilterConditions = 2;
    f.filterCondition = conditions;
    return f;
}

static void test_a_filter_digest_follows_its_content_not_its_bookkeeping(void)
{
    wfp_filter_condition0 c1[2], c2[2];
    uint8_t base[WFP_DIGEST_SIZE], other[WFP_DIGEST_SIZE];
    wfp_filter0 f = two_conditions(c1, 0);
    CHECK_OK(wfp_filter_digest(&f, base));

    wfp_filter0 g = two_conditions(c2, 1); /* the same conditions, the other way round */
    g.filterId = 99;
    g.flags = WFP_FILTER_FLAG_DISABLED | WFP_FILTER_FLAG_INDEXED;
    CHECK_OK(wfp_filter_digest(&g, other));
    CHECK(same(base, other));

    g = two_conditions(c2, 0);
    g.displayData.name = (wfp_wchar *)test_w("digest2");
    CHECK_OK(wfp_filter_digest(&g, other));
    CHECK(!same(base, other));

    g = two_conditions(c2, 0);
    c2[0].conditionValue.uint16 = 81;
    CHECK_OK(wfp_filter_digest(&g, other));
    CHECK(!same(base, other));

    g = two_conditions(c2, 0);
    g.action.type = WFP_ACTION_PERMIT;
    CHECK_OK(wfp_filter_digest(&g, other));
    CHECK(!same(base, other));

    uint64_t weight = 5;
    g = two_conditions(c2, 0);
    g.weight.type = WFP_UINT64;
    g.weight.uint64 = &weight;
    CHECK_OK(wfp_filter_digest(&g, other));
    CHECK(!same(base, other));

    g = two_conditions(c2, 0);
    g.flags = WFP_FILTER_FLAG_CLEAR_ACTION_RIGHT;
    CHECK_OK(wfp_filter_digest(&g, other));
    CHECK(!same(base, other));
}

static void test_the_provider_aggregate_tracks_adds_and_deletes(void)
{
    wfp_sim_engine *e = NULL;
    CHECK_OK(wfp_sim_engine_create(NULL, &e));
    wfp_handle h = test_open(e, 1, 0);
    wfp_guid provider = test_guid(500), sublayer = test_guid(501);
    CHECK_OK(test_add_provider(h, &provider, 0));
    CHECK_OK(test_add_sublayer(h, &sublayer, &provider, 10, 0));

    wfp_filter_condition0 c[2];
    wfp_filter0 f = two_conditions(c, 0);
    f.providerKey = &provider;
    f.subLayerKey = sublayer;
    uint64_t id = 0;
    CHECK_OK(B->filter_add(h, &f, NULL, &id));

    wfp_digest_set before, after, again;
    CHECK_OK(wfp_digest_provider_objects(B, h, &provider, &before));
    CHECK(before.filter_count == 1 && before.sublayer_count == 1 && before.has_provider);

    wfp_filter0 second = two_conditions(c, 1);
    second.filterKey = test_guid(8);
    second.providerKey = &provider;
    second.subLayerKey = sublayer;
    uint64_t second_id = 0;
    CHECK_OK(B->filter_add(h, &second, NULL, &second_id));
    CHECK_OK(wfp_digest_provider_objects(B, h, &provider, &after));
    CHECK(after.filter_count == 2);
    CHECK(!same(before.aggregate, after.aggregate));

    CHECK_OK(B->filter_delete_by_id(h, second_id));
    CHECK_OK(wfp_digest_provider_objects(B, h, &provider, &again));
    CHECK(same(before.aggregate, again.aggregate));
    CHECK(same(before.filters[0].digest, again.filters[0].digest));

    wfp_digest_set_free(&before);
    wfp_digest_set_free(&after);
    wfp_digest_set_free(&again);
    CHECK_OK(B->engine_close(h));
    wfp_sim_engine_release(e);
}

static void test_bulk_undo_removes_what_a_caller_added_inside_its_transaction(void)
{
    wfp_sim_engine *e = NULL;
    CHECK_OK(wfp_sim_engine_create(NULL, &e));
    wfp_handle h = test_open(e, 1, 0);
    CHECK_OK(B->transaction_begin(h, 0));
    wfp_filter0 filters[3];
    uint64_t ids[3];
    for (int i = 0; i < 3; i++) {
        filters[i] = test_filter(&L_V4, "undo");
        filters[i].filterKey = test_guid(100 + (uint32_t)i);
    }
    wfp_bulk_result r = wfp_bulk_add_filters(B, h, filters, 3, ids, 0);
    CHECK_OK(r.status);
    wfp_bulk_undo(B, h, ids, 3);
    wfp_filter0 *got = NULL;
    for (int i = 0; i < 3; i++)
        CHECK_CODE(B->filter_get_by_id(h, ids[i], &got), WFP_E_FILTER_NOT_FOUND);
    CHECK_OK(B->transaction_commit(h));
    CHECK_OK(B->engine_close(h));
    wfp_sim_engine_release(e);
}

static void test_a_reset_arena_hands_out_zeroed_memory_again(void)
{
    wfp_arena arena;
    wfp_arena_init(&arena, 64);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 100; i++) { /* several chunks: all but the newest go at reset */
            unsigned char *p = wfp_arena_alloc(&arena, 200);
            CHECK(p != NULL && ((uintptr_t)p & 15) == 0);
            for (int j = 0; j < 200; j++)
                CHECK(p[j] == 0);
            memset(p, 0xAB, 200);
        }
        wfp_arena_reset(&arena);
    }
    wfp_arena_free(&arena);
}

int main(void)
{
    L_V4 = test_layer("ALE_AUTH_CONNECT_V4");
    F_PORT = test_field("IP_REMOTE_PORT");
    F_PROTO = test_field("IP_PROTOCOL");
    static const test_case cases[] = {
        {"a filter digest follows its content, not its bookkeeping",
         test_a_filter_digest_follows_its_content_not_its_bookkeeping},
        {"the provider aggregate tracks adds and deletes",
         test_the_provider_aggregate_tracks_adds_and_deletes},
        {"bulk undo removes what a caller added inside its transaction",
         test_bulk_undo_removes_what_a_caller_added_inside_its_transaction},
        {"a reset arena hands out zeroed memory again", test_a_reset_arena_hands_out_zeroed_memory_again},
    };
    return test_run_all("core_paths", cases, sizeof cases / sizeof cases[0]);
}
