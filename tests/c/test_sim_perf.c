/* Scale of the embedded engine: N filters with three conditions each, added through the backend
   table, enumerated, looked up and deleted.  `make ctest` runs it with N = 100000 (checks
   correctness at that size and prints timings); `make simbench N=1000000` is the measurement. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_sim.h"

static size_t N = 100000;
static double add_s, enum_s, sorted_s, get_s, delete_s;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident set size in bytes (Linux), 0 elsewhere. */
static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    unsigned long pages_total = 0, pages_resident = 0;
    int got = fscanf(f, "%lu %lu", &pages_total, &pages_resident);
    fclose(f);
    return got == 2 ? pages_resident * 4096u : 0;
}

static void scale(void)
{
    wfp_sim_engine *e = NULL;
    CHECK_OK(wfp_sim_engine_create(NULL, &e));
    wfp_handle h = test_open(e, 0, WFP_INFINITE);
    wfp_guid layers[4] = {test_layer("ALE_AUTH_CONNECT_V4"), test_layer("ALE_AUTH_RECV_ACCEPT_V4"),
                          test_layer("OUTBOUND_TRANSPORT_V4"), test_layer("INBOUND_TRANSPORT_V4")};
    wfp_guid subs[3] = {WFP_SUBLAYER_UNIVERSAL, test_guid(1), test_guid(2)};
    CHECK_OK(test_add_sublayer(h, &subs[1], NULL, 0xF000, 0));
    CHECK_OK(test_add_sublayer(h, &subs[2], NULL, 0x0100, 0));
    wfp_guid f_port = test_field("IP_REMOTE_PORT"), f_proto = test_field("IP_PROTOCOL"),
             f_addr = test_field("IP_REMOTE_ADDRESS");

    /* Build every input first, so the timing covers the engine only. */
    wfp_filter0 *filters = calloc(N, sizeof *filters);
    wfp_filter_condition0 *conds = calloc(N * 3, sizeof *conds);
    wfp_v4_addr_and_mask *masks = calloc(N, sizeof *masks);
    uint64_t *ids = calloc(N, sizeof *ids);
    const wfp_wchar *name = test_w("scale filter");
    for (size_t i = 0; i < N; i++) {
        wfp_filter_condition0 *c = &conds[3 * i];
        c[0].fieldKey = f_port;
        c[0].conditionValue.type = WFP_UINT16;
        c[0].conditionValue.uint16 = (uint16_t)(i % 65536);
        c[1].fieldKey = f_proto;
        c[1].conditionValue.type = WFP_UINT8;
        c[1].conditionValue.uint8 = i % 2 ? 6 : 17;
        masks[i].addr = 0x0A000000u | (uint32_t)(i & 0xFFFFFF);
        masks[i].mask = i % 3 ? 0xFFFFFFFFu : 0xFFFFFF00u;
        c[2].fieldKey = f_addr;
        c[2].conditionValue.type = WFP_V4_ADDR_MASK;
        c[2].conditionValue.v4AddrMask = &masks[i];
        wfp_filter0 *f = &filters[i];
        f->displayData.name = (wfp_wchar *)name;
        f->layerKey = layers[i % 4];
        f->subLayerKey = subs[i % 3];
        f->weight.type = WFP_UINT8;
        f->weight.uint8 = (uint8_t)(i % 16);
        f->numFilterConditions = 3;
        f->filterCondition = c;
        f->action.type = i % 5 ? WFP_ACTION_BLOCK : WFP_ACTION_PERMIT;
    }

    size_t rss_before = rss_bytes();
    double t0 = now_s();
    wfp_bulk_result r = wfp_bulk_add_filters(B, h, filters, N, ids, 1);
    add_s = now_s() - t0;
    size_t rss_after = rss_bytes();
    CHECK(r.status == WFP_OK && r.added == N);
    for (size_t i = 1; i < N; i++)
        CHECK(ids[i] > ids[i - 1]);
    wfp_sim_stats stats;
    wfp_sim_engine_stats(e, &stats);
    CHECK(stats.filters == N);
    double heap_per_filter = (double)stats.heap_bytes / (double)N;
    double rss_per_filter = rss_after > rss_before ? (double)(rss_after - rss_before) / (double)N : 0.0;

    /* Enumerate everything through the pager, in pages of 8192. */
    t0 = now_s();
    wfp_pager pager;
    CHECK_OK(wfp_pager_open(&pager, B, h, WFP_ENUM_FILTERS, NULL, 0));
    size_t seen = 0, conditions_ok = 0;
    for (;;) {
        CHECK_OK(wfp_pager_next(&pager));
        if (pager.page_count == 0)
            break;
        for (uint32_t i = 0; i < pager.page_count; i++) {
            const wfp_filter0 *f = pager.page[i];
            conditions_ok += f->numFilterConditions == 3 && f->filterCondition[2].conditionValue.v4AddrMask != NULL;
        }
        seen += pager.page_count;
    }
    wfp_pager_close(&pager);
    enum_s = now_s() - t0;
    CHECK(seen == N && conditions_ok == N);

    /* One layer in arbitration order: sublayers by weight, then effective weight. */
    wfp_filter_enum_template0 t;
    memset(&t, 0, sizeof t);
    t.layerKey = layers[0];
    t.actionMask = 0xFFFFFFFFu;
    t.flags = WFP_FILTER_ENUM_FLAG_SORTED;
    t0 = now_s();
    CHECK_OK(wfp_pager_open(&pager, B, h, WFP_ENUM_FILTERS, &t, 0));
    size_t in_layer = 0, order_ok = 1;
    wfp_guid last_sub = WFP_GUID_NULL;
    uint64_t last_weight = UINT64_MAX;
    for (;;) {
        CHECK_OK(wfp_pager_next(&pager));
        if (pager.page_count == 0)
            break;
        for (uint32_t i = 0; i < pager.page_count; i++) {
            const wfp_filter0 *f = pager.page[i];
            if (!wfp_guid_equal(&f->subLayerKey, &last_sub)) {
                last_sub = f->subLayerKey;
                last_weight = UINT64_MAX;
            }
            if (*f->effectiveWeight.uint64 > last_weight)
                order_ok = 0;
            last_weight = *f->effectiveWeight.uint64;
        }
        in_layer += pager.page_count;
    }
    wfp_pager_close(&pager);
    sorted_s = now_s() - t0;
    CHECK(in_layer == (N + 3) / 4 && order_ok);

    t0 = now_s();
    size_t probes = N < 100000 ? N : 100000;
    for (size_t i = 0; i < probes; i++) {
        wfp_filter0 *f = NULL;
        if (B->filter_get_by_id(h, ids[(i * 7919) % N], &f) != WFP_OK)
            CHECK(!"get failed");
        B->free_memory((void **)&f);
    }
    get_s = (now_s() - t0) / (double)probes;

    t0 = now_s();
    CHECK_OK(B->transaction_begin(h, 0));
    for (size_t i = 0; i < N; i++)
        if (B->filter_delete_by_id(h, ids[i]) != WFP_OK)
            CHECK(!"delete failed");
    CHECK_OK(B->transaction_commit(h));
    delete_s = now_s() - t0;
    wfp_sim_engine_stats(e, &stats);
    CHECK(stats.filters == 0);

    printf("# scale: %zu filters x 3 conditions: add %.3f s (%.2f us/filter), enumerate %.3f s, "
           "sorted layer %.3f s, get %.2f us, delete %.3f s\n",
           N, add_s, add_s * 1e6 / (double)N, enum_s, sorted_s, get_s * 1e6, delete_s);
    printf("# scale: engine heap_bytes %.0f B/filter, process RSS growth while adding %.0f B/filter\n",
           heap_per_filter, rss_per_filter);
    free(filters);
    free(conds);
    free(masks);
    free(ids);
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        N = (size_t)strtoull(argv[1], NULL, 10);
    else if (test_quick())
        N = 20000;
    static const test_case cases[] = {{"scale", scale}};
    return test_run_all("perf", cases, 1);
}
