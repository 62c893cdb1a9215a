/* ops_dense.c — Gemm and MatMul with constant weights: the layers of MLPs
 * and linear models.  Weights are laid out once at build time as [K, M]
 * (transposed when the node says so, alpha and beta folded in), so a run is
 * one lp_kern_gemm call. */
#include <string.h>

#include "../kernels/kernels.h"
#include "graph.h"

typedef struct dense_params {
    float  *w;        /* [k, m] */
    float  *bias;     /* [m] or NULL */
    size_t  k, m;
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

/* The row input: [N, K] float computed per row. */
static lp_status row_input(const lp__graph *g, const lp__op *op, size_t *k, lp_error *err)
{
    const lp__value *a = op->n_in > 0 && op->in[0] != UINT32_MAX ? &g->values[op->in[0]] : NULL;
    if (!a) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "input 1 is missing");
    if (a->shape.rank != 2 || a->dtype != LP_ONNX_FLOAT)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input 1 (\"%s\") must be a float matrix [N, K] (rank %d)",
                           a->name, a->shape.rank);
    *k = a->shape.dims[1] == LP__BATCH ? 0 : (size_t)a->shape.dims[1];
    if (a->is_const || a->shape.dims[0] != LP__BATCH || *k == 0)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input 1 (\"%s\") must hold the rows, [N, K]", a->name);
    return LP_OK;
}

static lp_status finish(lp__graph *g, lp__op *op, const lp__onnx_node *node, dense_params *p, lp_error *err)
{
    lp__shape shape = {2, {LP__BATCH, (int64_t)p->m}};
    op->out[0] = lp__graph_add_value(g, node->outputs[0], LP_ONNX_FLOAT, &shape, err);
    if (op->out[0] == UINT32_MAX) return err->code;
    op->n_out = 1;
    op->params = p;
    return LP_OK;
}

static lp_status build_gemm(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    size_t k;
    lp_status s = row_input(g, op, &k, err);
    if (s != LP_OK) return s;
    if (int_attr(node, "transA", 0))
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "transA=1 (the rows would be the columns)");
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

static lp_status build_matmul(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    size_t k;
    lp_status s = row_input(g, op, &k, err);
    if (s != LP_OK) return s;
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
    lp_kern_gemm(lp__run_data(r, op->in[0]), p->w, p->bias, lp__run_data(r, op->out[0]), r->n_rows, p->k, p->m);
}

const lp__op_kind lp__ops_dense[] = {
    {"Gemm", "", build_gemm, run_dense},
    {"MatMul", "", build_matmul, run_dense},
};
const size_t lp__n_ops_dense = sizeof lp__ops_dense / sizeof *lp__ops_dense;
