/* arena.h — a bump allocator: many small allocations, freed all at once.
 *
 * Two users: cJSON gets one arena per model parse (a 6.6 MB model is about a
 * million JSON values; allocating and freeing them one by one was a fifth of
 * the load time), and a decoded ONNX graph keeps its names, attributes and
 * tensors in one.  Not thread-safe; an arena owns all it hands out until
 * lp__arena_release.  A failed allocation returns NULL and leaves the arena
 * usable, so callers report LP_ERR_NOMEM.
 */
#ifndef LP_CORE_ARENA_H
#define LP_CORE_ARENA_H

#include <stddef.h>

typedef struct lp__arena_chunk lp__arena_chunk;

typedef struct lp__arena {
    lp__arena_chunk *head;          /* the chunk being filled; older ones chained behind */
    size_t           chunk_bytes;   /* usual chunk size (0 = 1 MB) */
} lp__arena;

/* n bytes aligned to 16 (enough for any scalar and for v128 loads), or NULL. */
void *lp__arena_alloc(lp__arena *a, size_t n);

/* count elements of size bytes, zeroed; NULL on overflow or failure. */
void *lp__arena_array(lp__arena *a, size_t count, size_t size);

/* A NUL-terminated copy of len bytes. */
char *lp__arena_strndup(lp__arena *a, const void *bytes, size_t len);

/* Frees every allocation at once; the arena can be used again. */
void lp__arena_release(lp__arena *a);

/* cJSON allocates through these (io/json.c's hooks, and Makefile's
 * CJSON_FLAGS for its built-in defaults): while this thread has an arena
 * set, cJSON allocates from it and its frees do nothing; otherwise they are
 * malloc and free.  Returns the arena that was set before (NULL = none).  No
 * hooks are global, so models may still be loaded on several threads. */
lp__arena *lp__cjson_use_arena(lp__arena *a);
void      *lp__cjson_malloc(size_t n);
void       lp__cjson_free(void *p);

#endif
