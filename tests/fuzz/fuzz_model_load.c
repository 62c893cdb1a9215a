/* fuzz_model_load.c — the loaders added after the XGBoost JSON one (ONNX:
 * decoder, tree lowering, dense-graph builder; LightGBM text; XGBoost
 * UBJSON), through lp_model_load.  Seeds: the ONNX, LightGBM and UBJSON
 * fixtures.
 *
 * Input: model bytes.  A model that loads must predict a few fixed rows
 * (ordinary values, zeros, NaN, huge; small whole numbers where a typed input
 * refuses those with BAD_NUMBER; a strict encoder may refuse
 * them too, with UNKNOWN_CATEGORY) without fault, and its compact blob
 * (the forest, or the ONNX bytes a dense graph is rebuilt from) must load
 * and predict the same bits.
 */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "localpredict.h"

#define ROWS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lp_error err;
    lp_model *m = NULL;
    if (lp_model_load(data, size, NULL, &m, &err) != LP_OK) {
        FUZZ_CHECK(m == NULL, "a failed load returned a model");
        FUZZ_CHECK(err.message[0] != '\0', "a failed load has no message");
        return 0;
    }
    size_t f = lp_model_n_features(m), k = lp_model_n_outputs(m);
    if (f > 4096 || k > 4096) {   /* wide models: loading was the test */
        lp_model_destroy(m);
        return 0;
    }
    float *x = malloc((ROWS * f + 1) * sizeof *x), *a = malloc((ROWS * k + 1) * sizeof *a);
    float *b = malloc((ROWS * k + 1) * sizeof *b);
    FUZZ_CHECK(x && a && b, "out of memory in the harness");
    static const float fill[ROWS] = {0.5f, 0.0f, NAN, 3e38f};
    for (size_t r = 0; r < ROWS; r++)
        for (size_t j = 0; j < f; j++) x[r * f + j] = r == 0 ? (float)j * 0.25f - 1.0f : fill[r];
    lp_status s = lp_model_predict_matrix(m, x, ROWS, f, NULL, a, NULL, &err);
    if (s == LP_ERR_BAD_NUMBER || s == LP_ERR_UNKNOWN_CATEGORY) {
        /* Typed inputs (int64 token ids, category codes a OneHotEncoder must
         * know) refuse fractions, NaN and huge values by name: predict small
         * whole numbers instead, which every such input takes.  A strict
         * encoder (zeros = 0) may refuse those too, by name, as onnxruntime
         * does (tests/fixtures/run_errors/onehot). */
        for (size_t r = 0; r < ROWS; r++)
            for (size_t j = 0; j < f; j++) x[r * f + j] = (float)((r + j) % 3);
        s = lp_model_predict_matrix(m, x, ROWS, f, NULL, a, NULL, &err);
    }
    /* A model whose graph tokenizes text (TF-IDF) takes text, not numbers:
     * its refusal is by name (fuzz_predict_csv predicts such models on CSV). */
    int takes_text = s == LP_ERR_UNSUPPORTED && strstr(err.message, "a text model takes text") != NULL;
    FUZZ_CHECK(s == LP_OK || s == LP_ERR_NOMEM || s == LP_ERR_BAD_NUMBER || s == LP_ERR_UNKNOWN_CATEGORY || takes_text,
               err.message);   /* a loaded model predicts */

    const uint8_t *blob;
    size_t blob_len;
    lp_model *copy = NULL;
    FUZZ_CHECK(lp_model_serialize(m, &blob, &blob_len, &err) == LP_OK, "serialise failed");
    FUZZ_CHECK(lp_model_load(blob, blob_len, NULL, &copy, &err) == LP_OK, "a model's own blob does not load");
    FUZZ_CHECK(strcmp(lp_model_info_json(m), lp_model_info_json(copy)) == 0, "the blob changed the info");
    if (s == LP_OK && lp_model_predict_matrix(copy, x, ROWS, f, NULL, b, NULL, &err) == LP_OK)
        FUZZ_CHECK(memcmp(a, b, ROWS * k * sizeof *a) == 0, "the blob predicts other bits");
    lp_model_destroy(copy);
    lp_model_destroy(m);
    free(x);
    free(a);
    free(b);
    return 0;
}
