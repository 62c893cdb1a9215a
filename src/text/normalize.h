/* normalize.h — text normalisation steps, each defined as the Python
 * expression it reproduces (the tokenizers models are trained with are
 * Python's or follow it).  Each rewrites `u` in place (it may grow). */
#ifndef LP_TEXT_NORMALIZE_H
#define LP_TEXT_NORMALIZE_H

#include "ustr.h"

/* text.lower(): full lowercase mapping, with U+0130 → "i̇" and Greek final
 * sigma (Σ → ς at the end of a word), as str.lower does. */
lp_status lp__text_lower(lp__ustr *u);

/* ''.join(c for c in unicodedata.normalize('NFD', text)
 *         if unicodedata.category(c) != 'Mn')  — BERT's _run_strip_accents. */
lp_status lp__text_strip_accents(lp__ustr *u);

/* unicodedata.normalize('NFC', text): canonical decomposition, canonical
 * ordering of combining marks, canonical composition (Hangul by
 * arithmetic), from the tables of the Unicode version lp__uc_version names. */
lp_status lp__text_nfc(lp__ustr *u);

/* What lp__text_remove deletes. */
typedef struct lp__text_removal {
    int             punctuation;   /* Unicode P* and string.punctuation */
    int             digits;        /* str.isdecimal */
    const uint32_t *chars;         /* and these code points (sorted) */
    size_t          n_chars;
} lp__text_removal;

/* ''.join(c for c in text if not <c is one of those>). */
void lp__text_remove(lp__ustr *u, const lp__text_removal *what);

/* ' '.join(text.split()): runs of str.isspace become one space, none at
 * either end. */
void lp__text_collapse_whitespace(lp__ustr *u);

/* Whether cp is in the sorted set[0..n). */
int lp__cp_in_set(const uint32_t *set, size_t n, uint32_t cp);

#endif
