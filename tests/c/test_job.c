/* test_job.c — src/predict/job (+ binding, cells, outputs, csv_writer): the
 * streaming CSV -> CSV job on the fixtures, pushed in 1-, 3-, 4096-byte,
 * random and whole chunks (identical bytes every time), probabilities
 * against xgboost's, the exact header, the Suggested Label rules, kept
 * columns and their quoting, and every error with its physical line and
 * column, including jobs that start mid-file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/number.h"
#include "localpredict.h"
#include "lp_test.h"

#define PROBA_TOL 1e-6
#define TIE_TOL   1e-5   /* rows this close to a decision are not judged against xgboost */

/* ---- running a job ---- */
typedef struct job_run {
    lp_test_str out;
    lp_status   status;
    lp_error    err;
    uint64_t    rows, bytes_in;
} job_run;

/* chunk: 0 = everything in one push; > 0 = bytes per push; < 0 = random
 * sizes 0..-chunk.  Output is collected (and cleared) after every push. */
static job_run run_job(const lp_model *m, const lp_job_options *jo, const char *in, size_t len, long chunk)
{
    job_run r;
    memset(&r, 0, sizeof r);
    lp_test_str_add(&r.out, "", 0);
    lp_job *job = NULL;
    r.status = lp_job_create(m, jo, &job, &r.err);
    if (r.status != LP_OK) return r;
    lp_test_rng rng = {(uint64_t)(chunk < 0 ? -chunk : chunk) + len};
    size_t pos = 0;
    while (r.status == LP_OK && pos < len) {
        size_t n = len - pos;
        if (chunk > 0 && (size_t)chunk < n) n = (size_t)chunk;
        if (chunk < 0) {
            size_t k = lp_test_below(&rng, (uint32_t)(-chunk) + 1);
            if (k < n) n = k;
        }
        r.status = lp_job_push(job, (const uint8_t *)in + pos, n, &r.err);
        lp_test_str_add(&r.out, lp_job_output(job), lp_job_output_len(job));
        lp_job_output_clear(job);
        LP_CHECK(lp_job_output_len(job) == 0, "output not cleared");
        pos += n;
    }
    if (r.status == LP_OK) r.status = lp_job_finish(job, &r.err);
    lp_test_str_add(&r.out, lp_job_output(job), lp_job_output_len(job));
    r.rows = lp_job_rows(job);
    r.bytes_in = lp_job_bytes_in(job);
    lp_job_destroy(job);
    return r;
}

/* ---- an independent reader for the job's output ---- */
typedef struct out_csv {
    size_t n_records;
    size_t n_fields[4096];
    char **fields[4096];
} out_csv;

static void out_csv_free(out_csv *o)
{
    for (size_t r = 0; r < o->n_records; r++) {
        for (size_t f = 0; f < o->n_fields[r]; f++) free(o->fields[r][f]);
        free(o->fields[r]);
    }
    free(o);
}

/* Records end with LF (the job writes LF only); quoted fields may hold
 * anything, unquoted ones no quote or CR.  Returns NULL when the text is not
 * output CSV as the job must write it. */
static out_csv *parse_output(const char *s, size_t len)
{
    out_csv *o = calloc(1, sizeof *o);
    size_t i = 0;
    int ok = 1;
    while (ok && i < len && o->n_records < 4096) {
        size_t cap = 8, n = 0;
        char **fields = malloc(cap * sizeof *fields);
        int end_of_record = 0;
        while (ok && !end_of_record) {
            lp_test_str f = {0};
            lp_test_str_add(&f, "", 0);
            if (i < len && s[i] == '"') {
                for (i++;; i++) {
                    if (i >= len) { ok = 0; break; }
                    if (s[i] != '"') { lp_test_str_add(&f, s + i, 1); continue; }
                    if (i + 1 < len && s[i + 1] == '"') { lp_test_str_add(&f, "\"", 1); i++; continue; }
                    i++;
                    break;
                }
            } else {
                for (; i < len && s[i] != ',' && s[i] != '\n'; i++) {
                    if (s[i] == '"' || s[i] == '\r') ok = 0;
                    lp_test_str_add(&f, s + i, 1);
                }
            }
            if (n == cap) fields = realloc(fields, (cap *= 2) * sizeof *fields);
            fields[n++] = f.p;
            if (i < len && s[i] == ',') i++;
            else if (i < len && s[i] == '\n') i++, end_of_record = 1;
            else ok = 0;   /* text after a quote, or no LF at the end */
        }
        o->fields[o->n_records] = fields;
        o->n_fields[o->n_records++] = n;
    }
    if (!ok) {
        out_csv_free(o);
        return NULL;
    }
    return o;
}

/* ---- the fixtures through the job ---- */
static const char *const job_cases[] = {"binary", "categorical", "dart", "hinge", "logitraw", "missing",
                                        "multiclass", "multilabel", "no_names", "reg_logistic", "softmax",
                                        "binary_sklearn_nan"};

/* The Suggested Label the contract gives for probabilities p. */
static void suggested(lp_task task, const double *p, size_t k_n, const lp_model *m, char *out, size_t cap)
{
    out[0] = '\0';
    if (task == LP_TASK_MULTICLASS) {
        size_t best = 0;
        for (size_t k = 1; k < k_n; k++)
            if (p[k] > p[best]) best = k;
        snprintf(out, cap, "%s", lp_model_output_name(m, best));
    } else if (task == LP_TASK_BINARY) {
        snprintf(out, cap, "%s", lp_model_output_name(m, p[1] > 0.5 ? 1 : 0));
    } else if (task == LP_TASK_MULTILABEL) {
        size_t o = 0;
        for (size_t k = 0; k < k_n; k++)
            if (p[k] > 0.5) o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? "," : "", lp_model_output_name(m, k));
    }
}

/* Whether the expected probabilities sit too close to a decision to judge. */
static int near_tie(lp_task task, const double *p, size_t k_n)
{
    if (task == LP_TASK_BINARY) return fabs(p[1] - 0.5) < TIE_TOL;
    if (task == LP_TASK_MULTILABEL) {
        for (size_t k = 0; k < k_n; k++)
            if (fabs(p[k] - 0.5) < TIE_TOL) return 1;
        return 0;
    }
    double a = -1, b = -1;
    for (size_t k = 0; k < k_n; k++) {
        if (p[k] > a) b = a, a = p[k];
        else if (p[k] > b) b = p[k];
    }
    return a - b < TIE_TOL;
}

static void check_fixture_job(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "fixtures/xgboost/%s/input.csv", name);
    size_t len = 0;
    char *in = (char *)lp_test_read_file(path, &len);
    lp_test_csv input, expected;
    snprintf(path, sizeof path, "fixtures/xgboost/%s/expected.csv", name);
    int have = in && lp_test_read_csv(path, &expected);
    lp_model *m = have ? lp_test_load_named(name, NULL) : NULL;
    if (!LP_CHECK(have && m, "%s: fixture missing or not loaded", name)) {
        free(in);
        if (have) lp_test_csv_free(&expected);
        lp_model_destroy(m);
        return;
    }
    lp_test_csv_parse(in, len, &input);
    size_t k_n = lp_model_n_outputs(m), n_rows = input.n_rows;
    lp_task task = lp_model_task(m);

    /* Every chunking and batch size gives the same bytes. */
    lp_job_options jo = lp_job_options_default();
    job_run ref = run_job(m, &jo, in, len, 0);
    LP_CHECK(ref.status == LP_OK, "%s: %s: %s", name, lp_status_code(ref.status), ref.err.message);
    LP_CHECK_EQ_INT(ref.rows, n_rows);
    LP_CHECK_EQ_INT(ref.bytes_in, len);
    static const long chunks[] = {1, 3, 4096, -17, -300};
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
        job_run r = run_job(m, &jo, in, len, chunks[c]);
        LP_CHECK(r.status == LP_OK && r.out.len == ref.out.len && memcmp(r.out.p, ref.out.p, r.out.len) == 0,
                 "%s: chunk %ld gives other output (%s, %zu vs %zu bytes)", name, chunks[c], lp_status_code(r.status),
                 r.out.len, ref.out.len);
        lp_test_str_free(&r.out);
    }
    static const size_t batches[] = {1, 7, 1000};
    for (size_t b = 0; b < sizeof batches / sizeof *batches; b++) {
        lp_job_options jb = jo;
        jb.batch_rows = batches[b];
        job_run r = run_job(m, &jb, in, len, 3);
        LP_CHECK(r.status == LP_OK && r.out.len == ref.out.len && memcmp(r.out.p, ref.out.p, r.out.len) == 0,
                 "%s: batch_rows %zu gives other output", name, batches[b]);
        lp_test_str_free(&r.out);
    }

    /* The header, exactly. */
    lp_test_str header = {0};
    for (size_t k = 0; k < expected.n_cols; k++) lp_test_str_addf(&header, "%s%s", k ? "," : "", expected.names[k]);
    lp_test_str_addf(&header, ",Suggested Label\n");
    LP_CHECK(ref.out.len >= header.len && memcmp(ref.out.p, header.p, header.len) == 0,
             "%s: header should be %s", name, header.p);

    /* The rows: probabilities, their text, and the label. */
    out_csv *o = parse_output(ref.out.p, ref.out.len);
    float *proba = calloc(n_rows * k_n + 1, sizeof *proba);
    lp_test_table t;
    lp_test_table_from_csv(&input, LP_COL_F64, &t);
    lp_error err;
    LP_CHECK_STATUS(lp_model_predict_table(m, &t.table, NULL, proba, NULL, &err), LP_OK, &err);
    if (LP_CHECK(o && o->n_records == n_rows + 1, "%s: output has %zu records for %zu rows", name,
                 o ? o->n_records : 0, n_rows)) {
        int bad = 0;
        for (size_t r = 0; r < n_rows && bad < 5; r++) {
            char **f = o->fields[r + 1];
            if (!LP_CHECK(o->n_fields[r + 1] == k_n + 1, "%s: row %zu has %zu fields", name, r + 1, o->n_fields[r + 1])) {
                bad++;
                continue;
            }
            double printed[64], want[64];
            for (size_t k = 0; k < k_n && k < 64; k++) {
                printed[k] = strtof(f[k], NULL);
                want[k] = strtod(expected.cells[r * k_n + k], NULL);
                char text[LP__F32_TEXT_CAP];
                lp__format_f32(proba[r * k_n + k], text);
                if (!LP_CHECK(strcmp(f[k], text) == 0, "%s: row %zu: job prints %s, table gives %s", name, r + 1, f[k], text))
                    bad++;
                if (!LP_CHECK(fabs(printed[k] - want[k]) <= PROBA_TOL, "%s: row %zu output %zu: %s vs xgboost %.9g",
                              name, r + 1, k, f[k], want[k]))
                    bad++;
            }
            char label[256], label_xgb[256];
            suggested(task, printed, k_n, m, label, sizeof label);
            if (!LP_CHECK(strcmp(f[k_n], label) == 0, "%s: row %zu: Suggested Label \"%s\", the rule gives \"%s\"", name,
                          r + 1, f[k_n], label))
                bad++;
            if (!near_tie(task, want, k_n)) {
                suggested(task, want, k_n, m, label_xgb, sizeof label_xgb);
                if (!LP_CHECK(strcmp(f[k_n], label_xgb) == 0, "%s: row %zu: Suggested Label \"%s\", xgboost's "
                              "probabilities give \"%s\"", name, r + 1, f[k_n], label_xgb))
                    bad++;
            }
        }
    }
    if (o) out_csv_free(o);

    /* include_input: each input line in front, unchanged (the fixtures need
     * no quoting). */
    jo.include_input = 1;
    job_run inc = run_job(m, &jo, in, len, 4096);
    if (LP_CHECK(inc.status == LP_OK, "%s include_input: %s", name, inc.err.message)) {
        const char *a = in, *b = inc.out.p;
        int bad = 0;
        for (size_t line = 0; line <= n_rows && bad < 3; line++) {
            const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
            if (!ea || !eb) break;
            size_t na = (size_t)(ea - a) - (ea > a && ea[-1] == '\r');
            if (!LP_CHECK((size_t)(eb - b) > na && memcmp(a, b, na) == 0 && b[na] == ',',
                          "%s include_input line %zu: %.60s", name, line + 1, b))
                bad++;
            else if (line > 0) {
                /* The rest is the plain output's row. */
                const char *rest = b + na + 1;
                size_t rest_len = (size_t)(eb - rest);
                const char *plain = ref.out.p;
                for (size_t k = 0; k < line; k++) plain = strchr(plain, '\n') + 1;
                LP_CHECK(strncmp(plain, rest, rest_len) == 0 && plain[rest_len] == '\n',
                         "%s include_input line %zu: predictions differ", name, line + 1);
            }
            a = ea + 1, b = eb + 1;
        }
    }
    lp_test_str_free(&inc.out);

    lp_test_table_free(&t);
    free(proba);
    lp_test_str_free(&header);
    lp_test_str_free(&ref.out);
    lp_test_csv_free(&input);
    lp_test_csv_free(&expected);
    lp_model_destroy(m);
    free(in);
}

LP_TEST(fixtures_through_the_job)
{
    for (size_t i = 0; i < sizeof job_cases / sizeof *job_cases; i++) check_fixture_job(job_cases[i]);
}

LP_TEST(keep_columns_by_name)
{
    lp_model *m = lp_test_load_named("multiclass", NULL);
    size_t len = 0;
    char *in = (char *)lp_test_read_file("fixtures/xgboost/multiclass/input.csv", &len);
    if (!m || !in) {
        lp_model_destroy(m);
        free(in);
        return;
    }
    lp_job_options jo = lp_job_options_default();
    jo.keep = "age\0row_id";
    jo.keep_len = 10;
    job_run r = run_job(m, &jo, in, len, 3);
    if (LP_CHECK_STATUS(r.status, LP_OK, &r.err)) {
        LP_CHECK(strncmp(r.out.p, "age,row_id,0,1,2,3,Suggested Label\n", 35) == 0, "header: %.60s", r.out.p);
        /* Row 1 of input.csv: row_id 1, age -0.73494154. */
        const char *row1 = strchr(r.out.p, '\n') + 1;
        LP_CHECK(strncmp(row1, "-0.73494154,1,", 14) == 0, "row 1: %.60s", row1);
    }
    lp_test_str_free(&r.out);
    /* A trailing NUL in keep is fine; a name not in the header is an error. */
    jo.keep = "row_id\0";
    jo.keep_len = 7;
    r = run_job(m, &jo, in, len, 0);
    LP_CHECK_STATUS(r.status, LP_OK, &r.err);
    LP_CHECK(strncmp(r.out.p, "row_id,0,1,2,3,Suggested Label\n", 31) == 0, "header: %.60s", r.out.p);
    lp_test_str_free(&r.out);
    jo.keep = "row_id\0colour";
    jo.keep_len = 13;
    r = run_job(m, &jo, in, len, 0);
    LP_CHECK_STATUS(r.status, LP_ERR_MISSING_COLUMN, &r.err);
    LP_CHECK_CONTAINS(r.err.message, "\"colour\"");
    LP_CHECK_EQ_INT(r.err.line, 1);
    lp_test_str_free(&r.out);
    lp_model_destroy(m);
    free(in);
}

LP_TEST(kept_fields_are_quoted)
{
    lp_model *m = lp_test_load_named("tiny", NULL);
    if (!m) return;
    const char *in =
        "name,x0,x1,x2\r\n"
        "\"a,b\",0,0,0\r\n"
        "\"say \"\"hi\"\"\",1,0,2\r\n"
        "\"multi\nline\",0,1,3\r\n"
        "\"cr\rlf\r\n\",1,1,1\r\n"
        "plain,\"0\",\" 0 \",\"1\"\r\n"
        "\"\",1,1,NA\r\n";
    const char *want =
        "name,Prediction\n"
        "\"a,b\",9.75\n"
        "\"say \"\"hi\"\"\",12.75\n"
        "\"multi\nline\",21.75\n"
        "\"cr\rlf\r\n\",18.75\n"
        "plain,19.75\n"
        ",18.75\n";
    lp_job_options jo = lp_job_options_default();
    jo.keep = "name";
    jo.keep_len = 4;
    static const long chunks[] = {0, 1, 3, 4096, -5};
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
        job_run r = run_job(m, &jo, in, strlen(in), chunks[c]);
        LP_CHECK_STATUS(r.status, LP_OK, &r.err);
        LP_CHECK_STR(r.out.p, want);
        LP_CHECK_EQ_INT(r.rows, 6);
        lp_test_str_free(&r.out);
    }
    /* include_input re-quotes every field that needs it, and only those. */
    jo = lp_job_options_default();
    jo.include_input = 1;
    job_run r = run_job(m, &jo, in, strlen(in), 1);
    LP_CHECK_STR(r.out.p,
                 "name,x0,x1,x2,Prediction\n"
                 "\"a,b\",0,0,0,9.75\n"
                 "\"say \"\"hi\"\"\",1,0,2,12.75\n"
                 "\"multi\nline\",0,1,3,21.75\n"
                 "\"cr\rlf\r\n\",1,1,1,18.75\n"
                 "plain,0, 0 ,1,19.75\n"
                 ",1,1,NA,18.75\n");
    lp_test_str_free(&r.out);
    lp_model_destroy(m);
}

LP_TEST(suggested_label_rules_on_the_tiny_model)
{
    /* binary:logistic tiny model with classes that need quoting. */
    char *text = LP_REPLACE(lp_test_tiny_model, "\"reg:squarederror\"", "\"binary:logistic\"");
    lp_load_options lo = lp_load_options_default();
    const char *man = "{\"localpredict\": 1, \"classes\": [\"no, sir\", \"yes \\\"sir\\\"\"], \"threshold\": 0.99999}";
    lo.manifest = man;
    lo.manifest_len = strlen(man);
    lp_model *m = NULL;
    lp_error err;
    if (!text || !LP_CHECK_STATUS(lp_model_load((const uint8_t *)text, strlen(text), &lo, &m, &err), LP_OK, &err)) {
        free(text);
        return;
    }
    /* Margins 9.25 (p = 0.99990) and 21.25 (p ~ 1): only the second is
     * above 0.99999. */
    const char *in = "x0,x1,x2\n0,0,0\n0,1,1\n";
    lp_job_options jo = lp_job_options_default();
    job_run r = run_job(m, &jo, in, strlen(in), 0);
    LP_CHECK_STATUS(r.status, LP_OK, &r.err);
    const char *header = "\"no, sir\",\"yes \"\"sir\"\"\",Suggested Label\n";
    LP_CHECK(strncmp(r.out.p, header, strlen(header)) == 0, "header: %s", r.out.p);
    out_csv *o = parse_output(r.out.p, r.out.len);
    if (LP_CHECK(o && o->n_records == 3, "output: %s", r.out.p)) {
        LP_CHECK_STR(o->fields[1][2], "no, sir");
        LP_CHECK_STR(o->fields[2][2], "yes \"sir\"");
        LP_CHECK_STR(o->fields[2][1], "1");
        LP_CHECK_STR(o->fields[2][0], "0");
        LP_CHECK_NEAR(strtod(o->fields[1][1], NULL), 1 / (1 + exp(-9.25)), 1e-7);
    }
    if (o) out_csv_free(o);
    lp_test_str_free(&r.out);
    /* The job's threshold option wins over the manifest. */
    jo.threshold = 0.5;
    r = run_job(m, &jo, in, strlen(in), 0);
    o = parse_output(r.out.p, r.out.len);
    if (LP_CHECK(o && o->n_records == 3, "output: %s", r.out.p)) LP_CHECK_STR(o->fields[1][2], "yes \"sir\"");
    if (o) out_csv_free(o);
    lp_test_str_free(&r.out);
    lp_model_destroy(m);
    free(text);
}

LP_TEST(many_batches_against_hand_margins)
{
    /* 1000 rows: several default batches (256 rows), every value kind. */
    lp_model *m = lp_test_load_named("tiny", NULL);
    if (!m) return;
    static const char *const v[] = {"0", "1", "0.5", "-2", "", "NaN", "3", "40", "1.9", "-1"};
    lp_test_str in = {0}, want = {0};
    lp_test_str_addf(&in, "x2,x1,x0\n");
    lp_test_str_addf(&want, "Prediction\n");
    for (int r = 0; r < 1000; r++) {
        const char *a = v[r % 10], *b = v[r / 10 % 10], *c = v[r / 100 % 10];
        lp_test_str_addf(&in, "%s,%s,%s\n", c, b, a);
        double x0 = (a[0] == '\0' || a[0] == 'N') ? NAN : strtod(a, NULL);
        double x1 = (b[0] == '\0' || b[0] == 'N') ? NAN : strtod(b, NULL);
        double x2 = (c[0] == '\0' || c[0] == 'N') ? NAN : strtod(c, NULL);
        lp_test_str_addf(&want, "%.9g\n", lp_test_tiny_margin(x0, x1, x2));
    }
    static const long chunks[] = {0, 1, 4096};
    for (size_t k = 0; k < 3; k++) {
        job_run r = run_job(m, NULL, in.p, in.len, chunks[k]);
        LP_CHECK_STATUS(r.status, LP_OK, &r.err);
        LP_CHECK_EQ_INT(r.rows, 1000);
        LP_CHECK_STR(r.out.p, want.p);
        lp_test_str_free(&r.out);
    }
    lp_test_str_free(&in);
    lp_test_str_free(&want);
    lp_model_destroy(m);
}

LP_TEST(header_only_and_empty_inputs)
{
    lp_model *m = lp_test_load_named("tiny", NULL);
    if (!m) return;
    lp_job_options jo = lp_job_options_default();
    static const char *const header_only[] = {"x0,x1,x2\n", "x0,x1,x2", "x0,x1,x2\r\n\r\n\n", "\xEF\xBB\xBFx0,x1,x2\n",
                                              "\n\nx0,x1,x2\n"};
    for (size_t i = 0; i < sizeof header_only / sizeof *header_only; i++) {
        job_run r = run_job(m, &jo, header_only[i], strlen(header_only[i]), 1);
        LP_CHECK_STATUS(r.status, LP_OK, &r.err);
        LP_CHECK_STR(r.out.p, "Prediction\n");
        LP_CHECK_EQ_INT(r.rows, 0);
        lp_test_str_free(&r.out);
    }
    static const char *const empty[] = {"", "\n", "\r\n\n\r", "\xEF\xBB\xBF"};
    for (size_t i = 0; i < sizeof empty / sizeof *empty; i++) {
        job_run r = run_job(m, &jo, empty[i], strlen(empty[i]), 1);
        LP_CHECK_STATUS(r.status, LP_ERR_EMPTY_INPUT, &r.err);
        LP_CHECK_STR(r.out.p, "");
        lp_test_str_free(&r.out);
    }
    lp_model_destroy(m);
}

/* Runs `in` through a job on the tiny model and checks the error. */
static void expect_job_error(const char *in, lp_job_options jo, lp_status want, uint64_t line, const char *column,
                             int64_t column_index, const char *needle)
{
    lp_model *m = lp_test_load_named("tiny", NULL);
    if (!m) return;
    static const long chunks[] = {0, 1, 4096};
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
        job_run r = run_job(m, &jo, in, strlen(in), chunks[c]);
        LP_CHECK(r.status == want, "chunk %ld: got %s, want %s (%s)", chunks[c], lp_status_code(r.status),
                 lp_status_code(want), r.err.message);
        LP_CHECK(r.err.code == r.status, "err.code %s", lp_status_code(r.err.code));
        LP_CHECK(r.err.line == line, "chunk %ld: line %llu, want %llu (%s)", chunks[c], (unsigned long long)r.err.line,
                 (unsigned long long)line, r.err.message);
        if (column) LP_CHECK_STR(r.err.column, column);
        if (column_index >= -1) LP_CHECK_EQ_INT(r.err.column_index, column_index);
        if (needle) LP_CHECK_CONTAINS(r.err.message, needle);
        lp_test_str_free(&r.out);
    }
    lp_model_destroy(m);
}

LP_TEST(row_errors_name_line_and_column)
{
    lp_job_options jo = lp_job_options_default();
    jo.keep = "name";
    jo.keep_len = 4;
    /* Lines count physically: the quoted name spans lines 3-4. */
    expect_job_error("name,x0,x1,x2\n0,0,0,0\n\"a\nb\",1,1,1\n1,2,3\n", jo, LP_ERR_RAGGED_ROW, 5, NULL, -2,
                     "3 fields but the header has 4");
    expect_job_error("name,x0,x1,x2\n0,0,0,0\n0,0,0,0,0\n", jo, LP_ERR_RAGGED_ROW, 3, NULL, -2, "5 fields");
    expect_job_error("name,x0,x1,x2\r\n\"a\r\nb\",0,0,0\r\n\r\nc,0,abc,0\r\n", jo, LP_ERR_BAD_NUMBER, 5, "x1", 2,
                     "\"abc\"");
    expect_job_error("name,x0,x1,x2\nc,0,0,1e\n", jo, LP_ERR_BAD_NUMBER, 2, "x2", 3, "\"1e\"");
    expect_job_error("name,x0,x1,x2\nc,0x10,0,0\n", jo, LP_ERR_BAD_NUMBER, 2, "x0", 1, "0x10");
    expect_job_error("name,x0,x1,x2\nc,0,0,\"1\n", jo, LP_ERR_UNTERMINATED_QUOTE, 2, "x2", 3, NULL);
    expect_job_error("name,x0,x1,x2\n\n\"a\"b,0,0,0\n", jo, LP_ERR_BAD_CSV, 3, "name", 0, NULL);
    /* A very long bad cell is shown shortened. */
    lp_test_str longin = {0};
    lp_test_str_addf(&longin, "name,x0,x1,x2\nc,0,0,");
    for (int i = 0; i < 300; i++) lp_test_str_add(&longin, "z", 1);
    lp_test_str_add(&longin, "\n", 1);
    expect_job_error(longin.p, jo, LP_ERR_BAD_NUMBER, 2, "x2", 3, "...");
    lp_test_str_free(&longin);

    /* lp_error_format puts it together. */
    lp_model *m = lp_test_load_named("tiny", NULL);
    if (m) {
        const char *in = "x0,x1,x2\n1,2,3\n4,five,6\n";
        job_run r = run_job(m, NULL, in, strlen(in), 0);
        char line[600];
        lp_error_format(&r.err, "data.csv", line, sizeof line);
        const char *want = "data.csv:3: column \"x1\": not a number: \"five\"";
        LP_CHECK(strncmp(line, want, strlen(want)) == 0, "formatted: %s", line);
        /* The rows before the bad one were not predicted in the failed batch,
         * and the job is now failed. */
        lp_test_str_free(&r.out);
        lp_model_destroy(m);
    }
}

LP_TEST(header_errors)
{
    lp_job_options jo = lp_job_options_default();
    /* Every missing column is named, with a near-miss hint. */
    lp_model *m = lp_test_load_named("multiclass", NULL);
    if (m) {
        const char *in = "row_id,ratio,score,Age,temp,income,count,height,pressure,weight\n1,2,3,4,5,6,7,8,9,10\n";
        job_run r = run_job(m, &jo, in, strlen(in), 1);
        LP_CHECK_STATUS(r.status, LP_ERR_MISSING_COLUMN, &r.err);
        LP_CHECK_CONTAINS(r.err.message, "2 columns");
        LP_CHECK_CONTAINS(r.err.message, "\"age\" (the input has \"Age\")");
        LP_CHECK_CONTAINS(r.err.message, "\"level\"");
        LP_CHECK_EQ_INT(r.err.line, 1);
        LP_CHECK_STR(r.out.p, "");
        lp_test_str_free(&r.out);
        lp_model_destroy(m);
    }
    /* A column the model needs appears twice. */
    expect_job_error("x0,x1,x2,x1\n0,0,0,0\n", jo, LP_ERR_DUPLICATE_COLUMN, 1, "x1", -2, "\"x1\"");
    /* Positional binding wants the exact count. */
    m = lp_test_load_named("no_names", NULL);
    if (m) {
        const char *in = "a,b,c,d,e\n1,2,3,4,5\n";
        job_run r = run_job(m, &jo, in, strlen(in), 0);
        LP_CHECK_STATUS(r.status, LP_ERR_COLUMN_COUNT, &r.err);
        LP_CHECK_EQ_INT(r.err.line, 1);
        lp_test_str_free(&r.out);
        lp_model_destroy(m);
    }
}

LP_TEST(duplicate_output_columns)
{
    lp_job_options jo = lp_job_options_default();
    jo.include_input = 1;
    /* A class named like a kept column. */
    lp_model *m = lp_test_load_named("binary", "{\"localpredict\": 1, \"classes\": [\"mean radius\", \"b\"]}");
    size_t len = 0;
    char *in = (char *)lp_test_read_file("fixtures/xgboost/binary/input.csv", &len);
    if (m && in) {
        job_run r = run_job(m, &jo, in, len, 4096);
        LP_CHECK_STATUS(r.status, LP_ERR_DUPLICATE_COLUMN, &r.err);
        LP_CHECK_CONTAINS(r.err.message, "\"mean radius\"");
        LP_CHECK_EQ_INT(r.err.line, 1);
        LP_CHECK_STR(r.out.p, "");
        lp_test_str_free(&r.out);
        /* Without the input columns there is no clash. */
        r = run_job(m, NULL, in, len, 4096);
        LP_CHECK_STATUS(r.status, LP_OK, &r.err);
        lp_test_str_free(&r.out);
    }
    lp_model_destroy(m);
    free(in);
    /* A class named "Suggested Label". */
    m = lp_test_load_named("binary", "{\"localpredict\": 1, \"classes\": [\"Suggested Label\", \"b\"]}");
    in = (char *)lp_test_read_file("fixtures/xgboost/binary/input.csv", &len);
    if (m && in) {
        job_run r = run_job(m, NULL, in, len, 0);
        LP_CHECK_STATUS(r.status, LP_ERR_DUPLICATE_COLUMN, &r.err);
        LP_CHECK_CONTAINS(r.err.message, "Suggested Label");
        lp_test_str_free(&r.out);
    }
    lp_model_destroy(m);
    free(in);
    /* A regression's "Prediction" and a kept input column of that name. */
    expect_job_error("x0,x1,x2,Prediction\n0,0,0,1\n", jo, LP_ERR_DUPLICATE_COLUMN, 1, NULL, -2, "Prediction");
}

LP_TEST(job_started_mid_file)
{
    lp_model *m = lp_test_load_named("binary", NULL);
    size_t len = 0;
    char *in = (char *)lp_test_read_file("fixtures/xgboost/binary/input.csv", &len);
    if (!m || !in) {
        lp_model_destroy(m);
        free(in);
        return;
    }
    /* Split after physical line 100 (the header and 99 rows). */
    const char *split = in;
    for (int i = 0; i < 100; i++) split = strchr(split, '\n') + 1;
    size_t header_len = (size_t)(strchr(in, '\n') - in);
    if (header_len && in[header_len - 1] == '\r') header_len--;
    job_run whole = run_job(m, NULL, in, len, 0);
    job_run first = run_job(m, NULL, in, (size_t)(split - in), 0);
    lp_job_options jo = lp_job_options_default();
    jo.header = in;
    jo.header_len = header_len;
    jo.first_line = 101;
    jo.write_header = 0;
    job_run second = run_job(m, &jo, split, len - (size_t)(split - in), 7);
    LP_CHECK_STATUS(second.status, LP_OK, &second.err);
    lp_test_str both = {0};
    lp_test_str_add(&both, first.out.p, first.out.len);
    lp_test_str_add(&both, second.out.p, second.out.len);
    LP_CHECK(both.len == whole.out.len && memcmp(both.p, whole.out.p, both.len) == 0,
             "first half + second half differ from the whole (%zu vs %zu bytes)", both.len, whole.out.len);
    size_t n_lines = 0;
    for (const char *q = in; (q = strchr(q, '\n')) != NULL; q++) n_lines++;
    LP_CHECK_EQ_INT(second.rows, n_lines - 100);
    /* write_header = 1 puts the header back. */
    jo.write_header = 1;
    job_run with_header = run_job(m, &jo, split, len - (size_t)(split - in), 0);
    LP_CHECK(strncmp(with_header.out.p, "0,1,Suggested Label\n", 20) == 0, "header: %.40s", with_header.out.p);
    /* Errors in the slice carry the file's physical line. */
    jo.write_header = 0;
    lp_test_str bad = {0};
    const char *p = split;
    for (int i = 0; i < 2; i++) {
        const char *e = strchr(p, '\n') + 1;
        lp_test_str_add(&bad, p, (size_t)(e - p));
        p = e;
    }
    lp_test_str_add(&bad, "1,2,3\n", 6);
    job_run err_run = run_job(m, &jo, bad.p, bad.len, 1);
    LP_CHECK_STATUS(err_run.status, LP_ERR_RAGGED_ROW, &err_run.err);
    LP_CHECK_EQ_INT(err_run.err.line, 103);
    /* A header naming too few columns fails at create. */
    lp_job *job = NULL;
    lp_error err;
    jo.header = "mean radius,mean texture";
    jo.header_len = strlen(jo.header);
    LP_CHECK_STATUS(lp_job_create(m, &jo, &job, &err), LP_ERR_MISSING_COLUMN, &err);
    LP_CHECK(job == NULL, "a failed create returned a job");
    jo.header = "";
    jo.header_len = 0;
    LP_CHECK_STATUS(lp_job_create(m, &jo, &job, &err), LP_ERR_EMPTY_INPUT, &err);
    lp_job_destroy(job);

    lp_test_str_free(&bad);
    lp_test_str_free(&err_run.out);
    lp_test_str_free(&with_header.out);
    lp_test_str_free(&both);
    lp_test_str_free(&whole.out);
    lp_test_str_free(&first.out);
    lp_test_str_free(&second.out);
    lp_model_destroy(m);
    free(in);
}

/* A BOM is skipped only at the file's start: mid-file (a slice a worker gets)
 * it is data, and the slice job fails on it exactly as the whole file does. */
LP_TEST(bom_mid_file_is_data_in_a_slice_too)
{
    lp_job_options jo = lp_job_options_default();
    expect_job_error("x0,x1,x2\n\xEF\xBB\xBF" "1,2,3\n", jo, LP_ERR_BAD_NUMBER, 2, "x0", 0, NULL);
    jo.header = "x0,x1,x2";
    jo.header_len = strlen(jo.header);
    jo.first_line = 2;
    jo.write_header = 0;
    expect_job_error("\xEF\xBB\xBF" "1,2,3\n", jo, LP_ERR_BAD_NUMBER, 2, "x0", 0, NULL);
}

LP_TEST(check_only_reads_the_header_and_a_sample)
{
    lp_job_options jo = lp_job_options_default();
    jo.check_only = 1;
    lp_model *m = lp_test_load_named("tiny", NULL);
    if (!m) return;
    /* The sample's rows are judged as for prediction (issue 9): a bad row
     * in it fails the check, with its line. */
    const char *in = "x0,x1,x2\n1,2,3\nnot,a,number,row\n\"unterminated";
    job_run r = run_job(m, &jo, in, strlen(in), 1);
    LP_CHECK_STATUS(r.status, LP_ERR_RAGGED_ROW, &r.err);
    LP_CHECK_EQ_INT(r.err.line, 3);
    LP_CHECK_STR(r.out.p, "");
    LP_CHECK_EQ_INT(r.rows, 0);
    lp_test_str_free(&r.out);
    in = "x0,x1,x2\n1,2,3\n4,5,6\n";
    r = run_job(m, &jo, in, strlen(in), 0);
    LP_CHECK_STATUS(r.status, LP_OK, &r.err);
    LP_CHECK_STR(r.out.p, "");
    LP_CHECK_EQ_INT(r.rows, 0);
    lp_test_str_free(&r.out);
    in = "x0,x2\n1,2\n";
    r = run_job(m, &jo, in, strlen(in), 0);
    LP_CHECK_STATUS(r.status, LP_ERR_MISSING_COLUMN, &r.err);
    LP_CHECK_CONTAINS(r.err.message, "\"x1\"");
    lp_test_str_free(&r.out);
    r = run_job(m, &jo, "", 0, 0);
    LP_CHECK_STATUS(r.status, LP_ERR_EMPTY_INPUT, &r.err);
    lp_test_str_free(&r.out);
    lp_model_destroy(m);
}

/* Issue 7's CSV limits: a field longer than max_field_bytes and a record
 * with more than max_columns fields are LP_ERR_LIMIT naming the line and
 * column; the caller can raise both. */
LP_TEST(csv_limits_name_line_and_column)
{
    lp_job_options jo = lp_job_options_default();
    jo.keep = "name";
    jo.keep_len = 4;
    lp_test_str in = {0};
    lp_test_str_addf(&in, "name,x0,x1,x2\n\"a\",1,2,3\n\"");
    for (size_t i = 0; i < LP_DEFAULT_MAX_FIELD_BYTES; i++) lp_test_str_add(&in, i % 64 ? "n" : "\n", 1);
    lp_test_str_add(&in, "\",1,2,3\n", 8);
    /* At the default limit (the quotes do not count): read. */
    lp_model *m = lp_test_load_named("tiny", NULL);
    if (!m) return;
    job_run r = run_job(m, &jo, in.p, in.len, 65536);
    LP_CHECK_STATUS(r.status, LP_OK, &r.err);
    LP_CHECK_EQ_INT(r.rows, 2);
    lp_test_str_free(&r.out);
    /* One byte more: the error names the record's first line and the column. */
    char *longer = LP_REPLACE(in.p, "\",1,2,3\n\"", "\",1,2,3\n\"x");
    if (longer) {
        expect_job_error(longer, jo, LP_ERR_LIMIT, 3, "name", 0, "longer than 1048576 bytes");
        lp_job_options raised = jo;
        raised.max_field_bytes = 2u << 20;
        r = run_job(m, &raised, longer, strlen(longer), 4096);
        LP_CHECK_STATUS(r.status, LP_OK, &r.err);
        lp_test_str_free(&r.out);
        raised.max_field_bytes = 4;   /* lowered: "name" fits, a 5-byte cell does not */
        expect_job_error("name,x0,x1,x2\n\"abcd\",0,0,0\nd,0,1.250,0\n", raised, LP_ERR_LIMIT, 3, "x1", 2,
                         "max_field_bytes");
        free(longer);
    }
    lp_test_str_free(&in);

    /* Columns: the header itself, and a data row. */
    lp_job_options cols = lp_job_options_default();
    cols.max_columns = 3;
    expect_job_error("x0,x1,x2,extra\n0,0,0,0\n", cols, LP_ERR_LIMIT, 1, NULL, 3, "more than 3 fields");
    expect_job_error("x0,x1,x2\n0,0,0\n\n0,0,0,0\n", cols, LP_ERR_LIMIT, 4, NULL, 3, "max_columns");
    r = run_job(m, &cols, "x0,x1,x2\n0,0,0\n", 15, 1);
    LP_CHECK_STATUS(r.status, LP_OK, &r.err);
    lp_test_str_free(&r.out);
    /* The one-line message (the CLI's stderr): line and column number. */
    r = run_job(m, &cols, "x0,x1,x2,x3\n", 12, 0);
    char line[600];
    lp_error_format(&r.err, "wide.csv", line, sizeof line);
    LP_CHECK_CONTAINS(line, "wide.csv:1: column 4: a record has more than 3 fields");
    lp_test_str_free(&r.out);
    lp_model_destroy(m);
}

/* parse_only: every cell parsed and judged as for prediction, nothing written. */
LP_TEST(parse_only_parses_every_cell)
{
    lp_job_options jo = lp_job_options_default();
    jo.parse_only = 1;
    jo.batch_rows = 2;
    lp_model *m = lp_test_load_named("tiny", NULL);
    if (!m) return;
    const char *in = "x0,x1,x2\n1,2,3\n4,5,6\n7,NA,9\n";
    job_run r = run_job(m, &jo, in, strlen(in), 3);
    LP_CHECK_STATUS(r.status, LP_OK, &r.err);
    LP_CHECK_STR(r.out.p, "");
    LP_CHECK_EQ_INT(r.rows, 3);
    lp_test_str_free(&r.out);
    lp_model_destroy(m);
    expect_job_error("x0,x1,x2\n1,2,3\n4,5,6\n7,8,nine\n", jo, LP_ERR_BAD_NUMBER, 4, "x2", 2, "\"nine\"");
    expect_job_error("x0,x1,x2\n1,2,3\n4,5\n", jo, LP_ERR_RAGGED_ROW, 3, NULL, -2, "2 fields");
}

LP_TEST(calls_out_of_order)
{
    lp_model *m = lp_test_load_named("tiny", NULL);
    if (!m) return;
    lp_job *job = NULL;
    lp_error err;
    LP_CHECK_STATUS(lp_job_create(NULL, NULL, &job, &err), LP_ERR_USAGE, &err);
    LP_CHECK_STATUS(lp_job_create(m, NULL, NULL, &err), LP_ERR_USAGE, &err);
    if (LP_CHECK_STATUS(lp_job_create(m, NULL, &job, &err), LP_OK, &err)) {
        LP_CHECK_STATUS(lp_job_push(job, NULL, 3, &err), LP_ERR_USAGE, &err);
        LP_CHECK_STATUS(lp_job_push(job, NULL, 0, &err), LP_OK, &err);
        LP_CHECK_STATUS(lp_job_push(job, (const uint8_t *)"x0,x1,x2\n0,0,0\n", 15, &err), LP_OK, &err);
        LP_CHECK_STATUS(lp_job_finish(job, &err), LP_OK, &err);
        LP_CHECK_STATUS(lp_job_finish(job, &err), LP_ERR_STATE, &err);
        LP_CHECK_STATUS(lp_job_push(job, (const uint8_t *)"1,1,1\n", 6, &err), LP_ERR_STATE, &err);
        LP_CHECK_EQ_INT(lp_job_rows(job), 1);
        lp_job_destroy(job);
    }
    job = NULL;
    if (LP_CHECK_STATUS(lp_job_create(m, NULL, &job, &err), LP_OK, &err)) {
        LP_CHECK_STATUS(lp_job_push(job, (const uint8_t *)"x0,x1,x2\na,b,c\n", 15, &err), LP_ERR_BAD_NUMBER, &err);
        LP_CHECK_STATUS(lp_job_push(job, (const uint8_t *)"1,1,1\n", 6, &err), LP_ERR_STATE, &err);
        LP_CHECK_STATUS(lp_job_finish(job, &err), LP_ERR_STATE, &err);
        LP_CHECK_CONTAINS(err.message, "failed");
        lp_job_destroy(job);
    }
    /* A NULL error pointer is allowed everywhere. */
    job = NULL;
    if (lp_job_create(m, NULL, &job, NULL) == LP_OK) {
        LP_CHECK_STATUS(lp_job_push(job, (const uint8_t *)"x0,x1,x2\n1,x,1\n", 15, NULL), LP_ERR_BAD_NUMBER, NULL);
        LP_CHECK_STATUS(lp_job_finish(job, NULL), LP_ERR_STATE, NULL);
        lp_job_destroy(job);
    }
    lp_job_destroy(NULL);
    lp_model_destroy(m);
}

/* A value a graph input refuses (a category a handle_unknown='error'
 * OneHotEncoder does not list) is found only when its batch runs; the error
 * still names the file's line and the CSV column, as a cell the parser
 * refuses does: in a later batch, and in a slice that starts mid-file. */
LP_TEST(graph_input_errors_name_the_file_line)
{
    size_t mlen = 0;
    uint8_t *bytes = lp_test_read_file("fixtures/onnx_ml/skl_onehot_strict_binary/model.onnx", &mlen);
    lp_model *m = NULL;
    lp_error err;
    if (!LP_CHECK(bytes != NULL, "model file") ||
        !LP_CHECK_STATUS(lp_model_load(bytes, mlen, NULL, &m, &err), LP_OK, &err)) {
        free(bytes);
        return;
    }
    free(bytes);
    const size_t rows = 5000, bad_line = 4323;   /* physical line: the header is line 1 */
    lp_test_str in = {0};
    lp_test_str_add(&in, "id,size,color,income,age\n", 25);
    size_t slice_at = 0;
    for (size_t i = 0; i < rows; i++) {
        char line[64];
        int n = snprintf(line, sizeof line, "%zu,S,%s,1,0.5\n", i, i + 2 == bad_line ? "teal" : "red");
        if (i + 2 == 3001) slice_at = in.len;   /* the slice starts at line 3001 */
        lp_test_str_add(&in, line, (size_t)n);
    }
    static const long chunks[] = {0, 4096};
    for (size_t c = 0; c < 2; c++) {
        job_run r = run_job(m, NULL, in.p, in.len, chunks[c]);
        LP_CHECK(r.status == LP_ERR_BAD_NUMBER, "whole file: %s (%s)", lp_status_code(r.status), r.err.message);
        LP_CHECK(r.err.line == bad_line, "whole file: line %llu", (unsigned long long)r.err.line);
        LP_CHECK_STR(r.err.column, "color");
        LP_CHECK_EQ_INT(r.err.column_index, 2);
        LP_CHECK_CONTAINS(r.err.message, "does not list");
        LP_CHECK(strstr(r.err.message, "batch") == NULL, "message: %s", r.err.message);
        lp_test_str_free(&r.out);
    }
    lp_job_options jo = lp_job_options_default();
    jo.header = in.p;
    jo.header_len = 24;
    jo.first_line = 3001;
    jo.write_header = 0;
    job_run r = run_job(m, &jo, in.p + slice_at, in.len - slice_at, 777);
    LP_CHECK(r.status == LP_ERR_BAD_NUMBER && r.err.line == bad_line, "slice: %s line %llu (%s)",
             lp_status_code(r.status), (unsigned long long)r.err.line, r.err.message);
    LP_CHECK_STR(r.err.column, "color");
    lp_test_str_free(&r.out);
    lp_test_str_free(&in);
    lp_model_destroy(m);
}

void test_job(void)
{
    LP_RUN(fixtures_through_the_job);
    LP_RUN(keep_columns_by_name);
    LP_RUN(kept_fields_are_quoted);
    LP_RUN(suggested_label_rules_on_the_tiny_model);
    LP_RUN(many_batches_against_hand_margins);
    LP_RUN(header_only_and_empty_inputs);
    LP_RUN(row_errors_name_line_and_column);
    LP_RUN(header_errors);
    LP_RUN(duplicate_output_columns);
    LP_RUN(job_started_mid_file);
    LP_RUN(bom_mid_file_is_data_in_a_slice_too);
    LP_RUN(check_only_reads_the_header_and_a_sample);
    LP_RUN(calls_out_of_order);
    LP_RUN(csv_limits_name_line_and_column);
    LP_RUN(parse_only_parses_every_cell);
    LP_RUN(graph_input_errors_name_the_file_line);
}
