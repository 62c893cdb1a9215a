/* ops_elementwise.c — unary activations and binary arithmetic with numpy
 * broadcasting, on float32.  Transcendentals go through core/lp_math (in
 * double, rounded once; float Softmax and Erf through its float32 lp__expf /
 * lp__erff, the kernels' lp_kern_softmax / lp_kern_erf), so native and WASM
 * builds agree. */
#include <math.h>
#include <string.h>

#include "../core/lp_math.h"
#include "../kernels/kernels.h"
#include "graph.h"

/* ---- unary ------------------------------------------------------------------------- */

enum { U_RELU, U_LEAKY, U_SIGMOID, U_TANH, U_EXP, U_LOG, U_SQRT, U_ABS, U_NEG, U_CLIP, U_COPY, U_SOFTPLUS, U_ERF,
       U_NOT, U_FLOOR, U_CEIL, U_RECIPROCAL, U_ELU, U_SELU, U_CELU, U_HARD_SIGMOID, U_HARD_SWISH, U_SOFTSIGN };

/* Which dtypes each unary operator takes: floats, or also integers, or any
 * (copies), or bool (Not). */
enum { TAKES_FLOATS, TAKES_NUMBERS, TAKES_ANY, TAKES_BOOL };

static int unary_takes(int which)
{
    switch (which) {
    case U_RELU: case U_ABS: case U_NEG: case U_CLIP: return TAKES_NUMBERS;
    case U_COPY: return TAKES_ANY;
    case U_NOT: return TAKES_BOOL;
    default: return TAKES_FLOATS;
    }
}

static lp_status build_unary_as(lp__graph *g, lp__op *op, const lp__onnx_node *node, int which, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    int takes = unary_takes(which), d = x->dtype;
    int ok = takes == TAKES_ANY || (takes == TAKES_BOOL ? d == LP_ONNX_BOOL
                                    : d == LP_ONNX_FLOAT || d == LP_ONNX_DOUBLE ||
                                      (takes == TAKES_NUMBERS && (d == LP_ONNX_INT64 || d == LP_ONNX_INT32)));
    if (!ok)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input holds %s (%s are supported)", lp__onnx_dtype_name(d),
                           takes == TAKES_BOOL ? "bool values" : takes == TAKES_NUMBERS ? "float, double, int64 and int32"
                                                                                         : "float and double");
    op->iattr[0] = which;
    lp__shape shape = x->shape;
    return lp__op_output(g, op, node, 0, d, &shape, err);
}

/* erf in double: 2/√π · e^(-x²) · Σ 2ⁿ x^(2n+1) / (2n+1)!!, a series of
 * positive terms (no cancellation) that converges for every x; beyond 6,
 * erf is ±1 to double precision. */
static double erf_f64(double x)
{
    double ax = x < 0 ? -x : x;
    if (ax != ax) return x;
    if (ax >= 6.0) return x < 0 ? -1.0 : 1.0;
    double x2 = ax * ax, term = ax, sum = ax;
    for (int n = 0; n < 200 && term > sum * 1e-17; n++) {
        term *= 2.0 * x2 / (2.0 * n + 3.0);
        sum += term;
    }
    double r = 1.1283791670955126 * lp__exp(-x2) * sum;
    r = r > 1.0 ? 1.0 : r;
    return x < 0 ? -r : r;
}

static double sigmoid_f64(double x)
{
    if (x >= 0) return 1.0 / (1.0 + lp__exp(-x));
    double e = lp__exp(x);
    return e / (1.0 + e);
}

/* tanh in double: a series near 0, where 1 - e^(-2|x|) would cancel. */
static double tanh_f64(double x)
{
    double ax = x < 0 ? -x : x, t;
    if (ax < 0.01) {
        double x2 = ax * ax;
        t = ax * (1.0 - x2 * (1.0 / 3.0 - x2 * (2.0 / 15.0 - x2 * 17.0 / 315.0)));
    } else {
        double e = lp__exp(-2.0 * ax);
        t = (1.0 - e) / (1.0 + e);
    }
    return x < 0 ? -t : t;
}

/* The activations with parameters, as the ONNX specification writes them,
 * in double (the float path rounds once); NaN stays NaN. */
static double activation_f64(int which, double v, double a, double b)
{
    switch (which) {
    case U_ELU: return v < 0 ? a * (lp__exp(v) - 1.0) : v;
    case U_SELU: return v > 0 ? b * v : b * (a * lp__exp(v) - a);   /* a = alpha, b = gamma */
    case U_CELU: return v < 0 ? a * (lp__exp(v / a) - 1.0) : v;   /* max(0, v) + min(0, a (e^(v/a) - 1)) */
    case U_HARD_SIGMOID: v = a * v + b; return v < 0 ? 0.0 : v > 1 ? 1.0 : v;
    case U_HARD_SWISH: {   /* v * HardSigmoid(v) with alpha 1/6, beta 1/2 */
        double h = v / 6.0 + 0.5;
        return v * (h < 0 ? 0.0 : h > 1 ? 1.0 : h);
    }
    default: return v / (1.0 + fabs(v));   /* Softsign */
    }
}

static void run_unary_f32(int which, const float *x, float *y, size_t n, float a, float b)
{
    if (which >= U_ELU) {
        for (size_t i = 0; i < n; i++) y[i] = (float)activation_f64(which, (double)x[i], (double)a, (double)b);
        return;
    }
    switch (which) {
    case U_RELU: for (size_t i = 0; i < n; i++) y[i] = x[i] < 0 ? 0.0f : x[i]; break;   /* NaN stays NaN */
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
    case U_ERF: lp_kern_erf(x, y, n); break;   /* float erf: GELU's hot loop */
    case U_FLOOR: for (size_t i = 0; i < n; i++) y[i] = floorf(x[i]); break;
    case U_CEIL: for (size_t i = 0; i < n; i++) y[i] = ceilf(x[i]); break;
    case U_RECIPROCAL: for (size_t i = 0; i < n; i++) y[i] = 1.0f / x[i]; break;
    default: if (y != x) memmove(y, x, n * sizeof *y); break;
    }
}

static void run_unary_f64(int which, const double *x, double *y, size_t n, double a, double b)
{
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        switch (which) {
        case U_RELU: v = v < 0 ? 0.0 : v; break;
        case U_LEAKY: v = v >= 0 ? v : a * v; break;
        case U_SIGMOID: v = sigmoid_f64(v); break;
        case U_TANH: v = tanh_f64(v); break;
        case U_EXP: v = lp__exp(v); break;
        case U_LOG: v = v > 0 ? lp__log(v) : v == 0 ? -INFINITY : NAN; break;
        case U_SQRT: v = sqrt(v); break;
        case U_ABS: v = fabs(v); break;
        case U_NEG: v = -v; break;
        case U_CLIP: v = v < a ? a : v > b ? b : v; break;
        case U_SOFTPLUS: v = v > 40 ? v : lp__log(1.0 + lp__exp(v)); break;
        case U_ERF: v = erf_f64(v); break;
        case U_FLOOR: v = floor(v); break;
        case U_CEIL: v = ceil(v); break;
        case U_RECIPROCAL: v = 1.0 / v; break;
        case U_COPY: case U_NOT: break;
        default: v = activation_f64(which, v, a, b); break;
        }
        y[i] = v;
    }
}

/* Integers: Relu, Abs, Neg, Clip (bounds truncated; INT_MIN negates to
 * itself, wrapping as two's complement does). */
#define RUN_UNARY_INT(T, UT)                                                                       \
    static void run_unary_##T(int which, const T *x, T *y, size_t n, double a, double b)          \
    {                                                                                              \
        for (size_t i = 0; i < n; i++) {                                                           \
            T v = x[i];                                                                            \
            switch (which) {                                                                       \
            case U_RELU: v = v > 0 ? v : 0; break;                                                 \
            case U_ABS: v = v < 0 ? (T)(0 - (UT)v) : v; break;                                     \
            case U_NEG: v = (T)(0 - (UT)v); break;                                                 \
            case U_CLIP: v = (double)v < a ? (T)a : (double)v > b ? (T)b : v; break;               \
            default: break;                                                                        \
            }                                                                                      \
            y[i] = v;                                                                              \
        }                                                                                          \
    }
RUN_UNARY_INT(int64_t, uint64_t)
RUN_UNARY_INT(int32_t, uint32_t)

static void run_unary(const lp__run *r, const lp__op *op)
{
    const lp__value *yv = &r->g->values[op->out[0]];
    const void *x = lp__run_data(r, op->in[0]);
    void *y = lp__run_data(r, op->out[0]);
    size_t n = lp__shape_count(&yv->shape, r->n_rows);
    int which = op->iattr[0];
    double a = op->dattr[0], b = op->dattr[1];
    if (which == U_COPY) {
        if (y != x) memmove(y, x, n * lp__dtype_elem_size(yv->dtype));
        return;
    }
    switch (yv->dtype) {
    case LP_ONNX_FLOAT: run_unary_f32(which, x, y, n, (float)a, (float)b); break;
    case LP_ONNX_DOUBLE: run_unary_f64(which, x, y, n, a, b); break;
    case LP_ONNX_INT64: run_unary_int64_t(which, x, y, n, a, b); break;
    case LP_ONNX_INT32: run_unary_int32_t(which, x, y, n, a, b); break;
    default:   /* Not */
        for (size_t i = 0; i < n; i++) ((uint8_t *)y)[i] = !((const uint8_t *)x)[i];
        break;
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
UNARY(erf, U_ERF)
UNARY(not, U_NOT)
UNARY(floor, U_FLOOR)
UNARY(ceil, U_CEIL)
UNARY(reciprocal, U_RECIPROCAL)
UNARY(hard_swish, U_HARD_SWISH)
UNARY(softsign, U_SOFTSIGN)

/* A float attribute, or its default. */
static double float_attr(const lp__onnx_node *node, const char *name, float fallback)
{
    const lp__onnx_attr *a = lp__onnx_attr_find(node, name);
    return a && a->type == LP_ONNX_ATTR_FLOAT ? a->f : fallback;
}

static lp_status build_leaky(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    op->dattr[0] = float_attr(node, "alpha", 0.01f);
    return build_unary_as(g, op, node, U_LEAKY, err);
}

/* Elu, Selu, Celu, HardSigmoid: their attributes and the specification's
 * defaults (Selu's are float32 roundings of its constants, as the
 * specification gives them). */
static lp_status build_elu(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    op->dattr[0] = float_attr(node, "alpha", 1.0f);
    return build_unary_as(g, op, node, U_ELU, err);
}

static lp_status build_selu(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    op->dattr[0] = float_attr(node, "alpha", 1.67326319217681884765625f);
    op->dattr[1] = float_attr(node, "gamma", 1.05070102214813232421875f);
    return build_unary_as(g, op, node, U_SELU, err);
}

static lp_status build_celu(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    op->dattr[0] = float_attr(node, "alpha", 1.0f);
    if (op->dattr[0] == 0) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "alpha is 0");
    return build_unary_as(g, op, node, U_CELU, err);
}

static lp_status build_hard_sigmoid(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    op->dattr[0] = float_attr(node, "alpha", 0.2f);
    op->dattr[1] = float_attr(node, "beta", 0.5f);
    return build_unary_as(g, op, node, U_HARD_SIGMOID, err);
}

/* Clip: bounds from attributes (opset < 11) or constant inputs (11+, of the
 * input's dtype). */
static lp_status build_clip(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__onnx_attr *lo = lp__onnx_attr_find(node, "min"), *hi = lp__onnx_attr_find(node, "max");
    op->dattr[0] = lo ? lo->f : -INFINITY;
    op->dattr[1] = hi ? hi->f : INFINITY;
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    for (int i = 1; i < 3 && i < op->n_in; i++) {
        if (op->in[i] == UINT32_MAX) continue;
        const void *v = lp__const_input(g, op, i, x->dtype, err);
        if (!v) return err->code;
        if (lp__shape_count(&g->values[op->in[i]].shape, 0) != 1)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "input %d (the %s bound) is not a scalar", i + 1,
                               i == 1 ? "lower" : "upper");
        op->dattr[i - 1] = lp__dtype_get_f64(x->dtype, v, 0);
    }
    return build_unary_as(g, op, node, U_CLIP, err);
}

/* Cast between the computable dtypes (ONNX's rules: lp__dtype_convert). */
static lp_status build_cast(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    const lp__onnx_attr *to = lp__onnx_attr_find(node, "to");
    if (!to || to->type != LP_ONNX_ATTR_INT)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "no integer attribute \"to\"");
    if (x->dtype == LP_ONNX_STRING || to->i == LP_ONNX_STRING)   /* cast_string.c */
        return lp__build_cast_string(g, op, node, x, (int32_t)to->i, err);
    if (!lp__dtype_computable((int32_t)to->i) || !lp__dtype_computable(x->dtype))
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "cast from %s to %s (float, double, int64, int32 and bool "
                           "are supported)", lp__onnx_dtype_name(x->dtype), lp__onnx_dtype_name((int32_t)to->i));
    lp__shape shape = x->shape;
    return lp__op_output(g, op, node, 0, (int32_t)to->i, &shape, err);
}

static void run_cast(const lp__run *r, const lp__op *op)
{
    const lp__value *xv = &r->g->values[op->in[0]], *yv = &r->g->values[op->out[0]];
    if (xv->dtype == LP_ONNX_STRING || yv->dtype == LP_ONNX_STRING) {
        lp__run_cast_string(r, op);
        return;
    }
    lp__dtype_convert(yv->dtype, lp__run_data(r, op->out[0]), xv->dtype, lp__run_data(r, op->in[0]),
                      lp__shape_count(&yv->shape, r->n_rows));
}

/* ---- n-ary with broadcasting ---------------------------------------------------------- */

/* Arithmetic keeps the dtype; comparisons give bool; logic takes bool. */
enum { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAX, B_MIN, B_MOD, B_PRELU,
       B_EQUAL, B_LESS, B_GREATER, B_LESS_EQUAL, B_GREATER_EQUAL, B_AND, B_OR, B_XOR, B_WHERE };

/* numpy's rule: align right; equal sizes, or one of them is 1. */
static lp_status broadcast(const lp__op *op, const lp__shape *a, const lp__shape *b, lp__shape *out, lp_error *err)
{
    int rank = a->rank > b->rank ? a->rank : b->rank;
    out->rank = rank;
    for (int k = 0; k < rank; k++) {
        int ia = k - (rank - a->rank), ib = k - (rank - b->rank);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da == db || db == 1) out->dims[k] = da;
        else if (da == 1) out->dims[k] = db;
        else return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "shapes do not broadcast (dimension %d: %lld vs %lld)", k,
                                (long long)da, (long long)db);
    }
    return LP_OK;
}

/* Walks the output of a broadcast with an odometer, keeping each operand's
 * element index (operands of broadcast dimensions stay put). */
typedef struct bwalk {
    int    rank, n_ops;
    size_t dims[LP__MAX_RANK], idx[LP__MAX_RANK];
    size_t step[3][LP__MAX_RANK];
    size_t at[3];
} bwalk;

/* The walk over y for the operands `in` (at most 3). */
static void bwalk_init_values(bwalk *w, const lp__run *r, const uint32_t *in, int n_ops, uint32_t y)
{
    const lp__graph *g = r->g;
    w->rank = g->values[y].shape.rank;
    w->n_ops = n_ops;
    lp__run_dims(r, y, w->dims);
    for (int j = 0; j < n_ops; j++) {
        const lp__shape *s = &g->values[in[j]].shape;
        size_t stride = 1;
        for (int k = w->rank - 1; k >= 0; k--) {
            int ik = k - (w->rank - s->rank);
            size_t d = ik >= 0 ? (s->dims[ik] == LP__BATCH ? r->n_rows : (size_t)s->dims[ik]) : 1;
            w->step[j][k] = d == 1 ? 0 : stride;
            stride *= d;
        }
        w->at[j] = 0;
    }
    memset(w->idx, 0, sizeof w->idx);
}

static void bwalk_init(bwalk *w, const lp__run *r, const lp__op *op, int n_ops, uint32_t y)
{
    bwalk_init_values(w, r, op->in, n_ops, y);
}

static inline void bwalk_next(bwalk *w)
{
    for (int k = w->rank - 1; k >= 0; k--) {
        w->idx[k]++;
        for (int j = 0; j < w->n_ops; j++) w->at[j] += w->step[j][k];
        if (w->idx[k] < w->dims[k]) return;
        for (int j = 0; j < w->n_ops; j++) w->at[j] -= w->step[j][k] * w->dims[k];
        w->idx[k] = 0;
    }
}

static lp_status build_binary_as(lp__graph *g, lp__op *op, const lp__onnx_node *node, int which, lp_error *err)
{
    if (op->n_in != 2 || op->in[0] == UINT32_MAX || op->in[1] == UINT32_MAX)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "%d inputs (two are supported)", op->n_in);
    const lp__value *a = &g->values[op->in[0]], *b = &g->values[op->in[1]];
    if (a->holds_batch || b->holds_batch)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "arithmetic on the number of rows (export the model with "
                           "fixed dimensions other than the batch)");
    int d = a->dtype;
    if (which == B_POW && b->dtype != d && b->is_const && lp__dtype_computable(b->dtype)) {
        /* Pow's exponent may have its own type (opset 12+): a constant one
         * is converted once. */
        lp__shape bs = b->shape;
        uint32_t c = lp__graph_add_value(g, b->name, d, &bs, err);
        if (c == UINT32_MAX) return err->code;
        size_t n = lp__shape_count(&bs, 0);
        void *data = lp__graph_alloc(g, n * lp__dtype_elem_size(d), err);
        if (!data) return err->code;
        b = &g->values[op->in[1]];
        lp__dtype_convert(d, data, b->dtype, b->data, n);
        g->values[c].is_const = 1;
        g->values[c].data = data;
        op->in[1] = c;
        a = &g->values[op->in[0]];   /* adding a value may have moved them */
        b = &g->values[c];
    }
    if (which == B_EQUAL && d == LP_ONNX_STRING && b->dtype == LP_ONNX_STRING) {
        /* Strings from opset 19 (onnxruntime refuses the model below).  A cell
         * of a string input that the model names nowhere keeps no text here
         * (graph_build.c: the strings Equal's constants name are among those
         * it keeps), so one side must be a constant. */
        int64_t opset = lp__onnx_opset_version(&g->source, "");
        if (opset < 19)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "inputs hold strings, which Equal takes from opset 19 on "
                               "(the model imports opset %lld)", (long long)opset);
        if (!a->is_const && !b->is_const)
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "compares two computed strings (a string compared with "
                               "a constant one is supported)");
    }
    int numbers = d == LP_ONNX_FLOAT || d == LP_ONNX_DOUBLE || d == LP_ONNX_INT64 || d == LP_ONNX_INT32;
    int ok = b->dtype == d && (which >= B_AND && which <= B_XOR ? d == LP_ONNX_BOOL
                               : which == B_EQUAL ? numbers || d == LP_ONNX_BOOL || d == LP_ONNX_STRING : numbers);
    if (!ok)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "inputs hold %s and %s (%s)", lp__onnx_dtype_name(a->dtype),
                           lp__onnx_dtype_name(b->dtype),
                           which >= B_AND && which <= B_XOR ? "bool and bool are supported"
                                                            : "the same type, float, double, int64 or int32, is supported");
    lp__shape shape;
    lp_status s = broadcast(op, &a->shape, &b->shape, &shape, err);
    if (s != LP_OK) return s;
    op->iattr[0] = which;
    return lp__op_output(g, op, node, 0, which >= B_EQUAL ? LP_ONNX_BOOL : d, &shape, err);
}

static inline float apply_f32(int which, float x, float y)
{
    switch (which) {
    case B_ADD: return x + y;
    case B_SUB: return x - y;
    case B_MUL: return x * y;
    case B_DIV: return x / y;
    case B_POW: return y == 2.0f ? x * x : y == 0.5f ? sqrtf(x) : powf(x, y);
    case B_MAX: return x != x || y != y ? NAN : x > y ? x : y;   /* NaN propagates, as in numpy */
    case B_PRELU: return x < 0 ? y * x : x;
    default: return x != x || y != y ? NAN : x < y ? x : y;
    }
}

static inline double apply_f64(int which, double x, double y)
{
    switch (which) {
    case B_ADD: return x + y;
    case B_SUB: return x - y;
    case B_MUL: return x * y;
    case B_DIV: return x / y;
    case B_POW: return y == 2.0 ? x * x : y == 0.5 ? sqrt(x) : pow(x, y);
    case B_MAX: return x != x || y != y ? NAN : x > y ? x : y;
    case B_PRELU: return x < 0 ? y * x : x;
    default: return x != x || y != y ? NAN : x < y ? x : y;
    }
}

/* Integers wrap as two's complement (no C overflow); division truncates
 * toward zero as onnxruntime's does, and by zero gives 0 instead of a trap. */
#define APPLY_INT(T, UT)                                                                           \
    static inline T apply_##T(int which, T x, T y)                                                 \
    {                                                                                              \
        switch (which) {                                                                           \
        case B_ADD: return (T)((UT)x + (UT)y);                                                     \
        case B_SUB: return (T)((UT)x - (UT)y);                                                     \
        case B_MUL: return (T)((UT)x * (UT)y);                                                     \
        case B_DIV: return y == 0 ? 0 : (y == -1 ? (T)(0 - (UT)x) : x / y);                        \
        case B_POW: {                                                                              \
            double p = pow((double)x, (double)y);                                                  \
            return p == p && p > -9.2e18 && p < 9.2e18 ? (T)(int64_t)p : 0;                        \
        }                                                                                          \
        case B_MAX: return x > y ? x : y;                                                          \
        default: return x < y ? x : y;                                                             \
        }                                                                                          \
    }
APPLY_INT(int64_t, uint64_t)
APPLY_INT(int32_t, uint32_t)

static inline uint8_t compare(int which, double x, double y)
{
    switch (which) {
    case B_EQUAL: return x == y;
    case B_LESS: return x < y;
    case B_GREATER: return x > y;
    case B_LESS_EQUAL: return x <= y;
    default: return x >= y;
    }
}

/* Equal on strings: the same bytes.  No text (a cell the model names
 * nowhere) equals none of the constant's strings. */
static inline uint8_t same_string(lp__onnx_bytes x, lp__onnx_bytes y)
{
    return x.data && y.data && x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
}

static inline uint8_t logic(int which, uint8_t x, uint8_t y)
{
    return which == B_AND ? (x && y) : which == B_OR ? (x || y) : (x != 0) != (y != 0);
}

/* y[i] = EXPR(x, z) for T-typed operands x = a[.], z = b[.] over the
 * broadcast output: same shapes and a scalar b take the direct loops. */
#define BINARY_LOOPS(TI, TO, EXPR)                                                                  \
    do {                                                                                           \
        const TI *a_ = pa, *b_ = pb;                                                               \
        TO *y_ = py;                                                                               \
        if (na == n && nb == n) {                                                                  \
            for (size_t i = 0; i < n; i++) { TI x = a_[i], z = b_[i]; y_[i] = (EXPR); }             \
        } else if (na == n && nb == 1) {                                                           \
            TI z = b_[0];                                                                          \
            for (size_t i = 0; i < n; i++) { TI x = a_[i]; y_[i] = (EXPR); }                        \
        } else {                                                                                   \
            bwalk w;                                                                               \
            bwalk_init(&w, r, op, 2, op->out[0]);                                                  \
            for (size_t i = 0; i < n; i++) {                                                       \
                TI x = a_[w.at[0]], z = b_[w.at[1]];                                               \
                y_[i] = (EXPR);                                                                    \
                bwalk_next(&w);                                                                    \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* Float + - * / over a broadcast, run by run: the output's dimensions are
 * merged where both operands continue contiguously (or both stay put), so
 * what is left innermost is a run in which each operand either advances by
 * one or repeats one element (a bias row, an attention mask, a scalar).  The
 * same arithmetic as BINARY_LOOPS, element for element; loops the compiler
 * vectorises instead of an odometer step per element. */
#define F32_RUN(OP)                                                                                \
    do {                                                                                           \
        if (sa && sb) for (size_t i = 0; i < len; i++) y[i] = a[i] OP b[i];                        \
        else if (sa) { float z = b[0]; for (size_t i = 0; i < len; i++) y[i] = a[i] OP z; }        \
        else if (sb) { float x = a[0]; for (size_t i = 0; i < len; i++) y[i] = x OP b[i]; }        \
        else { float v = a[0] OP b[0]; for (size_t i = 0; i < len; i++) y[i] = v; }               \
    } while (0)

static void f32_run(int which, const float *a, int sa, const float *b, int sb, float *y, size_t len)
{
    switch (which) {
    case B_ADD: F32_RUN(+); break;
    case B_SUB: F32_RUN(-); break;
    case B_MUL: F32_RUN(*); break;
    default: F32_RUN(/); break;
    }
}

static void run_binary_f32_runs(const lp__run *r, const lp__op *op, int which, const float *a, const float *b, float *y)
{
    bwalk w;
    bwalk_init(&w, r, op, 2, op->out[0]);
    /* merge dimension k into k + 1 where every operand's step at k is its
     * step at k + 1 times that dimension */
    int rank = 0;
    size_t dims[LP__MAX_RANK], step[2][LP__MAX_RANK];
    for (int k = 0; k < w.rank; k++) {
        if (w.dims[k] == 1) continue;
        if (rank > 0 && step[0][rank - 1] == w.step[0][k] * w.dims[k] &&
            step[1][rank - 1] == w.step[1][k] * w.dims[k]) {
            dims[rank - 1] *= w.dims[k];
            step[0][rank - 1] = w.step[0][k];
            step[1][rank - 1] = w.step[1][k];
            continue;
        }
        dims[rank] = w.dims[k];
        step[0][rank] = w.step[0][k];
        step[1][rank] = w.step[1][k];
        rank++;
    }
    if (rank == 0) {   /* a single element */
        f32_run(which, a, 1, b, 1, y, 1);
        return;
    }
    size_t len = dims[rank - 1], idx[LP__MAX_RANK] = {0}, at[2] = {0, 0}, n_runs = 1;
    int sa = step[0][rank - 1] != 0, sb = step[1][rank - 1] != 0;   /* 1 or 0 innermost */
    for (int k = 0; k < rank - 1; k++) n_runs *= dims[k];
    for (size_t run = 0; run < n_runs; run++, y += len) {
        f32_run(which, a + at[0], sa, b + at[1], sb, y, len);
        for (int k = rank - 2; k >= 0; k--) {   /* the odometer over the outer dimensions */
            at[0] += step[0][k];
            at[1] += step[1][k];
            if (++idx[k] < dims[k]) break;
            at[0] -= step[0][k] * dims[k];
            at[1] -= step[1][k] * dims[k];
            idx[k] = 0;
        }
    }
}

static void run_binary(const lp__run *r, const lp__op *op)
{
    const lp__graph *g = r->g;
    const lp__value *av = &g->values[op->in[0]], *bv = &g->values[op->in[1]], *yv = &g->values[op->out[0]];
    const void *pa = lp__run_data(r, op->in[0]), *pb = lp__run_data(r, op->in[1]);
    void *py = lp__run_data(r, op->out[0]);
    int which = op->iattr[0];
    size_t n = lp__shape_count(&yv->shape, r->n_rows);
    size_t na = lp__shape_count(&av->shape, r->n_rows), nb = lp__shape_count(&bv->shape, r->n_rows);
    if (which >= B_AND) {
        BINARY_LOOPS(uint8_t, uint8_t, logic(which, x, z));
        return;
    }
    if (which >= B_EQUAL) {
        switch (av->dtype) {
        case LP_ONNX_FLOAT: BINARY_LOOPS(float, uint8_t, compare(which, x, z)); break;
        case LP_ONNX_DOUBLE: BINARY_LOOPS(double, uint8_t, compare(which, x, z)); break;
        /* int64 beyond 2^53 would not compare exactly as doubles */
        case LP_ONNX_INT64: BINARY_LOOPS(int64_t, uint8_t, compare(which, 0, x < z ? -1 : x > z)); break;
        case LP_ONNX_INT32: BINARY_LOOPS(int32_t, uint8_t, compare(which, x, z)); break;
        case LP_ONNX_STRING: BINARY_LOOPS(lp__onnx_bytes, uint8_t, same_string(x, z)); break;   /* Equal only */
        default: BINARY_LOOPS(uint8_t, uint8_t, compare(which, x, z)); break;
        }
        return;
    }
    if (av->dtype == LP_ONNX_FLOAT && which <= B_DIV) {
        run_binary_f32_runs(r, op, which, pa, pb, py);
        return;
    }
    switch (av->dtype) {
    case LP_ONNX_FLOAT: BINARY_LOOPS(float, float, apply_f32(which, x, z)); break;
    case LP_ONNX_DOUBLE: BINARY_LOOPS(double, double, apply_f64(which, x, z)); break;
    case LP_ONNX_INT64: BINARY_LOOPS(int64_t, int64_t, apply_int64_t(which, x, z)); break;
    default: BINARY_LOOPS(int32_t, int32_t, apply_int32_t(which, x, z)); break;
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
BINARY(equal, B_EQUAL)
BINARY(less, B_LESS)
BINARY(greater, B_GREATER)
BINARY(less_equal, B_LESS_EQUAL)
BINARY(greater_equal, B_GREATER_EQUAL)
BINARY(and, B_AND)
BINARY(or, B_OR)
BINARY(xor, B_XOR)

/* PRelu: x < 0 ? slope x : x, the slope broadcast to x (torch's nn.PReLU:
 * one slope, or one per channel); float and double, as onnxruntime's. */
static lp_status build_prelu(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    if (x->dtype != LP_ONNX_FLOAT && x->dtype != LP_ONNX_DOUBLE)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input holds %s (float and double are supported)",
                           lp__onnx_dtype_name(x->dtype));
    return build_binary_as(g, op, node, B_PRELU, err);
}

/* ---- variadic: Max, Min, Sum, Mean ------------------------------------------------------ */

/* Max, Min, Sum and Mean take one or more inputs (opset 8+: up to
 * LP__MAX_OP_INPUTS here), broadcast together by numpy's rule.  The output
 * folds them left to right as onnxruntime does, ((x0 op x1) op x2) ..., in
 * the inputs' dtype; Mean then divides by their count.  NaN propagates
 * through Max and Min (apply_f32). */
static lp_status build_variadic_as(lp__graph *g, lp__op *op, const lp__onnx_node *node, int which, int mean,
                                   lp_error *err)
{
    if (op->n_in < 1) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "no input");
    lp__shape shape = {0, {0}};
    int d = -1;
    for (int i = 0; i < op->n_in; i++) {
        const lp__value *x = lp__op_input(g, op, i, err);
        if (!x) return err->code;
        if (x->holds_batch)
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "arithmetic on the number of rows (export the model "
                               "with fixed dimensions other than the batch)");
        if (d < 0) d = x->dtype;
        int ints = d == LP_ONNX_INT64 || d == LP_ONNX_INT32;
        if (x->dtype != d || !(d == LP_ONNX_FLOAT || d == LP_ONNX_DOUBLE || (ints && !mean)))
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input %d holds %s and input 1 %s (one type, %s, is "
                               "supported)", i + 1, lp__onnx_dtype_name(x->dtype), lp__onnx_dtype_name(d),
                               mean ? "float or double" : "float, double, int64 or int32");
        lp__shape joined;
        lp_status s = broadcast(op, &shape, &x->shape, &joined, err);
        if (s != LP_OK) return s;
        shape = joined;
    }
    op->iattr[0] = which;
    op->iattr[1] = mean;
    return lp__op_output(g, op, node, 0, d, &shape, err);
}

static lp_status build_max(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    return build_variadic_as(g, op, node, B_MAX, 0, err);
}

static lp_status build_min(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    return build_variadic_as(g, op, node, B_MIN, 0, err);
}

static lp_status build_sum(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    return build_variadic_as(g, op, node, B_ADD, 0, err);
}

static lp_status build_mean(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    return build_variadic_as(g, op, node, B_ADD, 1, err);
}

/* y = x0 broadcast, then y = APPLY(y, xj) for each further input. */
#define VARIADIC_LOOPS(T, APPLY)                                                                   \
    do {                                                                                           \
        T *y_ = py;                                                                                \
        for (int j = 0; j < op->n_in; j++) {                                                       \
            const T *x_ = lp__run_data(r, op->in[j]);                                              \
            bwalk w;                                                                               \
            bwalk_init_values(&w, r, &op->in[j], 1, op->out[0]);                                   \
            for (size_t i = 0; i < n; i++) {                                                       \
                y_[i] = j == 0 ? x_[w.at[0]] : APPLY(which, y_[i], x_[w.at[0]]);                   \
                bwalk_next(&w);                                                                    \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static void run_variadic(const lp__run *r, const lp__op *op)
{
    const lp__value *yv = &r->g->values[op->out[0]];
    void *py = lp__run_data(r, op->out[0]);
    size_t n = lp__shape_count(&yv->shape, r->n_rows);
    int which = op->iattr[0];
    switch (yv->dtype) {
    case LP_ONNX_FLOAT:
        VARIADIC_LOOPS(float, apply_f32);
        if (op->iattr[1])
            for (size_t i = 0; i < n; i++) ((float *)py)[i] /= (float)op->n_in;
        break;
    case LP_ONNX_DOUBLE:
        VARIADIC_LOOPS(double, apply_f64);
        if (op->iattr[1])
            for (size_t i = 0; i < n; i++) ((double *)py)[i] /= (double)op->n_in;
        break;
    case LP_ONNX_INT64: VARIADIC_LOOPS(int64_t, apply_int64_t); break;
    default: VARIADIC_LOOPS(int32_t, apply_int32_t); break;
    }
}

/* Where(condition, X, Y): X where the condition holds, else Y, all three
 * broadcast together. */
static lp_status build_where(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    if (op->n_in != 3 || op->in[0] == UINT32_MAX || op->in[1] == UINT32_MAX || op->in[2] == UINT32_MAX)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "%d inputs (3 expected)", op->n_in);
    const lp__value *c = &g->values[op->in[0]], *x = &g->values[op->in[1]], *y = &g->values[op->in[2]];
    if (c->dtype != LP_ONNX_BOOL)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "the condition holds %s, not bool", lp__onnx_dtype_name(c->dtype));
    if (x->dtype != y->dtype)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "X holds %s and Y %s (one type expected)",
                           lp__onnx_dtype_name(x->dtype), lp__onnx_dtype_name(y->dtype));
    lp__shape xy, shape;
    lp_status s = broadcast(op, &x->shape, &y->shape, &xy, err);
    if (s == LP_OK) s = broadcast(op, &c->shape, &xy, &shape, err);
    if (s != LP_OK) return s;
    return lp__op_output(g, op, node, 0, x->dtype, &shape, err);
}

static void run_where(const lp__run *r, const lp__op *op)
{
    const lp__value *yv = &r->g->values[op->out[0]];
    size_t n = lp__shape_count(&yv->shape, r->n_rows), size = lp__dtype_elem_size(yv->dtype);
    const uint8_t *c = lp__run_data(r, op->in[0]);
    const char *x = lp__run_data(r, op->in[1]), *y = lp__run_data(r, op->in[2]);
    char *out = lp__run_data(r, op->out[0]);
    bwalk w;
    bwalk_init(&w, r, op, 3, op->out[0]);
    for (size_t i = 0; i < n; i++) {
        memcpy(out + i * size, c[w.at[0]] ? x + w.at[1] * size : y + w.at[2] * size, size);
        bwalk_next(&w);
    }
}

/* Expand(input, shape): the input broadcast to the shape (numpy's rule in
 * both directions: the output may be larger than the shape says). */
static lp_status build_expand(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    const int64_t *d = lp__const_input(g, op, 1, LP_ONNX_INT64, err);
    if (!d) return err->code;
    size_t n = lp__shape_count(&g->values[op->in[1]].shape, 0);
    if (n > LP__MAX_RANK) return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "a shape of %zu dimensions", n);
    lp__shape want = {(int)n, {0}}, shape;
    for (size_t k = 0; k < n; k++) {
        want.dims[k] = d[k] == LP__BATCH_VALUE ? LP__BATCH : d[k];
        if (want.dims[k] < 0 && want.dims[k] != LP__BATCH)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "shape dimension %zu is %lld", k, (long long)d[k]);
    }
    lp_status s = broadcast(op, &x->shape, &want, &shape, err);
    return s != LP_OK ? s : lp__op_output(g, op, node, 0, x->dtype, &shape, err);
}

static void run_expand(const lp__run *r, const lp__op *op)
{
    const lp__value *yv = &r->g->values[op->out[0]];
    size_t n = lp__shape_count(&yv->shape, r->n_rows), size = lp__dtype_elem_size(yv->dtype);
    const char *x = lp__run_data(r, op->in[0]);
    char *out = lp__run_data(r, op->out[0]);
    bwalk w;
    bwalk_init(&w, r, op, 1, op->out[0]);
    for (size_t i = 0; i < n; i++) {
        memcpy(out + i * size, x + w.at[0] * size, size);
        bwalk_next(&w);
    }
}

/* ---- softmax ------------------------------------------------------------------------------ */

/* Along the last axis (opset 13 default; opset < 13 flattens at `axis`,
 * which for the last axis is the same). */
static lp_status build_softmax_as(lp__graph *g, lp__op *op, const lp__onnx_node *node, int log, lp_error *err)
{
    if (op->n_in < 1 || op->in[0] == UINT32_MAX) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "no input");
    const lp__value *x = &g->values[op->in[0]];
    if (x->dtype != LP_ONNX_FLOAT && x->dtype != LP_ONNX_DOUBLE)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input holds %s (float and double are supported)",
                           lp__onnx_dtype_name(x->dtype));
    const lp__onnx_attr *axis = lp__onnx_attr_find(node, "axis");
    int64_t opset = lp__onnx_opset_version(&g->source, "");
    int64_t ax = axis ? axis->i : opset >= 13 ? -1 : 1;
    if (ax < 0) ax += x->shape.rank;
    if (ax < 0 || ax >= x->shape.rank)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "axis %lld of a rank-%d value", (long long)ax, x->shape.rank);
    /* Opset 13+: along one axis (elements `inner` apart); before: over the
     * block of every axis from `axis` on, flattened. */
    int64_t width = 1, inner = 1;
    for (int k = (int)ax; k < x->shape.rank; k++) {
        if (x->shape.dims[k] == LP__BATCH)
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "softmax across the rows of the batch (axis %lld)",
                               (long long)ax);
        if (opset >= 13 && k > ax) inner *= x->shape.dims[k];
        else width *= x->shape.dims[k];
    }
    if (width < 1 || width > INT32_MAX || inner > INT32_MAX)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "softmax over %lld values", (long long)width);
    op->iattr[0] = log;
    op->iattr[1] = (int)width;
    op->iattr[2] = (int)inner;
    lp__shape shape = x->shape;
    op->out[0] = lp__graph_add_value(g, node->outputs[0], x->dtype, &shape, err);
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

/* Softmax of elements `inner` apart (a non-last axis), in double. */
static void softmax_strided(const float *z, size_t width, size_t inner, int log, float *p)
{
    double top = z[0], sum = 0;
    for (size_t k = 1; k < width; k++)
        if (z[k * inner] > top) top = z[k * inner];
    for (size_t k = 0; k < width; k++) sum += lp__exp((double)z[k * inner] - top);
    double lse = top + lp__log(sum);
    for (size_t k = 0; k < width; k++)
        p[k * inner] = (float)(log ? (double)z[k * inner] - lse : lp__exp((double)z[k * inner] - top) / sum);
}

/* The same on double values (skl2onnx's double LogisticRegression), as
 * onnxruntime computes it: exp(z - max) / sum, or z - max - log(sum). */
static void softmax_f64(const double *z, size_t width, size_t inner, int log, double *p)
{
    double top = z[0], sum = 0;
    for (size_t k = 1; k < width; k++)
        if (z[k * inner] > top) top = z[k * inner];
    for (size_t k = 0; k < width; k++) sum += lp__exp(z[k * inner] - top);
    double log_sum = log ? lp__log(sum) : 0;
    for (size_t k = 0; k < width; k++)
        p[k * inner] = log ? z[k * inner] - top - log_sum : lp__exp(z[k * inner] - top) / sum;
}

static void run_softmax(const lp__run *r, const lp__op *op)
{
    const float *x = lp__run_data(r, op->in[0]);
    float *y = lp__run_data(r, op->out[0]);
    size_t width = (size_t)op->iattr[1], inner = (size_t)op->iattr[2];
    size_t n = lp__shape_count(&r->g->values[op->out[0]].shape, r->n_rows) / width;
    if (r->g->values[op->in[0]].dtype == LP_ONNX_DOUBLE) {
        const double *xd = lp__run_data(r, op->in[0]);
        double *yd = lp__run_data(r, op->out[0]);
        for (size_t o = 0; o < n / inner; o++)
            for (size_t i = 0; i < inner; i++)
                softmax_f64(xd + o * width * inner + i, width, inner, op->iattr[0], yd + o * width * inner + i);
        return;
    }
    if (inner > 1) {
        for (size_t o = 0; o < n / inner; o++)
            for (size_t i = 0; i < inner; i++)
                softmax_strided(x + o * width * inner + i, width, inner, op->iattr[0], y + o * width * inner + i);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const float *z = x + i * width;
        float *p = y + i * width;
        if (!op->iattr[0]) {
            lp_kern_softmax(z, width, p);   /* float exp: attention's hot loop */
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
    if (!x) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "no input");
    if (x->dtype != LP_ONNX_FLOAT)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input holds %s values (float is supported)",
                           lp__onnx_dtype_name(x->dtype));
    if (x->shape.rank < 2 || x->shape.dims[1] < 1)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input must be [N, C, ...] with C >= 1");
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
    {"Erf", "", build_erf, run_unary},         {"Not", "", build_not, run_unary},
    {"Floor", "", build_floor, run_unary},     {"Ceil", "", build_ceil, run_unary},
    {"Reciprocal", "", build_reciprocal, run_unary},
    {"Elu", "", build_elu, run_unary},         {"Selu", "", build_selu, run_unary},
    {"Celu", "", build_celu, run_unary},       {"HardSigmoid", "", build_hard_sigmoid, run_unary},
    {"HardSwish", "", build_hard_swish, run_unary}, {"Softsign", "", build_softsign, run_unary},
    {"Identity", "", build_copy, run_unary},
    {"Cast", "", build_cast, run_cast},
    {"Add", "", build_add, run_binary},        {"Sub", "", build_sub, run_binary},
    {"Mul", "", build_mul, run_binary},        {"Div", "", build_div, run_binary},
    {"Pow", "", build_pow, run_binary},        {"Max", "", build_max, run_variadic},
    {"Min", "", build_min, run_variadic},      {"Sum", "", build_sum, run_variadic},
    {"Mean", "", build_mean, run_variadic},
    {"Equal", "", build_equal, run_binary},    {"Less", "", build_less, run_binary},
    {"Greater", "", build_greater, run_binary},
    {"LessOrEqual", "", build_less_equal, run_binary}, {"GreaterOrEqual", "", build_greater_equal, run_binary},
    {"And", "", build_and, run_binary},        {"Or", "", build_or, run_binary},
    {"Xor", "", build_xor, run_binary},        {"Where", "", build_where, run_where},
    {"PRelu", "", build_prelu, run_binary},
    {"Expand", "", build_expand, run_expand},
    {"Softmax", "", build_softmax, run_softmax}, {"LogSoftmax", "", build_log_softmax, run_softmax},
};
const size_t lp__n_ops_elementwise = sizeof lp__ops_elementwise / sizeof *lp__ops_elementwise;
