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
} lp__text_model;

/* Checks prep against m's graph (the named inputs exist, are int64 of width
 * max_length, and nothing else is an input), then takes prep over (also on
 * failure).  `where` names the manifest in messages. */
lp_status lp__text_attach(lp_model *m, lp__text_prep *prep, const char *where, lp_error *err);
void      lp__text_model_free(lp__text_model *t);
#endif

#endif
