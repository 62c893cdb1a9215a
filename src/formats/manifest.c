/* manifest.c — parse the manifest and the overrides, then apply them to a
 * loaded model in a fixed order: task (which resets the outputs), feature
 * names and types, classes, thresholds, missing-value sentinels, iterations,
 * details.  Each key comes from the overrides, else the manifest, else the
 * manifest embedded in the model (lp_model.embedded_manifest). */
#include "manifest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../io/json.h"
#include "../ops/graph.h"
#ifndef LP_NO_TEXT
#include "text_model.h"
#endif

#define BAD LP_ERR_BAD_MANIFEST

static const char *const known_keys[] = {"localpredict", "classes", "task", "threshold", "missing",
                                         "features", "iterations", "details",
                                         "ensemble" /* read by ensemble.c, which loads the members */,
                                         "dims" /* read by onnx_dims.c before the graph is built */,
#ifndef LP_NO_TEXT
                                         "preprocess"
#endif
};
#ifdef LP_NO_TEXT
/* Keys of the full engine that this (tabular) build leaves out. */
static const char *const later_keys[] = {"preprocess"};
#endif

typedef struct parsed {
    cJSON      *root;
    const char *name;   /* for messages: "iris.localpredict.json", "the options" */
    lp_status   bad;    /* a bad manifest is BAD_MANIFEST; bad options are USAGE */
} parsed;

static lp_status fail_in(lp_error *err, lp_status code, const parsed *p, const char *key,
                         const char *what)
{
    lp__fail(err, code, "%s: \"%s\" %s", p->name, key, what);
    if (err) lp__err_set_name(err->field, key, strlen(key));
    return code;
}

static lp_status parse_one(const char *text, size_t len, const char *name, lp_status bad,
                           parsed *out, lp_error *err)
{
    out->root = NULL;
    out->name = name;
    out->bad = bad;
    if (!text) return LP_OK;
    lp_status s = lp__json_parse_strict((const uint8_t *)text, len, name, bad, &out->root, err);
    if (s != LP_OK) return s;
    if (!cJSON_IsObject(out->root))
        return lp__fail(err, bad, "%s must be a JSON object {\"localpredict\": 1, ...}", name);
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(out->root, "localpredict");
    if (!version)
        return lp__fail(err, bad, "%s lacks the version key \"localpredict\": 1", name);
    if (!cJSON_IsNumber(version) || version->valuedouble != 1)
        return fail_in(err, bad, out, "localpredict",
                       "is a manifest version this engine does not read (it reads version 1)");
    for (const cJSON *c = out->root->child; c; c = c->next) {
        int known = 0;
        for (size_t i = 0; i < sizeof known_keys / sizeof *known_keys; i++)
            known |= strcmp(c->string, known_keys[i]) == 0;
        if (known) continue;
#ifdef LP_NO_TEXT
        for (size_t i = 0; i < sizeof later_keys / sizeof *later_keys; i++)
            if (strcmp(c->string, later_keys[i]) == 0)
                return fail_in(err, LP_ERR_UNSUPPORTED, out, c->string,
                               "is not supported by this build of localpredict (built without text models)");
#endif
        return fail_in(err, bad, out, c->string,
                       "is not a manifest key (known: localpredict, classes, task, threshold, "
                       "missing, features, iterations, details, ensemble, preprocess, dims)");
    }
    return LP_OK;
}

/* The item for key from the overrides, else from the manifest, else from
 * the manifest embedded in the model (the precedence of ARCHITECTURE.md:
 * flags > manifest > what the model stores). */
static const cJSON *pick3(const parsed *over, const parsed *man, const parsed *emb, const char *key,
                          const parsed **from)
{
    const parsed *layers[3] = {over, man, emb};
    for (int i = 0; i < 3; i++) {
        const cJSON *v = layers[i] && layers[i]->root ? cJSON_GetObjectItemCaseSensitive(layers[i]->root, key) : NULL;
        *from = layers[i];
        if (v) return v;
    }
    return NULL;
}

static lp_status apply_task(lp_model *m, const cJSON *v, const parsed *from, lp_error *err)
{
    lp_task task = LP_TASK_AUTO;
    if (!cJSON_IsString(v) || (task = lp_task_from_name(v->valuestring)) == LP_TASK_AUTO)
        return fail_in(err, from->bad, from, "task", "must be one of multiclass, binary, multilabel, regression");
    lp_status s = lp__model_set_outputs(m, task, err);
    if (s == LP_ERR_USAGE) {   /* a task that does not fit: the manifest's or the options' fault */
        lp__err_prefix(err, "%s: ", from->name);
        if (err) err->code = from->bad;
        s = from->bad;
    }
    return s;
}

static lp_status replace_strings(char ***names, size_t n, const cJSON *arr)
{
    char **v = calloc(n, sizeof *v);
    if (!v) return LP_ERR_NOMEM;
    size_t i = 0;
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        char text[32];
        const char *s = c->valuestring;
        if (cJSON_IsBool(c)) s = cJSON_IsTrue(c) ? "true" : "false";
        if (cJSON_IsNumber(c)) snprintf(text, sizeof text, "%.0f", c->valuedouble), s = text;
        v[i] = lp__strndup(s, strlen(s));
        if (!v[i]) {
            for (size_t k = 0; k < i; k++) free(v[k]);
            free(v);
            return LP_ERR_NOMEM;
        }
    }
    if (*names)
        for (size_t k = 0; k < n; k++) free((*names)[k]);
    free(*names);
    *names = v;
    return LP_OK;
}

static lp_status apply_classes(lp_model *m, const cJSON *v, const parsed *from, lp_error *err)
{
    if (!v) return LP_OK;
    if (m->task == LP_TASK_REGRESSION)
        return fail_in(err, from->bad, from, "classes", "does not apply to a regression model");
    if (!cJSON_IsArray(v)) return fail_in(err, from->bad, from, "classes", "must be an array of labels");
    size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
    if (n != m->n_outputs) {
        char what[128];
        snprintf(what, sizeof what, "gives %zu classes but the model has %zu", n, m->n_outputs);
        return fail_in(err, from->bad, from, "classes", what);
    }
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        if (cJSON_IsString(c)) m->output_types[i] = LP__LABEL_STRING;
        else if (cJSON_IsBool(c)) m->output_types[i] = LP__LABEL_BOOL;
        else if (cJSON_IsNumber(c) && c->valuedouble == floor(c->valuedouble) && fabs(c->valuedouble) < 1e15)
            m->output_types[i] = LP__LABEL_INT;
        else
            return fail_in(err, from->bad, from, "classes", "must hold strings, integers or booleans");
    }
    if (replace_strings(&m->output_names, n, v) != LP_OK) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            if (strcmp(m->output_names[a], m->output_names[b]) == 0) {
                lp__fail(err, from->bad, "%s: class \"%s\" appears twice", from->name,
                         m->output_names[a]);
                return from->bad;
            }
    return LP_OK;
}

static int valid_threshold(const cJSON *c)
{
    return cJSON_IsNumber(c) && c->valuedouble >= 0 && c->valuedouble <= 1;
}

static lp_status apply_threshold(lp_model *m, const cJSON *v, const parsed *from, lp_error *err)
{
    if (!v) return LP_OK;
    if (valid_threshold(v)) {
        for (size_t k = 0; k < m->n_outputs; k++) m->thresholds[k] = v->valuedouble;
        return LP_OK;
    }
    if (!cJSON_IsObject(v))
        return fail_in(err, from->bad, from, "threshold",
                       "must be a number from 0 to 1, or an object {\"label\": number}");
    for (const cJSON *c = v->child; c; c = c->next) {
        size_t k = 0;
        while (k < m->n_outputs && strcmp(m->output_names[k], c->string) != 0) k++;
        if (k == m->n_outputs) {
            lp__fail(err, from->bad, "%s: \"threshold\" names \"%s\", which is not one of the model's classes",
                     from->name, c->string);
            return from->bad;
        }
        if (!valid_threshold(c)) return fail_in(err, from->bad, from, "threshold", "values must be numbers from 0 to 1");
        m->thresholds[k] = c->valuedouble;
    }
    return LP_OK;
}

/* One "features" entry given as an object: {"column", "type", "categories",
 * "unknown"} (docs/manifest.schema.json).  Fills the column name (NULL =
 * keep the model's) and the feature's input spec. */
static lp_status feature_entry(lp_model *m, size_t f, const cJSON *e, const parsed *from, const char **column,
                               lp_error *err)
{
    char key[64];
    *column = NULL;
    for (const cJSON *c = e->child; c; c = c->next) {
        snprintf(key, sizeof key, "features[%zu].%.30s", f, c->string);
        if (strcmp(c->string, "column") == 0) {
            if (!cJSON_IsString(c)) return fail_in(err, from->bad, from, key, "must be a column name");
            *column = c->valuestring;
        } else if (strcmp(c->string, "type") != 0 && strcmp(c->string, "categories") != 0 &&
                   strcmp(c->string, "unknown") != 0) {
            return fail_in(err, from->bad, from, key, "is not a feature key (known: column, type, categories, unknown)");
        }
    }
    if (!*column && !(m->feature_names && m->feature_names[f][0])) {
        snprintf(key, sizeof key, "features[%zu]", f);
        return fail_in(err, from->bad, from, key, "needs a \"column\": the model does not name this feature");
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(e, "type");
    const cJSON *cats = cJSON_GetObjectItemCaseSensitive(e, "categories");
    const cJSON *unknown = cJSON_GetObjectItemCaseSensitive(e, "unknown");
    unsigned kind = cats ? LP__INPUT_CATEGORY : LP__INPUT_NUMBER;
    if (type) {
        for (kind = 0; kind <= LP__INPUT_LAST; kind++)
            if (cJSON_IsString(type) && strcmp(type->valuestring, lp__input_kind_name(kind)) == 0) break;
        snprintf(key, sizeof key, "features[%zu].type", f);
        if (kind > LP__INPUT_LAST)
            return fail_in(err, from->bad, from, key, "must be \"number\", \"integer\", \"boolean\" or \"category\"");
    }
    snprintf(key, sizeof key, "features[%zu].categories", f);
    if ((kind == LP__INPUT_CATEGORY) != (cats != NULL))
        return fail_in(err, from->bad, from, key, cats ? "applies to \"type\": \"category\" only"
                                                       : "is required for \"type\": \"category\" (the names, "
                                                         "in code order, or an object name -> code)");
    if (unknown && (kind != LP__INPUT_CATEGORY || !cJSON_IsString(unknown) ||
                    (strcmp(unknown->valuestring, "error") != 0 && strcmp(unknown->valuestring, "missing") != 0))) {
        snprintf(key, sizeof key, "features[%zu].unknown", f);
        return fail_in(err, from->bad, from, key, "must be \"error\" or \"missing\", for a category feature");
    }
    if (kind == LP__INPUT_NUMBER) return LP_OK;
    if (m->prep && m->prep[f].n_categories) {
        snprintf(key, sizeof key, "features[%zu]", f);
        return fail_in(err, from->bad, from, key, "types a feature whose categories the model names already "
                       "(LightGBM pandas_categorical)");
    }
    if (!m->inputs && !(m->inputs = calloc(m->n_features + 1, sizeof *m->inputs)))
        return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    lp__input_spec *spec = &m->inputs[f];
    spec->kind = (uint8_t)kind;
    spec->unknown_missing = unknown && strcmp(unknown->valuestring, "missing") == 0;
    if (kind != LP__INPUT_CATEGORY) return LP_OK;
    /* ["a", "b"]: codes 0, 1, ...; {"a": 3}: the codes given (whole numbers). */
    if (!(cJSON_IsArray(cats) || cJSON_IsObject(cats)) || !cats->child)
        return fail_in(err, from->bad, from, key, "must be a non-empty array of names or an object name -> code");
    size_t n = (size_t)cJSON_GetArraySize(cats), i = 0;
    char **names = calloc(n, sizeof *names);
    double *codes = calloc(n, sizeof *codes);
    if (!names || !codes) {
        free(names);
        free(codes);
        return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    for (const cJSON *c = cats->child; c; c = c->next, i++) {
        const char *name = cJSON_IsArray(cats) ? (cJSON_IsString(c) ? c->valuestring : NULL) : c->string;
        int code_ok = cJSON_IsArray(cats) || (cJSON_IsNumber(c) && c->valuedouble == floor(c->valuedouble) &&
                                              c->valuedouble >= 0 && c->valuedouble < 16777216);
        codes[i] = cJSON_IsArray(cats) ? (double)i : c->valuedouble;
        if (!name || !code_ok || !(names[i] = lp__strndup(name, strlen(name)))) {
            for (size_t k = 0; k < i; k++) free(names[k]);
            free(names);
            free(codes);
            if (name && code_ok) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
            return fail_in(err, from->bad, from, key, cJSON_IsArray(cats) ? "must hold strings (the category names)"
                           : "must map names to whole-number codes from 0 to 2^24 - 1");
        }
    }
    char where[96];
    snprintf(where, sizeof where, "%s: \"%s\"", from->name, key);
    lp_status s = lp__input_set_categories(spec, names, codes, n, where, from->bad, err);
    if (s == LP_OK) m->feature_is_cat[f] = 1;
    return s;
}

static lp_status apply_features(lp_model *m, const cJSON *v, const parsed *from, lp_error *err)
{
    if (!v) return LP_OK;
    if (!cJSON_IsArray(v))
        return fail_in(err, from->bad, from, "features", "must be an array of column names or feature objects");
    size_t n = (size_t)cJSON_GetArraySize(v);
    if (n != m->n_features) {
        char what[128];
        snprintf(what, sizeof what, "lists %zu columns but the model has %zu features", n, m->n_features);
        return fail_in(err, from->bad, from, "features", what);
    }
    /* The column names: each entry's, else the model's own name. */
    cJSON *names = cJSON_CreateArray();
    if (!names) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    lp_status s = LP_OK;
    size_t f = 0;
    for (const cJSON *c = v->child; c && s == LP_OK; c = c->next, f++) {
        const char *column = NULL;
        if (cJSON_IsString(c)) column = c->valuestring;
        else if (cJSON_IsObject(c)) s = feature_entry(m, f, c, from, &column, err);
        else s = fail_in(err, from->bad, from, "features", "must hold column names or feature objects");
        if (s == LP_OK && !cJSON_AddItemToArray(names, cJSON_CreateString(column ? column : m->feature_names[f])))
            s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    if (s == LP_OK && cJSON_GetArraySize(names) != (int)n) s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
    if (s == LP_OK && replace_strings(&m->feature_names, n, names) != LP_OK)
        s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
    cJSON_Delete(names);
    return s;
}

static lp_status apply_missing(lp_model *m, const cJSON *v, const parsed *from, lp_error *err)
{
    if (!v) return LP_OK;
    if (!cJSON_IsArray(v)) return fail_in(err, from->bad, from, "missing", "must be an array of numbers");
    size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
    double *values = malloc((n ? n : 1) * sizeof *values);
    if (!values) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        if (!cJSON_IsNumber(c)) {
            free(values);
            return fail_in(err, from->bad, from, "missing", "must hold numbers (the cells that mean missing)");
        }
        values[i] = c->valuedouble;
    }
    free(m->missing_values);
    m->missing_values = values;
    m->n_missing_values = n;
    return LP_OK;
}

/* "best" (default): stop at the stored best iteration, as xgboost's
 * scikit-learn API predicts; "all": every tree, as Booster.predict does. */
static lp_status apply_iterations(lp_model *m, const cJSON *v, const parsed *from, lp_error *err)
{
    int all = 0;
    if (v) {
        if (!cJSON_IsString(v) || (strcmp(v->valuestring, "all") != 0 && strcmp(v->valuestring, "best") != 0))
            return fail_in(err, from->bad, from, "iterations", "must be \"best\" or \"all\"");
        all = strcmp(v->valuestring, "all") == 0;
    }
    if (all) m->best_iteration = -1;
    else if (m->best_iteration >= 0) lp__model_keep_trees(m, m->best_iteration_trees);
    return LP_OK;
}

/* "details": what `info` and the page show about the model, kept as given.
 * Text fields and a "metrics" object of label → number or text; anything
 * else is refused by name (docs/manifest.schema.json says the same). */
static const char *const detail_text_keys[] = {"name", "type", "version", "trained", "description"};

static lp_status apply_details(lp_model *m, const cJSON *v, const parsed *from, lp_error *err)
{
    if (!v) return LP_OK;
    if (!cJSON_IsObject(v)) return fail_in(err, from->bad, from, "details", "must be an object");
    for (const cJSON *c = v->child; c; c = c->next) {
        char key[80];
        snprintf(key, sizeof key, "details.%.60s", c->string);
        int text_key = 0;
        for (size_t i = 0; i < sizeof detail_text_keys / sizeof *detail_text_keys; i++)
            text_key |= strcmp(c->string, detail_text_keys[i]) == 0;
        if (text_key) {
            if (!cJSON_IsString(c)) return fail_in(err, from->bad, from, key, "must be a string");
        } else if (strcmp(c->string, "metrics") == 0) {
            if (!cJSON_IsObject(c))
                return fail_in(err, from->bad, from, key, "must be an object {\"held-out accuracy\": 0.95, ...}");
            for (const cJSON *x = c->child; x; x = x->next) {
                snprintf(key, sizeof key, "details.metrics.%.50s", x->string);
                if (!x->string[0] || !(cJSON_IsString(x) || (cJSON_IsNumber(x) && isfinite(x->valuedouble))))
                    return fail_in(err, from->bad, from, key, "must be a number or a string, under a non-empty name");
            }
        } else {
            return fail_in(err, from->bad, from, key,
                           "is not a details key (known: name, type, version, trained, description, metrics)");
        }
    }
    char *text = cJSON_PrintUnformatted(v);
    if (!text) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    free(m->details_json);
    m->details_json = text;
    return LP_OK;
}

/* "dims": the ONNX loader bound the symbolic dimensions it names
 * (onnx_dims.c); here only a model that has none of them is caught. */
static lp_status apply_dims(lp_model *m, const cJSON *v, const parsed *from, lp_error *err)
{
    if (!v) return LP_OK;
    if (!cJSON_IsObject(v)) return fail_in(err, from->bad, from, "dims", "must be an object {\"dimension name\": size, ...}");
    for (const cJSON *c = v->child; c; c = c->next) {
        int bound = 0;
        for (size_t i = 0; i < m->n_dim_bindings && !bound; i++)
            bound = m->dim_bindings[i].symbol && strcmp(m->dim_bindings[i].symbol, c->string) == 0;
        if (!bound) {
            char what[400];
            snprintf(what, sizeof what, "names \"%.120s\", which is no free dimension of the model's inputs (only an ONNX "
                     "graph's symbolic dimensions other than the rows can be bound)", c->string);
            return fail_in(err, from->bad, from, "dims", what);
        }
    }
    return LP_OK;
}

#ifndef LP_NO_TEXT
/* "preprocess": the text pipeline (src/text/prep.h), attached to the graph's
 * token inputs (text_model.h); its files come with the options. */
static lp_status apply_preprocess(lp_model *m, const cJSON *v, const parsed *from, const lp_load_options *opts,
                                  lp_error *err)
{
    if (!v) return LP_OK;
    lp__text_prep prep;
    lp_status s = lp__text_prep_parse(&prep, v, opts ? opts->parts : NULL, opts ? opts->n_parts : 0, from->name, err);
    if (s == LP_OK && (s = lp__text_attach(m, &prep, from->name, err)) != LP_OK && err && !err->field[0])
        lp__err_set_name(err->field, "preprocess", strlen("preprocess"));
    /* kept for the model blob (the worker pool's engines parse it again) */
    if (s == LP_OK) s = lp__text_keep_source(m->text, v, opts ? opts->parts : NULL, opts ? opts->n_parts : 0, from->name, err);
    if (s == BAD && from->bad != BAD && err) err->code = s = from->bad;
    return s;
}
#endif

lp_status lp__manifest_apply(lp_model *m, const lp_load_options *opts, lp_error *err)
{
    parsed man = {0}, over = {0}, emb = {0};
    const char *man_name = opts && opts->manifest_name ? opts->manifest_name : "the manifest";
    lp_status s = parse_one(opts ? opts->manifest : NULL, opts ? opts->manifest_len : 0, man_name,
                            BAD, &man, err);
    if (s == LP_OK && m->embedded_manifest)
        s = parse_one(m->embedded_manifest, strlen(m->embedded_manifest),
                      "the manifest inside the model (key \"localpredict\")", BAD, &emb, err);
    if (s == LP_OK)
        s = parse_one(opts ? opts->overrides : NULL, opts ? opts->overrides_len : 0, "the options",
                      LP_ERR_USAGE, &over, err);
    const parsed *from = NULL;
    const cJSON *v;
    if (s == LP_OK) {
        /* Without a task the loader's outputs stand (a blob's own class names too). */
        v = pick3(&over, &man, &emb, "task", &from);
        if (v) s = apply_task(m, v, from, err);
        if (s == LP_OK) v = pick3(&over, &man, &emb, "features", &from), s = apply_features(m, v, from, err);
        if (s == LP_OK) v = pick3(&over, &man, &emb, "classes", &from), s = apply_classes(m, v, from, err);
        /* A manifest's per-label thresholds stay unless the overrides set them again. */
        if (s == LP_OK && emb.root)
            s = apply_threshold(m, cJSON_GetObjectItemCaseSensitive(emb.root, "threshold"), &emb, err);
        if (s == LP_OK && man.root)
            s = apply_threshold(m, cJSON_GetObjectItemCaseSensitive(man.root, "threshold"), &man, err);
        if (s == LP_OK && over.root)
            s = apply_threshold(m, cJSON_GetObjectItemCaseSensitive(over.root, "threshold"), &over, err);
        if (s == LP_OK) v = pick3(&over, &man, &emb, "missing", &from), s = apply_missing(m, v, from, err);
        if (s == LP_OK) v = pick3(&over, &man, &emb, "iterations", &from), s = apply_iterations(m, v, from, err);
        if (s == LP_OK) v = pick3(&over, &man, &emb, "details", &from), s = apply_details(m, v, from, err);
        if (s == LP_OK) v = pick3(&over, &man, &emb, "dims", &from), s = apply_dims(m, v, from, err);
#ifndef LP_NO_TEXT
        /* after "features": the text columns become the model's inputs */
        if (s == LP_OK) v = pick3(&over, &man, &emb, "preprocess", &from), s = apply_preprocess(m, v, from, opts, err);
#endif
    }
    cJSON_Delete(man.root);
    cJSON_Delete(over.root);
    cJSON_Delete(emb.root);
    return s;
}
