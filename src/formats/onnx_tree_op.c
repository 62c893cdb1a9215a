/* onnx_tree_op.c — TreeEnsembleRegressor and opset 5's TreeEnsemble as one
 * operator of a dense graph (ops/graph.h), for the graphs the tree model
 * path (onnx_load.c: trees, or trees after encoders) does not take: a
 * regressor whose scores later nodes transform (several targets into a
 * Softmax, an Add of two ensembles), and aggregate_function MIN or MAX.
 *
 * The node is lowered once at build time onto a private lp_model
 * (onnx_trees.c, onnxruntime's scoring rules), which the graph owns.  A run
 * adds the trees' leaves with the forest kernel (SUM, AVERAGE) or, for MIN
 * and MAX, runs the reference kernel one tree at a time and keeps the least
 * or greatest leaf per output; then the average divisor, base_values and
 * post_transform apply, as for a model made of the trees alone.
 *
 * It lives in formats/ (not ops/) because it needs the lowering; graph_build.c
 * finds it through lp__ops_trees like any other family. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/lp_math.h"
#include "../ops/graph.h"
#include "model.h"
#include "onnx_trees.h"

typedef struct tree_op {
    lp_model *m;          /* the lowered trees: forest, n_groups, link, average_divisor, base_after */
    int       aggregate;  /* LP__AGGREGATE_* */
    size_t    width;      /* features per row */
} tree_op;

static void tree_op_free(void *p)
{
    tree_op *t = p;
    if (!t) return;
    lp_model_destroy(t->m);
    free(t);
}

static lp_status build_trees(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    if (op->n_in != 1) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "%d inputs (1 expected)", op->n_in);
    /* Double rows: onnxruntime compares them with double splits, but a
     * graph's cells arrive as float32, which would move a cell lying between
     * its float32 rounding and a split to the other branch. */
    if (x->dtype != LP_ONNX_FLOAT || x->shape.rank != 2 || x->shape.dims[0] != LP__BATCH || x->shape.dims[1] < 1)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input \"%s\" must be float rows [N, F] (%s of rank %d "
                           "given%s)", x->name, lp__onnx_dtype_name(x->dtype), x->shape.rank,
                           x->dtype == LP_ONNX_DOUBLE ? "; double rows are compared with double splits, and a "
                           "graph's cells arrive as float32" : "");
    tree_op *t = calloc(1, sizeof *t);
    if (!t) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    t->width = (size_t)x->shape.dims[1];
    lp_status s = (t->m = lp__model_new()) ? LP_OK : lp__fail(err, LP_ERR_NOMEM, "out of memory");
    if (s == LP_OK) s = lp__onnx_trees_lower_op(node, t->width, &t->aggregate, t->m, err);
    if (s == LP_OK) s = lp__graph_own(g, t, tree_op_free, err);
    else tree_op_free(t);
    if (s != LP_OK) return s;   /* (once owned, the graph frees it) */
    op->params = t;
    lp__shape shape = {2, {LP__BATCH, (int64_t)t->m->n_groups}};
    return lp__op_output(g, op, node, 0, LP_ONNX_FLOAT, &shape, err);
}

/* MIN / MAX: each forest tree's leaf (the reference kernel on a one-tree
 * view of the forest), kept per output when it is the least / greatest so
 * far; an output no tree scores stays 0, as in onnxruntime. */
static void min_max(const tree_op *t, const float *x, size_t n_rows, float *y, float *leaf, uint8_t *seen)
{
    const lp__forest *f = &t->m->forest;
    size_t k_n = t->m->n_groups;
    memset(seen, 0, k_n);
    memset(y, 0, n_rows * k_n * sizeof *y);
    static const uint32_t group0 = 0;
    for (size_t tr = 0; tr < f->n_trees; tr++) {
        lp__forest one = *f;
        one.n_trees = 1;
        one.tree_root = &f->tree_root[tr];
        one.tree_group = (uint32_t *)&group0;
        one.tree_depth = &f->tree_depth[tr];
        one.tree_has_cat = &f->tree_has_cat[tr];
        one.packed = NULL;
        memset(leaf, 0, n_rows * sizeof *leaf);
        lp_kern_forest_add_ref(&one, x, n_rows, t->width, leaf, 1);
        size_t k = f->tree_group[tr];
        for (size_t r = 0; r < n_rows; r++) {
            float *z = &y[r * k_n + k];
            if (!seen[k]) *z = leaf[r];
            else if (t->aggregate == LP__AGGREGATE_MIN ? leaf[r] < *z : leaf[r] > *z) *z = leaf[r];
        }
        seen[k] = 1;
    }
}

/* The average divisor, base_values and post_transform, in place. */
static void finish(const lp_model *m, float *y, size_t n_rows)
{
    size_t k_n = m->n_groups;
    for (size_t r = 0; r < n_rows; r++) {
        float *z = y + r * k_n;
        if (m->average_divisor)
            for (size_t k = 0; k < k_n; k++) z[k] /= m->average_divisor;
        if (m->base_after)
            for (size_t k = 0; k < k_n; k++) z[k] += m->base_after[k];
        switch (m->link) {
        case LP__LINK_SOFTMAX:
        case LP__LINK_SOFTMAX_ZERO: lp__softmax(z, k_n, m->link == LP__LINK_SOFTMAX_ZERO, z); break;
        case LP__LINK_SIGMOID: for (size_t k = 0; k < k_n; k++) z[k] = lp__sigmoid(z[k]); break;
        case LP__LINK_PROBIT: for (size_t k = 0; k < k_n; k++) z[k] = lp__probit(z[k]); break;
        default: break;   /* NONE: the scores */
        }
    }
}

static void run_trees(const lp__run *r, const lp__op *op)
{
    const tree_op *t = op->params;
    const float *x = lp__run_data(r, op->in[0]);
    float *y = lp__run_data(r, op->out[0]);
    if (t->aggregate == LP__AGGREGATE_SUM) {
        memset(y, 0, r->n_rows * t->m->n_groups * sizeof *y);
        lp_kern_forest_add(&t->m->forest, x, r->n_rows, t->width, y, t->m->n_groups);
    } else {
        /* one leaf per row, then a flag per output (the run buffer's sizes bound both) */
        float *leaf = malloc(r->n_rows * sizeof *leaf + t->m->n_groups + 1);
        if (!leaf) {
            lp__run_fail(r, op, SIZE_MAX, LP_ERR_NOMEM, "out of memory for %zu rows", r->n_rows);
            return;
        }
        min_max(t, x, r->n_rows, y, leaf, (uint8_t *)(leaf + r->n_rows));
        free(leaf);
    }
    finish(t->m, y, r->n_rows);
}

const lp__op_kind lp__ops_trees[] = {
    {"TreeEnsembleRegressor", "ai.onnx.ml", build_trees, run_trees},
    {"TreeEnsemble", "ai.onnx.ml", build_trees, run_trees},
};
const size_t lp__n_ops_trees = sizeof lp__ops_trees / sizeof *lp__ops_trees;
