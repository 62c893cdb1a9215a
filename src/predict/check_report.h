/* check_report.h — what a check-only job (the CLI's --check, check() in JS)
 * says about an input: its encoding, delimiter, decimal mark, header, and
 * the type of every column in a sample of LP_CHECK_SAMPLE_ROWS rows, as text
 * for people and as JSON for programs.  The job gathers the facts; this file
 * only counts cells and words the report, so both CLIs print the same bytes. */
#ifndef LP_PREDICT_CHECK_REPORT_H
#define LP_PREDICT_CHECK_REPORT_H

#include "../core/buf.h"
#include "../formats/model.h"
#include "../io/csv_reader.h"

typedef struct lp__check_stats {
    size_t    n_columns;
    uint64_t  rows;                        /* sampled rows that were read */
    uint64_t *numbers, *missing, *text;    /* per column: cells of each kind */
    lp__buf   report;                      /* the last text or JSON made */
} lp__check_stats;

/* What the job knows (borrowed pointers, valid during the call). */
typedef struct lp__check_facts {
    const lp_model     *model;
    lp_encoding         encoding;
    int                 encoding_given, encoding_from_bom;
    int                 delimiter, delimiter_detected, decimal_comma;
    int                 no_header, columns_given;
    size_t              n_columns;
    const char *const  *header;            /* n_columns names (NULL before the header) */
    const size_t       *feature_col;       /* the model's features' columns */
    uint64_t            skipped;
    const uint64_t     *skipped_lines;
    int                 on_error_skip;
} lp__check_facts;

lp_status lp__check_stats_init(lp__check_stats *c, size_t n_columns, lp_error *err);
/* Counts the kinds of the cells of one sampled row (n_fields == n_columns). */
void lp__check_stats_row(lp__check_stats *c, const lp__csv_record *rec, int decimal_comma);
void lp__check_stats_free(lp__check_stats *c);

/* The report; NUL-terminated, lives until the next call or free ("" when
 * out of memory). */
const char *lp__check_text(lp__check_stats *c, const lp__check_facts *f);
const char *lp__check_json(lp__check_stats *c, const lp__check_facts *f);

#endif
