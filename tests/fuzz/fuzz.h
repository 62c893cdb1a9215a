/* fuzz.h — what every fuzz target shares.
 *
 * Each fuzz_<target>.c defines LLVMFuzzerTestOneInput and is linked either
 * with libFuzzer (clang -fsanitize=fuzzer, `make fuzz`) or with replay.c, a
 * plain main() that runs every file of a corpus through the target (`make
 * test-fuzz`, any C compiler with ASan/UBSan).  A target reports a finding by
 * crashing: a sanitizer report, or FUZZ_CHECK's abort() when two ways of
 * computing the same thing disagree.
 *
 * Leading input bytes choose options and chunk splits (as zstd's fuzzers do),
 * so one input replays exactly.
 */
#ifndef LP_FUZZ_H
#define LP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, what)                                                   \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, \
                    what);                                                       \
            abort();                                                             \
        }                                                                        \
    } while (0)

/* Chunk lengths from a seed: a small xorshift, so a split is a function of
 * the input's leading bytes.  Lengths are 0..max (0-byte pushes are legal). */
typedef struct fuzz_splitter {
    uint32_t state;
    size_t   max;
} fuzz_splitter;

static inline size_t fuzz_next_chunk(fuzz_splitter *s)
{
    uint32_t x = s->state ? s->state : 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s->state = x;
    return (size_t)(x % (s->max + 1));
}

#endif
