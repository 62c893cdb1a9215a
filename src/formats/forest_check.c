/* forest_check.c — see forest_check.h. */
#include "forest_check.h"

#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "../core/error.h"

static lp_status node_fail(lp_error *err, size_t tree, size_t node, const char *what)
{
    lp__fail(err, LP_ERR_BAD_MODEL, "tree %zu, node %zu: %s", tree, node, what);
    if (err) {
        err->tree = (int64_t)tree;
        err->node = (int64_t)node;
    }
    return LP_ERR_BAD_MODEL;
}

/* Walks one tree depth-first from its root with an explicit stack, checking
 * that each node is visited once. */
static lp_status check_tree(lp__forest *f, size_t t, uint32_t begin, uint32_t end,
                            size_t n_features, uint8_t *seen, uint32_t *stack,
                            uint8_t *depth_of, lp_error *err)
{
    size_t top = 0;
    unsigned max_depth = 0;
    int has_cat = 0;
    stack[top++] = begin;
    depth_of[0] = 0;
    while (top) {
        uint32_t i = stack[--top];
        uint32_t local = i - begin;
        if (seen[local]) return node_fail(err, t, local, "is reached twice (the tree has a cycle or a shared node)");
        seen[local] = 1;
        lp__node *n = &f->nodes[i];
        unsigned depth = depth_of[local];
        if (n->left == (int32_t)i && n->right == (int32_t)i) {   /* leaf */
            /* The kernels still read row[feature] at a leaf: it must be 0, no flags. */
            if (n->feature != 0) return node_fail(err, t, local, "is a leaf with split fields set");
            if (depth > max_depth) max_depth = depth;
            continue;
        }
        if (n->left < (int32_t)begin || n->left >= (int32_t)end || n->right < (int32_t)begin ||
            n->right >= (int32_t)end || n->left == (int32_t)i || n->right == (int32_t)i)
            return node_fail(err, t, local, "has a child index outside its tree");
        if ((n->feature & LP__NODE_FEATURE_MASK) >= n_features)
            return node_fail(err, t, local, "splits on a feature index beyond the model's features");
        if (n->feature & LP__NODE_CATEGORICAL) {
            has_cat = 1;
            if (n->u.cat_set >= f->n_cat_sets)
                return node_fail(err, t, local, "refers to a category set that does not exist");
        } else if (n->u.threshold != n->u.threshold) {
            return node_fail(err, t, local, "has a NaN split condition");
        }
        if (depth + 1 > LP_MAX_TREE_DEPTH_CEILING) {
            lp__fail(err, LP_ERR_LIMIT, "tree %zu is deeper than %d levels, the most this engine handles", t,
                     LP_MAX_TREE_DEPTH_CEILING);
            if (err) err->tree = (int64_t)t;
            return LP_ERR_LIMIT;
        }
        depth_of[n->left - (int32_t)begin] = (uint8_t)(depth + 1);
        depth_of[n->right - (int32_t)begin] = (uint8_t)(depth + 1);
        stack[top++] = (uint32_t)n->left;
        stack[top++] = (uint32_t)n->right;
    }
    for (uint32_t k = 0; k < end - begin; k++)
        if (!seen[k]) return node_fail(err, t, k, "cannot be reached from the root");
    f->tree_depth[t] = (uint8_t)max_depth;
    f->tree_has_cat[t] = (uint8_t)has_cat;
    return LP_OK;
}

lp_status lp__forest_check(lp__forest *f, const uint32_t *tree_end, size_t n_features,
                           size_t n_groups, lp_error *err)
{
    /* Only the ceilings of the representation here: node indices are int32,
     * depths a byte.  lp_model_load applies the caller's (lower) limits. */
    if (f->n_nodes > INT32_MAX)
        return lp__fail(err, LP_ERR_LIMIT, "the model has %zu tree nodes; the most this engine holds is %d",
                        f->n_nodes, INT32_MAX);
    for (size_t s = 0; s < f->n_cat_sets; s++)
        if (f->cat_offset[s] > f->n_cat_words || f->cat_n_words[s] > f->n_cat_words - f->cat_offset[s])
            return lp__fail(err, LP_ERR_BAD_MODEL, "category set %zu lies outside the category table", s);

    size_t largest = 1;
    for (size_t t = 0; t < f->n_trees; t++) {
        if (tree_end[t] <= f->tree_root[t] || tree_end[t] > f->n_nodes)
            return lp__fail(err, LP_ERR_BAD_MODEL, "tree %zu has no nodes or lies outside the node table", t);
        if (tree_end[t] - f->tree_root[t] > largest) largest = tree_end[t] - f->tree_root[t];
        if (f->tree_group[t] >= n_groups)
            return lp__fail(err, LP_ERR_BAD_MODEL, "tree %zu adds to output %u but the model has %zu outputs",
                            t, f->tree_group[t], n_groups);
    }
    uint8_t *seen = malloc(largest);
    uint8_t *depth_of = malloc(largest);
    uint32_t *stack = malloc(largest * sizeof *stack + sizeof *stack);
    lp_status s = LP_OK;
    if (!seen || !depth_of || !stack) s = lp__fail(err, LP_ERR_NOMEM, "out of memory checking the trees");
    for (size_t t = 0; s == LP_OK && t < f->n_trees; t++) {
        memset(seen, 0, tree_end[t] - f->tree_root[t]);
        s = check_tree(f, t, f->tree_root[t], tree_end[t], n_features, seen, stack, depth_of, err);
    }
    free(seen);
    free(depth_of);
    free(stack);
    return s;
}

void lp__forest_free(lp__forest *f)
{
    lp__forest_unpack(f);
    free(f->nodes);
    free(f->tree_root);
    free(f->tree_group);
    free(f->tree_depth);
    free(f->tree_has_cat);
    free(f->cat_offset);
    free(f->cat_n_words);
    free(f->cat_words);
    memset(f, 0, sizeof *f);
}
