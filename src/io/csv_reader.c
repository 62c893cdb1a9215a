/* csv_reader.c — streaming RFC 4180 reader; see csv_reader.h.
 *
 * A byte-at-a-time state machine.  The states are:
 *   FIELD_START  at the start of a field (a quote here opens a quoted field)
 *   UNQUOTED     inside an unquoted field
 *   QUOTED       inside a quoted field
 *   QUOTE_IN_QUOTED  just saw a quote inside a quoted field: either the first
 *                half of "" or the closing quote
 *   AFTER_CR     just ended a record with CR: a following LF belongs to it
 * A CR or LF ends the record; the line counter advances on LF and on a CR not
 * followed by LF, inside quoted fields too, so `line` is always physical.
 */
#include "csv_reader.h"

#include <stdlib.h>
#include <string.h>

#include "../core/error.h"

enum { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED, AFTER_CR };

static const uint8_t utf8_bom[3] = {0xEF, 0xBB, 0xBF};

void lp__csv_reader_init(lp__csv_reader *r, uint64_t first_line)
{
    memset(r, 0, sizeof *r);
    r->state = FIELD_START;
    r->at_stream_start = 1;
    r->line = first_line ? first_line : 1;
    r->record_line = r->line;
}

void lp__csv_reader_free(lp__csv_reader *r)
{
    lp__buf_free(&r->field_bytes);
    free(r->ends);
    r->ends = NULL;
}

static lp_status reader_fail(lp__csv_reader *r, lp_error *err, lp_status code, uint64_t line,
                             const char *what)
{
    lp__fail(err, code, "%s", what);
    if (err) {
        err->line = line;
        err->column_index = (int64_t)r->n_fields;
    }
    return code;
}

static lp_status end_field(lp__csv_reader *r, lp_error *err)
{
    if (r->n_fields == r->ends_cap) {
        if (r->n_fields >= LP_MAX_COLUMNS)
            return reader_fail(r, err, LP_ERR_LIMIT, r->record_line,
                               "more than 65536 columns in one record");
        size_t cap = r->ends_cap ? r->ends_cap * 2 : 64;
        uint32_t *p = realloc(r->ends, cap * sizeof *p);
        if (!p) return lp__fail(err, LP_ERR_NOMEM, "out of memory reading the CSV");
        r->ends = p;
        r->ends_cap = cap;
    }
    r->ends[r->n_fields++] = (uint32_t)r->field_bytes.len;
    r->field_start = r->field_bytes.len;
    return LP_OK;
}

static lp_status append_byte(lp__csv_reader *r, uint8_t c, lp_error *err)
{
    if (r->field_bytes.len - r->field_start >= LP_MAX_FIELD_BYTES)
        return reader_fail(r, err, LP_ERR_LIMIT, r->record_line, "a field is longer than 16 MiB");
    if (lp__buf_push(&r->field_bytes, c) != LP_OK)
        return lp__fail(err, LP_ERR_NOMEM, "out of memory reading the CSV");
    return LP_OK;
}

static lp_status end_record(lp__csv_reader *r, lp__csv_record_fn fn, void *ctx, lp_error *err)
{
    lp_status s = end_field(r, err);
    if (s != LP_OK) return s;
    lp__csv_record rec = {r->n_fields, r->field_bytes.data, r->ends, r->record_line};
    s = fn(ctx, &rec, err);
    r->n_fields = 0;
    r->field_bytes.len = 0;
    r->field_start = 0;
    r->record_open = 0;
    return s;
}

/* A line end outside quotes: ends the record unless the line was blank. */
static lp_status line_end(lp__csv_reader *r, lp__csv_record_fn fn, void *ctx, lp_error *err)
{
    lp_status s = LP_OK;
    if (r->record_open) s = end_record(r, fn, ctx, err);
    r->state = FIELD_START;
    return s;
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

    lp_status s;
    for (; i < len; i++) {
        uint8_t c = bytes[i];
        switch (r->state) {
        case AFTER_CR:
            r->state = FIELD_START;
            if (c == '\n') continue;   /* the LF of a CRLF: same line end */
            /* A lone CR was the line end, and c starts the next record. */
            /* fall through */
        case FIELD_START:
            if (!r->record_open) {
                if (c == '\n') { r->line++; continue; }
                if (c == '\r') { r->line++; r->state = AFTER_CR; continue; }
                r->record_open = 1;
                r->record_line = r->line;
            }
            if (c == '"') {
                r->state = QUOTED;
                r->quote_line = r->line;
                continue;
            }
            r->state = UNQUOTED;
            /* fall through */
        case UNQUOTED:
            if (c == ',') {
                if ((s = end_field(r, err)) != LP_OK) return s;
                r->state = FIELD_START;
            } else if (c == '\n') {
                r->line++;
                if ((s = line_end(r, fn, ctx, err)) != LP_OK) return s;
            } else if (c == '\r') {
                r->line++;
                if ((s = line_end(r, fn, ctx, err)) != LP_OK) return s;
                r->state = AFTER_CR;
            } else if ((s = append_byte(r, c, err)) != LP_OK) {
                return s;
            }
            break;
        case QUOTED:
            if (c == '"') {
                r->state = QUOTE_IN_QUOTED;
            } else {
                /* CRLF inside a quoted field counts once: count LF, and a CR
                 * only when no LF follows (checked lazily: count CR now and
                 * uncount on the LF). */
                if (c == '\n' && !(r->field_bytes.len > r->field_start &&
                                   r->field_bytes.data[r->field_bytes.len - 1] == '\r'))
                    r->line++;
                else if (c == '\r')
                    r->line++;
                if ((s = append_byte(r, c, err)) != LP_OK) return s;
            }
            break;
        case QUOTE_IN_QUOTED:
            if (c == '"') {
                if ((s = append_byte(r, '"', err)) != LP_OK) return s;
                r->state = QUOTED;
            } else if (c == ',') {
                if ((s = end_field(r, err)) != LP_OK) return s;
                r->state = FIELD_START;
            } else if (c == '\n' || c == '\r') {
                r->line++;
                if ((s = line_end(r, fn, ctx, err)) != LP_OK) return s;
                if (c == '\r') r->state = AFTER_CR;
            } else {
                return reader_fail(r, err, LP_ERR_BAD_CSV, r->line,
                                   "text after the closing quote of a quoted field "
                                   "(a quote inside a quoted field must be doubled: \"\")");
            }
            break;
        }
    }
    return LP_OK;
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
    if (r->state == QUOTED)
        return reader_fail(r, err, LP_ERR_UNTERMINATED_QUOTE, r->quote_line,
                           "unterminated quote: the quoted field that starts here never ends");
    if (r->record_open) return end_record(r, fn, ctx, err);
    return LP_OK;
}
