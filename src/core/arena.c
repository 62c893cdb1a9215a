/* arena.c — see arena.h. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16

struct lp__arena_chunk {
    lp__arena_chunk *next;
    unsigned char   *data;   /* first 16-byte aligned byte after the header: malloc
                                may align to 8 only (Emscripten's does) */
    size_t           used, cap;
};

static lp__arena_chunk *new_chunk(size_t cap)
{
    if (cap > SIZE_MAX - sizeof(lp__arena_chunk) - ARENA_ALIGN) return NULL;
    lp__arena_chunk *c = malloc(sizeof *c + ARENA_ALIGN + cap);
    if (!c) return NULL;
    uintptr_t start = (uintptr_t)(c + 1);
    c->data = (unsigned char *)((start + ARENA_ALIGN - 1) & ~(uintptr_t)(ARENA_ALIGN - 1));
    c->used = 0;
    c->cap = cap;
    return c;
}

void *lp__arena_alloc(lp__arena *a, size_t n)
{
    if (n > SIZE_MAX - ARENA_ALIGN) return NULL;
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (n == 0) n = ARENA_ALIGN;
    lp__arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t usual = a->chunk_bytes ? a->chunk_bytes : (size_t)1 << 20;
        size_t cap = n > usual / 4 ? n : usual;   /* big requests get a chunk of their own */
        lp__arena_chunk *fresh = new_chunk(cap);
        if (!fresh) return NULL;
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

void *lp__arena_array(lp__arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    size_t n = count * size;
    void *p = lp__arena_alloc(a, n);
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
