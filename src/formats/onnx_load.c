/* onnx_load.c — ONNX graph → lp_model; see onnx_load.h. */
#include "onnx_load.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "onnx_dims.h"
#include "onnx_graph.h"
#include "onnx_scores.h"
#include "onnx_trees.h"
#include "../ops/graph.h"
#ifndef LP_NO_TEXT
#include "text_model.h"
#endif

#define BAD LP_ERR_BAD_MODEL

/* Where a value of the graph comes from. */
typedef enum { FROM_INPUT, FROM_INITIALIZER, FROM_NODE } value_origin;

typedef struct value_def {
    const char *name;
    int         origin;   /* value_origin */
    size_t      index;    /* graph input, initializer or node index */
} value_def;

typedef struct graph_index {
    value_def *defs;
    size_t     n;
} graph_index;

static int cmp_def(const void *a, const void *b)
{
    return strcmp(((const value_def *)a)->name, ((const value_def *)b)->name);
}

static const value_def *lookup(const graph_index *g, const char *name)
{
    value_def key = {name, 0, 0};
    return bsearch(&key, g->defs, g->n, sizeof key, cmp_def);
}

/* Every value defined once; node inputs defined before use (the ONNX rule
 * that nodes are stored in topological order). */
static lp_status index_graph(const lp__onnx_model *om, graph_index *g, lp_error *err)
{
    size_t n = om->n_inputs + om->n_initializers;
    for (size_t i = 0; i < om->n_nodes; i++) n += om->nodes[i].n_outputs;
    g->defs = malloc((n ? n : 1) * sizeof *g->defs);
    if (!g->defs) return lp__fail(err, LP_ERR_NOMEM, "out of memory indexing the ONNX graph");
    size_t k = 0;
    /* Initializers first: IR < 4 files also list them as graph inputs, and
     * then the initializer is what they are. */
    for (size_t i = 0; i < om->n_initializers; i++) g->defs[k++] = (value_def){om->initializers[i].name, FROM_INITIALIZER, i};
    for (size_t i = 0; i < om->n_inputs; i++) g->defs[k++] = (value_def){om->inputs[i].name, FROM_INPUT, i};
    for (size_t i = 0; i < om->n_nodes; i++)
        for (size_t o = 0; o < om->nodes[i].n_outputs; o++)
            if (om->nodes[i].outputs[o][0]) g->defs[k++] = (value_def){om->nodes[i].outputs[o], FROM_NODE, i};
    g->n = k;
    qsort(g->defs, k, sizeof *g->defs, cmp_def);
    for (size_t i = 1; i < k; i++) {
        if (strcmp(g->defs[i - 1].name, g->defs[i].name) != 0) continue;
        int a = g->defs[i - 1].origin, b = g->defs[i].origin;
        if ((a == FROM_INITIALIZER && b == FROM_INPUT) || (a == FROM_INPUT && b == FROM_INITIALIZER)) continue;
        return lp__fail(err, BAD, "ONNX graph: value \"%s\" is defined twice", g->defs[i].name);
    }
    /* Drop the graph-input twins of initializers. */
    size_t w = 0;
    for (size_t i = 0; i < k; i++) {
        if (w && strcmp(g->defs[w - 1].name, g->defs[i].name) == 0) {
            if (g->defs[i].origin == FROM_INITIALIZER) g->defs[w - 1] = g->defs[i];
            continue;
        }
        g->defs[w++] = g->defs[i];
    }
    g->n = w;
    for (size_t i = 0; i < om->n_nodes; i++) {
        const lp__onnx_node *node = &om->nodes[i];
        for (size_t j = 0; j < node->n_inputs; j++) {
            if (!node->inputs[j][0]) continue;   /* an omitted optional input */
            const value_def *d = lookup(g, node->inputs[j]);
            if (!d)
                return lp__fail(err, BAD, "ONNX node %zu \"%s\" (%s): input \"%s\" is not defined by the graph", i,
                                node->name, node->op_type, node->inputs[j]);
            if (d->origin == FROM_NODE && d->index >= i)
                return lp__fail(err, BAD, "ONNX node %zu \"%s\" (%s): input \"%s\" comes from a later node (the "
                                "file's nodes are not in topological order)", i, node->name, node->op_type,
                                node->inputs[j]);
        }
    }
    for (size_t i = 0; i < om->n_outputs; i++)
        if (!lookup(g, om->outputs[i].name))
            return lp__fail(err, BAD, "ONNX graph output \"%s\" is not computed by any node", om->outputs[i].name);
    return LP_OK;
}

/* ---- which operators ---------------------------------------------------------------- */

static int is_ml(const lp__onnx_node *n) { return strcmp(n->domain, "ai.onnx.ml") == 0; }

static int is_ensemble(const lp__onnx_node *n)
{
    return is_ml(n) && (strcmp(n->op_type, "TreeEnsembleClassifier") == 0 ||
                        strcmp(n->op_type, "TreeEnsembleRegressor") == 0 || strcmp(n->op_type, "TreeEnsemble") == 0);
}

/* What may surround a tree ensemble. */
static int tree_plumbing_supported(const lp__onnx_node *n, void *ctx)
{
    (void)ctx;
    static const char *const plain[] = {"Identity", "Cast", "Concat"};
    static const char *const ml[] = {"ZipMap", "FeatureVectorizer"};
    if (is_ensemble(n)) return 1;
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
        if (lp__onnx_is_default(n) && strcmp(n->op_type, plain[i]) == 0) return 1;
    for (size_t i = 0; i < sizeof ml / sizeof *ml; i++)
        if (is_ml(n) && strcmp(n->op_type, ml[i]) == 0) return 1;
    return 0;
}

/* ---- where the features come from ----------------------------------------------------- */

typedef struct features {
    size_t       count;        /* 0 until known */
    int          as_double;    /* the trees read doubles (no Cast to float on the way) */
    const char **names;        /* per-column inputs, or NULL (columns by position) */
} features;

/* Follows Identity and Cast (to float) back from `name` to its source. */
static const value_def *through_plumbing(const lp__onnx_model *om, const graph_index *g, const char *name,
                                         lp_error *err, lp_status *s)
{
    for (int hops = 0; hops < 64; hops++) {
        const value_def *d = lookup(g, name);
        if (!d || d->origin != FROM_NODE) return d;
        const lp__onnx_node *n = &om->nodes[d->index];
        if (!lp__onnx_is_default(n) || (strcmp(n->op_type, "Identity") != 0 && strcmp(n->op_type, "Cast") != 0)) return d;
        if (strcmp(n->op_type, "Cast") == 0) {
            const lp__onnx_attr *to = lp__onnx_attr_find(n, "to");
            if (!to || to->type != LP_ONNX_ATTR_INT || to->i != LP_ONNX_FLOAT) {
                *s = lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\": Cast to %s before the trees (only casts "
                              "to float are supported)", n->name, to ? lp__onnx_dtype_name((int32_t)to->i) : "nothing");
                return NULL;
            }
        }
        if (n->n_inputs != 1) return d;
        name = n->inputs[0];
    }
    return NULL;
}

/* Whether `name` is a double graph input, reached through Identity only
 * (a Cast on the way makes it float). */
static int double_without_cast(const lp__onnx_model *om, const graph_index *g, const char *name)
{
    for (int hops = 0; hops < 64; hops++) {
        const value_def *d = lookup(g, name);
        if (!d) return 0;
        if (d->origin == FROM_INPUT) return om->inputs[d->index].type.elem == LP_ONNX_DOUBLE;
        if (d->origin != FROM_NODE) return 0;
        const lp__onnx_node *n = &om->nodes[d->index];
        if (!lp__onnx_is_default(n) || strcmp(n->op_type, "Identity") != 0 || n->n_inputs != 1) return 0;
        name = n->inputs[0];
    }
    return 0;
}

/* The width of a graph input [N, F] (0 when not stated) and its check. */
static lp_status input_width(const lp__onnx_value *v, size_t *width, lp_error *err)
{
    const lp__onnx_type *t = &v->type;
    if (t->kind != LP_ONNX_KIND_TENSOR)
        return lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX input \"%s\" is not a tensor", v->name);
    if (t->elem != LP_ONNX_FLOAT && t->elem != LP_ONNX_DOUBLE && t->elem != LP_ONNX_INT64 && t->elem != LP_ONNX_INT32)
        return lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX input \"%s\" holds %s values (numbers are supported; text "
                        "inputs are not yet)", v->name, lp__onnx_dtype_name(t->elem));
    if (t->rank == 1) {
        *width = 1;
        return LP_OK;
    }
    if (t->rank != 2 && t->rank != -1)
        return lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX input \"%s\" has %d dimensions (rows × features expected)",
                        v->name, t->rank);
    *width = t->rank == 2 && t->dims[1] > 0 ? (size_t)t->dims[1] : 0;
    return LP_OK;
}

static lp_status find_features(const lp__onnx_model *om, const graph_index *g, const lp__onnx_node *ensemble,
                               features *ft, lp_error *err)
{
    lp_status s = LP_OK;
    if (ensemble->n_inputs != 1) return lp__fail(err, BAD, "ONNX node \"%s\" needs exactly one input", ensemble->name);
    const value_def *d = through_plumbing(om, g, ensemble->inputs[0], err, &s);
    if (s != LP_OK) return s;
    if (d && d->origin == FROM_INPUT) {
        const lp__onnx_value *v = &om->inputs[d->index];
        if ((s = input_width(v, &ft->count, err)) != LP_OK) return s;
        ft->as_double = double_without_cast(om, g, ensemble->inputs[0]);
        if (v->type.elem != LP_ONNX_FLOAT && !ft->as_double && lookup(g, ensemble->inputs[0]) == d)
            return lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX input \"%s\" is %s and reaches the trees without a Cast "
                            "to float (float inputs are supported)", v->name, lp__onnx_dtype_name(v->type.elem));
        return LP_OK;   /* one [N, F] input: columns by position */
    }
    const lp__onnx_node *join = d && d->origin == FROM_NODE ? &om->nodes[d->index] : NULL;
    if (!join || !(strcmp(join->op_type, "Concat") == 0 || strcmp(join->op_type, "FeatureVectorizer") == 0))
        return lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\": its input \"%s\" is not computed from the graph "
                        "inputs by operators localpredict supports", ensemble->name, ensemble->inputs[0]);
    if (strcmp(join->op_type, "Concat") == 0) {
        const lp__onnx_attr *axis = lp__onnx_attr_find(join, "axis");
        if (!axis || (axis->i != 1 && axis->i != -1))
            return lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\": Concat along axis %lld (features are "
                            "joined along axis 1)", join->name, axis ? (long long)axis->i : 0LL);
    }
    ft->names = calloc(join->n_inputs + 1, sizeof *ft->names);
    if (!ft->names) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    for (size_t j = 0; j < join->n_inputs; j++) {
        const value_def *src = through_plumbing(om, g, join->inputs[j], err, &s);
        if (s != LP_OK) return s;
        if (!src || src->origin != FROM_INPUT)
            return lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\": input \"%s\" does not come straight from a "
                            "graph input", join->name, join->inputs[j]);
        size_t width;
        if ((s = input_width(&om->inputs[src->index], &width, err)) != LP_OK) return s;
        if (width != 1)
            return lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX input \"%s\" has %zu columns; inputs joined into the "
                            "features must have one column each", om->inputs[src->index].name, width);
        ft->names[j] = om->inputs[src->index].name;
        int as_double = double_without_cast(om, g, join->inputs[j]);
        if (j > 0 && as_double != ft->as_double)
            return lp__fail(err, BAD, "ONNX node \"%s\" (Concat) joins double and float inputs", join->name);
        ft->as_double = as_double;
    }
    if (strcmp(join->op_type, "FeatureVectorizer") == 0) ft->as_double = 0;   /* it emits float */
    ft->count = join->n_inputs;
    return LP_OK;
}

/* Without a stated width, the features the trees use (their highest index + 1). */
static size_t features_used(const lp__onnx_node *ensemble)
{
    const lp__onnx_attr *ids = lp__onnx_attr_find(ensemble, "nodes_featureids");
    int64_t top = -1;
    for (size_t i = 0; ids && ids->type == LP_ONNX_ATTR_INTS && i < ids->count; i++)
        if (ids->ints[i] > top && ids->ints[i] < (int64_t)LP_DEFAULT_MAX_COLUMNS) top = ids->ints[i];
    return (size_t)(top + 1);
}

/* ---- the model ------------------------------------------------------------------------ */

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

static lp_status build_trees(const lp__onnx_model *om, lp_model *m, lp_error *err)
{
    graph_index g = {NULL, 0};
    features ft = {0};
    lp_status s = index_graph(om, &g, err);
    if (s == LP_OK) s = lp__onnx_report_unsupported(om, NULL, tree_plumbing_supported, NULL, err);
    const lp__onnx_node *ensemble = NULL;
    for (size_t i = 0; s == LP_OK && i < om->n_nodes; i++) {
        if (!is_ensemble(&om->nodes[i])) continue;
        if (ensemble)
            s = lp__fail(err, LP_ERR_UNSUPPORTED, "this ONNX model has several tree ensembles (\"%s\", \"%s\"); "
                         "one is supported", ensemble->name, om->nodes[i].name);
        ensemble = &om->nodes[i];
    }
    if (s == LP_OK) s = find_features(om, &g, ensemble, &ft, err);
    if (s == LP_OK) {
        if (!ft.count) ft.count = features_used(ensemble);
        if (ft.count > LP_DEFAULT_MAX_COLUMNS)
            s = lp__fail(err, LP_ERR_LIMIT, "the ONNX model takes %zu features (at most %d)", ft.count, LP_DEFAULT_MAX_COLUMNS);
    }
    if (s == LP_OK) {
        m->n_features = ft.count;
        m->feature_is_cat = calloc(ft.count + 1, 1);
        if (!m->feature_is_cat) s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    if (s == LP_OK && ft.names) {
        m->feature_names = calloc(ft.count, sizeof *m->feature_names);
        for (size_t i = 0; m->feature_names && i < ft.count; i++)
            if (!(m->feature_names[i] = lp__strndup(ft.names[i], strlen(ft.names[i])))) break;
        if (!m->feature_names || (ft.count && !m->feature_names[ft.count - 1]))
            s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    if (s == LP_OK) s = lp__onnx_trees_lower(ensemble, ft.count, ft.as_double, m, err);
    if (s == LP_OK) {
        m->best_iteration = -1;   /* ONNX stores no early-stopping point */
        copy_str(m->format, sizeof m->format, "onnx");
        snprintf(m->objective, sizeof m->objective, "%s", ensemble->op_type);
        copy_str(m->booster, sizeof m->booster, "tree ensemble");
        copy_str(m->producer_name, sizeof m->producer_name, om->producer_name[0] ? om->producer_name : "onnx");
        copy_str(m->producer_version, sizeof m->producer_version, om->producer_version);
    }
    free(ft.names);
    free(g.defs);
    return s;
}

/* Whether one of the first `before` nodes is an ArgMax over the class axis
 * (1 or -1 of [N, K] scores; keepdims either way) writing `name`. */
static int class_argmax(const lp__onnx_model *om, size_t before, const char *name)
{
    for (size_t j = 0; j < before; j++) {
        const lp__onnx_node *a = &om->nodes[j];
        if (!lp__onnx_is_default(a) || strcmp(a->op_type, "ArgMax") != 0 || a->n_outputs != 1 || strcmp(a->outputs[0], name) != 0)
            continue;
        const lp__onnx_attr *axis = lp__onnx_attr_find(a, "axis");   /* ONNX's default is 0, the rows */
        return axis && axis->type == LP_ONNX_ATTR_INT && (axis->i == 1 || axis->i == -1);
    }
    return 0;
}

/* The classes constant of skl2onnx's label where no LinearClassifier,
 * TreeEnsembleClassifier or ZipMap states them, with one int32, int64 or
 * string class per score column; NULL if none.  The label picks from it by
 * the ArgMax of the scores: ArrayFeatureExtractor(classes, ArgMax) in double
 * linear models, Gather(classes, ArgMax) on axis 0 of a [K] constant after
 * an opset-5 TreeEnsemble. */
static const lp__onnx_tensor *argmax_classes(const lp__onnx_model *om, size_t n_classes)
{
    for (size_t i = 0; i < om->n_nodes; i++) {
        const lp__onnx_node *n = &om->nodes[i];
        int extractor = is_ml(n) && strcmp(n->op_type, "ArrayFeatureExtractor") == 0;
        int gather = lp__onnx_is_default(n) && strcmp(n->op_type, "Gather") == 0;
        if ((!extractor && !gather) || n->n_inputs != 2 || !class_argmax(om, i, n->inputs[1])) continue;
        const lp__onnx_tensor *t = lp__onnx_constant(om, n->inputs[0]);
        if (!t || t->count != n_classes ||
            (t->dtype != LP_ONNX_INT32 && t->dtype != LP_ONNX_INT64 && t->dtype != LP_ONNX_STRING))
            continue;
        if (gather) {   /* axis 0 (the default) of a rank-1 constant: element k is class k */
            const lp__onnx_attr *axis = lp__onnx_attr_find(n, "axis");
            if (t->rank != 1 || (axis && (axis->type != LP_ONNX_ATTR_INT || (axis->i != 0 && axis->i != -1)))) continue;
        }
        return t;
    }
    return NULL;
}

/* Class labels a dense classifier states: ZipMap's or LinearClassifier's,
 * else the classes its label output picks from by ArgMax (argmax_classes). */
static lp_status dense_labels(const lp__onnx_model *om, lp_model *m, lp_error *err)
{
    for (size_t i = 0; i < om->n_nodes; i++) {
        const lp__onnx_node *n = &om->nodes[i];
        const lp__onnx_attr *ints = lp__onnx_attr_find(n, strcmp(n->op_type, "ZipMap") == 0 ? "classlabels_int64s"
                                                                                              : "classlabels_ints");
        const lp__onnx_attr *strs = lp__onnx_attr_find(n, "classlabels_strings");
        if (strcmp(n->op_type, "ZipMap") != 0 && strcmp(n->op_type, "LinearClassifier") != 0) continue;
        size_t count = strs ? strs->count : ints ? ints->count : 0;
        if (count != m->n_outputs) continue;
        for (size_t k = 0; k < count; k++) {
            char buf[24];
            const char *text = buf;
            size_t len;
            if (strs) text = strs->strings[k].data, len = strs->strings[k].len;
            else len = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)ints->ints[k]);
            char *copy = lp__strndup(text, len);
            if (!copy) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
            free(m->output_names[k]);
            m->output_names[k] = copy;
            m->output_types[k] = strs ? LP__LABEL_STRING : LP__LABEL_INT;
        }
        return LP_OK;
    }
    const lp__onnx_tensor *classes = argmax_classes(om, m->n_outputs);
    for (size_t k = 0; classes && k < m->n_outputs; k++) {
        char buf[24];
        const char *text = buf;
        size_t len;
        if (classes->dtype == LP_ONNX_STRING) {
            const lp__onnx_bytes *b = &((const lp__onnx_bytes *)classes->data)[k];
            text = b->data, len = b->len;
        } else {
            long long v = classes->dtype == LP_ONNX_INT32 ? ((const int32_t *)classes->data)[k]
                                                          : ((const int64_t *)classes->data)[k];
            len = (size_t)snprintf(buf, sizeof buf, "%lld", v);
        }
        char *copy = lp__strndup(text, len);
        if (!copy) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
        free(m->output_names[k]);
        m->output_names[k] = copy;
        m->output_types[k] = classes->dtype == LP_ONNX_STRING ? LP__LABEL_STRING : LP__LABEL_INT;
    }
    return LP_OK;
}

/* String inputs take CSV text: their features become categories naming the
 * graph's vocabulary (feature_prep.h), so a cell reaches the graph as its
 * index there (lp__graph_run turns it back into the string); a cell the
 * model names nowhere is missing, which every encoder treats as unknown. */
static lp_status string_features(const lp__graph *g, lp_model *m, lp_error *err)
{
    int any = 0;
    for (size_t i = 0; i < g->n_inputs; i++) any |= g->inputs[i].dtype == LP_ONNX_STRING || g->inputs[i].text_number;
    if (!any) return LP_OK;
    m->prep = calloc(g->n_features + 1, sizeof *m->prep);
    if (!m->prep) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    for (size_t i = 0, at = 0; i < g->n_inputs; at += g->inputs[i].width, i++) {
        /* text the model casts to numbers: each cell read as onnxruntime reads it (predict/cells.c) */
        for (size_t f = at; g->inputs[i].text_number && f < at + g->inputs[i].width; f++)
            m->prep[f].kind = (uint8_t)g->inputs[i].text_number;
        if (g->inputs[i].dtype != LP_ONNX_STRING) continue;
        for (size_t f = at; f < at + g->inputs[i].width; f++) {
            lp__feature_prep *p = &m->prep[f];
            m->feature_is_cat[f] = 1;
            p->kind = LP__PREP_CATEGORY;
            if (!(p->categories = calloc(g->n_vocab + 1, sizeof *p->categories)))
                return lp__fail(err, LP_ERR_NOMEM, "out of memory");
            for (; p->n_categories < g->n_vocab; p->n_categories++) {
                lp__category *c = &p->categories[p->n_categories];
                c->number = NAN;
                if (!(c->text = lp__strndup(g->vocab[p->n_categories].data, g->vocab[p->n_categories].len)))
                    return lp__fail(err, LP_ERR_NOMEM, "out of memory");
            }
        }
    }
    return LP_OK;
}

/* What a model built on a graph takes from it: the file (a worker rebuilds the
 * graph from it), the feature count, the columns' names when the graph takes
 * one input per column, and the string columns' vocabularies. */
static lp_status adopt_graph_inputs(lp_model *m, const lp__graph *g, const void *bytes, size_t len, lp_error *err)
{
    memcpy(m->graph_source, bytes, len);
    m->graph_source_len = len;
    m->n_features = g->n_features;
    if (g->named_columns) {   /* one input per column: the columns are named */
        m->feature_names = calloc(g->n_features, sizeof *m->feature_names);
        if (!m->feature_names) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < g->n_features; i++) {
            const char *name = lp__graph_feature_name(g, i);
            if (!(m->feature_names[i] = lp__strndup(name, strlen(name)))) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
        }
    }
    return string_features(g, m, err);
}

#ifndef LP_NO_TEXT
/* A graph that tokenizes text itself (TF-IDF: StringNormalizer, Tokenizer,
 * TfIdfVectorizer) takes a free-text column, not categories: its one string
 * input becomes a text model reading the column of the input's name
 * ("tokenizer": "graph"; a manifest's "preprocess" may name another column
 * or add steps). */
static int has_text_ops(const lp__graph *g)
{
    int text_ops = 0;
    for (size_t i = 0; i < g->n_ops; i++) {
        const char *t = g->ops[i].kind->op_type;
        text_ops |= strcmp(t, "Tokenizer") == 0 || strcmp(t, "TfIdfVectorizer") == 0 || strcmp(t, "StringNormalizer") == 0;
    }
    return text_ops;
}

static lp_status attach_text_graph(lp_model *m, const lp__graph *g, lp_error *err)
{
    if (!has_text_ops(g)) return LP_OK;
    if (g->n_inputs != 1 || g->inputs[0].dtype != LP_ONNX_STRING || g->inputs[0].width != 1)
        return lp__fail(err, LP_ERR_UNSUPPORTED, "this ONNX model tokenizes text; one string input (one text per row) "
                        "is supported, and it has %zu inputs", g->n_inputs);
    cJSON *spec = cJSON_CreateObject();
    char *printed = NULL;
    if (spec && cJSON_AddStringToObject(spec, "text", g->inputs[0].name) && cJSON_AddStringToObject(spec, "tokenizer", "graph"))
        printed = cJSON_PrintUnformatted(spec);
    cJSON_Delete(spec);
    if (!printed) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    /* the column is the text, not categories */
    lp__prep_free(m->prep, m->n_features);
    m->prep = NULL;
    lp_status s = lp__text_attach_source(m, printed, strlen(printed), "the ONNX model", NULL, err);
    cJSON_free(printed);
    return s;
}
#endif

/* How a dense graph's K score columns become outputs, from what they are:
 * probabilities (K >= 2 classes, one column a regression), log-probabilities
 * (their softmax, which is their exp), sigmoids (one column: the positive
 * class of a binary model; K >= 2: independent labels), a linear layer's
 * logits (softmax for classes, a sigmoid per label when the task is
 * multilabel, one column a regression unless the task is binary) or
 * decision values (1 for the class they decide, 0 for the others, as
 * binary:hinge: scikit-learn's LinearSVC has no probabilities). */
static void set_link(lp_model *m, lp__onnx_scores scores, size_t k)
{
    static const char *const objectives[] = {"graph", "graph log-probabilities", "graph sigmoid", "graph logits",
                                             "graph decision values"};
    lp_task classes = k == 2 ? LP_TASK_BINARY : LP_TASK_MULTICLASS;
    if (k == 1 && scores == LP__SCORES_LOG_PROBABILITIES) scores = LP__SCORES_PROBABILITIES;   /* always 0 */
    copy_str(m->objective, sizeof m->objective, objectives[scores]);
    switch (scores) {
    case LP__SCORES_LOG_PROBABILITIES:
        m->link = LP__LINK_SOFTMAX;
        m->native_task = classes;
        break;
    case LP__SCORES_SIGMOID:
        m->link = k == 1 ? LP__LINK_COMPLEMENT : LP__LINK_RAW;
        m->native_task = k == 1 ? LP_TASK_BINARY : LP_TASK_MULTILABEL;
        break;
    case LP__SCORES_LOGITS:
        m->link = LP__LINK_LOGITS;
        m->native_task = k == 1 ? LP_TASK_REGRESSION : classes;
        break;
    case LP__SCORES_DECISION:
        m->link = LP__LINK_DECISION;
        m->native_task = k <= 2 ? LP_TASK_BINARY : LP_TASK_MULTICLASS;
        break;
    case LP__SCORES_PROBABILITIES:
        m->link = k == 1 ? LP__LINK_IDENTITY : LP__LINK_RAW;
        m->native_task = k == 1 ? LP_TASK_REGRESSION : classes;
        break;
    }
}

/* A dense graph (MLP, linear model): the graph computes the scores. */
static lp_status build_dense(lp__onnx_model *om, const uint8_t *bytes, size_t len, lp_model *m, lp_error *err)
{
    char producer[32], version[24];
    snprintf(producer, sizeof producer, "%s", om->producer_name[0] ? om->producer_name : "onnx");
    snprintf(version, sizeof version, "%s", om->producer_version);
    lp__graph *g = NULL;
    lp__dim_bindings dims = lp__onnx_dims_of(m);   /* the free dimensions a manifest binds */
    lp_status s = lp__graph_build_bound(om, &dims, &g, err);   /* takes the decoded model over */
    if (s != LP_OK) return s;
    m->graph = g;
    m->graph_source = malloc(len);
    m->feature_is_cat = calloc(g->n_features + 1, 1);
    m->base_margin = calloc(g->n_outputs, sizeof *m->base_margin);
    if (!m->graph_source || !m->feature_is_cat || !m->base_margin) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    m->n_groups = g->n_outputs;
    if ((s = adopt_graph_inputs(m, g, bytes, len, err)) != LP_OK) return s;
    m->best_iteration = -1;
    set_link(m, lp__onnx_scores_of(&g->source, g->values[g->output].name), g->n_outputs);
    copy_str(m->format, sizeof m->format, "onnx");
    copy_str(m->booster, sizeof m->booster, "dense");
    copy_str(m->producer_name, sizeof m->producer_name, producer);
    copy_str(m->producer_version, sizeof m->producer_version, version);
    if ((s = lp__model_set_outputs(m, LP_TASK_AUTO, err)) != LP_OK) return s;
#ifndef LP_NO_TEXT
    if ((s = attach_text_graph(m, g, err)) != LP_OK) return s;
#endif
    return m->native_task == LP_TASK_REGRESSION ? LP_OK : dense_labels(&g->source, m, err);
}

/* ---- trees after encoders ---------------------------------------------------------------- */

/* The one tree ensemble of the graph, or NULL (err filled when several). */
static const lp__onnx_node *the_ensemble(const lp__onnx_model *om, lp_error *err)
{
    const lp__onnx_node *ensemble = NULL;
    for (size_t i = 0; i < om->n_nodes; i++) {
        if (!is_ensemble(&om->nodes[i])) continue;
        if (ensemble) {
            lp__fail(err, LP_ERR_UNSUPPORTED, "this ONNX model has several tree ensembles (\"%s\", \"%s\"); one is "
                     "supported", ensemble->name, om->nodes[i].name);
            return NULL;
        }
        ensemble = &om->nodes[i];
    }
    if (!ensemble) lp__fail(err, BAD, "this ONNX model has no tree ensemble");
    return ensemble;
}

/* Whether every node is tree plumbing (Identity, Cast, Concat, ZipMap,
 * FeatureVectorizer) and every input float or double: then the trees read
 * the graph inputs directly.  A string input Cast to numbers goes through
 * the graph instead, which reads its text as onnxruntime does
 * (ops/cast_string.c), and so does an int64, int32 or bool input, whose
 * cells the graph checks as it feeds them (a 1.5 or an empty cell in an
 * int64 column is refused naming the row and column, lp__graph_run). */
static int only_plumbing(const lp__onnx_model *om)
{
    for (size_t i = 0; i < om->n_inputs; i++)
        if (om->inputs[i].type.kind == LP_ONNX_KIND_TENSOR && om->inputs[i].type.elem != LP_ONNX_FLOAT &&
            om->inputs[i].type.elem != LP_ONNX_DOUBLE)
            return 0;
    for (size_t i = 0; i < om->n_nodes; i++)
        if (!tree_plumbing_supported(&om->nodes[i], NULL)) return 0;
    return 1;
}

/* Marks the nodes the value `name` is computed by (a reverse pass: nodes
 * are in topological order). */
static lp_status mark_upstream(const lp__onnx_model *om, const graph_index *g, const char *name, uint8_t *upstream,
                               lp_error *err)
{
    uint8_t *wanted = calloc(g->n + 1, 1);
    if (!wanted) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    const value_def *d = lookup(g, name);
    if (d) wanted[d - g->defs] = 1;
    for (size_t i = om->n_nodes; i-- > 0;) {
        const lp__onnx_node *n = &om->nodes[i];
        for (size_t o = 0; o < n->n_outputs && !upstream[i]; o++) {
            const value_def *od = n->outputs[o][0] ? lookup(g, n->outputs[o]) : NULL;
            upstream[i] = od && wanted[od - g->defs];
        }
        for (size_t k = 0; upstream[i] && k < n->n_inputs; k++) {
            const value_def *id = n->inputs[k][0] ? lookup(g, n->inputs[k]) : NULL;
            if (id) wanted[id - g->defs] = 1;
        }
    }
    free(wanted);
    return LP_OK;
}

lp_status lp__onnx_feature_graph(lp__onnx_model *om, lp__graph **out, const lp__onnx_node **ensemble,
                                 lp_error *err)
{
    *out = NULL;
    graph_index gi = {NULL, 0};
    uint8_t *other = calloc(om->n_nodes + 1, 1);
    const lp__onnx_node *e = NULL;
    lp_status s = other ? index_graph(om, &gi, err) : lp__fail(err, LP_ERR_NOMEM, "out of memory");
    if (s == LP_OK && !(e = the_ensemble(om, err))) s = err->code;
    if (s == LP_OK && e->n_inputs != 1) s = lp__fail(err, BAD, "ONNX node \"%s\" needs exactly one input", e->name);
    if (s == LP_OK) s = mark_upstream(om, &gi, e->inputs[0], other, err);
    /* What follows the trees may only pass their scores on (ZipMap, the
     * label's Identity or Cast): anything else would change them unseen. */
    for (size_t i = 0; s == LP_OK && i < om->n_nodes; i++) other[i] = !other[i];
    if (s == LP_OK) s = lp__onnx_report_unsupported(om, other, tree_plumbing_supported, NULL, err);
    const char *target = s == LP_OK ? e->inputs[0] : NULL;
    free(other);
    free(gi.defs);
    if (s != LP_OK) {
        lp__onnx_model_free(om);
        return s;
    }
    /* The graph takes the decoded model over; its arrays (and so `e` and
     * `target`) stay where they are, owned by the graph. */
    s = lp__graph_build_features(om, target, out, err);
    /* onnxruntime's TreeEnsembleClassifier takes int64 and int32 rows (it
     * compares them with its float thresholds), its TreeEnsembleRegressor
     * float or double only: such a model does not load there either. */
    int32_t dtype = s == LP_OK ? (*out)->values[(*out)->output].dtype : LP_ONNX_FLOAT;
    if (s == LP_OK && dtype != LP_ONNX_FLOAT && strcmp(e->op_type, "TreeEnsembleRegressor") == 0) {
        s = lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\" (TreeEnsembleRegressor) reads %s values (\"%s\"); "
                     "it takes float or double, as onnxruntime's does (a Cast to float before it is supported)",
                     e->name, lp__onnx_dtype_name(dtype), target);
        lp__graph_free(*out);
        *out = NULL;
    }
    if (s == LP_OK) *ensemble = e;
    return s;
}

/* A tree ensemble on features the graph computes (a ColumnTransformer's
 * OneHotEncoder and StandardScaler before a RandomForest): the graph runs up
 * to the ensemble's input, the trees run on its [N, F] output
 * (lp__predict_batch).  The CSV columns are the graph's inputs. */
static lp_status build_encoded_trees(lp__onnx_model *om, const uint8_t *bytes, size_t len, lp_model *m,
                                     lp_error *err)
{
    char producer[32], version[24];
    snprintf(producer, sizeof producer, "%s", om->producer_name[0] ? om->producer_name : "onnx");
    snprintf(version, sizeof version, "%s", om->producer_version);
    lp__graph *g = NULL;
    const lp__onnx_node *ensemble = NULL;
    lp_status s = lp__onnx_feature_graph(om, &g, &ensemble, err);
    if (s != LP_OK) return s;
    m->graph = g;
    m->graph_source = malloc(len);
    m->feature_is_cat = calloc(g->n_features + 1, 1);
    if (!m->graph_source || !m->feature_is_cat) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    if ((s = adopt_graph_inputs(m, g, bytes, len, err)) != LP_OK) return s;
    if ((s = lp__onnx_trees_lower(ensemble, g->n_outputs, 0, m, err)) != LP_OK) return s;
    m->best_iteration = -1;
    copy_str(m->format, sizeof m->format, "onnx");
    snprintf(m->objective, sizeof m->objective, "%s", ensemble->op_type);
    copy_str(m->booster, sizeof m->booster, "tree ensemble");
    copy_str(m->producer_name, sizeof m->producer_name, producer);
    copy_str(m->producer_version, sizeof m->producer_version, version);
#ifndef LP_NO_TEXT
    /* TF-IDF before the trees: the text column feeds the graph, the trees
     * run on its features (text_batch.c) */
    if ((s = attach_text_graph(m, g, err)) != LP_OK) return s;
#endif
    return LP_OK;
}

static int has_tree_ensemble(const lp__onnx_model *om)
{
    for (size_t i = 0; i < om->n_nodes; i++)
        if (is_ensemble(&om->nodes[i])) return 1;
    return 0;
}

/* Whether the ensembles run as operators of the dense graph
 * (onnx_tree_op.c) instead of as the model's forest: every ensemble is a
 * regressor, and there are several, or one aggregates by MIN or MAX, or a
 * node other than Identity, Cast or ZipMap reads its scores (a Softmax over
 * the targets).  -1: out of memory. */
static int trees_in_graph(const lp__onnx_model *om)
{
    size_t n_ensembles = 0, n_marked = 0;
    int min_max = 0, transformed = 0;
    const char **marked = calloc(om->n_nodes * 4 + 1, sizeof *marked);   /* the scores and their copies */
    if (!marked) return -1;
    for (size_t i = 0; i < om->n_nodes && !transformed; i++) {
        const lp__onnx_node *n = &om->nodes[i];
        int reads_scores = 0;
        for (size_t k = 0; k < n->n_inputs; k++)
            for (size_t j = 0; j < n_marked; j++) reads_scores |= n->inputs[k][0] && strcmp(n->inputs[k], marked[j]) == 0;
        int passes = lp__onnx_is_default(n) && (strcmp(n->op_type, "Identity") == 0 || strcmp(n->op_type, "Cast") == 0);
        if (reads_scores && !passes && !(is_ml(n) && strcmp(n->op_type, "ZipMap") == 0)) transformed = 1;
        if (is_ensemble(n)) {
            if (strcmp(n->op_type, "TreeEnsembleClassifier") == 0) {
                free(marked);
                return 0;
            }
            n_ensembles++;
            const lp__onnx_attr *agg = lp__onnx_attr_find(n, "aggregate_function");
            if (agg && agg->type == LP_ONNX_ATTR_STRING)
                min_max |= (agg->s.len == 3 && (!memcmp(agg->s.data, "MIN", 3) || !memcmp(agg->s.data, "MAX", 3)));
            if (agg && agg->type == LP_ONNX_ATTR_INT) min_max |= agg->i == 2 || agg->i == 3;   /* opset 5 */
        }
        if ((is_ensemble(n) || (reads_scores && passes)) && n_marked + n->n_outputs <= om->n_nodes * 4)
            for (size_t o = 0; o < n->n_outputs; o++) marked[n_marked++] = n->outputs[o];
    }
    free(marked);
    return n_ensembles > 1 || min_max || transformed;
}

lp_status lp__onnx_load(const uint8_t *bytes, size_t len, lp_model **out, lp_error *err)
{
    return lp__onnx_load_limited(bytes, len, NULL, out, err);
}

lp_status lp__onnx_load_limited(const uint8_t *bytes, size_t len, const lp__onnx_limits *limits, lp_model **out,
                                lp_error *err)
{
    return lp__onnx_load_opts(bytes, len, limits, NULL, out, err);
}

lp_status lp__onnx_load_opts(const uint8_t *bytes, size_t len, const lp__onnx_limits *limits,
                             const lp_load_options *opts, lp_model **out, lp_error *err)
{
    lp__onnx_model om;
    lp_status s = lp__onnx_decode_limited(bytes, len, limits, &om, err);
    if (s != LP_OK) return s;
    lp_model *m = lp__model_new();
    if (!m) s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
    /* A manifest kept in metadata_props under "localpredict" (applied under the caller's). */
    for (size_t i = 0; m && i < om.n_metadata; i++)
        if (strcmp(om.metadata_keys[i], "localpredict") == 0 && !m->embedded_manifest &&
            !(m->embedded_manifest = lp__strndup(om.metadata_values[i], strlen(om.metadata_values[i]))))
            s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
    int in_graph = s == LP_OK && has_tree_ensemble(&om) ? trees_in_graph(&om) : 0;
    if (in_graph < 0) s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
    int dense = !has_tree_ensemble(&om) || in_graph;
    if (s == LP_OK && dense) s = lp__embedding_bag_rewrite(&om, err);   /* its inputs become [rows, L] */
    if (s == LP_OK && dense) s = lp__onnx_dims_collect(&om, opts, m, err);
    if (s == LP_OK)
        s = dense                ? build_dense(&om, bytes, len, m, err)
            : only_plumbing(&om) ? build_trees(&om, m, err)
                                 : build_encoded_trees(&om, bytes, len, m, err);
    lp__onnx_model_free(&om);   /* a no-op when the graph took it over */
    if (s != LP_OK) {
        lp_model_destroy(m);
        return s;
    }
    *out = m;
    return LP_OK;
}
