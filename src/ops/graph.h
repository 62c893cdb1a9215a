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
#define LP__BATCH_VALUE INT64_MIN   /* the same, as an element of a shape tensor (Shape's output) */

typedef struct lp__shape {
    int     rank;
    int64_t dims[LP__MAX_RANK];
} lp__shape;

/* Element types a value may hold (ONNX TensorProto.DataType numbers):
 * float32, float64 (computed in double), int64, int32 and bool (one byte,
 * 0 or 1).  Extension point: a string dtype (LP_ONNX_STRING, elements
 * lp__onnx_bytes) is not computable yet; the operators that take strings
 * (ai.onnx.ml encoders) add it to lp__dtype_computable and to the feeds. */
int lp__dtype_computable(int32_t dtype);

/* A value: constant (initializer, Constant, or folded at build time) or
 * computed per row (at most one LP__BATCH dimension; none when the graph
 * was built on fixed shapes).  Both hold any computable dtype. */
typedef struct lp__value {
    const char *name;          /* points into the decoded model's arena */
    int32_t     dtype;         /* lp__onnx_dtype, lp__dtype_computable */
    lp__shape   shape;
    int         is_const;
    int         input;         /* index in g->inputs, or -1 */
    void       *data;          /* constant data, owned by the graph */
    size_t      row_offset;    /* computed values: offset in the run buffer, per row (bytes) */
    /* Constant int64 values that hold a dimension equal to the batch's row
     * count (Shape of a row value, and what is gathered or concatenated
     * from it) store LP__BATCH there and set this, so Reshape and Expand
     * can take it as "the rows"; arithmetic on such values is refused. */
    int         holds_batch;
} lp__value;

/* A graph input: the caller feeds n_rows × width elements of its dtype,
 * row-major (the batch is dimension 0 of its shape). */
typedef struct lp__graph_input {
    uint32_t    value;
    const char *name;
    int32_t     dtype;
    size_t      width;         /* elements per row: the product of the other dimensions */
    const char **columns;      /* a map input (ops_maps.c): its width's column names (the map's keys), else NULL */
    int          text_number;  /* a string input read only by Casts to numbers, fed as the numbers its text
                                  reads as (cast_string.c): LP__PREP_TEXT_REAL or _INT, else 0 */
    int          float_readers;  /* an integer input every reader turns into float: its cells may exceed 2^24 */
} lp__graph_input;

/* What the caller gives an input for one run: `data` holds n_rows × width
 * elements of `dtype` (the input's own dtype; strings, once supported, as
 * lp__onnx_bytes).  Read only; the run never copies it. */
typedef struct lp__graph_feed {
    int32_t     dtype;
    const void *data;
} lp__graph_feed;

typedef struct lp__graph lp__graph;
typedef struct lp__op lp__op;

/* Memory an operator needs during one run whose size depends on the data
 * (the strings StringNormalizer writes, the tokens Tokenizer finds), freed
 * when the run ends (NULL while folding constants); and the run's first
 * failure (lp__run_fail), when an operator finds a row it cannot compute:
 * the run stops after that operator. */
typedef struct lp__run_scratch {
    struct lp__arena *arena;
    lp_status         status;
    lp_error         *err;
} lp__run_scratch;

/* What an operator sees while it runs. */
typedef struct lp__run {
    const lp__graph      *g;
    unsigned char        *buffer;   /* n_rows * g->row_bytes */
    const lp__graph_feed *feeds;    /* one per g->inputs */
    size_t                n_rows;
    lp__run_scratch      *scratch;
} lp__run;

/* A row's tokens, as com.microsoft.Tokenizer gives them (ops_text.c): a
 * value of dtype LP__DTYPE_TOKENS and shape S stands for ONNX's string
 * tensor S + [T], T the batch's longest row, shorter rows padded with `pad`
 * (elements j >= n of the row are *pad).  Only Flatten, Identity and
 * TfIdfVectorizer take it. */
#define LP__DTYPE_TOKENS 0x10001
typedef struct lp__token_row {
    const lp__onnx_bytes *tok;
    size_t                n, width;
    const lp__onnx_bytes *pad;
} lp__token_row;

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
    uint32_t    in[LP__MAX_OP_INPUTS], out[3];
    int         n_in, n_out;
    int         iattr[4];      /* small integer attributes, per kind */
    double      dattr[4];      /* small real attributes, per kind */
    void       *params;        /* per kind, owned by the graph (freed with it) */
};

struct lp__graph {
    lp__value  *values;
    size_t      n_values, cap_values;
    lp__op     *ops;
    size_t      n_ops;
    lp__graph_input *inputs;   /* the graph's inputs, in the file's order */
    size_t      n_inputs;
    int         named_columns; /* several inputs, one column each: CSV columns by name */
    uint32_t    output;        /* the [N, K] (or [N]) float or double scores */
    size_t      n_features;    /* the sum of the inputs' widths */
    const lp__onnx_bytes *vocab; /* strings the model compares string inputs with */
    size_t      n_vocab;       /* (every encoder's categories and keys, distinct) */
    const uint8_t **known;     /* per input: NULL, or for a string input read only by
                                  OneHotEncoders with zeros = 0, which codes they know
                                  (another cell fails the run, as in onnxruntime) */
    size_t      n_outputs;
    size_t      row_bytes;     /* run buffer bytes per row (values whose lives do not overlap share) */
    size_t      chunk_rows;    /* rows a run computes at a time; 0: as many as fill LP__RUN_CHUNK_BYTES
                                  (graph_build.c); tests set it to put chunk boundaries anywhere */
    int         fixed;         /* built on the inputs' declared shapes (tests) */
    uint32_t   *fixed_outputs; /* then: every graph output, in order */
    size_t      n_fixed_outputs;
    void      **owned;         /* buffers to free with the graph */
    size_t      n_owned, cap_owned;
    struct lp__graph_owned *destroyed; /* objects freed by their own destructor (lp__graph_own) */
    size_t      n_destroyed;
    lp__onnx_model source;     /* the decoded file (names, attributes) */
};

/* Builds from `om` (taking it over: it is freed with the graph, or on
 * failure).  Every graph input is an input (any computable dtype, batch
 * first); the output is the float (or double) output that is not a label. */
lp_status lp__graph_build(lp__onnx_model *om, lp__graph **out, lp_error *err);

/* The same, up to the value `features` (a tree ensemble's input, a float
 * [N, F] computed from the inputs by encoders and scalers): the graph's
 * output is those features, n_outputs = F, and nothing after it is built
 * (formats/onnx_load.c runs the trees on them).  `features` must point into
 * `om` (it is taken over with it). */
lp_status lp__graph_build_features(lp__onnx_model *om, const char *features, lp__graph **out, lp_error *err);

/* Symbolic dimensions bound at load (formats/onnx_dims.h): a graph input
 * [N, "sequence"] takes a concrete "sequence" there, so every shape after it
 * is concrete too (Shape, Gather of it, Range, Expand ... fold at build).
 * A binding names either a symbol (dim_param, every input using it) or one
 * input's axis (its dimension, named or not); `source` says what bound it,
 * for messages ("\"dims\"", "\"preprocess.max_length\"" ...). */
typedef struct lp__dim_binding {
    const char *symbol;        /* a dim_param, or NULL */
    const char *input;         /* with axis: one input's dimension, or NULL */
    int         axis;
    int64_t     value;         /* >= 1 */
    const char *source;
} lp__dim_binding;

typedef struct lp__dim_bindings {
    const lp__dim_binding *items;
    size_t                 n;
} lp__dim_bindings;

/* lp__graph_build with the inputs' symbolic dimensions bound by `dims`
 * (NULL: none; then any is an error naming the input and the dimension).
 * Two bindings that disagree, or one for the rows' dimension, are
 * LP_ERR_BAD_MANIFEST naming the input, the dimension and both sources. */
lp_status lp__graph_build_bound(lp__onnx_model *om, const lp__dim_bindings *dims, lp__graph **out, lp_error *err);

/* Whether the inputs of `om` (initializers aside) have a dimension other
 * than the first that is not stated (symbolic or unknown). */
int lp__onnx_has_free_dims(const lp__onnx_model *om);

/* Feature names of a per-column graph (its inputs' names), else NULL. */
const char *lp__graph_feature_name(const lp__graph *g, size_t i);

/* Runs n rows fed input by input (feeds[i] for g->inputs[i], of its dtype):
 * scores is n × n_outputs float.  The typed entry point: token ids, string
 * columns and other non-float inputs come in here. */
lp_status lp__graph_run_feeds(const lp__graph *g, const lp__graph_feed *feeds, size_t n_rows, float *scores,
                              lp_error *err);

/* The rows lp__graph_run_feeds runs through the graph at a time for a
 * batch of n_rows (>= 1): every operator treats rows independently (one
 * that would mix them is refused at build), so a batch runs in chunks whose
 * run buffer stays in cache, each row's arithmetic unchanged. */
size_t lp__graph_chunk_rows(const lp__graph *g, size_t n_rows);

/* Runs n rows of CSV features: x is n × n_features float, its columns
 * filling the inputs in order (each converted to the input's dtype; a value
 * an integer or bool input cannot hold exactly, or a string a strict
 * OneHotEncoder refuses, is LP_ERR_BAD_NUMBER naming the input, with
 * err->line = the row of the batch (1-based) and err->column_index = the
 * feature: lp__predict_batch's callers make them the file's line and the CSV
 * column).  A lone float input reads x itself. */
lp_status lp__graph_run(const lp__graph *g, const float *x, size_t n_rows, float *scores, lp_error *err);

/* Whether the engine has the node's operator (attributes unchecked). */
int lp__graph_knows(const lp__onnx_node *n);

/* For ONNX's node tests (tests/c/onnx_conformance.c), whose tensors have
 * fixed shapes and no batch: builds with each input of its declared shape
 * (no LP__BATCH anywhere) and every graph output kept, of any dtype; a run
 * computes once and copies output i into outputs[i] (sized by the caller
 * from the value's shape and dtype). */
lp_status lp__graph_build_fixed(lp__onnx_model *om, lp__graph **out, lp_error *err);
lp_status lp__graph_run_fixed(const lp__graph *g, const lp__graph_feed *feeds, void *const *outputs, lp_error *err);

void lp__graph_free(lp__graph *g);

/* ---- for operator implementations (graph_build.c) ------------------------ */

/* Elements of a shape for n rows (LP__BATCH dims count n). */
size_t lp__shape_count(const lp__shape *s, size_t n_rows);
/* A new value; returns its index or UINT32_MAX on failure (err filled). */
uint32_t lp__graph_add_value(lp__graph *g, const char *name, int32_t dtype, const lp__shape *shape, lp_error *err);
/* Memory owned by the graph (zeroed); NULL on failure (err filled). */
void *lp__graph_alloc(lp__graph *g, size_t bytes, lp_error *err);
/* Hands p to the graph, which calls destroy(p) when it is freed (an
 * operator's lowered tree ensemble); on failure destroy(p) is called at once. */
lp_status lp__graph_own(lp__graph *g, void *p, void (*destroy)(void *), lp_error *err);
/* Data of value v during a run (constant data, the input's feed, or its
 * slice of the run buffer). */
void *lp__run_data(const lp__run *r, uint32_t v);
/* The constant data of an input the operator needs at build time (a shape,
 * axes, weights), or NULL with err filled when it is computed per row. */
const void *lp__const_input(const lp__graph *g, const lp__op *op, int i, int32_t dtype, lp_error *err);
/* Sets output o of op to a new value (name from the node); err on failure. */
lp_status lp__op_output(lp__graph *g, lp__op *op, const lp__onnx_node *node, int o, int32_t dtype,
                        const lp__shape *shape, lp_error *err);
/* Input i of op as a value, or NULL (err filled, naming the node) when it
 * is absent. */
const lp__value *lp__op_input(const lp__graph *g, const lp__op *op, int i, lp_error *err);
/* A value's dimensions during a run (LP__BATCH resolved to n_rows). */
void lp__run_dims(const lp__run *r, uint32_t v, size_t dims[LP__MAX_RANK]);

/* ---- element types (dtype.c) --------------------------------------------- */
/* Converts n elements between computable dtypes, as ONNX Cast does
 * (float → integer truncates toward zero; NaN and out-of-range values give
 * the target's minimum, as x86 does, kept portable; anything → bool is
 * x != 0). */
void lp__dtype_convert(int32_t to, void *dst, int32_t from, const void *src, size_t n);
/* Strings: values may also hold LP_ONNX_STRING (elements lp__onnx_bytes;
 * data NULL for a string the model does not know), which only the shape
 * operators and the ai.onnx.ml encoders take.  A string graph input is fed
 * from the CSV as codes into g->vocab (see lp__graph_run). */
int    lp__dtype_storable(int32_t dtype);
size_t lp__dtype_elem_size(int32_t dtype);   /* bytes per element, strings included */
/* Element i of data (dtype) as a double / as an int64. */
double  lp__dtype_get_f64(int32_t dtype, const void *data, size_t i);
int64_t lp__dtype_get_i64(int32_t dtype, const void *data, size_t i);

/* Cast to or from strings (cast_string.c), as onnxruntime does: numbers
 * written as std::to_string / "%.8g", strings read as std::stod / stoll. */
lp_status lp__build_cast_string(lp__graph *g, lp__op *op, const lp__onnx_node *node, const lp__value *x, int32_t to,
                                lp_error *err);
void lp__run_cast_string(const lp__run *r, const lp__op *op);
/* Text read as onnxruntime's Cast reads it into a number: std::stod
 * (integer = 0) or std::stoll (integer = 1); NULL, or what is wrong. */
const char *lp__text_to_number(const char *text, size_t len, int integer, double *out);
/* How a string graph input is fed when every node reading it is a Cast to a
 * number: LP__PREP_TEXT_REAL (all to float or double), LP__PREP_TEXT_INT
 * (all to integers or bool), else 0 (fed as the model's strings). */
int lp__text_number_input(const lp__onnx_model *om, const char *input);

/* Run-time failures: an operator meeting data it cannot compute (a
 * computed index out of range, a category a strict encoder refuses)
 * records the run's first failure and returns; the run stops after that
 * operator and lp__graph_run* return it.  `row` is the batch row (0-based)
 * the data came from, or SIZE_MAX when none applies: it becomes err->line =
 * row + 1 (err->column_index = -1), which the callers turn into the file's
 * line.  While folding constants at load, the failure is a load error. */
void lp__run_fail(const lp__run *r, const lp__op *op, size_t row, lp_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
/* The batch row of element `i` of value v during a run: i's row when v's
 * first dimension is the rows, else SIZE_MAX. */
size_t lp__run_row(const lp__run *r, uint32_t v, size_t i);

/* Fails with a message naming the node. */
lp_status lp__op_fail(const lp__op *op, lp_error *err, lp_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* torch.onnx's Loop for nn.EmbeddingBag (ops_embedding_bag.c), rewritten in
 * om into a fused EmbeddingBag node whose ids and offsets inputs become
 * [rows, L]; any other Loop is left alone (and refused as unsupported).
 * The graph builder calls it; the ONNX loader too, before the manifest binds
 * the dimensions. */
lp_status lp__embedding_bag_rewrite(lp__onnx_model *om, lp_error *err);
/* For the MatMul + Add fusion (graph_build.c): when op is a MatMul on the
 * fast path (constant [K, M] weights) with no bias yet and m == M, it takes
 * `bias` ([M], constant, owned by the graph) and returns 1: its kernel then
 * adds it to each sum, the arithmetic of the Add it replaces. */
int lp__dense_take_bias(lp__op *op, const float *bias, size_t m);
/* For the Relu fusion (graph_build.c): when op is a Gemm or MatMul on the
 * fast path without a fused Relu yet, its kernel applies Relu to each
 * element as it stores it (the arithmetic of the Relu it replaces) and it
 * returns 1. */
int lp__dense_take_relu(lp__op *op);

/* The operator kinds, by family (ops_*.c). */
extern const lp__op_kind lp__ops_dense[], lp__ops_elementwise[], lp__ops_shape[], lp__ops_reduce[], lp__ops_ml[];
extern const size_t lp__n_ops_dense, lp__n_ops_elementwise, lp__n_ops_shape, lp__n_ops_reduce, lp__n_ops_ml;
extern const lp__op_kind lp__ops_fused[];   /* rewritten patterns (domain "localpredict") */
extern const size_t lp__n_ops_fused;
#ifndef LP_NO_TEXT
extern const lp__op_kind lp__ops_text[];   /* StringNormalizer, Tokenizer, TfIdfVectorizer (ops_text.c) */
extern const size_t lp__n_ops_text;
#endif
/* Map inputs (ops_maps.c): DictVectorizer and CastMap, and the input they
 * read as a tensor [N, K] of the map's value type whose columns are named
 * by its keys (an empty cell: a key the row's map lacks). */
extern const lp__op_kind lp__ops_maps[];
extern const size_t lp__n_ops_maps;
lp_status lp__map_input(lp__graph *g, const lp__onnx_model *om, const lp__onnx_value *in, int32_t *dtype,
                        size_t *width, const char ***columns, lp_error *err);

/* Tree-ensemble regressors inside a graph (formats/onnx_tree_op.c). */
extern const lp__op_kind lp__ops_trees[];
extern const size_t lp__n_ops_trees;

#endif
