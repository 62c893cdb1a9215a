/* cells.h — one input cell to the float32 a model takes.
 * Text cells follow io/number.h (empty, NA, NaN, null = missing); a value
 * whose float32 equals one of the model's missing sentinels (as float32, the
 * precision XGBoost compares in) is missing too.  A model with per-feature
 * preparation (LightGBM, see formats/feature_prep.h) takes the double
 * through it, and a feature with named categories (pandas_categorical)
 * takes the category's name from the cell. */
#ifndef LP_PREDICT_CELLS_H
#define LP_PREDICT_CELLS_H

#include <math.h>

#include "../formats/ensemble.h"
#include "../formats/model.h"
#include "../io/number.h"

/* The same rule for a value that is already a number. */
float lp__value_to_f32(const lp_model *m, size_t feature, double v);

/* LP_ERR_BAD_NUMBER with a message quoting the cell. */
lp_status lp__bad_cell(const char *text, size_t len, lp_error *err);

/* The general path: doubles through the model's per-feature preparation. */
lp_status lp__cell_to_f32_prepared(const lp_model *m, size_t feature, const char *text, size_t len, float *out,
                                   lp_error *err);

/* True when lp__cell_to_f32_in of every feature is lp__parse_cell_f32_in
 * with missing as NaN: no per-feature preparation, ensemble slots, typed
 * inputs or missing sentinels.  The job then parses cells directly. */
static inline int lp__cells_plain(const lp_model *m)
{
    return !(m->prep || m->ensemble || m->inputs) && !m->n_missing_values;
}

/* LP_OK with *out set (NaN = missing), or LP_ERR_BAD_NUMBER (err->message
 * says what the cell holds; the caller adds where).  `readable` >= len bytes
 * may be read from text on (lets the parser read 8 bytes at a time).
 * Inline: the job calls it for every cell. */
static inline lp_status lp__cell_to_f32_in(const lp_model *m, size_t feature, const char *text, size_t len,
                                           size_t readable, float *out, lp_error *err)
{
    if (m->prep || m->ensemble || m->inputs) return lp__cell_to_f32_prepared(m, feature, text, len, out, err);
    float v;
    switch (lp__parse_cell_f32_in(text, len, readable, &v)) {
    case LP__CELL_NUMBER:
        *out = m->n_missing_values ? lp__value_to_f32(m, feature, v) : v;   /* exact: v is a float32 */
        return LP_OK;
    case LP__CELL_MISSING:
        *out = NAN;
        return LP_OK;
    default:
        return lp__bad_cell(text, len, err);
    }
}

/* The same, when the cell's buffer ends with it. */
static inline lp_status lp__cell_to_f32(const lp_model *m, size_t feature, const char *text, size_t len, float *out,
                                        lp_error *err)
{
    return lp__cell_to_f32_in(m, feature, text, len, len, out, err);
}

#endif
