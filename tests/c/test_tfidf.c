/* test_tfidf.c — TF-IDF / bag-of-words graphs (StringNormalizer, Tokenizer,
 * TfIdfVectorizer; src/ops/ops_text.c) against onnxruntime-node's outputs
 * on the skl2onnx-form fixtures of tests/fixtures/gen/gen_tfidf.py, through
 * the CSV job and the blob a worker receives; the refusals at load (each
 * naming node, attribute and value); a row that is a stop word (the empty
 * text, as onnxruntime answers it alone); and the regex subset the Tokenizer uses, on strings whose
 * tokens onnxruntime (RE2) gave. */
#ifndef LP_NO_TEXT
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "localpredict.h"
#include "lp_test.h"
#include "text/regex.h"

static lp_model *load_path(const char *path, lp_error *err, lp_status *status)
{
    size_t len = 0;
    uint8_t *bytes = lp_test_read_file(path, &len);
    lp_model *m = NULL;
    *status = bytes ? lp_model_load(bytes, len, NULL, &m, err) : LP_ERR_USAGE;
    if (!bytes) snprintf(err->message, sizeof err->message, "%s is missing", path);
    free(bytes);
    return m;
}

/* out (our CSV) against expected.csv: each probability within 1e-4 and the
 * suggested label the argmax (unless two classes are within 1e-4). */
static void compare(const char *name, const char *out, const char *expected, size_t n_rows, double *max_diff)
{
    const char *o = strchr(out, '\n'), *e = strchr(expected, '\n');
    char header[200];
    size_t hl = (size_t)(e - expected);
    snprintf(header, sizeof header, "%.*s,Suggested Label", (int)hl, expected);
    LP_CHECK(strncmp(out, header, strlen(header)) == 0, "%s: header %.60s", name, out);
    char classes[8][32];
    int k_n = 0;
    for (const char *c = expected; c < expected + hl && k_n < 8; k_n++) {
        size_t n = strcspn(c, ",\n");
        snprintf(classes[k_n], sizeof classes[k_n], "%.*s", (int)n, c);
        c += n + 1;
    }
    size_t rows = 0;
    for (; o && e && e[1]; rows++) {
        o++, e++;
        double got[8], want[8];
        int best = 0, near = 0;
        for (int k = 0; k < k_n; k++) {
            got[k] = strtod(o, (char **)&o), o++;
            want[k] = strtod(e, (char **)&e), e++;
            double d = fabs(got[k] - want[k]);
            if (d > *max_diff) *max_diff = d;
            LP_CHECK(d <= 1e-4, "%s row %zu class %s: %.9g vs onnxruntime %.9g", name, rows + 1, classes[k], got[k],
                     want[k]);
            if (want[k] > want[best]) best = k;
        }
        for (int k = 0; k < k_n; k++) near |= k != best && want[best] - want[k] <= 1e-4;
        size_t n = strcspn(o, "\n");
        if (!near)
            LP_CHECK(n == strlen(classes[best]) && strncmp(o, classes[best], n) == 0, "%s row %zu: label %.*s, expected %s",
                     name, rows + 1, (int)n, o, classes[best]);
        o = strchr(o, '\n');
        e = strchr(e - 1, '\n');
    }
    LP_CHECK_EQ_INT(rows, n_rows);
}

static const char *const cases[] = {"tfidf_bigrams_multiclass", "count_separators_binary", "tf_l2_separators_multiclass",
                                    "tfidf_forest_multiclass"};

LP_TEST(tfidf_fixtures_match_onnxruntime)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[160];
        lp_error err;
        lp_status s;
        snprintf(path, sizeof path, "fixtures/tfidf/%s/model.onnx", cases[i]);
        lp_model *m = load_path(path, &err, &s);
        size_t in_len = 0, exp_len = 0;
        snprintf(path, sizeof path, "fixtures/tfidf/%s/input.csv", cases[i]);
        uint8_t *in = lp_test_read_file(path, &in_len);
        snprintf(path, sizeof path, "fixtures/tfidf/%s/expected.csv", cases[i]);
        char *expected = (char *)lp_test_read_file(path, &exp_len);
        size_t n_rows = 0;
        for (size_t k = 0; expected && k < exp_len; k++) n_rows += expected[k] == '\n';
        n_rows -= n_rows > 0;   /* the header */
        if (!LP_CHECK(s == LP_OK, "%s: load: %s", cases[i], err.message) || !LP_CHECK(in && expected, "fixture files"))
            goto next;
        LP_CHECK_STR(lp_model_feature_name(m, 0), "text");   /* the string input's name: the CSV column */
        double max_diff = 0;
        lp_test_str whole = {0};
        for (size_t chunk = 0; chunk <= 13; chunk += 13) {
            lp_test_str out = {0};
            if (LP_CHECK_STATUS(lp_test_run_text_job(m, in, in_len, chunk, &out, &err), LP_OK, &err)) {
                compare(cases[i], out.p, expected, n_rows, &max_diff);
                if (!chunk) lp_test_str_add(&whole, out.p, out.len);
                else LP_CHECK(out.len == whole.len && !memcmp(out.p, whole.p, out.len), "%s: chunked output differs", cases[i]);
            }
            lp_test_str_free(&out);
        }
        /* the blob a worker receives rebuilds the same text model */
        const uint8_t *blob;
        size_t blob_len;
        lp_model *copy = NULL;
        lp_test_str again = {0};
        if (LP_CHECK_STATUS(lp_model_serialize(m, &blob, &blob_len, &err), LP_OK, &err) &&
            LP_CHECK_STATUS(lp_model_load(blob, blob_len, NULL, &copy, &err), LP_OK, &err) &&
            LP_CHECK_STATUS(lp_test_run_text_job(copy, in, in_len, 0, &again, &err), LP_OK, &err))
            LP_CHECK(again.len == whole.len && !memcmp(again.p, whole.p, again.len), "%s: the blob predicts otherwise",
                     cases[i]);
        printf("    %s: %zu rows, max |ours - onnxruntime| %.2e\n", cases[i], n_rows, max_diff);
        lp_test_str_free(&again);
        lp_test_str_free(&whole);
        lp_model_destroy(copy);
    next:
        lp_model_destroy(m);
        free(in);
        free(expected);
    }
}

/* Every model of fixtures/tfidf/bad/ is refused at load with the status and
 * the message fragment expected.json gives (node, attribute, value). */
LP_TEST(tfidf_bad_models_refused_by_name)
{
    size_t len = 0;
    char *json = (char *)lp_test_read_file("fixtures/tfidf/bad/expected.json", &len);
    cJSON *root = json ? cJSON_ParseWithLength(json, len) : NULL;
    int seen = 0;
    for (const cJSON *c = root ? root->child : NULL; c; c = c->next, seen++) {
        char path[200];
        snprintf(path, sizeof path, "fixtures/tfidf/bad/%s.onnx", c->string);
        lp_error err;
        lp_status s;
        lp_model *m = load_path(path, &err, &s);
        const char *want = cJSON_GetArrayItem(c, 0)->valuestring, *fragment = cJSON_GetArrayItem(c, 1)->valuestring;
        LP_CHECK(m == NULL && s != LP_OK, "%s loaded", c->string);
        LP_CHECK(strcmp(lp_status_code(s), want + strlen("LP_ERR_")) == 0,
                 "%s: %s, expected %s", c->string, lp_status_code(s), want);
        LP_CHECK(strstr(err.message, fragment) != NULL, "%s: \"%s\" lacks \"%s\"", c->string, err.message, fragment);
        lp_model_destroy(m);
    }
    LP_CHECK(seen >= 8, "%d bad models", seen);
    cJSON_Delete(root);
    free(json);
}

/* A row whose whole text is a stop word is the empty text, as onnxruntime
 * answers it alone (in a batch it drops the element and the later rows
 * move up; the fixture's expected.csv holds the answers alone, scikit-learn's
 * too): its probabilities equal the empty row's and the rows after it keep
 * their own. */
LP_TEST(tfidf_stop_word_row_is_the_empty_text)
{
    lp_error err;
    lp_status s;
    lp_model *m = load_path("fixtures/tfidf/count_separators_binary/model.onnx", &err, &s);
    if (!LP_CHECK_STATUS(s, LP_OK, &err)) return;
    static const char rows[] = "id,text\n1,the server\n2,The\n3,\n4,the server\n5,Was\n";
    lp_test_str out = {0};
    if (LP_CHECK_STATUS(lp_test_run_text_job(m, (const uint8_t *)rows, sizeof rows - 1, 0, &out, &err), LP_OK, &err)) {
        lp_test_str_add(&out, "", 1);
        char line[6][96] = {{0}};
        const char *p = out.p;
        for (int i = 0; i < 6 && p; i++) {
            const char *e = strchr(p, '\n');
            snprintf(line[i], sizeof line[i], "%.*s", e ? (int)(e - p) : 0, p);
            p = e ? e + 1 : NULL;
        }
        LP_CHECK_STR(line[2], line[3]);   /* "The" = "" */
        LP_CHECK_STR(line[5], line[3]);   /* "Was" = "" */
        LP_CHECK_STR(line[4], line[1]);   /* the row after a stop word keeps its own */
        LP_CHECK(strcmp(line[1], line[3]) != 0, "a text and the empty text differ: %s", line[1]);
    }
    lp_test_str_free(&out);
    static const char no_text[] = "id,review\n1,great\n";
    LP_CHECK_STATUS(lp_test_run_text_job(m, (const uint8_t *)no_text, sizeof no_text - 1, 0, &out, &err), LP_ERR_MISSING_COLUMN, &err);
    LP_CHECK_CONTAINS(err.message, "\"text\"");
    lp_test_str_free(&out);
    lp_model_destroy(m);
}

/* The matches of a pattern over a string, joined by '|' (tokenexp style:
 * leftmost-longest, going on after each). */
static void matches(const char *pattern, const char *text, char *out, size_t cap)
{
    char why[160];
    lp__regex *re = lp__regex_compile(pattern, strlen(pattern), why, sizeof why);
    out[0] = 0;
    if (!LP_CHECK(re != NULL, "%s: %s", pattern, why)) return;
    uint32_t cp[256];
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && n < 256;) {   /* UTF-8 → code points */
        int more = *p < 0x80 ? 0 : *p >= 0xF0 ? 3 : *p >= 0xE0 ? 2 : 1;
        uint32_t v = more ? *p & (0x3F >> more) : *p;
        for (p++; more--; p++) v = v << 6 | (*p & 0x3F);
        cp[n++] = v;
    }
    size_t from = 0, s, e;
    while (from <= n && lp__regex_find(re, cp, n, from, &s, &e)) {
        if (e > s) {
            size_t at = strlen(out);
            snprintf(out + at, cap - at, "%s%zu-%zu", at ? "|" : "", s, e);
            from = e;
        } else {
            from = s + 1;
        }
    }
    lp__regex_free(re);
}

LP_TEST(tfidf_regex_subset_as_re2)
{
    char got[512];
    /* onnxruntime 1.30 (RE2), tokenexp \b\w\w+\b on this string gave
     * caf, au, lait, cd_e, 12: \w and \b are ASCII, so "é" ends "caf" */
    matches("\\b\\w\\w+\\b", "café au lait, a b cd_e 12 é", got, sizeof got);
    LP_CHECK_STR(got, "0-3|5-7|8-12|18-22|23-25");
    matches("[a-zA-Z0-9_]+", "Hello, wörld_2!", got, sizeof got);
    LP_CHECK_STR(got, "0-5|7-8|9-14");
    matches("[.]", "a.b..c", got, sizeof got);
    LP_CHECK_STR(got, "1-2|3-4|4-5");
    matches("\\s+", "a \t b\nc", got, sizeof got);
    LP_CHECK_STR(got, "1-4|5-6");
    matches("[^a-c]+", "abxyzcab", got, sizeof got);
    LP_CHECK_STR(got, "2-5");
    matches("ab?c*", "a ab abcc ac", got, sizeof got);   /* longest at each start */
    LP_CHECK_STR(got, "0-1|2-4|5-9|10-12");
    matches(".", "é😀", got, sizeof got);   /* one code point each */
    LP_CHECK_STR(got, "0-1|1-2");
    static const char *const refused[] = {"(a)", "a|b", "a{2}", "^a", "a$", "a+?", "\\pL", "\\1", "[a-", "[z-a]", "*a", ""};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        char why[160] = "";
        lp__regex *re = lp__regex_compile(refused[i], strlen(refused[i]), why, sizeof why);
        LP_CHECK(re == NULL && why[0], "\"%s\" compiled", refused[i]);
        lp__regex_free(re);
    }
}
#endif

void test_tfidf(void)
{
#ifndef LP_NO_TEXT
    LP_RUN(tfidf_fixtures_match_onnxruntime);
    LP_RUN(tfidf_bad_models_refused_by_name);
    LP_RUN(tfidf_stop_word_row_is_the_empty_text);
    LP_RUN(tfidf_regex_subset_as_re2);
#endif
}
