/* cells.h — one input cell to the float32 a tree model takes.
 * Text cells follow io/number.h (empty, NA, NaN, null = missing); a value
 * whose float32 equals one of the model's missing sentinels (as float32, the
 * precision XGBoost compares in) is missing too.  A model with per-feature
 * preparation (LightGBM, see formats/feature_prep.h) takes the double
 * through it, and a feature with named categories (pandas_categorical)
 * takes the category's name from the cell. */
#ifndef LP_PREDICT_CELLS_H
#define LP_PREDICT_CELLS_H

#include "../formats/model.h"

/* LP_OK with *out set (NaN = missing), or LP_ERR_BAD_NUMBER (err->message
 * says what the cell holds; the caller adds where). */
lp_status lp__cell_to_f32(const lp_model *m, size_t feature, const char *text, size_t len, float *out, lp_error *err);

/* The same rule for a value that is already a number. */
float lp__value_to_f32(const lp_model *m, size_t feature, double v);

#endif
