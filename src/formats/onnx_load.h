/* onnx_load.h — ONNX models → lp_model.
 *
 * Today's scope: graphs whose computation is one ai.onnx.ml tree ensemble
 * (what skl2onnx and onnxmltools write for random forests, gradient boosting,
 * XGBoost and LightGBM), fed by one [N, F] float input or by per-column
 * inputs joined with Concat / FeatureVectorizer, with Identity, Cast to float
 * and ZipMap around it.  Any other operator is reported, all of them in one
 * error, before anything runs. */
#ifndef LP_FORMATS_ONNX_LOAD_H
#define LP_FORMATS_ONNX_LOAD_H

#include "model.h"
#include "onnx_graph.h"

lp_status lp__onnx_load(const uint8_t *bytes, size_t len, lp_model **out, lp_error *err);

/* The same under the caller's limits (NULL = the defaults). */
lp_status lp__onnx_load_limited(const uint8_t *bytes, size_t len, const lp__onnx_limits *limits, lp_model **out,
                                lp_error *err);

#endif
