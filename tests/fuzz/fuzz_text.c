/* fuzz_text.c — text preprocessing: the manifest's "preprocess", a
 * vocabulary file, and text cells through the tokenizers (src/text/).
 *
 * Input: [options][seed lo][seed hi][manifest length lo][hi][vocab length lo][hi]
 *        manifest JSON, vocabulary bytes, CSV bytes.
 * options: bit 0 the model (token_ids_int64: "ids" int64 [N, 4];
 * text_attention_opset18: "ids" int64 [N, 5] into a Gather embedding, so
 * hostile ids reach an index check), bit 1 (wave 3) instead the EmbeddingBag
 * model (text_dynamic/embedding_bag_sum: torch's Loop over "ids" and "offsets"
 * whose lengths are symbolic dims bound per batch; a manifest maps
 * "attention_mask" to "offsets"), bits 2-3 rows per batch (1, 2, 7, 256),
 * bits 4-7 the largest chunk (1..16 times 4 bytes).
 *
 * The vocabulary is handed in as a part under each name a manifest may give
 * it ("vocab.txt", "tokenizer.json", "vocab.json", "v").  A model that loads
 * predicts the CSV twice, in one push and in chunks with the chosen batch
 * size; the bytes, or the failure's status, line, column and message, must
 * be the same.
 */
#include <string.h>

#include "core/buf.h"
#include "fuzz.h"
#include "localpredict.h"
#include "text_models.h"

typedef struct run {
    lp__buf   out;
    lp_status status;
    lp_error  err;
} run;

static void take_output(lp_job *job, run *r)
{
    FUZZ_CHECK(lp__buf_append(&r->out, lp_job_output(job), lp_job_output_len(job)) == LP_OK,
               "out of memory in the fuzz target");
    lp_job_output_clear(job);
}

static void predict(const lp_model *m, const lp_job_options *o, const uint8_t *csv, size_t len,
                    fuzz_splitter *split, run *r)
{
    lp_job *job = NULL;
    r->status = lp_job_create(m, o, &job, &r->err);
    if (r->status != LP_OK) return;
    for (size_t at = 0; r->status == LP_OK && at < len;) {
        size_t n = split ? fuzz_next_chunk(split) : len;
        if (n > len - at) n = len - at;
        uint8_t *chunk = malloc(n ? n : 1);   /* exact size: ASan sees over-reads */
        FUZZ_CHECK(chunk != NULL, "out of memory in the fuzz target");
        memcpy(chunk, csv + at, n);
        r->status = lp_job_push(job, chunk, n, &r->err);
        free(chunk);
        take_output(job, r);
        at += n;
    }
    if (r->status == LP_OK) r->status = lp_job_finish(job, &r->err);
    take_output(job, r);
    lp_job_destroy(job);
}

/* An exact-size heap copy, so ASan sees a read past the end. */
static uint8_t *copy_of(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    FUZZ_CHECK(c != NULL, "out of memory in the fuzz target");
    if (n) memcpy(c, p, n);
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 7) return 0;
    static const size_t batch_rows[4] = {1, 2, 7, 256};
    uint8_t options = data[0];
    fuzz_splitter split = {(uint32_t)data[1] | (uint32_t)data[2] << 8, (size_t)(options >> 4) * 4 + 1};
    size_t rest = size - 7;
    size_t manifest_len = (size_t)data[3] | (size_t)data[4] << 8;
    if (manifest_len > rest) manifest_len = rest;
    rest -= manifest_len;
    size_t vocab_len = (size_t)data[5] | (size_t)data[6] << 8;
    if (vocab_len > rest) vocab_len = rest;
    const uint8_t *manifest = data + 7, *vocab_bytes = manifest + manifest_len, *csv = vocab_bytes + vocab_len;
    size_t csv_len = rest - vocab_len;

    char *manifest_copy = (char *)copy_of(manifest, manifest_len);
    uint8_t *vocab = copy_of(vocab_bytes, vocab_len);
    const lp_part parts[] = {
        {"vocab.txt", vocab, vocab_len},
        {"tokenizer.json", vocab, vocab_len},
        {"vocab.json", vocab, vocab_len},
        {"v", vocab, vocab_len},
    };
    lp_load_options lo = lp_load_options_default();
    lo.manifest = manifest_copy;
    lo.manifest_len = manifest_len;
    lo.manifest_name = "fuzz.localpredict.json";
    lo.parts = parts;
    lo.n_parts = sizeof parts / sizeof *parts;
    const int attention = options & 1, bag = options & 2;
    lp_error err;
    lp_model *m = NULL;
    lp_status s = bag         ? lp_model_load(fuzz_embedding_bag_onnx, sizeof fuzz_embedding_bag_onnx, &lo, &m, &err)
                  : attention ? lp_model_load(fuzz_text_attention_onnx, sizeof fuzz_text_attention_onnx, &lo, &m, &err)
                              : lp_model_load(fuzz_token_ids_onnx, sizeof fuzz_token_ids_onnx, &lo, &m, &err);
    free(manifest_copy);
    free(vocab);   /* a loaded model keeps what it needs of the parts */
    if (s != LP_OK) {
        FUZZ_CHECK(m == NULL && err.message[0] != '\0', "a failed load without a message");
        return 0;
    }
    FUZZ_CHECK(lp_model_info_json(m) != NULL, "no info JSON");

    lp_job_options o = lp_job_options_default();
    o.include_input = 1;
    run whole, chunked;
    memset(&whole, 0, sizeof whole);
    memset(&chunked, 0, sizeof chunked);
    predict(m, &o, csv, csv_len, NULL, &whole);
    o.batch_rows = batch_rows[(options >> 2) & 3];
    predict(m, &o, csv, csv_len, &split, &chunked);

    FUZZ_CHECK(whole.status == chunked.status, "chunking changed the status");
    if (whole.status == LP_OK) {
        FUZZ_CHECK(whole.out.len == chunked.out.len &&
                       (whole.out.len == 0 || memcmp(whole.out.data, chunked.out.data, whole.out.len) == 0),
                   "chunking or batching changed the output");
    } else {
        FUZZ_CHECK(whole.err.line == chunked.err.line && whole.err.column_index == chunked.err.column_index &&
                       strcmp(whole.err.message, chunked.err.message) == 0,
                   "chunking or batching changed the error");
        FUZZ_CHECK(whole.err.message[0] != '\0', "an error without a message");
    }
    lp__buf_free(&whole.out);
    lp__buf_free(&chunked.out);
    lp_model_destroy(m);
    return 0;
}
