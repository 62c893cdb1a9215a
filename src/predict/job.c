/* job.c — the streaming CSV → CSV job.
 *
 * Records come from the CSV reader.  The header binds columns to features
 * (binding.c) and writes the output header; data records are parsed into a
 * float32 batch (cells.c) and, when the batch is full or the input ends,
 * predicted (outputs.c) and written: kept input fields, one probability per
 * output, Suggested Label.  All buffers are sized at job creation, so the
 * per-batch work allocates nothing but output and kept-field bytes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../formats/ensemble.h"
#include "../core/utf8.h"
#include "../io/csv_reader.h"
#include "../io/csv_writer.h"
#include "../io/sniff.h"
#include "binding.h"
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
};

lp_job_options lp_job_options_default(void)
{
    lp_job_options o;
    memset(&o, 0, sizeof o);
    o.threshold = NAN;
    o.write_header = 1;
    return o;
}

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
    size_t n = j->n_kept + m->n_outputs + (m->task != LP_TASK_REGRESSION);
    const char **names = malloc(n * sizeof *names);
    if (!names) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < j->n_kept; i++) names[k++] = j->header[j->kept[i]];
    for (size_t i = 0; i < m->n_outputs; i++) names[k++] = m->output_names[i];
    if (m->task != LP_TASK_REGRESSION) names[k++] = "Suggested Label";
    lp_status s = LP_OK;
    for (size_t a = 0; a < n && s == LP_OK; a++)
        for (size_t b = a + 1; b < n && s == LP_OK; b++)
            if (strcmp(names[a], names[b]) == 0)
                s = lp__fail(err, LP_ERR_DUPLICATE_COLUMN,
                             "the output would have two columns named \"%s\" (a class named like a kept "
                             "input column or \"Suggested Label\"): keep fewer columns or rename the classes",
                             names[a]);
    for (size_t i = 0; i < n && s == LP_OK && j->opts.write_header; i++)
        s = lp__csv_write_field(&j->out, names[i], strlen(names[i]), i == 0);
    if (s == LP_OK && j->opts.write_header) s = lp__csv_end_record(&j->out);
    free(names);
    if (s == LP_ERR_NOMEM) lp__fail(err, s, "out of memory");
    return s;
}

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
    for (size_t c = 0; c < rec->n_fields; c++) {
        size_t len;
        const uint8_t *f = lp__csv_field(rec, c, &len);
        size_t valid = lp__utf8_valid_prefix(f, len);
        if (valid < len) {
            free(lens);
            lp__fail(err, LP_ERR_BAD_CSV, "the name of column %zu is not valid UTF-8 (byte 0x%02X at position %zu): "
                     "is the file in another encoding, such as Windows-1252? Save it as \"CSV UTF-8\"",
                     c + 1, f[valid], valid + 1);
            if (err) err->line = rec->line;
            return LP_ERR_BAD_CSV;
        }
        j->header[c] = lp__strndup((const char *)f, len);
        lens[c] = len;
        if (!j->header[c]) {
            free(lens);
            return lp__fail(err, LP_ERR_NOMEM, "out of memory");
        }
    }
    lp_status s = lp__bind_columns(m, (const char *const *)j->header, lens, j->n_columns,
                                   j->feature_col, err);
    free(lens);
    if (s == LP_OK) s = bind_kept(j, rec, err);
    if (s == LP_OK) s = write_header(j, err);
    if (s == LP_OK) j->phase = j->opts.check_only ? CHECK_DONE : IN_DATA;
    if (s != LP_OK && err && err->line == 0) err->line = rec->line;
    return s;
}

/* ---- data ---- */
static lp_status flush_batch(lp_job *j, lp_error *err)
{
    const lp_model *m = j->model;
    if (j->batch_len == 0) return LP_OK;
    lp_status s;
#ifndef LP_NO_TEXT
    if (m->text)
        s = lp__text_predict_batch(m, &j->text, j->batch_len, j->opts.threshold, j->margins, j->proba, j->chosen, err);
    else
#endif
        s = lp__predict_batch(m, j->x, j->batch_len, j->opts.threshold, j->margins, j->proba, j->chosen, err);
    if (s != LP_OK) {
        /* A value the graph refused names its batch row and feature: make
         * them the file's line and the CSV column, as the cell parser does. */
        if (err && err->line >= 1 && err->line <= j->batch_len) {
            err->line = j->row_line[err->line - 1];
            if (err->column_index >= 0 && (size_t)err->column_index < m->n_features)
                set_column_error(j, err, j->feature_col[err->column_index], s);
        }
        return s;
    }
    size_t kept_start = 0;
    lp__buf label = {0};
    for (size_t r = 0; r < j->batch_len && s == LP_OK; r++) {
        /* Kept fields are stored already quoted and comma-separated; the
         * first probability then starts with its comma. */
        size_t kept_len = j->kept_end[r] - kept_start;
        if (kept_len)   /* kept_bytes.data is NULL until a field is kept */
            s = lp__buf_append(&j->out, j->kept_bytes.data + kept_start, kept_len);
        kept_start = j->kept_end[r];
        const float *p = j->proba + r * m->n_outputs;
        for (size_t k = 0; k < m->n_outputs && s == LP_OK; k++)
            s = lp__csv_write_f32(&j->out, p[k], j->n_kept == 0 && k == 0);
        if (m->task != LP_TASK_REGRESSION && s == LP_OK) {
            const uint8_t *c = j->chosen + r * m->n_outputs;
            label.len = 0;
            for (size_t k = 0; k < m->n_outputs && s == LP_OK; k++) {
                if (!c[k]) continue;
                if (label.len) s = lp__buf_push(&label, ',');
                if (s == LP_OK) s = lp__buf_append(&label, m->output_names[k], strlen(m->output_names[k]));
            }
            if (s == LP_OK) s = lp__csv_write_field(&j->out, (const char *)label.data, label.len, 0);
        }
        if (s == LP_OK) s = lp__csv_end_record(&j->out);
    }
    lp__buf_free(&label);
    j->rows += j->batch_len;
    j->batch_len = 0;
    j->kept_bytes.len = 0;
    if (s != LP_OK) return lp__fail(err, s, "out of memory writing the output");
    return LP_OK;
}

static lp_status on_data(lp_job *j, const lp__csv_record *rec, lp_error *err)
{
    const lp_model *m = j->model;
    if (rec->n_fields != j->n_columns) {
        lp__fail(err, LP_ERR_RAGGED_ROW, "the row has %zu field%s but the header has %zu",
                 rec->n_fields, rec->n_fields == 1 ? "" : "s", j->n_columns);
        if (err) err->line = rec->line;
        return LP_ERR_RAGGED_ROW;
    }
    /* The hot loop of a CSV job: one cell per feature, straight from the
     * record's bytes (which continue past each cell: the parser may read
     * ahead, see lp__parse_cell_f32_in). */
    float *x = j->x + j->batch_len * j->stride;
    const size_t n_features = m->n_features, *feature_col = j->feature_col;
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
        lp__csv_span span = rec->spans[col];
        const char *text = (const char *)rec->bytes + span.start;
        lp_status s = lp__cell_to_f32_in(m, f, text, span.end - span.start, rec->bytes_len - span.start, &x[f], err);
        if (s != LP_OK) {
            if (err) err->line = rec->line;
            return set_column_error(j, err, col, s);
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
            lp__fail(err, LP_ERR_BAD_CSV, "not valid UTF-8 (byte 0x%02X at position %zu of the field): is the file "
                     "in another encoding, such as Windows-1252? Save it as \"CSV UTF-8\"", text[valid], valid + 1);
            if (err) err->line = rec->line;
            return set_column_error(j, err, j->kept[i], LP_ERR_BAD_CSV);
        }
        s = lp__csv_write_field(&j->kept_bytes, (const char *)text, len, i == 0);
    }
    if (s != LP_OK) return lp__fail(err, s, "out of memory");
    j->row_line[j->batch_len] = rec->line;
    j->kept_end[j->batch_len++] = j->kept_bytes.len;
    return j->batch_len == j->batch_cap ? flush_batch(j, err) : LP_OK;
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

/* Reader errors know the column's index; add its name. */
static lp_status reader_error(lp_job *j, lp_status s, lp_error *err)
{
    j->phase = FAILED;
    if (err && err->column[0] == '\0' && err->column_index >= 0 && j->header &&
        (s == LP_ERR_BAD_CSV || s == LP_ERR_UNTERMINATED_QUOTE || s == LP_ERR_LIMIT))
        set_column_error(j, err, (size_t)err->column_index, s);
    return s;
}

/* ---- life cycle ---- */
static lp_status check_nul(lp_job *j, const uint8_t *bytes, size_t len, lp_error *err);

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
    j->stride = model->n_features ? model->n_features : 1;
    size_t n_out = model->n_outputs;
    if (j->batch_cap > LP_MAX_BATCH_ROWS) {
        lp_job_destroy(j);
        return lp__fail(err, LP_ERR_LIMIT, "batch_rows is %zu, over the limit of %d rows per batch",
                        (size_t)(opts ? opts->batch_rows : 0), LP_MAX_BATCH_ROWS);
    }
    /* batch_cap * width must not overflow a size_t (a 32-bit one in WASM). */
    size_t width = j->stride > n_out ? j->stride : n_out;
    if (lp__model_margin_width(model) > width) width = lp__model_margin_width(model);
    if (width > SIZE_MAX / sizeof(float) / j->batch_cap) {
        lp_job_destroy(j);
        return lp__fail(err, LP_ERR_LIMIT, "a batch of %zu rows of %zu values does not fit in memory", j->batch_cap,
                        width);
    }
    if (j->opts.keep && j->opts.keep_len) j->keep_names = lp__strndup(j->opts.keep, j->opts.keep_len);
    j->feature_col = calloc(model->n_features + 1, sizeof *j->feature_col);
    j->x = calloc(j->batch_cap * j->stride, sizeof *j->x);
    j->margins = calloc(j->batch_cap * lp__model_margin_width(model), sizeof *j->margins);
    j->proba = calloc(j->batch_cap * n_out, sizeof *j->proba);
    j->chosen = calloc(j->batch_cap * n_out, 1);
    j->kept_end = calloc(j->batch_cap, sizeof *j->kept_end);
    j->row_line = calloc(j->batch_cap, sizeof *j->row_line);
    if ((j->opts.keep_len && !j->keep_names) || !j->feature_col || !j->x || !j->margins || !j->proba ||
        !j->chosen || !j->kept_end || !j->row_line) {
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

    if (opts && opts->header) {
        /* A slice of a file: read the given header as line 1, then data from
         * first_line.  The header is the file's start: it is what is sniffed. */
        j->sniffed = 1;
        lp__csv_reader_init(&j->reader, 1);
        lp__csv_reader_set_limits(&j->reader, j->opts.max_columns, j->opts.max_field_bytes);
        lp_status s = lp__sniff_input((const uint8_t *)opts->header,
                                      opts->header_len < LP__SNIFF_BYTES ? opts->header_len : LP__SNIFF_BYTES, err);
        if (s == LP_OK) s = check_nul(j, (const uint8_t *)opts->header, opts->header_len, err);
        if (s == LP_OK)
            s = lp__csv_reader_push(&j->reader, (const uint8_t *)opts->header, opts->header_len, on_record, j, err);
        if (s == LP_OK) s = lp__csv_reader_finish(&j->reader, on_record, j, err);
        lp__csv_reader_free(&j->reader);
        if (s == LP_OK && j->phase == AWAIT_HEADER) s = lp__fail(err, LP_ERR_EMPTY_INPUT, "the given header is empty");
        if (s != LP_OK) {
            lp_job_destroy(j);
            return s;
        }
    }
    lp__csv_reader_init(&j->reader, j->opts.first_line ? j->opts.first_line : 1);
    lp__csv_reader_set_limits(&j->reader, j->opts.max_columns, j->opts.max_field_bytes);
    /* A slice starts mid-file, where a UTF-8 BOM is data, as it is to a single job. */
    if (opts && opts->header) j->reader.at_stream_start = 0;
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

/* Feeds bytes past the sniffer to the CSV reader.  The bytes before a NUL
 * are read first, so that an earlier error wins however the input is split,
 * and the reader's line is then the NUL's. */
static lp_status feed(lp_job *j, const uint8_t *bytes, size_t len, lp_error *err)
{
    const uint8_t *nul = len ? memchr(bytes, 0, len) : NULL;
    size_t n = nul ? (size_t)(nul - bytes) : len;
    lp_status s = lp__csv_reader_push(&j->reader, bytes, n, on_record, j, err);
    if (s == LP_OK && nul) s = nul_error(err, j->reader.line);
    return s == LP_OK ? LP_OK : reader_error(j, s, err);
}

/* Runs the sniffer on the held first bytes, then feeds them. */
static lp_status sniff_and_feed(lp_job *j, lp_error *err)
{
    j->sniffed = 1;
    lp_status s = lp__sniff_input(j->sniff, j->sniff_len, err);
    if (s != LP_OK) {
        j->phase = FAILED;
        return s;
    }
    return feed(j, j->sniff, j->sniff_len, err);
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
        lp_status s = sniff_and_feed(j, err);
        if (s != LP_OK) return s;
    }
    return len ? feed(j, bytes, len, err) : LP_OK;
}

lp_status lp_job_finish(lp_job *j, lp_error *err)
{
    lp_error_clear(err);
    if (!j) return lp__fail(err, LP_ERR_USAGE, "lp_job_finish: no job");
    if (j->phase == FAILED || j->phase == FINISHED)
        return lp__fail(err, LP_ERR_STATE, "the job has %s; create a new one",
                        j->phase == FAILED ? "failed" : "finished");
    if (!j->sniffed && j->sniff_len) {   /* an input shorter than the sniffer's window */
        lp_status s = sniff_and_feed(j, err);
        if (s != LP_OK) return s;
    }
    lp_status s = lp__csv_reader_finish(&j->reader, on_record, j, err);
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

void lp_job_destroy(lp_job *j)
{
    if (!j) return;
    lp__csv_reader_free(&j->reader);
    lp__buf_free(&j->out);
    lp__buf_free(&j->kept_bytes);
    if (j->header)
        for (size_t c = 0; c < j->n_columns; c++) free(j->header[c]);
    free(j->header);
    free(j->keep_names);
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
    free(j);
}
