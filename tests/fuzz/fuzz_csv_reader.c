/* fuzz_csv_reader.c — the streaming CSV reader, split at random.
 *
 * Input: [max chunk][seed lo][seed hi] CSV bytes.  The CSV is read twice:
 * in one push, and in chunks whose lengths come from the seed (0 to
 * max chunk bytes, 0-byte pushes included).  Both runs log every record
 * (line, fields) and the final status with its line, column and message;
 * the logs must be identical, since a record may straddle chunks anywhere.
 * The sanitizers watch the reader's buffers meanwhile.
 */
#include <string.h>

#include "fuzz.h"
#include "io/csv_reader.h"

typedef struct log {
    lp__buf bytes;
} log_t;

static void log_add(log_t *l, const void *p, size_t n)
{
    FUZZ_CHECK(lp__buf_append(&l->bytes, p, n) == LP_OK, "out of memory in the fuzz log");
}

static lp_status on_record(void *ctx, const lp__csv_record *rec, lp_error *err)
{
    log_t *l = ctx;
    log_add(l, &rec->line, sizeof rec->line);
    log_add(l, &rec->n_fields, sizeof rec->n_fields);
    for (size_t i = 0; i < rec->n_fields; i++) {
        size_t len;
        const uint8_t *f = lp__csv_field(rec, i, &len);
        log_add(l, &len, sizeof len);
        log_add(l, f, len);
    }
    return LP_OK;
}

static void log_end(log_t *l, lp_status s, const lp_error *err)
{
    log_add(l, &s, sizeof s);
    if (s == LP_OK) return;
    log_add(l, &err->line, sizeof err->line);
    log_add(l, &err->column_index, sizeof err->column_index);
    log_add(l, err->message, strlen(err->message));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) return 0;
    fuzz_splitter split = {(uint32_t)data[1] | (uint32_t)data[2] << 8, (size_t)data[0] % 64 + 1};
    const uint8_t *csv = data + 3;
    size_t len = size - 3;

    lp_error err;
    log_t whole, chunked;
    memset(&whole, 0, sizeof whole);
    memset(&chunked, 0, sizeof chunked);

    lp__csv_reader r;
    lp__csv_reader_init(&r, 1);
    lp_status s = lp__csv_reader_push(&r, csv, len, on_record, &whole, &err);
    if (s == LP_OK) s = lp__csv_reader_finish(&r, on_record, &whole, &err);
    log_end(&whole, s, &err);
    lp__csv_reader_free(&r);

    lp__csv_reader_init(&r, 1);
    s = LP_OK;
    for (size_t at = 0; s == LP_OK && at < len;) {
        size_t n = fuzz_next_chunk(&split);
        if (n > len - at) n = len - at;
        /* Each chunk in its own exact-size copy, so a read past a chunk's
         * end is an ASan report, not a read of the next chunk's bytes. */
        uint8_t *chunk = malloc(n ? n : 1);
        FUZZ_CHECK(chunk != NULL, "out of memory in the fuzz target");
        memcpy(chunk, csv + at, n);
        s = lp__csv_reader_push(&r, chunk, n, on_record, &chunked, &err);
        free(chunk);
        at += n;
    }
    if (s == LP_OK) s = lp__csv_reader_finish(&r, on_record, &chunked, &err);
    log_end(&chunked, s, &err);
    lp__csv_reader_free(&r);

    FUZZ_CHECK(whole.bytes.len == chunked.bytes.len &&
                   memcmp(whole.bytes.data, chunked.bytes.data, whole.bytes.len) == 0,
               "a chunked read differs from the one-shot read");
    lp__buf_free(&whole.bytes);
    lp__buf_free(&chunked.bytes);
    return 0;
}
