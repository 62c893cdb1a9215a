/* utf8.c — see utf8.h.  The well-formed byte sequences of Unicode 15, table
 * 3-7, checked byte by byte (ASCII runs take the fast path). */
#include "utf8.h"

#include <string.h>

size_t lp__utf8_valid_prefix(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            /* ASCII: skip 8 bytes at a time while none has its high bit set
             * (every record of a CSV is checked: job.c). */
            i++;
            uint64_t w;
            while (i + 8 <= len && (memcpy(&w, s + i, 8), (w & 0x8080808080808080ull) == 0)) i += 8;
            continue;
        }
        size_t n;
        uint8_t lo = 0x80, hi = 0xBF;   /* the range of the second byte */
        if (c >= 0xC2 && c <= 0xDF) n = 2;
        else if (c == 0xE0) n = 3, lo = 0xA0;
        else if (c == 0xED) n = 3, hi = 0x9F;   /* no surrogates */
        else if (c >= 0xE1 && c <= 0xEF) n = 3;
        else if (c == 0xF0) n = 4, lo = 0x90;
        else if (c == 0xF4) n = 4, hi = 0x8F;   /* nothing above U+10FFFF */
        else if (c >= 0xF1 && c <= 0xF3) n = 4;
        else return i;
        if (n > len - i || s[i + 1] < lo || s[i + 1] > hi) return i;
        for (size_t k = 2; k < n; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
        i += n;
    }
    return len;
}
