/* ops_reduce.c — operators that combine elements along axes: ReduceSum,
 * ReduceMean, ReduceMax, ReduceMin, ReduceProd, ArgMax, ArgMin, TopK and
 * LayerNormalization (opset 17).
 *
 * A value is seen as kept dimensions × reduced dimensions; each output
 * element walks its reduced elements with an odometer (no scratch memory at
 * run time).  Floats accumulate in double and round once; integers in int64.
 * The rows of the batch are never reduced (refused at build time). */
#include <math.h>
#include <string.h>

#include "../kernels/kernels.h"
#include "graph.h"

static int64_t int_attr(const lp__onnx_node *n, const char *name, int64_t dflt)
{
    const lp__onnx_attr *a = lp__onnx_attr_find(n, name);
    return a && a->type == LP_ONNX_ATTR_INT ? a->i : dflt;
}

static int is_float(int32_t d) { return d == LP_ONNX_FLOAT || d == LP_ONNX_DOUBLE; }

/* Which axes of x an operator reduces: op->iattr[1] holds them as a bit
 * mask; the output keeps them as 1 (keepdims) or drops them. */
static lp_status reduce_shape(lp__graph *g, lp__op *op, const lp__value *x, uint32_t mask, int keepdims,
                              lp__shape *out, lp_error *err)
{
    (void)g;
    out->rank = 0;
    for (int k = 0; k < x->shape.rank; k++) {
        if (mask >> k & 1) {
            if (x->shape.dims[k] == LP__BATCH)
                return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "reducing over the rows of the batch (axis %d)", k);
            if (keepdims) out->dims[out->rank++] = 1;
        } else {
            out->dims[out->rank++] = x->shape.dims[k];
        }
    }
    op->iattr[1] = (int)mask;
    return LP_OK;
}

/* The reduction's geometry at run time: kept and reduced dims with x's strides. */
typedef struct geometry {
    int    n_kept, n_red;
    size_t kept[LP__MAX_RANK], kept_stride[LP__MAX_RANK];
    size_t red[LP__MAX_RANK], red_stride[LP__MAX_RANK];
    size_t n_out, n_each;
} geometry;

static void geometry_of(const lp__run *r, uint32_t x, uint32_t mask, geometry *q)
{
    size_t dims[LP__MAX_RANK], stride = 1, strides[LP__MAX_RANK];
    int rank = r->g->values[x].shape.rank;
    lp__run_dims(r, x, dims);
    for (int k = rank - 1; k >= 0; k--) strides[k] = stride, stride *= dims[k];
    q->n_kept = q->n_red = 0;
    q->n_out = q->n_each = 1;
    for (int k = 0; k < rank; k++) {
        if (mask >> k & 1) {
            q->red[q->n_red] = dims[k];
            q->red_stride[q->n_red++] = strides[k];
            q->n_each *= dims[k];
        } else {
            q->kept[q->n_kept] = dims[k];
            q->kept_stride[q->n_kept++] = strides[k];
            q->n_out *= dims[k];
        }
    }
}

/* The offset in x of output element o's first reduced element. */
static size_t base_of(const geometry *q, size_t o)
{
    size_t at = 0;
    for (int k = q->n_kept - 1; k >= 0; k--) {
        at += (o % q->kept[k]) * q->kept_stride[k];
        o /= q->kept[k];
    }
    return at;
}

/* The offset of the j-th reduced element from the base. */
static size_t red_offset(const geometry *q, size_t j)
{
    size_t at = 0;
    for (int k = q->n_red - 1; k >= 0; k--) {
        at += (j % q->red[k]) * q->red_stride[k];
        j /= q->red[k];
    }
    return at;
}

/* ---- Reduce* -------------------------------------------------------------------- */

enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD };

/* Axes from the attribute, or from the constant second input (ReduceSum
 * opset 13+, the others 18+); none means every axis, or nothing with
 * noop_with_empty_axes. */
static lp_status build_reduce_as(lp__graph *g, lp__op *op, const lp__onnx_node *node, int which, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    if (!is_float(x->dtype) && x->dtype != LP_ONNX_INT64 && x->dtype != LP_ONNX_INT32)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input holds %s (numbers are supported)",
                           lp__onnx_dtype_name(x->dtype));
    const lp__onnx_attr *a = lp__onnx_attr_find(node, "axes");
    const int64_t *axes = NULL;
    size_t n = 0;
    if (a && a->type == LP_ONNX_ATTR_INTS) {
        axes = a->ints;
        n = a->count;
    } else if (op->n_in > 1 && op->in[1] != UINT32_MAX) {
        if (!(axes = lp__const_input(g, op, 1, LP_ONNX_INT64, err))) return err->code;
        n = lp__shape_count(&g->values[op->in[1]].shape, 0);
    }
    uint32_t mask = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t ax = axes[i] < 0 ? axes[i] + x->shape.rank : axes[i];
        if (ax < 0 || ax >= x->shape.rank)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "axis %lld of a rank-%d value", (long long)axes[i],
                               x->shape.rank);
        mask |= 1u << ax;
    }
    if (n == 0) mask = int_attr(node, "noop_with_empty_axes", 0) ? 0 : (1u << x->shape.rank) - 1;
    lp__shape shape;
    lp_status s = reduce_shape(g, op, x, mask, int_attr(node, "keepdims", 1) != 0, &shape, err);
    if (s != LP_OK) return s;
    op->iattr[0] = which;
    return lp__op_output(g, op, node, 0, x->dtype, &shape, err);
}

static void run_reduce(const lp__run *r, const lp__op *op)
{
    const lp__value *xv = &r->g->values[op->in[0]];
    geometry q;
    geometry_of(r, op->in[0], (uint32_t)op->iattr[1], &q);
    const void *x = lp__run_data(r, op->in[0]);
    void *y = lp__run_data(r, op->out[0]);
    int which = op->iattr[0], d = xv->dtype;
    for (size_t o = 0; o < q.n_out; o++) {
        size_t base = base_of(&q, o);
        if (is_float(d)) {
            double acc = which == R_PROD ? 1.0 : which == R_MAX ? -INFINITY : which == R_MIN ? INFINITY : 0.0;
            for (size_t j = 0; j < q.n_each; j++) {
                double v = lp__dtype_get_f64(d, x, base + red_offset(&q, j));
                if (which == R_MAX) acc = v != v || v > acc ? v : acc;
                else if (which == R_MIN) acc = v != v || v < acc ? v : acc;
                else if (which == R_PROD) acc *= v;
                else acc += v;
                if (acc != acc && (which == R_MAX || which == R_MIN)) break;   /* NaN propagates */
            }
            if (which == R_MEAN) acc /= (double)q.n_each;
            if (d == LP_ONNX_FLOAT) ((float *)y)[o] = (float)acc;
            else ((double *)y)[o] = acc;
        } else {
            int64_t acc = which == R_PROD ? 1 : which == R_MAX ? INT64_MIN : which == R_MIN ? INT64_MAX : 0;
            for (size_t j = 0; j < q.n_each; j++) {
                int64_t v = lp__dtype_get_i64(d, x, base + red_offset(&q, j));
                if (which == R_MAX) acc = v > acc ? v : acc;
                else if (which == R_MIN) acc = v < acc ? v : acc;
                else if (which == R_PROD) acc = (int64_t)((uint64_t)acc * (uint64_t)v);
                else acc = (int64_t)((uint64_t)acc + (uint64_t)v);
            }
            if (which == R_MEAN && q.n_each) acc /= (int64_t)q.n_each;
            if (d == LP_ONNX_INT64) ((int64_t *)y)[o] = acc;
            else ((int32_t *)y)[o] = (int32_t)acc;
        }
    }
}

#define REDUCE(NAME, WHICH)                                                                        \
    static lp_status build_##NAME(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err) \
    {                                                                                              \
        return build_reduce_as(g, op, node, WHICH, err);                                           \
    }
REDUCE(reduce_sum, R_SUM)
REDUCE(reduce_mean, R_MEAN)
REDUCE(reduce_max, R_MAX)
REDUCE(reduce_min, R_MIN)
REDUCE(reduce_prod, R_PROD)

/* ---- ArgMax, ArgMin -------------------------------------------------------------- */

static lp_status build_arg_as(lp__graph *g, lp__op *op, const lp__onnx_node *node, int max, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    if (!is_float(x->dtype) && x->dtype != LP_ONNX_INT64 && x->dtype != LP_ONNX_INT32)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input holds %s (numbers are supported)",
                           lp__onnx_dtype_name(x->dtype));
    int64_t ax = int_attr(node, "axis", 0);
    if (ax < 0) ax += x->shape.rank;
    if (ax < 0 || ax >= x->shape.rank)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "axis %lld of a rank-%d value", (long long)int_attr(node, "axis", 0),
                           x->shape.rank);
    if (x->shape.dims[ax] == 0) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "axis %lld is empty", (long long)ax);
    lp__shape shape;
    lp_status s = reduce_shape(g, op, x, 1u << ax, int_attr(node, "keepdims", 1) != 0, &shape, err);
    if (s != LP_OK) return s;
    op->iattr[0] = max;
    op->iattr[2] = int_attr(node, "select_last_index", 0) != 0;
    return lp__op_output(g, op, node, 0, LP_ONNX_INT64, &shape, err);
}

static lp_status build_argmax(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    return build_arg_as(g, op, node, 1, err);
}

static lp_status build_argmin(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    return build_arg_as(g, op, node, 0, err);
}

static void run_arg(const lp__run *r, const lp__op *op)
{
    int d = r->g->values[op->in[0]].dtype, max = op->iattr[0], last = op->iattr[2];
    geometry q;
    geometry_of(r, op->in[0], (uint32_t)op->iattr[1], &q);
    const void *x = lp__run_data(r, op->in[0]);
    int64_t *y = lp__run_data(r, op->out[0]);
    for (size_t o = 0; o < q.n_out; o++) {
        size_t base = base_of(&q, o), best = 0;
        double top = lp__dtype_get_f64(d, x, base);
        for (size_t j = 1; j < q.n_each; j++) {
            double v = lp__dtype_get_f64(d, x, base + j * q.red_stride[0]);
            if (max ? (v > top || (last && v == top)) : (v < top || (last && v == top))) top = v, best = j;
        }
        y[o] = (int64_t)best;
    }
}

/* ---- TopK ------------------------------------------------------------------------ */

/* TopK(X, K): the K largest (or smallest) along axis, sorted, ties to the
 * lower index; values and int64 indices.  K is a constant. */
static lp_status build_topk(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    if (!is_float(x->dtype) && x->dtype != LP_ONNX_INT64 && x->dtype != LP_ONNX_INT32)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input holds %s", lp__onnx_dtype_name(x->dtype));
    int64_t k;
    if (op->n_in > 1) {
        const int64_t *kv = lp__const_input(g, op, 1, LP_ONNX_INT64, err);
        if (!kv) return err->code;
        k = kv[0];
    } else {
        k = int_attr(node, "k", -1);   /* opset 1-9 */
    }
    int64_t ax = int_attr(node, "axis", -1);
    if (ax < 0) ax += x->shape.rank;
    if (ax < 0 || ax >= x->shape.rank)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "axis of a rank-%d value", x->shape.rank);
    if (x->shape.dims[ax] == LP__BATCH) return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "top rows of the batch");
    if (k < 0 || k > x->shape.dims[ax])
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "K = %lld for a dimension of %lld", (long long)k,
                           (long long)x->shape.dims[ax]);
    if (!int_attr(node, "sorted", 1))
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "sorted=0 (the order is unspecified; sorted is supported)");
    lp__shape shape = x->shape;
    shape.dims[ax] = k;
    op->iattr[0] = (int)ax;
    op->iattr[1] = int_attr(node, "largest", 1) != 0;
    op->iattr[2] = (int)k;
    lp_status s = lp__op_output(g, op, node, 0, x->dtype, &shape, err);
    if (s == LP_OK && node->n_outputs > 1) s = lp__op_output(g, op, node, 1, LP_ONNX_INT64, &shape, err);
    return s;
}

/* Element c's place in the order: the elements that beat it (larger, or
 * smaller with largest=0), and equal ones of lower index.  Unique, so each
 * of the first K places is filled once, without scratch memory. */
static void run_topk(const lp__run *r, const lp__op *op)
{
    const lp__value *xv = &r->g->values[op->in[0]];
    int d = xv->dtype, axis = op->iattr[0], largest = op->iattr[1];
    size_t k = (size_t)op->iattr[2], dims[LP__MAX_RANK], outer = 1, inner = 1;
    lp__run_dims(r, op->in[0], dims);
    for (int j = 0; j < axis; j++) outer *= dims[j];
    for (int j = axis + 1; j < xv->shape.rank; j++) inner *= dims[j];
    size_t n = dims[axis], size = lp__dtype_elem_size(d);
    const char *x = lp__run_data(r, op->in[0]);
    char *vals = lp__run_data(r, op->out[0]);
    int64_t *idx = op->n_out > 1 ? lp__run_data(r, op->out[1]) : NULL;
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < inner; i++) {
            size_t base = o * n * inner + i, out = o * k * inner + i;
            for (size_t c = 0; c < n; c++) {
                double v = lp__dtype_get_f64(d, x, base + c * inner);
                size_t place = 0;
                for (size_t e = 0; e < n && place < k; e++) {
                    double w = lp__dtype_get_f64(d, x, base + e * inner);
                    place += (largest ? w > v : w < v) || (w == v && e < c);
                }
                if (place >= k) continue;
                memcpy(vals + (out + place * inner) * size, x + (base + c * inner) * size, size);
                if (idx) idx[out + place * inner] = (int64_t)c;
            }
        }
}

/* ---- LayerNormalization ---------------------------------------------------------- */

/* Y = (X - mean) / sqrt(var + epsilon) * Scale + B over the axes from
 * `axis` to the last; Mean and InvStdDev outputs when asked for. */
static lp_status build_layer_norm(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err), *scale = lp__op_input(g, op, 1, err);
    if (!x || !scale) return err->code;
    if (!is_float(x->dtype) || scale->dtype != x->dtype)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "X holds %s and Scale %s (float or double alike)",
                           lp__onnx_dtype_name(x->dtype), lp__onnx_dtype_name(scale->dtype));
    int64_t ax = int_attr(node, "axis", -1);
    if (ax < 0) ax += x->shape.rank;
    if (ax < 0 || ax >= x->shape.rank)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "axis of a rank-%d value", x->shape.rank);
    int64_t inner = 1;
    for (int k = (int)ax; k < x->shape.rank; k++) {
        if (x->shape.dims[k] == LP__BATCH)
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "normalizing over the rows of the batch");
        inner *= x->shape.dims[k];
    }
    for (int i = 1; i < 3 && i < op->n_in; i++) {
        if (op->in[i] == UINT32_MAX) continue;
        const lp__value *p = &g->values[op->in[i]];
        int64_t c = (int64_t)lp__shape_count(&p->shape, 1);
        if (p->dtype != x->dtype || (c != inner && c != 1) || p->shape.rank > x->shape.rank - ax + 0 ||
            (p->shape.rank && p->shape.dims[0] == LP__BATCH))
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "%s must have the %lld values of the normalized axes",
                               i == 1 ? "Scale" : "B", (long long)inner);
    }
    const lp__onnx_attr *eps = lp__onnx_attr_find(node, "epsilon");
    op->dattr[0] = eps && eps->type == LP_ONNX_ATTR_FLOAT ? eps->f : 1e-5f;
    op->iattr[0] = (int)ax;
    lp__shape shape = x->shape, stat = x->shape;
    for (int k = (int)ax; k < stat.rank; k++) stat.dims[k] = 1;
    int32_t dtype = x->dtype;
    lp_status s = lp__op_output(g, op, node, 0, dtype, &shape, err);
    int stats = node->n_outputs > 2 && node->outputs[2][0] ? 2 : node->n_outputs > 1 && node->outputs[1][0] ? 1 : 0;
    if (stats == 2 && !node->outputs[1][0])
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "InvStdDev without Mean");
    for (int o = 1; s == LP_OK && o <= stats; o++) s = lp__op_output(g, op, node, o, LP_ONNX_FLOAT, &stat, err);
    return s;
}

static void run_layer_norm(const lp__run *r, const lp__op *op)
{
    const lp__value *xv = &r->g->values[op->in[0]];
    int d = xv->dtype, axis = op->iattr[0];
    size_t dims[LP__MAX_RANK], outer = 1, inner = 1;
    lp__run_dims(r, op->in[0], dims);
    for (int k = 0; k < axis; k++) outer *= dims[k];
    for (int k = axis; k < xv->shape.rank; k++) inner *= dims[k];
    const void *x = lp__run_data(r, op->in[0]), *scale = lp__run_data(r, op->in[1]);
    const void *bias = op->n_in > 2 && op->in[2] != UINT32_MAX ? lp__run_data(r, op->in[2]) : NULL;
    size_t n_scale = lp__shape_count(&r->g->values[op->in[1]].shape, 1);
    size_t n_bias = bias ? lp__shape_count(&r->g->values[op->in[2]].shape, 1) : 0;
    void *y = lp__run_data(r, op->out[0]);
    float *mean_out = op->n_out > 1 ? lp__run_data(r, op->out[1]) : NULL;
    float *inv_out = op->n_out > 2 ? lp__run_data(r, op->out[2]) : NULL;
    if (d == LP_ONNX_FLOAT && n_scale == inner && (!bias || n_bias == inner) && !mean_out && !inv_out) {
        /* every transformer's: in float, the kernels' SIMD LayerNorm */
        for (size_t o = 0; o < outer; o++)
            lp_kern_layer_norm((const float *)x + o * inner, scale, bias, inner, (float)op->dattr[0],
                               (float *)y + o * inner);
        return;
    }
    for (size_t o = 0; o < outer; o++) {
        size_t base = o * inner;
        double mean = 0, var = 0;
        for (size_t i = 0; i < inner; i++) mean += lp__dtype_get_f64(d, x, base + i);
        mean /= (double)inner;
        for (size_t i = 0; i < inner; i++) {
            double c = lp__dtype_get_f64(d, x, base + i) - mean;
            var += c * c;
        }
        double inv = 1.0 / sqrt(var / (double)inner + op->dattr[0]);
        for (size_t i = 0; i < inner; i++) {
            double v = (lp__dtype_get_f64(d, x, base + i) - mean) * inv *
                       lp__dtype_get_f64(d, scale, n_scale == 1 ? 0 : i);
            if (bias) v += lp__dtype_get_f64(d, bias, n_bias == 1 ? 0 : i);
            if (d == LP_ONNX_FLOAT) ((float *)y)[base + i] = (float)v;
            else ((double *)y)[base + i] = v;
        }
        if (mean_out) mean_out[o] = (float)mean;
        if (inv_out) inv_out[o] = (float)inv;
    }
}

const lp__op_kind lp__ops_reduce[] = {
    {"ReduceSum", "", build_reduce_sum, run_reduce},   {"ReduceMean", "", build_reduce_mean, run_reduce},
    {"ReduceMax", "", build_reduce_max, run_reduce},   {"ReduceMin", "", build_reduce_min, run_reduce},
    {"ReduceProd", "", build_reduce_prod, run_reduce},
    {"ArgMax", "", build_argmax, run_arg},             {"ArgMin", "", build_argmin, run_arg},
    {"TopK", "", build_topk, run_topk},
    {"LayerNormalization", "", build_layer_norm, run_layer_norm},
};
const size_t lp__n_ops_reduce = sizeof lp__ops_reduce / sizeof *lp__ops_reduce;
