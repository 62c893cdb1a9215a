/* csv_reader.h — a streaming RFC 4180 record reader.
 *
 * Bytes are pushed in chunks of any size; every complete record is handed to
 * a callback as a list of unquoted fields, with the physical line on which the
 * record starts.  Records may straddle chunks; quoted fields may hold commas,
 * doubled quotes and line breaks.  LF, CRLF and lone CR end a record; a UTF-8
 * BOM at the very start is skipped; blank lines are skipped (as pandas does).
 *
 * Errors (unterminated quote, text after a closing quote, limits) set
 * err->line and err->column_index; the message says only what is wrong, the
 * caller adds the column's name.
 */
#ifndef LP_IO_CSV_READER_H
#define LP_IO_CSV_READER_H

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "../localpredict.h"

typedef struct lp__csv_record {
    size_t          n_fields;
    const uint8_t  *bytes;       /* all fields back to back */
    const uint32_t *ends;        /* field i = bytes[i ? ends[i-1] : 0 .. ends[i]) */
    uint64_t        line;        /* physical line where the record starts */
} lp__csv_record;

static inline const uint8_t *lp__csv_field(const lp__csv_record *r, size_t i, size_t *len)
{
    uint32_t start = i ? r->ends[i - 1] : 0;
    *len = r->ends[i] - start;
    return r->bytes + start;
}

/* Returning non-OK from the callback stops the reader with that status. */
typedef lp_status (*lp__csv_record_fn)(void *ctx, const lp__csv_record *rec, lp_error *err);

typedef struct lp__csv_reader {
    int       state;          /* see csv_reader.c */
    int       bom_matched;    /* bytes of a leading BOM seen so far */
    int       at_stream_start;
    lp__buf   field_bytes;
    uint32_t *ends;
    size_t    n_fields, ends_cap;
    size_t    field_start;    /* offset of the current field in field_bytes */
    uint64_t  line;           /* current physical line */
    uint64_t  record_line;    /* line where the current record started */
    uint64_t  quote_line;     /* line where the open quoted field started */
    int       record_open;    /* some byte of the current record has been seen */
} lp__csv_reader;

void      lp__csv_reader_init(lp__csv_reader *r, uint64_t first_line);
lp_status lp__csv_reader_push(lp__csv_reader *r, const uint8_t *bytes, size_t len,
                              lp__csv_record_fn fn, void *ctx, lp_error *err);
/* Ends the stream: a last record without a line end is delivered. */
lp_status lp__csv_reader_finish(lp__csv_reader *r, lp__csv_record_fn fn, void *ctx, lp_error *err);
void      lp__csv_reader_free(lp__csv_reader *r);

#endif
