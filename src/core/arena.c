/* arena.c — bump allocator; see arena.h. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN      16
#define ARENA_MIN_BLOCK  (64u * 1024)

struct lp__arena_block {
    lp__arena_block *prev;
    unsigned char   *data;   /* first 16-byte aligned byte after the header */
    size_t           cap;    /* usable bytes from data */
    size_t           top;    /* bytes used */
};

void *lp__arena_alloc(lp__arena *a, size_t size)
{
    if (size > SIZE_MAX - 2 * ARENA_ALIGN - sizeof(lp__arena_block)) return NULL;
    size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    lp__arena_block *b = a->head;
    if (!b || b->cap - b->top < size) {
        /* Big requests get a block of their own; small ones share 64 KiB.
         * malloc may align to 8 only (Emscripten's does): align by hand. */
        size_t cap = size > ARENA_MIN_BLOCK ? size : ARENA_MIN_BLOCK;
        lp__arena_block *nb = malloc(sizeof *nb + ARENA_ALIGN + cap);
        if (!nb) return NULL;
        uintptr_t start = (uintptr_t)(nb + 1);
        nb->data = (unsigned char *)((start + ARENA_ALIGN - 1) & ~(uintptr_t)(ARENA_ALIGN - 1));
        nb->prev = b;
        nb->cap = cap;
        nb->top = 0;
        a->head = b = nb;
    }
    void *p = b->data + b->top;
    b->top += size;
    a->used += size;
    return p;
}

void *lp__arena_array(lp__arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    size_t n = count * size;
    void *p = lp__arena_alloc(a, n ? n : 1);
    if (p) memset(p, 0, n ? n : 1);
    return p;
}

char *lp__arena_strndup(lp__arena *a, const void *bytes, size_t len)
{
    if (len == SIZE_MAX) return NULL;
    char *s = lp__arena_alloc(a, len + 1);
    if (!s) return NULL;
    if (len) memcpy(s, bytes, len);
    s[len] = '\0';
    return s;
}

void lp__arena_free(lp__arena *a)
{
    lp__arena_block *b = a->head;
    while (b) {
        lp__arena_block *prev = b->prev;
        free(b);
        b = prev;
    }
    a->head = NULL;
    a->used = 0;
}
