/* wfp_backend_function_name: every function slot of the backend table names its fwpuclnt export,
   so a NULL slot can always be reported as the function that is missing. */
#include <stddef.h>
#include <string.h>

#include "test_sim.h"

typedef uint32_t(WFP_CALL *any_slot)(void);

static void test_every_slot_has_a_distinct_export_name(void)
{
    const size_t first = offsetof(wfp_backend, engine_open);
    const char *seen[64];
    size_t n = 0;
    for (size_t offset = first; offset < sizeof(wfp_backend); offset += sizeof(any_slot)) {
        const char *name = wfp_backend_function_name(offset);
        CHECK(name != NULL);
        if (name == NULL)
            continue;
        CHECK(strncmp(name, "Fwpm", 4) == 0);
        for (size_t i = 0; i < n; i++)
            CHECK(strcmp(seen[i], name) != 0);
        if (n < sizeof seen / sizeof seen[0])
            seen[n++] = name;
    }
    CHECK(n == (sizeof(wfp_backend) - first) / sizeof(any_slot));
}

static void test_known_slots_and_non_slots(void)
{
    CHECK(strcmp(wfp_backend_function_name(offsetof(wfp_backend, filter_add)), "FwpmFilterAdd0") == 0);
    CHECK(strcmp(wfp_backend_function_name(offsetof(wfp_backend, free_memory)), "FwpmFreeMemory0") == 0);
    CHECK(strcmp(wfp_backend_function_name(offsetof(wfp_backend, get_app_id_from_file_name)),
                 "FwpmGetAppIdFromFileName0") == 0);
    CHECK(wfp_backend_function_name(offsetof(wfp_backend, name)) == NULL);
    CHECK(wfp_backend_function_name(offsetof(wfp_backend, filter_add) + 1) == NULL);
    CHECK(wfp_backend_function_name(sizeof(wfp_backend)) == NULL);
}

int main(void)
{
    static const test_case cases[] = {
        {"every_slot_has_a_distinct_export_name", test_every_slot_has_a_distinct_export_name},
        {"known_slots_and_non_slots", test_known_slots_and_non_slots},
    };
    return test_run_all("backend_names", cases, sizeof cases / sizeof cases[0]);
}
