/* test_onnx_dims.c — ONNX inputs with a symbolic dimension besides the rows
 * (src/formats/onnx_dims.h): torch.onnx exports with
 * dynamic_axes {0: 'batch', 1: 'sequence'} bound by the manifest's
 * "preprocess.max_length", and a tabular MLP bound by "dims"
 * (tests/fixtures/text_dynamic/, gen_text_dynamic.py; expected outputs by
 * onnxruntime-node at the padded length).  Each through the CSV job within
 * 1e-4 of onnxruntime, the same bytes through the model blob (the bindings
 * travel in it), then every way a binding can be wrong, each named. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "localpredict.h"
#include "lp_test.h"

#if !defined(LP_NO_ONNX) && !defined(LP_NO_TEXT)
/* Fixtures through the test runner (a file natively, the archive in WASM). */
static uint8_t *read_file(const char *path, size_t *len)
{
    return lp_test_read_file(path, len);
}

/* Loads fixtures/text_dynamic/<dir>/model.onnx with its manifest, or with
 * `manifest` instead (NULL: none at all). */
static lp_status load_case(const char *dir, const char *manifest, int own_manifest, lp_model **m, lp_error *err)
{
    char path[160];
    size_t len, mlen = 0;
    snprintf(path, sizeof path, "fixtures/text_dynamic/%s/model.onnx", dir);
    uint8_t *bytes = read_file(path, &len);
    snprintf(path, sizeof path, "fixtures/text_dynamic/%s/model.localpredict.json", dir);
    uint8_t *file = own_manifest ? read_file(path, &mlen) : NULL;
    lp_load_options lo = lp_load_options_default();
    lo.manifest = own_manifest ? (const char *)file : manifest;
    lo.manifest_len = own_manifest ? mlen : manifest ? strlen(manifest) : 0;
    lo.manifest_name = "model.localpredict.json";
    lp_status s = bytes ? lp_model_load(bytes, len, &lo, m, err) : LP_ERR_USAGE;
    free(bytes);
    free(file);
    return s;
}

static lp_status run_job(const lp_model *m, const uint8_t *in, size_t len, lp_test_str *out, lp_error *err)
{
    lp_job *job = NULL;
    lp_job_options jo = lp_job_options_default();
    jo.batch_rows = 7;   /* several batches, the last partly filled */
    lp_status s = lp_job_create(m, &jo, &job, err);
    if (s == LP_OK) s = lp_job_push(job, in, len, err);
    if (s == LP_OK) s = lp_job_finish(job, err);
    if (job) lp_test_str_add(out, lp_job_output(job), lp_job_output_len(job));
    lp_job_destroy(job);
    return s;
}

/* Every probability within 1e-4 of onnxruntime's; the suggested label its
 * argmax unless two classes sit within 1e-4. */
static void check_output(const char *dir, const char *out, const char *expected, int rows_wanted)
{
    const char *o = strchr(out, '\n'), *e = strchr(expected, '\n');
    int k_classes = 1;
    for (const char *c = expected; *c != '\n'; c++) k_classes += *c == ',';
    int rows = 0;
    for (; o && e && e[1]; rows++) {
        o++, e++;
        double got[8], want[8];
        int best = 0, near = 0;
        for (int k = 0; k < k_classes && k < 8; k++) {
            got[k] = strtod(o, (char **)&o), o++;
            want[k] = strtod(e, (char **)&e), e++;
            LP_CHECK(fabs(got[k] - want[k]) <= 1e-4, "%s row %d class %d: %.9g vs onnxruntime %.9g", dir, rows, k,
                     got[k], want[k]);
            if (want[k] > want[best]) best = k;
        }
        for (int k = 0; k < k_classes; k++) near |= k != best && want[best] - want[k] <= 1e-4;
        /* the label: the header's field `best` */
        const char *h = expected;
        for (int k = 0; k < best; k++) h = strchr(h, ',') + 1;
        size_t n = strcspn(h, ",\n");
        if (!near) LP_CHECK(strncmp(o, h, n) == 0 && o[n] == '\n', "%s row %d: label %.20s, expected %.*s", dir, rows, o,
                            (int)n, h);
        o = strchr(o, '\n');
        e = strchr(e - 1, '\n');
    }
    LP_CHECK_EQ_INT(rows, rows_wanted);
}

static void check_case(const char *dir, int rows)
{
    char path[160];
    size_t in_len, exp_len;
    snprintf(path, sizeof path, "fixtures/text_dynamic/%s/input.csv", dir);
    uint8_t *in = read_file(path, &in_len);
    snprintf(path, sizeof path, "fixtures/text_dynamic/%s/expected.csv", dir);
    uint8_t *expected = read_file(path, &exp_len);
    lp_model *m = NULL, *back = NULL;
    lp_error err;
    lp_test_str a = {0}, b = {0};
    const uint8_t *blob = NULL;
    size_t blob_len = 0;
    if (!LP_CHECK(in && expected, "%s: fixture files", dir) ||
        !LP_CHECK_STATUS(load_case(dir, NULL, 1, &m, &err), LP_OK, &err) ||
        !LP_CHECK_STATUS(run_job(m, in, in_len, &a, &err), LP_OK, &err))
        goto done;
    check_output(dir, a.p, (const char *)expected, rows);
    /* the blob a worker starts from rebuilds the graph with the same bindings */
    if (LP_CHECK_STATUS(lp_model_serialize(m, &blob, &blob_len, &err), LP_OK, &err) &&
        LP_CHECK_STATUS(lp_model_load(blob, blob_len, NULL, &back, &err), LP_OK, &err) &&
        LP_CHECK_STATUS(run_job(back, in, in_len, &b, &err), LP_OK, &err))
        LP_CHECK(strcmp(a.p, b.p) == 0, "%s: the blob's output differs", dir);
done:
    lp_test_str_free(&a);
    lp_test_str_free(&b);
    lp_model_destroy(m);
    lp_model_destroy(back);
    free(in);
    free(expected);
}

LP_TEST(onnx_dims_bound_models_match_onnxruntime)
{
    check_case("torch_mean_seq", 33);
    check_case("bert_tiny_seq", 33);
    check_case("mlp_dims", 25);
}

/* nn.EmbeddingBag (ids + offsets), which torch.onnx writes as a Loop over
 * the bags: recognised and run fused on padded rows, the same numbers as
 * onnxruntime on the flat form; the same Loop reducing with ReduceMin is
 * not an EmbeddingBag and is refused as a Loop. */
LP_TEST(onnx_embedding_bag_matches_onnxruntime)
{
    check_case("embedding_bag_mean", 33);
    check_case("embedding_bag_max", 31);
    check_case("embedding_bag_sum", 33);
    size_t len, mlen;
    uint8_t *bytes = read_file("fixtures/text_dynamic/loop_reduce_min.onnx", &len);
    uint8_t *manifest = read_file("fixtures/text_dynamic/embedding_bag_mean/model.localpredict.json", &mlen);
    lp_load_options lo = lp_load_options_default();
    lo.manifest = (const char *)manifest, lo.manifest_len = mlen;
    lp_model *m = NULL;
    lp_error err;
    if (LP_CHECK(bytes && manifest, "fixtures") &&
        LP_CHECK_STATUS(lp_model_load(bytes, len, &lo, &m, &err), LP_ERR_UNSUPPORTED, &err)) {
        LP_CHECK_CONTAINS(err.message, "Loop (ai.onnx opset 13; 1 node");
        LP_CHECK(strstr(err.message, "ReduceMin") == NULL, "only the Loop is named: %s", err.message);
    }
    lp_model_destroy(m);
    free(bytes);
    free(manifest);
}

static void expect_error(const char *dir, const char *manifest, lp_status want, const char *n1, const char *n2,
                         const char *n3)
{
    lp_model *m = NULL;
    lp_error err;
    if (LP_CHECK_STATUS(load_case(dir, manifest, 0, &m, &err), want, &err)) {
        if (n1) LP_CHECK_CONTAINS(err.message, n1);
        if (n2) LP_CHECK_CONTAINS(err.message, n2);
        if (n3) LP_CHECK_CONTAINS(err.message, n3);
    }
    lp_model_destroy(m);
}

LP_TEST(onnx_dims_errors_name_the_input_and_dimension)
{
    /* nothing binds it */
    expect_error("mlp_dims", NULL, LP_ERR_UNSUPPORTED, "input \"x\"", "dimension 1 (\"features\")", "\"dims\"");
    expect_error("torch_mean_seq", "{\"localpredict\": 1}", LP_ERR_UNSUPPORTED, "input \"tokens\"", "(\"sequence\")",
                 "preprocess.max_length");
    /* two bindings that disagree */
    static const char words[] = "{\"localpredict\": 1, \"dims\": {\"sequence\": 8}, \"preprocess\": {\"text\": \"review\", "
                                "\"tokenizer\": \"words\", \"vocab\": {\"a\": 1}, \"max_length\": 16}}";
    expect_error("torch_mean_seq", words, LP_ERR_BAD_MANIFEST, "bound to 8 by \"dims\"",
                 "16 by \"preprocess.max_length\"", "input \"tokens\"");
    /* the rows cannot be bound; a name no input has; not an integer */
    expect_error("mlp_dims", "{\"localpredict\": 1, \"dims\": {\"batch\": 4, \"features\": 4}}", LP_ERR_BAD_MANIFEST,
                 "dimension 0 (\"batch\")", "rows", NULL);
    expect_error("mlp_dims", "{\"localpredict\": 1, \"dims\": {\"feature\": 4}}", LP_ERR_BAD_MANIFEST, "\"feature\"",
                 "no symbolic dimension", NULL);
    expect_error("mlp_dims", "{\"localpredict\": 1, \"dims\": {\"features\": 2.5}}", LP_ERR_BAD_MANIFEST,
                 "\"features\" must be an integer", NULL, NULL);
    expect_error("mlp_dims", "{\"localpredict\": 1, \"dims\": [4]}", LP_ERR_BAD_MANIFEST, "must be an object", NULL,
                 NULL);
    /* a size the weights do not take: the shape check names the node */
    expect_error("mlp_dims", "{\"localpredict\": 1, \"dims\": {\"features\": 5}}", LP_ERR_BAD_MODEL, "ONNX node", NULL,
                 NULL);
}

/* "dims" on a model whose inputs are all stated (the fixed-length export
 * of the same model, an XGBoost model) is named: nothing to bind. */
LP_TEST(onnx_dims_on_a_model_without_free_dimensions)
{
    size_t len;
    uint8_t *bytes = read_file("fixtures/text_model/gather_small/model.onnx", &len);
    static const char manifest[] = "{\"localpredict\": 1, \"dims\": {\"sequence\": 16}}";
    lp_load_options lo = lp_load_options_default();
    lo.manifest = manifest, lo.manifest_len = strlen(manifest), lo.manifest_name = "m.json";
    lp_model *m = NULL;
    lp_error err;
    if (LP_CHECK(bytes != NULL, "fixture") &&
        LP_CHECK_STATUS(lp_model_load(bytes, len, &lo, &m, &err), LP_ERR_BAD_MANIFEST, &err)) {
        LP_CHECK_CONTAINS(err.message, "\"sequence\"");
        LP_CHECK_CONTAINS(err.message, "no free dimension");
        LP_CHECK_STR(err.field, "dims");
    }
    lp_model_destroy(m);
    free(bytes);
}
#endif

void test_onnx_dims(void)
{
#if !defined(LP_NO_ONNX) && !defined(LP_NO_TEXT)
    LP_RUN(onnx_dims_bound_models_match_onnxruntime);
    LP_RUN(onnx_dims_errors_name_the_input_and_dimension);
    LP_RUN(onnx_dims_on_a_model_without_free_dimensions);
    LP_RUN(onnx_embedding_bag_matches_onnxruntime);
#endif
}
