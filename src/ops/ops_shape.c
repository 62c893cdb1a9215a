/* ops_shape.c — operators that only change how values are shaped (Flatten,
 * Reshape, Squeeze, Unsqueeze) and Constant.  The batch stays the first
 * dimension: a reshape that would move or fix it is refused. */
#include <string.h>

#include "graph.h"

static lp_status add_output(lp__graph *g, lp__op *op, const lp__onnx_node *node, int32_t dtype, const lp__shape *shape,
                            lp_error *err)
{
    op->out[0] = lp__graph_add_value(g, node->outputs[0], dtype, shape, err);
    if (op->out[0] == UINT32_MAX) return err->code;
    op->n_out = 1;
    return LP_OK;
}

/* Elements per row of a [N, ...] value; 0 if the batch is not dimension 0. */
static int64_t per_row(const lp__shape *s)
{
    if (s->rank < 1 || s->dims[0] != LP__BATCH) return 0;
    int64_t n = 1;
    for (int k = 1; k < s->rank; k++) n *= s->dims[k];
    return n;
}

static const lp__value *input0(const lp__graph *g, const lp__op *op, lp_error *err)
{
    if (op->n_in < 1 || op->in[0] == UINT32_MAX) {
        lp__op_fail(op, err, LP_ERR_BAD_MODEL, "no input");
        return NULL;
    }
    const lp__value *x = &g->values[op->in[0]];
    if (x->is_const || !per_row(&x->shape)) {
        lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input \"%s\" must be the rows, batch first", x->name);
        return NULL;
    }
    return x;
}

static void run_copy(const lp__run *r, const lp__op *op)
{
    const lp__value *y = &r->g->values[op->out[0]];
    void *dst = lp__run_data(r, op->out[0]);
    const void *src = op->params ? op->params : lp__run_data(r, op->in[0]);
    size_t bytes = lp__shape_count(&y->shape, r->n_rows) * lp__dtype_elem_size(y->dtype);
    if (dst != src) memmove(dst, src, bytes);
}

static lp_status build_flatten(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = input0(g, op, err);
    if (!x) return err->code;
    const lp__onnx_attr *axis = lp__onnx_attr_find(node, "axis");
    int64_t ax = axis ? axis->i : 1;
    if (ax < 0) ax += x->shape.rank;
    if (ax != 1) return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "flatten at axis %lld (1 is supported)", (long long)ax);
    lp__shape shape = {2, {LP__BATCH, per_row(&x->shape)}};
    return add_output(g, op, node, x->dtype, &shape, err);
}

static lp_status build_reshape(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = input0(g, op, err);
    if (!x) return err->code;
    const int64_t *want = lp__const_input(g, op, 1, LP_ONNX_INT64, err);
    if (!want) return err->code;
    const lp__value *sv = &g->values[op->in[1]];
    size_t rank = lp__shape_count(&sv->shape, 0);
    if (rank < 1 || rank > LP__MAX_RANK)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "a target shape of %zu dimensions", rank);
    /* The first target dimension must be the batch: 0 (copy) or -1 (infer). */
    if (want[0] != 0 && want[0] != -1)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "the target shape fixes the batch to %lld rows (export the "
                           "model with a dynamic batch dimension)", (long long)want[0]);
    lp__shape shape = {(int)rank, {LP__BATCH}};
    int64_t rest = 1;
    for (size_t k = 1; k < rank; k++) {
        int64_t d = want[k] == 0 && (int)k < x->shape.rank ? x->shape.dims[k] : want[k];
        if (d <= 0) return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "target dimension %zu is %lld", k, (long long)want[k]);
        shape.dims[k] = d;
        rest *= d;
    }
    if (rest != per_row(&x->shape))
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "%lld values per row cannot be reshaped into %lld",
                           (long long)per_row(&x->shape), (long long)rest);
    return add_output(g, op, node, x->dtype, &shape, err);
}

/* Axes from the attribute (opset < 13) or the constant second input. */
static lp_status axes_of(const lp__graph *g, const lp__op *op, const lp__onnx_node *node, int64_t *axes, size_t *n,
                         lp_error *err)
{
    const lp__onnx_attr *a = lp__onnx_attr_find(node, "axes");
    const int64_t *v = NULL;
    if (a && a->type == LP_ONNX_ATTR_INTS) {
        v = a->ints;
        *n = a->count;
    } else if (op->n_in > 1 && op->in[1] != UINT32_MAX) {
        if (!(v = lp__const_input(g, op, 1, LP_ONNX_INT64, err))) return err->code;
        *n = lp__shape_count(&g->values[op->in[1]].shape, 0);
    } else {
        *n = 0;
    }
    if (*n > LP__MAX_RANK) return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "%zu axes", *n);
    for (size_t i = 0; i < *n; i++) axes[i] = v[i];
    return LP_OK;
}

/* The rows and the axes of a Squeeze or Unsqueeze; NULL with err filled. */
static const lp__value *rows_and_axes(const lp__graph *g, const lp__op *op, const lp__onnx_node *node,
                                      int64_t *axes, size_t *n, lp_error *err)
{
    const lp__value *x = input0(g, op, err);
    return x && axes_of(g, op, node, axes, n, err) == LP_OK ? x : NULL;
}

static lp_status build_squeeze(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    int64_t axes[LP__MAX_RANK];
    size_t n;
    const lp__value *x = rows_and_axes(g, op, node, axes, &n, err);
    if (!x) return err->code;
    uint8_t drop[LP__MAX_RANK] = {0};
    for (size_t i = 0; i < n; i++) {
        int64_t ax = axes[i] < 0 ? axes[i] + x->shape.rank : axes[i];
        if (ax <= 0 || ax >= x->shape.rank || x->shape.dims[ax] != 1)
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "squeezing axis %lld", (long long)axes[i]);
        drop[ax] = 1;
    }
    lp__shape shape = {0, {0}};
    for (int k = 0; k < x->shape.rank; k++)
        if (!(n ? drop[k] : (k > 0 && x->shape.dims[k] == 1))) shape.dims[shape.rank++] = x->shape.dims[k];
    return add_output(g, op, node, x->dtype, &shape, err);
}

static lp_status build_unsqueeze(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    int64_t axes[LP__MAX_RANK];
    size_t n;
    const lp__value *x = rows_and_axes(g, op, node, axes, &n, err);
    if (!x) return err->code;
    int rank = x->shape.rank + (int)n;
    if (rank > LP__MAX_RANK) return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "rank %d", rank);
    uint8_t add[LP__MAX_RANK] = {0};
    for (size_t i = 0; i < n; i++) {
        int64_t ax = axes[i] < 0 ? axes[i] + rank : axes[i];
        if (ax <= 0 || ax >= rank || add[ax])
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "unsqueezing axis %lld", (long long)axes[i]);
        add[ax] = 1;
    }
    lp__shape shape = {rank, {0}};
    for (int k = 0, j = 0; k < rank; k++) shape.dims[k] = add[k] ? 1 : x->shape.dims[j++];
    return add_output(g, op, node, x->dtype, &shape, err);
}

/* Constant: its tensor becomes a constant value (folded: no inputs). */
static lp_status build_constant(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__onnx_attr *v = lp__onnx_attr_find(node, "value");
    if (!v || v->type != LP_ONNX_ATTR_TENSOR || !v->t)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "a constant other than a tensor \"value\"");
    const lp__onnx_tensor *t = v->t;
    if (!lp__dtype_computable(t->dtype) || t->rank > LP__MAX_RANK)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "a %s constant of rank %zu", lp__onnx_dtype_name(t->dtype), t->rank);
    lp__shape shape = {(int)t->rank, {0}};
    for (size_t k = 0; k < t->rank; k++) shape.dims[k] = t->dims[k];
    op->params = t->data;
    return add_output(g, op, node, t->dtype, &shape, err);
}

/* Concat of row values along their last axis ([N, a] + [N, b] → [N, a + b]). */
static lp_status build_concat(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__onnx_attr *axis = lp__onnx_attr_find(node, "axis");
    int64_t width = 0;
    const lp__value *x = NULL;
    /* Along the last axis: [N, a] + [N, b], or [N, 1, a] + [N, 1, b] as
     * skl2onnx joins OneHotEncoder outputs; the other dimensions agree. */
    const lp__value *first = op->n_in > 0 && op->in[0] != UINT32_MAX ? &g->values[op->in[0]] : NULL;
    int rank = first ? first->shape.rank : 0;
    for (int i = 0; i < op->n_in; i++) {
        x = op->in[i] == UINT32_MAX ? NULL : &g->values[op->in[i]];
        int same = x && x->shape.rank == rank && rank >= 2;
        for (int k = 1; same && k < rank - 1; k++) same = x->shape.dims[k] == first->shape.dims[k];
        if (!same || x->is_const || x->shape.dims[0] != LP__BATCH || x->dtype != first->dtype)
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input %d must be rows [N, k] (or [N, ..., k]) of the "
                               "first input's type and shape but the last dimension", i + 1);
        width += x->shape.dims[rank - 1];
    }
    if (!x) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "no input");
    if (!axis || (axis->i != rank - 1 && axis->i != -1))
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "concatenation along axis %lld (the last is supported)",
                           axis ? (long long)axis->i : 0LL);
    lp__shape shape = first->shape;
    shape.dims[rank - 1] = width;
    return add_output(g, op, node, x->dtype, &shape, err);
}

static void run_concat(const lp__run *r, const lp__op *op)
{
    char *y = lp__run_data(r, op->out[0]);
    const lp__value *yv = &r->g->values[op->out[0]];
    int last = yv->shape.rank - 1;
    size_t size = lp__dtype_elem_size(yv->dtype);
    size_t width = (size_t)yv->shape.dims[last] * size, at = 0;
    size_t rows = lp__shape_count(&yv->shape, r->n_rows) / (size_t)yv->shape.dims[last];
    for (int i = 0; i < op->n_in; i++) {
        const char *x = lp__run_data(r, op->in[i]);
        size_t w = (size_t)r->g->values[op->in[i]].shape.dims[last] * size;
        for (size_t row = 0; row < rows; row++) memcpy(y + row * width + at, x + row * w, w);
        at += w;
    }
}

const lp__op_kind lp__ops_shape[] = {
    {"Concat", "", build_concat, run_concat},
    {"Flatten", "", build_flatten, run_copy},   {"Reshape", "", build_reshape, run_copy},
    {"Squeeze", "", build_squeeze, run_copy},   {"Unsqueeze", "", build_unsqueeze, run_copy},
    {"Constant", "", build_constant, run_copy},
};
const size_t lp__n_ops_shape = sizeof lp__ops_shape / sizeof *lp__ops_shape;
