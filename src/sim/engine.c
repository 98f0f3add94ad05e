/*
 * Engines, sessions, the transaction lock, transactions and the backend table.
 *
 * Every call takes the engine mutex for its whole duration (the engine is thread-safe; the Python
 * binding releases the GIL).  On top of it sits WFP's transaction lock, modelled as one
 * engine-wide reader/writer lock [I]: a read/write transaction (explicit, or the implicit one
 * around a single add/delete) is exclusive, a read-only transaction (explicit, or the implicit one
 * around a get or an enum-handle creation) is shared.  Waiting for it releases the mutex and
 * gives up after the session's txnWaitTimeoutInMSec with FWP_E_TIMEOUT.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

#define DEFAULT_TXN_WAIT_MS 15000u /* txnWaitTimeoutInMSec = 0 means 15 s [D: OBJ] */

/* ============================================================================================
 * Objects: allocation, references, GUIDs
 * ============================================================================================ */

void *sim_alloc_object(sim_engine *e, size_t size)
{
    if (size > UINT32_MAX)
        return NULL;
    sim_object *o = malloc(size);
    if (o == NULL)
        return NULL;
    memset(o, 0, sizeof *o);
    o->refs = 1; /* handed to the index by sim_link */
    o->size = (uint32_t)size;
    e->object_bytes += size;
    return o;
}

void sim_object_ref(sim_object *o) { o->refs++; }

void sim_object_unref(sim_engine *e, sim_object *o)
{
    if (--o->refs == 0)
        sim_object_free(e, o);
}

/*
 * Unlinks every object drop() selects (all of them when drop is NULL), together with the objects
 * that refer to a dropped one, and releases the index references.  Filters go first, then
 * sublayers, then providers, so nothing is ever left pointing at a vanished object.
 */
static int provider_dropped(const sim_provider *p, int (*drop)(const sim_object *, void *), void *arg)
{
    return p != NULL && (drop == NULL || drop(&p->obj, arg));
}

static int sublayer_dropped(const sim_sublayer *s, int (*drop)(const sim_object *, void *), void *arg)
{
    return drop == NULL || drop(&s->obj, arg) || provider_dropped(s->provider, drop, arg);
}

static size_t collect_map(const sim_map *map, sim_object **out)
{
    size_t n = 0;
    for (size_t i = 0; map->slots != NULL && i <= map->mask; i++)
        if (map->slots[i] != NULL)
            out[n++] = map->slots[i];
    return n;
}

void sim_drop_objects(sim_engine *e, int (*drop)(const sim_object *o, void *arg), void *arg)
{
    sim_filter *f;
    for (uint64_t id = 0; (f = sim_filter_next_by_id(e, &id, -1)) != NULL; id++) {
        if (drop == NULL || drop(&f->obj, arg) || sublayer_dropped(f->sublayer, drop, arg) ||
            provider_dropped(f->provider, drop, arg)) {
            sim_unlink(e, &f->obj);
            sim_object_unref(e, &f->obj);
        }
        if (id == UINT64_MAX)
            break;
    }
    for (int pass = 0; pass < 2; pass++) {
        const sim_map *map = pass == 0 ? &e->sublayers_by_key : &e->providers_by_key;
        sim_object **all = malloc((map->count + 1) * sizeof *all);
        if (all == NULL)
            return; /* out of memory: the objects stay, still consistent */
        size_t n = collect_map(map, all);
        for (size_t i = 0; i < n; i++) {
            int gone = pass == 0 ? sublayer_dropped((sim_sublayer *)all[i], drop, arg)
                                 : provider_dropped((sim_provider *)all[i], drop, arg);
            if (gone) {
                sim_unlink(e, all[i]);
                sim_object_unref(e, all[i]);
            }
        }
        free(all);
    }
}

/* xorshift128+ seeded from OS entropy: GUIDs need uniqueness, not secrecy. */
static uint64_t next_random(sim_engine *e)
{
    uint64_t s1 = e->rng[0];
    const uint64_t s0 = e->rng[1];
    e->rng[0] = s0;
    s1 ^= s1 << 23;
    e->rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
    return e->rng[1] + s0;
}

void sim_generate_guid(sim_engine *e, wfp_guid *out)
{
    uint8_t bytes[16];
    uint64_t a = next_random(e), b = next_random(e);
    memcpy(bytes, &a, 8);
    memcpy(bytes + 8, &b, 8);
    memcpy(out, bytes, 16);
    out->Data3 = (uint16_t)((out->Data3 & 0x0fffu) | 0x4000u); /* version 4 */
    out->Data4[0] = (uint8_t)((out->Data4[0] & 0x3fu) | 0x80u); /* RFC 4122 variant */
}

/* ============================================================================================
 * Undo log
 * ============================================================================================ */

uint32_t sim_undo_push(sim_undo_log *log, sim_object *obj, uint32_t kind)
{
    if (log->count == log->cap) {
        size_t cap = log->cap ? log->cap * 2 : 16;
        sim_undo *entries = realloc(log->entries, cap * sizeof *entries);
        if (entries == NULL)
            return WFP_ERROR_NOT_ENOUGH_MEMORY;
        log->entries = entries;
        log->cap = cap;
    }
    log->entries[log->count].obj = obj;
    log->entries[log->count].kind = kind;
    log->count++;
    sim_object_ref(obj);
    return WFP_OK;
}

static void undo_clear(sim_engine *e, sim_undo_log *log)
{
    for (size_t i = 0; i < log->count; i++)
        sim_object_unref(e, log->entries[i].obj);
    log->count = 0;
    log->durable_change = 0;
    if (log->cap > 1024) {
        free(log->entries);
        log->entries = NULL;
        log->cap = 0;
    }
}

/* Reverses every recorded change, newest first, restoring the exact prior state. */
static void undo_all(sim_engine *e, sim_undo_log *log)
{
    for (size_t i = log->count; i-- > 0;)
        sim_undo_apply(e, &log->entries[i]);
    undo_clear(e, log);
}

/* ============================================================================================
 * Handles and the session registry
 *
 * A session or enumeration handle is a token from one process-wide counter, never an address
 * and never handed out twice, so a handle kept after its close can only fail
 * (ERROR_INVALID_HANDLE): it can never reach a session or enumeration opened later, even one
 * that malloc placed at the freed address.  The registry finds sessions by token without
 * dereferencing anything a stale handle names.
 * ============================================================================================ */

static uint64_t last_handle; /* under sim_global_lock */

/* A fresh token, or 0 once the counter would pass what a pointer-sized handle can hold (after
   2^32 - 1 handles on a 32-bit build, never on a 64-bit one). */
static uintptr_t new_handle(void)
{
    sim_global_lock();
    uintptr_t token = 0;
    if (last_handle < UINTPTR_MAX)
        token = (uintptr_t)++last_handle;
    sim_global_unlock();
    return token;
}

static uint64_t handle_hash(uintptr_t token) { return sim_hash_u64((uint64_t)token); }

static uint64_t session_hash(const void *s) { return handle_hash(((const sim_session *)s)->handle); }

static sim_map registry = {.slots = NULL, .tags = NULL, .mask = 0, .count = 0, .hash_of = session_hash};

static sim_session *registry_find(const void *handle)
{
    size_t cursor = 0;
    sim_session *s;
    uintptr_t token = (uintptr_t)handle;
    while ((s = sim_map_probe(&registry, handle_hash(token), &cursor)) != NULL)
        if (s->handle == token)
            return s;
    return NULL;
}

sim_session *sim_session_by_serial(sim_engine *e, uint32_t serial)
{
    for (sim_session *s = e->sessions; s != NULL; s = s->next_in_engine)
        if (s->serial == serial)
            return s;
    return NULL;
}

/* ============================================================================================
 * Engines
 * ============================================================================================ */

static void engine_destroy(sim_engine *e)
{
    if (e->layers != NULL) {
        sim_drop_objects(e, NULL, NULL);
        for (size_t l = 0; l < wfp_layer_count; l++)
            free(e->layers[l].slots);
    }
    free(e->layers);
    sim_classify_state_free(e);
    sim_events_free(e);
    sim_map_free(&e->providers_by_key);
    sim_map_free(&e->sublayers_by_key);
    sim_filter_indexes_free(e);
    sim_persist_close(e);
    free(e->condition_fields);
    sim_cond_destroy(e->changed);
    sim_mutex_destroy(e->mutex);
    free(e);
}

static uint32_t engine_new(const char *state_path, sim_engine **out)
{
    *out = NULL;
    sim_engine *e = calloc(1, sizeof *e);
    if (e == NULL)
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    e->mutex = sim_mutex_create();
    e->changed = sim_cond_create();
    e->layers = calloc(wfp_layer_count, sizeof *e->layers);
    sim_objects_init_maps(e);
    e->refs = 1;
    e->next_filter_id = 1;
    e->next_seq = 1;
    e->next_session_serial = 1;
    sim_entropy(e->rng, sizeof e->rng);
    if (e->rng[0] == 0 && e->rng[1] == 0)
        e->rng[0] = 0x9e3779b97f4a7c15ull;
    if (e->mutex == NULL || e->changed == NULL || e->layers == NULL) {
        engine_destroy(e);
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    }
    uint32_t status = sim_install_builtins(e);
    if (status == WFP_OK && state_path != NULL)
        status = sim_persist_open(e, state_path);
    if (status != WFP_OK) {
        engine_destroy(e);
        return status;
    }
    *out = e;
    return WFP_OK;
}

uint32_t wfp_sim_engine_create(const char *state_path, wfp_sim_engine **engine)
{
    if (engine == NULL)
        return WFP_E_NULL_POINTER;
    return engine_new(state_path, engine);
}

static void engine_unref(sim_engine *e)
{
    sim_mutex_lock(e->mutex);
    int last = --e->refs == 0;
    sim_mutex_unlock(e->mutex);
    if (last)
        engine_destroy(e);
}

void wfp_sim_engine_release(wfp_sim_engine *engine)
{
    /* The process-wide engine has no creator to release it. */
    if (engine != NULL && !engine->is_default)
        engine_unref(engine);
}

static sim_engine *default_engine;

wfp_sim_engine *wfp_sim_default_engine(void)
{
    sim_global_lock();
    if (default_engine == NULL && engine_new(NULL, &default_engine) == WFP_OK)
        default_engine->is_default = 1; /* lives as long as the process */
    sim_engine *e = default_engine;
    sim_global_unlock();
    return e;
}

/* ============================================================================================
 * Sessions
 * ============================================================================================ */

static wfp_wchar *dup_wstr(const wfp_wchar *s)
{
    if (s == NULL)
        return NULL;
    size_t bytes = (wfp_wcslen(s) + 1) * sizeof(wfp_wchar);
    wfp_wchar *d = malloc(bytes);
    if (d != NULL)
        memcpy(d, s, bytes);
    return d;
}

#define SESSION_FLAGS_ALLOWED (WFP_SESSION_FLAG_DYNAMIC | 0x10000000u /* FWPM_SESSION_FLAG_RESERVED */)

uint32_t wfp_sim_session_open(wfp_sim_engine *e, const wfp_session0 *session, wfp_handle *handle)
{
    if (e == NULL || handle == NULL)
        return WFP_E_NULL_POINTER;
    *handle = NULL;
    wfp_session0 none;
    if (session == NULL) {
        memset(&none, 0, sizeof none);
        session = &none;
    }
    if (session->flags & ~SESSION_FLAGS_ALLOWED)
        return WFP_E_INVALID_FLAGS;
    sim_session *s = calloc(1, sizeof *s);
    if (s == NULL)
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    s->name = dup_wstr(session->displayData.name);
    s->description = dup_wstr(session->displayData.description);
    s->flags = session->flags;
    s->dynamic = (session->flags & WFP_SESSION_FLAG_DYNAMIC) != 0;
    s->timeout_ms = session->txnWaitTimeoutInMSec == 0 ? DEFAULT_TXN_WAIT_MS : session->txnWaitTimeoutInMSec;
    s->engine = e;
    s->handle = new_handle();

    sim_global_lock();
    sim_mutex_lock(e->mutex);
    uint32_t status = s->handle != 0 ? WFP_OK : WFP_ERROR_NOT_ENOUGH_MEMORY;
    s->key = session->sessionKey;
    if (status != WFP_OK) {
        /* out of handle tokens */
    } else if (wfp_guid_is_null(&s->key)) {
        sim_generate_guid(e, &s->key);
    } else {
        for (sim_session *o = e->sessions; o != NULL; o = o->next_in_engine)
            if (!o->closing && wfp_guid_equal(&o->key, &s->key))
                status = WFP_E_ALREADY_EXISTS;
    }
    if (status == WFP_OK && sim_map_insert(&registry, s) != 0)
        status = WFP_ERROR_NOT_ENOUGH_MEMORY;
    if (status == WFP_OK) {
        s->serial = e->next_session_serial++;
        s->next_in_engine = e->sessions;
        e->sessions = s;
        e->refs++;
    }
    sim_mutex_unlock(e->mutex);
    sim_global_unlock();
    if (status != WFP_OK) {
        free(s->name);
        free(s->description);
        free(s);
        return status;
    }
    *handle = (wfp_handle)s->handle;
    return WFP_OK;
}

wfp_sim_engine *wfp_sim_session_engine(wfp_handle handle)
{
    sim_global_lock();
    sim_session *s = registry_find(handle);
    sim_engine *e = s != NULL ? s->engine : NULL;
    sim_global_unlock();
    return e;
}

static void enum_free(sim_engine *e, sim_enum *en)
{
    if (en->items != NULL)
        for (size_t i = 0; i < en->count; i++)
            sim_object_unref(e, en->items[i]);
    free(en->items);
    sim_events_snapshot_free(en);
    free(en);
}

static void release_txn_lock(sim_engine *e, sim_session *s, int save);

/* Deletes every object a closing dynamic session owns: filters, then sublayers, then providers
   (they can refer only to each other). */
static int owned_by(const sim_object *o, void *serial)
{
    return o->lifetime == SIM_LIFETIME_DYNAMIC && o->owner == *(const uint32_t *)serial;
}

static void delete_owned(sim_engine *e, sim_session *s)
{
    uint32_t serial = s->serial;
    if (s->owned > 0)
        sim_drop_objects(e, owned_by, &serial);
}

static void finish_close(sim_engine *e, sim_session *s)
{
    delete_owned(e, s);
    for (sim_session **p = &e->sessions; *p != NULL; p = &(*p)->next_in_engine)
        if (*p == s) {
            *p = s->next_in_engine;
            break;
        }
    s->cleanup_pending = 0;
}

static int session_free_if_idle(sim_session *s);

/* Runs the cleanups deferred while a write transaction was open.  The caller's own session
   still holds a reference to the engine, so dropping theirs cannot destroy it. */
static void run_pending_closes(sim_engine *e)
{
    sim_session *s = e->sessions;
    while (s != NULL) {
        sim_session *next = s->next_in_engine;
        if (s->cleanup_pending) {
            finish_close(e, s);
            if (session_free_if_idle(s))
                e->refs--;
        }
        s = next;
    }
}

static int session_free_if_idle(sim_session *s)
{
    if (!s->closing || s->busy > 0 || s->cleanup_pending)
        return 0;
    free(s->undo.entries);
    free(s->name);
    free(s->description);
    free(s);
    return 1;
}

static uint32_t WFP_CALL sim_engine_close(wfp_handle handle)
{
    sim_global_lock();
    sim_session *s = registry_find(handle);
    if (s == NULL) {
        sim_global_unlock();
        return WFP_ERROR_INVALID_HANDLE;
    }
    sim_map_remove(&registry, s);
    sim_engine *e = s->engine;
    sim_mutex_lock(e->mutex);
    sim_global_unlock();

    /* Closing aborts the open transaction first, then deletes the session's dynamic objects. */
    if (s->txn != SIM_TXN_NONE) {
        undo_all(e, &s->undo);
        release_txn_lock(e, s, 0);
    }
    s->closing = 1;
    while (s->enums != NULL) {
        sim_enum *en = s->enums;
        s->enums = en->next;
        enum_free(e, en);
    }
    /* Another session's open write transaction keeps an undo log that must find the engine as
       it left it, so the objects go when that transaction ends [I]. */
    if (e->writer != NULL && e->writer != s)
        s->cleanup_pending = 1;
    else
        finish_close(e, s);
    sim_cond_broadcast(e->changed);
    int freed = session_free_if_idle(s);
    sim_mutex_unlock(e->mutex);
    if (freed)
        engine_unref(e);
    return WFP_OK;
}

static uint32_t WFP_CALL sim_engine_open(const wfp_wchar *server_name, uint32_t authn_service,
                                         void *auth_identity, const wfp_session0 *session,
                                         wfp_handle *engine)
{
    (void)auth_identity;
    if (engine == NULL)
        return WFP_E_NULL_POINTER;
    *engine = NULL;
    /* Only the local engine exists; RPC authentication choices are WINNT or DEFAULT. */
    if (server_name != NULL)
        return WFP_ERROR_INVALID_PARAMETER;
    if (authn_service != WFP_RPC_C_AUTHN_WINNT && authn_service != WFP_RPC_C_AUTHN_DEFAULT)
        return WFP_ERROR_INVALID_PARAMETER;
    sim_engine *e = wfp_sim_default_engine();
    if (e == NULL)
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    return wfp_sim_session_open(e, session, engine);
}

/* ============================================================================================
 * Calls and the transaction lock
 * ============================================================================================ */

enum { ACCESS_NONE, ACCESS_READ, ACCESS_WRITE };


static uint64_t deadline_for(const sim_session *s)
{
    if (s->timeout_ms == WFP_INFINITE)
        return UINT64_MAX;
    return sim_monotonic_ms() + s->timeout_ms;
}

/* Waits until pred holds; FWP_E_TIMEOUT at the deadline, FWPKIT_E_SESSION_CLOSED if the handle
   is closed meanwhile. */
static uint32_t wait_for(sim_engine *e, sim_session *s, uint64_t deadline,
                         int (*pred)(const sim_engine *e, const sim_session *s))
{
    while (!pred(e, s)) {
        if (s->closing)
            return WFPKIT_E_SESSION_CLOSED;
        if (sim_cond_wait_until(e->changed, e->mutex, deadline) && !pred(e, s))
            return WFP_E_TIMEOUT;
    }
    return s->closing ? WFPKIT_E_SESSION_CLOSED : WFP_OK;
}

static int write_lock_free(const sim_engine *e, const sim_session *s)
{
    (void)s;
    return e->writer == NULL && e->readers == 0;
}

static int no_foreign_writer(const sim_engine *e, const sim_session *s)
{
    return e->writer == NULL || e->writer == s;
}

static uint32_t acquire_write(sim_engine *e, sim_session *s)
{
    uint64_t deadline = deadline_for(s);
    uint32_t status = wait_for(e, s, deadline, write_lock_free);
    if (status != WFP_OK)
        return status;
    e->writer = s;
    if (e->persist.path != NULL) {
        status = sim_persist_begin_write(e, deadline, 1);
        /* The mutex was released while another process held the file: the handle may have been
           closed meanwhile, and a closed session must not add objects. */
        if (status == WFP_OK && s->closing) {
            sim_persist_end_write(e, 0);
            status = WFPKIT_E_SESSION_CLOSED;
        }
        if (status != WFP_OK) {
            e->writer = NULL;
            sim_cond_broadcast(e->changed);
        }
    }
    return status;
}

static uint32_t acquire_read(sim_engine *e, sim_session *s)
{
    uint32_t status = wait_for(e, s, deadline_for(s), no_foreign_writer);
    /* Pick up another process's writes unless a read-only transaction is looking at our copy. */
    if (status == WFP_OK && e->persist.path != NULL && e->readers == 0 && e->writer == NULL)
        status = sim_persist_refresh(e);
    return status;
}

static void release_txn_lock(sim_engine *e, sim_session *s, int save)
{
    if (s->txn == SIM_TXN_WRITE || e->writer == s) {
        if (e->persist.path != NULL)
            sim_persist_end_write(e, save);
        e->writer = NULL;
        run_pending_closes(e);
    } else if (s->txn == SIM_TXN_READ) {
        e->readers--;
    }
    s->txn = SIM_TXN_NONE;
    sim_cond_broadcast(e->changed);
}

/* Saves a write transaction's durable changes; when that fails, the transaction is undone so
   memory and file never disagree. */
static uint32_t commit_changes(sim_engine *e, sim_session *s)
{
    uint32_t status = WFP_OK;
    if (e->persist.path != NULL) {
        status = sim_persist_end_write(e, s->undo.durable_change);
        if (status != WFP_OK)
            undo_all(e, &s->undo);
    }
    undo_clear(e, &s->undo);
    if (e->writer == s) {
        e->writer = NULL;
        run_pending_closes(e);
    }
    s->txn = SIM_TXN_NONE;
    sim_cond_broadcast(e->changed);
    return status;
}

static uint32_t call_begin(wfp_handle handle, sim_call_scope *call, int access)
{
    sim_global_lock();
    sim_session *s = registry_find(handle);
    if (s == NULL) {
        sim_global_unlock();
        return WFP_ERROR_INVALID_HANDLE;
    }
    sim_engine *e = s->engine;
    sim_mutex_lock(e->mutex);
    sim_global_unlock();
    s->busy++;
    call->session = s;
    call->engine = e;
    call->implicit_write = 0;

    uint32_t status = WFP_OK;
    if (access == ACCESS_WRITE) {
        if (s->txn == SIM_TXN_READ) {
            status = WFP_E_INCOMPATIBLE_TXN;
        } else if (s->txn == SIM_TXN_NONE) {
            status = acquire_write(e, s);
            call->implicit_write = status == WFP_OK;
        }
    } else if (access == ACCESS_READ && s->txn == SIM_TXN_NONE) {
        status = acquire_read(e, s);
    }
    if (status != WFP_OK) {
        s->busy--;
        int freed = session_free_if_idle(s);
        sim_mutex_unlock(e->mutex);
        if (freed)
            engine_unref(e);
    }
    return status;
}

static uint32_t call_end(sim_call_scope *call, uint32_t status)
{
    sim_session *s = call->session;
    sim_engine *e = call->engine;
    if (call->implicit_write) {
        if (status == WFP_OK) {
            s->txn = SIM_TXN_WRITE;
            status = commit_changes(e, s);
        } else {
            undo_all(e, &s->undo);
            s->txn = SIM_TXN_WRITE;
            release_txn_lock(e, s, 0);
        }
    }
    s->busy--;
    int freed = session_free_if_idle(s);
    sim_mutex_unlock(e->mutex);
    if (freed)
        engine_unref(e);
    return status;
}

uint32_t sim_scope_begin(wfp_handle handle, int write, sim_call_scope *scope)
{
    return call_begin(handle, scope, write ? ACCESS_WRITE : ACCESS_READ);
}

uint32_t sim_scope_end(sim_call_scope *scope, uint32_t status) { return call_end(scope, status); }

/* ============================================================================================
 * Transactions
 * ============================================================================================ */

static uint32_t WFP_CALL sim_transaction_begin(wfp_handle handle, uint32_t flags)
{
    sim_call_scope call;
    uint32_t status = call_begin(handle, &call, ACCESS_NONE);
    if (status != WFP_OK)
        return status;
    sim_session *s = call.session;
    sim_engine *e = call.engine;
    if (s->txn != SIM_TXN_NONE) {
        status = WFP_E_TXN_IN_PROGRESS; /* no nesting */
    } else if (flags & ~WFP_TXN_READ_ONLY) {
        status = WFP_E_INVALID_FLAGS;
    } else if (flags & WFP_TXN_READ_ONLY) {
        status = acquire_read(e, s);
        if (status == WFP_OK) {
            e->readers++;
            s->txn = SIM_TXN_READ;
        }
    } else {
        status = acquire_write(e, s);
        if (status == WFP_OK)
            s->txn = SIM_TXN_WRITE;
    }
    return call_end(&call, status);
}

static uint32_t WFP_CALL sim_transaction_commit(wfp_handle handle)
{
    sim_call_scope call;
    uint32_t status = call_begin(handle, &call, ACCESS_NONE);
    if (status != WFP_OK)
        return status;
    sim_session *s = call.session;
    if (s->txn == SIM_TXN_NONE)
        status = WFP_E_NO_TXN_IN_PROGRESS;
    else if (s->txn == SIM_TXN_READ)
        release_txn_lock(call.engine, s, 0);
    else
        status = commit_changes(call.engine, s);
    return call_end(&call, status);
}

static uint32_t WFP_CALL sim_transaction_abort(wfp_handle handle)
{
    sim_call_scope call;
    uint32_t status = call_begin(handle, &call, ACCESS_NONE);
    if (status != WFP_OK)
        return status;
    sim_session *s = call.session;
    if (s->txn == SIM_TXN_NONE) {
        status = WFP_E_NO_TXN_IN_PROGRESS;
    } else {
        undo_all(call.engine, &s->undo);
        release_txn_lock(call.engine, s, 0);
    }
    return call_end(&call, status);
}

/* ============================================================================================
 * Management calls
 * ============================================================================================ */

static uint32_t WFP_CALL sim_provider_add_call(wfp_handle h, const wfp_provider0 *provider, void *sd)
{
    (void)sd; /* security descriptors are accepted and ignored: no ACLs here */
    sim_call_scope call;
    uint32_t status = call_begin(h, &call, ACCESS_WRITE);
    if (status != WFP_OK)
        return status;
    status = provider == NULL ? WFP_E_NULL_POINTER : sim_provider_add(call.session, provider);
    return call_end(&call, status);
}

static uint32_t WFP_CALL sim_provider_delete_call(wfp_handle h, const wfp_guid *key)
{
    sim_call_scope call;
    uint32_t status = call_begin(h, &call, ACCESS_WRITE);
    if (status != WFP_OK)
        return status;
    return call_end(&call, sim_provider_delete(call.session, key));
}

static uint32_t WFP_CALL sim_provider_get_call(wfp_handle h, const wfp_guid *key, wfp_provider0 **out)
{
    if (out == NULL || key == NULL)
        return WFP_E_NULL_POINTER;
    *out = NULL;
    sim_call_scope call;
    uint32_t status = call_begin(h, &call, ACCESS_READ);
    if (status != WFP_OK)
        return status;
    sim_provider *p = sim_provider_find(call.engine, key);
    status = p == NULL ? WFP_E_PROVIDER_NOT_FOUND : sim_out_provider(p, out);
    return call_end(&call, status);
}

static uint32_t WFP_CALL sim_sublayer_add_call(wfp_handle h, const wfp_sublayer0 *sublayer, void *sd)
{
    (void)sd;
    sim_call_scope call;
    uint32_t status = call_begin(h, &call, ACCESS_WRITE);
    if (status != WFP_OK)
        return status;
    status = sublayer == NULL ? WFP_E_NULL_POINTER : sim_sublayer_add(call.session, sublayer);
    return call_end(&call, status);
}

static uint32_t WFP_CALL sim_sublayer_delete_call(wfp_handle h, const wfp_guid *key)
{
    sim_call_scope call;
    uint32_t status = call_begin(h, &call, ACCESS_WRITE);
    if (status != WFP_OK)
        return status;
    return call_end(&call, sim_sublayer_delete(call.session, key));
}

static uint32_t WFP_CALL sim_sublayer_get_call(wfp_handle h, const wfp_guid *key, wfp_sublayer0 **out)
{
    if (out == NULL || key == NULL)
        return WFP_E_NULL_POINTER;
    *out = NULL;
    sim_call_scope call;
    uint32_t status = call_begin(h, &call, ACCESS_READ);
    if (status != WFP_OK)
        return status;
    sim_sublayer *s = sim_sublayer_find(call.engine, key);
    status = s == NULL ? WFP_E_SUBLAYER_NOT_FOUND : sim_out_sublayer(s, out);
    return call_end(&call, status);
}

static uint32_t WFP_CALL sim_filter_add_call(wfp_handle h, const wfp_filter0 *filter, void *sd, uint64_t *id)
{
    (void)sd;
    sim_call_scope call;
    uint32_t status = call_begin(h, &call, ACCESS_WRITE);
    if (status != WFP_OK)
        return status;
    sim_engine *e = call.engine;
    if (e->inject_nth > 0 && --e->inject_nth == 0)
        status = e->inject_code;
    else
        status = filter == NULL ? WFP_E_NULL_POINTER : sim_filter_add(call.session, filter, id);
    return call_end(&call, status);
}

static uint32_t WFP_CALL sim_filter_delete_id_call(wfp_handle h, uint64_t id)
{
    sim_call_scope call;
    uint32_t status = call_begin(h, &call, ACCESS_WRITE);
    if (status != WFP_OK)
        return status;
    return call_end(&call, sim_filter_delete_id(call.session, id));
}

static uint32_t WFP_CALL sim_filter_delete_key_call(wfp_handle h, const wfp_guid *key)
{
    sim_call_scope call;
    uint32_t status = call_begin(h, &call, ACCESS_WRITE);
    if (status != WFP_OK)
        return status;
    return call_end(&call, sim_filter_delete_key(call.session, key));
}

static uint32_t WFP_CALL sim_filter_get_id_call(wfp_handle h, uint64_t id, wfp_filter0 **out)
{
    if (out == NULL)
        return WFP_E_NULL_POINTER;
    *out = NULL;
    sim_call_scope call;
    uint32_t status = call_begin(h, &call, ACCESS_READ);
    if (status != WFP_OK)
        return status;
    sim_filter *f = sim_filter_find_id(call.engine, id);
    status = f == NULL ? WFP_E_FILTER_NOT_FOUND : sim_out_filter(f, out);
    return call_end(&call, status);
}

static uint32_t WFP_CALL sim_filter_get_key_call(wfp_handle h, const wfp_guid *key, wfp_filter0 **out)
{
    if (out == NULL || key == NULL)
        return WFP_E_NULL_POINTER;
    *out = NULL;
    sim_call_scope call;
    uint32_t status = call_begin(h, &call, ACCESS_READ);
    if (status != WFP_OK)
        return status;
    sim_filter *f = sim_filter_find_key(call.engine, key);
    status = f == NULL ? WFP_E_FILTER_NOT_FOUND : sim_out_filter(f, out);
    return call_end(&call, status);
}

static uint32_t WFP_CALL sim_layer_get_call(wfp_handle h, const wfp_guid *key, wfp_layer0 **out)
{
    if (out == NULL || key == NULL)
        return WFP_E_NULL_POINTER;
    *out = NULL;
    sim_call_scope call;
    uint32_t status = call_begin(h, &call, ACCESS_NONE);
    if (status != WFP_OK)
        return status;
    const wfp_layer_info *layer = wfp_layer_find(key);
    status = layer == NULL ? WFP_E_LAYER_NOT_FOUND : sim_out_layer((size_t)(layer - wfp_layer_table), out);
    return call_end(&call, status);
}

/* ============================================================================================
 * Enumeration handles
 * ============================================================================================ */

static uint32_t enum_create(wfp_handle h, int kind, const void *tmpl, wfp_handle *out)
{
    if (out == NULL)
        return WFP_E_NULL_POINTER;
    *out = NULL;
    /* Taken before the call holds the engine's mutex: the token counter is under the global
       lock, which is never taken inside an engine's. */
    uintptr_t token = new_handle();
    if (token == 0)
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    sim_call_scope call;
    uint32_t status = call_begin(h, &call, kind == SIM_ENUM_LAYER || kind == SIM_ENUM_NET_EVENT ? ACCESS_NONE
                                                                                                 : ACCESS_READ);
    if (status != WFP_OK)
        return status;
    sim_enum *en = calloc(1, sizeof *en);
    if (en == NULL)
        return call_end(&call, WFP_ERROR_NOT_ENOUGH_MEMORY);
    en->kind = kind;
    en->session = call.session;
    en->handle = token;
    switch (kind) {
    case SIM_ENUM_FILTER:
        status = sim_filter_snapshot(call.engine, tmpl, en);
        break;
    case SIM_ENUM_PROVIDER:
    case SIM_ENUM_SUBLAYER:
        status = sim_enum_providers(call.engine, tmpl, kind, en);
        break;
    case SIM_ENUM_LAYER:
        en->count = wfp_layer_count; /* layers are static: positions, no references */
        break;
    default:
        status = sim_events_snapshot(call.engine, tmpl, en);
        break;
    }
    if (status != WFP_OK) {
        enum_free(call.engine, en);
        return call_end(&call, status);
    }
    en->next = call.session->enums;
    call.session->enums = en;
    *out = (wfp_handle)en->handle;
    return call_end(&call, WFP_OK);
}

static sim_enum *enum_find(sim_session *s, wfp_handle handle, int kind)
{
    for (sim_enum *en = s->enums; en != NULL; en = en->next)
        if (en->handle == (uintptr_t)handle)
            return en->kind == kind ? en : NULL;
    return NULL;
}

static uint32_t enum_page(wfp_handle h, wfp_handle enum_handle, int kind, uint32_t requested, void ***entries,
                          uint32_t *returned)
{
    if (entries == NULL || returned == NULL)
        return WFP_E_NULL_POINTER;
    *entries = NULL;
    *returned = 0;
    sim_call_scope call;
    uint32_t status = call_begin(h, &call, ACCESS_NONE);
    if (status != WFP_OK)
        return status;
    sim_enum *en = enum_find(call.session, enum_handle, kind);
    if (en == NULL)
        return call_end(&call, WFP_ERROR_INVALID_HANDLE);
    size_t n = en->count - en->pos;
    if (n > requested)
        n = requested;
    if (n > 0) {
        if (kind == SIM_ENUM_LAYER)
            status = sim_out_layer_page(en->pos, n, entries);
        else if (kind == SIM_ENUM_NET_EVENT)
            status = sim_events_page(en, n, entries);
        else
            status = sim_out_page(kind, en->items + en->pos, n, entries);
        if (status == WFP_OK) {
            en->pos += n;
            *returned = (uint32_t)n;
        }
    }
    return call_end(&call, status);
}

static uint32_t enum_destroy(wfp_handle h, wfp_handle enum_handle, int kind)
{
    sim_call_scope call;
    uint32_t status = call_begin(h, &call, ACCESS_NONE);
    if (status != WFP_OK)
        return status;
    for (sim_enum **p = &call.session->enums; *p != NULL; p = &(*p)->next) {
        if ((*p)->handle == (uintptr_t)enum_handle && (*p)->kind == kind) {
            sim_enum *en = *p;
            *p = en->next;
            enum_free(call.engine, en);
            return call_end(&call, WFP_OK);
        }
    }
    return call_end(&call, WFP_ERROR_INVALID_HANDLE);
}

static uint32_t WFP_CALL sim_provider_enum_create(wfp_handle h, const wfp_provider_enum_template0 *t, wfp_handle *out)
{
    (void)t; /* the template is reserved */
    return enum_create(h, SIM_ENUM_PROVIDER, NULL, out);
}
static uint32_t WFP_CALL sim_provider_enum(wfp_handle h, wfp_handle en, uint32_t n, wfp_provider0 ***entries,
                                           uint32_t *returned)
{
    return enum_page(h, en, SIM_ENUM_PROVIDER, n, (void ***)entries, returned);
}
static uint32_t WFP_CALL sim_provider_enum_destroy(wfp_handle h, wfp_handle en)
{
    return enum_destroy(h, en, SIM_ENUM_PROVIDER);
}
static uint32_t WFP_CALL sim_sublayer_enum_create(wfp_handle h, const wfp_sublayer_enum_template0 *t, wfp_handle *out)
{
    return enum_create(h, SIM_ENUM_SUBLAYER, t, out);
}
static uint32_t WFP_CALL sim_sublayer_enum(wfp_handle h, wfp_handle en, uint32_t n, wfp_sublayer0 ***entries,
                                           uint32_t *returned)
{
    return enum_page(h, en, SIM_ENUM_SUBLAYER, n, (void ***)entries, returned);
}
static uint32_t WFP_CALL sim_sublayer_enum_destroy(wfp_handle h, wfp_handle en)
{
    return enum_destroy(h, en, SIM_ENUM_SUBLAYER);
}
static uint32_t WFP_CALL sim_filter_enum_create(wfp_handle h, const wfp_filter_enum_template0 *t, wfp_handle *out)
{
    return enum_create(h, SIM_ENUM_FILTER, t, out);
}
static uint32_t WFP_CALL sim_filter_enum(wfp_handle h, wfp_handle en, uint32_t n, wfp_filter0 ***entries,
                                         uint32_t *returned)
{
    return enum_page(h, en, SIM_ENUM_FILTER, n, (void ***)entries, returned);
}
static uint32_t WFP_CALL sim_filter_enum_destroy(wfp_handle h, wfp_handle en)
{
    return enum_destroy(h, en, SIM_ENUM_FILTER);
}
static uint32_t WFP_CALL sim_layer_enum_create(wfp_handle h, const wfp_layer_enum_template0 *t, wfp_handle *out)
{
    (void)t;
    return enum_create(h, SIM_ENUM_LAYER, NULL, out);
}
static uint32_t WFP_CALL sim_layer_enum(wfp_handle h, wfp_handle en, uint32_t n, wfp_layer0 ***entries,
                                        uint32_t *returned)
{
    return enum_page(h, en, SIM_ENUM_LAYER, n, (void ***)entries, returned);
}
static uint32_t WFP_CALL sim_layer_enum_destroy(wfp_handle h, wfp_handle en)
{
    return enum_destroy(h, en, SIM_ENUM_LAYER);
}
static uint32_t WFP_CALL sim_net_event_enum_create(wfp_handle h, const wfp_net_event_enum_template0 *t,
                                                   wfp_handle *out)
{
    return enum_create(h, SIM_ENUM_NET_EVENT, t, out);
}
static uint32_t WFP_CALL sim_net_event_enum(wfp_handle h, wfp_handle en, uint32_t n, wfp_net_event0 ***entries,
                                            uint32_t *returned)
{
    return enum_page(h, en, SIM_ENUM_NET_EVENT, n, (void ***)entries, returned);
}
static uint32_t WFP_CALL sim_net_event_enum_destroy(wfp_handle h, wfp_handle en)
{
    return enum_destroy(h, en, SIM_ENUM_NET_EVENT);
}

static void WFP_CALL sim_free_memory(void **p)
{
    if (p == NULL)
        return;
    free(*p);
    *p = NULL;
}

static const wfp_backend sim_backend_table = {
    "sim",
    sim_engine_open,
    sim_engine_close,
    sim_transaction_begin,
    sim_transaction_commit,
    sim_transaction_abort,
    sim_provider_add_call,
    sim_provider_delete_call,
    sim_provider_get_call,
    sim_provider_enum_create,
    sim_provider_enum,
    sim_provider_enum_destroy,
    sim_sublayer_add_call,
    sim_sublayer_delete_call,
    sim_sublayer_get_call,
    sim_sublayer_enum_create,
    sim_sublayer_enum,
    sim_sublayer_enum_destroy,
    sim_filter_add_call,
    sim_filter_delete_id_call,
    sim_filter_delete_key_call,
    sim_filter_get_id_call,
    sim_filter_get_key_call,
    sim_filter_enum_create,
    sim_filter_enum,
    sim_filter_enum_destroy,
    sim_layer_get_call,
    sim_layer_enum_create,
    sim_layer_enum,
    sim_layer_enum_destroy,
    sim_net_event_enum_create,
    sim_net_event_enum,
    sim_net_event_enum_destroy,
    sim_free_memory,
    sim_get_app_id_from_file_name,
};

const wfp_backend *wfp_sim_backend(void) { return &sim_backend_table; }

/* ============================================================================================
 * Introspection, failure injection, restart
 * ============================================================================================ */

void wfp_sim_engine_stats(wfp_sim_engine *e, wfp_sim_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    if (e == NULL)
        return;
    sim_mutex_lock(e->mutex);
    stats->providers = e->num_providers;
    stats->sublayers = e->num_sublayers;
    stats->filters = e->num_filters;
    for (sim_session *s = e->sessions; s != NULL; s = s->next_in_engine)
        stats->sessions += !s->closing;
    stats->heap_bytes = e->object_bytes + sim_map_bytes(&e->providers_by_key) + sim_map_bytes(&e->sublayers_by_key) +
                        sim_filter_indexes_bytes(e) +
                        wfp_layer_count * sizeof(sim_layer_state) + sizeof *e + sim_index_bytes(e);
    stats->next_filter_id = e->next_filter_id;
    sim_mutex_unlock(e->mutex);
}

void wfp_sim_inject_failure(wfp_sim_engine *e, uint32_t kind, uint32_t nth, uint32_t code)
{
    if (e == NULL || kind != 0)
        return;
    sim_mutex_lock(e->mutex);
    e->inject_nth = nth;
    e->inject_code = code;
    sim_mutex_unlock(e->mutex);
}

/* BFE restart: static objects and boot-time filters go, persistent ones stay. */
static int dropped_by_restart(const sim_object *o, void *arg)
{
    (void)arg;
    if (o->lifetime == SIM_LIFETIME_STATIC)
        return 1;
    return o->kind == SIM_KIND_FILTER && (((const sim_filter *)o)->flags & WFP_FILTER_FLAG_BOOTTIME);
}

uint32_t wfp_sim_engine_restart(wfp_sim_engine *e)
{
    if (e == NULL)
        return WFP_E_NULL_POINTER;
    sim_mutex_lock(e->mutex);
    uint32_t status = WFP_OK;
    if (e->writer != NULL || e->readers > 0) {
        status = WFP_E_TXN_IN_PROGRESS;
    } else if (e->persist.path != NULL) {
        status = sim_persist_begin_write(e, sim_monotonic_ms() + DEFAULT_TXN_WAIT_MS, 0);
    }
    if (status == WFP_OK) {
        sim_drop_objects(e, dropped_by_restart, NULL);
        if (e->persist.path != NULL)
            status = sim_persist_end_write(e, 1);
    }
    sim_mutex_unlock(e->mutex);
    return status;
}
