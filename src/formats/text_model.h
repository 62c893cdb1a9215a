/* text_model.h — a text model: the manifest's preprocessing
 * (src/text/prep.h) attached to a dense ONNX graph whose inputs take the
 * token ids (and the attention mask and token type ids).  The model's
 * "features" become the text columns, so the CSV binding (missing columns
 * named, --check, info) works unchanged; src/predict/text_batch.h turns
 * each row's cells into max_length ids instead of parsing numbers. */
#ifndef LP_FORMATS_TEXT_MODEL_H
#define LP_FORMATS_TEXT_MODEL_H

#ifndef LP_NO_TEXT
#if defined(LP_NO_ONNX)
#error "LP_NO_ONNX needs LP_NO_TEXT: text models run on ONNX graphs"
#endif
#include "../text/prep.h"
#include "model.h"

typedef struct lp__text_model {
    lp__text_prep prep;
    long          in_ids, in_mask, in_types;   /* graph input indices, -1 = not fed */
    /* What prep was parsed from, so the model blob can carry it and a worker
     * parse it again (model_blob.c): the "preprocess" object as JSON text,
     * the manifest's name, and the file its "vocab" names (NULL when inline). */
    char          *spec, *where;
    lp_part        vocab;
} lp__text_model;

/* Checks prep against m's graph (the named inputs exist, are int64 of width
 * max_length, and nothing else is an input), then takes prep over (also on
 * failure).  `where` names the manifest in messages. */
lp_status lp__text_attach(lp_model *m, lp__text_prep *prep, const char *where, lp_error *err);
void      lp__text_model_free(lp__text_model *t);

/* Keeps the source of t's preprocessing: `preprocess` printed back, `where`,
 * and a copy of the file of files[] its "vocab" names, if any. */
lp_status lp__text_keep_source(lp__text_model *t, const cJSON *preprocess, const lp__text_file *files, size_t n_files,
                               const char *where, lp_error *err);

/* Parses a kept source again (a model blob's) and attaches it to m, whose
 * graph is built: the worker's copy of lp__manifest_apply's "preprocess". */
lp_status lp__text_attach_source(lp_model *m, const char *spec, size_t spec_len, const char *where,
                                 const lp_part *vocab, lp_error *err);
#endif

#endif
