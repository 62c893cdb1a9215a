/* ops_dense.c — Gemm and MatMul.  The layers of MLPs and linear models
 * (rows [.., K] times constant weights) take the fast path: weights laid out
 * once at build time as [K, M] (transposed when the node says so, alpha and
 * beta folded in), so a run is one lp_kern_gemm call over every row.  Other
 * products (attention's Q·Kᵀ, batched [.., M, K] × [.., K, N] with numpy
 * broadcasting, Gemm of two computed matrices) run lp_kern_gemm per matrix
 * of the batch, or Gemm's general loop. */
#include <string.h>

#include "../kernels/kernels.h"
#include "graph.h"

typedef struct dense_params {
    float  *w;        /* [k, m] */
    float  *bias;     /* [m] or NULL */
    size_t  k, m;
    int     relu;     /* a Relu fused into the store (lp__dense_take_relu) */
} dense_params;

static int64_t int_attr(const lp__onnx_node *n, const char *name, int64_t dflt)
{
    const lp__onnx_attr *a = lp__onnx_attr_find(n, name);
    return a && a->type == LP_ONNX_ATTR_INT ? a->i : dflt;
}

static float float_attr(const lp__onnx_node *n, const char *name, float dflt)
{
    const lp__onnx_attr *a = lp__onnx_attr_find(n, name);
    return a && a->type == LP_ONNX_ATTR_FLOAT ? a->f : dflt;
}

/* Whether input 1 suits the fast path: float rows [.., K] (the batch in a
 * leading dimension, K stated) and input 2 a constant float matrix. */
static int fast_path(const lp__graph *g, const lp__op *op, size_t *k)
{
    if (op->n_in < 2 || op->in[0] == UINT32_MAX || op->in[1] == UINT32_MAX) return 0;
    const lp__value *a = &g->values[op->in[0]], *b = &g->values[op->in[1]];
    int r = a->shape.rank;
    if (a->is_const || a->dtype != LP_ONNX_FLOAT || r < 2 || a->shape.dims[r - 1] <= 0) return 0;
    int batch = 0;
    for (int j = 0; j < r - 1; j++) batch |= a->shape.dims[j] == LP__BATCH;
    *k = (size_t)a->shape.dims[r - 1];
    return batch && b->is_const && b->dtype == LP_ONNX_FLOAT && b->shape.rank == 2;
}

static lp_status finish(lp__graph *g, lp__op *op, const lp__onnx_node *node, dense_params *p, lp_error *err)
{
    lp__shape shape = g->values[op->in[0]].shape;
    shape.dims[shape.rank - 1] = (int64_t)p->m;
    op->out[0] = lp__graph_add_value(g, node->outputs[0], LP_ONNX_FLOAT, &shape, err);
    if (op->out[0] == UINT32_MAX) return err->code;
    op->n_out = 1;
    op->params = p;
    return LP_OK;
}

static lp_status build_gemm_general(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err);

static lp_status build_gemm(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    size_t k;
    int computed_c = op->n_in > 2 && op->in[2] != UINT32_MAX && !g->values[op->in[2]].is_const;
    if (int_attr(node, "transA", 0) || !fast_path(g, op, &k) || g->values[op->in[0]].shape.rank != 2 || computed_c)
        return build_gemm_general(g, op, node, err);
    int trans_b = int_attr(node, "transB", 0) != 0;
    float alpha = float_attr(node, "alpha", 1.0f), beta = float_attr(node, "beta", 1.0f);
    const float *b = lp__const_input(g, op, 1, LP_ONNX_FLOAT, err);
    if (!b) return err->code;
    const lp__value *bv = &g->values[op->in[1]];
    if (bv->shape.rank != 2)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "B has rank %d, 2 expected", bv->shape.rank);
    size_t bk = (size_t)bv->shape.dims[trans_b ? 1 : 0], m = (size_t)bv->shape.dims[trans_b ? 0 : 1];
    if (bk != k)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "A has %zu columns but B %zu rows%s", k, bk,
                           trans_b ? " (transposed)" : "");
    dense_params *p = lp__graph_alloc(g, sizeof *p, err);
    if (!p || !(p->w = lp__graph_alloc(g, k * m * sizeof(float), err))) return err->code;
    p->k = k;
    p->m = m;
    for (size_t q = 0; q < k; q++)
        for (size_t j = 0; j < m; j++) p->w[q * m + j] = alpha * (trans_b ? b[j * k + q] : b[q * m + j]);
    if (op->n_in > 2 && op->in[2] != UINT32_MAX && beta != 0.0f) {
        const float *c = lp__const_input(g, op, 2, LP_ONNX_FLOAT, err);
        if (!c) return err->code;
        size_t cn = lp__shape_count(&g->values[op->in[2]].shape, 0);
        const lp__shape *cs = &g->values[op->in[2]].shape;
        int per_column = cn == m && (cs->rank == 1 || (cs->rank == 2 && cs->dims[0] == 1));
        if (cn != 1 && !per_column)
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "C must be a scalar or one value per output column");
        if (!(p->bias = lp__graph_alloc(g, m * sizeof(float), err))) return err->code;
        for (size_t j = 0; j < m; j++) p->bias[j] = beta * c[cn == 1 ? 0 : j];
    }
    return finish(g, op, node, p, err);
}

static lp_status build_matmul_batched(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err);

static lp_status build_matmul(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    size_t k;
    if (!fast_path(g, op, &k)) return build_matmul_batched(g, op, node, err);
    const float *b = lp__const_input(g, op, 1, LP_ONNX_FLOAT, err);
    if (!b) return err->code;
    const lp__value *bv = &g->values[op->in[1]];
    if (bv->shape.rank != 2 || (size_t)bv->shape.dims[0] != k)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "B must be a [%zu, M] matrix", k);
    dense_params *p = lp__graph_alloc(g, sizeof *p, err);
    if (!p) return err->code;
    p->w = (float *)b;   /* already [k, m]; the graph owns the initializer */
    p->k = k;
    p->m = (size_t)bv->shape.dims[1];
    return finish(g, op, node, p, err);
}

static void run_dense(const lp__run *r, const lp__op *op)
{
    const dense_params *p = op->params;
    size_t rows = lp__shape_count(&r->g->values[op->in[0]].shape, r->n_rows) / p->k;
    lp_kern_gemm(lp__run_data(r, op->in[0]), p->w, p->bias, lp__run_data(r, op->out[0]), rows, p->k, p->m, p->relu);
}

/* ---- MatMul, batched: numpy's matmul ------------------------------------------------ */

static lp_status build_matmul_batched(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *a = lp__op_input(g, op, 0, err), *b = lp__op_input(g, op, 1, err);
    if (!a || !b) return err->code;
    if (a->dtype != b->dtype || (a->dtype != LP_ONNX_FLOAT && a->dtype != LP_ONNX_DOUBLE))
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "inputs hold %s and %s (float or double, both the same, "
                           "are supported)", lp__onnx_dtype_name(a->dtype), lp__onnx_dtype_name(b->dtype));
    if (a->shape.rank < 1 || b->shape.rank < 1)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "a scalar input");
    /* 1-D operands: A [K] is [1, K], B [K] is [K, 1], and those dimensions leave the output. */
    lp__shape as = a->shape, bs = b->shape;
    if (as.rank == 1) as = (lp__shape){2, {1, a->shape.dims[0]}};
    if (bs.rank == 1) bs = (lp__shape){2, {b->shape.dims[0], 1}};
    int64_t k = as.dims[as.rank - 1];
    if (k == LP__BATCH || bs.dims[bs.rank - 2] == LP__BATCH || bs.dims[bs.rank - 1] == LP__BATCH)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "a product across the rows of the batch (a row would read "
                           "the others)");
    if (k != bs.dims[bs.rank - 2])
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL,
                           "A has %lld columns and B %lld rows", (long long)k, (long long)bs.dims[bs.rank - 2]);
    int rank = (as.rank > bs.rank ? as.rank : bs.rank);
    lp__shape shape = {0, {0}};
    for (int j = 0; j < rank - 2; j++) {   /* the batch dimensions, broadcast */
        int ia = j - (rank - as.rank), ib = j - (rank - bs.rank);
        int64_t da = ia >= 0 ? as.dims[ia] : 1, db = ib >= 0 ? bs.dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "batch dimensions %lld and %lld do not broadcast",
                               (long long)da, (long long)db);
        shape.dims[shape.rank++] = da == 1 ? db : da;
    }
    if (a->shape.rank > 1) shape.dims[shape.rank++] = as.dims[as.rank - 2];
    if (b->shape.rank > 1) shape.dims[shape.rank++] = bs.dims[bs.rank - 1];
    return lp__op_output(g, op, node, 0, a->dtype, &shape, err);
}

/* c[m, n] = a[m, k] · b[k, n] in double (skl2onnx's double linear models):
 * each sum in k order, as lp_kern_gemm's reference sums. */
static void gemm_f64(const double *a, const double *b, double *c, size_t m, size_t k, size_t n)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double acc = 0.0;
            for (size_t q = 0; q < k; q++) acc = acc + a[i * k + q] * b[q * n + j];
            c[i * n + j] = acc;
        }
}

static void run_matmul_batched(const lp__run *r, const lp__op *op)
{
    const lp__value *av = &r->g->values[op->in[0]], *bv = &r->g->values[op->in[1]];
    size_t ad[LP__MAX_RANK], bd[LP__MAX_RANK];
    lp__run_dims(r, op->in[0], ad);
    lp__run_dims(r, op->in[1], bd);
    int ar = av->shape.rank, br = bv->shape.rank;
    size_t m = ar > 1 ? ad[ar - 2] : 1, k = ad[ar - 1], n = br > 1 ? bd[br - 1] : 1;
    int a_batch = ar > 2 ? ar - 2 : 0, b_batch = br > 2 ? br - 2 : 0;
    int rank = a_batch > b_batch ? a_batch : b_batch;
    size_t dims[LP__MAX_RANK], sa[LP__MAX_RANK], sb[LP__MAX_RANK], idx[LP__MAX_RANK] = {0}, count = 1;
    size_t stride_a = m * k, stride_b = k * n;
    for (int j = rank - 1; j >= 0; j--) {
        int ia = j - (rank - a_batch), ib = j - (rank - b_batch);
        size_t da = ia >= 0 ? ad[ia] : 1, db = ib >= 0 ? bd[ib] : 1;
        dims[j] = da == 1 ? db : da;
        sa[j] = da == 1 ? 0 : stride_a;
        sb[j] = db == 1 ? 0 : stride_b;
        stride_a *= da;
        stride_b *= db;
        count *= dims[j];
    }
    const void *a = lp__run_data(r, op->in[0]), *b = lp__run_data(r, op->in[1]);
    void *c = lp__run_data(r, op->out[0]);
    int f64 = av->dtype == LP_ONNX_DOUBLE;
    size_t oa = 0, ob = 0;
    for (size_t i = 0; i < count; i++) {
        if (f64)
            gemm_f64((const double *)a + oa, (const double *)b + ob, (double *)c + i * m * n, m, k, n);
        else
            lp_kern_gemm((const float *)a + oa, (const float *)b + ob, NULL, (float *)c + i * m * n, m, k, n, 0);
        for (int j = rank - 1; j >= 0; j--) {
            idx[j]++;
            oa += sa[j];
            ob += sb[j];
            if (idx[j] < dims[j]) break;
            oa -= sa[j] * dims[j];
            ob -= sb[j] * dims[j];
            idx[j] = 0;
        }
    }
}

/* ---- Gemm, general: A and B computed or transposed, or double ---------------------- */

static lp_status build_gemm_general(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *a = lp__op_input(g, op, 0, err), *b = lp__op_input(g, op, 1, err);
    if (!a || !b) return err->code;
    if (a->dtype != b->dtype || (a->dtype != LP_ONNX_FLOAT && a->dtype != LP_ONNX_DOUBLE) || a->shape.rank != 2 ||
        b->shape.rank != 2)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "A and B must be matrices of the same type, float or double "
                           "(%s of rank %d, %s of rank %d)", lp__onnx_dtype_name(a->dtype), a->shape.rank,
                           lp__onnx_dtype_name(b->dtype), b->shape.rank);
    int ta = int_attr(node, "transA", 0) != 0, tb = int_attr(node, "transB", 0) != 0;
    int64_t m = a->shape.dims[ta], k = a->shape.dims[!ta], kb = b->shape.dims[tb], n = b->shape.dims[!tb];
    if (k == LP__BATCH || kb == LP__BATCH || n == LP__BATCH)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "a product across the rows of the batch (a row would read "
                           "the others)");
    if (k != kb)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "A has %lld columns but B %lld rows", (long long)k, (long long)kb);
    if (op->n_in > 2 && op->in[2] != UINT32_MAX) {
        lp__shape out = {2, {m, n}};
        const lp__shape *cs = &g->values[op->in[2]].shape;
        for (int j = 0; j < cs->rank; j++) {
            int64_t d = cs->dims[j], o = out.dims[j + 2 - cs->rank];
            if (cs->rank > 2 || (d != 1 && d != o))
                return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "C does not broadcast to [%lld, %lld]", (long long)m,
                                   (long long)n);
        }
        if (g->values[op->in[2]].dtype != a->dtype)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "C holds %s values and A %s",
                               lp__onnx_dtype_name(g->values[op->in[2]].dtype), lp__onnx_dtype_name(a->dtype));
    }
    op->iattr[0] = ta;
    op->iattr[1] = tb;
    op->dattr[0] = float_attr(node, "alpha", 1.0f);
    op->dattr[1] = float_attr(node, "beta", 1.0f);
    lp__shape shape = {2, {m, n}};
    return lp__op_output(g, op, node, 0, a->dtype, &shape, err);
}

/* The double Gemm (skl2onnx's and torch's double models): as the float
 * loop below, every sum in k order; alpha and beta are float attributes,
 * widened as onnxruntime's Gemm<double> widens them. */
static void gemm_general_f64(const double *a, const double *b, const double *c, const size_t *cd, double *y,
                             size_t m, size_t k, size_t n, int ta, int tb, double alpha, double beta)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double acc = 0.0;
            for (size_t q = 0; q < k; q++) acc = acc + a[ta ? q * m + i : i * k + q] * b[tb ? j * k + q : q * n + j];
            double v = alpha * acc;
            if (c && beta != 0) v += beta * c[(cd[0] == 1 ? 0 : i) * cd[1] + (cd[1] == 1 ? 0 : j)];
            y[i * n + j] = v;
        }
}

static void run_gemm_general(const lp__run *r, const lp__op *op)
{
    size_t ad[LP__MAX_RANK], bd[LP__MAX_RANK], cd[LP__MAX_RANK] = {1, 1};
    lp__run_dims(r, op->in[0], ad);
    lp__run_dims(r, op->in[1], bd);
    int ta = op->iattr[0], tb = op->iattr[1];
    size_t m = ad[ta], k = ad[!ta], n = bd[!tb];
    const void *c_data = NULL;
    if (op->n_in > 2 && op->in[2] != UINT32_MAX) {
        c_data = lp__run_data(r, op->in[2]);
        int c_rank = r->g->values[op->in[2]].shape.rank;
        size_t d[LP__MAX_RANK];
        lp__run_dims(r, op->in[2], d);
        for (int j = 0; j < c_rank; j++) cd[j + 2 - c_rank] = d[j];
    }
    if (r->g->values[op->out[0]].dtype == LP_ONNX_DOUBLE) {
        gemm_general_f64(lp__run_data(r, op->in[0]), lp__run_data(r, op->in[1]), c_data, cd,
                         lp__run_data(r, op->out[0]), m, k, n, ta, tb, op->dattr[0], op->dattr[1]);
        return;
    }
    const float *a = lp__run_data(r, op->in[0]), *b = lp__run_data(r, op->in[1]), *c = c_data;
    float alpha = (float)op->dattr[0], beta = (float)op->dattr[1];
    float *y = lp__run_data(r, op->out[0]);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            float acc = 0.0f;
            for (size_t q = 0; q < k; q++) acc = acc + a[ta ? q * m + i : i * k + q] * b[tb ? j * k + q : q * n + j];
            float v = alpha * acc;
            if (c && beta != 0) v += beta * c[(cd[0] == 1 ? 0 : i) * cd[1] + (cd[1] == 1 ? 0 : j)];
            y[i * n + j] = v;
        }
}

/* The run follows what build chose (params set: the fast path). */
static void run_gemm(const lp__run *r, const lp__op *op)
{
    if (op->params) run_dense(r, op);
    else run_gemm_general(r, op);
}

static void run_matmul(const lp__run *r, const lp__op *op)
{
    if (op->params) run_dense(r, op);
    else run_matmul_batched(r, op);
}

int lp__dense_take_bias(lp__op *op, const float *bias, size_t m)
{
    dense_params *p = op->kind->run == run_matmul ? op->params : NULL;
    if (!p || p->bias || p->m != m) return 0;
    p->bias = (float *)bias;   /* the graph owns the constant */
    return 1;
}

int lp__dense_take_relu(lp__op *op)
{
    int dense = op->kind->run == run_matmul || op->kind->run == run_gemm;
    dense_params *p = dense ? op->params : NULL;
    if (!p || p->relu) return 0;
    p->relu = 1;
    return 1;
}

const lp__op_kind lp__ops_dense[] = {
    {"Gemm", "", build_gemm, run_gemm},
    {"MatMul", "", build_matmul, run_matmul},
};
const size_t lp__n_ops_dense = sizeof lp__ops_dense / sizeof *lp__ops_dense;
