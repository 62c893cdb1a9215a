/* test_text.c — src/text/: the Unicode lookups at every code point, the
 * normalisation steps, the Keras Tokenizer and pad_sequences, and WordPiece,
 * each compared text by text and token by token with what the reference
 * implementations gave on tests/fixtures/text/corpus.json (Python's str and
 * unicodedata, keras_preprocessing 1.1.0, @huggingface/tokenizers 0.2.0:
 * tests/fixtures/gen/gen_text.py, gen_wordpiece.mjs); then the errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "localpredict.h"
#include "lp_test.h"

#ifndef LP_NO_TEXT
#include "text/keras.h"
#include "text/normalize.h"
#include "text/prep.h"
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

/* ---- NFC (fixtures/text/nfc.json, gen_nfc.py: Python's unicodedata) ------ */

static int ustr_equals_json(const lp__ustr *u, const cJSON *cps)
{
    if ((size_t)cJSON_GetArraySize(cps) != u->len) return 0;
    size_t i = 0;
    for (const cJSON *c = cps->child; c; c = c->next, i++)
        if ((uint32_t)c->valuedouble != u->cp[i]) return 0;
    return 1;
}

LP_TEST(text_nfc_matches_python)
{
    cJSON *j = read_json("fixtures/text/nfc.json");
    if (!j) return;
    LP_CHECK_STR(cJSON_GetObjectItem(j, "unicode")->valuestring, lp__uc_version);
    /* every code point alone: the listed ones change as Python says, all others stay */
    const cJSON *changed = cJSON_GetObjectItem(j, "changed")->child;
    int bad = 0;
    lp__ustr u = {0};
    for (uint32_t cp = 0; cp < 0x110000 && bad < 10; cp++) {
        if (cp >= 0xD800 && cp < 0xE000) continue;
        u.len = 0;
        if (!LP_CHECK(lp__ustr_push(&u, cp) == LP_OK && lp__text_nfc(&u) == LP_OK, "nfc U+%04X", cp)) break;
        int listed = changed && (uint32_t)cJSON_GetArrayItem(changed, 0)->valuedouble == cp;
        int ok = listed ? ustr_equals_json(&u, cJSON_GetArrayItem(changed, 1)) : u.len == 1 && u.cp[0] == cp;
        if (listed) changed = changed->next;
        if (!ok) bad++, LP_CHECK(0, "NFC of U+%04X differs from Python's (%zu code points, first U+%04X)", cp, u.len,
                                 u.len ? u.cp[0] : 0);
    }
    LP_CHECK(changed == NULL, "not every listed code point was reached");
    /* the corpus: reordering, blocked and unblocked composition, Hangul */
    int texts = 0;
    for (const cJSON *t = cJSON_GetObjectItem(j, "corpus")->child; t && bad < 10; t = t->next, texts++) {
        u.len = 0;
        for (const cJSON *c = cJSON_GetArrayItem(t, 0)->child; c; c = c->next) lp__ustr_push(&u, (uint32_t)c->valuedouble);
        if (!LP_CHECK(lp__text_nfc(&u) == LP_OK, "nfc text %d", texts)) break;
        if (!ustr_equals_json(&u, cJSON_GetArrayItem(t, 1))) bad++, LP_CHECK(0, "NFC of text %d differs from Python's", texts);
    }
    LP_CHECK(texts >= 400, "%d texts", texts);
    lp__ustr_free(&u);
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
/* ---- the manifest's "preprocess" -------------------------------------------- */

/* A file of the fixtures, as a caller hands it in (lp__text_file). */
typedef struct { lp__text_file f; uint8_t *owned; } fixture_file;

static fixture_file fixture(const char *name, const char *path)
{
    fixture_file x = {{name, NULL, 0}, NULL};
    x.owned = read_bytes(path, &x.f.len);
    x.f.bytes = x.owned;
    return x;
}

static lp_status parse_prep(lp__text_prep *p, const char *json, const lp__text_file *files, size_t n, lp_error *err)
{
    cJSON *j = cJSON_Parse(json);
    if (!LP_CHECK(j != NULL, "test JSON does not parse: %s", json)) return LP_ERR_USAGE;
    lp_status s = lp__text_prep_parse(p, j, files, n, "m.localpredict.json", err);
    cJSON_Delete(j);
    return s;
}

/* Steps, then "words": Python's pipeline and pad_sequences (gen_text.py). */
LP_TEST(text_prep_steps_and_words_match_python)
{
    cJSON *corpus = read_json("fixtures/text/corpus.json"), *expected = read_json("fixtures/text/words.expected.json");
    fixture_file vocab = fixture("words_vocab.json", "fixtures/text/words_vocab.json");
    lp__text_prep p;
    lp_error err;
    const char *m = "{\"text\": \"review\", \"steps\": [\"lowercase\", \"strip_accents\", \"remove_punctuation\", "
                    "\"collapse_whitespace\"], \"tokenizer\": \"words\", \"vocab\": \"words_vocab.json\", \"oov\": 1, "
                    "\"max_length\": 16, \"padding\": \"post\", \"truncating\": \"post\", \"inputs\": {\"ids\": \"x\", \"attention_mask\": \"m\"}}";
    if (corpus && expected && vocab.owned && LP_CHECK_STATUS(parse_prep(&p, m, &vocab.f, 1, &err), LP_OK, &err)) {
        LP_CHECK_STR(p.input_ids, "x");
        LP_CHECK_STR(p.input_mask, "m");
        LP_CHECK(p.input_type_ids == NULL, "token type ids are not fed unless named");
        lp__text_scratch sc = {0};
        int64_t ids[16], mask[16];
        const cJSON *row = cJSON_GetObjectItem(expected, "rows")->child;
        const cJSON *n = cJSON_GetObjectItem(expected, "lengths")->child;
        int i = 0;
        for (const cJSON *t = corpus->child; t; t = t->next, row = row->next, n = n->next, i++) {
            const uint8_t *cell = (const uint8_t *)t->valuestring;
            size_t len = strlen(t->valuestring);
            if (!LP_CHECK_STATUS(lp__text_prep_row(&p, &cell, &len, &sc, ids, mask, NULL, &err), LP_OK, &err)) continue;
            LP_CHECK(same_ids(ids, 16, row), "words pipeline, text %d differs from Python", i);
            for (size_t k = 0; k < 16; k++)
                LP_CHECK(mask[k] == ((double)k < n->valuedouble), "text %d: mask[%zu] = %lld", i, k, (long long)mask[k]);
        }
        lp__text_scratch_free(&sc);
        lp__text_prep_free(&p);
    }
    free(vocab.owned);
    cJSON_Delete(corpus);
    cJSON_Delete(expected);
}

/* Two columns joined by " ": a corpus text cut at its first space gives the
 * ids Keras gave the whole text; the Keras JSON inline and as a file agree. */
LP_TEST(text_prep_keras_joins_columns)
{
    cJSON *corpus = read_json("fixtures/text/corpus.json");
    cJSON *expected = read_json("fixtures/text/keras_oov_numwords.expected.json");
    fixture_file tok = fixture("tokenizer.json", "fixtures/text/keras_oov_numwords.json");
    if (!corpus || !expected || !tok.owned) goto done;
    lp_test_str inline_m = {0};
    static const char head[] = "{\"text\": [\"title\", \"body\"], \"tokenizer\": \"keras\", \"max_length\": 12, \"vocab\": ";
    lp_test_str_add(&inline_m, head, strlen(head));
    lp_test_str_add(&inline_m, tok.owned, tok.f.len);
    lp_test_str_add(&inline_m, "}", 1);
    const char *file_m = "{\"text\": [\"title\", \"body\"], \"join\": \" \", \"tokenizer\": \"keras\", \"vocab\": "
                         "\"tokenizer.json\", \"max_length\": 12, \"padding\": \"pre\", \"truncating\": \"pre\", \"pad_value\": 0}";
    const cJSON *padded = cJSON_GetObjectItem(expected, "padded")->child;   /* (12, pre, pre, 0) */
    for (int variant = 0; variant < 2; variant++) {
        lp__text_prep p;
        lp_error err;
        if (!LP_CHECK_STATUS(parse_prep(&p, variant ? file_m : inline_m.p, &tok.f, 1, &err), LP_OK, &err)) continue;
        char *header[] = {"id", "body", "title"};
        size_t at[2];
        LP_CHECK_STATUS(lp__text_prep_bind(&p, header, 3, at, &err), LP_OK, &err);
        LP_CHECK(at[0] == 2 && at[1] == 1, "title, body at %zu, %zu", at[0], at[1]);
        lp__text_scratch sc = {0};
        int64_t ids[12];
        int i = 0;
        const cJSON *row = cJSON_GetObjectItem(padded, "rows")->child;
        for (const cJSON *t = corpus->child; t; t = t->next, row = row->next, i++) {
            const char *text = t->valuestring, *space = strchr(text, ' ');
            const uint8_t *cells[2] = {(const uint8_t *)text, (const uint8_t *)""};
            size_t lens[2] = {strlen(text), 0};
            if (space) {   /* "a b c" → "a" | "b c", joined again by " " */
                lens[0] = (size_t)(space - text);
                cells[1] = (const uint8_t *)space + 1, lens[1] = strlen(space + 1);
            } else if (lens[0]) {
                continue;   /* no way to cut it without changing it */
            }
            if (!space && !lens[0]) lens[1] = 0;   /* "" | "" joins to " ": same tokens as "" */
            if (!LP_CHECK_STATUS(lp__text_prep_row(&p, cells, lens, &sc, ids, NULL, NULL, &err), LP_OK, &err)) continue;
            LP_CHECK(same_ids(ids, 12, row), "keras via preprocess (%s), text %d differs", variant ? "file" : "inline", i);
        }
        lp__text_scratch_free(&sc);
        lp__text_prep_free(&p);
    }
    lp_test_str_free(&inline_m);
done:
    free(tok.owned);
    cJSON_Delete(corpus);
    cJSON_Delete(expected);
}

/* WordPiece through "preprocess", from tokenizer.json and from the vocab.txt
 * lines given inline: [CLS] pieces [SEP] [PAD]… with the reference's pieces. */
LP_TEST(text_prep_wordpiece)
{
    cJSON *corpus = read_json("fixtures/text/corpus.json");
    cJSON *expected = read_json("fixtures/text/wordpiece_uncased/expected.json");
    fixture_file tok = fixture("tokenizer.json", "fixtures/text/wordpiece_uncased/tokenizer.json");
    size_t vlen;
    uint8_t *vtxt = read_bytes("fixtures/text/wordpiece_uncased/vocab.txt", &vlen);
    if (!corpus || !expected || !tok.owned || !vtxt) goto done;
    cJSON *lines = cJSON_CreateArray();
    for (char *line = (char *)vtxt, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = 0;
        cJSON_AddItemToArray(lines, cJSON_CreateString(line));
    }
    char *lines_json = cJSON_PrintUnformatted(lines);
    for (int variant = 0; variant < 2; variant++) {
        lp_test_str m = {0};
        if (variant) {
            static const char head[] = "{\"text\": \"t\", \"tokenizer\": \"wordpiece\", \"lowercase\": true, \"max_length\": 10, "
                                       "\"vocab\": ";
            lp_test_str_add(&m, head, strlen(head));
            lp_test_str_add(&m, lines_json, strlen(lines_json));
            lp_test_str_add(&m, "}", 1);
        }
        else lp_test_str_addf(&m, "{\"text\": \"t\", \"tokenizer\": \"wordpiece\", \"vocab\": \"tokenizer.json\", \"max_length\": 10}");
        lp__text_prep p;
        lp_error err;
        if (LP_CHECK_STATUS(parse_prep(&p, m.p, &tok.f, 1, &err), LP_OK, &err)) {
            LP_CHECK_STR(p.input_ids, "input_ids");
            LP_CHECK_STR(p.input_mask, "attention_mask");
            LP_CHECK_STR(p.input_type_ids, "token_type_ids");
            lp__text_scratch sc = {0};
            int64_t ids[10], mask[10], types[10];
            const cJSON *want = cJSON_GetObjectItem(expected, "ids")->child;
            int i = 0;
            for (const cJSON *t = corpus->child; t; t = t->next, want = want->next, i++) {
                const uint8_t *cell = (const uint8_t *)t->valuestring;
                size_t len = strlen(t->valuestring), n = (size_t)cJSON_GetArraySize(want), kept = n < 8 ? n : 8;
                if (!LP_CHECK_STATUS(lp__text_prep_row(&p, &cell, &len, &sc, ids, mask, types, &err), LP_OK, &err)) continue;
                for (size_t k = 0; k < 10; k++) {
                    int64_t id = k == 0 ? 2 : k <= kept ? (int64_t)cJSON_GetArrayItem(want, (int)k - 1)->valuedouble
                                            : k == kept + 1 ? 3 : 0;   /* [CLS] 2, [SEP] 3, [PAD] 0 */
                    if (!LP_CHECK(ids[k] == id && mask[k] == (k < kept + 2) && types[k] == 0,
                                  "wordpiece (%s) text %d position %zu: %lld, want %lld", variant ? "inline" : "file", i, k,
                                  (long long)ids[k], (long long)id))
                        break;
                }
            }
            lp__text_scratch_free(&sc);
            lp__text_prep_free(&p);
        }
        lp_test_str_free(&m);
    }
    cJSON_free(lines_json);
    cJSON_Delete(lines);
done:
    free(tok.owned);
    free(vtxt);
    cJSON_Delete(corpus);
    cJSON_Delete(expected);
}

static void expect_prep_error(const char *json, lp_status want, const char *needle)
{
    static const uint8_t words[] = "{\"a\": 1}";
    lp__text_file f = {"v.json", words, sizeof words - 1};
    lp__text_prep p;
    lp_error err;
    lp_status s = parse_prep(&p, json, &f, 1, &err);
    if (s == LP_OK) lp__text_prep_free(&p);
    if (LP_CHECK_STATUS(s, want, &err)) LP_CHECK_CONTAINS(err.message, needle);
}

LP_TEST(text_prep_errors)
{
    const int B = LP_ERR_BAD_MANIFEST;
    expect_prep_error("{\"tokenizer\": \"words\", \"vocab\": \"v.json\", \"max_length\": 4}", B, "\"preprocess.text\" is required");
    expect_prep_error("{\"text\": [], \"tokenizer\": \"words\", \"vocab\": \"v.json\", \"max_length\": 4}", B, "non-empty list");
    expect_prep_error("{\"text\": \"t\", \"tokenizer\": \"bpe\", \"vocab\": \"v.json\", \"max_length\": 4}", B,
                      "\"preprocess.tokenizer\" must be");
    expect_prep_error("{\"text\": \"t\", \"tokenizer\": \"words\", \"vocab\": \"missing.json\", \"max_length\": 4}", B,
                      "names the file \"missing.json\", which was not given");
    expect_prep_error("{\"text\": \"t\", \"tokenizer\": \"words\", \"vocab\": \"v.json\", \"max_length\": 0}", B,
                      "\"preprocess.max_length\" must be");
    expect_prep_error("{\"text\": \"t\", \"tokenizer\": \"words\", \"vocab\": \"v.json\", \"max_length\": 4, \"steps\": [\"stem\"]}",
                      B, "unknown step");
    expect_prep_error("{\"text\": \"t\", \"tokenizer\": \"words\", \"vocab\": \"v.json\", \"max_length\": 4, \"maxlen\": 4}",
                      B, "\"preprocess.maxlen\" is not a preprocess key");
    expect_prep_error("{\"text\": \"t\", \"tokenizer\": \"words\", \"vocab\": \"v.json\", \"max_length\": 4, \"padding\": \"left\"}",
                      B, "\"pre\" or \"post\"");
    expect_prep_error("{\"text\": \"t\", \"tokenizer\": \"wordpiece\", \"vocab\": [\"[UNK]\"], \"max_length\": 4}", B,
                      "no \"[CLS]\" token");
    expect_prep_error("{\"text\": \"t\", \"tokenizer\": \"keras\", \"vocab\": \"v.json\", \"max_length\": 4}", B,
                      "not a Keras Tokenizer");

    /* missing text columns are named, all of them */
    lp__text_prep p;
    lp_error err;
    if (LP_CHECK_STATUS(parse_prep(&p, "{\"text\": [\"title\", \"body\", \"notes\"], \"tokenizer\": \"words\", "
                                       "\"vocab\": {\"a\": 1}, \"max_length\": 3}", NULL, 0, &err), LP_OK, &err)) {
        char *header[] = {"body", "x"};
        size_t at[3];
        LP_CHECK_STATUS(lp__text_prep_bind(&p, header, 2, at, &err), LP_ERR_MISSING_COLUMN, &err);
        LP_CHECK_CONTAINS(err.message, "no text columns \"title\", \"notes\"");
        /* invalid UTF-8 in a cell: rejected, naming the column */
        lp__text_scratch sc = {0};
        int64_t ids[3], mask[3];
        const uint8_t *cells[3] = {(const uint8_t *)"a", (const uint8_t *)"caf\xE9", (const uint8_t *)""};
        size_t lens[3] = {1, 4, 0};
        LP_CHECK_STATUS(lp__text_prep_row(&p, cells, lens, &sc, ids, mask, NULL, &err), LP_ERR_BAD_CSV, &err);
        LP_CHECK_STR(err.column, "body");
        LP_CHECK_CONTAINS(err.message, "byte 0xE9 at position 4");
        /* empty cells: an empty text, all padding (pre), mask 0 */
        cells[1] = (const uint8_t *)"", lens[1] = 0;
        cells[0] = (const uint8_t *)"", lens[0] = 0;
        if (LP_CHECK_STATUS(lp__text_prep_row(&p, cells, lens, &sc, ids, mask, NULL, &err), LP_OK, &err))
            LP_CHECK(ids[0] == 0 && ids[2] == 0 && mask[0] == 0 && mask[2] == 0, "empty text: %lld %lld", (long long)ids[0],
                     (long long)mask[0]);
        /* "a" alone: one known word, pre padding puts it last */
        cells[2] = (const uint8_t *)"a", lens[2] = 1;
        if (LP_CHECK_STATUS(lp__text_prep_row(&p, cells, lens, &sc, ids, mask, NULL, &err), LP_OK, &err))
            LP_CHECK(ids[2] == 1 && ids[1] == 0 && mask[2] == 1 && mask[1] == 0, "\"  a\": ids %lld %lld",
                     (long long)ids[1], (long long)ids[2]);
        lp__text_scratch_free(&sc);
        lp__text_prep_free(&p);
    }
}
/* {"remove": "chars"} as a step (once refused whatever it said: cJSON links an
 * object's first member's prev to its last).  Python: ''.join(c for c in
 * "axeyiozu" if c not in "aeiou") == "xyz", one word, padded "pre". */
LP_TEST(text_prep_remove_step)
{
    lp__text_prep p;
    lp_error err;
    const char *m = "{\"text\": \"t\", \"tokenizer\": \"words\", \"vocab\": {\"xyz\": 7}, \"max_length\": 4, "
                    "\"steps\": [{\"remove\": \"aeiou\"}]}";
    if (LP_CHECK_STATUS(parse_prep(&p, m, NULL, 0, &err), LP_OK, &err)) {
        lp__text_scratch sc = {0};
        int64_t ids[4];
        const uint8_t *cell = (const uint8_t *)"axeyiozu";
        size_t len = 8;
        if (LP_CHECK_STATUS(lp__text_prep_row(&p, &cell, &len, &sc, ids, NULL, NULL, &err), LP_OK, &err))
            LP_CHECK(ids[0] == 0 && ids[1] == 0 && ids[2] == 0 && ids[3] == 7, "ids %lld %lld %lld %lld",
                     (long long)ids[0], (long long)ids[1], (long long)ids[2], (long long)ids[3]);
        lp__text_scratch_free(&sc);
        lp__text_prep_free(&p);
    }
    expect_prep_error("{\"text\": \"t\", \"tokenizer\": \"words\", \"vocab\": \"v.json\", \"max_length\": 4, "
                      "\"steps\": [{\"remove\": \"a\", \"keep\": \"b\"}]}", LP_ERR_BAD_MANIFEST, "unknown step");
    expect_prep_error("{\"text\": \"t\", \"tokenizer\": \"words\", \"vocab\": \"v.json\", \"max_length\": 4, "
                      "\"steps\": [{\"remove\": \"\xE9\"}]}", LP_ERR_BAD_MANIFEST, "not valid UTF-8");
}

/* ---- end to end: a text model through the CSV job -------------------------- */

static lp_status load_text_model(const char *dir, const char *manifest_override, lp_model **m, lp_error *err)
{
    char path[160];
    size_t len, mlen;
    snprintf(path, sizeof path, "fixtures/text_model/%s/model.onnx", dir);
    uint8_t *bytes = read_bytes(path, &len);
    snprintf(path, sizeof path, "fixtures/text_model/%s/model.localpredict.json", dir);
    uint8_t *manifest = manifest_override ? NULL : read_bytes(path, &mlen);
    lp_load_options lo = lp_load_options_default();
    lo.manifest = manifest_override ? manifest_override : (const char *)manifest;
    lo.manifest_len = manifest_override ? strlen(manifest_override) : mlen;
    lo.manifest_name = "model.localpredict.json";
    lp_status s = bytes && lo.manifest ? lp_model_load(bytes, len, &lo, m, err) : LP_ERR_USAGE;
    free(bytes);
    free(manifest);
    return s;
}

/* The job's output for input, pushed in chunks of `chunk` bytes (0: at once). */
lp_status lp_test_run_text_job(const lp_model *m, const uint8_t *in, size_t len, size_t chunk, lp_test_str *out,
                               lp_error *err)
{
    lp_job *job = NULL;
    lp_job_options jo = lp_job_options_default();
    jo.batch_rows = 5;   /* several batches, one partly filled */
    lp_status s = lp_job_create(m, &jo, &job, err);
    for (size_t pos = 0; s == LP_OK && pos < len;) {
        size_t n = chunk && chunk < len - pos ? chunk : len - pos;
        s = lp_job_push(job, in + pos, n, err);
        lp_test_str_add(out, lp_job_output(job), lp_job_output_len(job));
        lp_job_output_clear(job);
        pos += n;
    }
    if (s == LP_OK) s = lp_job_finish(job, err);
    if (job) lp_test_str_add(out, lp_job_output(job), lp_job_output_len(job));
    lp_job_destroy(job);
    return s;
}

/* Probabilities within 1e-4 of onnxruntime's on the Keras reference ids, and
 * the suggested label its argmax, whole and in chunks of 7 bytes. */
static void check_keras_embedding_output(const lp_model *m, const uint8_t *in, size_t in_len, const uint8_t *expected)
{
    lp_error err;
    for (size_t chunk = 0; chunk <= 7; chunk += 7) {
        lp_test_str out = {0};
        if (!LP_CHECK_STATUS(lp_test_run_text_job(m, in, in_len, chunk, &out, &err), LP_OK, &err)) {
            lp_test_str_free(&out);
            continue;
        }
        const char *o = out.p, *e = (const char *)expected;
        LP_CHECK(strncmp(o, "negative,neutral,positive,Suggested Label\n", 42) == 0, "header: %.60s", o);
        o = strchr(o, '\n') + 1, e = strchr(e, '\n') + 1;
        int rows = 0;
        static const char *const names[] = {"negative", "neutral", "positive"};
        for (; *e; rows++) {
            double got[3], want[3];
            char label[32] = "";
            if (!LP_CHECK(sscanf(o, "%lf,%lf,%lf,%31[^\n]", &got[0], &got[1], &got[2], label) == 4, "row %d: %.80s",
                          rows, o) ||
                !LP_CHECK(sscanf(e, "%lf,%lf,%lf", &want[0], &want[1], &want[2]) == 3, "expected row %d", rows))
                break;
            int best = 0;
            for (int k = 0; k < 3; k++) {
                LP_CHECK_NEAR(got[k], want[k], 1e-4);
                if (want[k] > want[best]) best = k;
            }
            LP_CHECK_STR(label, names[best]);
            o = strchr(o, '\n') + 1, e = strchr(e, '\n') + 1;
        }
        LP_CHECK_EQ_INT(rows, 33);
        LP_CHECK(*o == 0, "extra output: %.60s", o);
        lp_test_str_free(&out);
    }
}

LP_TEST(text_model_keras_embedding_matches_onnxruntime)
{
    lp_model *m = NULL;
    lp_error err;
    size_t in_len, exp_len;
    uint8_t *in = read_bytes("fixtures/text_model/keras_embedding/input.csv", &in_len);
    uint8_t *expected = read_bytes("fixtures/text_model/keras_embedding/expected.csv", &exp_len);
    if (!in || !expected || !LP_CHECK_STATUS(load_text_model("keras_embedding", NULL, &m, &err), LP_OK, &err)) goto done;
    LP_CHECK_STR(lp_model_feature_name(m, 0), "review");
    check_keras_embedding_output(m, in, in_len, expected);
    /* errors: a CSV without the text column, a text cell that is not UTF-8 */
    lp_test_str out = {0};
    static const char no_text[] = "id,text\n1,great\n";
    LP_CHECK_STATUS(lp_test_run_text_job(m, (const uint8_t *)no_text, sizeof no_text - 1, 0, &out, &err), LP_ERR_MISSING_COLUMN, &err);
    LP_CHECK_CONTAINS(err.message, "review");
    static const char bad[] = "id,review\n1,great\n2,caf\xE9\n";
    LP_CHECK_STATUS(lp_test_run_text_job(m, (const uint8_t *)bad, sizeof bad - 1, 0, &out, &err), LP_ERR_BAD_CSV, &err);
    LP_CHECK_EQ_INT(err.line, 3);
    LP_CHECK_STR(err.column, "review");
    LP_CHECK_CONTAINS(err.message, "byte 0xE9 at position 4");
    lp_test_str_free(&out);
done:
    lp_model_destroy(m);
    free(in);
    free(expected);
}

/* The torch.onnx exports (gen_text_torch.py): nn.Embedding (Gather) with
 * masked mean or max pooling, a multi-label head (a sigmoid per label) and a
 * 2-layer BERT-style encoder on WordPiece ids with an attention mask.  Each
 * probability within 1e-4 of onnxruntime's on the reference tokenizer's ids,
 * and the suggested label the output contract's (argmax; multi-label: every
 * label above 0.5, joined by ","), except where the reference sits within
 * 1e-4 of a tie or of the threshold. */
static void check_text_case(const char *dir, int n_classes, int multilabel, const char *const *names)
{
    char path[160];
    lp_model *m = NULL;
    lp_error err;
    size_t in_len, exp_len;
    snprintf(path, sizeof path, "fixtures/text_model/%s/input.csv", dir);
    uint8_t *in = read_bytes(path, &in_len);
    snprintf(path, sizeof path, "fixtures/text_model/%s/expected.csv", dir);
    uint8_t *expected = read_bytes(path, &exp_len);
    lp_test_str out = {0};
    if (!LP_CHECK(in && expected, "%s: fixture files", dir) ||
        !LP_CHECK_STATUS(load_text_model(dir, NULL, &m, &err), LP_OK, &err) ||
        !LP_CHECK_STATUS(lp_test_run_text_job(m, in, in_len, 11, &out, &err), LP_OK, &err))
        goto done;
    const char *o = strchr(out.p, '\n'), *e = strchr((const char *)expected, '\n');
    int rows = 0;
    for (; o && e && e[1]; rows++) {
        o++, e++;
        double got[8], want[8];
        char label[64] = "", wanted[64] = "";
        int near = 0, best = 0;
        for (int k = 0; k < n_classes; k++) {
            got[k] = strtod(o, (char **)&o), o++;
            want[k] = strtod(e, (char **)&e), e++;
            LP_CHECK(fabs(got[k] - want[k]) <= 1e-4, "%s row %d class %d: %.9g vs onnxruntime %.9g", dir, rows, k,
                     got[k], want[k]);
            if (want[k] > want[best]) best = k;
            if (multilabel) {
                near |= fabs(want[k] - 0.5) <= 1e-4;
                if (want[k] > 0.5)
                    snprintf(wanted + strlen(wanted), sizeof wanted - strlen(wanted), "%s%s", wanted[0] ? "," : "",
                             names[k]);
            }
        }
        for (int k = 0; !multilabel && k < n_classes; k++) near |= k != best && want[best] - want[k] <= 1e-4;
        if (!multilabel) snprintf(wanted, sizeof wanted, "%s", names[best]);
        /* the label field, unquoted (a multi-label one with a comma is quoted) */
        size_t n = 0;
        int quoted = *o == '"';
        for (o += quoted; *o && (quoted ? *o != '"' : *o != '\n') && n < sizeof label - 1;) label[n++] = *o++;
        o = strchr(o, '\n');
        e = strchr(e - 1, '\n');
        if (!near) LP_CHECK(!strcmp(label, wanted), "%s row %d: label \"%s\", expected \"%s\"", dir, rows, label, wanted);
    }
    LP_CHECK_EQ_INT(rows, 33);
done:
    lp_test_str_free(&out);
    lp_model_destroy(m);
    free(in);
    free(expected);
}

LP_TEST(text_model_torch_exports_match_onnxruntime)
{
    static const char *const sentiment[] = {"negative", "neutral", "positive"};
    static const char *const labels[] = {"praise", "complaint", "delivery"};
    check_text_case("torch_mean", 3, 0, sentiment);
    check_text_case("torch_max", 3, 0, sentiment);
    check_text_case("torch_multilabel", 3, 1, labels);
    check_text_case("bert_tiny", 3, 0, sentiment);
}

/* A manifest whose preprocess does not fit the model is named at load. */
LP_TEST(text_model_mismatch_errors)
{
    static const struct { const char *pre, *needle; } cases[] = {
        {"\"max_length\": 12, \"vocab\": {\"a\": 1}", "\"preprocess.max_length\" is 12 but the model input \"tokens\" takes 16"},
        {"\"max_length\": 16, \"vocab\": {\"a\": 1}, \"inputs\": {\"ids\": \"input_ids\"}", "names \"input_ids\" (token ids), which is not an input"},
        {"\"max_length\": 16, \"vocab\": {\"a\": 1}, \"inputs\": {\"ids\": \"tokens\", \"attention_mask\": \"mask\"}", "\"mask\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char manifest[400];
        snprintf(manifest, sizeof manifest, "{\"localpredict\": 1, \"preprocess\": {\"text\": \"review\", \"tokenizer\": "
                 "\"words\", %s}}", cases[i].pre);
        lp_model *m = NULL;
        lp_error err;
        if (LP_CHECK_STATUS(load_text_model("keras_embedding", manifest, &m, &err), LP_ERR_BAD_MANIFEST, &err))
            LP_CHECK_CONTAINS(err.message, cases[i].needle);
        lp_model_destroy(m);
    }
}

/* The same model with its Keras tokenizer JSON as a file the manifest names
 * ("vocab": "tokenizer.json", handed in lp_load_options.parts), and through
 * the model blob the worker pool starts from (the preprocessing and the file
 * travel in it): the same numbers as onnxruntime, the same bytes as the inline
 * manifest's model.  A missing file is named. */
LP_TEST(text_model_vocab_file_and_blob)
{
    lp_model *m = NULL, *inline_m = NULL, *from_blob = NULL, *from_blob2 = NULL;
    lp_error err;
    size_t in_len, exp_len, len;
    uint8_t *in = read_bytes("fixtures/text_model/keras_embedding/input.csv", &in_len);
    uint8_t *expected = read_bytes("fixtures/text_model/keras_embedding/expected.csv", &exp_len);
    uint8_t *bytes = read_bytes("fixtures/text_model/keras_embedding/model.onnx", &len);
    cJSON *man = read_json("fixtures/text_model/keras_embedding/model.localpredict.json");
    cJSON *pre = cJSON_GetObjectItemCaseSensitive(man, "preprocess");
    char *vocab = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(pre, "vocab"));
    cJSON_ReplaceItemInObjectCaseSensitive(pre, "vocab", cJSON_CreateString("tokenizer.json"));
    char *manifest = cJSON_PrintUnformatted(man);
    lp_test_str a = {0}, b = {0}, c = {0};
    if (!LP_CHECK(in && expected && bytes && vocab && manifest, "fixtures")) goto done;
    lp_part part = {"tokenizer.json", (const uint8_t *)vocab, strlen(vocab)};
    lp_load_options lo = lp_load_options_default();
    lo.manifest = manifest, lo.manifest_len = strlen(manifest), lo.manifest_name = "model.localpredict.json";
    /* not given: named, with the key */
    if (LP_CHECK_STATUS(lp_model_load(bytes, len, &lo, &m, &err), LP_ERR_BAD_MANIFEST, &err)) {
        LP_CHECK_CONTAINS(err.message, "\"tokenizer.json\"");
        LP_CHECK_CONTAINS(err.message, "model.localpredict.json");
    }
    lo.parts = &part, lo.n_parts = 1;
    if (!LP_CHECK_STATUS(lp_model_load(bytes, len, &lo, &m, &err), LP_OK, &err) ||
        !LP_CHECK_STATUS(load_text_model("keras_embedding", NULL, &inline_m, &err), LP_OK, &err))
        goto done;
    check_keras_embedding_output(m, in, in_len, expected);
    const uint8_t *blob = NULL;
    size_t blob_len = 0;
    if (!LP_CHECK_STATUS(lp_model_serialize(m, &blob, &blob_len, &err), LP_OK, &err) ||
        !LP_CHECK_STATUS(lp_model_load(blob, blob_len, NULL, &from_blob, &err), LP_OK, &err))
        goto done;
    LP_CHECK_STR(lp_model_feature_name(from_blob, 0), "review");
    LP_CHECK_EQ_INT((long long)lp_model_n_features(from_blob), 1);
    check_keras_embedding_output(from_blob, in, in_len, expected);
    /* byte for byte: the inline manifest's model, the file's, the blob's (and a blob of the blob) */
    const uint8_t *blob2 = NULL;
    size_t blob2_len = 0;
    if (LP_CHECK_STATUS(lp_model_serialize(from_blob, &blob2, &blob2_len, &err), LP_OK, &err) &&
        LP_CHECK_STATUS(lp_model_load(blob2, blob2_len, NULL, &from_blob2, &err), LP_OK, &err)) {
        LP_CHECK_STATUS(lp_test_run_text_job(inline_m, in, in_len, 0, &a, &err), LP_OK, &err);
        LP_CHECK_STATUS(lp_test_run_text_job(from_blob, in, in_len, 0, &b, &err), LP_OK, &err);
        LP_CHECK_STATUS(lp_test_run_text_job(from_blob2, in, in_len, 0, &c, &err), LP_OK, &err);
        LP_CHECK(a.p && b.p && c.p && strcmp(a.p, b.p) == 0 && strcmp(a.p, c.p) == 0, "outputs differ");
    }
    /* a truncated blob is refused, never read past */
    lp_model *bad = NULL;
    LP_CHECK_STATUS(lp_model_load(blob, blob_len - 3, NULL, &bad, &err), LP_ERR_BAD_MODEL, &err);
    lp_model_destroy(bad);
done:
    lp_test_str_free(&a);
    lp_test_str_free(&b);
    lp_test_str_free(&c);
    lp_model_destroy(m);
    lp_model_destroy(inline_m);
    lp_model_destroy(from_blob);
    lp_model_destroy(from_blob2);
    cJSON_Delete(man);
    free(vocab);
    free(manifest);
    free(bytes);
    free(in);
    free(expected);
}

/* lp_model_predict_table on a string column (what the JS API's predict on
 * row objects uses) gives the CSV job's float32s exactly; a missing cell is
 * the empty text; a number and a matrix are refused, named. */
LP_TEST(text_model_predict_table)
{
    lp_model *m = NULL;
    lp_error err;
    if (!LP_CHECK_STATUS(load_text_model("keras_embedding", NULL, &m, &err), LP_OK, &err)) return;
    static const char texts[] = "greatthe worst, useless and bad!caf\xC3\xA9 ok";
    const uint32_t offsets[] = {0, 5, 5, 32, 40};   /* "great", "", "the worst...", "caf\u00e9 ok" */
    const uint8_t missing[] = {0, 1, 0, 0};
    lp_column col = {"review", LP_COL_STR, texts, offsets, missing};
    lp_table table = {4, 1, &col};
    float proba[12];
    uint8_t chosen[12];
    lp_test_str out = {0};
    static const char csv[] = "id,review\n1,great\n2,\n3,\"the worst, useless and bad!\"\n4,caf\xC3\xA9 ok\n";
    if (LP_CHECK_STATUS(lp_model_predict_table(m, &table, NULL, proba, chosen, &err), LP_OK, &err) &&
        LP_CHECK_STATUS(lp_test_run_text_job(m, (const uint8_t *)csv, sizeof csv - 1, 0, &out, &err), LP_OK, &err)) {
        const char *o = strchr(out.p, '\n') + 1;
        for (int r = 0; r < 4; r++, o = strchr(o, '\n') + 1) {
            float want[3];
            LP_CHECK(sscanf(o, "%f,%f,%f", &want[0], &want[1], &want[2]) == 3, "row %d", r);
            for (int k = 0; k < 3; k++) LP_CHECK(proba[r * 3 + k] == want[k], "row %d class %d: %g vs %g", r, k,
                                                 (double)proba[r * 3 + k], (double)want[k]);
        }
    }
    const double numbers[] = {5};
    lp_column num = {"review", LP_COL_F64, numbers, NULL, NULL};
    lp_table one = {1, 1, &num};
    if (LP_CHECK_STATUS(lp_model_predict_table(m, &one, NULL, proba, chosen, &err), LP_ERR_USAGE, &err)) {
        LP_CHECK_STR(err.column, "review");
        LP_CHECK_CONTAINS(err.message, "row 1: a number, where a text model takes text");
    }
    const float x[16] = {0};
    LP_CHECK_STATUS(lp_model_predict_matrix(m, x, 1, 16, NULL, proba, chosen, &err), LP_ERR_UNSUPPORTED, &err);
    LP_CHECK_CONTAINS(err.message, "not a numeric matrix");
    lp_test_str_free(&out);
    lp_model_destroy(m);
}

/* A vocabulary whose ids do not fit the model's embedding table (ids that
 * feed a Gather of a constant [10, 3] table) is named at load. */
LP_TEST(text_model_vocab_must_fit_the_embedding)
{
    static const struct { const char *vocab; lp_status want; const char *needle; } cases[] = {
        {"{\"a\": 1, \"b\": 9}", LP_OK, NULL},
        {"{\"a\": 1, \"b\": 10}", LP_ERR_BAD_MANIFEST, "ids up to 10, but the model's embedding table (\"embedding.weight\") has 10 rows"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char manifest[300];
        snprintf(manifest, sizeof manifest, "{\"localpredict\": 1, \"classes\": [\"x\", \"y\", \"z\"], \"preprocess\": "
                 "{\"text\": \"t\", \"tokenizer\": \"words\", \"max_length\": 4, \"vocab\": %s}}", cases[i].vocab);
        lp_model *m = NULL;
        lp_error err;
        if (LP_CHECK_STATUS(load_text_model("gather_small", manifest, &m, &err), cases[i].want, &err) && cases[i].needle)
            LP_CHECK_CONTAINS(err.message, cases[i].needle);
        lp_model_destroy(m);
    }
}
#endif

void test_text(void)
{
#ifndef LP_NO_TEXT
    LP_RUN(text_unicode_tables_every_code_point);
    LP_RUN(text_nfc_matches_python);
    LP_RUN(text_normalize_matches_python);
    LP_RUN(text_keras_matches_keras_preprocessing);
    LP_RUN(text_wordpiece_matches_huggingface);
    LP_RUN(text_invalid_utf8_is_rejected);
    LP_RUN(text_bad_tokenizer_files);
    LP_RUN(text_prep_steps_and_words_match_python);
    LP_RUN(text_prep_keras_joins_columns);
    LP_RUN(text_prep_wordpiece);
    LP_RUN(text_prep_errors);
    LP_RUN(text_prep_remove_step);
    LP_RUN(text_model_keras_embedding_matches_onnxruntime);
    LP_RUN(text_model_mismatch_errors);
    LP_RUN(text_model_vocab_file_and_blob);
    LP_RUN(text_model_predict_table);
    LP_RUN(text_model_vocab_must_fit_the_embedding);
    LP_RUN(text_model_torch_exports_match_onnxruntime);
#endif
}
