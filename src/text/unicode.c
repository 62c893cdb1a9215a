/* unicode.c — lookups in the generated tables (see unicode.h): binary
 * searches over sorted, disjoint ranges and runs, with the ASCII cases
 * answered first because most text is mostly ASCII. */
#include "unicode.h"

int lp__uc_is(lp__uc_prop prop, uint32_t cp)
{
    const lp__uc_table *t = &lp__uc_props[prop];
    size_t lo = 0, hi = t->count;   /* the first range with last >= cp is in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->ranges[mid].last < cp) lo = mid + 1;
        else hi = mid;
    }
    return lo < t->count && t->ranges[lo].first <= cp;
}

size_t lp__uc_lower(uint32_t cp, uint32_t out[2])
{
    out[0] = cp;
    if (cp < 0x80) {
        if (cp >= 'A' && cp <= 'Z') out[0] = cp + 32;
        return 1;
    }
    if (cp == 0x130) {   /* LATIN CAPITAL LETTER I WITH DOT ABOVE: "i" + COMBINING DOT ABOVE */
        out[0] = 'i', out[1] = 0x307;
        return 2;
    }
    size_t lo = 0, hi = lp__uc_lower_runs_count;   /* the last run starting at or before cp */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lp__uc_lower_runs[mid].first <= cp) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0) return 1;
    const lp__uc_run *r = &lp__uc_lower_runs[lo - 1];
    uint32_t offset = cp - r->first;
    if (offset % r->step == 0 && offset / r->step < r->count)
        out[0] = r->is_const ? (uint32_t)r->value : (uint32_t)((int32_t)cp + r->value);
    return 1;
}

/* Hangul syllables decompose by arithmetic (Unicode 3.12). */
enum { HANGUL_S = 0xAC00, HANGUL_L = 0x1100, HANGUL_V = 0x1161, HANGUL_T = 0x11A7,
       HANGUL_V_COUNT = 21, HANGUL_T_COUNT = 28, HANGUL_COUNT = 11172 };

size_t lp__uc_strip_accents(uint32_t cp, uint32_t out[3])
{
    if (cp < 0xC0) {   /* nothing below À decomposes, nor is Mn */
        out[0] = cp;
        return 1;
    }
    if (cp >= HANGUL_S && cp < HANGUL_S + HANGUL_COUNT) {
        uint32_t s = cp - HANGUL_S, t = s % HANGUL_T_COUNT;
        out[0] = HANGUL_L + s / (HANGUL_V_COUNT * HANGUL_T_COUNT);
        out[1] = HANGUL_V + (s % (HANGUL_V_COUNT * HANGUL_T_COUNT)) / HANGUL_T_COUNT;
        if (!t) return 2;
        out[2] = HANGUL_T + t;
        return 3;
    }
    if (lp__uc_is(LP__UC_MN, cp)) return 0;
    size_t lo = 0, hi = lp__uc_strip_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lp__uc_strip_from[mid] < cp) lo = mid + 1;
        else hi = mid;
    }
    if (lo < lp__uc_strip_count && lp__uc_strip_from[lo] == cp) {
        out[0] = lp__uc_strip_to[lo];
        return 1;
    }
    for (size_t i = 0; i < lp__uc_strip_multi_count; i++)   /* 43 entries */
        if (lp__uc_strip_multi[i].cp == cp) {
            size_t n = 0;
            while (n < 3 && lp__uc_strip_multi[i].to[n]) out[n] = lp__uc_strip_multi[i].to[n], n++;
            return n;
        }
    out[0] = cp;
    return 1;
}

int lp__uc_is_cjk(uint32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

/* ---- NFC's pieces (lp__text_nfc) ---- */

uint8_t lp__uc_ccc_of(uint32_t cp)
{
    if (cp < 0x300) return 0;
    size_t lo = 0, hi = lp__uc_ccc_count;   /* the last range starting at or before cp */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lp__uc_ccc[mid].first <= cp) lo = mid + 1;
        else hi = mid;
    }
    return lo && cp <= lp__uc_ccc[lo - 1].last ? lp__uc_ccc[lo - 1].ccc : 0;
}

size_t lp__uc_decompose(uint32_t cp, uint32_t out[3])
{
    if (cp < 0xC0) return 0;
    if (cp >= HANGUL_S && cp < HANGUL_S + HANGUL_COUNT) {
        uint32_t s = cp - HANGUL_S, t = s % HANGUL_T_COUNT;
        out[0] = HANGUL_L + s / (HANGUL_V_COUNT * HANGUL_T_COUNT);
        out[1] = HANGUL_V + (s % (HANGUL_V_COUNT * HANGUL_T_COUNT)) / HANGUL_T_COUNT;
        if (!t) return 2;
        out[2] = HANGUL_T + t;
        return 3;
    }
    size_t lo = 0, hi = lp__uc_decomp_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lp__uc_decomp_from[mid] < cp) lo = mid + 1;
        else hi = mid;
    }
    if (lo == lp__uc_decomp_count || lp__uc_decomp_from[lo] != cp) return 0;
    out[0] = lp__uc_decomp_to[lo][0];
    out[1] = lp__uc_decomp_to[lo][1];
    return out[1] ? 2 : 1;
}

uint32_t lp__uc_compose(uint32_t a, uint32_t b)
{
    enum { L_COUNT = 19 };
    if (a >= HANGUL_L && a < HANGUL_L + L_COUNT && b >= HANGUL_V && b < HANGUL_V + HANGUL_V_COUNT)
        return HANGUL_S + ((a - HANGUL_L) * HANGUL_V_COUNT + (b - HANGUL_V)) * HANGUL_T_COUNT;
    if (a >= HANGUL_S && a < HANGUL_S + HANGUL_COUNT && (a - HANGUL_S) % HANGUL_T_COUNT == 0 && b > HANGUL_T &&
        b < HANGUL_T + HANGUL_T_COUNT)
        return a + (b - HANGUL_T);
    if (b < 0x300) return 0;   /* no composite's second part is below U+0300: plain text skips the search */
    size_t lo = 0, hi = lp__uc_compose_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const uint32_t *pair = lp__uc_decomp_to[lp__uc_compose_index[mid]];
        if (pair[0] < a || (pair[0] == a && pair[1] < b)) lo = mid + 1;
        else hi = mid;
    }
    if (lo == lp__uc_compose_count) return 0;
    const uint32_t *pair = lp__uc_decomp_to[lp__uc_compose_index[lo]];
    return pair[0] == a && pair[1] == b ? lp__uc_decomp_from[lp__uc_compose_index[lo]] : 0;
}
