/* onnx_dims.h — an ONNX graph's symbolic input dimensions, bound at load.
 *
 * torch.onnx writes a text model exported with
 * dynamic_axes={'input_ids': {0: 'batch', 1: 'sequence'}} as an input
 * [batch, sequence]: only the rows may vary in this engine, so "sequence"
 * must become a number before the graph is built (then every shape after it
 * is concrete, and Shape, Gather, Range, Expand ... fold at build time).
 * What binds it, key by key from the overrides, the caller's manifest, then
 * the manifest inside the model (as manifest.c decides every key):
 *   - a text model's "preprocess": "max_length" is dimension 1 of every
 *     input "preprocess.inputs" feeds (the ids, the mask, the type ids), and
 *     of every input sharing that dimension's name;
 *   - "dims": {"sequence": 128}: a named dimension, wherever it appears.
 * Two bindings that disagree, a binding of the rows' dimension, or a free
 * dimension nothing binds, fail the load (graph_build.c) naming the input,
 * the dimension and what binds it.  The bindings used are kept in the model
 * (lp_model.dim_bindings) so the model blob rebuilds the same graph. */
#ifndef LP_FORMATS_ONNX_DIMS_H
#define LP_FORMATS_ONNX_DIMS_H

#include "../io/json.h"
#include "../ops/graph.h"
#include "model.h"

/* Fills m->dim_bindings for the graph of `om` from the manifests (nothing
 * when its inputs have no free dimension).  A "dims" entry that is not a
 * positive integer, or names no symbolic dimension of the inputs, is
 * LP_ERR_BAD_MANIFEST (LP_ERR_USAGE in the options). */
lp_status lp__onnx_dims_collect(const lp__onnx_model *om, const lp_load_options *opts, lp_model *m, lp_error *err);

/* m's bindings as the graph builder takes them. */
lp__dim_bindings lp__onnx_dims_of(const lp_model *m);

/* Keeps a binding in m (strings copied); for the blob reader. */
lp_status lp__onnx_dims_add(lp_model *m, const char *symbol, const char *input, int axis, int64_t value,
                            const char *source, lp_error *err);

void lp__onnx_dims_free(lp_model *m);

#endif
