/* fuzz_predict_csv.c — load a model, then predict a CSV with it.
 *
 * Input: [options][seed lo][seed hi][model length lo][model length hi]
 *        model bytes, CSV bytes.
 * options: bit 0 --include-input, bit 1 --check, bits 2-3 rows per batch
 * (1, 2, 7, 256), bits 4-7 the largest chunk (1..16 times 4 bytes).
 * Bit 7 of the seed's high byte (wave 3): on_error skip (a bad row, or one
 * the model refuses at run time, is skipped with its Error column).
 *
 * A model that loads predicts the CSV twice: in one push with the default
 * batch size, and in chunks (from the seed) with the chosen batch size.  The
 * output bytes must be identical, and so must a failure's status, line,
 * column and message: neither chunking nor batching may change a result.
 * A --check job's output is its report (text, then JSON, which must parse),
 * so the report is held to the same rule.
 */
#include <string.h>

#include "cJSON.h"
#include "core/buf.h"
#include "fuzz.h"
#include "localpredict.h"

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
    if (r->status == LP_OK && o->check_only) {   /* the report, as the CLIs and the JS API get it */
        /* each string lasts until the next report call: the text is copied first */
        const char *text = lp_job_check_text(job);
        FUZZ_CHECK(text && lp__buf_append(&r->out, text, strlen(text)) == LP_OK, "no text report");
        const char *json = lp_job_check_json(job);
        FUZZ_CHECK(json && lp__buf_append(&r->out, json, strlen(json)) == LP_OK, "no JSON report");
        cJSON *parsed = cJSON_Parse(json);
        FUZZ_CHECK(parsed != NULL, "the --check report is not JSON");
        cJSON_Delete(parsed);
    }
    lp_job_destroy(job);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5) return 0;
    static const size_t batch_rows[4] = {1, 2, 7, 256};
    uint8_t options = data[0];
    fuzz_splitter split = {(uint32_t)data[1] | (uint32_t)data[2] << 8, (size_t)(options >> 4) * 4 + 1};
    size_t model_len = (size_t)data[3] | (size_t)data[4] << 8;
    if (model_len > size - 5) model_len = size - 5;
    const uint8_t *model_bytes = data + 5, *csv = model_bytes + model_len;
    size_t csv_len = size - 5 - model_len;

    lp_error err;
    lp_model *m = NULL;
    if (lp_model_load(model_bytes, model_len, NULL, &m, &err) != LP_OK) return 0;

    lp_job_options o = lp_job_options_default();
    o.include_input = options & 1;
    o.check_only = (options >> 1) & 1;
    o.on_error = data[2] & 0x80 ? LP_ON_ERROR_SKIP : LP_ON_ERROR_FAIL;
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
