/* binding.c — see binding.h. */
#include "binding.h"

#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "../formats/ensemble.h"
#ifndef LP_NO_ONNX
#include "../ops/graph.h"
#endif

static int same(const char *a, size_t a_len, const char *b)
{
    return strlen(b) == a_len && memcmp(a, b, a_len) == 0;
}

/* Equal ignoring ASCII case and surrounding spaces: the usual near miss. */
static int near_miss(const char *a, size_t a_len, const char *b)
{
    size_t b_len = strlen(b);
    while (a_len && *a == ' ') a++, a_len--;
    while (a_len && a[a_len - 1] == ' ') a_len--;
    while (b_len && *b == ' ') b++, b_len--;
    while (b_len && b[b_len - 1] == ' ') b_len--;
    if (a_len != b_len) return 0;
    for (size_t i = 0; i < a_len; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x != y) return 0;
    }
    return 1;
}

/* The first and one-past-last feature of the ONNX map input feature f
 * belongs to (its columns are the map's keys), or 0 when f is not a key. */
static int map_features(const lp_model *m, size_t f, size_t *first, size_t *end)
{
#ifndef LP_NO_ONNX
    const lp__graph *g = m->graph;
    for (size_t k = 0, at = 0; g && !m->ensemble && k < g->n_inputs; at += g->inputs[k].width, k++)
        if (f >= at && f < at + g->inputs[k].width) {
            *first = at, *end = at + g->inputs[k].width;
            return g->inputs[k].columns != NULL;
        }
#endif
    (void)m, (void)f, (void)first, (void)end;
    return 0;
}

lp_status lp__bind_columns(const lp_model *m, const char *const *names, const size_t *lens,
                           size_t n_columns, size_t *feature_col, lp_error *err)
{
    if (m->ensemble && !m->feature_names) return lp__ensemble_bind_positional(m, n_columns, feature_col, err);
    if (!m->feature_names) {
        if (n_columns != m->n_features) {
            lp__fail(err, LP_ERR_COLUMN_COUNT,
                     "the model has %zu unnamed features, taken by position, but the input has %zu "
                     "columns (name them with a manifest's \"features\" to pick columns by name)",
                     m->n_features, n_columns);
            if (err) err->line = 1;
            return LP_ERR_COLUMN_COUNT;
        }
        for (size_t f = 0; f < m->n_features; f++) feature_col[f] = f;
        return LP_OK;
    }

    /* Every missing name is listed (the page shows them all); only a list
     * longer than the message itself is cut. */
    char msg[LP_ERROR_MESSAGE_CAP];
    size_t used = 0, n_missing = 0;
    const char *first_missing = NULL;
    msg[0] = '\0';
    for (size_t f = 0; f < m->n_features; f++) {
        const char *want = m->feature_names[f];
        size_t found = n_columns, hint = n_columns;
        for (size_t c = 0; c < n_columns; c++) {
            if (same(names[c], lens[c], want)) {
                if (found != n_columns) {
                    lp__fail(err, LP_ERR_DUPLICATE_COLUMN,
                             "the header has column \"%s\" twice, so it is not clear which one to use", want);
                    if (err) lp__err_set_name(err->column, want, strlen(want)), err->line = 1;
                    /* (lp_error_format leaves the column out: the message names it) */
                    return LP_ERR_DUPLICATE_COLUMN;
                }
                found = c;
            } else if (hint == n_columns && near_miss(names[c], lens[c], want)) {
                hint = c;
            }
        }
        feature_col[f] = found;
        if (found != n_columns) continue;
        size_t first, end;
        if (map_features(m, f, &first, &end)) {   /* a key the rows' maps lack, if another key's column is there */
            int other = 0;
            for (size_t k = first; k < end && !other; k++)
                for (size_t c = 0; c < n_columns && !other; c++) other = same(names[c], lens[c], m->feature_names[k]);
            if (other) {
                feature_col[f] = LP__ABSENT_COLUMN;
                continue;
            }
        }
        int listed = 0;   /* an ensemble's members may need the same column: name it once */
        for (size_t g = 0; m->ensemble && g < f && !listed; g++) listed = strcmp(m->feature_names[g], want) == 0;
        if (listed) continue;
        if (!first_missing) first_missing = want;
        n_missing++;
        int k;
        if (hint != n_columns)
            k = snprintf(msg + used, sizeof msg - used, "%s\"%s\" (the input has \"%.*s\")",
                         n_missing > 1 ? ", " : "", want, (int)lens[hint], names[hint]);
        else
            k = snprintf(msg + used, sizeof msg - used, "%s\"%s\"", n_missing > 1 ? ", " : "", want);
        if (k > 0) used = used + (size_t)k < sizeof msg ? used + (size_t)k : sizeof msg - 1;
    }
    if (!n_missing) return LP_OK;
    lp__fail(err, LP_ERR_MISSING_COLUMN, "the input lacks %zu column%s the model needs: %s", n_missing,
             n_missing > 1 ? "s" : "", msg);
    if (err) {
        lp__err_set_name(err->column, first_missing, strlen(first_missing));
        err->line = 1;
    }
    return LP_ERR_MISSING_COLUMN;
}
