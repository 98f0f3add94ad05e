/*
 * The embedded engine exported under fwpuclnt.dll's names, for the Windows DLL build only.
 *
 * Built with mingw-w64 together with src/sim and src/core as fwpuclnt.dll (see
 * tools/cross/winbuild.py), it stands in for the system DLL under Wine, so the real Windows
 * build of the core and of src/win/backend_win.c runs in Linux CI against an engine that works.
 * The extension itself never contains this file: setup.py leaves it out, and without
 * WFP_SIM_FWPUCLNT_DLL it compiles to nothing but a declaration.
 *
 * Each export has the SDK prototype spelled in mirror types (backend_win.c proves those equal) and
 * forwards to the engine's backend table; on 32-bit x86 WFP_CALL makes them __stdcall like the
 * real DLL, and the link drops the @N decoration so GetProcAddress finds the plain names.
 */
#include "wfp/core.h"
#include "wfp/sim.h"

#ifdef WFP_SIM_FWPUCLNT_DLL

#define FWPUCLNT_EXPORT __declspec(dllexport)

/* A slot the engine leaves empty answers like a function this Windows lacks. */
#define FORWARD(slot, ...)                                                             \
    do {                                                                               \
        const wfp_backend *engine = wfp_sim_backend();                                 \
        return engine->slot != NULL ? engine->slot(__VA_ARGS__) : WFP_ERROR_PROC_NOT_FOUND; \
    } while (0)

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmEngineOpen0(const wfp_wchar *server_name,
                                                  uint32_t authn_service, void *auth_identity,
                                                  const wfp_session0 *session,
                                                  wfp_handle *engine_handle)
{
    FORWARD(engine_open, server_name, authn_service, auth_identity, session, engine_handle);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmEngineClose0(wfp_handle engine_handle)
{
    FORWARD(engine_close, engine_handle);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmTransactionBegin0(wfp_handle engine_handle, uint32_t flags)
{
    FORWARD(transaction_begin, engine_handle, flags);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmTransactionCommit0(wfp_handle engine_handle)
{
    FORWARD(transaction_commit, engine_handle);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmTransactionAbort0(wfp_handle engine_handle)
{
    FORWARD(transaction_abort, engine_handle);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmProviderAdd0(wfp_handle engine_handle,
                                                   const wfp_provider0 *provider, void *sd)
{
    FORWARD(provider_add, engine_handle, provider, sd);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmProviderDeleteByKey0(wfp_handle engine_handle,
                                                           const wfp_guid *key)
{
    FORWARD(provider_delete_by_key, engine_handle, key);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmProviderGetByKey0(wfp_handle engine_handle,
                                                        const wfp_guid *key,
                                                        wfp_provider0 **provider)
{
    FORWARD(provider_get_by_key, engine_handle, key, provider);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmProviderCreateEnumHandle0(
    wfp_handle engine_handle, const wfp_provider_enum_template0 *tmpl, wfp_handle *enum_handle)
{
    FORWARD(provider_create_enum_handle, engine_handle, tmpl, enum_handle);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmProviderEnum0(wfp_handle engine_handle,
                                                    wfp_handle enum_handle,
                                                    uint32_t num_requested,
                                                    wfp_provider0 ***entries,
                                                    uint32_t *num_returned)
{
    FORWARD(provider_enum, engine_handle, enum_handle, num_requested, entries, num_returned);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmProviderDestroyEnumHandle0(wfp_handle engine_handle,
                                                                 wfp_handle enum_handle)
{
    FORWARD(provider_destroy_enum_handle, engine_handle, enum_handle);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmSubLayerAdd0(wfp_handle engine_handle,
                                                   const wfp_sublayer0 *sublayer, void *sd)
{
    FORWARD(sublayer_add, engine_handle, sublayer, sd);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmSubLayerDeleteByKey0(wfp_handle engine_handle,
                                                           const wfp_guid *key)
{
    FORWARD(sublayer_delete_by_key, engine_handle, key);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmSubLayerGetByKey0(wfp_handle engine_handle,
                                                        const wfp_guid *key,
                                                        wfp_sublayer0 **sublayer)
{
    FORWARD(sublayer_get_by_key, engine_handle, key, sublayer);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmSubLayerCreateEnumHandle0(
    wfp_handle engine_handle, const wfp_sublayer_enum_template0 *tmpl, wfp_handle *enum_handle)
{
    FORWARD(sublayer_create_enum_handle, engine_handle, tmpl, enum_handle);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmSubLayerEnum0(wfp_handle engine_handle,
                                                    wfp_handle enum_handle,
                                                    uint32_t num_requested,
                                                    wfp_sublayer0 ***entries,
                                                    uint32_t *num_returned)
{
    FORWARD(sublayer_enum, engine_handle, enum_handle, num_requested, entries, num_returned);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmSubLayerDestroyEnumHandle0(wfp_handle engine_handle,
                                                                 wfp_handle enum_handle)
{
    FORWARD(sublayer_destroy_enum_handle, engine_handle, enum_handle);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmFilterAdd0(wfp_handle engine_handle,
                                                 const wfp_filter0 *filter, void *sd,
                                                 uint64_t *id)
{
    FORWARD(filter_add, engine_handle, filter, sd, id);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmFilterDeleteById0(wfp_handle engine_handle, uint64_t id)
{
    FORWARD(filter_delete_by_id, engine_handle, id);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmFilterDeleteByKey0(wfp_handle engine_handle,
                                                         const wfp_guid *key)
{
    FORWARD(filter_delete_by_key, engine_handle, key);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmFilterGetById0(wfp_handle engine_handle, uint64_t id,
                                                     wfp_filter0 **filter)
{
    FORWARD(filter_get_by_id, engine_handle, id, filter);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmFilterGetByKey0(wfp_handle engine_handle,
                                                      const wfp_guid *key, wfp_filter0 **filter)
{
    FORWARD(filter_get_by_key, engine_handle, key, filter);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmFilterCreateEnumHandle0(
    wfp_handle engine_handle, const wfp_filter_enum_template0 *tmpl, wfp_handle *enum_handle)
{
    FORWARD(filter_create_enum_handle, engine_handle, tmpl, enum_handle);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmFilterEnum0(wfp_handle engine_handle,
                                                  wfp_handle enum_handle, uint32_t num_requested,
                                                  wfp_filter0 ***entries,
                                                  uint32_t *num_returned)
{
    FORWARD(filter_enum, engine_handle, enum_handle, num_requested, entries, num_returned);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmFilterDestroyEnumHandle0(wfp_handle engine_handle,
                                                               wfp_handle enum_handle)
{
    FORWARD(filter_destroy_enum_handle, engine_handle, enum_handle);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmLayerGetByKey0(wfp_handle engine_handle,
                                                     const wfp_guid *key, wfp_layer0 **layer)
{
    FORWARD(layer_get_by_key, engine_handle, key, layer);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmLayerCreateEnumHandle0(
    wfp_handle engine_handle, const wfp_layer_enum_template0 *tmpl, wfp_handle *enum_handle)
{
    FORWARD(layer_create_enum_handle, engine_handle, tmpl, enum_handle);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmLayerEnum0(wfp_handle engine_handle,
                                                 wfp_handle enum_handle, uint32_t num_requested,
                                                 wfp_layer0 ***entries, uint32_t *num_returned)
{
    FORWARD(layer_enum, engine_handle, enum_handle, num_requested, entries, num_returned);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmLayerDestroyEnumHandle0(wfp_handle engine_handle,
                                                              wfp_handle enum_handle)
{
    FORWARD(layer_destroy_enum_handle, engine_handle, enum_handle);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmNetEventCreateEnumHandle0(
    wfp_handle engine_handle, const wfp_net_event_enum_template0 *tmpl, wfp_handle *enum_handle)
{
    FORWARD(net_event_create_enum_handle, engine_handle, tmpl, enum_handle);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmNetEventEnum0(wfp_handle engine_handle,
                                                    wfp_handle enum_handle,
                                                    uint32_t num_requested,
                                                    wfp_net_event0 ***entries,
                                                    uint32_t *num_returned)
{
    FORWARD(net_event_enum, engine_handle, enum_handle, num_requested, entries, num_returned);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmNetEventDestroyEnumHandle0(wfp_handle engine_handle,
                                                                 wfp_handle enum_handle)
{
    FORWARD(net_event_destroy_enum_handle, engine_handle, enum_handle);
}

FWPUCLNT_EXPORT void WFP_CALL FwpmFreeMemory0(void **p)
{
    const wfp_backend *engine = wfp_sim_backend();
    if (engine->free_memory != NULL)
        engine->free_memory(p);
}

FWPUCLNT_EXPORT uint32_t WFP_CALL FwpmGetAppIdFromFileName0(const wfp_wchar *file_name,
                                                            wfp_byte_blob **app_id)
{
    FORWARD(get_app_id_from_file_name, file_name, app_id);
}

/* Not a fwpuclnt export: lets a test program reach the engine's failure injection through
   GetProcAddress, the only way into the DLL it has. */
FWPUCLNT_EXPORT void WFP_CALL WfpSimInjectFailure(uint32_t kind, uint32_t nth, uint32_t code)
{
    wfp_sim_inject_failure(wfp_sim_default_engine(), kind, nth, code);
}

#else
/* Keeps the translation unit non-empty (ISO C) when the extension's build globs src/sim. */
typedef int wfp_fwpuclnt_exports_not_in_this_build;
#endif /* WFP_SIM_FWPUCLNT_DLL */
