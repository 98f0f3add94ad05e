/*
 * The C core: the backend table, the arena, bulk insertion, the enumeration pager and content
 * digests.
 *
 * Everything above this header (the Cython binding) talks only to these functions; everything
 * below it is a backend: the embedded engine (src/sim) or fwpuclnt.dll (src/win).
 */
#ifndef WFP_CORE_H
#define WFP_CORE_H

#include "abi.h"
#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void *wfp_handle;

/*
 * One function pointer per fwpuclnt entry point, with exactly its signature in mirror types.
 * A NULL slot means the running system lacks that function (on Windows, include/wfp/win.h names it);
 * callers check a slot before calling it and report WFPKIT_E_UNSUPPORTED.
 */
typedef struct wfp_backend {
    const char *name; /* "sim" or "fwpuclnt" */

    uint32_t(WFP_CALL *engine_open)(const wfp_wchar *server_name, uint32_t authn_service,
                                    void *auth_identity, const wfp_session0 *session,
                                    wfp_handle *engine);
    uint32_t(WFP_CALL *engine_close)(wfp_handle engine);

    uint32_t(WFP_CALL *transaction_begin)(wfp_handle engine, uint32_t flags);
    uint32_t(WFP_CALL *transaction_commit)(wfp_handle engine);
    uint32_t(WFP_CALL *transaction_abort)(wfp_handle engine);

    uint32_t(WFP_CALL *provider_add)(wfp_handle engine, const wfp_provider0 *provider, void *sd);
    uint32_t(WFP_CALL *provider_delete_by_key)(wfp_handle engine, const wfp_guid *key);
    uint32_t(WFP_CALL *provider_get_by_key)(wfp_handle engine, const wfp_guid *key,
                                            wfp_provider0 **provider);
    uint32_t(WFP_CALL *provider_create_enum_handle)(wfp_handle engine,
                                                    const wfp_provider_enum_template0 *tmpl,
                                                    wfp_handle *enum_handle);
    uint32_t(WFP_CALL *provider_enum)(wfp_handle engine, wfp_handle enum_handle,
                                      uint32_t num_requested, wfp_provider0 ***entries,
                                      uint32_t *num_returned);
    uint32_t(WFP_CALL *provider_destroy_enum_handle)(wfp_handle engine, wfp_handle enum_handle);

    uint32_t(WFP_CALL *sublayer_add)(wfp_handle engine, const wfp_sublayer0 *sublayer, void *sd);
    uint32_t(WFP_CALL *sublayer_delete_by_key)(wfp_handle engine, const wfp_guid *key);
    uint32_t(WFP_CALL *sublayer_get_by_key)(wfp_handle engine, const wfp_guid *key,
                                            wfp_sublayer0 **sublayer);
    uint32_t(WFP_CALL *sublayer_create_enum_handle)(wfp_handle engine,
                                                    const wfp_sublayer_enum_template0 *tmpl,
                                                    wfp_handle *enum_handle);
    uint32_t(WFP_CALL *sublayer_enum)(wfp_handle engine, wfp_handle enum_handle,
                                      uint32_t num_requested, wfp_sublayer0 ***entries,
                                      uint32_t *num_returned);
    uint32_t(WFP_CALL *sublayer_destroy_enum_handle)(wfp_handle engine, wfp_handle enum_handle);

    uint32_t(WFP_CALL *filter_add)(wfp_handle engine, const wfp_filter0 *filter, void *sd,
                                   uint64_t *id);
    uint32_t(WFP_CALL *filter_delete_by_id)(wfp_handle engine, uint64_t id);
    uint32_t(WFP_CALL *filter_delete_by_key)(wfp_handle engine, const wfp_guid *key);
    uint32_t(WFP_CALL *filter_get_by_id)(wfp_handle engine, uint64_t id, wfp_filter0 **filter);
    uint32_t(WFP_CALL *filter_get_by_key)(wfp_handle engine, const wfp_guid *key,
                                          wfp_filter0 **filter);
    uint32_t(WFP_CALL *filter_create_enum_handle)(wfp_handle engine,
                                                  const wfp_filter_enum_template0 *tmpl,
                                                  wfp_handle *enum_handle);
    uint32_t(WFP_CALL *filter_enum)(wfp_handle engine, wfp_handle enum_handle,
                                    uint32_t num_requested, wfp_filter0 ***entries,
                                    uint32_t *num_returned);
    uint32_t(WFP_CALL *filter_destroy_enum_handle)(wfp_handle engine, wfp_handle enum_handle);

    uint32_t(WFP_CALL *layer_get_by_key)(wfp_handle engine, const wfp_guid *key,
                                         wfp_layer0 **layer);
    uint32_t(WFP_CALL *layer_create_enum_handle)(wfp_handle engine,
                                                 const wfp_layer_enum_template0 *tmpl,
                                                 wfp_handle *enum_handle);
    uint32_t(WFP_CALL *layer_enum)(wfp_handle engine, wfp_handle enum_handle,
                                   uint32_t num_requested, wfp_layer0 ***entries,
                                   uint32_t *num_returned);
    uint32_t(WFP_CALL *layer_destroy_enum_handle)(wfp_handle engine, wfp_handle enum_handle);

    uint32_t(WFP_CALL *net_event_create_enum_handle)(wfp_handle engine,
                                                     const wfp_net_event_enum_template0 *tmpl,
                                                     wfp_handle *enum_handle);
    uint32_t(WFP_CALL *net_event_enum)(wfp_handle engine, wfp_handle enum_handle,
                                       uint32_t num_requested, wfp_net_event0 ***entries,
                                       uint32_t *num_returned);
    uint32_t(WFP_CALL *net_event_destroy_enum_handle)(wfp_handle engine, wfp_handle enum_handle);

    void(WFP_CALL *free_memory)(void **p);
    uint32_t(WFP_CALL *get_app_id_from_file_name)(const wfp_wchar *file_name,
                                                  wfp_byte_blob **app_id);
} wfp_backend;

/* The embedded engine's table (always available). */
const wfp_backend *wfp_sim_backend(void);
/* fwpuclnt.dll's table, or NULL with *status set when it cannot be loaded (always NULL off Windows). */
const wfp_backend *wfp_win_backend(uint32_t *status);

/* ---- arena: 16-byte aligned bump allocation, chunks grow without a cap, one free ---- */
typedef struct wfp_arena_chunk wfp_arena_chunk;
typedef struct wfp_arena {
    wfp_arena_chunk *head;
    size_t chunk_size;
} wfp_arena;

void wfp_arena_init(wfp_arena *arena, size_t first_chunk_size);
/* Zeroed memory, or NULL when out of memory (the arena stays usable). */
void *wfp_arena_alloc(wfp_arena *arena, size_t size);
/* Everything allocated so far is released; the largest chunk is kept for what comes next. */
void wfp_arena_reset(wfp_arena *arena);
void wfp_arena_free(wfp_arena *arena);

/* ---- bulk insertion ---- */
typedef struct wfp_bulk_result {
    uint32_t status;     /* WFP_OK or the failing call's code */
    size_t failed_index; /* index of the filter that failed, or SIZE_MAX if a txn call failed */
    size_t added;        /* filters added and kept (n on success, 0 on failure) */
} wfp_bulk_result;

/*
 * Add n filters all-or-nothing.  With own_transaction, wraps them in begin/commit and aborts on
 * the first failure.  Without (the caller already holds an explicit transaction), deletes what it
 * added, newest first, so the caller's transaction is left as it was.  ids may be NULL.
 */
wfp_bulk_result wfp_bulk_add_filters(const wfp_backend *backend, wfp_handle engine,
                                     const wfp_filter0 *filters, size_t n, uint64_t *ids,
                                     int own_transaction);
/* Delete the n filters of ids, newest first: undoes adds made inside the caller's transaction. */
void wfp_bulk_undo(const wfp_backend *backend, wfp_handle engine, const uint64_t *ids, size_t n);

/* ---- enumeration pager: large pages, each freed exactly once ---- */
typedef enum wfp_enum_kind {
    WFP_ENUM_FILTERS,
    WFP_ENUM_SUBLAYERS,
    WFP_ENUM_PROVIDERS,
    WFP_ENUM_LAYERS,
    WFP_ENUM_NET_EVENTS
} wfp_enum_kind;

typedef struct wfp_pager {
    const wfp_backend *backend;
    wfp_handle engine;
    wfp_handle enum_handle;
    wfp_enum_kind kind;
    uint32_t page_size;
    void **page;         /* entries of the current page (array of pointers to structs) */
    uint32_t page_count; /* entries in the current page */
    int exhausted;
} wfp_pager;

#define WFP_PAGER_DEFAULT_PAGE 8192u

/* tmpl is the matching *_enum_template0 for kind, or NULL. */
uint32_t wfp_pager_open(wfp_pager *pager, const wfp_backend *backend, wfp_handle engine,
                        wfp_enum_kind kind, const void *tmpl, uint32_t page_size);
/* Frees the previous page, fetches the next; page_count == 0 means done. */
uint32_t wfp_pager_next(wfp_pager *pager);
/* Frees the last page and destroys the enum handle; safe to call twice. */
void wfp_pager_close(wfp_pager *pager);

/* ---- content digests (change detection, not cryptographic: src/core/digest.c) ---- */
#define WFP_DIGEST_SIZE 16

/* A key (its 16 bytes in text order, as uuid.UUID.bytes) and the digest of its object. */
typedef struct wfp_digest_record {
    uint8_t key[16];
    uint8_t digest[WFP_DIGEST_SIZE];
} wfp_digest_record;

/* The digests of a provider's objects as an engine holds them. */
typedef struct wfp_digest_set {
    wfp_digest_record *filters; /* in the engine's order (wfp_digest_sort_records sorts) */
    size_t filter_count;
    wfp_digest_record *sublayers; /* likewise */
    size_t sublayer_count;
    int has_provider; /* 0: the engine has no provider with the key */
    uint8_t provider[WFP_DIGEST_SIZE];
    uint8_t aggregate[WFP_DIGEST_SIZE]; /* of all of the above, whatever their order */
} wfp_digest_set;

/* The 128-bit hash every digest is made with. */
void wfp_digest_bytes(const void *data, size_t size, uint8_t out[WFP_DIGEST_SIZE]);
void wfp_guid_to_bytes(const wfp_guid *guid, uint8_t out[16]);
/*
 * Digests of one object's canonical form: identity and content, not the engine's bookkeeping
 * (ids, effective weight, the DISABLED and INDEXED flags).  A filter's conditions count as an
 * unordered collection.  WFP_OK, or WFP_ERROR_NOT_ENOUGH_MEMORY.
 */
uint32_t wfp_filter_digest(const wfp_filter0 *filter, uint8_t out[WFP_DIGEST_SIZE]);
uint32_t wfp_sublayer_digest(const wfp_sublayer0 *sublayer, uint8_t out[WFP_DIGEST_SIZE]);
uint32_t wfp_provider_digest(const wfp_provider0 *provider, uint8_t out[WFP_DIGEST_SIZE]);
/*
 * Read a provider's filters (boot-time and disabled ones included), its sublayers and the
 * provider itself through the backend and digest them.  provider_key NULL: every filter of the
 * engine, and no sublayers or provider.  On success free the set with wfp_digest_set_free.
 */
uint32_t wfp_digest_provider_objects(const wfp_backend *backend, wfp_handle engine,
                                     const wfp_guid *provider_key, wfp_digest_set *out);
void wfp_digest_set_free(wfp_digest_set *set);
/* Sort records by key. */
void wfp_digest_sort_records(wfp_digest_record *records, size_t count);

/* ---- strings ---- */
/* UTF-16LE helpers used by compose/parse and the backends. */
size_t wfp_wcslen(const wfp_wchar *s);
int wfp_guid_equal(const wfp_guid *a, const wfp_guid *b);
int wfp_guid_is_null(const wfp_guid *g);
extern const wfp_guid WFP_GUID_NULL;

/* ---- naming a backend-table slot ---- */
/*
 * The fwpuclnt export behind a slot, given offsetof(wfp_backend, slot), e.g.
 * offsetof(wfp_backend, filter_add) -> "FwpmFilterAdd0"; NULL for an offset that is not a
 * function slot.  Lets a caller that finds a slot NULL name the missing function on any platform.
 */
const char *wfp_backend_function_name(size_t slot_offset);

#ifdef __cplusplus
}
#endif

#endif /* WFP_CORE_H */
