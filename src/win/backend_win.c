/*
 * The fwpuclnt.dll backend: the only file that sees the Windows SDK's WFP headers.
 *
 * fwpuclnt.dll is loaded at run time and every entry point is resolved with GetProcAddress, so
 * the extension never imports fwpuclnt: an older Windows that lacks a function leaves its slot
 * NULL (reported as unsupported by the caller) instead of refusing to load the module.
 *
 * The second half of the file proves, at compile time, that the mirror types of abi.h are the SDK
 * types byte for byte and that every backend-table slot has its export's calling convention and
 * argument layout.  A mistake there would corrupt memory at run time, so it must break the build.
 */
#ifndef _WIN32_WINNT
/* Windows 7: the oldest release we support, so only its API is visible to this file. */
#define _WIN32_WINNT 0x0601
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <rpc.h>
#include <fwpmu.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wfp/abi_layout.h"
#include "wfp/core.h"
#include "wfp/win.h"

/* Backend-table slot -> fwpuclnt export.  Every name here must exist on Windows 7. */
#define WFP_WIN_FUNCTIONS(X)                                        \
    X(engine_open, FwpmEngineOpen0)                                 \
    X(engine_close, FwpmEngineClose0)                               \
    X(transaction_begin, FwpmTransactionBegin0)                     \
    X(transaction_commit, FwpmTransactionCommit0)                   \
    X(transaction_abort, FwpmTransactionAbort0)                     \
    X(provider_add, FwpmProviderAdd0)                               \
    X(provider_delete_by_key, FwpmProviderDeleteByKey0)             \
    X(provider_get_by_key, FwpmProviderGetByKey0)                   \
    X(provider_create_enum_handle, FwpmProviderCreateEnumHandle0)   \
    X(provider_enum, FwpmProviderEnum0)                             \
    X(provider_destroy_enum_handle, FwpmProviderDestroyEnumHandle0) \
    X(sublayer_add, FwpmSubLayerAdd0)                               \
    X(sublayer_delete_by_key, FwpmSubLayerDeleteByKey0)             \
    X(sublayer_get_by_key, FwpmSubLayerGetByKey0)                   \
    X(sublayer_create_enum_handle, FwpmSubLayerCreateEnumHandle0)   \
    X(sublayer_enum, FwpmSubLayerEnum0)                             \
    X(sublayer_destroy_enum_handle, FwpmSubLayerDestroyEnumHandle0) \
    X(filter_add, FwpmFilterAdd0)                                   \
    X(filter_delete_by_id, FwpmFilterDeleteById0)                   \
    X(filter_delete_by_key, FwpmFilterDeleteByKey0)                 \
    X(filter_get_by_id, FwpmFilterGetById0)                         \
    X(filter_get_by_key, FwpmFilterGetByKey0)                       \
    X(filter_create_enum_handle, FwpmFilterCreateEnumHandle0)       \
    X(filter_enum, FwpmFilterEnum0)                                 \
    X(filter_destroy_enum_handle, FwpmFilterDestroyEnumHandle0)     \
    X(layer_get_by_key, FwpmLayerGetByKey0)                         \
    X(layer_create_enum_handle, FwpmLayerCreateEnumHandle0)         \
    X(layer_enum, FwpmLayerEnum0)                                   \
    X(layer_destroy_enum_handle, FwpmLayerDestroyEnumHandle0)       \
    X(net_event_create_enum_handle, FwpmNetEventCreateEnumHandle0)  \
    X(net_event_enum, FwpmNetEventEnum0)                            \
    X(net_event_destroy_enum_handle, FwpmNetEventDestroyEnumHandle0) \
    X(free_memory, FwpmFreeMemory0)                                 \
    X(get_app_id_from_file_name, FwpmGetAppIdFromFileName0)

static wfp_backend win_table;
static uint32_t win_status;
static const char *win_first_missing;
static INIT_ONCE win_once = INIT_ONCE_STATIC_INIT;

/* Windows 7 has these flags only with KB2533623; some SDKs declare them for Windows 8 only. */
#ifndef LOAD_LIBRARY_SEARCH_APPLICATION_DIR
#define LOAD_LIBRARY_SEARCH_APPLICATION_DIR 0x00000200
#endif
#ifndef LOAD_LIBRARY_SEARCH_SYSTEM32
#define LOAD_LIBRARY_SEARCH_SYSTEM32 0x00000800
#endif

static HMODULE load_fwpuclnt(void)
{
    /* The application directory and System32 only: never the current directory or PATH, where a
       planted fwpuclnt.dll could take over the firewall calls. */
    HMODULE dll = LoadLibraryExW(L"fwpuclnt.dll", NULL,
                                 LOAD_LIBRARY_SEARCH_APPLICATION_DIR | LOAD_LIBRARY_SEARCH_SYSTEM32);
    /* Windows 7 without KB2533623 rejects the search flags. */
    if (dll == NULL && GetLastError() == ERROR_INVALID_PARAMETER)
        dll = LoadLibraryW(L"fwpuclnt.dll");
    return dll;
}

/* Function pointers of every type share one representation on Windows, so copying the bytes of
   GetProcAddress's result into the typed slot is exact and needs no cast between function types. */
#define RESOLVE_SLOT(slot, fn)                                                   \
    {                                                                            \
        FARPROC proc = GetProcAddress(dll, #fn);                                 \
        memcpy(&win_table.slot, &proc, sizeof proc);                             \
        if (proc == NULL && win_first_missing == NULL)                           \
            win_first_missing = #fn;                                             \
    }

static BOOL CALLBACK load_backend_once(PINIT_ONCE once, PVOID parameter, PVOID *context)
{
    HMODULE dll;
    (void)once;
    (void)parameter;
    (void)context;

    dll = load_fwpuclnt();
    if (dll == NULL) {
        win_status = (uint32_t)GetLastError();
        if (win_status == WFP_OK)
            win_status = WFP_ERROR_MOD_NOT_FOUND;
        return TRUE;
    }
    /* The DLL stays loaded for the life of the process: the table points into it. */
    win_table.name = "fwpuclnt";
    WFP_WIN_FUNCTIONS(RESOLVE_SLOT)
    win_status = WFP_OK;
    return TRUE;
}

const wfp_backend *wfp_win_backend(uint32_t *status)
{
    InitOnceExecuteOnce(&win_once, load_backend_once, NULL, NULL);
    if (status != NULL)
        *status = win_status;
    return win_status == WFP_OK ? &win_table : NULL;
}

/* One table of slot names for every platform: src/core/strings.c. */
const char *wfp_win_function_name(size_t slot_offset)
{
    return wfp_backend_function_name(slot_offset);
}

const char *wfp_win_missing_function(void)
{
    return win_first_missing;
}

/* ======================= compile-time proof: mirror types == SDK types ======================= */

#define FIELD_OF(T, f) (((T *)0)->f)

#define SAME_SIZE(M, W)                                                                    \
    _Static_assert(sizeof(M) == sizeof(W), "sizeof(" #M ") != sizeof(" #W ")");            \
    _Static_assert(_Alignof(M) == _Alignof(W), "_Alignof(" #M ") != _Alignof(" #W ")")

#define SAME_OFFSET(M, W, f)                                                               \
    _Static_assert(offsetof(M, f) == offsetof(W, f),                                       \
                   "offsetof(" #M ", " #f ") != offsetof(" #W ", " #f ")")

/* "long" is 4 bytes here and 8 on LP64 Linux: a mirror field spelled with it would pass this
   check yet break the Linux side, so it is refused outright. */
#define FIXED_WIDTH(M, f)                                                                  \
    _Static_assert(_Generic(FIELD_OF(M, f), long: 0, unsigned long: 0, default: 1),        \
                   #M "." #f " is declared long: its size differs between Windows and Linux")

#if defined(__GNUC__)
/* Pointer vs integer vs real vs record: catches a by-pointer member turned into a by-value one
   even where the sizes happen to agree (uint64_t vs uint64_t * on 64-bit targets). */
#define SAME_KIND(M, W, f)                                                                 \
    _Static_assert(__builtin_classify_type(FIELD_OF(M, f)) ==                              \
                       __builtin_classify_type(FIELD_OF(W, f)),                            \
                   "pointer-vs-value: " #M "." #f " is not the same kind of type as " #W "." #f)
#else
#define SAME_KIND(M, W, f) _Static_assert(1, "")
#endif

#define SAME_FIELD(M, W, f)                                                                \
    SAME_OFFSET(M, W, f);                                                                  \
    _Static_assert(sizeof(FIELD_OF(M, f)) == sizeof(FIELD_OF(W, f)),                       \
                   "sizeof(" #M "." #f ") != sizeof(" #W "." #f ")");                      \
    SAME_KIND(M, W, f);                                                                    \
    FIXED_WIDTH(M, f)

SAME_SIZE(wfp_guid, GUID);
SAME_FIELD(wfp_guid, GUID, Data1);
SAME_FIELD(wfp_guid, GUID, Data2);
SAME_FIELD(wfp_guid, GUID, Data3);
SAME_FIELD(wfp_guid, GUID, Data4);

SAME_SIZE(wfp_filetime, FILETIME);
SAME_FIELD(wfp_filetime, FILETIME, dwLowDateTime);
SAME_FIELD(wfp_filetime, FILETIME, dwHighDateTime);

SAME_SIZE(wfp_sid_identifier_authority, SID_IDENTIFIER_AUTHORITY);
SAME_FIELD(wfp_sid_identifier_authority, SID_IDENTIFIER_AUTHORITY, Value);

SAME_SIZE(wfp_sid, SID);
SAME_FIELD(wfp_sid, SID, Revision);
SAME_FIELD(wfp_sid, SID, SubAuthorityCount);
SAME_FIELD(wfp_sid, SID, IdentifierAuthority);
SAME_FIELD(wfp_sid, SID, SubAuthority);

SAME_SIZE(wfp_sid_and_attributes, SID_AND_ATTRIBUTES);
SAME_FIELD(wfp_sid_and_attributes, SID_AND_ATTRIBUTES, Sid);
SAME_FIELD(wfp_sid_and_attributes, SID_AND_ATTRIBUTES, Attributes);

SAME_SIZE(wfp_byte_blob, FWP_BYTE_BLOB);
SAME_FIELD(wfp_byte_blob, FWP_BYTE_BLOB, size);
SAME_FIELD(wfp_byte_blob, FWP_BYTE_BLOB, data);

SAME_SIZE(wfp_byte_array16, FWP_BYTE_ARRAY16);
SAME_FIELD(wfp_byte_array16, FWP_BYTE_ARRAY16, byteArray16);
SAME_SIZE(wfp_byte_array6, FWP_BYTE_ARRAY6);
SAME_FIELD(wfp_byte_array6, FWP_BYTE_ARRAY6, byteArray6);

SAME_SIZE(wfp_token_information, FWP_TOKEN_INFORMATION);
SAME_FIELD(wfp_token_information, FWP_TOKEN_INFORMATION, sidCount);
SAME_FIELD(wfp_token_information, FWP_TOKEN_INFORMATION, sids);
SAME_FIELD(wfp_token_information, FWP_TOKEN_INFORMATION, restrictedSidCount);
SAME_FIELD(wfp_token_information, FWP_TOKEN_INFORMATION, restrictedSids);

SAME_SIZE(wfp_v4_addr_and_mask, FWP_V4_ADDR_AND_MASK);
SAME_FIELD(wfp_v4_addr_and_mask, FWP_V4_ADDR_AND_MASK, addr);
SAME_FIELD(wfp_v4_addr_and_mask, FWP_V4_ADDR_AND_MASK, mask);

SAME_SIZE(wfp_v6_addr_and_mask, FWP_V6_ADDR_AND_MASK);
SAME_FIELD(wfp_v6_addr_and_mask, FWP_V6_ADDR_AND_MASK, addr);
SAME_FIELD(wfp_v6_addr_and_mask, FWP_V6_ADDR_AND_MASK, prefixLength);

#define VALUE_MEMBERS(M, W)                       \
    SAME_FIELD(M, W, type);                       \
    SAME_FIELD(M, W, uint8);                      \
    SAME_FIELD(M, W, uint16);                     \
    SAME_FIELD(M, W, uint32);                     \
    SAME_FIELD(M, W, uint64);                     \
    SAME_FIELD(M, W, int8);                       \
    SAME_FIELD(M, W, int16);                      \
    SAME_FIELD(M, W, int32);                      \
    SAME_FIELD(M, W, int64);                      \
    SAME_FIELD(M, W, float32);                    \
    SAME_FIELD(M, W, double64);                   \
    SAME_FIELD(M, W, byteArray16);                \
    SAME_FIELD(M, W, byteBlob);                   \
    SAME_FIELD(M, W, sid);                        \
    SAME_FIELD(M, W, sd);                         \
    SAME_FIELD(M, W, tokenInformation);           \
    SAME_FIELD(M, W, tokenAccessInformation);     \
    SAME_FIELD(M, W, unicodeString);              \
    SAME_FIELD(M, W, byteArray6)

SAME_SIZE(wfp_value0, FWP_VALUE0);
VALUE_MEMBERS(wfp_value0, FWP_VALUE0);

SAME_SIZE(wfp_range0, FWP_RANGE0);
SAME_FIELD(wfp_range0, FWP_RANGE0, valueLow);
SAME_FIELD(wfp_range0, FWP_RANGE0, valueHigh);

SAME_SIZE(wfp_condition_value0, FWP_CONDITION_VALUE0);
VALUE_MEMBERS(wfp_condition_value0, FWP_CONDITION_VALUE0);
SAME_FIELD(wfp_condition_value0, FWP_CONDITION_VALUE0, v4AddrMask);
SAME_FIELD(wfp_condition_value0, FWP_CONDITION_VALUE0, v6AddrMask);
SAME_FIELD(wfp_condition_value0, FWP_CONDITION_VALUE0, rangeValue);

SAME_SIZE(wfp_display_data0, FWPM_DISPLAY_DATA0);
SAME_FIELD(wfp_display_data0, FWPM_DISPLAY_DATA0, name);
SAME_FIELD(wfp_display_data0, FWPM_DISPLAY_DATA0, description);

SAME_SIZE(wfp_action0, FWPM_ACTION0);
SAME_FIELD(wfp_action0, FWPM_ACTION0, type);
SAME_FIELD(wfp_action0, FWPM_ACTION0, filterType);
SAME_FIELD(wfp_action0, FWPM_ACTION0, calloutKey);

SAME_SIZE(wfp_filter_condition0, FWPM_FILTER_CONDITION0);
SAME_FIELD(wfp_filter_condition0, FWPM_FILTER_CONDITION0, fieldKey);
SAME_FIELD(wfp_filter_condition0, FWPM_FILTER_CONDITION0, matchType);
SAME_FIELD(wfp_filter_condition0, FWPM_FILTER_CONDITION0, conditionValue);

SAME_SIZE(wfp_filter0, FWPM_FILTER0);
SAME_FIELD(wfp_filter0, FWPM_FILTER0, filterKey);
SAME_FIELD(wfp_filter0, FWPM_FILTER0, displayData);
SAME_FIELD(wfp_filter0, FWPM_FILTER0, flags);
SAME_FIELD(wfp_filter0, FWPM_FILTER0, providerKey);
SAME_FIELD(wfp_filter0, FWPM_FILTER0, providerData);
SAME_FIELD(wfp_filter0, FWPM_FILTER0, layerKey);
SAME_FIELD(wfp_filter0, FWPM_FILTER0, subLayerKey);
SAME_FIELD(wfp_filter0, FWPM_FILTER0, weight);
SAME_FIELD(wfp_filter0, FWPM_FILTER0, numFilterConditions);
SAME_FIELD(wfp_filter0, FWPM_FILTER0, filterCondition);
SAME_FIELD(wfp_filter0, FWPM_FILTER0, action);
SAME_FIELD(wfp_filter0, FWPM_FILTER0, rawContext);
SAME_FIELD(wfp_filter0, FWPM_FILTER0, providerContextKey);
SAME_FIELD(wfp_filter0, FWPM_FILTER0, reserved);
SAME_FIELD(wfp_filter0, FWPM_FILTER0, filterId);
SAME_FIELD(wfp_filter0, FWPM_FILTER0, effectiveWeight);

SAME_SIZE(wfp_sublayer0, FWPM_SUBLAYER0);
SAME_FIELD(wfp_sublayer0, FWPM_SUBLAYER0, subLayerKey);
SAME_FIELD(wfp_sublayer0, FWPM_SUBLAYER0, displayData);
/* mingw-w64 declares FWPM_SUBLAYER0.flags UINT16 where the SDK and fwpuclnt use UINT32.  The
   padding before providerKey makes the layouts identical as long as those 4 bytes are free. */
SAME_OFFSET(wfp_sublayer0, FWPM_SUBLAYER0, flags);
SAME_KIND(wfp_sublayer0, FWPM_SUBLAYER0, flags);
FIXED_WIDTH(wfp_sublayer0, flags);
_Static_assert(sizeof(FIELD_OF(wfp_sublayer0, flags)) == 4, "wfp_sublayer0.flags must be UINT32");
_Static_assert(sizeof(FIELD_OF(FWPM_SUBLAYER0, flags)) == 4 ||
                   offsetof(FWPM_SUBLAYER0, providerKey) >= offsetof(FWPM_SUBLAYER0, flags) + 4,
               "FWPM_SUBLAYER0.flags: no room for the SDK's UINT32");
SAME_FIELD(wfp_sublayer0, FWPM_SUBLAYER0, providerKey);
SAME_FIELD(wfp_sublayer0, FWPM_SUBLAYER0, providerData);
SAME_FIELD(wfp_sublayer0, FWPM_SUBLAYER0, weight);

SAME_SIZE(wfp_provider0, FWPM_PROVIDER0);
SAME_FIELD(wfp_provider0, FWPM_PROVIDER0, providerKey);
SAME_FIELD(wfp_provider0, FWPM_PROVIDER0, displayData);
SAME_FIELD(wfp_provider0, FWPM_PROVIDER0, flags);
SAME_FIELD(wfp_provider0, FWPM_PROVIDER0, providerData);
SAME_FIELD(wfp_provider0, FWPM_PROVIDER0, serviceName);

SAME_SIZE(wfp_session0, FWPM_SESSION0);
SAME_FIELD(wfp_session0, FWPM_SESSION0, sessionKey);
SAME_FIELD(wfp_session0, FWPM_SESSION0, displayData);
SAME_FIELD(wfp_session0, FWPM_SESSION0, flags);
SAME_FIELD(wfp_session0, FWPM_SESSION0, txnWaitTimeoutInMSec);
SAME_FIELD(wfp_session0, FWPM_SESSION0, processId);
SAME_FIELD(wfp_session0, FWPM_SESSION0, sid);
SAME_FIELD(wfp_session0, FWPM_SESSION0, username);
SAME_FIELD(wfp_session0, FWPM_SESSION0, kernelMode);

SAME_SIZE(wfp_field0, FWPM_FIELD0);
SAME_FIELD(wfp_field0, FWPM_FIELD0, fieldKey);
SAME_FIELD(wfp_field0, FWPM_FIELD0, type);
SAME_FIELD(wfp_field0, FWPM_FIELD0, dataType);

SAME_SIZE(wfp_layer0, FWPM_LAYER0);
SAME_FIELD(wfp_layer0, FWPM_LAYER0, layerKey);
SAME_FIELD(wfp_layer0, FWPM_LAYER0, displayData);
SAME_FIELD(wfp_layer0, FWPM_LAYER0, flags);
SAME_FIELD(wfp_layer0, FWPM_LAYER0, numFields);
SAME_FIELD(wfp_layer0, FWPM_LAYER0, field);
SAME_FIELD(wfp_layer0, FWPM_LAYER0, defaultSubLayerKey);
SAME_FIELD(wfp_layer0, FWPM_LAYER0, layerId);

SAME_SIZE(wfp_callout0, FWPM_CALLOUT0);
SAME_FIELD(wfp_callout0, FWPM_CALLOUT0, calloutKey);
SAME_FIELD(wfp_callout0, FWPM_CALLOUT0, displayData);
SAME_FIELD(wfp_callout0, FWPM_CALLOUT0, flags);
SAME_FIELD(wfp_callout0, FWPM_CALLOUT0, providerKey);
SAME_FIELD(wfp_callout0, FWPM_CALLOUT0, providerData);
SAME_FIELD(wfp_callout0, FWPM_CALLOUT0, applicableLayer);
SAME_FIELD(wfp_callout0, FWPM_CALLOUT0, calloutId);

SAME_SIZE(wfp_provider_context_enum_template0, FWPM_PROVIDER_CONTEXT_ENUM_TEMPLATE0);
SAME_FIELD(wfp_provider_context_enum_template0, FWPM_PROVIDER_CONTEXT_ENUM_TEMPLATE0, providerKey);
SAME_FIELD(wfp_provider_context_enum_template0, FWPM_PROVIDER_CONTEXT_ENUM_TEMPLATE0,
           providerContextType);

SAME_SIZE(wfp_filter_enum_template0, FWPM_FILTER_ENUM_TEMPLATE0);
SAME_FIELD(wfp_filter_enum_template0, FWPM_FILTER_ENUM_TEMPLATE0, providerKey);
SAME_FIELD(wfp_filter_enum_template0, FWPM_FILTER_ENUM_TEMPLATE0, layerKey);
SAME_FIELD(wfp_filter_enum_template0, FWPM_FILTER_ENUM_TEMPLATE0, enumType);
SAME_FIELD(wfp_filter_enum_template0, FWPM_FILTER_ENUM_TEMPLATE0, flags);
SAME_FIELD(wfp_filter_enum_template0, FWPM_FILTER_ENUM_TEMPLATE0, providerContextTemplate);
SAME_FIELD(wfp_filter_enum_template0, FWPM_FILTER_ENUM_TEMPLATE0, numFilterConditions);
SAME_FIELD(wfp_filter_enum_template0, FWPM_FILTER_ENUM_TEMPLATE0, filterCondition);
SAME_FIELD(wfp_filter_enum_template0, FWPM_FILTER_ENUM_TEMPLATE0, actionMask);
SAME_FIELD(wfp_filter_enum_template0, FWPM_FILTER_ENUM_TEMPLATE0, calloutKey);

SAME_SIZE(wfp_sublayer_enum_template0, FWPM_SUBLAYER_ENUM_TEMPLATE0);
SAME_FIELD(wfp_sublayer_enum_template0, FWPM_SUBLAYER_ENUM_TEMPLATE0, providerKey);
SAME_SIZE(wfp_provider_enum_template0, FWPM_PROVIDER_ENUM_TEMPLATE0);
SAME_FIELD(wfp_provider_enum_template0, FWPM_PROVIDER_ENUM_TEMPLATE0, reserved);
SAME_SIZE(wfp_layer_enum_template0, FWPM_LAYER_ENUM_TEMPLATE0);
SAME_FIELD(wfp_layer_enum_template0, FWPM_LAYER_ENUM_TEMPLATE0, reserved);
SAME_SIZE(wfp_callout_enum_template0, FWPM_CALLOUT_ENUM_TEMPLATE0);
SAME_FIELD(wfp_callout_enum_template0, FWPM_CALLOUT_ENUM_TEMPLATE0, providerKey);
SAME_FIELD(wfp_callout_enum_template0, FWPM_CALLOUT_ENUM_TEMPLATE0, layerKey);

SAME_SIZE(wfp_net_event_header0, FWPM_NET_EVENT_HEADER0);
SAME_FIELD(wfp_net_event_header0, FWPM_NET_EVENT_HEADER0, timeStamp);
SAME_FIELD(wfp_net_event_header0, FWPM_NET_EVENT_HEADER0, flags);
SAME_FIELD(wfp_net_event_header0, FWPM_NET_EVENT_HEADER0, ipVersion);
SAME_FIELD(wfp_net_event_header0, FWPM_NET_EVENT_HEADER0, ipProtocol);
SAME_FIELD(wfp_net_event_header0, FWPM_NET_EVENT_HEADER0, localAddrV4);
SAME_FIELD(wfp_net_event_header0, FWPM_NET_EVENT_HEADER0, localAddrV6);
SAME_FIELD(wfp_net_event_header0, FWPM_NET_EVENT_HEADER0, remoteAddrV4);
SAME_FIELD(wfp_net_event_header0, FWPM_NET_EVENT_HEADER0, remoteAddrV6);
SAME_FIELD(wfp_net_event_header0, FWPM_NET_EVENT_HEADER0, localPort);
SAME_FIELD(wfp_net_event_header0, FWPM_NET_EVENT_HEADER0, remotePort);
SAME_FIELD(wfp_net_event_header0, FWPM_NET_EVENT_HEADER0, scopeId);
SAME_FIELD(wfp_net_event_header0, FWPM_NET_EVENT_HEADER0, appId);
SAME_FIELD(wfp_net_event_header0, FWPM_NET_EVENT_HEADER0, userId);

SAME_SIZE(wfp_net_event_classify_drop0, FWPM_NET_EVENT_CLASSIFY_DROP0);
SAME_FIELD(wfp_net_event_classify_drop0, FWPM_NET_EVENT_CLASSIFY_DROP0, filterId);
SAME_FIELD(wfp_net_event_classify_drop0, FWPM_NET_EVENT_CLASSIFY_DROP0, layerId);

SAME_SIZE(wfp_net_event0, FWPM_NET_EVENT0);
SAME_FIELD(wfp_net_event0, FWPM_NET_EVENT0, header);
SAME_FIELD(wfp_net_event0, FWPM_NET_EVENT0, type);
SAME_FIELD(wfp_net_event0, FWPM_NET_EVENT0, ikeMmFailure);
SAME_FIELD(wfp_net_event0, FWPM_NET_EVENT0, ikeQmFailure);
SAME_FIELD(wfp_net_event0, FWPM_NET_EVENT0, ikeEmFailure);
SAME_FIELD(wfp_net_event0, FWPM_NET_EVENT0, classifyDrop);
SAME_FIELD(wfp_net_event0, FWPM_NET_EVENT0, ipsecDrop);
SAME_FIELD(wfp_net_event0, FWPM_NET_EVENT0, idpDrop);

SAME_SIZE(wfp_net_event_enum_template0, FWPM_NET_EVENT_ENUM_TEMPLATE0);
SAME_FIELD(wfp_net_event_enum_template0, FWPM_NET_EVENT_ENUM_TEMPLATE0, startTime);
SAME_FIELD(wfp_net_event_enum_template0, FWPM_NET_EVENT_ENUM_TEMPLATE0, endTime);
SAME_FIELD(wfp_net_event_enum_template0, FWPM_NET_EVENT_ENUM_TEMPLATE0, numFilterConditions);
SAME_FIELD(wfp_net_event_enum_template0, FWPM_NET_EVENT_ENUM_TEMPLATE0, filterCondition);

_Static_assert(sizeof(FWP_DATA_TYPE) == 4 && sizeof(FWP_MATCH_TYPE) == 4 &&
                   sizeof(FWP_FILTER_ENUM_TYPE) == 4 && sizeof(FWPM_FIELD_TYPE) == 4,
               "SDK enums are 4 bytes, as the mirror's uint32_t");
_Static_assert(sizeof(WCHAR) == sizeof(wfp_wchar), "WCHAR is 2 bytes");
_Static_assert(sizeof(HANDLE) == sizeof(wfp_handle), "HANDLE is a pointer");

/* ------------------------------ constants: ours == the SDK's ------------------------------ */
#define SAME_CONSTANT(ours, sdk) \
    _Static_assert((uint64_t)(ours) == (uint64_t)(sdk), #ours " != " #sdk)

SAME_CONSTANT(WFP_EMPTY, FWP_EMPTY);
SAME_CONSTANT(WFP_UINT8, FWP_UINT8);
SAME_CONSTANT(WFP_UINT16, FWP_UINT16);
SAME_CONSTANT(WFP_UINT32, FWP_UINT32);
SAME_CONSTANT(WFP_UINT64, FWP_UINT64);
SAME_CONSTANT(WFP_INT8, FWP_INT8);
SAME_CONSTANT(WFP_INT16, FWP_INT16);
SAME_CONSTANT(WFP_INT32, FWP_INT32);
SAME_CONSTANT(WFP_INT64, FWP_INT64);
SAME_CONSTANT(WFP_FLOAT, FWP_FLOAT);
SAME_CONSTANT(WFP_DOUBLE, FWP_DOUBLE);
SAME_CONSTANT(WFP_BYTE_ARRAY16_TYPE, FWP_BYTE_ARRAY16_TYPE);
SAME_CONSTANT(WFP_BYTE_BLOB_TYPE, FWP_BYTE_BLOB_TYPE);
SAME_CONSTANT(WFP_SID, FWP_SID);
SAME_CONSTANT(WFP_SECURITY_DESCRIPTOR_TYPE, FWP_SECURITY_DESCRIPTOR_TYPE);
SAME_CONSTANT(WFP_TOKEN_INFORMATION_TYPE, FWP_TOKEN_INFORMATION_TYPE);
SAME_CONSTANT(WFP_TOKEN_ACCESS_INFORMATION_TYPE, FWP_TOKEN_ACCESS_INFORMATION_TYPE);
SAME_CONSTANT(WFP_UNICODE_STRING_TYPE, FWP_UNICODE_STRING_TYPE);
SAME_CONSTANT(WFP_BYTE_ARRAY6_TYPE, FWP_BYTE_ARRAY6_TYPE);
SAME_CONSTANT(WFP_SINGLE_DATA_TYPE_MAX, FWP_SINGLE_DATA_TYPE_MAX);
SAME_CONSTANT(WFP_V4_ADDR_MASK, FWP_V4_ADDR_MASK);
SAME_CONSTANT(WFP_V6_ADDR_MASK, FWP_V6_ADDR_MASK);
SAME_CONSTANT(WFP_RANGE_TYPE, FWP_RANGE_TYPE);
SAME_CONSTANT(WFP_DATA_TYPE_MAX, FWP_DATA_TYPE_MAX);
/* The bitmap types (Windows 8) and FWP_MATCH_PREFIX/NOT_PREFIX (Windows 10) postdate the
   mingw-w64 headers, so FWP_MATCH_TYPE_MAX is not comparable either. */
SAME_CONSTANT(WFP_MATCH_EQUAL, FWP_MATCH_EQUAL);
SAME_CONSTANT(WFP_MATCH_GREATER, FWP_MATCH_GREATER);
SAME_CONSTANT(WFP_MATCH_LESS, FWP_MATCH_LESS);
SAME_CONSTANT(WFP_MATCH_GREATER_OR_EQUAL, FWP_MATCH_GREATER_OR_EQUAL);
SAME_CONSTANT(WFP_MATCH_LESS_OR_EQUAL, FWP_MATCH_LESS_OR_EQUAL);
SAME_CONSTANT(WFP_MATCH_RANGE, FWP_MATCH_RANGE);
SAME_CONSTANT(WFP_MATCH_FLAGS_ALL_SET, FWP_MATCH_FLAGS_ALL_SET);
SAME_CONSTANT(WFP_MATCH_FLAGS_ANY_SET, FWP_MATCH_FLAGS_ANY_SET);
SAME_CONSTANT(WFP_MATCH_FLAGS_NONE_SET, FWP_MATCH_FLAGS_NONE_SET);
SAME_CONSTANT(WFP_MATCH_EQUAL_CASE_INSENSITIVE, FWP_MATCH_EQUAL_CASE_INSENSITIVE);
SAME_CONSTANT(WFP_MATCH_NOT_EQUAL, FWP_MATCH_NOT_EQUAL);

SAME_CONSTANT(WFP_ACTION_FLAG_TERMINATING, FWP_ACTION_FLAG_TERMINATING);
SAME_CONSTANT(WFP_ACTION_FLAG_NON_TERMINATING, FWP_ACTION_FLAG_NON_TERMINATING);
SAME_CONSTANT(WFP_ACTION_FLAG_CALLOUT, FWP_ACTION_FLAG_CALLOUT);
SAME_CONSTANT(WFP_ACTION_BLOCK, FWP_ACTION_BLOCK);
SAME_CONSTANT(WFP_ACTION_PERMIT, FWP_ACTION_PERMIT);
SAME_CONSTANT(WFP_ACTION_CALLOUT_TERMINATING, FWP_ACTION_CALLOUT_TERMINATING);
SAME_CONSTANT(WFP_ACTION_CALLOUT_INSPECTION, FWP_ACTION_CALLOUT_INSPECTION);
SAME_CONSTANT(WFP_ACTION_CALLOUT_UNKNOWN, FWP_ACTION_CALLOUT_UNKNOWN);
SAME_CONSTANT(WFP_ACTION_CONTINUE, FWP_ACTION_CONTINUE);
SAME_CONSTANT(WFP_ACTION_NONE, FWP_ACTION_NONE);
SAME_CONSTANT(WFP_ACTION_NONE_NO_MATCH, FWP_ACTION_NONE_NO_MATCH);

SAME_CONSTANT(WFP_FIELD_RAW_DATA, FWPM_FIELD_RAW_DATA);
SAME_CONSTANT(WFP_FIELD_IP_ADDRESS, FWPM_FIELD_IP_ADDRESS);
SAME_CONSTANT(WFP_FIELD_FLAGS, FWPM_FIELD_FLAGS);

SAME_CONSTANT(WFP_FILTER_ENUM_FULLY_CONTAINED, FWP_FILTER_ENUM_FULLY_CONTAINED);
SAME_CONSTANT(WFP_FILTER_ENUM_OVERLAPPING, FWP_FILTER_ENUM_OVERLAPPING);
SAME_CONSTANT(WFP_FILTER_ENUM_FLAG_BEST_TERMINATING_MATCH, FWP_FILTER_ENUM_FLAG_BEST_TERMINATING_MATCH);
SAME_CONSTANT(WFP_FILTER_ENUM_FLAG_SORTED, FWP_FILTER_ENUM_FLAG_SORTED);
SAME_CONSTANT(WFP_FILTER_ENUM_FLAG_BOOTTIME_ONLY, FWP_FILTER_ENUM_FLAG_BOOTTIME_ONLY);
SAME_CONSTANT(WFP_FILTER_ENUM_FLAG_INCLUDE_BOOTTIME, FWP_FILTER_ENUM_FLAG_INCLUDE_BOOTTIME);
SAME_CONSTANT(WFP_FILTER_ENUM_FLAG_INCLUDE_DISABLED, FWP_FILTER_ENUM_FLAG_INCLUDE_DISABLED);

SAME_CONSTANT(WFP_IP_VERSION_V4, FWP_IP_VERSION_V4);
SAME_CONSTANT(WFP_IP_VERSION_V6, FWP_IP_VERSION_V6);
SAME_CONSTANT(WFP_IP_VERSION_NONE, FWP_IP_VERSION_NONE);
SAME_CONSTANT(WFP_NET_EVENT_TYPE_CLASSIFY_DROP, FWPM_NET_EVENT_TYPE_CLASSIFY_DROP);
SAME_CONSTANT(WFP_CONDITION_FLAG_IS_LOOPBACK, FWP_CONDITION_FLAG_IS_LOOPBACK);

SAME_CONSTANT(WFP_AUTO_WEIGHT_BITS, FWPM_AUTO_WEIGHT_BITS);
SAME_CONSTANT(WFP_AUTO_WEIGHT_MAX, FWPM_AUTO_WEIGHT_MAX);
SAME_CONSTANT(WFP_WEIGHT_RANGE_MAX, FWPM_WEIGHT_RANGE_MAX);
SAME_CONSTANT(WFP_RPC_C_AUTHN_WINNT, RPC_C_AUTHN_WINNT);
SAME_CONSTANT(WFP_RPC_C_AUTHN_DEFAULT, (DWORD)RPC_C_AUTHN_DEFAULT);
SAME_CONSTANT(WFP_INFINITE, INFINITE);

/* mingw-w64 10 lacks the FWPM_*_FLAG_* macros; check them wherever a header provides them. */
#ifdef FWPM_SESSION_FLAG_DYNAMIC
SAME_CONSTANT(WFP_SESSION_FLAG_DYNAMIC, FWPM_SESSION_FLAG_DYNAMIC);
#endif
#ifdef FWPM_TXN_READ_ONLY
SAME_CONSTANT(WFP_TXN_READ_ONLY, FWPM_TXN_READ_ONLY);
#endif
#ifdef FWPM_FILTER_FLAG_PERSISTENT
SAME_CONSTANT(WFP_FILTER_FLAG_PERSISTENT, FWPM_FILTER_FLAG_PERSISTENT);
SAME_CONSTANT(WFP_FILTER_FLAG_BOOTTIME, FWPM_FILTER_FLAG_BOOTTIME);
SAME_CONSTANT(WFP_FILTER_FLAG_HAS_PROVIDER_CONTEXT, FWPM_FILTER_FLAG_HAS_PROVIDER_CONTEXT);
SAME_CONSTANT(WFP_FILTER_FLAG_CLEAR_ACTION_RIGHT, FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT);
SAME_CONSTANT(WFP_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED,
              FWPM_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED);
SAME_CONSTANT(WFP_FILTER_FLAG_DISABLED, FWPM_FILTER_FLAG_DISABLED);
#endif
#ifdef FWPM_FILTER_FLAG_INDEXED
SAME_CONSTANT(WFP_FILTER_FLAG_INDEXED, FWPM_FILTER_FLAG_INDEXED);
#endif
#ifdef FWPM_PROVIDER_FLAG_PERSISTENT
SAME_CONSTANT(WFP_PROVIDER_FLAG_PERSISTENT, FWPM_PROVIDER_FLAG_PERSISTENT);
#endif
#ifdef FWPM_PROVIDER_FLAG_DISABLED
SAME_CONSTANT(WFP_PROVIDER_FLAG_DISABLED, FWPM_PROVIDER_FLAG_DISABLED);
#endif
#ifdef FWPM_SUBLAYER_FLAG_PERSISTENT
SAME_CONSTANT(WFP_SUBLAYER_FLAG_PERSISTENT, FWPM_SUBLAYER_FLAG_PERSISTENT);
#endif
#ifdef FWPM_LAYER_FLAG_KERNEL
SAME_CONSTANT(WFP_LAYER_FLAG_KERNEL, FWPM_LAYER_FLAG_KERNEL);
SAME_CONSTANT(WFP_LAYER_FLAG_BUILTIN, FWPM_LAYER_FLAG_BUILTIN);
SAME_CONSTANT(WFP_LAYER_FLAG_CLASSIFY_MOSTLY, FWPM_LAYER_FLAG_CLASSIFY_MOSTLY);
SAME_CONSTANT(WFP_LAYER_FLAG_BUFFERED, FWPM_LAYER_FLAG_BUFFERED);
#endif
#ifdef FWPM_NET_EVENT_FLAG_IP_PROTOCOL_SET
SAME_CONSTANT(WFP_NET_EVENT_FLAG_IP_PROTOCOL_SET, FWPM_NET_EVENT_FLAG_IP_PROTOCOL_SET);
SAME_CONSTANT(WFP_NET_EVENT_FLAG_LOCAL_ADDR_SET, FWPM_NET_EVENT_FLAG_LOCAL_ADDR_SET);
SAME_CONSTANT(WFP_NET_EVENT_FLAG_REMOTE_ADDR_SET, FWPM_NET_EVENT_FLAG_REMOTE_ADDR_SET);
SAME_CONSTANT(WFP_NET_EVENT_FLAG_LOCAL_PORT_SET, FWPM_NET_EVENT_FLAG_LOCAL_PORT_SET);
SAME_CONSTANT(WFP_NET_EVENT_FLAG_REMOTE_PORT_SET, FWPM_NET_EVENT_FLAG_REMOTE_PORT_SET);
SAME_CONSTANT(WFP_NET_EVENT_FLAG_APP_ID_SET, FWPM_NET_EVENT_FLAG_APP_ID_SET);
SAME_CONSTANT(WFP_NET_EVENT_FLAG_USER_ID_SET, FWPM_NET_EVENT_FLAG_USER_ID_SET);
SAME_CONSTANT(WFP_NET_EVENT_FLAG_SCOPE_ID_SET, FWPM_NET_EVENT_FLAG_SCOPE_ID_SET);
SAME_CONSTANT(WFP_NET_EVENT_FLAG_IP_VERSION_SET, FWPM_NET_EVENT_FLAG_IP_VERSION_SET);
#endif

/* ---------------- signatures: each slot == its export, argument by argument ---------------- */
#if defined(__GNUC__)
/*
 * Each argument is written once as a (SDK type, mirror type) pair.  The SDK list must be the
 * header's prototype exactly, the mirror list must be core.h's slot type exactly (including the
 * calling convention: WINAPI is __stdcall on 32-bit x86, and GCC treats a mismatch as a different
 * type there), and each pair must have the same size and kind, which fixes the stack layout.
 */
#define SDK_TYPE_OF(pair) SDK_TYPE_ pair
#define MIRROR_TYPE_OF(pair) MIRROR_TYPE_ pair
#define SDK_TYPE_(sdk, mirror) sdk
#define MIRROR_TYPE_(sdk, mirror) mirror
#define PAIR_TEXT(pair) #pair

#define SAME_ARGUMENT(fn, pair)                                                           \
    _Static_assert(sizeof(SDK_TYPE_OF(pair)) == sizeof(MIRROR_TYPE_OF(pair)),             \
                   #fn ": argument size differs: " PAIR_TEXT(pair));                      \
    _Static_assert(__builtin_classify_type((SDK_TYPE_OF(pair))0) ==                       \
                       __builtin_classify_type((MIRROR_TYPE_OF(pair))0),                  \
                   #fn ": pointer-vs-value differs: " PAIR_TEXT(pair))

#define SAME_PROTOTYPE(slot, fn, sdk_ret, mirror_ret, sdk_args, mirror_args)              \
    _Static_assert(__builtin_types_compatible_p(__typeof__(&fn), sdk_ret(WINAPI *) sdk_args), \
                   #fn ": the header's prototype is not " #sdk_args);                     \
    _Static_assert(__builtin_types_compatible_p(__typeof__(FIELD_OF(wfp_backend, slot)),  \
                                                mirror_ret(WFP_CALL *) mirror_args),      \
                   "wfp_backend." #slot " is not " #mirror_ret " (WFP_CALL *)" #mirror_args); \
    _Static_assert(sizeof(FIELD_OF(wfp_backend, slot)) == sizeof(FARPROC),                \
                   "wfp_backend." #slot " is not a plain function pointer")

#define RET (DWORD, uint32_t)
#define SIGNATURE1(slot, fn, a)                                                           \
    SAME_PROTOTYPE(slot, fn, DWORD, uint32_t, (SDK_TYPE_OF(a)), (MIRROR_TYPE_OF(a)));     \
    SAME_ARGUMENT(fn, RET);                                                               \
    SAME_ARGUMENT(fn, a)
#define SIGNATURE2(slot, fn, a, b)                                                        \
    SAME_PROTOTYPE(slot, fn, DWORD, uint32_t, (SDK_TYPE_OF(a), SDK_TYPE_OF(b)),           \
                   (MIRROR_TYPE_OF(a), MIRROR_TYPE_OF(b)));                               \
    SAME_ARGUMENT(fn, RET);                                                               \
    SAME_ARGUMENT(fn, a);                                                                 \
    SAME_ARGUMENT(fn, b)
#define SIGNATURE3(slot, fn, a, b, c)                                                     \
    SAME_PROTOTYPE(slot, fn, DWORD, uint32_t,                                             \
                   (SDK_TYPE_OF(a), SDK_TYPE_OF(b), SDK_TYPE_OF(c)),                      \
                   (MIRROR_TYPE_OF(a), MIRROR_TYPE_OF(b), MIRROR_TYPE_OF(c)));            \
    SAME_ARGUMENT(fn, RET);                                                               \
    SAME_ARGUMENT(fn, a);                                                                 \
    SAME_ARGUMENT(fn, b);                                                                 \
    SAME_ARGUMENT(fn, c)
#define SIGNATURE4(slot, fn, a, b, c, d)                                                  \
    SAME_PROTOTYPE(slot, fn, DWORD, uint32_t,                                             \
                   (SDK_TYPE_OF(a), SDK_TYPE_OF(b), SDK_TYPE_OF(c), SDK_TYPE_OF(d)),      \
                   (MIRROR_TYPE_OF(a), MIRROR_TYPE_OF(b), MIRROR_TYPE_OF(c),              \
                    MIRROR_TYPE_OF(d)));                                                  \
    SAME_ARGUMENT(fn, RET);                                                               \
    SAME_ARGUMENT(fn, a);                                                                 \
    SAME_ARGUMENT(fn, b);                                                                 \
    SAME_ARGUMENT(fn, c);                                                                 \
    SAME_ARGUMENT(fn, d)
#define SIGNATURE5(slot, fn, a, b, c, d, e)                                               \
    SAME_PROTOTYPE(slot, fn, DWORD, uint32_t,                                             \
                   (SDK_TYPE_OF(a), SDK_TYPE_OF(b), SDK_TYPE_OF(c), SDK_TYPE_OF(d),       \
                    SDK_TYPE_OF(e)),                                                      \
                   (MIRROR_TYPE_OF(a), MIRROR_TYPE_OF(b), MIRROR_TYPE_OF(c),              \
                    MIRROR_TYPE_OF(d), MIRROR_TYPE_OF(e)));                               \
    SAME_ARGUMENT(fn, RET);                                                               \
    SAME_ARGUMENT(fn, a);                                                                 \
    SAME_ARGUMENT(fn, b);                                                                 \
    SAME_ARGUMENT(fn, c);                                                                 \
    SAME_ARGUMENT(fn, d);                                                                 \
    SAME_ARGUMENT(fn, e)

#define ENGINE (HANDLE, wfp_handle)
#define ENUM_HANDLE (HANDLE, wfp_handle)
#define ENUM_HANDLE_OUT (HANDLE *, wfp_handle *)
#define KEY (const GUID *, const wfp_guid *)
#define COUNT (UINT32, uint32_t)
#define COUNT_OUT (UINT32 *, uint32_t *)
#define SECURITY (PSECURITY_DESCRIPTOR, void *)

SIGNATURE5(engine_open, FwpmEngineOpen0, (const wchar_t *, const wfp_wchar *), COUNT,
           (SEC_WINNT_AUTH_IDENTITY_W *, void *), (const FWPM_SESSION0 *, const wfp_session0 *),
           (HANDLE *, wfp_handle *));
SIGNATURE1(engine_close, FwpmEngineClose0, ENGINE);
SIGNATURE2(transaction_begin, FwpmTransactionBegin0, ENGINE, COUNT);
SIGNATURE1(transaction_commit, FwpmTransactionCommit0, ENGINE);
SIGNATURE1(transaction_abort, FwpmTransactionAbort0, ENGINE);

SIGNATURE3(provider_add, FwpmProviderAdd0, ENGINE, (const FWPM_PROVIDER0 *, const wfp_provider0 *),
           SECURITY);
SIGNATURE2(provider_delete_by_key, FwpmProviderDeleteByKey0, ENGINE, KEY);
SIGNATURE3(provider_get_by_key, FwpmProviderGetByKey0, ENGINE, KEY,
           (FWPM_PROVIDER0 **, wfp_provider0 **));
SIGNATURE3(provider_create_enum_handle, FwpmProviderCreateEnumHandle0, ENGINE,
           (const FWPM_PROVIDER_ENUM_TEMPLATE0 *, const wfp_provider_enum_template0 *),
           ENUM_HANDLE_OUT);
SIGNATURE5(provider_enum, FwpmProviderEnum0, ENGINE, ENUM_HANDLE, COUNT,
           (FWPM_PROVIDER0 ***, wfp_provider0 ***), COUNT_OUT);
SIGNATURE2(provider_destroy_enum_handle, FwpmProviderDestroyEnumHandle0, ENGINE, ENUM_HANDLE);

SIGNATURE3(sublayer_add, FwpmSubLayerAdd0, ENGINE, (const FWPM_SUBLAYER0 *, const wfp_sublayer0 *),
           SECURITY);
SIGNATURE2(sublayer_delete_by_key, FwpmSubLayerDeleteByKey0, ENGINE, KEY);
SIGNATURE3(sublayer_get_by_key, FwpmSubLayerGetByKey0, ENGINE, KEY,
           (FWPM_SUBLAYER0 **, wfp_sublayer0 **));
SIGNATURE3(sublayer_create_enum_handle, FwpmSubLayerCreateEnumHandle0, ENGINE,
           (const FWPM_SUBLAYER_ENUM_TEMPLATE0 *, const wfp_sublayer_enum_template0 *),
           ENUM_HANDLE_OUT);
SIGNATURE5(sublayer_enum, FwpmSubLayerEnum0, ENGINE, ENUM_HANDLE, COUNT,
           (FWPM_SUBLAYER0 ***, wfp_sublayer0 ***), COUNT_OUT);
SIGNATURE2(sublayer_destroy_enum_handle, FwpmSubLayerDestroyEnumHandle0, ENGINE, ENUM_HANDLE);

SIGNATURE4(filter_add, FwpmFilterAdd0, ENGINE, (const FWPM_FILTER0 *, const wfp_filter0 *),
           SECURITY, (UINT64 *, uint64_t *));
SIGNATURE2(filter_delete_by_id, FwpmFilterDeleteById0, ENGINE, (UINT64, uint64_t));
SIGNATURE2(filter_delete_by_key, FwpmFilterDeleteByKey0, ENGINE, KEY);
SIGNATURE3(filter_get_by_id, FwpmFilterGetById0, ENGINE, (UINT64, uint64_t),
           (FWPM_FILTER0 **, wfp_filter0 **));
SIGNATURE3(filter_get_by_key, FwpmFilterGetByKey0, ENGINE, KEY, (FWPM_FILTER0 **, wfp_filter0 **));
SIGNATURE3(filter_create_enum_handle, FwpmFilterCreateEnumHandle0, ENGINE,
           (const FWPM_FILTER_ENUM_TEMPLATE0 *, const wfp_filter_enum_template0 *),
           ENUM_HANDLE_OUT);
SIGNATURE5(filter_enum, FwpmFilterEnum0, ENGINE, ENUM_HANDLE, COUNT,
           (FWPM_FILTER0 ***, wfp_filter0 ***), COUNT_OUT);
SIGNATURE2(filter_destroy_enum_handle, FwpmFilterDestroyEnumHandle0, ENGINE, ENUM_HANDLE);

SIGNATURE3(layer_get_by_key, FwpmLayerGetByKey0, ENGINE, KEY, (FWPM_LAYER0 **, wfp_layer0 **));
SIGNATURE3(layer_create_enum_handle, FwpmLayerCreateEnumHandle0, ENGINE,
           (const FWPM_LAYER_ENUM_TEMPLATE0 *, const wfp_layer_enum_template0 *),
           ENUM_HANDLE_OUT);
SIGNATURE5(layer_enum, FwpmLayerEnum0, ENGINE, ENUM_HANDLE, COUNT,
           (FWPM_LAYER0 ***, wfp_layer0 ***), COUNT_OUT);
SIGNATURE2(layer_destroy_enum_handle, FwpmLayerDestroyEnumHandle0, ENGINE, ENUM_HANDLE);

SIGNATURE3(net_event_create_enum_handle, FwpmNetEventCreateEnumHandle0, ENGINE,
           (const FWPM_NET_EVENT_ENUM_TEMPLATE0 *, const wfp_net_event_enum_template0 *),
           ENUM_HANDLE_OUT);
SIGNATURE5(net_event_enum, FwpmNetEventEnum0, ENGINE, ENUM_HANDLE, COUNT,
           (FWPM_NET_EVENT0 ***, wfp_net_event0 ***), COUNT_OUT);
SIGNATURE2(net_event_destroy_enum_handle, FwpmNetEventDestroyEnumHandle0, ENGINE, ENUM_HANDLE);

SAME_PROTOTYPE(free_memory, FwpmFreeMemory0, void, void, (void **), (void **));
SIGNATURE2(get_app_id_from_file_name, FwpmGetAppIdFromFileName0,
           (const wchar_t *, const wfp_wchar *), (FWP_BYTE_BLOB **, wfp_byte_blob **));
#endif /* __GNUC__ */
