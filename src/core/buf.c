/* buf.c — growable byte buffer; see buf.h. */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

lp_status lp__buf_reserve(lp__buf *b, size_t extra)
{
    if (extra <= b->cap - b->len) return LP_OK;
    if (extra > SIZE_MAX / 2 - b->len) return LP_ERR_NOMEM;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra) cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) return LP_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return LP_OK;
}

lp_status lp__buf_append(lp__buf *b, const void *bytes, size_t n)
{
    if (n == 0) return LP_OK;
    lp_status s = lp__buf_reserve(b, n);
    if (s != LP_OK) return s;
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
    return LP_OK;
}

lp_status lp__buf_push(lp__buf *b, uint8_t byte)
{
    if (b->len < b->cap) {
        b->data[b->len++] = byte;
        return LP_OK;
    }
    return lp__buf_append(b, &byte, 1);
}

void lp__buf_free(lp__buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
