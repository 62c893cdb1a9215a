/* ustr.h — text as an array of Unicode code points, the form every text
 * step works on (decoded once from the UTF-8 cell, encoded back only to look
 * a token up in a vocabulary). */
#ifndef LP_TEXT_USTR_H
#define LP_TEXT_USTR_H

#include <stddef.h>
#include <stdint.h>

#include "../localpredict.h"
#include "../core/buf.h"

typedef struct lp__ustr {
    uint32_t *cp;
    size_t    len, cap;
} lp__ustr;

lp_status lp__ustr_reserve(lp__ustr *u, size_t extra);
lp_status lp__ustr_push(lp__ustr *u, uint32_t cp);
void      lp__ustr_free(lp__ustr *u);

/* Appends the code points of bytes[0..len).  Text that is not valid UTF-8 is
 * rejected (LP_ERR_BAD_CSV naming the byte and its position), never
 * replaced: a replacement character would silently change the tokens and so
 * the prediction (README "Text models": invalid UTF-8). */
lp_status lp__ustr_append_utf8(lp__ustr *u, const uint8_t *bytes, size_t len, lp_error *err);

/* Appends the UTF-8 of cp[0..n) to b. */
lp_status lp__utf8_append(lp__buf *b, const uint32_t *cp, size_t n);

#endif
