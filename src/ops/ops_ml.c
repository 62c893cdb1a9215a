/* ops_ml.c — ai.onnx.ml preprocessing and linear models, computed as
 * onnxruntime does (core/providers/cpu/ml/): Scaler y = (x - offset) * scale,
 * Normalizer (MAX, L1, L2; a zero norm leaves the row as is),
 * LinearClassifier (scores = x·Wᵀ + b, then post_transform) and
 * LinearRegressor (these three on float rows, or double, int64 or int32 ones
 * converted to float first, as onnxruntime's kernels convert them; Scaler on
 * int64 or int32 ones too), Imputer (float or int64 rows), Binarizer,
 * ArrayFeatureExtractor and FeatureVectorizer on float rows; OneHotEncoder and LabelEncoder on
 * strings (elements lp__onnx_bytes) and integers.  Only the scores are computed: a classifier's label
 * output is the engine's Suggested Label instead. */
#include <math.h>
#include <string.h>

#include "../core/arena.h"
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

/* The rows of a LinearClassifier / LinearRegressor / Normalizer: [N, F] of
 * ONNX-ML's T1 (float, double, int64, int32; skl2onnx hands an int64
 * DictVectorizer's rows straight to the LinearClassifier). */
static const lp__value *linear_rows_input(const lp__graph *g, const lp__op *op, lp_error *err)
{
    const lp__value *x = op->n_in > 0 && op->in[0] != UINT32_MAX ? &g->values[op->in[0]] : NULL;
    if (x && (x->dtype == LP_ONNX_DOUBLE || x->dtype == LP_ONNX_INT64 || x->dtype == LP_ONNX_INT32) &&
        !x->is_const && x->shape.rank == 2 && x->shape.dims[0] == LP__BATCH)
        return x;
    return rows_input(g, op, err);
}

/* The rows of a Scaler: float, or int64 / int32 (skl2onnx hands a
 * StandardScaler's integer input tensor straight to the Scaler), which
 * onnxruntime's kernel subtracts the float offset from in float, as if
 * converted first.  (Its double rows it computes in double: refused.) */
static const lp__value *scaler_rows_input(const lp__graph *g, const lp__op *op, lp_error *err)
{
    const lp__value *x = op->n_in > 0 && op->in[0] != UINT32_MAX ? &g->values[op->in[0]] : NULL;
    if (x && (x->dtype == LP_ONNX_INT64 || x->dtype == LP_ONNX_INT32) && !x->is_const && x->shape.rank == 2 &&
        x->shape.dims[0] == LP__BATCH)
        return x;
    return rows_input(g, op, err);
}

/* Input 0's rows as float: the data itself, or (double, int64, int32 rows)
 * converted in the run's scratch as onnxruntime's kernels convert them;
 * NULL when out of memory (the run failed). */
static const float *float_rows(const lp__run *r, const lp__op *op, size_t width)
{
    const lp__value *xv = &r->g->values[op->in[0]];
    const void *x = lp__run_data(r, op->in[0]);
    if (xv->dtype == LP_ONNX_FLOAT) return x;
    float *converted = lp__arena_array(r->scratch->arena, r->n_rows * width, sizeof *converted);
    if (!converted) {
        lp__run_fail(r, op, SIZE_MAX, LP_ERR_NOMEM, "out of memory converting %zu rows to float", r->n_rows);
        return NULL;
    }
    lp__dtype_convert(LP_ONNX_FLOAT, converted, xv->dtype, x, r->n_rows * width);
    return converted;
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
    const lp__value *x = scaler_rows_input(g, op, err);
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
    size_t f = (size_t)r->g->values[op->out[0]].shape.dims[1];
    const float *x = float_rows(r, op, f);
    float *y = lp__run_data(r, op->out[0]);
    if (!x) return;
    for (size_t i = 0; i < r->n_rows; i++)
        for (size_t j = 0; j < f; j++)
            y[i * f + j] = (x[i * f + j] - p->offset[p->n_offset == 1 ? 0 : j]) * p->scale[p->n_scale == 1 ? 0 : j];
}

/* ---- Normalizer ------------------------------------------------------------------------ */

/* On float rows, or double, int64 or int32 ones (skl2onnx hands the input
 * tensor straight to it), which onnxruntime's kernel converts to float
 * value by value before it sums; the output is float either way. */
enum { NORM_MAX, NORM_L1, NORM_L2 };

static lp_status build_normalizer(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = linear_rows_input(g, op, err);
    if (!x) return err->code;
    const char *norm = string_attr(node, "norm", "MAX");
    op->iattr[0] = !strcmp(norm, "L1") ? NORM_L1 : !strcmp(norm, "L2") ? NORM_L2 : !strcmp(norm, "MAX") ? NORM_MAX : -1;
    if (op->iattr[0] < 0) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "norm \"%s\" (MAX, L1 or L2)", norm);
    return add_output(g, op, node->outputs[0], x->shape.dims[1], err);
}

static void run_normalizer(const lp__run *r, const lp__op *op)
{
    size_t f = (size_t)r->g->values[op->out[0]].shape.dims[1];
    const float *x = float_rows(r, op, f);
    float *y = lp__run_data(r, op->out[0]);
    if (!x) return;
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
    const lp__value *x = linear_rows_input(g, op, err);
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
    const float *x = float_rows(r, op, p->f);   /* double, int64, int32 rows: to float, as onnxruntime does */
    if (!x) return;
    lp_kern_gemm(x, p->w, p->bias, y, r->n_rows, p->f, p->m, 0);
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

/* ---- Imputer, Binarizer -------------------------------------------------------------------- */

/* Imputer: cells equal to replaced_value_float (NaN: cells that are NaN) take
 * imputed_value_floats (one value, or one per column).  On int64 rows (a
 * SimpleImputer on skl2onnx's Int64TensorType input) cells equal to
 * replaced_value_int64 (default 0; skl2onnx writes NaN's int64, INT64_MIN)
 * take imputed_value_int64s, and the output is int64: onnxruntime's kernel
 * takes exactly these two (float with the floats, int64 with the int64s). */
typedef struct imputer_params {
    const float   *values;       /* float rows */
    const int64_t *ints;         /* int64 rows */
    size_t         n_values;
    float          replaced;
    int64_t        replaced_int;
} imputer_params;

static lp_status build_imputer(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    int ints = x->dtype == LP_ONNX_INT64;
    if ((!ints && x->dtype != LP_ONNX_FLOAT) || x->is_const || x->shape.rank != 2 || x->shape.dims[0] != LP__BATCH)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input must be rows [N, F] of float or int64 (%s of rank %d "
                           "given; onnxruntime's Imputer takes those two)", lp__onnx_dtype_name(x->dtype),
                           x->shape.rank);
    size_t f = (size_t)x->shape.dims[1];
    const lp__onnx_attr *vals = lp__onnx_attr_find(node, ints ? "imputed_value_int64s" : "imputed_value_floats");
    if (!vals && lp__onnx_attr_find(node, ints ? "imputed_value_floats" : "imputed_value_int64s"))
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "%s on %s rows (onnxruntime imputes them from %s, and fails "
                           "the run without it)", ints ? "imputed_value_floats" : "imputed_value_int64s",
                           ints ? "int64" : "float", ints ? "imputed_value_int64s" : "imputed_value_floats");
    if (!vals || vals->type != (ints ? LP_ONNX_ATTR_INTS : LP_ONNX_ATTR_FLOATS) || (vals->count != 1 && vals->count != f))
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "%s must have 1 or %zu values",
                           ints ? "imputed_value_int64s" : "imputed_value_floats", f);
    const lp__onnx_attr *rep = lp__onnx_attr_find(node, ints ? "replaced_value_int64" : "replaced_value_float");
    imputer_params *p = lp__graph_alloc(g, sizeof *p, err);
    if (!p) return err->code;
    *p = (imputer_params){ints ? NULL : vals->floats, ints ? vals->ints : NULL, vals->count,
                          rep && rep->type == LP_ONNX_ATTR_FLOAT ? rep->f : 0.0f,
                          rep && rep->type == LP_ONNX_ATTR_INT ? rep->i : 0};
    op->params = p;
    lp__shape shape = {2, {LP__BATCH, (int64_t)f}};
    return lp__op_output(g, op, node, 0, x->dtype, &shape, err);
}

static void run_imputer(const lp__run *r, const lp__op *op)
{
    const imputer_params *p = op->params;
    size_t f = (size_t)r->g->values[op->out[0]].shape.dims[1];
    if (p->ints) {
        const int64_t *x = lp__run_data(r, op->in[0]);
        int64_t *y = lp__run_data(r, op->out[0]);
        for (size_t i = 0; i < r->n_rows * f; i++)
            y[i] = x[i] == p->replaced_int ? p->ints[p->n_values == 1 ? 0 : i % f] : x[i];
        return;
    }
    const float *x = lp__run_data(r, op->in[0]);
    float *y = lp__run_data(r, op->out[0]);
    int nan = p->replaced != p->replaced;
    for (size_t i = 0; i < r->n_rows * f; i++) {
        float v = x[i];
        y[i] = (nan ? v != v : v == p->replaced) ? p->values[p->n_values == 1 ? 0 : i % f] : v;
    }
}

/* Binarizer: 1 where x > threshold, else 0.  A NaN (a missing cell) stays
 * NaN; onnxruntime fails the whole run on it, and scikit-learn's Binarizer
 * refuses NaN too. */
static lp_status build_binarizer(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = rows_input(g, op, err);
    if (!x) return err->code;
    const lp__onnx_attr *t = lp__onnx_attr_find(node, "threshold");
    op->dattr[0] = t && t->type == LP_ONNX_ATTR_FLOAT ? t->f : 0.0f;
    return add_output(g, op, node->outputs[0], x->shape.dims[1], err);
}

static void run_binarizer(const lp__run *r, const lp__op *op)
{
    const float *x = lp__run_data(r, op->in[0]);
    float *y = lp__run_data(r, op->out[0]);
    size_t n = r->n_rows * (size_t)r->g->values[op->out[0]].shape.dims[1];
    for (size_t i = 0; i < n; i++) y[i] = x[i] != x[i] ? x[i] : x[i] > op->dattr[0] ? 1.0f : 0.0f;
}

/* ---- ArrayFeatureExtractor, FeatureVectorizer --------------------------------------------- */

/* ArrayFeatureExtractor: the columns a constant index list names (rows of
 * any type: skl2onnx picks string columns with it too). */
typedef struct columns_params { int64_t *index; size_t n; } columns_params;

static lp_status build_array_feature_extractor(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    if (x->is_const || x->shape.rank != 2 || x->shape.dims[0] != LP__BATCH)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input must be rows [N, F]");
    const int64_t *ix = lp__const_input(g, op, 1, LP_ONNX_INT64, err);
    if (!ix) return err->code;
    size_t n = lp__shape_count(&g->values[op->in[1]].shape, 0), f = (size_t)x->shape.dims[1];
    if (n == 0) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "no column index");
    columns_params *p = lp__graph_alloc(g, sizeof *p, err);
    if (!p || !(p->index = lp__graph_alloc(g, n * sizeof *p->index, err))) return err->code;
    for (size_t j = 0; j < n; j++) {
        if (ix[j] < 0 || (uint64_t)ix[j] >= f)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "column index %lld of %zu columns", (long long)ix[j], f);
        p->index[j] = ix[j];
    }
    p->n = n;
    op->params = p;
    lp__shape shape = {2, {LP__BATCH, (int64_t)n}};
    return lp__op_output(g, op, node, 0, x->dtype, &shape, err);
}

static void run_array_feature_extractor(const lp__run *r, const lp__op *op)
{
    const columns_params *p = op->params;
    const lp__value *xv = &r->g->values[op->in[0]];
    const char *x = lp__run_data(r, op->in[0]);
    char *y = lp__run_data(r, op->out[0]);
    size_t f = (size_t)xv->shape.dims[1], size = lp__dtype_elem_size(xv->dtype);
    for (size_t i = 0; i < r->n_rows; i++)
        for (size_t j = 0; j < p->n; j++)
            memcpy(y + (i * p->n + j) * size, x + (i * f + (size_t)p->index[j]) * size, size);
}

/* FeatureVectorizer: inputs side by side, each given inputdimensions[i]
 * columns (cut or padded with zeros, as onnxruntime does). */
static lp_status build_feature_vectorizer(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__onnx_attr *dims = lp__onnx_attr_find(node, "inputdimensions");
    if (!dims || dims->type != LP_ONNX_ATTR_INTS || dims->count != (size_t)op->n_in)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "inputdimensions must give one width per input");
    int64_t width = 0;
    for (int i = 0; i < op->n_in; i++) {
        const lp__value *x = op->in[i] == UINT32_MAX ? NULL : &g->values[op->in[i]];
        if (!x || x->is_const || x->shape.rank != 2 || x->shape.dims[0] != LP__BATCH || x->dtype != LP_ONNX_FLOAT)
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input %d must be rows of floats [N, k]", i + 1);
        if (dims->ints[i] < 1 || dims->ints[i] > LP_DEFAULT_MAX_COLUMNS)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "inputdimensions[%d] = %lld", i, (long long)dims->ints[i]);
        width += dims->ints[i];
    }
    op->params = (void *)dims->ints;   /* the decoded model outlives the graph's ops */
    return add_output(g, op, node->outputs[0], width, err);
}

static void run_feature_vectorizer(const lp__run *r, const lp__op *op)
{
    const int64_t *dims = op->params;
    float *y = lp__run_data(r, op->out[0]);
    size_t width = (size_t)r->g->values[op->out[0]].shape.dims[1], at = 0;
    for (int i = 0; i < op->n_in; i++) {
        const float *x = lp__run_data(r, op->in[i]);
        size_t w = (size_t)r->g->values[op->in[i]].shape.dims[1], d = (size_t)dims[i], k = w < d ? w : d;
        for (size_t row = 0; row < r->n_rows; row++) {
            memcpy(y + row * width + at, x + row * w, k * sizeof *y);
            memset(y + row * width + at + k, 0, (d - k) * sizeof *y);
        }
        at += d;
    }
}

/* ---- OneHotEncoder, LabelEncoder (strings and integers) ---------------------------------- */

static int same_bytes(const lp__onnx_bytes *a, const lp__onnx_bytes *b)
{
    return a->data && b->data && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* Where element i of x (dtype) is among `strings` or `ints` (n entries); -1 if nowhere. */
static long find_key(int32_t dtype, const void *x, size_t i, const lp__onnx_bytes *strings, const int64_t *ints,
                     const float *floats, size_t n)
{
    if (dtype == LP_ONNX_STRING) {
        const lp__onnx_bytes *v = (const lp__onnx_bytes *)x + i;
        for (size_t j = 0; strings && j < n; j++)
            if (same_bytes(v, &strings[j])) return (long)j;
        return -1;
    }
    if (floats) {
        double v = lp__dtype_get_f64(dtype, x, i);
        for (size_t j = 0; j < n; j++)
            if (v == floats[j] || (v != v && floats[j] != floats[j])) return (long)j;
        return -1;
    }
    int64_t v = lp__dtype_get_i64(dtype, x, i);
    for (size_t j = 0; ints && j < n; j++)
        if (v == ints[j]) return (long)j;
    return -1;
}

/* OneHotEncoder: each element becomes C floats, 1 at its category's place.
 * A value outside the categories gives zeros; with zeros = 0 it fails the
 * run, naming the row, as onnxruntime does (a string input read only by
 * such encoders is checked earlier, naming the cell: see g->known). */
typedef struct onehot_params { const lp__onnx_bytes *strings; const int64_t *ints; size_t n; } onehot_params;

static lp_status build_one_hot(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    const lp__onnx_attr *cs = lp__onnx_attr_find(node, "cats_strings"), *ci = lp__onnx_attr_find(node, "cats_int64s");
    if (cs && cs->type != LP_ONNX_ATTR_STRINGS) cs = NULL;
    if (ci && ci->type != LP_ONNX_ATTR_INTS) ci = NULL;
    if (!cs == !ci) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "needs exactly one of cats_strings and cats_int64s");
    if ((x->dtype == LP_ONNX_STRING) != (cs != NULL))
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "%s input with %s categories", lp__onnx_dtype_name(x->dtype),
                           cs ? "string" : "integer");
    if (x->dtype != LP_ONNX_STRING && !lp__dtype_computable(x->dtype))
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input of %s", lp__onnx_dtype_name(x->dtype));
    size_t n = cs ? cs->count : ci->count;
    if (n == 0 || x->shape.rank + 1 > LP__MAX_RANK)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, n ? "too many dimensions" : "no categories");
    onehot_params *p = lp__graph_alloc(g, sizeof *p, err);
    if (!p) return err->code;
    *p = (onehot_params){cs ? cs->strings : NULL, ci ? ci->ints : NULL, n};
    op->params = p;
    const lp__onnx_attr *zeros = lp__onnx_attr_find(node, "zeros");
    op->iattr[0] = zeros && zeros->type == LP_ONNX_ATTR_INT && zeros->i == 0;   /* strict */
    lp__shape shape = x->shape;
    shape.dims[shape.rank++] = (int64_t)n;
    return lp__op_output(g, op, node, 0, LP_ONNX_FLOAT, &shape, err);
}

static void run_one_hot(const lp__run *r, const lp__op *op)
{
    const onehot_params *p = op->params;
    const lp__value *xv = &r->g->values[op->in[0]];
    const void *x = lp__run_data(r, op->in[0]);
    float *y = lp__run_data(r, op->out[0]);
    size_t n = lp__shape_count(&xv->shape, r->n_rows);
    memset(y, 0, n * p->n * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        long j = find_key(xv->dtype, x, i, p->strings, p->ints, NULL, p->n);
        if (j >= 0) y[i * p->n + (size_t)j] = 1.0f;
        else if (op->iattr[0]) {
            size_t row = lp__run_row(r, op->in[0], i);
            if (xv->dtype == LP_ONNX_STRING)
                lp__run_fail(r, op, row, LP_ERR_UNKNOWN_CATEGORY, "a string it does not list (zeros = 0 refuses "
                             "unknown categories)");
            else
                lp__run_fail(r, op, row, LP_ERR_UNKNOWN_CATEGORY, "%lld is not among its categories (zeros = 0 "
                             "refuses unknown categories)", (long long)lp__dtype_get_i64(xv->dtype, x, i));
            return;
        }
    }
}

/* LabelEncoder: keys_* → values_* (opset 2+), or opset 1's classes_strings
 * (string → its index, integer → the string at it); a key not found gives
 * default_*. */
typedef struct label_params {
    const lp__onnx_bytes *key_strings, *value_strings;
    const int64_t        *key_ints, *value_ints;
    const float          *key_floats, *value_floats;
    size_t                n;
    int                   by_index;        /* opset 1, int64 → string: values by position */
    lp__onnx_bytes        default_string;
    int64_t               default_int;
    float                 default_float;
} label_params;

static const lp__onnx_attr *typed(const lp__onnx_node *n, const char *name, int type)
{
    const lp__onnx_attr *a = lp__onnx_attr_find(n, name);
    return a && a->type == type ? a : NULL;
}

static lp_status build_label_encoder(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    label_params *p = lp__graph_alloc(g, sizeof *p, err);
    if (!p) return err->code;
    const lp__onnx_attr *ks = typed(node, "keys_strings", LP_ONNX_ATTR_STRINGS),
                        *ki = typed(node, "keys_int64s", LP_ONNX_ATTR_INTS),
                        *kf = typed(node, "keys_floats", LP_ONNX_ATTR_FLOATS),
                        *vs = typed(node, "values_strings", LP_ONNX_ATTR_STRINGS),
                        *vi = typed(node, "values_int64s", LP_ONNX_ATTR_INTS),
                        *vf = typed(node, "values_floats", LP_ONNX_ATTR_FLOATS),
                        *classes = typed(node, "classes_strings", LP_ONNX_ATTR_STRINGS),
                        *ds = typed(node, "default_string", LP_ONNX_ATTR_STRING),
                        *di = typed(node, "default_int64", LP_ONNX_ATTR_INT),
                        *df = typed(node, "default_float", LP_ONNX_ATTR_FLOAT);
    static const char unused[] = "_Unused";
    p->default_string = ds ? ds->s : (lp__onnx_bytes){unused, sizeof unused - 1};
    p->default_int = di ? di->i : -1;
    p->default_float = df ? df->f : -0.0f;
    int32_t out_type;
    if (classes && !ks && !ki && !kf) {   /* opset 1 */
        p->n = classes->count;
        if (x->dtype == LP_ONNX_STRING) p->key_strings = classes->strings, out_type = LP_ONNX_INT64;
        else p->value_strings = classes->strings, p->by_index = 1, out_type = LP_ONNX_STRING;
    } else {
        size_t nk = ks ? ks->count : ki ? ki->count : kf ? kf->count : 0;
        size_t nv = vs ? vs->count : vi ? vi->count : vf ? vf->count : 0;
        if (!!ks + !!ki + !!kf != 1 || !!vs + !!vi + !!vf != 1 || nk != nv || nk == 0)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "needs one keys_* and one values_* list of the same "
                               "length (or classes_strings)");
        int32_t key_type = ks ? LP_ONNX_STRING : ki ? LP_ONNX_INT64 : LP_ONNX_FLOAT;
        if ((key_type == LP_ONNX_STRING) != (x->dtype == LP_ONNX_STRING) ||
            (key_type == LP_ONNX_INT64 && x->dtype != LP_ONNX_INT64 && x->dtype != LP_ONNX_INT32) ||
            (key_type == LP_ONNX_FLOAT && x->dtype != LP_ONNX_FLOAT && x->dtype != LP_ONNX_DOUBLE))
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "%s input with %s keys", lp__onnx_dtype_name(x->dtype),
                               lp__onnx_dtype_name(key_type));
        p->n = nk;
        p->key_strings = ks ? ks->strings : NULL;
        p->key_ints = ki ? ki->ints : NULL;
        p->key_floats = kf ? kf->floats : NULL;
        p->value_strings = vs ? vs->strings : NULL;
        p->value_ints = vi ? vi->ints : NULL;
        p->value_floats = vf ? vf->floats : NULL;
        out_type = vs ? LP_ONNX_STRING : vi ? LP_ONNX_INT64 : LP_ONNX_FLOAT;
    }
    op->params = p;
    lp__shape shape = x->shape;
    return lp__op_output(g, op, node, 0, out_type, &shape, err);
}

static void run_label_encoder(const lp__run *r, const lp__op *op)
{
    const label_params *p = op->params;
    const lp__value *xv = &r->g->values[op->in[0]], *yv = &r->g->values[op->out[0]];
    const void *x = lp__run_data(r, op->in[0]);
    void *y = lp__run_data(r, op->out[0]);
    size_t n = lp__shape_count(&xv->shape, r->n_rows);
    for (size_t i = 0; i < n; i++) {
        long j;
        if (p->by_index) {
            int64_t k = lp__dtype_get_i64(xv->dtype, x, i);
            j = k >= 0 && (uint64_t)k < p->n ? (long)k : -1;
        } else {
            j = find_key(xv->dtype, x, i, p->key_strings, p->key_ints, p->key_floats, p->n);
        }
        switch (yv->dtype) {
        case LP_ONNX_STRING:
            ((lp__onnx_bytes *)y)[i] = j >= 0 ? p->value_strings[j] : p->default_string;
            break;
        case LP_ONNX_INT64:
            ((int64_t *)y)[i] = j >= 0 ? (p->value_ints ? p->value_ints[j] : j) : p->default_int;
            break;
        default:
            ((float *)y)[i] = j >= 0 ? p->value_floats[j] : p->default_float;
            break;
        }
    }
}

const lp__op_kind lp__ops_ml[] = {
    {"Scaler", "ai.onnx.ml", build_scaler, run_scaler},
    {"Normalizer", "ai.onnx.ml", build_normalizer, run_normalizer},
    {"LinearClassifier", "ai.onnx.ml", build_linear_classifier, run_linear},
    {"LinearRegressor", "ai.onnx.ml", build_linear_regressor, run_linear},
    {"Imputer", "ai.onnx.ml", build_imputer, run_imputer},
    {"Binarizer", "ai.onnx.ml", build_binarizer, run_binarizer},
    {"ArrayFeatureExtractor", "ai.onnx.ml", build_array_feature_extractor, run_array_feature_extractor},
    {"FeatureVectorizer", "ai.onnx.ml", build_feature_vectorizer, run_feature_vectorizer},
    {"OneHotEncoder", "ai.onnx.ml", build_one_hot, run_one_hot},
    {"LabelEncoder", "ai.onnx.ml", build_label_encoder, run_label_encoder},
};
const size_t lp__n_ops_ml = sizeof lp__ops_ml / sizeof *lp__ops_ml;
