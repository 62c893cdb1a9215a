/* fuzz_xgb_json.c — the XGBoost JSON loader, through lp_model_load.
 *
 * Input: model bytes.  A model that loads must also survive the round trip
 * through its compact blob: serialise, load the blob, serialise again, and
 * the two blobs must be byte-identical (the blob keeps the model's identity,
 * so nothing may change), as must the info JSON.
 */
#include <string.h>

#include "fuzz.h"
#include "localpredict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lp_error err;
    lp_model *m = NULL;
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
