/* main.c — the C test runner: runs every test file's entry point, prints
 * `N passed, M failed` and exits nonzero on failure.
 *
 * Usage:  c-tests [FILTER]     (working directory tests/; FILTER runs only
 *                               the tests whose name contains it)
 *
 * Also holds the framework's functions and the helpers declared in
 * lp_test.h (file reading, random numbers, strings, fixture CSVs), so the
 * test files stay about their modules.  The same file builds natively (ASan,
 * UBSan) and for WASI (run by run-wasm.mjs).
 */
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "localpredict.h"
#include "lp_test.h"

/* ---- counters ---------------------------------------------------------- */
#define MAX_PRINTED_FAILURES 25   /* per test: the rest are counted, not printed */
#define SLOW_TEST_SECONDS    2.0  /* tests slower than this say so */

static const char *current_test = "(none)";
static const char *filter = NULL;
static long n_checks, n_check_failures;
static long test_failures;        /* failed checks in the running test */
static int  n_passed, n_failed, n_skips;

void lp_test_run(const char *name, lp_test_fn fn)
{
    if (filter && !strstr(name, filter)) return;
    current_test = name;
    test_failures = 0;
    clock_t t0 = clock();
    fn();
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    if (secs > SLOW_TEST_SECONDS) printf("  [%s] took %.1f s\n", name, secs);
    if (test_failures) {
        if (test_failures > MAX_PRINTED_FAILURES)
            printf("  [%s] ... %ld failed checks in all\n", name, test_failures);
        printf("FAIL %s\n", name);
        n_failed++;
    } else {
        n_passed++;
    }
    fflush(stdout);
    current_test = "(none)";
}

static void report(const char *file, int line, const char *fmt, va_list ap)
{
    test_failures++;
    n_check_failures++;
    if (test_failures > MAX_PRINTED_FAILURES) return;
    printf("%s:%d: [%s] ", file, line, current_test);
    vprintf(fmt, ap);
    printf("\n");
}

static void reportf(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(file, line, fmt, ap);
    va_end(ap);
}

int lp_test_check(int ok, const char *file, int line, const char *fmt, ...)
{
    n_checks++;
    if (ok) return 1;
    va_list ap;
    va_start(ap, fmt);
    report(file, line, fmt, ap);
    va_end(ap);
    return 0;
}

int lp_test_check_int(long long a, long long b, const char *ea, const char *eb, const char *file, int line)
{
    n_checks++;
    if (a == b) return 1;
    reportf(file, line, "%s == %s: got %lld, want %lld", ea, eb, a, b);
    return 0;
}

/* Prints a string with control characters escaped, truncated. */
static void quote(char *dst, size_t cap, const char *s)
{
    size_t o = 0;
    if (!s) {
        snprintf(dst, cap, "NULL");
        return;
    }
    dst[o++] = '"';
    for (; *s && o + 8 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n') o += (size_t)snprintf(dst + o, cap - o, "\\n");
        else if (c == '\r') o += (size_t)snprintf(dst + o, cap - o, "\\r");
        else if (c == '"') o += (size_t)snprintf(dst + o, cap - o, "\\\"");
        else if (c < 32 || c >= 127) o += (size_t)snprintf(dst + o, cap - o, "\\x%02X", c);
        else dst[o++] = (char)c;
    }
    if (*s) o += (size_t)snprintf(dst + o, cap - o, "...");
    dst[o++] = '"';
    dst[o] = '\0';
}

int lp_test_check_str(const char *a, const char *b, const char *ea, const char *eb, const char *file, int line)
{
    n_checks++;
    if (a && b && strcmp(a, b) == 0) return 1;
    char qa[600], qb[600];
    quote(qa, sizeof qa, a);
    quote(qb, sizeof qb, b);
    reportf(file, line, "%s == %s:\n      got  %s\n      want %s", ea, eb, qa, qb);
    return 0;
}

int lp_test_check_near(double a, double b, double tol, const char *ea, const char *eb, const char *file,
                       int line)
{
    n_checks++;
    if (a != a || b != b) {
        if (a != a && b != b) return 1;
    } else if (fabs(a - b) <= tol || a == b) {
        return 1;
    }
    reportf(file, line, "%s ~= %s: got %.17g, want %.17g (diff %.3g > tol %.3g)", ea, eb, a, b, fabs(a - b), tol);
    return 0;
}

int lp_test_check_contains(const char *hay, const char *needle, const char *ea, const char *file, int line)
{
    n_checks++;
    if (hay && needle && strstr(hay, needle)) return 1;
    char qh[600], qn[300];
    quote(qh, sizeof qh, hay);
    quote(qn, sizeof qn, needle);
    reportf(file, line, "%s should contain %s:\n      got %s", ea, qn, qh);
    return 0;
}

int lp_test_check_mem(const void *a, const void *b, size_t n, const char *ea, const char *eb,
                      const char *file, int line)
{
    n_checks++;
    if (n == 0 || memcmp(a, b, n) == 0) return 1;
    size_t i = 0;
    const unsigned char *pa = a, *pb = b;
    while (pa[i] == pb[i]) i++;
    reportf(file, line, "%s and %s differ (%zu bytes): first at byte %zu: 0x%02X vs 0x%02X", ea, eb, n, i,
            pa[i], pb[i]);
    return 0;
}

int lp_test_check_status(int got, int want, const lp_error *err, const char *eg, const char *file, int line)
{
    n_checks++;
    if (got == want) return 1;
    reportf(file, line, "%s: got %s, want %s (message: %s)", eg, lp_status_code((lp_status)got),
            lp_status_code((lp_status)want), err ? err->message : "-");
    return 0;
}

void lp_test_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("  [%s] skipped: ", current_test);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    n_skips++;
}

/* ---- files -------------------------------------------------------------- */
static uint8_t *read_stream(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) return NULL;
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        cap *= 2;
        uint8_t *p = realloc(buf, cap + 1);
        if (!p) free(buf);
        buf = p;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

#if defined(__EMSCRIPTEN__) || defined(__wasi__)
/* Emscripten 3.1.6's standalone libc has no path_open (fopen fails with
 * EPERM for every path), and emcc refuses imports it does not know, so the
 * fixtures arrive on stdin instead: run-wasm.mjs writes records
 *     <path relative to tests/> LF <decimal length> LF <bytes>
 * after the line "LPFIXTURES 1". Read once, on the first miss. */
typedef struct archive_entry { char *path; const uint8_t *data; size_t len; } archive_entry;
static uint8_t *archive_bytes;
static archive_entry *archive;
static size_t n_archive;
static int archive_loaded;

static void load_archive(void)
{
    archive_loaded = 1;
    size_t len = 0;
    archive_bytes = read_stream(stdin, &len);
    static const char magic[] = "LPFIXTURES 1\n";
    if (!archive_bytes || len < sizeof magic - 1 || memcmp(archive_bytes, magic, sizeof magic - 1) != 0) {
        printf("note: no fixture archive on stdin (run this .wasm through tests/c/run-wasm.mjs)\n");
        return;
    }
    size_t pos = sizeof magic - 1, cap = 0;
    while (pos < len) {
        char *nl = memchr(archive_bytes + pos, '\n', len - pos);
        if (!nl) break;
        *nl = '\0';
        char *path = (char *)archive_bytes + pos;
        char *end = NULL;
        unsigned long long n = strtoull(nl + 1, &end, 10);
        if (!end || *end != '\n' || n > len - (size_t)((uint8_t *)end + 1 - archive_bytes)) break;
        if (n_archive == cap) {
            cap = cap ? cap * 2 : 64;
            archive_entry *p = realloc(archive, cap * sizeof *p);
            if (!p) break;
            archive = p;
        }
        archive[n_archive++] = (archive_entry){path, (uint8_t *)end + 1, (size_t)n};
        pos = (size_t)((uint8_t *)end + 1 - archive_bytes) + (size_t)n;
    }
}

static uint8_t *archive_read(const char *path, size_t *len)
{
    if (!archive_loaded) load_archive();
    for (size_t i = 0; i < n_archive; i++) {
        if (strcmp(archive[i].path, path) != 0) continue;
        uint8_t *copy = malloc(archive[i].len + 1);
        if (!copy) return NULL;
        memcpy(copy, archive[i].data, archive[i].len);
        copy[archive[i].len] = '\0';
        *len = archive[i].len;
        return copy;
    }
    return NULL;
}
#endif

uint8_t *lp_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f) {
        uint8_t *b = read_stream(f, len);
        fclose(f);
        return b;
    }
#if defined(__EMSCRIPTEN__) || defined(__wasi__)
    return archive_read(path, len);
#else
    return NULL;
#endif
}

/* ---- random ------------------------------------------------------------- */
uint64_t lp_test_rand(lp_test_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint32_t lp_test_below(lp_test_rng *r, uint32_t n)
{
    return n ? (uint32_t)(lp_test_rand(r) % n) : 0;
}

double lp_test_uniform(lp_test_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * ((double)(lp_test_rand(r) >> 11) / 9007199254740992.0);
}

/* ---- strings ------------------------------------------------------------ */
void lp_test_str_add(lp_test_str *s, const void *bytes, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap < s->len + n + 1) cap *= 2;
        char *p = realloc(s->p, cap);
        if (!p) abort();   /* the test runner itself is out of memory */
        s->p = p;
        s->cap = cap;
    }
    if (n) memcpy(s->p + s->len, bytes, n);
    s->len += n;
    s->p[s->len] = '\0';
}

void lp_test_str_addf(lp_test_str *s, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) lp_test_str_add(s, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
    else lp_test_str_add(s, "", 0);
}

void lp_test_str_free(lp_test_str *s)
{
    free(s->p);
    s->p = NULL;
    s->len = s->cap = 0;
}

char *lp_test_replace(const char *text, const char *from, const char *to, const char *file, int line)
{
    const char *at = strstr(text, from);
    if (!at) {
        reportf(file, line, "mutation target not found: %s", from);
        n_checks++;
        return NULL;
    }
    if (strstr(at + 1, from)) {
        reportf(file, line, "mutation target occurs twice: %s", from);
        n_checks++;
        return NULL;
    }
    size_t a = (size_t)(at - text), nf = strlen(from), nt = strlen(to), nr = strlen(at + nf);
    char *out = malloc(a + nt + nr + 1);
    if (!out) abort();
    memcpy(out, text, a);
    memcpy(out + a, to, nt);
    memcpy(out + a + nt, at + nf, nr + 1);
    return out;
}

/* ---- parity with the reference library's outputs ---------------------- */
void lp_test_check_expected(const char *name, const lp_model *m, const lp_test_csv *input,
                                   const lp_test_csv *expected)
{
    size_t k_n = lp_model_n_outputs(m), n = input->n_rows;
    LP_CHECK(expected->n_cols == k_n, "%s: expected.csv has %zu columns, the model %zu outputs", name,
             expected->n_cols, k_n);
    LP_CHECK(expected->n_rows == n, "%s: %zu expected rows for %zu input rows", name, expected->n_rows, n);
    if (expected->n_cols != k_n || expected->n_rows != n) return;
    for (size_t k = 0; k < k_n; k++)
        LP_CHECK(strcmp(lp_model_output_name(m, k), expected->names[k]) == 0, "%s: output %zu is \"%s\", want \"%s\"",
                 name, k, lp_model_output_name(m, k), expected->names[k]);

    lp_test_table f64, str;
    lp_test_table_from_csv(input, LP_COL_F64, &f64);
    lp_test_table_from_csv(input, LP_COL_STR, &str);
    float *proba = calloc(n * k_n + 1, sizeof *proba), *proba_str = calloc(n * k_n + 1, sizeof *proba);
    float *proba_mat = calloc(n * k_n + 1, sizeof *proba);
    uint8_t *chosen = calloc(n * k_n + 1, 1), *chosen_mat = calloc(n * k_n + 1, 1);
    lp_error err;
    lp_status s = lp_model_predict_table(m, &f64.table, NULL, proba, chosen, &err);
    if (LP_CHECK_STATUS(s, LP_OK, &err)) {
        int bad = 0;
        for (size_t r = 0; r < n && bad < 5; r++)
            for (size_t k = 0; k < k_n; k++) {
                double want = strtod(expected->cells[r * k_n + k], NULL), got = proba[r * k_n + k];
                if (!(fabs(got - want) <= LP_TEST_PROBA_TOL * fmax(1.0, fabs(want)))) {
                    bad++;
                    LP_CHECK(0, "%s: row %zu, output %s: got %.9g, reference %.9g", name, r + 1, expected->names[k], got,
                             want);
                } else {
                    LP_CHECK(1, "ok");
                }
            }
    }
    /* Cells as text: the same numbers, bit for bit. */
    s = lp_model_predict_table(m, &str.table, NULL, proba_str, NULL, &err);
    if (LP_CHECK_STATUS(s, LP_OK, &err)) LP_CHECK_MEM(proba_str, proba, n * k_n * sizeof *proba);
    /* The matrix path, columns put in the model's order by this test. */
    float *x = lp_test_matrix_for_model(m, input);
    if (LP_CHECK(x != NULL, "%s: input lacks a feature column", name)) {
        s = lp_model_predict_matrix(m, x, n, lp_model_n_features(m), NULL, proba_mat, chosen_mat, &err);
        if (LP_CHECK_STATUS(s, LP_OK, &err)) {
            LP_CHECK_MEM(proba_mat, proba, n * k_n * sizeof *proba);
            LP_CHECK_MEM(chosen_mat, chosen, n * k_n);
        }
    }
    free(x);
    free(proba);
    free(proba_str);
    free(proba_mat);
    free(chosen);
    free(chosen_mat);
    lp_test_table_free(&f64);
    lp_test_table_free(&str);
}

/* ---- fixtures ----------------------------------------------------------- */
const char *const lp_test_xgb_cases[] = {
    "binary", "binary_sklearn_nan", "binary_v3_base_score", "categorical", "dart", "early_stopping", "hinge", "poisson", "regression",
    "logitraw", "missing", "multiclass", "multiclass_v2_indptr", "multilabel", "no_names",
    "reg_logistic", "softmax",
};
const size_t lp_test_n_xgb_cases = sizeof lp_test_xgb_cases / sizeof *lp_test_xgb_cases;

const char *const lp_test_onnx_cases[] = {
    /* tree ensembles */
    "binary_all_positive", "binary_none_negate", "eq_neq_double_input", "logistic_strings_zipmap", "probit",
    "regressor_average", "regressor_sum", "rf_binary_vectorizer", "rf_iris_concat", "softmax_zero",
    "xgb_binary_logistic", "xgb_softmax_modes",
    /* dense graphs */
    "linear_regressor", "logreg_binary", "logreg_ovr_normalizer", "logreg_softmax_zipmap", "mlp_mixed_ops",
    "mlp_batchnorm", "mlp_opset9", "mlp_regressor", "mlp_relu_softmax", "per_column_concat_mlp",
    /* values of every dtype */
    "typed_columns", "token_ids_int64", "text_attention_opset18",
};
const size_t lp_test_n_onnx_cases = sizeof lp_test_onnx_cases / sizeof *lp_test_onnx_cases;

static char *dup_range(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p) abort();
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* Splits one line at commas into `out` (n_cols fields, or counts them). */
static size_t split_line(const char *line, size_t len, char **out)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || line[i] == ',') {
            if (out) out[n] = dup_range(line + start, i - start);
            n++;
            start = i + 1;
        }
    }
    return n;
}

int lp_test_csv_parse(const char *text, size_t len, lp_test_csv *out)
{
    memset(out, 0, sizeof *out);
    size_t pos = 0, cap = 0;
    int header = 1;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len, n = end - pos;
        if (n && text[pos + n - 1] == '\r') n--;
        if (n == 0) {
            pos = end + 1;
            continue;
        }
        size_t k = split_line(text + pos, n, NULL);
        if (header) {
            out->n_cols = k;
            out->names = malloc(k * sizeof *out->names);
            if (!out->names) abort();
            split_line(text + pos, n, out->names);
            header = 0;
        } else {
            if (k != out->n_cols) {
                lp_test_csv_free(out);
                return 0;
            }
            if (out->n_rows == cap) {
                cap = cap ? cap * 2 : 64;
                char **p = realloc(out->cells, cap * out->n_cols * sizeof *p);
                if (!p) abort();
                out->cells = p;
            }
            split_line(text + pos, n, out->cells + out->n_rows * out->n_cols);
            out->n_rows++;
        }
        pos = end + 1;
    }
    return !header;
}

void lp_test_csv_free(lp_test_csv *c)
{
    for (size_t i = 0; i < c->n_cols; i++) free(c->names[i]);
    for (size_t i = 0; i < c->n_rows * c->n_cols; i++) free(c->cells[i]);
    free(c->names);
    free(c->cells);
    memset(c, 0, sizeof *c);
}

int lp_test_read_csv(const char *path, lp_test_csv *out)
{
    size_t len = 0;
    uint8_t *bytes = lp_test_read_file(path, &len);
    memset(out, 0, sizeof *out);
    if (!bytes) return 0;
    int ok = lp_test_csv_parse((const char *)bytes, len, out);
    free(bytes);
    return ok;
}

int lp_test_read_case_csvs(const char *folder, lp_test_csv *input, lp_test_csv *expected)
{
    char path[512];
    snprintf(path, sizeof path, "%s/input.csv", folder);
    int ok = LP_CHECK(lp_test_read_csv(path, input), "cannot read %s", path);
    snprintf(path, sizeof path, "%s/expected.csv", folder);
    return LP_CHECK(lp_test_read_csv(path, expected), "cannot read %s", path) && ok;
}

static int same_word(const char *a, size_t n, const char *word)
{
    if (strlen(word) != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != word[i]) return 0;
    }
    return 1;
}

int lp_test_cell_missing(const char *cell)
{
    size_t n = strlen(cell);
    while (n && (*cell == ' ' || *cell == '\t')) cell++, n--;
    while (n && (cell[n - 1] == ' ' || cell[n - 1] == '\t')) n--;
    return n == 0 || same_word(cell, n, "na") || same_word(cell, n, "nan") || same_word(cell, n, "null");
}

void lp_test_table_from_csv(const lp_test_csv *c, lp_col_type type, lp_test_table *t)
{
    memset(t, 0, sizeof *t);
    size_t nc = c->n_cols, nr = c->n_rows;
    t->cols = calloc(nc ? nc : 1, sizeof *t->cols);
    t->values = calloc(nc * nr + 1, sizeof *t->values);
    t->missing = calloc(nc * nr + 1, 1);
    t->offsets = calloc(nc * (nr + 1) + 1, sizeof *t->offsets);
    size_t text_len = 1;
    for (size_t i = 0; i < nc * nr; i++) text_len += strlen(c->cells[i]);
    t->text = malloc(text_len);
    if (!t->cols || !t->values || !t->missing || !t->offsets || !t->text) abort();
    size_t pos = 0;
    for (size_t k = 0; k < nc; k++) {
        uint32_t *off = t->offsets + k * (nr + 1);
        for (size_t r = 0; r < nr; r++) {
            const char *cell = c->cells[r * nc + k];
            int miss = lp_test_cell_missing(cell);
            t->missing[k * nr + r] = (uint8_t)miss;
            t->values[k * nr + r] = miss ? 0.0 : strtod(cell, NULL);
            off[r] = (uint32_t)pos;
            memcpy(t->text + pos, cell, strlen(cell));
            pos += strlen(cell);
        }
        off[nr] = (uint32_t)pos;
        lp_column *col = &t->cols[k];
        col->name = c->names[k];
        col->type = type;
        if (type == LP_COL_STR) {
            col->data = t->text;
            col->str_offsets = off;
        } else {
            col->data = t->values + k * nr;
            col->missing = t->missing + k * nr;
        }
    }
    t->table.n_rows = nr;
    t->table.n_columns = nc;
    t->table.columns = t->cols;
}

void lp_test_table_free(lp_test_table *t)
{
    free(t->cols);
    free(t->values);
    free(t->missing);
    free(t->text);
    free(t->offsets);
    memset(t, 0, sizeof *t);
}

lp_model *lp_test_load_named(const char *name, const char *manifest)
{
    lp_load_options lo = lp_load_options_default();
    lo.manifest = manifest;
    lo.manifest_len = manifest ? strlen(manifest) : 0;
    lp_model *m = NULL;
    lp_error err;
    lp_status s = strcmp(name, "tiny") == 0
                      ? lp_model_load((const uint8_t *)lp_test_tiny_model, strlen(lp_test_tiny_model), &lo, &m, &err)
                      : lp_test_load_case(name, &lo, &m, NULL, NULL, &err);
    LP_CHECK(s == LP_OK, "load %s: %s: %s", name, lp_status_code(s), err.message);
    return m;
}

lp_model *lp_test_load_file(const char *path)
{
    size_t len = 0;
    uint8_t *bytes = lp_test_read_file(path, &len);
    lp_model *m = NULL;
    lp_error err;
    if (LP_CHECK(bytes != NULL, "%s is missing", path)) {
        lp_status s = lp_model_load(bytes, len, NULL, &m, &err);
        LP_CHECK(s == LP_OK, "load %s: %s: %s", path, lp_status_code(s), err.message);
    }
    free(bytes);
    return m;
}

lp_status lp_test_load_case(const char *name, const lp_load_options *opts, lp_model **model, uint8_t **bytes,
                            size_t *len, lp_error *err)
{
    char path[256];
    if (strncmp(name, "lightgbm/", 9) == 0) snprintf(path, sizeof path, "fixtures/%s/model.txt", name);
    else snprintf(path, sizeof path, "fixtures/xgboost/%s/model.json", name);
    size_t n = 0;
    uint8_t *b = lp_test_read_file(path, &n);
    *model = NULL;
    if (bytes) *bytes = NULL;
    if (!b) {
        if (err) {
            lp_error_clear(err);
            err->code = LP_ERR_USAGE;
            snprintf(err->message, sizeof err->message, "fixture %s is missing", path);
        }
        return LP_ERR_USAGE;
    }
    lp_status s = lp_model_load(b, n, opts, model, err);
    if (bytes) *bytes = b, *len = n;
    else free(b);
    return s;
}

float *lp_test_matrix_for_model(const lp_model *m, const lp_test_csv *c)
{
    size_t nf = lp_model_n_features(m);
    float *x = malloc((nf * c->n_rows + 1) * sizeof *x);
    if (!x) abort();
    for (size_t f = 0; f < nf; f++) {
        const char *want = lp_model_feature_name(m, f);
        size_t col = f;
        if (want[0]) {
            for (col = 0; col < c->n_cols && strcmp(c->names[col], want) != 0; col++) {}
        }
        if (col >= c->n_cols) {
            free(x);
            return NULL;
        }
        for (size_t r = 0; r < c->n_rows; r++) {
            const char *cell = c->cells[r * c->n_cols + col];
            x[r * nf + f] = lp_test_cell_missing(cell) ? NAN : (float)strtod(cell, NULL);
        }
    }
    return x;
}

/* The tiny model (see lp_test.h), laid out as xgboost 1.7 writes it. */
const char lp_test_tiny_model[] =
    "{\"learner\":{\"attributes\":{},\"feature_names\":[\"x0\",\"x1\",\"x2\"],"
    "\"feature_types\":[\"float\",\"float\",\"c\"],"
    "\"gradient_booster\":{\"model\":{\"gbtree_model_param\":{\"num_parallel_tree\":\"1\",\"num_trees\":\"3\"},"
    "\"tree_info\":[0,0,0],\"trees\":["
    "{\"base_weights\":[0,0,0,0,0,0,0],\"categories\":[],\"categories_nodes\":[],\"categories_segments\":[],"
    "\"categories_sizes\":[],\"default_left\":[0,1,0,0,0,0,0],\"id\":0,\"left_children\":[1,3,5,-1,-1,-1,-1],"
    "\"loss_changes\":[0,0,0,0,0,0,0],\"parents\":[2147483647,0,0,1,1,2,2],"
    "\"right_children\":[2,4,6,-1,-1,-1,-1],\"split_conditions\":[0.5,0.5,0.5,-1,1,2,-2],"
    "\"split_indices\":[0,1,1,0,0,0,0],\"split_type\":[0,0,0,0,0,0,0],\"sum_hessian\":[1,1,1,1,1,1,1],"
    "\"tree_param\":{\"num_deleted\":\"0\",\"num_feature\":\"3\",\"num_nodes\":\"7\",\"size_leaf_vector\":\"0\"}},"
    "{\"base_weights\":[0,0,0],\"categories\":[1,3],\"categories_nodes\":[0],\"categories_segments\":[0],"
    "\"categories_sizes\":[2],\"default_left\":[0,0,0],\"id\":1,\"left_children\":[1,-1,-1],"
    "\"loss_changes\":[0,0,0],\"parents\":[2147483647,0,0],\"right_children\":[2,-1,-1],"
    "\"split_conditions\":[NaN,10,20],\"split_indices\":[2,0,0],\"split_type\":[1,0,0],"
    "\"sum_hessian\":[1,1,1],"
    "\"tree_param\":{\"num_deleted\":\"0\",\"num_feature\":\"3\",\"num_nodes\":\"3\",\"size_leaf_vector\":\"0\"}},"
    "{\"base_weights\":[0.25],\"categories\":[],\"categories_nodes\":[],\"categories_segments\":[],"
    "\"categories_sizes\":[],\"default_left\":[0],\"id\":2,\"left_children\":[-1],\"loss_changes\":[0],"
    "\"parents\":[2147483647],\"right_children\":[-1],\"split_conditions\":[0.25],\"split_indices\":[0],"
    "\"split_type\":[0],\"sum_hessian\":[1],"
    "\"tree_param\":{\"num_deleted\":\"0\",\"num_feature\":\"3\",\"num_nodes\":\"1\",\"size_leaf_vector\":\"0\"}}"
    "]},\"name\":\"gbtree\"},"
    "\"learner_model_param\":{\"base_score\":\"5E-1\",\"num_class\":\"0\",\"num_feature\":\"3\",\"num_target\":\"1\"},"
    "\"objective\":{\"name\":\"reg:squarederror\",\"reg_loss_param\":{\"scale_pos_weight\":\"1\"}}},"
    "\"version\":[1,7,4]}";

double lp_test_tiny_margin(double x0, double x1, double x2)
{
    double t0;
    if (x0 != x0 || !(x0 < 0.5)) t0 = (x1 == x1 && x1 < 0.5) ? 2 : -2;   /* missing x1 here: right */
    else t0 = (x1 != x1 || x1 < 0.5) ? -1 : 1;                          /* missing x1 here: left */
    double t1;
    if (x2 != x2) t1 = 20;
    else if (x2 < 0 || x2 >= 32) t1 = 10;
    else t1 = ((int)x2 == 1 || (int)x2 == 3) ? 20 : 10;
    return 0.5 + t0 + t1 + 0.25;
}

/* ---- main --------------------------------------------------------------- */
int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && argv[1][0]) filter = argv[1];
    clock_t t0 = clock();

    test_core();
    test_number();
    test_csv_reader();
    test_xgboost();
    test_lightgbm();
    test_ubjson();
    test_manifest();
    test_job();
    test_blob();
    test_xgb_fast();
    test_kernels();
    test_onnx_decode();
    test_onnx();
    test_hostile();
    test_numbers_edge();
    test_ensemble();
    test_text();
    test_dialect();
    test_onnx_dims();
    test_tfidf();
    test_run_errors();

    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("%ld checks, %ld failed; %d skipped parts; %.2f s CPU\n", n_checks, n_check_failures, n_skips, secs);
    printf("%d passed, %d failed\n", n_passed, n_failed);
    fflush(stdout);
    return n_failed ? 1 : 0;
}
