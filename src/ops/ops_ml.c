/* ops_ml.c — ai.onnx.ml preprocessing and linear models, computed as
 * onnxruntime does (core/providers/cpu/ml/): Scaler y = (x - offset) * scale,
 * Normalizer (MAX, L1, L2; a zero norm leaves the row as is),
 * LinearClassifier (scores = x·Wᵀ + b, then post_transform) and
 * LinearRegressor.  Only the scores are computed: a classifier's label
 * output is the engine's Suggested Label instead. */
#include <math.h>
#include <string.h>

#include "../core/lp_math.h"
#include "../kernels/kernels.h"
#include "graph.h"

static const lp__onnx_attr *floats_attr(const lp__onnx_node *n, const char *name)
{
    const lp__onnx_attr *a = lp__onnx_attr_find(n, name);
    return a && a->type == LP_ONNX_ATTR_FLOATS ? a : NULL;
}

static const char *string_attr(const lp__onnx_node *n, const char *name, const char *dflt)
{
    const lp__onnx_attr *a = lp__onnx_attr_find(n, name);
    return a && a->type == LP_ONNX_ATTR_STRING ? a->s.data : dflt;
}

/* The rows: [N, F] float. */
static const lp__value *rows_input(const lp__graph *g, const lp__op *op, lp_error *err)
{
    const lp__value *x = op->n_in > 0 && op->in[0] != UINT32_MAX ? &g->values[op->in[0]] : NULL;
    if (!x || x->is_const || x->shape.rank != 2 || x->shape.dims[0] != LP__BATCH || x->dtype != LP_ONNX_FLOAT) {
        lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input must be the rows as a float matrix [N, F]");
        return NULL;
    }
    return x;
}

static lp_status add_output(lp__graph *g, lp__op *op, const char *name, int64_t width, lp_error *err)
{
    lp__shape shape = {2, {LP__BATCH, width}};
    op->out[0] = lp__graph_add_value(g, name, LP_ONNX_FLOAT, &shape, err);
    if (op->out[0] == UINT32_MAX) return err->code;
    op->n_out = 1;
    return LP_OK;
}

/* ---- Scaler -------------------------------------------------------------------------- */

typedef struct scaler_params { const float *offset, *scale; size_t n_offset, n_scale; } scaler_params;

static lp_status build_scaler(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = rows_input(g, op, err);
    if (!x) return err->code;
    const lp__onnx_attr *off = floats_attr(node, "offset"), *sc = floats_attr(node, "scale");
    size_t f = (size_t)x->shape.dims[1];
    if (!off || !sc || (off->count != 1 && off->count != f) || (sc->count != 1 && sc->count != f))
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "offset and scale must have 1 or %zu values", f);
    scaler_params *p = lp__graph_alloc(g, sizeof *p, err);
    if (!p) return err->code;
    *p = (scaler_params){off->floats, sc->floats, off->count, sc->count};
    op->params = p;
    return add_output(g, op, node->outputs[0], (int64_t)f, err);
}

static void run_scaler(const lp__run *r, const lp__op *op)
{
    const scaler_params *p = op->params;
    const float *x = lp__run_data(r, op->in[0]);
    float *y = lp__run_data(r, op->out[0]);
    size_t f = (size_t)r->g->values[op->out[0]].shape.dims[1];
    for (size_t i = 0; i < r->n_rows; i++)
        for (size_t j = 0; j < f; j++)
            y[i * f + j] = (x[i * f + j] - p->offset[p->n_offset == 1 ? 0 : j]) * p->scale[p->n_scale == 1 ? 0 : j];
}

/* ---- Normalizer ------------------------------------------------------------------------ */

enum { NORM_MAX, NORM_L1, NORM_L2 };

static lp_status build_normalizer(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = rows_input(g, op, err);
    if (!x) return err->code;
    const char *norm = string_attr(node, "norm", "MAX");
    op->iattr[0] = !strcmp(norm, "L1") ? NORM_L1 : !strcmp(norm, "L2") ? NORM_L2 : !strcmp(norm, "MAX") ? NORM_MAX : -1;
    if (op->iattr[0] < 0) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "norm \"%s\" (MAX, L1 or L2)", norm);
    return add_output(g, op, node->outputs[0], x->shape.dims[1], err);
}

static void run_normalizer(const lp__run *r, const lp__op *op)
{
    const float *x = lp__run_data(r, op->in[0]);
    float *y = lp__run_data(r, op->out[0]);
    size_t f = (size_t)r->g->values[op->out[0]].shape.dims[1];
    for (size_t i = 0; i < r->n_rows; i++) {
        const float *row = x + i * f;
        float norm = 0;
        for (size_t j = 0; j < f; j++) {
            float v = row[j];
            if (op->iattr[0] == NORM_MAX) norm = j == 0 || v > norm ? v : norm;
            else if (op->iattr[0] == NORM_L1) norm += fabsf(v);
            else norm += v * v;
        }
        if (op->iattr[0] == NORM_L2) norm = sqrtf(norm);
        for (size_t j = 0; j < f; j++) y[i * f + j] = norm != 0 ? row[j] / norm : row[j];
    }
}

/* ---- LinearClassifier / LinearRegressor ------------------------------------------------------ */

enum { T_NONE, T_LOGISTIC, T_SOFTMAX, T_SOFTMAX_ZERO, T_PROBIT };

typedef struct linear_params {
    float *w;         /* [f, m]: transposed coefficients */
    float *bias;      /* [m] */
    size_t f, m;
    int    transform;
} linear_params;

static lp_status build_linear(lp__graph *g, lp__op *op, const lp__onnx_node *node, int classifier, lp_error *err)
{
    const lp__value *x = rows_input(g, op, err);
    if (!x) return err->code;
    size_t f = (size_t)x->shape.dims[1];
    const lp__onnx_attr *coef = floats_attr(node, "coefficients"), *icpt = floats_attr(node, "intercepts");
    if (!coef || coef->count == 0 || coef->count % f)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "coefficients must be a multiple of the %zu features", f);
    size_t m = coef->count / f;
    if (icpt && icpt->count != m)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "%zu intercepts for %zu outputs", icpt->count, m);
    static const char *const names[] = {"NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT"};
    const char *t = string_attr(node, "post_transform", "NONE");
    int transform = -1;
    for (int i = 0; i < 5; i++)
        if (!strcmp(t, names[i])) transform = i;
    if (transform < 0) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "post_transform \"%s\"", t);
    if (classifier) {
        const lp__onnx_attr *ints = lp__onnx_attr_find(node, "classlabels_ints"),
                            *strs = lp__onnx_attr_find(node, "classlabels_strings");
        size_t n_labels = ints ? ints->count : strs ? strs->count : 0;
        if (n_labels != m)
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "%zu classes scored by %zu coefficient rows (one row per "
                               "class is supported)", n_labels, m);
        if (node->n_outputs < 2) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "no scores output");
    } else if (transform != T_NONE) {
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "a regressor with post_transform %s", t);
    }
    linear_params *p = lp__graph_alloc(g, sizeof *p, err);
    if (!p || !(p->w = lp__graph_alloc(g, f * m * sizeof(float), err)) ||
        !(p->bias = lp__graph_alloc(g, m * sizeof(float), err)))
        return err->code;
    for (size_t j = 0; j < m; j++)
        for (size_t q = 0; q < f; q++) p->w[q * m + j] = coef->floats[j * f + q];
    for (size_t j = 0; j < m; j++) p->bias[j] = icpt ? icpt->floats[j] : 0.0f;
    p->f = f;
    p->m = m;
    p->transform = transform;
    op->params = p;
    /* The scores are the classifier's second output (the first is the label). */
    return add_output(g, op, node->outputs[classifier ? 1 : 0], (int64_t)m, err);
}

static lp_status build_linear_classifier(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    return build_linear(g, op, node, 1, err);
}

static lp_status build_linear_regressor(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    return build_linear(g, op, node, 0, err);
}

static void run_linear(const lp__run *r, const lp__op *op)
{
    const linear_params *p = op->params;
    float *y = lp__run_data(r, op->out[0]);
    lp_kern_gemm(lp__run_data(r, op->in[0]), p->w, p->bias, y, r->n_rows, p->f, p->m);
    for (size_t i = 0; i < r->n_rows; i++) {
        float *s = y + i * p->m;
        switch (p->transform) {
        case T_LOGISTIC: for (size_t j = 0; j < p->m; j++) s[j] = lp__sigmoid(s[j]); break;
        case T_SOFTMAX: lp__softmax(s, p->m, 0, s); break;
        case T_SOFTMAX_ZERO: lp__softmax(s, p->m, 1, s); break;
        case T_PROBIT: for (size_t j = 0; j < p->m; j++) s[j] = lp__probit(s[j]); break;
        default: break;
        }
    }
}

const lp__op_kind lp__ops_ml[] = {
    {"Scaler", "ai.onnx.ml", build_scaler, run_scaler},
    {"Normalizer", "ai.onnx.ml", build_normalizer, run_normalizer},
    {"LinearClassifier", "ai.onnx.ml", build_linear_classifier, run_linear},
    {"LinearRegressor", "ai.onnx.ml", build_linear_regressor, run_linear},
};
const size_t lp__n_ops_ml = sizeof lp__ops_ml / sizeof *lp__ops_ml;
