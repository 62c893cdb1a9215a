/* onnx_graph.h — an ONNX ModelProto decoded into plain C structures.
 *
 * This layer only decodes: names, attributes and tensors come out as the file
 * states them, bounds-checked and with tensor data copied once into aligned
 * arrays.  What the operators mean (and whether we support them) is decided by
 * the graph builder that consumes this.  Everything lives in one arena and is
 * released by lp__onnx_model_free.
 *
 * Schema: onnx/onnx.proto (IR version 3 to 10); field numbers are the ones
 * onnx 1.12 publishes in onnx_ml_pb2.
 */
#ifndef LP_FORMATS_ONNX_GRAPH_H
#define LP_FORMATS_ONNX_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "../core/arena.h"
#include "../localpredict.h"

/* TensorProto.DataType values. */
typedef enum lp__onnx_dtype {
    LP_ONNX_UNDEFINED = 0,
    LP_ONNX_FLOAT = 1, LP_ONNX_UINT8 = 2, LP_ONNX_INT8 = 3, LP_ONNX_UINT16 = 4,
    LP_ONNX_INT16 = 5, LP_ONNX_INT32 = 6, LP_ONNX_INT64 = 7, LP_ONNX_STRING = 8,
    LP_ONNX_BOOL = 9, LP_ONNX_FLOAT16 = 10, LP_ONNX_DOUBLE = 11, LP_ONNX_UINT32 = 12,
    LP_ONNX_UINT64 = 13, LP_ONNX_COMPLEX64 = 14, LP_ONNX_COMPLEX128 = 15,
    LP_ONNX_BFLOAT16 = 16
} lp__onnx_dtype;

/* AttributeProto.AttributeType values. */
typedef enum lp__onnx_attr_type {
    LP_ONNX_ATTR_UNDEFINED = 0, LP_ONNX_ATTR_FLOAT = 1, LP_ONNX_ATTR_INT = 2,
    LP_ONNX_ATTR_STRING = 3, LP_ONNX_ATTR_TENSOR = 4, LP_ONNX_ATTR_GRAPH = 5,
    LP_ONNX_ATTR_FLOATS = 6, LP_ONNX_ATTR_INTS = 7, LP_ONNX_ATTR_STRINGS = 8,
    LP_ONNX_ATTR_TENSORS = 9, LP_ONNX_ATTR_GRAPHS = 10, LP_ONNX_ATTR_SPARSE_TENSOR = 11,
    LP_ONNX_ATTR_SPARSE_TENSORS = 12, LP_ONNX_ATTR_TYPE_PROTO = 13, LP_ONNX_ATTR_TYPE_PROTOS = 14
} lp__onnx_attr_type;

/* Bytes as stored (ONNX strings are bytes); also NUL-terminated for printing. */
typedef struct lp__onnx_bytes {
    const char *data;
    size_t      len;
} lp__onnx_bytes;

typedef struct lp__onnx_tensor {
    const char *name;
    int32_t     dtype;      /* lp__onnx_dtype */
    size_t      rank;
    int64_t    *dims;       /* rank entries, each >= 0 */
    size_t      count;      /* elements: the product of dims (1 for a scalar) */
    void       *data;       /* count elements of the dtype's C type (strings:
                               lp__onnx_bytes; bool: uint8_t 0/1), 16-byte aligned */
} lp__onnx_tensor;

typedef struct lp__onnx_attr {
    const char     *name;
    int32_t         type;   /* lp__onnx_attr_type */
    float           f;
    int64_t         i;
    lp__onnx_bytes  s;
    lp__onnx_tensor *t;
    size_t          count;  /* elements of floats / ints / strings */
    float          *floats;
    int64_t        *ints;
    lp__onnx_bytes *strings;
    struct lp__onnx_model *g;   /* a graph attribute (a Loop's body): its nodes, inputs, outputs and
                                   initializers; arrays in the outer model's arena */
} lp__onnx_attr;

typedef struct lp__onnx_node {
    const char    *name;     /* may be "" */
    const char    *op_type;
    const char    *domain;   /* "" and "ai.onnx" are the default domain */
    size_t         n_inputs, n_outputs, n_attrs;
    const char   **inputs;   /* "" marks an omitted optional input */
    const char   **outputs;
    lp__onnx_attr *attrs;
} lp__onnx_node;

/* A value's declared type: a tensor, or the sequence/map forms that ZipMap,
 * DictVectorizer and CastMap use. */
typedef enum lp__onnx_kind {
    LP_ONNX_KIND_NONE = 0, LP_ONNX_KIND_TENSOR, LP_ONNX_KIND_SEQUENCE,
    LP_ONNX_KIND_MAP, LP_ONNX_KIND_OTHER
} lp__onnx_kind;

typedef struct lp__onnx_type {
    int32_t                kind;    /* lp__onnx_kind */
    int32_t                elem;    /* tensor element type; map key type */
    int                    rank;    /* tensor rank, -1 when not stated */
    int64_t               *dims;    /* rank entries; -1 for a symbolic dimension */
    const char           **dim_names; /* rank entries: a symbolic dimension's dim_param, else NULL */
    struct lp__onnx_type  *inner;   /* sequence element type; map value type */
} lp__onnx_type;

typedef struct lp__onnx_value {
    const char    *name;
    lp__onnx_type  type;
} lp__onnx_value;

typedef struct lp__onnx_opset {
    const char *domain;      /* "" = ai.onnx */
    int64_t     version;
} lp__onnx_opset;

/* The caller's ONNX limits (lp_load_options; 0 = the LP_MAX_* default). */
typedef struct lp__onnx_limits {
    size_t tensor_elements, graph_nodes, graph_ops;
} lp__onnx_limits;

typedef struct lp__onnx_model {
    lp__arena        arena;
    lp__onnx_limits  limits;   /* what it was decoded under, defaults filled in;
                                  the graph builder applies graph_ops */
    int64_t          ir_version;
    const char      *producer_name, *producer_version;
    size_t           n_opsets, n_metadata;
    lp__onnx_opset  *opsets;
    const char     **metadata_keys, **metadata_values;   /* metadata_props */
    const char      *graph_name;
    size_t           n_nodes, n_initializers, n_inputs, n_outputs;
    lp__onnx_node   *nodes;
    lp__onnx_tensor *initializers;
    lp__onnx_value  *inputs, *outputs;
} lp__onnx_model;

/* Decodes `bytes` into *out (zeroed first).  Malformed protobuf and
 * inconsistent tensors are LP_ERR_BAD_MODEL naming the byte offset and the
 * graph element; data kept in external files is LP_ERR_UNSUPPORTED.  On
 * failure *out holds nothing to free. */
lp_status lp__onnx_decode(const void *bytes, size_t len, lp__onnx_model *out, lp_error *err);

/* The same under the caller's limits (NULL = the defaults). */
lp_status lp__onnx_decode_limited(const void *bytes, size_t len, const lp__onnx_limits *limits,
                                  lp__onnx_model *out, lp_error *err);

void lp__onnx_model_free(lp__onnx_model *m);

/* Decodes one TensorProto (a file of ONNX's test data) into *out, its
 * memory in owner's arena (freed with owner). */
lp_status lp__onnx_decode_tensor(const void *bytes, size_t len, lp__onnx_model *owner, lp__onnx_tensor *out,
                                 lp_error *err);

/* Bytes per element of a fixed-size dtype; 0 for STRING, complex and unknown. */
size_t lp__onnx_dtype_size(int32_t dtype);

/* "float", "int64", ... for messages; "type 99" style for unknown values. */
const char *lp__onnx_dtype_name(int32_t dtype);

/* The opset the model imports for a domain ("" and "ai.onnx" alike); -1 if none. */
int64_t lp__onnx_opset_version(const lp__onnx_model *m, const char *domain);

/* LP_ERR_UNSUPPORTED naming every kind of node (among those flagged in
 * `needed`, or all when NULL) that `supported` rejects: one message with
 * each operator, its domain and opset, its node count and first node name. */
lp_status lp__onnx_report_unsupported(const lp__onnx_model *m, const uint8_t *needed,
                                      int (*supported)(const lp__onnx_node *, void *), void *ctx, lp_error *err);

/* Finds an attribute by name; NULL when absent. */
const lp__onnx_attr *lp__onnx_attr_find(const lp__onnx_node *node, const char *name);
/* Whether a node is in the default domain ("" or "ai.onnx"). */
int lp__onnx_is_default(const lp__onnx_node *node);
/* The constant tensor `name` names: an initializer, or a Constant node's
 * value; NULL if neither. */
const lp__onnx_tensor *lp__onnx_constant(const lp__onnx_model *m, const char *name);
/* Whether one of the node's inputs is the value `name`. */
int lp__onnx_node_reads(const lp__onnx_node *node, const char *name);

#endif
