/* keras.h — the Keras (keras_preprocessing) text Tokenizer, read from the
 * JSON its to_json() writes, with the exact semantics of
 * texts_to_sequences, and pad_sequences. */
#ifndef LP_TEXT_KERAS_H
#define LP_TEXT_KERAS_H

#include "ustr.h"
#include "vocab.h"

typedef struct lp__keras_tokenizer {
    lp__vocab  word_index;   /* word → index (1 = the most frequent, or the OOV token) */
    int64_t    num_words;    /* 0: no cut-off; else indices >= num_words are out of vocabulary */
    int        lower, char_level;
    uint32_t  *filters;      /* code points replaced by `split` (sorted) */
    size_t     n_filters;
    uint32_t  *split;        /* the separator (one or more code points) */
    size_t     split_len;
    int        has_oov;      /* oov_token is set: unknown words give oov_index */
    int64_t    oov_index;    /* word_index[oov_token], -1 when it is not there (Keras then adds nothing) */
} lp__keras_tokenizer;

/* Reads tokenizer.to_json() (`name` labels the messages). */
lp_status lp__keras_load(lp__keras_tokenizer *t, const uint8_t *json, size_t len, const char *name, lp_error *err);
void      lp__keras_free(lp__keras_tokenizer *t);

/* tokenizer.texts_to_sequences([text])[0], appended to out; `work` is
 * scratch the caller keeps between calls. */
lp_status lp__keras_sequence(const lp__keras_tokenizer *t, const uint8_t *text, size_t len, lp__ustr *work,
                             lp__ids *out, lp_error *err);

/* pad_sequences([seq], maxlen, padding, truncating, value)[0] into
 * out[0..maxlen): pre truncation keeps the last maxlen ids, post the first;
 * pre padding puts `value` in front, post behind. */
void lp__pad_sequence(const int64_t *seq, size_t n, size_t maxlen, int pad_pre, int truncate_pre, int64_t value,
                      int64_t *out);

#endif
