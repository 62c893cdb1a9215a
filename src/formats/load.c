/* load.c — lp_model_load: recognise the format, load, apply the manifest and
 * overrides, describe.  New formats add a branch here and a loader beside. */
#include <stdint.h>
#include <string.h>

#include "../core/error.h"
#include "../core/sha256.h"
#include "ensemble.h"
#include "manifest.h"
#include "model_blob.h"
#include "onnx_load.h"
#include "lightgbm_txt.h"
#include "xgboost_json.h"

#ifndef LP_VERSION_STRING
#error "LP_VERSION_STRING is package.json's version, defined by the Makefile (-DLP_VERSION_STRING='\"x.y.z\"')"
#endif

const char *lp_version(void) { return LP_VERSION_STRING; }

lp_load_options lp_load_options_default(void)
{
    lp_load_options o;
    memset(&o, 0, sizeof o);
    return o;
}

/* ---- limits ---- */
typedef struct lp__limits {
    size_t   model_bytes, nodes;
    unsigned tree_depth;
    lp__onnx_limits onnx;   /* 0 = the decoder's defaults */
} lp__limits;

/* The caller's limits, or the defaults; above a ceiling is a usage error. */
static lp_status resolve_limits(const lp_load_options *o, lp__limits *l, lp_error *err)
{
    l->model_bytes = o && o->max_model_bytes ? o->max_model_bytes : LP_MAX_MODEL_BYTES;
    l->nodes = o && o->max_nodes ? o->max_nodes : LP_MAX_NODES;
    l->tree_depth = o && o->max_tree_depth ? o->max_tree_depth : LP_MAX_TREE_DEPTH;
    l->onnx.tensor_elements = o ? o->max_tensor_elements : 0;
    l->onnx.graph_nodes = o ? o->max_graph_nodes : 0;
    l->onnx.graph_ops = o ? o->max_graph_ops : 0;
    if (l->tree_depth > LP_MAX_TREE_DEPTH_CEILING)
        return lp__fail(err, LP_ERR_USAGE, "max_tree_depth is %u; it can be at most %d", l->tree_depth,
                        LP_MAX_TREE_DEPTH_CEILING);
    if (l->nodes > INT32_MAX)
        return lp__fail(err, LP_ERR_USAGE, "max_nodes is %zu; it can be at most %d", l->nodes, INT32_MAX);
    return LP_OK;
}

/* On the validated model (depths are known only after lp__forest_check). */
static lp_status check_limits(const lp_model *m, const lp__limits *l, lp_error *err)
{
    const lp__forest *f = &m->forest;
    if (f->n_nodes > l->nodes)
        return lp__fail(err, LP_ERR_LIMIT, "the model has %zu tree nodes, over the limit of %zu (a caller can raise it: "
                        "lp_load_options.max_nodes, limits.nodes in JS, --max-tree-nodes)", f->n_nodes, l->nodes);
    for (size_t t = 0; t < f->n_trees; t++)
        if (f->tree_depth[t] > l->tree_depth) {
            lp__fail(err, LP_ERR_LIMIT, "tree %zu is %u levels deep, over the limit of %u (a caller can raise it up "
                     "to %d: lp_load_options.max_tree_depth, limits.treeDepth in JS, --max-tree-depth)", t,
                     (unsigned)f->tree_depth[t], l->tree_depth,
                     LP_MAX_TREE_DEPTH_CEILING);
            if (err) err->tree = (int64_t)t;
            return LP_ERR_LIMIT;
        }
    return LP_OK;
}

/* The first byte that is not JSON whitespace, or -1. */
static int first_significant(const uint8_t *bytes, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (bytes[i] != ' ' && bytes[i] != '\n' && bytes[i] != '\r' && bytes[i] != '\t')
            return bytes[i];
    return -1;
}

lp_status lp_model_load(const uint8_t *bytes, size_t len, const lp_load_options *opts,
                        lp_model **out, lp_error *err)
{
    lp_error_clear(err);
    if (!out || (!bytes && len)) return lp__fail(err, LP_ERR_USAGE, "lp_model_load: no output pointer or no bytes");
    *out = NULL;
    /* An ensemble's manifest (as the model, or as the manifest with no model
     * bytes), an ensemble blob, or a .zip bundle. */
    int handled = 0;
    lp_status routed = lp__ensemble_route(bytes, len, opts, out, err, &handled);
    if (handled) return routed;
    if (len == 0) return lp__fail(err, LP_ERR_BAD_MODEL, "the model file is empty");
    lp__limits limits;
    lp_status s = resolve_limits(opts, &limits, err);
    if (s != LP_OK) return s;
    if (opts && opts->source_sha256) {
        size_t n = strspn(opts->source_sha256, "0123456789abcdef");
        if (n != 64 || opts->source_sha256[64] != '\0')
            return lp__fail(err, LP_ERR_USAGE, "source_sha256 must be 64 lowercase hex digits");
    }
    if (len > limits.model_bytes)
        return lp__fail(err, LP_ERR_LIMIT, "the model file is %zu bytes, over the limit of %zu bytes (a caller can raise "
                        "it: lp_load_options.max_model_bytes, limits.modelBytes in JS, --max-model-bytes)", len,
                        limits.model_bytes);

    lp_model *m = NULL;
    int first = first_significant(bytes, len);
    int is_blob = lp__blob_is(bytes, len);
    if (is_blob) {
        s = lp__blob_load(bytes, len, &limits.onnx, &m, err);
    } else if (len > 1 && bytes[0] == '{' && strchr("LlIiU$#", bytes[1]) && bytes[1]) {
        /* UBJSON objects start with '{' and a length marker; JSON needs '"' or space. */
        s = lp__xgboost_ubjson_load(bytes, len, &m, err);
    } else if (first == '{') {
        s = lp__xgboost_json_load(bytes, len, &m, err);
    } else if (len >= 2 && bytes[0] == 0x08) {
#ifndef LP_NO_ONNX
        s = lp__onnx_load_opts(bytes, len, &limits.onnx, opts, &m, err);
#else
        s = lp__fail(err, LP_ERR_UNSUPPORTED, "this looks like an ONNX model, and this engine is the tabular-only "
                     "build (LP_NO_ONNX): use the full engine");
#endif
    } else if (len >= 5 && memcmp(bytes, "tree", 4) == 0 && (bytes[4] == '\n' || bytes[4] == '\r')) {
        s = lp__lightgbm_txt_load(bytes, len, &m, err);
    } else {
        s = lp__fail(err, LP_ERR_BAD_MODEL, "not a model this engine reads (expected an XGBoost model saved "
                     "with save_model(\"model.json\") or (\"model.ubj\"), a LightGBM model.txt or an "
                     "ONNX model)");
    }
    if (s != LP_OK) return s;

    if (!is_blob) {   /* a blob keeps the identity of the model it came from */
        if (opts && opts->source_sha256) memcpy(m->sha256, opts->source_sha256, 65);
        else lp__sha256_hex(bytes, len, m->sha256);
        m->source_bytes = len;
    }
    s = check_limits(m, &limits, err);
    if (s == LP_OK) s = lp__manifest_apply(m, opts, err);
    if (s == LP_OK) s = lp__model_finish(m, err);
    if (s != LP_OK) {
        lp_model_destroy(m);
        return s;
    }
    *out = m;
    return LP_OK;
}
