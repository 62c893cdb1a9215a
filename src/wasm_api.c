/* wasm_api.c — the flat ABI the JS shim calls; the only Emscripten-aware file.
 *
 * Only i32 (pointers, handles, sizes, statuses) and f64 cross the boundary
 * (no i64: it would need BigInt on the JS side).  Every fallible export takes
 * an lp_error* made by lp_wasm_error_new and returns an lp_status; the JS side
 * reads the message and location through the lp_wasm_error_* accessors.  No
 * engine logic lives here: each export converts arguments and calls the
 * public API of localpredict.h.
 *
 * Memory: the JS side allocates input buffers with lp_wasm_alloc and frees
 * them with lp_wasm_free; out-parameters (lp_model**, lp_job**, ...) are
 * 4-byte slots it allocates the same way.
 */
#include <emscripten.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "localpredict.h"

#define EXPORT EMSCRIPTEN_KEEPALIVE

EXPORT void *lp_wasm_alloc(size_t n) { return malloc(n ? n : 1); }
EXPORT void lp_wasm_free(void *p) { free(p); }
EXPORT const char *lp_wasm_version(void) { return lp_version(); }

/* ---- errors ---- */
EXPORT lp_error *lp_wasm_error_new(void)
{
    lp_error *e = malloc(sizeof *e);
    if (e) lp_error_clear(e);
    return e;
}
EXPORT void lp_wasm_error_free(lp_error *e) { free(e); }
EXPORT int lp_wasm_error_status(const lp_error *e) { return (int)e->code; }
EXPORT const char *lp_wasm_error_code(const lp_error *e) { return lp_status_code(e->code); }
EXPORT const char *lp_wasm_error_message(const lp_error *e) { return e->message; }
EXPORT double lp_wasm_error_line(const lp_error *e) { return (double)e->line; }
EXPORT double lp_wasm_error_column_index(const lp_error *e) { return (double)e->column_index; }
EXPORT const char *lp_wasm_error_column(const lp_error *e) { return e->column; }
EXPORT const char *lp_wasm_error_field(const lp_error *e) { return e->field; }
EXPORT double lp_wasm_error_node(const lp_error *e) { return (double)e->node; }
EXPORT double lp_wasm_error_tree(const lp_error *e) { return (double)e->tree; }

/* ---- models ---- */
/* Loads a model; parts are the named files of an ensemble or a text model
 * (lp_load_options.parts, built with lp_wasm_parts_*), or NULL; sha256 the
 * model bytes' SHA-256 computed by the caller (lp_load_options.source_sha256),
 * or NULL: the engine hashes them.  The limits are doubles (JS numbers); 0 =
 * the default, the JS side checks the range.  The shorter forms below leave
 * the last options out. */
EXPORT int lp_wasm_model_load_hashed(const uint8_t *bytes, size_t len, const char *manifest,
                                     size_t manifest_len, const char *overrides, size_t overrides_len,
                                     const char *manifest_name, double max_model_bytes, double max_nodes,
                                     double max_tree_depth, double max_tensor_elements, double max_graph_nodes,
                                     double max_graph_ops, const lp_part *parts, size_t n_parts,
                                     const char *sha256, lp_error *err, lp_model **out)
{
    lp_load_options o = lp_load_options_default();
    o.max_model_bytes = (size_t)max_model_bytes;
    o.max_nodes = (size_t)max_nodes;
    o.max_tree_depth = (unsigned)max_tree_depth;
    o.max_tensor_elements = (size_t)max_tensor_elements;
    o.max_graph_nodes = (size_t)max_graph_nodes;
    o.max_graph_ops = (size_t)max_graph_ops;
    o.manifest = manifest;
    o.manifest_len = manifest_len;
    o.overrides = overrides;
    o.overrides_len = overrides_len;
    o.manifest_name = manifest_name;
    o.parts = parts;
    o.n_parts = n_parts;
    o.source_sha256 = sha256;
    return (int)lp_model_load(bytes, len, &o, out, err);
}
EXPORT int lp_wasm_model_load_parts(const uint8_t *bytes, size_t len, const char *manifest,
                                    size_t manifest_len, const char *overrides, size_t overrides_len,
                                    const char *manifest_name, double max_model_bytes, double max_nodes,
                                    double max_tree_depth, double max_tensor_elements, double max_graph_nodes,
                                    double max_graph_ops, const lp_part *parts, size_t n_parts,
                                    lp_error *err, lp_model **out)
{
    return lp_wasm_model_load_hashed(bytes, len, manifest, manifest_len, overrides, overrides_len, manifest_name,
                                     max_model_bytes, max_nodes, max_tree_depth, max_tensor_elements,
                                     max_graph_nodes, max_graph_ops, parts, n_parts, NULL, err, out);
}
EXPORT int lp_wasm_model_load(const uint8_t *bytes, size_t len, const char *manifest,
                              size_t manifest_len, const char *overrides, size_t overrides_len,
                              const char *manifest_name, double max_model_bytes, double max_nodes,
                              double max_tree_depth, double max_tensor_elements, double max_graph_nodes,
                              double max_graph_ops, lp_error *err, lp_model **out)
{
    return lp_wasm_model_load_parts(bytes, len, manifest, manifest_len, overrides, overrides_len, manifest_name,
                                    max_model_bytes, max_nodes, max_tree_depth, max_tensor_elements,
                                    max_graph_nodes, max_graph_ops, NULL, 0, err, out);
}
/* The named files of an ensemble (lp_load_options.parts), set one at a time. */
EXPORT lp_part *lp_wasm_parts_new(size_t n) { return calloc(n ? n : 1, sizeof(lp_part)); }
EXPORT void lp_wasm_parts_set(lp_part *parts, size_t i, const char *name, const uint8_t *bytes, size_t len)
{
    parts[i] = (lp_part){name, bytes, len};
}
EXPORT void lp_wasm_parts_free(lp_part *parts) { free(parts); }

EXPORT void lp_wasm_model_destroy(lp_model *m) { lp_model_destroy(m); }
EXPORT const char *lp_wasm_model_info(const lp_model *m) { return lp_model_info_json(m); }
EXPORT size_t lp_wasm_model_n_features(const lp_model *m) { return lp_model_n_features(m); }
EXPORT size_t lp_wasm_model_n_outputs(const lp_model *m) { return lp_model_n_outputs(m); }
EXPORT int lp_wasm_model_serialize(const lp_model *m, const uint8_t **out, size_t *out_len,
                                   lp_error *err)
{
    return (int)lp_model_serialize(m, out, out_len, err);
}

/* ---- batch prediction ---- */
static lp_predict_options predict_options(double threshold)
{
    lp_predict_options o = lp_predict_options_default();
    o.threshold = threshold;   /* NaN = the model's */
    return o;
}

EXPORT int lp_wasm_predict_matrix(const lp_model *m, const float *data, size_t n_rows,
                                  size_t n_cols, double threshold, float *proba,
                                  uint8_t *chosen, lp_error *err)
{
    lp_predict_options o = predict_options(threshold);
    return (int)lp_model_predict_matrix(m, data, n_rows, n_cols, &o, proba, chosen, err);
}

/* A column table assembled one column at a time (the JS side cannot lay out
 * lp_column structs portably). */
typedef struct wasm_table {
    lp_table   table;
    lp_column *columns;
} wasm_table;

EXPORT wasm_table *lp_wasm_table_new(size_t n_rows, size_t n_columns)
{
    wasm_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->columns = calloc(n_columns ? n_columns : 1, sizeof *t->columns);
    if (!t->columns) {
        free(t);
        return NULL;
    }
    t->table.n_rows = n_rows;
    t->table.n_columns = n_columns;
    t->table.columns = t->columns;
    return t;
}

/* type: 0 f32, 1 f64, 2 i64, 3 string (data = UTF-8 bytes, offsets = n_rows+1
 * uint32).  name may be 0 (bind by position); missing may be 0. */
EXPORT int lp_wasm_table_set_column(wasm_table *t, size_t i, const char *name, int type,
                                    const void *data, const uint32_t *offsets,
                                    const uint8_t *missing)
{
    if (!t || i >= t->table.n_columns || type < LP_COL_F32 || type > LP_COL_STR)
        return (int)LP_ERR_USAGE;
    t->columns[i] = (lp_column){name, (lp_col_type)type, data, offsets, missing};
    return (int)LP_OK;
}

EXPORT void lp_wasm_table_free(wasm_table *t)
{
    if (!t) return;
    free(t->columns);
    free(t);
}

EXPORT int lp_wasm_predict_table(const lp_model *m, const wasm_table *t, double threshold,
                                 float *proba, uint8_t *chosen, lp_error *err)
{
    lp_predict_options o = predict_options(threshold);
    return (int)lp_model_predict_table(m, &t->table, &o, proba, chosen, err);
}

/* ---- streaming CSV jobs ---- */
/* The parameters after `out` were added later: a caller that predates them
 * passes nothing, which arrives as 0 / NaN = the defaults. */
EXPORT int lp_wasm_job_create(const lp_model *m, double threshold, int include_input,
                              const char *keep, size_t keep_len, const char *header,
                              size_t header_len, double first_line, int write_header,
                              int check_only, lp_error *err, lp_job **out,
                              int parse_only, double max_columns, double max_field_bytes,
                              int delimiter, int encoding, int decimal_comma, int no_header,
                              const char *columns, size_t columns_len, int excel, int on_error)
{
    lp_job_options o = lp_job_options_default();
    o.threshold = threshold;
    o.include_input = include_input;
    o.keep = keep;
    o.keep_len = keep_len;
    o.header = header;
    o.header_len = header_len;
    o.first_line = first_line > 0 ? (uint64_t)first_line : 0;
    o.write_header = write_header;
    o.check_only = check_only;
    o.parse_only = parse_only;
    /* Limits above what size_t holds are clamped (no limit beyond memory). */
    o.max_columns = max_columns >= 1 ? (max_columns < (double)SIZE_MAX ? (size_t)max_columns : SIZE_MAX) : 0;
    o.max_field_bytes =
        max_field_bytes >= 1 ? (max_field_bytes < (double)SIZE_MAX ? (size_t)max_field_bytes : SIZE_MAX) : 0;
    /* Dialects (issue 9): 0 = the defaults. */
    o.delimiter = delimiter;
    o.encoding = (lp_encoding)encoding;
    o.decimal_comma = decimal_comma;
    o.no_header = no_header;
    o.columns = columns;
    o.columns_len = columns_len;
    o.excel = excel;
    o.on_error = on_error;
    return (int)lp_job_create(m, &o, out, err);
}
EXPORT int lp_wasm_job_push(lp_job *j, const uint8_t *bytes, size_t len, lp_error *err)
{
    return (int)lp_job_push(j, bytes, len, err);
}
EXPORT int lp_wasm_job_finish(lp_job *j, lp_error *err) { return (int)lp_job_finish(j, err); }
EXPORT const uint8_t *lp_wasm_job_output(const lp_job *j) { return lp_job_output(j); }
EXPORT size_t lp_wasm_job_output_len(const lp_job *j) { return lp_job_output_len(j); }
EXPORT void lp_wasm_job_output_clear(lp_job *j) { lp_job_output_clear(j); }
EXPORT double lp_wasm_job_rows(const lp_job *j) { return (double)lp_job_rows(j); }
EXPORT double lp_wasm_job_line_ends(const lp_job *j) { return (double)lp_job_line_ends(j); }
EXPORT void lp_wasm_job_destroy(lp_job *j) { lp_job_destroy(j); }
/* Dialects and the bad-row policy (issue 9). */
EXPORT double lp_wasm_job_skipped(const lp_job *j) { return (double)lp_job_skipped(j); }
EXPORT double lp_wasm_job_skipped_line(const lp_job *j, size_t i) { return (double)lp_job_skipped_line(j, i); }
EXPORT int lp_wasm_job_check_done(const lp_job *j) { return lp_job_check_done(j); }
EXPORT int lp_wasm_job_delimiter(const lp_job *j) { return lp_job_delimiter(j); }
EXPORT const char *lp_wasm_job_check_text(lp_job *j) { return lp_job_check_text(j); }
EXPORT const char *lp_wasm_job_check_json(lp_job *j) { return lp_job_check_json(j); }
EXPORT int lp_wasm_detect_delimiter(const uint8_t *bytes, size_t len) { return lp_csv_detect_delimiter(bytes, len); }
EXPORT int lp_wasm_encoding_from_name(const char *name) { return lp_encoding_from_name(name); }

/* The one-line description (lp_error_format) into a caller buffer. */
EXPORT size_t lp_wasm_error_format(const lp_error *e, const char *source, char *buf, size_t cap)
{
    return lp_error_format(e, source, buf, cap);
}
