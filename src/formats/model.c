/* model.c — lp_model life cycle, output setup and queries shared by every
 * format.  The info JSON is built here with cJSON, once per model. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "cJSON.h"
#include "ensemble.h"
#include "forest_check.h"
#include "../ops/graph.h"
#ifndef LP_NO_ONNX
#include "onnx_dims.h"
#endif
#include "text_model.h"

lp_model *lp__model_new(void)
{
    lp_model *m = calloc(1, sizeof *m);
    return m;
}

char *lp__strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void free_strings(char **v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

void lp_model_destroy(lp_model *m)
{
    if (!m) return;
    free_strings(m->feature_names, m->n_features);
    free(m->feature_is_cat);
    free(m->missing_values);
    lp__prep_free(m->prep, m->n_features);
    lp__inputs_free(m->inputs, m->n_features);
    free(m->embedded_manifest);
    lp__forest_free(&m->forest);
#ifndef LP_NO_ONNX
    lp__graph_free(m->graph);
    lp__onnx_dims_free(m);
#endif
    free(m->graph_source);
    free(m->base_margin);
    free(m->base_after);
    free_strings(m->output_names, m->n_outputs);
    free(m->output_types);
    free(m->thresholds);
    free(m->info_json);
    free(m->details_json);
#ifndef LP_NO_TEXT
    lp__text_model_free(m->text);
#endif
    lp__buf_free(&m->blob);
    lp__ensemble_free(m->ensemble);
    free(m);
}

static const char *const task_names[] = {"auto", "multiclass", "binary", "multilabel", "regression"};

const char *lp_task_name(lp_task t)
{
    return (unsigned)t < sizeof task_names / sizeof *task_names ? task_names[t] : "unknown";
}

lp_task lp_task_from_name(const char *s)
{
    for (unsigned t = 1; t < sizeof task_names / sizeof *task_names; t++)
        if (strcmp(s, task_names[t]) == 0) return (lp_task)t;
    return LP_TASK_AUTO;
}

/* Which tasks a link can serve, given its number of margins. */
static int task_fits(lp__link link, size_t n_groups, lp_task task)
{
    switch (link) {
    case LP__LINK_SIGMOID:
    case LP__LINK_HINGE:
        if (n_groups == 1) return task == LP_TASK_BINARY;
        /* independent sigmoids: labels, or classes scored one-vs-rest (LightGBM
         * multiclassova, ONNX LOGISTIC) */
        return task == LP_TASK_MULTILABEL || task == LP_TASK_MULTICLASS ||
               (task == LP_TASK_BINARY && n_groups == 2);
    case LP__LINK_SOFTMAX:
        return task == LP_TASK_MULTICLASS || task == LP_TASK_MULTILABEL ||
               (task == LP_TASK_BINARY && n_groups == 2);
    case LP__LINK_IDENTITY:
    case LP__LINK_EXP:
        return task == LP_TASK_REGRESSION && n_groups == 1;
    case LP__LINK_DECISION:
        return n_groups == 1 ? task == LP_TASK_BINARY
                             : task == LP_TASK_MULTICLASS || task == LP_TASK_MULTILABEL ||
                                   (task == LP_TASK_BINARY && n_groups == 2);
    case LP__LINK_LOGITS:
        return n_groups == 1 ? task == LP_TASK_REGRESSION || task == LP_TASK_BINARY
                             : task == LP_TASK_MULTICLASS || task == LP_TASK_MULTILABEL ||
                                   (task == LP_TASK_BINARY && n_groups == 2);
    case LP__LINK_RAW:
    case LP__LINK_SOFTMAX_ZERO:
    case LP__LINK_PROBIT:
        return task == LP_TASK_MULTICLASS || task == LP_TASK_MULTILABEL ||
               (task == LP_TASK_BINARY && n_groups == 2);
    case LP__LINK_COMPLEMENT:
    case LP__LINK_NEGATE:
        return task == LP_TASK_BINARY && n_groups == 1;
    }
    return 0;
}

lp_status lp__model_set_outputs(lp_model *m, lp_task task, lp_error *err)
{
    if (task == LP_TASK_AUTO) task = m->native_task;
    if (!task_fits(m->link, m->n_groups, task)) {
        static const lp_task tasks[] = {LP_TASK_MULTICLASS, LP_TASK_BINARY, LP_TASK_MULTILABEL, LP_TASK_REGRESSION};
        char fits[64] = "";
        for (size_t i = 0; i < sizeof tasks / sizeof *tasks; i++)
            if (task_fits(m->link, m->n_groups, tasks[i]))
                snprintf(fits + strlen(fits), sizeof fits - strlen(fits), "%s%s", fits[0] ? " or " : "",
                         lp_task_name(tasks[i]));
        return lp__fail(err, LP_ERR_USAGE,
                        "task \"%s\" does not fit this model: its objective %s gives %zu %s, for the task %s",
                        lp_task_name(task), m->objective, m->n_groups,
                        m->n_groups == 1 ? "output" : "outputs", fits[0] ? fits : "(none)");
    }
    size_t n = m->n_groups == 1 && (m->link == LP__LINK_SIGMOID || m->link == LP__LINK_HINGE ||
                                    m->link == LP__LINK_COMPLEMENT || m->link == LP__LINK_NEGATE ||
                                    m->link == LP__LINK_DECISION ||
                                    (m->link == LP__LINK_LOGITS && task == LP_TASK_BINARY))
                   ? 2 : m->n_groups;
    free_strings(m->output_names, m->n_outputs);
    free(m->output_types);
    free(m->thresholds);
    m->n_outputs = 0;
    m->output_names = calloc(n, sizeof *m->output_names);
    m->output_types = calloc(n, sizeof *m->output_types);
    m->thresholds = malloc(n * sizeof *m->thresholds);
    if (!m->output_names || !m->output_types || !m->thresholds)
        return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    m->n_outputs = n;
    for (size_t k = 0; k < n; k++) {
        char name[24] = "Prediction";
        if (task != LP_TASK_REGRESSION) snprintf(name, sizeof name, "%zu", k);
        m->output_names[k] = lp__strndup(name, strlen(name));
        if (!m->output_names[k]) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
        m->output_types[k] = task == LP_TASK_REGRESSION ? LP__LABEL_STRING : LP__LABEL_INT;
        m->thresholds[k] = 0.5;
    }
    m->task = task;
    return LP_OK;
}

void lp__model_keep_trees(lp_model *m, size_t n_trees)
{
    lp__forest *f = &m->forest;
    if (n_trees >= f->n_trees) return;
    /* Trees are contiguous and in order: the kept ones end where the next begins. */
    f->n_nodes = f->tree_root[n_trees];
    f->n_trees = n_trees;
}

static cJSON *label_json(const lp_model *m, size_t k)
{
    switch (m->output_types[k]) {
    case LP__LABEL_INT: return cJSON_CreateNumber(strtod(m->output_names[k], NULL));
    case LP__LABEL_BOOL: return cJSON_CreateBool(strcmp(m->output_names[k], "true") == 0);
    default: return cJSON_CreateString(m->output_names[k]);
    }
}

/* cJSON's Add* helpers fail silently, and cJSON_AddItemToArray(NULL, item)
 * leaks the item; so every item is attached by add(), which frees what it
 * could not attach and clears *ok.  Returns the item, or NULL. */
static cJSON *add(int *ok, cJSON *parent, const char *key, cJSON *item)
{
    if (item && parent && (key ? cJSON_AddItemToObject(parent, key, item) : cJSON_AddItemToArray(parent, item)))
        return item;
    cJSON_Delete(item);
    *ok = 0;
    return NULL;
}

size_t lp__model_tree_width(const lp_model *m)
{
#ifndef LP_NO_ONNX
    if (m->graph && m->forest.n_trees) return m->graph->n_outputs;
#endif
    return m->n_features;
}

/* The symbolic input dimensions the load bound (onnx_dims.h), one object
 * each: {"name": the dim_param or null, "input" and "axis" (a binding of one
 * input's dimension, as preprocess.max_length makes) or null, "size",
 * "source": "dims" or "preprocess.max_length"}. */
static cJSON *bound_dims_json(const lp_model *m, int *ok)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; list && *ok && i < m->n_dim_bindings; i++) {
        const lp__dim_binding *b = &m->dim_bindings[i];
        const char *name = b->symbol;
#ifndef LP_NO_ONNX
        for (size_t k = 0; !name && b->input && m->graph && k < m->graph->source.n_inputs; k++) {
            const lp__onnx_type *t = &m->graph->source.inputs[k].type;
            if (strcmp(m->graph->source.inputs[k].name, b->input) == 0 && t->dim_names && b->axis < t->rank)
                name = t->dim_names[b->axis];
        }
#endif
        size_t src_len = strlen(b->source);
        const char *src = b->source;
        if (src_len >= 2 && src[0] == '"' && src[src_len - 1] == '"') src++, src_len -= 2;   /* stored quoted, for messages */
        char source[64];
        snprintf(source, sizeof source, "%.*s", (int)src_len, src);
        cJSON *d = add(ok, list, NULL, cJSON_CreateObject());
        add(ok, d, "name", name ? cJSON_CreateString(name) : cJSON_CreateNull());
        add(ok, d, "input", b->input ? cJSON_CreateString(b->input) : cJSON_CreateNull());
        add(ok, d, "axis", b->input ? cJSON_CreateNumber(b->axis) : cJSON_CreateNull());
        add(ok, d, "size", cJSON_CreateNumber((double)b->value));
        add(ok, d, "source", cJSON_CreateString(source));
    }
    return list;
}

lp_status lp__model_finish(lp_model *m, lp_error *err)
{
    /* The trees are final here (the manifest may have cut them): lay them
     * out for the fast kernel. */
    if (!lp__forest_pack(&m->forest, lp__model_tree_width(m)))
        return lp__fail(err, LP_ERR_NOMEM, "out of memory preparing the trees");
    int ok = 1;
    cJSON *o = cJSON_CreateObject();
    if (!o) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    add(&ok, o, "engine", cJSON_CreateString("localpredict " LP_VERSION_STRING));
    add(&ok, o, "format", cJSON_CreateString(m->format));
    char producer[64];
    const char *library = m->producer_name[0] ? m->producer_name
                          : strncmp(m->format, "lightgbm", 8) == 0 ? "lightgbm" : "xgboost";
    snprintf(producer, sizeof producer, "%s %s", library, m->producer_version);
    add(&ok, o, "producer", cJSON_CreateString(m->producer_version[0] ? producer : library));
    add(&ok, o, "objective", cJSON_CreateString(m->objective));
    add(&ok, o, "task", cJSON_CreateString(lp_task_name(m->task)));
    add(&ok, o, "booster", cJSON_CreateString(m->booster));
    add(&ok, o, "trees", cJSON_CreateNumber((double)m->forest.n_trees));
    add(&ok, o, "treesInFile", cJSON_CreateNumber((double)m->trees_in_file));
    add(&ok, o, "bestIteration",
        m->best_iteration >= 0 ? cJSON_CreateNumber((double)m->best_iteration) : cJSON_CreateNull());
    add(&ok, o, "nodes", cJSON_CreateNumber((double)m->forest.n_nodes));
    unsigned max_depth = 0;
    for (size_t t = 0; t < m->forest.n_trees; t++)
        if (m->forest.tree_depth[t] > max_depth) max_depth = m->forest.tree_depth[t];
    add(&ok, o, "maxDepth", cJSON_CreateNumber(max_depth));
#ifndef LP_NO_ONNX
    add(&ok, o, "operators", m->graph ? cJSON_CreateNumber((double)m->graph->n_ops) : cJSON_CreateNull());
    /* the value a dense graph's scores are read from (onnx_scores.c picks it) */
    const char *scores = m->graph && !m->forest.n_trees ? m->graph->values[m->graph->output].name : NULL;
    add(&ok, o, "scoresFrom", scores ? cJSON_CreateString(scores) : cJSON_CreateNull());
#else
    add(&ok, o, "operators", cJSON_CreateNull());
    add(&ok, o, "scoresFrom", cJSON_CreateNull());
#endif

    add(&ok, o, "dims", bound_dims_json(m, &ok));

    cJSON *features = add(&ok, o, "features", cJSON_CreateObject());
    add(&ok, features, "count", cJSON_CreateNumber((double)m->n_features));
    cJSON *names = add(&ok, features, "names", m->feature_names ? cJSON_CreateArray() : cJSON_CreateNull());
    cJSON *cats = add(&ok, features, "categorical", cJSON_CreateArray());
    for (size_t i = 0; ok && i < m->n_features; i++) {
        if (m->feature_names) add(&ok, names, NULL, cJSON_CreateString(m->feature_names[i]));
        if (m->feature_is_cat[i]) add(&ok, cats, NULL, cJSON_CreateNumber((double)i));
    }
    /* How each feature reads a text cell (feature_types.h), and the category names it knows. */
    cJSON *types = add(&ok, features, "types", cJSON_CreateArray());
    cJSON *names_by_feature = add(&ok, features, "categories", cJSON_CreateArray());
    for (size_t i = 0; ok && i < m->n_features; i++) {
        const lp__input_spec *in = m->inputs ? &m->inputs[i] : NULL;
        const lp__feature_prep *lgb = m->prep && m->prep[i].n_categories ? &m->prep[i] : NULL;   /* pandas_categorical */
        unsigned kind = lgb ? LP__INPUT_CATEGORY : in ? in->kind : LP__INPUT_NUMBER;
        size_t n_names = lgb ? lgb->n_categories : in ? in->n_categories : 0;
        add(&ok, types, NULL, cJSON_CreateString(lp__input_kind_name(kind)));
        cJSON *list = add(&ok, names_by_feature, NULL, n_names ? cJSON_CreateArray() : cJSON_CreateNull());
        for (size_t k = 0; ok && k < n_names; k++)
            add(&ok, list, NULL, cJSON_CreateString(lgb ? lgb->categories[k].text : in->names[k]));
    }

    cJSON *classes = add(&ok, o, "classes", m->task == LP_TASK_REGRESSION ? cJSON_CreateNull() : cJSON_CreateArray());
    cJSON *outputs = add(&ok, o, "outputs", cJSON_CreateArray());
    cJSON *thresholds = add(&ok, o, "thresholds", cJSON_CreateArray());
    for (size_t k = 0; ok && k < m->n_outputs; k++) {
        if (m->task != LP_TASK_REGRESSION) add(&ok, classes, NULL, label_json(m, k));
        add(&ok, outputs, NULL, cJSON_CreateString(m->output_names[k]));
        add(&ok, thresholds, NULL, cJSON_CreateNumber(m->thresholds[k]));
    }
    cJSON *missing = add(&ok, o, "missing", cJSON_CreateArray());
    for (size_t i = 0; ok && i < m->n_missing_values; i++)
        add(&ok, missing, NULL, cJSON_CreateNumber(m->missing_values[i]));
    add(&ok, o, "details", m->details_json ? cJSON_Parse(m->details_json) : cJSON_CreateNull());
    add(&ok, o, "sha256", cJSON_CreateString(m->sha256));
    add(&ok, o, "bytes", cJSON_CreateNumber((double)m->source_bytes));
    if (ok && m->ensemble) ok = lp__ensemble_describe(m, o);

    free(m->info_json);
    m->info_json = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!m->info_json) return lp__fail(err, LP_ERR_NOMEM, "out of memory describing the model");
    return LP_OK;
}

const char *lp_model_info_json(const lp_model *m) { return m->info_json; }
lp_task lp_model_task(const lp_model *m) { return m->task; }
size_t lp_model_n_features(const lp_model *m) { return m->ensemble ? m->ensemble->n_inputs : m->n_features; }
size_t lp_model_n_outputs(const lp_model *m) { return m->n_outputs; }

const char *lp_model_feature_name(const lp_model *m, size_t i)
{
    if (m->ensemble)   /* its input columns, not its members' features */
        return m->ensemble->input_names && i < m->ensemble->n_inputs ? m->ensemble->input_names[i] : "";
    return m->feature_names && i < m->n_features ? m->feature_names[i] : "";
}

const char *lp_model_output_name(const lp_model *m, size_t i)
{
    return i < m->n_outputs ? m->output_names[i] : "";
}
