/* text_batch.c — see text_batch.h. */
#ifndef LP_NO_TEXT
#include "text_batch.h"

#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../kernels/kernels.h"
#include "../ops/graph.h"
#include "outputs.h"

lp_status lp__text_batch_init(lp__text_batch *b, const lp_model *m, size_t rows, lp_error *err)
{
    memset(b, 0, sizeof *b);
    const lp__text_prep *p = &m->text->prep;
    if (p->max_length > SIZE_MAX / sizeof(int64_t) / 3 / rows)
        return lp__fail(err, LP_ERR_LIMIT, "a batch of %zu rows of %zu tokens does not fit in memory", rows, p->max_length);
    b->ids = malloc(rows * p->max_length * sizeof *b->ids);
    b->mask = malloc(rows * p->max_length * sizeof *b->mask);
    b->types = malloc(rows * p->max_length * sizeof *b->types);
    b->cells = calloc(p->n_columns, sizeof *b->cells);
    b->lens = calloc(p->n_columns, sizeof *b->lens);
    b->ends = calloc(rows + 1, sizeof *b->ends);
    if (!b->ids || !b->mask || !b->types || !b->cells || !b->lens || !b->ends) {
        lp__text_batch_free(b);
        return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    return LP_OK;
}

void lp__text_batch_free(lp__text_batch *b)
{
    free(b->ids);
    free(b->mask);
    free(b->types);
    free(b->cells);
    free(b->lens);
    free(b->ends);
    lp__buf_free(&b->texts);
    lp__text_scratch_free(&b->scratch);
    memset(b, 0, sizeof *b);
}

lp_status lp__text_batch_row(const lp_model *m, lp__text_batch *b, size_t r, lp_error *err)
{
    size_t L = m->text->prep.max_length;
    if (m->text->prep.tokenizer == LP__TOK_GRAPH) {   /* the text itself, kept for the batch */
        lp_status s = lp__text_prep_text(&m->text->prep, b->cells, b->lens, &b->scratch, err);
        if (s != LP_OK) return s;
        b->texts.len = r ? b->ends[r - 1] : 0;   /* (a row written again replaces itself) */
        if (lp__buf_append(&b->texts, b->scratch.text.data, b->scratch.text.len) != LP_OK)
            return lp__fail(err, LP_ERR_NOMEM, "out of memory");
        b->ends[r] = b->texts.len;
        return LP_OK;
    }
    return lp__text_prep_row(&m->text->prep, b->cells, b->lens, &b->scratch, b->ids + r * L, b->mask + r * L,
                             b->types + r * L, err);
}

void lp__text_batch_no_row(const lp_model *m, lp__text_batch *b, size_t r)
{
    if (m->text->prep.tokenizer == LP__TOK_GRAPH) b->ends[r] = r ? b->ends[r - 1] : 0;
}

/* The scores of the rows' feeds: the graph's outputs, or, for trees after
 * TF-IDF (skl2onnx's TfidfVectorizer then a RandomForest), the trees on the
 * features the graph computes, as lp__predict_batch runs them on numbers. */
static lp_status scores_of(const lp_model *m, const lp__graph_feed *feeds, size_t n_rows, float *margins,
                           lp_error *err)
{
    const lp__graph *g = m->graph;
    if (!m->forest.n_trees) return lp__graph_run_feeds(g, feeds, n_rows, margins, err);
    size_t width = g->n_outputs, g_n = m->n_groups;
    float *features = n_rows <= SIZE_MAX / sizeof(float) / (width ? width : 1)
                          ? malloc(n_rows * width * sizeof *features + 1) : NULL;
    if (!features) return lp__fail(err, LP_ERR_NOMEM, "out of memory running the model on %zu rows", n_rows);
    lp_status s = lp__graph_run_feeds(g, feeds, n_rows, features, err);
    if (s == LP_OK) {
        for (size_t r = 0; r < n_rows; r++) memcpy(margins + r * g_n, m->base_margin, g_n * sizeof *margins);
        lp_kern_forest_add(&m->forest, features, n_rows, width, margins, g_n);
    }
    free(features);
    return s;
}

lp_status lp__text_predict_batch(const lp_model *m, const lp__text_batch *b, size_t n_rows, double threshold,
                                 float *margins, float *proba, uint8_t *chosen, lp_error *err)
{
    return lp__text_predict_rows(m, b, 0, n_rows, threshold, margins, proba, chosen, err);
}

lp_status lp__text_predict_rows(const lp_model *m, const lp__text_batch *b, size_t first, size_t n_rows,
                                double threshold, float *margins, float *proba, uint8_t *chosen, lp_error *err)
{
    const lp__text_model *t = m->text;
    const lp__graph *g = m->graph;
    lp__graph_feed feeds[3];   /* at most ids, mask, types: attach checked nothing else is an input */
    if (t->prep.tokenizer == LP__TOK_GRAPH) {   /* one string input: the rows' texts */
        lp__onnx_bytes *texts = malloc((n_rows + 1) * sizeof *texts);
        if (!texts) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
        for (size_t r = 0; r < n_rows; r++) {
            size_t start = first + r ? b->ends[first + r - 1] : 0;
            texts[r] = (lp__onnx_bytes){(const char *)b->texts.data + start, b->ends[first + r] - start};
        }
        feeds[0] = (lp__graph_feed){LP_ONNX_STRING, texts};
        lp_status s = scores_of(m, feeds, n_rows, margins, err);
        free(texts);
        if (s != LP_OK) return s;
        lp__outputs_from_margins(m, margins, n_rows, proba);
        if (chosen) lp__outputs_choose(m, proba, n_rows, threshold, chosen);
        return LP_OK;
    }
    for (size_t i = 0; i < g->n_inputs; i++) {
        feeds[i].dtype = LP_ONNX_INT64;
        const int64_t *all = (long)i == t->in_ids ? b->ids : (long)i == t->in_mask ? b->mask : b->types;
        feeds[i].data = all + first * t->prep.max_length;
    }
    lp_status s = scores_of(m, feeds, n_rows, margins, err);
    if (s != LP_OK) return s;
    lp__outputs_from_margins(m, margins, n_rows, proba);
    if (chosen) lp__outputs_choose(m, proba, n_rows, threshold, chosen);
    return LP_OK;
}
#endif
