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

typedef enum { MODE_LEAF, MODE_LT, MODE_LEQ, MODE_GT, MODE_GTE, MODE_EQ, MODE_NEQ } node_mode;

/* One ONNX node, indexed as the attribute arrays are. */
typedef struct onnx_tree_node {
    int64_t  tree, id;
    int      mode;           /* node_mode */
    int64_t  feature;
    float    value;
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
    size_t          n_nodes, n_weights, n_targets, n_features;
    onnx_tree_node *nodes;
    leaf_weight    *weights;
    uint32_t       *tree_first;   /* sorted node order: nodes of each tree together */
    uint32_t       *visited;      /* per node: stamp of the last tree emission that reached it */
    uint32_t        stamps;       /* the last stamp handed out */
    size_t          node_budget;  /* forest nodes this ensemble may expand into */
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
    size_t lo = 0, hi = L->n_nodes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const onnx_tree_node *n = &L->nodes[L->tree_first[mid]];
        if (n->tree < tree || (n->tree == tree && n->id < id)) lo = mid + 1;
        else hi = mid;
    }
    if (lo < L->n_nodes) {
        const onnx_tree_node *n = &L->nodes[L->tree_first[lo]];
        if (n->tree == tree && n->id == id) return L->tree_first[lo];
    }
    return UINT32_MAX;
}

/* ---- reading the attributes --------------------------------------------------------- */

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
    const lp__onnx_attr *values = list_attr(L, "nodes_values", LP_ONNX_ATTR_FLOATS, &s);
    const lp__onnx_attr *modes = list_attr(L, "nodes_modes", LP_ONNX_ATTR_STRINGS, &s);
    const lp__onnx_attr *tracks = list_attr(L, "nodes_missing_value_tracks_true", LP_ONNX_ATTR_INTS, &s);
    if (s != LP_OK) return s;
    if (!values) {
        if (lp__onnx_attr_find(L->node, "nodes_values_as_tensor"))
            return lp__fail(L->err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\" (%s): double-precision thresholds "
                            "(nodes_values_as_tensor) are not supported yet", L->node->name, L->node->op_type);
        return attr_fail(L, "nodes_values", "is missing");
    }
    if (!modes) return attr_fail(L, "nodes_modes", "is missing");
    size_t n = ints[0]->count;
    for (int i = 1; i < 5; i++)
        if (ints[i]->count != n) return attr_fail(L, int_names[i], "has a different length than nodes_treeids");
    if (values->count != n) return attr_fail(L, "nodes_values", "has a different length than nodes_treeids");
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
        t->value = values->floats[i];
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
    sort_base = L->nodes;
    qsort(L->tree_first, n, sizeof *L->tree_first, cmp_node_ix);
    for (size_t i = 1; i < n; i++) {
        const onnx_tree_node *a = &L->nodes[L->tree_first[i - 1]], *b = &L->nodes[L->tree_first[i]];
        if (a->tree == b->tree && a->id == b->id)
            return lp__fail(L->err, BAD, "ONNX node \"%s\": tree %lld has two nodes with id %lld", L->node->name,
                            (long long)a->tree, (long long)a->id);
    }
    for (size_t i = 0; i < n; i++) {
        onnx_tree_node *t = &L->nodes[i];
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
    const lp__onnx_attr *w = list_attr(L, names[3], LP_ONNX_ATTR_FLOATS, &s);
    if (s != LP_OK) return s;
    if (!w && lp__onnx_attr_find(L->node, "class_weights_as_tensor"))
        return lp__fail(L->err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\": double-precision leaf weights "
                        "(%s_weights_as_tensor) are not supported yet", L->node->name, prefix);
    for (int i = 0; i < 4; i++) {
        const lp__onnx_attr *a = i == 0 ? trees : i == 1 ? ids : i == 2 ? targets : w;
        if (!a) return attr_fail(L, names[i], "is missing");
        if (a->count != trees->count) return attr_fail(L, names[i], "has a different length than the other weight lists");
    }
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
        L->weights[j] = (leaf_weight){ix, (uint32_t)targets->ints[j], w->floats[j]};
    }
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
        f->nodes[me] = (lp__node){.u.threshold = n->mode == MODE_LT ? n->value : next_up(n->value),
                              .feature = feature | (nan_true ? LP__NODE_DEFAULT_LEFT : 0), .left = t_at, .right = f_at};
        break;
    case MODE_GTE: case MODE_GT:
        f->nodes[me] = (lp__node){.u.threshold = n->mode == MODE_GTE ? n->value : next_up(n->value),
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
        f->nodes[second] = (lp__node){.u.threshold = next_up(n->value),
                                      .feature = feature | (nan_below ? 0 : LP__NODE_DEFAULT_LEFT),
                                      .left = equal, .right = below_again};
        f->nodes[me] = (lp__node){.u.threshold = n->value,
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
    for (size_t lo = 0; s == LP_OK && lo < L->n_nodes;) {
        size_t hi = lo;
        int64_t tree = L->nodes[L->tree_first[lo]].tree;
        while (hi < L->n_nodes && L->nodes[L->tree_first[hi]].tree == tree) hi++;
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

lp_status lp__onnx_trees_lower(const lp__onnx_node *node, size_t n_features, lp_model *m, lp_error *err)
{
    lowering L;
    memset(&L, 0, sizeof L);
    L.node = node;
    L.err = err;
    L.n_features = n_features;
    L.f = &m->forest;
    int classifier = strcmp(node->op_type, "TreeEnsembleClassifier") == 0;
    lp_status s = LP_OK;

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
        if (L.n_targets > 1)
            return lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\": a regressor with %zu targets (one output "
                            "column per target is not supported yet)", node->name, L.n_targets);
    }

    const char *transform = string_attr(&L, "post_transform", "NONE");
    lp__link link = LP__LINK_RAW;
    size_t t;
    for (t = 0; t < sizeof transforms / sizeof *transforms; t++)
        if (strcmp(transform, transforms[t].name) == 0) break;
    if (t == sizeof transforms / sizeof *transforms) return attr_fail(&L, "post_transform", "is not NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO or PROBIT");
    link = transforms[t].link;

    const lp__onnx_attr *base = list_attr(&L, "base_values", LP_ONNX_ATTR_FLOATS, &s);
    if (s != LP_OK) return s;
    if (!base && lp__onnx_attr_find(node, "base_values_as_tensor"))
        return lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\": base_values_as_tensor is not supported yet", node->name);
    size_t n_base = base ? base->count : 0;
    if (n_base > L.n_targets) return attr_fail(&L, "base_values", "has more values than the model has outputs");

    if ((s = read_nodes(&L)) != LP_OK || (s = read_weights(&L, classifier ? "class" : "target")) != LP_OK) goto done;

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
        if (link != LP__LINK_RAW) {
            s = lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\": a regressor with post_transform %s", node->name,
                         transform);
            goto done;
        }
        link = LP__LINK_IDENTITY;
        m->n_groups = 1;
        const char *agg = string_attr(&L, "aggregate_function", "SUM");
        if (strcmp(agg, "AVERAGE") != 0 && strcmp(agg, "SUM") != 0) {
            s = lp__fail(err, LP_ERR_UNSUPPORTED, "ONNX node \"%s\": aggregate_function %s (SUM and AVERAGE are "
                         "supported)", node->name, agg);
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
    for (size_t k = 0; k < n_base && k < m->n_groups; k++) m->base_after[k] = base->floats[k];
    /* onnxruntime adds a two-class model's base value to class 0 without
     * marking it scored, so an unscored class 0 still reads 0. */
    if (classifier && L.n_targets == 2 && !single_score && !scores_class0) m->base_after[0] = 0;
    m->native_task = !classifier ? LP_TASK_REGRESSION : L.n_targets == 2 ? LP_TASK_BINARY : LP_TASK_MULTICLASS;
    if ((s = lp__model_set_outputs(m, LP_TASK_AUTO, err)) != LP_OK) goto done;
    if (classifier) s = set_labels(&L, m, label_strings, label_ints);

done:
    free(L.nodes);
    free(L.weights);
    free(L.tree_first);
    free(L.visited);
    free(L.tree_end);
    return s;
}
