/* arena.h — a bump allocator for data that lives and dies together (a decoded
 * ONNX graph: names, attributes, tensors).  Blocks are chained; one
 * lp__arena_free releases everything.  A failed allocation returns NULL and
 * leaves the arena usable, so callers report LP_ERR_NOMEM. */
#ifndef LP_CORE_ARENA_H
#define LP_CORE_ARENA_H

#include <stddef.h>

typedef struct lp__arena_block lp__arena_block;

typedef struct lp__arena {
    lp__arena_block *head;   /* the block allocations come from; older ones chained behind */
    size_t           used;   /* bytes handed out, all blocks together */
} lp__arena;

/* `size` bytes aligned to 16 (enough for any scalar and for v128 loads). */
void *lp__arena_alloc(lp__arena *a, size_t size);

/* `count` elements of `size` bytes, zeroed; NULL on overflow or failure. */
void *lp__arena_array(lp__arena *a, size_t count, size_t size);

/* A NUL-terminated copy of `len` bytes (which may contain no NUL). */
char *lp__arena_strndup(lp__arena *a, const void *bytes, size_t len);

void lp__arena_free(lp__arena *a);

#endif
