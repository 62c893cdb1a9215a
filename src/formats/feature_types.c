/* feature_types.c — see feature_types.h. */
#include "feature_types.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../io/number.h"

static const char *const kind_names[] = {"number", "integer", "boolean", "category"};

const char *lp__input_kind_name(unsigned kind)
{
    return kind <= LP__INPUT_LAST ? kind_names[kind] : "unknown";
}

/* Byte order, shorter first on a common prefix (memcmp's order). */
static int compare_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

static int name_less(char *const *names, uint32_t a, uint32_t b)
{
    return compare_bytes(names[a], strlen(names[a]), names[b], strlen(names[b])) < 0;
}

/* Sorts idx[0..n) by name (a merge sort: the engine keeps no global state,
 * so no qsort with a static context). */
static void sort_by_name(char *const *names, uint32_t *idx, uint32_t *tmp, size_t n)
{
    if (n < 2) return;
    size_t h = n / 2;
    sort_by_name(names, idx, tmp, h);
    sort_by_name(names, idx + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = name_less(names, idx[j], idx[i]) ? idx[j++] : idx[i++];
    while (i < h) tmp[k++] = idx[i++];
    while (j < n) tmp[k++] = idx[j++];
    memcpy(idx, tmp, n * sizeof *idx);
}

lp_status lp__input_set_categories(lp__input_spec *s, char **names, double *codes, size_t n, const char *where,
                                   lp_status bad, lp_error *err)
{
    uint32_t *sorted = malloc((n ? n : 1) * sizeof *sorted), *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!sorted || !tmp || n > UINT32_MAX) {
        for (size_t i = 0; i < n; i++) free(names[i]);
        free(names);
        free(codes);
        free(sorted);
        free(tmp);
        return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) sorted[i] = (uint32_t)i;
    sort_by_name(names, sorted, tmp, n);
    free(tmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(names[sorted[i - 1]], names[sorted[i]]) == 0) {
            lp__fail(err, bad, "%s: category \"%.80s\" appears twice", where, names[sorted[i]]);
            for (size_t k = 0; k < n; k++) free(names[k]);
            free(names);
            free(codes);
            free(sorted);
            return bad;
        }
    for (size_t i = 0; i < s->n_categories; i++) free(s->names[i]);
    free(s->names);
    free(s->codes);
    free(s->sorted);
    s->kind = LP__INPUT_CATEGORY;
    s->names = names;
    s->codes = codes;
    s->sorted = sorted;
    s->n_categories = n;
    return LP_OK;
}

/* The index of the category named text[0..len), or -1. */
static long find_category(const lp__input_spec *s, const char *text, size_t len)
{
    size_t lo = 0, hi = s->n_categories;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *name = s->names[s->sorted[mid]];
        int c = compare_bytes(name, strlen(name), text, len);
        if (c == 0) return (long)s->sorted[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

void lp__category_number_text(double v, char *buf, size_t cap)
{
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, cap, "%.*g", p, v);
        if (strtod(buf, NULL) == v) return;
    }
}

static int equals_nocase(const char *text, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (len != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != word[i]) return 0;
    }
    return 1;
}

/* The cell as quoted in messages: at most 40 bytes. */
#define SHOWN(len) ((int)((len) > 40 ? 40 : (len)))
#define MORE(len) ((len) > 40 ? "..." : "")

static lp_status unknown_category(const lp__input_spec *s, const char *text, size_t len, lp_error *err)
{
    char known[200];
    size_t at = 0;
    known[0] = '\0';
    for (size_t i = 0; i < s->n_categories && at < sizeof known - 40; i++) {
        int w = snprintf(known + at, sizeof known - at, "%s\"%.24s\"", i ? ", " : "", s->names[i]);
        if (w < 0) break;
        at += (size_t)w;
    }
    if (at >= sizeof known - 40 && s->n_categories) snprintf(known + at, sizeof known - at, ", ...");
    return lp__fail(err, LP_ERR_UNKNOWN_CATEGORY, "unknown category \"%.*s%s\": the model knows %zu (%s); "
                    "a manifest can map it, or read unknown categories as missing (\"unknown\": \"missing\")",
                    SHOWN(len), text, MORE(len), s->n_categories, known);
}

lp_status lp__input_cell(const lp__input_spec *s, const char *text, size_t len, double *out, lp_error *err)
{
    double v = NAN;
    lp__cell_kind kind = lp__parse_cell(text, len, &v);
    if (kind == LP__CELL_MISSING) {
        *out = NAN;
        return LP_OK;
    }
    switch (s->kind) {
    case LP__INPUT_INTEGER:
        if (kind == LP__CELL_NUMBER && v == floor(v)) break;
        return lp__fail(err, LP_ERR_BAD_NUMBER, "not a whole number: \"%.*s%s\" (the manifest types this column "
                        "\"integer\")", SHOWN(len), text, MORE(len));
    case LP__INPUT_BOOLEAN:
        if (equals_nocase(text, len, "true") || (kind == LP__CELL_NUMBER && v == 1)) v = 1;
        else if (equals_nocase(text, len, "false") || (kind == LP__CELL_NUMBER && v == 0)) v = 0;
        else
            return lp__fail(err, LP_ERR_BAD_NUMBER, "not a boolean: \"%.*s%s\" (the manifest types this column "
                            "\"boolean\": true, false, 1 or 0)", SHOWN(len), text, MORE(len));
        break;
    case LP__INPUT_CATEGORY: {
        long i = find_category(s, text, len);
        if (i < 0 && s->numeric_names && kind == LP__CELL_NUMBER) {
            char name[40];
            lp__category_number_text(v, name, sizeof name);
            i = find_category(s, name, strlen(name));
        }
        if (i >= 0) v = s->codes[i];
        else if (s->unknown_missing) v = NAN;
        else return unknown_category(s, text, len, err);
        break;
    }
    default:
        if (kind != LP__CELL_NUMBER)
            return lp__fail(err, LP_ERR_BAD_NUMBER, "not a number: \"%.*s%s\" (a numeric column takes numbers; "
                            "empty, NA, NaN or null mean missing)", SHOWN(len), text, MORE(len));
        break;
    }
    *out = v;
    return LP_OK;
}

void lp__inputs_free(lp__input_spec *inputs, size_t n)
{
    for (size_t f = 0; inputs && f < n; f++) {
        for (size_t i = 0; i < inputs[f].n_categories; i++) free(inputs[f].names[i]);
        free(inputs[f].names);
        free(inputs[f].codes);
        free(inputs[f].sorted);
    }
    free(inputs);
}
