/* localpredict.h — the one public header of the localpredict engine.
 *
 * localpredict runs a trained classifier on rows of data and produces one
 * probability per class plus a suggested label, entirely in-process.  The same
 * C11 code builds natively (CLI, tests) and to WebAssembly (src/wasm_api.c).
 *
 * Typical use, CSV in and CSV out:
 *
 *     lp_error err;
 *     lp_model *model = NULL;
 *     lp_load_options lo = lp_load_options_default();
 *     lo.manifest = manifest_bytes; lo.manifest_len = manifest_len;   // optional
 *     if (lp_model_load(model_bytes, model_len, &lo, &model, &err) != LP_OK) {
 *         fprintf(stderr, "%s\n", err.message); return;
 *     }
 *     lp_job *job = NULL;
 *     lp_job_options jo = lp_job_options_default();
 *     lp_job_create(model, &jo, &job, &err);
 *     while (more input) {
 *         lp_job_push(job, chunk, chunk_len, &err);          // any chunk size
 *         write(out, lp_job_output(job), lp_job_output_len(job));
 *         lp_job_output_clear(job);
 *     }
 *     lp_job_finish(job, &err);                              // flushes the last rows
 *     write(out, lp_job_output(job), lp_job_output_len(job));
 *     lp_job_destroy(job);
 *     lp_model_destroy(model);
 *
 * Ownership (stated once, for every function below):
 * - The caller owns what it passes in; the engine copies what it keeps and
 *   holds no caller pointer after a call returns.
 * - Objects created by lp_*_create / lp_model_load are released by the
 *   matching lp_*_destroy; destroying NULL is a no-op.
 * - Strings and buffers returned by the engine (lp_model_info_json,
 *   lp_job_output, ...) live until the next call on the same handle that can
 *   change them, or until the handle is destroyed.
 * - A model is immutable after load: any number of jobs and predictions may
 *   use it (one thread per job; the engine has no global state).
 *
 * Errors: every fallible call returns an lp_status and, when `err` is not
 * NULL, fills it with the status, a one-line message and the location at
 * fault (physical CSV line, column, model field, tree node).  The engine never
 * aborts or prints on bad input.
 */
#ifndef LOCALPREDICT_H
#define LOCALPREDICT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- version ------------------------------------------------------------ */
/* The engine's version, e.g. "0.1.0": package.json's "version", which the Makefile
 * passes in as LP_VERSION_STRING when it compiles the library. */
const char *lp_version(void);

/* ---- limits (defaults; all are checked, exceeding one is LP_ERR_LIMIT) --- *
 * Those marked "raise:" can be set per call, up to the ceiling named (0 in
 * the option = the default); the others are fixed. */
#define LP_MAX_JSON_DEPTH      64          /* nesting of model/manifest JSON */
#define LP_MAX_TREE_DEPTH      64          /* deepest root-to-leaf path; raise:
                                              lp_load_options.max_tree_depth, up to 255 */
#define LP_MAX_TREE_DEPTH_CEILING 255      /* (depths are stored in a byte) */
#define LP_MAX_NODES           (1u << 26)  /* nodes in one ensemble; raise:
                                              lp_load_options.max_nodes, up to 2^31 - 1 */
#define LP_MAX_MODEL_BYTES     ((size_t)1 << 28) /* 256 MiB model file; raise:
                                              lp_load_options.max_model_bytes */
/* ONNX limits: a file declaring more is refused before anything is allocated
 * for it (a tensor's elements, the graph's nodes) or built (operators). */
#define LP_MAX_TENSOR_ELEMENTS ((size_t)1 << 28) /* elements of one ONNX tensor; raise:
                                              lp_load_options.max_tensor_elements */
#define LP_MAX_GRAPH_NODES     ((size_t)1 << 20) /* nodes an ONNX graph declares; raise:
                                              lp_load_options.max_graph_nodes */
#define LP_MAX_GRAPH_OPS       10000       /* operators a dense ONNX graph runs; raise:
                                              lp_load_options.max_graph_ops */
#define LP_MAX_BATCH_ROWS      65536       /* lp_job_options.batch_rows */
#define LP_MAX_CLASSES         65536
/* CSV limits: defaults of lp_job_options.max_columns / max_field_bytes, which
 * a caller may raise (a wide or text-heavy file) or lower. */
#define LP_DEFAULT_MAX_COLUMNS     100000      /* fields in one CSV record */
#define LP_DEFAULT_MAX_FIELD_BYTES (1u << 20)  /* bytes of one CSV field (1 MiB) */

/* ---- statuses ----------------------------------------------------------- *
 * One list generates the enum, lp_status_str() and lp_status_code() (the
 * stable code string the JS API exposes as LocalPredictError.code).  New
 * values go at the end. */
#define LP_STATUS_LIST(X)                                                   \
    X(LP_OK,                 "OK",                 "ok")                    \
    X(LP_ERR_NOMEM,          "OUT_OF_MEMORY",      "out of memory")         \
    X(LP_ERR_USAGE,          "USAGE",              "invalid argument")      \
    X(LP_ERR_BAD_MODEL,      "BAD_MODEL",          "bad model")             \
    X(LP_ERR_UNSUPPORTED,    "UNSUPPORTED",        "unsupported model feature") \
    X(LP_ERR_BAD_MANIFEST,   "BAD_MANIFEST",       "bad manifest")          \
    X(LP_ERR_EMPTY_INPUT,    "EMPTY_INPUT",        "empty input")           \
    X(LP_ERR_MISSING_COLUMN, "MISSING_COLUMN",     "missing column")        \
    X(LP_ERR_BAD_NUMBER,     "BAD_NUMBER",         "bad number")            \
    X(LP_ERR_UNTERMINATED_QUOTE, "UNTERMINATED_QUOTE", "unterminated quote") \
    X(LP_ERR_RAGGED_ROW,     "RAGGED_ROW",         "wrong number of fields") \
    X(LP_ERR_BAD_CSV,        "BAD_CSV",            "malformed CSV")         \
    X(LP_ERR_DUPLICATE_COLUMN, "DUPLICATE_COLUMN", "duplicate column")      \
    X(LP_ERR_LIMIT,          "LIMIT",              "limit exceeded")        \
    X(LP_ERR_STATE,          "STATE",              "call out of order")     \
    X(LP_ERR_COLUMN_COUNT,   "COLUMN_COUNT",       "wrong number of columns") \
    X(LP_ERR_UNKNOWN_CATEGORY, "UNKNOWN_CATEGORY", "unknown category")

typedef enum {
#define LP__STATUS_ENUM(name, code, text) name,
    LP_STATUS_LIST(LP__STATUS_ENUM)
#undef LP__STATUS_ENUM
    LP_STATUS_COUNT
} lp_status;

/* A human phrase ("bad number") and the stable code ("BAD_NUMBER"). */
const char *lp_status_str(lp_status s);
const char *lp_status_code(lp_status s);

/* Filled by every fallible call.  Location fields are 0 / "" / -1 when they
 * do not apply.  `message` says what is wrong, naming locations inside the
 * model (tree, node, field) itself; the CSV line and column are kept in their
 * fields, and lp_error_format puts everything together. */
#define LP_ERROR_MESSAGE_CAP 4096   /* room to name every missing column */
#define LP_ERROR_NAME_CAP    128
typedef struct lp_error {
    lp_status code;
    uint64_t  line;                       /* physical line, 1-based; 0 = n/a */
    int64_t   column_index;               /* 0-based CSV column; -1 = n/a */
    char      column[LP_ERROR_NAME_CAP];  /* CSV column name */
    char      field[LP_ERROR_NAME_CAP];   /* model/manifest field, e.g. "learner.objective" */
    int64_t   node;                       /* tree node id; -1 = n/a */
    int64_t   tree;                       /* tree index; -1 = n/a */
    char      message[LP_ERROR_MESSAGE_CAP];
} lp_error;

void lp_error_clear(lp_error *err);

/* The one-line description users see:
 *     <source>:<line>: column "<name>": <message>
 * leaving out the parts that do not apply (source NULL: "line <line>: ...").
 * Returns the length written (truncated to cap - 1, always NUL-terminated). */
size_t lp_error_format(const lp_error *err, const char *source, char *buf, size_t cap);

/* ---- handles ------------------------------------------------------------ */
typedef struct lp_model lp_model;   /* immutable after load, shareable */
typedef struct lp_job   lp_job;     /* one streaming CSV -> CSV run */

/* ---- tasks -------------------------------------------------------------- */
typedef enum {
    LP_TASK_AUTO = 0,      /* from the model (or manifest) */
    LP_TASK_MULTICLASS,    /* K exclusive classes; rows sum to 1 */
    LP_TASK_BINARY,        /* two classes; positive if p > threshold */
    LP_TASK_MULTILABEL,    /* K independent labels */
    LP_TASK_REGRESSION     /* one "Prediction" column */
} lp_task;

const char *lp_task_name(lp_task t);           /* "multiclass", ... */
lp_task     lp_task_from_name(const char *s);  /* LP_TASK_AUTO if unknown */

/* ---- loading ------------------------------------------------------------ */
typedef struct lp_load_options {
    /* A manifest (`{"localpredict": 1, ...}` JSON) that adds to or overrides
     * what the model stores.  May be NULL. */
    const char *manifest;
    size_t      manifest_len;
    /* Overrides with the manifest's schema that win over the manifest (the
     * CLI flags and JS options).  May be NULL. */
    const char *overrides;
    size_t      overrides_len;
    /* Where the manifest came from, for error messages ("iris.localpredict.json"). */
    const char *manifest_name;
    /* Limits (0 = the default LP_MAX_*; see "limits" above). */
    size_t      max_model_bytes;
    size_t      max_nodes;
    unsigned    max_tree_depth;
    size_t      max_tensor_elements;   /* ONNX; LP_MAX_TENSOR_ELEMENTS */
    size_t      max_graph_nodes;       /* ONNX; LP_MAX_GRAPH_NODES */
    size_t      max_graph_ops;         /* ONNX; LP_MAX_GRAPH_OPS */
    /* The files a manifest names, found by exact name: an ensemble's
     * members and their manifests (see "ensembles" below), a text model's
     * vocabulary ("preprocess.vocab": "vocab.txt").  May be NULL. */
    const struct lp_part *parts;
    size_t      n_parts;
    /* The SHA-256 of exactly these model bytes, 64 lowercase hex digits, when
     * the caller has it already (the JS shim computes it with WebCrypto while
     * the engine compiles); the model's "sha256" is then this text, and the
     * engine does not hash the bytes.  NULL: the engine computes it.  Not
     * used for blobs (they keep their model's) or ensembles (their manifest's). */
    const char *source_sha256;
} lp_load_options;

/* One named file handed to the engine (an ensemble member, its manifest, a
 * vocabulary), read by the caller from beside the manifest. */
typedef struct lp_part {
    const char    *name;   /* as the manifest names it, e.g. "xgb.json" */
    const uint8_t *bytes;
    size_t         len;
} lp_part;

lp_load_options lp_load_options_default(void);

/* Loads a model from bytes: XGBoost JSON, or a blob from lp_model_serialize.
 * On success *out is a new model, released with lp_model_destroy.
 *
 * Ensembles: a manifest with "ensemble" ({"localpredict": 1, "ensemble":
 * [{"model": "a.json", "weight": 2}, {"model": "b.onnx"}]}) is a whole model:
 * pass it as the model bytes (or as opts->manifest with len 0) and each
 * file it names in opts->parts.  The model predicts the weighted average of
 * the members' probabilities (docs/manifest.schema.json). */
lp_status lp_model_load(const uint8_t *bytes, size_t len, const lp_load_options *opts,
                        lp_model **out, lp_error *err);

void lp_model_destroy(lp_model *model);

/* ---- model queries ------------------------------------------------------ */
/* The model described as JSON (format, task, objective, trees, features,
 * classes, sha256 of the model bytes, ...).  NUL-terminated; lives as long as
 * the model. */
const char *lp_model_info_json(const lp_model *model);

lp_task lp_model_task(const lp_model *model);
size_t  lp_model_n_features(const lp_model *model);
/* Name of input feature i (0-based); "" when the model stores none. */
const char *lp_model_feature_name(const lp_model *model, size_t i);
/* Number of output columns: classes (or labels), or 1 for regression. */
size_t  lp_model_n_outputs(const lp_model *model);
/* Label of output column i as printed in CSV headers. */
const char *lp_model_output_name(const lp_model *model, size_t i);

/* A compact, validated copy of the model that lp_model_load reads back
 * without re-parsing JSON (to hand a model to another engine instance).
 * *out points into the model and lives as long as it. */
lp_status lp_model_serialize(const lp_model *model, const uint8_t **out, size_t *out_len,
                             lp_error *err);

/* ---- batch prediction on a column table --------------------------------- *
 * Columns are matched to the model's inputs by name (or by position when the
 * model has no feature names).  Each column has a type and an optional
 * missing mask (1 = missing).  String cells are parsed with the model's rule
 * for that input, exactly as CSV cells are. */
typedef enum { LP_COL_F32 = 0, LP_COL_F64, LP_COL_I64, LP_COL_STR } lp_col_type;

typedef struct lp_column {
    const char    *name;         /* NUL-terminated; NULL in the first column = all
                                    columns are the model's features in order */
    lp_col_type    type;
    const void    *data;         /* n_rows values (F32/F64/I64) or UTF-8 bytes (STR) */
    const uint32_t *str_offsets; /* STR only: n_rows + 1 offsets into data */
    const uint8_t *missing;      /* n_rows flags, or NULL */
} lp_column;

typedef struct lp_table {
    size_t           n_rows;
    size_t           n_columns;
    const lp_column *columns;
} lp_table;

typedef struct lp_predict_options {
    double threshold;   /* NaN = the model's / manifest's threshold */
} lp_predict_options;

lp_predict_options lp_predict_options_default(void);

/* Probabilities for every row: proba[row * n_outputs + k], and the suggested
 * outputs: chosen[row * n_outputs + k] = 1 when output k is part of the row's
 * Suggested Label (exactly one per row for multiclass/binary, any number for
 * multilabel, none for regression).  `chosen` may be NULL.  Both buffers are
 * caller-owned with room for n_rows * lp_model_n_outputs() entries. */
lp_status lp_model_predict_table(const lp_model *model, const lp_table *table,
                                 const lp_predict_options *opts,
                                 float *proba, uint8_t *chosen, lp_error *err);

/* The fast path: a row-major float32 matrix, columns in the model's feature
 * order; NaN is a missing value. */
lp_status lp_model_predict_matrix(const lp_model *model, const float *data, size_t n_rows,
                                  size_t n_cols, const lp_predict_options *opts,
                                  float *proba, uint8_t *chosen, lp_error *err);

/* ---- CSV dialects (issue 9) --------------------------------------------- *
 * Encodings a job reads.  LP_ENC_AUTO: UTF-8 (a UTF-8 byte-order mark is
 * skipped), and UTF-16 text that starts with its byte-order mark is converted;
 * anything else must be named (Windows-1252 and Latin-1 cannot be told apart
 * from each other reliably, so they are never guessed: a field that is not
 * UTF-8 is an error that says how to name them). */
typedef enum {
    LP_ENC_AUTO = 0, LP_ENC_UTF8, LP_ENC_WINDOWS_1252, LP_ENC_LATIN1, LP_ENC_UTF16LE, LP_ENC_UTF16BE
} lp_encoding;

/* "auto", "utf-8", "windows-1252", "latin1", "utf-16le", "utf-16be". */
const char *lp_encoding_name(lp_encoding e);
/* Those names (any case) and the aliases utf8, cp1252, latin-1, iso-8859-1;
 * -1 when unknown. */
int lp_encoding_from_name(const char *name);
/* The delimiter of a CSV among , ; TAB | from its first record (UTF-8 bytes
 * from the file's start; quote-aware; the most frequent outside quotes, ties
 * in that order, none: ','). */
int lp_csv_detect_delimiter(const uint8_t *bytes, size_t len);

/* What a job does with a row it cannot read (a bad number, a ragged row). */
typedef enum { LP_ON_ERROR_FAIL = 0, LP_ON_ERROR_SKIP = 1 } lp_on_error;
/* lp_job_skipped_line keeps the lines of this many skipped rows. */
#define LP_SKIPPED_LINES_KEPT 10
/* Data rows a check-only job reads (after the header) to judge the columns. */
#define LP_CHECK_SAMPLE_ROWS 1000

/* ---- streaming CSV -> CSV job ------------------------------------------- */
typedef struct lp_job_options {
    double      threshold;       /* NaN = the model's / manifest's threshold */
    int         include_input;   /* keep every input column in front */
    /* Keep only these input columns in front: `keep_len` bytes of names
     * separated by NUL bytes ("id\0name").  NULL = none. */
    const char *keep;
    size_t      keep_len;
    /* To start mid-file (a worker given a slice): the file's header record
     * (without its line end), the physical line number of the first record
     * pushed, and whether to write the output header.  header = NULL means
     * the first record pushed is the header, at line 1. */
    const char *header;
    size_t      header_len;
    uint64_t    first_line;
    int         write_header;
    /* Rows per prediction batch (0 = default, 256; at most LP_MAX_BATCH_ROWS). */
    size_t      batch_rows;
    /* Only check the header against the model's inputs (the CLI's --check):
     * the rest of the input is read but nothing is predicted or written. */
    int         check_only;
    /* Read, bind and parse every data cell into the float32 batch exactly as
     * for prediction (every bad cell is an error), but predict and write
     * nothing: validates a whole file, and times the parser alone
     * (tests/bench/csv_parse.mjs). */
    int         parse_only;
    /* Limits of the CSV reader (0 = the LP_DEFAULT_MAX_* above): a record
     * with more fields, or a field with more bytes (quotes not counted), is
     * LP_ERR_LIMIT naming the line and column. */
    size_t      max_columns;
    size_t      max_field_bytes;
    /* ---- dialects (issue 9; all 0 = the defaults) ---- */
    /* The field delimiter: ',', ';', '\t', '|' (any byte but a quote or a
     * line end); 0 = detected from the header line (lp_csv_detect_delimiter). */
    int         delimiter;
    lp_encoding encoding;
    /* Numeric cells use a decimal comma ("1,5" is 1.5); needs a delimiter
     * other than ',' (LP_ERR_USAGE otherwise). */
    int         decimal_comma;
    /* The first record is data, not a header.  Columns are then named by
     * `columns` (names separated by NUL, as `keep`), or "1".."N". */
    int         no_header;
    const char *columns;
    size_t      columns_len;
    /* Output for Excel: a UTF-8 byte-order mark (with the header) and CRLF
     * line ends.  Default: no BOM, LF (ARCHITECTURE.md "Output bytes"). */
    int         excel;
    /* LP_ON_ERROR_SKIP: a row with a bad cell, the wrong number of fields or a
     * kept field that is not UTF-8 keeps its place in the output with empty
     * probabilities, and the output gets a last column "Error" with the
     * message (empty for good rows).  Errors of the file itself (quotes,
     * encoding, the header) still fail the job. */
    int         on_error;
} lp_job_options;

lp_job_options lp_job_options_default(void);

/* Creates a job reading CSV bytes for `model`, which must outlive the job.
 * Released with lp_job_destroy. */
lp_status lp_job_create(const lp_model *model, const lp_job_options *opts, lp_job **out,
                        lp_error *err);

/* Feeds the next `len` bytes of the CSV (any split: records may straddle
 * chunks).  Complete batches are predicted and appended to the output. */
lp_status lp_job_push(lp_job *job, const uint8_t *bytes, size_t len, lp_error *err);

/* Ends the input: the last record and batch are processed.  An empty input
 * (no header at all) is LP_ERR_EMPTY_INPUT. */
lp_status lp_job_finish(lp_job *job, lp_error *err);

/* Output CSV bytes produced so far and not yet cleared. */
const uint8_t *lp_job_output(const lp_job *job);
size_t         lp_job_output_len(const lp_job *job);
void           lp_job_output_clear(lp_job *job);

/* Data rows predicted so far; input bytes consumed so far. */
uint64_t lp_job_rows(const lp_job *job);
uint64_t lp_job_bytes_in(const lp_job *job);

/* Physical line ends read so far (every LF, every CR not followed by an LF,
 * quoted or not; blank lines too): after lp_job_finish, the lines of a slice
 * job's input, which is where the next slice's line numbers start. */
uint64_t lp_job_line_ends(const lp_job *job);

/* Rows skipped by LP_ON_ERROR_SKIP, and the physical line of skipped row i
 * (i < LP_SKIPPED_LINES_KEPT; 0 when there is no such row). */
uint64_t lp_job_skipped(const lp_job *job);
uint64_t lp_job_skipped_line(const lp_job *job, size_t i);

/* 1 when a check_only job has read its sample: further input is not looked
 * at, so the caller may stop reading and call lp_job_finish. */
int lp_job_check_done(const lp_job *job);

/* The dialect in use, once the header has been read (before: 0 / LP_ENC_AUTO):
 * the delimiter byte, the encoding (LP_ENC_AUTO resolved to UTF-8 or UTF-16). */
int         lp_job_delimiter(const lp_job *job);
lp_encoding lp_job_encoding(const lp_job *job);

/* After lp_job_finish of a check_only job: what it found, as text for
 * people (lines "key  value"; the CLIs print it) and as JSON (the JS API's
 * check() result: encoding, delimiter, columns with their types, ...).
 * Both share one buffer: a string lasts until the next call of either. */
const char *lp_job_check_text(lp_job *job);
const char *lp_job_check_json(lp_job *job);

void lp_job_destroy(lp_job *job);

#ifdef __cplusplus
}
#endif
#endif /* LOCALPREDICT_H */
