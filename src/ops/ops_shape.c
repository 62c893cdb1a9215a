/* ops_shape.c — operators that move elements without computing on them:
 * Reshape, Flatten, Squeeze, Unsqueeze, Concat, Split, Transpose, Gather,
 * Slice, Shape, ConstantOfShape, Constant, Dropout (inference: a copy).
 *
 * They work on any dtype and any rank.  A value may hold the rows in one
 * dimension (LP__BATCH, resolved at run time); an operator that would mix
 * the rows with other dimensions (reshape them away, slice or gather them)
 * is refused at build time naming the node.  Shape of a row value records
 * the rows as LP__BATCH_VALUE, so Reshape, ConstantOfShape and Expand can
 * take "the rows" back from it (torch.onnx's dynamic batch). */
#include <string.h>

#include "graph.h"


static int64_t int_attr(const lp__onnx_node *n, const char *name, int64_t dflt)
{
    const lp__onnx_attr *a = lp__onnx_attr_find(n, name);
    return a && a->type == LP_ONNX_ATTR_INT ? a->i : dflt;
}

/* An axis in [0, rank), from a possibly negative one; -1 when out of range. */
static int norm_axis(int64_t axis, int rank)
{
    if (axis < 0) axis += rank;
    return axis >= 0 && axis < rank ? (int)axis : -1;
}

static int batch_dim(const lp__shape *s)
{
    for (int k = 0; k < s->rank; k++)
        if (s->dims[k] == LP__BATCH) return k;
    return -1;
}

static void run_copy(const lp__run *r, const lp__op *op)
{
    const lp__value *y = &r->g->values[op->out[0]];
    void *dst = lp__run_data(r, op->out[0]);
    const void *src = op->params ? op->params : lp__run_data(r, op->in[0]);
    size_t bytes = lp__shape_count(&y->shape, r->n_rows) * lp__dtype_elem_size(y->dtype);
    if (dst != src) memmove(dst, src, bytes);
}

/* ---- Reshape, Flatten -------------------------------------------------------------- */

/* The output shape of reshaping x into `want` (ONNX's 0 = copy unless
 * allowzero, -1 = infer; LP__BATCH_VALUE = the rows). */
static lp_status reshape_to(const lp__op *op, const lp__shape *x, const int64_t *want, size_t rank, int allowzero,
                            lp__shape *out, lp_error *err)
{
    if (rank > LP__MAX_RANK)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "a target shape of %zu dimensions", rank);
    int64_t known = 1, have = 1;
    int infer = -1, out_batch = -1, in_batch = batch_dim(x);
    for (int k = 0; k < x->rank; k++)
        if (x->dims[k] != LP__BATCH) have *= x->dims[k];
    out->rank = (int)rank;
    for (size_t k = 0; k < rank; k++) {
        int64_t d = want[k];
        if (d == 0 && !allowzero) {
            if ((int)k >= x->rank)
                return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "target dimension %zu copies a dimension the input "
                                   "lacks", k);
            d = x->dims[k];
        } else if (d == LP__BATCH_VALUE) {
            d = LP__BATCH;
        }
        if (d == -1 && want[k] == -1) {
            if (infer >= 0) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "two target dimensions are -1");
            infer = (int)k;
        } else if (d == LP__BATCH) {
            if (out_batch >= 0) return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "the rows in two dimensions");
            out_batch = (int)k;
        } else if (d < 0) {
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "target dimension %zu is %lld", k, (long long)want[k]);
        } else if (d > 0 && known > INT64_MAX / d) {   /* no value has that many elements */
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "the target shape's dimensions multiply past 2^63 "
                               "(dimension %zu is %lld)", k, (long long)d);
        } else {
            known *= d;
        }
        out->dims[k] = d;
    }
    if (in_batch >= 0 && out_batch < 0 && infer < 0)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "the target shape fixes the batch to %lld rows (export the "
                           "model with a dynamic batch dimension)", (long long)(rank ? want[0] : 1));
    if (infer >= 0) {
        if (in_batch >= 0 && out_batch < 0) {   /* the inferred dimension takes the rows */
            if (known != have)
                return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "the rows would merge with other dimensions "
                                   "(%lld values per row into %lld)", (long long)have, (long long)known);
            out->dims[infer] = LP__BATCH;
            return LP_OK;
        }
        if (known == 0 || have % known)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "%lld values cannot be reshaped into %lld-value blocks",
                               (long long)have, (long long)known);
        out->dims[infer] = have / known;
        known *= out->dims[infer];
    }
    if (known != have || (in_batch < 0) != (out_batch < 0))
        return lp__op_fail(op, err, in_batch >= 0 ? LP_ERR_UNSUPPORTED : LP_ERR_BAD_MODEL,
                           "%lld values%s cannot be reshaped into %lld", (long long)have,
                           in_batch >= 0 ? " per row" : "", (long long)known);
    return LP_OK;
}

static lp_status build_reshape(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    const int64_t *want = lp__const_input(g, op, 1, LP_ONNX_INT64, err);
    if (!want) return err->code;
    lp__shape shape;
    lp_status s = reshape_to(op, &x->shape, want, lp__shape_count(&g->values[op->in[1]].shape, 0),
                             int_attr(node, "allowzero", 0) != 0, &shape, err);
    return s != LP_OK ? s : lp__op_output(g, op, node, 0, x->dtype, &shape, err);
}

static lp_status build_flatten(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    int64_t ax = int_attr(node, "axis", 1);
    if (ax < 0) ax += x->shape.rank;
    if (ax < 0 || ax > x->shape.rank)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "axis %lld of a rank-%d value", (long long)ax, x->shape.rank);
    int64_t want[2] = {1, 1};
    int b = batch_dim(&x->shape);
    for (int k = 0; k < x->shape.rank; k++)
        if (k != b) want[k >= ax] *= x->shape.dims[k];
    if (b >= 0) {
        if (want[b >= ax] != 1)
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "flattening at axis %lld would merge the rows with "
                               "other dimensions", (long long)ax);
        want[b >= ax] = LP__BATCH;
    }
    lp__shape shape = {2, {want[0], want[1]}};
    return lp__op_output(g, op, node, 0, x->dtype, &shape, err);
}

/* ---- Squeeze, Unsqueeze ------------------------------------------------------------ */

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

static lp_status build_squeeze(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    int64_t axes[LP__MAX_RANK];
    size_t n;
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x || axes_of(g, op, node, axes, &n, err) != LP_OK) return err->code;
    uint8_t drop[LP__MAX_RANK] = {0};
    for (size_t i = 0; i < n; i++) {
        int ax = norm_axis(axes[i], x->shape.rank);
        if (ax < 0 || x->shape.dims[ax] != 1)
            return lp__op_fail(op, err, ax >= 0 && x->shape.dims[ax] == LP__BATCH ? LP_ERR_UNSUPPORTED : LP_ERR_BAD_MODEL,
                               "axis %lld is not of size 1", (long long)axes[i]);
        drop[ax] = 1;
    }
    lp__shape shape = {0, {0}};
    for (int k = 0; k < x->shape.rank; k++)
        if (!(n ? drop[k] : x->shape.dims[k] == 1)) shape.dims[shape.rank++] = x->shape.dims[k];
    return lp__op_output(g, op, node, 0, x->dtype, &shape, err);
}

static lp_status build_unsqueeze(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    int64_t axes[LP__MAX_RANK];
    size_t n;
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x || axes_of(g, op, node, axes, &n, err) != LP_OK) return err->code;
    int rank = x->shape.rank + (int)n;
    if (rank > LP__MAX_RANK) return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "rank %d", rank);
    uint8_t add[LP__MAX_RANK] = {0};
    for (size_t i = 0; i < n; i++) {
        int ax = norm_axis(axes[i], rank);
        if (ax < 0 || add[ax])
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "unsqueezing axis %lld of rank %d", (long long)axes[i], rank);
        add[ax] = 1;
    }
    lp__shape shape = {rank, {0}};
    for (int k = 0, j = 0; k < rank; k++) shape.dims[k] = add[k] ? 1 : x->shape.dims[j++];
    return lp__op_output(g, op, node, 0, x->dtype, &shape, err);
}

/* ---- Constant, Shape, ConstantOfShape, Dropout ------------------------------------- */

/* Constant: its tensor becomes a constant value (folded: no inputs). */
static lp_status build_constant(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__onnx_attr *v = lp__onnx_attr_find(node, "value");
    if (!v || v->type != LP_ONNX_ATTR_TENSOR || !v->t) {
        /* value_float(s) / value_int(s) (opset 12+) */
        const lp__onnx_attr *a = lp__onnx_attr_find(node, "value_float");
        const lp__onnx_attr *b = lp__onnx_attr_find(node, "value_int");
        const lp__onnx_attr *fs = lp__onnx_attr_find(node, "value_floats");
        const lp__onnx_attr *is = lp__onnx_attr_find(node, "value_ints");
        if (!a && !b && !fs && !is)
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "a constant other than a tensor or numbers");
        int is_float = a || fs;
        size_t count = a || b ? 1 : fs ? fs->count : is->count;
        void *data = lp__graph_alloc(g, count * 8, err);
        if (!data) return err->code;
        for (size_t i = 0; i < count; i++) {
            if (a) ((float *)data)[i] = a->f;
            else if (fs) ((float *)data)[i] = fs->floats[i];
            else if (b) ((int64_t *)data)[i] = b->i;
            else ((int64_t *)data)[i] = is->ints[i];
        }
        lp__shape shape = {a || b ? 0 : 1, {(int64_t)count}};
        op->params = data;
        return lp__op_output(g, op, node, 0, is_float ? LP_ONNX_FLOAT : LP_ONNX_INT64, &shape, err);
    }
    const lp__onnx_tensor *t = v->t;
    /* strings: a constant like a string initializer (Equal compares with it) */
    if ((!lp__dtype_computable(t->dtype) && t->dtype != LP_ONNX_STRING) || t->rank > LP__MAX_RANK)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "a %s constant of rank %zu", lp__onnx_dtype_name(t->dtype), t->rank);
    lp__shape shape = {(int)t->rank, {0}};
    for (size_t k = 0; k < t->rank; k++) shape.dims[k] = t->dims[k];
    op->params = t->data;
    return lp__op_output(g, op, node, 0, t->dtype, &shape, err);
}

/* Shape: known at build time (the rows as LP__BATCH_VALUE); start and end
 * (opset 15) pick a range of dimensions. */
static lp_status build_shape(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    int rank = x->shape.rank;
    int64_t start = int_attr(node, "start", 0), end = int_attr(node, "end", rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = start < 0 ? 0 : start > rank ? rank : start;
    end = end < start ? start : end > rank ? rank : end;
    lp__shape dims = x->shape;
    int64_t *data = lp__graph_alloc(g, (size_t)(end - start + 1) * sizeof *data, err);
    if (!data) return err->code;
    int batch = 0;
    for (int64_t k = start; k < end; k++) {
        data[k - start] = dims.dims[k] == LP__BATCH ? LP__BATCH_VALUE : dims.dims[k];
        batch |= dims.dims[k] == LP__BATCH;
    }
    lp__shape shape = {1, {end - start}};
    lp_status s = lp__op_output(g, op, node, 0, LP_ONNX_INT64, &shape, err);
    if (s != LP_OK) return s;
    lp__value *y = &g->values[op->out[0]];
    y->is_const = 1;
    y->data = data;
    y->holds_batch = batch;
    return LP_OK;
}

/* Size: the element count, known at build time unless the rows count. */
static lp_status build_size(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    if (batch_dim(&x->shape) >= 0)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "the size of a value that holds the rows of the batch");
    int64_t *data = lp__graph_alloc(g, sizeof *data, err);
    if (!data) return err->code;
    *data = (int64_t)lp__shape_count(&x->shape, 0);
    lp__shape shape = {0, {0}};
    lp_status s = lp__op_output(g, op, node, 0, LP_ONNX_INT64, &shape, err);
    if (s != LP_OK) return s;
    g->values[op->out[0]].is_const = 1;
    g->values[op->out[0]].data = data;
    return LP_OK;
}

/* The shape a constant int64 input states (LP__BATCH_VALUE → the rows). */
static lp_status stated_shape(const lp__graph *g, const lp__op *op, int i, lp__shape *out, lp_error *err)
{
    const int64_t *d = lp__const_input(g, op, i, LP_ONNX_INT64, err);
    if (!d) return err->code;
    size_t n = lp__shape_count(&g->values[op->in[i]].shape, 0);
    if (n > LP__MAX_RANK) return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "a shape of %zu dimensions", n);
    out->rank = (int)n;
    for (size_t k = 0; k < n; k++) {
        out->dims[k] = d[k] == LP__BATCH_VALUE ? LP__BATCH : d[k];
        if (out->dims[k] < 0 && out->dims[k] != LP__BATCH)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "shape dimension %zu is %lld", k, (long long)d[k]);
    }
    return LP_OK;
}

static lp_status build_constant_of_shape(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    lp__shape shape;
    lp_status s = stated_shape(g, op, 0, &shape, err);
    if (s != LP_OK) return s;
    const lp__onnx_attr *v = lp__onnx_attr_find(node, "value");
    int32_t dtype = LP_ONNX_FLOAT;
    if (v && v->type == LP_ONNX_ATTR_TENSOR && v->t) {
        if (!lp__dtype_computable(v->t->dtype) || v->t->count != 1)
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "a value of %s × %zu", lp__onnx_dtype_name(v->t->dtype),
                               v->t->count);
        dtype = v->t->dtype;
        op->params = v->t->data;
    }
    return lp__op_output(g, op, node, 0, dtype, &shape, err);
}

static void run_constant_of_shape(const lp__run *r, const lp__op *op)
{
    const lp__value *y = &r->g->values[op->out[0]];
    size_t n = lp__shape_count(&y->shape, r->n_rows), size = lp__dtype_elem_size(y->dtype);
    char *out = lp__run_data(r, op->out[0]);
    if (!op->params) memset(out, 0, n * size);
    else for (size_t i = 0; i < n; i++) memcpy(out + i * size, op->params, size);
}

/* Dropout at inference: the input, and a mask of ones when asked for. */
static lp_status build_dropout(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    if (op->n_in > 2 && op->in[2] != UINT32_MAX) {
        const uint8_t *training = lp__const_input(g, op, 2, LP_ONNX_BOOL, err);
        if (!training) return err->code;
        if (*training) return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "training mode (random masks)");
    }
    lp__shape shape = x->shape;
    lp_status s = lp__op_output(g, op, node, 0, x->dtype, &shape, err);
    if (s == LP_OK && node->n_outputs > 1 && node->outputs[1][0])
        s = lp__op_output(g, op, node, 1, LP_ONNX_BOOL, &shape, err);
    return s;
}

static void run_dropout(const lp__run *r, const lp__op *op)
{
    run_copy(r, op);
    if (op->n_out > 1)
        memset(lp__run_data(r, op->out[1]), 1, lp__shape_count(&r->g->values[op->out[1]].shape, r->n_rows));
}

/* ---- Concat ---------------------------------------------------------------------- */

static lp_status build_concat(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__onnx_attr *axis_attr = lp__onnx_attr_find(node, "axis");
    const lp__value *x0 = lp__op_input(g, op, 0, err);
    if (!x0) return err->code;
    if (!axis_attr) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "no axis");
    int rank = x0->shape.rank, axis = norm_axis(axis_attr->i, rank);
    if (axis < 0) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "axis %lld of rank %d", (long long)axis_attr->i, rank);
    lp__shape shape = x0->shape;
    shape.dims[axis] = 0;
    for (int i = 0; i < op->n_in; i++) {
        const lp__value *x = lp__op_input(g, op, i, err);
        if (!x) return err->code;
        if (x->dtype != x0->dtype || x->shape.rank != rank)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "input %d holds %s of rank %d, input 1 %s of rank %d", i + 1,
                               lp__onnx_dtype_name(x->dtype), x->shape.rank, lp__onnx_dtype_name(x0->dtype), rank);
        for (int k = 0; k < rank; k++) {
            if (k == axis) continue;
            /* a constant input beside row inputs: its batch dimension is 1 row */
            if (x->shape.dims[k] != shape.dims[k])
                return lp__op_fail(op, err, x->shape.dims[k] == LP__BATCH || shape.dims[k] == LP__BATCH ?
                                   LP_ERR_UNSUPPORTED : LP_ERR_BAD_MODEL,
                                   "input %d has %lld in dimension %d, input 1 %lld", i + 1,
                                   (long long)x->shape.dims[k], k, (long long)shape.dims[k]);
        }
        if (x->shape.dims[axis] == LP__BATCH)
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "concatenation along the rows");
        shape.dims[axis] += x->shape.dims[axis];
    }
    op->iattr[0] = axis;
    return lp__op_output(g, op, node, 0, x0->dtype, &shape, err);
}

static void run_concat(const lp__run *r, const lp__op *op)
{
    const lp__value *y = &r->g->values[op->out[0]];
    size_t dims[LP__MAX_RANK], size = lp__dtype_elem_size(y->dtype), outer = 1;
    lp__run_dims(r, op->out[0], dims);
    int axis = op->iattr[0];
    for (int k = 0; k < axis; k++) outer *= dims[k];
    size_t inner = size;
    for (int k = axis + 1; k < y->shape.rank; k++) inner *= dims[k];
    char *out = lp__run_data(r, op->out[0]);
    size_t row = dims[axis] * inner, at = 0;
    for (int i = 0; i < op->n_in; i++) {
        const char *x = lp__run_data(r, op->in[i]);
        size_t w = (size_t)r->g->values[op->in[i]].shape.dims[axis] * inner;
        for (size_t o = 0; o < outer; o++) memcpy(out + o * row + at, x + o * w, w);
        at += w;
    }
}

/* ---- Split ----------------------------------------------------------------------- */

/* Split: up to three outputs along one axis (not the rows), their sizes
 * from the `split` input (opset 13+, a constant), the `split` attribute
 * (before 13), or else equal parts, the last one smaller if need be
 * (opset 18's num_outputs rule).  skl2onnx splits a OneHotEncoder's output
 * this way to sum its infrequent categories into one column.  iattr: the
 * axis, then each output's size. */
static lp_status build_split(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    size_t n_out = node->n_outputs;
    if (n_out < 1 || n_out > 3)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "%zu outputs (1 to 3 are supported)", n_out);
    int axis = norm_axis(int_attr(node, "axis", 0), x->shape.rank);
    if (axis < 0) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "axis %lld of rank %d",
                                     (long long)int_attr(node, "axis", 0), x->shape.rank);
    int64_t d = x->shape.dims[axis], sizes[3];
    if (d == LP__BATCH) return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "splitting the rows");
    const lp__onnx_attr *attr = lp__onnx_attr_find(node, "split");
    if (op->n_in > 1 && op->in[1] != UINT32_MAX) {
        const int64_t *given = lp__const_input(g, op, 1, LP_ONNX_INT64, err);
        if (!given) return err->code;
        if (lp__shape_count(&g->values[op->in[1]].shape, 0) != n_out)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "split gives %zu sizes for %zu outputs",
                               lp__shape_count(&g->values[op->in[1]].shape, 0), n_out);
        memcpy(sizes, given, n_out * sizeof *sizes);
    } else if (attr && attr->type == LP_ONNX_ATTR_INTS) {
        if (attr->count != n_out)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "split gives %zu sizes for %zu outputs", attr->count, n_out);
        memcpy(sizes, attr->ints, n_out * sizeof *sizes);
    } else {
        int64_t part = (d + (int64_t)n_out - 1) / (int64_t)n_out;
        for (size_t o = 0; o < n_out; o++) sizes[o] = o + 1 < n_out ? part : d - part * (int64_t)(n_out - 1);
    }
    int64_t total = 0;
    for (size_t o = 0; o < n_out; o++) {
        /* iattr holds ints; a bound per part also keeps the sum from overflowing */
        if (sizes[o] < 0 || sizes[o] > INT32_MAX)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "output %zu has size %lld", o + 1, (long long)sizes[o]);
        total += sizes[o];
    }
    if (total != d)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "the sizes add up to %lld, the axis has %lld", (long long)total,
                           (long long)d);
    op->iattr[0] = axis;
    for (size_t o = 0; o < n_out; o++) {
        lp__shape shape = x->shape;
        shape.dims[axis] = sizes[o];
        op->iattr[1 + o] = (int)sizes[o];
        lp_status st = lp__op_output(g, op, node, (int)o, x->dtype, &shape, err);
        if (st != LP_OK) return st;
    }
    return LP_OK;
}

static void run_split(const lp__run *r, const lp__op *op)
{
    const lp__value *xv = &r->g->values[op->in[0]];
    size_t dims[LP__MAX_RANK], outer = 1, inner = lp__dtype_elem_size(xv->dtype);
    lp__run_dims(r, op->in[0], dims);
    int axis = op->iattr[0];
    for (int k = 0; k < axis; k++) outer *= dims[k];
    for (int k = axis + 1; k < xv->shape.rank; k++) inner *= dims[k];
    const char *x = lp__run_data(r, op->in[0]);
    size_t row = dims[axis] * inner, at = 0;
    for (int o = 0; o < op->n_out; o++) {
        char *y = lp__run_data(r, op->out[o]);
        size_t w = (size_t)op->iattr[1 + o] * inner;
        for (size_t i = 0; i < outer; i++) memcpy(y + i * w, x + i * row + at, w);
        at += w;
    }
}

/* ---- Transpose ------------------------------------------------------------------- */

static lp_status build_transpose(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    int rank = x->shape.rank;
    const lp__onnx_attr *perm = lp__onnx_attr_find(node, "perm");
    if (perm && (perm->type != LP_ONNX_ATTR_INTS || perm->count != (size_t)rank))
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "perm has %zu entries for rank %d", perm->count, rank);
    uint8_t seen[LP__MAX_RANK] = {0};
    lp__shape shape = {rank, {0}};
    for (int k = 0; k < rank; k++) {
        int p = perm ? norm_axis(perm->ints[k], rank) : rank - 1 - k;
        if (p < 0 || seen[p])
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "perm is not a permutation of 0..%d", rank - 1);
        seen[p] = 1;
        op->iattr[0] |= p << (3 * k);   /* perm packed, 3 bits an axis */
        shape.dims[k] = x->shape.dims[p];
    }
    return lp__op_output(g, op, node, 0, x->dtype, &shape, err);
}

static void run_transpose(const lp__run *r, const lp__op *op)
{
    const lp__value *y = &r->g->values[op->out[0]];
    int rank = y->shape.rank;
    size_t xd[LP__MAX_RANK], yd[LP__MAX_RANK], xs[LP__MAX_RANK], step[LP__MAX_RANK], idx[LP__MAX_RANK] = {0};
    lp__run_dims(r, op->in[0], xd);
    lp__run_dims(r, op->out[0], yd);
    size_t size = lp__dtype_elem_size(y->dtype), n = lp__shape_count(&y->shape, r->n_rows), stride = 1;
    for (int k = rank - 1; k >= 0; k--) xs[k] = stride, stride *= xd[k];
    for (int k = 0; k < rank; k++) step[k] = xs[(op->iattr[0] >> (3 * k)) & 7];
    const char *x = lp__run_data(r, op->in[0]);
    char *out = lp__run_data(r, op->out[0]);
    size_t at = 0;
    if (size == 4 && rank > 0 && yd[rank - 1] > 0) {
        /* 4-byte elements (float, int32: attention heads): the innermost
         * dimension as a strided loop, the odometer once per run of it */
        size_t len = yd[rank - 1], s = step[rank - 1];
        for (size_t i = 0; i < n; i += len) {
            for (size_t q = 0; q < len; q++) memcpy(out + (i + q) * 4, x + (at + q * s) * 4, 4);   /* a move */
            for (int k = rank - 2; k >= 0; k--) {
                idx[k]++;
                at += step[k];
                if (idx[k] < yd[k]) break;
                at -= step[k] * yd[k];
                idx[k] = 0;
            }
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        memcpy(out + i * size, x + at * size, size);
        for (int k = rank - 1; k >= 0; k--) {
            idx[k]++;
            at += step[k];
            if (idx[k] < yd[k]) break;
            at -= step[k] * yd[k];
            idx[k] = 0;
        }
    }
}

/* ---- Gather ---------------------------------------------------------------------- */

/* What Gather and GatherElements check alike: data and integer indices, an
 * axis of data's rank that is not the rows'.  Fills data, idx and axis. */
static lp_status gather_inputs(lp__graph *g, lp__op *op, const lp__onnx_node *node, const lp__value **data,
                               const lp__value **idx, int *axis, lp_error *err)
{
    *data = lp__op_input(g, op, 0, err), *idx = lp__op_input(g, op, 1, err);
    if (!*data || !*idx) return err->code;
    *axis = norm_axis(int_attr(node, "axis", 0), (*data)->shape.rank);
    if (*axis < 0) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "axis of a rank-%d value", (*data)->shape.rank);
    if ((*idx)->dtype != LP_ONNX_INT64 && (*idx)->dtype != LP_ONNX_INT32)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "indices hold %s (int64 or int32 expected)",
                           lp__onnx_dtype_name((*idx)->dtype));
    if ((*data)->shape.dims[*axis] == LP__BATCH)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "gathering rows of the batch");
    return LP_OK;
}

/* Constant indices are checked once, at build time: each within data's
 * dimension `axis` (negative ones count from its end). */
static lp_status check_const_indices(lp__op *op, const lp__value *data, const lp__value *idx, int axis,
                                     lp_error *err)
{
    int64_t limit = data->shape.dims[axis];
    if (idx->is_const)
        for (size_t i = 0; i < lp__shape_count(&idx->shape, 0); i++) {
            int64_t v = lp__dtype_get_i64(idx->dtype, idx->data, i);
            if (v < -limit || v >= limit)
                return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "index %lld is outside dimension %d's %lld",
                                   (long long)v, axis, (long long)limit);
        }
    return LP_OK;
}

/* Gather(data, indices, axis): data's slices along axis at the indices
 * (negative ones count from the end).  Constant indices are checked at
 * build time; a computed one (a token id) out of range fails the run,
 * naming its row, as onnxruntime fails it. */
static lp_status build_gather(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *data, *idx;
    int axis;
    lp_status s = gather_inputs(g, op, node, &data, &idx, &axis, err);
    if (s != LP_OK) return s;
    int rank = data->shape.rank - 1 + idx->shape.rank;
    if (rank > LP__MAX_RANK) return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "an output of rank %d", rank);
    if ((s = check_const_indices(op, data, idx, axis, err)) != LP_OK) return s;
    lp__shape shape = {rank, {0}};
    int k = 0;
    for (int j = 0; j < axis; j++) shape.dims[k++] = data->shape.dims[j];
    for (int j = 0; j < idx->shape.rank; j++) shape.dims[k++] = idx->shape.dims[j];
    for (int j = axis + 1; j < data->shape.rank; j++) shape.dims[k++] = data->shape.dims[j];
    op->iattr[0] = axis;
    return lp__op_output(g, op, node, 0, data->dtype, &shape, err);
}

static void run_gather(const lp__run *r, const lp__op *op)
{
    const lp__value *dv = &r->g->values[op->in[0]], *iv = &r->g->values[op->in[1]];
    size_t dd[LP__MAX_RANK], size = lp__dtype_elem_size(dv->dtype), outer = 1, inner = size;
    lp__run_dims(r, op->in[0], dd);
    int axis = op->iattr[0];
    for (int k = 0; k < axis; k++) outer *= dd[k];
    for (int k = axis + 1; k < dv->shape.rank; k++) inner *= dd[k];
    size_t n_idx = lp__shape_count(&iv->shape, r->n_rows), limit = dd[axis];
    const char *data = lp__run_data(r, op->in[0]);
    const void *idx = lp__run_data(r, op->in[1]);
    char *out = lp__run_data(r, op->out[0]);
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < n_idx; i++) {
            int64_t v = lp__dtype_get_i64(iv->dtype, idx, i);
            if (v < 0) v += (int64_t)limit;
            if (v < 0 || (size_t)v >= limit) {
                size_t row = lp__run_row(r, op->in[1], i);
                lp__run_fail(r, op, row, LP_ERR_BAD_NUMBER, "index %lld%s is outside dimension %d's %zu values",
                             (long long)lp__dtype_get_i64(iv->dtype, idx, i), row == SIZE_MAX ? "" :
                             ", computed from the row,", axis, limit);
                return;
            }
            memcpy(out + (o * n_idx + i) * inner, data + (o * limit + (size_t)v) * inner, inner);
        }
}

/* GatherElements(data, indices, axis): out[i] = data[i with its axis
 * coordinate replaced by indices[i]]; both of one rank, indices no larger
 * than data along the other axes (the rows alike).  Constant indices are
 * checked at build time, computed ones at run time (the row is named). */
static lp_status build_gather_elements(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *data, *idx;
    int axis;
    lp_status s = gather_inputs(g, op, node, &data, &idx, &axis, err);
    if (s != LP_OK) return s;
    if (idx->shape.rank != data->shape.rank)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "indices of rank %d for data of rank %d", idx->shape.rank,
                           data->shape.rank);
    for (int k = 0; k < data->shape.rank; k++) {
        int64_t dd = data->shape.dims[k], di = idx->shape.dims[k];
        if ((dd == LP__BATCH) != (di == LP__BATCH) || (k != axis && dd != LP__BATCH && di > dd))
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "indices dimension %d (%lld) does not fit data's (%lld)", k,
                               (long long)di, (long long)dd);
    }
    if ((s = check_const_indices(op, data, idx, axis, err)) != LP_OK) return s;
    op->iattr[0] = axis;
    lp__shape shape = idx->shape;
    return lp__op_output(g, op, node, 0, data->dtype, &shape, err);
}

static void run_gather_elements(const lp__run *r, const lp__op *op)
{
    const lp__value *dv = &r->g->values[op->in[0]], *iv = &r->g->values[op->in[1]];
    int rank = dv->shape.rank, axis = op->iattr[0];
    size_t dd[LP__MAX_RANK], id[LP__MAX_RANK], stride[LP__MAX_RANK], at[LP__MAX_RANK] = {0};
    lp__run_dims(r, op->in[0], dd);
    lp__run_dims(r, op->in[1], id);
    size_t size = lp__dtype_elem_size(dv->dtype), n = lp__shape_count(&iv->shape, r->n_rows);
    size_t st = 1;
    for (int k = rank - 1; k >= 0; k--) {
        stride[k] = st;
        st *= dd[k];
    }
    const char *data = lp__run_data(r, op->in[0]);
    const void *idx = lp__run_data(r, op->in[1]);
    char *out = lp__run_data(r, op->out[0]);
    for (size_t i = 0; i < n; i++) {
        int64_t v = lp__dtype_get_i64(iv->dtype, idx, i);
        if (v < 0) v += (int64_t)dd[axis];
        if (v < 0 || (size_t)v >= dd[axis]) {
            size_t row = lp__run_row(r, op->in[1], i);
            lp__run_fail(r, op, row, LP_ERR_BAD_NUMBER, "index %lld%s is outside dimension %d's %zu values",
                         (long long)lp__dtype_get_i64(iv->dtype, idx, i), row == SIZE_MAX ? "" :
                         ", computed from the row,", axis, dd[axis]);
            return;
        }
        size_t off = 0;
        for (int k = 0; k < rank; k++) off += (k == axis ? (size_t)v : at[k]) * stride[k];
        memcpy(out + i * size, data + off * size, size);
        for (int k = rank - 1; k >= 0 && ++at[k] == id[k]; k--) at[k] = 0;   /* the next index */
    }
}

/* ---- Slice ----------------------------------------------------------------------- */

typedef struct slice_params { int64_t start[LP__MAX_RANK], step[LP__MAX_RANK]; } slice_params;

/* Slice: starts, ends, axes, steps as constant inputs (opset 10+) or
 * attributes (opset < 10), clamped as the spec says. */
static lp_status build_slice(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    int rank = x->shape.rank;
    int64_t starts[LP__MAX_RANK], ends[LP__MAX_RANK], axes[LP__MAX_RANK], steps[LP__MAX_RANK];
    size_t n = 0;
    const lp__onnx_attr *sa = lp__onnx_attr_find(node, "starts"), *ea = lp__onnx_attr_find(node, "ends"),
                        *aa = lp__onnx_attr_find(node, "axes");
    if (sa && ea) {
        if (sa->count != ea->count || sa->count > LP__MAX_RANK || (aa && aa->count != sa->count))
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "starts, ends and axes differ in length");
        n = sa->count;
        for (size_t i = 0; i < n; i++)
            starts[i] = sa->ints[i], ends[i] = ea->ints[i], axes[i] = aa ? aa->ints[i] : (int64_t)i, steps[i] = 1;
    } else {
        const int64_t *v[4] = {NULL, NULL, NULL, NULL};
        int64_t *dst[4] = {starts, ends, axes, steps};
        for (int i = 1; i < 5 && i < op->n_in; i++) {
            if (op->in[i] == UINT32_MAX) continue;
            const lp__value *iv = &g->values[op->in[i]];
            if (iv->dtype == LP_ONNX_INT32 && iv->is_const) {
                size_t c = lp__shape_count(&iv->shape, 0);
                if (c > LP__MAX_RANK) return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "%zu axes", c);
                for (size_t j = 0; j < c; j++) dst[i - 1][j] = ((const int32_t *)iv->data)[j];
                v[i - 1] = dst[i - 1];
            } else if (!(v[i - 1] = lp__const_input(g, op, i, LP_ONNX_INT64, err))) {
                return err->code;
            }
            size_t c = lp__shape_count(&iv->shape, 0);
            if (i == 1) n = c;
            if (c != n || n > LP__MAX_RANK)
                return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "starts, ends, axes and steps differ in length");
        }
        if (!v[0] || !v[1]) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "starts or ends missing");
        for (size_t i = 0; i < n; i++) {
            starts[i] = v[0][i];
            ends[i] = v[1][i];
            axes[i] = v[2] ? v[2][i] : (int64_t)i;
            steps[i] = v[3] ? v[3][i] : 1;
        }
    }
    slice_params *p = lp__graph_alloc(g, sizeof *p, err);
    if (!p) return err->code;
    lp__shape shape = x->shape;
    uint8_t seen[LP__MAX_RANK] = {0};
    for (int k = 0; k < rank; k++) p->start[k] = 0, p->step[k] = 1;
    for (size_t i = 0; i < n; i++) {
        int ax = norm_axis(axes[i], rank);
        if (ax < 0 || seen[ax]) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "axis %lld", (long long)axes[i]);
        seen[ax] = 1;
        if (steps[i] == 0) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "a step of 0");
        int64_t d = x->shape.dims[ax], s = starts[i], e = ends[i], st = steps[i];
        if (d == LP__BATCH) {
            if (s == 0 && e >= INT32_MAX && st == 1) continue;   /* every row: a no-op on that axis */
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "slicing the rows of the batch");
        }
        if (s < 0) s += d;
        if (e < 0) e += d;
        if (st > 0) {
            s = s < 0 ? 0 : s > d ? d : s;
            e = e < 0 ? 0 : e > d ? d : e;
            shape.dims[ax] = e > s ? (e - s + st - 1) / st : 0;
        } else {
            s = s < 0 ? -1 : s > d - 1 ? d - 1 : s;
            e = e < -1 ? -1 : e > d - 1 ? d - 1 : e;
            shape.dims[ax] = s > e ? (s - e + (-st) - 1) / (-st) : 0;
        }
        p->start[ax] = s;
        p->step[ax] = st;
    }
    op->params = p;
    return lp__op_output(g, op, node, 0, x->dtype, &shape, err);
}

static void run_slice(const lp__run *r, const lp__op *op)
{
    const slice_params *p = op->params;
    const lp__value *y = &r->g->values[op->out[0]];
    int rank = y->shape.rank;
    size_t xd[LP__MAX_RANK], yd[LP__MAX_RANK], idx[LP__MAX_RANK] = {0};
    int64_t step[LP__MAX_RANK];
    lp__run_dims(r, op->in[0], xd);
    lp__run_dims(r, op->out[0], yd);
    size_t size = lp__dtype_elem_size(y->dtype), n = lp__shape_count(&y->shape, r->n_rows);
    int64_t at = 0, stride = 1;
    for (int k = rank - 1; k >= 0; k--) {
        at += p->start[k] * stride;
        step[k] = p->step[k] * stride;
        stride *= (int64_t)xd[k];
    }
    const char *x = lp__run_data(r, op->in[0]);
    char *out = lp__run_data(r, op->out[0]);
    for (size_t i = 0; i < n; i++) {
        memcpy(out + i * size, x + at * (int64_t)size, size);
        for (int k = rank - 1; k >= 0; k--) {
            idx[k]++;
            at += step[k];
            if (idx[k] < yd[k]) break;
            at -= step[k] * (int64_t)yd[k];
            idx[k] = 0;
        }
    }
}

const lp__op_kind lp__ops_shape[] = {
    {"Concat", "", build_concat, run_concat},
    {"Flatten", "", build_flatten, run_copy},   {"Reshape", "", build_reshape, run_copy},
    {"Squeeze", "", build_squeeze, run_copy},   {"Unsqueeze", "", build_unsqueeze, run_copy},
    {"Constant", "", build_constant, run_copy}, {"Dropout", "", build_dropout, run_dropout},
    {"Shape", "", build_shape, run_copy},       {"Size", "", build_size, run_copy},       {"ConstantOfShape", "", build_constant_of_shape, run_constant_of_shape},
    {"Transpose", "", build_transpose, run_transpose}, {"Gather", "", build_gather, run_gather},
    {"GatherElements", "", build_gather_elements, run_gather_elements},
    {"Slice", "", build_slice, run_slice},      {"Split", "", build_split, run_split},
};
const size_t lp__n_ops_shape = sizeof lp__ops_shape / sizeof *lp__ops_shape;
