/* onnx_scores.h — which output of a dense ONNX graph holds the scores, and
 * what they are (probabilities, log-probabilities, independent sigmoids, raw
 * logits or decision values), read from the operator that computes them. */
#ifndef LP_FORMATS_ONNX_SCORES_H
#define LP_FORMATS_ONNX_SCORES_H

#include "onnx_graph.h"

typedef enum lp__onnx_scores {
    LP__SCORES_PROBABILITIES = 0,   /* Softmax, a converter's probability output, anything else */
    LP__SCORES_LOG_PROBABILITIES,   /* LogSoftmax, Log of Softmax: exp gives the probabilities */
    LP__SCORES_SIGMOID,             /* Sigmoid: one independent probability per column */
    LP__SCORES_LOGITS,              /* Gemm or MatMul (+ Add, / T): a linear layer's raw output */
    LP__SCORES_DECISION             /* LinearClassifier with post_transform NONE: an SVM's or a ridge
                                       classifier's decision values (skl2onnx's LinearSVC, RidgeClassifier) */
} lp__onnx_scores;

/* The value the scores are read from: ZipMap's input, else the float or
 * double tensor output ranked by what it holds (a name containing "prob" in
 * any case; then a Softmax or Sigmoid computing it, then logits,
 * log-probabilities or decision values, over anything else such as a hidden
 * layer; then float over double), the first declared on a tie; NULL when
 * there is none. */
const char *lp__onnx_scores_output(const lp__onnx_model *om);

/* What the value `name` holds, from the operator computing it, looking
 * through Identity, Cast, Flatten, Reshape, Squeeze and Unsqueeze: also
 * Log of a Softmax (log-probabilities), logits divided or multiplied by a
 * constant (a temperature), and the ArrayFeatureExtractor of column 1 that
 * skl2onnx takes a binary LinearSVC's positive decision value with. */
lp__onnx_scores lp__onnx_scores_of(const lp__onnx_model *om, const char *name);

#endif
