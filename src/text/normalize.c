/* normalize.c — see normalize.h. */
#include "normalize.h"

#include <string.h>

#include "unicode.h"

enum { CAPITAL_SIGMA = 0x3A3, SMALL_SIGMA = 0x3C3, FINAL_SIGMA = 0x3C2 };

/* Python's final-sigma rule (Objects/unicodeobject.c, handle_capital_sigma):
 * a cased letter before Σ and none after it, case-ignorable ones skipped. */
static int is_final_sigma(const uint32_t *s, size_t len, size_t i)
{
    size_t j = i;
    while (j > 0 && lp__uc_is(LP__UC_CASE_IGNORABLE, s[j - 1])) j--;
    if (j == 0 || !lp__uc_is(LP__UC_CASED, s[j - 1])) return 0;
    j = i + 1;
    while (j < len && lp__uc_is(LP__UC_CASE_IGNORABLE, s[j])) j++;
    return j == len || !lp__uc_is(LP__UC_CASED, s[j]);
}

lp_status lp__text_lower(lp__ustr *u)
{
    size_t extra = 0;   /* U+0130 is the one code point whose lowercase is two */
    for (size_t i = 0; i < u->len; i++) extra += u->cp[i] == 0x130;
    if (extra && lp__ustr_reserve(u, extra) != LP_OK) return LP_ERR_NOMEM;
    /* Sigma looks at its neighbours as they were: decide those first. */
    for (size_t i = 0; i < u->len; i++)
        if (u->cp[i] == CAPITAL_SIGMA)
            u->cp[i] = is_final_sigma(u->cp, u->len, i) ? FINAL_SIGMA : SMALL_SIGMA;
    /* Back to front, so the expansion of U+0130 never overwrites unread text. */
    size_t w = u->len + extra;
    for (size_t i = u->len; i-- > 0;) {
        uint32_t out[2];
        size_t n = lp__uc_lower(u->cp[i], out);
        while (n) u->cp[--w] = out[--n];
    }
    u->len += extra;
    return LP_OK;
}

/* Appends cp's full canonical decomposition (recursively; at most 4 levels
 * in Unicode's data). */
static lp_status decompose_into(lp__ustr *out, uint32_t cp, int depth)
{
    uint32_t parts[3];
    size_t n = depth < 8 ? lp__uc_decompose(cp, parts) : 0;
    if (!n) return lp__ustr_push(out, cp);
    for (size_t i = 0; i < n; i++)
        if (decompose_into(out, parts[i], depth + 1) != LP_OK) return LP_ERR_NOMEM;
    return LP_OK;
}

lp_status lp__text_nfc(lp__ustr *u)
{
    lp__ustr d = {0};
    if (lp__ustr_reserve(&d, u->len) != LP_OK) return LP_ERR_NOMEM;
    for (size_t i = 0; i < u->len; i++)
        if (decompose_into(&d, u->cp[i], 0) != LP_OK) {
            lp__ustr_free(&d);
            return LP_ERR_NOMEM;
        }
    /* canonical ordering: a stable sort of each run of marks by class */
    for (size_t i = 1; i < d.len; i++) {
        uint8_t c = lp__uc_ccc_of(d.cp[i]);
        if (!c) continue;
        for (size_t j = i; j > 0; j--) {
            uint8_t prev = lp__uc_ccc_of(d.cp[j - 1]);
            if (prev <= c) break;
            uint32_t t = d.cp[j];
            d.cp[j] = d.cp[j - 1], d.cp[j - 1] = t;
        }
    }
    /* canonical composition (UAX #15): each mark or starter joins the last
     * starter unless a character between them blocks it (same or higher
     * class, or a starter) */
    size_t w = 0, starter = SIZE_MAX;
    int last = -1;   /* class of the last character kept after the starter; -1: none since it */
    for (size_t i = 0; i < d.len; i++) {
        uint32_t cp = d.cp[i];
        int c = lp__uc_ccc_of(cp);
        if (starter != SIZE_MAX && (last < 0 || last < c)) {
            uint32_t composite = lp__uc_compose(d.cp[starter], cp);
            if (composite) {
                d.cp[starter] = composite;
                continue;
            }
        }
        if (c == 0) starter = w, last = -1;
        else last = c;
        d.cp[w++] = cp;
    }
    d.len = w;
    lp__ustr_free(u);
    *u = d;
    return LP_OK;
}

lp_status lp__text_strip_accents(lp__ustr *u)
{
    /* Decomposition can lengthen the text (a Hangul syllable becomes up to
     * three jamo), so it is built in a second array. */
    lp__ustr out = {0};
    if (lp__ustr_reserve(&out, u->len) != LP_OK) return LP_ERR_NOMEM;
    for (size_t i = 0; i < u->len; i++) {
        uint32_t parts[3];
        size_t n = lp__uc_strip_accents(u->cp[i], parts);
        if (lp__ustr_reserve(&out, n) != LP_OK) {
            lp__ustr_free(&out);
            return LP_ERR_NOMEM;
        }
        for (size_t k = 0; k < n; k++) out.cp[out.len++] = parts[k];
    }
    lp__ustr_free(u);
    *u = out;
    return LP_OK;
}

int lp__cp_in_set(const uint32_t *set, size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (set[mid] < cp) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && set[lo] == cp;
}

void lp__text_remove(lp__ustr *u, const lp__text_removal *what)
{
    size_t w = 0;
    for (size_t i = 0; i < u->len; i++) {
        uint32_t c = u->cp[i];
        if ((what->punctuation && lp__uc_is(LP__UC_PUNCT, c)) || (what->digits && lp__uc_is(LP__UC_DIGIT, c)) ||
            lp__cp_in_set(what->chars, what->n_chars, c))
            continue;
        u->cp[w++] = c;
    }
    u->len = w;
}

void lp__text_collapse_whitespace(lp__ustr *u)
{
    size_t w = 0;
    int pending_space = 0;
    for (size_t i = 0; i < u->len; i++) {
        uint32_t c = u->cp[i];
        if (lp__uc_is(LP__UC_SPACE, c)) {
            pending_space = w > 0;
            continue;
        }
        if (pending_space) u->cp[w++] = ' ', pending_space = 0;
        u->cp[w++] = c;
    }
    u->len = w;
}
