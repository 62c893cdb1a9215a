/* wordpiece.h — BERT's WordPiece tokenizer: the basic tokenizer (clean
 * control characters, space out CJK ideographs, lowercase, strip accents,
 * split on whitespace and punctuation), then greedy longest-match-first
 * subwords with a continuation prefix ("##"), then [CLS] … [SEP], padding
 * with [PAD], the attention mask and the token type ids.
 *
 * Read from a BERT vocab.txt (one token per line, id = line number) or a
 * Hugging Face tokenizer.json whose model is WordPiece, whose normalizer is
 * BertNormalizer (or none) and whose pre-tokenizer is BertPreTokenizer. */
#ifndef LP_TEXT_WORDPIECE_H
#define LP_TEXT_WORDPIECE_H

#include "ustr.h"
#include "vocab.h"

typedef struct lp__wordpiece {
    lp__vocab vocab;
    int       clean_text, handle_chinese_chars, lowercase, strip_accents;
    uint8_t   prefix[16];        /* continuing_subword_prefix, "##" */
    size_t    prefix_len;
    size_t    max_input_chars_per_word;   /* longer words are [UNK]; 100 */
    int64_t   unk_id, cls_id, sep_id, pad_id;
} lp__wordpiece;

/* vocab.txt with the options of BertTokenizer(do_lower_case=lowercase,
 * strip_accents=None: it follows lowercase). */
lp_status lp__wordpiece_load_vocab_txt(lp__wordpiece *wp, const uint8_t *text, size_t len, int lowercase,
                                       const char *name, lp_error *err);
/* tokenizer.json. */
lp_status lp__wordpiece_load_json(lp__wordpiece *wp, const uint8_t *json, size_t len, const char *name,
                                  lp_error *err);
void lp__wordpiece_free(lp__wordpiece *wp);

/* The word pieces' ids of text, no special tokens (tokenizer.encode(text,
 * add_special_tokens=False)), appended to out. */
lp_status lp__wordpiece_tokenize(const lp__wordpiece *wp, const uint8_t *text, size_t len, lp__ustr *work,
                                 lp__ids *out, lp_error *err);

/* The model's inputs for one text at length max_len (>= 2): [CLS], the
 * first max_len - 2 pieces, [SEP], then [PAD]; mask 1 over the real tokens;
 * token type ids 0.  Any of the three outputs may be NULL. */
lp_status lp__wordpiece_encode(const lp__wordpiece *wp, const uint8_t *text, size_t len, size_t max_len,
                               lp__ustr *work, lp__ids *scratch, int64_t *ids, int64_t *mask, int64_t *type_ids,
                               lp_error *err);

#endif
