/* onnx_decode.c — ONNX ModelProto → lp__onnx_model; see onnx_graph.h.
 *
 * Each message is read in two passes over its bytes: the first counts the
 * repeated fields so arrays are allocated once at their final size, the
 * second fills them.  Protobuf allows repeated fields to be interleaved and
 * scalars to be packed or not; both passes accept every legal form. */
#include "onnx_graph.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "../io/protobuf.h"

/* Limits of what one file may declare (LP_ERR_LIMIT beyond them); the
 * tensor and node limits are the caller's (m->limits), these are fixed. */
#define ONNX_MAX_RANK            32
#define ONNX_MAX_TYPE_DEPTH      8    /* sequence(map(...)) nesting */
#define ONNX_MAX_GRAPH_DEPTH     2    /* a Loop's body inside a Loop's body */

typedef struct decoder {
    lp__pb_doc      doc;
    lp__onnx_model *m;
    lp_error       *err;
    lp_status       status;      /* set by a semantic failure (not a wire one) */
    char            where[192];  /* the graph element being decoded, for messages */
    int             depth;       /* subgraphs (a Loop's body) being decoded */
} decoder;

static int fail(decoder *d, lp_status code, const char *fmt, ...) LP__PRINTF(3, 4);

static int fail(decoder *d, lp_status code, const char *fmt, ...)
{
    if (d->status != LP_OK || d->doc.error) return 0;
    char what[3072];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    d->status = code;
    if (d->where[0]) lp__fail(d->err, code, "ONNX %s: %s", d->where, what);
    else lp__fail(d->err, code, "ONNX model: %s", what);
    return 0;
}

static int nomem(decoder *d) { return fail(d, LP_ERR_NOMEM, "out of memory while decoding"); }

static int ok(const decoder *d) { return d->status == LP_OK && !d->doc.error; }

static void set_where(decoder *d, const char *fmt, ...) LP__PRINTF(2, 3);

static void set_where(decoder *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->where, sizeof d->where, fmt, ap);
    va_end(ap);
}

/* ---- small helpers -------------------------------------------------------- */

static const char *str_of(decoder *d, lp__pb *m, const lp__pb_field *f)
{
    if (f->wire != LP_PB_LEN) {
        lp__pb_fail(m, f, "expected a string (length-delimited field)");
        return NULL;
    }
    char *s = lp__arena_strndup(&d->m->arena, f->data, f->len);
    if (!s) nomem(d);
    return s;
}

static int bytes_of(decoder *d, lp__pb *m, const lp__pb_field *f, lp__onnx_bytes *out)
{
    const char *s = str_of(d, m, f);
    if (!s) return 0;
    out->data = s;
    out->len = f->len;
    return 1;
}

static void *array(decoder *d, size_t count, size_t size)
{
    void *p = lp__arena_array(&d->m->arena, count, size);
    if (!p) nomem(d);
    return p;
}

size_t lp__onnx_dtype_size(int32_t dtype)
{
    switch (dtype) {
    case LP_ONNX_UINT8: case LP_ONNX_INT8: case LP_ONNX_BOOL: return 1;
    case LP_ONNX_UINT16: case LP_ONNX_INT16: case LP_ONNX_FLOAT16: case LP_ONNX_BFLOAT16: return 2;
    case LP_ONNX_FLOAT: case LP_ONNX_INT32: case LP_ONNX_UINT32: return 4;
    case LP_ONNX_INT64: case LP_ONNX_UINT64: case LP_ONNX_DOUBLE: return 8;
    default: return 0;
    }
}

const char *lp__onnx_dtype_name(int32_t dtype)
{
    static const char *const names[] = {
        "undefined", "float", "uint8", "int8", "uint16", "int16", "int32", "int64",
        "string", "bool", "float16", "double", "uint32", "uint64", "complex64",
        "complex128", "bfloat16",
    };
    if (dtype >= 0 && (size_t)dtype < sizeof names / sizeof names[0]) return names[dtype];
    return "an unknown element type";
}

const lp__onnx_attr *lp__onnx_attr_find(const lp__onnx_node *node, const char *name)
{
    for (size_t i = 0; i < node->n_attrs; i++)
        if (strcmp(node->attrs[i].name, name) == 0) return &node->attrs[i];
    return NULL;
}

int lp__onnx_is_default(const lp__onnx_node *node)
{
    return node->domain[0] == 0 || strcmp(node->domain, "ai.onnx") == 0;
}

const lp__onnx_tensor *lp__onnx_constant(const lp__onnx_model *m, const char *name)
{
    for (size_t k = 0; k < m->n_initializers; k++)
        if (strcmp(m->initializers[k].name, name) == 0) return &m->initializers[k];
    for (size_t i = 0; i < m->n_nodes; i++) {
        const lp__onnx_node *n = &m->nodes[i];
        if (!lp__onnx_is_default(n) || strcmp(n->op_type, "Constant") != 0 ||
            n->n_outputs != 1 || strcmp(n->outputs[0], name) != 0)
            continue;
        const lp__onnx_attr *v = lp__onnx_attr_find(n, "value");
        return v && v->type == LP_ONNX_ATTR_TENSOR ? v->t : NULL;
    }
    return NULL;
}

int lp__onnx_node_reads(const lp__onnx_node *node, const char *name)
{
    for (size_t j = 0; j < node->n_inputs; j++)
        if (strcmp(node->inputs[j], name) == 0) return 1;
    return 0;
}

/* ---- what a graph needs ------------------------------------------------------------- */

int64_t lp__onnx_opset_version(const lp__onnx_model *om, const char *domain)
{
    int dflt = domain[0] == 0 || strcmp(domain, "ai.onnx") == 0;
    for (size_t i = 0; i < om->n_opsets; i++) {
        const char *d = om->opsets[i].domain;
        if (dflt ? (d[0] == 0 || strcmp(d, "ai.onnx") == 0) : strcmp(d, domain) == 0) return om->opsets[i].version;
    }
    return -1;
}

static int same_kind(const lp__onnx_node *a, const lp__onnx_node *b)
{
    return strcmp(a->op_type, b->op_type) == 0 && strcmp(a->domain, b->domain) == 0;
}

/* One pass over the nodes, comparing each only with the kinds already listed
 * (at most REPORT_KINDS), so a hostile graph of a million distinct operators
 * is reported in linear time. */
#define REPORT_KINDS 24

lp_status lp__onnx_report_unsupported(const lp__onnx_model *om, const uint8_t *needed,
                                      int (*supported)(const lp__onnx_node *, void *), void *ctx, lp_error *err)
{
    size_t first[REPORT_KINDS], count[REPORT_KINDS], kinds = 0, total = 0, unlisted = 0;
    for (size_t i = 0; i < om->n_nodes; i++) {
        const lp__onnx_node *n = &om->nodes[i];
        if ((needed && !needed[i]) || supported(n, ctx)) continue;
        total++;
        size_t k = 0;
        while (k < kinds && !same_kind(&om->nodes[first[k]], n)) k++;
        if (k < kinds) count[k]++;
        else if (kinds < REPORT_KINDS) first[kinds] = i, count[kinds++] = 1;
        else unlisted++;
    }
    if (!total) return LP_OK;
    char msg[3000];
    size_t len = 0;
    for (size_t k = 0; k < kinds && len < sizeof msg - 200; k++) {
        const lp__onnx_node *n = &om->nodes[first[k]];
        int w = snprintf(msg + len, sizeof msg - len, "%s%.60s (%s opset %lld; %zu node%s, first \"%.60s\")",
                         k ? ", " : "", n->op_type, n->domain[0] ? n->domain : "ai.onnx",
                         (long long)lp__onnx_opset_version(om, n->domain), count[k], count[k] == 1 ? "" : "s", n->name);
        if (w > 0) len += (size_t)w < sizeof msg - len ? (size_t)w : sizeof msg - len - 1;
    }
    if (unlisted)
        snprintf(msg + len, sizeof msg - len, ", and %zu more node%s of other operators", unlisted,
                 unlisted == 1 ? "" : "s");
    return lp__fail(err, LP_ERR_UNSUPPORTED, "this ONNX model uses %s%zu operator%s localpredict does not run yet: %s",
                    unlisted ? "more than " : "", kinds, kinds == 1 && !unlisted ? "" : "s", msg);
}

/* ---- TensorProto ------------------------------------------------------------ */

enum {
    TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_SEGMENT = 3, TENSOR_FLOAT_DATA = 4,
    TENSOR_INT32_DATA = 5, TENSOR_STRING_DATA = 6, TENSOR_INT64_DATA = 7, TENSOR_NAME = 8,
    TENSOR_RAW_DATA = 9, TENSOR_DOUBLE_DATA = 10, TENSOR_UINT64_DATA = 11,
    TENSOR_EXTERNAL_DATA = 13, TENSOR_DATA_LOCATION = 14
};

/* Which typed field may carry a dtype's values when raw_data is absent. */
static int typed_field_of(int32_t dtype)
{
    switch (dtype) {
    case LP_ONNX_FLOAT: return TENSOR_FLOAT_DATA;
    case LP_ONNX_DOUBLE: return TENSOR_DOUBLE_DATA;
    case LP_ONNX_INT64: return TENSOR_INT64_DATA;
    case LP_ONNX_UINT32: case LP_ONNX_UINT64: return TENSOR_UINT64_DATA;
    case LP_ONNX_STRING: return TENSOR_STRING_DATA;
    default: return TENSOR_INT32_DATA;   /* every narrower integer, bool and 16-bit float */
    }
}

static int wire_of_typed_field(uint32_t field)
{
    return field == TENSOR_FLOAT_DATA ? LP_PB_FIXED32 : field == TENSOR_DOUBLE_DATA ? LP_PB_FIXED64
                                                                                  : LP_PB_VARINT;
}

/* Stores integer `v` into element i of a dtype's array (int32_data/uint64_data
 * carry narrower types widened, per onnx.proto). */
static void store_int(void *data, int32_t dtype, size_t i, int64_t v)
{
    switch (lp__onnx_dtype_size(dtype)) {
    case 1: ((uint8_t *)data)[i] = (uint8_t)v; break;
    case 2: ((uint16_t *)data)[i] = (uint16_t)v; break;
    case 4: ((uint32_t *)data)[i] = (uint32_t)v; break;
    default: ((uint64_t *)data)[i] = (uint64_t)v; break;
    }
}

static int element_count(decoder *d, const lp__onnx_tensor *t, size_t *count)
{
    /* 0 (a model zeroed by its caller, e.g. a scratch arena for lone tensors) = the default */
    const size_t max = d->m->limits.tensor_elements ? d->m->limits.tensor_elements : LP_MAX_TENSOR_ELEMENTS;
    size_t n = 1;
    for (size_t k = 0; k < t->rank; k++) {
        if (t->dims[k] < 0) return fail(d, LP_ERR_BAD_MODEL, "tensor \"%s\" has a negative dimension", t->name);
        if (t->dims[k] > 0 && n > max / (uint64_t)t->dims[k])
            return fail(d, LP_ERR_LIMIT, "tensor \"%s\" has more than %zu elements, over the limit (a caller can "
                        "raise it: lp_load_options.max_tensor_elements, limits.tensorElements in JS, "
                        "--max-tensor-elements)", t->name, max);
        n *= (size_t)t->dims[k];
    }
    *count = n;
    return 1;
}

static int decode_tensor(decoder *d, lp__pb msg, lp__onnx_tensor *t)
{
    lp__pb_field f;
    size_t n_dims = 0, n_typed = 0;
    const lp__pb_field *raw = NULL;
    lp__pb_field raw_field;
    int64_t v;
    lp__pb pass = msg;
    t->name = "";
    /* Pass 1: dims, dtype, name, where the data is. */
    while (lp__pb_next(&pass, &f)) {
        switch (f.number) {
        case TENSOR_DIMS: lp__pb_count(&pass, &f, LP_PB_VARINT, &n_dims); break;
        case TENSOR_DATA_TYPE:
            if (lp__pb_int64(&pass, &f, &v)) t->dtype = (int32_t)v;
            break;
        case TENSOR_NAME: t->name = str_of(d, &pass, &f); break;
        case TENSOR_RAW_DATA:
            if (f.wire != LP_PB_LEN) return lp__pb_fail(&pass, &f, "raw_data is not length-delimited");
            raw_field = f;
            raw = &raw_field;
            break;
        case TENSOR_SEGMENT:
            return fail(d, LP_ERR_UNSUPPORTED, "tensor \"%s\" is split into segments", t->name ? t->name : "");
        case TENSOR_DATA_LOCATION:
            if (lp__pb_int64(&pass, &f, &v) && v == 1)
                return fail(d, LP_ERR_UNSUPPORTED,
                            "tensor \"%s\" keeps its data in an external file; save the model as "
                            "one file (onnx.save_model(model, path, save_as_external_data=False))",
                            t->name ? t->name : "");
            break;
        default: break;
        }
        if (!ok(d) || !t->name) return 0;
    }
    if (!ok(d)) return 0;
    uint32_t typed = (uint32_t)typed_field_of(t->dtype);
    size_t width = lp__onnx_dtype_size(t->dtype);
    if (t->dtype != LP_ONNX_STRING && width == 0)
        return fail(d, LP_ERR_UNSUPPORTED, "tensor \"%s\" has element type %s", t->name,
                    lp__onnx_dtype_name(t->dtype));
    if (n_dims > ONNX_MAX_RANK)
        return fail(d, LP_ERR_LIMIT, "tensor \"%s\" has %zu dimensions (at most %d)", t->name, n_dims, ONNX_MAX_RANK);
    t->dims = array(d, n_dims ? n_dims : 1, sizeof *t->dims);
    if (!t->dims) return 0;

    /* Pass 2: dims, and the count of typed elements. */
    pass = msg;
    while (lp__pb_next(&pass, &f)) {
        if (f.number == TENSOR_DIMS) lp__pb_read_int64s(&pass, &f, t->dims, &t->rank);
        else if (f.number == typed && typed != TENSOR_STRING_DATA)
            lp__pb_count(&pass, &f, wire_of_typed_field(typed), &n_typed);
        else if (f.number == typed) n_typed++;
    }
    if (!ok(d) || !element_count(d, t, &t->count)) return 0;

    size_t present = raw ? (width ? raw->len / width : 0) : n_typed;
    if (raw && n_typed)
        return fail(d, LP_ERR_BAD_MODEL, "tensor \"%s\" has both raw_data and typed data", t->name);
    if (raw && t->dtype == LP_ONNX_STRING)
        return fail(d, LP_ERR_BAD_MODEL, "string tensor \"%s\" uses raw_data", t->name);
    if ((raw && raw->len != t->count * width) || (!raw && present != t->count))
        return fail(d, LP_ERR_BAD_MODEL, "tensor \"%s\" has shape of %zu elements but %zu stored",
                    t->name, t->count, raw ? raw->len / (width ? width : 1) : present);

    size_t elem = t->dtype == LP_ONNX_STRING ? sizeof(lp__onnx_bytes) : width;
    t->data = array(d, t->count ? t->count : 1, elem);
    if (!t->data) return 0;
    if (raw) {
        /* ONNX stores raw_data little-endian, as WASM and x86 are. */
        memcpy(t->data, raw->data, raw->len);
        return 1;
    }

    /* Pass 3: the typed values. */
    size_t got = 0;
    pass = msg;
    while (ok(d) && lp__pb_next(&pass, &f)) {
        if (f.number != typed) continue;
        switch (typed) {
        case TENSOR_FLOAT_DATA: lp__pb_read_floats(&pass, &f, t->data, &got); break;
        case TENSOR_DOUBLE_DATA: lp__pb_read_doubles(&pass, &f, t->data, &got); break;
        case TENSOR_STRING_DATA: bytes_of(d, &pass, &f, (lp__onnx_bytes *)t->data + got++); break;
        case TENSOR_INT64_DATA: lp__pb_read_int64s(&pass, &f, t->data, &got); break;
        default: {
            /* int32_data / uint64_data carry narrower types widened: narrow them. */
            if (f.wire == LP_PB_VARINT) {
                store_int(t->data, t->dtype, got++, (int64_t)f.value);
                break;
            }
            size_t k = 0;
            lp__pb_count(&pass, &f, LP_PB_VARINT, &k);
            int64_t *tmp = array(d, k ? k : 1, sizeof *tmp);
            size_t j = 0;
            if (tmp && lp__pb_read_int64s(&pass, &f, tmp, &j))
                for (size_t q = 0; q < j; q++) store_int(t->data, t->dtype, got++, tmp[q]);
            break;
        }
        }
    }
    return ok(d);
}

/* ---- TypeProto / ValueInfoProto ------------------------------------------- */

enum { TYPE_TENSOR = 1, TYPE_SEQUENCE = 4, TYPE_MAP = 5 };

static int decode_shape(decoder *d, lp__pb msg, lp__onnx_type *t)
{
    lp__pb_field f, g;
    size_t n = 0;
    lp__pb pass = msg;
    while (lp__pb_next(&pass, &f)) n += f.number == 1;
    if (!ok(d)) return 0;
    if (n > ONNX_MAX_RANK) return fail(d, LP_ERR_LIMIT, "a value has %zu dimensions (at most %d)", n, ONNX_MAX_RANK);
    t->dims = array(d, n ? n : 1, sizeof *t->dims);
    t->dim_names = array(d, n ? n : 1, sizeof *t->dim_names);
    if (!t->dims || !t->dim_names) return 0;
    t->rank = 0;
    pass = msg;
    while (lp__pb_next(&pass, &f)) {
        if (f.number != 1) continue;
        int64_t value = -1;    /* dim_param (a name) or nothing: unknown size */
        const char *name = NULL;
        lp__pb dim = lp__pb_sub(&pass, &f);
        while (lp__pb_next(&dim, &g))
            if (g.number == 1) lp__pb_int64(&dim, &g, &value);
            else if (g.number == 2 && !(name = str_of(d, &dim, &g))) return 0;
        t->dim_names[t->rank] = value < 0 && name && name[0] ? name : NULL;
        t->dims[t->rank++] = value;
    }
    return ok(d);
}

static int decode_type(decoder *d, lp__pb msg, lp__onnx_type *t, int depth)
{
    lp__pb_field f, g;
    int64_t v;
    if (depth > ONNX_MAX_TYPE_DEPTH) return fail(d, LP_ERR_LIMIT, "a value type is nested too deeply");
    t->kind = LP_ONNX_KIND_OTHER;
    t->rank = -1;
    while (lp__pb_next(&msg, &f)) {
        if (f.number != TYPE_TENSOR && f.number != TYPE_SEQUENCE && f.number != TYPE_MAP)
            continue;                                     /* optional, sparse, opaque, denotation */
        lp__pb sub = lp__pb_sub(&msg, &f);
        switch (f.number) {
        case TYPE_TENSOR:
            t->kind = LP_ONNX_KIND_TENSOR;
            while (lp__pb_next(&sub, &g)) {
                if (g.number == 1 && lp__pb_int64(&sub, &g, &v)) t->elem = (int32_t)v;
                else if (g.number == 2 && !decode_shape(d, lp__pb_sub(&sub, &g), t)) return 0;
            }
            break;
        case TYPE_SEQUENCE:
        case TYPE_MAP:
            t->kind = f.number == TYPE_SEQUENCE ? LP_ONNX_KIND_SEQUENCE : LP_ONNX_KIND_MAP;
            while (lp__pb_next(&sub, &g)) {
                uint32_t inner_field = f.number == TYPE_SEQUENCE ? 1 : 2;
                if (f.number == TYPE_MAP && g.number == 1 && lp__pb_int64(&sub, &g, &v)) t->elem = (int32_t)v;
                else if (g.number == inner_field) {
                    t->inner = array(d, 1, sizeof *t->inner);
                    if (!t->inner || !decode_type(d, lp__pb_sub(&sub, &g), t->inner, depth + 1)) return 0;
                }
            }
            break;
        default: break;
        }
        if (!ok(d)) return 0;
    }
    return ok(d);
}

static int decode_value(decoder *d, lp__pb msg, lp__onnx_value *v)
{
    lp__pb_field f;
    v->name = "";
    while (lp__pb_next(&msg, &f)) {
        if (f.number == 1) v->name = str_of(d, &msg, &f);
        else if (f.number == 2) decode_type(d, lp__pb_sub(&msg, &f), &v->type, 0);
        if (!ok(d) || !v->name) return 0;
    }
    return ok(d);
}

/* ---- AttributeProto ----------------------------------------------------------- */

enum {
    ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_S = 4, ATTR_T = 5, ATTR_G = 6, ATTR_FLOATS = 7,
    ATTR_INTS = 8, ATTR_STRINGS = 9, ATTR_TENSORS = 10, ATTR_GRAPHS = 11, ATTR_TYPE = 20,
    ATTR_REF_NAME = 21
};

static int decode_graph(decoder *d, lp__pb msg);

/* A graph attribute (a Loop's body) into its own lp__onnx_model, whose
 * arrays live in the outer model's arena (freed with it). */
static int decode_subgraph(decoder *d, lp__pb msg, lp__onnx_attr *a)
{
    if (d->depth >= ONNX_MAX_GRAPH_DEPTH) return fail(d, LP_ERR_LIMIT, "subgraphs are nested too deeply");
    lp__onnx_model *outer = d->m, *sub = array(d, 1, sizeof *sub);
    if (!sub) return 0;
    sub->arena = outer->arena;
    sub->limits = outer->limits;
    d->m = sub;
    d->depth++;
    int good = decode_graph(d, msg);
    d->depth--;
    outer->arena = sub->arena;   /* what the subgraph allocated, owned by the outer model */
    memset(&sub->arena, 0, sizeof sub->arena);
    d->m = outer;
    a->g = sub;
    return good;
}

static int decode_attr(decoder *d, lp__pb msg, lp__onnx_attr *a)
{
    lp__pb_field f;
    size_t n_floats = 0, n_ints = 0, n_strings = 0;
    int64_t v;
    lp__pb pass = msg;
    a->name = "";
    while (lp__pb_next(&pass, &f)) {
        switch (f.number) {
        case ATTR_NAME: a->name = str_of(d, &pass, &f); break;
        case ATTR_TYPE: if (lp__pb_int64(&pass, &f, &v)) a->type = (int32_t)v; break;
        case ATTR_F: lp__pb_float(&pass, &f, &a->f); break;
        case ATTR_I: lp__pb_int64(&pass, &f, &a->i); break;
        case ATTR_S: bytes_of(d, &pass, &f, &a->s); break;
        case ATTR_T:
            a->t = array(d, 1, sizeof *a->t);
            if (a->t) decode_tensor(d, lp__pb_sub(&pass, &f), a->t);
            break;
        case ATTR_G:
            if (f.wire != LP_PB_LEN) return lp__pb_fail(&pass, &f, "a graph attribute is not a message");
            if (!decode_subgraph(d, lp__pb_sub(&pass, &f), a)) return 0;
            break;
        case ATTR_FLOATS: lp__pb_count(&pass, &f, LP_PB_FIXED32, &n_floats); break;
        case ATTR_INTS: lp__pb_count(&pass, &f, LP_PB_VARINT, &n_ints); break;
        case ATTR_STRINGS: n_strings++; break;
        case ATTR_REF_NAME:
            return fail(d, LP_ERR_UNSUPPORTED, "attribute references a function attribute");
        default: break;      /* graphs, sparse tensors, type protos: kept as `type` only */
        }
        if (!ok(d) || !a->name) return 0;
    }
    if (!ok(d)) return 0;
    if (a->type == LP_ONNX_ATTR_FLOATS) a->count = n_floats;
    else if (a->type == LP_ONNX_ATTR_INTS) a->count = n_ints;
    else if (a->type == LP_ONNX_ATTR_STRINGS) a->count = n_strings;
    if (!n_floats && !n_ints && !n_strings) return 1;
    a->floats = array(d, n_floats ? n_floats : 1, sizeof *a->floats);
    a->ints = array(d, n_ints ? n_ints : 1, sizeof *a->ints);
    a->strings = array(d, n_strings ? n_strings : 1, sizeof *a->strings);
    if (!ok(d)) return 0;
    size_t nf = 0, ni = 0, ns = 0;
    pass = msg;
    while (ok(d) && lp__pb_next(&pass, &f)) {
        if (f.number == ATTR_FLOATS) lp__pb_read_floats(&pass, &f, a->floats, &nf);
        else if (f.number == ATTR_INTS) lp__pb_read_int64s(&pass, &f, a->ints, &ni);
        else if (f.number == ATTR_STRINGS) bytes_of(d, &pass, &f, &a->strings[ns++]);
    }
    return ok(d);
}

/* ---- NodeProto ------------------------------------------------------------------ */

enum { NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5, NODE_DOMAIN = 7 };

static int decode_node(decoder *d, lp__pb msg, lp__onnx_node *node, size_t index)
{
    lp__pb_field f;
    lp__pb pass = msg;
    node->name = node->op_type = node->domain = "";
    set_where(d, "graph node %zu", index);
    while (lp__pb_next(&pass, &f)) {
        const char **slot = f.number == NODE_NAME ? &node->name : f.number == NODE_OP_TYPE ? &node->op_type
                          : f.number == NODE_DOMAIN ? &node->domain : NULL;
        if (slot && !(*slot = str_of(d, &pass, &f))) return 0;
        node->n_inputs += f.number == NODE_INPUT;
        node->n_outputs += f.number == NODE_OUTPUT;
        node->n_attrs += f.number == NODE_ATTRIBUTE;
    }
    if (!ok(d)) return 0;
    set_where(d, "node %zu \"%.64s\" (%.64s)", index, node->name, node->op_type);
    node->inputs = array(d, node->n_inputs + 1, sizeof *node->inputs);
    node->outputs = array(d, node->n_outputs + 1, sizeof *node->outputs);
    node->attrs = array(d, node->n_attrs + 1, sizeof *node->attrs);
    if (!ok(d)) return 0;
    size_t ni = 0, no = 0, na = 0;
    pass = msg;
    while (ok(d) && lp__pb_next(&pass, &f)) {
        if (f.number == NODE_INPUT) node->inputs[ni++] = str_of(d, &pass, &f);
        else if (f.number == NODE_OUTPUT) node->outputs[no++] = str_of(d, &pass, &f);
        else if (f.number == NODE_ATTRIBUTE) decode_attr(d, lp__pb_sub(&pass, &f), &node->attrs[na++]);
    }
    return ok(d);
}

/* ---- GraphProto / ModelProto ------------------------------------------------------- */

enum {
    GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12,
    GRAPH_SPARSE_INITIALIZER = 15
};

static int decode_graph(decoder *d, lp__pb msg)
{
    lp__onnx_model *m = d->m;
    lp__pb_field f;
    lp__pb pass = msg;
    m->graph_name = "";
    set_where(d, "graph");
    while (lp__pb_next(&pass, &f)) {
        switch (f.number) {
        case GRAPH_NODE: m->n_nodes++; break;
        case GRAPH_INITIALIZER: m->n_initializers++; break;
        case GRAPH_INPUT: m->n_inputs++; break;
        case GRAPH_OUTPUT: m->n_outputs++; break;
        case GRAPH_NAME: m->graph_name = str_of(d, &pass, &f); break;
        case GRAPH_SPARSE_INITIALIZER:
            return fail(d, LP_ERR_UNSUPPORTED, "sparse initializers are not supported");
        default: break;
        }
        if (!ok(d) || !m->graph_name) return 0;
    }
    if (!ok(d)) return 0;
    if (m->n_nodes > m->limits.graph_nodes)
        return fail(d, LP_ERR_LIMIT, "the graph has %zu nodes, over the limit of %zu (a caller can raise it: "
                    "lp_load_options.max_graph_nodes, limits.graphNodes in JS, --max-graph-nodes)", m->n_nodes,
                    m->limits.graph_nodes);
    m->nodes = array(d, m->n_nodes + 1, sizeof *m->nodes);
    m->initializers = array(d, m->n_initializers + 1, sizeof *m->initializers);
    m->inputs = array(d, m->n_inputs + 1, sizeof *m->inputs);
    m->outputs = array(d, m->n_outputs + 1, sizeof *m->outputs);
    if (!ok(d)) return 0;
    size_t nn = 0, ni = 0, nin = 0, nout = 0;
    pass = msg;
    while (ok(d) && lp__pb_next(&pass, &f)) {
        switch (f.number) {
        case GRAPH_NODE: decode_node(d, lp__pb_sub(&pass, &f), &m->nodes[nn], nn); nn++; break;
        case GRAPH_INITIALIZER:
            set_where(d, "initializer %zu", ni);
            decode_tensor(d, lp__pb_sub(&pass, &f), &m->initializers[ni++]);
            break;
        case GRAPH_INPUT:
            set_where(d, "graph input %zu", nin);
            decode_value(d, lp__pb_sub(&pass, &f), &m->inputs[nin++]);
            break;
        case GRAPH_OUTPUT:
            set_where(d, "graph output %zu", nout);
            decode_value(d, lp__pb_sub(&pass, &f), &m->outputs[nout++]);
            break;
        default: break;
        }
    }
    return ok(d);
}

enum {
    MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_PRODUCER_VERSION = 3, MODEL_GRAPH = 7,
    MODEL_OPSET_IMPORT = 8, MODEL_METADATA_PROPS = 14
};

static int decode_model(decoder *d, lp__pb msg)
{
    lp__onnx_model *m = d->m;
    lp__pb_field f, g;
    lp__pb pass = msg;
    lp__pb_field graph;
    int have_graph = 0;
    m->producer_name = m->producer_version = "";
    while (lp__pb_next(&pass, &f)) {
        switch (f.number) {
        case MODEL_IR_VERSION: lp__pb_int64(&pass, &f, &m->ir_version); break;
        case MODEL_PRODUCER_NAME: m->producer_name = str_of(d, &pass, &f); break;
        case MODEL_PRODUCER_VERSION: m->producer_version = str_of(d, &pass, &f); break;
        case MODEL_OPSET_IMPORT: m->n_opsets++; break;
        case MODEL_METADATA_PROPS: m->n_metadata++; break;
        case MODEL_GRAPH:
            if (f.wire != LP_PB_LEN) return lp__pb_fail(&pass, &f, "graph is not a message");
            graph = f;
            have_graph = 1;
            break;
        default: break;
        }
        if (!ok(d) || !m->producer_name || !m->producer_version) return 0;
    }
    if (!ok(d)) return 0;
    if (m->ir_version <= 0 || !have_graph)
        return fail(d, LP_ERR_BAD_MODEL, "no %s: this is not an ONNX model file",
                    m->ir_version <= 0 ? "ir_version" : "graph");

    m->opsets = array(d, m->n_opsets + 1, sizeof *m->opsets);
    m->metadata_keys = array(d, m->n_metadata + 1, sizeof *m->metadata_keys);
    m->metadata_values = array(d, m->n_metadata + 1, sizeof *m->metadata_values);
    if (!ok(d)) return 0;
    size_t no = 0, nm = 0;
    pass = msg;
    while (ok(d) && lp__pb_next(&pass, &f)) {
        if (f.number == MODEL_OPSET_IMPORT) {
            lp__onnx_opset *o = &m->opsets[no++];
            o->domain = "";
            lp__pb sub = lp__pb_sub(&pass, &f);
            while (lp__pb_next(&sub, &g)) {
                if (g.number == 1) o->domain = str_of(d, &sub, &g);
                else if (g.number == 2) lp__pb_int64(&sub, &g, &o->version);
                if (!o->domain) return 0;
            }
        } else if (f.number == MODEL_METADATA_PROPS) {
            const char **key = &m->metadata_keys[nm];
            const char **value = &m->metadata_values[nm];
            nm++;
            *key = *value = "";
            lp__pb sub = lp__pb_sub(&pass, &f);
            while (lp__pb_next(&sub, &g)) {
                if (g.number == 1) *key = str_of(d, &sub, &g);
                else if (g.number == 2) *value = str_of(d, &sub, &g);
                if (!*key || !*value) return 0;
            }
        }
    }
    if (!ok(d)) return 0;
    return decode_graph(d, lp__pb_sub(&pass, &graph));
}

lp_status lp__onnx_decode(const void *bytes, size_t len, lp__onnx_model *out, lp_error *err)
{
    return lp__onnx_decode_limited(bytes, len, NULL, out, err);
}

lp_status lp__onnx_decode_limited(const void *bytes, size_t len, const lp__onnx_limits *limits,
                                  lp__onnx_model *out, lp_error *err)
{
    memset(out, 0, sizeof *out);
    out->limits.tensor_elements = limits && limits->tensor_elements ? limits->tensor_elements : LP_MAX_TENSOR_ELEMENTS;
    out->limits.graph_nodes = limits && limits->graph_nodes ? limits->graph_nodes : LP_MAX_GRAPH_NODES;
    out->limits.graph_ops = limits && limits->graph_ops ? limits->graph_ops : LP_MAX_GRAPH_OPS;
    decoder d;
    memset(&d, 0, sizeof d);
    d.m = out;
    d.err = err;
    lp__pb msg = lp__pb_open(&d.doc, bytes, len);
    decode_model(&d, msg);
    if (d.doc.error && d.status == LP_OK) {
        d.status = LP_ERR_BAD_MODEL;
        lp__fail(err, LP_ERR_BAD_MODEL, "not a valid ONNX file: %s at byte %zu%s%s", d.doc.error,
                 d.doc.error_at, d.where[0] ? ", in " : "", d.where);
    }
    if (d.status != LP_OK) lp__onnx_model_free(out);
    return d.status;
}

lp_status lp__onnx_decode_tensor(const void *bytes, size_t len, lp__onnx_model *owner, lp__onnx_tensor *out,
                                 lp_error *err)
{
    memset(out, 0, sizeof *out);
    decoder d;
    memset(&d, 0, sizeof d);
    d.m = owner;
    d.err = err;
    lp__pb msg = lp__pb_open(&d.doc, bytes, len);
    decode_tensor(&d, msg, out);
    if (d.doc.error && d.status == LP_OK) {
        d.status = LP_ERR_BAD_MODEL;
        lp__fail(err, LP_ERR_BAD_MODEL, "not a valid ONNX tensor: %s at byte %zu", d.doc.error, d.doc.error_at);
    }
    return d.status;
}

void lp__onnx_model_free(lp__onnx_model *m)
{
    lp__arena_release(&m->arena);
    memset(m, 0, sizeof *m);
}
