/* job.c — the streaming CSV → CSV job.
 *
 * Records come from the CSV reader.  The header binds columns to features
 * (binding.c) and writes the output header; data records are parsed into a
 * float32 batch (cells.c) and, when the batch is full or the input ends,
 * predicted (outputs.c) and written: kept input fields, one probability per
 * output, Suggested Label.  All buffers are sized at job creation, so the
 * per-batch work allocates nothing but output and kept-field bytes.
 *
 * Dialects (issue 9) sit in front of the reader, in this order:
 *   raw bytes ─► start_input (first 8 bytes: sniff.c, a UTF-16 byte-order
 *   mark, the encoding) ─► decode.c when the input is not UTF-8 ─► the
 *   header line is held until it ends (dialect.c decides the delimiter) ─►
 *   the CSV reader.
 * Row-level policy (on_error skip), decimal commas, headerless files and
 * Excel output are handled per record below; check_only reads a sample of
 * rows and describes the input (check_report.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../formats/ensemble.h"
#include "../core/utf8.h"
#include "../io/csv_reader.h"
#include "../io/csv_scan.h"
#include "../io/csv_writer.h"
#include "../io/decode.h"
#include "../io/dialect.h"
#include "../io/sniff.h"
#include "binding.h"
#include "check_report.h"
#include "text_batch.h"
#include "cells.h"
#include "outputs.h"

#define DEFAULT_BATCH_ROWS 256

enum { AWAIT_HEADER, IN_DATA, CHECK_DONE, FINISHED, FAILED };

struct lp_job {
    const lp_model *model;
    lp_job_options  opts;
    char           *keep_names;    /* copy of opts.keep */
    int             phase;
    lp__csv_reader  reader;
    lp__buf         out;

    size_t          n_columns;     /* fields per record, from the header */
    char          **header;        /* n_columns names (for error messages) */
    size_t         *feature_col;   /* n_features: CSV column of each feature */
    size_t         *kept;          /* CSV columns copied to the output */
    size_t          n_kept;

    size_t          batch_cap, batch_len, stride;
    int             plain_cells;   /* every cell is a plain float32: see on_data */
    float          *x, *margins, *proba;
    uint8_t        *chosen;
    lp__buf         kept_bytes;    /* the batch's kept fields, already CSV-quoted */
    size_t         *kept_end;      /* batch_cap offsets into kept_bytes */
    uint64_t       *row_line;      /* batch_cap: each batch row's physical line (for errors) */

    uint64_t        rows, bytes_in;
#ifndef LP_NO_TEXT
    lp__text_batch  text;          /* a text model's token ids (model->text) */
#endif

    /* The input's first bytes, held until sniff.c has looked at them. */
    uint8_t         sniff[LP__SNIFF_BYTES];
    size_t          sniff_len;
    int             sniffed;

    /* Dialects (issue 9). */
    lp_encoding     enc;            /* in use (AUTO until start_input) */
    int             enc_from_bom;   /* UTF-16 found by its byte-order mark */
    lp__decoder     dec;
    int             decoding;       /* enc is not UTF-8: bytes go through dec */
    lp__buf         decoded;        /* one push, converted */
    lp__buf         hold;           /* the header line, until its delimiter is known */
    int             dialect_ready;
    int             delim_detected;
    int             template_header;   /* reading opts.header of a slice: never data */
    char           *columns_copy;   /* opts.columns */

    /* on_error skip: per batch row, failed or not and its message. */
    uint8_t        *failed;
    lp__buf         errors;
    size_t         *error_end;
    uint64_t        skipped;
    uint64_t        skipped_lines[LP_SKIPPED_LINES_KEPT];

    /* check_only: the sample's column types. */
    lp__check_stats check;
};

lp_job_options lp_job_options_default(void)
{
    lp_job_options o;
    memset(&o, 0, sizeof o);
    o.threshold = NAN;
    o.write_header = 1;
    return o;
}

/* ---- output ---- */
/* A record ends with LF, or CRLF for Excel. */
static lp_status end_record(lp_job *j)
{
    if (j->opts.excel && lp__buf_push(&j->out, '\r') != LP_OK) return LP_ERR_NOMEM;
    return lp__csv_end_record(&j->out);
}

/* The advice for bytes that are not UTF-8. */
#define ENCODING_HINT "is the file in Windows-1252 (Latin-1)? Read it with --encoding windows-1252 " \
    "(encoding: 'windows-1252' in JS), or save it as \"CSV UTF-8\""

/* ---- header ---- */
/* Names column `col` in err; returns `status` unchanged. */
static lp_status set_column_error(lp_job *j, lp_error *err, size_t col, lp_status status)
{
    if (err && col < j->n_columns) {
        lp__err_set_name(err->column, j->header[col], strlen(j->header[col]));
        err->column_index = (int64_t)col;
    }
    return status;
}

static lp_status bind_kept(lp_job *j, const lp__csv_record *rec, lp_error *err)
{
    j->kept = malloc((rec->n_fields ? rec->n_fields : 1) * sizeof *j->kept);
    if (!j->kept) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    if (j->opts.include_input) {
        for (size_t c = 0; c < rec->n_fields; c++) j->kept[j->n_kept++] = c;
        return LP_OK;
    }
    if (!j->keep_names) return LP_OK;   /* (NULL + 0 would be undefined behaviour) */
    /* --keep: names separated by NUL; each must be in the header. */
    const char *p = j->keep_names, *end = j->keep_names + j->opts.keep_len;
    while (p < end) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        size_t n = nul ? (size_t)(nul - p) : (size_t)(end - p);
        size_t c = 0;
        while (c < j->n_columns && !(strlen(j->header[c]) == n && memcmp(j->header[c], p, n) == 0)) c++;
        if (c == j->n_columns) {
            lp__fail(err, LP_ERR_MISSING_COLUMN, "column \"%.*s\" to keep is not in the input", (int)n, p);
            if (err) err->line = rec->line;
            return LP_ERR_MISSING_COLUMN;
        }
        if (j->n_kept < rec->n_fields) j->kept[j->n_kept++] = c;
        p += n + 1;
    }
    return LP_OK;
}

static lp_status write_header(lp_job *j, lp_error *err)
{
    const lp_model *m = j->model;
    size_t n = j->n_kept + m->n_outputs + (m->task != LP_TASK_REGRESSION) + (j->opts.on_error == LP_ON_ERROR_SKIP);
    const char **names = malloc(n * sizeof *names);
    if (!names) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < j->n_kept; i++) names[k++] = j->header[j->kept[i]];
    for (size_t i = 0; i < m->n_outputs; i++) names[k++] = m->output_names[i];
    if (m->task != LP_TASK_REGRESSION) names[k++] = "Suggested Label";
    if (j->opts.on_error == LP_ON_ERROR_SKIP) names[k++] = "Error";
    lp_status s = LP_OK;
    if (j->opts.excel && j->opts.write_header) s = lp__buf_append(&j->out, "\xEF\xBB\xBF", 3);
    for (size_t a = 0; a < n && s == LP_OK; a++)
        for (size_t b = a + 1; b < n && s == LP_OK; b++)
            if (strcmp(names[a], names[b]) == 0)
                s = lp__fail(err, LP_ERR_DUPLICATE_COLUMN,
                             "the output would have two columns named \"%s\" (a class named like a kept "
                             "input column, \"Suggested Label\" or \"Error\"): keep fewer columns or rename the classes",
                             names[a]);
    for (size_t i = 0; i < n && s == LP_OK && j->opts.write_header; i++)
        s = lp__csv_write_field(&j->out, names[i], strlen(names[i]), i == 0);
    if (s == LP_OK && j->opts.write_header) s = end_record(j);
    free(names);
    if (s == LP_ERR_NOMEM) lp__fail(err, s, "out of memory");
    return s;
}

/* The column names of a headerless file: --columns, or "1".."N". */
static lp_status headerless_names(lp_job *j, const lp__csv_record *rec, lp_error *err)
{
    size_t given = 0;
    const char *p = j->columns_copy, *end = p ? p + j->opts.columns_len : NULL;
    if (p) {
        given = 1;
        for (const char *q = p; q < end; q++) given += *q == '\0';
        if (given != rec->n_fields) {
            lp__fail(err, LP_ERR_RAGGED_ROW, "the row has %zu field%s but --columns names %zu", rec->n_fields,
                     rec->n_fields == 1 ? "" : "s", given);
            if (err) err->line = rec->line;
            return LP_ERR_RAGGED_ROW;
        }
    }
    for (size_t c = 0; c < rec->n_fields; c++) {
        char number[24];
        size_t n;
        const char *name;
        if (p) {
            const char *nul = memchr(p, '\0', (size_t)(end - p));
            n = nul ? (size_t)(nul - p) : (size_t)(end - p);
            name = p;
            p += n + 1;
        } else {
            n = (size_t)snprintf(number, sizeof number, "%zu", c + 1);
            name = number;
        }
        j->header[c] = lp__strndup(name, n);
        if (!j->header[c]) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    return LP_OK;
}

static lp_status on_data(lp_job *j, const lp__csv_record *rec, lp_error *err);

static lp_status on_header(lp_job *j, const lp__csv_record *rec, lp_error *err)
{
    const lp_model *m = j->model;
    j->n_columns = rec->n_fields;
    j->header = calloc(rec->n_fields, sizeof *j->header);
    size_t *lens = malloc(rec->n_fields * sizeof *lens);
    if (!j->header || !lens) {
        free(lens);
        return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    lp_status s = LP_OK;
    if (j->opts.no_header) s = headerless_names(j, rec, err);
    for (size_t c = 0; c < rec->n_fields && s == LP_OK && !j->opts.no_header; c++) {
        size_t len;
        const uint8_t *f = lp__csv_field(rec, c, &len);
        size_t valid = lp__utf8_valid_prefix(f, len);
        if (valid < len) {
            s = lp__fail(err, LP_ERR_BAD_CSV, "the name of column %zu is not valid UTF-8 (byte 0x%02X at position "
                         "%zu): " ENCODING_HINT, c + 1, f[valid], valid + 1);
            if (err) err->line = rec->line;
            break;
        }
        j->header[c] = lp__strndup((const char *)f, len);
        if (!j->header[c]) s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    for (size_t c = 0; c < rec->n_fields && s == LP_OK; c++) lens[c] = strlen(j->header[c]);
    if (s == LP_OK)
        s = lp__bind_columns(m, (const char *const *)j->header, lens, j->n_columns, j->feature_col, err);
    free(lens);
    if (s == LP_OK) s = bind_kept(j, rec, err);
    if (s == LP_OK) s = write_header(j, err);
    if (s == LP_OK && j->opts.check_only) s = lp__check_stats_init(&j->check, j->n_columns, err);
    if (s == LP_OK) j->phase = IN_DATA;
    if (s != LP_OK && err && err->line == 0) err->line = rec->line;
    /* A headerless file's first record is its first row (but not the header
     * record a slice job is given: that row belongs to the first slice). */
    if (s == LP_OK && j->opts.no_header && !j->template_header) s = on_data(j, rec, err);
    return s;
}

/* ---- data ---- */
/* A skipped row's line, among the first LP_SKIPPED_LINES_KEPT in file order
 * (a row the model fails is found when its batch runs, after the batch's
 * later rows that could not be read). */
static void note_skipped(lp_job *j, uint64_t line)
{
    size_t n = j->skipped < LP_SKIPPED_LINES_KEPT ? (size_t)j->skipped : LP_SKIPPED_LINES_KEPT, at = n;
    while (at > 0 && j->skipped_lines[at - 1] > line) at--;
    if (at < LP_SKIPPED_LINES_KEPT) {
        size_t moved = (n < LP_SKIPPED_LINES_KEPT ? n : LP_SKIPPED_LINES_KEPT - 1) - at;
        memmove(&j->skipped_lines[at + 1], &j->skipped_lines[at], moved * sizeof *j->skipped_lines);
        j->skipped_lines[at] = line;
    }
    j->skipped++;
}

/* Predicts the batch's rows [first, first + n). */
static lp_status predict_rows(lp_job *j, size_t first, size_t n, lp_error *err)
{
    const lp_model *m = j->model;
    float *proba = j->proba + first * m->n_outputs;
    uint8_t *chosen = j->chosen + first * m->n_outputs;
#ifndef LP_NO_TEXT
    if (m->text)
        return lp__text_predict_rows(m, &j->text, first, n, j->opts.threshold, j->margins, proba, chosen, err);
#endif
    return lp__predict_batch(m, j->x + first * j->stride, n, j->opts.threshold, j->margins, proba, chosen, err);
}

/* The batch row an error of predict_rows(first, n) names (err->line, 1-based
 * in the rows predicted), or SIZE_MAX; the error then names the file's line
 * and the CSV column of a refused feature, as the cell parser does. */
static size_t name_row(lp_job *j, size_t first, size_t n, lp_status s, lp_error *err)
{
    if (!err || err->line < 1 || err->line > n) return SIZE_MAX;
    size_t r = first + (size_t)err->line - 1;
    err->line = j->row_line[r];
    if (err->column_index >= 0 && (size_t)err->column_index < j->model->n_features)
        set_column_error(j, err, j->feature_col[err->column_index], s);
    return r;
}

/* Errors that are one row's data, which on_error skip skips. */
static int row_level(lp_status s)
{
    return s == LP_ERR_BAD_NUMBER || s == LP_ERR_UNKNOWN_CATEGORY || s == LP_ERR_BAD_CSV;
}

/* Batch row r was read, but the model cannot compute it (err says why): it
 * is skipped as a row that cannot be read is, its message in the Error
 * column (the row's slot there is empty until now).  A batch with k such
 * rows takes up to 2k + 1 runs, each on rows between skipped ones. */
static lp_status skip_failed_row(lp_job *j, size_t r, lp_error *err)
{
    char message[LP_ERROR_MESSAGE_CAP + 256];
    size_t n = lp_error_format(err, NULL, message, sizeof message);
    lp_error_clear(err);
    size_t at = r ? j->error_end[r - 1] : 0, tail = j->errors.len - at;
    if (lp__buf_append(&j->errors, message, n) != LP_OK) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    memmove(j->errors.data + at + n, j->errors.data + at, tail);
    memcpy(j->errors.data + at, message, n);
    for (size_t k = r; k < j->batch_len; k++) j->error_end[k] += n;
    j->failed[r] = 1;
    note_skipped(j, j->row_line[r]);
    return LP_OK;
}

/* The batch's probabilities.  Rows that could not be read are not run (their
 * cells are incomplete); with on_error skip the rows between them run
 * together, and a row the model fails at run time (a computed index out of
 * range, an unknown category: lp__run_fail, naming the row) is skipped and
 * its run predicted again without it, so no other row is lost or moved. */
static lp_status predict_batch(lp_job *j, lp_error *err)
{
    if (j->opts.on_error != LP_ON_ERROR_SKIP) {
        lp_status s = predict_rows(j, 0, j->batch_len, err);
        if (s != LP_OK) name_row(j, 0, j->batch_len, s, err);
        return s;
    }
    size_t r = 0;
    while (r < j->batch_len) {
        if (j->failed[r]) {
            r++;
            continue;
        }
        size_t end = r;
        while (end < j->batch_len && !j->failed[end]) end++;
        lp_status s = predict_rows(j, r, end - r, err);
        if (s == LP_OK) {
            r = end;
            continue;
        }
        size_t bad = name_row(j, r, end - r, s, err);
        if (bad == SIZE_MAX || !row_level(s)) return s;
        if ((s = skip_failed_row(j, bad, err)) != LP_OK) return s;
    }
    return LP_OK;
}

static lp_status flush_batch(lp_job *j, lp_error *err)
{
    const lp_model *m = j->model;
    if (j->batch_len == 0) return LP_OK;
    lp_status s = predict_batch(j, err);
    if (s != LP_OK) return s;
    const int skip_policy = j->opts.on_error == LP_ON_ERROR_SKIP;
    size_t kept_start = 0, error_start = 0;
    lp__buf label = {0};
    for (size_t r = 0; r < j->batch_len && s == LP_OK; r++) {
        /* Kept fields are stored already quoted and comma-separated; the
         * first probability then starts with its comma. */
        size_t kept_len = j->kept_end[r] - kept_start;
        if (kept_len)   /* kept_bytes.data is NULL until a field is kept */
            s = lp__buf_append(&j->out, j->kept_bytes.data + kept_start, kept_len);
        kept_start = j->kept_end[r];
        const int failed = skip_policy && j->failed[r];
        const float *p = j->proba + r * m->n_outputs;
        for (size_t k = 0; k < m->n_outputs && s == LP_OK; k++) {
            int first = j->n_kept == 0 && k == 0;
            s = failed ? lp__csv_write_field(&j->out, "", 0, first) : lp__csv_write_f32(&j->out, p[k], first);
        }
        if (m->task != LP_TASK_REGRESSION && s == LP_OK) {
            const uint8_t *c = j->chosen + r * m->n_outputs;
            label.len = 0;
            for (size_t k = 0; k < m->n_outputs && s == LP_OK && !failed; k++) {
                if (!c[k]) continue;
                if (label.len) s = lp__buf_push(&label, ',');
                if (s == LP_OK) s = lp__buf_append(&label, m->output_names[k], strlen(m->output_names[k]));
            }
            if (s == LP_OK) s = lp__csv_write_field(&j->out, (const char *)label.data, label.len, 0);
        }
        if (skip_policy && s == LP_OK) {
            size_t n = j->error_end[r] - error_start;
            s = lp__csv_write_field(&j->out, n ? (const char *)j->errors.data + error_start : "", n, 0);
            error_start = j->error_end[r];
        }
        if (s == LP_OK) s = end_record(j);
    }
    lp__buf_free(&label);
    j->rows += j->batch_len;
    j->batch_len = 0;
    j->kept_bytes.len = 0;
    j->errors.len = 0;
    if (s != LP_OK) return lp__fail(err, s, "out of memory writing the output");
    return LP_OK;
}

/* The batch row being read is done: kept fields and error text end here. */
static lp_status end_row(lp_job *j, const lp__csv_record *rec, int failed, lp_error *err)
{
    j->row_line[j->batch_len] = rec->line;   /* for errors the model raises on the batch */
    j->kept_end[j->batch_len] = j->kept_bytes.len;
    if (j->failed) j->failed[j->batch_len] = (uint8_t)failed;
    if (j->error_end) j->error_end[j->batch_len] = j->errors.len;
    return ++j->batch_len == j->batch_cap ? flush_batch(j, err) : LP_OK;
}

/* A row that cannot be read.  With on_error skip it keeps its place: its
 * kept fields (those that are UTF-8), no probabilities, the
 * message in the Error column; otherwise the job fails with `s`.  A ragged
 * row's fields do not line up with the header, so none of them is kept. */
static lp_status row_error(lp_job *j, const lp__csv_record *rec, lp_status s, lp_error *err)
{
    if (j->opts.on_error != LP_ON_ERROR_SKIP || s == LP_ERR_NOMEM) return s;
    note_skipped(j, rec->line);
    if (j->opts.check_only) {   /* counted; the sample ends as for a good row */
        lp_error_clear(err);
        if (j->check.rows + j->skipped >= LP_CHECK_SAMPLE_ROWS) j->phase = CHECK_DONE;
        return LP_OK;
    }
    char message[LP_ERROR_MESSAGE_CAP + 256];
    size_t n = err ? lp_error_format(err, NULL, message, sizeof message) : 0;
    lp_error_clear(err);
    j->kept_bytes.len = j->batch_len ? j->kept_end[j->batch_len - 1] : 0;   /* drop a half-kept row */
    lp_status w = lp__buf_append(&j->errors, message, n);
    for (size_t i = 0; i < j->n_kept && w == LP_OK; i++) {
        size_t col = j->kept[i], len = 0;
        const uint8_t *text = (const uint8_t *)"";
        if (rec->n_fields == j->n_columns) text = lp__csv_field(rec, col, &len);   /* (ragged: none lines up) */
        if (lp__utf8_valid_prefix(text, len) < len) len = 0;
        w = lp__csv_write_field(&j->kept_bytes, (const char *)text, len, i == 0);
    }
    if (w != LP_OK) return lp__fail(err, w, "out of memory");
#ifndef LP_NO_TEXT
    if (j->model->text) lp__text_batch_no_row(j->model, &j->text, j->batch_len);
#endif
    return end_row(j, rec, 1, err);
}

/* --decimal-comma: the cell with its comma as a point, in `tmp`; 0 when the
 * cell is read as it is (no comma).  A cell with a point is refused: in a
 * decimal-comma file a point is a thousands separator, which pandas does not
 * read either (1.234,5 is not silently 1.234). */
enum { DECIMAL_CELL_CAP = 64 };
static int decimal_comma_cell(const char *text, size_t len, char *tmp, lp_error *err, lp_status *s)
{
    *s = LP_OK;
    if (memchr(text, '.', len)) {
        int shown = len > 40 ? 40 : (int)len;
        *s = lp__fail(err, LP_ERR_BAD_NUMBER, "not a number with a decimal comma: \"%.*s%s\" (--decimal-comma reads "
                      "1,5 as 1.5, and takes no point)", shown, text, len > 40 ? "..." : "");
        return 0;
    }
    const char *comma = memchr(text, ',', len);
    if (!comma || len >= DECIMAL_CELL_CAP) return 0;
    memcpy(tmp, text, len);
    tmp[comma - text] = '.';
    return 1;
}

/* Every record must be UTF-8 (or the file was read with the wrong encoding,
 * whichever columns the model uses): an error of the file, not of the row,
 * so on_error skip does not skip it.  The record's fields lie in one range
 * of its bytes (with delimiters and quotes between them, which are ASCII). */
static lp_status check_utf8(lp_job *j, const lp__csv_record *rec, lp_error *err)
{
    size_t start = rec->spans[0].start, end = rec->spans[rec->n_fields - 1].end;
    if (end <= start) return LP_OK;
    size_t at = start + lp__utf8_valid_prefix(rec->bytes + start, end - start);
    if (at == end) return LP_OK;
    size_t col = 0;
    while (col + 1 < rec->n_fields && rec->spans[col].end <= at) col++;
    lp__fail(err, LP_ERR_BAD_CSV, "not valid UTF-8 (byte 0x%02X at position %zu of the field): " ENCODING_HINT,
             rec->bytes[at], at - rec->spans[col].start + 1);
    if (err) err->line = rec->line;
    j->phase = FAILED;
    return col < j->n_columns ? set_column_error(j, err, col, LP_ERR_BAD_CSV) : LP_ERR_BAD_CSV;
}

static lp_status on_data(lp_job *j, const lp__csv_record *rec, lp_error *err)
{
    const lp_model *m = j->model;
    if (!j->decoding) {
        lp_status u = check_utf8(j, rec, err);
        if (u != LP_OK) return u;
    }
    if (rec->n_fields != j->n_columns) {
        lp__fail(err, LP_ERR_RAGGED_ROW, "the row has %zu field%s but the header has %zu",
                 rec->n_fields, rec->n_fields == 1 ? "" : "s", j->n_columns);
        if (err) err->line = rec->line;
        return row_error(j, rec, LP_ERR_RAGGED_ROW, err);
    }
    /* The hot loop of a CSV job: one cell per feature, straight from the
     * record's bytes (which continue past each cell: the parser may read
     * ahead, see lp__parse_cell_f32_in). */
    float *x = j->x + j->batch_len * j->stride;
    const size_t n_features = m->n_features, *feature_col = j->feature_col;
    const int plain = j->plain_cells;
#ifndef LP_NO_TEXT
    if (m->text) {   /* the text columns become token ids instead of numbers */
        for (size_t f = 0; f < n_features; f++) j->text.cells[f] = lp__csv_field(rec, feature_col[f], &j->text.lens[f]);
        lp_status s = lp__text_batch_row(m, &j->text, j->batch_len, err);
        if (s != LP_OK) {
            if (err) err->line = rec->line;
            return s;   /* a bad cell's column is named by the text step */
        }
    } else
#endif
    for (size_t f = 0; f < n_features; f++) {
        size_t col = feature_col[f];
        if (col == LP__ABSENT_COLUMN) {   /* a map key no column names: absent from every row's map */
            x[f] = NAN;
            continue;
        }
        lp__csv_span span = rec->spans[col];
        const char *text = (const char *)rec->bytes + span.start;
        size_t len = span.end - span.start;
        if (plain) {
            /* The common case, decided once per job: a number or a missing
             * cell straight into the batch, without the per-model checks of
             * lp__cell_to_f32_in.  Anything else (a bad cell) takes the
             * general path below, which names the error. */
            lp__cell_kind kind = lp__parse_cell_f32_hot(text, len, rec->bytes_len - span.start, &x[f]);
            if (kind == LP__CELL_NUMBER) continue;
            if (kind == LP__CELL_MISSING) {
                x[f] = NAN;
                continue;
            }
        }
        lp_status s;
        char tmp[DECIMAL_CELL_CAP];
        if (j->opts.decimal_comma && decimal_comma_cell(text, len, tmp, err, &s)) {
            s = lp__cell_to_f32(m, f, tmp, len, &x[f], err);
            if (s == LP_ERR_BAD_NUMBER) lp__bad_cell(text, len, err);   /* quote the cell as it is */
        } else if (!j->opts.decimal_comma || s == LP_OK) {
            s = lp__cell_to_f32_in(m, f, text, len, rec->bytes_len - span.start, &x[f], err);
        }
        if (s != LP_OK) {
            if (s == LP_ERR_BAD_NUMBER && err) {
                size_t used = strlen(err->message);
                if (lp__utf8_valid_prefix((const uint8_t *)text, len) < len)
                    snprintf(err->message + used, sizeof err->message - used, "; the cell is not UTF-8: " ENCODING_HINT);
                else if (!j->opts.decimal_comma && j->reader.delim != ',' && memchr(text, ',', len))
                    snprintf(err->message + used, sizeof err->message - used,
                             "; if the comma is a decimal comma, add --decimal-comma (decimalComma: true in JS)");
            }
            if (err) err->line = rec->line;
            set_column_error(j, err, col, s);
            return row_error(j, rec, s, err);
        }
    }
    if (j->opts.parse_only) {
        /* The batch is parsed, then dropped: nothing is predicted. */
        if (++j->batch_len == j->batch_cap) j->rows += j->batch_len, j->batch_len = 0;
        return LP_OK;
    }
    lp_status s = LP_OK;
    for (size_t i = 0; i < j->n_kept && s == LP_OK; i++) {
        size_t len;
        const uint8_t *text = lp__csv_field(rec, j->kept[i], &len);
        /* Kept fields are copied to the output, which is UTF-8 (other
         * columns are parsed as numbers or ignored). */
        size_t valid = lp__utf8_valid_prefix(text, len);
        if (valid < len) {
            lp__fail(err, LP_ERR_BAD_CSV, "not valid UTF-8 (byte 0x%02X at position %zu of the field): " ENCODING_HINT,
                     text[valid], valid + 1);
            if (err) err->line = rec->line;
            set_column_error(j, err, j->kept[i], LP_ERR_BAD_CSV);
            return row_error(j, rec, LP_ERR_BAD_CSV, err);
        }
        s = lp__csv_write_field(&j->kept_bytes, (const char *)text, len, i == 0);
    }
    if (s != LP_OK) return lp__fail(err, s, "out of memory");
    if (j->opts.check_only) {
        /* A sampled row: its columns' types are noted, nothing is predicted. */
        j->kept_bytes.len = 0;
        lp__check_stats_row(&j->check, rec, j->opts.decimal_comma);
        if (j->check.rows + j->skipped >= LP_CHECK_SAMPLE_ROWS) j->phase = CHECK_DONE;
        return LP_OK;
    }
    return end_row(j, rec, 0, err);
}

static lp_status on_record(void *ctx, const lp__csv_record *rec, lp_error *err)
{
    lp_job *j = ctx;
    switch (j->phase) {
    case AWAIT_HEADER: return on_header(j, rec, err);
    case IN_DATA: return on_data(j, rec, err);
    default: return LP_OK;   /* CHECK_DONE: the rest is not looked at */
    }
}

/* The job fails on an error of its input (a row, the file), with rows read
 * before it still waiting in the batch.  One of those may fail at run time
 * (an unknown category, an index out of range): an earlier line's error,
 * which a smaller batch would have reported first, so it wins whatever the
 * batch size (fuzz_predict_csv's regression-run-error-before-ragged-row). */
static lp_status fail_input(lp_job *j, lp_status s, lp_error *err)
{
    j->phase = FAILED;
    if (s == LP_ERR_NOMEM || j->batch_len == 0 || j->opts.parse_only) return s;
    lp_error run;
    lp_error_clear(&run);
    lp_status r = predict_batch(j, &run);
    if (r == LP_OK) return s;
    if (err) *err = run;
    return r;
}

/* Reader errors know the column's index; add its name. */
static lp_status reader_error(lp_job *j, lp_status s, lp_error *err)
{
    if (err && err->column[0] == '\0' && err->column_index >= 0 && j->header &&
        (s == LP_ERR_BAD_CSV || s == LP_ERR_UNTERMINATED_QUOTE || s == LP_ERR_LIMIT))
        set_column_error(j, err, (size_t)err->column_index, s);
    return fail_input(j, s, err);
}

/* ---- life cycle ---- */
static lp_status check_nul(lp_job *j, const uint8_t *bytes, size_t len, lp_error *err);
static lp_status decide_dialect(lp_job *j, const uint8_t *bytes, size_t len, lp_error *err);
static lp_status choose_encoding(lp_job *j, const uint8_t *b, size_t n, size_t *bom, lp_error *err);

/* A copy of `len` bytes of NUL-separated names (NULL when none). */
static int copy_names(const char *names, size_t len, char **out)
{
    *out = NULL;
    if (!names || !len) return 1;
    *out = lp__strndup(names, len);
    return *out != NULL;
}

/* A slice job reads the file's header from opts->header (raw bytes of the
 * file's start): sniffed, decoded, and its delimiter decided as the whole
 * file's job would. */
static lp_status read_given_header(lp_job *j, const lp_job_options *opts, lp_error *err)
{
    const uint8_t *h = (const uint8_t *)opts->header;
    size_t len = opts->header_len, bom = 0;
    j->sniffed = 1;
    j->template_header = 1;
    lp__csv_reader_init(&j->reader, 1);
    lp__csv_reader_set_limits(&j->reader, j->opts.max_columns, j->opts.max_field_bytes);
    lp_status s = choose_encoding(j, h, len < LP__SNIFF_BYTES ? len : LP__SNIFF_BYTES, &bom, err);
    if (s == LP_OK && (j->enc == LP_ENC_UTF16LE || j->enc == LP_ENC_UTF16BE))
        s = lp__fail(err, LP_ERR_USAGE, "a job that starts mid-file cannot read UTF-16 (cut points would split "
                     "code units): predict UTF-16 input with one job");
    if (s == LP_OK && j->decoding) {
        s = lp__decode(&j->dec, h, len, &j->decoded, err);
        h = j->decoded.data;
        len = j->decoded.len;
    }
    if (s == LP_OK) s = decide_dialect(j, h, len, err);
    if (s == LP_OK) s = check_nul(j, h, len, err);
    if (s == LP_OK) s = lp__csv_reader_push(&j->reader, h, len, on_record, j, err);
    if (s == LP_OK) s = lp__csv_reader_finish(&j->reader, on_record, j, err);
    lp__csv_reader_free(&j->reader);
    j->decoded.len = 0;
    j->template_header = 0;
    if (s == LP_OK && j->phase == AWAIT_HEADER) s = lp__fail(err, LP_ERR_EMPTY_INPUT, "the given header is empty");
    return s;
}

lp_status lp_job_create(const lp_model *model, const lp_job_options *opts, lp_job **out, lp_error *err)
{
    lp_error_clear(err);
    if (!model || !out) return lp__fail(err, LP_ERR_USAGE, "lp_job_create: no model or no output pointer");
    *out = NULL;
    lp_job *j = calloc(1, sizeof *j);
    if (!j) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    j->model = model;
    j->opts = opts ? *opts : lp_job_options_default();
    j->opts.header = NULL;   /* not kept: copied into the reader below */
    if (j->opts.check_only || j->opts.parse_only) j->opts.write_header = 0;
    j->batch_cap = j->opts.batch_rows ? j->opts.batch_rows : DEFAULT_BATCH_ROWS;
    j->plain_cells = lp__cells_plain(model) && !j->opts.decimal_comma;
    j->stride = model->n_features ? model->n_features : 1;
    size_t n_out = model->n_outputs;
    lp_status bad = LP_OK;
    if (j->batch_cap > LP_MAX_BATCH_ROWS)
        bad = lp__fail(err, LP_ERR_LIMIT, "batch_rows is %zu, over the limit of %d rows per batch",
                       (size_t)(opts ? opts->batch_rows : 0), LP_MAX_BATCH_ROWS);
    else if (j->opts.decimal_comma && j->opts.delimiter == ',')
        bad = lp__fail(err, LP_ERR_USAGE, "a decimal comma needs a delimiter other than ',' (a comma cannot both "
                       "separate the fields and be the decimal point)");
    else if (j->opts.delimiter && (j->opts.delimiter == '"' || j->opts.delimiter == '\n' ||
                                   j->opts.delimiter == '\r' || j->opts.delimiter < 1 || j->opts.delimiter > 127))
        bad = lp__fail(err, LP_ERR_USAGE, "the delimiter must be one ASCII character other than a quote or a "
                       "line end (such as , ; | or TAB)");
    else if ((unsigned)j->opts.encoding > LP_ENC_UTF16BE)
        bad = lp__fail(err, LP_ERR_USAGE, "unknown encoding %d", (int)j->opts.encoding);
    else if ((unsigned)j->opts.on_error > LP_ON_ERROR_SKIP)
        bad = lp__fail(err, LP_ERR_USAGE, "on_error must be LP_ON_ERROR_FAIL or LP_ON_ERROR_SKIP");
    else if (j->opts.columns && j->opts.columns_len && !j->opts.no_header)
        bad = lp__fail(err, LP_ERR_USAGE, "column names (--columns) are for a file without a header (--no-header)");
    if (bad != LP_OK) {
        lp_job_destroy(j);
        return bad;
    }
    /* batch_cap * width must not overflow a size_t (a 32-bit one in WASM). */
    size_t width = j->stride > n_out ? j->stride : n_out;
    if (lp__model_margin_width(model) > width) width = lp__model_margin_width(model);
    if (width > SIZE_MAX / sizeof(float) / j->batch_cap) {
        lp_job_destroy(j);
        return lp__fail(err, LP_ERR_LIMIT, "a batch of %zu rows of %zu values does not fit in memory", j->batch_cap,
                        width);
    }
    int names_ok = copy_names(j->opts.keep, j->opts.keep_len, &j->keep_names) &&
                   copy_names(j->opts.columns, j->opts.columns_len, &j->columns_copy);
    j->feature_col = calloc(model->n_features + 1, sizeof *j->feature_col);
    j->x = calloc(j->batch_cap * j->stride, sizeof *j->x);
    j->margins = calloc(j->batch_cap * lp__model_margin_width(model), sizeof *j->margins);
    j->proba = calloc(j->batch_cap * n_out, sizeof *j->proba);
    j->chosen = calloc(j->batch_cap * n_out, 1);
    j->kept_end = calloc(j->batch_cap, sizeof *j->kept_end);
    if (j->opts.on_error == LP_ON_ERROR_SKIP) {
        j->failed = calloc(j->batch_cap, 1);
        j->error_end = calloc(j->batch_cap, sizeof *j->error_end);
    }
    j->row_line = calloc(j->batch_cap, sizeof *j->row_line);
    if (!names_ok || !j->feature_col || !j->x || !j->margins || !j->proba || !j->chosen || !j->kept_end ||
        !j->row_line || (j->opts.on_error == LP_ON_ERROR_SKIP && (!j->failed || !j->error_end))) {
        lp_job_destroy(j);
        return lp__fail(err, LP_ERR_NOMEM, "out of memory creating the job");
    }
    j->opts.keep = j->keep_names;
#ifndef LP_NO_TEXT
    if (model->text) {
        lp_status ts = lp__text_batch_init(&j->text, model, j->batch_cap, err);
        if (ts != LP_OK) {
            lp_job_destroy(j);
            return ts;
        }
    }
#endif
    j->opts.columns = j->columns_copy;

    if (opts && opts->header) {
        lp_status s = read_given_header(j, opts, err);
        if (s != LP_OK) {
            lp_job_destroy(j);
            return s;
        }
    }
    uint8_t delim = j->reader.delim;
    lp__csv_reader_init(&j->reader, j->opts.first_line ? j->opts.first_line : 1);
    lp__csv_reader_set_limits(&j->reader, j->opts.max_columns, j->opts.max_field_bytes);
    /* A slice starts mid-file, where a UTF-8 BOM is data, as it is to a single job. */
    if (opts && opts->header) {
        j->reader.at_stream_start = 0;
        j->reader.delim = delim;
    }
    *out = j;
    return LP_OK;
}

/* A NUL byte is refused: no text CSV has one (UTF-16 text was caught by the
 * sniffer already).  `line` is the physical line the NUL is on. */
static lp_status nul_error(lp_error *err, uint64_t line)
{
    lp__fail(err, LP_ERR_BAD_CSV, "the input has a NUL byte (0x00), which no text CSV has: is it a binary "
             "file, or text in UTF-16 or UTF-32? (save it as \"CSV UTF-8\")");
    if (err) err->line = line;
    return LP_ERR_BAD_CSV;
}

static lp_status check_nul(lp_job *j, const uint8_t *bytes, size_t len, lp_error *err)
{
    return len && memchr(bytes, 0, len) ? nul_error(err, j->reader.line) : LP_OK;
}

/* Feeds UTF-8 bytes to the CSV reader.  The bytes before a NUL are read
 * first, so that an earlier error wins however the input is split, and the
 * reader's line is then the NUL's. */
static lp_status feed(lp_job *j, const uint8_t *bytes, size_t len, lp_error *err)
{
    const uint8_t *nul = lp__csv_find_nul(bytes, len);
    size_t n = nul ? (size_t)(nul - bytes) : len;
    lp_status s = lp__csv_reader_push(&j->reader, bytes, n, on_record, j, err);
    if (s == LP_OK && nul) s = nul_error(err, j->reader.line);
    return s == LP_OK ? LP_OK : reader_error(j, s, err);
}

/* The delimiter: given, or detected from the (decoded) start of the input. */
static lp_status decide_dialect(lp_job *j, const uint8_t *bytes, size_t len, lp_error *err)
{
    j->dialect_ready = 1;
    int d = j->opts.delimiter;
    j->delim_detected = d == 0;
    if (!d) d = lp_csv_detect_delimiter(bytes, len);
    j->reader.delim = (uint8_t)d;
    if (j->opts.decimal_comma && d == ',') {
        lp__fail(err, LP_ERR_USAGE, "a decimal comma needs a delimiter other than ',', but the header's fields are "
                 "separated by ',' (give the delimiter with --delimiter, delimiter in JS, if it is another)");
        if (err) err->line = 1;
        return LP_ERR_USAGE;
    }
    return LP_OK;
}

/* UTF-8 bytes on their way to the reader: the header line is held until it
 * ends (or LP__DIALECT_HOLD_BYTES, or the input ends) to decide the delimiter. */
static lp_status to_reader(lp_job *j, const uint8_t *bytes, size_t len, int last, lp_error *err)
{
    if (j->dialect_ready) return len ? feed(j, bytes, len, err) : LP_OK;
    if (len && lp__buf_append(&j->hold, bytes, len) != LP_OK)
        return lp__fail(err, LP_ERR_NOMEM, "out of memory reading the header");
    if (!last && j->hold.len < LP__DIALECT_HOLD_BYTES && !lp__csv_header_end(j->hold.data, j->hold.len))
        return LP_OK;
    lp_status s = decide_dialect(j, j->hold.data, j->hold.len, err);
    if (s == LP_OK && j->hold.len) s = feed(j, j->hold.data, j->hold.len, err);
    lp__buf_free(&j->hold);
    if (s != LP_OK) j->phase = FAILED;
    return s;
}

/* Raw bytes past start_input: converted when the input is not UTF-8. */
static lp_status take(lp_job *j, const uint8_t *bytes, size_t len, int last, lp_error *err)
{
    lp_status s = LP_OK;
    if (j->decoding) {
        j->decoded.len = 0;
        if (len) s = lp__decode(&j->dec, bytes, len, &j->decoded, err);
        if (s == LP_OK && last) s = lp__decode_finish(&j->dec, err);
        if (s != LP_OK) return fail_input(j, s, err);
        bytes = j->decoded.data;
        len = j->decoded.len;
    }
    return to_reader(j, bytes, len, last, err);
}

/* The encoding, from opts and the first bytes b[0, n): a UTF-16 byte-order
 * mark (dropped: *bom = its length) when none is given; sniff.c refuses
 * what is not a text CSV.  UTF-16 given explicitly skips the sniffer (its
 * NUL bytes are expected). */
static lp_status choose_encoding(lp_job *j, const uint8_t *b, size_t n, size_t *bom, lp_error *err)
{
    lp_encoding e = j->opts.encoding;
    int le_bom = n >= 2 && b[0] == 0xFF && b[1] == 0xFE && !(n >= 4 && b[2] == 0 && b[3] == 0);
    int be_bom = n >= 2 && b[0] == 0xFE && b[1] == 0xFF;
    *bom = 0;
    if (e == LP_ENC_AUTO && (le_bom || be_bom)) {
        e = le_bom ? LP_ENC_UTF16LE : LP_ENC_UTF16BE;
        j->enc_from_bom = 1;
    }
    if ((e == LP_ENC_UTF16LE && le_bom) || (e == LP_ENC_UTF16BE && be_bom)) *bom = 2;
    if (e == LP_ENC_AUTO) e = LP_ENC_UTF8;
    j->enc = e;
    if (e != LP_ENC_UTF16LE && e != LP_ENC_UTF16BE) {
        lp_status s = lp__sniff_input(b, n, err);
        if (s != LP_OK) return s;
    }
    j->decoding = e != LP_ENC_UTF8;
    if (j->decoding) lp__decoder_init(&j->dec, e);
    return LP_OK;
}

/* The held first bytes: the encoding is chosen, then they go on. */
static lp_status start_input(lp_job *j, int last, lp_error *err)
{
    j->sniffed = 1;
    size_t bom = 0;
    lp_status s = choose_encoding(j, j->sniff, j->sniff_len, &bom, err);
    if (s != LP_OK) {
        j->phase = FAILED;
        return s;
    }
    j->dec.offset = bom;   /* errors name offsets in the file */
    return take(j, j->sniff + bom, j->sniff_len - bom, last, err);
}

lp_status lp_job_push(lp_job *j, const uint8_t *bytes, size_t len, lp_error *err)
{
    lp_error_clear(err);
    if (!j || (!bytes && len)) return lp__fail(err, LP_ERR_USAGE, "lp_job_push: no job or no bytes");
    if (j->phase == FAILED || j->phase == FINISHED)
        return lp__fail(err, LP_ERR_STATE, "the job has %s; create a new one",
                        j->phase == FAILED ? "failed" : "finished");
    j->bytes_in += len;
    if (!j->sniffed) {   /* hold the first bytes, however they are split */
        size_t n = LP__SNIFF_BYTES - j->sniff_len < len ? LP__SNIFF_BYTES - j->sniff_len : len;
        if (n) memcpy(j->sniff + j->sniff_len, bytes, n);
        j->sniff_len += n;
        bytes += n;
        len -= n;
        if (j->sniff_len < LP__SNIFF_BYTES) return LP_OK;
        lp_status s = start_input(j, 0, err);
        if (s != LP_OK) return s;
    }
    if (!len) return LP_OK;
    if (!j->decoding && j->dialect_ready) return feed(j, bytes, len, err);   /* the common case */
    return take(j, bytes, len, 0, err);
}

lp_status lp_job_finish(lp_job *j, lp_error *err)
{
    lp_error_clear(err);
    if (!j) return lp__fail(err, LP_ERR_USAGE, "lp_job_finish: no job");
    if (j->phase == FAILED || j->phase == FINISHED)
        return lp__fail(err, LP_ERR_STATE, "the job has %s; create a new one",
                        j->phase == FAILED ? "failed" : "finished");
    lp_status s = !j->sniffed ? start_input(j, 1, err) : take(j, NULL, 0, 1, err);
    if (s != LP_OK) return s;
    s = lp__csv_reader_finish(&j->reader, on_record, j, err);
    if (s != LP_OK) return reader_error(j, s, err);
    if (j->phase == AWAIT_HEADER) {
        j->phase = FAILED;
        return lp__fail(err, LP_ERR_EMPTY_INPUT, "the input is empty: a CSV needs at least a header line");
    }
    if (j->opts.parse_only) j->rows += j->batch_len, j->batch_len = 0;
    s = flush_batch(j, err);
    j->phase = s == LP_OK ? FINISHED : FAILED;
    return s;
}

const uint8_t *lp_job_output(const lp_job *j) { return j->out.data; }
size_t lp_job_output_len(const lp_job *j) { return j->out.len; }
void lp_job_output_clear(lp_job *j) { j->out.len = 0; }
uint64_t lp_job_rows(const lp_job *j) { return j->rows; }
uint64_t lp_job_bytes_in(const lp_job *j) { return j->bytes_in; }
uint64_t lp_job_line_ends(const lp_job *j)
{
    /* The reader numbers lines from first_line and counts every line end it passes. */
    uint64_t first = j->opts.first_line ? j->opts.first_line : 1;
    return j->reader.line - first;
}
uint64_t lp_job_skipped(const lp_job *j) { return j->skipped; }
uint64_t lp_job_skipped_line(const lp_job *j, size_t i)
{
    return i < LP_SKIPPED_LINES_KEPT && i < j->skipped ? j->skipped_lines[i] : 0;
}
int lp_job_check_done(const lp_job *j) { return j->phase == CHECK_DONE; }
int lp_job_delimiter(const lp_job *j) { return j->dialect_ready ? j->reader.delim : 0; }
lp_encoding lp_job_encoding(const lp_job *j) { return j->sniffed ? j->enc : LP_ENC_AUTO; }

/* What the report needs to know about the job. */
static lp__check_facts check_facts(const lp_job *j)
{
    lp__check_facts f = {0};
    f.model = j->model;
    f.encoding = j->enc;
    f.encoding_given = j->opts.encoding != LP_ENC_AUTO;
    f.encoding_from_bom = j->enc_from_bom;
    f.delimiter = j->reader.delim;
    f.delimiter_detected = j->delim_detected;
    f.decimal_comma = j->opts.decimal_comma;
    f.no_header = j->opts.no_header;
    f.columns_given = j->columns_copy != NULL;
    f.n_columns = j->n_columns;
    f.header = (const char *const *)j->header;
    f.feature_col = j->feature_col;
    f.skipped = j->skipped;
    f.skipped_lines = j->skipped_lines;
    f.on_error_skip = j->opts.on_error == LP_ON_ERROR_SKIP;
    return f;
}

const char *lp_job_check_text(lp_job *j)
{
    lp__check_facts f = check_facts(j);
    return lp__check_text(&j->check, &f);
}

const char *lp_job_check_json(lp_job *j)
{
    lp__check_facts f = check_facts(j);
    return lp__check_json(&j->check, &f);
}

void lp_job_destroy(lp_job *j)
{
    if (!j) return;
    lp__csv_reader_free(&j->reader);
    lp__buf_free(&j->out);
    lp__buf_free(&j->kept_bytes);
    lp__buf_free(&j->decoded);
    lp__buf_free(&j->hold);
    lp__buf_free(&j->errors);
    lp__check_stats_free(&j->check);
    if (j->header)
        for (size_t c = 0; c < j->n_columns; c++) free(j->header[c]);
    free(j->header);
    free(j->keep_names);
    free(j->columns_copy);
    free(j->feature_col);
    free(j->kept);
    free(j->x);
    free(j->margins);
    free(j->proba);
    free(j->chosen);
    free(j->kept_end);
    free(j->row_line);
#ifndef LP_NO_TEXT
    lp__text_batch_free(&j->text);
#endif
    free(j->failed);
    free(j->error_end);
    free(j);
}
