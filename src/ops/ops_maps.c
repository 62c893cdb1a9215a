/* ops_maps.c — ai.onnx.ml operators whose input is a map, one per row:
 * DictVectorizer (skl2onnx's DictVectorizer: map(string | int64 → float |
 * double | int64) → the dense row in vocabulary order, absent keys 0) and
 * CastMap (map(int64 → float) → a row of max_map values, SPARSE form).
 *
 * A CSV row is such a map: the graph's map input becomes a tensor [N, K]
 * of the map's value type whose K columns are named by the keys
 * (lp__map_input: DictVectorizer's string_vocabulary, its int64_vocabulary
 * as integer text "0", "7" …, CastMap's keys 0 … max_map-1), and an empty
 * cell is a key the row's map lacks (a missing value, NaN, reaches the
 * operator, which writes the 0 onnxruntime and scikit-learn write for an
 * absent key). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "graph.h"

static const lp__onnx_attr *attr_of(const lp__onnx_node *n, const char *name, int type)
{
    const lp__onnx_attr *a = lp__onnx_attr_find(n, name);
    return a && a->type == type ? a : NULL;
}

static int is_ml(const lp__onnx_node *n, const char *op_type)
{
    return strcmp(n->op_type, op_type) == 0 && strcmp(n->domain, "ai.onnx.ml") == 0;
}

static lp_status refuse(const lp__onnx_value *in, const lp__onnx_node *n, lp_error *err, const char *what)
{
    return lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX input \"%s\" (a map, read by node \"%s\" (%s)): %s", in->name,
                    n ? n->name : "", n ? n->op_type : "", what);
}

lp_status lp__map_input(lp__graph *g, const lp__onnx_model *om, const lp__onnx_value *in, int32_t *dtype,
                        size_t *width, const char ***columns, lp_error *err)
{
    const lp__onnx_node *reader = NULL;
    size_t readers = 0;
    for (size_t k = 0; k < om->n_nodes; k++)
        for (size_t j = 0; j < om->nodes[k].n_inputs; j++)
            if (strcmp(om->nodes[k].inputs[j], in->name) == 0) readers++, reader = &om->nodes[k];
    const lp__onnx_type *t = &in->type;
    int32_t key = t->elem, value = t->inner && t->inner->kind == LP_ONNX_KIND_TENSOR ? t->inner->elem : 0;
    if (readers != 1 || !(is_ml(reader, "DictVectorizer") || is_ml(reader, "CastMap")))
        return lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX input \"%s\" holds a map; a map read by one DictVectorizer or "
                        "CastMap is supported (its keys name the CSV columns)", in->name);
    if (value != LP_ONNX_FLOAT && value != LP_ONNX_DOUBLE && value != LP_ONNX_INT64)
        return refuse(in, reader, err, "map values of float, double or int64 are supported");
    size_t n = 0;
    const lp__onnx_bytes *strings = NULL;
    const int64_t *ints = NULL;
    if (is_ml(reader, "DictVectorizer")) {
        const lp__onnx_attr *sv = attr_of(reader, "string_vocabulary", LP_ONNX_ATTR_STRINGS),
                            *iv = attr_of(reader, "int64_vocabulary", LP_ONNX_ATTR_INTS);
        if (!sv == !iv) return refuse(in, reader, err, "needs one of string_vocabulary and int64_vocabulary");
        if ((key == LP_ONNX_STRING) != (sv != NULL) || (key != LP_ONNX_STRING && key != LP_ONNX_INT64))
            return refuse(in, reader, err, "the map's keys are not of the vocabulary's type");
        n = sv ? sv->count : iv->count;
        strings = sv ? sv->strings : NULL;
        ints = iv ? iv->ints : NULL;
    } else {
        const lp__onnx_attr *form = attr_of(reader, "map_form", LP_ONNX_ATTR_STRING),
                            *max = attr_of(reader, "max_map", LP_ONNX_ATTR_INT);
        if (key != LP_ONNX_INT64 || value != LP_ONNX_FLOAT)
            return refuse(in, reader, err, "CastMap takes a map(int64, float) here (map(int64, string) is not "
                          "supported)");
        if (!form || strcmp(form->s.data, "SPARSE") != 0)
            return refuse(in, reader, err, "map_form DENSE gives as many values as each row's map has keys, which "
                          "a CSV row does not state; map_form SPARSE (keys 0 ... max_map-1) is supported");
        if (!max || max->i < 1 || max->i > LP_DEFAULT_MAX_COLUMNS)
            return refuse(in, reader, err, "max_map must be a count of columns, at least 1");
        n = (size_t)max->i;
    }
    if (n == 0 || n > LP_DEFAULT_MAX_COLUMNS) return refuse(in, reader, err, "the vocabulary's size is out of range");
    const char **names = lp__graph_alloc(g, n * sizeof *names, err);
    if (!names) return err->code;
    for (size_t i = 0; i < n; i++) {
        if (strings) {
            names[i] = strings[i].data;   /* NUL-terminated, in the decoded model the graph keeps */
            if (strlen(names[i]) != strings[i].len) return refuse(in, reader, err, "a key holds a NUL byte");
            continue;
        }
        char buf[24];
        int len = snprintf(buf, sizeof buf, "%lld", (long long)(ints ? ints[i] : (int64_t)i));
        char *s = lp__graph_alloc(g, (size_t)len + 1, err);
        if (!s) return err->code;
        memcpy(s, buf, (size_t)len + 1);
        names[i] = s;
    }
    for (size_t i = 0; i < n; i++)   /* a column named twice could not be bound */
        for (size_t j = 0; j < i && strings; j++)
            if (strcmp(names[i], names[j]) == 0) {
                lp__fail(err, LP_ERR_BAD_MODEL, "ONNX node \"%s\" (DictVectorizer): key \"%s\" appears twice in "
                         "string_vocabulary", reader->name, names[i]);
                return LP_ERR_BAD_MODEL;
            }
    *dtype = value;
    *width = n;
    *columns = names;
    return LP_OK;
}

/* The map input (a graph input lp__map_input made [N, K]) the node reads. */
static const lp__value *map_of(const lp__graph *g, const lp__op *op, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return NULL;
    if (x->input < 0 || !g->inputs[x->input].columns || op->n_in != 1) {
        lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "its input must be the graph's map input");
        return NULL;
    }
    return x;
}

/* DictVectorizer: the row's values in vocabulary order; absent keys 0. */
static lp_status build_dict_vectorizer(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = map_of(g, op, err);
    if (!x) return err->code;
    lp__shape shape = x->shape;
    return lp__op_output(g, op, node, 0, x->dtype, &shape, err);
}

/* CastMap (SPARSE): value of key j at column j, absent keys 0, cast to
 * cast_to (TO_FLOAT, or TO_INT64: truncated as static_cast does). */
static lp_status build_cast_map(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = map_of(g, op, err);
    if (!x) return err->code;
    const lp__onnx_attr *to = attr_of(node, "cast_to", LP_ONNX_ATTR_STRING);
    const char *cast_to = to ? to->s.data : "TO_FLOAT";
    int32_t dtype = !strcmp(cast_to, "TO_FLOAT") ? LP_ONNX_FLOAT : !strcmp(cast_to, "TO_INT64") ? LP_ONNX_INT64 : 0;
    if (!dtype)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "cast_to \"%s\" (TO_FLOAT and TO_INT64 are supported)", cast_to);
    lp__shape shape = x->shape;
    return lp__op_output(g, op, node, 0, dtype, &shape, err);
}

static void run_map(const lp__run *r, const lp__op *op)
{
    const lp__value *xv = &r->g->values[op->in[0]], *yv = &r->g->values[op->out[0]];
    const void *x = lp__run_data(r, op->in[0]);
    void *y = lp__run_data(r, op->out[0]);
    size_t n = lp__shape_count(&yv->shape, r->n_rows);
    if (xv->dtype == LP_ONNX_INT64) {   /* fed with absent keys as 0 already (lp__graph_run) */
        lp__dtype_convert(yv->dtype, y, xv->dtype, x, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        double v = lp__dtype_get_f64(xv->dtype, x, i);
        if (v != v) v = 0;   /* an empty cell: a key the row's map lacks */
        switch (yv->dtype) {
        case LP_ONNX_FLOAT: ((float *)y)[i] = (float)v; break;
        case LP_ONNX_DOUBLE: ((double *)y)[i] = v; break;
        default: lp__dtype_convert(LP_ONNX_INT64, (int64_t *)y + i, LP_ONNX_DOUBLE, &v, 1); break;
        }
    }
}

const lp__op_kind lp__ops_maps[] = {
    {"DictVectorizer", "ai.onnx.ml", build_dict_vectorizer, run_map},
    {"CastMap", "ai.onnx.ml", build_cast_map, run_map},
};
const size_t lp__n_ops_maps = sizeof lp__ops_maps / sizeof *lp__ops_maps;
