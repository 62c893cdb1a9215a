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
 *
 * Speed: fields are found with lp__csv_scanner (csv_scan.h, SIMD in WASM), and
 * a record that lies inside one pushed chunk is handed over without copying
 * (spans into the chunk); only records that straddle chunks or hold doubled
 * quotes are copied.
 */
#ifndef LP_IO_CSV_READER_H
#define LP_IO_CSV_READER_H

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "../localpredict.h"

/* Field i is bytes[spans[i].start .. spans[i].end). */
typedef struct lp__csv_span {
    size_t start, end;
} lp__csv_span;

typedef struct lp__csv_record {
    size_t              n_fields;
    const uint8_t      *bytes;   /* the pushed chunk itself, or the reader's copy */
    size_t              bytes_len;   /* bytes that may be read from `bytes` on */
    const lp__csv_span *spans;
    uint64_t            line;    /* physical line where the record starts */
} lp__csv_record;

static inline const uint8_t *lp__csv_field(const lp__csv_record *r, size_t i, size_t *len)
{
    *len = r->spans[i].end - r->spans[i].start;
    return r->bytes + r->spans[i].start;
}

/* Returning non-OK from the callback stops the reader with that status.  The
 * record's bytes are valid only during the call. */
typedef lp_status (*lp__csv_record_fn)(void *ctx, const lp__csv_record *rec, lp_error *err);

typedef struct lp__csv_reader {
    int           state;          /* see csv_reader.c */
    int           bom_matched;    /* bytes of a leading BOM seen so far */
    int           at_stream_start;
    /* The current record: its spans point into the chunk being pushed
     * ("direct") until it straddles a chunk or holds a doubled quote; then
     * its fields are copied into field_bytes ("copied"). */
    int           copied;
    lp__buf       field_bytes;
    lp__csv_span *spans;
    size_t        n_fields, spans_cap;
    size_t        field_start;    /* copied: offset of the current field in field_bytes */
    size_t        run_start;      /* in the chunk: first byte of the current field not yet copied */
    size_t        content_end;    /* QUOTE_IN_QUOTED: where the quoted field's content ended */
    int           quoted_cr;      /* the last byte of the open quoted field was a CR */
    uint64_t      line;           /* current physical line */
    uint64_t      record_line;    /* line where the current record started */
    uint64_t      quote_line;     /* line where the open quoted field started */
    int           record_open;    /* some byte of the current record has been seen */
    size_t        max_columns;    /* limits: LP_DEFAULT_MAX_* unless set */
    size_t        max_field_bytes;
    uint8_t       delim;          /* field separator: ',' unless set (issue 9) */
} lp__csv_reader;

void      lp__csv_reader_init(lp__csv_reader *r, uint64_t first_line);
/* 0 keeps the default (LP_DEFAULT_MAX_COLUMNS, LP_DEFAULT_MAX_FIELD_BYTES). */
void      lp__csv_reader_set_limits(lp__csv_reader *r, size_t max_columns, size_t max_field_bytes);
lp_status lp__csv_reader_push(lp__csv_reader *r, const uint8_t *bytes, size_t len,
                              lp__csv_record_fn fn, void *ctx, lp_error *err);
/* Ends the stream: a last record without a line end is delivered. */
lp_status lp__csv_reader_finish(lp__csv_reader *r, lp__csv_record_fn fn, void *ctx, lp_error *err);
void      lp__csv_reader_free(lp__csv_reader *r);

#endif
