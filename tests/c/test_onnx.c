/* test_onnx.c — ONNX models through lp_model_load: parity with onnxruntime on
 * every fixture (tests/fixtures/onnx/<case>/, expected.csv written by
 * onnxruntime-node, see tests/fixtures/gen/gen_onnx.py), the compact blob,
 * the info JSON, and the refusal of broken models (fixtures/onnx/bad/, each
 * with the status and message fragment expected.json names). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "formats/model.h"
#include "formats/onnx_graph.h"
#include "localpredict.h"
#include "lp_test.h"
#include "ops/graph.h"

static lp_model *load_onnx(const char *path, lp_error *err, lp_status *status)
{
    size_t len = 0;
    uint8_t *bytes = lp_test_read_file(path, &len);
    lp_model *m = NULL;
    *status = bytes ? lp_model_load(bytes, len, NULL, &m, err) : LP_ERR_USAGE;
    if (!bytes) snprintf(err->message, sizeof err->message, "%s is missing", path);
    free(bytes);
    return m;
}

/* fixtures/onnx/<name>/model.onnx, loaded. */
static lp_model *load_case(const char *name, lp_error *err, lp_status *status)
{
    char path[256];
    snprintf(path, sizeof path, "fixtures/onnx/%s/model.onnx", name);
    return load_onnx(path, err, status);
}

LP_TEST(fixtures_match_onnxruntime)
{
    for (size_t i = 0; i < lp_test_n_onnx_cases; i++) {
        const char *name = lp_test_onnx_cases[i];
        char path[256];
        lp_error err;
        lp_status s;
        lp_model *m = load_case(name, &err, &s);
        if (!LP_CHECK(s == LP_OK, "%s: load: %s: %s", name, lp_status_code(s), err.message)) continue;
        lp_test_csv input, expected;
        snprintf(path, sizeof path, "fixtures/onnx/%s", name);
        int ok = lp_test_read_case_csvs(path, &input, &expected);
        if (ok) lp_test_check_expected(name, m, &input, &expected);

        /* The blob a worker receives predicts the same bits. */
        const uint8_t *blob;
        size_t blob_len;
        lp_model *copy = NULL;
        if (ok && LP_CHECK_STATUS(lp_model_serialize(m, &blob, &blob_len, &err), LP_OK, &err) &&
            LP_CHECK_STATUS(lp_model_load(blob, blob_len, NULL, &copy, &err), LP_OK, &err)) {
            size_t n = input.n_rows, k_n = lp_model_n_outputs(m);
            float *x = lp_test_matrix_for_model(m, &input);
            float *a = calloc(n * k_n + 1, sizeof *a), *b = calloc(n * k_n + 1, sizeof *b);
            lp_status sa = lp_model_predict_matrix(m, x, n, lp_model_n_features(m), NULL, a, NULL, &err);
            lp_status sb = lp_model_predict_matrix(copy, x, n, lp_model_n_features(m), NULL, b, NULL, &err);
            if (LP_CHECK(sa == LP_OK && sb == LP_OK, "%s: predict: %s", name, err.message))
                LP_CHECK_MEM(a, b, n * k_n * sizeof *a);
            LP_CHECK_STR(lp_model_info_json(copy), lp_model_info_json(m));
            free(x);
            free(a);
            free(b);
        }
        lp_model_destroy(copy);
        lp_test_csv_free(&input);
        lp_test_csv_free(&expected);
        lp_model_destroy(m);
    }
}

/* What info says, against meta.json (written by the generator). */
LP_TEST(info_matches_meta)
{
    for (size_t i = 0; i < lp_test_n_onnx_cases; i++) {
        const char *name = lp_test_onnx_cases[i];
        char path[256];
        lp_error err;
        lp_status s;
        lp_model *m = load_case(name, &err, &s);
        snprintf(path, sizeof path, "fixtures/onnx/%s/meta.json", name);
        size_t len;
        char *meta_text = (char *)lp_test_read_file(path, &len);
        cJSON *meta = meta_text ? cJSON_Parse(meta_text) : NULL;
        cJSON *info = m ? cJSON_Parse(lp_model_info_json(m)) : NULL;
        if (LP_CHECK(m && meta && info, "%s: model, meta or info missing", name)) {
            LP_CHECK_STR(cJSON_GetObjectItem(info, "format")->valuestring, "onnx");
            LP_CHECK_STR(cJSON_GetObjectItem(info, "task")->valuestring, cJSON_GetObjectItem(meta, "task")->valuestring);
            char *want = cJSON_PrintUnformatted(cJSON_GetObjectItem(meta, "classes"));
            char *got = cJSON_PrintUnformatted(cJSON_GetObjectItem(info, "classes"));
            LP_CHECK(strcmp(want, got) == 0, "%s: classes %s, want %s", name, got, want);
            free(want);
            free(got);
            const cJSON *names = cJSON_GetObjectItem(meta, "feature_names");
            want = cJSON_PrintUnformatted(names);
            got = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(info, "features"), "names"));
            LP_CHECK(strcmp(want, got) == 0, "%s: feature names %s, want %s", name, got, want);
            free(want);
            free(got);
        }
        cJSON_Delete(info);
        cJSON_Delete(meta);
        free(meta_text);
        lp_model_destroy(m);
    }
}

static size_t check_broken(const char *dir);

LP_TEST(broken_models_are_refused)
{
    size_t seen = check_broken("fixtures/onnx/bad");
    LP_CHECK(seen >= 17, "only %zu broken models", seen);
    seen = check_broken("fixtures/onnx_ml/bad");
    LP_CHECK(seen >= 8, "only %zu broken ai.onnx.ml models", seen);
    seen = check_broken("fixtures/onnx/bad_text");   /* gen_text_torch.py */
    LP_CHECK(seen >= 1, "only %zu broken text models", seen);
}

/* Each <dir>/<name>.onnx of <dir>/expected.json is refused with its status
 * and message; returns how many there were. */
static size_t check_broken(const char *dir)
{
    size_t len;
    char where[256];
    snprintf(where, sizeof where, "%s/expected.json", dir);
    char *text = (char *)lp_test_read_file(where, &len);
    cJSON *expect = text ? cJSON_Parse(text) : NULL;
    if (!LP_CHECK(expect != NULL, "%s missing", where)) {
        free(text);
        return 0;
    }
    size_t seen = 0;
    for (const cJSON *c = expect->child; c; c = c->next, seen++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s.onnx", dir, c->string);
        lp_error err;
        lp_status s;
        lp_model *m = load_onnx(path, &err, &s);
        const char *want = cJSON_GetObjectItem(c, "status")->valuestring;
        LP_CHECK(strcmp(lp_status_code(s), want) == 0, "%s: status %s, want %s (%s)", c->string, lp_status_code(s),
                 want, err.message);
        LP_CHECK(strstr(err.message, cJSON_GetObjectItem(c, "message")->valuestring) != NULL,
                 "%s: message \"%s\" lacks \"%s\"", c->string, err.message,
                 cJSON_GetObjectItem(c, "message")->valuestring);
        LP_CHECK(m == NULL, "%s: a model came back with the error", c->string);
        lp_model_destroy(m);
    }
    cJSON_Delete(expect);
    free(text);
    return seen;
}

/* fixtures/onnx_ml/ (gen_onnx_ml.py): TreeEnsemble of ai.onnx.ml opset 5 and
 * double thresholds; (gen_onnx_pipelines.py) encoders and column plumbing.  Double inputs are compared exactly, so the cells go in
 * as doubles (and as text); a float matrix would round them first. */
static const char *const ml_cases[] = {
    "classifier_double_thresholds", "regressor_double_thresholds", "v5_binary_logistic", "v5_regressor_average",
    "v5_rf_member_double", "v5_rf_member_float", "v5_softmax_average",
    /* gen_onnx_pipelines.py: scikit-learn pipelines in skl2onnx's form */
    "skl_columns_binarizer_binary", "skl_imputer_scaler_logreg", "skl_onehot_strict_binary",
    "skl_ordinal_labelencoder", "skl_scaler_onehot_logreg",
    /* tree ensembles on the features encoders compute (lp__onnx_feature_graph) */
    "skl_onehot_rf_multiclass", "skl_scaler_onehot_gb_binary", "skl_scaler_onehot_gb_multiclass",
    "skl_scaler_onehot_dt_binary",
    /* "" and "NA" cells in a string column are those strings */
    "skl_onehot_empty_na_strings",
    /* StandardScaler + MLPClassifier (MatMul, Add, Relu/Tanh, Softmax or Sigmoid → [1 - p, p]) */
    "skl_scaler_mlp_binary", "skl_scaler_mlp_multiclass",
    /* gen_onnx_rest.py: tree regressors as graph operators (MIN, MAX, 3 targets into a Softmax), the variadic
     * Max / Min / Sum / Mean, an int64 OneHotEncoder with zeros = 0 */
    "trees_regressor_min_2t", "trees_regressor_max_1t", "trees_v5_max_3t", "trees_multitarget_softmax",
    "trees_two_regressors_add", "dense_variadic", "onehot_int64_strict", "dense_relu_nan",
    /* gen_onnx_mapcast.py: map inputs bound to columns (DictVectorizer, CastMap; expected = scikit-learn's) and
     * Cast to strings (skl2onnx's OrdinalEncoder over int64 + string inputs, onnxmltools' VectorIndexer) */
    "skl_dictvectorizer_logreg", "skl_dictvectorizer_rf", "skl_dictvectorizer_int_keys_binary", "castmap_sparse_logreg",
    /* map(string, int64) and map(string, double): the DictVectorizer's tensor of that type into a LinearClassifier */
    "skl_dictvectorizer_int64_values", "skl_dictvectorizer_double_values",
    "skl_ordinal_int64_cast_string", "sparkml_vectorindexer_cast_string",
    /* string inputs only cast to numbers: cells read as std::stod / std::stoll read them */
    "text_numbers_cast", "text_numbers_cast_tree",
    /* an int64 input only cast to float, its cells beyond 2^24 (epoch seconds): trees, and Scaler + LR */
    "int64_beyond_2_24_cast_float", "int64_beyond_2_24_scaler_logreg",
    /* Equal (opset 19) of a string input and a string initializer, and the same string as a Constant node */
    "string_equal_constant", "string_equal_constant_node",
    /* gen_onnx_double.py: LogisticRegression with a double input (MatMul, Add, Sigmoid + L1 norm or Softmax in
     * double), its probabilities a double output; class names from ArgMax's ArrayFeatureExtractor */
    "skl_logreg_double_binary", "skl_logreg_double_multiclass",
    /* gen_onnx_gather_label.py: opset-5 TreeEnsemble classifiers (a forest's fractions; boosting's Add, Sigmoid,
     * [1 - p, p]) with no ZipMap; class names from Gather(string or int64 constant, ArgMax) */
    "skl_rf_v5_gather_strings", "skl_gb_v5_gather_int64_binary",
    /* gen_onnx_argmax_axis0.py: the same label branches with ArgMax over axis 0 (the rows) are no label: the
     * columns keep the names 0..K-1 (expected.csv's header), the probabilities are the model's */
    "skl_rf_v5_gather_argmax_axis0", "skl_logreg_double_argmax_axis0",
    /* gen_onnx_int_trees.py: int64 and int32 inputs straight into a TreeEnsembleClassifier (compared as float,
     * as onnxruntime compares them, rows on and around the thresholds beyond 2^24); bool inputs Cast to float */
    "int64_trees_classifier", "int32_trees_classifier", "bool_cast_trees",
    /* a StandardScaler's Scaler reading an int64 input straight (skl2onnx's form), then LogisticRegression */
    "int64_scaler_logreg",
    /* gen_onnx_int_prep.py: SimpleImputer on an int64 input (Imputer with imputed_value_int64s, int64 out) +
     * StandardScaler + LogisticRegression; Normalizer reading int64 (L2), int32 (L1) and double (MAX) rows */
    "int64_imputer_scaler_logreg", "int64_normalizer_l2_logreg", "int32_normalizer_l1_logreg",
    "double_normalizer_max_logreg",
    /* the same Imputer + Scaler on integers beyond 2^24: its output is read only as float */
    "int64_imputer_scaler_wide",
    /* gen_onnx_onehot_infrequent.py: OneHotEncoder(min_frequency, handle_unknown='infrequent_if_exist') as
     * skl2onnx writes it: frequent then infrequent categories, Split, ReduceSum of the infrequent ones, Concat */
    "skl_onehot_infrequent_logreg",
    /* gen_onnx_scores.py: torch outputs that are not probabilities, made probabilities (LogSoftmax, logits:
     * softmax; Sigmoid: [1 - p, p] or independent labels; one logit: a regression), and (logits, probabilities)
     * outputs read from the Softmax's (torch_logits_multilabel's manifest: tests/js) */
    "torch_logsoftmax_binary", "torch_logits_multiclass", "torch_logit_one", "torch_sigmoid_binary",
    "torch_sigmoid_multilabel", "torch_logits_and_probs", "torch_logits_and_hidden", "torch_logits_temperature",
    "torch_log_of_softmax", "sigmoid_partial_nan",
    /* LinearSVC in skl2onnx's form: decision values, written as 0/1 for the class they decide */
    "skl_linearsvc_multiclass", "skl_linearsvc_binary",
    /* gen_onnx_activations.py: Elu, Selu, Celu, HardSigmoid, HardSwish, PRelu as torch exports them */
    "torch_activations",
};

/* A category a handle_unknown='error' OneHotEncoder does not list fails the
 * run (onnxruntime fails too), with no output; the same model takes known ones. */
LP_TEST(strict_one_hot_refuses_unknown_category)
{
    lp_error err;
    lp_status s;
    lp_model *m = load_onnx("fixtures/onnx_ml/skl_onehot_strict_binary/model.onnx", &err, &s);
    if (!LP_CHECK(s == LP_OK, "load: %s", err.message)) return;
    static const char *const good = "age,income,color,size\n0.5,1,red,S\n", *const bad = "age,income,color,size\n0.5,1,teal,S\n";
    for (int k = 0; k < 2; k++) {
        lp_test_csv csv;
        const char *text = k ? bad : good;
        LP_CHECK(lp_test_csv_parse(text, strlen(text), &csv), "csv");
        lp_test_table t;
        lp_test_table_from_csv(&csv, LP_COL_STR, &t);
        float proba[2] = {-1, -1};
        s = lp_model_predict_table(m, &t.table, NULL, proba, NULL, &err);
        if (k == 0) LP_CHECK(s == LP_OK && proba[0] + proba[1] > 0.99f, "known categories: %s", err.message);
        else
            LP_CHECK(s == LP_ERR_BAD_NUMBER && strstr(err.message, "\"color\"") && strstr(err.message, "does not list"),
                     "unknown category: %s %s", lp_status_code(s), err.message);
        lp_test_table_free(&t);
        lp_test_csv_free(&csv);
    }
    lp_model_destroy(m);
}

/* handle_unknown='infrequent_if_exist' is written with zeros = 0: a category
 * the encoder does not list (scikit-learn would count it as infrequent) fails
 * the run, as in onnxruntime; an infrequent one it lists is taken. */
static lp_status predict_text(lp_model *m, const char *text, float *proba, lp_error *err);

LP_TEST(infrequent_one_hot_refuses_unknown_category)
{
    lp_error err;
    lp_status s;
    lp_model *m = load_onnx("fixtures/onnx_ml/skl_onehot_infrequent_logreg/model.onnx", &err, &s);
    if (!LP_CHECK(s == LP_OK, "load: %s", err.message)) return;
    float proba[3 * 2];
    LP_CHECK_STATUS(predict_text(m, "color,age,size,income\nviolet,0.5,XL,1\nteal,0,S,0\n", proba, &err), LP_OK, &err);
    s = predict_text(m, "color,age,size,income\nred,0.5,S,1\nmauve,0,S,0\n", proba, &err);
    LP_CHECK(s == LP_ERR_BAD_NUMBER && strstr(err.message, "does not list") && strstr(err.message, "row 2") &&
                 strcmp(err.column, "color") == 0,
             "%s: %s (column %s)", lp_status_code(s), err.message, err.column);
    lp_model_destroy(m);
}

/* The same rule on an int64 column (gen_onnx_rest.py, onehot_int64_strict):
 * the encoder itself fails the run, naming the node and the row. */
LP_TEST(strict_int64_one_hot_fails_the_run)
{
    lp_error err;
    lp_status s;
    lp_model *m = load_onnx("fixtures/onnx_ml/onehot_int64_strict/model.onnx", &err, &s);
    if (!LP_CHECK(s == LP_OK, "load: %s", err.message)) return;
    static const char *const text = "code,x\n1,0.5\n5,1\n3,0.25\n";
    lp_test_csv csv;
    LP_CHECK(lp_test_csv_parse(text, strlen(text), &csv), "csv");
    lp_test_table t;
    lp_test_table_from_csv(&csv, LP_COL_F64, &t);
    float proba[3 * 4];
    s = lp_model_predict_table(m, &t.table, NULL, proba, NULL, &err);
    LP_CHECK(s == LP_ERR_UNKNOWN_CATEGORY && strstr(err.message, "row 3: ONNX node \"onehot\" (OneHotEncoder): 3 is "
                                                    "not among its categories"),
             "%s: %s", lp_status_code(s), err.message);
    lp_test_table_free(&t);
    lp_test_csv_free(&csv);
    lp_model_destroy(m);
}

/* Predicts the CSV text with m (cells as text); returns the status. */
static lp_status predict_text(lp_model *m, const char *text, float *proba, lp_error *err)
{
    lp_test_csv csv;
    LP_CHECK(lp_test_csv_parse(text, strlen(text), &csv), "csv");
    lp_test_table t;
    lp_test_table_from_csv(&csv, LP_COL_STR, &t);
    lp_status s = lp_model_predict_table(m, &t.table, NULL, proba, NULL, err);
    lp_test_table_free(&t);
    lp_test_csv_free(&csv);
    return s;
}

/* Cast string → float reads the text as onnxruntime's std::stod does: a
 * string that is no number fails the run, naming the node and the row
 * (gen_onnx_mapcast.py: LabelEncoder maps "c" to "n/a", then Cast). */
LP_TEST(cast_string_to_float_fails_on_text)
{
    lp_error err;
    lp_status s;
    lp_model *m = load_onnx("fixtures/onnx_ml/run_errors/cast_string_not_a_number.onnx", &err, &s);
    if (!LP_CHECK(s == LP_OK, "load: %s", err.message)) return;
    float proba[2 * 4];
    /* "1.5", "-2e1" and the default "0" are numbers: row 1's features [1.5, 1] score
     * [0.75 - 1 + 0.1, -0.75 + 1 - 0.1] = [-0.15, 0.15], softmax p1 = 1 / (1 + e^-0.3) */
    s = predict_text(m, "code,x\na,1\nb,0\nzz,2\n", proba, &err);
    if (LP_CHECK(s == LP_OK, "numbers: %s", err.message))
        LP_CHECK(fabs(proba[1] - 1 / (1 + exp(-0.3))) < 1e-6, "row 1: %g", proba[1]);
    s = predict_text(m, "code,x\na,1\nb,0\nc,2\n", proba, &err);
    LP_CHECK(s == LP_ERR_BAD_NUMBER && strstr(err.message, "row 3: ONNX node \"CastToFloat\" (Cast): casts \"n/a\" "
                                              "to float: not a number"),
             "%s: %s", lp_status_code(s), err.message);
    lp_model_destroy(m);
}

/* A text column the model only casts to numbers: a cell onnxruntime's
 * std::stod cannot read (empty, a word) is a bad cell, named; "nan" is NaN. */
LP_TEST(text_column_cast_to_numbers_refuses_words)
{
    lp_error err;
    lp_status s;
    lp_model *m = load_onnx("fixtures/onnx_ml/text_numbers_cast/model.onnx", &err, &s);
    if (!LP_CHECK(s == LP_OK, "load: %s", err.message)) return;
    float proba[3 * 3];
    LP_CHECK_STATUS(predict_text(m, "amount,level\n 1e1,2\n-3.5x,+1\n", proba, &err), LP_OK, &err);
    static const char *const bad[] = {"amount,level\n1,2\n,3\n", "amount,level\n1,2\nabc,3\n", "amount,level\n1,2\n4,x1\n"};
    for (int k = 0; k < 3; k++) {
        s = predict_text(m, bad[k], proba, &err);
        LP_CHECK(s == LP_ERR_BAD_NUMBER && strstr(err.message, "row 2") && strstr(err.message, "onnxruntime fails") &&
                     strcmp(err.column, k < 2 ? "amount" : "level") == 0,
                 "case %d: %s: %s (column %s)", k, lp_status_code(s), err.message, err.column);
    }
    lp_model_destroy(m);
}

/* A DictVectorizer's columns take numbers: a word is a bad cell, named; a
 * key's column may be absent, not all of them. */
LP_TEST(dict_vectorizer_column_takes_numbers)
{
    lp_error err;
    lp_status s;
    lp_model *m = load_onnx("fixtures/onnx_ml/skl_dictvectorizer_logreg/model.onnx", &err, &s);
    if (!LP_CHECK(s == LP_OK, "load: %s", err.message)) return;
    LP_CHECK_STR(lp_model_feature_name(m, 2), "score");
    float proba[3 * 2];
    s = predict_text(m, "age,height,score,visits,weight\n1,,,4,5\n1,2,abc,4,5\n", proba, &err);
    LP_CHECK(s == LP_ERR_BAD_NUMBER && strstr(err.message, "row 2") && strstr(err.message, "abc") &&
                 strcmp(err.column, "score") == 0,
             "%s: %s (column %s)", lp_status_code(s), err.message, err.column);
    /* a key no column names is absent from every row's map; with none of them, the CSV is not for this model */
    LP_CHECK_STATUS(predict_text(m, "age,height,score,visits\n1,2,3,4\n", proba, &err), LP_OK, &err);
    s = predict_text(m, "id,name\n1,x\n", proba, &err);
    LP_CHECK(s == LP_ERR_MISSING_COLUMN && strstr(err.message, "5 columns") && strstr(err.message, "\"weight\"") &&
                 strstr(err.message, "\"age\""),
             "%s: %s", lp_status_code(s), err.message);
    lp_model_destroy(m);
}

/* A map(string, int64)'s columns take integers: 2.5 is refused, and so is
 * 16777217, which float32 would carry as 16777216; the values below 2^24 are
 * the integers written. */
LP_TEST(int64_map_values_are_integers_below_2_24)
{
    lp_error err;
    lp_status s;
    lp_model *m = load_onnx("fixtures/onnx_ml/skl_dictvectorizer_int64_values/model.onnx", &err, &s);
    if (!LP_CHECK(s == LP_OK, "load: %s", err.message)) return;
    float proba[2 * 3];
    static const char *const bad[][2] = {{"2.5", "not 2.5"}, {"16777217", "2^24"}, {"-16777216", "2^24"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char csv[200];
        snprintf(csv, sizeof csv, "carts,clicks,returns,reviews,views\n1,2,0,1,14\n1,2,0,1,%s\n", bad[i][0]);
        s = predict_text(m, csv, proba, &err);
        LP_CHECK(s == LP_ERR_BAD_NUMBER && strstr(err.message, "row 2") && strstr(err.message, "int64") &&
                     strstr(err.message, bad[i][1]) && strcmp(err.column, "views") == 0,
                 "%s: %s: %s (column %s)", bad[i][0], lp_status_code(s), err.message, err.column);
    }
    LP_CHECK_STATUS(predict_text(m, "carts,clicks,returns,reviews,views\n1,2,0,1,16777215\n", proba, &err), LP_OK,
                    &err);
    lp_model_destroy(m);
}

/* An integer input that a reader needs exact (here a OneHotEncoder's int64
 * categories) refuses a cell of 2^24 or more, which float32 would carry as
 * another integer; one only ever cast to float takes it, rounded as
 * onnxruntime's Cast rounds it (the fixture int64_beyond_2_24_scaler_logreg). */
LP_TEST(int64_input_beyond_2_24_refused_only_where_exact)
{
    lp_error err;
    lp_status s;
    float proba[2 * 3];
    lp_model *m = load_onnx("fixtures/onnx_ml/onehot_int64_strict/model.onnx", &err, &s);
    if (!LP_CHECK(s == LP_OK, "load: %s", err.message)) return;
    s = predict_text(m, "code,x\n2,0.5\n16777218,1\n", proba, &err);
    LP_CHECK(s == LP_ERR_BAD_NUMBER && strstr(err.message, "row 2") && strstr(err.message, "2^24") &&
                 strcmp(err.column, "code") == 0,
             "%s: %s (column %s)", lp_status_code(s), err.message, err.column);
    lp_model_destroy(m);
    m = load_onnx("fixtures/onnx_ml/int64_beyond_2_24_scaler_logreg/model.onnx", &err, &s);
    if (!LP_CHECK(s == LP_OK, "load: %s", err.message)) return;
    LP_CHECK_STATUS(predict_text(m, "seconds,x\n1700000001,0.5\n-9000000000000000000,1\n", proba, &err), LP_OK,
                    &err);
    s = predict_text(m, "seconds,x\n1700000001,0.5\n1.5,1\n", proba, &err);
    LP_CHECK(s == LP_ERR_BAD_NUMBER && strstr(err.message, "not 1.5") && strcmp(err.column, "seconds") == 0,
             "%s: %s (column %s)", lp_status_code(s), err.message, err.column);
    lp_model_destroy(m);
}

/* A tree ensemble fed by a Cast of an int64 input (Cast, Concat, trees:
 * nothing but plumbing) reads its cells by the same rules as the graph: any
 * integer (the Cast rounds it to float), never 1.5, an empty cell or text;
 * the error names the row and the column, and the matrix path agrees. */
LP_TEST(int64_input_into_trees_takes_integers_only)
{
    lp_error err;
    lp_status s;
    float proba[2 * 3];
    lp_model *m = load_onnx("fixtures/onnx_ml/int64_beyond_2_24_cast_float/model.onnx", &err, &s);
    if (!LP_CHECK(s == LP_OK, "load: %s", err.message)) return;
    LP_CHECK_STATUS(predict_text(m, "seconds,x\n1700000001,0.5\n-9000000000000000000,1\n", proba, &err), LP_OK,
                    &err);
    static const char *const bad[][2] = {{"1.5", "takes int64 values, not 1.5"},
                                         {"", "takes int64 values, and the cell is empty or missing"},
                                         {"NA", "takes int64 values, and the cell is empty or missing"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char csv[200];
        snprintf(csv, sizeof csv, "seconds,x\n1700000001,0.5\n%s,1\n", bad[i][0]);
        s = predict_text(m, csv, proba, &err);
        LP_CHECK(s == LP_ERR_BAD_NUMBER && strstr(err.message, "row 2") && strstr(err.message, "\"seconds\"") &&
                     strstr(err.message, bad[i][1]) && strcmp(err.column, "seconds") == 0,
                 "\"%s\": %s: %s (column %s)", bad[i][0], lp_status_code(s), err.message, err.column);
    }
    const float x[] = {1700000001.0f, 0.5f, 2.5f, 1.0f};
    s = lp_model_predict_matrix(m, x, 2, 2, NULL, proba, NULL, &err);
    LP_CHECK(s == LP_ERR_BAD_NUMBER && strstr(err.message, "not 2.5"), "matrix: %s: %s", lp_status_code(s),
             err.message);
    lp_model_destroy(m);
}

/* An int64 or int32 input straight into a TreeEnsembleClassifier (no
 * Cast; gen_onnx_int_trees.py): the same cell rules as through a Cast.
 * Integers up to the type's extremes are taken (2^31 - 1 arrives as 2^31
 * in float32, as onnxruntime turns it into float), a 1.5, an empty cell, NA
 * or a number beyond the type is refused naming the row and the column. */
LP_TEST(int_inputs_straight_into_trees_take_integers_only)
{
    static const struct {
        const char *model, *good, *bad_row, *column, *dtype;
    } cases[] = {
        {"fixtures/onnx_ml/int64_trees_classifier/model.onnx",
         "seconds,count,delta\n1700000001,3,-4\n9223372036854775807,1,2\n-9223372036854775808,0,0\n",
         "seconds,count,delta\n1700000001,3,-4\n%s,1,2\n", "seconds", "int64"},
        {"fixtures/onnx_ml/int32_trees_classifier/model.onnx", "size,items\n5,3\n2147483647,1\n-2147483648,0\n",
         "size,items\n5,3\n%s,1\n", "size", "int32"},
    };
    static const char *const bad[][2] = {{"1.5", "values, not 1.5"},
                                         {"", "values, and the cell is empty or missing"},
                                         {"NA", "values, and the cell is empty or missing"}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        lp_error err;
        lp_status s;
        float proba[3 * 3];
        lp_model *m = load_onnx(cases[k].model, &err, &s);
        if (!LP_CHECK(s == LP_OK, "%s: load: %s", cases[k].model, err.message)) continue;
        LP_CHECK_STATUS(predict_text(m, cases[k].good, proba, &err), LP_OK, &err);
        for (size_t i = 0; i < sizeof bad / sizeof *bad + 1; i++) {
            /* last: beyond the type (int32), or where no int64 reaches (float32 steps by 2^40 there) */
            const char *cell = i < sizeof bad / sizeof *bad ? bad[i][0] : k ? "2147483904" : "9.3e18";
            char csv[200], want[80];
            snprintf(csv, sizeof csv, cases[k].bad_row, cell);
            snprintf(want, sizeof want, "takes %s %s", cases[k].dtype,
                     i < sizeof bad / sizeof *bad ? bad[i][1] : k ? "values, not 2.14748e+09" : "values, not 9.3e+18");
            s = predict_text(m, csv, proba, &err);
            LP_CHECK(s == LP_ERR_BAD_NUMBER && strstr(err.message, "row 2") && strstr(err.message, "ONNX input \"X\"") &&
                         strstr(err.message, want) && strcmp(err.column, cases[k].column) == 0,
                     "%s \"%s\": %s: %s (column %s)", cases[k].dtype, cell, lp_status_code(s), err.message,
                     err.column);
        }
        lp_model_destroy(m);
    }
}

/* Cells travel as float32, exact integers below 2^24.  An int64 Imputer
 * compares each cell with replaced_value_int64: a value below 2^24 (skl2onnx's
 * -1) is equal to a rounded cell only when equal to the cell, so an Imputer
 * read only by a Scaler (which turns its output into float, as onnxruntime
 * does) takes any int64; with replaced_value_int64 = 2^24 + 1 it takes
 * integers below 2^24 only.  A Normalizer turns its rows into float, so its
 * int64 input takes any int64 (gen_onnx_int_prep.py's fixtures). */
LP_TEST(int64_cells_beyond_2_24_through_imputer_and_normalizer)
{
    lp_error err;
    lp_status s;
    float proba[2 * 3];
    lp_model *m = load_onnx("fixtures/onnx_ml/int64_imputer_scaler_logreg/model.onnx", &err, &s);
    if (LP_CHECK(s == LP_OK, "imputer: load: %s", err.message))
        LP_CHECK_STATUS(predict_text(m, "age,visits,level\n-1,16777217,9223372036854775807\n", proba, &err), LP_OK,
                        &err);
    lp_model_destroy(m);
    m = load_onnx("fixtures/onnx_ml/int64_imputer_scaler_wide/replaced_beyond_2_24.onnx", &err, &s);
    if (LP_CHECK(s == LP_OK, "imputer replacing 2^24 + 1: load: %s", err.message)) {
        LP_CHECK_STATUS(predict_text(m, "a,b,c\n-1,3,16777215\n", proba, &err), LP_OK, &err);
        s = predict_text(m, "a,b,c\n-1,3,2\n40,16777216,1\n", proba, &err);
        LP_CHECK(s == LP_ERR_BAD_NUMBER && strstr(err.message, "row 2") && strstr(err.message, "2^24") &&
                     strcmp(err.column, "b") == 0,
                 "%s: %s (column %s)", lp_status_code(s), err.message, err.column);
    }
    lp_model_destroy(m);
    m = load_onnx("fixtures/onnx_ml/int64_normalizer_l2_logreg/model.onnx", &err, &s);
    if (LP_CHECK(s == LP_OK, "normalizer: load: %s", err.message))
        LP_CHECK_STATUS(predict_text(m, "c0,c1,c2\n9223372036854775807,16777217,-9223372036854775808\n", proba, &err),
                        LP_OK, &err);
    lp_model_destroy(m);
}

/* Equal takes strings from opset 19 on (onnxruntime refuses the model
 * below), and compares a string with a constant one here. */
LP_TEST(string_equal_refusals)
{
    static const char *const cases[][3] = {
        {"fixtures/onnx_ml/refused/string_equal_opset17.onnx", "BAD_MODEL", "from opset 19 on (the model imports opset 17)"},
        {"fixtures/onnx_ml/refused/string_equal_two_inputs.onnx", "UNSUPPORTED", "compares two computed strings"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lp_error err;
        lp_status s;
        lp_model *m = load_onnx(cases[i][0], &err, &s);
        LP_CHECK(!m && strcmp(lp_status_code(s), cases[i][1]) == 0 && strstr(err.message, "ONNX node \"Equal\"") &&
                     strstr(err.message, cases[i][2]),
                 "%s: %s: %s", cases[i][0], lp_status_code(s), err.message);
        lp_model_destroy(m);
    }
}

static void predict_table_kind(lp_model *m, const lp_test_csv *input, lp_col_type type, float *out)
{
    lp_test_table t;
    lp_error err;
    lp_test_table_from_csv(input, type, &t);
    LP_CHECK_STATUS(lp_model_predict_table(m, &t.table, NULL, out, NULL, &err), LP_OK, &err);
    lp_test_table_free(&t);
}

LP_TEST(ml_fixtures_match_onnxruntime)
{
    for (size_t i = 0; i < sizeof ml_cases / sizeof *ml_cases; i++) {
        const char *name = ml_cases[i];
        char path[256];
        lp_error err;
        lp_status s;
        snprintf(path, sizeof path, "fixtures/onnx_ml/%s/model.onnx", name);
        lp_model *m = load_onnx(path, &err, &s);
        if (!LP_CHECK(s == LP_OK, "%s: load: %s: %s", name, lp_status_code(s), err.message)) continue;
        lp_test_csv input, expected;
        snprintf(path, sizeof path, "fixtures/onnx_ml/%s", name);
        int ok = lp_test_read_case_csvs(path, &input, &expected);
        size_t n = ok ? input.n_rows : 0, k_n = lp_model_n_outputs(m);
        ok = ok && LP_CHECK(expected.n_cols == k_n && expected.n_rows == n, "%s: expected.csv is %zu x %zu", name,
                            expected.n_rows, expected.n_cols);
        float *f64 = calloc(n * k_n + 1, sizeof *f64), *text = calloc(n * k_n + 1, sizeof *text);
        float *blob_out = calloc(n * k_n + 1, sizeof *blob_out);
        if (ok) {
            for (size_t k = 0; k < k_n; k++) LP_CHECK_STR(lp_model_output_name(m, k), expected.names[k]);
            /* String columns (meta.json string_cells) come in as text only. */
            snprintf(path, sizeof path, "fixtures/onnx_ml/%s/meta.json", name);
            size_t meta_len;
            char *meta = (char *)lp_test_read_file(path, &meta_len);
            int text_only = meta && strstr(meta, "\"string_cells\": true") != NULL;
            free(meta);
            predict_table_kind(m, &input, LP_COL_STR, text);
            if (text_only) memcpy(f64, text, n * k_n * sizeof *f64);
            else predict_table_kind(m, &input, LP_COL_F64, f64);
            LP_CHECK_MEM(text, f64, n * k_n * sizeof *f64);
            int bad = 0;
            for (size_t j = 0; j < n * k_n && bad < 5; j++) {
                double want = strtod(expected.cells[j], NULL);
                if (isnan(want) ? !isnan(f64[j]) : !(fabs(f64[j] - want) <= LP_TEST_PROBA_TOL * fmax(1.0, fabs(want))))
                    bad++, LP_CHECK(0, "%s: row %zu, output %s: got %.9g, onnxruntime %.9g", name, j / k_n + 1,
                                    expected.names[j % k_n], f64[j], want);
            }
            /* The blob a worker receives (it carries the rank preparation). */
            const uint8_t *blob;
            size_t blob_len;
            lp_model *copy = NULL;
            if (LP_CHECK_STATUS(lp_model_serialize(m, &blob, &blob_len, &err), LP_OK, &err) &&
                LP_CHECK_STATUS(lp_model_load(blob, blob_len, NULL, &copy, &err), LP_OK, &err)) {
                predict_table_kind(copy, &input, text_only ? LP_COL_STR : LP_COL_F64, blob_out);
                LP_CHECK_MEM(blob_out, f64, n * k_n * sizeof *f64);
            }
            lp_model_destroy(copy);
        }
        free(f64);
        free(text);
        free(blob_out);
        lp_test_csv_free(&expected);
        lp_test_csv_free(&input);
        lp_model_destroy(m);
    }
}

/* The typed entry point: token ids fed as an int64 [N, 4] tensor (as a
 * tokenizer does), against onnxruntime's outputs; a feed of the wrong dtype
 * is refused naming the input. */
LP_TEST(typed_feeds_int64_token_ids)
{
    size_t len = 0;
    uint8_t *bytes = lp_test_read_file("fixtures/onnx/token_ids_int64/model.onnx", &len);
    lp_test_csv input, expected;
    int ok = LP_CHECK(bytes != NULL, "model missing");
    ok = LP_CHECK(lp_test_read_csv("fixtures/onnx/token_ids_int64/input.csv", &input), "no input.csv") && ok;
    ok = LP_CHECK(lp_test_read_csv("fixtures/onnx/token_ids_int64/expected.csv", &expected), "no expected.csv") && ok;
    lp__onnx_model om;
    lp__graph *g = NULL;
    lp_error err;
    if (ok && LP_CHECK_STATUS(lp__onnx_decode(bytes, len, &om, &err), LP_OK, &err) &&
        LP_CHECK_STATUS(lp__graph_build(&om, &g, &err), LP_OK, &err) &&
        LP_CHECK(g->n_inputs == 1 && g->inputs[0].dtype == LP_ONNX_INT64 && g->inputs[0].width == 4,
                 "one int64 input of 4 per row")) {
        size_t n = input.n_rows, k = expected.n_cols;
        int64_t *ids = calloc(n * 4, sizeof *ids);
        float *scores = calloc(n * k, sizeof *scores);
        for (size_t i = 0; i < n * 4; i++) ids[i] = strtoll(input.cells[i], NULL, 10);
        lp__graph_feed feed = {LP_ONNX_INT64, ids};
        if (LP_CHECK_STATUS(lp__graph_run_feeds(g, &feed, n, scores, &err), LP_OK, &err))
            for (size_t i = 0; i < n * k; i++) {
                double want = strtod(expected.cells[i], NULL);
                LP_CHECK(fabs(scores[i] - want) <= 1e-6, "row %zu class %zu: %.9g, onnxruntime %.9g", i / k, i % k,
                         scores[i], want);
            }
        lp__graph_feed wrong = {LP_ONNX_FLOAT, scores};
        LP_CHECK(lp__graph_run_feeds(g, &wrong, n, scores, &err) == LP_ERR_USAGE &&
                     strstr(err.message, "\"ids\" takes int64 values, float given"), "%s", err.message);
        free(ids);
        free(scores);
    }
    lp__graph_free(g);
    if (ok) {
        lp_test_csv_free(&input);
        lp_test_csv_free(&expected);
    }
    free(bytes);
}

/* The graph of fixtures/text_model/gather_small (tokens int64 [N, 4] ->
 * Gather(table [10, 3]) -> ReduceMean -> Softmax), or NULL with the failure
 * checked; *bytes is the file the graph was decoded from, freed after it. */
static lp__graph *build_gather_small(uint8_t **bytes)
{
    size_t len = 0;
    *bytes = lp_test_read_file("fixtures/text_model/gather_small/model.onnx", &len);
    lp__onnx_model om;
    lp__graph *g = NULL;
    lp_error err;
    if (!LP_CHECK(*bytes != NULL, "model missing") ||
        !LP_CHECK_STATUS(lp__onnx_decode(*bytes, len, &om, &err), LP_OK, &err) ||
        !LP_CHECK_STATUS(lp__graph_build(&om, &g, &err), LP_OK, &err)) {
        free(*bytes);
        *bytes = NULL;
        return NULL;
    }
    return g;
}

/* A computed Gather index outside the table fails the run with an error
 * naming the node and the row (it gave zeros before), natively as in
 * onnxruntime; in range, negative ones count from the end.  The model:
 * tokens int64 [N, 4] -> Gather(table [10, 3]) -> ReduceMean -> Softmax. */
LP_TEST(gather_index_out_of_range_fails_the_run)
{
    uint8_t *bytes = NULL;
    lp__graph *g = build_gather_small(&bytes);
    if (!g) return;
    lp_error err;
    float scores[3 * 3];
    int64_t good[3 * 4] = {0, 1, 2, 3, 9, -1, -10, 4, 5, 5, 5, 5};
    lp__graph_feed feed = {LP_ONNX_INT64, good};
    LP_CHECK_STATUS(lp__graph_run_feeds(g, &feed, 3, scores, &err), LP_OK, &err);
    static const int64_t bad_ids[] = {10, -11, 1000000};
    for (size_t k = 0; k < sizeof bad_ids / sizeof *bad_ids; k++) {
        int64_t ids[3 * 4] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1};
        ids[4 + k] = bad_ids[k];   /* row 2 */
        feed.data = ids;
        lp_status s = lp__graph_run_feeds(g, &feed, 3, scores, &err);
        char want[64];
        snprintf(want, sizeof want, "index %lld, computed from the row,", (long long)bad_ids[k]);
        LP_CHECK(s == LP_ERR_BAD_NUMBER && err.line == 2 && err.column_index == -1 && strstr(err.message, want) &&
                     strstr(err.message, "ONNX node computing \"emb\" (Gather)") && strstr(err.message, "dimension 0's 10 values"),
                 "id %lld: %s line %lld: %s", (long long)bad_ids[k], lp_status_code(s), (long long)err.line,
                 err.message);
    }
    lp__graph_free(g);
    free(bytes);
}

/* A graph runs a batch in chunks of rows (lp__graph_chunk_rows), which is
 * right only because every operator treats rows independently: one that
 * would mix them is refused at build (fixtures/onnx/bad, checked by
 * broken_models_are_refused: reduce_over_rows, slice_rows,
 * softmax_over_rows, concat_rows, reshape_merging_rows, matmul_over_rows).  The fixtures' 80 rows fit in one default chunk, so here chunk
 * boundaries are put everywhere: every chunk size (1, the 4-row blocks of
 * the dense kernel and their 1-3 row tails, sizes that leave a tail, one
 * row short of the batch ...) gives onnxruntime's outputs, and the same bits
 * as the unchunked batch (each row's arithmetic does not depend on which
 * rows share its chunk). */
LP_TEST(chunked_runs_match_onnxruntime_at_every_boundary)
{
    static const size_t chunks[] = {1, 2, 3, 4, 5, 7, 8, 13, 64, 79};
    size_t graphs = 0;
    for (size_t i = 0; i < lp_test_n_onnx_cases; i++) {
        const char *name = lp_test_onnx_cases[i];
        char path[256];
        lp_error err;
        lp_status s;
        lp_model *m = load_case(name, &err, &s);
        if (!LP_CHECK(s == LP_OK, "%s: load: %s: %s", name, lp_status_code(s), err.message)) continue;
        lp_test_csv input = {0}, expected = {0};
        snprintf(path, sizeof path, "fixtures/onnx/%s", name);
        int ok = m->graph && lp_test_read_case_csvs(path, &input, &expected);
        float *x = ok ? lp_test_matrix_for_model(m, &input) : NULL;
        if (ok && LP_CHECK(x != NULL, "%s: input lacks a feature column", name)) {
            graphs++;
            size_t n = input.n_rows, k_n = lp_model_n_outputs(m);
            LP_CHECK(lp__graph_chunk_rows(m->graph, n) == n, "%s: %zu rows already run in chunks of %zu", name, n,
                     lp__graph_chunk_rows(m->graph, n));
            float *whole = calloc(n * k_n + 1, sizeof *whole), *chunked = calloc(n * k_n + 1, sizeof *chunked);
            LP_CHECK_STATUS(lp_model_predict_matrix(m, x, n, lp_model_n_features(m), NULL, whole, NULL, &err), LP_OK,
                            &err);
            for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
                m->graph->chunk_rows = chunks[c];
                LP_CHECK(lp__graph_chunk_rows(m->graph, n) == (chunks[c] < n ? chunks[c] : n) &&
                             lp__graph_chunk_rows(m->graph, 1) == 1,
                         "%s: chunk of %zu", name, chunks[c]);
                lp_test_check_expected(name, m, &input, &expected);
                memset(chunked, 0xff, n * k_n * sizeof *chunked);
                if (LP_CHECK_STATUS(lp_model_predict_matrix(m, x, n, lp_model_n_features(m), NULL, chunked, NULL, &err),
                                    LP_OK, &err) &&
                    !LP_CHECK_MEM(chunked, whole, n * k_n * sizeof *whole))
                    fprintf(stderr, "  %s, chunks of %zu rows\n", name, chunks[c]);
            }
            m->graph->chunk_rows = 0;
            free(whole);
            free(chunked);
        }
        free(x);
        lp_test_csv_free(&input);
        lp_test_csv_free(&expected);
        lp_model_destroy(m);
    }
    LP_CHECK(graphs >= 10, "only %zu graph models", graphs);
}

/* A run failure in a later chunk names the row of the batch, not of its
 * chunk (the model of the test above). */
LP_TEST(chunked_run_failure_names_the_batch_row)
{
    uint8_t *bytes = NULL;
    lp__graph *g = build_gather_small(&bytes);
    if (!g) return;
    lp_error err;
    enum { ROWS = 9 };
    float scores[ROWS * 3];
    for (size_t chunk = 1; chunk <= ROWS; chunk++)
        for (size_t bad = 0; bad < ROWS; bad++) {
            int64_t ids[ROWS * 4];
            for (size_t i = 0; i < ROWS * 4; i++) ids[i] = (int64_t)(i % 10);
            ids[bad * 4 + 2] = 10;   /* past the table's 10 rows */
            g->chunk_rows = chunk;
            lp__graph_feed feed = {LP_ONNX_INT64, ids};
            lp_status s = lp__graph_run_feeds(g, &feed, ROWS, scores, &err);
            LP_CHECK(s == LP_ERR_BAD_NUMBER && err.line == (uint64_t)bad + 1, "chunks of %zu, bad row %zu: %s line %llu",
                     chunk, bad + 1, lp_status_code(s), (unsigned long long)err.line);
        }
    lp__graph_free(g);
    free(bytes);
}

void test_onnx(void)
{
    LP_RUN(gather_index_out_of_range_fails_the_run);
    LP_RUN(chunked_run_failure_names_the_batch_row);
    LP_RUN(chunked_runs_match_onnxruntime_at_every_boundary);
    LP_RUN(typed_feeds_int64_token_ids);
    LP_RUN(fixtures_match_onnxruntime);
    LP_RUN(info_matches_meta);
    LP_RUN(broken_models_are_refused);
    LP_RUN(ml_fixtures_match_onnxruntime);
    LP_RUN(strict_one_hot_refuses_unknown_category);
    LP_RUN(strict_int64_one_hot_fails_the_run);
    LP_RUN(infrequent_one_hot_refuses_unknown_category);
    LP_RUN(cast_string_to_float_fails_on_text);
    LP_RUN(dict_vectorizer_column_takes_numbers);
    LP_RUN(int64_map_values_are_integers_below_2_24);
    LP_RUN(string_equal_refusals);
    LP_RUN(int64_input_beyond_2_24_refused_only_where_exact);
    LP_RUN(int64_input_into_trees_takes_integers_only);
    LP_RUN(int_inputs_straight_into_trees_take_integers_only);
    LP_RUN(int64_cells_beyond_2_24_through_imputer_and_normalizer);
    LP_RUN(text_column_cast_to_numbers_refuses_words);
}
