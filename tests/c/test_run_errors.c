/* test_run_errors.c — on_error skip and rows the model fails at run time
 * (lp__run_fail): a computed Gather index out of range, a code a zeros=0
 * OneHotEncoder does not list.  Such a row keeps its place with empty
 * probabilities and its message in the Error column; the other rows match
 * onnxruntime-node run on each row alone (tests/fixtures/run_errors,
 * gen_run_errors.py + expect_run_errors.mjs), whatever the batch size, the
 * push size, and the graph's run chunks inside a batch.  Without skip the job
 * fails naming the first bad row's line, as before. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_test.h"

/* One expected row: its line, probabilities (NaN: onnxruntime refuses it). */
typedef struct want_row {
    long  line;
    float p[4];
} want_row;

/* expected.csv: line,p0..p{k-1},ort_error (the error quoted, after the numbers). */
static want_row *read_expected(const char *name, size_t k, size_t *n_rows)
{
    char path[128];
    snprintf(path, sizeof path, "fixtures/run_errors/%s/expected.csv", name);
    size_t len = 0;
    char *text = (char *)lp_test_read_file(path, &len);
    if (!LP_CHECK(text != NULL, "%s missing", path)) return NULL;
    want_row *rows = calloc(len / 4 + 1, sizeof *rows);
    size_t n = 0;
    char *line = strchr(text, '\n');   /* past the header */
    while (line && *++line) {
        char *p = line;
        rows[n].line = strtol(p, &p, 10);
        for (size_t c = 0; c < k; c++) {
            p++;   /* the comma */
            rows[n].p[c] = *p == ',' ? NAN : strtof(p, &p);
        }
        n++;
        line = strchr(line, '\n');
    }
    free(text);
    *n_rows = n;
    return rows;
}

/* The job's output, pushed `chunk` bytes at a time (0: at once). */
static lp_status run_job(const lp_model *m, const lp_job_options *jo, const char *in, size_t len, size_t chunk,
                         lp_test_str *out, uint64_t *skipped, uint64_t *lines, lp_error *err)
{
    lp_job *job = NULL;
    lp_status s = lp_job_create(m, jo, &job, err);
    for (size_t at = 0; s == LP_OK && at < len;) {
        size_t n = chunk && chunk < len - at ? chunk : len - at;
        s = lp_job_push(job, (const uint8_t *)in + at, n, err);
        lp_test_str_add(out, lp_job_output(job), lp_job_output_len(job));
        lp_job_output_clear(job);
        at += n;
    }
    if (s == LP_OK) s = lp_job_finish(job, err);
    if (job && s == LP_OK) {
        lp_test_str_add(out, lp_job_output(job), lp_job_output_len(job));
        *skipped = lp_job_skipped(job);
        for (size_t i = 0; i < LP_SKIPPED_LINES_KEPT; i++) lines[i] = lp_job_skipped_line(job, i);
    }
    lp_job_destroy(job);
    return s;
}

/* Checks an output of `copies` copies of the fixture's rows. */
static void check_output(const char *what, const char *out, const want_row *want, size_t n_want, size_t copies,
                         size_t k)
{
    const char *p = strchr(out, '\n');
    size_t failures = 0;
    for (size_t copy = 0; copy < copies; copy++)
        for (size_t i = 0; i < n_want && p && failures < 5; i++) {
            const want_row *w = &want[i];
            long line = w->line + (long)(copy * n_want);
            p++;
            const char *end = strchr(p, '\n');
            if (!LP_CHECK(end != NULL, "%s: output ends before line %ld", what, line)) return;
            if (isnan(w->p[0])) {   /* refused: k + 1 empty fields, then the message */
                char head[64];
                snprintf(head, sizeof head, "\"line %ld: ONNX node ", line);
                int ok = strspn(p, ",") == k + 1 && strncmp(p + k + 1, head, strlen(head)) == 0;
                failures += !LP_CHECK(ok, "%s: line %ld: %.*s", what, line, (int)(end - p), p);
            } else {
                const char *q = p;
                int ok = 1, best = 0;
                for (size_t c = 0; c < k; c++) {
                    char *after;
                    float v = strtof(q, &after);
                    ok &= after != q && *after == ',' && fabsf(v - w->p[c]) <= 1e-6f;
                    if (w->p[c] > w->p[best]) best = (int)c;
                    q = after + 1;
                }
                char tail[16];
                snprintf(tail, sizeof tail, "%d,\n", best);   /* the label, an empty Error */
                ok &= strncmp(q, tail, strlen(tail)) == 0;
                failures += !LP_CHECK(ok, "%s: line %ld: %.*s", what, line, (int)(end - p), p);
            }
            p = end;
        }
    LP_CHECK(failures || (p && p[1] == '\0'), "%s: extra output", what);
}

static void check_case(const char *name, size_t k, lp_status fail_status)
{
    char path[128];
    snprintf(path, sizeof path, "fixtures/run_errors/%s/model.onnx", name);
    size_t model_len = 0, in_len = 0, n_want = 0;
    uint8_t *bytes = lp_test_read_file(path, &model_len);
    snprintf(path, sizeof path, "fixtures/run_errors/%s/input.csv", name);
    char *in = (char *)lp_test_read_file(path, &in_len);
    want_row *want = read_expected(name, k, &n_want);
    lp_model *m = NULL;
    lp_error err;
    if (!LP_CHECK(bytes && in && want, "%s: fixture missing", name) ||
        !LP_CHECK_STATUS(lp_model_load(bytes, model_len, NULL, &m, &err), LP_OK, &err))
        goto done;
    size_t n_bad = 0;
    long first_bad = 0;
    for (size_t i = 0; i < n_want; i++)
        if (isnan(want[i].p[0]) && !n_bad++) first_bad = want[i].line;
    LP_CHECK(n_bad > 0 && n_bad < n_want, "%s: a mix of good and bad rows", name);

    /* The fixture five times over: batches of 256 rows (the default), of 7,
     * and one batch of every row, which the graph runs in several chunks. */
    const size_t copies = 5, header_len = (size_t)(strchr(in, '\n') + 1 - in);
    lp_test_str five = {0};
    lp_test_str_add(&five, in, in_len);
    for (size_t c = 1; c < copies; c++) lp_test_str_add(&five, in + header_len, in_len - header_len);
    static const size_t batches[] = {0, 7, 8192}, chunks[] = {0, 13, 0};
    for (size_t b = 0; b < 3; b++) {
        lp_job_options jo = lp_job_options_default();
        jo.on_error = LP_ON_ERROR_SKIP;
        jo.batch_rows = batches[b];
        lp_test_str out = {0};
        uint64_t skipped = 0, lines[LP_SKIPPED_LINES_KEPT] = {0};
        char what[96];
        snprintf(what, sizeof what, "%s, batch %zu, push %zu", name, batches[b], chunks[b]);
        if (LP_CHECK_STATUS(run_job(m, &jo, five.p, five.len, chunks[b], &out, &skipped, lines, &err), LP_OK, &err)) {
            lp_test_str_add(&out, "", 1);
            check_output(what, out.p, want, n_want, copies, k);
            LP_CHECK(skipped == n_bad * copies, "%s: %llu skipped", what, (unsigned long long)skipped);
            for (size_t i = 0, seen = 0; i < n_want && seen < LP_SKIPPED_LINES_KEPT; i++)
                if (isnan(want[i].p[0])) {
                    LP_CHECK(lines[seen] == (uint64_t)want[i].line, "%s: skipped line %zu is %llu, not %ld", what,
                             seen, (unsigned long long)lines[seen], want[i].line);
                    seen++;
                }
        }
        lp_test_str_free(&out);
        /* Without skip: the first bad row's line, nothing more. */
        jo.on_error = LP_ON_ERROR_FAIL;
        lp_test_str none = {0};
        lp_status s = run_job(m, &jo, five.p, five.len, chunks[b], &none, &skipped, lines, &err);
        LP_CHECK(s == fail_status && err.line == (uint64_t)first_bad, "%s without skip: %s line %lld: %s", what,
                 lp_status_code(s), (long long)err.line, err.message);
        lp_test_str_free(&none);
    }
    lp_test_str_free(&five);
done:
    lp_model_destroy(m);
    free(want);
    free(in);
    free(bytes);
}

LP_TEST(skip_rows_a_gather_index_fails)
{
    check_case("gather", 3, LP_ERR_BAD_NUMBER);
}

LP_TEST(skip_rows_a_strict_one_hot_fails)
{
    check_case("onehot", 4, LP_ERR_UNKNOWN_CATEGORY);
}

/* Without skip, a row the model refuses at run time is an earlier line's
 * error than a later row's or the file's (ragged, unterminated quote, bad
 * UTF-8): it is reported whatever the batch size, though the batch is run
 * only when it is full or the input ends (fuzz_predict_csv found the later
 * error winning in batches of more than one row). */
LP_TEST(run_error_wins_over_a_later_input_error)
{
    lp_model *m = lp_test_load_file("fixtures/run_errors/onehot/model.onnx");
    if (!m) return;
    lp_error err;
    /* code 1 is known, 53 is not (zeros = 0): line 3 fails at run time */
    static const char *const inputs[] = {"code,x\n1,0.5\n53,338\n.29\n", "code,x\n1,0.5\n53,338\n\"1,2\n",
                                         "code,x\n1,0.5\n53,338\n1,\xff\n"};
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++)
        for (size_t batch = 1; batch <= 3; batch++) {
            lp_job_options jo = lp_job_options_default();
            jo.batch_rows = batch;
            jo.include_input = 1;   /* (keeps the bad UTF-8 field, which is then an error) */
            lp_test_str out = {0};
            uint64_t skipped = 0, lines[LP_SKIPPED_LINES_KEPT] = {0};
            lp_status s = run_job(m, &jo, inputs[i], strlen(inputs[i]), 0, &out, &skipped, lines, &err);
            LP_CHECK(s == LP_ERR_UNKNOWN_CATEGORY && err.line == 3, "input %zu, batch %zu: %s line %lld: %s", i, batch,
                     lp_status_code(s), (long long)err.line, err.message);
            lp_test_str_free(&out);
        }
    lp_model_destroy(m);
}

#ifndef LP_NO_TEXT
/* A text model whose graph takes the texts (TF-IDF): a row that cannot be
 * read (ragged) holds no text, so the rows after it keep their own (the
 * batch's texts are stored one after the other).  The same rows without the
 * bad one give the same probabilities, whatever the batch size. */
LP_TEST(skip_rows_in_a_tfidf_batch_keep_their_texts)
{
    lp_model *m = lp_test_load_file("fixtures/tfidf/tfidf_bigrams_multiclass/model.onnx");
    if (!m) return;
    lp_error err;
    static const char with_bad[] = "id,text\n1,cloud server\n2,x,y\n3,chef soup\n4,\"goal, team\"\n5,a,b,c\n6,GPU\n";
    static const char clean[] = "id,text\n1,cloud server\n3,chef soup\n4,\"goal, team\"\n6,GPU\n";
    for (size_t batch = 1; batch <= 4; batch++) {
        lp_job_options jo = lp_job_options_default();
        jo.on_error = LP_ON_ERROR_SKIP;
        jo.batch_rows = batch;
        lp_test_str a = {0}, b = {0};
        uint64_t skipped = 0, lines[LP_SKIPPED_LINES_KEPT] = {0};
        LP_CHECK_STATUS(run_job(m, &jo, with_bad, sizeof with_bad - 1, 0, &a, &skipped, lines, &err), LP_OK, &err);
        LP_CHECK(skipped == 2 && lines[0] == 3 && lines[1] == 6, "batch %zu: %llu skipped", batch,
                 (unsigned long long)skipped);
        LP_CHECK_STATUS(run_job(m, &jo, clean, sizeof clean - 1, 0, &b, &skipped, lines, &err), LP_OK, &err);
        lp_test_str_add(&a, "", 1);
        lp_test_str_add(&b, "", 1);
        /* a's rows 1, 3, 4, 6 (lines 2, 4, 5, 7) are b's rows */
        const char *pa = a.p, *pb = b.p;
        for (int line = 1; line <= 7 && pa && pb; line++) {
            const char *ea = strchr(pa, '\n'), *eb = strchr(pb, '\n');
            if (!ea || !eb) break;
            if (line != 3 && line != 6) {
                LP_CHECK((ea - pa) == (eb - pb) && memcmp(pa, pb, (size_t)(ea - pa)) == 0, "batch %zu line %d: %.*s vs %.*s",
                         batch, line, (int)(ea - pa), pa, (int)(eb - pb), pb);
                pb = eb + 1;
            }
            pa = ea + 1;
        }
        lp_test_str_free(&a);
        lp_test_str_free(&b);
    }
    lp_model_destroy(m);
}
#endif

void test_run_errors(void)
{
#ifndef LP_NO_TEXT
    LP_RUN(skip_rows_in_a_tfidf_batch_keep_their_texts);
#endif
    LP_RUN(skip_rows_a_gather_index_fails);
    LP_RUN(skip_rows_a_strict_one_hot_fails);
    LP_RUN(run_error_wins_over_a_later_input_error);
}
