/* xgboost_json_fast.h — a fast first try at reading an XGBoost JSON model.
 *
 * Why: cJSON builds one node (an allocation, a strtod) for each of the ~1.2
 * million numbers of a 900-tree model, half of which (base_weights,
 * loss_changes, parents, sum_hessian) the engine never reads; that DOM was
 * most of loading W1 (issue 6).  This reader walks the document itself down
 * to learner.gradient_booster[.gbtree].model.trees and reads each tree's node
 * arrays straight into flat double arrays; everything else (the small
 * members: learner_model_param, objective, tree_param, categories, ...) is
 * parsed by cJSON into the same document tree the loader always read.
 *
 * It is only a fast path.  It accepts nothing but plain, strict JSON (no
 * escapes in keys, numbers in JSON's own grammar, every array member a
 * number, true, false, null, NaN or ±Infinity) and gives up (returns
 * non-zero) on anything else: then the loader parses the document with cJSON
 * from the start, so every message about a bad model is the one the cJSON
 * path gives.  What it accepts, the cJSON path accepts with the same values
 * (tests/fuzz/fuzz_xgb_json.c compares the two models byte for byte).
 */
#ifndef LP_FORMATS_XGBOOST_JSON_FAST_H
#define LP_FORMATS_XGBOOST_JSON_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "cJSON.h"

/* The node arrays a tree is built from, in read_tree's order. */
enum {
    LP__XGB_LEFT, LP__XGB_RIGHT, LP__XGB_SPLIT_INDEX, LP__XGB_SPLIT_COND, LP__XGB_DEFAULT_LEFT,
    LP__XGB_SPLIT_TYPE, LP__XGB_N_COLS
};

/* One tree: its object in the document (holding every member but the node
 * arrays) and the arrays' values; n[c] == SIZE_MAX when array c is absent. */
typedef struct lp__xgb_tree_cols {
    const cJSON  *tree;
    const double *col[LP__XGB_N_COLS];
    size_t        n[LP__XGB_N_COLS];
} lp__xgb_tree_cols;

/* Every tree of the document, in document order.  Free with lp__xgb_fast_free. */
typedef struct lp__xgb_fast {
    lp__xgb_tree_cols *trees;
    size_t             n_trees, cap;
    double            *values[LP__XGB_N_COLS];   /* one buffer per array kind */
    size_t             used[LP__XGB_N_COLS], values_cap[LP__XGB_N_COLS];
    int                nomem;   /* the try ended because memory ran out */
} lp__xgb_fast;

/* Reads bytes into *root (cJSON nodes from the current cJSON allocator: the
 * caller's arena, see core/arena.h) and *fast.  0 on success; 1 means "not
 * taken" (the document is not plain JSON of the expected shape): parse it
 * with cJSON instead; 2 means memory ran out (out of memory is not a reason
 * to try again).  *fast is filled either way and must be freed. */
int lp__xgb_fast_parse(const uint8_t *bytes, size_t len, cJSON **root, lp__xgb_fast *fast);

/* The arrays of a tree object, or NULL; *cursor (start at 0) makes the
 * usual in-order lookups O(1). */
const lp__xgb_tree_cols *lp__xgb_fast_find(const lp__xgb_fast *fast, const cJSON *tree, size_t *cursor);

void lp__xgb_fast_free(lp__xgb_fast *fast);

#endif
