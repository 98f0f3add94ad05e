/* Helpers shared by the embedded engine's C tests. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "test_sim.h"

const wfp_backend *B;

static int current_failures;

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stdout, "    %s:%d: ", file, line);
    vfprintf(stdout, fmt, ap);
    fprintf(stdout, "\n");
    va_end(ap);
    current_failures++;
}

int test_quick(void) { return getenv("WFP_SIM_TEST_QUICK") != NULL; }

int test_run_all(const char *suite, const test_case *cases, size_t n)
{
    B = wfp_sim_backend();
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        current_failures = 0;
        cases[i].run();
        if (current_failures == 0) {
            printf("ok %s/%s\n", suite, cases[i].name);
        } else {
            printf("FAIL %s/%s (%d checks)\n", suite, cases[i].name, current_failures);
            failed++;
        }
        fflush(stdout);
    }
    printf("# %s: %zu passed, %zu failed\n", suite, n - failed, failed);
    return failed == 0 ? 0 : 1;
}

const char *test_code_name(uint32_t code)
{
    const char *name = wfp_error_name(code);
    return name != NULL ? name : "?";
}

wfp_guid test_guid(uint32_t n)
{
    wfp_guid g = {n, 0x1234, 0x4abc, {0x80, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07}};
    return g;
}

const wfp_wchar *test_w(const char *ascii)
{
    static _Thread_local wfp_wchar ring[16][256];
    static _Thread_local unsigned next;
    wfp_wchar *out = ring[next++ % 16];
    size_t i = 0;
    for (; ascii[i] != '\0' && i < 255; i++)
        out[i] = (wfp_wchar)(unsigned char)ascii[i];
    out[i] = 0;
    return out;
}

int test_wstr_eq(const wfp_wchar *w, const char *ascii)
{
    if (w == NULL)
        return ascii == NULL;
    if (ascii == NULL)
        return 0;
    size_t i = 0;
    for (; ascii[i] != '\0'; i++)
        if (w[i] != (wfp_wchar)(unsigned char)ascii[i])
            return 0;
    return w[i] == 0;
}

wfp_guid test_layer(const char *name)
{
    const wfp_layer_info *layer = wfp_layer_find_by_name(name);
    if (layer == NULL) {
        fprintf(stdout, "    unknown layer %s\n", name);
        abort();
    }
    return layer->key;
}

static wfp_guid named(const wfp_named_guid *table, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(table[i].name, name) == 0)
            return table[i].key;
    fprintf(stdout, "    unknown name %s\n", name);
    abort();
}

wfp_guid test_field(const char *name) { return named(wfp_condition_table, wfp_condition_count, name); }
wfp_guid test_sublayer(const char *name) { return named(wfp_sublayer_table, wfp_sublayer_count, name); }
wfp_guid test_provider_builtin(const char *name) { return named(wfp_provider_table, wfp_provider_count, name); }
wfp_guid test_callout(const char *name) { return named(wfp_callout_table, wfp_callout_count, name); }

wfp_handle test_open(wfp_sim_engine *engine, int dynamic, uint32_t timeout_ms)
{
    wfp_session0 s;
    memset(&s, 0, sizeof s);
    s.flags = dynamic ? WFP_SESSION_FLAG_DYNAMIC : 0;
    s.txnWaitTimeoutInMSec = timeout_ms;
    wfp_handle h = NULL;
    uint32_t status = wfp_sim_session_open(engine, &s, &h);
    if (status != WFP_OK) {
        fprintf(stdout, "    session open failed: %s\n", test_code_name(status));
        abort();
    }
    return h;
}

wfp_filter0 test_filter(const wfp_guid *layer, const char *name)
{
    wfp_filter0 f;
    memset(&f, 0, sizeof f);
    f.displayData.name = (wfp_wchar *)test_w(name);
    f.layerKey = *layer;
    f.action.type = WFP_ACTION_BLOCK;
    f.weight.type = WFP_EMPTY;
    return f;
}

uint32_t test_add_provider(wfp_handle h, const wfp_guid *key, uint32_t flags)
{
    wfp_provider0 p;
    memset(&p, 0, sizeof p);
    p.providerKey = *key;
    p.displayData.name = (wfp_wchar *)test_w("provider");
    p.flags = flags;
    return B->provider_add(h, &p, NULL);
}

uint32_t test_add_sublayer(wfp_handle h, const wfp_guid *key, const wfp_guid *provider, uint16_t weight,
                           uint32_t flags)
{
    wfp_sublayer0 s;
    memset(&s, 0, sizeof s);
    s.subLayerKey = *key;
    s.displayData.name = (wfp_wchar *)test_w("sublayer");
    s.providerKey = (wfp_guid *)provider;
    s.weight = weight;
    s.flags = flags;
    return B->sublayer_add(h, &s, NULL);
}

size_t test_enum_filter_ids(wfp_handle h, const wfp_filter_enum_template0 *tmpl, uint32_t page,
                            uint64_t *ids, size_t cap)
{
    wfp_handle en = NULL;
    uint32_t status = B->filter_create_enum_handle(h, tmpl, &en);
    if (status != WFP_OK) {
        fprintf(stdout, "    create enum failed: %s\n", test_code_name(status));
        return (size_t)-1;
    }
    size_t n = 0;
    for (;;) {
        wfp_filter0 **entries = NULL;
        uint32_t got = 0;
        status = B->filter_enum(h, en, page, &entries, &got);
        if (status != WFP_OK)
            break;
        for (uint32_t i = 0; i < got; i++) {
            if (n < cap)
                ids[n] = entries[i]->filterId;
            n++;
        }
        B->free_memory((void **)&entries);
        if (got < page)
            break;
    }
    B->filter_destroy_enum_handle(h, en);
    return n;
}
