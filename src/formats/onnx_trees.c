/* onnx_trees.c — TreeEnsembleClassifier / TreeEnsembleRegressor → forest;
 * see onnx_trees.h.  Scoring follows onnxruntime
 * (core/providers/cpu/ml/tree_ensemble_aggregator.h, ml_common.h), the
 * runtime these files are written for: per class, leaves are summed from 0
 * in tree order, then divided by the tree count (AVERAGE), then base_values
 * added, then post_transform applied; a two-class classifier that scores
 * only class 0 emits [1-σ(s), σ(s)] under LOGISTIC, else [1-s, s] when
 * every weight is >= 0 and [-s, s] otherwise (onnxruntime 1.30, measured by
 * the binary_* fixtures; older releases skipped LOGISTIC for all-positive
 * weights, onnxruntime issue 27533). */
#include "onnx_trees.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "forest_check.h"

#define BAD LP_ERR_BAD_MODEL

typedef enum { MODE_LEAF, MODE_LT, MODE_LEQ, MODE_GT, MODE_GTE, MODE_EQ, MODE_NEQ, MODE_MEMBER } node_mode;

/* One ONNX node, indexed as the attribute arrays are. */
typedef struct onnx_tree_node {
    int64_t  tree, id;
    int      mode;           /* node_mode */
    int64_t  feature;
    double   value;          /* a float32 value, or (double input) the rank code of a double */
    uint32_t member_first, member_count;   /* BRANCH_MEMBER: its set in members[], sorted */
    int64_t  true_id, false_id;
    int      nan_true;       /* NaN takes the true branch */
    uint32_t true_ix, false_ix;   /* resolved indices */
    uint32_t weights, n_weights;  /* this leaf's range in the sorted weight list */
} onnx_tree_node;

typedef struct leaf_weight {
    uint32_t node;           /* index into nodes */
    uint32_t target;
    float    value;
} leaf_weight;

typedef struct lowering {
    const lp__onnx_node *node;
    lp_error       *err;
    int             v5;           /* TreeEnsemble (ai.onnx.ml opset 5) */
    int             exact;        /* the input is double: compare as doubles, through ranks */
    double         *members;      /* BRANCH_MEMBER sets, one after the other */
    double         *values;       /* thresholds as read (freed at the end) */
    double         *leaf_values;  /* leaf weights as read (freed at the end) */
    size_t          n_members;
    size_t          n_nodes, n_weights, n_targets, n_features;
    size_t          n_sorted;     /* nodes in tree_first (opset 5 leaves out unreached branches) */
    onnx_tree_node *nodes;
    leaf_weight    *weights;
    uint32_t       *tree_first;   /* sorted node order: nodes of each tree together */
    uint32_t       *visited;      /* per node: stamp of the last tree emission that reached it */
    uint32_t        stamps;       /* the last stamp handed out */
    size_t          node_budget;  /* forest nodes this ensemble may expand into */
    int            *aggregate;    /* NULL: MIN and MAX refused; else where the aggregate goes (lower_op) */
    /* output forest under construction */
    lp__forest     *f;
    size_t          cap_nodes, n_out_trees, cap_trees;
    uint32_t       *tree_end;
} lowering;

static lp_status attr_fail(const lowering *L, const char *attr, const char *what)
{
    return lp__fail(L->err, BAD, "ONNX node \"%s\" (%s): attribute %s %s", L->node->name, L->node->op_type,
                    attr, what);
}

/* A list attribute of the given type; absent → count 0 (the caller decides
 * whether that is allowed). */
static const lp__onnx_attr *list_attr(const lowering *L, const char *name, int type, lp_status *s)
{
    const lp__onnx_attr *a = lp__onnx_attr_find(L->node, name);
    if (!a) return NULL;
    if (a->type != type) {
        *s = attr_fail(L, name, type == LP_ONNX_ATTR_INTS ? "must be a list of integers"
                                : type == LP_ONNX_ATTR_FLOATS ? "must be a list of floats" : "must be a list of strings");
        return NULL;
    }
    return a;
}

static const char *string_attr(const lowering *L, const char *name, const char *dflt)
{
    const lp__onnx_attr *a = lp__onnx_attr_find(L->node, name);
    return a && a->type == LP_ONNX_ATTR_STRING ? a->s.data : dflt;
}

/* A list of numbers given as a float list (`list_name`) or as a float or
 * double tensor (`tensor_name`, NULL when the operator has none), copied into
 * doubles (*out, malloc'ed; NULL and count 0 when both are absent).  Double
 * values need a double input, as in onnxruntime, which compares in the
 * input's precision and refuses double attributes on a float input. */
static lp_status read_values(const lowering *L, const char *list_name, const char *tensor_name, double **out,
                             size_t *count)
{
    lp_status s = LP_OK;
    *out = NULL;
    *count = 0;
    const lp__onnx_attr *list = list_name ? list_attr(L, list_name, LP_ONNX_ATTR_FLOATS, &s) : NULL;
    if (s != LP_OK) return s;
    const lp__onnx_attr *ta = tensor_name ? lp__onnx_attr_find(L->node, tensor_name) : NULL;
    const lp__onnx_tensor *t = NULL;
    if (!list && ta) {
        if (ta->type != LP_ONNX_ATTR_TENSOR || !ta->t) return attr_fail(L, tensor_name, "must be a tensor");
        t = ta->t;
        if (t->dtype != LP_ONNX_FLOAT && t->dtype != LP_ONNX_DOUBLE)
            return attr_fail(L, tensor_name, "must hold float or double values");
        if (t->dtype == LP_ONNX_DOUBLE && !L->exact)
            return lp__fail(L->err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\" (%s): attribute %s holds doubles but the "
                            "trees read a float input (onnxruntime refuses this too: double thresholds and weights "
                            "need a double input)", L->node->name, L->node->op_type, tensor_name);
    }
    if (!list && !t) return LP_OK;
    size_t n = list ? list->count : t->count;
    *out = malloc((n ? n : 1) * sizeof **out);
    if (!*out) return lp__fail(L->err, LP_ERR_NOMEM, "out of memory reading %zu values", n);
    for (size_t i = 0; i < n; i++)
        (*out)[i] = list ? list->floats[i] : t->dtype == LP_ONNX_FLOAT ? ((const float *)t->data)[i]
                                                                       : ((const double *)t->data)[i];
    *count = n;
    return LP_OK;
}

static int parse_mode(const lp__onnx_bytes *s)
{
    static const struct { const char *name; int mode; } modes[] = {
        {"LEAF", MODE_LEAF}, {"BRANCH_LT", MODE_LT}, {"BRANCH_LEQ", MODE_LEQ}, {"BRANCH_GT", MODE_GT},
        {"BRANCH_GTE", MODE_GTE}, {"BRANCH_EQ", MODE_EQ}, {"BRANCH_NEQ", MODE_NEQ},
    };
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
        if (strcmp(s->data, modes[i].name) == 0) return modes[i].mode;
    return -1;
}

/* Orders nodes by (tree, id) and weights by (node, target), so lookups are
 * binary searches and trees come out in ascending tree id, as onnxruntime
 * sums them. */
static int cmp_node(const void *a, const void *b, const onnx_tree_node *nodes)
{
    const onnx_tree_node *x = &nodes[*(const uint32_t *)a], *y = &nodes[*(const uint32_t *)b];
    if (x->tree != y->tree) return x->tree < y->tree ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static const onnx_tree_node *sort_base;
static int cmp_node_ix(const void *a, const void *b) { return cmp_node(a, b, sort_base); }

static int cmp_weight(const void *a, const void *b)
{
    const leaf_weight *x = a, *y = b;
    if (x->node != y->node) return x->node < y->node ? -1 : 1;
    return x->target < y->target ? -1 : x->target > y->target;
}

/* Index (into nodes) of (tree, id), or UINT32_MAX. */
static uint32_t find_node(const lowering *L, int64_t tree, int64_t id)
{
    size_t lo = 0, hi = L->n_sorted;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const onnx_tree_node *n = &L->nodes[L->tree_first[mid]];
        if (n->tree < tree || (n->tree == tree && n->id < id)) lo = mid + 1;
        else hi = mid;
    }
    if (lo < L->n_sorted) {
        const onnx_tree_node *n = &L->nodes[L->tree_first[lo]];
        if (n->tree == tree && n->id == id) return L->tree_first[lo];
    }
    return UINT32_MAX;
}

/* ---- reading the attributes --------------------------------------------------------- */

static lp_status link_nodes(lowering *L);
static lp_status group_weights(lowering *L);

static lp_status read_nodes(lowering *L)
{
    lp_status s = LP_OK;
    static const char *const int_names[] = {"nodes_treeids", "nodes_nodeids", "nodes_featureids",
                                            "nodes_truenodeids", "nodes_falsenodeids"};
    const lp__onnx_attr *ints[5];
    for (int i = 0; i < 5; i++) {
        ints[i] = list_attr(L, int_names[i], LP_ONNX_ATTR_INTS, &s);
        if (s != LP_OK) return s;
        if (!ints[i]) return attr_fail(L, int_names[i], "is missing");
    }
    const lp__onnx_attr *modes = list_attr(L, "nodes_modes", LP_ONNX_ATTR_STRINGS, &s);
    const lp__onnx_attr *tracks = list_attr(L, "nodes_missing_value_tracks_true", LP_ONNX_ATTR_INTS, &s);
    if (s != LP_OK) return s;
    size_t n_values = 0;
    if ((s = read_values(L, "nodes_values", "nodes_values_as_tensor", &L->values, &n_values)) != LP_OK) return s;
    const double *values = L->values;
    if (!values) return attr_fail(L, "nodes_values", "is missing");
    if (!modes) return attr_fail(L, "nodes_modes", "is missing");
    size_t n = ints[0]->count;
    for (int i = 1; i < 5; i++)
        if (ints[i]->count != n) return attr_fail(L, int_names[i], "has a different length than nodes_treeids");
    if (n_values != n) return attr_fail(L, "nodes_values", "has a different length than nodes_treeids");
    if (modes->count != n) return attr_fail(L, "nodes_modes", "has a different length than nodes_treeids");
    if (tracks && tracks->count != n && tracks->count != 0)
        return attr_fail(L, "nodes_missing_value_tracks_true", "has a different length than nodes_treeids");
    if (n == 0) return attr_fail(L, "nodes_treeids", "is empty: the ensemble has no trees");
    if (n > LP_MAX_NODES) return lp__fail(L->err, LP_ERR_LIMIT, "the ensemble has %zu nodes (at most %u)", n, LP_MAX_NODES);

    L->n_nodes = n;
    L->nodes = calloc(n, sizeof *L->nodes);
    L->tree_first = malloc(n * sizeof *L->tree_first);
    if (!L->nodes || !L->tree_first) return lp__fail(L->err, LP_ERR_NOMEM, "out of memory reading %zu tree nodes", n);
    for (size_t i = 0; i < n; i++) {
        onnx_tree_node *t = &L->nodes[i];
        t->tree = ints[0]->ints[i];
        t->id = ints[1]->ints[i];
        t->feature = ints[2]->ints[i];
        t->true_id = ints[3]->ints[i];
        t->false_id = ints[4]->ints[i];
        t->value = values[i];
        t->nan_true = tracks && tracks->count ? tracks->ints[i] != 0 : 0;
        t->mode = parse_mode(&modes->strings[i]);
        if (t->mode < 0)
            return lp__fail(L->err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\": tree %lld node %lld has mode \"%s\" "
                            "(supported: BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT, BRANCH_EQ, BRANCH_NEQ, LEAF)",
                            L->node->name, (long long)t->tree, (long long)t->id, modes->strings[i].data);
        if (t->mode != MODE_LEAF && (t->feature < 0 || (uint64_t)t->feature >= L->n_features))
            return lp__fail(L->err, BAD, "ONNX node \"%s\": tree %lld node %lld splits on feature %lld, but the "
                            "input has %zu features", L->node->name, (long long)t->tree, (long long)t->id,
                            (long long)t->feature, L->n_features);
        if (t->mode != MODE_LEAF && (t->value != t->value || isinf(t->value)))
            return lp__fail(L->err, BAD, "ONNX node \"%s\": tree %lld node %lld has threshold %g",
                            L->node->name, (long long)t->tree, (long long)t->id, (double)t->value);
        L->tree_first[i] = (uint32_t)i;
    }
    L->n_sorted = n;
    return link_nodes(L);
}

/* Sorts the nodes by (tree, id), checks ids are unique per tree and resolves
 * the children to indices. */
static lp_status link_nodes(lowering *L)
{
    size_t n = L->n_sorted;
    sort_base = L->nodes;
    qsort(L->tree_first, n, sizeof *L->tree_first, cmp_node_ix);
    for (size_t i = 1; i < n; i++) {
        const onnx_tree_node *a = &L->nodes[L->tree_first[i - 1]], *b = &L->nodes[L->tree_first[i]];
        if (a->tree == b->tree && a->id == b->id)
            return lp__fail(L->err, BAD, "ONNX node \"%s\": tree %lld has two nodes with id %lld", L->node->name,
                            (long long)a->tree, (long long)a->id);
    }
    for (size_t i = 0; i < n; i++) {
        onnx_tree_node *t = &L->nodes[L->tree_first[i]];
        if (t->mode == MODE_LEAF) continue;
        t->true_ix = find_node(L, t->tree, t->true_id);
        t->false_ix = find_node(L, t->tree, t->false_id);
        if (t->true_ix == UINT32_MAX || t->false_ix == UINT32_MAX)
            return lp__fail(L->err, BAD, "ONNX node \"%s\": tree %lld node %lld points to node %lld, which tree "
                            "%lld does not have", L->node->name, (long long)t->tree, (long long)t->id,
                            (long long)(t->true_ix == UINT32_MAX ? t->true_id : t->false_id), (long long)t->tree);
    }
    return LP_OK;
}

/* class_* (classifier) or target_* (regressor) weights, attached to leaves. */
static lp_status read_weights(lowering *L, const char *prefix)
{
    lp_status s = LP_OK;
    char names[4][40];
    static const char *const suffix[4] = {"treeids", "nodeids", "ids", "weights"};
    for (int i = 0; i < 4; i++) snprintf(names[i], sizeof names[i], "%s_%s", prefix, suffix[i]);
    const lp__onnx_attr *trees = list_attr(L, names[0], LP_ONNX_ATTR_INTS, &s);
    const lp__onnx_attr *ids = list_attr(L, names[1], LP_ONNX_ATTR_INTS, &s);
    const lp__onnx_attr *targets = list_attr(L, names[2], LP_ONNX_ATTR_INTS, &s);
    if (s != LP_OK) return s;
    char tensor_name[48];
    snprintf(tensor_name, sizeof tensor_name, "%s_weights_as_tensor", prefix);
    size_t n_w = 0;
    if ((s = read_values(L, names[3], tensor_name, &L->leaf_values, &n_w)) != LP_OK) return s;
    for (int i = 0; i < 3; i++) {
        const lp__onnx_attr *a = i == 0 ? trees : i == 1 ? ids : targets;
        if (!a) return attr_fail(L, names[i], "is missing");
        if (a->count != trees->count) return attr_fail(L, names[i], "has a different length than the other weight lists");
    }
    if (!L->leaf_values) return attr_fail(L, names[3], "is missing");
    if (n_w != trees->count) return attr_fail(L, names[3], "has a different length than the other weight lists");
    L->n_weights = trees->count;
    L->weights = malloc((L->n_weights ? L->n_weights : 1) * sizeof *L->weights);
    if (!L->weights) return lp__fail(L->err, LP_ERR_NOMEM, "out of memory reading %zu leaf weights", L->n_weights);
    for (size_t j = 0; j < L->n_weights; j++) {
        uint32_t ix = find_node(L, trees->ints[j], ids->ints[j]);
        if (ix == UINT32_MAX || L->nodes[ix].mode != MODE_LEAF)
            return lp__fail(L->err, BAD, "ONNX node \"%s\": weight %zu is for tree %lld node %lld, which is not a "
                            "leaf of the ensemble", L->node->name, j, (long long)trees->ints[j], (long long)ids->ints[j]);
        if (targets->ints[j] < 0 || (uint64_t)targets->ints[j] >= L->n_targets)
            return lp__fail(L->err, BAD, "ONNX node \"%s\": weight %zu is for output %lld of %zu", L->node->name, j,
                            (long long)targets->ints[j], L->n_targets);
        L->weights[j] = (leaf_weight){ix, (uint32_t)targets->ints[j], (float)L->leaf_values[j]};
    }
    return group_weights(L);
}

/* Sorts the weights by (leaf, target) and gives each leaf its range. */
static lp_status group_weights(lowering *L)
{
    qsort(L->weights, L->n_weights, sizeof *L->weights, cmp_weight);
    for (size_t j = 0; j < L->n_weights;) {
        size_t k = j;
        while (k < L->n_weights && L->weights[k].node == L->weights[j].node) k++;
        L->nodes[L->weights[j].node].weights = (uint32_t)j;
        L->nodes[L->weights[j].node].n_weights = (uint32_t)(k - j);
        j = k;
    }
    return LP_OK;
}


/* ---- TreeEnsemble (ai.onnx.ml opset 5) ---------------------------------------------- */

/* nodes_modes codes of opset 5, in order. */
static const int v5_modes[] = {MODE_LEQ, MODE_LT, MODE_GTE, MODE_GT, MODE_EQ, MODE_NEQ, MODE_MEMBER};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* membership_values: one NaN-terminated set per BRANCH_MEMBER node, in node
 * order (the last NaN may be left out).  Each set is sorted and made
 * distinct in place. */
static lp_status read_member_sets(lowering *L, const uint8_t *modes, size_t n)
{
    size_t pos = 0;
    for (size_t b = 0; b < n; b++) {
        if (modes[b] != 6) continue;
        onnx_tree_node *t = &L->nodes[b];
        size_t start = pos;
        while (pos < L->n_members && L->members[pos] == L->members[pos]) {
            if (isinf(L->members[pos]))
                return lp__fail(L->err, BAD, "ONNX node \"%s\": node %zu has the membership value %g", L->node->name,
                                b, L->members[pos]);
            pos++;
        }
        if (pos == start)
            return lp__fail(L->err, BAD, "ONNX node \"%s\": node %zu is BRANCH_MEMBER but membership_values holds "
                            "no set for it", L->node->name, b);
        qsort(L->members + start, pos - start, sizeof *L->members, cmp_double);
        size_t k = start + 1;
        for (size_t i = start + 1; i < pos; i++)
            if (L->members[i] != L->members[k - 1]) L->members[k++] = L->members[i];
        t->member_first = (uint32_t)start;
        t->member_count = (uint32_t)(k - start);
        if (pos < L->n_members) pos++;   /* the NaN that ends the set */
    }
    return LP_OK;
}

/* Nodes and leaves live in two shared lists, and a tree is what its root
 * reaches.  They are read into the same (tree, id) nodes the older operators
 * give: branch b of tree t keeps id b, and each reference to a leaf becomes a
 * leaf node of its own (ids after the branches) carrying that leaf's one
 * weight. */
static lp_status read_v5(lowering *L)
{
    lp_status s = LP_OK;
    enum { FEAT, TRUE_ID, TRUE_LEAF, FALSE_ID, FALSE_LEAF, LEAF_TARGET, ROOTS, N_INT };
    static const char *const names[N_INT] = {"nodes_featureids", "nodes_truenodeids", "nodes_trueleafs",
                                             "nodes_falsenodeids", "nodes_falseleafs", "leaf_targetids", "tree_roots"};
    const lp__onnx_attr *a[N_INT];
    for (int i = 0; i < N_INT; i++) {
        a[i] = list_attr(L, names[i], LP_ONNX_ATTR_INTS, &s);
        if (s != LP_OK) return s;
        if (!a[i]) return attr_fail(L, names[i], "is missing");
    }
    const lp__onnx_attr *tracks = list_attr(L, "nodes_missing_value_tracks_true", LP_ONNX_ATTR_INTS, &s);
    if (s != LP_OK) return s;
    const lp__onnx_attr *ma = lp__onnx_attr_find(L->node, "nodes_modes");
    if (!ma || ma->type != LP_ONNX_ATTR_TENSOR || !ma->t || ma->t->dtype != LP_ONNX_UINT8)
        return attr_fail(L, "nodes_modes", "must be a uint8 tensor");
    size_t n_splits = 0, n_leaves = 0;
    if ((s = read_values(L, NULL, "nodes_splits", &L->values, &n_splits)) != LP_OK ||
        (s = read_values(L, NULL, "leaf_weights", &L->leaf_values, &n_leaves)) != LP_OK ||
        (s = read_values(L, NULL, "membership_values", &L->members, &L->n_members)) != LP_OK)
        return s;
    if (!L->values) return attr_fail(L, "nodes_splits", "is missing");
    if (!L->leaf_values) return attr_fail(L, "leaf_weights", "is missing");
    size_t n = a[FEAT]->count;
    const uint8_t *modes = ma->t->data;
    for (int i = TRUE_ID; i <= FALSE_LEAF; i++)
        if (a[i]->count != n) return attr_fail(L, names[i], "has a different length than nodes_featureids");
    if (ma->t->count != n) return attr_fail(L, "nodes_modes", "has a different length than nodes_featureids");
    if (n_splits != n) return attr_fail(L, "nodes_splits", "has a different length than nodes_featureids");
    if (tracks && tracks->count != n && tracks->count != 0)
        return attr_fail(L, "nodes_missing_value_tracks_true", "has a different length than nodes_featureids");
    if (a[LEAF_TARGET]->count != n_leaves) return attr_fail(L, "leaf_targetids", "has a different length than leaf_weights");
    if (n == 0 || a[ROOTS]->count == 0) return attr_fail(L, "tree_roots", "is empty: the ensemble has no trees");
    if (n > LP_MAX_NODES / 3) return lp__fail(L->err, LP_ERR_LIMIT, "the ensemble has %zu nodes (at most %u)", n, LP_MAX_NODES / 3);

    /* Room for every branch and two leaf references per branch. */
    L->nodes = calloc(3 * n, sizeof *L->nodes);
    L->tree_first = malloc(3 * n * sizeof *L->tree_first);
    L->weights = malloc(2 * n * sizeof *L->weights);
    int64_t *owner = malloc(n * sizeof *owner);
    uint32_t *stack = malloc(n * sizeof *stack);
    if (!L->nodes || !L->tree_first || !L->weights || !owner || !stack) {
        s = lp__fail(L->err, LP_ERR_NOMEM, "out of memory reading %zu tree nodes", n);
        goto out;
    }
    for (size_t b = 0; b < n; b++) {
        owner[b] = -1;
        onnx_tree_node *t = &L->nodes[b];
        if (modes[b] >= sizeof v5_modes / sizeof *v5_modes) {
            s = lp__fail(L->err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\": node %zu has mode %u (supported: 0 BRANCH_LEQ "
                         "to 6 BRANCH_MEMBER)", L->node->name, b, modes[b]);
            goto out;
        }
        t->mode = v5_modes[modes[b]];
        t->feature = a[FEAT]->ints[b];
        t->value = L->values[b];
        t->nan_true = tracks && tracks->count ? tracks->ints[b] != 0 : 0;
        if (t->feature < 0 || (uint64_t)t->feature >= L->n_features) {
            s = lp__fail(L->err, BAD, "ONNX node \"%s\": node %zu splits on feature %lld, but the input has %zu "
                         "features", L->node->name, b, (long long)t->feature, L->n_features);
            goto out;
        }
        if (t->mode != MODE_MEMBER && (t->value != t->value || isinf(t->value))) {
            s = lp__fail(L->err, BAD, "ONNX node \"%s\": node %zu has threshold %g", L->node->name, b, t->value);
            goto out;
        }
    }
    if ((s = read_member_sets(L, modes, n)) != LP_OK) goto out;

    size_t count = n;   /* nodes so far: the branches, then leaf references */
    for (size_t r = 0; r < a[ROOTS]->count; r++) {
        int64_t root = a[ROOTS]->ints[r];
        if (root < 0 || (uint64_t)root >= n || owner[root] >= 0) {
            s = lp__fail(L->err, BAD, "ONNX node \"%s\": tree_roots[%zu] = %lld is %s", L->node->name, r,
                         (long long)root, root < 0 || (uint64_t)root >= n ? "not a node" : "already in another tree");
            goto out;
        }
        size_t top = 0;
        owner[root] = (int64_t)r;
        stack[top++] = (uint32_t)root;
        while (top) {
            uint32_t b = stack[--top];
            onnx_tree_node *t = &L->nodes[b];
            t->tree = (int64_t)r;
            t->id = b;
            for (int side = 0; side < 2; side++) {
                int64_t child = a[side ? FALSE_ID : TRUE_ID]->ints[b];
                int to_leaf = a[side ? FALSE_LEAF : TRUE_LEAF]->ints[b] != 0;
                int64_t *dest = side ? &t->false_id : &t->true_id;
                if (to_leaf) {
                    if (child < 0 || (uint64_t)child >= n_leaves) {
                        s = lp__fail(L->err, BAD, "ONNX node \"%s\": node %u points to leaf %lld of %zu",
                                     L->node->name, b, (long long)child, n_leaves);
                        goto out;
                    }
                    int64_t target = a[LEAF_TARGET]->ints[child];
                    if (target < 0 || (uint64_t)target >= L->n_targets) {
                        s = lp__fail(L->err, BAD, "ONNX node \"%s\": leaf %lld is for target %lld of %zu",
                                     L->node->name, (long long)child, (long long)target, L->n_targets);
                        goto out;
                    }
                    onnx_tree_node *leaf = &L->nodes[count];
                    *leaf = (onnx_tree_node){.tree = (int64_t)r, .id = (int64_t)count, .mode = MODE_LEAF};
                    L->weights[L->n_weights++] = (leaf_weight){(uint32_t)count, (uint32_t)target,
                                                               (float)L->leaf_values[child]};
                    *dest = (int64_t)count++;
                } else {
                    if (child < 0 || (uint64_t)child >= n || owner[child] >= 0) {
                        s = lp__fail(L->err, BAD, "ONNX node \"%s\": node %u points to node %lld, which %s",
                                     L->node->name, b, (long long)child,
                                     child < 0 || (uint64_t)child >= n ? "does not exist"
                                                                       : "is reached twice (a cycle or a shared subtree)");
                        goto out;
                    }
                    owner[child] = (int64_t)r;
                    stack[top++] = (uint32_t)child;
                    *dest = child;
                }
            }
        }
    }
    /* Branches no root reaches are left out, as they are never evaluated. */
    size_t k = 0;
    for (size_t i = 0; i < count; i++)
        if (i >= n || owner[i] >= 0) L->tree_first[k++] = (uint32_t)i;
    L->n_nodes = count;
    L->n_sorted = k;
    if ((s = link_nodes(L)) == LP_OK) s = group_weights(L);
out:
    free(owner);
    free(stack);
    return s;
}


/* ---- a double input --------------------------------------------------------------------- */

/* onnxruntime compares a double input with double thresholds; the kernels
 * compare float32.  Per feature, the sorted distinct values its splits and
 * sets name become the feature's preparation (LP__PREP_RANK_EQ in
 * feature_prep.h: each input becomes a rank code in which t_i is 2i + 1), and
 * each node compares that code instead, so every mode stays exact. */
static lp_status rank_exact(lowering *L, lp_model *m)
{
    lp_status s = LP_OK;
    size_t nf = L->n_features;
    size_t *count = calloc(nf + 1, sizeof *count);
    m->prep = calloc(nf + 1, sizeof *m->prep);
    if (!count || !m->prep) {
        free(count);
        return lp__fail(L->err, LP_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < L->n_sorted; i++) {
        const onnx_tree_node *t = &L->nodes[L->tree_first[i]];
        if (t->mode != MODE_LEAF) count[t->feature] += t->mode == MODE_MEMBER ? t->member_count : 1;
    }
    for (size_t j = 0; j < nf && s == LP_OK; j++) {
        if (!count[j]) continue;
        m->prep[j].thresholds = malloc(count[j] * sizeof(double));
        if (!m->prep[j].thresholds) s = lp__fail(L->err, LP_ERR_NOMEM, "out of memory");
        m->prep[j].kind = LP__PREP_RANK_EQ;
    }
    for (size_t i = 0; i < L->n_sorted && s == LP_OK; i++) {
        const onnx_tree_node *t = &L->nodes[L->tree_first[i]];
        if (t->mode == MODE_LEAF) continue;
        lp__feature_prep *p = &m->prep[t->feature];
        if (t->mode != MODE_MEMBER) p->thresholds[p->n_thresholds++] = t->value;
        for (uint32_t k = 0; t->mode == MODE_MEMBER && k < t->member_count; k++)
            p->thresholds[p->n_thresholds++] = L->members[t->member_first + k];
    }
    for (size_t j = 0; j < nf && s == LP_OK; j++) {
        lp__feature_prep *p = &m->prep[j];
        if (!p->n_thresholds) continue;
        qsort(p->thresholds, p->n_thresholds, sizeof *p->thresholds, cmp_double);
        size_t k = 1;
        for (size_t i = 1; i < p->n_thresholds; i++)
            if (p->thresholds[i] != p->thresholds[k - 1]) p->thresholds[k++] = p->thresholds[i];
        p->n_thresholds = k;
        if (k >= (1u << 22)) s = lp__fail(L->err, LP_ERR_LIMIT, "feature %zu has more than 2^22 distinct thresholds", j);
    }
    for (size_t i = 0; i < L->n_sorted && s == LP_OK; i++) {
        onnx_tree_node *t = &L->nodes[L->tree_first[i]];
        if (t->mode == MODE_LEAF) continue;
        const lp__feature_prep *p = &m->prep[t->feature];
        if (t->mode != MODE_MEMBER) t->value = (double)(2 * lp__prep_threshold_index(p, t->value) + 1);
        for (uint32_t k = 0; t->mode == MODE_MEMBER && k < t->member_count; k++) {
            double *v = &L->members[t->member_first + k];
            *v = (double)(2 * lp__prep_threshold_index(p, *v) + 1);
        }
    }
    free(count);
    return s;
}

/* ---- emitting forest trees ---------------------------------------------------------- */

static lp_status grow(lowering *L, size_t extra_nodes)
{
    lp__forest *f = L->f;
    if (f->n_nodes + extra_nodes > L->node_budget)
        return lp__fail(L->err, LP_ERR_LIMIT, "ONNX node \"%s\": the trees expand into more than %zu nodes (each "
                        "class's trees are separated and BRANCH_EQ/NEQ splits copy a subtree)", L->node->name,
                        L->node_budget);
    if (f->n_nodes + extra_nodes > L->cap_nodes) {
        size_t cap = L->cap_nodes ? L->cap_nodes : 1024;
        while (cap < f->n_nodes + extra_nodes) cap *= 2;
        if (cap > LP_MAX_NODES)
            return lp__fail(L->err, LP_ERR_LIMIT, "the ensemble needs more than %u nodes once each class's trees are "
                            "separated", LP_MAX_NODES);
        lp__node *p = realloc(f->nodes, cap * sizeof *p);
        if (!p) return lp__fail(L->err, LP_ERR_NOMEM, "out of memory building %zu tree nodes", cap);
        f->nodes = p;
        L->cap_nodes = cap;
    }
    return LP_OK;
}

/* Sum of the leaf's weights for `target` (several entries add up, as in
 * onnxruntime). */
static float leaf_value(const lowering *L, const onnx_tree_node *n, uint32_t target)
{
    float v = 0;
    for (uint32_t j = n->weights; j < n->weights + n->n_weights; j++)
        if (L->weights[j].target == target) v += L->weights[j].value;
    return v;
}

static float next_up(float t) { return nextafterf(t, INFINITY); }


static lp_status emit(lowering *L, uint32_t ix, uint32_t target, unsigned depth, uint32_t stamp, int32_t *at);

/* Whether intervals lo..hi hold one of the given kind (odd = a member). */
static int holds_kind(uint32_t lo, uint32_t hi, int kind) { return hi > lo || (int)(lo & 1) == kind; }

/* BRANCH_MEMBER, x in {m_0 < … < m_{k-1}}: cutting the line at each m_j and
 * just above it gives 2k + 1 intervals, the odd ones the members.  A balanced
 * tree of `x < cut` nodes finds the interval, where the true (member) or
 * false subtree is emitted afresh; NaN is steered to an interval of the kind
 * nodes_missing_value_tracks_true names. */
static lp_status emit_member(lowering *L, const onnx_tree_node *n, uint32_t lo, uint32_t hi, uint32_t target,
                             unsigned depth, int32_t *at)
{
    if (lo == hi) return emit(L, (lo & 1) ? n->true_ix : n->false_ix, target, depth, ++L->stamps, at);
    lp_status s = grow(L, 1);
    if (s != LP_OK) return s;
    int32_t me = (int32_t)L->f->n_nodes++, left, right;
    *at = me;
    uint32_t mid = lo + (hi - lo) / 2;
    float m = (float)L->members[n->member_first + mid / 2];
    if ((s = emit_member(L, n, lo, mid, target, depth + 1, &left)) != LP_OK ||
        (s = emit_member(L, n, mid + 1, hi, target, depth + 1, &right)) != LP_OK)
        return s;
    int nan_left = holds_kind(lo, mid, n->nan_true);
    L->f->nodes[me] = (lp__node){.u.threshold = (mid & 1) ? next_up(m) : m,
                                 .feature = (uint32_t)n->feature | (nan_left ? LP__NODE_DEFAULT_LEFT : 0),
                                 .left = left, .right = right};
    return LP_OK;
}

/* Appends the subtree at ONNX node `ix` for `target`; returns its forest
 * index in *at.  Depth-first with an explicit stack would be longer; the
 * recursion is bounded by LP_MAX_TREE_DEPTH. */
static lp_status emit(lowering *L, uint32_t ix, uint32_t target, unsigned depth, uint32_t stamp, int32_t *at)
{
    const onnx_tree_node *n = &L->nodes[ix];
    if (depth > LP_MAX_TREE_DEPTH)
        return lp__fail(L->err, LP_ERR_LIMIT, "ONNX node \"%s\": tree %lld is deeper than %d levels", L->node->name,
                        (long long)n->tree, LP_MAX_TREE_DEPTH);
    /* Each node is reached once per emitted tree: a second visit is a cycle
     * or a shared subtree, which would also let a small file expand into an
     * exponential number of nodes. */
    if (L->visited[ix] == stamp)
        return lp__fail(L->err, BAD, "ONNX node \"%s\": tree %lld node %lld is reached twice (a cycle or a "
                        "shared subtree)", L->node->name, (long long)n->tree, (long long)n->id);
    L->visited[ix] = stamp;
    if (n->mode == MODE_MEMBER) return emit_member(L, n, 0, 2 * n->member_count, target, depth + 1, at);
    lp_status s = grow(L, 2);
    if (s != LP_OK) return s;
    lp__forest *f = L->f;
    int32_t me = (int32_t)f->n_nodes++;
    *at = me;
    if (n->mode == MODE_LEAF) {
        f->nodes[me] = (lp__node){.u.leaf = leaf_value(L, n, target), .feature = 0, .left = me, .right = me};
        return LP_OK;
    }
    int32_t t_at, f_at;
    if ((s = emit(L, n->true_ix, target, depth + 1, stamp, &t_at)) != LP_OK) return s;
    if ((s = emit(L, n->false_ix, target, depth + 1, stamp, &f_at)) != LP_OK) return s;

    /* Where NaN goes: the true branch when tracked, else where C's comparison
     * sends it (false; true for !=). */
    int nan_true = n->nan_true || n->mode == MODE_NEQ;
    uint32_t feature = (uint32_t)n->feature;
    switch (n->mode) {
    case MODE_LT: case MODE_LEQ:
        f->nodes[me] = (lp__node){.u.threshold = n->mode == MODE_LT ? (float)n->value : next_up((float)n->value),
                              .feature = feature | (nan_true ? LP__NODE_DEFAULT_LEFT : 0), .left = t_at, .right = f_at};
        break;
    case MODE_GTE: case MODE_GT:
        f->nodes[me] = (lp__node){.u.threshold = n->mode == MODE_GTE ? (float)n->value : next_up((float)n->value),
                              .feature = feature | (nan_true ? 0 : LP__NODE_DEFAULT_LEFT), .left = f_at, .right = t_at};
        break;
    case MODE_EQ: case MODE_NEQ: {
        /* First node: x < t goes "below" (EQ: false branch, NEQ: true);
         * else a second node, x < next_up(t), separates x == t from x > t
         * (which also goes "below").  NaN must end where nan_true says: at
         * "below" directly, or through the second node to "equal". */
        int32_t below = n->mode == MODE_EQ ? f_at : t_at, equal = n->mode == MODE_EQ ? t_at : f_at;
        int nan_below = (n->mode == MODE_EQ) ? !nan_true : 1;
        /* "below" is reached from both nodes, and forest trees share no
         * nodes: emit it a second time (its own visit stamp). */
        int32_t below_again;
        uint32_t below_ix = n->mode == MODE_EQ ? n->false_ix : n->true_ix;
        if ((s = grow(L, 1)) != LP_OK) return s;
        int32_t second = (int32_t)f->n_nodes++;
        if ((s = emit(L, below_ix, target, depth + 2, ++L->stamps, &below_again)) != LP_OK) return s;
        f->nodes[second] = (lp__node){.u.threshold = next_up((float)n->value),
                                      .feature = feature | (nan_below ? 0 : LP__NODE_DEFAULT_LEFT),
                                      .left = equal, .right = below_again};
        f->nodes[me] = (lp__node){.u.threshold = (float)n->value,
                                  .feature = feature | (nan_below ? LP__NODE_DEFAULT_LEFT : 0),
                                  .left = below, .right = second};
        break;
    }
    default: break;
    }
    return LP_OK;
}

/* ---- the node as a whole -------------------------------------------------------------- */

/* Which outputs tree `t` (nodes tree_first[lo..hi)) scores, as flags. */
static void tree_targets(const lowering *L, size_t lo, size_t hi, uint8_t *scored)
{
    memset(scored, 0, L->n_targets);
    for (size_t i = lo; i < hi; i++) {
        const onnx_tree_node *n = &L->nodes[L->tree_first[i]];
        for (uint32_t j = n->weights; j < n->weights + n->n_weights; j++) scored[L->weights[j].target] = 1;
    }
}

/* The root of the tree in tree_first[lo..hi): the one node no other points to. */
static lp_status tree_root(const lowering *L, size_t lo, size_t hi, uint8_t *is_child, uint32_t *root)
{
    for (size_t i = lo; i < hi; i++) {
        const onnx_tree_node *n = &L->nodes[L->tree_first[i]];
        if (n->mode != MODE_LEAF) is_child[n->true_ix] = is_child[n->false_ix] = 1;
    }
    size_t found = 0;
    for (size_t i = lo; i < hi; i++)
        if (!is_child[L->tree_first[i]]) {
            *root = L->tree_first[i];
            found++;
        }
    if (found != 1)
        return lp__fail(L->err, BAD, "ONNX node \"%s\": tree %lld has %zu roots (nodes no other node points to); "
                        "it needs exactly one", L->node->name, (long long)L->nodes[L->tree_first[lo]].tree, found);
    return LP_OK;
}

static lp_status push_tree(lowering *L, uint32_t group)
{
    lp__forest *f = L->f;
    if (L->n_out_trees == L->cap_trees) {
        size_t cap = L->cap_trees ? 2 * L->cap_trees : 256;
        uint32_t *roots = realloc(f->tree_root, cap * sizeof *roots);
        if (roots) f->tree_root = roots;
        uint32_t *groups = roots ? realloc(f->tree_group, cap * sizeof *groups) : NULL;
        if (groups) f->tree_group = groups;
        uint32_t *ends = groups ? realloc(L->tree_end, cap * sizeof *ends) : NULL;
        if (ends) L->tree_end = ends;
        if (!ends) return lp__fail(L->err, LP_ERR_NOMEM, "out of memory building %zu trees", cap);
        L->cap_trees = cap;
    }
    f->tree_root[L->n_out_trees] = (uint32_t)f->n_nodes;
    f->tree_group[L->n_out_trees] = group;
    return LP_OK;
}

/* Every (tree, scored output) pair becomes one forest tree, trees in
 * ascending id, outputs ascending within a tree. */
static lp_status emit_forest(lowering *L, uint32_t (*group_of)(uint32_t target), size_t *n_onnx_trees)
{
    lp_status s = LP_OK;
    uint8_t *scored = malloc(L->n_targets), *is_child = calloc(L->n_nodes, 1);
    L->visited = calloc(L->n_nodes, sizeof *L->visited);
    if (!scored || !is_child || !L->visited) s = lp__fail(L->err, LP_ERR_NOMEM, "out of memory");
    *n_onnx_trees = 0;
    for (size_t lo = 0; s == LP_OK && lo < L->n_sorted;) {
        size_t hi = lo;
        int64_t tree = L->nodes[L->tree_first[lo]].tree;
        while (hi < L->n_sorted && L->nodes[L->tree_first[hi]].tree == tree) hi++;
        uint32_t root = 0;
        s = tree_root(L, lo, hi, is_child, &root);
        tree_targets(L, lo, hi, scored);
        (*n_onnx_trees)++;
        for (uint32_t k = 0; s == LP_OK && k < L->n_targets; k++) {
            if (!scored[k]) continue;
            int32_t at;
            if ((s = push_tree(L, group_of(k))) != LP_OK) break;
            if ((s = emit(L, root, k, 0, ++L->stamps, &at)) != LP_OK) break;
            L->tree_end[L->n_out_trees++] = (uint32_t)L->f->n_nodes;
        }
        lo = hi;
    }
    free(scored);
    free(is_child);
    L->f->n_trees = L->n_out_trees;
    if (s == LP_OK) {
        /* filled in by lp__forest_check */
        L->f->tree_depth = calloc(L->n_out_trees + 1, 1);
        L->f->tree_has_cat = calloc(L->n_out_trees + 1, 1);
        if (!L->f->tree_depth || !L->f->tree_has_cat) s = lp__fail(L->err, LP_ERR_NOMEM, "out of memory");
    }
    return s;
}

static uint32_t same_group(uint32_t target) { return target; }
static uint32_t single_group(uint32_t target) { (void)target; return 0; }

static const struct { const char *name; lp__link link; } transforms[] = {
    {"NONE", LP__LINK_RAW}, {"LOGISTIC", LP__LINK_SIGMOID}, {"SOFTMAX", LP__LINK_SOFTMAX},
    {"SOFTMAX_ZERO", LP__LINK_SOFTMAX_ZERO}, {"PROBIT", LP__LINK_PROBIT},
};

static lp_status set_labels(lowering *L, lp_model *m, const lp__onnx_attr *strings, const lp__onnx_attr *ints)
{
    for (size_t k = 0; k < m->n_outputs; k++) {
        char buf[24];
        const char *label = buf;
        size_t len;
        if (strings) {
            label = strings->strings[k].data;
            len = strings->strings[k].len;
            m->output_types[k] = LP__LABEL_STRING;
        } else {
            len = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)ints->ints[k]);
            m->output_types[k] = LP__LABEL_INT;
        }
        char *copy = lp__strndup(label, len);
        if (!copy) return lp__fail(L->err, LP_ERR_NOMEM, "out of memory");
        free(m->output_names[k]);
        m->output_names[k] = copy;
    }
    return LP_OK;
}

/* opset 5's integer post_transform and aggregate_function, as the older names. */
static const char *const v5_transforms[] = {"NONE", "SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO", "PROBIT"};
static const char *const v5_aggregates[] = {"AVERAGE", "SUM", "MIN", "MAX"};

static const char *v5_enum(const lowering *L, const char *attr, int64_t dflt, const char *const *names, size_t n,
                           lp_status *s)
{
    const lp__onnx_attr *a = lp__onnx_attr_find(L->node, attr);
    int64_t v = a && a->type == LP_ONNX_ATTR_INT ? a->i : dflt;
    if (a && a->type != LP_ONNX_ATTR_INT) *s = attr_fail(L, attr, "must be an integer");
    else if (v < 0 || (uint64_t)v >= n) *s = attr_fail(L, attr, "is out of range");
    return *s == LP_OK ? names[v] : NULL;
}

/* MIN and MAX take each tree's leaf as one value per output: every leaf of a
 * tree must score each output the tree scores exactly once (onnxruntime
 * skips a leaf's missing outputs and takes the least of duplicates, which a
 * forest tree per output cannot express), else the model is refused. */
static lp_status check_min_max_leaves(const lowering *L, const char *agg)
{
    uint8_t *scored = malloc(L->n_targets + 1);
    if (!scored) return lp__fail(L->err, LP_ERR_NOMEM, "out of memory");
    lp_status s = LP_OK;
    for (size_t lo = 0; s == LP_OK && lo < L->n_sorted;) {
        size_t hi = lo, want = 0;
        int64_t tree = L->nodes[L->tree_first[lo]].tree;
        while (hi < L->n_sorted && L->nodes[L->tree_first[hi]].tree == tree) hi++;
        tree_targets(L, lo, hi, scored);
        for (size_t k = 0; k < L->n_targets; k++) want += scored[k];
        for (size_t i = lo; s == LP_OK && i < hi; i++) {
            const onnx_tree_node *n = &L->nodes[L->tree_first[i]];
            int dup = 0;
            for (uint32_t j = n->weights + 1; j < n->weights + n->n_weights; j++)
                dup |= L->weights[j].target == L->weights[j - 1].target;
            if (n->mode == MODE_LEAF && (n->n_weights != want || dup))
                s = lp__fail(L->err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\": aggregate_function %s with tree %lld's "
                             "leaf %lld scoring %s (every leaf of a tree must score each output the tree scores "
                             "once)", L->node->name, agg, (long long)tree, (long long)n->id,
                             dup ? "an output twice" : "fewer outputs than the tree");
        }
        lo = hi;
    }
    free(scored);
    return s;
}

static lp_status lower(const lp__onnx_node *node, size_t n_features, int double_input, int *aggregate, lp_model *m,
                       lp_error *err);

lp_status lp__onnx_trees_lower(const lp__onnx_node *node, size_t n_features, int double_input, lp_model *m,
                               lp_error *err)
{
    return lower(node, n_features, double_input, NULL, m, err);
}

lp_status lp__onnx_trees_lower_op(const lp__onnx_node *node, size_t n_features, int *aggregate, lp_model *m,
                                  lp_error *err)
{
    *aggregate = LP__AGGREGATE_SUM;
    return lower(node, n_features, 0, aggregate, m, err);
}

static lp_status lower(const lp__onnx_node *node, size_t n_features, int double_input, int *aggregate, lp_model *m,
                       lp_error *err)
{
    lowering L;
    memset(&L, 0, sizeof L);
    L.aggregate = aggregate;
    L.node = node;
    L.err = err;
    L.n_features = n_features;
    L.f = &m->forest;
    L.exact = double_input;
    L.v5 = strcmp(node->op_type, "TreeEnsemble") == 0;
    int classifier = strcmp(node->op_type, "TreeEnsembleClassifier") == 0;
    lp_status s = LP_OK;
    const char *transform = NULL, *agg = NULL;

    const lp__onnx_attr *label_strings = NULL, *label_ints = NULL;
    if (classifier) {
        label_strings = list_attr(&L, "classlabels_strings", LP_ONNX_ATTR_STRINGS, &s);
        label_ints = list_attr(&L, "classlabels_int64s", LP_ONNX_ATTR_INTS, &s);
        if (s != LP_OK) return s;
        if (!label_strings == !label_ints)
            return attr_fail(&L, "classlabels_strings / classlabels_int64s", "must be given, exactly one of them");
        L.n_targets = label_strings ? label_strings->count : label_ints->count;
        if (L.n_targets < 2) return attr_fail(&L, "classlabels", "must name at least two classes");
        if (L.n_targets > LP_MAX_CLASSES) return lp__fail(err, LP_ERR_LIMIT, "the model has %zu classes", L.n_targets);
    } else {
        const lp__onnx_attr *nt = lp__onnx_attr_find(node, "n_targets");
        L.n_targets = nt && nt->type == LP_ONNX_ATTR_INT && nt->i > 0 ? (size_t)nt->i : 0;
        if (L.n_targets == 0) return attr_fail(&L, "n_targets", "must be a positive integer");
        if (L.n_targets > LP_MAX_CLASSES) return lp__fail(err, LP_ERR_LIMIT, "the model has %zu targets", L.n_targets);
        if (L.v5) {
            transform = v5_enum(&L, "post_transform", 0, v5_transforms, 5, &s);
            if (s == LP_OK) agg = v5_enum(&L, "aggregate_function", 1, v5_aggregates, 4, &s);
            if (s != LP_OK) return s;
        }
    }

    if (!transform) transform = string_attr(&L, "post_transform", "NONE");
    lp__link link = LP__LINK_RAW;
    size_t t;
    for (t = 0; t < sizeof transforms / sizeof *transforms; t++)
        if (strcmp(transform, transforms[t].name) == 0) break;
    if (t == sizeof transforms / sizeof *transforms) return attr_fail(&L, "post_transform", "is not NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO or PROBIT");
    link = transforms[t].link;

    double *base = NULL;
    size_t n_base = 0;
    if (!L.v5 && (s = read_values(&L, "base_values", "base_values_as_tensor", &base, &n_base)) != LP_OK) return s;
    if (n_base > L.n_targets) {
        free(base);
        return attr_fail(&L, "base_values", "has more values than the model has outputs");
    }

    if (L.v5) s = read_v5(&L);
    else if ((s = read_nodes(&L)) == LP_OK) s = read_weights(&L, classifier ? "class" : "target");
    if (s == LP_OK && L.exact) s = rank_exact(&L, m);
    if (s != LP_OK) goto done;

    int all_positive = 1, scores_class1 = 0, scores_class0 = 0;
    for (size_t j = 0; j < L.n_weights; j++) {
        all_positive &= L.weights[j].value >= 0;
        scores_class0 |= L.weights[j].target == 0;
        scores_class1 |= L.weights[j].target == 1;
    }

    /* onnxruntime's two-class rules (see the top of this file). */
    int single_score = classifier && L.n_targets == 2 && !scores_class1;
    if (classifier && L.n_targets == 2 && n_base == 2) {
        s = lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\": a two-class TreeEnsembleClassifier with two "
                     "base_values, which onnxruntime scores in a way the ONNX specification leaves open", node->name);
        goto done;
    }
    if (single_score) {
        if (link == LP__LINK_PROBIT) {
            s = lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\": PROBIT on a two-class ensemble that scores "
                         "one class (onnxruntime returns a single column)", node->name);
            goto done;
        }
        link = link == LP__LINK_SIGMOID ? LP__LINK_SIGMOID : all_positive ? LP__LINK_COMPLEMENT : LP__LINK_NEGATE;
        m->n_groups = 1;
    } else if (!classifier) {
        if (L.n_targets == 1 && link != LP__LINK_RAW) {
            s = lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\": a regressor with post_transform %s", node->name,
                         transform);
            goto done;
        }
        /* One target: a regression; several (opset 5 only): one column per
         * target, taken as class scores, as a dense graph's [N, K] output is. */
        if (L.n_targets == 1) link = LP__LINK_IDENTITY;
        m->n_groups = L.n_targets;
        if (!agg) agg = string_attr(&L, "aggregate_function", "SUM");
        int min_max = strcmp(agg, "MIN") == 0 || strcmp(agg, "MAX") == 0;
        if (min_max && L.aggregate) {   /* a graph's tree operator takes each tree's leaf (onnx_tree_op.c) */
            if ((s = check_min_max_leaves(&L, agg)) != LP_OK) goto done;
            *L.aggregate = strcmp(agg, "MIN") == 0 ? LP__AGGREGATE_MIN : LP__AGGREGATE_MAX;
        } else if (strcmp(agg, "AVERAGE") != 0 && strcmp(agg, "SUM") != 0) {
            s = lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\": aggregate_function %s (SUM and AVERAGE are "
                         "supported%s)", node->name, agg, min_max ? "; MIN and MAX inside a graph's dense operators" : "");
            goto done;
        }
        if (strcmp(agg, "AVERAGE") == 0) m->average_divisor = 1;   /* set to the tree count below */
    } else {
        m->n_groups = L.n_targets;
    }

    size_t n_onnx_trees = 0;
    /* Room for one copy per scored class and for the subtrees equality splits
     * duplicate, without letting a small file expand without bound. */
    L.node_budget = L.n_nodes * (single_score ? 1 : L.n_targets) * 16 + 4096;
    if (L.node_budget > LP_MAX_NODES) L.node_budget = LP_MAX_NODES;
    if ((s = emit_forest(&L, single_score ? single_group : same_group, &n_onnx_trees)) != LP_OK) goto done;
    if (m->average_divisor) m->average_divisor = (float)n_onnx_trees;
    s = lp__forest_check(L.f, L.tree_end, n_features, m->n_groups, err);
    if (s != LP_OK) goto done;

    m->link = link;
    m->trees_in_file = n_onnx_trees;
    m->base_margin = calloc(m->n_groups, sizeof *m->base_margin);
    m->base_after = calloc(m->n_groups, sizeof *m->base_after);
    if (!m->base_margin || !m->base_after) {
        s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < n_base && k < m->n_groups; k++) m->base_after[k] = (float)base[k];
    /* onnxruntime adds a two-class model's base value to class 0 without
     * marking it scored, so an unscored class 0 still reads 0. */
    if (classifier && L.n_targets == 2 && !single_score && !scores_class0) m->base_after[0] = 0;
    m->native_task = L.n_targets == 1 ? LP_TASK_REGRESSION : L.n_targets == 2 ? LP_TASK_BINARY : LP_TASK_MULTICLASS;
    if ((s = lp__model_set_outputs(m, LP_TASK_AUTO, err)) != LP_OK) goto done;
    if (classifier) s = set_labels(&L, m, label_strings, label_ints);

done:
    free(L.nodes);
    free(L.weights);
    free(L.tree_first);
    free(L.visited);
    free(L.tree_end);
    free(L.values);
    free(L.leaf_values);
    free(L.members);
    free(base);
    return s;
}
