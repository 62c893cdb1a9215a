/* test_manifest.c — src/formats/manifest: classes, task, thresholds (one
 * number or per label), missing-value sentinels and feature names from a
 * manifest and from the overrides (which win); the errors that name the key
 * at fault; and the effect of a threshold on the suggested outputs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "localpredict.h"
#include "lp_test.h"

static lp_status load_with(const char *name, const char *manifest, const char *overrides, lp_model **m,
                           lp_error *err)
{
    lp_load_options lo = lp_load_options_default();
    lo.manifest = manifest;
    lo.manifest_len = manifest ? strlen(manifest) : 0;
    lo.overrides = overrides;
    lo.overrides_len = overrides ? strlen(overrides) : 0;
    if (strcmp(name, "tiny") == 0) {
        *m = NULL;
        return lp_model_load((const uint8_t *)lp_test_tiny_model, strlen(lp_test_tiny_model), &lo, m, err);
    }
    return lp_test_load_case(name, &lo, m, NULL, NULL, err);
}

/* Expects a failed load with the status, the message naming `needle`, and
 * err.field == field when field is not NULL. */
static void expect_error(const char *name, const char *manifest, const char *overrides, lp_status want,
                         const char *needle, const char *field)
{
    lp_model *m = NULL;
    lp_error err;
    lp_status s = load_with(name, manifest, overrides, &m, &err);
    LP_CHECK(s == want, "%s + %s / %s: got %s, want %s (%s)", name, manifest ? manifest : "-",
             overrides ? overrides : "-", lp_status_code(s), lp_status_code(want), err.message);
    LP_CHECK(m == NULL, "a failed load returned a model");
    if (s != LP_OK && needle)
        LP_CHECK(strstr(err.message, needle), "%s: message should name %s: %s", manifest ? manifest : overrides,
                 needle, err.message);
    if (s != LP_OK && field)
        LP_CHECK(strcmp(err.field, field) == 0, "err.field \"%s\", want \"%s\"", err.field, field);
    lp_model_destroy(m);
}

/* Probabilities and choices of the first n rows of a fixture's input. */
typedef struct preds {
    size_t   n_rows, k;
    float   *proba;
    uint8_t *chosen;
} preds;

static int predict_case_rows(const char *name, const lp_model *m, double threshold, preds *p)
{
    char path[256];
    snprintf(path, sizeof path, "fixtures/xgboost/%s/input.csv", name);
    lp_test_csv in;
    memset(p, 0, sizeof *p);
    if (!LP_CHECK(lp_test_read_csv(path, &in), "cannot read %s", path)) return 0;
    float *x = lp_test_matrix_for_model(m, &in);
    p->n_rows = in.n_rows;
    p->k = lp_model_n_outputs(m);
    p->proba = calloc(p->n_rows * p->k + 1, sizeof *p->proba);
    p->chosen = calloc(p->n_rows * p->k + 1, 1);
    lp_predict_options po = lp_predict_options_default();
    po.threshold = threshold;
    lp_error err;
    lp_status s = x ? lp_model_predict_matrix(m, x, p->n_rows, lp_model_n_features(m), &po, p->proba, p->chosen, &err)
                    : LP_ERR_MISSING_COLUMN;
    free(x);
    lp_test_csv_free(&in);
    return LP_CHECK_STATUS(s, LP_OK, &err);
}

static void preds_free(preds *p)
{
    free(p->proba);
    free(p->chosen);
}

LP_TEST(classes_rename_outputs)
{
    lp_model *m = NULL;
    lp_error err;
    if (LP_CHECK_STATUS(load_with("multiclass", "{\"localpredict\": 1, \"classes\": [\"a\", \"b\", \"c\", \"d\"]}",
                                  NULL, &m, &err), LP_OK, &err)) {
        LP_CHECK_STR(lp_model_output_name(m, 0), "a");
        LP_CHECK_STR(lp_model_output_name(m, 3), "d");
        LP_CHECK_CONTAINS(lp_model_info_json(m), "\"classes\":[\"a\",\"b\",\"c\",\"d\"]");
        LP_CHECK_CONTAINS(lp_model_info_json(m), "\"outputs\":[\"a\",\"b\",\"c\",\"d\"]");
    }
    lp_model_destroy(m);
    if (LP_CHECK_STATUS(load_with("multiclass", "{\"localpredict\": 1, \"classes\": [10, 20, -30, 40]}", NULL, &m,
                                  &err), LP_OK, &err)) {
        LP_CHECK_STR(lp_model_output_name(m, 2), "-30");
        LP_CHECK_CONTAINS(lp_model_info_json(m), "\"classes\":[10,20,-30,40]");
    }
    lp_model_destroy(m);
    if (LP_CHECK_STATUS(load_with("binary", "{\"localpredict\": 1, \"classes\": [false, true]}", NULL, &m, &err),
                        LP_OK, &err)) {
        LP_CHECK_STR(lp_model_output_name(m, 0), "false");
        LP_CHECK_STR(lp_model_output_name(m, 1), "true");
        LP_CHECK_CONTAINS(lp_model_info_json(m), "\"classes\":[false,true]");
    }
    lp_model_destroy(m);
}

LP_TEST(class_errors)
{
    expect_error("multiclass", "{\"localpredict\": 1, \"classes\": [\"a\", \"b\", \"c\"]}", NULL,
                 LP_ERR_BAD_MANIFEST, "gives 3 classes but the model has 4", "classes");
    expect_error("binary", "{\"localpredict\": 1, \"classes\": [\"a\", \"b\", \"c\"]}", NULL, LP_ERR_BAD_MANIFEST,
                 "classes", "classes");
    expect_error("multiclass", "{\"localpredict\": 1, \"classes\": [\"a\", \"b\", \"a\", \"d\"]}", NULL,
                 LP_ERR_BAD_MANIFEST, "\"a\" appears twice", NULL);
    expect_error("multiclass", "{\"localpredict\": 1, \"classes\": [\"a\", 1.5, \"c\", \"d\"]}", NULL,
                 LP_ERR_BAD_MANIFEST, "classes", "classes");
    expect_error("multiclass", "{\"localpredict\": 1, \"classes\": [\"a\", null, \"c\", \"d\"]}", NULL,
                 LP_ERR_BAD_MANIFEST, "classes", "classes");
    expect_error("multiclass", "{\"localpredict\": 1, \"classes\": \"abcd\"}", NULL, LP_ERR_BAD_MANIFEST, "classes",
                 "classes");
    expect_error("tiny", "{\"localpredict\": 1, \"classes\": [\"a\"]}", NULL, LP_ERR_BAD_MANIFEST, "regression",
                 "classes");
}

LP_TEST(task_from_manifest)
{
    lp_model *m = NULL;
    lp_error err;
    /* A softmax model read as multilabel: each class on its own threshold. */
    if (LP_CHECK_STATUS(load_with("multiclass", "{\"localpredict\": 1, \"task\": \"multilabel\", \"threshold\": 0.2}",
                                  NULL, &m, &err), LP_OK, &err)) {
        LP_CHECK_EQ_INT(lp_model_task(m), LP_TASK_MULTILABEL);
        LP_CHECK_CONTAINS(lp_model_info_json(m), "\"task\":\"multilabel\"");
        preds p;
        if (predict_case_rows("multiclass", m, NAN, &p)) {
            int several = 0;
            for (size_t i = 0; i < p.n_rows * p.k; i++)
                LP_CHECK(p.chosen[i] == (p.proba[i] > 0.2f), "row %zu output %zu: p %.9g chosen %d", i / p.k,
                         i % p.k, p.proba[i], p.chosen[i]);
            for (size_t r = 0; r < p.n_rows; r++) {
                int c = 0;
                for (size_t k = 0; k < p.k; k++) c += p.chosen[r * p.k + k];
                several += c > 1;
            }
            LP_CHECK(several > 0, "no row has two labels above 0.2: the test data do not exercise multilabel");
        }
        preds_free(&p);
    }
    lp_model_destroy(m);
    /* Naming the model's own task is fine. */
    if (LP_CHECK_STATUS(load_with("binary", "{\"localpredict\": 1, \"task\": \"binary\"}", NULL, &m, &err), LP_OK,
                        &err))
        LP_CHECK_EQ_INT(lp_model_task(m), LP_TASK_BINARY);
    lp_model_destroy(m);
    expect_error("binary", "{\"localpredict\": 1, \"task\": \"clustering\"}", NULL, LP_ERR_BAD_MANIFEST, "task",
                 "task");
    expect_error("binary", "{\"localpredict\": 1, \"task\": 2}", NULL, LP_ERR_BAD_MANIFEST, "task", "task");
}

LP_TEST(task_that_does_not_fit_is_bad_manifest)
{
    /* "a bad manifest is BAD_MANIFEST; bad options are USAGE" (manifest.c):
     * a task the model cannot serve is a bad manifest when the manifest
     * names it, and a usage error when the options do. */
    expect_error("binary", "{\"localpredict\": 1, \"task\": \"regression\"}", NULL, LP_ERR_BAD_MANIFEST, "task", NULL);
    expect_error("multiclass", "{\"localpredict\": 1, \"task\": \"binary\"}", NULL, LP_ERR_BAD_MANIFEST, "task", NULL);
    expect_error("binary", NULL, "{\"localpredict\": 1, \"task\": \"regression\"}", LP_ERR_USAGE, "task", NULL);
}

static void check_binary_threshold(const char *manifest, const char *overrides, double option, double effective)
{
    lp_model *m = NULL;
    lp_error err;
    if (!LP_CHECK_STATUS(load_with("binary", manifest, overrides, &m, &err), LP_OK, &err)) return;
    preds p;
    if (predict_case_rows("binary", m, option, &p)) {
        int pos = 0, neg = 0;
        for (size_t r = 0; r < p.n_rows; r++) {
            const float *q = p.proba + 2 * r;
            const uint8_t *c = p.chosen + 2 * r;
            int want = q[1] > effective;
            pos += want, neg += !want;
            LP_CHECK(c[want] == 1 && c[!want] == 0, "%s / %s / %g: row %zu p=%.9g chose [%d %d], want label %d",
                     manifest ? manifest : "-", overrides ? overrides : "-", option, r, q[1], c[0], c[1], want);
        }
        LP_CHECK(pos && neg, "threshold %g: every row on one side (%d / %d)", effective, pos, neg);
    }
    preds_free(&p);
    lp_model_destroy(m);
}

LP_TEST(binary_threshold_changes_the_suggested_label)
{
    check_binary_threshold(NULL, NULL, NAN, 0.5);
    check_binary_threshold("{\"localpredict\": 1, \"threshold\": 0.9}", NULL, NAN, 0.9);
    check_binary_threshold("{\"localpredict\": 1, \"threshold\": 0.05}", NULL, NAN, 0.05);
    check_binary_threshold("{\"localpredict\": 1, \"threshold\": {\"1\": 0.2}}", NULL, NAN, 0.2);
    check_binary_threshold("{\"localpredict\": 1, \"classes\": [\"neg\", \"pos\"], \"threshold\": {\"pos\": 0.8}}",
                           NULL, NAN, 0.8);
    /* The overrides win over the manifest, the predict option over both. */
    check_binary_threshold("{\"localpredict\": 1, \"threshold\": 0.9}", "{\"localpredict\": 1, \"threshold\": 0.3}",
                           NAN, 0.3);
    check_binary_threshold("{\"localpredict\": 1, \"threshold\": {\"1\": 0.9}}",
                           "{\"localpredict\": 1, \"threshold\": 0.3}", NAN, 0.3);
    check_binary_threshold("{\"localpredict\": 1, \"threshold\": 0.9}", NULL, 0.1, 0.1);

    /* A probability exactly at the threshold is not above it. */
    lp_model *m = NULL;
    lp_error err;
    if (!LP_CHECK_STATUS(load_with("binary", NULL, NULL, &m, &err), LP_OK, &err)) return;
    preds p;
    if (predict_case_rows("binary", m, NAN, &p)) {
        size_t r = 0;
        while (r < p.n_rows && !(p.proba[2 * r + 1] > 0.05f && p.proba[2 * r + 1] < 0.95f)) r++;
        if (LP_CHECK(r < p.n_rows, "no row with a middling probability")) {
            char man[128];
            snprintf(man, sizeof man, "{\"localpredict\": 1, \"threshold\": %.17g}", (double)p.proba[2 * r + 1]);
            lp_model *m2 = NULL;
            preds p2;
            if (LP_CHECK_STATUS(load_with("binary", man, NULL, &m2, &err), LP_OK, &err) &&
                predict_case_rows("binary", m2, NAN, &p2)) {
                LP_CHECK(p2.chosen[2 * r] == 1 && p2.chosen[2 * r + 1] == 0, "p == threshold chose [%d %d]",
                         p2.chosen[2 * r], p2.chosen[2 * r + 1]);
                preds_free(&p2);
            }
            lp_model_destroy(m2);
        }
    }
    preds_free(&p);
    lp_model_destroy(m);
}

LP_TEST(multilabel_thresholds_per_label)
{
    lp_model *m = NULL;
    lp_error err;
    /* Per-label thresholds from the manifest stay unless the overrides set
     * that label again. */
    if (!LP_CHECK_STATUS(load_with("multilabel", "{\"localpredict\": 1, \"threshold\": {\"0\": 0.2, \"2\": 0.9}}",
                                   "{\"localpredict\": 1, \"threshold\": {\"2\": 0.6}}", &m, &err), LP_OK, &err))
        return;
    LP_CHECK_CONTAINS(lp_model_info_json(m), "\"thresholds\":[0.2,0.5,0.6]");
    preds p;
    const double t[3] = {0.2, 0.5, 0.6};
    if (predict_case_rows("multilabel", m, NAN, &p))
        for (size_t i = 0; i < p.n_rows * 3; i++)
            LP_CHECK(p.chosen[i] == (p.proba[i] > t[i % 3]), "row %zu label %zu: p %.9g chosen %d", i / 3, i % 3,
                     p.proba[i], p.chosen[i]);
    preds_free(&p);
    lp_model_destroy(m);
}

LP_TEST(threshold_errors)
{
    expect_error("binary", "{\"localpredict\": 1, \"threshold\": 1.5}", NULL, LP_ERR_BAD_MANIFEST, "threshold",
                 "threshold");
    expect_error("binary", "{\"localpredict\": 1, \"threshold\": -0.1}", NULL, LP_ERR_BAD_MANIFEST, "threshold",
                 "threshold");
    expect_error("binary", "{\"localpredict\": 1, \"threshold\": \"0.5\"}", NULL, LP_ERR_BAD_MANIFEST, "threshold",
                 "threshold");
    expect_error("binary", "{\"localpredict\": 1, \"threshold\": {\"7\": 0.2}}", NULL, LP_ERR_BAD_MANIFEST, "\"7\"",
                 NULL);
    expect_error("binary", "{\"localpredict\": 1, \"threshold\": {\"1\": 2}}", NULL, LP_ERR_BAD_MANIFEST, "threshold",
                 "threshold");
    expect_error("binary", NULL, "{\"localpredict\": 1, \"threshold\": 7}", LP_ERR_USAGE, "threshold", "threshold");
}

LP_TEST(missing_sentinels)
{
    lp_model *plain = NULL, *m = NULL;
    lp_error err;
    if (!LP_CHECK_STATUS(load_with("tiny", NULL, NULL, &plain, &err), LP_OK, &err)) return;
    if (!LP_CHECK_STATUS(load_with("tiny", "{\"localpredict\": 1, \"missing\": [-999, -1]}", NULL, &m, &err),
                         LP_OK, &err)) {
        lp_model_destroy(plain);
        return;
    }
    LP_CHECK_CONTAINS(lp_model_info_json(m), "\"missing\":[-999,-1]");
    LP_CHECK_CONTAINS(lp_model_info_json(plain), "\"missing\":[]");
    float x[6] = {-999, 0, -999, 1, -1, 1}, p[2], q[2];
    LP_CHECK_STATUS(lp_model_predict_matrix(m, x, 2, 3, NULL, p, NULL, &err), LP_OK, &err);
    LP_CHECK_STATUS(lp_model_predict_matrix(plain, x, 2, 3, NULL, q, NULL, &err), LP_OK, &err);
    LP_CHECK(p[0] == (float)lp_test_tiny_margin(NAN, 0, NAN), "sentinels as missing: %g", p[0]);
    LP_CHECK(p[1] == (float)lp_test_tiny_margin(1, NAN, 1), "-1 as missing: %g", p[1]);
    LP_CHECK(q[1] == (float)lp_test_tiny_margin(1, -1, 1) && q[1] != p[1], "-1 as a number: %g", q[1]);
    LP_CHECK(q[0] == (float)lp_test_tiny_margin(-999, 0, -999), "no sentinels: %g", q[0]);
    /* The same through a table of doubles and of text. */
    double c0[1] = {-999}, c1[1] = {0}, c2[1] = {-999};
    lp_column cols[3] = {{"x0", LP_COL_F64, c0, NULL, NULL}, {"x1", LP_COL_F64, c1, NULL, NULL},
                         {"x2", LP_COL_F64, c2, NULL, NULL}};
    lp_table t = {1, 3, cols};
    float r[1];
    LP_CHECK_STATUS(lp_model_predict_table(m, &t, NULL, r, NULL, &err), LP_OK, &err);
    LP_CHECK(r[0] == p[0], "F64 table: %g vs matrix %g", r[0], p[0]);
    const char *text = "-999.00-9.99e2";
    uint32_t o0[2] = {0, 7}, o1[2] = {6, 7}, o2[2] = {7, 14};
    lp_column scols[3] = {{"x0", LP_COL_STR, text, o0, NULL}, {"x1", LP_COL_STR, text, o1, NULL},
                          {"x2", LP_COL_STR, text, o2, NULL}};
    lp_table st = {1, 3, scols};
    LP_CHECK_STATUS(lp_model_predict_table(m, &st, NULL, r, NULL, &err), LP_OK, &err);
    LP_CHECK(r[0] == p[0], "text table (\"-999.00\", \"0\", \"-9.99e2\"): %g vs matrix %g", r[0], p[0]);
    lp_model_destroy(m);
    lp_model_destroy(plain);

    /* Overrides replace the manifest's list. */
    if (LP_CHECK_STATUS(load_with("tiny", "{\"localpredict\": 1, \"missing\": [-999]}",
                                  "{\"localpredict\": 1, \"missing\": [-1]}", &m, &err), LP_OK, &err))
        LP_CHECK_CONTAINS(lp_model_info_json(m), "\"missing\":[-1]");
    lp_model_destroy(m);
    expect_error("tiny", "{\"localpredict\": 1, \"missing\": -999}", NULL, LP_ERR_BAD_MANIFEST, "missing", "missing");
    expect_error("tiny", "{\"localpredict\": 1, \"missing\": [\"NA\"]}", NULL, LP_ERR_BAD_MANIFEST, "missing",
                 "missing");
}

LP_TEST(features_name_positional_inputs)
{
    lp_model *m = NULL;
    lp_error err;
    const char *man = "{\"localpredict\": 1, \"features\": [\"c0\", \"c1\", \"c2\", \"c3\", \"c4\", \"c5\"]}";
    if (!LP_CHECK_STATUS(load_with("no_names", man, NULL, &m, &err), LP_OK, &err)) return;
    LP_CHECK_STR(lp_model_feature_name(m, 4), "c4");
    LP_CHECK_CONTAINS(lp_model_info_json(m), "\"names\":[\"c0\",\"c1\",\"c2\",\"c3\",\"c4\",\"c5\"]");
    /* Now columns bind by name: reversed columns plus an extra one give the
     * same probabilities as the input in order. */
    double v[6][2] = {{0.37, -0.38}, {-1.59, -2.35}, {1.29, 0.34}, {-0.19, 1.52}, {-1.39, 1.68}, {0.49, 1.16}};
    double extra[2] = {7, 8};
    lp_column in_order[6], reversed[7];
    static const char *const names[] = {"c0", "c1", "c2", "c3", "c4", "c5"};
    for (int i = 0; i < 6; i++) {
        in_order[i] = (lp_column){names[i], LP_COL_F64, v[i], NULL, NULL};
        reversed[5 - i] = in_order[i];
    }
    reversed[6] = (lp_column){"row_id", LP_COL_F64, extra, NULL, NULL};
    lp_table a = {2, 6, in_order}, b = {2, 7, reversed};
    float pa[6], pb[6];
    LP_CHECK_STATUS(lp_model_predict_table(m, &a, NULL, pa, NULL, &err), LP_OK, &err);
    LP_CHECK_STATUS(lp_model_predict_table(m, &b, NULL, pb, NULL, &err), LP_OK, &err);
    LP_CHECK_MEM(pa, pb, sizeof pa);
    /* A named model refuses a table that lacks a name. */
    b.n_columns = 5;
    LP_CHECK_STATUS(lp_model_predict_table(m, &b, NULL, pb, NULL, &err), LP_ERR_MISSING_COLUMN, &err);
    LP_CHECK_CONTAINS(err.message, "\"c0\"");
    lp_model_destroy(m);

    expect_error("no_names", "{\"localpredict\": 1, \"features\": [\"c0\", \"c1\"]}", NULL, LP_ERR_BAD_MANIFEST,
                 "features", "features");
    expect_error("no_names", "{\"localpredict\": 1, \"features\": [0, 1, 2, 3, 4, 5]}", NULL, LP_ERR_BAD_MANIFEST,
                 "features", "features");
    expect_error("no_names", "{\"localpredict\": 1, \"features\": \"c0\"}", NULL, LP_ERR_BAD_MANIFEST, "features",
                 "features");
}

LP_TEST(overrides_beat_the_manifest)
{
    lp_model *m = NULL;
    lp_error err;
    if (LP_CHECK_STATUS(load_with("multiclass", "{\"localpredict\": 1, \"classes\": [\"a\", \"b\", \"c\", \"d\"]}",
                                  "{\"localpredict\": 1, \"classes\": [\"w\", \"x\", \"y\", \"z\"]}", &m, &err),
                        LP_OK, &err)) {
        LP_CHECK_STR(lp_model_output_name(m, 0), "w");
        LP_CHECK_STR(lp_model_output_name(m, 3), "z");
    }
    lp_model_destroy(m);
    /* Keys the overrides do not set still come from the manifest. */
    if (LP_CHECK_STATUS(load_with("multiclass", "{\"localpredict\": 1, \"classes\": [\"a\", \"b\", \"c\", \"d\"]}",
                                  "{\"localpredict\": 1, \"task\": \"multilabel\"}", &m, &err), LP_OK, &err)) {
        LP_CHECK_EQ_INT(lp_model_task(m), LP_TASK_MULTILABEL);
        LP_CHECK_STR(lp_model_output_name(m, 1), "b");
    }
    lp_model_destroy(m);
    /* Overrides alone. */
    if (LP_CHECK_STATUS(load_with("binary", NULL, "{\"localpredict\": 1, \"classes\": [\"no\", \"yes\"]}", &m, &err),
                        LP_OK, &err))
        LP_CHECK_STR(lp_model_output_name(m, 1), "yes");
    lp_model_destroy(m);
    /* A bad override is a usage error, named as the options. */
    expect_error("binary", NULL, "{\"localpredict\": 1, \"clases\": []}", LP_ERR_USAGE, "clases", "clases");
    expect_error("binary", NULL, "{\"localpredict\": 1, \"classes\": [\"a\"]}", LP_ERR_USAGE, "classes", "classes");
}

/* "details": kept as given, shown in the info JSON, carried by the blob;
 * anything outside name/type/version/trained/description/metrics refused. */
LP_TEST(details_are_described)
{
    lp_model *m = NULL, *copy = NULL;
    lp_error err;
    const char *man = "{\"localpredict\": 1, \"details\": {\"name\": \"Churn\", \"type\": \"XGBoost\", "
                      "\"trained\": \"2026-11-20\", \"metrics\": {\"held-out accuracy\": 0.931, \"note\": \"n=200\"}}}";
    if (!LP_CHECK_STATUS(load_with("binary", man, NULL, &m, &err), LP_OK, &err)) return;
    const char *want = "\"details\":{\"name\":\"Churn\",\"type\":\"XGBoost\",\"trained\":\"2026-11-20\","
                       "\"metrics\":{\"held-out accuracy\":0.931,\"note\":\"n=200\"}}";
    LP_CHECK_CONTAINS(lp_model_info_json(m), want);
    const uint8_t *blob = NULL;
    size_t len = 0;
    if (LP_CHECK_STATUS(lp_model_serialize(m, &blob, &len, &err), LP_OK, &err) &&
        LP_CHECK_STATUS(lp_model_load(blob, len, NULL, &copy, &err), LP_OK, &err))
        LP_CHECK_CONTAINS(lp_model_info_json(copy), want);
    lp_model_destroy(copy);
    lp_model_destroy(m);
    if (LP_CHECK_STATUS(load_with("binary", NULL, NULL, &m, &err), LP_OK, &err))
        LP_CHECK_CONTAINS(lp_model_info_json(m), "\"details\":null");
    lp_model_destroy(m);

    expect_error("binary", "{\"localpredict\": 1, \"details\": []}", NULL, LP_ERR_BAD_MANIFEST, "must be an object",
                 "details");
    expect_error("binary", "{\"localpredict\": 1, \"details\": {\"nmae\": \"x\"}}", NULL, LP_ERR_BAD_MANIFEST,
                 "\"details.nmae\" is not a details key", "details.nmae");
    expect_error("binary", "{\"localpredict\": 1, \"details\": {\"name\": 3}}", NULL, LP_ERR_BAD_MANIFEST,
                 "must be a string", "details.name");
    expect_error("binary", "{\"localpredict\": 1, \"details\": {\"metrics\": {\"auc\": [1]}}}", NULL,
                 LP_ERR_BAD_MANIFEST, "must be a number or a string", "details.metrics.auc");
    expect_error("binary", "{\"localpredict\": 1, \"details\": {\"metrics\": 0.9}}", NULL, LP_ERR_BAD_MANIFEST,
                 "must be an object", "details.metrics");
}

LP_TEST(manifest_key_errors)
{
    lp_model *m = NULL;
    lp_error err;
    expect_error("binary", "{\"localpredict\": 1, \"clases\": [\"a\", \"b\"]}", NULL, LP_ERR_BAD_MANIFEST,
                 "\"clases\"", "clases");
    expect_error("binary", "{\"localpredict\": 1, \"Threshold\": 0.5}", NULL, LP_ERR_BAD_MANIFEST, "\"Threshold\"",
                 "Threshold");
    expect_error("binary", "{\"classes\": [\"a\", \"b\"]}", NULL, LP_ERR_BAD_MANIFEST, "localpredict", NULL);
    expect_error("binary", "{}", NULL, LP_ERR_BAD_MANIFEST, "localpredict", NULL);
    expect_error("binary", "{\"localpredict\": 2}", NULL, LP_ERR_BAD_MANIFEST, "version", "localpredict");
    expect_error("binary", "{\"localpredict\": \"1\"}", NULL, LP_ERR_BAD_MANIFEST, "localpredict", "localpredict");
#ifndef LP_NO_TEXT
    /* "preprocess" is checked in full (tests/c/test_text.c), then needs a
     * graph with token inputs. */
    expect_error("binary", "{\"localpredict\": 1, \"preprocess\": []}", NULL, LP_ERR_BAD_MANIFEST, "must be an object",
                 NULL);
    expect_error("binary", "{\"localpredict\": 1, \"preprocess\": {\"text\": \"t\", \"tokenizer\": \"words\", \"vocab\": "
                 "\"v.json\", \"max_length\": 8}}", NULL, LP_ERR_BAD_MANIFEST, "names the file \"v.json\"", "preprocess.vocab");
    expect_error("binary", "{\"localpredict\": 1, \"preprocess\": {\"text\": \"t\", \"tokenizer\": \"words\", \"vocab\": "
                 "{\"a\": 1}, \"max_length\": 8}}", NULL, LP_ERR_BAD_MANIFEST, "needs a model that takes token ids", "preprocess");
#else
    expect_error("binary", "{\"localpredict\": 1, \"preprocess\": []}", NULL, LP_ERR_UNSUPPORTED, "preprocess",
                 "preprocess");
#endif
    /* An ensemble's manifest is a whole model (test_ensemble.c), not one beside a model file. */
    expect_error("binary", "{\"localpredict\": 1, \"ensemble\": []}", NULL, LP_ERR_USAGE, "describes an ensemble", "ensemble");
    expect_error("binary", "[1]", NULL, LP_ERR_BAD_MANIFEST, NULL, NULL);
    expect_error("binary", "not json", NULL, LP_ERR_BAD_MANIFEST, NULL, NULL);
    expect_error("binary", "{\"localpredict\": 1,}", NULL, LP_ERR_BAD_MANIFEST, NULL, NULL);
    expect_error("binary", "{\"localpredict\": 1, \"threshold\": NaN}", NULL, LP_ERR_BAD_MANIFEST, NULL, NULL);
    expect_error("binary", "", NULL, LP_ERR_BAD_MANIFEST, NULL, NULL);

    /* The manifest's name leads the message. */
    lp_load_options lo = lp_load_options_default();
    const char *man = "{\"localpredict\": 1, \"colour\": 1}";
    lo.manifest = man;
    lo.manifest_len = strlen(man);
    lo.manifest_name = "iris.localpredict.json";
    LP_CHECK_STATUS(lp_test_load_case("binary", &lo, &m, NULL, NULL, &err), LP_ERR_BAD_MANIFEST, &err);
    LP_CHECK(strncmp(err.message, "iris.localpredict.json", 22) == 0, "message: %s", err.message);
    lp_model_destroy(m);
    /* The manifest's length bounds it: bytes after are not read. */
    man = "{\"localpredict\": 1}garbage";
    lo.manifest = man;
    lo.manifest_len = 19;
    if (LP_CHECK_STATUS(lp_test_load_case("binary", &lo, &m, NULL, NULL, &err), LP_OK, &err))
        LP_CHECK_EQ_INT(lp_model_task(m), LP_TASK_BINARY);
    lp_model_destroy(m);
}

/* fixtures/features (tests/fixtures/gen/gen_features.py): the CSV job's
 * probabilities against xgboost's, for `model` read from fixtures/features/
 * `model` with `manifest` (NULL = none), and the same bytes again from the
 * model's blob (what the worker pool loads). */
static void features_case(const char *model, const char *manifest, const char *input, const char *expected)
{
    char path[256];
    size_t len = 0, man_len = 0, in_len = 0;
    snprintf(path, sizeof path, "fixtures/features/%s", model);
    uint8_t *bytes = lp_test_read_file(path, &len);
    uint8_t *man = NULL;
    if (manifest) {
        snprintf(path, sizeof path, "fixtures/features/%s", manifest);
        man = lp_test_read_file(path, &man_len);
    }
    snprintf(path, sizeof path, "fixtures/features/%s", input);
    uint8_t *in = lp_test_read_file(path, &in_len);
    lp_test_csv want = {0};
    snprintf(path, sizeof path, "fixtures/features/%s", expected);
    int ok = LP_CHECK(bytes && in && (!manifest || man) && lp_test_read_csv(path, &want), "%s: fixture missing", model);
    lp_load_options lo = lp_load_options_default();
    lo.manifest = (const char *)man;
    lo.manifest_len = man_len;
    lp_model *m = NULL, *again = NULL;
    lp_error err;
    if (ok) ok = LP_CHECK_STATUS(lp_model_load(bytes, len, &lo, &m, &err), LP_OK, &err);
    const uint8_t *blob = NULL;
    size_t blob_len = 0;
    if (ok) ok = LP_CHECK_STATUS(lp_model_serialize(m, &blob, &blob_len, &err), LP_OK, &err);
    if (ok) ok = LP_CHECK_STATUS(lp_model_load(blob, blob_len, NULL, &again, &err), LP_OK, &err);
    char *first = NULL;
    for (int k = 0; ok && k < 2; k++) {
        lp_job *job = NULL;
        lp_job_options jo = lp_job_options_default();
        if (!LP_CHECK_STATUS(lp_job_create(k ? again : m, &jo, &job, &err), LP_OK, &err)) break;
        if (LP_CHECK_STATUS(lp_job_push(job, in, in_len, &err), LP_OK, &err) &&
            LP_CHECK_STATUS(lp_job_finish(job, &err), LP_OK, &err)) {
            size_t n = lp_job_output_len(job);
            lp_test_csv got = {0};
            if (k == 0) {
                first = malloc(n + 1);
                if (first) memcpy(first, lp_job_output(job), n), first[n] = '\0';
                if (LP_CHECK(lp_test_csv_parse((const char *)lp_job_output(job), n, &got), "%s: output", model) &&
                    LP_CHECK(got.n_rows == want.n_rows, "%s: %zu rows, want %zu", model, got.n_rows, want.n_rows))
                    for (size_t r = 0; r < got.n_rows; r++)
                        for (size_t c = 0; c < 2; c++)
                            LP_CHECK_NEAR(strtod(got.cells[r * got.n_cols + c], NULL),
                                          strtod(want.cells[r * want.n_cols + c], NULL), LP_TEST_PROBA_TOL);
                lp_test_csv_free(&got);
            } else {
                LP_CHECK(first && n == strlen(first) && memcmp(first, lp_job_output(job), n) == 0,
                         "%s: the blob predicts other bytes", model);
            }
        }
        lp_job_destroy(job);
    }
    free(first);
    lp_model_destroy(m);
    lp_model_destroy(again);
    lp_test_csv_free(&want);
    free(bytes);
    free(man);
    free(in);
}

LP_TEST(typed_features_match_xgboost)
{
    features_case("model.json", "model.localpredict.json", "input.csv", "expected.csv");
    features_case("model_embedded.json", NULL, "input.csv", "expected.csv");
    features_case("model_cats31.json", NULL, "input_cats31.csv", "expected_cats31.csv");
}

void test_manifest(void)
{
    LP_RUN(typed_features_match_xgboost);
    LP_RUN(classes_rename_outputs);
    LP_RUN(class_errors);
    LP_RUN(task_from_manifest);
    LP_RUN(task_that_does_not_fit_is_bad_manifest);
    LP_RUN(binary_threshold_changes_the_suggested_label);
    LP_RUN(multilabel_thresholds_per_label);
    LP_RUN(threshold_errors);
    LP_RUN(missing_sentinels);
    LP_RUN(features_name_positional_inputs);
    LP_RUN(overrides_beat_the_manifest);
    LP_RUN(manifest_key_errors);
    LP_RUN(details_are_described);
}
