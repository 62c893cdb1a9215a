/* onnx_scores.h — which output of a dense ONNX graph holds the scores, and
 * what they are (probabilities, log-probabilities, independent sigmoids or
 * raw logits), read from the operator that computes them. */
#ifndef LP_FORMATS_ONNX_SCORES_H
#define LP_FORMATS_ONNX_SCORES_H

#include "onnx_graph.h"

typedef enum lp__onnx_scores {
    LP__SCORES_PROBABILITIES = 0,   /* Softmax, a converter's probability output, anything else */
    LP__SCORES_LOG_PROBABILITIES,   /* LogSoftmax: exp gives the probabilities */
    LP__SCORES_SIGMOID,             /* Sigmoid: one independent probability per column */
    LP__SCORES_LOGITS               /* Gemm or MatMul (+ Add): a linear layer's raw output */
} lp__onnx_scores;

/* The value the scores are read from: ZipMap's input, else the float or
 * double tensor output ranked by what it holds (a name containing "prob",
 * a Softmax or Sigmoid computing it, float over double), the first declared
 * on a tie; NULL when there is none. */
const char *lp__onnx_scores_output(const lp__onnx_model *om);

/* What the value `name` holds, from the operator computing it (looking
 * through Identity, Cast, Flatten, Reshape, Squeeze and Unsqueeze). */
lp__onnx_scores lp__onnx_scores_of(const lp__onnx_model *om, const char *name);

#endif
