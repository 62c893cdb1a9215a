/* arena.c — see arena.h. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>

struct lp__arena_chunk {
    lp__arena_chunk *next;
    size_t           used, cap;
    _Alignas(16) unsigned char data[];
};

void *lp__arena_alloc(lp__arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    lp__arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t usual = a->chunk_bytes ? a->chunk_bytes : (size_t)1 << 20;
        size_t cap = n > usual / 4 ? n : usual;   /* big requests get a chunk of their own */
        if (cap > SIZE_MAX - sizeof *c) return NULL;
        lp__arena_chunk *fresh = malloc(sizeof *fresh + cap);
        if (!fresh) return NULL;
        fresh->used = 0;
        fresh->cap = cap;
        if (c && cap != usual) {   /* keep filling the current chunk afterwards */
            fresh->next = c->next;
            c->next = fresh;
            fresh->used = n;
            return fresh->data;
        }
        fresh->next = c;
        a->head = c = fresh;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

void lp__arena_release(lp__arena *a)
{
    lp__arena_chunk *c = a->head;
    while (c) {
        lp__arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}

static _Thread_local lp__arena *cjson_arena;

lp__arena *lp__cjson_use_arena(lp__arena *a)
{
    lp__arena *before = cjson_arena;
    cjson_arena = a;
    return before;
}

void *lp__cjson_malloc(size_t n) { return cjson_arena ? lp__arena_alloc(cjson_arena, n) : malloc(n); }

void lp__cjson_free(void *p)
{
    if (!cjson_arena) free(p);
}
