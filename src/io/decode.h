/* decode.h — input text in another encoding, converted to UTF-8 as it streams.
 *
 * The CSV reader reads UTF-8.  A job given another encoding (the CLI's
 * --encoding, `encoding` in JS), or an input that starts with a UTF-16
 * byte-order mark, pushes its bytes through an lp__decoder first:
 *   - Windows-1252: bytes 0x80-0x9F are the code page's letters and signs
 *     (€ ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ); the five bytes
 *     the code page leaves undefined (81 8D 8F 90 9D) become U+0081 ... as
 *     the WHATWG Encoding Standard decodes them; 0xA0-0xFF are Latin-1;
 *   - Latin-1 (ISO-8859-1): every byte is the code point of its value;
 *   - UTF-16 LE / BE: two bytes a code unit, surrogate pairs joined.  A chunk
 *     may end inside a code unit or between the halves of a pair: the
 *     decoder keeps what it has and completes it with the next chunk.  An
 *     unpaired surrogate or an odd last byte is an error naming its byte
 *     offset in the input.
 * The byte-order mark itself is dropped by the caller (job.c), not here.
 */
#ifndef LP_IO_DECODE_H
#define LP_IO_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "../localpredict.h"

typedef struct lp__decoder {
    lp_encoding enc;
    uint8_t     pending[1];    /* UTF-16: the first byte of a code unit */
    int         n_pending;
    uint32_t    high;          /* UTF-16: a high surrogate waiting for its low half (0 = none) */
    uint64_t    offset;        /* input bytes decoded so far (for error messages) */
} lp__decoder;

void lp__decoder_init(lp__decoder *d, lp_encoding enc);

/* Appends the UTF-8 of in[0, len) to out.  LP_ERR_BAD_CSV on invalid UTF-16,
 * LP_ERR_NOMEM when out cannot grow. */
lp_status lp__decode(lp__decoder *d, const uint8_t *in, size_t len, lp__buf *out, lp_error *err);

/* Ends the input: a code unit or surrogate left incomplete is an error. */
lp_status lp__decode_finish(lp__decoder *d, lp_error *err);

#endif
