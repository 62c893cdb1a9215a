/* onnx_trees.h — an ai.onnx.ml TreeEnsembleClassifier / TreeEnsembleRegressor
 * node lowered onto the engine's forest, with onnxruntime's scoring rules.
 *
 * ONNX trees compare with six modes and route missing values per node; the
 * forest knows one comparison (left iff x < threshold, on float32) and a
 * default direction.  Every mode maps exactly onto it for float32 inputs:
 *   x <  t  →  x < t                      true branch left
 *   x <= t  →  x < nextafterf(t, +inf)    true branch left
 *   x >= t  →  x < t                      true branch right
 *   x >  t  →  x < nextafterf(t, +inf)    true branch right
 *   x == t, x != t → two nodes (x < t, then x < nextafterf(t, +inf))
 * (for float32 x and t, x <= t ⟺ x < the next float above t, since no float
 * lies between them).  NaN takes the true branch when
 * nodes_missing_value_tracks_true says so, else the branch the comparison
 * takes for NaN in C (false, except for !=).
 *
 * Opset 5's BRANCH_MEMBER (x in a set) becomes a balanced tree of such
 * comparisons over the set's values (onnx_trees.c, emit_member).
 *
 * A leaf may carry weights for several classes; the forest adds one value per
 * tree to one margin, so such a tree is emitted once per class it scores.
 */
#ifndef LP_FORMATS_ONNX_TREES_H
#define LP_FORMATS_ONNX_TREES_H

#include "model.h"
#include "onnx_graph.h"

/* Fills m->forest, n_groups, link, base_margin, the ONNX post-sum fields and
 * the outputs (labels from classlabels_*) from `node` (TreeEnsembleClassifier,
 * TreeEnsembleRegressor or opset 5's TreeEnsemble), whose input has
 * n_features columns.  With double_input (the trees read a double tensor, as
 * onnxruntime then compares in double) the splits are compared exactly
 * through m->prep (feature_prep.h, LP__PREP_RANK_EQ). */
lp_status lp__onnx_trees_lower(const lp__onnx_node *node, size_t n_features, int double_input, lp_model *m,
                               lp_error *err);

/* How a regressor's trees combine (aggregate_function). */
enum { LP__AGGREGATE_SUM = 0, LP__AGGREGATE_MIN, LP__AGGREGATE_MAX };

/* The same for a regressor running as one operator of a dense graph
 * (onnx_tree_op.c): float input, and aggregate_function MIN and MAX are
 * accepted (*aggregate says which; the forest then holds one tree per
 * (ONNX tree, output) pair, whose leaf the operator takes as is).  SUM and
 * AVERAGE give LP__AGGREGATE_SUM with m->average_divisor as usual. */
lp_status lp__onnx_trees_lower_op(const lp__onnx_node *node, size_t n_features, int *aggregate, lp_model *m,
                                  lp_error *err);

#endif
