/* cells.c — see cells.h. */
#include "cells.h"

#include <math.h>

#include "../core/error.h"
#ifndef LP_NO_ONNX
#include "../ops/graph.h"
#endif

float lp__value_to_f32(const lp_model *m, size_t feature, double v)
{
    if (m->ensemble) m = lp__ensemble_slot(m, &feature);   /* the member's own rules */
    /* Compared in float32, as XGBoost compares its `missing` value. */
    float f = (float)v;
    for (size_t i = 0; i < m->n_missing_values; i++)
        if (f == (float)m->missing_values[i]) return NAN;
    if (!m->prep) return f;
    const lp__feature_prep *p = &m->prep[feature];
    if (p->n_categories && v == v) {   /* a number naming a category */
        long code = lp__prep_number_code(p, v);
        v = code < 0 ? NAN : (double)code;
    }
    return lp__prep_apply(p, v);
}

lp_status lp__bad_cell(const char *text, size_t len, lp_error *err)
{
    int shown = len > 40 ? 40 : (int)len;
    return lp__fail(err, LP_ERR_BAD_NUMBER, "not a number: \"%.*s%s\" (a numeric column takes "
                    "numbers; empty, NA, NaN or null mean missing)", shown, text, len > 40 ? "..." : "");
}

#ifndef LP_NO_ONNX
/* A cell of an ONNX string input that the model only casts to numbers
 * (ops/cast_string.c): its text read as onnxruntime's Cast reads it, so an
 * empty cell or a word fails as onnxruntime fails, "nan" is NaN and "12abc"
 * is 12.  Integers travel as float32: exact up to 2^24. */
static lp_status text_number_cell(int integer, const char *text, size_t len, float *out, lp_error *err)
{
    double v;
    const char *what = lp__text_to_number(text, len, integer, &v);
    int shown = len > 40 ? 40 : (int)len;
    if (!what && integer && !(v >= -16777216.0 && v <= 16777216.0))
        return lp__fail(err, LP_ERR_BAD_NUMBER, "\"%.*s%s\" is an integer beyond 2^24, which the engine does not carry "
                        "exactly (numbers travel as float32)", shown, text, len > 40 ? "..." : "");
    if (!what) {
        *out = (float)v;
        return LP_OK;
    }
    return lp__fail(err, LP_ERR_BAD_NUMBER, "\"%.*s%s\" is %s (the model casts this text column to %s as "
                    "onnxruntime does, and onnxruntime fails on it too)", shown, text, len > 40 ? "..." : "", what,
                    integer ? "integers" : "numbers");
}
#endif

lp_status lp__cell_to_f32_prepared(const lp_model *m, size_t feature, const char *text, size_t len, float *out,
                                   lp_error *err)
{
    if (m->ensemble) {   /* an ensemble's slot: the member's own rules */
        m = lp__ensemble_slot(m, &feature);
        return lp__cell_to_f32(m, feature, text, len, out, err);
    }
    double v = 0;
    if (m->inputs && m->inputs[feature].kind != LP__INPUT_NUMBER) {
        /* A typed input (integer, boolean, category name): its value, then the model's rule. */
        lp_status s = lp__input_cell(&m->inputs[feature], text, len, &v, err);
        if (s == LP_OK) *out = v == v ? lp__value_to_f32(m, feature, v) : m->prep ? lp__prep_apply(&m->prep[feature], NAN) : NAN;
        return s;
    }
#ifndef LP_NO_ONNX
    if (m->graph && m->prep && (m->prep[feature].kind == LP__PREP_TEXT_REAL || m->prep[feature].kind == LP__PREP_TEXT_INT))
        return text_number_cell(m->prep[feature].kind == LP__PREP_TEXT_INT, text, len, out, err);
    if (m->graph && m->prep && m->prep[feature].kind == LP__PREP_CATEGORY) {
        /* An ONNX string input (onnx_load.c, string_features): the cell is
         * its text, as onnxruntime is fed it, so an empty cell is the empty
         * string and "NA" is "NA" (each a category if the model lists it,
         * else a string it does not know), never "missing". */
        long code = lp__prep_category_code(&m->prep[feature], text, len);
        *out = lp__prep_apply(&m->prep[feature], code < 0 ? NAN : (double)code);
        return LP_OK;
    }
#endif
    lp__cell_kind kind = lp__parse_cell(text, len, &v);
    if (kind == LP__CELL_MISSING) {
        *out = m->prep ? lp__prep_apply(&m->prep[feature], NAN) : NAN;
        return LP_OK;
    }
    if (m->prep && m->prep[feature].n_categories) {
        /* As LightGBM's pandas path: the category's position in the training
         * categories; one not seen in training is missing. */
        long code = lp__prep_category_code(&m->prep[feature], text, len);
        *out = lp__prep_apply(&m->prep[feature], code < 0 ? NAN : (double)code);
        return LP_OK;
    }
    if (kind == LP__CELL_NUMBER) {
        *out = lp__value_to_f32(m, feature, v);
        return LP_OK;
    }
    return lp__bad_cell(text, len, err);
}
