/* lp_test.h — the tiny test framework of the C test runner (tests/c/).
 *
 * A test is a function; each test file groups its tests under one entry
 * point that main.c calls:
 *
 *     LP_TEST(sha256_vectors) {
 *         char hex[65];
 *         lp__sha256_hex((const uint8_t *)"abc", 3, hex);
 *         LP_CHECK_STR(hex, "ba7816bf...");
 *     }
 *     void test_core(void) { LP_RUN(sha256_vectors); }
 *
 * Checks never abort: a failed check prints `file:line: [test] message` with
 * the values involved, counts, and evaluates to 0 so a test can stop early
 * (`if (!LP_CHECK(...)) return;`).  A test passes when none of its checks
 * failed.  main() prints the final line `N passed, M failed` (tests, not
 * checks) and returns nonzero when M > 0.
 *
 * Fixtures are read with lp_test_read_file(), relative to the working
 * directory (`tests/`): fopen natively; under WASI the file comes from the
 * archive run-wasm.mjs streams on stdin, because Emscripten 3.1.6's
 * standalone libc cannot open files at all (see README.md).
 *
 * Portable C11, no constructors, no global state beyond the counters.
 */
#ifndef LP_TEST_H
#define LP_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "localpredict.h"

/* ---- running ------------------------------------------------------------ */
typedef void (*lp_test_fn)(void);

/* Runs one test (skipped when it does not match the command-line filter). */
void lp_test_run(const char *name, lp_test_fn fn);
#define LP_TEST(name) static void name(void)
#define LP_RUN(name)  lp_test_run(#name, name)

/* The entry point of each test file, called by main.c in this order. */
void test_core(void);
void test_number(void);
void test_csv_reader(void);
void test_xgboost(void);
void test_lightgbm(void);
void test_ubjson(void);
void test_manifest(void);
void test_job(void);
void test_blob(void);
void test_xgb_fast(void);
void test_kernels(void);
void test_onnx_decode(void);
void test_onnx(void);
void test_hostile(void);
void test_numbers_edge(void);
void test_ensemble(void);
void test_text(void);
void test_dialect(void);
void test_onnx_dims(void);
void test_tfidf(void);
void test_run_errors(void);

/* ---- checks ------------------------------------------------------------- */
/* Records one check; prints the formatted message when `ok` is 0.  Returns ok. */
int lp_test_check(int ok, const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
int lp_test_check_int(long long a, long long b, const char *ea, const char *eb, const char *file, int line);
int lp_test_check_str(const char *a, const char *b, const char *ea, const char *eb, const char *file, int line);
int lp_test_check_near(double a, double b, double tol, const char *ea, const char *eb, const char *file,
                       int line);
int lp_test_check_contains(const char *hay, const char *needle, const char *ea, const char *file, int line);
int lp_test_check_mem(const void *a, const void *b, size_t n, const char *ea, const char *eb,
                      const char *file, int line);

/* LP_CHECK(cond, fmt, ...): the message explains the failure with values. */
#define LP_CHECK(cond, ...) lp_test_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define LP_CHECK_EQ_INT(a, b) \
    lp_test_check_int((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)
#define LP_CHECK_STR(a, b) lp_test_check_str((a), (b), #a, #b, __FILE__, __LINE__)
/* |a - b| <= tol; NaN only equals NaN. */
#define LP_CHECK_NEAR(a, b, tol) \
    lp_test_check_near((double)(a), (double)(b), (double)(tol), #a, #b, __FILE__, __LINE__)
#define LP_CHECK_CONTAINS(hay, needle) lp_test_check_contains((hay), (needle), #hay, __FILE__, __LINE__)
#define LP_CHECK_MEM(a, b, n) lp_test_check_mem((a), (b), (n), #a, #b, __FILE__, __LINE__)
/* A status, printing both codes and err->message when they differ. */
#define LP_CHECK_STATUS(got, want, err) \
    lp_test_check_status((got), (want), (err), #got, __FILE__, __LINE__)
int lp_test_check_status(int got, int want, const lp_error *err, const char *eg, const char *file, int line);

/* Notes a skipped part of a test (printed, not counted as a failure). */
void lp_test_skip(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* ---- helpers shared by the test files ----------------------------------- */
/* Reads a whole file (path relative to tests/).  Returns a malloc'd buffer
 * with a NUL after the `*len` bytes, or NULL when the file is not there. */
uint8_t *lp_test_read_file(const char *path, size_t *len);

/* A small deterministic generator (splitmix64), so runs are reproducible. */
typedef struct lp_test_rng { uint64_t s; } lp_test_rng;
uint64_t lp_test_rand(lp_test_rng *r);
uint32_t lp_test_below(lp_test_rng *r, uint32_t n);     /* uniform in [0, n) */
double   lp_test_uniform(lp_test_rng *r, double lo, double hi);

/* A growable string (outputs, transcripts). */
typedef struct lp_test_str { char *p; size_t len, cap; } lp_test_str;
void lp_test_str_add(lp_test_str *s, const void *bytes, size_t n);
void lp_test_str_addf(lp_test_str *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void lp_test_str_free(lp_test_str *s);

/* A text (or any) model's CSV job over `in`, pushed in chunks of `chunk`
 * bytes (0: at once) in batches of 5 rows, its output appended to out
 * (test_text.c; test_tfidf.c uses it too). */
lp_status lp_test_run_text_job(const lp_model *m, const uint8_t *in, size_t len, size_t chunk, lp_test_str *out,
                               lp_error *err);

/* A copy of `text` with the one occurrence of `from` replaced by `to`.  A
 * `from` that is absent or occurs twice fails the current test (so a mutation
 * can never silently do nothing) and returns NULL. */
char *lp_test_replace(const char *text, const char *from, const char *to, const char *file, int line);
#define LP_REPLACE(text, from, to) lp_test_replace((text), (from), (to), __FILE__, __LINE__)

/* The fixture cases under fixtures/xgboost/ that have model.json, and
 * under fixtures/onnx/ (model.onnx, expected outputs from onnxruntime). */
extern const char *const lp_test_xgb_cases[];
extern const size_t lp_test_n_xgb_cases;
extern const char *const lp_test_onnx_cases[];
extern const size_t lp_test_n_onnx_cases;
/* LightGBM fixtures (tests/fixtures/lightgbm/<case>/model.txt); load them
 * with lp_test_load_case("lightgbm/<case>", ...). */
extern const char *const lp_test_lgb_cases[];
extern const size_t lp_test_n_lgb_cases;

/* A simple numeric CSV as the fixtures have it (no quotes): header names
 * and cells as text. */
typedef struct lp_test_csv {
    size_t  n_cols, n_rows;
    char  **names;   /* n_cols */
    char  **cells;   /* n_rows * n_cols, row-major */
} lp_test_csv;
int  lp_test_csv_parse(const char *text, size_t len, lp_test_csv *out);
void lp_test_csv_free(lp_test_csv *c);

/* Reads fixtures/xgboost/<name>/<file> into a lp_test_csv; 0 if absent. */
int lp_test_read_csv(const char *path, lp_test_csv *out);

/* A fixture case's input.csv and expected.csv in `folder` (e.g.
 * "fixtures/onnx/NAME"), each LP_CHECKed naming the file; 1 if both were
 * read.  Either way both may be given to lp_test_csv_free. */
int lp_test_read_case_csvs(const char *folder, lp_test_csv *input, lp_test_csv *expected);

/* Compares a model's predictions for `input` with the reference library's
 * (`expected`: header = output names, one row per input row) within
 * LP_TEST_PROBA_TOL (relative above 1), through the f64 table, the string
 * table (bit-identical) and the matrix path (bit-identical). */
#define LP_TEST_PROBA_TOL 1e-6
void lp_test_check_expected(const char *name, const lp_model *m, const lp_test_csv *input,
                            const lp_test_csv *expected);


/* True when a fixture cell means "missing" (the spellings number.h lists),
 * decided here independently of the engine. */
int lp_test_cell_missing(const char *cell);

/* A column table over a parsed CSV: every column as LP_COL_F64 named by the
 * header with a missing mask (type LP_COL_STR: the cells' text). */
typedef struct lp_test_table {
    lp_table   table;
    lp_column *cols;
    double    *values;     /* n_cols * n_rows, column-major */
    uint8_t   *missing;    /* n_cols * n_rows */
    char      *text;       /* STR: all cells back to back */
    uint32_t  *offsets;    /* STR: n_cols * (n_rows + 1) */
} lp_test_table;
void lp_test_table_from_csv(const lp_test_csv *c, lp_col_type type, lp_test_table *t);
void lp_test_table_free(lp_test_table *t);

/* Loads fixtures/xgboost/<name>/model.json (bytes kept in *bytes when not
 * NULL, to be freed by the caller).  Returns the status; *model is NULL on
 * failure or when the file is absent (then the status is LP_ERR_USAGE). */
lp_status lp_test_load_case(const char *name, const lp_load_options *opts, lp_model **model, uint8_t **bytes,
                            size_t *len, lp_error *err);

/* A fixture case, or "tiny" (lp_test_tiny_model), loaded with an optional
 * manifest text; a failed load is a failed check and gives NULL. */
lp_model *lp_test_load_named(const char *name, const char *manifest);

/* The model file at path (relative to tests/), loaded without options; a
 * missing file or a failed load is a failed check and gives NULL. */
lp_model *lp_test_load_file(const char *path);

/* A float32 row-major matrix of the CSV's columns in the model's feature
 * order (by name, or by position for unnamed features); NaN = missing.
 * NULL when a feature has no column. */
float *lp_test_matrix_for_model(const lp_model *m, const lp_test_csv *c);

/* The hand-built model every module's tests share: reg:squarederror,
 * base_score 0.5, features x0, x1 (numeric) and x2 (categorical);
 *   tree 0 (XOR):  x0 < 0.5 ? (x1 < 0.5 ? -1 : +1) : (x1 < 0.5 ? +2 : -2),
 *                  missing x0 -> right, x1 under x0 < 0.5 -> left, else right;
 *   tree 1:        x2 in {1, 3} ? 20 : 10, missing x2 -> right (20);
 *   tree 2:        a single leaf 0.25.
 * margin = 0.5 + tree0 + tree1 + 0.25. */
extern const char lp_test_tiny_model[];
/* lp_test_tiny_margin(x0, x1, x2) computes that margin by hand. */
double lp_test_tiny_margin(double x0, double x1, double x2);

#endif
