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
        if (p->tokenizer == LP__TOK_GRAPH) {   /* the text itself: one string per row */
            if (g->inputs[i].dtype != LP_ONNX_STRING || g->inputs[i].width != 1)
                return lp__fail(err, LP_ERR_BAD_MANIFEST, "%s: \"preprocess.tokenizer\" is \"graph\" but the model input "
                                "\"%s\" does not take one string per row", where, name);
            *index = (long)i;
            return LP_OK;
        }
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

/* ---- the vocabulary against the embedding table ---- */
static int64_t vocab_max_id(const lp__vocab *v)
{
    int64_t max = -1;
    for (size_t i = 0; i < v->n; i++)
        if (v->entry[i].id > max) max = v->entry[i].id;
    return max;
}

/* The largest id the tokenizer can give (padding included). */
static int64_t largest_id(const lp__text_prep *p)
{
    int64_t max = p->pad_value;
    if (p->tokenizer == LP__TOK_WORDS) {
        int64_t v = vocab_max_id(&p->words);
        max = v > max ? v : max;
        max = p->oov_id > max ? p->oov_id : max;
    } else if (p->tokenizer == LP__TOK_KERAS) {
        int64_t v = vocab_max_id(&p->keras.word_index);
        if (p->keras.num_words > 0 && v > p->keras.num_words - 1) v = p->keras.num_words - 1;
        max = v > max ? v : max;
        max = p->keras.oov_index > max ? p->keras.oov_index : max;
    } else {
        int64_t v = vocab_max_id(&p->wordpiece.vocab);
        max = v > max ? v : max;
    }
    return max;
}

/* The ids must index the embedding table: when they feed a Gather of a
 * constant table along axis 0 (torch's nn.Embedding, a Keras Embedding as
 * tf2onnx writes it), the vocabulary's largest id is below its row count.
 * (Other forms, such as a one-hot product, are not checked.) */
static lp_status check_embedding(const lp__graph *g, const lp__text_prep *p, long in_ids, const char *where,
                                 lp_error *err)
{
    uint32_t ids = g->inputs[in_ids].value;
    for (size_t i = 0; i < g->n_ops; i++) {
        const lp__op *op = &g->ops[i];
        if ((strcmp(op->kind->op_type, "Gather") != 0 && strcmp(op->kind->op_type, "EmbeddingBag") != 0) || op->n_in < 2 ||
            op->in[1] != ids || op->iattr[0] != 0)
            continue;
        const lp__value *table = &g->values[op->in[0]];
        if (!table->is_const || table->shape.rank < 1) continue;
        int64_t rows = table->shape.dims[0], largest = largest_id(p);
        if (largest >= rows)
            return lp__fail(err, LP_ERR_BAD_MANIFEST, "%s: the vocabulary (\"preprocess.vocab\") gives ids up to %lld, "
                            "but the model's embedding table (\"%s\") has %lld rows: is it the vocabulary the model "
                            "was trained with?", where, (long long)largest, table->name ? table->name : "?",
                            (long long)rows);
    }
    return LP_OK;
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
    lp_status s = find_input(g, ids, p, p->tokenizer == LP__TOK_GRAPH ? "the text" : "token ids", where, &t->in_ids, err);
    if (s == LP_OK && p->tokenizer != LP__TOK_GRAPH) s = check_embedding(g, p, t->in_ids, where, err);
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
        for (size_t k = 0; names && k < p->n_columns; k++) free(names[k]);
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
    free(t->spec);
    free(t->where);
    free((void *)t->vocab.name);
    free((void *)t->vocab.bytes);
    free(t);
}

lp_status lp__text_keep_source(lp__text_model *t, const cJSON *preprocess, const lp__text_file *files, size_t n_files,
                               const char *where, lp_error *err)
{
    t->spec = cJSON_PrintUnformatted(preprocess);
    t->where = where ? lp__strndup(where, strlen(where)) : NULL;
    int ok = t->spec && (!where || t->where);
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(preprocess, "vocab"));
    for (size_t i = 0; ok && name && i < n_files; i++) {
        if (strcmp(files[i].name, name) != 0) continue;
        uint8_t *copy = malloc(files[i].len ? files[i].len : 1);
        t->vocab.name = lp__strndup(name, strlen(name));
        t->vocab.bytes = copy;
        t->vocab.len = files[i].len;
        ok = copy && t->vocab.name;
        if (ok && files[i].len) memcpy(copy, files[i].bytes, files[i].len);
        break;
    }
    return ok ? LP_OK : lp__fail(err, LP_ERR_NOMEM, "out of memory");
}

lp_status lp__text_attach_source(lp_model *m, const char *spec, size_t spec_len, const char *where,
                                 const lp_part *vocab, lp_error *err)
{
    cJSON *root = NULL;
    lp_status s = lp__json_parse_strict((const uint8_t *)spec, spec_len, where, LP_ERR_BAD_MODEL, &root, err);
    lp__text_prep prep;
    if (s == LP_OK) s = lp__text_prep_parse(&prep, root, vocab, vocab ? 1 : 0, where, err);
    if (s == LP_OK) s = lp__text_attach(m, &prep, where, err);
    if (s == LP_OK) s = lp__text_keep_source(m->text, root, vocab, vocab ? 1 : 0, where, err);
    cJSON_Delete(root);
    return s;
}
#endif
