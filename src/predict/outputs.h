/* outputs.h — from margins to probabilities to suggested outputs.
 *
 * Links follow ARCHITECTURE.md's output contract: softmax for multi-class
 * (also multi:softmax), sigmoid per output (binary: [1-p, p]), hinge 0/1,
 * exp for log-link regression, identity for regression.  Computed in double
 * with lp_math's exp and rounded once to float32.  Suggested outputs:
 * multiclass argmax (first on a tie); binary positive iff p > threshold;
 * multilabel each p > its threshold; regression none.
 */
#ifndef LP_PREDICT_OUTPUTS_H
#define LP_PREDICT_OUTPUTS_H

#include "../formats/model.h"

/* margins: n_rows * n_groups → proba: n_rows * n_outputs.  Margins are
 * finished in place first (an ONNX ensemble's average and base values). */
void lp__outputs_from_margins(const lp_model *m, float *margins, size_t n_rows, float *proba);

/* chosen: n_rows * n_outputs flags.  threshold NaN = the model's thresholds.
 * A row holding a NaN probability (a model that cannot score it, as
 * onnxruntime gives NaN) suggests no label, whatever the task. */
void lp__outputs_choose(const lp_model *m, const float *proba, size_t n_rows, double threshold,
                        uint8_t *chosen);

/* Margins for n_rows rows of x (row stride = max(n_features, 1)), from the
 * forest or the dense graph, through the link and the choice: the whole
 * prediction of one batch.  Fails when a graph's run memory cannot be had
 * (LP_ERR_NOMEM), or on a value a graph input refuses (LP_ERR_BAD_NUMBER,
 * an integer input given 2.5, a strict encoder given an unknown category):
 * then err->line is the row of the batch (1-based) and err->column_index
 * the feature (x's column), for the caller to name as the file's line and
 * the CSV column. */
lp_status lp__predict_batch(const lp_model *m, const float *x, size_t n_rows, double threshold,
                            float *margins, float *proba, uint8_t *chosen, lp_error *err);

#endif
