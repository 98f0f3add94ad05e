/* Transactions, sessions and the transaction lock of the embedded engine. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_sim.h"

static wfp_guid L_V4, L_V6, F_PORT;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static wfp_sim_engine *new_engine(void)
{
    wfp_sim_engine *e = NULL;
    CHECK_OK(wfp_sim_engine_create(NULL, &e));
    return e;
}

static uint32_t add_port_filter(wfp_handle h, const wfp_guid *layer, const wfp_guid *sublayer, uint16_t port,
                                uint8_t range, uint64_t *id)
{
    wfp_filter_condition0 c;
    memset(&c, 0, sizeof c);
    c.fieldKey = F_PORT;
    c.matchType = WFP_MATCH_EQUAL;
    c.conditionValue.type = WFP_UINT16;
    c.conditionValue.uint16 = port;
    wfp_filter0 f = test_filter(layer, "port");
    f.numFilterConditions = 1;
    f.filterCondition = &c;
    if (sublayer != NULL)
        f.subLayerKey = *sublayer;
    f.weight.type = WFP_UINT8;
    f.weight.uint8 = range;
    return B->filter_add(h, &f, NULL, id);
}

/* A fingerprint of everything observable: every filter (sorted and unsorted order, all fields),
   every provider and sublayer. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t mix_wstr(uint64_t h, const wfp_wchar *s)
{
    if (s == NULL)
        return mix(h, "-", 1);
    return mix(h, s, wfp_wcslen(s) * 2);
}

static uint64_t fingerprint(wfp_handle h)
{
    uint64_t fp = 0xcbf29ce484222325ull;
    for (int sorted = 0; sorted < 2; sorted++) {
        wfp_filter_enum_template0 t;
        memset(&t, 0, sizeof t);
        t.actionMask = 0xFFFFFFFFu;
        t.flags = sorted ? WFP_FILTER_ENUM_FLAG_SORTED : 0;
        wfp_handle en;
        CHECK_OK(B->filter_create_enum_handle(h, &t, &en));
        wfp_filter0 **page = NULL;
        uint32_t n = 0;
        CHECK_OK(B->filter_enum(h, en, 100000, &page, &n));
        for (uint32_t i = 0; i < n; i++) {
            const wfp_filter0 *f = page[i];
            fp = mix(fp, &f->filterId, 8);
            fp = mix(fp, &f->filterKey, 16);
            fp = mix(fp, &f->layerKey, 16);
            fp = mix(fp, &f->subLayerKey, 16);
            fp = mix(fp, f->effectiveWeight.uint64, 8);
            fp = mix(fp, &f->flags, 4);
            fp = mix_wstr(fp, f->displayData.name);
            for (uint32_t c = 0; c < f->numFilterConditions; c++)
                fp = mix(fp, &f->filterCondition[c].conditionValue.uint16, 2);
        }
        B->free_memory((void **)&page);
        B->filter_destroy_enum_handle(h, en);
    }
    for (int kind = 0; kind < 2; kind++) {
        wfp_handle en;
        void **page = NULL;
        uint32_t n = 0;
        if (kind == 0) {
            CHECK_OK(B->provider_create_enum_handle(h, NULL, &en));
            CHECK_OK(B->provider_enum(h, en, 100000, (wfp_provider0 ***)&page, &n));
        } else {
            CHECK_OK(B->sublayer_create_enum_handle(h, NULL, &en));
            CHECK_OK(B->sublayer_enum(h, en, 100000, (wfp_sublayer0 ***)&page, &n));
        }
        for (uint32_t i = 0; i < n; i++) {
            if (kind == 0) {
                const wfp_provider0 *p = page[i];
                fp = mix(fp, &p->providerKey, 16);
                fp = mix_wstr(fp, p->displayData.name);
            } else {
                const wfp_sublayer0 *s = page[i];
                fp = mix(fp, &s->subLayerKey, 16);
                fp = mix(fp, &s->weight, 2);
            }
        }
        B->free_memory((void **)&page);
        if (kind == 0)
            B->provider_destroy_enum_handle(h, en);
        else
            B->sublayer_destroy_enum_handle(h, en);
    }
    return fp;
}

/* ---------------------------------------------------------------------------------------------- */

static void misuse(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    CHECK_CODE(B->transaction_commit(h), WFP_E_NO_TXN_IN_PROGRESS);
    CHECK_CODE(B->transaction_abort(h), WFP_E_NO_TXN_IN_PROGRESS);
    CHECK_CODE(B->transaction_begin(h, 0x2), WFP_E_INVALID_FLAGS);
    CHECK_OK(B->transaction_begin(h, 0));
    CHECK_CODE(B->transaction_begin(h, 0), WFP_E_TXN_IN_PROGRESS);
    CHECK_CODE(B->transaction_begin(h, WFP_TXN_READ_ONLY), WFP_E_TXN_IN_PROGRESS);
    CHECK_OK(B->transaction_commit(h));
    CHECK_CODE(B->transaction_commit(h), WFP_E_NO_TXN_IN_PROGRESS);

    /* Read-only transactions refuse writes but allow reads. */
    uint64_t id;
    CHECK_OK(add_port_filter(h, &L_V4, NULL, 80, 0, &id));
    CHECK_OK(B->transaction_begin(h, WFP_TXN_READ_ONLY));
    CHECK_CODE(add_port_filter(h, &L_V4, NULL, 81, 0, NULL), WFP_E_INCOMPATIBLE_TXN);
    CHECK_CODE(B->filter_delete_by_id(h, id), WFP_E_INCOMPATIBLE_TXN);
    wfp_guid k = test_guid(1);
    CHECK_CODE(test_add_provider(h, &k, 0), WFP_E_INCOMPATIBLE_TXN);
    CHECK_CODE(test_add_sublayer(h, &k, NULL, 1, 0), WFP_E_INCOMPATIBLE_TXN);
    CHECK_CODE(B->sublayer_delete_by_key(h, &k), WFP_E_INCOMPATIBLE_TXN);
    CHECK_CODE(B->provider_delete_by_key(h, &k), WFP_E_INCOMPATIBLE_TXN);
    wfp_filter0 *f = NULL;
    CHECK_OK(B->filter_get_by_id(h, id, &f));
    B->free_memory((void **)&f);
    CHECK_OK(B->transaction_commit(h));
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

/* Abort brings back exactly the state before begin, whatever happened in between. */
static void abort_restores_exact_state(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    wfp_guid prov = test_guid(1), s1 = test_guid(2), s2 = test_guid(3), s3 = test_guid(4);
    CHECK_OK(test_add_provider(h, &prov, 0));
    CHECK_OK(test_add_sublayer(h, &s1, &prov, 100, 0));
    CHECK_OK(test_add_sublayer(h, &s2, NULL, 100, 0)); /* same weight: insertion order decides */
    CHECK_OK(test_add_sublayer(h, &s3, NULL, 5, 0));
    uint64_t ids[40];
    for (int i = 0; i < 40; i++)
        CHECK_OK(add_port_filter(h, i % 2 ? &L_V4 : &L_V6, i % 3 == 0 ? &s1 : i % 3 == 1 ? &s2 : NULL,
                                 (uint16_t)(i % 7), (uint8_t)(i % 4), &ids[i]));
    wfp_sim_stats before;
    wfp_sim_engine_stats(e, &before);
    uint64_t fp = fingerprint(h);

    CHECK_OK(B->transaction_begin(h, 0));
    for (int i = 0; i < 40; i += 3)
        CHECK_OK(B->filter_delete_by_id(h, ids[i]));
    uint64_t added[10];
    for (int i = 0; i < 10; i++)
        CHECK_OK(add_port_filter(h, &L_V4, &s3, (uint16_t)i, 7, &added[i]));
    CHECK_OK(B->filter_delete_by_id(h, added[4]));
    CHECK_OK(B->filter_delete_by_id(h, ids[1]));
    CHECK_OK(B->filter_delete_by_id(h, ids[2]));
    /* Empty s2 of its remaining filters, then delete it and re-add the same key. */
    for (int i = 1; i < 40; i += 3)
        if (i != 1)
            CHECK_OK(B->filter_delete_by_id(h, ids[i]));
    CHECK_OK(B->sublayer_delete_by_key(h, &s2));
    CHECK_OK(test_add_sublayer(h, &s2, NULL, 7, 0));
    wfp_guid p2 = test_guid(9);
    CHECK_OK(test_add_provider(h, &p2, 0));
    CHECK(fingerprint(h) != fp);
    CHECK_OK(B->transaction_abort(h));

    wfp_sim_stats after;
    wfp_sim_engine_stats(e, &after);
    CHECK(fingerprint(h) == fp);
    CHECK(after.filters == before.filters && after.sublayers == before.sublayers &&
          after.providers == before.providers);
    CHECK(after.next_filter_id > before.next_filter_id); /* ids are not handed out twice */
    /* The restored objects still work: delete and re-add is fine. */
    CHECK_OK(B->filter_delete_by_id(h, ids[0]));
    CHECK_CODE(B->sublayer_delete_by_key(h, &s2), WFP_E_IN_USE);
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

static void commit_and_own_view(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    wfp_guid s = test_guid(1);
    uint64_t id;
    CHECK_OK(B->transaction_begin(h, 0));
    CHECK_OK(test_add_sublayer(h, &s, NULL, 9, 0));
    CHECK_OK(add_port_filter(h, &L_V4, &s, 22, 0, &id)); /* sees its own sublayer */
    wfp_filter0 *f = NULL;
    CHECK_OK(B->filter_get_by_id(h, id, &f));
    B->free_memory((void **)&f);
    /* A failing call leaves the transaction usable. */
    CHECK_CODE(test_add_sublayer(h, &s, NULL, 9, 0), WFP_E_ALREADY_EXISTS);
    CHECK_OK(B->transaction_commit(h));
    wfp_handle other = test_open(e, 0, 0);
    CHECK_OK(B->filter_get_by_id(other, id, &f));
    B->free_memory((void **)&f);
    B->engine_close(other);
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

static void dynamic_sessions(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle st = test_open(e, 0, 0);
    wfp_handle dyn = test_open(e, 1, 0);
    wfp_guid p = test_guid(1), s = test_guid(2), sp = test_guid(3);
    CHECK_OK(test_add_provider(dyn, &p, 0));
    CHECK_OK(test_add_sublayer(dyn, &s, &p, 10, 0));
    CHECK_OK(test_add_sublayer(st, &sp, NULL, 11, 0));
    uint64_t a, b, c, keep;
    CHECK_OK(add_port_filter(dyn, &L_V4, &s, 1, 0, &a));
    CHECK_OK(add_port_filter(dyn, &L_V6, &sp, 2, 0, &b)); /* dynamic filter in a static sublayer */
    CHECK_OK(add_port_filter(dyn, &L_V4, NULL, 3, 0, &c));
    CHECK_OK(add_port_filter(st, &L_V4, &sp, 4, 0, &keep));
    wfp_sim_stats stats;
    wfp_sim_engine_stats(e, &stats);
    CHECK(stats.filters == 4 && stats.sessions == 2);
    /* Closing aborts the open transaction, then deletes the dynamic objects. */
    CHECK_OK(B->transaction_begin(dyn, 0));
    uint64_t in_txn;
    CHECK_OK(add_port_filter(dyn, &L_V4, NULL, 5, 0, &in_txn));
    CHECK_OK(B->engine_close(dyn));
    wfp_sim_engine_stats(e, &stats);
    CHECK(stats.filters == 1 && stats.sessions == 1);
    wfp_filter0 *f = NULL;
    CHECK_CODE(B->filter_get_by_id(st, a, &f), WFP_E_FILTER_NOT_FOUND);
    CHECK_CODE(B->filter_get_by_id(st, in_txn, &f), WFP_E_FILTER_NOT_FOUND);
    CHECK_CODE(B->sublayer_delete_by_key(st, &s), WFP_E_SUBLAYER_NOT_FOUND);
    CHECK_CODE(B->provider_delete_by_key(st, &p), WFP_E_PROVIDER_NOT_FOUND);
    CHECK_OK(B->filter_get_by_id(st, keep, &f));
    B->free_memory((void **)&f);
    /* The engine lock was released by the close: another session writes at once. */
    wfp_handle again = test_open(e, 0, 1);
    CHECK_OK(add_port_filter(again, &L_V4, NULL, 6, 0, NULL));
    B->engine_close(again);
    /* Static objects outlive their session. */
    B->engine_close(st);
    wfp_handle later = test_open(e, 0, 0);
    CHECK_OK(B->filter_get_by_id(later, keep, &f));
    B->free_memory((void **)&f);
    B->engine_close(later);
    wfp_sim_engine_release(e);
}

/* A static session deletes a dynamic filter inside a transaction; the owner closes meanwhile;
   the abort must not resurrect an orphan. */
static void abort_after_owner_closed(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle st = test_open(e, 0, 0);
    wfp_handle dyn = test_open(e, 1, 0);
    uint64_t id;
    CHECK_OK(add_port_filter(dyn, &L_V4, NULL, 1, 0, &id));
    CHECK_OK(B->transaction_begin(st, 0));
    CHECK_OK(B->filter_delete_by_id(st, id));
    CHECK_OK(B->engine_close(dyn));
    CHECK_OK(B->transaction_abort(st));
    wfp_sim_stats stats;
    wfp_sim_engine_stats(e, &stats);
    CHECK(stats.filters == 0);
    B->engine_close(st);
    wfp_sim_engine_release(e);
}

/* A dynamic session closing while another session's write transaction is open: its objects go
   when that transaction ends, and the transaction's abort still restores its own view exactly
   (here: a deleted static filter whose list neighbours are the closing session's filters). */
static void close_during_foreign_txn(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle w = test_open(e, 0, 0), x = test_open(e, 1, 0);
    uint64_t x1, mid, x2;
    CHECK_OK(add_port_filter(x, &L_V4, NULL, 1, 0, &x1));
    CHECK_OK(add_port_filter(w, &L_V4, NULL, 2, 0, &mid));
    CHECK_OK(add_port_filter(x, &L_V4, NULL, 3, 0, &x2));
    CHECK_OK(B->transaction_begin(w, 0));
    CHECK_OK(B->filter_delete_by_id(w, mid));
    CHECK_OK(B->engine_close(x));
    wfp_sim_stats stats;
    wfp_sim_engine_stats(e, &stats);
    CHECK(stats.sessions == 1 && stats.filters == 2); /* x's filters wait for w */
    CHECK_OK(B->transaction_abort(w));
    wfp_sim_engine_stats(e, &stats);
    CHECK(stats.filters == 1);
    uint64_t ids[4];
    CHECK(test_enum_filter_ids(w, NULL, 10, ids, 4) == 1 && ids[0] == mid);
    uint64_t later;
    CHECK_OK(add_port_filter(w, &L_V4, NULL, 4, 0, &later));
    CHECK(test_enum_filter_ids(w, NULL, 10, ids, 4) == 2 && ids[0] == mid && ids[1] == later);
    /* And with a commit. */
    x = test_open(e, 1, 0);
    CHECK_OK(add_port_filter(x, &L_V4, NULL, 5, 0, &x1));
    CHECK_OK(B->transaction_begin(w, 0));
    CHECK_OK(B->engine_close(x));
    CHECK_OK(B->transaction_commit(w));
    wfp_sim_engine_stats(e, &stats);
    CHECK(stats.filters == 2 && stats.sessions == 1);
    B->engine_close(w);
    wfp_sim_engine_release(e);
}

typedef struct waiter {
    wfp_sim_engine *engine;
    uint32_t timeout;
    int op; /* 0 add, 1 begin, 2 get */
    uint32_t status;
    uint64_t waited_ms;
} waiter;

static void *waiter_main(void *arg)
{
    waiter *w = arg;
    wfp_handle h = test_open(w->engine, 0, w->timeout);
    uint64_t start = now_ms();
    if (w->op == 0) {
        w->status = add_port_filter(h, &L_V4, NULL, 99, 0, NULL);
    } else if (w->op == 1) {
        w->status = B->transaction_begin(h, 0);
        if (w->status == WFP_OK)
            B->transaction_commit(h);
    } else {
        wfp_sublayer0 *s = NULL;
        w->status = B->sublayer_get_by_key(h, &WFP_SUBLAYER_UNIVERSAL, &s);
        B->free_memory((void **)&s);
    }
    w->waited_ms = now_ms() - start;
    B->engine_close(h);
    return NULL;
}

static waiter make_waiter(wfp_sim_engine *e, uint32_t timeout, int op)
{
    waiter w = {e, timeout, op, 0xFFFFFFFFu, 0};
    return w;
}

static void lock_timeout(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle a = test_open(e, 0, 0);
    CHECK_OK(B->transaction_begin(a, 0));
    for (int op = 0; op < 3; op++) {
        pthread_t t;
        waiter w = make_waiter(e, 150, op);
        pthread_create(&t, NULL, waiter_main, &w);
        pthread_join(t, NULL);
        CHECK_CODE(w.status, WFP_E_TIMEOUT);
        CHECK(w.waited_ms >= 140 && w.waited_ms < 5000);
    }
    /* A waiter with a long timeout gets through once the holder commits. */
    pthread_t t;
    waiter w = make_waiter(e, WFP_INFINITE, 0);
    pthread_create(&t, NULL, waiter_main, &w);
    sleep_ms(120);
    wfp_sim_stats stats;
    wfp_sim_engine_stats(e, &stats);
    CHECK(stats.filters == 0);
    CHECK_OK(B->transaction_commit(a));
    pthread_join(t, NULL);
    CHECK_OK(w.status);
    CHECK(w.waited_ms >= 100);
    wfp_sim_engine_stats(e, &stats);
    CHECK(stats.filters == 1);
    B->engine_close(a);
    wfp_sim_engine_release(e);
}

static void read_only_shared(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle a = test_open(e, 0, 0), b = test_open(e, 0, 100);
    CHECK_OK(B->transaction_begin(a, WFP_TXN_READ_ONLY));
    uint64_t start = now_ms();
    CHECK_OK(B->transaction_begin(b, WFP_TXN_READ_ONLY)); /* shared */
    CHECK(now_ms() - start < 90);
    pthread_t t;
    waiter w = make_waiter(e, 100, 0); /* a writer waits for both readers */
    pthread_create(&t, NULL, waiter_main, &w);
    pthread_join(t, NULL);
    CHECK_CODE(w.status, WFP_E_TIMEOUT);
    CHECK_OK(B->transaction_commit(a));
    CHECK_OK(B->transaction_abort(b));
    w = make_waiter(e, 100, 0);
    pthread_create(&t, NULL, waiter_main, &w);
    pthread_join(t, NULL);
    CHECK_OK(w.status);
    B->engine_close(a);
    B->engine_close(b);
    wfp_sim_engine_release(e);
}

/* Many threads adding through their own sessions: nothing lost, ids unique. */
typedef struct adder {
    wfp_sim_engine *engine;
    uint64_t ids[200];
    uint32_t failures;
} adder;

static void *adder_main(void *arg)
{
    adder *a = arg;
    wfp_handle h = test_open(a->engine, 0, WFP_INFINITE);
    for (int i = 0; i < 200; i++) {
        if (i % 50 == 0) {
            B->transaction_begin(h, 0);
            for (int j = 0; j < 5; j++)
                if (add_port_filter(h, &L_V6, NULL, 1, 0, NULL) != WFP_OK)
                    a->failures++;
            B->transaction_commit(h);
        }
        if (add_port_filter(h, &L_V4, NULL, (uint16_t)i, 0, &a->ids[i]) != WFP_OK)
            a->failures++;
    }
    B->engine_close(h);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x == y ? 0 : (x < y ? -1 : 1);
}

static void concurrent_sessions(void)
{
    wfp_sim_engine *e = new_engine();
    adder adders[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        memset(&adders[i], 0, sizeof adders[i]);
        adders[i].engine = e;
        pthread_create(&threads[i], NULL, adder_main, &adders[i]);
    }
    uint64_t all[800];
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        CHECK(adders[i].failures == 0);
        memcpy(all + 200 * i, adders[i].ids, sizeof adders[i].ids);
    }
    qsort(all, 800, sizeof all[0], cmp_u64);
    for (int i = 1; i < 800; i++)
        CHECK(all[i] != all[i - 1]);
    wfp_sim_stats stats;
    wfp_sim_engine_stats(e, &stats);
    CHECK(stats.filters == 800 + 4 * 4 * 5);
    CHECK(stats.sessions == 0);
    wfp_sim_engine_release(e);
}

static void engines_are_independent(void)
{
    wfp_sim_engine *e1 = new_engine(), *e2 = new_engine();
    wfp_handle a = test_open(e1, 0, 0), b = test_open(e2, 0, 50);
    CHECK_OK(B->transaction_begin(a, 0));
    CHECK_OK(add_port_filter(b, &L_V4, NULL, 1, 0, NULL)); /* another engine's lock */
    wfp_guid s = test_guid(1);
    CHECK_OK(test_add_sublayer(b, &s, NULL, 1, 0));
    CHECK_OK(test_add_sublayer(a, &s, NULL, 1, 0)); /* keys are per engine */
    CHECK_OK(B->transaction_commit(a));
    /* Releasing the creator's reference keeps the engine alive for its sessions. */
    wfp_sim_engine_release(e2);
    CHECK(wfp_sim_session_engine(b) == e2);
    CHECK_OK(add_port_filter(b, &L_V4, NULL, 2, 0, NULL));
    B->engine_close(b);
    B->engine_close(a);
    wfp_sim_engine_release(e1);
}

int main(void)
{
    L_V4 = test_layer("ALE_AUTH_CONNECT_V4");
    L_V6 = test_layer("ALE_AUTH_CONNECT_V6");
    F_PORT = test_field("IP_REMOTE_PORT");
    static const test_case cases[] = {
        {"misuse", misuse},
        {"abort_restores_exact_state", abort_restores_exact_state},
        {"commit_and_own_view", commit_and_own_view},
        {"dynamic_sessions", dynamic_sessions},
        {"abort_after_owner_closed", abort_after_owner_closed},
        {"close_during_foreign_txn", close_during_foreign_txn},
        {"lock_timeout", lock_timeout},
        {"read_only_shared", read_only_shared},
        {"concurrent_sessions", concurrent_sessions},
        {"engines_are_independent", engines_are_independent},
    };
    return test_run_all("txn", cases, sizeof cases / sizeof cases[0]);
}
