/* Bump allocator for compose: one arena per binding call, freed in one go. */
#include <stdlib.h>
#include <string.h>

#include "wfp/core.h"

#define WFP_ARENA_ALIGN 16u
#define WFP_ARENA_MIN_CHUNK 4096u

struct wfp_arena_chunk {
    wfp_arena_chunk *next;
    size_t used;
    size_t capacity;
    /* Keeps data[] 16-byte aligned whatever the platform's max_align_t. */
    _Alignas(16) unsigned char data[];
};

void wfp_arena_init(wfp_arena *arena, size_t first_chunk_size)
{
    arena->head = NULL;
    arena->chunk_size = first_chunk_size < WFP_ARENA_MIN_CHUNK ? WFP_ARENA_MIN_CHUNK : first_chunk_size;
}

void *wfp_arena_alloc(wfp_arena *arena, size_t size)
{
    size_t rounded = (size + (WFP_ARENA_ALIGN - 1)) & ~(size_t)(WFP_ARENA_ALIGN - 1);
    if (rounded < size)
        return NULL; /* size overflowed */
    wfp_arena_chunk *chunk = arena->head;
    if (chunk == NULL || chunk->capacity - chunk->used < rounded) {
        /* Doubling keeps the number of chunks logarithmic in the total size. */
        size_t capacity = arena->chunk_size;
        while (capacity < rounded) {
            if (capacity > SIZE_MAX / 2)
                return NULL;
            capacity *= 2;
        }
        if (capacity > SIZE_MAX - sizeof(wfp_arena_chunk))
            return NULL;
        chunk = malloc(sizeof(wfp_arena_chunk) + capacity);
        if (chunk == NULL)
            return NULL;
        chunk->next = arena->head;
        chunk->used = 0;
        chunk->capacity = capacity;
        arena->head = chunk;
        if (arena->chunk_size <= SIZE_MAX / 2)
            arena->chunk_size *= 2;
    }
    void *p = chunk->data + chunk->used;
    chunk->used += rounded;
    memset(p, 0, size);
    return p;
}

static void free_chunks(wfp_arena_chunk *chunk)
{
    while (chunk != NULL) {
        wfp_arena_chunk *next = chunk->next;
        free(chunk);
        chunk = next;
    }
}

void wfp_arena_reset(wfp_arena *arena)
{
    /* The head is the newest and largest chunk: keep it, warm, for the next round. */
    wfp_arena_chunk *head = arena->head;
    if (head == NULL)
        return;
    free_chunks(head->next);
    head->next = NULL;
    head->used = 0;
}

void wfp_arena_free(wfp_arena *arena)
{
    free_chunks(arena->head);
    arena->head = NULL;
}
