/* onnx_dims.c — see onnx_dims.h. */
#ifndef LP_NO_ONNX
#include "onnx_dims.h"

#include <stdlib.h>
#include <string.h>

#include "../core/error.h"

lp_status lp__onnx_dims_add(lp_model *m, const char *symbol, const char *input, int axis, int64_t value,
                            const char *source, lp_error *err)
{
    lp__dim_binding *grown = realloc(m->dim_bindings, (m->n_dim_bindings + 1) * sizeof *grown);
    if (!grown) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    m->dim_bindings = grown;
    lp__dim_binding *b = &grown[m->n_dim_bindings];
    memset(b, 0, sizeof *b);
    b->axis = axis;
    b->value = value;
    int ok = 1;
    if (symbol) ok &= (b->symbol = lp__strndup(symbol, strlen(symbol))) != NULL;
    if (input) ok &= (b->input = lp__strndup(input, strlen(input))) != NULL;
    ok &= (b->source = lp__strndup(source, strlen(source))) != NULL;
    m->n_dim_bindings++;   /* (freed with the model whatever failed) */
    return ok ? LP_OK : lp__fail(err, LP_ERR_NOMEM, "out of memory");
}

void lp__onnx_dims_free(lp_model *m)
{
    for (size_t i = 0; i < m->n_dim_bindings; i++) {
        free((char *)m->dim_bindings[i].symbol);
        free((char *)m->dim_bindings[i].input);
        free((char *)m->dim_bindings[i].source);
    }
    free(m->dim_bindings);
    m->dim_bindings = NULL;
    m->n_dim_bindings = 0;
}

lp__dim_bindings lp__onnx_dims_of(const lp_model *m)
{
    return (lp__dim_bindings){m->dim_bindings, m->n_dim_bindings};
}

/* ---- reading the manifests ---- */

/* Whether some input of om has `symbol` as a free dimension. */
static int has_symbol(const lp__onnx_model *om, const char *symbol)
{
    for (size_t i = 0; i < om->n_inputs; i++) {
        const lp__onnx_type *t = &om->inputs[i].type;
        for (int k = 0; t->kind == LP_ONNX_KIND_TENSOR && t->dim_names && k < t->rank; k++)
            if (t->dims[k] < 0 && t->dim_names[k] && strcmp(t->dim_names[k], symbol) == 0) return 1;
    }
    return 0;
}

static lp_status from_dims(const lp__onnx_model *om, const cJSON *dims, const char *where, lp_status bad, lp_model *m,
                           lp_error *err)
{
    if (!cJSON_IsObject(dims))
        return lp__fail(err, bad, "%s: \"dims\" must be an object {\"dimension name\": size, ...}", where);
    for (const cJSON *c = dims->child; c; c = c->next) {
        if (!cJSON_IsNumber(c) || c->valuedouble < 1 || c->valuedouble > LP_DEFAULT_MAX_COLUMNS ||
            c->valuedouble != (double)(int64_t)c->valuedouble)
            return lp__fail(err, bad, "%s: \"dims\": \"%s\" must be an integer from 1 to %d", where, c->string,
                            LP_DEFAULT_MAX_COLUMNS);
        if (!has_symbol(om, c->string))
            return lp__fail(err, bad, "%s: \"dims\" names \"%s\", which is no symbolic dimension of the model's "
                            "inputs", where, c->string);
        lp_status s = lp__onnx_dims_add(m, c->string, NULL, 0, (int64_t)c->valuedouble, "\"dims\"", err);
        if (s != LP_OK) return s;
    }
    return LP_OK;
}

/* The inputs a text model's "preprocess" feeds take max_length ids each
 * (dimension 1).  Only what binds is read here; lp__text_prep_parse checks
 * the whole object afterwards (a bad max_length binds nothing and is
 * reported there, or as the free dimension). */
static lp_status from_preprocess(const lp__onnx_model *om, const cJSON *pre, lp_model *m, lp_error *err)
{
    const cJSON *len = cJSON_GetObjectItemCaseSensitive(pre, "max_length");
    if (!cJSON_IsNumber(len) || len->valuedouble < 1 || len->valuedouble > 1e6 ||
        len->valuedouble != (double)(int64_t)len->valuedouble)
        return LP_OK;
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(pre, "tokenizer");
    int wp = cJSON_IsString(tok) && strcmp(tok->valuestring, "wordpiece") == 0;
    /* prep.c's defaults: wordpiece input_ids, attention_mask, token_type_ids;
     * otherwise the model's one input */
    const char *fed[3] = {wp ? "input_ids" : NULL, wp ? "attention_mask" : NULL, wp ? "token_type_ids" : NULL};
    static const char *const keys[3] = {"ids", "attention_mask", "token_type_ids"};
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(pre, "inputs");
    for (int k = 0; k < 3 && cJSON_IsObject(inputs); k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(inputs, keys[k]);
        if (v) fed[k] = cJSON_IsString(v) ? v->valuestring : NULL;
    }
    if (!fed[0]) {   /* the model's one input (initializers aside) */
        size_t n = 0;
        for (size_t i = 0; i < om->n_inputs; i++) {
            int init = 0;
            for (size_t j = 0; j < om->n_initializers && !init; j++)
                init = strcmp(om->inputs[i].name, om->initializers[j].name) == 0;
            if (!init) n++, fed[0] = om->inputs[i].name;
        }
        if (n != 1) fed[0] = NULL;
    }
    for (int k = 0; k < 3; k++) {
        if (!fed[k]) continue;
        lp_status s = lp__onnx_dims_add(m, NULL, fed[k], 1, (int64_t)len->valuedouble, "\"preprocess.max_length\"", err);
        if (s != LP_OK) return s;
    }
    return LP_OK;
}

lp_status lp__onnx_dims_collect(const lp__onnx_model *om, const lp_load_options *opts, lp_model *m, lp_error *err)
{
    if (!lp__onnx_has_free_dims(om)) return LP_OK;
    /* the layers, highest precedence first (manifest.c's pick3) */
    const char *text[3] = {opts ? opts->overrides : NULL, opts ? opts->manifest : NULL, m->embedded_manifest};
    size_t len[3] = {opts ? opts->overrides_len : 0, opts ? opts->manifest_len : 0,
                     m->embedded_manifest ? strlen(m->embedded_manifest) : 0};
    const char *name[3] = {"the options", opts && opts->manifest_name ? opts->manifest_name : "the manifest",
                           "the manifest inside the model (key \"localpredict\")"};
    lp_status bad[3] = {LP_ERR_USAGE, LP_ERR_BAD_MANIFEST, LP_ERR_BAD_MANIFEST};
    cJSON *root[3] = {NULL, NULL, NULL};
    lp_status s = LP_OK;
    for (int i = 0; s == LP_OK && i < 3; i++)
        if (text[i]) s = lp__json_parse_strict((const uint8_t *)text[i], len[i], name[i], bad[i], &root[i], err);
    const cJSON *dims = NULL, *pre = NULL;
    int dims_from = 0;
    for (int i = 0; s == LP_OK && i < 3; i++) {
        const cJSON *d = cJSON_IsObject(root[i]) ? cJSON_GetObjectItemCaseSensitive(root[i], "dims") : NULL;
        const cJSON *p = cJSON_IsObject(root[i]) ? cJSON_GetObjectItemCaseSensitive(root[i], "preprocess") : NULL;
        if (d && !dims) dims = d, dims_from = i;
        if (p && !pre) pre = p;
    }
    if (s == LP_OK && dims) s = from_dims(om, dims, name[dims_from], bad[dims_from], m, err);
    if (s == LP_OK && cJSON_IsObject(pre)) s = from_preprocess(om, pre, m, err);
    for (int i = 0; i < 3; i++) cJSON_Delete(root[i]);
    return s;
}
#endif
