/* vocab.c — see vocab.h.  FNV-1a hashing, linear probing, load kept under
 * one half. */
#include "vocab.h"

#include <stdlib.h>
#include <string.h>

static uint32_t hash(const uint8_t *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) h = (h ^ s[i]) * 16777619u;
    return h;
}

static size_t find_slot(const lp__vocab *v, const uint8_t *token, size_t len)
{
    size_t mask = v->n_slots - 1, i = hash(token, len) & mask;
    for (;; i = (i + 1) & mask) {
        uint32_t e = v->slots[i];
        if (!e) return i;
        e--;
        if (v->entry[e].length == len && memcmp(v->pool + v->entry[e].offset, token, len) == 0) return i;
    }
}

static lp_status grow_slots(lp__vocab *v)
{
    size_t n = v->n_slots ? v->n_slots * 2 : 64;
    uint32_t *old = v->slots;
    size_t old_n = v->n_slots;
    v->slots = calloc(n, sizeof *v->slots);
    if (!v->slots) {
        v->slots = old;
        return LP_ERR_NOMEM;
    }
    v->n_slots = n;
    for (size_t i = 0; i < old_n; i++)
        if (old[i]) {
            uint32_t e = old[i] - 1;
            v->slots[find_slot(v, v->pool + v->entry[e].offset, v->entry[e].length)] = old[i];
        }
    free(old);
    return LP_OK;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return 1;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * size);
    if (!q) return 0;
    *p = q;
    *cap = c;
    return 1;
}

lp_status lp__vocab_put(lp__vocab *v, const uint8_t *token, size_t len, int64_t id)
{
    if (len > UINT32_MAX || v->pool_len > UINT32_MAX - len || v->n >= UINT32_MAX - 1) return LP_ERR_LIMIT;
    if ((v->n + 1) * 2 > v->n_slots && grow_slots(v) != LP_OK) return LP_ERR_NOMEM;
    size_t slot = find_slot(v, token, len);
    if (v->slots[slot]) {
        v->entry[v->slots[slot] - 1].id = id;
        return LP_OK;
    }
    if (!grow((void **)&v->pool, &v->pool_cap, v->pool_len + len + 1, 1) ||
        !grow((void **)&v->entry, &v->cap, v->n + 1, sizeof *v->entry))
        return LP_ERR_NOMEM;
    if (len) memcpy(v->pool + v->pool_len, token, len);
    v->entry[v->n] = (struct lp__vocab_entry){(uint32_t)v->pool_len, (uint32_t)len, id};
    v->pool_len += len;
    v->slots[slot] = (uint32_t)++v->n;
    return LP_OK;
}

int64_t lp__vocab_get(const lp__vocab *v, const uint8_t *token, size_t len)
{
    if (!v->n_slots) return -1;
    uint32_t e = v->slots[find_slot(v, token, len)];
    return e ? v->entry[e - 1].id : -1;
}

void lp__vocab_free(lp__vocab *v)
{
    free(v->pool);
    free(v->entry);
    free(v->slots);
    *v = (lp__vocab){0};
}

lp_status lp__ids_push(lp__ids *ids, int64_t id)
{
    if (!grow((void **)&ids->v, &ids->cap, ids->len + 1, sizeof *ids->v)) return LP_ERR_NOMEM;
    ids->v[ids->len++] = id;
    return LP_OK;
}

void lp__ids_free(lp__ids *ids)
{
    free(ids->v);
    *ids = (lp__ids){0};
}
