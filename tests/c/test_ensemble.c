/* test_ensemble.c — formats/ensemble: a manifest's "ensemble" loaded as one
 * model.  Parity with the reference libraries on every fixture
 * (tests/fixtures/ensemble/<case>/expected.csv = the weighted average of
 * xgboost's predict_proba and onnxruntime's outputs, see
 * tests/fixtures/gen/gen_ensemble.py) through tables, the matrix, the CSV
 * job and the blob; the info JSON; every refusal naming its member or key. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "localpredict.h"
#include "lp_test.h"

static const char *const cases[] = {"xgb_onnx", "xgb_onnx_binary"};
/* Every member file a fixture folder may hold; those present become parts. */
static const char *const member_files[] = {"xgb.json", "mlp.onnx", "forest.onnx"};
#define N_FILES (sizeof member_files / sizeof *member_files)

typedef struct parts {
    lp_part  p[N_FILES + 1];
    uint8_t *bytes[N_FILES + 1];
    size_t   n;
} parts;

static void read_parts(const char *name, parts *ps)
{
    memset(ps, 0, sizeof *ps);
    for (size_t i = 0; i < N_FILES; i++) {
        char path[256];
        size_t len = 0;
        snprintf(path, sizeof path, "fixtures/ensemble/%s/%s", name, member_files[i]);
        uint8_t *b = lp_test_read_file(path, &len);
        if (!b) continue;
        ps->bytes[ps->n] = b;
        ps->p[ps->n++] = (lp_part){member_files[i], b, len};
    }
}

static void free_parts(parts *ps)
{
    for (size_t i = 0; i < ps->n; i++) free(ps->bytes[i]);
}

static char *read_manifest(const char *name)
{
    char path[256];
    size_t len = 0;
    snprintf(path, sizeof path, "fixtures/ensemble/%s/ensemble.localpredict.json", name);
    uint8_t *b = lp_test_read_file(path, &len);
    char *text = b ? realloc(b, len + 1) : NULL;
    if (text) text[len] = '\0';
    return text;
}

/* Loads `manifest` (as the model bytes) with the case's member files. */
static lp_status load_with(const char *name, const char *manifest, const char *overrides, lp_model **m,
                           lp_error *err)
{
    parts ps;
    read_parts(name, &ps);
    lp_load_options o = lp_load_options_default();
    o.parts = ps.p;
    o.n_parts = ps.n;
    o.overrides = overrides;
    o.overrides_len = overrides ? strlen(overrides) : 0;
    *m = NULL;
    lp_status s = lp_model_load((const uint8_t *)manifest, strlen(manifest), &o, m, err);
    free_parts(&ps);
    return s;
}

/* The CSV job over input.csv: its probabilities within 1e-6 of expected.csv,
 * and the Suggested Label by the output contract's rules. */
static void check_job(const char *name, const lp_model *m, const lp_test_csv *expected, double threshold)
{
    char path[256];
    size_t len = 0;
    snprintf(path, sizeof path, "fixtures/ensemble/%s/input.csv", name);
    uint8_t *input = lp_test_read_file(path, &len);
    if (!LP_CHECK(input != NULL, "%s: no input.csv", name)) return;
    lp_error err;
    lp_job *job = NULL;
    lp_job_options jo = lp_job_options_default();
    jo.batch_rows = 7;   /* several batches, one partial */
    lp_test_str out = {0};
    lp_status s = lp_job_create(m, &jo, &job, &err);
    if (s == LP_OK) s = lp_job_push(job, input, len, &err);
    if (s == LP_OK) s = lp_job_finish(job, &err);
    if (LP_CHECK_STATUS(s, LP_OK, &err)) lp_test_str_add(&out, lp_job_output(job), lp_job_output_len(job));
    lp_job_destroy(job);
    free(input);
    lp_test_csv got;
    size_t k_n = expected->n_cols;
    if (s != LP_OK || !LP_CHECK(lp_test_csv_parse(out.p, out.len, &got), "%s: output is not a CSV", name)) {
        lp_test_str_free(&out);
        return;
    }
    LP_CHECK(got.n_rows == expected->n_rows && got.n_cols == k_n + 1, "%s: job wrote %zu rows x %zu columns", name,
             got.n_rows, got.n_cols);
    for (size_t r = 0; r < got.n_rows && r < expected->n_rows && got.n_cols == k_n + 1; r++) {
        size_t best = 0;
        for (size_t k = 0; k < k_n; k++) {
            double want = strtod(expected->cells[r * k_n + k], NULL);
            double have = strtod(got.cells[r * got.n_cols + k], NULL);
            LP_CHECK(fabs(have - want) <= LP_TEST_PROBA_TOL, "%s: row %zu class %zu: %.9g, reference %.9g", name, r + 1, k,
                     have, want);
            if (want > strtod(expected->cells[r * k_n + best], NULL)) best = k;
        }
        const char *label = got.cells[r * got.n_cols + k_n];
        if (k_n == 2 && !isnan(threshold)) {
            double p = strtod(expected->cells[r * k_n + 1], NULL);
            if (fabs(p - threshold) > 1e-5)
                LP_CHECK_STR(label, expected->names[p > threshold ? 1 : 0]);
        } else {
            LP_CHECK_STR(label, expected->names[best]);
        }
    }
    lp_test_csv_free(&got);
    lp_test_str_free(&out);
}

LP_TEST(ensemble_fixtures_match_reference)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *name = cases[i];
        char *manifest = read_manifest(name);
        if (!LP_CHECK(manifest != NULL, "%s: no manifest", name)) continue;
        lp_error err;
        lp_model *m = NULL;
        if (!LP_CHECK_STATUS(load_with(name, manifest, NULL, &m, &err), LP_OK, &err)) {
            free(manifest);
            continue;
        }
        char path[256];
        lp_test_csv input, expected;
        snprintf(path, sizeof path, "fixtures/ensemble/%s", name);
        int ok = lp_test_read_case_csvs(path, &input, &expected);
        if (ok) {
            lp_test_check_expected(name, m, &input, &expected);
            check_job(name, m, &expected, strcmp(name, "xgb_onnx_binary") == 0 ? 0.4 : NAN);

            /* The blob a worker receives carries the members and predicts the same bits. */
            const uint8_t *blob;
            size_t blob_len;
            lp_model *copy = NULL;
            if (LP_CHECK_STATUS(lp_model_serialize(m, &blob, &blob_len, &err), LP_OK, &err) &&
                LP_CHECK_STATUS(lp_model_load(blob, blob_len, NULL, &copy, &err), LP_OK, &err)) {
                LP_CHECK_STR(lp_model_info_json(copy), lp_model_info_json(m));
                size_t n = input.n_rows, k_n = lp_model_n_outputs(m);
                float *x = lp_test_matrix_for_model(m, &input);
                float *a = calloc(n * k_n + 1, sizeof *a), *b = calloc(n * k_n + 1, sizeof *b);
                lp_status sa = lp_model_predict_matrix(m, x, n, lp_model_n_features(m), NULL, a, NULL, &err);
                lp_status sb = lp_model_predict_matrix(copy, x, n, lp_model_n_features(m), NULL, b, NULL, &err);
                if (LP_CHECK(sa == LP_OK && sb == LP_OK, "%s: predict: %s", name, err.message))
                    LP_CHECK_MEM(a, b, n * k_n * sizeof *a);
                free(x);
                free(a);
                free(b);
                /* Every truncation of the blob is refused, never crashes. */
                for (size_t cut = 0; cut < blob_len; cut += 1 + cut / 16) {
                    lp_model *bad = NULL;
                    lp_status s = lp_model_load(blob, cut, NULL, &bad, &err);
                    LP_CHECK(s != LP_OK && bad == NULL, "%s: the blob cut at %zu loads", name, cut);
                    lp_model_destroy(bad);
                }
            }
            lp_model_destroy(copy);
        }
        if (ok) lp_test_csv_free(&input), lp_test_csv_free(&expected);
        lp_model_destroy(m);
        free(manifest);
    }
}

LP_TEST(ensemble_info_lists_members)
{
    char *manifest = read_manifest("xgb_onnx");
    lp_error err;
    lp_model *m = NULL;
    if (!manifest || !LP_CHECK_STATUS(load_with("xgb_onnx", manifest, NULL, &m, &err), LP_OK, &err)) {
        free(manifest);
        return;
    }
    cJSON *info = cJSON_Parse(lp_model_info_json(m));
    LP_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(info, "format")), "ensemble");
    LP_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(info, "task")), "multiclass");
    /* The input columns: every member's, once each, in the members' order. */
    char *names = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(info, "features"), "names"));
    LP_CHECK_STR(names, "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]");
    free(names);
    LP_CHECK(lp_model_n_features(m) == 6, "n_features %zu", lp_model_n_features(m));
    LP_CHECK_STR(lp_model_feature_name(m, 4), "e");
    const cJSON *members = cJSON_GetObjectItem(info, "members");
    LP_CHECK(cJSON_GetArraySize(members) == 2, "%d members", cJSON_GetArraySize(members));
    const cJSON *m0 = cJSON_GetArrayItem(members, 0), *m1 = cJSON_GetArrayItem(members, 1);
    LP_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(m0, "name")), "XGBoost");
    LP_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(m1, "model")), "mlp.onnx");
    LP_CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(m0, "weight")) == 0.75, "weight 0");
    LP_CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(m1, "weight")) == 0.25, "weight 1");
    const cJSON *i1 = cJSON_GetObjectItem(m1, "info");
    LP_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(i1, "format")), "onnx");
    LP_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(i1, "details"), "type")), "torch MLP");
    LP_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(info, "details"), "name")),
                 "XGBoost + MLP");
    cJSON_Delete(info);
    lp_model_destroy(m);
    free(manifest);
}

/* A manifest mutation and what it must give: status and a message fragment. */
typedef struct refusal {
    const char *from, *to;    /* replaced in xgb_onnx's manifest */
    lp_status   status;
    const char *fragment;
} refusal;

LP_TEST(ensemble_refusals_name_the_member)
{
    char *manifest = read_manifest("xgb_onnx");
    if (!LP_CHECK(manifest != NULL, "no manifest")) return;
    static const refusal cases_[] = {
        {"\"weight\": 3", "\"weight\": 0", LP_ERR_BAD_MANIFEST, "\"ensemble[0].weight\" must be a positive number"},
        {"\"weight\": 3", "\"weight\": -2", LP_ERR_BAD_MANIFEST, "\"ensemble[0].weight\" must be a positive number"},
        {"\"weight\": 3", "\"weight\": \"3\"", LP_ERR_BAD_MANIFEST, "must be a positive number"},
        {"\"weight\": 3", "\"wieght\": 3", LP_ERR_BAD_MANIFEST, "\"ensemble[0].wieght\" is not a key of an ensemble member"},
        {"\"model\": \"xgb.json\"", "\"model\": \"gone.json\"", LP_ERR_USAGE,
         "ensemble member 1 names \"gone.json\", which was not given"},
        {"\"model\": \"xgb.json\"", "\"name\": \"x\"", LP_ERR_BAD_MANIFEST, "\"ensemble[0]\" lacks \"model\""},
        /* the MLP without feature names: by position, while the XGBoost member binds by name */
        {"\"features\": [\n          \"c\",\n          \"d\",\n          \"e\",\n          \"f\"\n        ],", "",
         LP_ERR_BAD_MANIFEST, "ensemble member 2 (\"MLP\") takes its 4 columns by position"},
        /* labels that differ */
        {"\"details\": {\n          \"type\": \"torch MLP\"\n        }", "\"classes\": [\"x\", \"y\", \"z\"]",
         LP_ERR_BAD_MANIFEST, "ensemble member 2 (\"MLP\") has classes \"x\", \"y\", \"z\" but member 1 has \"0\", \"1\", \"2\""},
        /* a task that differs */
        {"\"details\": {\n          \"type\": \"torch MLP\"\n        }", "\"task\": \"multilabel\"", LP_ERR_BAD_MANIFEST,
         "ensemble member 2 (\"MLP\") is multilabel but member 1 is multiclass"},
        /* a member's own bad manifest, named with the member */
        {"\"type\": \"torch MLP\"", "\"typo\": 1", LP_ERR_BAD_MANIFEST,
         "ensemble member 2 (\"MLP\"): the ensemble manifest: ensemble[1].manifest: \"details.typo\" is not a details key"},
        {"\"localpredict\": 1,", "\"localpredict\": 1, \"features\": [\"a\"],", LP_ERR_BAD_MANIFEST,
         "\"features\" applies to one model"},
        {"\"localpredict\": 1,", "\"localpredict\": 1, \"iterations\": \"all\",", LP_ERR_BAD_MANIFEST,
         "\"iterations\" applies to one model"},
        {"\"localpredict\": 1,", "\"localpredict\": 1, \"clases\": [],", LP_ERR_BAD_MANIFEST, "\"clases\" is not a manifest key"},
        {"\"manifest\": {", "\"manifest\": {\"ensemble\": [], ", LP_ERR_BAD_MANIFEST, "ensembles do not nest"},
        {"\"localpredict\": 1,", "\"localpredict\": 1, \"classes\": [\"a\", \"b\"],", LP_ERR_BAD_MANIFEST,
         "gives 2 classes but the model has 3"},
    };
    for (size_t i = 0; i < sizeof cases_ / sizeof *cases_; i++) {
        char *text = LP_REPLACE(manifest, cases_[i].from, cases_[i].to);
        if (!text) continue;
        lp_error err;
        lp_model *m = NULL;
        lp_status s = load_with("xgb_onnx", text, NULL, &m, &err);
        LP_CHECK(s == cases_[i].status && m == NULL, "case %zu: status %s, want %s (%s)", i, lp_status_code(s),
                 lp_status_code(cases_[i].status), err.message);
        LP_CHECK(strstr(err.message, cases_[i].fragment) != NULL, "case %zu: message \"%s\" lacks \"%s\"", i,
                 err.message, cases_[i].fragment);
        lp_model_destroy(m);
        free(text);
    }
    /* An empty list, and members that give different numbers of classes. */
    static const char *const lists[][2] = {
        {"{\"localpredict\": 1, \"ensemble\": []}", "\"ensemble\" must be a non-empty array"},
        {"{\"localpredict\": 1, \"ensemble\": [{\"model\": \"xgb.json\"}, {\"model\": \"forest.onnx\", "
         "\"manifest\": {\"features\": [\"a\", \"b\", \"c\", \"d\"]}}]}",
         "ensemble member 2 (\"forest.onnx\") gives 2 outputs but member 1 gives 3"},
    };
    parts ps, other;
    read_parts("xgb_onnx", &ps);
    read_parts("xgb_onnx_binary", &other);
    ps.p[ps.n] = other.p[1];   /* forest.onnx (binary) beside the 3-class XGBoost model */
    for (size_t i = 0; i < 2; i++) {
        lp_load_options o = lp_load_options_default();
        o.parts = ps.p;
        o.n_parts = ps.n + 1;
        lp_error err;
        lp_model *m = NULL;
        lp_status s = lp_model_load((const uint8_t *)lists[i][0], strlen(lists[i][0]), &o, &m, &err);
        LP_CHECK(s == LP_ERR_BAD_MANIFEST, "list %zu: %s (%s)", i, lp_status_code(s), err.message);
        LP_CHECK(strstr(err.message, lists[i][1]) != NULL, "list %zu: \"%s\"", i, err.message);
        lp_model_destroy(m);
    }
    free_parts(&ps);
    free_parts(&other);
    free(manifest);
}

LP_TEST(ensemble_routing)
{
    char *manifest = read_manifest("xgb_onnx");
    parts ps;
    read_parts("xgb_onnx", &ps);
    lp_error err;
    lp_model *m = NULL;
    /* The manifest as opts->manifest with no model bytes: the same model. */
    lp_load_options o = lp_load_options_default();
    o.parts = ps.p, o.n_parts = ps.n;
    o.manifest = manifest, o.manifest_len = manifest ? strlen(manifest) : 0, o.manifest_name = "ens.localpredict.json";
    if (LP_CHECK_STATUS(lp_model_load(NULL, 0, &o, &m, &err), LP_OK, &err))
        LP_CHECK(lp_model_n_outputs(m) == 3, "outputs");
    lp_model_destroy(m);
    m = NULL;
    /* ... but not beside a model file. */
    LP_CHECK_STATUS(lp_model_load(ps.p[0].bytes, ps.p[0].len, &o, &m, &err), LP_ERR_USAGE, &err);
    LP_CHECK(strstr(err.message, "ens.localpredict.json describes an ensemble") != NULL, "%s", err.message);
    /* A plain manifest given as the model. */
    const char *plain = "{\"localpredict\": 1, \"task\": \"binary\"}";
    LP_CHECK_STATUS(lp_model_load((const uint8_t *)plain, strlen(plain), NULL, &m, &err), LP_ERR_BAD_MODEL, &err);
    LP_CHECK(strstr(err.message, "this is a localpredict manifest, not a model") != NULL, "%s", err.message);
    /* A zip bundle reaches the engine only natively: a clear refusal. */
    static const uint8_t zip[] = {'P', 'K', 3, 4, 20, 0, 0, 0, 0, 0};
    LP_CHECK_STATUS(lp_model_load(zip, sizeof zip, NULL, &m, &err), LP_ERR_UNSUPPORTED, &err);
    LP_CHECK(strstr(err.message, "is a .zip bundle") != NULL, "%s", err.message);
    /* Overrides win over the ensemble's manifest, as for any model. */
    if (manifest &&
        LP_CHECK_STATUS(load_with("xgb_onnx", manifest, "{\"localpredict\":1,\"classes\":[\"x\",\"y\",\"z\"],"
                                                        "\"threshold\":0.3,\"task\":\"multilabel\"}", &m, &err),
                        LP_OK, &err)) {
        LP_CHECK(lp_model_task(m) == LP_TASK_MULTILABEL, "task");
        LP_CHECK_STR(lp_model_output_name(m, 2), "z");
    }
    lp_model_destroy(m);
    free_parts(&ps);
    free(manifest);
}

/* Members without feature names take the input's columns by position,
 * each the same count; a weight of one member alone gives its own bits. */
LP_TEST(ensemble_positional_members)
{
    const char *text = "{\"localpredict\": 1, \"ensemble\": [{\"model\": \"mlp.onnx\", \"weight\": 2}, "
                       "{\"model\": \"mlp.onnx\", \"name\": \"again\", \"weight\": 0.5}]}";
    parts ps;
    read_parts("xgb_onnx", &ps);
    lp_load_options o = lp_load_options_default();
    o.parts = ps.p, o.n_parts = ps.n;
    lp_error err;
    lp_model *ens = NULL, *mlp = NULL;
    lp_status s = lp_model_load((const uint8_t *)text, strlen(text), &o, &ens, &err);
    if (LP_CHECK_STATUS(s, LP_OK, &err) &&
        LP_CHECK_STATUS(lp_model_load(ps.p[1].bytes, ps.p[1].len, NULL, &mlp, &err), LP_OK, &err)) {
        LP_CHECK(lp_model_n_features(ens) == 4, "positional inputs: %zu", lp_model_n_features(ens));
        lp_test_rng rng = {42};
        float x[4 * 50], a[3 * 50], b[3 * 50];
        for (size_t i = 0; i < 4 * 50; i++) x[i] = (float)lp_test_uniform(&rng, -3, 3);
        LP_CHECK_STATUS(lp_model_predict_matrix(ens, x, 50, 4, NULL, a, NULL, &err), LP_OK, &err);
        LP_CHECK_STATUS(lp_model_predict_matrix(mlp, x, 50, 4, NULL, b, NULL, &err), LP_OK, &err);
        /* 0.8 p + 0.2 p in double is p again, rounded once */
        LP_CHECK_MEM(a, b, sizeof a);
        /* a CSV with another column count is refused by name of the rule */
        lp_job *job = NULL;
        lp_job_options jo = lp_job_options_default();
        const char *csv = "a,b,c\n1,2,3\n";
        s = lp_job_create(ens, &jo, &job, &err);
        if (s == LP_OK) s = lp_job_push(job, (const uint8_t *)csv, strlen(csv), &err);
        if (s == LP_OK) s = lp_job_finish(job, &err);
        LP_CHECK_STATUS(s, LP_ERR_COLUMN_COUNT, &err);
        LP_CHECK(strstr(err.message, "the ensemble's members have 4 unnamed features") != NULL, "%s", err.message);
        lp_job_destroy(job);
    }
    lp_model_destroy(ens);
    lp_model_destroy(mlp);
    free_parts(&ps);
}

/* A column both members need, missing from the input: named once. */
LP_TEST(ensemble_missing_column_named_once)
{
    char *manifest = read_manifest("xgb_onnx");
    lp_error err;
    lp_model *m = NULL;
    if (!manifest || !LP_CHECK_STATUS(load_with("xgb_onnx", manifest, NULL, &m, &err), LP_OK, &err)) {
        free(manifest);
        return;
    }
    lp_job *job = NULL;
    lp_job_options jo = lp_job_options_default();
    const char *csv = "a,b,d,e,f\n1,2,3,4,5\n";
    lp_status s = lp_job_create(m, &jo, &job, &err);
    if (s == LP_OK) s = lp_job_push(job, (const uint8_t *)csv, strlen(csv), &err);
    if (s == LP_OK) s = lp_job_finish(job, &err);
    LP_CHECK_STATUS(s, LP_ERR_MISSING_COLUMN, &err);
    LP_CHECK_STR(err.message, "the input lacks 1 column the model needs: \"c\"");
    lp_job_destroy(job);
    lp_model_destroy(m);
    free(manifest);
}

void test_ensemble(void)
{
    LP_RUN(ensemble_fixtures_match_reference);
    LP_RUN(ensemble_info_lists_members);
    LP_RUN(ensemble_refusals_name_the_member);
    LP_RUN(ensemble_routing);
    LP_RUN(ensemble_positional_members);
    LP_RUN(ensemble_missing_column_named_once);
}
