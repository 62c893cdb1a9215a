/* wordpiece.c — see wordpiece.h.  The reference is BERT's tokenization.py
 * (BasicTokenizer, WordpieceTokenizer) as Hugging Face's BertNormalizer,
 * BertPreTokenizer and WordPiece model carry it on; where those differ the
 * comment says which one is followed. */
#include "wordpiece.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/utf8.h"
#include "../io/json.h"
#include "normalize.h"
#include "unicode.h"

#define BAD LP_ERR_BAD_MANIFEST

/* What clean_text turns into a space (once the controls are dropped):
 * Unicode White_Space as Hugging Face's tokenizers (BERT's Python takes Zs,
 * \t, \n, \r, so not U+2028/U+2029) minus the controls. */
static int is_bert_space(uint32_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
           c == 0x3000;
}

/* Where BertPreTokenizer splits: Unicode White_Space (Rust's is_whitespace). */
static int is_white_space(uint32_t c)
{
    return is_bert_space(c) || c == 0x0B || c == 0x0C || c == 0x85;
}

static lp_status find_specials(lp__wordpiece *wp, const char *unk, const char *name, lp_error *err)
{
    struct { const char *token; int64_t *id; } need[] = {
        {unk, &wp->unk_id}, {"[CLS]", &wp->cls_id}, {"[SEP]", &wp->sep_id}, {"[PAD]", &wp->pad_id}};
    for (size_t i = 0; i < sizeof need / sizeof *need; i++) {
        *need[i].id = lp__vocab_get(&wp->vocab, (const uint8_t *)need[i].token, strlen(need[i].token));
        if (*need[i].id < 0)
            return lp__fail(err, BAD, "%s: the vocabulary has no \"%s\" token", name, need[i].token);
    }
    return LP_OK;
}

static void defaults(lp__wordpiece *wp, int lowercase)
{
    memset(wp, 0, sizeof *wp);
    wp->clean_text = wp->handle_chinese_chars = 1;
    wp->lowercase = wp->strip_accents = lowercase;
    memcpy(wp->prefix, "##", 2);
    wp->prefix_len = 2;
    wp->max_input_chars_per_word = 100;
}

lp_status lp__wordpiece_load_vocab_txt(lp__wordpiece *wp, const uint8_t *text, size_t len, int lowercase,
                                       const char *name, lp_error *err)
{
    defaults(wp, lowercase);
    size_t valid = lp__utf8_valid_prefix(text, len);
    if (valid < len) {
        size_t line = 1;
        for (size_t i = 0; i < valid; i++) line += text[i] == '\n';
        return lp__fail(err, BAD, "%s:%zu: not valid UTF-8 (byte 0x%02X)", name, line, text[valid]);
    }
    int64_t id = 0;
    for (size_t start = 0; start < len; id++) {
        /* One token per line; like BertTokenizer's load_vocab, only the "\n"
         * is taken off (a "\r" would stay part of the token). */
        const uint8_t *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (lp__vocab_put(&wp->vocab, text + start, end - start, id) != LP_OK) {
            lp__wordpiece_free(wp);
            return lp__fail(err, LP_ERR_NOMEM, "%s: out of memory", name);
        }
        start = end + 1;
    }
    lp_status s = find_specials(wp, "[UNK]", name, err);
    if (s != LP_OK) lp__wordpiece_free(wp);
    return s;
}

static lp_status bool_option(const cJSON *obj, const char *key, int dflt, int *out, const char *name, lp_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v)) *out = dflt;
    else if (cJSON_IsBool(v)) *out = cJSON_IsTrue(v);
    else return lp__fail(err, BAD, "%s: \"normalizer.%s\" must be true, false or null", name, key);
    return LP_OK;
}

static lp_status read_json(lp__wordpiece *wp, const cJSON *root, const char *name, lp_error *err)
{
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(model, "type");
    if (!cJSON_IsObject(model) || !cJSON_IsString(type) || strcmp(type->valuestring, "WordPiece") != 0)
        return lp__fail(err, LP_ERR_UNSUPPORTED, "%s: \"model.type\" is %s%s%s; localpredict reads WordPiece tokenizers",
                        name, cJSON_IsString(type) ? "\"" : "", cJSON_IsString(type) ? type->valuestring : "missing",
                        cJSON_IsString(type) ? "\"" : "");
    const cJSON *norm = cJSON_GetObjectItemCaseSensitive(root, "normalizer");
    if (norm && !cJSON_IsNull(norm)) {
        const cJSON *nt = cJSON_GetObjectItemCaseSensitive(norm, "type");
        if (!cJSON_IsString(nt) || strcmp(nt->valuestring, "BertNormalizer") != 0)
            return lp__fail(err, LP_ERR_UNSUPPORTED, "%s: \"normalizer.type\" %s%s is not supported (BertNormalizer is)", name,
                            cJSON_IsString(nt) ? nt->valuestring : "", cJSON_IsString(nt) ? "" : "(missing)");
        lp_status s = bool_option(norm, "clean_text", 1, &wp->clean_text, name, err);
        if (s == LP_OK) s = bool_option(norm, "handle_chinese_chars", 1, &wp->handle_chinese_chars, name, err);
        if (s == LP_OK) s = bool_option(norm, "lowercase", 1, &wp->lowercase, name, err);
        /* strip_accents null follows lowercase */
        if (s == LP_OK) s = bool_option(norm, "strip_accents", wp->lowercase, &wp->strip_accents, name, err);
        if (s != LP_OK) return s;
    } else {
        wp->clean_text = wp->handle_chinese_chars = wp->lowercase = wp->strip_accents = 0;
    }
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer");
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(pre, "type");
    if (!cJSON_IsString(pt) || strcmp(pt->valuestring, "BertPreTokenizer") != 0)
        return lp__fail(err, LP_ERR_UNSUPPORTED, "%s: \"pre_tokenizer\" must be BertPreTokenizer", name);
    const cJSON *prefix = cJSON_GetObjectItemCaseSensitive(model, "continuing_subword_prefix");
    if (prefix) {
        if (!cJSON_IsString(prefix) || strlen(prefix->valuestring) >= sizeof wp->prefix)
            return lp__fail(err, BAD, "%s: \"model.continuing_subword_prefix\" must be a short string", name);
        wp->prefix_len = strlen(prefix->valuestring);
        memcpy(wp->prefix, prefix->valuestring, wp->prefix_len);
    }
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(model, "max_input_chars_per_word");
    if (max) {
        if (!cJSON_IsNumber(max) || max->valuedouble < 0 || max->valuedouble > 1e9)
            return lp__fail(err, BAD, "%s: \"model.max_input_chars_per_word\" must be a count", name);
        wp->max_input_chars_per_word = (size_t)max->valuedouble;
    }
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(model, "vocab");
    if (!cJSON_IsObject(vocab)) return lp__fail(err, BAD, "%s: \"model.vocab\" must be an object token -> id", name);
    for (const cJSON *t = vocab->child; t; t = t->next) {
        if (!cJSON_IsNumber(t) || t->valuedouble < 0 || t->valuedouble > 9e15 ||
            t->valuedouble != (double)(int64_t)t->valuedouble)
            return lp__fail(err, BAD, "%s: \"model.vocab\" gives \"%.40s\" an id that is not a non-negative integer",
                            name, t->string);
        if (lp__vocab_put(&wp->vocab, (const uint8_t *)t->string, strlen(t->string), (int64_t)t->valuedouble) != LP_OK)
            return lp__fail(err, LP_ERR_NOMEM, "%s: out of memory", name);
    }
    const cJSON *unk = cJSON_GetObjectItemCaseSensitive(model, "unk_token");
    return find_specials(wp, cJSON_IsString(unk) ? unk->valuestring : "[UNK]", name, err);
}

lp_status lp__wordpiece_load_json(lp__wordpiece *wp, const uint8_t *json, size_t len, const char *name,
                                  lp_error *err)
{
    defaults(wp, 1);
    cJSON *root = NULL;
    lp_status s = lp__json_parse_strict(json, len, name, BAD, &root, err);
    if (s == LP_OK) s = read_json(wp, root, name, err);
    cJSON_Delete(root);
    if (s != LP_OK) lp__wordpiece_free(wp);
    return s;
}

void lp__wordpiece_free(lp__wordpiece *wp)
{
    lp__vocab_free(&wp->vocab);
}

/* BertNormalizer: clean_text, handle_chinese_chars, lowercase, strip_accents,
 * in that order. */
static lp_status normalize(const lp__wordpiece *wp, lp__ustr *u)
{
    if (wp->clean_text) {
        size_t w = 0;
        for (size_t i = 0; i < u->len; i++) {
            uint32_t c = u->cp[i];
            if (c == 0 || c == 0xFFFD || lp__uc_is(LP__UC_CONTROL, c)) continue;
            u->cp[w++] = is_bert_space(c) ? ' ' : c;
        }
        u->len = w;
    }
    if (wp->handle_chinese_chars) {
        size_t n = 0;
        for (size_t i = 0; i < u->len; i++) n += lp__uc_is_cjk(u->cp[i]);
        if (n) {
            if (lp__ustr_reserve(u, 2 * n) != LP_OK) return LP_ERR_NOMEM;
            size_t w = u->len + 2 * n;   /* back to front, in place */
            for (size_t i = u->len; i-- > 0;) {
                uint32_t c = u->cp[i];
                if (lp__uc_is_cjk(c)) u->cp[--w] = ' ', u->cp[--w] = c, u->cp[--w] = ' ';
                else u->cp[--w] = c;
            }
            u->len += 2 * n;
        }
    }
    /* Lowercase as Python's str.lower (BERT) and JavaScript's toLowerCase,
     * final sigma included; Hugging Face's Rust maps each character alone
     * (Σ → σ always), which only matters for Greek text ending a word in Σ. */
    if (wp->lowercase && lp__text_lower(u) != LP_OK) return LP_ERR_NOMEM;
    if (wp->strip_accents && lp__text_strip_accents(u) != LP_OK) return LP_ERR_NOMEM;
    return LP_OK;
}

/* Greedy longest-match-first over one word's code points; appends the ids,
 * or [UNK] alone when some part matches nothing. */
static lp_status word_pieces(const lp__wordpiece *wp, const uint32_t *w, size_t n, lp__buf *bytes, lp__ids *out)
{
    if (n > wp->max_input_chars_per_word) return lp__ids_push(out, wp->unk_id);
    size_t mark = out->len;
    for (size_t start = 0; start < n;) {
        size_t end = n;
        int64_t id = -1;
        for (; end > start; end--) {
            bytes->len = 0;
            if (start > 0 && lp__buf_append(bytes, wp->prefix, wp->prefix_len) != LP_OK) return LP_ERR_NOMEM;
            if (lp__utf8_append(bytes, w + start, end - start) != LP_OK) return LP_ERR_NOMEM;
            if ((id = lp__vocab_get(&wp->vocab, bytes->data, bytes->len)) >= 0) break;
        }
        if (id < 0) {
            out->len = mark;
            return lp__ids_push(out, wp->unk_id);
        }
        if (lp__ids_push(out, id) != LP_OK) return LP_ERR_NOMEM;
        start = end;
    }
    return LP_OK;
}

lp_status lp__wordpiece_tokenize(const lp__wordpiece *wp, const uint8_t *text, size_t len, lp__ustr *work,
                                 lp__ids *out, lp_error *err)
{
    work->len = 0;
    lp_status s = lp__ustr_append_utf8(work, text, len, err);
    if (s != LP_OK) return s;
    if (normalize(wp, work) != LP_OK) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    /* BertPreTokenizer: split on whitespace, and each punctuation character
     * is a word of its own. */
    lp__buf bytes = {0};
    const uint32_t *c = work->cp;
    size_t start = 0;
    for (size_t i = 0; i <= work->len && s == LP_OK; i++) {
        int end = i == work->len || is_white_space(c[i]);
        int punct = !end && lp__uc_is(LP__UC_PUNCT, c[i]);
        if (!end && !punct) continue;
        if (i > start) s = word_pieces(wp, c + start, i - start, &bytes, out);
        if (s == LP_OK && punct) s = word_pieces(wp, c + i, 1, &bytes, out);
        start = i + 1;
    }
    lp__buf_free(&bytes);
    return s == LP_OK ? LP_OK : lp__fail(err, s, "out of memory");
}

lp_status lp__wordpiece_encode(const lp__wordpiece *wp, const uint8_t *text, size_t len, size_t max_len,
                               lp__ustr *work, lp__ids *scratch, int64_t *ids, int64_t *mask, int64_t *type_ids,
                               lp_error *err)
{
    if (max_len < 2) return lp__fail(err, LP_ERR_USAGE, "a WordPiece max length must be at least 2 ([CLS] and [SEP])");
    scratch->len = 0;
    lp_status s = lp__wordpiece_tokenize(wp, text, len, work, scratch, err);
    if (s != LP_OK) return s;
    size_t n = scratch->len < max_len - 2 ? scratch->len : max_len - 2;   /* truncation keeps the start */
    for (size_t i = 0; i < max_len; i++) {
        int64_t id = i == 0 ? wp->cls_id : i <= n ? scratch->v[i - 1] : i == n + 1 ? wp->sep_id : wp->pad_id;
        if (ids) ids[i] = id;
        if (mask) mask[i] = i < n + 2;
        if (type_ids) type_ids[i] = 0;
    }
    return LP_OK;
}
