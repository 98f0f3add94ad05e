/*
 * Windows test runner: drives the real Windows build of the core through src/win/backend_win.c.
 *
 * Run under Wine next to the embedded engine built as fwpuclnt.dll (mode "engine"), or against
 * Wine's own stub fwpuclnt.dll (mode "stub").  Wine's exit codes are unreliable, so the verdict is
 * the last line of stdout: "WFPKIT-RUNNER-OK ..." only when every check passed.
 *
 *   runner.exe engine     the full flow (open, txn, provider, sublayer, 10,000-filter bulk add with
 *                         an injected failure and rollback, templates, paging, app id, misuse)
 *   runner.exe stub       EngineOpen against a DLL that cannot do WFP: report its code
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wfp/core.h"
#include "wfp/errors.h"
#include "wfp/ids.h"
#include "wfp/win.h"

#define BULK_COUNT 10000u
#define PAGE_SIZE 3000u
#define INJECTED_AT 5000u /* 1-based: the 5000th add fails */
#define FIRST_PORT 20000u

static unsigned checks_passed;
static unsigned checks_failed;

static int check(int ok, const char *what, unsigned long long detail)
{
    if (ok) {
        checks_passed++;
    } else {
        checks_failed++;
        printf("FAIL: %s (0x%llX)\n", what, detail);
        fflush(stdout);
    }
    return ok;
}

static const char *code_name(uint32_t code)
{
    const char *name = wfp_error_name(code);
    return name != NULL ? name : "unknown";
}

static int expect_ok(uint32_t status, const char *what)
{
    if (status != WFP_OK)
        printf("%s returned %s\n", what, code_name(status));
    return check(status == WFP_OK, what, status);
}

static void utf16(wfp_wchar *out, size_t cap, const char *ascii)
{
    size_t i;
    for (i = 0; ascii[i] != 0 && i + 1 < cap; i++)
        out[i] = (wfp_wchar)(unsigned char)ascii[i];
    out[i] = 0;
}

/* Distinct, recognisable keys: the runner never needs real randomness. */
static wfp_guid runner_guid(uint32_t tag)
{
    wfp_guid g = {0x7f1c0000u | tag, 0x5eed, 0x4a11, {0x8b, 0x01, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22}};
    return g;
}

typedef void(WFP_CALL *inject_failure_fn)(uint32_t kind, uint32_t nth, uint32_t code);

static inject_failure_fn find_injector(void)
{
    HMODULE dll = GetModuleHandleW(L"fwpuclnt.dll");
    FARPROC proc = dll != NULL ? GetProcAddress(dll, "WfpSimInjectFailure") : NULL;
    inject_failure_fn fn = NULL;
    memcpy(&fn, &proc, sizeof fn);
    return fn;
}

typedef struct fixture {
    const wfp_backend *b;
    wfp_handle engine;
    wfp_guid provider_key;
    wfp_guid sublayer_key;
    const wfp_layer_info *layer;      /* ALE_AUTH_CONNECT_V4 */
    const wfp_layer_info *other_layer; /* ALE_AUTH_CONNECT_V6 */
    const wfp_field_info *port_field;  /* IP_REMOTE_PORT there */
} fixture;

static uint32_t open_session(const wfp_backend *b, const char *name, wfp_handle *engine)
{
    wfp_wchar wname[64];
    wfp_session0 session;
    memset(&session, 0, sizeof session);
    utf16(wname, 64, name);
    session.displayData.name = wname;
    session.flags = WFP_SESSION_FLAG_DYNAMIC;
    session.txnWaitTimeoutInMSec = WFP_INFINITE;
    return b->engine_open(NULL, WFP_RPC_C_AUTHN_WINNT, NULL, &session, engine);
}

/* filters[i] blocks or permits TCP port FIRST_PORT + i; conditions and names live in the arrays. */
static void build_filters(const fixture *f, wfp_filter0 *filters, wfp_filter_condition0 *conds,
                          wfp_wchar *name, const wfp_guid *sublayer_key)
{
    uint32_t i;
    utf16(name, 32, "runner filter");
    memset(filters, 0, sizeof(wfp_filter0) * BULK_COUNT);
    memset(conds, 0, sizeof(wfp_filter_condition0) * BULK_COUNT);
    for (i = 0; i < BULK_COUNT; i++) {
        conds[i].fieldKey = f->port_field->key;
        conds[i].matchType = WFP_MATCH_EQUAL;
        conds[i].conditionValue.type = WFP_UINT16;
        conds[i].conditionValue.uint16 = (uint16_t)(FIRST_PORT + i);
        filters[i].displayData.name = name;
        filters[i].providerKey = (wfp_guid *)&f->provider_key;
        filters[i].layerKey = f->layer->key;
        filters[i].subLayerKey = *sublayer_key;
        filters[i].weight.type = WFP_UINT8;
        filters[i].weight.uint8 = (uint8_t)(i % 16);
        filters[i].numFilterConditions = 1;
        filters[i].filterCondition = &conds[i];
        filters[i].action.type = (i % 2) ? WFP_ACTION_PERMIT : WFP_ACTION_BLOCK;
    }
}

/* Counts the filters a template selects, page by page, checking each one on the way. */
static uint32_t count_filters(const fixture *f, const wfp_guid *layer_key, uint32_t enum_type,
                              const wfp_filter_condition0 *cond, uint32_t *pages, int verify)
{
    wfp_filter_enum_template0 tmpl;
    wfp_pager pager;
    uint32_t total = 0, status;
    memset(&tmpl, 0, sizeof tmpl);
    tmpl.providerKey = (wfp_guid *)&f->provider_key;
    tmpl.layerKey = *layer_key;
    tmpl.enumType = enum_type;
    tmpl.actionMask = 0xFFFFFFFFu;
    if (cond != NULL) {
        tmpl.numFilterConditions = 1;
        tmpl.filterCondition = (wfp_filter_condition0 *)cond;
    }
    if (pages != NULL)
        *pages = 0;
    status = wfp_pager_open(&pager, f->b, f->engine, WFP_ENUM_FILTERS, &tmpl, PAGE_SIZE);
    if (!check(status == WFP_OK, "filter enum handle with a template", status))
        return UINT32_MAX;
    for (;;) {
        uint32_t i;
        status = wfp_pager_next(&pager);
        if (!check(status == WFP_OK, "filter enum page", status))
            break;
        if (pager.page_count == 0)
            break;
        if (pages != NULL)
            (*pages)++;
        check(pager.page_count <= PAGE_SIZE, "page no larger than asked", pager.page_count);
        for (i = 0; verify && i < pager.page_count; i++) {
            /* One check per page: the count of passed checks stays readable. */
            const wfp_filter0 *filter = ((wfp_filter0 **)pager.page)[i];
            uint32_t port = filter->numFilterConditions == 1
                                ? filter->filterCondition[0].conditionValue.uint16
                                : 0;
            int ok = filter->providerKey != NULL &&
                     wfp_guid_equal(filter->providerKey, &f->provider_key) &&
                     wfp_guid_equal(&filter->layerKey, layer_key) &&
                     filter->numFilterConditions == 1 &&
                     wfp_guid_equal(&filter->filterCondition[0].fieldKey, &f->port_field->key) &&
                     filter->filterCondition[0].conditionValue.type == WFP_UINT16 &&
                     port >= FIRST_PORT && port < FIRST_PORT + BULK_COUNT &&
                     filter->action.type ==
                         (((port - FIRST_PORT) % 2) ? WFP_ACTION_PERMIT : WFP_ACTION_BLOCK) &&
                     filter->filterId != 0 && filter->effectiveWeight.type == WFP_UINT64;
            if (!ok) {
                check(0, "enumerated filter reads back as added", filter->filterId);
                break;
            }
        }
        if (verify && i == pager.page_count)
            check(1, "every filter of the page reads back as added", 0);
        total += pager.page_count;
    }
    wfp_pager_close(&pager);
    return total;
}

static void engine_flow(void)
{
    fixture f;
    uint32_t status, pages = 0, i;
    inject_failure_fn inject;
    wfp_filter0 *filters = calloc(BULK_COUNT, sizeof *filters);
    wfp_filter_condition0 *conds = calloc(BULK_COUNT, sizeof *conds);
    uint64_t *ids = calloc(BULK_COUNT, sizeof *ids);
    wfp_wchar filter_name[32], provider_name[32], sublayer_name[32];
    wfp_bulk_result bulk;
    DWORD started;

    memset(&f, 0, sizeof f);
    if (!check(filters != NULL && conds != NULL && ids != NULL, "memory", 0))
        return;
    f.b = wfp_win_backend(&status);
    if (!check(f.b != NULL && status == WFP_OK, "wfp_win_backend loads fwpuclnt.dll", status))
        return;
    check(strcmp(f.b->name, "fwpuclnt") == 0, "backend is named fwpuclnt", 0);
    check(wfp_win_missing_function() == NULL, "every export resolved", 0);
    if (wfp_win_missing_function() != NULL)
        printf("missing export: %s\n", wfp_win_missing_function());
    check(wfp_win_function_name(offsetof(wfp_backend, filter_add)) != NULL &&
              strcmp(wfp_win_function_name(offsetof(wfp_backend, filter_add)), "FwpmFilterAdd0") == 0,
          "slot offset names its export", 0);
    inject = find_injector();
    if (!check(inject != NULL, "the engine DLL exports WfpSimInjectFailure", 0))
        return;

    f.layer = wfp_layer_find_by_name("ALE_AUTH_CONNECT_V4");
    f.other_layer = wfp_layer_find_by_name("ALE_AUTH_CONNECT_V6");
    if (!check(f.layer != NULL && f.other_layer != NULL, "layer table has ALE_AUTH_CONNECT", 0))
        return;
    for (i = 0; i < f.layer->num_fields; i++)
        if (strcmp(f.layer->fields[i].name, "IP_REMOTE_PORT") == 0)
            f.port_field = &f.layer->fields[i];
    if (!check(f.port_field != NULL, "IP_REMOTE_PORT at ALE_AUTH_CONNECT_V4", 0))
        return;
    f.provider_key = runner_guid(1);
    f.sublayer_key = runner_guid(2);

    status = open_session(f.b, "wfpkit runner", &f.engine);
    if (!check(status == WFP_OK && f.engine != NULL, "FwpmEngineOpen0", status))
        return;

    /* provider + sublayer in one transaction */
    {
        wfp_provider0 provider;
        wfp_sublayer0 sublayer;
        memset(&provider, 0, sizeof provider);
        memset(&sublayer, 0, sizeof sublayer);
        utf16(provider_name, 32, "wfpkit runner");
        utf16(sublayer_name, 32, "wfpkit runner sublayer");
        provider.providerKey = f.provider_key;
        provider.displayData.name = provider_name;
        sublayer.subLayerKey = f.sublayer_key;
        sublayer.displayData.name = sublayer_name;
        sublayer.providerKey = &f.provider_key;
        sublayer.weight = 0x100;
        expect_ok(f.b->transaction_begin(f.engine, 0), "FwpmTransactionBegin0");
        expect_ok(f.b->provider_add(f.engine, &provider, NULL), "FwpmProviderAdd0");
        expect_ok(f.b->sublayer_add(f.engine, &sublayer, NULL), "FwpmSubLayerAdd0");
        expect_ok(f.b->transaction_commit(f.engine), "FwpmTransactionCommit0");
        status = f.b->provider_add(f.engine, &provider, NULL);
        check(status == WFP_E_ALREADY_EXISTS, "second FwpmProviderAdd0 is FWP_E_ALREADY_EXISTS", status);
    }
    {
        wfp_sublayer_enum_template0 tmpl = {&f.provider_key};
        wfp_pager pager;
        uint32_t seen = 0;
        status = wfp_pager_open(&pager, f.b, f.engine, WFP_ENUM_SUBLAYERS, &tmpl, 16);
        check(status == WFP_OK, "sublayer enum handle", status);
        while (status == WFP_OK && (status = wfp_pager_next(&pager)) == WFP_OK && pager.page_count) {
            const wfp_sublayer0 *s = ((wfp_sublayer0 **)pager.page)[0];
            check(wfp_guid_equal(&s->subLayerKey, &f.sublayer_key) && s->weight == 0x100,
                  "sublayer reads back", s->weight);
            seen += pager.page_count;
        }
        wfp_pager_close(&pager);
        check(seen == 1, "provider template selects our one sublayer", seen);
    }

    /* 10,000 filters, the 5000th add fails by injection: nothing may remain (own transaction). */
    build_filters(&f, filters, conds, filter_name, &f.sublayer_key);
    inject(0, INJECTED_AT, WFP_E_ALREADY_EXISTS);
    bulk = wfp_bulk_add_filters(f.b, f.engine, filters, BULK_COUNT, ids, 1);
    check(bulk.status == WFP_E_ALREADY_EXISTS, "injected failure surfaces", bulk.status);
    check(bulk.failed_index == INJECTED_AT - 1, "failed index is the injected one", bulk.failed_index);
    check(bulk.added == 0, "nothing reported added", bulk.added);
    check(count_filters(&f, &f.layer->key, WFP_FILTER_ENUM_OVERLAPPING, NULL, NULL, 0) == 0,
          "rollback left no filter (own transaction)", 0);

    /* Inside the caller's transaction: an invalid filter (unknown sublayer) at index 7000; the
       core undoes its own adds and the caller's transaction stays usable. */
    {
        wfp_guid missing_sublayer = runner_guid(3);
        filters[7000].subLayerKey = missing_sublayer;
        expect_ok(f.b->transaction_begin(f.engine, 0), "caller transaction");
        bulk = wfp_bulk_add_filters(f.b, f.engine, filters, BULK_COUNT, ids, 0);
        check(bulk.status == WFP_E_SUBLAYER_NOT_FOUND, "unknown sublayer is FWP_E_SUBLAYER_NOT_FOUND",
              bulk.status);
        check(bulk.failed_index == 7000, "failed index is the invalid filter", bulk.failed_index);
        expect_ok(f.b->transaction_commit(f.engine), "caller commit");
        check(count_filters(&f, &f.layer->key, WFP_FILTER_ENUM_OVERLAPPING, NULL, NULL, 0) == 0,
              "rollback left no filter (caller transaction)", 0);
        filters[7000].subLayerKey = f.sublayer_key;
    }

    /* The real thing. */
    started = GetTickCount();
    bulk = wfp_bulk_add_filters(f.b, f.engine, filters, BULK_COUNT, ids, 1);
    check(bulk.status == WFP_OK && bulk.added == BULK_COUNT, "10,000-filter bulk add", bulk.status);
    printf("bulk add of %u filters: %lu ms\n", BULK_COUNT, (unsigned long)(GetTickCount() - started));
    {
        int distinct = 1;
        for (i = 1; i < BULK_COUNT; i++)
            if (ids[i] == 0 || ids[i] == ids[i - 1])
                distinct = 0;
        check(distinct && ids[0] != 0, "filter ids are set and distinct", 0);
    }

    /* Templates: layer + provider selects all, in pages; another layer selects none; a port
       condition selects exactly the filter with that port. */
    check(count_filters(&f, &f.layer->key, WFP_FILTER_ENUM_OVERLAPPING, NULL, &pages, 1) == BULK_COUNT,
          "layer+provider template enumerates all 10,000", 0);
    check(pages == (BULK_COUNT + PAGE_SIZE - 1) / PAGE_SIZE, "enumeration came in 3000-entry pages",
          pages);
    check(count_filters(&f, &f.other_layer->key, WFP_FILTER_ENUM_OVERLAPPING, NULL, NULL, 0) == 0,
          "another layer's template selects nothing", 0);
    {
        wfp_filter_condition0 port_cond;
        memset(&port_cond, 0, sizeof port_cond);
        port_cond.fieldKey = f.port_field->key;
        port_cond.matchType = WFP_MATCH_EQUAL;
        port_cond.conditionValue.type = WFP_UINT16;
        port_cond.conditionValue.uint16 = (uint16_t)(FIRST_PORT + 1234);
        check(count_filters(&f, &f.layer->key, WFP_FILTER_ENUM_OVERLAPPING, &port_cond, NULL, 1) == 1,
              "a port-condition template selects one filter", 0);
    }
    {
        wfp_filter0 *one = NULL;
        status = f.b->filter_get_by_id(f.engine, ids[42], &one);
        check(status == WFP_OK && one != NULL && one->filterId == ids[42] &&
                  one->filterCondition[0].conditionValue.uint16 == FIRST_PORT + 42,
              "FwpmFilterGetById0", status);
        f.b->free_memory((void **)&one);
        check(one == NULL, "FwpmFreeMemory0 nulls the caller's pointer", 0);
    }

    /* A page freed twice: the first free nulls the pager's pointer, so close frees nothing. */
    {
        wfp_filter_enum_template0 tmpl;
        wfp_pager pager;
        void *nothing = NULL;
        memset(&tmpl, 0, sizeof tmpl);
        tmpl.layerKey = f.layer->key;
        tmpl.enumType = WFP_FILTER_ENUM_OVERLAPPING;
        tmpl.actionMask = 0xFFFFFFFFu;
        status = wfp_pager_open(&pager, f.b, f.engine, WFP_ENUM_FILTERS, &tmpl, 100);
        check(status == WFP_OK, "pager open", status);
        status = wfp_pager_next(&pager);
        check(status == WFP_OK && pager.page_count == 100 && pager.page != NULL, "first page", status);
        f.b->free_memory((void **)&pager.page);
        check(pager.page == NULL, "free nulls the page pointer", 0);
        wfp_pager_close(&pager);
        wfp_pager_close(&pager);
        f.b->free_memory(&nothing);
        check(pager.page == NULL && pager.enum_handle == NULL, "double close is harmless", 0);
    }

    /* App id: an NT device path, lower-cased, NUL counted in the size. */
    {
        static const char suffix[] = "\\windows\\system32\\notepad.exe";
        wfp_wchar path[64];
        wfp_byte_blob *app_id = NULL;
        utf16(path, 64, "C:\\Windows\\System32\\NOTEPAD.EXE");
        status = f.b->get_app_id_from_file_name(path, &app_id);
        if (check(status == WFP_OK && app_id != NULL, "FwpmGetAppIdFromFileName0", status)) {
            const wfp_wchar *text = (const wfp_wchar *)app_id->data;
            size_t len = app_id->size / 2, n = sizeof suffix - 1, k;
            int ok = app_id->size % 2 == 0 && len > n + 1 && text[len - 1] == 0 &&
                     wfp_wcslen(text) == len - 1 && text[0] == '\\';
            for (k = 0; ok && k < n; k++)
                ok = text[len - 1 - n + k] == (wfp_wchar)suffix[k];
            for (k = 0; ok && k + 1 < len; k++)
                ok = !(text[k] >= 'A' && text[k] <= 'Z');
            check(ok, "app id is a lower-case device path with its NUL counted", app_id->size);
            printf("app id: ");
            for (k = 0; k + 1 < len; k++)
                putchar(text[k] < 128 ? (char)text[k] : '?');
            printf(" (%u bytes)\n", (unsigned)app_id->size);
        }
        f.b->free_memory((void **)&app_id);
        check(app_id == NULL, "FwpmFreeMemory0 nulls the app id pointer", 0);
        /* A relative path has no device path: an error, and no blob to free. */
        utf16(path, 64, "nothing.exe");
        status = f.b->get_app_id_from_file_name(path, &app_id);
        check(status != WFP_OK && app_id == NULL, "a relative path is refused without a blob",
              status);
    }

    /* A closed handle must fail, not crash (before any other session could reuse its value);
       then the dynamic session's objects must be gone for a new session. */
    {
        wfp_handle closed = f.engine;
        wfp_handle second = NULL;
        uint64_t id = 0;
        expect_ok(f.b->engine_close(f.engine), "FwpmEngineClose0");
        status = f.b->transaction_begin(closed, 0);
        check(status != WFP_OK, "a closed handle cannot begin a transaction", status);
        printf("closed handle: FwpmTransactionBegin0 -> 0x%08X %s\n", (unsigned)status,
               code_name(status));
        status = f.b->filter_add(closed, &filters[0], NULL, &id);
        check(status != WFP_OK && id == 0, "a closed handle cannot add a filter", status);
        status = f.b->engine_close(closed);
        check(status != WFP_OK, "closing a closed handle fails cleanly", status);

        status = open_session(f.b, "wfpkit runner 2", &second);
        check(status == WFP_OK, "second session", status);
        f.engine = second;
        check(count_filters(&f, &f.layer->key, WFP_FILTER_ENUM_OVERLAPPING, NULL, NULL, 0) == 0,
              "dynamic filters are gone after close", 0);
        {
            wfp_sublayer0 *gone = NULL;
            status = f.b->sublayer_get_by_key(second, &f.sublayer_key, &gone);
            check(status == WFP_E_SUBLAYER_NOT_FOUND && gone == NULL,
                  "dynamic sublayer is gone after close", status);
        }
        expect_ok(f.b->engine_close(second), "close the second session");
    }
    free(filters);
    free(conds);
    free(ids);
}

static void stub_flow(void)
{
    uint32_t status;
    wfp_handle engine = NULL;
    const wfp_backend *b = wfp_win_backend(&status);
    if (!check(b != NULL && status == WFP_OK, "Wine's fwpuclnt.dll loads", status))
        return;
    printf("first missing export: %s\n",
           wfp_win_missing_function() ? wfp_win_missing_function() : "none");
    if (!check(b->engine_open != NULL, "Wine's DLL has FwpmEngineOpen0", 0))
        return;
    status = open_session(b, "wfpkit stub probe", &engine);
    printf("WFPKIT-STUB engine_open=%u name=%s\n", (unsigned)status, code_name(status));
    check(status != WFP_OK && engine == NULL, "EngineOpen fails without a handle", status);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "engine";
    setvbuf(stdout, NULL, _IONBF, 0); /* every line out even if Wine kills the process */
    if (strcmp(mode, "engine") == 0) {
        engine_flow();
    } else if (strcmp(mode, "stub") == 0) {
        stub_flow();
    } else {
        printf("usage: runner.exe engine|stub\n");
        return 2;
    }
    if (checks_failed == 0 && checks_passed > 0) {
        printf("WFPKIT-RUNNER-OK mode=%s checks=%u\n", mode, checks_passed);
        return 0;
    }
    printf("WFPKIT-RUNNER-FAILED mode=%s failed=%u passed=%u\n", mode, checks_failed, checks_passed);
    return 1;
}
