/* ops_elementwise.c — unary activations and binary arithmetic with numpy
 * broadcasting, on float32.  Transcendentals go through core/lp_math (in
 * double, rounded once), so native and WASM builds agree. */
#include <math.h>
#include <string.h>

#include "../core/lp_math.h"
#include "graph.h"

/* ---- unary ------------------------------------------------------------------------- */

enum { U_RELU, U_LEAKY, U_SIGMOID, U_TANH, U_EXP, U_LOG, U_SQRT, U_ABS, U_NEG, U_CLIP, U_COPY, U_SOFTPLUS };

static lp_status build_unary_as(lp__graph *g, lp__op *op, const lp__onnx_node *node, int which, lp_error *err)
{
    if (op->n_in < 1 || op->in[0] == UINT32_MAX) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "no input");
    const lp__value *x = &g->values[op->in[0]];
    if (x->dtype != LP_ONNX_FLOAT)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input holds %s (float is supported)",
                           lp__onnx_dtype_name(x->dtype));
    op->iattr[0] = which;
    lp__shape shape = x->shape;
    op->out[0] = lp__graph_add_value(g, node->outputs[0], LP_ONNX_FLOAT, &shape, err);
    if (op->out[0] == UINT32_MAX) return err->code;
    op->n_out = 1;
    return LP_OK;
}

static void run_unary(const lp__run *r, const lp__op *op)
{
    const float *x = lp__run_data(r, op->in[0]);
    float *y = lp__run_data(r, op->out[0]);
    size_t n = lp__shape_count(&r->g->values[op->out[0]].shape, r->n_rows);
    float a = op->fattr[0], b = op->fattr[1];
    switch (op->iattr[0]) {
    case U_RELU: for (size_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0.0f; break;
    case U_LEAKY: for (size_t i = 0; i < n; i++) y[i] = x[i] >= 0 ? x[i] : a * x[i]; break;
    case U_SIGMOID: for (size_t i = 0; i < n; i++) y[i] = lp__sigmoid(x[i]); break;
    case U_TANH: for (size_t i = 0; i < n; i++) y[i] = lp__tanh(x[i]); break;
    case U_EXP: for (size_t i = 0; i < n; i++) y[i] = (float)lp__exp((double)x[i]); break;
    case U_LOG:
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] > 0 ? (float)lp__log((double)x[i]) : x[i] == 0 ? -INFINITY : NAN;
        break;
    case U_SQRT: for (size_t i = 0; i < n; i++) y[i] = sqrtf(x[i]); break;
    case U_ABS: for (size_t i = 0; i < n; i++) y[i] = fabsf(x[i]); break;
    case U_NEG: for (size_t i = 0; i < n; i++) y[i] = -x[i]; break;
    case U_CLIP: for (size_t i = 0; i < n; i++) y[i] = x[i] < a ? a : x[i] > b ? b : x[i]; break;
    case U_SOFTPLUS:
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] > 20 ? x[i] : (float)lp__log(1.0 + lp__exp((double)x[i]));
        break;
    default: if (y != x) memmove(y, x, n * sizeof *y); break;
    }
}

#define UNARY(NAME, WHICH)                                                                         \
    static lp_status build_##NAME(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err) \
    {                                                                                              \
        return build_unary_as(g, op, node, WHICH, err);                                            \
    }
UNARY(relu, U_RELU)
UNARY(sigmoid, U_SIGMOID)
UNARY(tanh, U_TANH)
UNARY(exp, U_EXP)
UNARY(log, U_LOG)
UNARY(sqrt, U_SQRT)
UNARY(abs, U_ABS)
UNARY(neg, U_NEG)
UNARY(copy, U_COPY)
UNARY(softplus, U_SOFTPLUS)

static lp_status build_leaky(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__onnx_attr *alpha = lp__onnx_attr_find(node, "alpha");
    op->fattr[0] = alpha && alpha->type == LP_ONNX_ATTR_FLOAT ? alpha->f : 0.01f;
    return build_unary_as(g, op, node, U_LEAKY, err);
}

/* Clip: bounds from attributes (opset < 11) or constant inputs (11+). */
static lp_status build_clip(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__onnx_attr *lo = lp__onnx_attr_find(node, "min"), *hi = lp__onnx_attr_find(node, "max");
    op->fattr[0] = lo ? lo->f : -INFINITY;
    op->fattr[1] = hi ? hi->f : INFINITY;
    for (int i = 1; i < 3 && i < op->n_in; i++) {
        if (op->in[i] == UINT32_MAX) continue;
        const float *v = lp__const_input(g, op, i, LP_ONNX_FLOAT, err);
        if (!v) return err->code;
        op->fattr[i - 1] = v[0];
    }
    return build_unary_as(g, op, node, U_CLIP, err);
}

/* Cast: to float only (other types would leave the float pipeline). */
static lp_status build_cast(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__onnx_attr *to = lp__onnx_attr_find(node, "to");
    if (!to || to->i != LP_ONNX_FLOAT)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "cast to %s (casts to float are supported)",
                           to ? lp__onnx_dtype_name((int32_t)to->i) : "nothing");
    return build_unary_as(g, op, node, U_COPY, err);
}

/* ---- binary with broadcasting ------------------------------------------------------------ */

enum { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAX, B_MIN };

typedef struct bcast {
    int     rank;
    int64_t dims[LP__MAX_RANK];            /* output dims (LP__BATCH allowed) */
    int64_t a_step[LP__MAX_RANK], b_step[LP__MAX_RANK];   /* element strides, 0 = broadcast */
} bcast;

/* numpy's rule: align right; equal sizes, or one of them is 1. */
static lp_status broadcast(const lp__op *op, const lp__shape *a, const lp__shape *b, bcast *bc, lp_error *err)
{
    int rank = a->rank > b->rank ? a->rank : b->rank;
    bc->rank = rank;
    for (int k = 0; k < rank; k++) {
        int ia = k - (rank - a->rank), ib = k - (rank - b->rank);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da == db || db == 1) bc->dims[k] = da;
        else if (da == 1) bc->dims[k] = db;
        else return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "shapes do not broadcast (dimension %d: %lld vs %lld)", k,
                                (long long)da, (long long)db);
    }
    return LP_OK;
}

static lp_status build_binary_as(lp__graph *g, lp__op *op, const lp__onnx_node *node, int which, lp_error *err)
{
    if (op->n_in != 2 || op->in[0] == UINT32_MAX || op->in[1] == UINT32_MAX)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "%d inputs (two are supported)", op->n_in);
    const lp__value *a = &g->values[op->in[0]], *b = &g->values[op->in[1]];
    if (a->dtype != LP_ONNX_FLOAT || b->dtype != LP_ONNX_FLOAT)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "inputs hold %s and %s (float is supported)",
                           lp__onnx_dtype_name(a->dtype), lp__onnx_dtype_name(b->dtype));
    bcast bc;
    lp_status s = broadcast(op, &a->shape, &b->shape, &bc, err);
    if (s != LP_OK) return s;
    op->iattr[0] = which;
    lp__shape shape = {bc.rank, {0}};
    memcpy(shape.dims, bc.dims, sizeof bc.dims);
    op->out[0] = lp__graph_add_value(g, node->outputs[0], LP_ONNX_FLOAT, &shape, err);
    if (op->out[0] == UINT32_MAX) return err->code;
    op->n_out = 1;
    return LP_OK;
}

static float apply(int which, float x, float y)
{
    switch (which) {
    case B_ADD: return x + y;
    case B_SUB: return x - y;
    case B_MUL: return x * y;
    case B_DIV: return x / y;
    case B_POW: return y == 2.0f ? x * x : y == 0.5f ? sqrtf(x) : powf(x, y);
    case B_MAX: return x != x || y != y ? NAN : x > y ? x : y;   /* NaN propagates, as in numpy */
    default: return x != x || y != y ? NAN : x < y ? x : y;
    }
}

static void run_binary(const lp__run *r, const lp__op *op)
{
    const lp__graph *g = r->g;
    const lp__value *av = &g->values[op->in[0]], *bv = &g->values[op->in[1]], *yv = &g->values[op->out[0]];
    const float *a = lp__run_data(r, op->in[0]), *b = lp__run_data(r, op->in[1]);
    float *y = lp__run_data(r, op->out[0]);
    int which = op->iattr[0];
    size_t n = lp__shape_count(&yv->shape, r->n_rows);
    size_t na = lp__shape_count(&av->shape, r->n_rows), nb = lp__shape_count(&bv->shape, r->n_rows);
    if (na == n && nb == n) {                      /* same shape */
        for (size_t i = 0; i < n; i++) y[i] = apply(which, a[i], b[i]);
        return;
    }
    if (na == n && nb == 1) {                      /* a scalar */
        for (size_t i = 0; i < n; i++) y[i] = apply(which, a[i], b[0]);
        return;
    }
    /* General case: walk the output with an odometer over its dimensions. */
    int rank = yv->shape.rank;
    size_t dims[LP__MAX_RANK], sa[LP__MAX_RANK], sb[LP__MAX_RANK], idx[LP__MAX_RANK] = {0};
    for (int k = 0; k < rank; k++)
        dims[k] = yv->shape.dims[k] == LP__BATCH ? r->n_rows : (size_t)yv->shape.dims[k];
    size_t stride_a = 1, stride_b = 1;
    for (int k = rank - 1; k >= 0; k--) {
        int ia = k - (rank - av->shape.rank), ib = k - (rank - bv->shape.rank);
        size_t da = ia >= 0 ? (av->shape.dims[ia] == LP__BATCH ? r->n_rows : (size_t)av->shape.dims[ia]) : 1;
        size_t db = ib >= 0 ? (bv->shape.dims[ib] == LP__BATCH ? r->n_rows : (size_t)bv->shape.dims[ib]) : 1;
        sa[k] = da == 1 ? 0 : stride_a;
        sb[k] = db == 1 ? 0 : stride_b;
        stride_a *= da;
        stride_b *= db;
    }
    size_t ia = 0, ib = 0;
    for (size_t i = 0; i < n; i++) {
        y[i] = apply(which, a[ia], b[ib]);
        for (int k = rank - 1; k >= 0; k--) {
            idx[k]++;
            ia += sa[k];
            ib += sb[k];
            if (idx[k] < dims[k]) break;
            ia -= sa[k] * dims[k];
            ib -= sb[k] * dims[k];
            idx[k] = 0;
        }
    }
}

#define BINARY(NAME, WHICH)                                                                        \
    static lp_status build_##NAME(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err) \
    {                                                                                              \
        return build_binary_as(g, op, node, WHICH, err);                                           \
    }
BINARY(add, B_ADD)
BINARY(sub, B_SUB)
BINARY(mul, B_MUL)
BINARY(div, B_DIV)
BINARY(pow, B_POW)
BINARY(max, B_MAX)
BINARY(min, B_MIN)

/* ---- softmax ------------------------------------------------------------------------------ */

/* Along the last axis (opset 13 default; opset < 13 flattens at `axis`,
 * which for the last axis is the same). */
static lp_status build_softmax_as(lp__graph *g, lp__op *op, const lp__onnx_node *node, int log, lp_error *err)
{
    if (op->n_in < 1 || op->in[0] == UINT32_MAX) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "no input");
    const lp__value *x = &g->values[op->in[0]];
    const lp__onnx_attr *axis = lp__onnx_attr_find(node, "axis");
    int64_t opset = lp__onnx_opset_version(&g->source, "");
    int64_t ax = axis ? axis->i : opset >= 13 ? -1 : 1;
    if (ax < 0) ax += x->shape.rank;
    if (ax != x->shape.rank - 1 || x->shape.dims[ax] == LP__BATCH)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "softmax along axis %lld of a rank-%d value (the last axis "
                           "is supported)", (long long)ax, x->shape.rank);
    op->iattr[0] = log;
    op->iattr[1] = (int)x->shape.dims[ax];
    lp__shape shape = x->shape;
    op->out[0] = lp__graph_add_value(g, node->outputs[0], LP_ONNX_FLOAT, &shape, err);
    if (op->out[0] == UINT32_MAX) return err->code;
    op->n_out = 1;
    return LP_OK;
}

static lp_status build_softmax(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    return build_softmax_as(g, op, node, 0, err);
}

static lp_status build_log_softmax(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    return build_softmax_as(g, op, node, 1, err);
}

static void run_softmax(const lp__run *r, const lp__op *op)
{
    const float *x = lp__run_data(r, op->in[0]);
    float *y = lp__run_data(r, op->out[0]);
    size_t width = (size_t)op->iattr[1], n = lp__shape_count(&r->g->values[op->out[0]].shape, r->n_rows) / width;
    for (size_t i = 0; i < n; i++) {
        const float *z = x + i * width;
        float *p = y + i * width;
        if (!op->iattr[0]) {
            lp__softmax(z, width, 0, p);
            continue;
        }
        double top = z[0], sum = 0;
        for (size_t k = 1; k < width; k++)
            if (z[k] > top) top = z[k];
        for (size_t k = 0; k < width; k++) sum += lp__exp((double)z[k] - top);
        double lse = top + lp__log(sum);
        for (size_t k = 0; k < width; k++) p[k] = (float)((double)z[k] - lse);
    }
}

/* ---- BatchNormalization (inference) ------------------------------------------------------- */

/* y = (x - mean) / sqrt(var + epsilon) * scale + B per channel (dimension
 * 1), folded at build time into y = x * a + b. */
typedef struct channel_affine { float *a, *b; size_t channels, inner; } channel_affine;

static lp_status build_batch_norm(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    if (op->n_in != 5) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "%d inputs (5 expected)", op->n_in);
    const lp__value *x = op->in[0] == UINT32_MAX ? NULL : &g->values[op->in[0]];
    if (!x || x->dtype != LP_ONNX_FLOAT || x->shape.rank < 2 || x->shape.dims[1] < 1)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input must be float [N, C, ...]");
    const lp__onnx_attr *train = lp__onnx_attr_find(node, "training_mode");
    if (train && train->i) return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "training mode");
    const lp__onnx_attr *eps_attr = lp__onnx_attr_find(node, "epsilon");
    float eps = eps_attr && eps_attr->type == LP_ONNX_ATTR_FLOAT ? eps_attr->f : 1e-5f;
    size_t c = (size_t)x->shape.dims[1];
    const float *p[4];
    for (int i = 0; i < 4; i++) {
        if (!(p[i] = lp__const_input(g, op, i + 1, LP_ONNX_FLOAT, err))) return err->code;
        if (lp__shape_count(&g->values[op->in[i + 1]].shape, 0) != c)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "input %d has not %zu values", i + 2, c);
    }
    channel_affine *ca = lp__graph_alloc(g, sizeof *ca, err);
    if (!ca || !(ca->a = lp__graph_alloc(g, c * sizeof(float), err)) ||
        !(ca->b = lp__graph_alloc(g, c * sizeof(float), err)))
        return err->code;
    for (size_t k = 0; k < c; k++) {
        double a = (double)p[0][k] / sqrt((double)p[3][k] + (double)eps);   /* scale / sqrt(var + eps) */
        ca->a[k] = (float)a;
        ca->b[k] = (float)((double)p[1][k] - (double)p[2][k] * a);        /* B - mean * a */
    }
    ca->channels = c;
    ca->inner = 1;
    for (int k = 2; k < x->shape.rank; k++) ca->inner *= (size_t)x->shape.dims[k];
    op->params = ca;
    lp__shape shape = x->shape;
    op->out[0] = lp__graph_add_value(g, node->outputs[0], LP_ONNX_FLOAT, &shape, err);
    if (op->out[0] == UINT32_MAX) return err->code;
    op->n_out = 1;
    return LP_OK;
}

static void run_batch_norm(const lp__run *r, const lp__op *op)
{
    const channel_affine *ca = op->params;
    const float *x = lp__run_data(r, op->in[0]);
    float *y = lp__run_data(r, op->out[0]);
    size_t block = ca->channels * ca->inner, n = lp__shape_count(&r->g->values[op->out[0]].shape, r->n_rows) / block;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < ca->channels; k++)
            for (size_t q = 0; q < ca->inner; q++) {
                size_t at = i * block + k * ca->inner + q;
                y[at] = x[at] * ca->a[k] + ca->b[k];
            }
}

const lp__op_kind lp__ops_elementwise[] = {
    {"BatchNormalization", "", build_batch_norm, run_batch_norm},
    {"Relu", "", build_relu, run_unary},       {"LeakyRelu", "", build_leaky, run_unary},
    {"Sigmoid", "", build_sigmoid, run_unary}, {"Tanh", "", build_tanh, run_unary},
    {"Exp", "", build_exp, run_unary},         {"Log", "", build_log, run_unary},
    {"Sqrt", "", build_sqrt, run_unary},       {"Abs", "", build_abs, run_unary},
    {"Neg", "", build_neg, run_unary},         {"Clip", "", build_clip, run_unary},
    {"Softplus", "", build_softplus, run_unary},
    {"Identity", "", build_copy, run_unary},   {"Dropout", "", build_copy, run_unary},
    {"Cast", "", build_cast, run_unary},
    {"Add", "", build_add, run_binary},        {"Sub", "", build_sub, run_binary},
    {"Mul", "", build_mul, run_binary},        {"Div", "", build_div, run_binary},
    {"Pow", "", build_pow, run_binary},        {"Max", "", build_max, run_binary},
    {"Min", "", build_min, run_binary},
    {"Softmax", "", build_softmax, run_softmax}, {"LogSoftmax", "", build_log_softmax, run_softmax},
};
const size_t lp__n_ops_elementwise = sizeof lp__ops_elementwise / sizeof *lp__ops_elementwise;
