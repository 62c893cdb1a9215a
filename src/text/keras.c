/* keras.c — see keras.h.  keras_preprocessing/text.py, for reference:
 *
 *   text_to_word_sequence: if lower: text = text.lower()
 *       text = text.translate({c: split for c in filters}); words = [w for w in text.split(split) if w]
 *   texts_to_sequences: char_level: the (lowered) text's characters, no filters;
 *       for each word i = word_index.get(w): a known word with num_words and
 *       i >= num_words gives the OOV index (if oov_token) or nothing; an
 *       unknown one the OOV index if oov_token, else nothing. */
#include "keras.h"

#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../io/json.h"
#include "normalize.h"

#define BAD LP_ERR_BAD_MANIFEST

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The code points of a JSON string, as a malloc'ed array. */
static lp_status code_points(const char *s, uint32_t **out, size_t *n, lp_error *err)
{
    lp__ustr u = {0};
    lp_status st = lp__ustr_append_utf8(&u, (const uint8_t *)s, strlen(s), err);
    if (st != LP_OK) return st;
    *out = u.cp;
    *n = u.len;
    return LP_OK;
}

static lp_status bad(lp_error *err, const char *name, const char *field, const char *what)
{
    lp__fail(err, BAD, "%s: Keras tokenizer \"config.%s\" %s", name, field, what);
    if (err) lp__err_set_name(err->field, field, strlen(field));
    return BAD;
}

static lp_status load_word_index(lp__keras_tokenizer *t, const cJSON *config, const char *name, lp_error *err)
{
    /* to_json() stores word_index as a JSON string holding a JSON object. */
    const cJSON *wi = cJSON_GetObjectItemCaseSensitive(config, "word_index");
    if (!cJSON_IsString(wi))
        return bad(err, name, "word_index", "is missing or not a string (the JSON Tokenizer.to_json() writes)");
    cJSON *words = NULL;
    lp_error parse_err;   /* out of memory is reported as such; anything else is the message below */
    lp_status ps = lp__json_parse_strict((const uint8_t *)wi->valuestring, strlen(wi->valuestring),
                                         "Keras word_index", BAD, &words, &parse_err);
    if (ps == LP_ERR_NOMEM) return lp__fail(err, ps, "%s: out of memory reading the Keras word_index", name);
    if (!cJSON_IsObject(words)) {
        cJSON_Delete(words);
        return bad(err, name, "word_index", "is not a JSON object of word -> index");
    }
    lp_status s = LP_OK;
    for (const cJSON *w = words->child; w && s == LP_OK; w = w->next) {
        if (!cJSON_IsNumber(w) || w->valuedouble < 1 || w->valuedouble > 9e15 ||
            w->valuedouble != (double)(int64_t)w->valuedouble) {
            s = bad(err, name, "word_index", "has an index that is not a positive integer");
            break;
        }
        s = lp__vocab_put(&t->word_index, (const uint8_t *)w->string, strlen(w->string), (int64_t)w->valuedouble);
        if (s != LP_OK) s = lp__fail(err, s, "%s: out of memory reading the Keras word_index", name);
    }
    cJSON_Delete(words);
    return s;
}

lp_status lp__keras_load(lp__keras_tokenizer *t, const uint8_t *json, size_t len, const char *name, lp_error *err)
{
    memset(t, 0, sizeof *t);
    cJSON *root = NULL;
    lp_status s = lp__json_parse_strict(json, len, name, BAD, &root, err);
    if (s != LP_OK) return s;
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(root, "config");
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(root, "class_name");
    if (!cJSON_IsObject(config) || !cJSON_IsString(cls) || strcmp(cls->valuestring, "Tokenizer") != 0) {
        cJSON_Delete(root);
        return lp__fail(err, BAD, "%s is not a Keras Tokenizer's to_json() "
                        "({\"class_name\": \"Tokenizer\", \"config\": {...}})", name);
    }
    const cJSON *v;
    t->lower = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(config, "lower"));
    t->char_level = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(config, "char_level"));
    v = cJSON_GetObjectItemCaseSensitive(config, "num_words");
    if (v && !cJSON_IsNull(v)) {
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9e15) s = bad(err, name, "num_words", "must be null or a count");
        else t->num_words = (int64_t)v->valuedouble;
    }
    v = cJSON_GetObjectItemCaseSensitive(config, "filters");
    if (s == LP_OK) {
        if (!cJSON_IsString(v)) s = bad(err, name, "filters", "must be a string");
        else s = code_points(v->valuestring, &t->filters, &t->n_filters, err);
        if (s == LP_OK && t->n_filters) qsort(t->filters, t->n_filters, sizeof *t->filters, cmp_u32);
    }
    v = cJSON_GetObjectItemCaseSensitive(config, "split");
    if (s == LP_OK) {
        if (!cJSON_IsString(v) || !v->valuestring[0]) s = bad(err, name, "split", "must be a non-empty string");
        else s = code_points(v->valuestring, &t->split, &t->split_len, err);
    }
    if (s == LP_OK) s = load_word_index(t, config, name, err);
    v = cJSON_GetObjectItemCaseSensitive(config, "oov_token");
    t->oov_index = -1;
    if (s == LP_OK && v && !cJSON_IsNull(v)) {
        if (!cJSON_IsString(v)) s = bad(err, name, "oov_token", "must be null or a string");
        t->has_oov = 1;
        if (s == LP_OK)
            t->oov_index = lp__vocab_get(&t->word_index, (const uint8_t *)v->valuestring, strlen(v->valuestring));
    }
    cJSON_Delete(root);
    if (s != LP_OK) lp__keras_free(t);
    return s;
}

void lp__keras_free(lp__keras_tokenizer *t)
{
    lp__vocab_free(&t->word_index);
    free(t->filters);
    free(t->split);
    memset(t, 0, sizeof *t);
}

/* Looks one word up and appends what Keras would. */
static lp_status add_word(const lp__keras_tokenizer *t, const uint32_t *w, size_t n, lp__buf *bytes, lp__ids *out)
{
    bytes->len = 0;
    if (lp__utf8_append(bytes, w, n) != LP_OK) return LP_ERR_NOMEM;
    int64_t i = lp__vocab_get(&t->word_index, bytes->data, bytes->len);
    if (i >= 0 && !(t->num_words && i >= t->num_words)) return lp__ids_push(out, i);
    if (t->has_oov && t->oov_index >= 0) return lp__ids_push(out, t->oov_index);
    return LP_OK;
}

static int split_at(const lp__keras_tokenizer *t, const uint32_t *s, size_t len, size_t i)
{
    return len - i >= t->split_len && memcmp(s + i, t->split, t->split_len * sizeof *s) == 0;
}

lp_status lp__keras_sequence(const lp__keras_tokenizer *t, const uint8_t *text, size_t len, lp__ustr *work,
                             lp__ids *out, lp_error *err)
{
    work->len = 0;
    lp_status s = lp__ustr_append_utf8(work, text, len, err);
    if (s != LP_OK) return s;
    if (t->lower && lp__text_lower(work) != LP_OK) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    lp__buf bytes = {0};
    uint32_t *c = work->cp;
    if (t->char_level) {
        for (size_t i = 0; i < work->len && s == LP_OK; i++) s = add_word(t, c + i, 1, &bytes, out);
    } else {
        /* translate: each filter character becomes the separator.  With a
         * one-code-point separator that is in place; a longer one is rare
         * (it is a string in Keras), so it gets the general path. */
        if (t->split_len == 1) {
            for (size_t i = 0; i < work->len; i++)
                if (lp__cp_in_set(t->filters, t->n_filters, c[i])) c[i] = t->split[0];
        } else {
            lp__ustr tr = {0};
            for (size_t i = 0; i < work->len && s == LP_OK; i++) {
                int f = lp__cp_in_set(t->filters, t->n_filters, c[i]);
                if (lp__ustr_reserve(&tr, f ? t->split_len : 1) != LP_OK) s = LP_ERR_NOMEM;
                else if (f) memcpy(tr.cp + tr.len, t->split, t->split_len * sizeof *c), tr.len += t->split_len;
                else tr.cp[tr.len++] = c[i];
            }
            lp__ustr_free(work);
            *work = tr;
            c = work->cp;
        }
        /* str.split(split): pieces between non-overlapping separators, left
         * to right; empty pieces dropped. */
        size_t start = 0, i = 0;
        while (s == LP_OK && i <= work->len) {
            if (i == work->len || split_at(t, c, work->len, i)) {
                if (i > start) s = add_word(t, c + start, i - start, &bytes, out);
                i += i == work->len ? 1 : t->split_len;
                start = i;
            } else {
                i++;
            }
        }
    }
    lp__buf_free(&bytes);
    return s == LP_OK ? LP_OK : lp__fail(err, s, "out of memory");
}

void lp__pad_sequence(const int64_t *seq, size_t n, size_t maxlen, int pad_pre, int truncate_pre, int64_t value,
                      int64_t *out)
{
    size_t keep = n < maxlen ? n : maxlen;
    size_t at = pad_pre ? maxlen - keep : 0;
    for (size_t i = 0; i < maxlen; i++) out[i] = value;
    /* An empty sequence may be NULL: no pointer arithmetic on it. */
    if (keep) memcpy(out + at, truncate_pre ? seq + (n - keep) : seq, keep * sizeof *out);
}
