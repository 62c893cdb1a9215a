/* check_report.c — see check_report.h. */
#include "check_report.h"
#include "binding.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../io/number.h"

lp_status lp__check_stats_init(lp__check_stats *c, size_t n_columns, lp_error *err)
{
    size_t n = n_columns ? n_columns : 1;
    c->n_columns = n_columns;
    c->numbers = calloc(n, sizeof *c->numbers);
    c->missing = calloc(n, sizeof *c->missing);
    c->text = calloc(n, sizeof *c->text);
    if (!c->numbers || !c->missing || !c->text) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    return LP_OK;
}

void lp__check_stats_free(lp__check_stats *c)
{
    free(c->numbers);
    free(c->missing);
    free(c->text);
    lp__buf_free(&c->report);
    memset(c, 0, sizeof *c);
}

void lp__check_stats_row(lp__check_stats *c, const lp__csv_record *rec, int decimal_comma)
{
    c->rows++;
    for (size_t col = 0; col < c->n_columns && col < rec->n_fields; col++) {
        size_t len;
        const char *text = (const char *)lp__csv_field(rec, col, &len);
        char tmp[64];
        const char *comma = decimal_comma && len < sizeof tmp ? memchr(text, ',', len) : NULL;
        if (comma && !memchr(text, '.', len)) {
            memcpy(tmp, text, len);
            tmp[comma - text] = '.';
            text = tmp;
        }
        double v;
        switch (lp__parse_cell(text, len, &v)) {
        case LP__CELL_NUMBER: c->numbers[col]++; break;
        case LP__CELL_MISSING: c->missing[col]++; break;
        default: c->text[col]++; break;
        }
    }
}

static const char *column_type(const lp__check_stats *c, size_t col)
{
    if (!c->numbers) return "unknown";
    if (c->text[col]) return "text";
    return c->numbers[col] ? "number" : "empty";
}

/* The model feature read from column col, or NULL. */
static const char *feature_of(const lp__check_facts *f, size_t col, size_t *index)
{
    for (size_t k = 0; k < f->model->n_features; k++)
        if (f->feature_col[k] == col) {
            *index = k;
            return f->model->feature_names ? f->model->feature_names[k] : "";
        }
    return NULL;
}

static void add(lp__buf *b, const char *fmt, ...) LP__PRINTF(2, 3);
static void add(lp__buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) lp__buf_append(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A JSON string (also used, quoted, in the text). */
static void add_json_string(lp__buf *b, const char *s)
{
    lp__buf_push(b, '"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            lp__buf_push(b, '\\');
            lp__buf_push(b, ch);
        } else if (ch < 0x20) {
            add(b, "\\u%04x", ch);
        } else {
            lp__buf_push(b, ch);
        }
    }
    lp__buf_push(b, '"');
}

static const char *delimiter_text(int d, char buf[4])
{
    if (d == '\t') return "TAB";
    buf[0] = '"', buf[1] = (char)d, buf[2] = '"', buf[3] = '\0';
    return buf;
}

static const char *encoding_source(const lp__check_facts *f)
{
    return f->encoding_given ? "given" : f->encoding_from_bom ? "byte-order mark" : "default";
}

static const char *finish(lp__check_stats *c)
{
    if (lp__buf_push(&c->report, '\0') != LP_OK) return "";
    return (const char *)c->report.data;
}

static void add_skipped_lines(lp__buf *b, const lp__check_facts *f, const char *sep)
{
    uint64_t n = f->skipped < LP_SKIPPED_LINES_KEPT ? f->skipped : LP_SKIPPED_LINES_KEPT;
    for (uint64_t i = 0; i < n; i++) add(b, "%s%llu", i ? sep : "", (unsigned long long)f->skipped_lines[i]);
}

const char *lp__check_text(lp__check_stats *c, const lp__check_facts *f)
{
    lp__buf *b = &c->report;
    b->len = 0;
    char d[4];
    add(b, "encoding   %s (%s)\n", lp_encoding_name(f->encoding), encoding_source(f));
    add(b, "delimiter  %s (%s)\n", delimiter_text(f->delimiter, d),
        f->delimiter_detected ? "detected from the header" : "given");
    add(b, "decimal    %s\n", f->decimal_comma ? "comma (given)" : "point");
    if (f->no_header)
        add(b, "header     none: %zu columns, named %s\n", f->n_columns, f->columns_given ? "by --columns" : "1 to N");
    else
        add(b, "header     %zu columns\n", f->n_columns);
    size_t absent = 0;   /* keys of an ONNX map input that no column names (binding.h) */
    for (size_t k = 0; k < f->model->n_features; k++) absent += f->feature_col[k] == LP__ABSENT_COLUMN;
    if (absent)
        add(b, "model      %zu features, found by name but %zu map key%s no column names (absent: 0)\n",
            f->model->n_features, absent, absent == 1 ? "" : "s");
    else
        add(b, "model      %zu features, %s\n", f->model->n_features,
            f->model->feature_names ? "every one found by name" : "taken by position");
    add(b, "rows       %llu read (a sample: at most the first %d)", (unsigned long long)c->rows, LP_CHECK_SAMPLE_ROWS);
    if (f->skipped) {
        add(b, "; %llu could not be read (line%s ", (unsigned long long)f->skipped, f->skipped == 1 ? "" : "s");
        add_skipped_lines(b, f, ", ");
        add(b, "%s)", f->skipped > LP_SKIPPED_LINES_KEPT ? ", ..." : "");
    }
    add(b, "\n");
    for (size_t col = 0; col < f->n_columns; col++) {
        size_t k = 0;
        const char *feature = feature_of(f, col, &k);
        add(b, "column %-4zu", col + 1);
        add_json_string(b, f->header[col]);
        add(b, ": %s", column_type(c, col));
        if (feature && f->model->feature_names) add(b, ", read by the model");
        else if (feature) add(b, ", the model's feature %zu", k + 1);
        add(b, "\n");
    }
    return finish(c);
}

const char *lp__check_json(lp__check_stats *c, const lp__check_facts *f)
{
    lp__buf *b = &c->report;
    b->len = 0;
    char d[2] = {(char)f->delimiter, 0};
    add(b, "{\"encoding\":\"%s\",\"encodingSource\":\"%s\",\"delimiter\":", lp_encoding_name(f->encoding),
        encoding_source(f));
    add_json_string(b, d);
    add(b, ",\"delimiterDetected\":%s,\"decimalComma\":%s,\"header\":%s,\"rows\":%llu,\"sampleRows\":%d,"
        "\"skipped\":%llu,\"skippedLines\":[", f->delimiter_detected ? "true" : "false",
        f->decimal_comma ? "true" : "false", f->no_header ? "false" : "true", (unsigned long long)c->rows,
        LP_CHECK_SAMPLE_ROWS, (unsigned long long)f->skipped);
    add_skipped_lines(b, f, ",");
    add(b, "],\"columns\":[");
    for (size_t col = 0; col < f->n_columns; col++) {
        size_t k = 0;
        const char *feature = feature_of(f, col, &k);
        add(b, "%s{\"name\":", col ? "," : "");
        add_json_string(b, f->header[col]);
        add(b, ",\"type\":\"%s\",\"numbers\":%llu,\"missing\":%llu,\"text\":%llu,\"feature\":", column_type(c, col),
            (unsigned long long)(c->numbers ? c->numbers[col] : 0),
            (unsigned long long)(c->missing ? c->missing[col] : 0), (unsigned long long)(c->text ? c->text[col] : 0));
        if (feature) add(b, "%zu}", k);
        else add(b, "null}");
    }
    add(b, "]}");
    return finish(c);
}
