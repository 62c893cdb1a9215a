/* alloc_fail.c — every allocation failure, one at a time (as SQLite tests its
 * allocator).
 *
 * Built as its own binary (make test-alloc), linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free, so every
 * allocation of the engine and of cJSON (whose default hooks are malloc and
 * free) goes through the counting wrappers below.  A workload — load a model
 * (XGBoost JSON and UBJSON, LightGBM, ONNX trees and a dense ONNX graph,
 * an ensemble of an XGBoost and a dense ONNX member, typed features, XGBoost
 * 3.1 cats, opset-5 trees, a graph of the newer ai.onnx operators, ai.onnx.ml
 * encoders on string inputs, text models with Keras and WordPiece
 * preprocessing), with a manifest for some (or inside the model), describe it, serialise it and load the blob,
 * predict a matrix (text models take only a CSV, and have no blob yet), predict a CSV in chunks — first runs with no failure to
 * count its N allocations; then it runs N more times, the n-th allocation
 * failing in run n.  Each run must end with LP_ERR_NOMEM reported by the
 * call that met the failure (code, message), no crash, and every allocation
 * freed (a live-allocation count back to zero; LeakSanitizer checks again
 * at exit).
 *
 * Usage: alloc-fail  (working directory: the repository root)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "localpredict.h"

/* ---- counting allocator ---- */
void *__real_malloc(size_t n);
void *__real_calloc(size_t count, size_t n);
void *__real_realloc(void *p, size_t n);
void  __real_free(void *p);

static long n_allocs;     /* allocations attempted in this run */
static long fail_at;      /* the allocation that fails (1-based); 0 = none */
static long n_live;       /* allocations not yet freed */

static int should_fail(void) { return ++n_allocs == fail_at; }

void *__wrap_malloc(size_t n)
{
    if (should_fail()) return NULL;
    void *p = __real_malloc(n);
    if (p) n_live++;
    return p;
}

void *__wrap_calloc(size_t count, size_t n)
{
    if (should_fail()) return NULL;
    void *p = __real_calloc(count, n);
    if (p) n_live++;
    return p;
}

void *__wrap_realloc(void *old, size_t n)
{
    if (should_fail()) return NULL;   /* a failed realloc leaves `old` allocated */
    void *p = __real_realloc(old, n);
    if (p && !old) n_live++;
    return p;
}

void __wrap_free(void *p)
{
    if (p) n_live--;
    __real_free(p);
}

/* ---- the workload ---- */
static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = __real_malloc((size_t)n + 1);   /* not counted: test data */
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        __real_free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

typedef struct workload {
    const char    *name;
    const uint8_t *model;
    size_t         model_len;
    const char    *manifest;
    const char    *csv;
    const lp_part *parts;     /* an ensemble's members (the model is then its manifest), a vocabulary */
    size_t         n_parts;
    const char    *text_column;   /* a text model: the table predicted is this column of strings */
} workload;

/* Runs the workload; returns the first failing status with its error. */
static lp_status run(const workload *w, lp_error *err, const char **step)
{
    lp_model *m = NULL, *from_blob = NULL;
    lp_job *job = NULL;
    float *proba = NULL;
    uint8_t *chosen = NULL;
    lp_load_options lo = lp_load_options_default();
    lo.manifest = w->manifest;
    lo.manifest_len = w->manifest ? strlen(w->manifest) : 0;
    lo.manifest_name = "m.localpredict.json";
    lo.parts = w->parts;
    lo.n_parts = w->n_parts;
    lp_status s;

    *step = "load";
    if ((s = lp_model_load(w->model, w->model_len, &lo, &m, err)) != LP_OK) goto done;

    *step = "serialise";
    const uint8_t *blob;
    size_t blob_len;
    if ((s = lp_model_serialize(m, &blob, &blob_len, err)) != LP_OK) goto done;
    *step = "load the blob";
    if ((s = lp_model_load(blob, blob_len, NULL, &from_blob, err)) != LP_OK) goto done;

    *step = "predict a table";
    size_t nf = lp_model_n_features(m), k = lp_model_n_outputs(m);
    float x[2 * 64];
    /* Small whole numbers: int64 inputs and category codes take them too. */
    for (size_t i = 0; i < 2 * nf && i < 128; i++) x[i] = (float)(i % 3);
    proba = __real_malloc(2 * k * sizeof *proba);
    chosen = __real_malloc(2 * k);
    lp_predict_options po = lp_predict_options_default();
    if (w->text_column) {   /* a text model takes text, not a matrix */
        static const uint32_t offsets[] = {0, 5, 27};
        lp_column col = {w->text_column, LP_COL_STR, "greatbad, useless and late!", offsets, NULL};
        lp_table table = {2, 1, &col};
        s = lp_model_predict_table(from_blob, &table, &po, proba, chosen, err);
    } else {
        s = lp_model_predict_matrix(from_blob, x, 2, nf, &po, proba, chosen, err);
    }
    if (s != LP_OK) goto done;

    *step = "predict the CSV";
    lp_job_options jo = lp_job_options_default();
    jo.include_input = 1;
    jo.batch_rows = 2;
    if ((s = lp_job_create(m, &jo, &job, err)) != LP_OK) goto done;
    size_t len = strlen(w->csv);
    for (size_t at = 0; at < len; at += 7) {
        size_t n = len - at < 7 ? len - at : 7;
        if ((s = lp_job_push(job, (const uint8_t *)w->csv + at, n, err)) != LP_OK) goto done;
        lp_job_output_clear(job);
    }
    s = lp_job_finish(job, err);
done:
    lp_job_destroy(job);
    lp_model_destroy(from_blob);
    lp_model_destroy(m);
    __real_free(proba);
    __real_free(chosen);
    return s;
}

static int check_workload(const workload *w)
{
    lp_error err;
    const char *step;
    fail_at = 0;
    n_allocs = n_live = 0;
    lp_status s = run(w, &err, &step);
    if (s != LP_OK) {
        printf("FAIL alloc-fail %s: the workload fails without any allocation failure: %s: %s\n", w->name,
               step, err.message);
        return 1;
    }
    long total = n_allocs, failures = 0;
    for (long n = 1; n <= total; n++) {
        fail_at = n;
        n_allocs = n_live = 0;
        memset(&err, 0, sizeof err);
        s = run(w, &err, &step);
        const char *why = NULL;
        if (s != LP_ERR_NOMEM) why = "status is not OUT_OF_MEMORY";
        else if (err.code != LP_ERR_NOMEM) why = "the error's code is not OUT_OF_MEMORY";
        else if (err.message[0] == '\0') why = "the error has no message";
        else if (n_live != 0) why = "allocations leaked";
        if (why) {
            if (++failures <= 20)
                printf("  %s: allocation %ld of %ld failed in step \"%s\": %s (status %s, %ld live; message: %s)\n",
                       w->name, n, total, step, why, lp_status_code(s), n_live, err.message);
        }
    }
    fail_at = 0;
    printf("%s %s: %ld allocations, each made to fail in turn: %ld bad outcomes\n", failures ? "FAIL" : "ok",
           w->name, total, failures);
    return failures != 0;
}

/* The ensemble fixture: its manifest as the model, its members as parts. */
static int check_ensemble(void)
{
    static const char *const files[] = {"ensemble.localpredict.json", "xgb.json", "mlp.onnx", "input.csv"};
    uint8_t *bytes[4];
    size_t lens[4];
    int ok = 1;
    for (size_t i = 0; i < 4; i++) {
        char path[128];
        snprintf(path, sizeof path, "tests/fixtures/ensemble/xgb_onnx/%s", files[i]);
        bytes[i] = read_file(path, &lens[i]);
        ok &= bytes[i] != NULL;
    }
    int failed = 1;
    if (ok) {
        char *end = (char *)bytes[3];
        for (int line = 0; line < 7 && end; line++) end = strchr(end, '\n') ? strchr(end, '\n') + 1 : NULL;
        if (end) *end = '\0';
        else bytes[3][lens[3]] = '\0';
        lp_part parts[2] = {{files[1], bytes[1], lens[1]}, {files[2], bytes[2], lens[2]}};
        workload w = {"ensemble (XGBoost + ONNX MLP)", bytes[0], lens[0], NULL, (const char *)bytes[3], parts, 2, NULL};
        failed = check_workload(&w);
    } else {
        printf("FAIL alloc-fail: cannot read tests/fixtures/ensemble/xgb_onnx/ (run from the repository root)\n");
    }
    for (size_t i = 0; i < 4; i++) __real_free(bytes[i]);
    return failed;
}

#ifndef LP_NO_TEXT
/* The first `lines` lines of a file read with read_file, NUL-terminated in place. */
static void keep_lines(uint8_t *text, size_t len, int lines)
{
    char *end = (char *)text;
    for (int line = 0; line < lines && end; line++) end = strchr(end, '\n') ? strchr(end, '\n') + 1 : NULL;
    if (end) *end = '\0';
    else text[len] = '\0';
}

/* The text model fixture (an ONNX model on int64 token ids) with its Keras
 * manifest (inline tokenizer JSON), and again with WordPiece preprocessing
 * whose vocab.txt comes in as a part: load, blob, a table of strings, CSV. */
static int check_text(void)
{
    size_t model_len, manifest_len, csv_len, vocab_len;
    uint8_t *model = read_file("tests/fixtures/text_model/keras_embedding/model.onnx", &model_len);
    uint8_t *manifest = read_file("tests/fixtures/text_model/keras_embedding/model.localpredict.json", &manifest_len);
    uint8_t *csv = read_file("tests/fixtures/text_model/keras_embedding/input.csv", &csv_len);
    uint8_t *vocab = read_file("tests/fixtures/text/wordpiece_uncased/vocab.txt", &vocab_len);
    int failed = 1;
    if (model && manifest && csv && vocab) {
        manifest[manifest_len] = '\0';
        keep_lines(csv, csv_len, 7);
        workload keras = {"text model, Keras tokenizer", model, model_len, (const char *)manifest,
                          (const char *)csv, NULL, 0, "review"};
        failed = check_workload(&keras);
        static const char wordpiece_manifest[] =
            "{\"localpredict\": 1, \"classes\": [\"negative\", \"neutral\", \"positive\"], \"preprocess\": "
            "{\"text\": \"review\", \"steps\": [\"collapse_whitespace\", {\"remove\": \"!?\"}], "
            "\"tokenizer\": \"wordpiece\", \"vocab\": \"vocab.txt\", \"max_length\": 16, "
            "\"inputs\": {\"ids\": \"tokens\", \"attention_mask\": null, \"token_type_ids\": null}}}";
        lp_part part = {"vocab.txt", vocab, vocab_len};
        workload wordpiece = {"text model, WordPiece vocab.txt", model, model_len, wordpiece_manifest,
                              (const char *)csv, &part, 1, "review"};
        failed |= check_workload(&wordpiece);
    } else {
        printf("FAIL alloc-fail: cannot read tests/fixtures/text_model/keras_embedding/ (run from the repository root)\n");
    }
    __real_free(model);
    __real_free(manifest);
    __real_free(csv);
    __real_free(vocab);
    return failed;
}

/* The text model fixture with its Keras tokenizer JSON as a file the manifest
 * names ("vocab": "tokenizer.json", a part): load, the blob carrying the
 * preprocessing and the file, a table of strings, the CSV. */
static int check_text_model(void)
{
    size_t model_len, man_len, csv_len;
    uint8_t *model = read_file("tests/fixtures/text_model/keras_embedding/model.onnx", &model_len);
    uint8_t *man = read_file("tests/fixtures/text_model/keras_embedding/model.localpredict.json", &man_len);
    uint8_t *csv = read_file("tests/fixtures/text_model/keras_embedding/input.csv", &csv_len);
    cJSON *root = man ? cJSON_ParseWithLength((const char *)man, man_len) : NULL;
    cJSON *pre = cJSON_GetObjectItemCaseSensitive(root, "preprocess");
    char *vocab = pre ? cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(pre, "vocab")) : NULL;
    if (pre) cJSON_ReplaceItemInObjectCaseSensitive(pre, "vocab", cJSON_CreateString("tokenizer.json"));
    char *manifest = root ? cJSON_PrintUnformatted(root) : NULL;
    int failed = 1;
    if (model && csv && vocab && manifest) {
        keep_lines(csv, csv_len, 7);   /* the header and the first six reviews, none of them multi-line */
        lp_part part = {"tokenizer.json", (const uint8_t *)vocab, strlen(vocab)};
        workload w = {"text model (Keras tokenizer file + ONNX embedding)", model, model_len, manifest,
                      (const char *)csv, &part, 1, "review"};
        failed = check_workload(&w);
    } else {
        printf("FAIL alloc-fail: cannot read tests/fixtures/text_model/keras_embedding/ (run from the repository root)\n");
    }
    cJSON_Delete(root);
    cJSON_free(vocab);
    cJSON_free(manifest);
    __real_free(model);
    __real_free(man);
    __real_free(csv);
    return failed;
}
#endif

int main(void)
{
    static const char *models[][4] = {
        /* name, model, manifest, csv */
        {"categorical", "tests/fuzz/corpus/xgb_json/categorical.json", NULL, NULL},
        {"multiclass + manifest", "tests/fuzz/corpus/xgb_json/multiclass.json",
         "{\"localpredict\": 1, \"classes\": [\"a\", \"b\", \"c\", \"d\"], \"threshold\": 0.5, "
         "\"missing\": [-999]}", NULL},
        {"multilabel", "tests/fuzz/corpus/xgb_json/multilabel.json",
         "{\"localpredict\": 1, \"threshold\": {\"1\": 0.25}}", NULL},
        {"XGBoost UBJSON", "tests/fixtures/xgboost/binary/model.ubj", NULL, NULL},
        {"LightGBM + pandas categories", "tests/fixtures/lightgbm/pandas_categorical/model.txt", NULL, NULL},
        {"ONNX tree ensemble", "tests/fixtures/onnx/logistic_strings_zipmap/model.onnx", NULL, NULL},
        {"ONNX dense graph", "tests/fixtures/onnx/per_column_concat_mlp/model.onnx", NULL, NULL},
        {"typed features", "tests/fixtures/features/model.json",
         "{\"localpredict\": 1, \"features\": [{\"type\": \"category\", \"categories\": [\"red\", \"green\", "
         "\"blue\", \"violet\", \"cr\u00e8me\"], \"unknown\": \"missing\"}, {\"type\": \"category\", \"categories\": "
         "{\"S\": 0, \"M\": 1, \"L\": 2}}, {\"type\": \"boolean\"}, {\"type\": \"integer\"}, \"x\"]}", NULL},
        {"XGBoost 3.1 cats", "tests/fixtures/features/model_cats31.json", NULL, NULL},
        {"embedded manifest", "tests/fixtures/features/model_embedded.json", NULL, NULL},
        {"ONNX opset-5 trees, double input", "tests/fixtures/onnx_ml/v5_rf_member_double/model.onnx", NULL, NULL},
        {"ONNX opset-18 graph (Gather, LayerNormalization, Erf, reductions, Shape/Reshape)",
         "tests/fixtures/onnx/text_attention_opset18/model.onnx", NULL, NULL},
        {"ai.onnx.ml encoders on string inputs", "tests/fixtures/onnx_ml/skl_ordinal_labelencoder/model.onnx", NULL, NULL},
    };
    static const char *inputs[] = {
        "tests/fixtures/xgboost/categorical/input.csv",
        "tests/fixtures/xgboost/multiclass/input.csv",
        "tests/fixtures/xgboost/multilabel/input.csv",
        "tests/fixtures/xgboost/binary/input.csv",
        "tests/fixtures/lightgbm/pandas_categorical/input.csv",
        "tests/fixtures/onnx/logistic_strings_zipmap/input.csv",
        "tests/fixtures/onnx/per_column_concat_mlp/input.csv",
        "tests/fixtures/features/input.csv",
        "tests/fixtures/features/input_cats31.csv",
        "tests/fixtures/features/input.csv",
        "tests/fixtures/onnx_ml/v5_rf_member_double/input.csv",
        "tests/fixtures/onnx/text_attention_opset18/input.csv",
        "tests/fixtures/onnx_ml/skl_ordinal_labelencoder/input.csv",
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof models / sizeof *models; i++) {
        size_t model_len, csv_len;
        uint8_t *model = read_file(models[i][1], &model_len);
        uint8_t *csv = read_file(inputs[i], &csv_len);
        if (!model || !csv) {
            printf("FAIL alloc-fail: cannot read %s or %s (run from the repository root)\n", models[i][1], inputs[i]);
            return 1;
        }
        /* The header and six rows: enough for three batches of two. */
        char *end = (char *)csv;
        for (int line = 0; line < 7 && end; line++) end = strchr(end, '\n') ? strchr(end, '\n') + 1 : NULL;
        if (end) *end = '\0';
        else csv[csv_len] = '\0';
        workload w = {models[i][0], model, model_len, models[i][2], (const char *)csv, NULL, 0, NULL};
        failed |= check_workload(&w);
        __real_free(model);
        __real_free(csv);
    }
    failed |= check_ensemble();
#ifndef LP_NO_TEXT
    failed |= check_text_model();
    failed |= check_text();
#endif
    return failed;
}
