/* vocab.h — a vocabulary: token (UTF-8 bytes) → id, an open-addressing hash
 * table over one pool of token bytes.  Immutable once built, so a loaded
 * model can share it between threads. */
#ifndef LP_TEXT_VOCAB_H
#define LP_TEXT_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "../localpredict.h"

typedef struct lp__vocab {
    uint8_t  *pool;          /* the tokens' bytes, one after the other */
    size_t    pool_len, pool_cap;
    struct lp__vocab_entry { uint32_t offset, length; int64_t id; } *entry;
    size_t    n, cap;        /* tokens, room for them */
    uint32_t *slots;         /* index + 1 into the entries, 0 = empty; 2^k of them */
    size_t    n_slots;
} lp__vocab;

/* Sets token → id; a token already there gets the new id (the last line of
 * a vocab.txt wins, as Python's dict does). */
lp_status lp__vocab_put(lp__vocab *v, const uint8_t *token, size_t len, int64_t id);

/* The id of token, or -1 when it is not in the vocabulary. */
int64_t lp__vocab_get(const lp__vocab *v, const uint8_t *token, size_t len);

void lp__vocab_free(lp__vocab *v);

/* A growable list of token ids (what a tokenizer gives one text). */
typedef struct lp__ids {
    int64_t *v;
    size_t   len, cap;
} lp__ids;

lp_status lp__ids_push(lp__ids *ids, int64_t id);
void      lp__ids_free(lp__ids *ids);

#endif
