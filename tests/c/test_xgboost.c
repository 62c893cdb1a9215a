/* test_xgboost.c — src/formats/xgboost_json (+ load, forest_check, model):
 * parity with xgboost's own probabilities on every fixture, the info JSON
 * against meta.json, a hand-built model checked against hand-computed
 * margins (default_left, categorical splits), and the loader's refusal of
 * hand-mutated models, each with its status and a message that names the
 * tree / node / field at fault. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "core/sha256.h"
#include "localpredict.h"
#include "lp_test.h"


/* ---- parity with xgboost ---- */
LP_TEST(fixtures_match_xgboost)
{
    for (size_t i = 0; i < lp_test_n_xgb_cases; i++) {
        const char *name = lp_test_xgb_cases[i];
        char path[256];
        lp_model *m = NULL;
        lp_error err;
        lp_status s = lp_test_load_case(name, NULL, &m, NULL, NULL, &err);
        if (!LP_CHECK(s == LP_OK, "%s: load: %s: %s", name, lp_status_code(s), err.message)) continue;
        lp_test_csv input, expected;
        snprintf(path, sizeof path, "fixtures/xgboost/%s/input.csv", name);
        int ok = LP_CHECK(lp_test_read_csv(path, &input), "%s: cannot read input.csv", name);
        snprintf(path, sizeof path, "fixtures/xgboost/%s/expected.csv", name);
        ok = LP_CHECK(lp_test_read_csv(path, &expected), "%s: cannot read expected.csv", name) && ok;
        if (ok) lp_test_check_expected(name, m, &input, &expected);
        lp_test_csv_free(&input);
        lp_test_csv_free(&expected);
        lp_model_destroy(m);
    }
}

/* The same models saved as UBJSON (gen_xgboost.py UBJ_CASES): xgboost's
 * expected values, and the very bytes of the JSON model's predictions. */
LP_TEST(ubjson_fixtures_match_xgboost)
{
    static const char *const cases[] = {"binary", "categorical", "dart", "missing", "multiclass", "multilabel",
                                        "regression"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *name = cases[i];
        char path[256];
        snprintf(path, sizeof path, "fixtures/xgboost/%s/model.ubj", name);
        size_t n = 0;
        uint8_t *bytes = lp_test_read_file(path, &n);
        if (!LP_CHECK(bytes != NULL, "%s: no model.ubj", name)) continue;
        lp_model *m = NULL, *json = NULL;
        lp_error err;
        if (LP_CHECK_STATUS(lp_model_load(bytes, n, NULL, &m, &err), LP_OK, &err) &&
            LP_CHECK_STATUS(lp_test_load_case(name, NULL, &json, NULL, NULL, &err), LP_OK, &err)) {
            LP_CHECK_CONTAINS(lp_model_info_json(m), "\"format\":\"xgboost-ubjson\"");
            lp_test_csv input, expected;
            snprintf(path, sizeof path, "fixtures/xgboost/%s/input.csv", name);
            int ok = LP_CHECK(lp_test_read_csv(path, &input), "%s: input.csv", name);
            snprintf(path, sizeof path, "fixtures/xgboost/%s/expected.csv", name);
            ok = LP_CHECK(lp_test_read_csv(path, &expected), "%s: expected.csv", name) && ok;
            if (ok) {
                lp_test_check_expected(name, m, &input, &expected);
                size_t k_n = lp_model_n_outputs(m), rows = input.n_rows;
                float *a = calloc(rows * k_n + 1, sizeof *a), *b = calloc(rows * k_n + 1, sizeof *b);
                lp_test_table t;
                lp_test_table_from_csv(&input, LP_COL_STR, &t);
                if (LP_CHECK_STATUS(lp_model_predict_table(m, &t.table, NULL, a, NULL, &err), LP_OK, &err) &&
                    LP_CHECK_STATUS(lp_model_predict_table(json, &t.table, NULL, b, NULL, &err), LP_OK, &err))
                    LP_CHECK_MEM(a, b, rows * k_n * sizeof *a);
                lp_test_table_free(&t);
                free(a);
                free(b);
            }
            lp_test_csv_free(&input);
            lp_test_csv_free(&expected);
        }
        lp_model_destroy(m);
        lp_model_destroy(json);
        free(bytes);
    }
}

LP_TEST(iris_example_with_manifest)
{
    size_t model_len = 0, man_len = 0;
    uint8_t *model = lp_test_read_file("../web/examples/iris.json", &model_len);
    uint8_t *man = lp_test_read_file("../web/examples/iris.localpredict.json", &man_len);
    lp_test_csv input, expected;
    int have = model && man && lp_test_read_csv("../web/examples/iris.csv", &input);
    if (!have) {
        lp_test_skip("web/examples/ is not reachable from here");
        free(model);
        free(man);
        return;
    }
    LP_CHECK(lp_test_read_csv("fixtures/xgboost/iris_example/expected.csv", &expected), "no expected.csv");
    lp_load_options lo = lp_load_options_default();
    lo.manifest = (const char *)man;
    lo.manifest_len = man_len;
    lo.manifest_name = "iris.localpredict.json";
    lp_model *m = NULL;
    lp_error err;
    if (LP_CHECK_STATUS(lp_model_load(model, model_len, &lo, &m, &err), LP_OK, &err)) {
        lp_test_check_expected("iris_example", m, &input, &expected);
        LP_CHECK_CONTAINS(lp_model_info_json(m), "\"classes\":[\"setosa\",\"versicolor\",\"virginica\"]");
    }
    lp_model_destroy(m);
    lp_test_csv_free(&input);
    lp_test_csv_free(&expected);
    free(model);
    free(man);
}

/* ---- info JSON ---- */
static const cJSON *get(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

LP_TEST(info_json_matches_meta)
{
    for (size_t i = 0; i < lp_test_n_xgb_cases; i++) {
        const char *name = lp_test_xgb_cases[i];
        char path[256];
        lp_model *m = NULL;
        uint8_t *bytes = NULL;
        size_t len = 0;
        lp_error err;
        if (!LP_CHECK_STATUS(lp_test_load_case(name, NULL, &m, &bytes, &len, &err), LP_OK, &err)) {
            free(bytes);
            continue;
        }
        snprintf(path, sizeof path, "fixtures/xgboost/%s/meta.json", name);
        size_t meta_len = 0;
        char *meta_text = (char *)lp_test_read_file(path, &meta_len);
        cJSON *meta = meta_text ? cJSON_Parse(meta_text) : NULL;
        cJSON *info = cJSON_Parse(lp_model_info_json(m));
        if (LP_CHECK(meta && info, "%s: meta.json or the info JSON does not parse", name)) {
            LP_CHECK_STR(cJSON_GetStringValue(get(info, "format")), "xgboost-json");
            LP_CHECK_STR(cJSON_GetStringValue(get(info, "task")), cJSON_GetStringValue(get(meta, "task")));
            LP_CHECK_STR(cJSON_GetStringValue(get(info, "objective")), cJSON_GetStringValue(get(meta, "objective")));
            LP_CHECK_STR(cJSON_GetStringValue(get(info, "booster")), cJSON_GetStringValue(get(meta, "booster")));
            LP_CHECK_EQ_INT(cJSON_GetNumberValue(get(info, "treesInFile")), cJSON_GetNumberValue(get(meta, "n_trees")));
            char hex[65];
            lp__sha256_hex(bytes, len, hex);
            LP_CHECK_STR(cJSON_GetStringValue(get(info, "sha256")), hex);
            LP_CHECK_EQ_INT(cJSON_GetNumberValue(get(info, "bytes")), len);
            const char *producer = cJSON_GetStringValue(get(info, "producer"));
            LP_CHECK(producer && strncmp(producer, "xgboost", 7) == 0, "%s: producer %s", name, producer);
            const cJSON *features = get(info, "features");
            LP_CHECK_EQ_INT(cJSON_GetNumberValue(get(features, "count")), cJSON_GetNumberValue(get(meta, "n_features")));
            LP_CHECK_EQ_INT(lp_model_n_features(m), cJSON_GetNumberValue(get(meta, "n_features")));
            LP_CHECK(cJSON_Compare(get(features, "names"), get(meta, "feature_names"), 1),
                     "%s: feature names differ from meta.json", name);
            LP_CHECK(cJSON_Compare(get(info, "classes"), get(meta, "classes"), 1),
                     "%s: classes differ from meta.json", name);
            LP_CHECK_STR(lp_task_name(lp_model_task(m)), cJSON_GetStringValue(get(meta, "task")));
            const cJSON *cats = get(features, "categorical");
            LP_CHECK_EQ_INT(cJSON_GetArraySize(cats), strcmp(name, "categorical") == 0 ? 2 : 0);
        }
        cJSON_Delete(meta);
        cJSON_Delete(info);
        free(meta_text);
        free(bytes);
        lp_model_destroy(m);
    }
}

LP_TEST(storage_variants_read_their_version)
{
    static const struct { const char *name, *producer; } v[] = {
        {"binary", "xgboost 1.7.4"},
        {"binary_v3_base_score", "xgboost 3.1.0"},
        {"multiclass_v2_indptr", "xgboost 2.0.0"},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        lp_model *m = NULL;
        lp_error err;
        if (!LP_CHECK_STATUS(lp_test_load_case(v[i].name, NULL, &m, NULL, NULL, &err), LP_OK, &err)) continue;
        cJSON *info = cJSON_Parse(lp_model_info_json(m));
        LP_CHECK_STR(cJSON_GetStringValue(get(info, "producer")), v[i].producer);
        cJSON_Delete(info);
        lp_model_destroy(m);
    }
}

/* ---- the hand-built model ---- */
static lp_model *load_text(const char *text, lp_status want, lp_error *err)
{
    lp_model *m = NULL;
    lp_status s = lp_model_load((const uint8_t *)text, strlen(text), NULL, &m, err);
    LP_CHECK_STATUS(s, want, err);
    if (s != LP_OK) LP_CHECK(m == NULL, "a failed load left a model behind");
    return m;
}

LP_TEST(tiny_model_hand_computed_margins)
{
    lp_error err;
    lp_model *m = load_text(lp_test_tiny_model, LP_OK, &err);
    if (!m) return;
    /* x0, x1, x2 -> the margin worked out on paper from the trees in
     * lp_test.h (base 0.5 + tree 0 + tree 1 + 0.25). */
    static const float rows[][4] = {
        {0, 0, 0, 9.75f},         /* XOR leaf -1; category 0 not in {1,3}: left 10 */
        {0, 1, 1, 21.75f},        /* +1; 1 in the set: right 20 */
        {1, 0, 2, 12.75f},        /* +2; 10 */
        {1, 1, 3, 18.75f},        /* -2; 20 */
        {0.5f, 0.5f, 3, 18.75f},  /* x == threshold goes right both times: -2 */
        {0.49999997f, 0.49999997f, 0, 9.75f},
        {NAN, 0, 1, 22.75f},      /* missing x0: default right -> +2 */
        {0, NAN, 0, 9.75f},       /* missing x1 under x0 < 0.5: default left -> -1 */
        {1, NAN, 0, 8.75f},       /* missing x1 under x0 >= 0.5: default right -> -2 */
        {0, 0, NAN, 19.75f},      /* missing category: default right -> 20 */
        {0, 0, -1, 9.75f},        /* negative category: left */
        {0, 0, -0.5f, 9.75f},
        {0, 0, 40, 9.75f},        /* beyond the bitset: left */
        {0, 0, 31.5f, 9.75f},     /* inside the bitset's last word, not in the set */
        {0, 0, 1e10f, 9.75f},
        {0, 0, INFINITY, 9.75f},
        {0, 0, 1.7f, 19.75f},     /* truncated to 1: right */
        {0, 0, 3.99f, 19.75f},    /* truncated to 3 */
        {0, 0, 0.99f, 9.75f},     /* truncated to 0 */
        {0, 0, 2, 9.75f},
        {-INFINITY, INFINITY, 3, 21.75f},
        {INFINITY, -INFINITY, 1, 22.75f},
    };
    size_t n = sizeof rows / sizeof *rows;
    float x[sizeof rows / sizeof *rows * 3], proba[sizeof rows / sizeof *rows];
    for (size_t r = 0; r < n; r++)
        for (int f = 0; f < 3; f++) x[r * 3 + f] = rows[r][f];
    lp_status s = lp_model_predict_matrix(m, x, n, 3, NULL, proba, NULL, &err);
    if (LP_CHECK_STATUS(s, LP_OK, &err))
        for (size_t r = 0; r < n; r++) {
            LP_CHECK(proba[r] == rows[r][3], "row (%g, %g, %g): margin %.9g, by hand %.9g", rows[r][0], rows[r][1],
                     rows[r][2], proba[r], rows[r][3]);
            LP_CHECK(proba[r] == (float)lp_test_tiny_margin(rows[r][0], rows[r][1], rows[r][2]),
                     "row %zu: lp_test_tiny_margin disagrees with the table", r);
        }

    /* Its description. */
    LP_CHECK_EQ_INT(lp_model_task(m), LP_TASK_REGRESSION);
    LP_CHECK_EQ_INT(lp_model_n_outputs(m), 1);
    LP_CHECK_STR(lp_model_output_name(m, 0), "Prediction");
    LP_CHECK_STR(lp_model_output_name(m, 1), "");
    LP_CHECK_EQ_INT(lp_model_n_features(m), 3);
    LP_CHECK_STR(lp_model_feature_name(m, 2), "x2");
    LP_CHECK_STR(lp_model_feature_name(m, 3), "");
    const char *info = lp_model_info_json(m);
    LP_CHECK_CONTAINS(info, "\"task\":\"regression\"");
    LP_CHECK_CONTAINS(info, "\"objective\":\"reg:squarederror\"");
    LP_CHECK_CONTAINS(info, "\"trees\":3");
    LP_CHECK_CONTAINS(info, "\"nodes\":11");
    LP_CHECK_CONTAINS(info, "\"maxDepth\":2");
    LP_CHECK_CONTAINS(info, "\"categorical\":[2]");
    LP_CHECK_CONTAINS(info, "\"classes\":null");
    LP_CHECK_CONTAINS(info, "\"outputs\":[\"Prediction\"]");
    LP_CHECK_CONTAINS(info, "\"producer\":\"xgboost 1.7.4\"");
    char hex[65];
    lp__sha256_hex((const uint8_t *)lp_test_tiny_model, strlen(lp_test_tiny_model), hex);
    LP_CHECK_CONTAINS(info, hex);

    /* A caller that has the bytes' SHA-256 already (the JS shim, from
     * WebCrypto) passes it; the engine shows it and checks only its form. */
    lp_load_options o = lp_load_options_default();
    o.source_sha256 = hex;
    lp_model *hashed = NULL;
    LP_CHECK_STATUS(lp_model_load((const uint8_t *)lp_test_tiny_model, strlen(lp_test_tiny_model), &o, &hashed, &err),
                    LP_OK, &err);
    if (hashed) LP_CHECK_STR(lp_model_info_json(hashed), info);
    lp_model_destroy(hashed);
    static const char *const bad_hashes[] = {"abc", "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
                                             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0"};
    for (size_t i = 0; i < sizeof bad_hashes / sizeof *bad_hashes; i++) {
        o.source_sha256 = bad_hashes[i];
        hashed = NULL;
        LP_CHECK_STATUS(lp_model_load((const uint8_t *)lp_test_tiny_model, strlen(lp_test_tiny_model), &o, &hashed, &err),
                        LP_ERR_USAGE, &err);
        LP_CHECK(hashed == NULL, "a bad source_sha256 gave a model");
        LP_CHECK_CONTAINS(err.message, "source_sha256");
    }

    /* Wrong column count for the matrix. */
    s = lp_model_predict_matrix(m, x, 1, 2, NULL, proba, NULL, &err);
    LP_CHECK_STATUS(s, LP_ERR_COLUMN_COUNT, &err);
    /* No rows is fine. */
    s = lp_model_predict_matrix(m, NULL, 0, 3, NULL, proba, NULL, &err);
    LP_CHECK_STATUS(s, LP_OK, &err);
    lp_model_destroy(m);
}

LP_TEST(tiny_model_as_classifiers)
{
    /* binary:logistic: p = sigmoid(margin), columns [1-p, p]. */
    char *text = LP_REPLACE(lp_test_tiny_model, "\"reg:squarederror\"", "\"binary:logistic\"");
    lp_error err;
    lp_model *m = text ? load_text(text, LP_OK, &err) : NULL;
    if (m) {
        /* base_score 0.5 is a probability here: base margin logit(0.5) = 0. */
        float x[6] = {0, 0, 0, 1, 1, 3}, proba[4];
        uint8_t chosen[4];
        if (LP_CHECK_STATUS(lp_model_predict_matrix(m, x, 2, 3, NULL, proba, chosen, &err), LP_OK, &err)) {
            double m0 = 9.75 - 0.5, m1 = 18.75 - 0.5;
            LP_CHECK_NEAR(proba[1], 1 / (1 + exp(-m0)), 1e-7);
            LP_CHECK_NEAR(proba[0], 1 - 1 / (1 + exp(-m0)), 1e-7);
            LP_CHECK_NEAR(proba[3], 1 / (1 + exp(-m1)), 1e-7);
            LP_CHECK(chosen[0] == 0 && chosen[1] == 1, "binary choice: %d %d", chosen[0], chosen[1]);
        }
        LP_CHECK_EQ_INT(lp_model_task(m), LP_TASK_BINARY);
        LP_CHECK_STR(lp_model_output_name(m, 0), "0");
        LP_CHECK_STR(lp_model_output_name(m, 1), "1");
        lp_model_destroy(m);
    }
    free(text);
    /* binary:logitraw: base_score is a margin (identity), so +0.5. */
    text = LP_REPLACE(lp_test_tiny_model, "\"reg:squarederror\"", "\"binary:logitraw\"");
    m = text ? load_text(text, LP_OK, &err) : NULL;
    if (m) {
        float x[3] = {0, 0, 0}, proba[2];
        if (LP_CHECK_STATUS(lp_model_predict_matrix(m, x, 1, 3, NULL, proba, NULL, &err), LP_OK, &err))
            LP_CHECK_NEAR(proba[1], 1 / (1 + exp(-9.75)), 1e-7);
        lp_model_destroy(m);
    }
    free(text);
    /* binary:hinge: 1 iff margin > 0. */
    text = LP_REPLACE(lp_test_tiny_model, "\"reg:squarederror\"", "\"binary:hinge\"");
    m = text ? load_text(text, LP_OK, &err) : NULL;
    if (m) {
        float x[3] = {0, 0, 0}, proba[2];
        if (LP_CHECK_STATUS(lp_model_predict_matrix(m, x, 1, 3, NULL, proba, NULL, &err), LP_OK, &err))
            LP_CHECK(proba[0] == 0 && proba[1] == 1, "hinge: %g %g", proba[0], proba[1]);
        lp_model_destroy(m);
    }
    free(text);
    /* count:poisson: exp link, base_score is a mean (log at load). */
    text = LP_REPLACE(lp_test_tiny_model, "\"reg:squarederror\"", "\"count:poisson\"");
    m = text ? load_text(text, LP_OK, &err) : NULL;
    if (m) {
        float x[3] = {1, 1, 0}, proba[1];
        if (LP_CHECK_STATUS(lp_model_predict_matrix(m, x, 1, 3, NULL, proba, NULL, &err), LP_OK, &err))
            LP_CHECK_NEAR(proba[0], exp(log(0.5) - 2 + 10 + 0.25), 5e-3);
        lp_model_destroy(m);
    }
    free(text);
}

LP_TEST(predict_table_column_types_and_blocks)
{
    lp_error err;
    lp_model *m = load_text(lp_test_tiny_model, LP_OK, &err);
    if (!m) return;
    /* 2500 rows (more than one internal block of 1024) over a grid of
     * values, x0 as float, x1 as int64, x2 as text, with missing masks. */
    enum { N = 2500 };
    static float c0[N];
    static int64_t c1[N];
    static uint8_t miss0[N], miss1[N];
    static char text[N * 8];
    static uint32_t off[N + 1];
    static float proba[N], proba_mat[N], x[N * 3];
    static const float v0[] = {0, 1, 0.5f, -3, 0.49999997f};
    static const char *const v2[] = {"0", "1", "2", "3", "", "NA", "-1", "40", "3.9"};
    size_t pos = 0;
    for (size_t r = 0; r < N; r++) {
        c0[r] = v0[r % 5];
        c1[r] = (int64_t)(r / 5 % 3) - 1;   /* -1, 0, 1 */
        miss0[r] = r % 11 == 0;
        miss1[r] = r % 13 == 0;
        const char *t = v2[r / 15 % 9];
        off[r] = (uint32_t)pos;
        memcpy(text + pos, t, strlen(t));
        pos += strlen(t);
        double x2 = (t[0] == '\0' || t[0] == 'N') ? NAN : strtod(t, NULL);
        x[3 * r] = miss0[r] ? NAN : c0[r];
        x[3 * r + 1] = miss1[r] ? NAN : (float)c1[r];
        x[3 * r + 2] = (float)x2;
    }
    off[N] = (uint32_t)pos;
    lp_column cols[3] = {{"x2", LP_COL_STR, text, off, NULL}, {"x0", LP_COL_F32, c0, NULL, miss0},
                         {"x1", LP_COL_I64, c1, NULL, miss1}};
    lp_table t = {N, 3, cols};
    if (LP_CHECK_STATUS(lp_model_predict_table(m, &t, NULL, proba, NULL, &err), LP_OK, &err) &&
        LP_CHECK_STATUS(lp_model_predict_matrix(m, x, N, 3, NULL, proba_mat, NULL, &err), LP_OK, &err)) {
        LP_CHECK_MEM(proba, proba_mat, sizeof proba);
        int bad = 0;
        for (size_t r = 0; r < N && bad < 5; r++)
            if (!LP_CHECK(proba[r] == (float)lp_test_tiny_margin(x[3 * r], x[3 * r + 1], x[3 * r + 2]),
                          "row %zu (%g, %g, %g): %g, by hand %g", r, x[3 * r], x[3 * r + 1], x[3 * r + 2], proba[r],
                          lp_test_tiny_margin(x[3 * r], x[3 * r + 1], x[3 * r + 2])))
                bad++;
    }
    /* A bad text cell names its row and column. */
    /* (Row 1200, in the second block, becomes "zz"; what follows it is
     * never read.) */
    memcpy(text + off[1200], "zz", 2);
    uint32_t saved = off[1201];
    off[1201] = off[1200] + 2;
    lp_status s = lp_model_predict_table(m, &t, NULL, proba, NULL, &err);
    if (LP_CHECK_STATUS(s, LP_ERR_BAD_NUMBER, &err)) {
        LP_CHECK_CONTAINS(err.message, "row 1201");
        LP_CHECK_STR(err.column, "x2");
        LP_CHECK_EQ_INT(err.column_index, 0);
    }
    /* Offsets that go backwards are a usage error. */
    off[1201] = off[1200] - 1;
    LP_CHECK_STATUS(lp_model_predict_table(m, &t, NULL, proba, NULL, &err), LP_ERR_USAGE, &err);
    off[1201] = saved;
    /* Missing and duplicate columns. */
    t.n_columns = 2;
    LP_CHECK_STATUS(lp_model_predict_table(m, &t, NULL, proba, NULL, &err), LP_ERR_MISSING_COLUMN, &err);
    LP_CHECK_CONTAINS(err.message, "\"x1\"");
    LP_CHECK_EQ_INT(err.line, 0);
    lp_column dup[4] = {cols[0], cols[1], cols[2], cols[1]};
    lp_table td = {N, 4, dup};
    LP_CHECK_STATUS(lp_model_predict_table(m, &td, NULL, proba, NULL, &err), LP_ERR_DUPLICATE_COLUMN, &err);
    LP_CHECK_STATUS(lp_model_predict_table(m, NULL, NULL, proba, NULL, &err), LP_ERR_USAGE, &err);
    lp_model_destroy(m);
}

/* ---- the loader refuses broken models ---- */
typedef struct mutation {
    const char *what, *from, *to;
    lp_status   status;
    const char *msg1, *msg2;   /* must appear in the message (NULL = no check) */
    int64_t     tree, node;    /* err.tree / err.node when >= 0 */
    const char *field;         /* err.field when not NULL */
} mutation;

static const mutation mutations[] = {
    {"out-of-range child index", "\"left_children\":[1,3,5,-1,-1,-1,-1]", "\"left_children\":[1,3,9,-1,-1,-1,-1]",
     LP_ERR_BAD_MODEL, "tree 0, node 2", "9", 0, 2, NULL},
    {"negative child index", "\"left_children\":[1,3,5,-1,-1,-1,-1]", "\"left_children\":[1,3,-7,-1,-1,-1,-1]",
     LP_ERR_BAD_MODEL, "tree 0, node 2", NULL, 0, 2, NULL},
    {"fractional child index", "\"right_children\":[2,4,6,-1,-1,-1,-1]", "\"right_children\":[2,4.5,6,-1,-1,-1,-1]",
     LP_ERR_BAD_MODEL, "tree 0, node 1", NULL, 0, 1, NULL},
    {"child index of another tree's size", "\"left_children\":[1,-1,-1]", "\"left_children\":[3,-1,-1]",
     LP_ERR_BAD_MODEL, "tree 1, node 0", NULL, 1, 0, NULL},
    {"cycle: a child points to the root", "\"left_children\":[1,3,5,-1,-1,-1,-1]",
     "\"left_children\":[1,0,5,-1,-1,-1,-1]", LP_ERR_BAD_MODEL, "tree 0", NULL, 0, -1, NULL},
    {"cycle: a node is its own child", "\"left_children\":[1,3,5,-1,-1,-1,-1]",
     "\"left_children\":[1,1,5,-1,-1,-1,-1]", LP_ERR_BAD_MODEL, "tree 0, node 1", NULL, 0, 1, NULL},
    {"a node shared by two parents", "\"left_children\":[1,3,5,-1,-1,-1,-1]",
     "\"left_children\":[1,3,3,-1,-1,-1,-1]", LP_ERR_BAD_MODEL, "tree 0", NULL, 0, -1, NULL},
    {"right child -1 with a left child", "\"right_children\":[2,4,6,-1,-1,-1,-1]",
     "\"right_children\":[2,4,-1,-1,-1,-1,-1]", LP_ERR_BAD_MODEL, "tree 0, node 2", "-1", 0, 2, NULL},
    {"left child -1 with a right child", "\"left_children\":[1,3,5,-1,-1,-1,-1]",
     "\"left_children\":[1,3,-1,-1,-1,-1,-1]", LP_ERR_BAD_MODEL, "tree 0, node 2", "right child", 0, 2, NULL},
    {"feature index >= num_feature", "\"split_indices\":[0,1,1,0,0,0,0]", "\"split_indices\":[0,1,3,0,0,0,0]",
     LP_ERR_BAD_MODEL, "tree 0, node 2", "num_feature", 0, 2, NULL},
    {"negative feature index", "\"split_indices\":[0,1,1,0,0,0,0]", "\"split_indices\":[-1,1,1,0,0,0,0]",
     LP_ERR_BAD_MODEL, "tree 0, node 0", NULL, 0, 0, NULL},
    {"NaN threshold on a numeric split", "\"split_conditions\":[0.5,0.5,0.5,-1,1,2,-2]",
     "\"split_conditions\":[NaN,0.5,0.5,-1,1,2,-2]", LP_ERR_BAD_MODEL, "tree 0, node 0", "NaN", 0, 0, NULL},
    {"a child index that is a string", "\"left_children\":[1,3,5,-1,-1,-1,-1]",
     "\"left_children\":[\"1\",3,5,-1,-1,-1,-1]", LP_ERR_BAD_MODEL, "left_children[0]", NULL, 0, 0, NULL},
    {"tree_info out of range", "\"tree_info\":[0,0,0]", "\"tree_info\":[0,0,1]", LP_ERR_BAD_MODEL, "tree_info[2]",
     NULL, -1, -1, NULL},
    {"tree_info negative", "\"tree_info\":[0,0,0]", "\"tree_info\":[0,-1,0]", LP_ERR_BAD_MODEL, "tree_info[1]", NULL,
     -1, -1, NULL},
    {"tree_info shorter than trees", "\"tree_info\":[0,0,0]", "\"tree_info\":[0,0]", LP_ERR_BAD_MODEL, "tree_info",
     "3 trees", -1, -1, NULL},
    {"array length mismatch", "\"split_conditions\":[0.5,0.5,0.5,-1,1,2,-2]",
     "\"split_conditions\":[0.5,0.5,0.5,-1,1,2,-2,7]", LP_ERR_BAD_MODEL, "trees[0].split_conditions", "7 nodes", 0,
     -1, NULL},
    {"default_left too short", "\"default_left\":[0,0,0],", "\"default_left\":[0,0],", LP_ERR_BAD_MODEL,
     "trees[1].default_left", NULL, 1, -1, NULL},
    {"num_nodes larger than the arrays", "\"num_nodes\":\"3\"", "\"num_nodes\":\"4\"", LP_ERR_BAD_MODEL, "trees[1]",
     "4 nodes", 1, -1, NULL},
    {"num_nodes zero", "\"num_nodes\":\"1\"", "\"num_nodes\":\"0\"", LP_ERR_BAD_MODEL, "trees[2]", "num_nodes", -1,
     -1, NULL},
    {"missing tree array", "\"split_indices\":[2,0,0],", "", LP_ERR_BAD_MODEL, "trees[1].split_indices", NULL, -1,
     -1, NULL},
    {"categorical split without categories",
     "\"categories\":[1,3],\"categories_nodes\":[0],\"categories_segments\":[0],\"categories_sizes\":[2]",
     "\"categories\":[],\"categories_nodes\":[],\"categories_segments\":[],\"categories_sizes\":[]",
     LP_ERR_BAD_MODEL, "tree 1, node 0", "categor", 1, 0, NULL},
    {"categories on a leaf", "\"categories_nodes\":[0]", "\"categories_nodes\":[1]", LP_ERR_BAD_MODEL, "tree 1",
     "categor", 1, -1, NULL},
    {"category segment beyond the list", "\"categories_sizes\":[2]", "\"categories_sizes\":[5]", LP_ERR_BAD_MODEL,
     "tree 1", "categor", 1, -1, NULL},
    {"negative category", "\"categories\":[1,3]", "\"categories\":[1,-3]", LP_ERR_BAD_MODEL, "tree 1",
     "categories[1]", 1, -1, NULL},
    {"category lists of different lengths", "\"categories_segments\":[0]", "\"categories_segments\":[0,1]",
     LP_ERR_BAD_MODEL, "tree 1", "categories_segments", 1, -1, NULL},
    {"unsupported objective", "\"reg:squarederror\"", "\"rank:pairwise\"", LP_ERR_UNSUPPORTED,
     "\"rank:pairwise\" is not supported (supported: binary:logistic, ", NULL, -1, -1, NULL},
    {"gblinear booster", "\"name\":\"gbtree\"}", "\"name\":\"gblinear\"}", LP_ERR_UNSUPPORTED, "gblinear", NULL, -1,
     -1, NULL},
    {"vector leaves", "\"num_nodes\":\"1\",\"size_leaf_vector\":\"0\"", "\"num_nodes\":\"1\",\"size_leaf_vector\":\"3\"",
     LP_ERR_UNSUPPORTED, "tree 2", "vector leaves", -1, -1, NULL},
    {"missing learner", "{\"learner\":", "{\"learnr\":", LP_ERR_BAD_MODEL, "learner", NULL, -1, -1, "learner"},
    {"missing objective", "\"objective\":{", "\"objectiv\":{", LP_ERR_BAD_MODEL, "learner.objective", NULL, -1, -1,
     "learner.objective"},
    {"objective not an object", "\"objective\":{\"name\":\"reg:squarederror\",\"reg_loss_param\":{\"scale_pos_weight\":\"1\"}}",
     "\"objective\":\"reg:squarederror\"", LP_ERR_BAD_MODEL, "learner.objective", "object", -1, -1,
     "learner.objective"},
    {"missing trees", "\"trees\":[", "\"treez\":[", LP_ERR_BAD_MODEL, "trees", NULL, -1, -1, NULL},
    {"missing learner_model_param", "\"learner_model_param\":", "\"learner_model_paramz\":", LP_ERR_BAD_MODEL,
     "learner_model_param", NULL, -1, -1, NULL},
    {"num_feature not a number", "\"num_feature\":\"3\",\"num_target\"", "\"num_feature\":\"three\",\"num_target\"",
     LP_ERR_BAD_MODEL, "num_feature", NULL, -1, -1, NULL},
    {"feature_names count", "\"feature_names\":[\"x0\",\"x1\",\"x2\"]", "\"feature_names\":[\"x0\",\"x1\"]",
     LP_ERR_BAD_MODEL, "feature_names", NULL, -1, -1, NULL},
    {"feature name not a string", "\"feature_names\":[\"x0\",\"x1\",\"x2\"]", "\"feature_names\":[\"x0\",1,\"x2\"]",
     LP_ERR_BAD_MODEL, "feature_names[1]", NULL, -1, -1, NULL},
    {"base_score not a number", "\"base_score\":\"5E-1\"", "\"base_score\":\"abc\"", LP_ERR_BAD_MODEL, "base_score",
     NULL, -1, -1, NULL},
    {"softprob with one class", "\"reg:squarederror\"", "\"multi:softprob\"", LP_ERR_BAD_MODEL, "num_class", NULL,
     -1, -1, NULL},
    {"invalid JSON: trailing comma", "\"version\":[1,7,4]", "\"version\":[1,7,4,]", LP_ERR_BAD_MODEL, "malformed",
     "line 1", -1, -1, NULL},
    {"invalid JSON: text after the document", "\"version\":[1,7,4]}", "\"version\":[1,7,4]}x", LP_ERR_BAD_MODEL,
     "malformed", NULL, -1, -1, NULL},
    {"invalid JSON: unquoted key", "\"id\":0,", "id:0,", LP_ERR_BAD_MODEL, "malformed", NULL, -1, -1, NULL},
    {"invalid JSON: bad token", "\"loss_changes\":[0,0,0],", "\"loss_changes\":[0,0,Nope],", LP_ERR_BAD_MODEL,
     "malformed", NULL, -1, -1, NULL},
};

static void check_mutation(const mutation *mu)
{
    char *text = LP_REPLACE(lp_test_tiny_model, mu->from, mu->to);
    if (!text) return;
    lp_error err;
    lp_model *m = NULL;
    lp_status s = lp_model_load((const uint8_t *)text, strlen(text), NULL, &m, &err);
    LP_CHECK(s == mu->status, "%s: got %s, want %s (%s)", mu->what, lp_status_code(s), lp_status_code(mu->status),
             err.message);
    LP_CHECK(m == NULL, "%s: a failed load returned a model", mu->what);
    if (s != LP_OK) {
        LP_CHECK(err.code == s, "%s: err.code %s differs from the returned %s", mu->what, lp_status_code(err.code),
                 lp_status_code(s));
        if (mu->msg1) LP_CHECK(strstr(err.message, mu->msg1), "%s: message should name \"%s\": %s", mu->what, mu->msg1, err.message);
        if (mu->msg2) LP_CHECK(strstr(err.message, mu->msg2), "%s: message should say \"%s\": %s", mu->what, mu->msg2, err.message);
        if (mu->tree >= 0) LP_CHECK(err.tree == mu->tree, "%s: err.tree %lld, want %lld (%s)", mu->what, (long long)err.tree, (long long)mu->tree, err.message);
        if (mu->node >= 0) LP_CHECK(err.node == mu->node, "%s: err.node %lld, want %lld (%s)", mu->what, (long long)err.node, (long long)mu->node, err.message);
        if (mu->field) LP_CHECK(strcmp(err.field, mu->field) == 0, "%s: err.field \"%s\", want \"%s\"", mu->what, err.field, mu->field);
    }
    lp_model_destroy(m);
    free(text);
}

LP_TEST(loader_refuses_mutated_models)
{
    for (size_t i = 0; i < sizeof mutations / sizeof *mutations; i++) check_mutation(&mutations[i]);

    /* Unreachable nodes: node 2 made a leaf leaves nodes 5 and 6 orphaned. */
    char *a = LP_REPLACE(lp_test_tiny_model, "\"left_children\":[1,3,5,-1,-1,-1,-1]",
                         "\"left_children\":[1,3,-1,-1,-1,-1,-1]");
    char *b = a ? LP_REPLACE(a, "\"right_children\":[2,4,6,-1,-1,-1,-1]", "\"right_children\":[2,4,-1,-1,-1,-1,-1]")
                : NULL;
    if (b) {
        lp_error err;
        lp_model *m = load_text(b, LP_ERR_BAD_MODEL, &err);
        LP_CHECK_CONTAINS(err.message, "tree 0, node 5");
        LP_CHECK_CONTAINS(err.message, "reached");
        LP_CHECK(err.tree == 0 && err.node == 5, "err.tree %lld, err.node %lld", (long long)err.tree,
                 (long long)err.node);
        lp_model_destroy(m);
    }
    free(a);
    free(b);
}

LP_TEST(loader_refuses_truncated_models)
{
    /* Every cut of the tiny model, and cuts of a real one, NUL-free copies
     * so ASan sees any read past the end. */
    size_t n = strlen(lp_test_tiny_model);
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *copy = malloc(cut + 1);
        memcpy(copy, lp_test_tiny_model, cut);
        lp_model *m = NULL;
        lp_error err;
        lp_status s = lp_model_load(copy, cut, NULL, &m, &err);
        LP_CHECK(s == LP_ERR_BAD_MODEL && m == NULL, "cut at %zu of %zu: %s (%s)", cut, n, lp_status_code(s), err.message);
        if (cut == 0) LP_CHECK_CONTAINS(err.message, "empty");
        else if (cut > 10) LP_CHECK(strstr(err.message, "truncated") || strstr(err.message, "malformed"),
                                    "cut at %zu: %s", cut, err.message);
        lp_model_destroy(m);
        free(copy);
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    lp_model *m = NULL;
    lp_error err;
    if (!LP_CHECK_STATUS(lp_test_load_case("categorical", NULL, &m, &bytes, &len, &err), LP_OK, &err)) {
        free(bytes);
        return;
    }
    lp_model_destroy(m);
    for (size_t k = 1; k < 40; k++) {
        size_t cut = len * k / 40;
        uint8_t *copy = malloc(cut);
        memcpy(copy, bytes, cut);
        m = NULL;
        lp_status s = lp_model_load(copy, cut, NULL, &m, &err);
        LP_CHECK(s == LP_ERR_BAD_MODEL && m == NULL, "categorical cut at %zu: %s (%s)", cut, lp_status_code(s),
                 err.message);
        LP_CHECK(strstr(err.message, "truncated") || strstr(err.message, "malformed"), "cut at %zu: %s", cut,
                 err.message);
        lp_model_destroy(m);
        free(copy);
    }
    free(bytes);
}

LP_TEST(loader_refuses_other_inputs)
{
    static const struct { const char *what; const char *bytes; size_t len; lp_status status; const char *msg; } v[] = {
        {"empty file", "", 0, LP_ERR_BAD_MODEL, "empty"},
        {"whitespace only", "  \n\t ", 5, LP_ERR_BAD_MODEL, NULL},
        {"plain text", "hello", 5, LP_ERR_BAD_MODEL,
         "expected an XGBoost model saved with save_model(\"model.json\") or (\"model.ubj\"), a LightGBM model.txt "
         "or an ONNX model"},
        {"a JSON array", "[1,2,3]", 7, LP_ERR_BAD_MODEL, NULL},
        {"an empty object", "{}", 2, LP_ERR_BAD_MODEL, "learner"},
        {"a JSON string", "\"model\"", 7, LP_ERR_BAD_MODEL, NULL},
        {"cut UBJSON", "{L\x00\x00\x00\x00\x00\x00\x00\x01", 10, LP_ERR_BAD_MODEL, "UBJSON"},
        {"ONNX", "\x08\x07\x12\x04test", 8, LP_ERR_BAD_MODEL, "no graph: this is not an ONNX model file"},
        {"a LightGBM header alone", "tree\nversion=v3\n", 16, LP_ERR_BAD_MODEL, "max_feature_idx"},
        {"a NUL byte", "\0{}", 3, LP_ERR_BAD_MODEL, NULL},
        {"an unterminated string", "{\"learner", 9, LP_ERR_BAD_MODEL, NULL},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        lp_model *m = (lp_model *)&v;   /* must be reset to NULL */
        lp_error err;
        lp_status s = lp_model_load((const uint8_t *)v[i].bytes, v[i].len, NULL, &m, &err);
        LP_CHECK(s == v[i].status, "%s: got %s, want %s (%s)", v[i].what, lp_status_code(s),
                 lp_status_code(v[i].status), err.message);
        LP_CHECK(m == NULL, "%s: *out not reset to NULL", v[i].what);
        if (v[i].msg) LP_CHECK(strstr(err.message, v[i].msg), "%s: message should mention %s: %s", v[i].what, v[i].msg,
                               err.message);
        if (s == LP_OK) lp_model_destroy(m);
    }
    /* Usage errors and a NULL error pointer. */
    lp_model *m = NULL;
    lp_error err;
    LP_CHECK_STATUS(lp_model_load(NULL, 5, NULL, &m, &err), LP_ERR_USAGE, &err);
    LP_CHECK_STATUS(lp_model_load((const uint8_t *)"{}", 2, NULL, NULL, &err), LP_ERR_USAGE, &err);
    LP_CHECK_STATUS(lp_model_load((const uint8_t *)"{}", 2, NULL, &m, NULL), LP_ERR_BAD_MODEL, NULL);
    lp_model_destroy(NULL);
}

LP_TEST(loader_limits_nesting_and_depth)
{
    /* JSON nested far deeper than LP_MAX_JSON_DEPTH inside the model. */
    lp_test_str deep = {0};
    lp_test_str_addf(&deep, "\"attributes\":{\"x\":");
    for (int i = 0; i < 5000; i++) lp_test_str_add(&deep, "[", 1);
    for (int i = 0; i < 5000; i++) lp_test_str_add(&deep, "]", 1);
    lp_test_str_add(&deep, "}", 1);
    char *text = LP_REPLACE(lp_test_tiny_model, "\"attributes\":{}", deep.p);
    lp_error err;
    if (text) {
        lp_model *m = load_text(text, LP_ERR_BAD_MODEL, &err);
        lp_model_destroy(m);
    }
    free(text);
    lp_test_str_free(&deep);

    /* A chain tree: depth LP_MAX_TREE_DEPTH loads, one more is LP_ERR_LIMIT. */
    for (int depth = LP_MAX_TREE_DEPTH; depth <= LP_MAX_TREE_DEPTH + 1; depth++) {
        int n = 2 * depth + 1;   /* internal nodes 0..depth-1 go right to the next; leaves on the left */
        lp_test_str t = {0};
        lp_test_str_addf(&t, "\"trees\":[{\"base_weights\":[");
        const char *arrays[] = {"left_children", "right_children", "split_indices", "split_conditions",
                                "default_left", "split_type"};
        for (int i = 0; i < n; i++) lp_test_str_addf(&t, "%s0", i ? "," : "");
        lp_test_str_add(&t, "]", 1);
        for (size_t a = 0; a < sizeof arrays / sizeof *arrays; a++) {
            lp_test_str_addf(&t, ",\"%s\":[", arrays[a]);
            for (int i = 0; i < n; i++) {
                int internal = i < depth;
                long v = 0;
                if (a == 0) v = internal ? depth + i : -1;                      /* left: a leaf */
                if (a == 1) v = internal ? (i + 1 < depth ? i + 1 : 2 * depth) : -1;
                if (a == 3) v = internal ? 0 : i;                               /* threshold 0 / leaf value */
                lp_test_str_addf(&t, "%s%ld", i ? "," : "", v);
            }
            lp_test_str_add(&t, "]", 1);
        }
        lp_test_str_addf(&t, ",\"tree_param\":{\"num_nodes\":\"%d\"}}],", n);
        char *one = LP_REPLACE(lp_test_tiny_model, "\"tree_info\":[0,0,0]", "\"tree_info\":[0]");
        /* Replace the three trees by the chain. */
        char *start = one ? strstr(one, "\"trees\":[") : NULL;
        char *end = start ? strstr(start, "]},\"name\"") : NULL;
        if (!LP_CHECK(start && end, "cannot find the trees")) {
            free(one);
            lp_test_str_free(&t);
            continue;
        }
        lp_test_str model = {0};
        lp_test_str_add(&model, one, (size_t)(start - one));
        lp_test_str_add(&model, t.p, t.len - 1);   /* without the trailing comma */
        lp_test_str_add(&model, end + 1, strlen(end + 1));
        lp_model *m = NULL;
        lp_status s = lp_model_load((const uint8_t *)model.p, model.len, NULL, &m, &err);
        if (depth <= LP_MAX_TREE_DEPTH) {
            if (LP_CHECK_STATUS(s, LP_OK, &err)) {
                LP_CHECK_CONTAINS(lp_model_info_json(m), "\"maxDepth\":64");
                /* All-positive inputs walk right to the deepest leaf. */
                float x[3] = {1, 1, 1}, p;
                LP_CHECK_STATUS(lp_model_predict_matrix(m, x, 1, 3, NULL, &p, NULL, &err), LP_OK, &err);
                LP_CHECK(p == (float)(0.5 + 2 * depth), "deepest leaf: %g, want %g", p, 0.5 + 2 * depth);
            }
        } else {
            LP_CHECK_STATUS(s, LP_ERR_LIMIT, &err);
            LP_CHECK_CONTAINS(err.message, "tree 0");
            LP_CHECK_EQ_INT(err.tree, 0);
        }
        lp_model_destroy(m);
        lp_test_str_free(&model);
        lp_test_str_free(&t);
        free(one);
    }
}

void test_xgboost(void)
{
    LP_RUN(fixtures_match_xgboost);
    LP_RUN(ubjson_fixtures_match_xgboost);
    LP_RUN(iris_example_with_manifest);
    LP_RUN(info_json_matches_meta);
    LP_RUN(storage_variants_read_their_version);
    LP_RUN(tiny_model_hand_computed_margins);
    LP_RUN(tiny_model_as_classifiers);
    LP_RUN(predict_table_column_types_and_blocks);
    LP_RUN(loader_refuses_mutated_models);
    LP_RUN(loader_refuses_truncated_models);
    LP_RUN(loader_refuses_other_inputs);
    LP_RUN(loader_limits_nesting_and_depth);
}
