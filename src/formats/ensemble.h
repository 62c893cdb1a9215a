/* ensemble.h — a manifest's "ensemble": several member models, any format,
 * whose probabilities are averaged with weights, loaded as one lp_model.
 *
 *   {"localpredict": 1, "task": "multiclass",
 *    "ensemble": [{"model": "xgb.json", "weight": 2, "name": "XGBoost"},
 *                 {"model": "mlp.onnx", "manifest": {"features": ["a", "b"]}}]}
 *
 * Members are the caller's parts (lp_load_options.parts), found by the exact
 * string of their entry's "model" (a file name relative to the manifest, or
 * a bundle's entry).  Each member is an ordinary lp_model; the ensemble
 * model presents them to the CSV side as one model whose features are the
 * members' features one after the other ("slots"): slot s is feature
 * `slot_feature[s]` of member `slot_member[s]`, so every member parses its
 * cells with its own rules (LightGBM's double ranks, category names) and
 * binds its own columns by name.  The public feature list
 * (lp_model_n_features, info) is the distinct input columns.
 *
 * Prediction: each member predicts its own slice of the batch; the
 * ensemble's probability is sum_j w_j * p_j, in double and rounded once to
 * float32, with normalised weights (w_j = weight_j / sum of weights), then
 * the ensemble's own task and thresholds choose the Suggested Label.
 */
#ifndef LP_FORMATS_ENSEMBLE_H
#define LP_FORMATS_ENSEMBLE_H

#include "model.h"

struct cJSON;

#define LP__ENSEMBLE_MAX_MEMBERS 64
#define LP__ENSEMBLE_BLOB_MAGIC  "LPENSEM1"

typedef struct lp__ensemble_member {
    lp_model *model;
    char     *name;        /* the entry's "name", else its "model" */
    char     *file;        /* the entry's "model" */
    double    weight;      /* normalised: the weights sum to 1 */
    size_t    first_slot;  /* its features are slots first_slot .. + n_features - 1 */
} lp__ensemble_member;

typedef struct lp__ensemble {
    size_t               n_members;
    lp__ensemble_member *members;
    size_t               n_inputs;       /* distinct input columns */
    char               **input_names;    /* n_inputs, or NULL: every member takes columns by position */
    size_t              *slot_member;    /* per slot (the ensemble's n_features) */
    size_t              *slot_feature;
    size_t              *slot_input;     /* the input column of each slot */
    size_t               scratch_per_row;/* floats of scratch per row for a batch (see lp__model_margin_width) */
    /* What the blob needs to rebuild the same model. */
    char                *manifest_text;
    char                *overrides_text; /* or NULL */
    char                *manifest_name;
} lp__ensemble;

/* Routes lp_model_load: *handled = 1 when the bytes or options describe an
 * ensemble (a manifest with "ensemble", an ensemble blob), a manifest given
 * as the model (an error), or a .zip bundle (an error: only the JS side
 * unpacks them); *out / err are then the result. */
lp_status lp__ensemble_route(const uint8_t *bytes, size_t len, const lp_load_options *opts, lp_model **out,
                             lp_error *err, int *handled);

/* Prediction of one batch (called by lp__predict_batch): `scratch` holds
 * n_rows * lp__model_margin_width(m) floats. */
lp_status lp__ensemble_predict_batch(const lp_model *m, const float *x, size_t n_rows, double threshold,
                                     float *scratch, float *proba, uint8_t *chosen, lp_error *err);

/* The member model and its own feature index of slot s. */
static inline const lp_model *lp__ensemble_slot(const lp_model *m, size_t *feature)
{
    const lp__ensemble *e = m->ensemble;
    size_t s = *feature;
    *feature = e->slot_feature[s];
    return e->members[e->slot_member[s]].model;
}

/* Positional binding (members without feature names): input column i feeds
 * feature i of every member; the input must have exactly n_inputs columns. */
lp_status lp__ensemble_bind_positional(const lp_model *m, size_t n_columns, size_t *feature_col, lp_error *err);

/* The float32 matrix fast path: columns are the ensemble's input columns. */
lp_status lp__ensemble_predict_matrix(const lp_model *m, const float *data, size_t n_rows, size_t n_cols,
                                      double threshold,
                                      float *proba, uint8_t *chosen, lp_error *err);

/* Adds the members and the input columns to the info JSON; 0 on failure. */
int lp__ensemble_describe(const lp_model *m, struct cJSON *info);

lp_status lp__ensemble_serialize(lp_model *m, lp_error *err);

void lp__ensemble_free(lp__ensemble *e);

/* Floats of scratch per row that lp__predict_batch needs as `margins`. */
static inline size_t lp__model_margin_width(const lp_model *m)
{
    return m->ensemble ? m->ensemble->scratch_per_row : m->n_groups;
}

#endif
