/* arena.h — a bump allocator: many small allocations, freed all at once.
 *
 * Used to give cJSON one arena per model parse (a 6.6 MB model is about a
 * million JSON values: allocating and freeing them one by one was a fifth of
 * the load time).  Not thread-safe; an arena owns all it hands out until
 * lp__arena_release.
 */
#ifndef LP_CORE_ARENA_H
#define LP_CORE_ARENA_H

#include <stddef.h>

typedef struct lp__arena_chunk lp__arena_chunk;

typedef struct lp__arena {
    lp__arena_chunk *head;    /* newest chunk first */
    size_t           chunk_bytes;   /* usual chunk size (0 = 1 MB) */
} lp__arena;

/* n bytes aligned to 16, or NULL when out of memory. */
void *lp__arena_alloc(lp__arena *a, size_t n);

/* Frees every allocation at once; the arena can be used again. */
void lp__arena_release(lp__arena *a);

/* cJSON is compiled with malloc and free renamed to these (Makefile's
 * CJSON_FLAGS): while this thread has an arena set, cJSON allocates from it
 * and its frees do nothing; otherwise they are malloc and free.  Returns the
 * arena that was set before (NULL = none).  No hooks are global, so models
 * may still be loaded on several threads at once. */
lp__arena *lp__cjson_use_arena(lp__arena *a);
void      *lp__cjson_malloc(size_t n);
void       lp__cjson_free(void *p);

#endif
