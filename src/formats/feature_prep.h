/* feature_prep.h — per-feature preparation of an input value before the
 * float32 tree kernels see it, for models whose splits the kernels' float32
 * `x < threshold` cannot express directly (LightGBM).
 *
 * LightGBM compares the input as a double: `x <= t` with t a genuine float64
 * threshold, and missing values follow per-node rules (NaN → 0.0, a "zero"
 * range that counts as missing).  Rounding x to float32 first would misroute
 * values within half a float32 step of a threshold.  So the loader collects,
 * per feature, the sorted distinct thresholds t_0 < … < t_{n-1} of its
 * numerical splits, and each input value is replaced by its rank
 *     r(x) = #{ i : t_i < x }            (computed in double)
 * A node with threshold t_i then tests `r < i + 0.5` in float32, and
 *     x <= t_i  ⟺  no t_j with j >= i is below x  ⟺  r(x) <= i  ⟺  r(x) < i + 0.5
 * (the t_j are increasing, so t_i >= x implies t_j >= x for j > i).  Ranks
 * and i + 0.5 are exact in float32 for fewer than 2^23 thresholds per
 * feature, which the loader enforces.  The kernels stay unchanged: this is
 * the same binning LightGBM itself does at training time.
 *
 * ONNX trees reading a double input compare x with double thresholds in
 * six ways (<, <=, >, >=, ==, !=, set membership), so LP__PREP_RANK_EQ keeps
 * equality too: with the feature's sorted distinct values t_0 < … < t_{n-1},
 *     q(x) = 2·#{ i : t_i < x } + (x == some t_i ? 1 : 0)
 * maps t_i to 2i + 1 and every x strictly between thresholds to an even
 * integer, so x ⋈ t_i ⟺ q(x) ⋈ 2i + 1 for every comparison ⋈; NaN stays
 * NaN (the node's own missing rule).  Exact in float32 below 2^22 values.
 *
 * A categorical feature becomes the integer LightGBM takes from it
 * (static_cast<int>, i.e. truncation toward zero), or NaN. */
#ifndef LP_FORMATS_FEATURE_PREP_H
#define LP_FORMATS_FEATURE_PREP_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    LP__PREP_AS_IS = 0,   /* cast to float32 (a feature no split reads) */
    LP__PREP_RANK,        /* numerical: rank among the thresholds */
    LP__PREP_CATEGORY,    /* categorical: truncated to an integer */
    LP__PREP_RANK_EQ,     /* ONNX double splits: rank that also tells equality */
    /* An ONNX string input read only by Casts to numbers (ops/cast_string.c):
     * the cell's text read as onnxruntime's std::stod (REAL) or std::stoll
     * (INT) reads it, then as is */
    LP__PREP_TEXT_REAL,
    LP__PREP_TEXT_INT
} lp__prep_kind;

/* One category of a pandas_categorical list: how a CSV cell names it. */
typedef struct lp__category {
    char  *text;      /* as the JSON list holds it (strings, numbers, true/false) */
    double number;    /* its value when the JSON held a number, else NaN */
} lp__category;

typedef struct lp__feature_prep {
    uint8_t  kind;              /* lp__prep_kind */
    uint8_t  nan_to_zero;       /* NaN is read as 0.0 (missing type None or Zero) */
    uint8_t  zero_is_missing;   /* |x| <= 1e-35f is missing (missing type Zero) */
    size_t   n_thresholds;
    double  *thresholds;        /* sorted, distinct */
    size_t   n_categories;      /* > 0: cells name categories (pandas_categorical) */
    lp__category *categories;   /* index = the code LightGBM was trained on */
} lp__feature_prep;

/* LightGBM's kZeroThreshold (a float constant, compared in double). */
#define LP__LGB_ZERO_THRESHOLD ((double)1e-35f)

/* The float32 the kernels take for value v (NaN = missing). */
float lp__prep_apply(const lp__feature_prep *p, double v);

/* Index of t among the thresholds (t must be one of them). */
size_t lp__prep_threshold_index(const lp__feature_prep *p, double t);

/* The code of a category named by a cell; -1 when no category matches. */
long lp__prep_category_code(const lp__feature_prep *p, const char *text, size_t len);

/* The same for a value that is already a number. */
long lp__prep_number_code(const lp__feature_prep *p, double v);

void lp__prep_free(lp__feature_prep *prep, size_t n_features);

#endif
