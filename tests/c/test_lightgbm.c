/* test_lightgbm.c — src/formats/lightgbm_txt + feature_prep: parity with
 * LightGBM on every fixture (tests/fixtures/lightgbm; how each expected.csv
 * was obtained is in its meta.json and gen_lightgbm.py), through every way in
 * (numbers, text cells, the float32 matrix where the inputs are float32
 * values, the model blob the workers use); and the loader's refusal of
 * mutated models with a message naming the tree / node at fault. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "localpredict.h"
#include "lp_test.h"

#define PROBA_TOL 1e-6

const char *const lp_test_lgb_cases[] = {
    "toy_categorical", "constant_tree", "mixed_categorical", "binary_double_thresholds",
    "multiclass_categorical", "multiclassova", "cross_entropy_zero", "regression_average_output",
    "pandas_categorical", "dart_breast_cancer",
};
const size_t lp_test_n_lgb_cases = sizeof lp_test_lgb_cases / sizeof *lp_test_lgb_cases;

typedef struct case_meta {
    double rel_tol;     /* 0 = absolute PROBA_TOL only */
    int    double_inputs, string_cells;
    char   task[16];
} case_meta;

static case_meta read_meta(const char *name)
{
    case_meta cm = {0};
    char path[256];
    snprintf(path, sizeof path, "fixtures/lightgbm/%s/meta.json", name);
    size_t n = 0;
    char *text = (char *)lp_test_read_file(path, &n);
    cJSON *j = text ? cJSON_ParseWithLength(text, n) : NULL;
    LP_CHECK(j != NULL, "%s: cannot read meta.json", name);
    const cJSON *v;
    if ((v = cJSON_GetObjectItem(j, "relative_tolerance")) && cJSON_IsNumber(v)) cm.rel_tol = v->valuedouble;
    cm.double_inputs = cJSON_IsTrue(cJSON_GetObjectItem(j, "double_inputs"));
    cm.string_cells = cJSON_IsTrue(cJSON_GetObjectItem(j, "string_cells"));
    if ((v = cJSON_GetObjectItem(j, "task")) && cJSON_IsString(v))
        snprintf(cm.task, sizeof cm.task, "%s", v->valuestring);
    cJSON_Delete(j);
    free(text);
    return cm;
}

static lp_model *load_text(const char *text, lp_error *err, lp_status *s)
{
    lp_model *m = NULL;
    *s = lp_model_load((const uint8_t *)text, strlen(text), NULL, &m, err);
    return m;
}

/* Compares proba with expected.csv; returns the number of mismatches. */
static int compare(const char *name, const char *path, const case_meta *cm, const float *proba,
                   const lp_test_csv *expected, size_t n, size_t k_n)
{
    int bad = 0;
    for (size_t r = 0; r < n; r++)
        for (size_t k = 0; k < k_n; k++) {
            double want = strtod(expected->cells[r * k_n + k], NULL), got = proba[r * k_n + k];
            double tol = cm->rel_tol > 0 && cm->rel_tol * fabs(want) > PROBA_TOL ? cm->rel_tol * fabs(want) : PROBA_TOL;
            if (!(fabs(got - want) <= tol) && bad++ < 3)
                LP_CHECK(0, "%s (%s): row %zu, output %s: got %.9g, LightGBM %.9g", name, path, r + 1,
                         expected->names[k], got, want);
        }
    return bad;
}

static void check_case(const char *name, const lp_model *m, const lp_test_csv *input, const lp_test_csv *expected)
{
    case_meta cm = read_meta(name);
    size_t k_n = lp_model_n_outputs(m), n = input->n_rows;
    LP_CHECK_STR(lp_task_name(lp_model_task(m)), cm.task);
    if (!LP_CHECK(expected->n_cols == k_n && expected->n_rows == n, "%s: expected.csv is %zu x %zu, the model gives "
                  "%zu x %zu", name, expected->n_rows, expected->n_cols, n, k_n))
        return;
    for (size_t k = 0; k < k_n; k++) LP_CHECK_STR(lp_model_output_name(m, k), expected->names[k]);

    float *proba = calloc(n * k_n + 1, sizeof *proba), *other = calloc(n * k_n + 1, sizeof *proba);
    lp_error err;
    lp_test_table str, f64;
    lp_test_table_from_csv(input, LP_COL_STR, &str);
    lp_test_table_from_csv(input, LP_COL_F64, &f64);
    /* Text cells: what the CSV path reads. */
    if (LP_CHECK_STATUS(lp_model_predict_table(m, &str.table, NULL, proba, NULL, &err), LP_OK, &err))
        LP_CHECK(compare(name, "text cells", &cm, proba, expected, n, k_n) == 0, "%s: text cells differ", name);
    /* Numbers as doubles: the same bits. */
    if (!cm.string_cells &&
        LP_CHECK_STATUS(lp_model_predict_table(m, &f64.table, NULL, other, NULL, &err), LP_OK, &err))
        LP_CHECK_MEM(other, proba, n * k_n * sizeof *proba);
    /* The float32 matrix: only where every input is a float32 value. */
    if (!cm.string_cells && !cm.double_inputs) {
        float *x = lp_test_matrix_for_model(m, input);
        if (LP_CHECK(x != NULL, "%s: input lacks a feature column", name) &&
            LP_CHECK_STATUS(lp_model_predict_matrix(m, x, n, lp_model_n_features(m), NULL, other, NULL, &err), LP_OK,
                            &err))
            LP_CHECK_MEM(other, proba, n * k_n * sizeof *proba);
        free(x);
    }
    /* Through the blob the worker pool sends: thresholds, missing rules and
     * category names travel with it. */
    const uint8_t *blob = NULL;
    size_t blob_len = 0;
    lp_model *copy = NULL;
    if (LP_CHECK_STATUS(lp_model_serialize(m, &blob, &blob_len, &err), LP_OK, &err) &&
        LP_CHECK_STATUS(lp_model_load(blob, blob_len, NULL, &copy, &err), LP_OK, &err) &&
        LP_CHECK_STATUS(lp_model_predict_table(copy, &str.table, NULL, other, NULL, &err), LP_OK, &err))
        LP_CHECK_MEM(other, proba, n * k_n * sizeof *proba);
    lp_model_destroy(copy);
    lp_test_table_free(&str);
    lp_test_table_free(&f64);
    free(proba);
    free(other);
}

LP_TEST(fixtures_match_lightgbm)
{
    for (size_t i = 0; i < lp_test_n_lgb_cases; i++) {
        const char *name = lp_test_lgb_cases[i];
        char path[256];
        snprintf(path, sizeof path, "lightgbm/%s", name);
        lp_model *m = NULL;
        lp_error err;
        lp_status s = lp_test_load_case(path, NULL, &m, NULL, NULL, &err);
        if (!LP_CHECK(s == LP_OK, "%s: load: %s: %s", name, lp_status_code(s), err.message)) continue;
        lp_test_csv input, expected;
        snprintf(path, sizeof path, "fixtures/lightgbm/%s", name);
        int ok = lp_test_read_case_csvs(path, &input, &expected);
        if (ok) check_case(name, m, &input, &expected);
        lp_test_csv_free(&input);
        lp_test_csv_free(&expected);
        lp_model_destroy(m);
    }
}

LP_TEST(info_describes_lightgbm)
{
    lp_model *m = lp_test_load_named("lightgbm/multiclass_categorical", NULL);
    if (!m) return;
    const char *info = lp_model_info_json(m);
    LP_CHECK_CONTAINS(info, "\"format\":\"lightgbm-text\"");
    LP_CHECK_CONTAINS(info, "\"producer\":\"lightgbm v4\"");
    LP_CHECK_CONTAINS(info, "\"objective\":\"multiclass num_class:3\"");
    LP_CHECK_CONTAINS(info, "\"names\":[\"color\",\"size\",\"weight\",\"shape\"]");
    LP_CHECK_CONTAINS(info, "\"categorical\":[0,3]");
    lp_model_destroy(m);
}

/* ---- refusals ---- */
/* A small valid model: one tree, a numeric root and a categorical child. */
static const char small[] =
    "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\nmax_feature_idx=1\n"
    "objective=binary sigmoid:1\nfeature_names=a b\nfeature_infos=[0:1] 0:1:2\ntree_sizes=300\n\n"
    "Tree=0\nnum_leaves=3\nnum_cat=1\nsplit_feature=0 1\nsplit_gain=1 1\nthreshold=0.5 0\n"
    "decision_type=10 1\nleft_child=1 -1\nright_child=-2 -3\nleaf_value=0.1 -0.2 0.3\n"
    "cat_boundaries=0 1\ncat_threshold=5\nis_linear=0\nshrinkage=1\n\n\nend of trees\n\n"
    "pandas_categorical:null\n";

LP_TEST(small_model_by_hand)
{
    lp_error err;
    lp_status s;
    lp_model *m = load_text(small, &err, &s);
    if (!LP_CHECK_STATUS(s, LP_OK, &err)) return;
    /* Root: a <= 0.5 (NaN type, default left) → node 1, else leaf 1 (-0.2).
     * Node 1: b in {0, 2} → leaf 0 (0.1), else (NaN, negative, 1, 3+) leaf 2 (0.3). */
    static const double rows[][2] = {{0.5, 0}, {0.5, 2}, {0.5, 1}, {NAN, 3}, {0.50000000000000011, 0},
                                     {0, -0.5}, {0, -1}, {0, NAN}, {0.2, 2.7}};
    static const double margin[] = {0.1, 0.1, 0.3, 0.3, -0.2, 0.1, 0.3, 0.3, 0.1};
    lp_column cols[2] = {{.name = "a", .type = LP_COL_F64}, {.name = "b", .type = LP_COL_F64}};
    double a[9], b[9];
    for (int r = 0; r < 9; r++) a[r] = rows[r][0], b[r] = rows[r][1];
    cols[0].data = a, cols[1].data = b;
    lp_table t = {.n_rows = 9, .n_columns = 2, .columns = cols};
    float proba[18];
    if (LP_CHECK_STATUS(lp_model_predict_table(m, &t, NULL, proba, NULL, &err), LP_OK, &err))
        for (int r = 0; r < 9; r++) LP_CHECK_NEAR(proba[r * 2 + 1], 1 / (1 + exp(-margin[r])), 1e-7);
    lp_model_destroy(m);
}

/* A leaf that two nodes point to and one no node points to, as real files
 * have (lg_dart_breast_cancer): LightGBM walks it as written. */
LP_TEST(shared_leaf_is_walked_as_written)
{
    char *text = LP_REPLACE(small, "right_child=-2 -3", "right_child=-2 -2");
    if (!text) return;
    lp_error err;
    lp_status s;
    lp_model *m = load_text(text, &err, &s);
    if (LP_CHECK_STATUS(s, LP_OK, &err)) {
        /* a <= 0.5 → node 1; b = 1 is not in {0, 2} → LightGBM's right child, now leaf 1 (-0.2). */
        float x[] = {0.5f, 1, 0.5f, 0, 0.7f, 0}, proba[6];
        static const double margin[] = {-0.2, 0.1, -0.2};
        if (LP_CHECK_STATUS(lp_model_predict_matrix(m, x, 3, 2, NULL, proba, NULL, &err), LP_OK, &err))
            for (int r = 0; r < 3; r++) LP_CHECK_NEAR(proba[r * 2 + 1], 1 / (1 + exp(-margin[r])), 1e-7);
    }
    lp_model_destroy(m);
    free(text);
}

/* An empty category set (cat_boundaries "0 0"): every category goes right. */
LP_TEST(empty_category_set)
{
    char *text = LP_REPLACE(small, "cat_boundaries=0 1\ncat_threshold=5", "cat_boundaries=0 0\ncat_threshold=");
    if (!text) return;
    lp_error err;
    lp_status s;
    lp_model *m = load_text(text, &err, &s);
    if (LP_CHECK_STATUS(s, LP_OK, &err)) {
        float x[] = {0.5f, 0, 0.5f, 2}, proba[4];
        if (LP_CHECK_STATUS(lp_model_predict_matrix(m, x, 2, 2, NULL, proba, NULL, &err), LP_OK, &err))
            for (int r = 0; r < 2; r++) LP_CHECK_NEAR(proba[r * 2 + 1], 1 / (1 + exp(-0.3)), 1e-7);
    }
    lp_model_destroy(m);
    free(text);
}

static void refused(const char *from, const char *to, lp_status want, const char *says)
{
    char *text = LP_REPLACE(small, from, to);
    if (!text) return;
    lp_error err;
    lp_status s;
    lp_model *m = load_text(text, &err, &s);
    if (LP_CHECK_STATUS(s, want, &err)) LP_CHECK_CONTAINS(err.message, says);
    lp_model_destroy(m);
    free(text);
}

LP_TEST(mutated_models_are_refused)
{
    refused("is_linear=0", "is_linear=1", LP_ERR_UNSUPPORTED, "tree 0 is a linear tree");
    refused("version=v4\n", "version=v2\naverage_output\n", LP_ERR_UNSUPPORTED,
            "random-forest model (average_output) with objective \"binary sigmoid:1\" in format v2 is ambiguous");
    refused("binary sigmoid:1", "lambdarank", LP_ERR_UNSUPPORTED, "objective \"lambdarank\"");
    refused("left_child=1 -1", "left_child=7 -1", LP_ERR_BAD_MODEL, "tree 0: left_child[0] is out of range");
    refused("left_child=1 -1", "left_child=1 1", LP_ERR_BAD_MODEL, "tree 0, node 1: is the child of two nodes");
    refused("left_child=1 -1", "left_child=0 -1", LP_ERR_BAD_MODEL, "tree 0, node 0: is the child of two nodes");
    refused("split_feature=0 1", "split_feature=0 2", LP_ERR_BAD_MODEL, "split_feature[1] is out of range");
    refused("threshold=0.5 0", "threshold=0.5 1", LP_ERR_BAD_MODEL, "tree 0, node 1: threshold 1");
    refused("decision_type=10 1", "decision_type=14 1", LP_ERR_BAD_MODEL, "tree 0, node 0: decision_type 14");
    refused("leaf_value=0.1 -0.2 0.3", "leaf_value=0.1 -0.2", LP_ERR_BAD_MODEL, "leaf_value has 2 values, expected 3");
    refused("threshold=0.5 0", "threshold=0.5x 0", LP_ERR_BAD_MODEL, "threshold holds something that is not a number");
    refused("cat_boundaries=0 1", "cat_boundaries=0 2", LP_ERR_BAD_MODEL, "cat_threshold has 1 values, expected 2");
    refused("tree_sizes=300", "tree_sizes=300 300", LP_ERR_BAD_MODEL, "tree_sizes lists 2: is the file truncated?");
    refused("max_feature_idx=1", "max_feature_idx=2", LP_ERR_BAD_MODEL, "feature_names does not hold");
    refused("num_tree_per_iteration=1", "num_tree_per_iteration=2", LP_ERR_BAD_MODEL, "num_tree_per_iteration 2");
    refused("split_feature=0 1", "split_feature=1 1", LP_ERR_BAD_MODEL, "feature 1 has both numerical and categorical");
    refused("tree\nversion", "forest\nversion", LP_ERR_BAD_MODEL, "not a model");
    refused("num_leaves=3", "num_leaves=0", LP_ERR_BAD_MODEL, "tree 0: num_leaves");
    refused("pandas_categorical:null", "pandas_categorical:[[\"x\"", LP_ERR_BAD_MODEL,
            "pandas_categorical is malformed");
    refused("pandas_categorical:null", "pandas_categorical:[[\"x\"],[\"y\"]]", LP_ERR_UNSUPPORTED,
            "pandas_categorical has 2 category lists but feature_infos names 1");
}

/* Every prefix of a real model is refused cleanly or loads (a cut after the
 * last tree), and so is every model with one byte changed: never a crash
 * (ASan and UBSan watch). */
LP_TEST(truncated_models_never_crash)
{
    size_t n = 0;
    uint8_t *bytes = lp_test_read_file("fixtures/lightgbm/mixed_categorical/model.txt", &n);
    if (!LP_CHECK(bytes != NULL, "no mixed_categorical model")) return;
    size_t loaded = 0;
    for (size_t len = 1; len < n; len += 7) {
        lp_model *m = NULL;
        lp_error err;
        if (lp_model_load(bytes, len, NULL, &m, &err) == LP_OK) loaded++;
        lp_model_destroy(m);
    }
    LP_CHECK(loaded > 0 && loaded < n / 7, "%zu prefixes loaded", loaded);
    /* Single-byte changes anywhere: a clean result either way. */
    lp_test_rng rng = {11};
    uint8_t *copy = malloc(n);
    for (int k = 0; k < 400; k++) {
        memcpy(copy, bytes, n);
        static const char pool[] = "0123456789-. =\n~e";
        copy[lp_test_below(&rng, (uint32_t)n)] = (uint8_t)pool[lp_test_below(&rng, sizeof pool - 1)];
        lp_model *m = NULL;
        lp_error err;
        if (lp_model_load(copy, n, NULL, &m, &err) == LP_OK) lp_model_destroy(m);
    }
    free(copy);
    free(bytes);
}

void test_lightgbm(void)
{
    LP_RUN(fixtures_match_lightgbm);
    LP_RUN(info_describes_lightgbm);
    LP_RUN(small_model_by_hand);
    LP_RUN(empty_category_set);
    LP_RUN(shared_leaf_is_walked_as_written);
    LP_RUN(mutated_models_are_refused);
    LP_RUN(truncated_models_never_crash);
}
