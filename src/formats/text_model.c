/* text_model.c — see text_model.h. */
#ifndef LP_NO_TEXT
#include "text_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../ops/graph.h"

static lp_status find_input(const lp__graph *g, const char *name, const lp__text_prep *p, const char *what,
                            const char *where, long *index, lp_error *err)
{
    *index = -1;
    if (!name) return LP_OK;
    for (size_t i = 0; i < g->n_inputs; i++) {
        if (strcmp(g->inputs[i].name, name) != 0) continue;
        if (g->inputs[i].dtype != LP_ONNX_INT64)
            return lp__fail(err, LP_ERR_BAD_MANIFEST, "%s: \"preprocess.inputs\": the model input \"%s\" (%s) is not int64",
                            where, name, what);
        if (g->inputs[i].width != p->max_length)
            return lp__fail(err, LP_ERR_BAD_MANIFEST, "%s: \"preprocess.max_length\" is %zu but the model input \"%s\" "
                            "takes %zu tokens per row", where, p->max_length, name, g->inputs[i].width);
        *index = (long)i;
        return LP_OK;
    }
    return lp__fail(err, LP_ERR_BAD_MANIFEST, "%s: \"preprocess.inputs\" names \"%s\" (%s), which is not an input of "
                    "the model", where, name, what);
}

static lp_status attach(lp_model *m, lp__text_model *t, const char *where, lp_error *err)
{
    const lp__graph *g = m->graph;
    if (!g)
        return lp__fail(err, LP_ERR_BAD_MANIFEST, "%s: \"preprocess\" needs a model that takes token ids (a dense ONNX "
                        "graph); this is a %s model", where, m->format);
    lp__text_prep *p = &t->prep;
    const char *ids = p->input_ids;
    if (!ids) {   /* "the model's one input" */
        if (g->n_inputs != 1)
            return lp__fail(err, LP_ERR_BAD_MANIFEST, "%s: the model has %zu inputs: name the one taking the token ids "
                            "in \"preprocess.inputs\": {\"ids\": ...}", where, g->n_inputs);
        ids = g->inputs[0].name;
    }
    lp_status s = find_input(g, ids, p, "token ids", where, &t->in_ids, err);
    if (s == LP_OK) s = find_input(g, p->input_mask, p, "attention mask", where, &t->in_mask, err);
    if (s == LP_OK) s = find_input(g, p->input_type_ids, p, "token type ids", where, &t->in_types, err);
    for (size_t i = 0; s == LP_OK && i < g->n_inputs; i++)
        if ((long)i != t->in_ids && (long)i != t->in_mask && (long)i != t->in_types)
            s = lp__fail(err, LP_ERR_BAD_MANIFEST, "%s: the model input \"%s\" is fed by nothing in \"preprocess.inputs\"",
                         where, g->inputs[i].name);
    if (s != LP_OK) return s;
    /* The text columns stand in for the features (binding, --check, info). */
    char **names = calloc(p->n_columns, sizeof *names);
    uint8_t *is_cat = calloc(p->n_columns + 1, 1);
    for (size_t k = 0; names && k < p->n_columns; k++)
        if (!(names[k] = lp__strndup(p->columns[k], strlen(p->columns[k])))) {
            while (k--) free(names[k]);
            free(names);
            names = NULL;
        }
    if (!names || !is_cat) {
        for (size_t k = 0; names && k < p->n_columns; k++) free(names[k]);   /* is_cat failed */
        free(names);
        free(is_cat);
        return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    if (m->feature_names)
        for (size_t f = 0; f < m->n_features; f++) free(m->feature_names[f]);
    free(m->feature_names);
    free(m->feature_is_cat);
    m->feature_names = names;
    m->feature_is_cat = is_cat;
    m->n_features = p->n_columns;
    return LP_OK;
}

lp_status lp__text_attach(lp_model *m, lp__text_prep *prep, const char *where, lp_error *err)
{
    lp__text_model *t = calloc(1, sizeof *t);
    if (!t) {
        lp__text_prep_free(prep);
        return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    t->prep = *prep;
    memset(prep, 0, sizeof *prep);
    lp_status s = attach(m, t, where, err);
    if (s != LP_OK) {
        lp__text_model_free(t);
        return s;
    }
    lp__text_model_free(m->text);
    m->text = t;
    return LP_OK;
}

void lp__text_model_free(lp__text_model *t)
{
    if (!t) return;
    lp__text_prep_free(&t->prep);
    free(t);
}
#endif
