/* ensemble.c — see ensemble.h.  Loading reads the manifest's "ensemble"
 * entries, loads each member from the caller's parts (or, from a blob, from
 * the member blobs it carries), checks that the members agree (outputs,
 * task, class labels, how they take their columns), then builds the one
 * model the CSV side sees and applies the manifest's own keys (task,
 * classes, threshold, missing, details) to it as to any model. */
#include "ensemble.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/sha256.h"
#include "../io/json.h"
#include "../predict/cells.h"
#include "../predict/outputs.h"
#include "cJSON.h"
#include "manifest.h"

#define BAD LP_ERR_BAD_MANIFEST
/* A manifest is small; a model this size or larger is never mistaken for one. */
#define MANIFEST_SNIFF_MAX ((size_t)4 << 20)
#define BLOCK_ROWS 1024

void lp__ensemble_free(lp__ensemble *e)
{
    if (!e) return;
    for (size_t j = 0; j < e->n_members; j++) {
        lp_model_destroy(e->members[j].model);
        free(e->members[j].name);
        free(e->members[j].file);
    }
    free(e->members);
    if (e->input_names)
        for (size_t i = 0; i < e->n_inputs; i++) free(e->input_names[i]);
    free(e->input_names);
    free(e->slot_member);
    free(e->slot_feature);
    free(e->slot_input);
    free(e->manifest_text);
    free(e->overrides_text);
    free(e->manifest_name);
    free(e);
}

static char *dup_str(const char *s) { return s ? lp__strndup(s, strlen(s)) : NULL; }

/* ---- members ---- */
typedef struct entry {
    const char *file;       /* "model" */
    const char *name;       /* "name" or "model" */
    double      weight;
    const cJSON *manifest;  /* object, string (a part) or NULL */
} entry;

static lp_status entry_fail(lp_error *err, const char *where, size_t i, const char *key, const char *what)
{
    lp__fail(err, BAD, "%s: \"ensemble[%zu]%s%s\" %s", where, i, key[0] ? "." : "", key, what);
    if (err) snprintf(err->field, sizeof err->field, "ensemble[%zu]%s%s", i, key[0] ? "." : "", key);
    return BAD;
}

static lp_status parse_entries(const cJSON *list, const char *where, entry *out, size_t *n_out, lp_error *err)
{
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) < 1)
        return lp__fail(err, BAD, "%s: \"ensemble\" must be a non-empty array of members "
                        "[{\"model\": \"file\", \"weight\": 1}, ...]", where);
    size_t n = (size_t)cJSON_GetArraySize(list);
    if (n > LP__ENSEMBLE_MAX_MEMBERS)
        return lp__fail(err, LP_ERR_LIMIT, "%s: \"ensemble\" has %zu members, over the limit of %d", where, n,
                        LP__ENSEMBLE_MAX_MEMBERS);
    size_t i = 0;
    for (const cJSON *c = list->child; c; c = c->next, i++) {
        if (!cJSON_IsObject(c))
            return entry_fail(err, where, i, "", "must be an object {\"model\": \"file\", \"weight\": 1}");
        entry *e = &out[i];
        memset(e, 0, sizeof *e);
        e->weight = 1;
        for (const cJSON *k = c->child; k; k = k->next) {
            if (strcmp(k->string, "model") == 0) {
                if (!cJSON_IsString(k) || !k->valuestring[0])
                    return entry_fail(err, where, i, "model", "must name the member's file (a non-empty string)");
                e->file = k->valuestring;
            } else if (strcmp(k->string, "name") == 0) {
                if (!cJSON_IsString(k) || !k->valuestring[0])
                    return entry_fail(err, where, i, "name", "must be a non-empty string");
                e->name = k->valuestring;
            } else if (strcmp(k->string, "weight") == 0) {
                if (!cJSON_IsNumber(k) || !(k->valuedouble > 0) || !isfinite(k->valuedouble))
                    return entry_fail(err, where, i, "weight", "must be a positive number");
                e->weight = k->valuedouble;
            } else if (strcmp(k->string, "manifest") == 0) {
                if (!cJSON_IsObject(k) && !(cJSON_IsString(k) && k->valuestring[0]))
                    return entry_fail(err, where, i, "manifest",
                                      "must be the member's manifest: an object, or the name of its file");
                if (cJSON_IsObject(k) && cJSON_GetObjectItemCaseSensitive(k, "ensemble"))
                    return entry_fail(err, where, i, "manifest", "cannot hold an ensemble (ensembles do not nest)");
                e->manifest = k;
            } else {
                char key[96];
                snprintf(key, sizeof key, "%.60s", k->string);
                return entry_fail(err, where, i, key, "is not a key of an ensemble member (known: model, name, "
                                  "weight, manifest)");
            }
        }
        if (!e->file) return entry_fail(err, where, i, "", "lacks \"model\", the member's file");
        if (!e->name) e->name = e->file;
    }
    *n_out = n;
    return LP_OK;
}

static const lp_part *find_part(const lp_load_options *o, const char *name)
{
    for (size_t p = 0; o && p < o->n_parts; p++)
        if (o->parts[p].name && strcmp(o->parts[p].name, name) == 0) return &o->parts[p];
    return NULL;
}

static lp_status missing_part(lp_error *err, const char *where, size_t i, const char *key, const char *file)
{
    lp__fail(err, LP_ERR_USAGE, "%s: ensemble member %zu names \"%s\", which was not given (the files an "
             "ensemble names sit beside its manifest, or in the same bundle)", where, i + 1, file);
    if (err) snprintf(err->field, sizeof err->field, "ensemble[%zu].%s", i, key);
    return LP_ERR_USAGE;
}

/* Loads member i from its part (with its own manifest), or from its blob. */
static lp_status load_member(const entry *e, size_t i, const char *where, const lp_load_options *opts,
                             const uint8_t *blob, size_t blob_len, lp_model **out, lp_error *err)
{
    lp_load_options mo = lp_load_options_default();
    if (opts) {
        mo.max_model_bytes = opts->max_model_bytes;
        mo.max_nodes = opts->max_nodes;
        mo.max_tree_depth = opts->max_tree_depth;
        mo.max_tensor_elements = opts->max_tensor_elements;
        mo.max_graph_nodes = opts->max_graph_nodes;
        mo.max_graph_ops = opts->max_graph_ops;
    }
    char *manifest_text = NULL;
    char manifest_name[LP_ERROR_NAME_CAP + 64];
    const uint8_t *bytes = blob;
    size_t len = blob_len;
    if (!blob) {
        const lp_part *part = find_part(opts, e->file);
        if (!part) return missing_part(err, where, i, "model", e->file);
        bytes = part->bytes, len = part->len;
        if (cJSON_IsString(e->manifest)) {
            const lp_part *mp = find_part(opts, e->manifest->valuestring);
            if (!mp) return missing_part(err, where, i, "manifest", e->manifest->valuestring);
            mo.manifest = (const char *)mp->bytes, mo.manifest_len = mp->len;
            snprintf(manifest_name, sizeof manifest_name, "%s", e->manifest->valuestring);
        } else if (e->manifest) {
            /* An inline manifest needs no version key: the ensemble's stands for it. */
            cJSON *copy = cJSON_Duplicate(e->manifest, 1);
            if (copy && !cJSON_GetObjectItemCaseSensitive(copy, "localpredict")) {
                cJSON *one = cJSON_CreateNumber(1);
                if (!one || !cJSON_AddItemToObject(copy, "localpredict", one)) {
                    cJSON_Delete(one);
                    cJSON_Delete(copy);
                    copy = NULL;
                }
            }
            manifest_text = copy ? cJSON_PrintUnformatted(copy) : NULL;
            cJSON_Delete(copy);
            if (!manifest_text) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
            mo.manifest = manifest_text, mo.manifest_len = strlen(manifest_text);
            snprintf(manifest_name, sizeof manifest_name, "%s: ensemble[%zu].manifest", where, i);
        }
        mo.manifest_name = manifest_name;
    }
    lp_status s = lp_model_load(bytes, len, &mo, out, err);
    free(manifest_text);
    if (s == LP_OK && (*out)->ensemble) {
        lp_model_destroy(*out);
        *out = NULL;
        s = lp__fail(err, BAD, "an ensemble cannot be a member of another (ensembles do not nest)");
    }
    if (s != LP_OK) lp__err_prefix(err, "ensemble member %zu (\"%s\"): ", i + 1, e->name);
    return s;
}

/* ---- assembly ---- */
static lp_status member_fail(lp_error *err, lp_status code, const lp__ensemble *e, size_t j, const char *fmt,
                             const char *a, const char *b)
{
    char what[LP_ERROR_MESSAGE_CAP / 2];
    snprintf(what, sizeof what, fmt, a, b);
    return lp__fail(err, code, "ensemble member %zu (\"%s\") %s", j + 1, e->members[j].name, what);
}

static void join_labels(const lp_model *m, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < m->n_outputs && used + 1 < cap; k++) {
        int n = snprintf(buf + used, cap - used, "%s\"%s\"", k ? ", " : "", m->output_names[k]);
        if (n < 0) break;
        used += (size_t)n < cap - used ? (size_t)n : cap - used - 1;
    }
}

/* Outputs, task and labels must agree, unless the manifest (or the caller)
 * sets the ensemble's task or classes itself. */
static lp_status check_agreement(const lp__ensemble *e, int task_set, int classes_set, lp_error *err)
{
    const lp_model *m0 = e->members[0].model;
    for (size_t j = 1; j < e->n_members; j++) {
        const lp_model *mj = e->members[j].model;
        char n0[32], nj[32];
        if (mj->n_outputs != m0->n_outputs) {
            snprintf(n0, sizeof n0, "%zu", m0->n_outputs);
            snprintf(nj, sizeof nj, "%zu", mj->n_outputs);
            return member_fail(err, BAD, e, j, "gives %s outputs but member 1 gives %s: the members of an ensemble "
                               "must predict the same classes", nj, n0);
        }
        if ((mj->task == LP_TASK_REGRESSION) != (m0->task == LP_TASK_REGRESSION))
            return member_fail(err, BAD, e, j, "is a %s model but member 1 is %s: an ensemble averages "
                               "classifiers or regressors, not both", lp_task_name(mj->task), lp_task_name(m0->task));
        if (!task_set && mj->task != m0->task)
            return member_fail(err, BAD, e, j, "is %s but member 1 is %s: set the ensemble's \"task\" in its "
                               "manifest to say which the average is", lp_task_name(mj->task), lp_task_name(m0->task));
        if (classes_set || m0->task == LP_TASK_REGRESSION) continue;
        for (size_t k = 0; k < m0->n_outputs; k++)
            if (strcmp(mj->output_names[k], m0->output_names[k]) != 0) {
                char a[480], b[480];
                join_labels(mj, a, sizeof a);
                join_labels(m0, b, sizeof b);
                char what[1200];
                snprintf(what, sizeof what, "has classes %s but member 1 has %s: the members must give the same "
                         "classes in the same order (the ensemble's \"classes\" names them when the members "
                         "only differ in their stored names)", a, b);
                return member_fail(err, BAD, e, j, "%s%s", what, "");
            }
    }
    return LP_OK;
}

static int has_names(const lp_model *m) { return m->feature_names != NULL || m->n_features == 0; }

/* The distinct input columns and the slot tables. */
static lp_status build_inputs(lp_model *m, lp__ensemble *e, lp_error *err)
{
    int named = 1, unnamed = 1;
    size_t slots = 0, positional_count = 0;
    for (size_t j = 0; j < e->n_members; j++) {
        const lp_model *mj = e->members[j].model;
        if (mj->n_features == 0) continue;
        named &= mj->feature_names != NULL;
        unnamed &= mj->feature_names == NULL;
    }
    for (size_t j = 0; j < e->n_members; j++) {
        const lp_model *mj = e->members[j].model;
        e->members[j].first_slot = slots;
        slots += mj->n_features;
        if (!named && mj->n_features) {
            if (has_names(mj) && mj->feature_names) {
                size_t u = 0;
                while (e->members[u].model->feature_names || e->members[u].model->n_features == 0) u++;
                return lp__fail(err, BAD, "ensemble member %zu (\"%s\") takes its %zu columns by position (its "
                                "features have no names) while member %zu (\"%s\") takes them by name: name the "
                                "features of member %zu with \"features\" in its entry's \"manifest\"", u + 1,
                                e->members[u].name, e->members[u].model->n_features, j + 1, e->members[j].name, u + 1);
            }
            if (positional_count && mj->n_features != positional_count) {
                char a[32], b[32];
                snprintf(a, sizeof a, "%zu", mj->n_features);
                snprintf(b, sizeof b, "%zu", positional_count);
                return member_fail(err, BAD, e, j, "takes %s unnamed columns by position, but another member "
                                   "takes %s: name the features with \"features\" in each entry's \"manifest\"", a, b);
            }
            positional_count = mj->n_features;
        }
    }
    (void)unnamed;
    m->n_features = slots;
    e->slot_member = calloc(slots + 1, sizeof *e->slot_member);
    e->slot_feature = calloc(slots + 1, sizeof *e->slot_feature);
    e->slot_input = calloc(slots + 1, sizeof *e->slot_input);
    m->feature_is_cat = calloc(slots + 1, 1);
    if (named) {
        m->feature_names = calloc(slots + 1, sizeof *m->feature_names);
        e->input_names = calloc(slots + 1, sizeof *e->input_names);
    }
    if (!e->slot_member || !e->slot_feature || !e->slot_input || !m->feature_is_cat ||
        (named && (!m->feature_names || !e->input_names)))
        return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    e->n_inputs = named ? 0 : positional_count;
    for (size_t j = 0; j < e->n_members; j++) {
        const lp_model *mj = e->members[j].model;
        for (size_t f = 0; f < mj->n_features; f++) {
            size_t s = e->members[j].first_slot + f, input = f;
            e->slot_member[s] = j;
            e->slot_feature[s] = f;
            m->feature_is_cat[s] = mj->feature_is_cat[f];
            if (named) {
                const char *name = mj->feature_names[f];
                for (input = 0; input < e->n_inputs && strcmp(e->input_names[input], name) != 0; input++) {}
                if (input == e->n_inputs && !(e->input_names[e->n_inputs++] = dup_str(name)))
                    return lp__fail(err, LP_ERR_NOMEM, "out of memory");
                if (!(m->feature_names[s] = dup_str(name))) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
            }
            e->slot_input[s] = input;
        }
    }
    return LP_OK;
}

static int item_in(const cJSON *a, const cJSON *b, const char *key)
{
    return (a && cJSON_GetObjectItemCaseSensitive(a, key)) || (b && cJSON_GetObjectItemCaseSensitive(b, key));
}

/* Builds the ensemble model from its parsed manifest.  blobs = NULL: the
 * members come from opts->parts; else member j is blobs[j]. */
static lp_status build(const cJSON *root, const char *text, size_t text_len, const char *name,
                       const char *overrides, const lp_load_options *opts, const uint8_t *const *blobs,
                       const size_t *blob_lens, lp_model **out, lp_error *err)
{
    static const char *const single_model_keys[] = {"features", "iterations"};
    for (size_t k = 0; k < sizeof single_model_keys / sizeof *single_model_keys; k++)
        if (cJSON_GetObjectItemCaseSensitive(root, single_model_keys[k])) {
            lp__fail(err, BAD, "%s: \"%s\" applies to one model: put it in the \"manifest\" of each ensemble "
                     "member that needs it ({\"model\": \"...\", \"manifest\": {\"%s\": ...}})", name,
                     single_model_keys[k], single_model_keys[k]);
            if (err) lp__err_set_name(err->field, single_model_keys[k], strlen(single_model_keys[k]));
            return BAD;
        }
    entry entries[LP__ENSEMBLE_MAX_MEMBERS];
    size_t n = 0;
    lp_status s = parse_entries(cJSON_GetObjectItemCaseSensitive(root, "ensemble"), name, entries, &n, err);
    if (s != LP_OK) return s;
    cJSON *over = NULL;
    if (overrides) {
        s = lp__json_parse_strict((const uint8_t *)overrides, strlen(overrides), "the options", LP_ERR_USAGE, &over, err);
        if (s != LP_OK) return s;
    }
    int task_set = item_in(root, over, "task"), classes_set = item_in(root, over, "classes");
    cJSON_Delete(over);

    lp_model *m = lp__model_new();
    lp__ensemble *e = m ? calloc(1, sizeof *e) : NULL;
    if (e) e->members = calloc(n, sizeof *e->members);
    if (!m || !e || !e->members) {
        if (e) free(e->members);
        free(e);
        free(m);
        return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    m->ensemble = e;
    double total = 0;
    for (size_t j = 0; j < n; j++) total += entries[j].weight;
    for (size_t j = 0; s == LP_OK && j < n; j++) {
        lp__ensemble_member *mem = &e->members[j];
        mem->weight = entries[j].weight / total;
        mem->name = dup_str(entries[j].name);
        mem->file = dup_str(entries[j].file);
        e->n_members = j + 1;
        if (!mem->name || !mem->file) s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
        if (s == LP_OK)
            s = load_member(&entries[j], j, name, opts, blobs ? blobs[j] : NULL, blobs ? blob_lens[j] : 0,
                            &mem->model, err);
    }
    e->manifest_text = lp__strndup(text, text_len);
    e->overrides_text = overrides ? dup_str(overrides) : NULL;
    e->manifest_name = dup_str(name);
    if (s == LP_OK && (!e->manifest_text || (overrides && !e->overrides_text) || !e->manifest_name))
        s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
    if (s == LP_OK) s = check_agreement(e, task_set, classes_set, err);
    if (s == LP_OK) s = build_inputs(m, e, err);

    const lp_model *m0 = e->members[0].model;
    size_t k_n = s == LP_OK ? m0->n_outputs : 0, widest = 0;
    for (size_t j = 0; s == LP_OK && j < n; j++) {
        const lp_model *mj = e->members[j].model;
        size_t w = (mj->n_features ? mj->n_features : 1) + lp__model_margin_width(mj) + k_n;
        if (w > widest) widest = w;
        m->trees_in_file += mj->trees_in_file;
    }
    if (s == LP_OK) {
        /* Scratch per row: the average in double (2 floats), then one member's slice. */
        e->scratch_per_row = 2 * k_n + widest;
        snprintf(m->format, sizeof m->format, "ensemble");
        snprintf(m->objective, sizeof m->objective, "weighted average of %zu models", n);
        snprintf(m->producer_name, sizeof m->producer_name, "localpredict");
        m->n_groups = k_n;
        m->base_margin = calloc(k_n, sizeof *m->base_margin);
        m->best_iteration = -1;
        m->link = m0->task == LP_TASK_REGRESSION ? LP__LINK_IDENTITY : LP__LINK_RAW;
        m->native_task = m0->task;
        if (!m->base_margin) s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    if (s == LP_OK) s = lp__model_set_outputs(m, m0->task, err);
    for (size_t k = 0; s == LP_OK && k < k_n; k++) {
        char *label = dup_str(m0->output_names[k]);
        if (!label) s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
        else free(m->output_names[k]), m->output_names[k] = label;
        m->output_types[k] = m0->output_types[k];
    }
    if (s == LP_OK) {
        lp_load_options mo = lp_load_options_default();
        mo.manifest = text, mo.manifest_len = text_len, mo.manifest_name = name;
        mo.overrides = overrides, mo.overrides_len = overrides ? strlen(overrides) : 0;
        s = lp__manifest_apply(m, &mo, err);
    }
    /* "missing" is about the data: it holds for every member's columns. */
    for (size_t j = 0; s == LP_OK && m->n_missing_values && j < n; j++) {
        lp_model *mj = e->members[j].model;
        double *v = malloc(m->n_missing_values * sizeof *v);
        if (!v) {
            s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
            break;
        }
        memcpy(v, m->missing_values, m->n_missing_values * sizeof *v);
        free(mj->missing_values);
        mj->missing_values = v;
        mj->n_missing_values = m->n_missing_values;
    }
    if (s == LP_OK) {
        lp__sha256_hex((const uint8_t *)text, text_len, m->sha256);
        m->source_bytes = text_len;
        s = lp__model_finish(m, err);
    }
    if (s != LP_OK) {
        lp_model_destroy(m);
        return s;
    }
    *out = m;
    return LP_OK;
}

static lp_status load_manifest_text(const char *text, size_t len, const char *name, const lp_load_options *opts,
                                    lp_model **out, lp_error *err)
{
    cJSON *root = NULL;
    lp_status s = lp__json_parse_strict((const uint8_t *)text, len, name, BAD, &root, err);
    if (s == LP_OK && !cJSON_IsObject(root))
        s = lp__fail(err, BAD, "%s must be a JSON object {\"localpredict\": 1, ...}", name);
    char *overrides = NULL;
    if (s == LP_OK && opts && opts->overrides) {
        overrides = lp__strndup(opts->overrides, opts->overrides_len);
        if (!overrides) s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    if (s == LP_OK) s = build(root, text, len, name, overrides, opts, NULL, NULL, out, err);
    free(overrides);
    cJSON_Delete(root);
    return s;
}

/* ---- the blob: the manifest, the overrides and each member's own blob ---- */
static lp_status put_str(lp__buf *b, const char *s, size_t n)
{
    uint64_t len = n;
    lp_status st = lp__buf_append(b, &len, sizeof len);
    return st == LP_OK && n ? lp__buf_append(b, s, n) : st;
}

lp_status lp__ensemble_serialize(lp_model *m, lp_error *err)
{
    const lp__ensemble *e = m->ensemble;
    lp__buf *b = &m->blob;
    lp_status s = lp__buf_append(b, LP__ENSEMBLE_BLOB_MAGIC, 8);
    if (s == LP_OK) s = put_str(b, e->manifest_text, strlen(e->manifest_text));
    if (s == LP_OK) s = put_str(b, e->overrides_text ? e->overrides_text : "", e->overrides_text ? strlen(e->overrides_text) : 0);
    if (s == LP_OK) s = put_str(b, e->manifest_name, strlen(e->manifest_name));
    uint64_t n = e->n_members;
    if (s == LP_OK) s = lp__buf_append(b, &n, sizeof n);
    for (size_t j = 0; s == LP_OK && j < e->n_members; j++) {
        const uint8_t *mb = NULL;
        size_t mb_len = 0;
        s = lp_model_serialize(e->members[j].model, &mb, &mb_len, err);
        if (s == LP_OK) s = put_str(b, (const char *)mb, mb_len);
    }
    if (s != LP_OK) {
        lp__buf_free(b);
        return err && err->code == s ? s : lp__fail(err, LP_ERR_NOMEM, "out of memory serialising the ensemble");
    }
    return LP_OK;
}

typedef struct reader {
    const uint8_t *p;
    size_t         left;
} reader;

/* A length-prefixed byte string; NULL when it does not fit what is left. */
static const uint8_t *get_bytes(reader *r, size_t *n)
{
    uint64_t len;
    if (r->left < sizeof len) return NULL;
    memcpy(&len, r->p, sizeof len);
    r->p += sizeof len, r->left -= sizeof len;
    if (len > r->left) return NULL;
    const uint8_t *p = r->p;
    r->p += len, r->left -= (size_t)len;
    *n = (size_t)len;
    return p;
}

static lp_status blob_load(const uint8_t *bytes, size_t len, const lp_load_options *opts, lp_model **out,
                           lp_error *err)
{
    reader r = {bytes + 8, len - 8};
    size_t text_len = 0, over_len = 0, name_len = 0;
    const uint8_t *text = get_bytes(&r, &text_len);
    const uint8_t *over = text ? get_bytes(&r, &over_len) : NULL;
    const uint8_t *name = over ? get_bytes(&r, &name_len) : NULL;
    uint64_t n = 0;
    if (name && r.left >= sizeof n) memcpy(&n, r.p, sizeof n), r.p += sizeof n, r.left -= sizeof n;
    else name = NULL;
    const uint8_t *blobs[LP__ENSEMBLE_MAX_MEMBERS];
    size_t blob_lens[LP__ENSEMBLE_MAX_MEMBERS];
    int ok = name && n >= 1 && n <= LP__ENSEMBLE_MAX_MEMBERS;
    for (size_t j = 0; ok && j < n; j++) ok = (blobs[j] = get_bytes(&r, &blob_lens[j])) != NULL;
    if (!ok || r.left != 0) return lp__fail(err, LP_ERR_BAD_MODEL, "the ensemble blob is truncated or corrupt");

    char *name_s = lp__strndup((const char *)name, name_len);
    char *over_s = over_len ? lp__strndup((const char *)over, over_len) : NULL;
    cJSON *root = NULL;
    lp_status s = name_s && (!over_len || over_s) ? LP_OK : lp__fail(err, LP_ERR_NOMEM, "out of memory");
    if (s == LP_OK) s = lp__json_parse_strict(text, text_len, name_s, BAD, &root, err);
    const cJSON *list = s == LP_OK ? cJSON_GetObjectItemCaseSensitive(root, "ensemble") : NULL;
    if (s == LP_OK && (!cJSON_IsArray(list) || (uint64_t)cJSON_GetArraySize(list) != n))
        s = lp__fail(err, LP_ERR_BAD_MODEL, "the ensemble blob is truncated or corrupt");
    if (s == LP_OK) s = build(root, (const char *)text, text_len, name_s, over_s, opts, blobs, blob_lens, out, err);
    cJSON_Delete(root);
    free(name_s);
    free(over_s);
    return s;
}

/* ---- routing ---- */
static int contains(const uint8_t *b, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (b[i] == (uint8_t)needle[0] && memcmp(b + i, needle, n) == 0) return 1;
    return 0;
}

/* *yes = a JSON object with the version key (a manifest), and *has_ensemble.
 * Fails only when memory runs out (malformed JSON is simply not a manifest:
 * the loader that takes the bytes then says what is wrong). */
static lp_status is_manifest(const uint8_t *bytes, size_t len, int *yes, int *has_ensemble, lp_error *err)
{
    *yes = *has_ensemble = 0;
    size_t i = 0;
    while (i < len && (bytes[i] == ' ' || bytes[i] == '\n' || bytes[i] == '\r' || bytes[i] == '\t')) i++;
    if (i == len || bytes[i] != '{' || len > MANIFEST_SNIFF_MAX || !contains(bytes, len, "\"localpredict\""))
        return LP_OK;
    cJSON *root = NULL;
    lp_error ignored;
    lp_status s = lp__json_parse_strict(bytes, len, "manifest", BAD, &root, &ignored);
    if (s == LP_ERR_NOMEM) return lp__fail(err, s, "out of memory reading the manifest");
    *yes = s == LP_OK && cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "localpredict");
    *has_ensemble = *yes && cJSON_GetObjectItemCaseSensitive(root, "ensemble") != NULL;
    cJSON_Delete(root);
    return LP_OK;
}

lp_status lp__ensemble_route(const uint8_t *bytes, size_t len, const lp_load_options *opts, lp_model **out,
                             lp_error *err, int *handled)
{
    *handled = 1;
    if (len >= 8 && memcmp(bytes, LP__ENSEMBLE_BLOB_MAGIC, 8) == 0) return blob_load(bytes, len, opts, out, err);
    if (len >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && ((bytes[2] == 3 && bytes[3] == 4) || (bytes[2] == 5 && bytes[3] == 6)))
        return lp__fail(err, LP_ERR_UNSUPPORTED, "this is a .zip bundle, which this engine does not unpack: unzip it "
                        "and give the model (or an ensemble's manifest) itself, or use the JS CLI "
                        "(npx localpredict) or the page, which read bundles");
    const char *man = opts ? opts->manifest : NULL;
    size_t man_len = opts ? opts->manifest_len : 0;
    const char *man_name = opts && opts->manifest_name ? opts->manifest_name : "the manifest";
    int manifest = 0, ens = 0;
    lp_status s = len ? is_manifest(bytes, len, &manifest, &ens, err) : LP_OK;
    if (s != LP_OK) return s;
    if (manifest) {
        if (!ens)
            return lp__fail(err, LP_ERR_BAD_MODEL, "this is a localpredict manifest, not a model: give the model file "
                            "(its manifest is found beside it, or given with --manifest / { manifest })");
        if (man)
            return lp__fail(err, LP_ERR_USAGE, "the model is an ensemble's manifest, and another manifest was "
                            "given as well: give one of them");
        return load_manifest_text((const char *)bytes, len, "the ensemble manifest", opts, out, err);
    }
    s = man ? is_manifest((const uint8_t *)man, man_len, &manifest, &ens, err) : LP_OK;
    if (s != LP_OK) return s;
    if (man && ens) {
        if (len) {
            lp__fail(err, LP_ERR_USAGE, "%s describes an ensemble (its \"ensemble\" names the models): "
                     "load it alone, as the model, without a model file", man_name);
            if (err) lp__err_set_name(err->field, "ensemble", 8);
            return LP_ERR_USAGE;
        }
        return load_manifest_text(man, man_len, man_name, opts, out, err);
    }
    *handled = 0;
    return LP_OK;
}

/* ---- prediction ---- */
lp_status lp__ensemble_predict_batch(const lp_model *m, const float *x, size_t n_rows, double threshold,
                                     float *scratch, float *proba, uint8_t *chosen, lp_error *err)
{
    const lp__ensemble *e = m->ensemble;
    size_t k_n = m->n_outputs, stride = m->n_features ? m->n_features : 1;
    double *sum = (double *)(void *)scratch;   /* the buffer's start: malloc-aligned */
    float *rest = scratch + 2 * n_rows * k_n;
    for (size_t i = 0; i < n_rows * k_n; i++) sum[i] = 0;
    for (size_t j = 0; j < e->n_members; j++) {
        const lp_model *mj = e->members[j].model;
        size_t f_n = mj->n_features, sj = f_n ? f_n : 1, first = e->members[j].first_slot;
        float *xj = rest, *margins = xj + n_rows * sj, *pj = margins + n_rows * lp__model_margin_width(mj);
        for (size_t r = 0; r < n_rows; r++) {
            if (f_n) memcpy(xj + r * sj, x + r * stride + first, f_n * sizeof *xj);
            else xj[r] = NAN;
        }
        lp_status s = lp__predict_batch(mj, xj, n_rows, NAN, margins, pj, NULL, err);
        if (s != LP_OK) {
            if (err && err->column_index >= 0) err->column_index += (int64_t)first;   /* the member's feature → slot */
            lp__err_prefix(err, "ensemble member %zu (\"%s\"): ", j + 1, e->members[j].name);
            return s;
        }
        double w = e->members[j].weight;
        for (size_t i = 0; i < n_rows * k_n; i++) sum[i] += w * (double)pj[i];
    }
    for (size_t i = 0; i < n_rows * k_n; i++) proba[i] = (float)sum[i];
    if (chosen) lp__outputs_choose(m, proba, n_rows, threshold, chosen);
    return LP_OK;
}

lp_status lp__ensemble_bind_positional(const lp_model *m, size_t n_columns, size_t *feature_col, lp_error *err)
{
    const lp__ensemble *e = m->ensemble;
    if (n_columns != e->n_inputs) {
        lp__fail(err, LP_ERR_COLUMN_COUNT, "the ensemble's members have %zu unnamed features, taken by position, but "
                 "the input has %zu columns (name them with \"features\" in each member's \"manifest\" to pick "
                 "columns by name)", e->n_inputs, n_columns);
        if (err) err->line = 1;
        return LP_ERR_COLUMN_COUNT;
    }
    for (size_t s = 0; s < m->n_features; s++) feature_col[s] = e->slot_input[s];
    return LP_OK;
}

lp_status lp__ensemble_predict_matrix(const lp_model *m, const float *data, size_t n_rows, size_t n_cols,
                                      double threshold, float *proba, uint8_t *chosen, lp_error *err)
{
    const lp__ensemble *e = m->ensemble;
    if (n_cols != e->n_inputs)
        return lp__fail(err, LP_ERR_COLUMN_COUNT, "the matrix has %zu columns but the ensemble has %zu input columns",
                        n_cols, e->n_inputs);
    size_t stride = m->n_features ? m->n_features : 1;
    float *x = malloc(BLOCK_ROWS * stride * sizeof *x);
    float *scratch = malloc(BLOCK_ROWS * lp__model_margin_width(m) * sizeof *scratch);
    lp_status s = x && scratch ? LP_OK : lp__fail(err, LP_ERR_NOMEM, "out of memory");
    for (size_t start = 0; s == LP_OK && start < n_rows; start += BLOCK_ROWS) {
        size_t n = n_rows - start < BLOCK_ROWS ? n_rows - start : BLOCK_ROWS;
        for (size_t r = 0; r < n; r++) {
            x[r * stride] = NAN;
            for (size_t f = 0; f < m->n_features; f++)
                x[r * stride + f] = lp__value_to_f32(m, f, data[(start + r) * n_cols + e->slot_input[f]]);
        }
        s = lp__ensemble_predict_batch(m, x, n, threshold, scratch, proba + start * m->n_outputs,
                                       chosen ? chosen + start * m->n_outputs : NULL, err);
    }
    free(x);
    free(scratch);
    return s;
}

/* ---- description ---- */
/* Empties an array in place (no allocation, so nothing can fail). */
static void clear_array(cJSON *arr)
{
    while (cJSON_GetArraySize(arr) > 0) cJSON_DeleteItemFromArray(arr, 0);
}

/* The info JSON lp__model_finish built, completed in place: the members'
 * trees, nodes and depth; the input columns (once each) instead of the
 * slots; the "members" list.  cJSON's replace functions do not report a
 * failed key copy, so values are set in place and only new keys are added. */
int lp__ensemble_describe(const lp_model *m, cJSON *info)
{
    const lp__ensemble *e = m->ensemble;
    int ok = 1;
    double trees = 0, nodes = 0, depth = 0;
    cJSON *members = cJSON_CreateArray();
    ok &= members != NULL;
    for (size_t j = 0; ok && j < e->n_members; j++) {
        const lp_model *mj = e->members[j].model;
        cJSON *mi = cJSON_Parse(lp_model_info_json(mj));
        cJSON *item = cJSON_CreateObject();
        if (!mi || !item || !cJSON_AddItemToArray(members, item)) {
            cJSON_Delete(mi);
            cJSON_Delete(item);
            ok = 0;
            break;
        }
        ok &= cJSON_AddStringToObject(item, "name", e->members[j].name) != NULL;
        ok &= cJSON_AddStringToObject(item, "model", e->members[j].file) != NULL;
        ok &= cJSON_AddNumberToObject(item, "weight", e->members[j].weight) != NULL;
        trees += cJSON_GetNumberValue(cJSON_GetObjectItem(mi, "trees"));
        nodes += cJSON_GetNumberValue(cJSON_GetObjectItem(mi, "nodes"));
        double d = cJSON_GetNumberValue(cJSON_GetObjectItem(mi, "maxDepth"));
        if (d > depth) depth = d;
        if (!ok || !cJSON_AddItemToObject(item, "info", mi)) {
            cJSON_Delete(mi);
            ok = 0;
        }
    }
    cJSON_SetNumberValue(cJSON_GetObjectItem(info, "trees"), trees);
    cJSON_SetNumberValue(cJSON_GetObjectItem(info, "nodes"), nodes);
    cJSON_SetNumberValue(cJSON_GetObjectItem(info, "maxDepth"), depth);
    cJSON *features = cJSON_GetObjectItem(info, "features");
    cJSON_SetNumberValue(cJSON_GetObjectItem(features, "count"), (double)e->n_inputs);
    cJSON *names = cJSON_GetObjectItem(features, "names"), *cats = cJSON_GetObjectItem(features, "categorical");
    if (cJSON_IsArray(names)) clear_array(names);   /* (null when the members take columns by position) */
    clear_array(cats);
    for (size_t i = 0; ok && e->input_names && i < e->n_inputs; i++)
        ok = cJSON_AddItemToArray(names, cJSON_CreateString(e->input_names[i]));
    for (size_t i = 0; ok && i < e->n_inputs; i++) {
        int cat = 0;
        for (size_t s = 0; s < m->n_features; s++) cat |= e->slot_input[s] == i && m->feature_is_cat[s];
        if (cat) ok = cJSON_AddItemToArray(cats, cJSON_CreateNumber((double)i));
    }
    if (!ok || !cJSON_AddItemToObject(info, "members", members)) {
        cJSON_Delete(members);
        ok = 0;
    }
    return ok;
}
