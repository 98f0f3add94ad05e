/* Engine and enumeration handles of the embedded engine: a handle kept after its close or
   destroy fails with ERROR_INVALID_HANDLE and never reaches a session or enumeration opened
   later, even one that reuses the freed memory. */
#include <stdlib.h>
#include <string.h>

#include "test_sim.h"

enum { REOPENS = 2000 };

static wfp_guid L_V4;

static wfp_sim_engine *new_engine(void)
{
    wfp_sim_engine *e = NULL;
    CHECK_OK(wfp_sim_engine_create(NULL, &e));
    return e;
}

static uint32_t add_filter(wfp_handle h, const char *name, uint64_t *id)
{
    wfp_filter0 f = test_filter(&L_V4, name);
    return B->filter_add(h, &f, NULL, id);
}

static size_t filter_count(wfp_handle h)
{
    uint64_t ids[16];
    return test_enum_filter_ids(h, NULL, 16, ids, 16);
}

/* Every call a closed handle could make fails and changes nothing. */
static void check_handle_is_dead(wfp_handle stale)
{
    uint64_t id = 0;
    wfp_filter0 *got = NULL;
    wfp_handle en = NULL;
    CHECK_CODE(B->transaction_begin(stale, 0), WFP_ERROR_INVALID_HANDLE);
    CHECK_CODE(B->transaction_commit(stale), WFP_ERROR_INVALID_HANDLE);
    CHECK_CODE(B->transaction_abort(stale), WFP_ERROR_INVALID_HANDLE);
    CHECK_CODE(add_filter(stale, "stale", &id), WFP_ERROR_INVALID_HANDLE);
    CHECK_CODE(B->filter_get_by_id(stale, 1, &got), WFP_ERROR_INVALID_HANDLE);
    CHECK(got == NULL);
    CHECK_CODE(B->filter_delete_by_id(stale, 1), WFP_ERROR_INVALID_HANDLE);
    CHECK_CODE(B->filter_create_enum_handle(stale, NULL, &en), WFP_ERROR_INVALID_HANDLE);
    CHECK(en == NULL);
    CHECK_CODE(B->engine_close(stale), WFP_ERROR_INVALID_HANDLE);
    CHECK(wfp_sim_session_engine(stale) == NULL);
}

static void test_a_closed_handle_never_drives_a_later_session(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle first = test_open(e, 1, 0);
    CHECK_OK(B->engine_close(first));
    /* The next session gets the freed session's memory back from malloc (most allocators
       hand out the block just freed); its handle must still differ. */
    wfp_handle later = test_open(e, 1, 0);
    CHECK(later != first);
    uint64_t id = 0;
    CHECK_OK(add_filter(later, "kept", &id));
    check_handle_is_dead(first);
    /* The later session is untouched: its filter is there, no transaction was opened on it. */
    CHECK(filter_count(later) == 1);
    CHECK_OK(B->transaction_begin(later, 0));
    CHECK_OK(B->transaction_commit(later));
    CHECK(wfp_sim_session_engine(later) == e);
    CHECK_OK(B->engine_close(later));
    check_handle_is_dead(later);
    wfp_sim_engine_release(e);
}

static void test_handles_are_never_reused(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_sim_engine *other = new_engine();
    wfp_handle *seen = calloc(REOPENS, sizeof *seen);
    CHECK(seen != NULL);
    if (seen == NULL)
        return;
    wfp_handle keeper = test_open(e, 1, 0);
    uint64_t id = 0;
    CHECK_OK(add_filter(keeper, "keeper", &id));
    for (size_t i = 0; i < REOPENS; i++) {
        /* Alternate engines: handles are unique across engines too. */
        seen[i] = test_open(i % 2 ? other : e, 1, 0);
        CHECK(seen[i] != NULL && seen[i] != keeper);
        for (size_t j = 0; j < i; j++)
            if (seen[j] == seen[i]) {
                CHECK(seen[j] != seen[i]);
                break;
            }
        CHECK_OK(B->engine_close(seen[i]));
    }
    for (size_t i = 0; i < REOPENS; i += 97)
        check_handle_is_dead(seen[i]);
    CHECK(filter_count(keeper) == 1);
    CHECK_OK(B->engine_close(keeper));
    free(seen);
    wfp_sim_engine_release(other);
    wfp_sim_engine_release(e);
}

static void test_a_destroyed_enum_handle_never_drives_a_later_enumeration(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 1, 0);
    uint64_t id = 0;
    CHECK_OK(add_filter(h, "one", &id));
    wfp_handle first = NULL, later = NULL;
    CHECK_OK(B->filter_create_enum_handle(h, NULL, &first));
    CHECK_OK(B->filter_destroy_enum_handle(h, first));
    CHECK_OK(B->filter_create_enum_handle(h, NULL, &later));
    CHECK(later != first);

    wfp_filter0 **page = NULL;
    uint32_t n = 7;
    CHECK_CODE(B->filter_enum(h, first, 10, &page, &n), WFP_ERROR_INVALID_HANDLE);
    CHECK(page == NULL && n == 0);
    CHECK_CODE(B->filter_destroy_enum_handle(h, first), WFP_ERROR_INVALID_HANDLE);
    /* The later enumeration still has its one filter to give: the stale calls did not page it. */
    CHECK_OK(B->filter_enum(h, later, 10, &page, &n));
    CHECK(n == 1);
    if (page != NULL)
        B->free_memory((void **)&page);
    CHECK_OK(B->filter_destroy_enum_handle(h, later));
    CHECK_OK(B->engine_close(h));
    wfp_sim_engine_release(e);
}

static void test_an_enum_handle_belongs_to_its_session(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle a = test_open(e, 1, 0);
    wfp_handle b = test_open(e, 1, 0);
    wfp_handle en_a = NULL, en_b = NULL;
    CHECK_OK(B->provider_create_enum_handle(a, NULL, &en_a));
    CHECK_OK(B->provider_create_enum_handle(b, NULL, &en_b));
    CHECK(en_a != en_b && en_a != a && en_a != b);
    wfp_provider0 **page = NULL;
    uint32_t n = 0;
    CHECK_CODE(B->provider_enum(b, en_a, 10, &page, &n), WFP_ERROR_INVALID_HANDLE);
    CHECK_CODE(B->provider_destroy_enum_handle(b, en_a), WFP_ERROR_INVALID_HANDLE);
    /* Nor is a session handle an enum handle, or the other way round. */
    CHECK_CODE(B->provider_enum(a, a, 10, &page, &n), WFP_ERROR_INVALID_HANDLE);
    CHECK_CODE(B->transaction_begin(en_a, 0), WFP_ERROR_INVALID_HANDLE);
    CHECK_OK(B->provider_destroy_enum_handle(a, en_a));
    CHECK_OK(B->provider_destroy_enum_handle(b, en_b));
    /* Closing a session destroys its enumerations: their handles die with it. */
    wfp_handle en_left = NULL;
    CHECK_OK(B->filter_create_enum_handle(a, NULL, &en_left));
    CHECK_OK(B->engine_close(a));
    wfp_handle c = test_open(e, 1, 0);
    wfp_filter0 **filters = NULL;
    CHECK_CODE(B->filter_enum(c, en_left, 10, &filters, &n), WFP_ERROR_INVALID_HANDLE);
    CHECK_CODE(B->filter_destroy_enum_handle(c, en_left), WFP_ERROR_INVALID_HANDLE);
    CHECK_OK(B->engine_close(b));
    CHECK_OK(B->engine_close(c));
    wfp_sim_engine_release(e);
}

static void test_null_and_made_up_handles_are_invalid(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 1, 0);
    check_handle_is_dead(NULL);
    /* A handle is not an address: the session's own memory is no handle either. */
    check_handle_is_dead((wfp_handle)(uintptr_t)0x1000);
    check_handle_is_dead((wfp_handle)((uintptr_t)h + 1000000));
    CHECK(filter_count(h) == 0);
    CHECK_OK(B->engine_close(h));
    wfp_sim_engine_release(e);
}

int main(void)
{
    L_V4 = test_layer("ALE_AUTH_CONNECT_V4");
    static const test_case cases[] = {
        {"a_closed_handle_never_drives_a_later_session", test_a_closed_handle_never_drives_a_later_session},
        {"handles_are_never_reused", test_handles_are_never_reused},
        {"a_destroyed_enum_handle_never_drives_a_later_enumeration",
         test_a_destroyed_enum_handle_never_drives_a_later_enumeration},
        {"an_enum_handle_belongs_to_its_session", test_an_enum_handle_belongs_to_its_session},
        {"null_and_made_up_handles_are_invalid", test_null_and_made_up_handles_are_invalid},
    };
    return test_run_all("handles", cases, sizeof cases / sizeof cases[0]);
}
