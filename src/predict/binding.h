/* binding.h — matching input columns (a CSV header, a table's column names)
 * to the model's features: by name when the model (or manifest) names its
 * features, else by position with an exact count.  Every missing column is
 * named in one error, with a near-miss hint (case or surrounding spaces). */
#ifndef LP_PREDICT_BINDING_H
#define LP_PREDICT_BINDING_H

#include "../formats/model.h"

/* names[i] (lens[i] bytes) is column i.  On success feature_col[f] is the
 * column of feature f.  Errors: LP_ERR_MISSING_COLUMN, LP_ERR_DUPLICATE_COLUMN
 * (a needed name appears twice), LP_ERR_COLUMN_COUNT (positional count).
 * The columns of an ONNX map input's keys may be absent (LP__ABSENT_COLUMN),
 * as long as one of them is there. */
/* feature_col[f] of a feature whose column may be absent and is (a key of
 * an ONNX map input, ops/ops_maps.c: the row's map lacks it): its cell is
 * read as an empty one. */
#define LP__ABSENT_COLUMN SIZE_MAX

lp_status lp__bind_columns(const lp_model *m, const char *const *names, const size_t *lens,
                           size_t n_columns, size_t *feature_col, lp_error *err);

#endif
