/* csv_reader.c — streaming RFC 4180 reader; see csv_reader.h.
 *
 * A state machine over the bytes of each pushed chunk.  The states are:
 *   FIELD_START  at the start of a field (a quote here opens a quoted field)
 *   UNQUOTED     inside an unquoted field
 *   QUOTED       inside a quoted field
 *   QUOTE_IN_QUOTED  just saw a quote inside a quoted field: either the first
 *                half of "" or the closing quote
 *   AFTER_CR     just ended a record with CR: a following LF belongs to it
 * A CR or LF ends the record; the line counter advances on LF and on a CR not
 * followed by LF, inside quoted fields too, so `line` is always physical.
 *
 * Inside a field the reader jumps from one special byte (the delimiter, " CR
 * LF; the delimiter is `,` unless set) to the next with lp__csv_scanner
 * (csv_scan.h: the special bytes of 64 bytes at once, as a bitmask).  The bytes in between are not copied: the current
 * field is `run_start .. position` of the chunk, and a finished field becomes
 * a span into the chunk.  A record is copied into field_bytes only when it
 * must outlive the chunk (it continues in the next push) or when a doubled
 * quote makes its text differ from the bytes (then the run before each ""
 * is copied and the second quote starts the next run).
 */
#include "csv_reader.h"

#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "csv_scan.h"

enum { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED, AFTER_CR };

static const uint8_t utf8_bom[3] = {0xEF, 0xBB, 0xBF};

void lp__csv_reader_init(lp__csv_reader *r, uint64_t first_line)
{
    memset(r, 0, sizeof *r);
    r->state = FIELD_START;
    r->at_stream_start = 1;
    r->line = first_line ? first_line : 1;
    r->record_line = r->line;
    r->delim = ',';
    lp__csv_reader_set_limits(r, 0, 0);
}

void lp__csv_reader_set_limits(lp__csv_reader *r, size_t max_columns, size_t max_field_bytes)
{
    r->max_columns = max_columns ? max_columns : LP_DEFAULT_MAX_COLUMNS;
    r->max_field_bytes = max_field_bytes ? max_field_bytes : LP_DEFAULT_MAX_FIELD_BYTES;
}

void lp__csv_reader_free(lp__csv_reader *r)
{
    lp__buf_free(&r->field_bytes);
    free(r->spans);
    r->spans = NULL;
    r->spans_cap = 0;
    r->n_fields = 0;
}

/* Errors point at the field being read: its index and the record's line. */
static lp_status at_field(lp__csv_reader *r, lp_error *err, lp_status code, uint64_t line)
{
    if (err) {
        err->line = line;
        err->column_index = (int64_t)r->n_fields;
    }
    return code;
}

static lp_status field_too_long(lp__csv_reader *r, lp_error *err)
{
    lp__fail(err, LP_ERR_LIMIT,
             "a field is longer than %zu bytes, the limit (the max_field_bytes option, maxFieldBytes in JS, "
             "--max-field-bytes, raises it)", r->max_field_bytes);
    return at_field(r, err, LP_ERR_LIMIT, r->record_line);
}

static lp_status nomem(lp_error *err) { return lp__fail(err, LP_ERR_NOMEM, "out of memory reading the CSV"); }

/* The record's finished fields, so far spans into `chunk`, move into
 * field_bytes; from now on every byte of the record is copied. */
static lp_status to_copied(lp__csv_reader *r, const uint8_t *chunk, lp_error *err)
{
    size_t total = 0;
    for (size_t f = 0; f < r->n_fields; f++) total += r->spans[f].end - r->spans[f].start;
    if (lp__buf_reserve(&r->field_bytes, total) != LP_OK) return nomem(err);
    for (size_t f = 0; f < r->n_fields; f++) {
        lp__csv_span *sp = &r->spans[f];
        size_t start = r->field_bytes.len, n = sp->end - sp->start;
        if (n) memcpy(r->field_bytes.data + start, chunk + sp->start, n);
        r->field_bytes.len += n;
        *sp = (lp__csv_span){start, start + n};
    }
    r->copied = 1;
    r->field_start = r->field_bytes.len;
    return LP_OK;
}

/* Appends chunk[from, to) to the current field, in copied mode. */
static lp_status copy_run(lp__csv_reader *r, const uint8_t *chunk, size_t from, size_t to, lp_error *err)
{
    if (!r->copied && to_copied(r, chunk, err) != LP_OK) return LP_ERR_NOMEM;
    if (to > from && lp__buf_append(&r->field_bytes, chunk + from, to - from) != LP_OK) return nomem(err);
    if (r->field_bytes.len - r->field_start > r->max_field_bytes) return field_too_long(r, err);
    return LP_OK;
}

/* The current field ends: its last run is chunk[run_start, run_end). */
static lp_status end_field(lp__csv_reader *r, const uint8_t *chunk, size_t run_end, lp_error *err)
{
    if (r->n_fields >= r->max_columns) {
        lp__fail(err, LP_ERR_LIMIT,
                 "a record has more than %zu fields, the limit (the max_columns option, maxColumns in JS, "
                 "--max-columns, raises it)", r->max_columns);
        return at_field(r, err, LP_ERR_LIMIT, r->record_line);
    }
    if (r->n_fields == r->spans_cap) {
        size_t cap = r->spans_cap ? r->spans_cap * 2 : 64;
        lp__csv_span *p = realloc(r->spans, cap * sizeof *p);
        if (!p) return nomem(err);
        r->spans = p;
        r->spans_cap = cap;
    }
    lp__csv_span sp;
    if (r->copied) {
        if (run_end > r->run_start &&
            lp__buf_append(&r->field_bytes, chunk + r->run_start, run_end - r->run_start) != LP_OK)
            return nomem(err);
        sp = (lp__csv_span){r->field_start, r->field_bytes.len};
        r->field_start = r->field_bytes.len;
    } else {
        sp = (lp__csv_span){r->run_start, run_end};
    }
    if (sp.end - sp.start > r->max_field_bytes) return field_too_long(r, err);
    r->spans[r->n_fields++] = sp;
    return LP_OK;
}

static lp_status end_record(lp__csv_reader *r, const uint8_t *chunk, size_t chunk_len, size_t run_end,
                            lp__csv_record_fn fn, void *ctx, lp_error *err)
{
    lp_status s = end_field(r, chunk, run_end, err);
    if (s != LP_OK) return s;
    const uint8_t *bytes = r->copied ? r->field_bytes.data : chunk;
    size_t bytes_len = r->copied ? r->field_bytes.len : chunk_len;
    lp__csv_record rec = {r->n_fields, bytes ? bytes : (const uint8_t *)"", bytes ? bytes_len : 0, r->spans,
                          r->record_line};
    s = fn(ctx, &rec, err);
    r->n_fields = 0;
    r->field_bytes.len = 0;
    r->field_start = 0;
    r->copied = 0;
    r->record_open = 0;
    return s;
}

/* The bytes of one push, after any BOM: the state machine. */
static lp_status read_chunk(lp__csv_reader *r, const uint8_t *p, size_t i, size_t len, lp__csv_record_fn fn,
                            void *ctx, lp_error *err)
{
    lp_status s;
    const uint8_t delim = r->delim;
    lp__csv_scanner scan;   /* the special bytes of this chunk, 64 at a time */
    lp__csv_scanner_init(&scan, p, len, delim);
    /* A field left open by the previous push continues here. */
    r->run_start = r->content_end = i;
    while (i < len) {
        switch (r->state) {
        case AFTER_CR:
            r->state = FIELD_START;
            if (p[i] == '\n') {   /* the LF of a CRLF: same line end */
                i++;
                continue;
            }
            /* A lone CR was the line end, and p[i] starts the next record. */
            /* fall through */
        case FIELD_START:
            if (!r->record_open) {
                if (p[i] == '\n') {   /* a blank line */
                    r->line++, i++;
                    continue;
                }
                if (p[i] == '\r') {
                    r->line++, i++;
                    r->state = AFTER_CR;
                    continue;
                }
                r->record_open = 1;
                r->record_line = r->line;
            }
            if (p[i] == '"') {
                r->state = QUOTED;
                r->quote_line = r->line;
                r->quoted_cr = 0;
                r->run_start = ++i;
                continue;
            }
            r->state = UNQUOTED;
            r->run_start = i;
            /* fall through */
        case UNQUOTED: {
            /* The hot loop: field after unquoted field of one record.  The
             * field table lives in locals here (a span stored through
             * r->spans could alias r's fields, and each would be reloaded)
             * and is written back to r at each way out. */
            lp__csv_span *spans = r->spans;
            size_t n = r->n_fields, run_start = r->run_start;
            const size_t max_field = r->max_field_bytes;
            /* Spans that fit without end_field: 0 in a copied record. */
            size_t room = r->copied ? 0 : r->spans_cap < r->max_columns ? r->spans_cap : r->max_columns;
            for (;;) {
                size_t k = lp__csv_scanner_next(&scan, i);
                if (k == len) {
                    i = len;
                    r->n_fields = n, r->run_start = run_start;
                    break;
                }
                uint8_t c = p[k];
                i = k + 1;
                if (c == '"') continue;   /* a quote inside an unquoted field is data */
                if (c == delim) {
                    /* end_field's common case inline: a direct record with
                     * room for the span and a field within the limit. */
                    if (n < room && k - run_start <= max_field) {
                        spans[n++] = (lp__csv_span){run_start, k};
                    } else {
                        r->n_fields = n, r->run_start = run_start;
                        if ((s = end_field(r, p, k, err)) != LP_OK) return s;
                        spans = r->spans, n = r->n_fields;
                        room = r->copied ? 0 : r->spans_cap < r->max_columns ? r->spans_cap : r->max_columns;
                    }
                    if (i < len && p[i] != '"') {
                        run_start = i;   /* the next field is unquoted too */
                        continue;
                    }
                    r->n_fields = n, r->run_start = run_start;
                    r->state = FIELD_START;
                    break;
                }
                r->n_fields = n, r->run_start = run_start;
                r->line++;
                if ((s = end_record(r, p, len, k, fn, ctx, err)) != LP_OK) return s;
                r->state = c == '\r' ? AFTER_CR : FIELD_START;
                break;
            }
            break;
        }
        case QUOTED:
            for (;;) {
                size_t k = lp__csv_scanner_next(&scan, i);
                if (k > i) r->quoted_cr = 0;
                if (k == len) {
                    i = len;
                    break;
                }
                uint8_t c = p[k];
                i = k + 1;
                if (c == '"') {
                    r->content_end = k;
                    r->state = QUOTE_IN_QUOTED;
                    break;
                }
                /* A line end inside the field: CRLF counts once. */
                if (c == '\r') r->line++;
                else if (c == '\n' && !r->quoted_cr) r->line++;
                r->quoted_cr = c == '\r';
            }
            break;
        case QUOTE_IN_QUOTED: {
            uint8_t c = p[i];
            if (c == '"') {
                /* "": the text so far, then this quote starts the next run. */
                if ((s = copy_run(r, p, r->run_start, r->content_end, err)) != LP_OK) return s;
                r->run_start = i++;
                r->quoted_cr = 0;
                r->state = QUOTED;
            } else if (c == delim) {
                if ((s = end_field(r, p, r->content_end, err)) != LP_OK) return s;
                i++;
                r->state = FIELD_START;
            } else if (c == '\n' || c == '\r') {
                r->line++;
                if ((s = end_record(r, p, len, r->content_end, fn, ctx, err)) != LP_OK) return s;
                i++;
                r->state = c == '\r' ? AFTER_CR : FIELD_START;
            } else {
                lp__fail(err, LP_ERR_BAD_CSV,
                         "text after the closing quote of a quoted field "
                         "(a quote inside a quoted field must be doubled: \"\")");
                return at_field(r, err, LP_ERR_BAD_CSV, r->line);
            }
            break;
        }
        }
    }
    /* The chunk ends inside a record: keep what it has read. */
    if (r->record_open) {
        if (!r->copied && (s = to_copied(r, p, err)) != LP_OK) return s;
        if (r->state == UNQUOTED || r->state == QUOTED) s = copy_run(r, p, r->run_start, len, err);
        else if (r->state == QUOTE_IN_QUOTED) s = copy_run(r, p, r->run_start, r->content_end, err);
        else s = LP_OK;
        if (s != LP_OK) return s;
    }
    r->run_start = r->content_end = 0;
    return LP_OK;
}

lp_status lp__csv_reader_push(lp__csv_reader *r, const uint8_t *bytes, size_t len,
                              lp__csv_record_fn fn, void *ctx, lp_error *err)
{
    size_t i = 0;
    /* Skip a UTF-8 BOM at the very start, even if it arrives split. */
    while (r->at_stream_start && i < len) {
        if (bytes[i] == utf8_bom[r->bom_matched]) {
            i++;
            if (++r->bom_matched == 3) r->at_stream_start = 0;
            continue;
        }
        r->at_stream_start = 0;
        if (r->bom_matched) {
            /* A partial BOM is data after all: replay it. */
            int n = r->bom_matched;
            r->bom_matched = 0;
            lp_status s = lp__csv_reader_push(r, utf8_bom, (size_t)n, fn, ctx, err);
            if (s != LP_OK) return s;
        }
    }
    return read_chunk(r, bytes, i, len, fn, ctx, err);
}

lp_status lp__csv_reader_finish(lp__csv_reader *r, lp__csv_record_fn fn, void *ctx, lp_error *err)
{
    if (r->at_stream_start && r->bom_matched) {
        /* The whole stream was a prefix of a BOM: it is data. */
        int n = r->bom_matched;
        r->at_stream_start = 0;
        r->bom_matched = 0;
        lp_status s = lp__csv_reader_push(r, utf8_bom, (size_t)n, fn, ctx, err);
        if (s != LP_OK) return s;
    }
    if (r->state == QUOTED) {
        lp__fail(err, LP_ERR_UNTERMINATED_QUOTE, "unterminated quote: the quoted field that starts here never ends");
        return at_field(r, err, LP_ERR_UNTERMINATED_QUOTE, r->quote_line);
    }
    /* Every byte of an open record is in field_bytes (read_chunk's end). */
    if (r->record_open) return end_record(r, NULL, 0, 0, fn, ctx, err);
    return LP_OK;
}
