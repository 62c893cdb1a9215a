/* trees_scalar.c — reference tree-ensemble kernel: one row at a time, trees
 * in order, a fixed number of steps per tree (leaves loop to themselves). */
#include "kernels.h"

void lp_kern_forest_add_ref(const lp__forest *f, const float *x, size_t n_rows,
                            size_t n_features, float *margins, size_t n_groups)
{
    for (size_t r = 0; r < n_rows; r++) {
        const float *row = x + r * n_features;
        float *out = margins + r * n_groups;
        for (size_t t = 0; t < f->n_trees; t++) {
            int32_t i = (int32_t)f->tree_root[t];
            for (unsigned d = f->tree_depth[t]; d; d--) {
                const lp__node *n = &f->nodes[i];
                i = lp__node_next(f, n, row[n->feature & LP__NODE_FEATURE_MASK]);
            }
            out[f->tree_group[t]] += f->nodes[i].u.leaf;
        }
    }
}
