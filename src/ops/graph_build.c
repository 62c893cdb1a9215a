/* graph_build.c — lp__onnx_model → lp__graph, and running it; see graph.h. */
#include "graph.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/arena.h"
#include "../core/error.h"
#include "../formats/onnx_scores.h"


/* ---- values ---------------------------------------------------------------------- */

size_t lp__shape_count(const lp__shape *s, size_t n_rows)
{
    size_t n = 1;
    for (int k = 0; k < s->rank; k++) n *= s->dims[k] == LP__BATCH ? n_rows : (size_t)s->dims[k];
    return n;
}

static int has_batch(const lp__shape *s)
{
    for (int k = 0; k < s->rank; k++)
        if (s->dims[k] == LP__BATCH) return 1;
    return 0;
}

/* Elements of one row of a value (a batch dimension counts once), SIZE_MAX
 * when a dimension is negative or the product overflows. */
static size_t row_elements(const lp__shape *s)
{
    size_t n = 1;
    for (int k = 0; k < s->rank; k++) {
        if (s->dims[k] == LP__BATCH) continue;
        if (s->dims[k] < 0) return SIZE_MAX;
        size_t d = (size_t)s->dims[k];
        if (d && n > SIZE_MAX / d) return SIZE_MAX;
        n *= d;
    }
    return n;
}

uint32_t lp__graph_add_value(lp__graph *g, const char *name, int32_t dtype, const lp__shape *shape, lp_error *err)
{
    if (g->n_values == g->cap_values) {
        size_t cap = g->cap_values ? 2 * g->cap_values : 64;
        lp__value *v = realloc(g->values, cap * sizeof *v);
        if (!v) {
            lp__fail(err, LP_ERR_NOMEM, "out of memory building the ONNX graph");
            return UINT32_MAX;
        }
        g->values = v;
        g->cap_values = cap;
    }
    /* Any value, computed or folded, holds at most the tensor-element limit
     * per row: a hostile shape (ConstantOfShape, Expand, Reshape) cannot
     * overflow a size or ask for an absurd buffer. */
    size_t max = g->source.limits.tensor_elements ? g->source.limits.tensor_elements : LP_MAX_TENSOR_ELEMENTS;
    if (row_elements(shape) > max) {
        lp__fail(err, LP_ERR_LIMIT, "ONNX value \"%s\" would hold more than %zu elements a row (raise the "
                 "tensor-element limit: lp_load_options.max_tensor_elements, limits.tensorElements in JS, "
                 "--max-tensor-elements)", name ? name : "", max);
        return UINT32_MAX;
    }
    lp__value *v = &g->values[g->n_values];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->dtype = dtype;
    v->shape = *shape;
    v->input = -1;
    return (uint32_t)g->n_values++;
}

void *lp__graph_alloc(lp__graph *g, size_t bytes, lp_error *err)
{
    if (g->n_owned == g->cap_owned) {
        size_t cap = g->cap_owned ? 2 * g->cap_owned : 32;
        void **p = realloc(g->owned, cap * sizeof *p);
        if (!p) {
            lp__fail(err, LP_ERR_NOMEM, "out of memory building the ONNX graph");
            return NULL;
        }
        g->owned = p;
        g->cap_owned = cap;
    }
    void *mem = calloc(1, bytes ? bytes : 1);
    if (!mem) {
        lp__fail(err, LP_ERR_NOMEM, "out of memory building the ONNX graph (%zu bytes)", bytes);
        return NULL;
    }
    g->owned[g->n_owned++] = mem;
    return mem;
}

struct lp__graph_owned { void *p; void (*destroy)(void *); };

lp_status lp__graph_own(lp__graph *g, void *p, void (*destroy)(void *), lp_error *err)
{
    struct lp__graph_owned *d = realloc(g->destroyed, (g->n_destroyed + 1) * sizeof *d);
    if (!d) {
        destroy(p);
        return lp__fail(err, LP_ERR_NOMEM, "out of memory building the ONNX graph");
    }
    g->destroyed = d;
    d[g->n_destroyed++] = (struct lp__graph_owned){p, destroy};
    return LP_OK;
}

void *lp__run_data(const lp__run *r, uint32_t v)
{
    const lp__value *val = &r->g->values[v];
    if (val->is_const) return val->data;
    if (val->input >= 0) return (void *)r->feeds[val->input].data;
    return r->buffer + val->row_offset * r->n_rows;
}

void lp__run_dims(const lp__run *r, uint32_t v, size_t dims[LP__MAX_RANK])
{
    const lp__shape *s = &r->g->values[v].shape;
    for (int k = 0; k < s->rank; k++) dims[k] = s->dims[k] == LP__BATCH ? r->n_rows : (size_t)s->dims[k];
}

lp_status lp__op_output(lp__graph *g, lp__op *op, const lp__onnx_node *node, int o, int32_t dtype,
                        const lp__shape *shape, lp_error *err)
{
    if ((size_t)o >= node->n_outputs || !node->outputs[o][0])
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "output %d is missing", o + 1);
    op->out[o] = lp__graph_add_value(g, node->outputs[o], dtype, shape, err);
    if (op->out[o] == UINT32_MAX) return err->code;
    if (op->n_out < o + 1) op->n_out = o + 1;
    return LP_OK;
}

const lp__value *lp__op_input(const lp__graph *g, const lp__op *op, int i, lp_error *err)
{
    if (i >= op->n_in || op->in[i] == UINT32_MAX) {
        lp__op_fail(op, err, LP_ERR_BAD_MODEL, "input %d is missing", i + 1);
        return NULL;
    }
    return &g->values[op->in[i]];
}

lp_status lp__op_fail(const lp__op *op, lp_error *err, lp_status code, const char *fmt, ...)
{
    char what[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return lp__fail(err, code, "ONNX node \"%s\" (%s): %s", op->name, op->kind->op_type, what);
}

void lp__run_fail(const lp__run *r, const lp__op *op, size_t row, lp_status code, const char *fmt, ...)
{
    lp__run_scratch *scratch = r->scratch;
    if (!scratch || scratch->status != LP_OK) return;   /* the first failure wins */
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (op->name && op->name[0])
        scratch->status = lp__fail(scratch->err, code, "ONNX node \"%s\" (%s): %s", op->name, op->kind->op_type, what);
    else   /* an unnamed node (torch.onnx names them; the helper need not): its output names it */
        scratch->status = lp__fail(scratch->err, code, "ONNX node computing \"%s\" (%s): %s",
                              op->n_out ? r->g->values[op->out[0]].name : "", op->kind->op_type, what);
    if (scratch->err) {
        scratch->err->line = row == SIZE_MAX ? 0 : row + 1;
        scratch->err->column_index = -1;
    }
}

size_t lp__run_row(const lp__run *r, uint32_t v, size_t i)
{
    const lp__shape *s = &r->g->values[v].shape;
    if (s->rank < 1 || s->dims[0] != LP__BATCH || r->n_rows == 0) return SIZE_MAX;
    size_t per_row = lp__shape_count(s, r->n_rows) / r->n_rows;
    return per_row ? i / per_row : SIZE_MAX;
}

/* Runs the graph's operators in order, stopping at the first that fails. */
static lp_status run_ops(const lp__run *r)
{
    for (size_t i = 0; i < r->g->n_ops && r->scratch->status == LP_OK; i++) r->g->ops[i].kind->run(r, &r->g->ops[i]);
    return r->scratch->status;
}

const void *lp__const_input(const lp__graph *g, const lp__op *op, int i, int32_t dtype, lp_error *err)
{
    if (i >= op->n_in || op->in[i] == UINT32_MAX) {
        lp__op_fail(op, err, LP_ERR_BAD_MODEL, "input %d is missing", i + 1);
        return NULL;
    }
    const lp__value *v = &g->values[op->in[i]];
    if (!v->is_const) {
        lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "input %d (\"%s\") must be a constant of the model, not computed "
                    "from the rows", i + 1, v->name);
        return NULL;
    }
    if (v->dtype != dtype) {
        lp__op_fail(op, err, LP_ERR_BAD_MODEL, "input %d (\"%s\") holds %s, %s expected", i + 1, v->name,
                    lp__onnx_dtype_name(v->dtype), lp__onnx_dtype_name(dtype));
        return NULL;
    }
    return v->data;
}

/* ---- names → values ------------------------------------------------------------------ */

typedef struct name_map {
    const char **names;
    uint32_t    *values;
    size_t       cap;   /* a power of two */
} name_map;

static size_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603u;   /* FNV-1a */
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211u;
    return (size_t)h;
}

static uint32_t map_get(const name_map *m, const char *name)
{
    for (size_t i = hash_name(name) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->names[i]) return UINT32_MAX;
        if (strcmp(m->names[i], name) == 0) return m->values[i];
    }
}

/* Later definitions of a name replace earlier ones (a graph input shadowed by
 * its initializer). */
static void map_put(name_map *m, const char *name, uint32_t value)
{
    size_t i = hash_name(name) & (m->cap - 1);
    while (m->names[i] && strcmp(m->names[i], name) != 0) i = (i + 1) & (m->cap - 1);
    m->names[i] = name;
    m->values[i] = value;
}

/* ---- operator kinds -------------------------------------------------------------------- */

static const lp__op_kind *find_kind(const lp__onnx_node *n)
{
    static const struct { const lp__op_kind *kinds; const size_t *count; } families[] = {
        {lp__ops_dense, &lp__n_ops_dense}, {lp__ops_elementwise, &lp__n_ops_elementwise},
        {lp__ops_shape, &lp__n_ops_shape}, {lp__ops_reduce, &lp__n_ops_reduce}, {lp__ops_ml, &lp__n_ops_ml},
        {lp__ops_maps, &lp__n_ops_maps}, {lp__ops_fused, &lp__n_ops_fused},
#ifndef LP_NO_TEXT
        {lp__ops_text, &lp__n_ops_text},
#endif
        {lp__ops_trees, &lp__n_ops_trees},
    };
    const char *domain = strcmp(n->domain, "ai.onnx") == 0 ? "" : n->domain;
    for (size_t f = 0; f < sizeof families / sizeof *families; f++)
        for (size_t i = 0; i < *families[f].count; i++)
            if (strcmp(families[f].kinds[i].op_type, n->op_type) == 0 && strcmp(families[f].kinds[i].domain, domain) == 0)
                return &families[f].kinds[i];
    return NULL;
}

int lp__graph_knows(const lp__onnx_node *n)
{
    return find_kind(n) != NULL;
}

static int node_supported(const lp__onnx_node *n, void *ctx)
{
    (void)ctx;
    return find_kind(n) != NULL;
}

/* ---- building -------------------------------------------------------------------------- */


/* Marks the nodes the scores depend on. */
static lp_status mark_needed(const lp__onnx_model *om, const char *target, int all_outputs, uint8_t *needed,
                             lp_error *err)
{
    /* Walk backwards once: a node is needed if one of its outputs is wanted;
     * its inputs become wanted.  Nodes are in topological order, so one
     * reverse pass suffices. */
    size_t cap = 16;
    while (cap < 4 * (om->n_nodes + om->n_inputs + om->n_initializers + 4)) cap *= 2;
    name_map wanted = {calloc(cap, sizeof(char *)), calloc(cap, sizeof(uint32_t)), cap};
    if (!wanted.names || !wanted.values) {
        free(wanted.names);
        free(wanted.values);
        return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    if (all_outputs)
        for (size_t i = 0; i < om->n_outputs; i++) map_put(&wanted, om->outputs[i].name, 1);
    else
        map_put(&wanted, target, 1);
    for (size_t i = om->n_nodes; i-- > 0;) {
        const lp__onnx_node *n = &om->nodes[i];
        for (size_t o = 0; o < n->n_outputs && !needed[i]; o++)
            needed[i] = n->outputs[o][0] && map_get(&wanted, n->outputs[o]) == 1;
        if (!needed[i]) continue;
        for (size_t k = 0; k < n->n_inputs; k++)
            if (n->inputs[k][0]) map_put(&wanted, n->inputs[k], 1);
    }
    free(wanted.names);
    free(wanted.values);
    return LP_OK;
}

/* Operators that only move int64 elements around: what they pick from a
 * shape holds the rows' count only if it picked LP__BATCH_VALUE.  So the
 * sequence length torch.onnx reads as Gather(Shape(ids), 1) stays a plain
 * number that Add or Slice may use, while Gather(Shape(ids), 0) is the rows. */
static int moves_elements(const lp__op *op)
{
    static const char *const movers[] = {"Gather", "Slice", "Concat", "Unsqueeze", "Squeeze", "Reshape",
                                         "Identity", "Flatten"};
    for (size_t i = 0; i < sizeof movers / sizeof *movers; i++)
        if (!strcmp(op->kind->op_type, movers[i]) && !op->kind->domain[0]) return 1;
    return 0;
}

static int holds_batch_value(const lp__value *v)
{
    const int64_t *d = v->data;
    for (size_t i = 0, n = lp__shape_count(&v->shape, 0); i < n; i++)
        if (d[i] == LP__BATCH_VALUE) return 1;
    return 0;
}

static lp_status fold(lp__graph *g, lp__op *op, lp_error *err)
{
    for (int o = 0; o < op->n_out; o++) {
        lp__value *v = &g->values[op->out[o]];
        if (has_batch(&v->shape)) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "constant inputs, row-shaped output");
        size_t bytes = lp__shape_count(&v->shape, 0) * lp__dtype_elem_size(v->dtype);
        v->data = lp__graph_alloc(g, bytes, err);
        if (!v->data) return err->code;
        v->is_const = 1;
    }
    lp__run_scratch scratch = {NULL, LP_OK, err};   /* no operator that allocates takes constants */
    lp__run r = {g, NULL, NULL, 0, &scratch};
    op->kind->run(&r, op);
    if (scratch.status != LP_OK) {   /* constants the operator refuses: a bad model, whatever a row would have been */
        if (err) err->code = LP_ERR_BAD_MODEL, err->line = 0;
        return LP_ERR_BAD_MODEL;
    }
    /* A shape that holds the rows' count stays marked through the
     * operators that move its elements (Gather, Concat, Slice, ...). */
    int batch = 0;
    for (int i = 0; i < op->n_in; i++) batch |= op->in[i] != UINT32_MAX && g->values[op->in[i]].holds_batch;
    for (int o = 0; o < op->n_out; o++) {
        lp__value *v = &g->values[op->out[o]];
        v->holds_batch |= batch && (!moves_elements(op) || v->dtype != LP_ONNX_INT64 || holds_batch_value(v));
    }
    return LP_OK;
}

static lp_status add_node(lp__graph *g, const lp__onnx_node *n, name_map *names, lp_error *err)
{
    size_t max_ops = g->source.limits.graph_ops ? g->source.limits.graph_ops : LP_MAX_GRAPH_OPS;   /* the caller's */
    if (g->n_ops >= max_ops)
        return lp__fail(err, LP_ERR_LIMIT, "the ONNX graph runs more than %zu operators, over the limit (a caller can "
                        "raise it: lp_load_options.max_graph_ops, limits.graphOps in JS, --max-graph-ops)",
                        max_ops);
    lp__op *op = &g->ops[g->n_ops];
    memset(op, 0, sizeof *op);
    op->kind = find_kind(n);
    op->name = n->name;
    if (n->n_inputs > LP__MAX_OP_INPUTS)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "%zu inputs (at most %d)", n->n_inputs, LP__MAX_OP_INPUTS);
    op->n_in = (int)n->n_inputs;
    int all_const = 1;
    for (size_t k = 0; k < n->n_inputs; k++) {
        op->in[k] = n->inputs[k][0] ? map_get(names, n->inputs[k]) : UINT32_MAX;
        if (n->inputs[k][0] && op->in[k] == UINT32_MAX)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "input \"%s\" is not defined by the graph (or only by a "
                               "later node)", n->inputs[k]);
        if (op->in[k] != UINT32_MAX) all_const &= g->values[op->in[k]].is_const;
        /* a Tokenizer's rows of tokens stand for a string tensor whose width
         * only the run knows: only these operators take them */
        if (op->in[k] != UINT32_MAX && g->values[op->in[k]].dtype == LP__DTYPE_TOKENS &&
            strcmp(n->op_type, "Flatten") != 0 && strcmp(n->op_type, "Identity") != 0 &&
            strcmp(n->op_type, "TfIdfVectorizer") != 0)
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "takes the tokens of a Tokenizer (\"%s\"); only Flatten, "
                               "Identity and TfIdfVectorizer may", n->inputs[k]);
    }
    lp_status s = op->kind->build(g, op, n, err);
    if (s != LP_OK) return s;
    int known = op->n_out > 0;   /* Shape: its outputs are known at build time */
    for (int o = 0; o < op->n_out; o++) known &= g->values[op->out[o]].is_const;
    if (known) {
        for (int o = 0; o < op->n_out; o++) map_put(names, g->values[op->out[o]].name, op->out[o]);
        return LP_OK;
    }
    for (int o = 0; o < op->n_out; o++) map_put(names, g->values[op->out[o]].name, op->out[o]);
    for (int o = 0; o < op->n_out; o++) {
        const lp__value *v = &g->values[op->out[o]];
        if (!lp__dtype_storable(v->dtype))
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "computes %s values (float, double, int64, int32, "
                               "bool and string are supported)", lp__onnx_dtype_name(v->dtype));
        int batches = 0;
        for (int k = 0; k < v->shape.rank; k++) batches += v->shape.dims[k] == LP__BATCH;
        if (batches > 1)
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "output \"%s\" has the rows in %d dimensions", v->name,
                               batches);
    }
    int row_shaped = 0;   /* ConstantOfShape or Expand of a shape holding the rows */
    for (int o = 0; o < op->n_out; o++) row_shaped |= has_batch(&g->values[op->out[o]].shape);
    if (all_const && !row_shaped) return fold(g, op, err);
    g->n_ops++;
    return LP_OK;
}

/* The graph inputs: each a tensor of a computable dtype whose first
 * dimension is the batch and whose other dimensions are stated ([N], [N, F],
 * [N, L] token ids, ...).  One input takes the CSV's columns by position;
 * several inputs of one column each ([N, 1], skl2onnx's per-column inputs)
 * take them by name.  Initializers listed as inputs (IR < 4) are not rows. */
static int cmp_bytes(const void *a, const void *b)
{
    const lp__onnx_bytes *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->data, y->data, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The strings string inputs are compared with: every category and key the
 * encoders name (OneHotEncoder cats_strings, LabelEncoder keys_strings /
 * classes_strings) and the string initializers Equal reads, sorted and
 * distinct.  A CSV cell becomes its index here
 * (its code, through the model's category preparation); a cell outside it
 * matches no encoder's list, whichever encoder reads it, so nothing is lost. */
/* A string input read only by OneHotEncoders with zeros = 0: onnxruntime
 * fails on a category they do not list, so the run does too (g->known). */
static lp_status strict_inputs(lp__graph *g, const lp__onnx_model *om, lp_error *err)
{
    if (!(g->known = lp__graph_alloc(g, g->n_inputs * sizeof *g->known, err))) return err->code;
    for (size_t i = 0; i < g->n_inputs; i++) {
        if (g->inputs[i].dtype != LP_ONNX_STRING) continue;
        int readers = 0, strict = 1;
        for (size_t k = 0; k < om->n_nodes; k++) {
            const lp__onnx_node *n = &om->nodes[k];
            int reads = 0;
            for (size_t j = 0; j < n->n_inputs; j++) reads |= strcmp(n->inputs[j], g->inputs[i].name) == 0;
            if (!reads) continue;
            readers++;
            const lp__onnx_attr *zeros = lp__onnx_attr_find(n, "zeros"), *cats = lp__onnx_attr_find(n, "cats_strings");
            strict &= strcmp(n->op_type, "OneHotEncoder") == 0 && zeros && zeros->type == LP_ONNX_ATTR_INT &&
                      zeros->i == 0 && cats && cats->type == LP_ONNX_ATTR_STRINGS;
        }
        if (!readers || !strict) continue;
        uint8_t *known = lp__graph_alloc(g, g->n_vocab + 1, err);
        if (!known) return err->code;
        for (size_t k = 0; k < om->n_nodes; k++) {
            const lp__onnx_node *n = &om->nodes[k];
            if (n->n_inputs < 1 || strcmp(n->inputs[0], g->inputs[i].name) != 0) continue;
            const lp__onnx_attr *cats = lp__onnx_attr_find(n, "cats_strings");
            for (size_t j = 0; j < cats->count; j++) {
                const lp__onnx_bytes *hit = bsearch(&cats->strings[j], g->vocab, g->n_vocab, sizeof *g->vocab, cmp_bytes);
                if (hit) known[hit - g->vocab] = 1;
            }
        }
        g->known[i] = known;
    }
    return LP_OK;
}

/* The string tensor named `name`: an initializer, or the value of a Constant
 * node (which builds into the same constant); NULL if neither. */
static const lp__onnx_tensor *string_constant(const lp__onnx_model *om, const char *name)
{
    const lp__onnx_tensor *t = lp__onnx_constant(om, name);
    return t && t->dtype == LP_ONNX_STRING ? t : NULL;
}

static lp_status string_vocabulary(lp__graph *g, const lp__onnx_model *om, lp_error *err)
{
    int any = 0;
    for (size_t i = 0; i < g->n_inputs; i++) any |= g->inputs[i].dtype == LP_ONNX_STRING;
    if (!any) return LP_OK;
    static const char *const lists[] = {"cats_strings", "keys_strings", "classes_strings"};
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        lp__onnx_bytes *out = NULL;
        if (pass == 1 && !(out = lp__graph_alloc(g, (n ? n : 1) * sizeof *out, err))) return err->code;
        n = 0;
        for (size_t k = 0; k < om->n_nodes; k++)
            for (size_t l = 0; l < sizeof lists / sizeof *lists; l++) {
                const lp__onnx_attr *a = lp__onnx_attr_find(&om->nodes[k], lists[l]);
                if (!a || a->type != LP_ONNX_ATTR_STRINGS) continue;
                for (size_t j = 0; j < a->count; j++, n++)
                    if (out) out[n] = a->strings[j];
            }
        for (size_t k = 0; k < om->n_nodes; k++) {
            const lp__onnx_node *eq = &om->nodes[k];
            if (strcmp(eq->op_type, "Equal") != 0 || (eq->domain[0] && strcmp(eq->domain, "ai.onnx") != 0)) continue;
            for (size_t q = 0; q < eq->n_inputs; q++) {
                const lp__onnx_tensor *c = string_constant(om, eq->inputs[q]);
                for (size_t j = 0; c && j < c->count; j++, n++)
                    if (out) out[n] = ((const lp__onnx_bytes *)c->data)[j];
            }
        }
        if (out) {
            qsort(out, n, sizeof *out, cmp_bytes);
            size_t w = 0;
            for (size_t j = 0; j < n; j++)
                if (!w || cmp_bytes(&out[w - 1], &out[j]) != 0) out[w++] = out[j];
            g->vocab = out;
            g->n_vocab = w;
        }
    }
    if (g->n_vocab > (1u << 24))
        return lp__fail(err, LP_ERR_LIMIT, "the ONNX model names %zu strings (at most %u)", g->n_vocab, 1u << 24);
    return strict_inputs(g, om, err);
}

/* ---- symbolic dimensions bound at load (graph.h: lp__dim_binding) ---- */

static const char *dim_symbol(const lp__onnx_value *in, int k)
{
    return in->type.dim_names && k < in->type.rank && in->type.dims[k] < 0 ? in->type.dim_names[k] : NULL;
}

/* Whether b binds dimension k of `in`: by its input and axis, by its symbol,
 * or through the symbol `in` shares with the dimension b names. */
static int binds(const lp__onnx_model *om, const lp__dim_binding *b, const lp__onnx_value *in, int k)
{
    if (b->input && strcmp(b->input, in->name) == 0 && b->axis == k) return 1;
    const char *sym = dim_symbol(in, k);
    if (!sym) return 0;
    if (b->symbol) return strcmp(b->symbol, sym) == 0;
    for (size_t j = 0; b->input && j < om->n_inputs; j++)
        if (strcmp(om->inputs[j].name, b->input) == 0) {
            const char *other = dim_symbol(&om->inputs[j], b->axis);
            return other && strcmp(other, sym) == 0;
        }
    return 0;
}

static void describe_dim(char *buf, size_t cap, const lp__onnx_value *in, int k)
{
    const char *sym = dim_symbol(in, k);
    if (sym) snprintf(buf, cap, "dimension %d (\"%s\")", k, sym);
    else snprintf(buf, cap, "dimension %d (unnamed)", k);
}

/* The value `dims` gives dimension k (>= 1) of input `in`; 0 when none does.
 * Bindings that disagree, or one that names the rows' dimension, fail. */
static lp_status bound_dim(const lp__onnx_model *om, const lp__dim_bindings *dims, const lp__onnx_value *in, int k,
                           int64_t *value, lp_error *err)
{
    const lp__dim_binding *by = NULL;
    char what[160];
    describe_dim(what, sizeof what, in, k);
    for (size_t i = 0; dims && i < dims->n; i++) {
        const lp__dim_binding *b = &dims->items[i];
        if (!binds(om, b, in, k)) continue;
        if (by && by->value != b->value)
            return lp__fail(err, LP_ERR_BAD_MANIFEST, "ONNX input \"%s\": %s is bound to %lld by %s and to %lld by %s",
                            in->name, what, (long long)by->value, by->source, (long long)b->value, b->source);
        if (!by) by = b;
    }
    *value = by ? by->value : 0;
    return LP_OK;
}

/* A binding of a symbol that is also some input's rows' dimension. */
static lp_status check_not_rows(const lp__onnx_model *om, const lp__dim_bindings *dims, const uint8_t *is_init,
                                lp_error *err)
{
    for (size_t i = 0; dims && i < dims->n; i++)
        for (size_t j = 0; j < om->n_inputs; j++) {
            const lp__onnx_value *in = &om->inputs[j];
            if (is_init[j] || in->type.kind != LP_ONNX_KIND_TENSOR || in->type.rank < 1) continue;
            if (binds(om, &dims->items[i], in, 0) || (dims->items[i].input && !strcmp(dims->items[i].input, in->name) &&
                                                      dims->items[i].axis == 0))
                return lp__fail(err, LP_ERR_BAD_MANIFEST, "ONNX input \"%s\": %s binds its dimension 0%s%s%s, the "
                                "rows, which follow the CSV and cannot be bound", in->name, dims->items[i].source,
                                dim_symbol(in, 0) ? " (\"" : "", dim_symbol(in, 0) ? dim_symbol(in, 0) : "",
                                dim_symbol(in, 0) ? "\")" : "");
        }
    return LP_OK;
}

int lp__onnx_has_free_dims(const lp__onnx_model *om)
{
    for (size_t i = 0; i < om->n_inputs; i++) {
        const lp__onnx_type *t = &om->inputs[i].type;
        int init = 0;
        for (size_t j = 0; j < om->n_initializers && !init; j++)
            init = strcmp(om->inputs[i].name, om->initializers[j].name) == 0;
        for (int k = 1; !init && t->kind == LP_ONNX_KIND_TENSOR && k < t->rank; k++)
            if (t->dims[k] < 0) return 1;
    }
    return 0;
}

/* Whether an int64 Imputer passes its input on as float readers would
 * see it: it replaces the cells equal to replaced_value_int64 (0 when
 * absent), and a cell rounded to float32 equals a value below 2^24 exactly
 * when the integer does; the rest go on unchanged to readers that round
 * them to float as we did (rounding twice to float32 is rounding once).
 * skl2onnx's SimpleImputer on an Int64TensorType input, then a Scaler. */
static int imputer_passes_as_float(const lp__onnx_node *n)
{
    const lp__onnx_attr *r = lp__onnx_attr_find(n, "replaced_value_int64");
    if (r && !(r->type == LP_ONNX_ATTR_INT && r->i > -16777216 && r->i < 16777216)) return 0;
    return n->n_outputs == 1;
}

/* Whether every node that reads an integer input turns it into float
 * (a Cast to float or double; the ai.onnx.ml operators whose kernels in
 * onnxruntime convert their rows to float; an int64 Imputer whose output
 * is read so in turn): then a cell beyond 2^24 may travel as float32,
 * rounded once as onnxruntime's own conversion rounds it.  Anything else
 * (an encoder's keys, Equal, Gather, a cast to text) needs the exact
 * integer.  `depth` bounds the chain of Imputers followed. */
static int read_only_as_float(const lp__onnx_model *om, const char *input, int depth)
{
    static const char *const converting[] = {"TreeEnsembleClassifier", "TreeEnsembleRegressor", "TreeEnsemble",
                                             "LinearClassifier", "LinearRegressor", "Scaler", "Normalizer"};
    int readers = 0;
    for (size_t k = 0; k < om->n_nodes; k++) {
        const lp__onnx_node *n = &om->nodes[k];
        if (!lp__onnx_node_reads(n, input)) continue;
        readers++;
        int ok = 0;
        if (strcmp(n->op_type, "Cast") == 0 && (!n->domain[0] || strcmp(n->domain, "ai.onnx") == 0)) {
            const lp__onnx_attr *to = lp__onnx_attr_find(n, "to");
            ok = to && to->type == LP_ONNX_ATTR_INT && (to->i == LP_ONNX_FLOAT || to->i == LP_ONNX_DOUBLE);
        } else if (strcmp(n->domain, "ai.onnx.ml") == 0) {
            for (size_t c = 0; c < sizeof converting / sizeof *converting; c++) ok |= strcmp(n->op_type, converting[c]) == 0;
            if (strcmp(n->op_type, "Imputer") == 0 && depth < 4 && imputer_passes_as_float(n))
                ok = read_only_as_float(om, n->outputs[0], depth + 1);
        }
        if (!ok) return 0;
    }
    return readers > 0;
}

static lp_status add_inputs(lp__graph *g, const lp__onnx_model *om, name_map *names, const uint8_t *is_init,
                            int fixed, const lp__dim_bindings *dims, lp_error *err)
{
    size_t n = 0;
    for (size_t i = 0; i < om->n_inputs; i++) n += !is_init[i];
    if (n == 0 && !fixed) return lp__fail(err, LP_ERR_BAD_MODEL, "this ONNX model has no input");
    if (n > LP_DEFAULT_MAX_COLUMNS) return lp__fail(err, LP_ERR_LIMIT, "this ONNX model has %zu inputs", n);
    if (!(g->inputs = lp__graph_alloc(g, (n + 1) * sizeof *g->inputs, err))) return err->code;
    int all_single = 1, any_map = 0;
    for (size_t i = 0; i < om->n_inputs; i++) {
        if (is_init[i]) continue;
        const lp__onnx_value *in = &om->inputs[i];
        const lp__onnx_type *t = &in->type;
        if (t->kind == LP_ONNX_KIND_MAP && !fixed) {   /* a row's map: [N, K], K columns named by its keys */
            int32_t dtype;
            size_t width;
            const char **columns;
            lp_status s = lp__map_input(g, om, in, &dtype, &width, &columns, err);
            if (s != LP_OK) return s;
            if (width > LP_DEFAULT_MAX_COLUMNS - g->n_features)
                return lp__fail(err, LP_ERR_LIMIT, "this ONNX model takes more than %d values per row",
                                LP_DEFAULT_MAX_COLUMNS);
            lp__shape shape = {2, {LP__BATCH, (int64_t)width}};
            uint32_t v = lp__graph_add_value(g, in->name, dtype, &shape, err);
            if (v == UINT32_MAX) return err->code;
            g->values[v].input = (int)g->n_inputs;
            g->inputs[g->n_inputs++] = (lp__graph_input){v, in->name, dtype, width, columns, 0, 0};
            map_put(names, in->name, v);
            any_map = 1;
            g->n_features += width;
            continue;
        }
        if (t->kind != LP_ONNX_KIND_TENSOR || !lp__dtype_storable(t->elem))
            return lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX input \"%s\" holds %s (tensors of float, double, int64, "
                            "int32, bool or string are supported)", in->name,
                            t->kind == LP_ONNX_KIND_TENSOR ? lp__onnx_dtype_name(t->elem) : "a sequence or map");
        if ((t->rank < 1 && !(fixed && t->rank == 0)) || t->rank > LP__MAX_RANK)
            return lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX input \"%s\" has %s dimensions (the rows, then up to %d "
                            "stated dimensions)", in->name, t->rank < 0 ? "unstated" : t->rank == 0 ? "no" : "too many",
                            LP__MAX_RANK - 1);
        lp__shape shape = {t->rank, {LP__BATCH}};
        size_t width = 1;
        for (int k = fixed ? 0 : 1; k < t->rank; k++) {
            int64_t d = t->dims[k];
            if (d < 0 && !fixed) {   /* symbolic: bound by the manifest, or refused */
                lp_status s = bound_dim(om, dims, in, k, &d, err);
                if (s != LP_OK) return s;
                char what[160];
                describe_dim(what, sizeof what, in, k);
                if (d <= 0)
                    return lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX input \"%s\": %s is not stated (only the first, "
                                    "the rows, may vary); the manifest can bind it: a text model's "
                                    "\"preprocess.max_length\" binds the inputs \"preprocess.inputs\" feeds, and "
                                    "\"dims\": {\"%s\": N} binds a named dimension", in->name, what,
                                    dim_symbol(in, k) ? dim_symbol(in, k) : "name");
            }
            if (d < 0 || (d == 0 && !fixed))
                return lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX input \"%s\": dimension %d is not stated (only the "
                                "first, the rows, may vary)", in->name, k);
            if (d && width && (size_t)d > LP_DEFAULT_MAX_COLUMNS / width)
                return lp__fail(err, LP_ERR_LIMIT, "ONNX input \"%s\" has more than %d values per row", in->name,
                                LP_DEFAULT_MAX_COLUMNS);
            shape.dims[k] = d;
            width *= (size_t)d;
        }
        /* text that every reader casts to numbers: fed as those numbers (float) */
        int text_number = t->elem == LP_ONNX_STRING && !fixed ? lp__text_number_input(om, in->name) : 0;
        int32_t elem = text_number ? LP_ONNX_FLOAT : t->elem;
        uint32_t v = lp__graph_add_value(g, in->name, elem, &shape, err);
        if (v == UINT32_MAX) return err->code;
        g->values[v].input = (int)g->n_inputs;
        int float_readers = elem != LP_ONNX_FLOAT && elem != LP_ONNX_DOUBLE && elem != LP_ONNX_STRING &&
                            read_only_as_float(om, in->name, 0);
        g->inputs[g->n_inputs++] = (lp__graph_input){v, in->name, elem, width, NULL, text_number, float_readers};
        map_put(names, in->name, v);
        all_single &= width == 1;
        if (width > LP_DEFAULT_MAX_COLUMNS - g->n_features)
            return lp__fail(err, LP_ERR_LIMIT, "this ONNX model takes more than %d values per row",
                            LP_DEFAULT_MAX_COLUMNS);
        g->n_features += width;
    }
    g->named_columns = any_map || (n > 1 && all_single);
    return string_vocabulary(g, om, err);
}

const char *lp__graph_feature_name(const lp__graph *g, size_t i)
{
    if (!g->named_columns) return NULL;
    for (size_t k = 0; k < g->n_inputs; k++) {   /* a map input names its columns by its keys */
        const lp__graph_input *in = &g->inputs[k];
        if (i < in->width) return in->columns ? in->columns[i] : in->name;
        i -= in->width;
    }
    return NULL;
}

static lp_status add_initializers(lp__graph *g, const lp__onnx_model *om, name_map *names, lp_error *err)
{
    for (size_t i = 0; i < om->n_initializers; i++) {
        const lp__onnx_tensor *t = &om->initializers[i];
        /* strings: elements lp__onnx_bytes (Equal compares with them); others found missing if used */
        if (!lp__dtype_computable(t->dtype) && t->dtype != LP_ONNX_STRING) continue;
        if (t->rank > LP__MAX_RANK)
            return lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX initializer \"%s\" has %zu dimensions", t->name, t->rank);
        lp__shape shape = {(int)t->rank, {0}};
        for (size_t k = 0; k < t->rank; k++) shape.dims[k] = t->dims[k];
        uint32_t v = lp__graph_add_value(g, t->name, t->dtype, &shape, err);
        if (v == UINT32_MAX) return err->code;
        g->values[v].is_const = 1;
        g->values[v].data = t->data;
        map_put(names, t->name, v);
    }
    return LP_OK;
}

/* Run-buffer offsets: each computed value gets a 16-byte aligned slot per
 * row, shared with values whose lives do not overlap (a value lives from the
 * operator that writes it to the last one that reads it; the graph's
 * outputs to the end), so a transformer's run buffer is a few of its
 * activations, not all of them.  An operator's outputs never share with its
 * inputs: they are placed before its inputs are released. */
typedef struct slot { size_t off, end; uint32_t v; } slot;


/* The lowest 16-aligned offset where `bytes` fit between the live slots. */
static size_t place(const slot *live, size_t n_live, size_t bytes)
{
    size_t off = 0;
    for (int moved = 1; moved;) {
        moved = 0;
        for (size_t i = 0; i < n_live; i++)
            if (off < live[i].end && live[i].off < off + bytes) {
                off = live[i].end;
                moved = 1;
            }
    }
    return off;
}

static lp_status lay_out(lp__graph *g, lp_error *err)
{
    size_t n = g->n_values, top = 0, n_live = 0;
    size_t *last = calloc(n + 1, sizeof *last), *bytes = calloc(n + 1, sizeof *bytes);
    uint8_t *placed = calloc(n + 1, 1);   /* 1: has its slot; 2: read by an operator, no slot yet */
    slot *live = calloc(n + 1, sizeof *live);
    if (!last || !bytes || !placed || !live) {
        free(last), free(bytes), free(placed), free(live);
        return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    lp_status s = LP_OK;
    for (size_t v = 0; v < n && s == LP_OK; v++) {
        const lp__value *val = &g->values[v];
        size_t elems = lp__shape_count(&val->shape, 1), size = lp__dtype_elem_size(val->dtype);
        if (elems > (SIZE_MAX / 4 - 15) / (size ? size : 1))   /* wasm32's size_t */
            s = lp__fail(err, LP_ERR_LIMIT, "the ONNX graph's values need more than %zu bytes a row", SIZE_MAX);
        bytes[v] = (elems * size + 15) & ~(size_t)15;
    }
    const size_t forever = SIZE_MAX;
    for (size_t i = 0; i < g->n_ops; i++) {
        const lp__op *op = &g->ops[i];
        for (int j = 0; j < op->n_in; j++)
            if (op->in[j] != UINT32_MAX) last[op->in[j]] = i, placed[op->in[j]] = 2;
        for (int j = 0; j < op->n_out; j++)
            if (op->out[j] != UINT32_MAX && last[op->out[j]] < i) last[op->out[j]] = i;
    }
    if (g->fixed)
        for (size_t i = 0; i < g->n_fixed_outputs; i++) last[g->fixed_outputs[i]] = forever;
    else if (g->output < n)
        last[g->output] = forever;
    for (size_t i = 0; s == LP_OK && i < g->n_ops; i++) {
        const lp__op *op = &g->ops[i];
        for (int j = 0; j < op->n_out; j++) {
            uint32_t v = op->out[j];
            lp__value *val = v == UINT32_MAX ? NULL : &g->values[v];
            if (!val || val->is_const || val->input >= 0 || placed[v] == 1) continue;
            size_t off = place(live, n_live, bytes[v]);
            if (off > SIZE_MAX / 4 - bytes[v]) {
                s = lp__fail(err, LP_ERR_LIMIT, "the ONNX graph's values need more than %zu bytes a row", SIZE_MAX);
                break;
            }
            val->row_offset = off;
            placed[v] = 1;
            live[n_live++] = (slot){off, off + bytes[v], v};
            if (off + bytes[v] > top) top = off + bytes[v];
        }
        for (size_t k = 0; k < n_live;)   /* release what no later operator reads */
            if (last[live[k].v] == i) live[k] = live[--n_live];
            else k++;
    }
    /* computed values no operator writes: none that an operator reads in a
     * valid build (a slot of their own all the same); unread ones are a
     * fused operator's intermediate and take no room */
    for (size_t v = 0; s == LP_OK && v < n; v++) {
        lp__value *val = &g->values[v];
        if (val->is_const || val->input >= 0 || placed[v] != 2)
            continue;
        val->row_offset = top;
        top += bytes[v];
    }
    g->row_bytes = top;
    free(last), free(bytes), free(placed), free(live);
    return s;
}

/* Add(MatMul(x, W), b) and Add(b, MatMul(x, W)) with a constant bias b of
 * one value per column (torch's Linear on [N, T, C] rows): the MatMul adds b
 * itself and the Add goes, saving a pass over the activations.  Identical
 * results: the kernel computes sum + b[j], the Add b[j] + sum. */
static void fuse_bias(lp__graph *g)
{
    for (size_t i = 0; i < g->n_ops; i++) {
        lp__op *add = &g->ops[i];
        if (strcmp(add->kind->op_type, "Add") != 0 || add->kind->domain[0] || add->n_in != 2 ||
            add->in[0] == UINT32_MAX || add->in[1] == UINT32_MAX)
            continue;
        const lp__value *y = &g->values[add->out[0]];
        if (y->dtype != LP_ONNX_FLOAT || y->shape.rank < 1) continue;
        int64_t m = y->shape.dims[y->shape.rank - 1];
        for (int side = 0; side < 2; side++) {
            uint32_t mm = add->in[side], bias = add->in[1 - side];
            const lp__value *bv = &g->values[bias], *mv = &g->values[mm];
            if (!bv->is_const || bv->dtype != LP_ONNX_FLOAT || bv->shape.rank != 1 || bv->shape.dims[0] != m ||
                mv->is_const || mv->input >= 0 || mv->shape.rank != y->shape.rank ||
                memcmp(mv->shape.dims, y->shape.dims, sizeof(int64_t) * (size_t)y->shape.rank) != 0 ||
                mm == g->output)
                continue;
            size_t producer = SIZE_MAX, readers = 0;   /* the MatMul before, and the Add its only reader */
            for (size_t j = 0; j < g->n_ops; j++) {
                if (g->ops[j].n_out > 0 && g->ops[j].out[0] == mm) producer = j;
                for (int q = 0; q < g->ops[j].n_in; q++) readers += g->ops[j].in[q] == mm;
            }
            for (size_t q = 0; g->fixed && q < g->n_fixed_outputs; q++) readers += g->fixed_outputs[q] == mm;
            if (producer >= i || readers != 1 || !lp__dense_take_bias(&g->ops[producer], bv->data, (size_t)m))
                continue;
            g->ops[producer].out[0] = add->out[0];
            memmove(add, add + 1, (g->n_ops - i - 1) * sizeof *add);
            g->n_ops--;
            i--;
            break;
        }
    }
}

/* A Relu reading a dense layer on the fast path (after fuse_bias: Gemm, or
 * MatMul + Add) that is the layer's only reader: the layer applies it as it
 * stores its results (lp__dense_take_relu), saving a pass over the
 * activations, and the Relu goes. */
static void fuse_relu(lp__graph *g)
{
    for (size_t i = 0; i < g->n_ops; i++) {
        lp__op *relu = &g->ops[i];
        if (strcmp(relu->kind->op_type, "Relu") != 0 || relu->kind->domain[0] || relu->n_in != 1 ||
            relu->n_out != 1 || relu->in[0] == UINT32_MAX)
            continue;
        uint32_t x = relu->in[0];
        if (g->values[x].dtype != LP_ONNX_FLOAT || g->values[x].is_const || x == g->output) continue;
        size_t producer = SIZE_MAX, readers = 0;
        for (size_t j = 0; j < g->n_ops; j++) {
            if (g->ops[j].n_out == 1 && g->ops[j].out[0] == x) producer = j;
            for (int q = 0; q < g->ops[j].n_in; q++) readers += g->ops[j].in[q] == x;
        }
        for (size_t q = 0; g->fixed && q < g->n_fixed_outputs; q++) readers += g->fixed_outputs[q] == x;
        if (producer >= i || readers != 1 || !lp__dense_take_relu(&g->ops[producer])) continue;
        g->ops[producer].out[0] = relu->out[0];
        memmove(relu, relu + 1, (g->n_ops - i - 1) * sizeof *relu);
        g->n_ops--;
        i--;
    }
}

static lp_status build(lp__onnx_model *om, int fixed, const char *features, const lp__dim_bindings *dims,
                       lp__graph **out, lp_error *err)
{
    *out = NULL;
    lp__graph *g = calloc(1, sizeof *g);
    if (!g) {
        lp__onnx_model_free(om);
        return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    g->source = *om;
    memset(om, 0, sizeof *om);
    om = &g->source;

    lp_status s = LP_OK;
    uint8_t *needed = calloc(om->n_nodes + 1, 1), *is_init = calloc(om->n_inputs + 1, 1);
    size_t cap = 16;
    while (cap < 4 * (om->n_nodes * 2 + om->n_inputs + om->n_initializers + 4)) cap *= 2;
    name_map names = {calloc(cap, sizeof(char *)), calloc(cap, sizeof(uint32_t)), cap};
    g->ops = calloc(om->n_nodes + 1, sizeof *g->ops);
    if (!needed || !is_init || !names.names || !names.values || !g->ops) s = lp__fail(err, LP_ERR_NOMEM, "out of memory");

    const char *target = s == LP_OK && !fixed ? (features ? features : lp__onnx_scores_output(om)) : NULL;
    if (s == LP_OK && !target && !fixed)
        s = lp__fail(err, LP_ERR_UNSUPPORTED, "this ONNX model has no float or double tensor output to read scores from");
    if (s == LP_OK && !fixed) s = lp__embedding_bag_rewrite(om, err);
    if (s == LP_OK) s = mark_needed(om, target, fixed, needed, err);
    if (s == LP_OK) s = lp__onnx_report_unsupported(om, needed, node_supported, NULL, err);
    for (size_t i = 0; s == LP_OK && i < om->n_inputs; i++)
        for (size_t j = 0; j < om->n_initializers && !is_init[i]; j++)
            is_init[i] = strcmp(om->inputs[i].name, om->initializers[j].name) == 0;
    if (s == LP_OK && !fixed) s = check_not_rows(om, dims, is_init, err);
    if (s == LP_OK) s = add_inputs(g, om, &names, is_init, fixed, dims, err);
    if (s == LP_OK) s = add_initializers(g, om, &names, err);
    for (size_t i = 0; s == LP_OK && i < om->n_nodes; i++)
        if (needed[i]) s = add_node(g, &om->nodes[i], &names, err);
    if (s == LP_OK && fixed) {
        g->fixed = 1;
        g->n_fixed_outputs = om->n_outputs;
        if (!(g->fixed_outputs = lp__graph_alloc(g, (om->n_outputs + 1) * sizeof *g->fixed_outputs, err))) s = err->code;
        for (size_t i = 0; s == LP_OK && i < om->n_outputs; i++)
            if ((g->fixed_outputs[i] = map_get(&names, om->outputs[i].name)) == UINT32_MAX)
                s = lp__fail(err, LP_ERR_BAD_MODEL, "ONNX output \"%s\" is not computed", om->outputs[i].name);
    } else if (s == LP_OK) {
        g->output = map_get(&names, target);
        const lp__value *o = g->output == UINT32_MAX ? NULL : &g->values[g->output];
        /* Trees compare an int64 or int32 feature as float (onnxruntime's
         * kernel compares the integer with its float threshold, which
         * converts it): the run hands the features on converted to float. */
        if (features && o && !o->is_const && o->dtype != LP_ONNX_FLOAT && o->dtype != LP_ONNX_INT64 &&
            o->dtype != LP_ONNX_INT32)
            s = lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX value \"%s\" feeds the tree ensemble with %s values (float, "
                         "int64 or int32 features computed by the graph are supported)", target,
                         lp__onnx_dtype_name(o->dtype));
        else if (!o || o->is_const || (!features && o->dtype != LP_ONNX_FLOAT && o->dtype != LP_ONNX_DOUBLE) ||
                 o->shape.rank < 1 || o->shape.rank > 2 || o->shape.dims[0] != LP__BATCH ||
                 (o->shape.rank == 2 && o->shape.dims[1] < 1))
            s = lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX output \"%s\" is not a float or double tensor [N] or [N, K] "
                         "computed from the input rows", target);
        else
            g->n_outputs = o->shape.rank == 2 ? (size_t)o->shape.dims[1] : 1;
    }
    if (s == LP_OK) fuse_bias(g);
    if (s == LP_OK) fuse_relu(g);
    if (s == LP_OK) s = lay_out(g, err);
    free(needed);
    free(is_init);
    free(names.names);
    free(names.values);
    if (s != LP_OK) {
        lp__graph_free(g);
        return s;
    }
    *out = g;
    return LP_OK;
}

/* Run-buffer bytes a chunk of rows aims at (at least one row).  A build
 * may set another size (-DLP__RUN_CHUNK_BYTES=..., to measure it:
 * tests/bench/README.md, "Row chunks"). */
#ifndef LP__RUN_CHUNK_BYTES
#define LP__RUN_CHUNK_BYTES ((size_t)256 * 1024)
#endif

size_t lp__graph_chunk_rows(const lp__graph *g, size_t n_rows)
{
    size_t chunk = g->chunk_rows ? g->chunk_rows
                   : g->row_bytes ? (size_t)(LP__RUN_CHUNK_BYTES) / g->row_bytes
                   : n_rows;
    return chunk < 1 ? 1 : chunk > n_rows ? n_rows : chunk;
}

lp_status lp__graph_run_feeds(const lp__graph *g, const lp__graph_feed *feeds, size_t n_rows, float *scores,
                              lp_error *err)
{
    if (n_rows == 0) return LP_OK;
    for (size_t i = 0; i < g->n_inputs; i++)
        if (feeds[i].dtype != g->inputs[i].dtype || (!feeds[i].data && g->inputs[i].width))
            return lp__fail(err, LP_ERR_USAGE, "ONNX input \"%s\" takes %s values, %s given", g->inputs[i].name,
                            lp__onnx_dtype_name(g->inputs[i].dtype), lp__onnx_dtype_name(feeds[i].dtype));
    if (g->row_bytes && n_rows > SIZE_MAX / g->row_bytes)
        return lp__fail(err, LP_ERR_LIMIT, "a batch of %zu rows is too large for this model", n_rows);
    /* Every operator treats rows independently, so the batch runs a chunk
     * of rows at a time through one buffer that stays in cache (a
     * transformer's values take hundreds of KB a row). */
    size_t chunk = lp__graph_chunk_rows(g, n_rows);
    unsigned char *buffer = malloc(chunk * g->row_bytes + 16);
    lp__graph_feed *part = g->n_inputs ? malloc(g->n_inputs * sizeof *part) : NULL;
    if (!buffer || (g->n_inputs && !part)) {
        free(buffer);
        free(part);
        return lp__fail(err, LP_ERR_NOMEM, "out of memory running the model on %zu rows", n_rows);
    }
    const lp__value *o = &g->values[g->output];
    lp__arena arena = {0};
    lp__run_scratch scratch = {&arena, LP_OK, err};
    for (size_t start = 0; start < n_rows && scratch.status == LP_OK; start += chunk) {
        size_t n = n_rows - start < chunk ? n_rows - start : chunk;
        for (size_t i = 0; i < g->n_inputs; i++) {
            part[i].dtype = feeds[i].dtype;
            part[i].data = feeds[i].data ? (const char *)feeds[i].data + start * g->inputs[i].width *
                                                                         lp__dtype_elem_size(feeds[i].dtype)
                                         : NULL;
        }
        lp__run r = {g, buffer, part, n, &scratch};
        run_ops(&r);
        if (scratch.status == LP_OK)
            lp__dtype_convert(LP_ONNX_FLOAT, scores + start * g->n_outputs, o->dtype, lp__run_data(&r, g->output),
                              n * g->n_outputs);
        else if (err && err->line > 0)   /* the operator named its row in the chunk */
            err->line += start;
        lp__arena_release(&arena);   /* the chunk's strings and tokens */
    }
    free(buffer);
    free(part);
    return scratch.status;
}

/* Cells reach an integer input as float32, whose integers are exact below
 * 2^24: 16777217 arrives as 16777216, so from 2^24 on a value is refused
 * rather than passed on as another integer, unless every reader of the input
 * turns it into float anyway (float_readers; cells.c refuses such text too). */
static int beyond_float_integers(float v)
{
    return !(v > -16777216.0f && v < 16777216.0f);
}
#define BEYOND_2_24 "the cell's magnitude is 2^24 (16777216) or more: cells travel as float32, which holds " \
                    "integers exactly only below that"

/* Where the largest int32 and int64 land in float32: 2^31 and 2^63. */
#define F32_2_31 2147483648.0f
#define F32_2_63 9223372036854775808.0f

/* Whether an integer or bool input holds a CSV number exactly (NaN, a
 * missing value, never).  An input only ever turned into float takes any
 * integer its type holds: its readers round it to float as we did (the
 * largest, 2^31 - 1 or 2^63 - 1, arrives as 2^31 or 2^63: saturate_top). */
static int holds_exactly(const lp__graph_input *in, float v)
{
    switch (in->dtype) {
    case LP_ONNX_FLOAT: case LP_ONNX_DOUBLE: return 1;
    case LP_ONNX_BOOL: return v == 0 || v == 1;
    case LP_ONNX_INT32:
        if (in->float_readers) return v >= -F32_2_31 && v <= F32_2_31 && v == truncf(v);
        return v == truncf(v) && !beyond_float_integers(v);
    default:
        if (in->float_readers) return v >= -F32_2_63 && v <= F32_2_63 && v == truncf(v);
        return v == truncf(v) && !beyond_float_integers(v);
    }
}

/* A float reader's cell of 2^31 (2^63) goes in as the largest int32
 * (int64), which its reader turns back into that float, as onnxruntime
 * turns 2147483647 into 2^31; the plain conversion would wrap it. */
static void saturate_top(const lp__graph_input *in, const float *row, void *dst, size_t n)
{
    for (size_t c = 0; in->float_readers && c < n; c++) {
        if (in->dtype == LP_ONNX_INT32 && row[c] == F32_2_31) ((int32_t *)dst)[c] = INT32_MAX;
        if (in->dtype == LP_ONNX_INT64 && row[c] == F32_2_63) ((int64_t *)dst)[c] = INT64_MAX;
    }
}

/* A value an input refuses: the message names the input; err->line is the
 * row of the batch (1-based) and err->column_index the feature, which the
 * callers turn into the file's line and the CSV column (see lp__graph_run). */
static lp_status bad_cell(lp_error *err, size_t row, size_t feature)
{
    if (err) {
        err->line = row + 1;
        err->column_index = (int64_t)feature;
    }
    return LP_ERR_BAD_NUMBER;
}

/* An input's columns of x's rows, converted to its dtype; a string input's
 * cells are codes into g->vocab (NaN or out of range: a string the model
 * does not know).  `first` is the input's first feature. */
static lp_status feed_columns(const lp__graph *g, const lp__graph_input *in, const float *x, size_t stride,
                              size_t first, size_t n_rows, void *dst, lp_error *err)
{
    if (in->dtype == LP_ONNX_STRING) {
        lp__onnx_bytes *out = dst;
        const uint8_t *known = g->known ? g->known[in - g->inputs] : NULL;
        for (size_t i = 0; i < n_rows; i++)
            for (size_t c = 0; c < in->width; c++) {
                float code = x[i * stride + c];
                if (known && !(code >= 0 && code < (float)g->n_vocab && known[(size_t)code])) {
                    lp__fail(err, LP_ERR_BAD_NUMBER, "ONNX input \"%s\": a category the model's OneHotEncoder "
                             "does not list (it was trained with handle_unknown='error'), or an empty cell", in->name);
                    return bad_cell(err, i, first + c);
                }
                out[i * in->width + c] = code >= 0 && code < (float)g->n_vocab ? g->vocab[(size_t)code]
                                                                                 : (lp__onnx_bytes){NULL, 0};
            }
        return LP_OK;
    }
    for (size_t i = 0; i < n_rows; i++) {
        const float *row = x + i * stride;
        float zeroed[64];   /* a map's integer values: an empty cell is an absent key, 0 */
        if (in->columns && in->dtype != LP_ONNX_FLOAT && in->dtype != LP_ONNX_DOUBLE) {
            for (size_t c0 = 0; c0 < in->width; c0 += 64) {
                size_t k = in->width - c0 < 64 ? in->width - c0 : 64;
                for (size_t c = 0; c < k; c++) zeroed[c] = row[c0 + c] != row[c0 + c] ? 0.0f : row[c0 + c];
                for (size_t c = 0; c < k; c++)
                    if (!holds_exactly(in, zeroed[c])) {
                        if (beyond_float_integers(zeroed[c]))
                            lp__fail(err, LP_ERR_BAD_NUMBER, "ONNX input \"%s\" maps its keys to %s values, and "
                                     "%s", in->name, lp__onnx_dtype_name(in->dtype), BEYOND_2_24);
                        else
                            lp__fail(err, LP_ERR_BAD_NUMBER, "ONNX input \"%s\" maps its keys to %s values, not %g",
                                     in->name, lp__onnx_dtype_name(in->dtype), (double)zeroed[c]);
                        return bad_cell(err, i, first + c0 + c);
                    }
                lp__dtype_convert(in->dtype, (char *)dst + (i * in->width + c0) * lp__dtype_elem_size(in->dtype),
                                  LP_ONNX_FLOAT, zeroed, k);
            }
            continue;
        }
        for (size_t c = 0; c < in->width; c++)
            if (!holds_exactly(in, row[c])) {
                if (row[c] != row[c])
                    lp__fail(err, LP_ERR_BAD_NUMBER, "ONNX input \"%s\" takes %s values, and the cell is empty or "
                             "missing", in->name, lp__onnx_dtype_name(in->dtype));
                else if (in->dtype != LP_ONNX_BOOL && !in->float_readers && beyond_float_integers(row[c]))
                    lp__fail(err, LP_ERR_BAD_NUMBER, "ONNX input \"%s\" takes %s values, and %s", in->name,
                             lp__onnx_dtype_name(in->dtype), BEYOND_2_24);
                else
                    lp__fail(err, LP_ERR_BAD_NUMBER, "ONNX input \"%s\" takes %s values, not %g", in->name,
                             lp__onnx_dtype_name(in->dtype), (double)row[c]);
                return bad_cell(err, i, first + c);
            }
        char *out = (char *)dst + i * in->width * lp__dtype_elem_size(in->dtype);
        lp__dtype_convert(in->dtype, out, LP_ONNX_FLOAT, row, in->width);
        saturate_top(in, row, out, in->width);
    }
    return LP_OK;
}

lp_status lp__graph_run(const lp__graph *g, const float *x, size_t n_rows, float *scores, lp_error *err)
{
    if (n_rows == 0) return LP_OK;
    /* The common case, one float input: the rows are its data. */
    if (g->n_inputs == 1 && g->inputs[0].dtype == LP_ONNX_FLOAT) {
        lp__graph_feed feed = {LP_ONNX_FLOAT, x};
        return lp__graph_run_feeds(g, &feed, n_rows, scores, err);
    }
    lp__graph_feed *feeds = calloc(g->n_inputs, sizeof *feeds);
    void **bufs = calloc(g->n_inputs, sizeof *bufs);
    lp_status s = feeds && bufs ? LP_OK : lp__fail(err, LP_ERR_NOMEM, "out of memory running the model");
    size_t at = 0;
    for (size_t i = 0; s == LP_OK && i < g->n_inputs; i++) {
        const lp__graph_input *in = &g->inputs[i];
        if (n_rows > SIZE_MAX / 16 / (in->width ? in->width : 1) ||
            !(bufs[i] = malloc(n_rows * in->width * lp__dtype_elem_size(in->dtype) + 1)))
            s = lp__fail(err, LP_ERR_NOMEM, "out of memory running the model on %zu rows", n_rows);
        else
            s = feed_columns(g, in, x + at, g->n_features, at, n_rows, bufs[i], err);
        feeds[i] = (lp__graph_feed){in->dtype, bufs[i]};
        at += in->width;
    }
    if (s == LP_OK) s = lp__graph_run_feeds(g, feeds, n_rows, scores, err);
    for (size_t i = 0; bufs && i < g->n_inputs; i++) free(bufs[i]);
    free(bufs);
    free(feeds);
    return s;
}

lp_status lp__graph_build(lp__onnx_model *om, lp__graph **out, lp_error *err)
{
    return build(om, 0, NULL, NULL, out, err);
}

lp_status lp__graph_build_bound(lp__onnx_model *om, const lp__dim_bindings *dims, lp__graph **out, lp_error *err)
{
    return build(om, 0, NULL, dims, out, err);
}

lp_status lp__graph_build_features(lp__onnx_model *om, const char *features, lp__graph **out, lp_error *err)
{
    return build(om, 0, features, NULL, out, err);
}

lp_status lp__graph_build_fixed(lp__onnx_model *om, lp__graph **out, lp_error *err)
{
    return build(om, 1, NULL, NULL, out, err);
}

lp_status lp__graph_run_fixed(const lp__graph *g, const lp__graph_feed *feeds, void *const *outputs, lp_error *err)
{
    lp__arena arena = {0};
    lp__run_scratch scratch = {&arena, LP_OK, err};
    lp__run r = {g, malloc(g->row_bytes + 16), feeds, 1, &scratch};
    if (!r.buffer) return lp__fail(err, LP_ERR_NOMEM, "out of memory running the model");
    run_ops(&r);
    for (size_t i = 0; scratch.status == LP_OK && i < g->n_fixed_outputs; i++) {
        const lp__value *v = &g->values[g->fixed_outputs[i]];
        memcpy(outputs[i], lp__run_data(&r, g->fixed_outputs[i]), lp__shape_count(&v->shape, 1) *
               lp__dtype_elem_size(v->dtype));
    }
    free(r.buffer);
    lp__arena_release(&arena);
    return scratch.status;
}

void lp__graph_free(lp__graph *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->n_owned; i++) free(g->owned[i]);
    free(g->owned);
    for (size_t i = 0; i < g->n_destroyed; i++) g->destroyed[i].destroy(g->destroyed[i].p);
    free(g->destroyed);
    free(g->values);
    free(g->ops);
    lp__onnx_model_free(&g->source);
    free(g);
}
