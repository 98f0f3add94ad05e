/* The engine's indexes of object pointers.  The two hash tables (linear probing, backward-shift
   deletion) keep a 32-bit hash of each object beside its pointer, so probing and growing never
   touch the objects themselves: with a million filters those reads would be cache misses.
   sim_map keeps hashes and pointers in two arrays (small maps: providers, sublayers, sessions);
   sim_table packs both in one 12-byte slot, so a probe of a large table is one cache miss, not
   two.  sim_id_index is a radix tree over filter ids. */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

uint64_t sim_hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

uint64_t sim_hash_guid(const wfp_guid *g)
{
    uint64_t lo, hi;
    memcpy(&lo, g, 8);
    memcpy(&hi, (const uint8_t *)g + 8, 8);
    return sim_hash_u64(lo ^ sim_hash_u64(hi));
}

static uint32_t fold(uint64_t hash) { return (uint32_t)(hash ^ (hash >> 32)); }

void sim_map_init(sim_map *map, uint64_t (*hash_of)(const void *obj))
{
    map->slots = NULL;
    map->tags = NULL;
    map->mask = 0;
    map->count = 0;
    map->hash_of = hash_of;
}

void sim_map_free(sim_map *map)
{
    free(map->slots);
    free(map->tags);
    map->slots = NULL;
    map->tags = NULL;
    map->mask = 0;
    map->count = 0;
}

static void place(void **slots, uint32_t *tags, size_t mask, void *obj, uint32_t tag)
{
    size_t i = tag & mask;
    while (slots[i] != NULL)
        i = (i + 1) & mask;
    slots[i] = obj;
    tags[i] = tag;
}

static int grow(sim_map *map)
{
    size_t capacity = map->slots == NULL ? 16 : (map->mask + 1) * 2;
    void **slots = calloc(capacity, sizeof *slots);
    uint32_t *tags = malloc(capacity * sizeof *tags);
    if (slots == NULL || tags == NULL) {
        free(slots);
        free(tags);
        return -1;
    }
    if (map->slots != NULL) {
        for (size_t i = 0; i <= map->mask; i++)
            if (map->slots[i] != NULL)
                place(slots, tags, capacity - 1, map->slots[i], map->tags[i]);
        free(map->slots);
        free(map->tags);
    }
    map->slots = slots;
    map->tags = tags;
    map->mask = capacity - 1;
    return 0;
}

int sim_map_insert(sim_map *map, void *obj)
{
    /* Keep the load at most 3/4 so probe sequences stay short. */
    if (map->slots == NULL || (map->count + 1) * 4 > (map->mask + 1) * 3)
        if (grow(map) != 0)
            return -1;
    place(map->slots, map->tags, map->mask, obj, fold(map->hash_of(obj)));
    map->count++;
    return 0;
}

void sim_map_remove(sim_map *map, const void *obj)
{
    if (map->slots == NULL)
        return;
    size_t mask = map->mask;
    size_t i = fold(map->hash_of(obj)) & mask;
    while (map->slots[i] != obj) {
        if (map->slots[i] == NULL)
            return;
        i = (i + 1) & mask;
    }
    /* Backward shift: move later members of the cluster into the hole when their home slot
       does not lie cyclically in (hole, j]. */
    size_t hole = i;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (map->slots[j] == NULL)
            break;
        size_t home = map->tags[j] & mask;
        int home_in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!home_in_range) {
            map->slots[hole] = map->slots[j];
            map->tags[hole] = map->tags[j];
            hole = j;
        }
    }
    map->slots[hole] = NULL;
    map->count--;
}

void *sim_map_probe(const sim_map *map, uint64_t hash, size_t *cursor)
{
    if (map->slots == NULL)
        return NULL;
    uint32_t tag = fold(hash);
    while (*cursor <= map->mask) {
        size_t i = (tag + *cursor) & map->mask;
        (*cursor)++;
        if (map->slots[i] == NULL)
            return NULL;
        if (map->tags[i] == tag)
            return map->slots[i];
    }
    return NULL;
}

size_t sim_map_bytes(const sim_map *map)
{
    return map->slots == NULL ? 0 : (map->mask + 1) * (sizeof(void *) + sizeof(uint32_t));
}

/* ============================================================================================
 * sim_table: tag and pointer packed in one slot, so a probe reads one cache line, not two
 * ============================================================================================ */

static uint32_t slot_tag(const unsigned char *slots, size_t i)
{
    uint32_t tag;
    memcpy(&tag, slots + i * SIM_TABLE_SLOT, sizeof tag);
    return tag;
}

static void *slot_obj(const unsigned char *slots, size_t i)
{
    void *obj;
    memcpy(&obj, slots + i * SIM_TABLE_SLOT + sizeof(uint32_t), sizeof obj);
    return obj;
}

static void slot_set(unsigned char *slots, size_t i, uint32_t tag, void *obj)
{
    memcpy(slots + i * SIM_TABLE_SLOT, &tag, sizeof tag);
    memcpy(slots + i * SIM_TABLE_SLOT + sizeof(uint32_t), &obj, sizeof obj);
}

void sim_table_init(sim_table *t)
{
    t->slots = NULL;
    t->mask = 0;
    t->count = 0;
}

void sim_table_free(sim_table *t)
{
    sim_free_large(t->slots, sim_table_bytes(t));
    sim_table_init(t);
}

static void table_place(unsigned char *slots, size_t mask, uint32_t tag, void *obj)
{
    size_t i = tag & mask;
    while (slot_obj(slots, i) != NULL)
        i = (i + 1) & mask;
    slot_set(slots, i, tag, obj);
}

static int table_grow(sim_table *t)
{
    size_t capacity = t->slots == NULL ? 16 : (t->mask + 1) * 2;
    if (capacity > SIZE_MAX / SIM_TABLE_SLOT)
        return -1;
    unsigned char *slots = sim_zalloc_large(capacity * SIM_TABLE_SLOT);
    if (slots == NULL)
        return -1;
    /* In slot order the new homes advance with the old ones: the writes stream. */
    if (t->slots != NULL)
        for (size_t i = 0; i <= t->mask; i++) {
            void *obj = slot_obj(t->slots, i);
            if (obj != NULL)
                table_place(slots, capacity - 1, slot_tag(t->slots, i), obj);
        }
    sim_free_large(t->slots, sim_table_bytes(t));
    t->slots = slots;
    t->mask = capacity - 1;
    return 0;
}

int sim_table_insert(sim_table *t, uint32_t tag, void *obj)
{
    /* Keep the load at most 3/4 so probe sequences stay short. */
    if (t->slots == NULL || (t->count + 1) * 4 > (t->mask + 1) * 3)
        if (table_grow(t) != 0)
            return -1;
    table_place(t->slots, t->mask, tag, obj);
    t->count++;
    return 0;
}

int sim_table_insert_at(sim_table *t, uint32_t tag, void *obj, size_t empty)
{
    if (t->slots == NULL || (t->count + 1) * 4 > (t->mask + 1) * 3 || empty > t->mask ||
        slot_obj(t->slots, empty) != NULL)
        return sim_table_insert(t, tag, obj);
    slot_set(t->slots, empty, tag, obj);
    t->count++;
    return 0;
}

static int table_find(const sim_table *t, uint32_t tag, const void *obj, size_t *at)
{
    if (t->slots == NULL)
        return 0;
    for (size_t i = tag & t->mask;; i = (i + 1) & t->mask) {
        void *o = slot_obj(t->slots, i);
        if (o == NULL)
            return 0;
        if (o == obj) {
            *at = i;
            return 1;
        }
    }
}

void sim_table_remove(sim_table *t, uint32_t tag, const void *obj)
{
    size_t hole;
    if (!table_find(t, tag, obj, &hole))
        return;
    /* Backward shift: move later members of the cluster into the hole when their home slot
       does not lie cyclically in (hole, j]. */
    size_t mask = t->mask, j = hole;
    for (;;) {
        j = (j + 1) & mask;
        void *o = slot_obj(t->slots, j);
        if (o == NULL)
            break;
        uint32_t tag_j = slot_tag(t->slots, j);
        size_t home = tag_j & mask;
        int home_in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!home_in_range) {
            slot_set(t->slots, hole, tag_j, o);
            hole = j;
        }
    }
    slot_set(t->slots, hole, 0, NULL);
    t->count--;
}

int sim_table_replace(sim_table *t, uint32_t tag, const void *old, void *obj)
{
    size_t at;
    if (!table_find(t, tag, old, &at))
        return -1;
    slot_set(t->slots, at, tag, obj);
    return 0;
}

void *sim_table_probe(const sim_table *t, uint32_t tag, size_t *cursor)
{
    if (t->slots == NULL)
        return NULL;
    while (*cursor <= t->mask) {
        size_t i = (tag + *cursor) & t->mask;
        (*cursor)++;
        void *obj = slot_obj(t->slots, i);
        if (obj == NULL)
            return NULL;
        if (slot_tag(t->slots, i) == tag)
            return obj;
    }
    return NULL;
}

void sim_table_prefetch(const sim_table *t, uint32_t tag)
{
    if (t->slots == NULL)
        return;
    /* A probe for a key that is absent (every add checks one) reads on to the end of the run of
       full slots, several slots at three-quarters load: the next line too. */
    const unsigned char *at = t->slots + (tag & t->mask) * SIM_TABLE_SLOT;
    SIM_PREFETCH(at);
    if ((tag & t->mask) < t->mask)
        SIM_PREFETCH(at + 64);
}

void *sim_table_at(const sim_table *t, size_t i) { return t->slots == NULL ? NULL : slot_obj(t->slots, i); }

size_t sim_table_bytes(const sim_table *t) { return t->slots == NULL ? 0 : (t->mask + 1) * SIM_TABLE_SLOT; }

/* ============================================================================================
 * sim_id_index: a radix tree over ids
 * ============================================================================================ */

#define ID_BITS 6u
#define ID_FANOUT (1u << ID_BITS)
#define ID_MAX_HEIGHT 11u /* 6 * 11 >= 64 */

typedef struct id_leaf {
    uint32_t live;
    uint16_t tag[ID_FANOUT];
    void *item[ID_FANOUT];
} id_leaf;

typedef struct id_inner {
    uint32_t live;
    void *child[ID_FANOUT];
} id_inner;

static unsigned digit(uint64_t id, unsigned level) { return (unsigned)(id >> (ID_BITS * (level - 1))) & (ID_FANOUT - 1); }

/* Does the id fit under a root of this height? */
static int id_fits(uint64_t id, unsigned height)
{
    return height >= ID_MAX_HEIGHT || (id >> (ID_BITS * height)) == 0;
}

void sim_id_index_init(sim_id_index *x)
{
    x->root = NULL;
    x->height = 0;
    x->count = 0;
    x->bytes = 0;
}

static void free_subtree(void *node, unsigned level)
{
    if (node == NULL)
        return;
    if (level > 1) {
        id_inner *n = node;
        for (unsigned i = 0; i < ID_FANOUT; i++)
            free_subtree(n->child[i], level - 1);
    }
    free(node);
}

void sim_id_index_free(sim_id_index *x)
{
    free_subtree(x->root, x->height);
    sim_id_index_init(x);
}

static void *new_node(sim_id_index *x, unsigned level)
{
    size_t size = level == 1 ? sizeof(id_leaf) : sizeof(id_inner);
    void *node = calloc(1, size);
    if (node != NULL)
        x->bytes += size;
    return node;
}

int sim_id_index_insert(sim_id_index *x, uint64_t id, void *obj, uint16_t tag)
{
    if (x->root == NULL) {
        x->height = 1;
        while (!id_fits(id, x->height))
            x->height++;
        if ((x->root = new_node(x, x->height)) == NULL)
            return -1;
    }
    while (!id_fits(id, x->height)) {
        id_inner *top = new_node(x, x->height + 1);
        if (top == NULL)
            return -1;
        top->child[0] = x->root;
        top->live = 1;
        x->root = top;
        x->height++;
    }
    /* Create the path first, so a failure leaves no half-linked entry (empty nodes it made stay
       attached and are reused by the next insert). */
    void *node = x->root;
    for (unsigned level = x->height; level > 1; level--) {
        id_inner *n = node;
        unsigned d = digit(id, level);
        if (n->child[d] == NULL) {
            if ((n->child[d] = new_node(x, level - 1)) == NULL)
                return -1;
            n->live++;
        }
        node = n->child[d];
    }
    id_leaf *leaf = node;
    unsigned d = digit(id, 1);
    if (leaf->item[d] != NULL)
        return 1;
    leaf->item[d] = obj;
    leaf->tag[d] = tag;
    leaf->live++;
    x->count++;
    return 0;
}

void *sim_id_index_find(const sim_id_index *x, uint64_t id)
{
    if (x->root == NULL || !id_fits(id, x->height))
        return NULL;
    void *node = x->root;
    for (unsigned level = x->height; level > 1 && node != NULL; level--)
        node = ((id_inner *)node)->child[digit(id, level)];
    return node == NULL ? NULL : ((id_leaf *)node)->item[digit(id, 1)];
}

/* Clears the entry; returns whether node is now empty (and was freed). */
static int remove_in(sim_id_index *x, void *node, unsigned level, uint64_t id)
{
    unsigned d = digit(id, level);
    if (level == 1) {
        id_leaf *leaf = node;
        if (leaf->item[d] == NULL)
            return 0;
        leaf->item[d] = NULL;
        x->count--;
        if (--leaf->live > 0)
            return 0;
        x->bytes -= sizeof(id_leaf);
        free(leaf);
        return 1;
    }
    id_inner *n = node;
    if (n->child[d] == NULL || !remove_in(x, n->child[d], level - 1, id))
        return 0;
    n->child[d] = NULL;
    if (--n->live > 0)
        return 0;
    x->bytes -= sizeof(id_inner);
    free(n);
    return 1;
}

void sim_id_index_remove(sim_id_index *x, uint64_t id)
{
    if (x->root == NULL || !id_fits(id, x->height))
        return;
    if (remove_in(x, x->root, x->height, id)) {
        x->root = NULL;
        x->height = 0;
    }
}

/* First entry >= from within node, whose ids start at base; exact: from lies in this node. */
static void *next_in(const void *node, unsigned level, uint64_t base, uint64_t from, int exact, int tag,
                     uint64_t *found)
{
    unsigned shift = ID_BITS * (level - 1);
    unsigned start = exact ? digit(from, level) : 0;
    if (level == 1) {
        const id_leaf *leaf = node;
        for (unsigned i = start; i < ID_FANOUT; i++)
            if (leaf->item[i] != NULL && (tag < 0 || leaf->tag[i] == (uint16_t)tag)) {
                *found = base + i;
                return leaf->item[i];
            }
        return NULL;
    }
    const id_inner *n = node;
    for (unsigned i = start; i < ID_FANOUT; i++) {
        if (n->child[i] == NULL)
            continue;
        void *obj = next_in(n->child[i], level - 1, base + ((uint64_t)i << shift), from, exact && i == start, tag,
                            found);
        if (obj != NULL)
            return obj;
    }
    return NULL;
}

void *sim_id_index_next(const sim_id_index *x, uint64_t *id, int tag)
{
    if (x->root == NULL || !id_fits(*id, x->height))
        return NULL;
    return next_in(x->root, x->height, 0, *id, 1, tag, id);
}
