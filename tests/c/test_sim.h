/* Shared by the embedded engine's C tests (tests/c/test_sim_*.c). */
#ifndef WFP_TEST_SIM_H
#define WFP_TEST_SIM_H

#include <stdint.h>
#include <stdio.h>

#include "wfp/core.h"
#include "wfp/ids.h"
#include "wfp/sim.h"

typedef struct test_case {
    const char *name;
    void (*run)(void);
} test_case;

/* Runs every case, prints "ok suite/name" or "FAIL suite/name", returns the exit status. */
int test_run_all(const char *suite, const test_case *cases, size_t n);
void test_fail(const char *file, int line, const char *fmt, ...);
/* Nonzero when WFP_SIM_TEST_QUICK is set (valgrind runs use smaller sizes). */
int test_quick(void);

#define CHECK(cond)                                                                               \
    do {                                                                                          \
        if (!(cond))                                                                              \
            test_fail(__FILE__, __LINE__, "check failed: %s", #cond);                             \
    } while (0)

#define CHECK_CODE(expr, want)                                                                    \
    do {                                                                                          \
        uint32_t got_ = (expr);                                                                   \
        uint32_t want_ = (want);                                                                  \
        if (got_ != want_)                                                                        \
            test_fail(__FILE__, __LINE__, "%s: got %s (0x%08x), want %s (0x%08x)", #expr,         \
                      test_code_name(got_), (unsigned)got_, test_code_name(want_), (unsigned)want_); \
    } while (0)

#define CHECK_OK(expr) CHECK_CODE(expr, WFP_OK)

const char *test_code_name(uint32_t code);

/* Deterministic test GUIDs: n in Data1, a fixed tail. */
wfp_guid test_guid(uint32_t n);
/* A static UTF-16 copy of an ASCII string (ring of buffers, valid for a while). */
const wfp_wchar *test_w(const char *ascii);
int test_wstr_eq(const wfp_wchar *w, const char *ascii);

/* Layer, field and sublayer keys by table name. */
wfp_guid test_layer(const char *name);
wfp_guid test_field(const char *name);
wfp_guid test_sublayer(const char *name);
wfp_guid test_provider_builtin(const char *name);
wfp_guid test_callout(const char *name);

/* Opens a session on engine; dynamic and timeout as given (0 = default). */
wfp_handle test_open(wfp_sim_engine *engine, int dynamic, uint32_t timeout_ms);

/* A filter skeleton at layer with a name, BLOCK action, EMPTY weight, no conditions. */
wfp_filter0 test_filter(const wfp_guid *layer, const char *name);
uint32_t test_add_provider(wfp_handle h, const wfp_guid *key, uint32_t flags);
uint32_t test_add_sublayer(wfp_handle h, const wfp_guid *key, const wfp_guid *provider, uint16_t weight,
                           uint32_t flags);

/* Enumerate every filter matching tmpl (may be NULL) with the given page size; returns the ids
   in order into ids (capacity cap) and the count. */
size_t test_enum_filter_ids(wfp_handle h, const wfp_filter_enum_template0 *tmpl, uint32_t page,
                            uint64_t *ids, size_t cap);

extern const wfp_backend *B;

#endif /* WFP_TEST_SIM_H */
