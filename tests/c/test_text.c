/* test_text.c — src/text/: the Unicode lookups at every code point, the
 * normalisation steps, the Keras Tokenizer and pad_sequences, and WordPiece,
 * each compared text by text and token by token with what the reference
 * implementations gave on tests/fixtures/text/corpus.json (Python's str and
 * unicodedata, keras_preprocessing 1.1.0, @huggingface/tokenizers 0.2.0:
 * tests/fixtures/gen/gen_text.py, gen_wordpiece.mjs); then the errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "localpredict.h"
#include "lp_test.h"

#ifndef LP_NO_TEXT
#include "text/keras.h"
#include "text/normalize.h"
#include "text/unicode.h"
#include "text/wordpiece.h"

static cJSON *read_json(const char *path)
{
    size_t len;
    uint8_t *bytes = lp_test_read_file(path, &len);
    if (!LP_CHECK(bytes != NULL, "fixture %s is missing (tests/fixtures/gen/gen_text.py)", path)) return NULL;
    cJSON *j = cJSON_ParseWithLength((const char *)bytes, len);
    free(bytes);
    LP_CHECK(j != NULL, "fixture %s is not JSON", path);
    return j;
}

static uint8_t *read_bytes(const char *path, size_t *len)
{
    uint8_t *bytes = lp_test_read_file(path, len);
    LP_CHECK(bytes != NULL, "fixture %s is missing", path);
    return bytes;
}

/* ---- Unicode tables: every code point ---------------------------------- */

/* The mapping the fixture lists ([cp, out...] rows) must be what f gives at
 * those code points, and every other code point must map to itself. */
static void check_mapping(const cJSON *rows, size_t (*f)(uint32_t, uint32_t *), const char *what, int hangul_sampled)
{
    const cJSON *row = rows->child;
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        if (cp >= 0xD800 && cp < 0xE000) continue;
        uint32_t out[3] = {0}, want[3] = {cp};
        size_t n = f(cp, out), want_n = 1;
        if (row && (uint32_t)cJSON_GetArrayItem(row, 0)->valuedouble == cp) {
            want_n = 0;
            for (const cJSON *c = row->child->next; c; c = c->next) want[want_n++] = (uint32_t)c->valuedouble;
            row = row->next;
        } else if (hangul_sampled && cp >= 0xAC00 && cp <= 0xD7A3) {
            continue;   /* the fixture samples Hangul syllables; the corpus has more */
        }
        if (!LP_CHECK(n == want_n && memcmp(out, want, n * sizeof *out) == 0,
                      "%s of U+%04X: %zu code points (U+%04X ...), Python gives %zu (U+%04X ...)", what, cp, n,
                      out[0], want_n, want[0]))
            return;
    }
    LP_CHECK(row == NULL, "%s: the fixture lists code points the walk did not reach", what);
}

static size_t strip(uint32_t cp, uint32_t *out) { return lp__uc_strip_accents(cp, out); }
static size_t lower(uint32_t cp, uint32_t *out) { return lp__uc_lower(cp, out); }

static void check_property(const cJSON *list, lp__uc_prop prop, const char *what)
{
    const cJSON *c = list->child;
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        int want = c && (uint32_t)c->valuedouble == cp;
        if (want) c = c->next;
        if (!LP_CHECK(lp__uc_is(prop, cp) == want, "%s(U+%04X) is %d, Python says %d", what, cp, !want, want)) return;
    }
}

LP_TEST(text_unicode_tables_every_code_point)
{
    cJSON *j = read_json("fixtures/text/unicode.json");
    if (!j) return;
    LP_CHECK_STR(cJSON_GetObjectItem(j, "unicode")->valuestring, lp__uc_version);
    check_mapping(cJSON_GetObjectItem(j, "lower"), lower, "lower", 0);
    check_mapping(cJSON_GetObjectItem(j, "strip_accents"), strip, "strip_accents", 1);
    check_property(cJSON_GetObjectItem(j, "decimal"), LP__UC_DIGIT, "isdecimal");
    check_property(cJSON_GetObjectItem(j, "space"), LP__UC_SPACE, "isspace");
    cJSON_Delete(j);
}

/* ---- normalisation ------------------------------------------------------ */

typedef enum { LOWER, STRIP_ACCENTS, REMOVE_PUNCT, REMOVE_DIGITS, REMOVE_CHARS, COLLAPSE } step;

static int run_step(step s, const char *text, const uint32_t *chars, size_t n_chars, lp__buf *out)
{
    lp__ustr u = {0};
    lp_error err;
    int ok = lp__ustr_append_utf8(&u, (const uint8_t *)text, strlen(text), &err) == LP_OK;
    lp__text_removal what = {0};
    if (ok) switch (s) {
        case LOWER: ok = lp__text_lower(&u) == LP_OK; break;
        case STRIP_ACCENTS: ok = lp__text_strip_accents(&u) == LP_OK; break;
        case REMOVE_PUNCT: what.punctuation = 1, lp__text_remove(&u, &what); break;
        case REMOVE_DIGITS: what.digits = 1, lp__text_remove(&u, &what); break;
        case REMOVE_CHARS: what.chars = chars, what.n_chars = n_chars, lp__text_remove(&u, &what); break;
        case COLLAPSE: lp__text_collapse_whitespace(&u); break;
        }
    out->len = 0;
    if (ok) ok = lp__utf8_append(out, u.cp, u.len) == LP_OK && lp__buf_push(out, 0) == LP_OK;
    lp__ustr_free(&u);
    return ok;
}

static int cmp_cp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

LP_TEST(text_normalize_matches_python)
{
    cJSON *corpus = read_json("fixtures/text/corpus.json"), *norm = read_json("fixtures/text/normalize.json");
    if (!corpus || !norm) goto done;
    static const struct { step s; const char *key; } steps[] = {
        {LOWER, "lower"}, {STRIP_ACCENTS, "strip_accents"}, {REMOVE_PUNCT, "remove_punctuation"},
        {REMOVE_DIGITS, "remove_digits"}, {REMOVE_CHARS, "remove_chars_result"}, {COLLAPSE, "collapse_whitespace"}};
    lp__ustr chars = {0};
    const char *rc = cJSON_GetObjectItem(norm, "remove_chars")->valuestring;
    lp__ustr_append_utf8(&chars, (const uint8_t *)rc, strlen(rc), NULL);
    qsort(chars.cp, chars.len, sizeof *chars.cp, cmp_cp);
    lp__buf out = {0};
    for (size_t k = 0; k < sizeof steps / sizeof *steps; k++) {
        const cJSON *want = cJSON_GetObjectItem(norm, steps[k].key)->child;
        int i = 0;
        for (const cJSON *t = corpus->child; t && want; t = t->next, want = want->next, i++) {
            if (!LP_CHECK(run_step(steps[k].s, t->valuestring, chars.cp, chars.len, &out), "%s failed", steps[k].key))
                continue;
            LP_CHECK(strcmp((const char *)out.data, want->valuestring) == 0, "%s of corpus text %d: \"%.80s\", Python \"%.80s\"",
                     steps[k].key, i, (const char *)out.data, want->valuestring);
        }
    }
    lp__buf_free(&out);
    lp__ustr_free(&chars);
done:
    cJSON_Delete(corpus);
    cJSON_Delete(norm);
}

/* ---- Keras ---------------------------------------------------------------- */

static int same_ids(const int64_t *got, size_t n, const cJSON *want)
{
    if ((size_t)cJSON_GetArraySize(want) != n) return 0;
    size_t i = 0;
    for (const cJSON *c = want->child; c; c = c->next, i++)
        if ((int64_t)c->valuedouble != got[i]) return 0;
    return 1;
}

static void keras_case(const char *name, const cJSON *corpus)
{
    char path[128];
    snprintf(path, sizeof path, "fixtures/text/keras_%s.json", name);
    size_t len;
    uint8_t *json = read_bytes(path, &len);
    snprintf(path, sizeof path, "fixtures/text/keras_%s.expected.json", name);
    cJSON *expected = read_json(path);
    lp__keras_tokenizer tok;
    lp_error err;
    if (!json || !expected || !LP_CHECK_STATUS(lp__keras_load(&tok, json, len, path, &err), LP_OK, &err)) goto done;
    size_t n_texts = (size_t)cJSON_GetArraySize(corpus);
    lp__ids *seqs = calloc(n_texts, sizeof *seqs);
    lp__ustr work = {0};
    const cJSON *want = cJSON_GetObjectItem(expected, "sequences")->child;
    size_t i = 0;
    for (const cJSON *t = corpus->child; t; t = t->next, want = want->next, i++) {
        LP_CHECK_STATUS(lp__keras_sequence(&tok, (const uint8_t *)t->valuestring, strlen(t->valuestring), &work,
                                           &seqs[i], &err), LP_OK, &err);
        LP_CHECK(same_ids(seqs[i].v, seqs[i].len, want), "keras %s, text %zu: %zu ids, Keras gives %d", name, i,
                 seqs[i].len, cJSON_GetArraySize(want));
    }
    for (const cJSON *p = cJSON_GetObjectItem(expected, "padded")->child; p; p = p->next) {
        size_t maxlen = (size_t)cJSON_GetObjectItem(p, "maxlen")->valuedouble;
        int pad_pre = strcmp(cJSON_GetObjectItem(p, "padding")->valuestring, "pre") == 0;
        int trunc_pre = strcmp(cJSON_GetObjectItem(p, "truncating")->valuestring, "pre") == 0;
        int64_t value = (int64_t)cJSON_GetObjectItem(p, "value")->valuedouble;
        int64_t *row = malloc(maxlen * sizeof *row);
        i = 0;
        for (const cJSON *r = cJSON_GetObjectItem(p, "rows")->child; r; r = r->next, i++) {
            lp__pad_sequence(seqs[i].v, seqs[i].len, maxlen, pad_pre, trunc_pre, value, row);
            LP_CHECK(same_ids(row, maxlen, r), "keras %s, pad_sequences maxlen %zu %s/%s, text %zu differs", name,
                     maxlen, pad_pre ? "pre" : "post", trunc_pre ? "pre" : "post", i);
        }
        free(row);
    }
    for (i = 0; i < n_texts; i++) lp__ids_free(&seqs[i]);
    free(seqs);
    lp__ustr_free(&work);
    lp__keras_free(&tok);
done:
    free(json);
    cJSON_Delete(expected);
}

LP_TEST(text_keras_matches_keras_preprocessing)
{
    cJSON *corpus = read_json("fixtures/text/corpus.json");
    if (!corpus) return;
    static const char *const cases[] = {"default", "oov_numwords", "numwords_no_oov", "char_level", "custom",
                                        "multichar_split"};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) keras_case(cases[k], corpus);
    cJSON_Delete(corpus);
}

/* ---- WordPiece ------------------------------------------------------------ */

static void wordpiece_texts(const lp__wordpiece *wp, const char *what, const cJSON *corpus, const cJSON *expected)
{
    lp__ustr work = {0};
    lp__ids ids = {0};
    lp_error err;
    const cJSON *want = cJSON_GetObjectItem(expected, "ids")->child;
    int i = 0;
    for (const cJSON *t = corpus->child; t; t = t->next, want = want->next, i++) {
        ids.len = 0;
        if (!LP_CHECK_STATUS(lp__wordpiece_tokenize(wp, (const uint8_t *)t->valuestring, strlen(t->valuestring),
                                                    &work, &ids, &err), LP_OK, &err))
            continue;
        if (!same_ids(ids.v, ids.len, want)) {
            size_t k = 0;
            while (k < ids.len && k < (size_t)cJSON_GetArraySize(want) &&
                   ids.v[k] == (int64_t)cJSON_GetArrayItem(want, (int)k)->valuedouble)
                k++;
            LP_CHECK(0, "%s, text %d: %zu pieces, the reference %d; first difference at piece %zu", what, i, ids.len,
                     cJSON_GetArraySize(want), k);
        }
    }
    lp__ustr_free(&work);
    lp__ids_free(&ids);
}

/* [CLS] pieces[:L-2] [SEP] [PAD]...; mask over the real tokens; types 0 —
 * from the reference's pieces. */
static void wordpiece_encode(const lp__wordpiece *wp, const cJSON *corpus, const cJSON *expected)
{
    static const size_t lengths[] = {2, 3, 8, 64, 512};
    lp__ustr work = {0};
    lp__ids scratch = {0};
    lp_error err;
    int64_t ids[512], mask[512], types[512];
    const cJSON *want = cJSON_GetObjectItem(expected, "ids")->child;
    for (const cJSON *t = corpus->child; t; t = t->next, want = want->next)
        for (size_t k = 0; k < sizeof lengths / sizeof *lengths; k++) {
            size_t L = lengths[k], n = (size_t)cJSON_GetArraySize(want);
            if (!LP_CHECK_STATUS(lp__wordpiece_encode(wp, (const uint8_t *)t->valuestring, strlen(t->valuestring), L,
                                                      &work, &scratch, ids, mask, types, &err), LP_OK, &err))
                continue;
            size_t kept = n < L - 2 ? n : L - 2;
            for (size_t i = 0; i < L; i++) {
                int64_t id = i == 0 ? wp->cls_id : i <= kept ? (int64_t)cJSON_GetArrayItem(want, (int)i - 1)->valuedouble
                                                 : i == kept + 1 ? wp->sep_id : wp->pad_id;
                if (!LP_CHECK(ids[i] == id && mask[i] == (i < kept + 2) && types[i] == 0,
                              "encode at length %zu, position %zu: id %lld mask %lld type %lld, want id %lld",
                              L, i, (long long)ids[i], (long long)mask[i], (long long)types[i], (long long)id))
                    break;
            }
        }
    lp__ustr_free(&work);
    lp__ids_free(&scratch);
}

LP_TEST(text_wordpiece_matches_huggingface)
{
    cJSON *corpus = read_json("fixtures/text/corpus.json");
    if (!corpus) return;
    static const struct { const char *name; int lowercase; size_t max_chars; } cases[] = {
        {"uncased", 1, 100}, {"cased", 0, 24}};
    for (size_t k = 0; k < 2; k++) {
        char path[128], what[64];
        snprintf(path, sizeof path, "fixtures/text/wordpiece_%s/expected.json", cases[k].name);
        cJSON *expected = read_json(path);
        size_t len;
        lp__wordpiece wp;
        lp_error err;
        snprintf(path, sizeof path, "fixtures/text/wordpiece_%s/tokenizer.json", cases[k].name);
        uint8_t *bytes = read_bytes(path, &len);
        if (expected && bytes && LP_CHECK_STATUS(lp__wordpiece_load_json(&wp, bytes, len, path, &err), LP_OK, &err)) {
            LP_CHECK_EQ_INT(wp.max_input_chars_per_word, cases[k].max_chars);
            snprintf(what, sizeof what, "%s tokenizer.json", cases[k].name);
            wordpiece_texts(&wp, what, corpus, expected);
            wordpiece_encode(&wp, corpus, expected);
            lp__wordpiece_free(&wp);
        }
        free(bytes);
        /* The same vocabulary as a BERT vocab.txt gives the same ids. */
        snprintf(path, sizeof path, "fixtures/text/wordpiece_%s/vocab.txt", cases[k].name);
        bytes = read_bytes(path, &len);
        if (expected && bytes &&
            LP_CHECK_STATUS(lp__wordpiece_load_vocab_txt(&wp, bytes, len, cases[k].lowercase, path, &err), LP_OK, &err)) {
            wp.max_input_chars_per_word = cases[k].max_chars;
            snprintf(what, sizeof what, "%s vocab.txt", cases[k].name);
            wordpiece_texts(&wp, what, corpus, expected);
            lp__wordpiece_free(&wp);
        }
        free(bytes);
        cJSON_Delete(expected);
    }
    cJSON_Delete(corpus);
}

/* ---- errors --------------------------------------------------------------- */

LP_TEST(text_invalid_utf8_is_rejected)
{
    /* Decided: rejected, never replaced (a U+FFFD would silently change the
     * tokens).  The message names the byte and its position. */
    lp__ustr u = {0};
    lp_error err;
    static const char *const bad[] = {"caf\xE9", "ok \xC0\xAF", "\xED\xA0\x80 surrogate", "cut \xE2\x82",
                                      "\xF4\x90\x80\x80 above U+10FFFF"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        u.len = 0;
        LP_CHECK_STATUS(lp__ustr_append_utf8(&u, (const uint8_t *)bad[i], strlen(bad[i]), &err), LP_ERR_BAD_CSV, &err);
        LP_CHECK_CONTAINS(err.message, "not valid UTF-8");
    }
    LP_CHECK_CONTAINS(err.message, "byte 0xF4 at position 1");
    lp__ustr_free(&u);

    lp__keras_tokenizer tok;
    size_t len;
    uint8_t *json = read_bytes("fixtures/text/keras_default.json", &len);
    if (json && LP_CHECK_STATUS(lp__keras_load(&tok, json, len, "t.json", &err), LP_OK, &err)) {
        lp__ustr work = {0};
        lp__ids ids = {0};
        LP_CHECK_STATUS(lp__keras_sequence(&tok, (const uint8_t *)"na\xEFve", 5, &work, &ids, &err), LP_ERR_BAD_CSV, &err);
        LP_CHECK_CONTAINS(err.message, "byte 0xEF at position 3");
        lp__ustr_free(&work);
        lp__ids_free(&ids);
        lp__keras_free(&tok);
    }
    free(json);
}

static void expect_load_error(int keras, const char *json, lp_status want, const char *needle)
{
    lp_error err;
    lp_status s;
    if (keras) {
        lp__keras_tokenizer tok;
        s = lp__keras_load(&tok, (const uint8_t *)json, strlen(json), "tok.json", &err);
        if (s == LP_OK) lp__keras_free(&tok);
    } else {
        lp__wordpiece wp;
        s = lp__wordpiece_load_json(&wp, (const uint8_t *)json, strlen(json), "tokenizer.json", &err);
        if (s == LP_OK) lp__wordpiece_free(&wp);
    }
    if (LP_CHECK_STATUS(s, want, &err)) LP_CHECK_CONTAINS(err.message, needle);
}

LP_TEST(text_bad_tokenizer_files)
{
    expect_load_error(1, "{\"class_name\": \"Sequential\", \"config\": {}}", LP_ERR_BAD_MANIFEST, "not a Keras Tokenizer");
    expect_load_error(1, "[1, 2", LP_ERR_BAD_MANIFEST, "tok.json");
    expect_load_error(1, "{\"class_name\": \"Tokenizer\", \"config\": {\"filters\": \"\", \"split\": \" \"}}",
                      LP_ERR_BAD_MANIFEST, "config.word_index");
    expect_load_error(1, "{\"class_name\": \"Tokenizer\", \"config\": {\"filters\": \"\", \"split\": \" \", "
                         "\"word_index\": \"{\\\"a\\\": 0}\"}}", LP_ERR_BAD_MANIFEST, "positive integer");
    expect_load_error(1, "{\"class_name\": \"Tokenizer\", \"config\": {\"filters\": \"\", \"split\": \"\", "
                         "\"word_index\": \"{}\"}}", LP_ERR_BAD_MANIFEST, "config.split");
    const char *bpe = "{\"model\": {\"type\": \"BPE\", \"vocab\": {}}, \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"}}";
    expect_load_error(0, bpe, LP_ERR_UNSUPPORTED, "\"BPE\"");
    const char *no_cls = "{\"normalizer\": null, \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"}, \"model\": "
                         "{\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"vocab\": {\"[UNK]\": 0, \"[SEP]\": 1, \"[PAD]\": 2}}}";
    expect_load_error(0, no_cls, LP_ERR_BAD_MANIFEST, "no \"[CLS]\" token");
    const char *sp = "{\"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Metaspace\"}, \"model\": {\"type\": \"WordPiece\"}}";
    expect_load_error(0, sp, LP_ERR_UNSUPPORTED, "BertPreTokenizer");

    lp__wordpiece wp;
    lp_error err;
    const char *txt = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nab\xFF\n";
    LP_CHECK_STATUS(lp__wordpiece_load_vocab_txt(&wp, (const uint8_t *)txt, strlen(txt), 1, "vocab.txt", &err),
                    LP_ERR_BAD_MANIFEST, &err);
    LP_CHECK_CONTAINS(err.message, "vocab.txt:5: not valid UTF-8");
    txt = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nab\n";
    if (LP_CHECK_STATUS(lp__wordpiece_load_vocab_txt(&wp, (const uint8_t *)txt, strlen(txt), 1, "vocab.txt", &err),
                        LP_OK, &err)) {
        lp__ustr work = {0};
        lp__ids scratch = {0};
        int64_t ids[2];
        LP_CHECK_STATUS(lp__wordpiece_encode(&wp, (const uint8_t *)"ab", 2, 1, &work, &scratch, ids, NULL, NULL, &err),
                        LP_ERR_USAGE, &err);
        LP_CHECK_STATUS(lp__wordpiece_encode(&wp, (const uint8_t *)"ab", 2, 2, &work, &scratch, ids, NULL, NULL, &err),
                        LP_OK, &err);
        LP_CHECK(ids[0] == 2 && ids[1] == 3, "length 2 is [CLS] [SEP]: %lld %lld", (long long)ids[0], (long long)ids[1]);
        lp__ustr_free(&work);
        lp__ids_free(&scratch);
        lp__wordpiece_free(&wp);
    }
}
#endif

void test_text(void)
{
#ifndef LP_NO_TEXT
    LP_RUN(text_unicode_tables_every_code_point);
    LP_RUN(text_normalize_matches_python);
    LP_RUN(text_keras_matches_keras_preprocessing);
    LP_RUN(text_wordpiece_matches_huggingface);
    LP_RUN(text_invalid_utf8_is_rejected);
    LP_RUN(text_bad_tokenizer_files);
#endif
}
