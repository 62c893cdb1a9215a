/* model.h — the engine's model: what every format loader builds.
 *
 * A model is a tree ensemble producing `n_groups` margins per row, an output
 * link turning margins into `n_outputs` probabilities, and the metadata that
 * the CSV side needs (feature names, class labels, task, thresholds).  All
 * arrays are validated by the loader, so the prediction loops index them
 * without checks.  Everything is owned by the model and freed by
 * lp_model_destroy.
 */
#ifndef LP_FORMATS_MODEL_H
#define LP_FORMATS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "../localpredict.h"
#include "../core/buf.h"
#include "../kernels/kernels.h"
#include "feature_prep.h"
#include "feature_types.h"

/* How margins become outputs. */
typedef enum {
    LP__LINK_IDENTITY = 0,  /* regression: the margin itself */
    LP__LINK_SIGMOID,       /* binary: [1-s, s]; multilabel: s per label */
    LP__LINK_SOFTMAX,       /* multiclass */
    LP__LINK_HINGE,         /* binary:hinge: [1-h, h], h = margin > 0 */
    LP__LINK_EXP,           /* log-link regression (poisson, gamma, tweedie) */
    /* ONNX tree ensembles, as onnxruntime computes them: */
    LP__LINK_RAW,           /* scores are the outputs (post_transform NONE) */
    LP__LINK_SOFTMAX_ZERO,  /* softmax where near-zero scores stay 0 */
    LP__LINK_PROBIT,        /* per output: sqrt(2) * erfinv(2s - 1), onnxruntime's approximation */
    LP__LINK_COMPLEMENT,    /* one score s: [1 - s, s] */
    LP__LINK_NEGATE,        /* one score s: [-s, s] */
    /* dense ONNX graphs ending in a linear layer: softmax of the scores, a
     * sigmoid per label (multilabel; binary from one score), or the score
     * itself (regression) */
    LP__LINK_LOGITS,
    /* decision values with no probability behind them (an SVM, a ridge
     * classifier), read as binary:hinge reads its margin: 1 for the class
     * they decide (the greatest; every positive one for multilabel; one
     * value: positive), 0 for the others */
    LP__LINK_DECISION
} lp__link;
#define LP__LINK_LAST LP__LINK_DECISION

/* How a class label was typed in training (kept for the JS API). */
typedef enum { LP__LABEL_STRING = 0, LP__LABEL_INT, LP__LABEL_BOOL } lp__label_type;

struct lp_model {
    /* identity */
    char     format[24];          /* "xgboost-json" | "lightgbm-text" */
    char     objective[48];       /* e.g. "multi:softprob" */
    char     booster[16];         /* "gbtree" | "dart" */
    char     producer_name[32];   /* "" = xgboost; else e.g. "skl2onnx" */
    char     producer_version[24];/* "1.7.4" */
    char     sha256[65];          /* of the bytes the model was loaded from */
    size_t   source_bytes;

    /* inputs */
    size_t   n_features;
    char   **feature_names;       /* n_features strings, or NULL when unnamed */
    uint8_t *feature_is_cat;      /* n_features flags */
    double  *missing_values;      /* sentinels that also mean missing */
    size_t   n_missing_values;
    /* n_features, or NULL: how each value becomes the kernels' float32
     * (LightGBM's double thresholds and missing rules; see feature_prep.h).
     * NULL = a plain float32 cast, as XGBoost compares. */
    lp__feature_prep *prep;
    /* n_features, or NULL (every cell a number): how a text cell reads for
     * each feature (the manifest's "features" types and categories, XGBoost's
     * `cats`; see feature_types.h). */
    lp__input_spec *inputs;
    /* A manifest stored inside the model file (ONNX metadata_props or XGBoost
     * learner.attributes, key "localpredict"), applied under the caller's
     * manifest (formats/manifest.c); NULL when none. */
    char    *embedded_manifest;

    /* computation: the forest, or (dense ONNX models) the graph */
    lp__forest forest;
    struct lp__graph *graph;
    uint8_t *graph_source;        /* the ONNX bytes the graph came from (for the blob) */
    size_t   graph_source_len;
    /* The graph inputs' symbolic dimensions the load bound (onnx_dims.h),
     * kept for the blob, whose reader builds the graph again with them. */
    struct lp__dim_binding *dim_bindings;
    size_t   n_dim_bindings;
    /* Early stopping: the trees up to the best iteration, which xgboost's
     * scikit-learn API predicts with (0 = no best iteration stored).  The
     * forest is cut to them unless the manifest says "iterations": "all". */
    size_t   best_iteration_trees;
    long long best_iteration;     /* -1 = none */
    size_t   trees_in_file;
    size_t   n_groups;            /* margins per row */
    float   *base_margin;         /* n_groups, added before the trees */
    /* ONNX ensembles sum the trees from 0, then divide by the tree count
     * (AVERAGE; 0 = no division) and add base values, in that order. */
    float    average_divisor;
    float   *base_after;          /* n_groups, or NULL */
    lp__link link;

    /* outputs */
    lp_task  native_task;         /* what the model itself says */
    lp_task  task;                /* after manifest and overrides */
    size_t   n_outputs;
    char   **output_names;        /* n_outputs CSV headers */
    lp__label_type *output_types; /* n_outputs */
    double  *thresholds;          /* n_outputs (binary: [_, t]) */

    /* the manifest's "details" (name, type, metrics ...), unformatted JSON, or NULL */
    char    *details_json;
    /* the manifest's text preprocessing feeding the graph's token inputs
     * (text_model.h), or NULL */
    struct lp__text_model *text;

    /* An ensemble of member models (formats/ensemble.h), or NULL. */
    struct lp__ensemble *ensemble;

    /* derived */
    char    *info_json;
    lp__buf  blob;                /* lp_model_serialize's output, built lazily */
};

/* Allocation helpers shared by the loaders; all return NULL on failure. */
lp_model *lp__model_new(void);
char     *lp__strndup(const char *s, size_t n);

/* Sets outputs from the task and the number of groups: default class names
 * ("0".."K-1"), the default threshold 0.5.  Fails when the task does not
 * fit the groups (e.g. binary with 3 margins). */
lp_status lp__model_set_outputs(lp_model *m, lp_task task, lp_error *err);

/* Keeps only the first n_trees trees (n_trees <= forest.n_trees). */
void lp__model_keep_trees(lp_model *m, size_t n_trees);

/* The columns the trees read: n_features, or for ONNX trees after encoders
 * the width of the features the graph computes for them. */
size_t lp__model_tree_width(const lp_model *m);

/* Builds info_json.  Called once, after the manifest has been applied. */
lp_status lp__model_finish(lp_model *m, lp_error *err);

#endif
