/* text_batch.h — the rows of a text model (src/formats/text_model.h) in
 * batches: each row's text cells become max_length token ids, attention
 * mask and token type ids, then the graph runs on the batch. */
#ifndef LP_PREDICT_TEXT_BATCH_H
#define LP_PREDICT_TEXT_BATCH_H

#ifndef LP_NO_TEXT
#include "../formats/text_model.h"

/* A batch's token inputs: rows × max_length each. */
typedef struct lp__text_batch {
    int64_t         *ids, *mask, *types;
    lp__text_scratch scratch;
    const uint8_t  **cells;    /* the row's text cells, set by the caller ... */
    size_t          *lens;     /* ... and their lengths, one per text column */
    /* "tokenizer": "graph": the rows' texts, one after the other in `texts`,
     * row r at [ends[r-1], ends[r]) (the cells are only valid during their
     * callback, so they are copied) */
    lp__buf          texts;
    size_t          *ends;
} lp__text_batch;

lp_status lp__text_batch_init(lp__text_batch *b, const lp_model *m, size_t rows, lp_error *err);
void      lp__text_batch_free(lp__text_batch *b);

/* Row r of the batch from b->cells / b->lens. */
lp_status lp__text_batch_row(const lp_model *m, lp__text_batch *b, size_t r, lp_error *err);

/* Row r of the batch is a row that could not be read (on_error skip): it
 * holds no text, so the rows after it stay where they are. */
void      lp__text_batch_no_row(const lp_model *m, lp__text_batch *b, size_t r);

/* Runs the graph on the batch's first n rows, then links and choices, as
 * lp__predict_batch does for numeric rows. */
lp_status lp__text_predict_batch(const lp_model *m, const lp__text_batch *b, size_t n_rows, double threshold,
                                 float *margins, float *proba, uint8_t *chosen, lp_error *err);

/* The same on the batch's rows [first, first + n_rows): proba and chosen
 * are those rows' own (the caller offsets them), margins is scratch. */
lp_status lp__text_predict_rows(const lp_model *m, const lp__text_batch *b, size_t first, size_t n_rows,
                                double threshold, float *margins, float *proba, uint8_t *chosen, lp_error *err);
#endif

#endif
