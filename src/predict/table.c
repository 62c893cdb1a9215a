/* table.c — batch prediction on caller memory: a typed column table
 * (lp_model_predict_table) or a float32 matrix (lp_model_predict_matrix).
 * Rows are predicted in blocks so scratch memory stays bounded whatever the
 * row count.  String cells follow the same rule as CSV cells (cells.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../formats/ensemble.h"
#include "binding.h"
#include "cells.h"
#include "outputs.h"
#include "text_batch.h"

#define BLOCK_ROWS 1024

lp_predict_options lp_predict_options_default(void)
{
    lp_predict_options o;
    o.threshold = NAN;
    return o;
}

typedef struct scratch {
    float *x, *margins;
} scratch;

/* Room for one block of rows, or all n_rows when fewer (a one-row call
 * should not allocate for a thousand). */
static lp_status scratch_alloc(scratch *s, const lp_model *m, size_t stride, size_t n_rows, lp_error *err)
{
    size_t rows = n_rows == 0 ? 1 : n_rows < BLOCK_ROWS ? n_rows : BLOCK_ROWS;
    s->x = malloc(rows * stride * sizeof *s->x);
    s->margins = malloc(rows * lp__model_margin_width(m) * sizeof *s->margins);
    if (!s->x || !s->margins) {
        free(s->x);
        free(s->margins);
        s->x = s->margins = NULL;   /* the caller's scratch_free runs too */
        return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    return LP_OK;
}

static void scratch_free(scratch *s)
{
    free(s->x);
    free(s->margins);
}

static lp_status cell_value(const lp_model *m, size_t feature, const lp_column *col, size_t row, float *out,
                            lp_error *err)
{
    if (col->missing && col->missing[row]) {
        *out = m->prep ? lp__prep_apply(&m->prep[feature], NAN) : NAN;
        return LP_OK;
    }
    switch (col->type) {
    case LP_COL_F32: *out = lp__value_to_f32(m, feature, ((const float *)col->data)[row]); return LP_OK;
    case LP_COL_F64: *out = lp__value_to_f32(m, feature, ((const double *)col->data)[row]); return LP_OK;
    case LP_COL_I64: *out = lp__value_to_f32(m, feature, (double)((const int64_t *)col->data)[row]); return LP_OK;
    case LP_COL_STR: {
        uint32_t a = col->str_offsets[row], b = col->str_offsets[row + 1];
        if (b < a) return lp__fail(err, LP_ERR_USAGE, "string offsets go backwards at row %zu", row);
        return lp__cell_to_f32(m, feature, (const char *)col->data + a, b - a, out, err);
    }
    }
    return lp__fail(err, LP_ERR_USAGE, "unknown column type %d", (int)col->type);
}

#ifndef LP_NO_TEXT
#define TEXT_BLOCK_ROWS 64   /* rows x max_length ids (and mask, type ids) at a time */

/* A text model's rows: each row's text cells (strings; a missing cell is the
 * empty text, as an empty CSV cell; a number is refused) become token ids, as
 * in a CSV job. */
static lp_status predict_text_table(const lp_model *m, const lp_table *t, const size_t *feature_col,
                                    const char *const *names, const size_t *lens, double threshold, float *proba,
                                    uint8_t *chosen, lp_error *err)
{
    lp__text_batch b;
    float *margins = malloc(TEXT_BLOCK_ROWS * lp__model_margin_width(m) * sizeof *margins);
    lp_status s = lp__text_batch_init(&b, m, TEXT_BLOCK_ROWS, err);
    if (s == LP_OK && !margins) s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
    for (size_t start = 0; s == LP_OK && start < t->n_rows; start += TEXT_BLOCK_ROWS) {
        size_t n = t->n_rows - start < TEXT_BLOCK_ROWS ? t->n_rows - start : TEXT_BLOCK_ROWS;
        for (size_t r = 0; s == LP_OK && r < n; r++) {
            for (size_t f = 0; s == LP_OK && f < m->n_features; f++) {
                size_t c = feature_col[f], row = start + r;
                const lp_column *col = &t->columns[c];
                b.cells[f] = (const uint8_t *)"", b.lens[f] = 0;
                if (col->missing && col->missing[row]) continue;
                if (col->type != LP_COL_STR) {
                    s = lp__fail(err, LP_ERR_USAGE, "a number, where a text model takes text (a string)");
                    if (err) lp__err_set_name(err->column, names[c], lens[c]), err->column_index = (int64_t)c;
                    break;
                }
                uint32_t a = col->str_offsets[row], e = col->str_offsets[row + 1];
                if (e < a) s = lp__fail(err, LP_ERR_USAGE, "string offsets go backwards at row %zu", row);
                b.cells[f] = (const uint8_t *)col->data + a, b.lens[f] = e - a;
            }
            if (s == LP_OK) s = lp__text_batch_row(m, &b, r, err);
            if (s != LP_OK && err) lp__err_prefix(err, "row %zu: ", start + r + 1);   /* the text step names the column */
        }
        if (s == LP_OK)
            s = lp__text_predict_batch(m, &b, n, threshold, margins, proba + start * m->n_outputs,
                                       chosen ? chosen + start * m->n_outputs : NULL, err);
    }
    lp__text_batch_free(&b);   /* (zeroed by init, whatever happened) */
    free(margins);
    return s;
}
#endif

lp_status lp_model_predict_table(const lp_model *m, const lp_table *t, const lp_predict_options *opts,
                                 float *proba, uint8_t *chosen, lp_error *err)
{
    lp_error_clear(err);
    if (!m || !t || !proba || (t->n_columns && !t->columns))
        return lp__fail(err, LP_ERR_USAGE, "lp_model_predict_table: missing model, table or output");
    double threshold = opts ? opts->threshold : NAN;

    const char **names = malloc((t->n_columns + 1) * sizeof *names);
    size_t *lens = malloc((t->n_columns + 1) * sizeof *lens);
    size_t *feature_col = malloc((m->n_features + 1) * sizeof *feature_col);
    lp_status s = names && lens && feature_col ? LP_OK : lp__fail(err, LP_ERR_NOMEM, "out of memory");
    for (size_t c = 0; s == LP_OK && c < t->n_columns; c++) {
        names[c] = t->columns[c].name ? t->columns[c].name : "";
        lens[c] = strlen(names[c]);
    }
    /* Unnamed columns are the model's features in order. */
    int positional = t->n_columns > 0 && t->columns[0].name == NULL;
    if (s == LP_OK && positional && m->ensemble) {   /* input column i feeds every member's feature i */
        s = lp__ensemble_bind_positional(m, t->n_columns, feature_col, err);
    } else if (s == LP_OK && positional) {
        if (t->n_columns != m->n_features)
            s = lp__fail(err, LP_ERR_COLUMN_COUNT, "the rows have %zu values but the model has %zu features",
                         t->n_columns, m->n_features);
        for (size_t f = 0; s == LP_OK && f < m->n_features; f++) feature_col[f] = f;
    } else if (s == LP_OK) {
        s = lp__bind_columns(m, names, lens, t->n_columns, feature_col, err);
    }
    if (s != LP_OK && err) err->line = 0;   /* a table has no header line */

#ifndef LP_NO_TEXT
    if (s == LP_OK && m->text) {   /* text cells become token ids */
        s = predict_text_table(m, t, feature_col, names, lens, threshold, proba, chosen, err);
        free(names);
        free(lens);
        free(feature_col);
        return s;
    }
#endif
    size_t stride = m->n_features ? m->n_features : 1;
    scratch sc = {0};
    if (s == LP_OK) s = scratch_alloc(&sc, m, stride, t->n_rows, err);
    for (size_t start = 0; s == LP_OK && start < t->n_rows; start += BLOCK_ROWS) {
        size_t n = t->n_rows - start < BLOCK_ROWS ? t->n_rows - start : BLOCK_ROWS;
        for (size_t r = 0; s == LP_OK && r < n; r++)
            for (size_t f = 0; s == LP_OK && f < m->n_features; f++) {
                if (feature_col[f] == LP__ABSENT_COLUMN) {   /* a map key no column names */
                    sc.x[r * stride + f] = NAN;
                    continue;
                }
                const lp_column *col = &t->columns[feature_col[f]];
                s = cell_value(m, f, col, start + r, &sc.x[r * stride + f], err);
                if (s != LP_OK && err) {
                    lp__err_prefix(err, "row %zu: ", start + r + 1);
                    lp__err_set_name(err->column, names[feature_col[f]], lens[feature_col[f]]);
                    err->column_index = (int64_t)feature_col[f];
                }
            }
        if (s == LP_OK)
            s = lp__predict_batch(m, sc.x, n, threshold, sc.margins, proba + start * m->n_outputs,
                                  chosen ? chosen + start * m->n_outputs : NULL, err);
        if (s != LP_OK && err && err->line) {   /* a value the graph refused: its row and column */
            lp__err_prefix(err, "row %zu: ", start + (size_t)err->line);
            err->line = 0;
            size_t f = (size_t)err->column_index;
            if (err->column_index >= 0 && f < m->n_features && feature_col[f] != LP__ABSENT_COLUMN) {
                lp__err_set_name(err->column, names[feature_col[f]], lens[feature_col[f]]);
                err->column_index = (int64_t)feature_col[f];
            }
        }
    }
    scratch_free(&sc);
    free(names);
    free(lens);
    free(feature_col);
    return s;
}

lp_status lp_model_predict_matrix(const lp_model *m, const float *data, size_t n_rows, size_t n_cols,
                                  const lp_predict_options *opts, float *proba, uint8_t *chosen,
                                  lp_error *err)
{
    lp_error_clear(err);
    if (!m || (!data && n_rows) || !proba)
        return lp__fail(err, LP_ERR_USAGE, "lp_model_predict_matrix: missing model, data or output");
    if (m->ensemble)   /* the columns are its input columns: each member takes its own */
        return lp__ensemble_predict_matrix(m, data, n_rows, n_cols, opts ? opts->threshold : NAN, proba, chosen, err);
    if (m->text)
        return lp__fail(err, LP_ERR_UNSUPPORTED, "a text model takes text, not a numeric matrix: give rows "
                        "(objects or arrays) holding the text, or a CSV");
    if (n_cols != m->n_features)
        return lp__fail(err, LP_ERR_COLUMN_COUNT, "the matrix has %zu columns but the model has %zu features",
                        n_cols, m->n_features);
    double threshold = opts ? opts->threshold : NAN;
    size_t stride = m->n_features ? m->n_features : 1;
    scratch sc = {0};
    lp_status s = scratch_alloc(&sc, m, stride, n_rows, err);
    int need_copy = m->n_features == 0 || m->n_missing_values > 0 || m->prep != NULL;
    for (size_t start = 0; s == LP_OK && start < n_rows; start += BLOCK_ROWS) {
        size_t n = n_rows - start < BLOCK_ROWS ? n_rows - start : BLOCK_ROWS;
        const float *x = data + start * n_cols;
        if (need_copy) {   /* sentinels to NaN, per-feature preparation, or a padding slot for a featureless model */
            for (size_t r = 0; r < n; r++) {
                sc.x[r * stride] = NAN;
                for (size_t f = 0; f < n_cols; f++)
                    sc.x[r * stride + f] = lp__value_to_f32(m, f, x[r * n_cols + f]);
            }
            x = sc.x;
        }
        s = lp__predict_batch(m, x, n, threshold, sc.margins, proba + start * m->n_outputs,
                              chosen ? chosen + start * m->n_outputs : NULL, err);
        if (s != LP_OK && err && err->line) {   /* a value the graph refused: the matrix row */
            lp__err_prefix(err, "row %zu: ", start + (size_t)err->line);
            err->line = 0;
        }
    }
    scratch_free(&sc);
    return s;
}
