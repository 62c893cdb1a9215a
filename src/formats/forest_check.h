/* forest_check.h — structural validation of a tree ensemble.
 *
 * Every loader (XGBoost JSON, the model blob) fills an lp__forest and then
 * calls lp__forest_check, so the kernels can walk it without bounds checks:
 * each tree's nodes are a contiguous range, every child index stays inside
 * its tree, every node is reached exactly once from the root (no cycles, no
 * sharing), leaves point to themselves, depths fit LP_MAX_TREE_DEPTH_CEILING,
 * feature indices < n_features, groups < n_groups, category sets in range.
 * It also computes tree_depth and tree_has_cat.
 */
#ifndef LP_FORMATS_FOREST_CHECK_H
#define LP_FORMATS_FOREST_CHECK_H

#include "../kernels/kernels.h"
#include "../localpredict.h"

/* tree_end[t] = one past the last node of tree t (tree_root[t] is its first). */
lp_status lp__forest_check(lp__forest *f, const uint32_t *tree_end, size_t n_features,
                           size_t n_groups, lp_error *err);

void lp__forest_free(lp__forest *f);

#endif
