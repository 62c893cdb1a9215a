/* fuzz_model_blob.c — the compact model blob (lp_model_serialize's output)
 * read back by lp_model_load.  A blob is untrusted input like any model: it
 * may come from another engine instance's memory or a file.
 *
 * Input: the blob without its 8-byte magic "LPMODEL1", which the target puts
 * in front so that every mutation reaches the blob reader.  A blob that
 * loads is serialised, and that serialisation must load and serialise back
 * to itself byte for byte.  (The input itself need not come back unchanged:
 * a flag stored as 2 is read as true and written as 1.)
 */
#include <string.h>

#include "fuzz.h"
#include "localpredict.h"

static const char magic[8] = "LPMODEL1";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *blob = malloc(size + sizeof magic);
    FUZZ_CHECK(blob != NULL, "out of memory in the fuzz target");
    memcpy(blob, magic, sizeof magic);
    if (size) memcpy(blob + sizeof magic, data, size);
    size_t len = size + sizeof magic;

    lp_error err;
    lp_model *m = NULL;
    if (lp_model_load(blob, len, NULL, &m, &err) == LP_OK) {
        const uint8_t *out;
        size_t out_len;
        FUZZ_CHECK(lp_model_serialize(m, &out, &out_len, &err) == LP_OK, "serialise failed");
        lp_model *again = NULL;
        FUZZ_CHECK(lp_model_load(out, out_len, NULL, &again, &err) == LP_OK,
                   "a loaded blob's serialisation does not load");
        const uint8_t *out2;
        size_t out2_len;
        FUZZ_CHECK(lp_model_serialize(again, &out2, &out2_len, &err) == LP_OK, "serialise failed");
        FUZZ_CHECK(out_len == out2_len && memcmp(out, out2, out_len) == 0,
                   "a serialised blob does not serialise back to itself");
        lp_model_destroy(again);
        lp_model_destroy(m);
    } else {
        FUZZ_CHECK(m == NULL && err.message[0] != '\0', "a failed load without a message");
    }
    free(blob);
    return 0;
}
