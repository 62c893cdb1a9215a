/* xgboost_cats.c — XGBoost 3.1+'s category re-coder (`cats`) and a manifest
 * kept in learner.attributes.
 *
 * A model trained on a DataFrame with category columns stores the training
 * categories of each feature, in code order, so that prediction can map
 * category names to the codes the trees compare (xgboost's
 * src/data/cat_container.cc, CatContainer::Save / Load):
 *
 *   learner.gradient_booster.model.cats = {
 *     "enc": [ one object per feature:
 *         {"offsets": [0, 3, 8, ...], "values": [114, 101, 100, ...]}   string categories:
 *             category i is the UTF-8 bytes values[offsets[i] .. offsets[i+1]) (int8 each,
 *             so bytes >= 0x80 are negative); code = i
 *       | {"type": <typed-array kind>, "values": [3, 7, ...]}            numeric categories;
 *             code = the value's position
 *       (a feature without categories has an empty list) ],
 *     "feature_segments": [0, n0, n0 + n1, ...]   (prefix sums of the counts),
 *     "sorted_idx": [...], "is_ref": bool, "sorted": bool }   (not needed here)
 *
 * A category that is not among the training ones is an error in xgboost
 * ("Found a category not in the training set ..."), and so it is here
 * (LP_ERR_UNKNOWN_CATEGORY; a manifest may say "unknown": "missing"). */
#include "xgboost_cats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/utf8.h"

#define BAD LP_ERR_BAD_MODEL

static const cJSON *member(const cJSON *o, const char *key)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

/* Reads a JSON array of whole numbers in [lo, hi] into a new array. */
static lp_status int_array(const cJSON *arr, const char *what, size_t f, double lo, double hi, long long **out,
                           size_t *n, lp_error *err)
{
    *out = NULL;
    *n = 0;
    if (!cJSON_IsArray(arr))
        return lp__fail(err, BAD, "cats.enc[%zu].%s must be an array of integers", f, what);
    size_t len = (size_t)cJSON_GetArraySize(arr), i = 0;
    long long *v = malloc((len ? len : 1) * sizeof *v);
    if (!v) return lp__fail(err, LP_ERR_NOMEM, "out of memory reading cats");
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        if (!cJSON_IsNumber(c) || c->valuedouble != floor(c->valuedouble) || c->valuedouble < lo || c->valuedouble > hi) {
            free(v);
            return lp__fail(err, BAD, "cats.enc[%zu].%s[%zu] is not an integer from %.0f to %.0f", f, what, i, lo, hi);
        }
        v[i] = (long long)c->valuedouble;
    }
    *out = v;
    *n = len;
    return LP_OK;
}

/* One feature's string categories: names[i] = values[offsets[i] .. offsets[i+1]). */
static lp_status string_categories(const cJSON *col, size_t f, char ***names, size_t *n, lp_error *err)
{
    long long *off = NULL, *val = NULL;
    size_t n_off = 0, n_val = 0;
    lp_status s = int_array(member(col, "offsets"), "offsets", f, 0, 2147483647.0, &off, &n_off, err);
    if (s == LP_OK) s = int_array(member(col, "values"), "values", f, -128, 255, &val, &n_val, err);
    *names = NULL;
    *n = n_off ? n_off - 1 : 0;
    if (s == LP_OK && n_off && off[0] != 0) s = lp__fail(err, BAD, "cats.enc[%zu].offsets must start at 0", f);
    for (size_t i = 1; s == LP_OK && i < n_off; i++)
        if (off[i] < off[i - 1] || (size_t)off[i] > n_val)
            s = lp__fail(err, BAD, "cats.enc[%zu].offsets[%zu] = %lld is out of order or past the %zu bytes of values",
                         f, i, off[i], n_val);
    if (s == LP_OK && *n && !(*names = calloc(*n, sizeof **names))) s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
    for (size_t i = 0; s == LP_OK && i < *n; i++) {
        size_t len = (size_t)(off[i + 1] - off[i]);
        char *name = malloc(len + 1);
        if (!name) {
            s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
            break;
        }
        for (size_t k = 0; k < len; k++) name[k] = (char)(unsigned char)(val[off[i] + (long long)k] & 0xFF);
        name[len] = '\0';
        (*names)[i] = name;
        if (strlen(name) != len || lp__utf8_valid_prefix((const uint8_t *)name, len) != len)
            s = lp__fail(err, BAD, "cats.enc[%zu]: category %zu is not UTF-8 text", f, i);
    }
    if (s != LP_OK && *names) {
        for (size_t i = 0; i < *n; i++) free((*names)[i]);
        free(*names);
        *names = NULL;
    }
    free(off);
    free(val);
    return s;
}

/* One feature's numeric categories, named by their shortest round-trip text. */
static lp_status number_categories(const cJSON *col, size_t f, char ***names, size_t *n, lp_error *err)
{
    const cJSON *values = member(col, "values");
    *names = NULL;
    *n = 0;
    if (!cJSON_IsArray(values)) return lp__fail(err, BAD, "cats.enc[%zu].values must be an array", f);
    size_t len = (size_t)cJSON_GetArraySize(values), i = 0;
    if (!len) return LP_OK;
    char **v = calloc(len, sizeof *v);
    if (!v) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    for (const cJSON *c = values->child; c; c = c->next, i++) {
        char text[40];
        if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble)) {
            for (size_t k = 0; k < i; k++) free(v[k]);
            free(v);
            return lp__fail(err, BAD, "cats.enc[%zu].values[%zu] is not a number", f, i);
        }
        lp__category_number_text(c->valuedouble, text, sizeof text);
        if (!(v[i] = malloc(strlen(text) + 1))) {
            for (size_t k = 0; k < i; k++) free(v[k]);
            free(v);
            return lp__fail(err, LP_ERR_NOMEM, "out of memory");
        }
        strcpy(v[i], text);
    }
    *names = v;
    *n = len;
    return LP_OK;
}

lp_status lp__xgboost_read_cats(lp_model *m, const cJSON *cats, lp_error *err)
{
    if (!cats) return LP_OK;
    const cJSON *enc = member(cats, "enc");
    if (!cJSON_IsArray(enc)) return lp__fail(err, BAD, "the model's cats (category re-coder) has no \"enc\" list");
    size_t n = (size_t)cJSON_GetArraySize(enc), f = 0;
    if (n == 0) return LP_OK;   /* trained without categories */
    if (n != m->n_features)
        return lp__fail(err, BAD, "cats.enc has %zu columns but the model has %zu features", n, m->n_features);
    for (const cJSON *col = enc->child; col; col = col->next, f++) {
        if (!cJSON_IsObject(col)) return lp__fail(err, BAD, "cats.enc[%zu] is not an object", f);
        char **names = NULL;
        size_t k = 0;
        int numeric = member(col, "offsets") == NULL;
        lp_status s = numeric ? number_categories(col, f, &names, &k, err) : string_categories(col, f, &names, &k, err);
        if (s != LP_OK) return s;
        if (k == 0) continue;   /* a numerical feature */
        double *codes = malloc(k * sizeof *codes);
        if (!codes) {
            for (size_t i = 0; i < k; i++) free(names[i]);
            free(names);
            return lp__fail(err, LP_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < k; i++) codes[i] = (double)i;
        if (!m->inputs && !(m->inputs = calloc(m->n_features + 1, sizeof *m->inputs))) {
            for (size_t i = 0; i < k; i++) free(names[i]);
            free(names);
            free(codes);
            return lp__fail(err, LP_ERR_NOMEM, "out of memory");
        }
        char where[48];
        snprintf(where, sizeof where, "cats.enc[%zu]", f);
        s = lp__input_set_categories(&m->inputs[f], names, codes, k, where, BAD, err);
        if (s != LP_OK) return s;
        m->inputs[f].numeric_names = (uint8_t)numeric;
        m->feature_is_cat[f] = 1;
    }
    return LP_OK;
}

lp_status lp__xgboost_read_embedded_manifest(lp_model *m, const cJSON *attributes, lp_error *err)
{
    const cJSON *text = member(attributes, "localpredict");
    if (!text) return LP_OK;
    if (!cJSON_IsString(text))
        return lp__fail(err, BAD, "learner.attributes.localpredict must be the manifest as a JSON string");
    size_t len = strlen(text->valuestring);
    if (!(m->embedded_manifest = malloc(len + 1))) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    memcpy(m->embedded_manifest, text->valuestring, len + 1);
    return LP_OK;
}
