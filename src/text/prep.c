/* prep.c — see prep.h.  The manifest's "preprocess" (docs/manifest.schema.json):
 *
 *   {"text": "review" | ["title", "body"], "join": " ",
 *    "steps": ["lowercase", "strip_accents", "remove_punctuation", "remove_digits",
 *              {"remove": "chars"}, "collapse_whitespace", "nfc"],
 *    "tokenizer": "keras" | "wordpiece" | "words" | "graph", "vocab": "file" | inline,
 *    "lowercase": true, "oov": 1, "max_length": 128,
 *    "padding": "pre", "truncating": "pre", "pad_value": 0,
 *    "inputs": {"ids": "input_ids", "attention_mask": "...", "token_type_ids": "..."}} */
#include "prep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/utf8.h"
#include "unicode.h"

#define BAD LP_ERR_BAD_MANIFEST

static const char *const known[] = {"text", "join", "steps", "tokenizer", "vocab", "lowercase", "oov",
                                    "max_length", "padding", "truncating", "pad_value", "inputs"};

/* "<manifest>: "preprocess.<key>" <what>", with err->field = preprocess.<key>. */
static lp_status fail_key(lp_error *err, lp_status code, const char *where, const char *key, const char *what)
{
    char field[64];
    snprintf(field, sizeof field, "preprocess.%s", key);
    lp__fail(err, code, "%s: \"%s\" %s", where, field, what);
    if (err) lp__err_set_name(err->field, field, strlen(field));
    return code;
}

static char *copy(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    return c ? memcpy(c, s, n) : NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static lp_status parse_columns(lp__text_prep *p, const cJSON *v, const char *where, lp_error *err)
{
    if (!v) return fail_key(err, BAD, where, "text", "is required: the CSV column holding the text (or a list of them)");
    size_t n = cJSON_IsString(v) ? 1 : cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 0;
    if (!n) return fail_key(err, BAD, where, "text", "must be a column name or a non-empty list of column names");
    p->columns = calloc(n, sizeof *p->columns);
    if (!p->columns) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    const cJSON *c = cJSON_IsString(v) ? v : v->child;
    for (size_t i = 0; i < n; i++, c = c->next) {
        if (!cJSON_IsString(c)) return fail_key(err, BAD, where, "text", "must hold column names (strings)");
        if (!(p->columns[i] = copy(c->valuestring)))
            return lp__fail(err, LP_ERR_NOMEM, "out of memory");
        p->n_columns = i + 1;
    }
    return LP_OK;
}

static lp_status parse_steps(lp__text_prep *p, const cJSON *v, const char *where, lp_error *err)
{
    if (!v) return LP_OK;
    if (!cJSON_IsArray(v)) return fail_key(err, BAD, where, "steps", "must be a list of steps");
    size_t n = (size_t)cJSON_GetArraySize(v);
    p->steps = calloc(n ? n : 1, sizeof *p->steps);
    if (!p->steps) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    for (const cJSON *c = v->child; c; c = c->next) {
        lp__text_step *st = &p->steps[p->n_steps++];
        const char *name = cJSON_IsString(c) ? c->valuestring : "";
        const cJSON *chars = cJSON_GetObjectItemCaseSensitive(c, "remove");
        if (strcmp(name, "lowercase") == 0) st->kind = LP__STEP_LOWER;
        else if (strcmp(name, "strip_accents") == 0) st->kind = LP__STEP_STRIP_ACCENTS;
        else if (strcmp(name, "collapse_whitespace") == 0) st->kind = LP__STEP_COLLAPSE;
        else if (strcmp(name, "nfc") == 0) st->kind = LP__STEP_NFC;
        else if (strcmp(name, "remove_punctuation") == 0) st->kind = LP__STEP_REMOVE, st->removal.punctuation = 1;
        else if (strcmp(name, "remove_digits") == 0) st->kind = LP__STEP_REMOVE, st->removal.digits = 1;
        /* {"remove": "…"} and nothing else.  (cJSON links an object's first
         * member's prev to its last one, so only next tells the count.) */
        else if (cJSON_IsObject(c) && cJSON_IsString(chars) && c->child == chars && !chars->next) {
            lp__ustr u = {0};
            lp_status s = lp__ustr_append_utf8(&u, (const uint8_t *)chars->valuestring, strlen(chars->valuestring), err);
            if (s == LP_ERR_NOMEM) return s;
            if (s != LP_OK) return fail_key(err, BAD, where, "steps", "has a {\"remove\": …} string that is not valid UTF-8");
            if (u.len) qsort(u.cp, u.len, sizeof *u.cp, cmp_u32);
            st->kind = LP__STEP_REMOVE;
            st->removal.chars = u.cp;
            st->removal.n_chars = u.len;
        } else {
            return fail_key(err, BAD, where, "steps",
                            "has an unknown step (known: \"lowercase\", \"strip_accents\", \"remove_punctuation\", "
                            "\"remove_digits\", {\"remove\": \"characters\"}, \"collapse_whitespace\", \"nfc\")");
        }
    }
    return LP_OK;
}

/* The vocabulary's bytes: the named file, or the inline JSON printed back. */
static lp_status vocab_bytes(const cJSON *v, const lp__text_file *files, size_t n_files, const char *where,
                             const uint8_t **bytes, size_t *len, char **printed, const char **name, lp_error *err)
{
    *printed = NULL;
    if (cJSON_IsString(v)) {
        for (size_t i = 0; i < n_files; i++)
            if (strcmp(files[i].name, v->valuestring) == 0) {
                *bytes = files[i].bytes, *len = files[i].len, *name = files[i].name;
                return LP_OK;
            }
        char what[360];
        snprintf(what, sizeof what, "names the file \"%.200s\", which was not given with the manifest (place it "
                 "beside the manifest, or pass it in the load options' files)", v->valuestring);
        return fail_key(err, BAD, where, "vocab", what);
    }
    if (!(*printed = cJSON_PrintUnformatted(v))) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    *bytes = (const uint8_t *)*printed, *len = strlen(*printed), *name = "the manifest's inline \"preprocess.vocab\"";
    return LP_OK;
}

static lp_status parse_words(lp__text_prep *p, const uint8_t *bytes, size_t len, const char *name, lp_error *err)
{
    cJSON *root = NULL;
    lp_status s = lp__json_parse_strict(bytes, len, name, BAD, &root, err);
    if (s != LP_OK) return s;
    if (!cJSON_IsObject(root)) s = lp__fail(err, BAD, "%s: a words vocabulary is a JSON object word -> id", name);
    for (const cJSON *w = root->child; w && s == LP_OK; w = w->next) {
        if (!cJSON_IsNumber(w) || w->valuedouble < 0 || w->valuedouble > 9e15 ||
            w->valuedouble != (double)(int64_t)w->valuedouble)
            s = lp__fail(err, BAD, "%s: \"%.60s\" has an id that is not a non-negative integer", name, w->string);
        else if (lp__vocab_put(&p->words, (const uint8_t *)w->string, strlen(w->string), (int64_t)w->valuedouble) != LP_OK)
            s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    cJSON_Delete(root);
    return s;
}

/* A WordPiece vocabulary given inline as a list of tokens (vocab.txt's lines). */
static lp_status list_to_vocab_txt(const cJSON *v, lp__buf *out)
{
    for (const cJSON *c = v->child; c; c = c->next) {
        if (!cJSON_IsString(c) || strchr(c->valuestring, '\n')) return BAD;
        if (lp__buf_append(out, c->valuestring, strlen(c->valuestring)) != LP_OK || lp__buf_push(out, '\n') != LP_OK)
            return LP_ERR_NOMEM;
    }
    return LP_OK;
}

static lp_status parse_tokenizer(lp__text_prep *p, const cJSON *pre, const lp__text_file *files, size_t n_files,
                                 const char *where, lp_error *err)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(pre, "tokenizer");
    const char *kind = cJSON_IsString(t) ? t->valuestring : "";
    if (strcmp(kind, "keras") == 0) p->tokenizer = LP__TOK_KERAS;
    else if (strcmp(kind, "wordpiece") == 0) p->tokenizer = LP__TOK_WORDPIECE;
    else if (strcmp(kind, "words") == 0) p->tokenizer = LP__TOK_WORDS;
    else if (strcmp(kind, "graph") == 0) p->tokenizer = LP__TOK_GRAPH;
    else return fail_key(err, BAD, where, "tokenizer", "must be \"keras\", \"wordpiece\", \"words\" or \"graph\"");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(pre, "vocab");
    if (p->tokenizer == LP__TOK_GRAPH) {   /* the graph tokenizes: none of the tokenizer's keys apply */
        static const char *const unused[] = {"vocab", "lowercase", "oov", "max_length", "padding", "truncating", "pad_value"};
        for (size_t i = 0; i < sizeof unused / sizeof *unused; i++)
            if (cJSON_GetObjectItemCaseSensitive(pre, unused[i]))
                return fail_key(err, BAD, where, unused[i], "does not apply to \"tokenizer\": \"graph\" (the model "
                                                            "tokenizes the text itself)");
        return LP_OK;
    }
    if (!v) return fail_key(err, BAD, where, "vocab", "is required: a file name, or the vocabulary inline");
    const cJSON *lower = cJSON_GetObjectItemCaseSensitive(pre, "lowercase");
    if (lower && (p->tokenizer != LP__TOK_WORDPIECE || !cJSON_IsBool(lower)))
        return fail_key(err, BAD, where, "lowercase", "is true or false, for a WordPiece vocab.txt only");
    const cJSON *oov = cJSON_GetObjectItemCaseSensitive(pre, "oov");
    p->oov_id = -1;
    if (oov) {
        if (p->tokenizer != LP__TOK_WORDS || !cJSON_IsNumber(oov) || oov->valuedouble < 0 || oov->valuedouble > 9e15)
            return fail_key(err, BAD, where, "oov", "is the id of unknown words (a non-negative integer), for \"words\" only");
        p->oov_id = (int64_t)oov->valuedouble;
    }
    const uint8_t *bytes = NULL;
    size_t len = 0;
    char *printed = NULL;
    const char *name = NULL;
    lp__buf list = {0};
    lp_status s;
    if (p->tokenizer == LP__TOK_WORDPIECE && cJSON_IsArray(v)) {
        s = list_to_vocab_txt(v, &list);
        if (s == BAD) return fail_key(err, BAD, where, "vocab", "as a list holds tokens (strings without line breaks)");
        if (s != LP_OK) return lp__fail(err, s, "out of memory");
        bytes = list.data, len = list.len, name = "the manifest's inline \"preprocess.vocab\"";
    } else {
        s = vocab_bytes(v, files, n_files, where, &bytes, &len, &printed, &name, err);
        if (s != LP_OK) return s;
    }
    if (p->tokenizer == LP__TOK_KERAS) {
        s = lp__keras_load(&p->keras, bytes, len, name, err);
    } else if (p->tokenizer == LP__TOK_WORDS) {
        s = parse_words(p, bytes, len, name, err);
    } else {
        /* tokenizer.json is JSON; vocab.txt (a file, or the inline list) is lines */
        size_t i = 0;
        while (i < len && (bytes[i] == ' ' || bytes[i] == '\n' || bytes[i] == '\r' || bytes[i] == '\t')) i++;
        if (i < len && bytes[i] == '{') {
            if (lower) s = fail_key(err, BAD, where, "lowercase", "does not apply to a tokenizer.json (its normalizer says)");
            else s = lp__wordpiece_load_json(&p->wordpiece, bytes, len, name, err);
        } else {
            s = lp__wordpiece_load_vocab_txt(&p->wordpiece, bytes, len, lower ? cJSON_IsTrue(lower) : 1, name, err);
        }
    }
    lp__buf_free(&list);
    cJSON_free(printed);
    return s;
}

static lp_status parse_length(lp__text_prep *p, const cJSON *pre, const char *where, lp_error *err)
{
    if (p->tokenizer == LP__TOK_GRAPH) {
        p->max_length = 1;
        return LP_OK;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(pre, "max_length");
    size_t least = p->tokenizer == LP__TOK_WORDPIECE ? 2 : 1;
    if (!cJSON_IsNumber(v) || v->valuedouble < (double)least || v->valuedouble > 1e6 ||
        v->valuedouble != (double)(size_t)v->valuedouble)
        return fail_key(err, BAD, where, "max_length", least == 2 ? "must be an integer from 2 ([CLS] and [SEP]) to 1000000"
                                                                  : "must be an integer from 1 to 1000000");
    p->max_length = (size_t)v->valuedouble;
    static const char *const sides[] = {"padding", "truncating"};
    int *flags[] = {&p->pad_pre, &p->truncate_pre};
    for (size_t k = 0; k < 2; k++) {
        const cJSON *side = cJSON_GetObjectItemCaseSensitive(pre, sides[k]);
        *flags[k] = 1;   /* pad_sequences' defaults: pre and pre */
        if (!side) continue;
        if (p->tokenizer == LP__TOK_WORDPIECE)
            return fail_key(err, BAD, where, sides[k], "does not apply to WordPiece (which keeps the start and pads after)");
        if (!cJSON_IsString(side) || (strcmp(side->valuestring, "pre") != 0 && strcmp(side->valuestring, "post") != 0))
            return fail_key(err, BAD, where, sides[k], "must be \"pre\" or \"post\"");
        *flags[k] = strcmp(side->valuestring, "pre") == 0;
    }
    const cJSON *pad = cJSON_GetObjectItemCaseSensitive(pre, "pad_value");
    if (pad) {
        if (p->tokenizer == LP__TOK_WORDPIECE || !cJSON_IsNumber(pad) || pad->valuedouble != (double)(int64_t)pad->valuedouble)
            return fail_key(err, BAD, where, "pad_value", "is an integer, for \"keras\" and \"words\" only (WordPiece pads with [PAD])");
        p->pad_value = (int64_t)pad->valuedouble;
    }
    return LP_OK;
}

static lp_status parse_inputs(lp__text_prep *p, const cJSON *v, const char *where, lp_error *err)
{
    int wp = p->tokenizer == LP__TOK_WORDPIECE;
    const char *ids = wp ? "input_ids" : NULL, *mask = wp ? "attention_mask" : NULL, *types = wp ? "token_type_ids" : NULL;
    if (v) {
        if (!cJSON_IsObject(v)) return fail_key(err, BAD, where, "inputs", "must be an object {\"ids\": \"input name\", ...}");
        for (const cJSON *c = v->child; c; c = c->next) {
            const char **slot = strcmp(c->string, "ids") == 0              ? &ids
                                : strcmp(c->string, "attention_mask") == 0 ? &mask
                                : strcmp(c->string, "token_type_ids") == 0 ? &types
                                                                           : NULL;
            if (!slot) return fail_key(err, BAD, where, "inputs", "has a key other than ids, attention_mask, token_type_ids");
            if (!cJSON_IsString(c) && !cJSON_IsNull(c))
                return fail_key(err, BAD, where, "inputs", "values must be model input names (or null: not fed)");
            *slot = cJSON_IsString(c) ? c->valuestring : NULL;
        }
    }
    /* ids: NULL means "the model's one input"; the others are only fed when named */
    if ((ids && !(p->input_ids = copy(ids))) ||
        (mask && !(p->input_mask = copy(mask))) ||
        (types && !(p->input_type_ids = copy(types))))
        return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    return LP_OK;
}

lp_status lp__text_prep_parse(lp__text_prep *p, const cJSON *pre, const lp__text_file *files, size_t n_files,
                              const char *where, lp_error *err)
{
    memset(p, 0, sizeof *p);
    if (!cJSON_IsObject(pre)) return lp__fail(err, BAD, "%s: \"preprocess\" must be an object", where);
    for (const cJSON *c = pre->child; c; c = c->next) {
        int ok = 0;
        for (size_t i = 0; i < sizeof known / sizeof *known; i++) ok |= strcmp(c->string, known[i]) == 0;
        if (!ok)
            return fail_key(err, BAD, where, c->string, "is not a preprocess key (known: text, join, steps, tokenizer, vocab, "
                                                        "lowercase, oov, max_length, padding, truncating, pad_value, inputs)");
    }
    lp_status s = parse_columns(p, cJSON_GetObjectItemCaseSensitive(pre, "text"), where, err);
    const cJSON *join = cJSON_GetObjectItemCaseSensitive(pre, "join");
    if (s == LP_OK && join && !cJSON_IsString(join)) s = fail_key(err, BAD, where, "join", "must be a string");
    if (s == LP_OK) {
        const char *j = join ? join->valuestring : " ";
        if (!(p->join = copy(j))) s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
        else p->join_len = strlen(j);
    }
    if (s == LP_OK) s = parse_steps(p, cJSON_GetObjectItemCaseSensitive(pre, "steps"), where, err);
    if (s == LP_OK) s = parse_tokenizer(p, pre, files, n_files, where, err);
    if (s == LP_OK) s = parse_length(p, pre, where, err);
    if (s == LP_OK) s = parse_inputs(p, cJSON_GetObjectItemCaseSensitive(pre, "inputs"), where, err);
    if (s != LP_OK) lp__text_prep_free(p);
    return s;
}

void lp__text_prep_free(lp__text_prep *p)
{
    for (size_t i = 0; i < p->n_columns; i++) free(p->columns[i]);
    free(p->columns);
    free(p->join);
    for (size_t i = 0; i < p->n_steps; i++) free((void *)p->steps[i].removal.chars);
    free(p->steps);
    if (p->tokenizer == LP__TOK_KERAS) lp__keras_free(&p->keras);
    if (p->tokenizer == LP__TOK_WORDPIECE) lp__wordpiece_free(&p->wordpiece);
    lp__vocab_free(&p->words);
    free(p->input_ids);
    free(p->input_mask);
    free(p->input_type_ids);
    memset(p, 0, sizeof *p);
}

lp_status lp__text_prep_bind(const lp__text_prep *p, char *const *header, size_t n_header, size_t *column_index,
                             lp_error *err)
{
    lp__buf missing = {0};
    size_t n_missing = 0;
    for (size_t k = 0; k < p->n_columns; k++) {
        size_t c = 0;
        while (c < n_header && strcmp(header[c], p->columns[k]) != 0) c++;
        column_index[k] = c;
        if (c < n_header) continue;
        if ((n_missing++ && lp__buf_append(&missing, ", ", 2) != LP_OK) || lp__buf_push(&missing, '"') != LP_OK ||
            lp__buf_append(&missing, p->columns[k], strlen(p->columns[k])) != LP_OK || lp__buf_push(&missing, '"') != LP_OK) {
            lp__buf_free(&missing);
            return lp__fail(err, LP_ERR_NOMEM, "out of memory");
        }
    }
    if (!n_missing) return LP_OK;
    lp__fail(err, LP_ERR_MISSING_COLUMN, "the input has no text column%s %.*s (the manifest's \"preprocess.text\")",
             n_missing > 1 ? "s" : "", (int)(missing.len > 400 ? 400 : missing.len), (const char *)missing.data);
    if (err && n_missing == 1)
        for (size_t k = 0; k < p->n_columns; k++)
            if (column_index[k] == n_header) lp__err_set_name(err->column, p->columns[k], strlen(p->columns[k]));
    if (err) err->line = 1;
    lp__buf_free(&missing);
    return LP_ERR_MISSING_COLUMN;
}

void lp__text_scratch_free(lp__text_scratch *s)
{
    lp__buf_free(&s->text);
    lp__ustr_free(&s->work);
    lp__ids_free(&s->ids);
}

/* str.split() then a lookup per word; unknown words give oov_id or nothing. */
static lp_status words_tokenize(const lp__text_prep *p, lp__text_scratch *s, lp_error *err)
{
    s->work.len = 0;
    lp_status st = lp__ustr_append_utf8(&s->work, s->text.data, s->text.len, err);
    if (st != LP_OK) return st;
    lp__buf word = {0};
    size_t start = 0;
    for (size_t i = 0; i <= s->work.len && st == LP_OK; i++) {
        if (i < s->work.len && !lp__uc_is(LP__UC_SPACE, s->work.cp[i])) continue;
        if (i > start) {
            word.len = 0;
            if (lp__utf8_append(&word, s->work.cp + start, i - start) != LP_OK) st = LP_ERR_NOMEM;
            int64_t id = st == LP_OK ? lp__vocab_get(&p->words, word.data, word.len) : -1;
            if (id < 0) id = p->oov_id;
            if (st == LP_OK && id >= 0) st = lp__ids_push(&s->ids, id);
        }
        start = i + 1;
    }
    lp__buf_free(&word);
    return st == LP_OK ? LP_OK : lp__fail(err, st, "out of memory");
}

static lp_status apply_steps(const lp__text_prep *p, lp__text_scratch *s)
{
    s->work.len = 0;
    if (lp__ustr_append_utf8(&s->work, s->text.data, s->text.len, NULL) != LP_OK) return LP_ERR_NOMEM;   /* valid */
    for (size_t k = 0; k < p->n_steps; k++) {
        const lp__text_step *st = &p->steps[k];
        if (st->kind == LP__STEP_LOWER && lp__text_lower(&s->work) != LP_OK) return LP_ERR_NOMEM;
        if (st->kind == LP__STEP_STRIP_ACCENTS && lp__text_strip_accents(&s->work) != LP_OK) return LP_ERR_NOMEM;
        if (st->kind == LP__STEP_REMOVE) lp__text_remove(&s->work, &st->removal);
        if (st->kind == LP__STEP_COLLAPSE) lp__text_collapse_whitespace(&s->work);
        if (st->kind == LP__STEP_NFC && lp__text_nfc(&s->work) != LP_OK) return LP_ERR_NOMEM;
    }
    s->text.len = 0;
    return lp__utf8_append(&s->text, s->work.cp, s->work.len);
}

lp_status lp__text_prep_text(const lp__text_prep *p, const uint8_t *const *cells, const size_t *cell_lens,
                             lp__text_scratch *s, lp_error *err)
{
    s->text.len = 0;
    for (size_t k = 0; k < p->n_columns; k++) {
        size_t valid = lp__utf8_valid_prefix(cells[k], cell_lens[k]);
        if (valid < cell_lens[k]) {
            lp__fail(err, LP_ERR_BAD_CSV, "not valid UTF-8 (byte 0x%02X at position %zu of the text): is the file in "
                     "another encoding, such as Windows-1252? Save it as \"CSV UTF-8\"", cells[k][valid], valid + 1);
            if (err) lp__err_set_name(err->column, p->columns[k], strlen(p->columns[k]));
            return LP_ERR_BAD_CSV;
        }
        if ((k && lp__buf_append(&s->text, p->join, p->join_len) != LP_OK) ||
            lp__buf_append(&s->text, cells[k], cell_lens[k]) != LP_OK)
            return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    }
    if (p->n_steps && apply_steps(p, s) != LP_OK) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    return LP_OK;
}

lp_status lp__text_prep_row(const lp__text_prep *p, const uint8_t *const *cells, const size_t *cell_lens,
                            lp__text_scratch *s, int64_t *ids, int64_t *mask, int64_t *type_ids, lp_error *err)
{
    lp_status st = lp__text_prep_text(p, cells, cell_lens, s, err);
    if (st != LP_OK) return st;
    if (p->tokenizer == LP__TOK_WORDPIECE)
        return lp__wordpiece_encode(&p->wordpiece, s->text.data, s->text.len, p->max_length, &s->work, &s->ids, ids, mask,
                                    type_ids, err);
    s->ids.len = 0;
    st = p->tokenizer == LP__TOK_KERAS
                       ? lp__keras_sequence(&p->keras, s->text.data, s->text.len, &s->work, &s->ids, err)
                       : words_tokenize(p, s, err);
    if (st != LP_OK) return st;
    lp__pad_sequence(s->ids.v, s->ids.len, p->max_length, p->pad_pre, p->truncate_pre, p->pad_value, ids);
    /* the mask marks where a token sits, whatever side the padding is on */
    size_t n = s->ids.len < p->max_length ? s->ids.len : p->max_length, first = p->pad_pre ? p->max_length - n : 0;
    for (size_t i = 0; i < p->max_length; i++) {
        if (mask) mask[i] = i >= first && i < first + n;
        if (type_ids) type_ids[i] = 0;
    }
    return LP_OK;
}
