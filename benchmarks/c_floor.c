/*
 * C floor: the practical limit for bulk add and enumeration, with no Python anywhere.
 *
 * Builds n filters as prebuilt mirror structs (the same shape the benchmarks give the Python API:
 * remote address, remote port and protocol at ALE_AUTH_CONNECT_V4 in a custom sublayer), adds
 * them in one transaction with wfp_bulk_add_filters and enumerates them back through the pager.
 * Only the add and the enumeration are timed.  Prints one JSON line on stdout.
 *
 *   c_floor N [--backend sim|fwpuclnt] [--page-size P]
 *
 * The benchmark suite compiles this file together with the .c files of src/core and src/sim
 * (benchmarks/_build.py); it is not part of the library.
 */
#ifndef _WIN32
#define _POSIX_C_SOURCE 200809L
#endif

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#include <psapi.h>
#else
#include <sys/resource.h>
#include <time.h>
#endif

#include "wfp/core.h"
#include "wfp/ids.h"
#include "wfp/sim.h"

#define CONDITIONS_PER_FILTER 3u
#define NAME_CAPACITY 32u

/* Keys of the benchmark's own provider and sublayer (the same values benchmarks/_rules.py uses). */
static const wfp_guid BENCH_PROVIDER = {
    0x6b1f3c2au, 0x41d7, 0x4f0e, {0x9a, 0x51, 0x2c, 0x7e, 0x10, 0xb4, 0x3d, 0x01}};
static const wfp_guid BENCH_SUBLAYER = {
    0x6b1f3c2au, 0x41d7, 0x4f0e, {0x9a, 0x51, 0x2c, 0x7e, 0x10, 0xb4, 0x3d, 0x02}};

static double now_seconds(void)
{
#ifdef _WIN32
    LARGE_INTEGER frequency, counter;
    QueryPerformanceFrequency(&frequency);
    QueryPerformanceCounter(&counter);
    return (double)counter.QuadPart / (double)frequency.QuadPart;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
#endif
}

/* CPU time of this process: on a shared machine it is far less noisy than the wall clock. */
static double cpu_seconds(void)
{
#ifdef _WIN32
    FILETIME creation, exit_time, kernel, user;
    if (!GetProcessTimes(GetCurrentProcess(), &creation, &exit_time, &kernel, &user))
        return 0.0;
    uint64_t k = ((uint64_t)kernel.dwHighDateTime << 32) | kernel.dwLowDateTime;
    uint64_t u = ((uint64_t)user.dwHighDateTime << 32) | user.dwLowDateTime;
    return (double)(k + u) * 1e-7;
#else
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
#endif
}

static uint64_t peak_rss_bytes(void)
{
#ifdef _WIN32
    PROCESS_MEMORY_COUNTERS counters;
    if (!GetProcessMemoryInfo(GetCurrentProcess(), &counters, sizeof counters))
        return 0;
    return (uint64_t)counters.PeakWorkingSetSize;
#else
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0)
        return 0;
    return (uint64_t)usage.ru_maxrss * 1024u; /* Linux reports KiB */
#endif
}

/* splitmix64: random-looking filter keys, like the random UUIDs the Python API gives rules. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void random_guid(uint64_t *state, wfp_guid *guid)
{
    uint64_t high = next_random(state), low = next_random(state);
    guid->Data1 = (uint32_t)(high >> 32);
    guid->Data2 = (uint16_t)(high >> 16);
    guid->Data3 = (uint16_t)((high & 0x0fffu) | 0x4000u); /* version 4 */
    for (int i = 0; i < 8; i++)
        guid->Data4[i] = (uint8_t)(low >> (8 * i));
    guid->Data4[0] = (uint8_t)((guid->Data4[0] & 0x3fu) | 0x80u); /* RFC 4122 variant */
}

/* Writes "bench rule <i>" as NUL-terminated UTF-16LE; returns the bytes written (with the NUL). */
static size_t write_name(wfp_wchar *out, size_t index)
{
    char ascii[NAME_CAPACITY];
    int length = snprintf(ascii, sizeof ascii, "bench rule %zu", index);
    for (int i = 0; i < length; i++)
        out[i] = (wfp_wchar)ascii[i];
    out[length] = 0;
    return ((size_t)length + 1u) * sizeof(wfp_wchar);
}

static wfp_wchar *utf16_literal(const char *ascii)
{
    size_t length = strlen(ascii);
    wfp_wchar *out = calloc(length + 1u, sizeof *out);
    if (out != NULL)
        for (size_t i = 0; i < length; i++)
            out[i] = (wfp_wchar)ascii[i];
    return out;
}

static const wfp_guid *field_key(const wfp_layer_info *layer, const char *name)
{
    for (uint32_t i = 0; i < layer->num_fields; i++)
        if (strcmp(layer->fields[i].name, name) == 0)
            return &layer->fields[i].key;
    fprintf(stderr, "c_floor: layer %s has no field %s\n", layer->name, name);
    exit(2);
}

static void check(uint32_t status, const char *what)
{
    if (status != WFP_OK) {
        fprintf(stderr, "c_floor: %s failed: 0x%08" PRIx32 " %s\n", what, status,
                wfp_error_name(status) ? wfp_error_name(status) : "");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s N [--backend sim|fwpuclnt] [--page-size P]\n", argv[0]);
        return 2;
    }
    size_t n = (size_t)strtoull(argv[1], NULL, 10);
    const char *backend_name = "sim";
    uint32_t page_size = 0; /* the pager's default */
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--backend") == 0)
            backend_name = argv[i + 1];
        else if (strcmp(argv[i], "--page-size") == 0)
            page_size = (uint32_t)strtoul(argv[i + 1], NULL, 10);
        else {
            fprintf(stderr, "c_floor: unknown option %s\n", argv[i]);
            return 2;
        }
    }

    const wfp_backend *backend = NULL;
    if (strcmp(backend_name, "sim") == 0) {
        backend = wfp_sim_backend();
    } else {
        uint32_t status = WFP_OK;
        backend = wfp_win_backend(&status);
        if (backend == NULL)
            check(status ? status : WFPKIT_E_UNSUPPORTED, "loading fwpuclnt.dll");
    }

    const wfp_layer_info *layer = wfp_layer_find_by_name("ALE_AUTH_CONNECT_V4");
    if (layer == NULL) {
        fprintf(stderr, "c_floor: layer ALE_AUTH_CONNECT_V4 unknown\n");
        return 2;
    }
    const wfp_guid *remote_address = field_key(layer, "IP_REMOTE_ADDRESS");
    const wfp_guid *remote_port = field_key(layer, "IP_REMOTE_PORT");
    const wfp_guid *protocol = field_key(layer, "IP_PROTOCOL");

    wfp_session0 session;
    memset(&session, 0, sizeof session);
    session.displayData.name = utf16_literal("wfpkit c floor");
    session.flags = WFP_SESSION_FLAG_DYNAMIC;
    session.txnWaitTimeoutInMSec = WFP_INFINITE;
    wfp_handle engine = NULL;
    check(backend->engine_open(NULL, WFP_RPC_C_AUTHN_WINNT, NULL, &session, &engine),
          "engine_open");

    wfp_provider0 provider;
    memset(&provider, 0, sizeof provider);
    provider.providerKey = BENCH_PROVIDER;
    provider.displayData.name = utf16_literal("wfpkit benchmark");
    check(backend->provider_add(engine, &provider, NULL), "provider_add");

    wfp_guid provider_key = BENCH_PROVIDER;
    wfp_sublayer0 sublayer;
    memset(&sublayer, 0, sizeof sublayer);
    sublayer.subLayerKey = BENCH_SUBLAYER;
    sublayer.displayData.name = utf16_literal("wfpkit benchmark");
    sublayer.providerKey = &provider_key;
    sublayer.weight = 0x8000;
    check(backend->sublayer_add(engine, &sublayer, NULL), "sublayer_add");

    /* The prebuilt structs: everything the engine reads lives in three flat arrays. */
    wfp_filter0 *filters = calloc(n ? n : 1, sizeof *filters);
    wfp_filter_condition0 *conditions =
        calloc(n ? n * CONDITIONS_PER_FILTER : 1, sizeof *conditions);
    wfp_wchar *names = calloc(n ? n * NAME_CAPACITY : 1, sizeof *names);
    uint64_t *ids = calloc(n ? n : 1, sizeof *ids);
    if (filters == NULL || conditions == NULL || names == NULL || ids == NULL) {
        fprintf(stderr, "c_floor: out of memory for %zu filters\n", n);
        return 1;
    }
    uint64_t random_state = 0x5eed;
    size_t name_bytes = 0;
    for (size_t i = 0; i < n; i++) {
        wfp_filter_condition0 *c = &conditions[i * CONDITIONS_PER_FILTER];
        c[0].fieldKey = *remote_address;
        c[0].matchType = WFP_MATCH_EQUAL;
        c[0].conditionValue.type = WFP_UINT32;
        c[0].conditionValue.uint32 = 0x0A000000u + (uint32_t)i; /* 10.0.0.0 + i, host order */
        c[1].fieldKey = *remote_port;
        c[1].matchType = WFP_MATCH_EQUAL;
        c[1].conditionValue.type = WFP_UINT16;
        c[1].conditionValue.uint16 = (uint16_t)(1u + i % 65535u);
        c[2].fieldKey = *protocol;
        c[2].matchType = WFP_MATCH_EQUAL;
        c[2].conditionValue.type = WFP_UINT8;
        c[2].conditionValue.uint8 = (i % 2u) ? 17u : 6u;

        wfp_filter0 *f = &filters[i];
        random_guid(&random_state, &f->filterKey);
        f->displayData.name = &names[i * NAME_CAPACITY];
        name_bytes += write_name(f->displayData.name, i);
        f->providerKey = &provider_key;
        f->layerKey = layer->key;
        f->subLayerKey = BENCH_SUBLAYER;
        f->weight.type = WFP_EMPTY;
        f->numFilterConditions = CONDITIONS_PER_FILTER;
        f->filterCondition = c;
        f->action.type = (i % 2u) ? WFP_ACTION_PERMIT : WFP_ACTION_BLOCK;
    }

    int is_sim = strcmp(backend->name, "sim") == 0;
    wfp_sim_stats before, after;
    memset(&before, 0, sizeof before);
    memset(&after, 0, sizeof after);
    if (is_sim)
        wfp_sim_engine_stats(wfp_sim_session_engine(engine), &before);

    double start = now_seconds(), cpu_start = cpu_seconds();
    wfp_bulk_result added = wfp_bulk_add_filters(backend, engine, filters, n, ids, 1);
    double add_s = now_seconds() - start, add_cpu_s = cpu_seconds() - cpu_start;
    if (added.status != WFP_OK) {
        fprintf(stderr, "c_floor: bulk add failed at index %zu\n", added.failed_index);
        check(added.status, "wfp_bulk_add_filters");
    }
    if (is_sim)
        wfp_sim_engine_stats(wfp_sim_session_engine(engine), &after);

    wfp_filter_enum_template0 tmpl;
    memset(&tmpl, 0, sizeof tmpl);
    tmpl.providerKey = &provider_key;
    tmpl.layerKey = layer->key;
    tmpl.enumType = WFP_FILTER_ENUM_OVERLAPPING;
    tmpl.actionMask = 0xFFFFFFFFu;

    /* Reading every field the Python side converts keeps the comparison honest. */
    size_t seen = 0;
    uint64_t checksum = 0;
    start = now_seconds();
    cpu_start = cpu_seconds();
    wfp_pager pager;
    check(wfp_pager_open(&pager, backend, engine, WFP_ENUM_FILTERS, &tmpl, page_size),
          "wfp_pager_open");
    for (;;) {
        check(wfp_pager_next(&pager), "wfp_pager_next");
        if (pager.page_count == 0)
            break;
        for (uint32_t i = 0; i < pager.page_count; i++) {
            const wfp_filter0 *f = pager.page[i];
            checksum += f->filterId + f->filterKey.Data1 + f->action.type + f->weight.type;
            checksum += wfp_wcslen(f->displayData.name);
            for (uint32_t j = 0; j < f->numFilterConditions; j++)
                checksum += f->filterCondition[j].matchType +
                            f->filterCondition[j].conditionValue.uint32;
        }
        seen += pager.page_count;
    }
    wfp_pager_close(&pager);
    double enum_s = now_seconds() - start, enum_cpu_s = cpu_seconds() - cpu_start;
    if (seen != n) {
        fprintf(stderr, "c_floor: enumerated %zu filters, added %zu\n", seen, n);
        return 1;
    }

    uint64_t rss = peak_rss_bytes();
    check(backend->engine_close(engine), "engine_close");

    size_t engine_bytes = after.heap_bytes >= before.heap_bytes
                              ? after.heap_bytes - before.heap_bytes
                              : 0;
    printf("{\"impl\": \"c_floor\", \"backend\": \"%s\", \"n\": %zu, \"add_s\": %.9f, "
           "\"enum_s\": %.9f, \"add_cpu_s\": %.9f, \"enum_cpu_s\": %.9f, \"heap_bytes\": %zu, "
           "\"engine_bytes_added\": %zu, \"name_bytes\": %zu, \"filters_in_engine\": %zu, "
           "\"peak_rss_bytes\": %" PRIu64 ", \"checksum\": %" PRIu64 "}\n",
           backend->name, n, add_s, enum_s, add_cpu_s, enum_cpu_s, after.heap_bytes, engine_bytes,
           name_bytes, after.filters, rss, checksum);

    free(filters);
    free(conditions);
    free(names);
    free(ids);
    free(session.displayData.name);
    free(provider.displayData.name);
    free(sublayer.displayData.name);
    return 0;
}
