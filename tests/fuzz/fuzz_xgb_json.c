/* fuzz_xgb_json.c — the XGBoost JSON loader, through lp_model_load.
 *
 * Input: model bytes.  A model that loads must also survive the round trip
 * through its compact blob: serialise, load the blob, serialise again, and
 * the two blobs must be byte-identical (the blob keeps the model's identity,
 * so nothing may change), as must the info JSON.
 *
 * The loader reads JSON with a fast reader first and falls back to cJSON
 * (src/formats/xgboost_json_fast.h): both paths must agree on every input,
 * the status and message of a failure, the blob and info of a model.
 */
#include <string.h>

#include "formats/manifest.h"
#include "formats/xgboost_json.h"
#include "fuzz.h"
#include "localpredict.h"

/* A loaded model finished as lp_model_load finishes it (manifest defaults, blob, info). */
static lp_status finish(lp_model *m, lp_error *err)
{
    lp_status s = lp__manifest_apply(m, NULL, err);
    return s == LP_OK ? lp__model_finish(m, err) : s;
}

static void check_paths_agree(const uint8_t *data, size_t size)
{
    lp_model *a = NULL, *b = NULL;
    lp_error ea, eb;
    lp_status sa = lp__xgboost_json_load(data, size, &a, &ea);
    lp_status sb = lp__xgboost_json_load_cjson(data, size, &b, &eb);
    FUZZ_CHECK(sa == sb, "the fast reader and the cJSON path disagree on the status");
    if (sa == LP_OK) {   /* finishing may fail too (an embedded manifest, ...): alike */
        sa = finish(a, &ea);
        sb = finish(b, &eb);
        FUZZ_CHECK(sa == sb, "the two paths' models finish differently");
    }
    if (sa != LP_OK) {
        FUZZ_CHECK(strcmp(ea.message, eb.message) == 0, "the two paths give different messages");
    } else {
        const uint8_t *pa, *pb;
        size_t na, nb;
        lp_error err;
        FUZZ_CHECK(lp_model_serialize(a, &pa, &na, &err) == LP_OK && lp_model_serialize(b, &pb, &nb, &err) == LP_OK,
                   "serialise failed");
        FUZZ_CHECK(na == nb && memcmp(pa, pb, na) == 0, "the fast reader built another model than the cJSON path");
        FUZZ_CHECK(strcmp(lp_model_info_json(a), lp_model_info_json(b)) == 0, "the two paths describe the model differently");
    }
    lp_model_destroy(a);
    lp_model_destroy(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lp_error err;
    lp_model *m = NULL;
    size_t i = 0;
    while (i < size && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t')) i++;
    if (i < size && data[i] == '{' && !(size > 1 && data[0] == '{' && data[1] && strchr("LlIiU$#", data[1])))
        check_paths_agree(data, size);   /* JSON, as lp_model_load tells it from UBJSON */
    if (lp_model_load(data, size, NULL, &m, &err) != LP_OK) {
        FUZZ_CHECK(m == NULL, "a failed load returned a model");
        FUZZ_CHECK(err.message[0] != '\0', "a failed load has no message");
        return 0;
    }
    const uint8_t *blob;
    size_t blob_len;
    FUZZ_CHECK(lp_model_serialize(m, &blob, &blob_len, &err) == LP_OK, "serialise failed");
    lp_model *again = NULL;
    FUZZ_CHECK(lp_model_load(blob, blob_len, NULL, &again, &err) == LP_OK, "a model's own blob does not load");
    const uint8_t *blob2;
    size_t blob2_len;
    FUZZ_CHECK(lp_model_serialize(again, &blob2, &blob2_len, &err) == LP_OK, "serialise failed");
    FUZZ_CHECK(blob_len == blob2_len && memcmp(blob, blob2, blob_len) == 0, "the blob round trip changed the model");
    FUZZ_CHECK(strcmp(lp_model_info_json(m), lp_model_info_json(again)) == 0,
               "the blob round trip changed the info");
    lp_model_destroy(again);
    lp_model_destroy(m);
    return 0;
}
