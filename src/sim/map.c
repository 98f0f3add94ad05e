/* Open-addressing hash map of object pointers (linear probing, backward-shift deletion).  Each
   slot keeps a 32-bit hash of its object beside the pointer, so probing and growing never touch
   the objects themselves: with a million filters those reads would be cache misses. */
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
