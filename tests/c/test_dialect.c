/* test_dialect.c — real-world CSVs (issue 9) through the streaming job:
 * delimiters (detected and given), decimal commas, UTF-16 LE/BE with their
 * byte-order marks, Windows-1252 and Latin-1 (refused, and read when named),
 * headerless files, Excel output, the on_error skip policy (whole file and
 * slices, global line numbers) and the check report.
 *
 * Every dialect input is made here from the multiclass fixture's input.csv
 * (tests/fixtures/xgboost/multiclass, recorded by gen_xgboost.py), so the
 * expected probabilities stay xgboost's own (expected.csv), whatever the
 * dialect; each is pushed in chunks of 1, 3, 7 bytes and whole. */
#define _POSIX_C_SOURCE 200809L   /* strdup */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "localpredict.h"
#include "lp_test.h"

#define FIXTURE "fixtures/xgboost/multiclass/"

/* ---- running a job and reading its output ---- */
typedef struct run_result {
    lp_test_str out;
    lp_status   status;
    lp_error    err;
    uint64_t    rows, skipped, skipped_lines[LP_SKIPPED_LINES_KEPT], line_ends;
    int         delimiter;
    lp_encoding encoding;
    char       *check_json, *check_text;
} run_result;

static run_result run(const lp_model *m, const lp_job_options *jo, const char *in, size_t len, size_t chunk)
{
    run_result r;
    memset(&r, 0, sizeof r);
    lp_test_str_add(&r.out, "", 0);
    lp_job *job = NULL;
    r.status = lp_job_create(m, jo, &job, &r.err);
    for (size_t at = 0; r.status == LP_OK && at < len;) {
        size_t n = chunk && chunk < len - at ? chunk : len - at;
        r.status = lp_job_push(job, (const uint8_t *)in + at, n, &r.err);
        lp_test_str_add(&r.out, lp_job_output(job), lp_job_output_len(job));
        lp_job_output_clear(job);
        at += n;
    }
    if (r.status == LP_OK) r.status = lp_job_finish(job, &r.err);
    if (job) {
        lp_test_str_add(&r.out, lp_job_output(job), lp_job_output_len(job));
        r.rows = lp_job_rows(job);
        r.line_ends = lp_job_line_ends(job);
        r.skipped = lp_job_skipped(job);
        for (size_t i = 0; i < LP_SKIPPED_LINES_KEPT; i++) r.skipped_lines[i] = lp_job_skipped_line(job, i);
        r.delimiter = lp_job_delimiter(job);
        r.encoding = lp_job_encoding(job);
        if (r.status == LP_OK && jo->check_only) {
            const char *t = lp_job_check_text(job);
            r.check_text = strdup(t);
            const char *js = lp_job_check_json(job);
            r.check_json = strdup(js);
        }
    }
    lp_job_destroy(job);
    return r;
}

static void run_free(run_result *r)
{
    lp_test_str_free(&r->out);
    free(r->check_json);
    free(r->check_text);
}

/* An independent RFC 4180 reader for the job's output: records end with
 * `eol` ("\n" or "\r\n"); fields[r][f] are NUL-terminated copies. */
typedef struct table {
    size_t n_rows, n_cols[512];
    char  *fields[512][16];
} table;

static int read_output(const char *s, size_t len, const char *eol, table *t)
{
    memset(t, 0, sizeof *t);
    size_t i = 0, eol_len = strlen(eol);
    while (i < len) {
        if (t->n_rows == 512) return 0;
        size_t r = t->n_rows++;
        for (;;) {
            char field[8192];
            size_t n = 0;
            if (s[i] == '"') {
                for (i++; i < len; i++) {
                    if (s[i] == '"' && i + 1 < len && s[i + 1] == '"') i++;
                    else if (s[i] == '"') break;
                    if (n < sizeof field - 1) field[n++] = s[i];
                }
                i++;
            } else {
                while (i < len && s[i] != ',' && s[i] != '\r' && s[i] != '\n') {
                    if (n < sizeof field - 1) field[n++] = s[i];
                    i++;
                }
            }
            field[n] = '\0';
            if (t->n_cols[r] == 16) return 0;
            t->fields[r][t->n_cols[r]++] = strdup(field);
            if (i < len && s[i] == ',') {
                i++;
                continue;
            }
            if (len - i < eol_len || memcmp(s + i, eol, eol_len) != 0) return 0;
            i += eol_len;
            break;
        }
    }
    return 1;
}

static void table_free(table *t)
{
    for (size_t r = 0; r < t->n_rows; r++)
        for (size_t f = 0; f < t->n_cols[r]; f++) free(t->fields[r][f]);
}

/* ---- the fixture and its transformations ---- */
static char *fixture_input(size_t *len)
{
    return (char *)lp_test_read_file(FIXTURE "input.csv", len);
}

/* Every `from` byte of text replaced by `to`. */
static char *map_byte(const char *text, size_t len, char from, char to)
{
    char *s = malloc(len + 1);
    for (size_t i = 0; i < len; i++) s[i] = text[i] == from ? to : text[i];
    s[len] = '\0';
    return s;
}

/* ASCII text as UTF-16 with its byte-order mark. */
static char *to_utf16(const char *text, size_t len, int big_endian, size_t *out_len)
{
    char *s = malloc(2 * len + 2);
    s[0] = big_endian ? '\xFE' : '\xFF';
    s[1] = big_endian ? '\xFF' : '\xFE';
    for (size_t i = 0; i < len; i++) {
        s[2 + 2 * i + big_endian] = text[i];
        s[2 + 2 * i + !big_endian] = '\0';
    }
    *out_len = 2 * len + 2;
    return s;
}

/* Each line of text with `suffix` appended before its line end. */
static char *append_to_lines(const char *text, size_t len, const char *header_suffix, const char *suffix,
                             size_t *out_len)
{
    lp_test_str s = {0};
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '\n') continue;
        lp_test_str_add(&s, text + start, i - start);
        lp_test_str_add(&s, start == 0 ? header_suffix : suffix, strlen(start == 0 ? header_suffix : suffix));
        lp_test_str_add(&s, "\n", 1);
        start = i + 1;
    }
    *out_len = s.len;
    return s.p;
}

/* Checks the output's probabilities against xgboost's (expected.csv), row
 * by row; `bad_rows` (1-based data rows, 0-terminated) must have empty
 * probabilities and an Error message naming their line. */
static void check_against_expected(const char *what, const run_result *r, const char *eol, const int *bad_rows,
                                   int error_column)
{
    lp_test_csv expected;
    if (!LP_CHECK(lp_test_read_csv(FIXTURE "expected.csv", &expected), "no expected.csv")) return;
    const char *out = r->out.p;
    size_t len = r->out.len;
    if (len >= 3 && memcmp(out, "\xEF\xBB\xBF", 3) == 0) out += 3, len -= 3;   /* Excel's BOM */
    table *t = malloc(sizeof *t);
    if (!LP_CHECK(read_output(out, len, eol, t), "%s: the output is not CSV with %s line ends", what,
                  eol[0] == '\r' ? "CRLF" : "LF")) {
        free(t);
        lp_test_csv_free(&expected);
        return;
    }
    size_t k_n = expected.n_cols, want_cols = k_n + 1 + (size_t)error_column;
    LP_CHECK(t->n_rows == expected.n_rows + 1, "%s: %zu output rows, want %zu", what, t->n_rows - 1, expected.n_rows);
    for (size_t row = 0; row + 1 < t->n_rows && row < expected.n_rows; row++) {
        const size_t o = row + 1;
        if (!LP_CHECK(t->n_cols[o] == want_cols, "%s: row %zu has %zu fields, want %zu", what, row + 1, t->n_cols[o],
                      want_cols))
            continue;
        int bad = 0;
        for (const int *b = bad_rows; b && *b; b++) bad |= (size_t)*b == row + 1;
        if (bad) {
            for (size_t k = 0; k <= k_n; k++)
                LP_CHECK(t->fields[o][k][0] == '\0', "%s: skipped row %zu has a value", what, row + 1);
            char line[32];
            snprintf(line, sizeof line, "line %zu: ", row + 2);
            LP_CHECK(strstr(t->fields[o][k_n + 1], line) == t->fields[o][k_n + 1],
                     "%s: row %zu's error \"%s\" does not start with \"%s\"", what, row + 1, t->fields[o][k_n + 1], line);
            continue;
        }
        if (error_column) LP_CHECK_STR(t->fields[o][k_n + 1], "");
        for (size_t k = 0; k < k_n; k++) {
            double got = strtod(t->fields[o][k], NULL), want = strtod(expected.cells[row * k_n + k], NULL);
            LP_CHECK(fabs(got - want) <= LP_TEST_PROBA_TOL, "%s: row %zu class %zu: %.9g, xgboost %.9g", what, row + 1, k,
                     got, want);
        }
    }
    table_free(t);
    free(t);
    lp_test_csv_free(&expected);
}

static void check_dialect(const char *what, const lp_model *m, const lp_job_options *jo, const char *in, size_t len,
                          int want_delim, lp_encoding want_enc, const char *eol)
{
    static const size_t chunks[] = {1, 3, 7, 0};
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
        run_result r = run(m, jo, in, len, chunks[c]);
        if (LP_CHECK_STATUS(r.status, LP_OK, &r.err)) {
            check_against_expected(what, &r, eol, NULL, jo->on_error == LP_ON_ERROR_SKIP);
            LP_CHECK(r.delimiter == want_delim, "%s: delimiter %d, want %d", what, r.delimiter, want_delim);
            LP_CHECK(r.encoding == want_enc, "%s: encoding %s, want %s", what, lp_encoding_name(r.encoding),
                     lp_encoding_name(want_enc));
        }
        run_free(&r);
    }
}

/* ---- tests ---- */
LP_TEST(delimiters_detected_and_given)
{
    lp_model *m = lp_test_load_named("multiclass", NULL);
    size_t len;
    char *in = fixture_input(&len);
    if (!m || !LP_CHECK(in != NULL, "no input.csv")) goto done;
    static const char delims[] = {';', '\t', '|', ','};
    for (size_t d = 0; d < sizeof delims; d++) {
        char *text = map_byte(in, len, ',', delims[d]);
        char what[32];
        snprintf(what, sizeof what, "delimiter %d detected", delims[d]);
        lp_job_options jo = lp_job_options_default();
        check_dialect(what, m, &jo, text, len, delims[d], LP_ENC_UTF8, "\n");
        snprintf(what, sizeof what, "delimiter %d given", delims[d]);
        jo.delimiter = delims[d];
        check_dialect(what, m, &jo, text, len, delims[d], LP_ENC_UTF8, "\n");
        free(text);
    }
    /* A given delimiter wins: the ';' file read with ',' has one column. */
    char *semi = map_byte(in, len, ',', ';');
    lp_job_options jo = lp_job_options_default();
    jo.delimiter = ',';
    run_result r = run(m, &jo, semi, len, 0);
    LP_CHECK_STATUS(r.status, LP_ERR_MISSING_COLUMN, &r.err);
    run_free(&r);
    free(semi);
done:
    free(in);
    lp_model_destroy(m);
}

LP_TEST(detection_rules)
{
    static const struct { const char *header; int want; } cases[] = {
        {"a;b;c\n1;2;3\n", ';'},
        {"a\tb\tc\n", '\t'},
        {"a|b|c", '|'},
        {"a,b,c\n", ','},
        {"single\n", ','},                     /* one column: ',' */
        {"\"x,y\";\"p,q\";z\n", ';'},           /* commas inside quotes do not count */
        {"\"a;b\nc\",d,e\n", ','},              /* a line break inside quotes is not the header's end */
        {"\xEF\xBB\xBF\n\na;b,c;d\n", ';'},     /* BOM and blank lines skipped; most frequent wins */
        {"a;b,c\n", ','},                       /* a tie goes to , then ; TAB | */
        {"a;b|c|d;e\n", ';'},                   /* tie between ; and |: ; */
        {"a b c\n1,2,3,4,5\n", ','},            /* only the first record counts */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        LP_CHECK(lp_csv_detect_delimiter((const uint8_t *)cases[i].header, strlen(cases[i].header)) == cases[i].want,
                 "header %zu: detected %d, want %d", i, lp_csv_detect_delimiter((const uint8_t *)cases[i].header,
                 strlen(cases[i].header)), cases[i].want);
    LP_CHECK_EQ_INT(lp_encoding_from_name("Windows-1252"), LP_ENC_WINDOWS_1252);
    LP_CHECK_EQ_INT(lp_encoding_from_name("cp1252"), LP_ENC_WINDOWS_1252);
    LP_CHECK_EQ_INT(lp_encoding_from_name("ISO-8859-1"), LP_ENC_LATIN1);
    LP_CHECK_EQ_INT(lp_encoding_from_name("UTF-16LE"), LP_ENC_UTF16LE);
    LP_CHECK_EQ_INT(lp_encoding_from_name("utf8"), LP_ENC_UTF8);
    LP_CHECK_EQ_INT(lp_encoding_from_name("ebcdic"), -1);
}

LP_TEST(decimal_commas)
{
    lp_model *m = lp_test_load_named("multiclass", NULL);
    size_t len;
    char *in = fixture_input(&len);
    if (!m || !LP_CHECK(in != NULL, "no input.csv")) goto done;
    char *semi = map_byte(in, len, ',', ';');
    char *dc = map_byte(semi, len, '.', ',');
    lp_job_options jo = lp_job_options_default();
    jo.decimal_comma = 1;
    check_dialect("decimal comma, ';' detected", m, &jo, dc, len, ';', LP_ENC_UTF8, "\n");
    /* Without the flag the first comma number is an error that suggests it. */
    jo.decimal_comma = 0;
    run_result r = run(m, &jo, dc, len, 0);
    LP_CHECK_STATUS(r.status, LP_ERR_BAD_NUMBER, &r.err);
    LP_CHECK_EQ_INT(r.err.line, 2);
    LP_CHECK_CONTAINS(r.err.message, "--decimal-comma");
    run_free(&r);
    /* A point in a decimal-comma file is refused (a thousands separator?). */
    jo.decimal_comma = 1;
    r = run(m, &jo, semi, len, 0);
    LP_CHECK_STATUS(r.status, LP_ERR_BAD_NUMBER, &r.err);
    LP_CHECK_CONTAINS(r.err.message, "decimal comma");
    run_free(&r);
    /* With ',' as the delimiter: a usage error, given or detected. */
    r = run(m, &jo, in, len, 0);
    LP_CHECK_STATUS(r.status, LP_ERR_USAGE, &r.err);
    LP_CHECK_CONTAINS(r.err.message, "delimiter other than ','");
    run_free(&r);
    jo.delimiter = ',';
    lp_job *job = NULL;
    LP_CHECK_STATUS(lp_job_create(m, &jo, &job, &r.err), LP_ERR_USAGE, &r.err);
    LP_CHECK(job == NULL, "a job despite the error");
    free(semi);
    free(dc);
done:
    free(in);
    lp_model_destroy(m);
}

LP_TEST(utf16_with_byte_order_marks)
{
    lp_model *m = lp_test_load_named("multiclass", NULL);
    size_t len, n16;
    char *in = fixture_input(&len);
    if (!m || !LP_CHECK(in != NULL, "no input.csv")) goto done;
    lp_job_options jo = lp_job_options_default();
    for (int be = 0; be <= 1; be++) {
        char *u16 = to_utf16(in, len, be, &n16);
        check_dialect(be ? "UTF-16BE (BOM)" : "UTF-16LE (BOM)", m, &jo, u16, n16, ',',
                      be ? LP_ENC_UTF16BE : LP_ENC_UTF16LE, "\n");
        /* Named explicitly, without the mark. */
        jo.encoding = be ? LP_ENC_UTF16BE : LP_ENC_UTF16LE;
        check_dialect("UTF-16 named, no BOM", m, &jo, u16 + 2, n16 - 2, ',', jo.encoding, "\n");
        /* Without the mark and unnamed: refused, naming the flag. */
        jo.encoding = LP_ENC_AUTO;
        run_result r = run(m, &jo, u16 + 2, n16 - 2, 0);
        LP_CHECK_STATUS(r.status, LP_ERR_BAD_CSV, &r.err);
        LP_CHECK_CONTAINS(r.err.message, be ? "--encoding utf-16be" : "--encoding utf-16le");
        run_free(&r);
        /* Read as UTF-8 on purpose: the mark says what it is. */
        jo.encoding = LP_ENC_UTF8;
        r = run(m, &jo, u16, n16, 0);
        LP_CHECK_STATUS(r.status, LP_ERR_BAD_CSV, &r.err);
        LP_CHECK_CONTAINS(r.err.message, be ? "UTF-16BE text (byte-order mark FE FF)" : "UTF-16LE text (byte-order mark FF FE)");
        run_free(&r);
        jo.encoding = LP_ENC_AUTO;
        free(u16);
    }
    /* A surrogate pair (U+1F600) split at every byte, in a kept text column. */
    jo.include_input = 0;
    jo.keep = "note";
    jo.keep_len = 4;
    lp_model *tiny = lp_test_load_named("tiny", NULL);
    static const char u16[] = "\xFF\xFE" "x\0" "0\0" ",\0" "x\0" "1\0" ",\0" "x\0" "2\0" ",\0" "n\0" "o\0" "t\0" "e\0"
                              "\n\0" "1\0" ",\0" "2\0" ",\0" "3\0" ",\0" "\x3D\xD8\x00\xDE" "\xE9\x00" "\n\0";
    run_result r = run(tiny, &jo, u16, sizeof u16 - 1, 1);
    LP_CHECK_STATUS(r.status, LP_OK, &r.err);
    LP_CHECK(r.out.p && strstr(r.out.p, "\n\xF0\x9F\x98\x80\xC3\xA9,") != NULL, "the emoji and é were not kept: %s",
             r.out.p ? r.out.p : "");
    run_free(&r);
    /* Broken UTF-16: a lone low surrogate, an odd last byte. */
    static const char lone[] = "\xFF\xFE" "x\0" "0\0" "\x00\xDC" "\n\0";
    r = run(tiny, &jo, lone, sizeof lone - 1, 1);
    LP_CHECK_STATUS(r.status, LP_ERR_BAD_CSV, &r.err);
    LP_CHECK_CONTAINS(r.err.message, "a low surrogate without its high half at byte 6");
    run_free(&r);
    static const char odd[] = "\xFF\xFE" "x\0" "0\0" "\n";
    r = run(tiny, &jo, odd, sizeof odd - 1, 0);
    LP_CHECK_STATUS(r.status, LP_ERR_BAD_CSV, &r.err);
    LP_CHECK_CONTAINS(r.err.message, "an odd last byte");
    run_free(&r);
    lp_model_destroy(tiny);
done:
    free(in);
    lp_model_destroy(m);
}

LP_TEST(windows_1252_refused_then_read)
{
    lp_model *m = lp_test_load_named("multiclass", NULL);
    size_t len, n;
    char *in = fixture_input(&len);
    if (!m || !LP_CHECK(in != NULL, "no input.csv")) goto done;
    /* A text column in Windows-1252: "café €" (E9 = é, 80 = € in 1252). */
    char *cp = append_to_lines(in, len, ",note", ",caf\xE9 \x80", &n);
    lp_job_options jo = lp_job_options_default();
    for (size_t chunk = 0; chunk <= 1; chunk++) {
        run_result r = run(m, &jo, cp, n, chunk);
        LP_CHECK_STATUS(r.status, LP_ERR_BAD_CSV, &r.err);
        LP_CHECK_EQ_INT(r.err.line, 2);
        LP_CHECK_STR(r.err.column, "note");
        LP_CHECK_CONTAINS(r.err.message, "byte 0xE9 at position 4 of the field");
        LP_CHECK_CONTAINS(r.err.message, "--encoding windows-1252");
        run_free(&r);
    }
    /* The skip policy does not skip a file in the wrong encoding. */
    jo.on_error = LP_ON_ERROR_SKIP;
    run_result r = run(m, &jo, cp, n, 0);
    LP_CHECK_STATUS(r.status, LP_ERR_BAD_CSV, &r.err);
    run_free(&r);
    jo.on_error = LP_ON_ERROR_FAIL;
    jo.encoding = LP_ENC_WINDOWS_1252;
    check_dialect("windows-1252", m, &jo, cp, n, ',', LP_ENC_WINDOWS_1252, "\n");
    jo.encoding = LP_ENC_LATIN1;
    check_dialect("latin1", m, &jo, cp, n, ',', LP_ENC_LATIN1, "\n");
    /* The text is converted: é and € (1252) or U+0080 (Latin-1) in UTF-8. */
    jo.keep = "note";
    jo.keep_len = 4;
    jo.encoding = LP_ENC_WINDOWS_1252;
    r = run(m, &jo, cp, n, 3);
    LP_CHECK(r.out.p && strstr(r.out.p, "\ncaf\xC3\xA9 \xE2\x82\xAC,") != NULL, "1252 text not converted");
    run_free(&r);
    jo.encoding = LP_ENC_LATIN1;
    r = run(m, &jo, cp, n, 3);
    LP_CHECK(r.out.p && strstr(r.out.p, "\ncaf\xC3\xA9 \xC2\x80,") != NULL, "Latin-1 text not converted");
    run_free(&r);
    /* A header in 1252 names the flag too. */
    jo.encoding = LP_ENC_AUTO;
    jo.keep = NULL;
    jo.keep_len = 0;
    char *hdr = append_to_lines(in, len, ",temp\xE9rature", ",1", &n);
    r = run(m, &jo, hdr, n, 0);
    LP_CHECK_STATUS(r.status, LP_ERR_BAD_CSV, &r.err);
    LP_CHECK_EQ_INT(r.err.line, 1);
    LP_CHECK_CONTAINS(r.err.message, "--encoding windows-1252");
    run_free(&r);
    free(hdr);
    free(cp);
done:
    free(in);
    lp_model_destroy(m);
}

LP_TEST(headerless_files)
{
    lp_model *m = lp_test_load_named("multiclass", NULL);
    size_t len;
    char *in = fixture_input(&len);
    if (!m || !LP_CHECK(in != NULL, "no input.csv")) goto done;
    const char *body = strchr(in, '\n') + 1;
    size_t header_len = (size_t)(body - in) - 1;
    char *names = malloc(header_len + 1);
    memcpy(names, in, header_len);
    names[header_len] = '\0';
    lp_job_options jo = lp_job_options_default();
    jo.no_header = 1;
    /* Named by --columns: the header line's names, NUL-separated. */
    char *cols = map_byte(names, header_len, ',', '\0');
    jo.columns = cols;
    jo.columns_len = header_len;
    /* The expected file's rows are the data rows: the output's header is
     * the classes' as ever, and line 1 is the first row. */
    check_dialect("no header, --columns", m, &jo, body, len - (size_t)(body - in), ',', LP_ENC_UTF8, "\n");
    /* Without names, a model with named features lacks them all. */
    jo.columns = NULL;
    jo.columns_len = 0;
    run_result r = run(m, &jo, body, strlen(body), 0);
    LP_CHECK_STATUS(r.status, LP_ERR_MISSING_COLUMN, &r.err);
    LP_CHECK_CONTAINS(r.err.message, "the input lacks");
    run_free(&r);
    /* --columns with the wrong count. */
    jo.columns = "a\0b";
    jo.columns_len = 3;
    r = run(m, &jo, body, strlen(body), 0);
    LP_CHECK_STATUS(r.status, LP_ERR_RAGGED_ROW, &r.err);
    LP_CHECK_CONTAINS(r.err.message, "--columns names 2");
    run_free(&r);
    /* --columns without --no-header is a usage error. */
    jo.no_header = 0;
    lp_job *job = NULL;
    LP_CHECK_STATUS(lp_job_create(m, &jo, &job, &r.err), LP_ERR_USAGE, &r.err);
    free(cols);
    free(names);
done:
    free(in);
    lp_model_destroy(m);

    /* A model with unnamed features takes a headerless file by position;
     * the first row is data and is line 1. */
    lp_model *pos = lp_test_load_named("no_names", NULL);
    if (!pos) return;
    size_t n;
    char *text = (char *)lp_test_read_file("fixtures/xgboost/no_names/input.csv", &n);
    if (LP_CHECK(text != NULL, "no no_names input")) {
        lp_job_options o = lp_job_options_default();
        lp_job_options plain = o;
        o.no_header = 1;
        const char *rows = strchr(text, '\n') + 1;
        run_result a = run(pos, &o, rows, n - (size_t)(rows - text), 5);
        run_result b = run(pos, &plain, text, n, 0);
        LP_CHECK_STATUS(a.status, LP_OK, &a.err);
        /* Same rows predicted either way (both runs read the same cells). */
        LP_CHECK_EQ_INT(a.rows, b.rows);
        run_free(&a);
        run_free(&b);
    }
    free(text);
    lp_model_destroy(pos);
}

LP_TEST(excel_output)
{
    lp_model *m = lp_test_load_named("multiclass", NULL);
    size_t len;
    char *in = fixture_input(&len);
    if (!m || !LP_CHECK(in != NULL, "no input.csv")) goto done;
    lp_job_options jo = lp_job_options_default();
    jo.excel = 1;
    check_dialect("excel", m, &jo, in, len, ',', LP_ENC_UTF8, "\r\n");
    run_result r = run(m, &jo, in, len, 0);
    LP_CHECK(r.out.len > 3 && memcmp(r.out.p, "\xEF\xBB\xBF" "0,1,2,3,Suggested Label\r\n", 28) == 0,
             "no BOM + CRLF header: %.30s", r.out.p);
    run_free(&r);
    /* A slice (no header written) has no BOM. */
    jo.header = "row_id,ratio,score,level,age,temp,income,count,height,pressure,weight";
    jo.header_len = strlen(jo.header);
    jo.first_line = 2;
    jo.write_header = 0;
    const char *row = strchr(in, '\n') + 1;
    r = run(m, &jo, row, (size_t)(strchr(row, '\n') + 1 - row), 0);
    LP_CHECK_STATUS(r.status, LP_OK, &r.err);
    LP_CHECK(r.out.len > 2 && r.out.p[0] == '0' && memcmp(r.out.p + r.out.len - 2, "\r\n", 2) == 0,
             "slice output: %s", r.out.p);
    run_free(&r);
done:
    free(in);
    lp_model_destroy(m);
}

/* A slice job reports the physical line ends it read (the worker pool numbers
 * the next slice's lines from them): CRLF once, a lone CR, an LF, blank lines,
 * whatever the push boundaries, counted from the slice's start whatever its
 * first_line. */
LP_TEST(slice_line_ends)
{
    lp_model *m = lp_test_load_named("multiclass", NULL);
    size_t len;
    char *in = fixture_input(&len);
    if (!m || !LP_CHECK(in != NULL, "no input.csv")) goto done;
    const char *r1 = strchr(in, '\n') + 1;
    const char *r2 = strchr(r1, '\n') + 1;
    const char *r3 = strchr(r2, '\n') + 1;
    lp_test_str s = {0};
    lp_test_str_add(&s, r1, (size_t)(r2 - 1 - r1));
    lp_test_str_add(&s, "\r\n\r\n", 4);                    /* CRLF, then a blank line: 2 */
    lp_test_str_add(&s, r2, (size_t)(r3 - 1 - r2));
    lp_test_str_add(&s, "\r", 1);                            /* a lone CR: 1 */
    lp_test_str_add(&s, r3, (size_t)(strchr(r3, '\n') - r3));
    lp_test_str_add(&s, "\n\r", 2);                          /* LF, and a CR at the very end: 2 */
    lp_job_options jo = lp_job_options_default();
    jo.header = "row_id,ratio,score,level,age,temp,income,count,height,pressure,weight";
    jo.header_len = strlen(jo.header);
    jo.write_header = 0;
    for (uint64_t first = 1; first <= 7; first += 6) {
        for (size_t chunk = 0; chunk <= 1; chunk++) {
            jo.first_line = first;
            run_result r = run(m, &jo, s.p, s.len, chunk);
            LP_CHECK_STATUS(r.status, LP_OK, &r.err);
            LP_CHECK(r.rows == 3, "rows %llu", (unsigned long long)r.rows);
            LP_CHECK(r.line_ends == 5, "first_line %llu, chunks of %zu: %llu line ends, not 5",
                     (unsigned long long)first, chunk, (unsigned long long)r.line_ends);
            run_free(&r);
        }
    }
    lp_test_str_free(&s);
done:
    free(in);
    lp_model_destroy(m);
}

/* The fixture with bad rows in the middle: data row 10 has a bad number,
 * row 20 a missing field, row 30 the quoted text "x,y" in a number column. */
static char *with_bad_rows(const char *in, size_t len, size_t *out_len)
{
    lp_test_str s = {0};
    size_t row = 0, start = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] != '\n') continue;
        const char *line = in + start;
        size_t n = i - start;
        const char *comma = memchr(line, ',', n);
        if (row == 10 || row == 30) {
            lp_test_str_add(&s, line, (size_t)(comma - line) + 1);
            lp_test_str_add(&s, row == 10 ? "abc" : "\"x,y\"", row == 10 ? 3 : 5);
            const char *next = memchr(comma + 1, ',', (size_t)(line + n - comma - 1));
            lp_test_str_add(&s, next, (size_t)(line + n - next));
        } else if (row == 20) {
            lp_test_str_add(&s, comma + 1, (size_t)(line + n - comma - 1));   /* the first field dropped */
        } else {
            lp_test_str_add(&s, line, n);
        }
        lp_test_str_add(&s, "\n", 1);
        row++;
        start = i + 1;
    }
    *out_len = s.len;
    return s.p;
}

LP_TEST(bad_rows_skipped)
{
    lp_model *m = lp_test_load_named("multiclass", NULL);
    size_t len, n;
    char *in = fixture_input(&len);
    if (!m || !LP_CHECK(in != NULL, "no input.csv")) goto done;
    char *bad = with_bad_rows(in, len, &n);
    static const int bad_rows[] = {10, 20, 30, 0};
    lp_job_options jo = lp_job_options_default();
    /* Default: the first bad row fails the job. */
    run_result r = run(m, &jo, bad, n, 0);
    LP_CHECK_STATUS(r.status, LP_ERR_BAD_NUMBER, &r.err);
    LP_CHECK_EQ_INT(r.err.line, 11);
    run_free(&r);
    jo.on_error = LP_ON_ERROR_SKIP;
    for (size_t chunk = 0; chunk <= 7; chunk += 7) {
        r = run(m, &jo, bad, n, chunk);
        if (LP_CHECK_STATUS(r.status, LP_OK, &r.err)) {
            check_against_expected("on_error skip", &r, "\n", bad_rows, 1);
            LP_CHECK_EQ_INT(r.skipped, 3);
            LP_CHECK_EQ_INT(r.skipped_lines[0], 11);
            LP_CHECK_EQ_INT(r.skipped_lines[1], 21);
            LP_CHECK_EQ_INT(r.skipped_lines[2], 31);
            LP_CHECK_EQ_INT(r.skipped_lines[3], 0);
            LP_CHECK_CONTAINS(r.out.p, "\"line 11: column \"\"ratio\"\": not a number: \"\"abc\"\"");
            LP_CHECK_CONTAINS(r.out.p, "line 21: the row has 10 fields but the header has 11");
            LP_CHECK_EQ_INT(r.rows, 200);
        }
        run_free(&r);
    }
    /* In two slices, the second starting mid-file: global line numbers. */
    const char *cut = bad;
    for (int k = 0; k < 26; k++) cut = strchr(cut, '\n') + 1;   /* header + 25 rows */
    lp_job_options a = jo, b = jo;
    b.header = bad;
    b.header_len = (size_t)(strchr(bad, '\n') - bad);
    b.first_line = 27;
    b.write_header = 0;
    run_result ra = run(m, &a, bad, (size_t)(cut - bad), 0);
    run_result rb = run(m, &b, cut, n - (size_t)(cut - bad), 3);
    LP_CHECK_STATUS(ra.status, LP_OK, &ra.err);
    LP_CHECK_STATUS(rb.status, LP_OK, &rb.err);
    LP_CHECK_EQ_INT(ra.skipped, 2);
    LP_CHECK_EQ_INT(rb.skipped, 1);
    LP_CHECK_EQ_INT(rb.skipped_lines[0], 31);
    LP_CHECK_CONTAINS(rb.out.p, "\"line 31: column \"\"ratio\"\": not a number: \"\"x,y\"\"");
    lp_test_str joined = {0};
    lp_test_str_add(&joined, ra.out.p, ra.out.len);
    lp_test_str_add(&joined, rb.out.p, rb.out.len);
    run_result whole = {0};
    whole.out = joined;
    check_against_expected("on_error skip in slices", &whole, "\n", bad_rows, 1);
    lp_test_str_free(&joined);
    run_free(&ra);
    run_free(&rb);
    /* Kept columns of a skipped row are kept (those there are). */
    jo.keep = "row_id";
    jo.keep_len = 6;
    r = run(m, &jo, bad, n, 0);
    LP_CHECK_CONTAINS(r.out.p, "\n26,,,,,,\"line 11:");   /* data row 10 has row_id 26 */
    LP_CHECK_CONTAINS(r.out.p, "\n,,,,,,line 21: the row has 10 fields");   /* ragged: nothing kept */
    run_free(&r);
    free(bad);
done:
    free(in);
    lp_model_destroy(m);
}

LP_TEST(check_report)
{
    lp_model *m = lp_test_load_named("multiclass", NULL);
    size_t len, n;
    char *in = fixture_input(&len);
    if (!m || !LP_CHECK(in != NULL, "no input.csv")) goto done;
    char *semi = map_byte(in, len, ',', ';');
    char *text = append_to_lines(semi, len, ";note;empty", ";hello;", &n);
    lp_job_options jo = lp_job_options_default();
    jo.check_only = 1;
    run_result r = run(m, &jo, text, n, 5);
    if (LP_CHECK_STATUS(r.status, LP_OK, &r.err)) {
        LP_CHECK_STR(r.out.p, "");
        LP_CHECK_CONTAINS(r.check_text, "encoding   utf-8 (default)\n");
        LP_CHECK_CONTAINS(r.check_text, "delimiter  \";\" (detected from the header)\n");
        LP_CHECK_CONTAINS(r.check_text, "header     13 columns\n");
        LP_CHECK_CONTAINS(r.check_text, "rows       200 read");
        LP_CHECK_CONTAINS(r.check_text, "column 1   \"row_id\": number\n");
        LP_CHECK_CONTAINS(r.check_text, "column 2   \"ratio\": number, read by the model\n");
        LP_CHECK_CONTAINS(r.check_text, "column 12  \"note\": text\n");
        LP_CHECK_CONTAINS(r.check_text, "column 13  \"empty\": empty\n");
        LP_CHECK_CONTAINS(r.check_json, "\"delimiter\":\";\",\"delimiterDetected\":true");
        LP_CHECK_CONTAINS(r.check_json, "{\"name\":\"note\",\"type\":\"text\",\"numbers\":0,\"missing\":0,\"text\":200,"
                                        "\"feature\":null}");
    }
    run_free(&r);
    /* A bad row in the sample fails the check, or is counted with skip. */
    char *bad = with_bad_rows(in, len, &n);
    r = run(m, &jo, bad, n, 0);
    LP_CHECK_STATUS(r.status, LP_ERR_BAD_NUMBER, &r.err);
    run_free(&r);
    jo.on_error = LP_ON_ERROR_SKIP;
    r = run(m, &jo, bad, n, 0);
    LP_CHECK_STATUS(r.status, LP_OK, &r.err);
    LP_CHECK_CONTAINS(r.check_text, "3 could not be read (lines 11, 21, 31)");
    LP_CHECK_CONTAINS(r.check_json, "\"skipped\":3,\"skippedLines\":[11,21,31]");
    run_free(&r);
    free(bad);
    free(text);
    free(semi);
done:
    free(in);
    lp_model_destroy(m);
}

void test_dialect(void)
{
    LP_RUN(delimiters_detected_and_given);
    LP_RUN(detection_rules);
    LP_RUN(decimal_commas);
    LP_RUN(utf16_with_byte_order_marks);
    LP_RUN(windows_1252_refused_then_read);
    LP_RUN(headerless_files);
    LP_RUN(excel_output);
    LP_RUN(slice_line_ends);
    LP_RUN(bad_rows_skipped);
    LP_RUN(check_report);
}
