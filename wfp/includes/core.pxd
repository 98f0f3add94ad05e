# Extern declarations of include/wfp/core.h: backend table, arena, bulk add, enumeration pager.
from libc.stdint cimport uint32_t, uint64_t

from wfp.includes.abi cimport (
    wfp_wchar, wfp_guid, wfp_session0, wfp_provider0, wfp_sublayer0, wfp_filter0, wfp_layer0,
    wfp_net_event0, wfp_byte_blob, wfp_provider_enum_template0, wfp_sublayer_enum_template0,
    wfp_filter_enum_template0, wfp_layer_enum_template0, wfp_net_event_enum_template0,
)

cdef extern from "wfp/core.h" nogil:
    ctypedef void *wfp_handle

    ctypedef struct wfp_backend:
        const char *name
        uint32_t (*engine_open)(const wfp_wchar *server_name, uint32_t authn_service,
                                void *auth_identity, const wfp_session0 *session,
                                wfp_handle *engine) noexcept nogil
        uint32_t (*engine_close)(wfp_handle engine) noexcept nogil
        uint32_t (*transaction_begin)(wfp_handle engine, uint32_t flags) noexcept nogil
        uint32_t (*transaction_commit)(wfp_handle engine) noexcept nogil
        uint32_t (*transaction_abort)(wfp_handle engine) noexcept nogil
        uint32_t (*provider_add)(wfp_handle engine, const wfp_provider0 *provider, void *sd) noexcept nogil
        uint32_t (*provider_delete_by_key)(wfp_handle engine, const wfp_guid *key) noexcept nogil
        uint32_t (*provider_get_by_key)(wfp_handle engine, const wfp_guid *key,
                                        wfp_provider0 **provider) noexcept nogil
        uint32_t (*provider_create_enum_handle)(wfp_handle engine,
                                                const wfp_provider_enum_template0 *tmpl,
                                                wfp_handle *enum_handle) noexcept nogil
        uint32_t (*provider_enum)(wfp_handle engine, wfp_handle enum_handle,
                                  uint32_t num_requested, wfp_provider0 ***entries,
                                  uint32_t *num_returned) noexcept nogil
        uint32_t (*provider_destroy_enum_handle)(wfp_handle engine, wfp_handle enum_handle) noexcept nogil
        uint32_t (*sublayer_add)(wfp_handle engine, const wfp_sublayer0 *sublayer, void *sd) noexcept nogil
        uint32_t (*sublayer_delete_by_key)(wfp_handle engine, const wfp_guid *key) noexcept nogil
        uint32_t (*sublayer_get_by_key)(wfp_handle engine, const wfp_guid *key,
                                        wfp_sublayer0 **sublayer) noexcept nogil
        uint32_t (*sublayer_create_enum_handle)(wfp_handle engine,
                                                const wfp_sublayer_enum_template0 *tmpl,
                                                wfp_handle *enum_handle) noexcept nogil
        uint32_t (*sublayer_enum)(wfp_handle engine, wfp_handle enum_handle,
                                  uint32_t num_requested, wfp_sublayer0 ***entries,
                                  uint32_t *num_returned) noexcept nogil
        uint32_t (*sublayer_destroy_enum_handle)(wfp_handle engine, wfp_handle enum_handle) noexcept nogil
        uint32_t (*filter_add)(wfp_handle engine, const wfp_filter0 *filter, void *sd,
                               uint64_t *id) noexcept nogil
        uint32_t (*filter_delete_by_id)(wfp_handle engine, uint64_t id) noexcept nogil
        uint32_t (*filter_delete_by_key)(wfp_handle engine, const wfp_guid *key) noexcept nogil
        uint32_t (*filter_get_by_id)(wfp_handle engine, uint64_t id, wfp_filter0 **filter) noexcept nogil
        uint32_t (*filter_get_by_key)(wfp_handle engine, const wfp_guid *key,
                                      wfp_filter0 **filter) noexcept nogil
        uint32_t (*filter_create_enum_handle)(wfp_handle engine,
                                              const wfp_filter_enum_template0 *tmpl,
                                              wfp_handle *enum_handle) noexcept nogil
        uint32_t (*filter_enum)(wfp_handle engine, wfp_handle enum_handle,
                                uint32_t num_requested, wfp_filter0 ***entries,
                                uint32_t *num_returned) noexcept nogil
        uint32_t (*filter_destroy_enum_handle)(wfp_handle engine, wfp_handle enum_handle) noexcept nogil
        uint32_t (*layer_get_by_key)(wfp_handle engine, const wfp_guid *key, wfp_layer0 **layer) noexcept nogil
        uint32_t (*layer_create_enum_handle)(wfp_handle engine,
                                             const wfp_layer_enum_template0 *tmpl,
                                             wfp_handle *enum_handle) noexcept nogil
        uint32_t (*layer_enum)(wfp_handle engine, wfp_handle enum_handle,
                               uint32_t num_requested, wfp_layer0 ***entries,
                               uint32_t *num_returned) noexcept nogil
        uint32_t (*layer_destroy_enum_handle)(wfp_handle engine, wfp_handle enum_handle) noexcept nogil
        uint32_t (*net_event_create_enum_handle)(wfp_handle engine,
                                                 const wfp_net_event_enum_template0 *tmpl,
                                                 wfp_handle *enum_handle) noexcept nogil
        uint32_t (*net_event_enum)(wfp_handle engine, wfp_handle enum_handle,
                                   uint32_t num_requested, wfp_net_event0 ***entries,
                                   uint32_t *num_returned) noexcept nogil
        uint32_t (*net_event_destroy_enum_handle)(wfp_handle engine, wfp_handle enum_handle) noexcept nogil
        void (*free_memory)(void **p) noexcept nogil
        uint32_t (*get_app_id_from_file_name)(const wfp_wchar *file_name,
                                              wfp_byte_blob **app_id) noexcept nogil

    const wfp_backend *wfp_sim_backend()
    const wfp_backend *wfp_win_backend(uint32_t *status)

    ctypedef struct wfp_arena_chunk:
        pass
    ctypedef struct wfp_arena:
        wfp_arena_chunk *head
        size_t chunk_size

    void wfp_arena_init(wfp_arena *arena, size_t first_chunk_size)
    void *wfp_arena_alloc(wfp_arena *arena, size_t size)
    void wfp_arena_reset(wfp_arena *arena)
    void wfp_arena_free(wfp_arena *arena)

    ctypedef struct wfp_bulk_result:
        uint32_t status
        size_t failed_index
        size_t added

    wfp_bulk_result wfp_bulk_add_filters(const wfp_backend *backend, wfp_handle engine,
                                         const wfp_filter0 *filters, size_t n, uint64_t *ids,
                                         int own_transaction)
    void wfp_bulk_undo(const wfp_backend *backend, wfp_handle engine, const uint64_t *ids,
                       size_t n)

    ctypedef enum wfp_enum_kind:
        WFP_ENUM_FILTERS
        WFP_ENUM_SUBLAYERS
        WFP_ENUM_PROVIDERS
        WFP_ENUM_LAYERS
        WFP_ENUM_NET_EVENTS

    ctypedef struct wfp_pager:
        const wfp_backend *backend
        wfp_handle engine
        wfp_handle enum_handle
        wfp_enum_kind kind
        uint32_t page_size
        void **page
        uint32_t page_count
        int exhausted

    uint32_t WFP_PAGER_DEFAULT_PAGE

    uint32_t wfp_pager_open(wfp_pager *pager, const wfp_backend *backend, wfp_handle engine,
                            wfp_enum_kind kind, const void *tmpl, uint32_t page_size)
    uint32_t wfp_pager_next(wfp_pager *pager)
    void wfp_pager_close(wfp_pager *pager)

    size_t wfp_wcslen(const wfp_wchar *s)
    int wfp_guid_equal(const wfp_guid *a, const wfp_guid *b)
    int wfp_guid_is_null(const wfp_guid *g)
    const wfp_guid WFP_GUID_NULL

    const char *wfp_backend_function_name(size_t slot_offset)
