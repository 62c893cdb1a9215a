/* model_blob.h — a compact binary copy of a loaded model.
 *
 * lp_model_serialize writes it; lp_model_load recognises its magic and reads
 * it back without any JSON, re-running the structural checks (a blob is
 * untrusted input like any model file).  The layout is little-endian, the
 * byte order of WebAssembly and of every host we build for:
 *   "LPMODEL1", then fields in the order of model_blob.c's write_model.
 */
#ifndef LP_FORMATS_MODEL_BLOB_H
#define LP_FORMATS_MODEL_BLOB_H

#include "model.h"
#include "onnx_graph.h"

#define LP__BLOB_MAGIC "LPMODEL1"

int       lp__blob_is(const uint8_t *bytes, size_t len);
/* `onnx`: the caller's limits for the ONNX graph a dense model's blob carries
 * (NULL = the defaults). */
lp_status lp__blob_load(const uint8_t *bytes, size_t len, const lp__onnx_limits *onnx, lp_model **out,
                        lp_error *err);

#endif
