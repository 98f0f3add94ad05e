/*
 * Internal data model of the embedded engine.
 *
 * Cost model (sized for a million filters; a filter with three scalar conditions costs about
 * 215 bytes of engine heap besides its name):
 *  - every object is one allocation: the struct, then its strings, blobs and (for filters)
 *    the conditions in a compact 16-byte form with variable-size payloads after them.  A
 *    filter's rarely used fields (action key, raw or provider context, description, provider
 *    data) sit in that tail only when present;
 *  - filters are indexed by key in an open-addressing table whose slots keep a 32-bit hash
 *    beside the pointer, so probes and growth read no object, and by id in a radix tree over
 *    the id (ids are issued densely and in order, so its leaves fill up and stay in cache while
 *    a bulk add appends).  The radix tree is also the id order that enumeration walks; its
 *    leaves tag each filter with its layer so walking one layer reads no other layer's filters;
 *  - every layer keeps, per sublayer that has filters there, an AVL tree ordered by
 *    (effective weight desc, filter id asc): the arbitration order of sorted enumeration and
 *    the reference order the classify index is tested against;
 *  - objects are reference counted so that enumeration snapshots and the undo log keep deleted
 *    objects readable without copying them.
 *
 * Locking: one mutex per engine guards all of this; the "transaction lock" of WFP is a logical
 * reader/writer lock on top of it (engine.c).
 */
#ifndef WFP_SIM_INTERNAL_H
#define WFP_SIM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "platform.h"
#include "wfp/core.h"
#include "wfp/ids.h"
#include "wfp/sim.h"

/* ---- generic open-addressing hash map of object pointers ---------------------------------- */

typedef struct sim_map {
    void **slots;
    uint32_t *tags; /* the folded hash of each slot's object */
    size_t mask; /* capacity - 1 (capacity is a power of two) or 0 before the first insert */
    size_t count;
    uint64_t (*hash_of)(const void *obj);
} sim_map;

void sim_map_init(sim_map *map, uint64_t (*hash_of)(const void *obj));
void sim_map_free(sim_map *map);
/* 0 or -1 when out of memory. */
int sim_map_insert(sim_map *map, void *obj);
/* Removes exactly this object pointer (which must be present). */
void sim_map_remove(sim_map *map, const void *obj);
/* The objects whose hash may equal `hash`, one per call: *cursor starts at 0; NULL when done. */
void *sim_map_probe(const sim_map *map, uint64_t hash, size_t *cursor);
size_t sim_map_bytes(const sim_map *map);

uint64_t sim_hash_guid(const wfp_guid *g);
uint64_t sim_hash_u64(uint64_t x);

/* wfp_guid_equal and wfp_guid_is_null, inlined: a filter add compares a dozen keys. */
static inline int sim_guid_equal(const wfp_guid *a, const wfp_guid *b) { return memcmp(a, b, sizeof *a) == 0; }
static inline int sim_guid_is_null(const wfp_guid *g)
{
    uint64_t w[2];
    memcpy(w, g, sizeof w);
    return (w[0] | w[1]) == 0;
}

/* ---- open-addressing table of object pointers with packed 32-bit tags ---------------------- */

/* Each slot is a 32-bit tag (a hash of the object's key) followed by the pointer, packed: 12
   bytes on 64-bit targets.  Probes compare tags and read an object only when a tag matches;
   growing re-places slots by tag alone.  Empty slots hold a NULL pointer. */
typedef struct sim_table {
    unsigned char *slots;
    size_t mask;  /* capacity - 1, or 0 before the first insert */
    size_t count;
} sim_table;

#define SIM_TABLE_SLOT (sizeof(uint32_t) + sizeof(void *))

void sim_table_init(sim_table *t);
void sim_table_free(sim_table *t);
/* 0 or -1 when out of memory. */
int sim_table_insert(sim_table *t, uint32_t tag, void *obj);
/* sim_table_insert, given the empty slot that ended a sim_table_probe for tag that found nothing
   (slot (tag + cursor - 1) & mask), with the table unchanged since: no second walk of the run. */
int sim_table_insert_at(sim_table *t, uint32_t tag, void *obj, size_t empty);
/* Removes exactly this object pointer filed under tag (a no-op when absent). */
void sim_table_remove(sim_table *t, uint32_t tag, const void *obj);
/* Puts obj where old is filed under tag; 0, or -1 when old is absent. */
int sim_table_replace(sim_table *t, uint32_t tag, const void *old, void *obj);
/* The objects filed under tag, one per call: *cursor starts at 0; NULL when done. */
void *sim_table_probe(const sim_table *t, uint32_t tag, size_t *cursor);
/* The object in slot i (i <= mask), NULL when empty; for walking every entry. */
void *sim_table_at(const sim_table *t, size_t i);
size_t sim_table_bytes(const sim_table *t);
static inline uint32_t sim_tag(uint64_t hash) { return (uint32_t)(hash ^ (hash >> 32)); }
/* Starts loading the slots a probe for tag will read, so the miss overlaps other work. */
void sim_table_prefetch(const sim_table *t, uint32_t tag);

/* A hint only: compilers without the builtin read nothing ahead. */
#if defined(__GNUC__) || defined(__clang__)
#define SIM_PREFETCH(p) __builtin_prefetch(p)
#else
#define SIM_PREFETCH(p) ((void)(p))
#endif

/* ---- radix tree of object pointers by 64-bit id ----------------------------------------------- */

/* 64-way nodes; height grows with the largest id.  Leaves keep a 16-bit tag per entry (the
   layer of a filter) so a walk can skip entries without reading their objects.  Dense ids cost
   about 10 bytes each; an id alone in its leaf costs a leaf (648 bytes). */
typedef struct sim_id_index {
    void *root;      /* NULL when empty */
    unsigned height; /* levels below and including root; ids below 2^(6 * height) fit */
    size_t count;
    size_t bytes;
} sim_id_index;

void sim_id_index_init(sim_id_index *x);
void sim_id_index_free(sim_id_index *x);
/* 0; 1 when the id is present already (nothing changes); -1 when out of memory. */
int sim_id_index_insert(sim_id_index *x, uint64_t id, void *obj, uint16_t tag);
void *sim_id_index_find(const sim_id_index *x, uint64_t id);
void sim_id_index_remove(sim_id_index *x, uint64_t id);
/* The entry with the smallest id >= *id (and this tag, unless tag < 0), its id in *id; NULL when
   there is none.  Safe to call between removals: it keeps no position. */
void *sim_id_index_next(const sim_id_index *x, uint64_t *id, int tag);

/* ---- objects ------------------------------------------------------------------------------- */

typedef enum sim_lifetime {
    SIM_LIFETIME_BUILTIN = 0,
    SIM_LIFETIME_PERSISTENT = 1,
    SIM_LIFETIME_STATIC = 2,
    SIM_LIFETIME_DYNAMIC = 3
} sim_lifetime;

typedef struct sim_object {
    uint32_t refs;   /* memory references: indexes, snapshots, undo log, referring objects */
    uint32_t users;  /* live objects that refer to this one (FWP_E_IN_USE) */
    uint32_t owner;  /* session serial of a dynamic object, else 0 */
    uint32_t size;   /* bytes of its allocation */
    uint8_t lifetime;
    uint8_t linked;  /* currently visible in the engine */
    uint8_t kind;    /* SIM_KIND_* */
    uint8_t extras;  /* filters: SIM_EXTRAS_* records that precede the name */
} sim_object;

enum { SIM_KIND_PROVIDER = 1, SIM_KIND_SUBLAYER = 2, SIM_KIND_FILTER = 3 };

typedef struct sim_provider {
    sim_object obj;
    wfp_guid key;
    uint64_t seq; /* insertion order: enumeration order */
    uint32_t flags;
    uint32_t data_size;
    wfp_wchar *name;
    wfp_wchar *description;
    wfp_wchar *service_name;
    uint8_t *data;
} sim_provider;

typedef struct sim_sublayer {
    sim_object obj;
    wfp_guid key;
    uint64_t seq; /* tie-break between equal weights: built-ins first, then insertion order */
    struct sim_provider *provider;
    uint32_t flags;
    uint32_t data_size;
    uint16_t weight;
    wfp_wchar *name;
    wfp_wchar *description;
    uint8_t *data;
} sim_sublayer;

/*
 * A condition value in 16 bytes.  Scalars live in bits (integers zero/sign-extended, FLOAT/DOUBLE
 * as their IEEE bits, V4_ADDR_MASK as addr << 32 | mask).  Everything else lives after the
 * conditions in the filter's own allocation: bits = len << 32 | offset-from-filter-start.
 * A RANGE payload is two sim_values (low, high) followed by their own payloads.
 */
typedef struct sim_value {
    uint32_t type;
    uint32_t reserved;
    uint64_t bits;
} sim_value;

typedef struct sim_cond {
    uint32_t type;        /* condition value type */
    uint16_t field;       /* index into the layer's field table */
    uint8_t match;        /* FWP_MATCH_TYPE */
    uint8_t reserved;
    uint64_t bits;        /* as in sim_value */
} sim_cond;

/* Hot fields first: everything add, classify and enumeration read on every filter. */
typedef struct sim_filter {
    sim_object obj;
    uint32_t flags;
    struct sim_filter *left, *right;          /* AVL tree of its (layer, sublayer) slot */
    sim_sublayer *sublayer;
    sim_provider *provider;                   /* NULL when none */
    uint64_t id;
    uint64_t effective_weight;
    wfp_guid key;
    uint32_t action_type;
    uint32_t num_conditions;
    uint32_t name_off;                        /* offset of the name from the filter's start */
    uint16_t layer;                           /* index into wfp_layer_table */
    uint8_t weight_type;                      /* WFP_EMPTY, WFP_UINT8 or WFP_UINT64 */
    uint8_t height;                           /* AVL height */
    sim_cond conditions[];
} sim_filter;

/*
 * The fields most filters leave empty sit between the conditions and the name, each only when the
 * filter has it (obj.extras says which): first the action's filterType/calloutKey (16 bytes; only
 * callout filters normally have one), then the sim_filter_extras record.
 */
enum { SIM_EXTRAS_RECORD = 0x1, SIM_EXTRAS_ACTION_KEY = 0x2 };

typedef struct sim_filter_extras {
    uint8_t context[16];      /* rawContext (8 bytes) or providerContextKey */
    uint32_t description_off; /* offsets from the filter's start; 0 = none */
    uint32_t data_off;
    uint32_t data_size;
    uint32_t reserved;
} sim_filter_extras;

static inline const uint8_t *sim_filter_bytes(const sim_filter *f) { return (const uint8_t *)f; }

static inline const sim_filter_extras *sim_filter_extras_of(const sim_filter *f)
{
    return (f->obj.extras & SIM_EXTRAS_RECORD)
               ? (const sim_filter_extras *)(const void *)(sim_filter_bytes(f) + f->name_off -
                                                           sizeof(sim_filter_extras))
               : NULL;
}

/* The action's filterType or calloutKey; the null GUID when the filter has none. */
static inline const wfp_guid *sim_filter_action_key(const sim_filter *f)
{
    if (!(f->obj.extras & SIM_EXTRAS_ACTION_KEY))
        return &WFP_GUID_NULL;
    size_t back = sizeof(wfp_guid) + ((f->obj.extras & SIM_EXTRAS_RECORD) ? sizeof(sim_filter_extras) : 0);
    return (const wfp_guid *)(const void *)(sim_filter_bytes(f) + f->name_off - back);
}

static inline const wfp_wchar *sim_filter_name(const sim_filter *f)
{
    return (const wfp_wchar *)(const void *)(sim_filter_bytes(f) + f->name_off);
}

/* NULL when the filter has none. */
static inline const wfp_wchar *sim_filter_description(const sim_filter *f)
{
    const sim_filter_extras *x = sim_filter_extras_of(f);
    return x != NULL && x->description_off != 0
               ? (const wfp_wchar *)(const void *)(sim_filter_bytes(f) + x->description_off)
               : NULL;
}

/* Provider data: NULL and size 0 when the filter has none. */
static inline const uint8_t *sim_filter_data(const sim_filter *f, uint32_t *size)
{
    const sim_filter_extras *x = sim_filter_extras_of(f);
    *size = x != NULL ? x->data_size : 0;
    return *size > 0 ? sim_filter_bytes(f) + x->data_off : NULL;
}

/* The 16 context bytes (rawContext or providerContextKey); zeros when the filter has none. */
void sim_filter_context(const sim_filter *f, uint8_t out[16]);

/* Payload of an out-of-line value or condition. */
static inline const uint8_t *sim_payload(const sim_filter *f, uint64_t bits, uint32_t *len)
{
    *len = (uint32_t)(bits >> 32);
    return sim_filter_bytes(f) + (uint32_t)bits;
}
int sim_type_is_inline(uint32_t type);

/* ---- per-layer arbitration structures -------------------------------------------------------- */

/* AVL height is below 1.45 log2(n + 2): 96 levels cover any addressable tree. */
#define SIM_TREE_MAX_DEPTH 96

/* The right spine of a slot's tree, root first, down to its last filter: what an append needs to
   rebalance, kept from one append to the next (len 0: not known; tree.c).  40 levels hold the
   spine of any AVL tree of up to 2^27 filters; a longer one is simply not kept. */
#define SIM_SPINE_MAX 40
typedef struct sim_spine {
    uint32_t len;
    sim_filter *node[SIM_SPINE_MAX];
} sim_spine;

typedef struct sim_slot {
    sim_sublayer *sublayer;
    sim_filter *root; /* AVL: effective weight desc, id asc */
    sim_filter *last; /* the tree's last filter in that order */
    size_t count;
    sim_spine spine;
} sim_slot;

typedef struct sim_layer_state {
    sim_slot *slots;  /* ordered like arbitration: sublayer weight desc, then sublayer seq */
    size_t num_slots;
    size_t cap_slots;
    size_t count;     /* filters of the layer (they are found in id order through filters_by_id) */
} sim_layer_state;

/* ---- transactions ---------------------------------------------------------------------------- */

typedef enum sim_undo_kind {
    SIM_UNDO_ADDED = 1,   /* undo: unlink */
    SIM_UNDO_DELETED = 2  /* undo: relink */
} sim_undo_kind;

typedef struct sim_undo {
    sim_object *obj;
    uint32_t kind;
} sim_undo;

typedef struct sim_undo_log {
    sim_undo *entries;
    size_t count;
    size_t cap;
    int durable_change; /* a persistent or static object changed: the state file must be saved */
} sim_undo_log;

enum { SIM_TXN_NONE = 0, SIM_TXN_READ = 1, SIM_TXN_WRITE = 2 };

/* ---- sessions and enumeration ---------------------------------------------------------------- */

typedef struct sim_enum sim_enum;
typedef struct sim_session sim_session;

struct sim_session {
    struct wfp_sim_engine *engine;
    sim_session *next_in_engine;
    uintptr_t handle;     /* its engine handle: a token never handed out before (engine.c) */
    wfp_guid key;
    wfp_wchar *name;
    wfp_wchar *description;
    uint32_t serial;
    uint32_t flags;
    uint32_t timeout_ms;  /* UINT32_MAX = infinite */
    int dynamic;
    int txn;              /* SIM_TXN_* of its explicit transaction */
    int closing;
    int cleanup_pending;  /* closed while another session's write transaction was open */
    uint32_t busy;        /* calls in progress on this handle */
    size_t owned;         /* dynamic objects it owns */
    sim_undo_log undo;
    sim_enum *enums;
};

enum { SIM_ENUM_FILTER = 1, SIM_ENUM_PROVIDER, SIM_ENUM_SUBLAYER, SIM_ENUM_LAYER, SIM_ENUM_NET_EVENT };

struct sim_enum {
    sim_enum *next;
    sim_session *session;
    uintptr_t handle;     /* its enum handle, a token like a session's */
    int kind;
    sim_object **items; /* referenced objects (filters, providers, sublayers) */
    size_t count;
    size_t pos;
    struct sim_event_snapshot *events; /* net events (events.c) */
};

/* ---- the engine ------------------------------------------------------------------------------ */

/* Classification state (classify_index.c): the equality index, created by the first filter. */
typedef struct sim_classify_state sim_classify_state;

typedef struct sim_persist_state {
    char *path;
    char *lock_path;
    char *backup_path;
    sim_file_lock *lock;
    int lock_held;
    int loaded;          /* this engine loaded or wrote a file (stamp and generation are set) */
    uint64_t generation; /* of the file content this engine last loaded or wrote */
    uint64_t stamp;      /* its header checksum, which tells another process's save from ours */
} sim_persist_state;

/* A remembered wfp_layer_field_find result: the adds of a bulk load name the same few fields. */
typedef struct sim_field_memo {
    const wfp_layer_info *layer;
    const wfp_field_info *field;
    wfp_guid key;
} sim_field_memo;

#define SIM_FIELD_MEMO_SIZE 16u

struct wfp_sim_engine {
    sim_mutex *mutex;
    sim_cond *changed;         /* transaction lock released, session closed */
    uint32_t refs;             /* creator + open sessions */
    int is_default;

    /* the logical transaction lock */
    sim_session *writer;
    uint32_t readers;

    sim_session *sessions;
    uint32_t next_session_serial;

    sim_map providers_by_key;
    sim_map sublayers_by_key;
    sim_table filters_by_key;  /* tag: sim_tag(sim_hash_guid(key)) */
    sim_id_index filters_by_id; /* leaf tag: the filter's layer */
    sim_layer_state *layers;   /* wfp_layer_count entries */
    size_t num_providers;      /* linked, including built-ins */
    size_t num_sublayers;
    size_t num_filters;
    uint64_t next_filter_id;
    uint64_t next_seq;
    size_t object_bytes;       /* bytes of live object allocations */

    uint64_t rng[2];           /* GUID generator state */

    uint32_t inject_nth;       /* filter adds left before the injected failure; 0 = none */
    uint32_t inject_code;

    sim_field_memo field_memo[SIM_FIELD_MEMO_SIZE];
    uint16_t *condition_fields; /* scratch: a filter add's field indexes (validate.c) */
    uint32_t condition_fields_cap;
    const wfp_layer_info *last_layer; /* the layer the last filter add named */
    /* The last provider and sublayer a lookup found (the adds of a bulk load name the same
       ones); sim_unlink forgets an object it unlinks, so these are always linked or NULL. */
    struct sim_provider *last_provider;
    struct sim_sublayer *last_sublayer;
    /* The filters_by_key tag sim_filter_create worked out for the filter it built last, for
       sim_link to file that filter under without hashing its key again. */
    const struct sim_filter *key_tag_filter;
    uint32_t key_tag;
    size_t key_slot; /* the empty slot its duplicate check ended at, or SIZE_MAX */

    sim_persist_state persist;
    sim_classify_state *classify;
    struct sim_event_log *events; /* net events recorded by classify (events.c) */
};

typedef struct wfp_sim_engine sim_engine;

/* Built-in sublayer weights (no documented values exist). */
uint16_t sim_builtin_sublayer_weight(const wfp_guid *key);
/* Built-in provider contexts a filter may name with FWPM_FILTER_FLAG_HAS_PROVIDER_CONTEXT. */
int sim_is_builtin_provider_context(const wfp_guid *key);
int sim_is_builtin_callout(const wfp_guid *key);

/* engine.c */
void sim_generate_guid(sim_engine *e, wfp_guid *out);
void *sim_alloc_object(sim_engine *e, size_t size);
void sim_object_ref(sim_object *o);
void sim_object_unref(sim_engine *e, sim_object *o);
uint32_t sim_undo_push(sim_undo_log *log, sim_object *obj, uint32_t kind);

/* objects.c: linking, lookups and the management calls */
sim_provider *sim_provider_find(sim_engine *e, const wfp_guid *key);
sim_sublayer *sim_sublayer_find(sim_engine *e, const wfp_guid *key);
sim_filter *sim_filter_find_key(sim_engine *e, const wfp_guid *key);
sim_filter *sim_filter_find_id(sim_engine *e, uint64_t id);
/* The linked filter with the smallest id >= *id (of this layer, unless layer < 0), its id in
   *id; NULL when none.  Walking every filter: start at id 0 and pass found id + 1 (stop when
   the found id is UINT64_MAX).  Unlinking the filter just returned does not disturb the walk. */
sim_filter *sim_filter_next_by_id(sim_engine *e, uint64_t *id, int layer);
/* Bytes of the filter indexes (by key and by id), and their release at engine teardown. */
size_t sim_filter_indexes_bytes(const sim_engine *e);
void sim_filter_indexes_free(sim_engine *e);
uint32_t sim_link(sim_engine *e, sim_object *o);
void sim_unlink(sim_engine *e, sim_object *o);
void sim_object_free(sim_engine *e, sim_object *o);
uint32_t sim_install_builtins(sim_engine *e);
int sim_sublayer_order(const sim_sublayer *a, const sim_sublayer *b);

typedef struct sim_add_context {
    sim_engine *engine;
    sim_session *session;     /* NULL while loading the state file */
    int loading;
    sim_lifetime lifetime;
    uint32_t owner;
    uint64_t forced_id;       /* loading: keep the stored id */
    uint64_t forced_seq;
} sim_add_context;

uint32_t sim_provider_create(const sim_add_context *ctx, const wfp_provider0 *p, sim_provider **out);
uint32_t sim_sublayer_create(const sim_add_context *ctx, const wfp_sublayer0 *s, sim_sublayer **out);
uint32_t sim_filter_create(const sim_add_context *ctx, const wfp_filter0 *f, sim_filter **out);

/* Condition validation shared by filters and enumeration templates (validate.c). */
typedef enum sim_condition_use { SIM_CONDITIONS_FILTER, SIM_CONDITIONS_TEMPLATE } sim_condition_use;
uint32_t sim_check_conditions_null(const wfp_filter_condition0 *conds, uint32_t n);
/* FWP_E_CONDITION_NOT_FOUND unless the layer has every condition's field; fields[i] receives the
   index of conds[i]'s field in layer->fields, which the later stages take instead of looking the
   field up again.  e (NULL for none) lends its memo of recent lookups. */
uint32_t sim_check_conditions_exist(sim_engine *e, const wfp_layer_info *layer,
                                    const wfp_filter_condition0 *conds, uint32_t n, uint16_t *fields);
uint32_t sim_check_conditions_types(const wfp_layer_info *layer, const wfp_filter_condition0 *conds,
                                    const uint16_t *fields, uint32_t n, sim_condition_use use);
/* Room for n field indexes in the engine's scratch array (valid until the next call under the
   engine mutex); NULL when out of memory. */
uint16_t *sim_condition_fields_scratch(sim_engine *e, uint32_t n);

/* Compact encoding of condition values (value.c). */
size_t sim_encoded_payload_size(const wfp_condition_value0 *v);
/* Writes v's inline bits or payload at base + *offset (advancing it); returns the bits. */
uint64_t sim_encode_value(uint8_t *base, size_t *offset, const wfp_condition_value0 *v);
void sim_value_from_fwp(const wfp_value0 *src, wfp_condition_value0 *dst);
int sim_compare_values(const sim_filter *fa, uint32_t type, uint64_t a, const sim_filter *fb,
                       uint64_t b);
int sim_value_less_equal(const wfp_value0 *low, const wfp_value0 *high);
uint32_t sim_type_bits(uint32_t type);
void sim_ordered_key(const sim_filter *f, uint32_t type, uint64_t bits, uint8_t key[16]);
void sim_domain_end(uint32_t width, int high, uint8_t key[16]);
wfp_wchar sim_to_lower(wfp_wchar c);

/* weight.c */
uint64_t sim_auto_weight(const sim_filter *f);

/* tree.c: per-slot AVL.  slot->last is the tree's last filter in its order (NULL when empty):
   a filter that goes after it is appended along slot->spine, without comparisons and without
   walking down from the root.  Both keep last and spine up to date. */
void sim_tree_insert(sim_slot *slot, sim_filter *f);
void sim_tree_remove(sim_slot *slot, sim_filter *f);
/* In-order walk (arbitration order); stops when visit returns nonzero. */
int sim_tree_walk(sim_filter *root, int (*visit)(sim_filter *f, void *arg), void *arg);

/* marshal.c: one-block results freed by free_memory */
uint32_t sim_out_filter(const sim_filter *f, wfp_filter0 **out);
uint32_t sim_out_provider(const sim_provider *p, wfp_provider0 **out);
uint32_t sim_out_sublayer(const sim_sublayer *s, wfp_sublayer0 **out);
uint32_t sim_out_layer(size_t layer_index, wfp_layer0 **out);
uint32_t sim_out_page(int kind, sim_object *const *items, size_t n, void ***out);
uint32_t sim_out_layer_page(size_t first, size_t n, void ***out);

/* filter_enum.c */
uint32_t sim_filter_snapshot(sim_engine *e, const wfp_filter_enum_template0 *tmpl, sim_enum *en);

/* objects.c, continued */
void sim_objects_init_maps(sim_engine *e);
sim_session *sim_session_by_serial(sim_engine *e, uint32_t serial);
uint32_t sim_undo_apply(sim_engine *e, sim_undo *u);
/* A filter-shaped block (calloc'd) of just these conditions; NULL when out of memory or when the
   layer lacks a field.  The _fields form takes the indexes sim_check_conditions_exist gave. */
sim_filter *sim_build_condition_block(const wfp_layer_info *layer, const wfp_filter_condition0 *conds,
                                      uint32_t n);
sim_filter *sim_build_condition_block_fields(const wfp_layer_info *layer, const wfp_filter_condition0 *conds,
                                             const uint16_t *fields, uint32_t n);
uint32_t sim_provider_add(sim_session *session, const wfp_provider0 *in);
uint32_t sim_sublayer_add(sim_session *session, const wfp_sublayer0 *in);
uint32_t sim_filter_add(sim_session *session, const wfp_filter0 *in, uint64_t *id);
uint32_t sim_provider_delete(sim_session *session, const wfp_guid *key);
uint32_t sim_sublayer_delete(sim_session *session, const wfp_guid *key);
uint32_t sim_filter_delete_key(sim_session *session, const wfp_guid *key);
uint32_t sim_filter_delete_id(sim_session *session, uint64_t id);
uint32_t sim_enum_providers(sim_engine *e, const wfp_sublayer_enum_template0 *sublayer_tmpl, int kind,
                            sim_enum *en);

/* engine.c: a call's hold on a session and its engine, for entry points outside the backend
   table.  Begin validates the handle, takes the engine mutex and, unless the session has an
   explicit transaction, the transaction lock (shared to read, exclusive to write); end commits
   or undoes an implicit write, releases both and returns status (or the commit's failure). */
typedef struct sim_call_scope {
    sim_session *session;
    sim_engine *engine;
    int implicit_write;
} sim_call_scope;

uint32_t sim_scope_begin(wfp_handle handle, int write, sim_call_scope *scope);
uint32_t sim_scope_end(sim_call_scope *scope, uint32_t status);

/* classify_index.c: every filter link/unlink keeps the classify index in step */
uint32_t sim_index_add(sim_engine *e, sim_filter *f);
/* Starts loading the index entries sim_index_add(e, f) will probe. */
void sim_index_prefetch(sim_engine *e, const sim_filter *f);
/* The same for a filter add still being validated, from its input (conds already passed the
   pointer check; fields[i] is conds[i]'s field).  Returns 1 when it encoded the conditions
   (all inline values): the filter built from this input in the same call then takes them, and
   the plan, with sim_index_take_early instead of encoding them and calling sim_index_prefetch. */
int sim_index_plan_early(sim_engine *e, const wfp_layer_info *layer, const sim_sublayer *sublayer,
                         const wfp_filter_condition0 *conds, const uint16_t *fields, uint32_t n);
void sim_index_take_early(sim_engine *e, sim_filter *f);
/* Drops the plan of the filter being added (it is freed without being linked). */
void sim_index_forget(sim_engine *e);
void sim_index_remove(sim_engine *e, sim_filter *f);
void sim_classify_state_free(sim_engine *e);
size_t sim_index_bytes(const sim_engine *e);

/* ---- events.c: net events recorded by classify ---- */
/* The net-event log and its enumeration handles (engine.c enum_create / enum_page / enum_free). */
uint32_t sim_events_snapshot(sim_engine *e, const wfp_net_event_enum_template0 *tmpl, sim_enum *en);
uint32_t sim_events_page(sim_enum *en, size_t n, void ***out);
void sim_events_snapshot_free(sim_enum *en);
void sim_events_free(sim_engine *e);

/* persist.c */
uint32_t sim_persist_open(sim_engine *e, const char *path);
void sim_persist_close(sim_engine *e);
/* Takes the inter-process lock (waiting until deadline) and reloads the file if another process
   changed it.  The caller holds the engine mutex; it is released while waiting. */
uint32_t sim_persist_begin_write(sim_engine *e, uint64_t deadline_ms, int unlock_while_waiting);
/* Saves (when durable_change) and releases the inter-process lock. */
uint32_t sim_persist_end_write(sim_engine *e, int save);
uint32_t sim_persist_refresh(sim_engine *e);
void sim_drop_objects(sim_engine *e, int (*drop)(const sim_object *o, void *arg), void *arg);

/* appid.c */
uint32_t WFP_CALL sim_get_app_id_from_file_name(const wfp_wchar *file_name, wfp_byte_blob **app_id);

#endif /* WFP_SIM_INTERNAL_H */
