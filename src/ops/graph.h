/* graph.h — a validated, executable ONNX graph (dense models: MLPs, linear
 * models, scalers), built once at load from an lp__onnx_model.
 *
 * Values are numbered; each has a dtype and a shape whose first dimension may
 * be the batch (LP__BATCH, the rows of the call).  Initializers, Constant
 * nodes and anything computed only from them are folded at build time, so a
 * run executes only the row-dependent operators, in topological order, each
 * writing into a buffer sized for the batch.  Every operator checks its
 * inputs' types, shapes and attributes at build time; all operators the
 * engine does not have are reported together before anything is built.
 */
#ifndef LP_OPS_GRAPH_H
#define LP_OPS_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "../formats/onnx_graph.h"
#include "../localpredict.h"

#define LP__MAX_RANK 6
#define LP__BATCH    (-1)      /* a dimension equal to the batch's row count */

typedef struct lp__shape {
    int     rank;
    int64_t dims[LP__MAX_RANK];
} lp__shape;

/* A value: constant (initializer, Constant, or folded at build time; any
 * dtype) or computed per row (float32, exactly one LP__BATCH dimension). */
typedef struct lp__value {
    const char *name;          /* points into the decoded model's arena */
    int32_t     dtype;         /* LP_ONNX_FLOAT; constants also INT64 */
    lp__shape   shape;
    int         is_const;
    void       *data;          /* constant data, owned by the graph */
    size_t      row_offset;    /* computed values: offset in the run buffer, per row (bytes) */
} lp__value;

typedef struct lp__graph lp__graph;
typedef struct lp__op lp__op;

/* What an operator sees while it runs. */
typedef struct lp__run {
    const lp__graph *g;
    unsigned char   *buffer;   /* n_rows * g->row_bytes */
    const float     *x;        /* the input rows */
    size_t           n_rows;
} lp__run;

/* One operator kind: build checks inputs and attributes and creates the
 * outputs (shapes inferred); run computes them. */
typedef struct lp__op_kind {
    const char *op_type;
    const char *domain;        /* "" or "ai.onnx.ml" */
    lp_status (*build)(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err);
    void      (*run)(const lp__run *r, const lp__op *op);
} lp__op_kind;

#define LP__MAX_OP_INPUTS 8

struct lp__op {
    const lp__op_kind *kind;
    const char *name;
    uint32_t    in[LP__MAX_OP_INPUTS], out[2];
    int         n_in, n_out;
    int         iattr[4];      /* small integer attributes, per kind */
    float       fattr[4];
    void       *params;        /* per kind, owned by the graph (freed with it) */
};

struct lp__graph {
    lp__value  *values;
    size_t      n_values, cap_values;
    lp__op     *ops;
    size_t      n_ops;
    uint32_t    input;         /* the one [N, F] float input (its data is the rows
                                  themselves), or UINT32_MAX with per-column inputs */
    uint32_t   *column_inputs; /* per-column inputs [N, 1], in feature order, when */
    size_t      n_column_inputs; /* the graph takes one input per column (n_features) */
    uint32_t    output;        /* the [N, K] (or [N]) float scores */
    size_t      n_features, n_outputs;
    size_t      row_bytes;     /* run buffer bytes per row, all values together */
    void      **owned;         /* buffers to free with the graph */
    size_t      n_owned, cap_owned;
    lp__onnx_model source;     /* the decoded file (names, attributes) */
};

/* Builds from `om` (taking it over: it is freed with the graph, or on
 * failure).  input/output selection: the one float input, the float output
 * that is not a label. */
lp_status lp__graph_build(lp__onnx_model *om, lp__graph **out, lp_error *err);

/* Feature names of a per-column graph (its inputs' names), else NULL. */
const char *lp__graph_feature_name(const lp__graph *g, size_t i);

/* Runs n rows: x is n × n_features, scores n × n_outputs. */
lp_status lp__graph_run(const lp__graph *g, const float *x, size_t n_rows, float *scores, lp_error *err);

void lp__graph_free(lp__graph *g);

/* ---- for operator implementations (graph_build.c) ------------------------ */

/* Elements of a shape for n rows (LP__BATCH dims count n). */
size_t lp__shape_count(const lp__shape *s, size_t n_rows);
/* A new value; returns its index or UINT32_MAX on failure (err filled). */
uint32_t lp__graph_add_value(lp__graph *g, const char *name, int32_t dtype, const lp__shape *shape, lp_error *err);
/* Memory owned by the graph (zeroed); NULL on failure (err filled). */
void *lp__graph_alloc(lp__graph *g, size_t bytes, lp_error *err);
/* Data of value v during a run (constant data, the input, or its slice of
 * the run buffer). */
void *lp__run_data(const lp__run *r, uint32_t v);
/* The constant data of an input the operator needs at build time (a shape,
 * axes, weights), or NULL with err filled when it is computed per row. */
const void *lp__const_input(const lp__graph *g, const lp__op *op, int i, int32_t dtype, lp_error *err);
/* Fails with a message naming the node. */
lp_status lp__op_fail(const lp__op *op, lp_error *err, lp_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* The operator kinds, by family (ops_*.c). */
extern const lp__op_kind lp__ops_dense[], lp__ops_elementwise[], lp__ops_shape[], lp__ops_ml[];
extern const size_t lp__n_ops_dense, lp__n_ops_elementwise, lp__n_ops_shape, lp__n_ops_ml;

#endif
