/* feature_prep.c — see feature_prep.h. */
#include "feature_prep.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* #{ i : t_i < v } by binary search. */
static size_t rank_of(const double *t, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

float lp__prep_apply(const lp__feature_prep *p, double v)
{
    switch ((lp__prep_kind)p->kind) {
    case LP__PREP_RANK:
        if (v != v) {
            if (!p->nan_to_zero) return NAN;   /* missing type NaN: the node's default */
            v = 0.0;                           /* LightGBM: NaN reads as 0.0 */
        }
        if (p->zero_is_missing && v >= -LP__LGB_ZERO_THRESHOLD && v <= LP__LGB_ZERO_THRESHOLD)
            return NAN;
        return (float)rank_of(p->thresholds, p->n_thresholds, v);
    case LP__PREP_RANK_EQ: {
        if (v != v) return NAN;
        size_t r = rank_of(p->thresholds, p->n_thresholds, v);
        return (float)(2 * r + (r < p->n_thresholds && p->thresholds[r] == v));
    }
    case LP__PREP_CATEGORY:
        /* LightGBM: NaN → right; static_cast<int>(v) < 0 → right.  Truncation
         * keeps (-1, 0) at category 0; beyond int range counts as negative
         * (what the cast yields on the hosts LightGBM runs on). */
        if (v != v) return NAN;
        if (v <= -1.0 || v >= 2147483648.0) return -1.0f;
        return (float)trunc(v) + 0.0f;   /* + 0.0f: -0.0 becomes 0 */
    default:
        return (float)v;
    }
}

size_t lp__prep_threshold_index(const lp__feature_prep *p, double t)
{
    return rank_of(p->thresholds, p->n_thresholds, t);
}

long lp__prep_category_code(const lp__feature_prep *p, const char *text, size_t len)
{
    char *end = NULL;
    char buf[64];
    double num = NAN;
    if (len > 0 && len < sizeof buf) {
        memcpy(buf, text, len);
        buf[len] = '\0';
        num = strtod(buf, &end);
        if (end != buf + len) num = NAN;
    }
    for (size_t i = 0; i < p->n_categories; i++) {
        const lp__category *c = &p->categories[i];
        if (c->number == c->number ? num == c->number
                                   : strlen(c->text) == len && memcmp(c->text, text, len) == 0)
            return (long)i;
    }
    /* pandas prints booleans True/False; the JSON list holds true/false. */
    for (size_t i = 0; i < p->n_categories; i++) {
        const char *t = p->categories[i].text;
        if ((strcmp(t, "true") == 0 && len == 4 && memcmp(text, "True", 4) == 0) ||
            (strcmp(t, "false") == 0 && len == 5 && memcmp(text, "False", 5) == 0))
            return (long)i;
    }
    return -1;
}

long lp__prep_number_code(const lp__feature_prep *p, double v)
{
    for (size_t i = 0; i < p->n_categories; i++)
        if (p->categories[i].number == v) return (long)i;
    return -1;
}

void lp__prep_free(lp__feature_prep *prep, size_t n_features)
{
    if (!prep) return;
    for (size_t f = 0; f < n_features; f++) {
        free(prep[f].thresholds);
        for (size_t i = 0; i < prep[f].n_categories; i++) free(prep[f].categories[i].text);
        free(prep[f].categories);
    }
    free(prep);
}
