/* feature_types.h — how each model feature reads its cell: as a number (the
 * default), a whole number, a boolean, or a category named by a string and
 * mapped to the integer code the model was trained with (XGBoost and LightGBM
 * categorical splits compare codes).
 *
 * Filled from the manifest's "features" (docs/manifest.schema.json) and from
 * an XGBoost 3.1+ model's `cats` re-coder (xgboost_json.c); LightGBM's
 * pandas_categorical keeps its own table (feature_prep.h), which behaves as a
 * category feature whose unknown categories are missing.
 *
 * Only cells that are text are typed: a number handed over as a number (the
 * JS API, lp_model_predict_matrix) is the code itself.  A typed value then
 * goes through the model's usual rule (missing sentinels, LightGBM ranks). */
#ifndef LP_FORMATS_FEATURE_TYPES_H
#define LP_FORMATS_FEATURE_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "../localpredict.h"

typedef enum {
    LP__INPUT_NUMBER = 0,   /* io/number.h's rule */
    LP__INPUT_INTEGER,      /* a number that must be whole */
    LP__INPUT_BOOLEAN,      /* true/false/1/0 (any case) -> 1/0 */
    LP__INPUT_CATEGORY      /* a category name -> its code */
} lp__input_kind;
#define LP__INPUT_LAST LP__INPUT_CATEGORY

typedef struct lp__input_spec {
    uint8_t  kind;              /* lp__input_kind */
    uint8_t  unknown_missing;   /* category: an unknown name is missing (else LP_ERR_UNKNOWN_CATEGORY) */
    uint8_t  numeric_names;     /* the categories are numbers (named by lp__category_number_text):
                                   a cell that is a number matches by value, "3.0" as "3" */
    size_t   n_categories;
    char   **names;             /* n_categories, distinct */
    double  *codes;             /* the code of names[i] */
    uint32_t *sorted;           /* indices of names in byte order, for the lookup */
} lp__input_spec;

/* Sets a category feature's table, taking ownership of names and codes
 * (freed on failure too).  Duplicate names are LP_ERR_BAD_MANIFEST naming
 * `where` and the name. */
lp_status lp__input_set_categories(lp__input_spec *s, char **names, double *codes, size_t n, const char *where,
                                   lp_status bad, lp_error *err);

/* The value of a text cell for this input: LP_OK with *out (NaN = missing),
 * or LP_ERR_BAD_NUMBER / LP_ERR_UNKNOWN_CATEGORY quoting the cell (the
 * caller adds the line and column). */
lp_status lp__input_cell(const lp__input_spec *s, const char *text, size_t len, double *out, lp_error *err);

/* A number's name as a category: the shortest "%.*g" that reads back as it. */
void lp__category_number_text(double v, char *buf, size_t cap);

/* "number", "integer", "boolean", "category". */
const char *lp__input_kind_name(unsigned kind);

void lp__inputs_free(lp__input_spec *inputs, size_t n);

#endif
