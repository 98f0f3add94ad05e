/* Open-addressing hash map of object pointers (linear probing, backward-shift deletion). */
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

void sim_map_init(sim_map *map, uint64_t (*hash_of)(const void *obj))
{
    map->slots = NULL;
    map->mask = 0;
    map->count = 0;
    map->hash_of = hash_of;
}

void sim_map_free(sim_map *map)
{
    free(map->slots);
    map->slots = NULL;
    map->mask = 0;
    map->count = 0;
}

static void place(void **slots, size_t mask, void *obj, uint64_t hash)
{
    size_t i = (size_t)hash & mask;
    while (slots[i] != NULL)
        i = (i + 1) & mask;
    slots[i] = obj;
}

static int grow(sim_map *map)
{
    size_t capacity = map->slots == NULL ? 16 : (map->mask + 1) * 2;
    void **slots = calloc(capacity, sizeof *slots);
    if (slots == NULL)
        return -1;
    if (map->slots != NULL) {
        for (size_t i = 0; i <= map->mask; i++)
            if (map->slots[i] != NULL)
                place(slots, capacity - 1, map->slots[i], map->hash_of(map->slots[i]));
        free(map->slots);
    }
    map->slots = slots;
    map->mask = capacity - 1;
    return 0;
}

int sim_map_insert(sim_map *map, void *obj)
{
    /* Keep the load at most 3/4 so probe sequences stay short. */
    if (map->slots == NULL || (map->count + 1) * 4 > (map->mask + 1) * 3)
        if (grow(map) != 0)
            return -1;
    place(map->slots, map->mask, obj, map->hash_of(obj));
    map->count++;
    return 0;
}

void sim_map_remove(sim_map *map, const void *obj)
{
    if (map->slots == NULL)
        return;
    size_t mask = map->mask;
    size_t i = (size_t)map->hash_of(obj) & mask;
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
        void *cur = map->slots[j];
        if (cur == NULL)
            break;
        size_t home = (size_t)map->hash_of(cur) & mask;
        int home_in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!home_in_range) {
            map->slots[hole] = cur;
            hole = j;
        }
    }
    map->slots[hole] = NULL;
    map->count--;
}

void *sim_map_probe(const sim_map *map, uint64_t hash, size_t *cursor)
{
    if (map->slots == NULL || *cursor > map->mask)
        return NULL;
    size_t i = ((size_t)hash + *cursor) & map->mask;
    (*cursor)++;
    return map->slots[i];
}

size_t sim_map_bytes(const sim_map *map)
{
    return map->slots == NULL ? 0 : (map->mask + 1) * sizeof(void *);
}
