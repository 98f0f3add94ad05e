/* UTF-16 and GUID helpers shared by the binding and the backends; names of backend-table slots. */
#include <stddef.h>
#include <string.h>

#include "wfp/core.h"

const wfp_guid WFP_GUID_NULL = {0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0}};

size_t wfp_wcslen(const wfp_wchar *s)
{
    size_t n = 0;
    while (s[n] != 0)
        n++;
    return n;
}

int wfp_guid_equal(const wfp_guid *a, const wfp_guid *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

int wfp_guid_is_null(const wfp_guid *g)
{
    return wfp_guid_equal(g, &WFP_GUID_NULL);
}

typedef struct slot_name {
    size_t offset;
    const char *name;
} slot_name;

#define SLOT_NAME(slot, export) {offsetof(wfp_backend, slot), export}
static const slot_name slot_names[] = {
    SLOT_NAME(engine_open, "FwpmEngineOpen0"),
    SLOT_NAME(engine_close, "FwpmEngineClose0"),
    SLOT_NAME(transaction_begin, "FwpmTransactionBegin0"),
    SLOT_NAME(transaction_commit, "FwpmTransactionCommit0"),
    SLOT_NAME(transaction_abort, "FwpmTransactionAbort0"),
    SLOT_NAME(provider_add, "FwpmProviderAdd0"),
    SLOT_NAME(provider_delete_by_key, "FwpmProviderDeleteByKey0"),
    SLOT_NAME(provider_get_by_key, "FwpmProviderGetByKey0"),
    SLOT_NAME(provider_create_enum_handle, "FwpmProviderCreateEnumHandle0"),
    SLOT_NAME(provider_enum, "FwpmProviderEnum0"),
    SLOT_NAME(provider_destroy_enum_handle, "FwpmProviderDestroyEnumHandle0"),
    SLOT_NAME(sublayer_add, "FwpmSubLayerAdd0"),
    SLOT_NAME(sublayer_delete_by_key, "FwpmSubLayerDeleteByKey0"),
    SLOT_NAME(sublayer_get_by_key, "FwpmSubLayerGetByKey0"),
    SLOT_NAME(sublayer_create_enum_handle, "FwpmSubLayerCreateEnumHandle0"),
    SLOT_NAME(sublayer_enum, "FwpmSubLayerEnum0"),
    SLOT_NAME(sublayer_destroy_enum_handle, "FwpmSubLayerDestroyEnumHandle0"),
    SLOT_NAME(filter_add, "FwpmFilterAdd0"),
    SLOT_NAME(filter_delete_by_id, "FwpmFilterDeleteById0"),
    SLOT_NAME(filter_delete_by_key, "FwpmFilterDeleteByKey0"),
    SLOT_NAME(filter_get_by_id, "FwpmFilterGetById0"),
    SLOT_NAME(filter_get_by_key, "FwpmFilterGetByKey0"),
    SLOT_NAME(filter_create_enum_handle, "FwpmFilterCreateEnumHandle0"),
    SLOT_NAME(filter_enum, "FwpmFilterEnum0"),
    SLOT_NAME(filter_destroy_enum_handle, "FwpmFilterDestroyEnumHandle0"),
    SLOT_NAME(layer_get_by_key, "FwpmLayerGetByKey0"),
    SLOT_NAME(layer_create_enum_handle, "FwpmLayerCreateEnumHandle0"),
    SLOT_NAME(layer_enum, "FwpmLayerEnum0"),
    SLOT_NAME(layer_destroy_enum_handle, "FwpmLayerDestroyEnumHandle0"),
    SLOT_NAME(net_event_create_enum_handle, "FwpmNetEventCreateEnumHandle0"),
    SLOT_NAME(net_event_enum, "FwpmNetEventEnum0"),
    SLOT_NAME(net_event_destroy_enum_handle, "FwpmNetEventDestroyEnumHandle0"),
    SLOT_NAME(free_memory, "FwpmFreeMemory0"),
    SLOT_NAME(get_app_id_from_file_name, "FwpmGetAppIdFromFileName0"),
};

const char *wfp_backend_function_name(size_t slot_offset)
{
    for (size_t i = 0; i < sizeof slot_names / sizeof slot_names[0]; i++)
        if (slot_names[i].offset == slot_offset)
            return slot_names[i].name;
    return NULL;
}

#ifndef _WIN32
/* fwpuclnt.dll exists only on Windows; src/win/backend_win.c defines the real one there. */
const wfp_backend *wfp_win_backend(uint32_t *status)
{
    if (status != NULL)
        *status = WFPKIT_E_UNSUPPORTED;
    return NULL;
}
#endif
