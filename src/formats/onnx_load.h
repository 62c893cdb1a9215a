/* onnx_load.h — ONNX models → lp_model.
 *
 * Today's scope: graphs whose computation is one ai.onnx.ml tree ensemble
 * (what skl2onnx and onnxmltools write for random forests, gradient boosting,
 * XGBoost and LightGBM), fed by one [N, F] float input or by per-column
 * inputs joined with Concat / FeatureVectorizer, with Identity, Cast to float
 * and ZipMap around it; or one ensemble after encoders and scalers, which
 * then run as a dense graph computing its features (lp__onnx_feature_graph);
 * or a dense graph (src/ops/).  Any other operator is reported, all of them in one
 * error, before anything runs. */
#ifndef LP_FORMATS_ONNX_LOAD_H
#define LP_FORMATS_ONNX_LOAD_H

#include "model.h"
#include "onnx_graph.h"

lp_status lp__onnx_load(const uint8_t *bytes, size_t len, lp_model **out, lp_error *err);

/* The same under the caller's limits (NULL = the defaults). */
lp_status lp__onnx_load_limited(const uint8_t *bytes, size_t len, const lp__onnx_limits *limits, lp_model **out,
                                lp_error *err);

/* The same with the caller's options: a manifest (or the one inside the
 * model) may bind the inputs' symbolic dimensions (onnx_dims.h). */
lp_status lp__onnx_load_opts(const uint8_t *bytes, size_t len, const lp__onnx_limits *limits,
                             const lp_load_options *opts, lp_model **out, lp_error *err);

/* A tree ensemble after encoders: the dense graph of `om` (taken over, as
 * lp__graph_build does) up to the ensemble's input, whose [N, F] float
 * output the trees read; *ensemble points at the ensemble node, inside the
 * graph's copy of the model.  The nodes after the ensemble may only pass
 * its scores on (Identity, Cast, ZipMap); anything else is refused.  Used
 * at load and when a model blob is read back. */
struct lp__graph;
lp_status lp__onnx_feature_graph(lp__onnx_model *om, struct lp__graph **out, const lp__onnx_node **ensemble,
                                 lp_error *err);

#endif
