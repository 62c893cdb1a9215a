/* ustr.c — see ustr.h. */
#include "ustr.h"

#include <stdlib.h>

#include "../core/error.h"
#include "../core/utf8.h"

lp_status lp__ustr_reserve(lp__ustr *u, size_t extra)
{
    if (extra <= u->cap - u->len) return LP_OK;
    if (extra > SIZE_MAX / sizeof *u->cp / 2 - u->len) return LP_ERR_NOMEM;
    size_t cap = u->cap ? u->cap : 64;
    while (cap - u->len < extra) cap *= 2;
    uint32_t *p = realloc(u->cp, cap * sizeof *p);
    if (!p) return LP_ERR_NOMEM;
    u->cp = p;
    u->cap = cap;
    return LP_OK;
}

lp_status lp__ustr_push(lp__ustr *u, uint32_t cp)
{
    if (u->len == u->cap && lp__ustr_reserve(u, 1) != LP_OK) return LP_ERR_NOMEM;
    u->cp[u->len++] = cp;
    return LP_OK;
}

void lp__ustr_free(lp__ustr *u)
{
    free(u->cp);
    *u = (lp__ustr){0};
}

lp_status lp__ustr_append_utf8(lp__ustr *u, const uint8_t *s, size_t len, lp_error *err)
{
    size_t valid = lp__utf8_valid_prefix(s, len);
    if (valid < len)
        return lp__fail(err, LP_ERR_BAD_CSV, "not valid UTF-8 (byte 0x%02X at position %zu of the text): is the file "
                        "in another encoding, such as Windows-1252? Save it as \"CSV UTF-8\"", s[valid], valid + 1);
    if (lp__ustr_reserve(u, len) != LP_OK) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < len;) {   /* valid: no checks needed */
        uint32_t c = s[i];
        size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (n > 1) c &= 0x3F >> (n - 1);
        for (size_t k = 1; k < n; k++) c = c << 6 | (s[i + k] & 0x3F);
        u->cp[u->len++] = c;
        i += n;
    }
    return LP_OK;
}

lp_status lp__utf8_append(lp__buf *b, const uint32_t *cp, size_t n)
{
    if (lp__buf_reserve(b, n * 4) != LP_OK) return LP_ERR_NOMEM;
    uint8_t *o = b->data + b->len;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cp[i];
        if (c < 0x80) {
            *o++ = (uint8_t)c;
        } else if (c < 0x800) {
            *o++ = (uint8_t)(0xC0 | c >> 6), *o++ = (uint8_t)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            *o++ = (uint8_t)(0xE0 | c >> 12), *o++ = (uint8_t)(0x80 | (c >> 6 & 0x3F));
            *o++ = (uint8_t)(0x80 | (c & 0x3F));
        } else {
            *o++ = (uint8_t)(0xF0 | c >> 18), *o++ = (uint8_t)(0x80 | (c >> 12 & 0x3F));
            *o++ = (uint8_t)(0x80 | (c >> 6 & 0x3F)), *o++ = (uint8_t)(0x80 | (c & 0x3F));
        }
    }
    b->len = (size_t)(o - b->data);
    return LP_OK;
}
