/* csv_scan.h — finding the next byte the CSV reader must look at.
 *
 * Inside a field only four bytes matter: the separator (`,`, or `;`, TAB,
 * `|` for issue 9's dialects), the quote '"', and the line ends CR and LF.
 * lp__csv_scanner answers "where is the first of them at or after i" from a
 * 64-bit mask of the next 64 bytes, built
 *   - with LP_SIMD128 (wasm SIMD): four 16-byte compares and bitmasks;
 *   - otherwise: eight 64-bit words ("SWAR": a byte equal to the one sought
 *     becomes zero after XOR, and zero bytes are found exactly with the
 *     carry-free test of Hacker's Delight 6-1).
 * lp__csv_scan_ref_delim is the byte-at-a-time reference the tests compare it
 * against (tests/c/test_csv_reader.c).  Header-only so the reader's loop
 * inlines it.
 */
#ifndef LP_IO_CSV_SCAN_H
#define LP_IO_CSV_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef LP_SIMD128
#include <wasm_simd128.h>
#endif

static inline int lp__csv_is_special_delim(uint8_t c, uint8_t delim)
{
    return c == delim || c == '"' || c == '\n' || c == '\r';
}

static inline size_t lp__csv_scan_ref_delim(const uint8_t *p, size_t i, size_t len, uint8_t delim)
{
    while (i < len && !lp__csv_is_special_delim(p[i], delim)) i++;
    return i;
}

/* 0x80 in each byte of v that is zero, 0 elsewhere (no false positives). */
static inline uint64_t lp__csv_zero_bytes(uint64_t v)
{
    const uint64_t low7 = 0x7F7F7F7F7F7F7F7Full;
    return ~(((v & low7) + low7) | v | low7);
}

/* ---- the block scanner: 64 bytes at a time ----
 * A field of a numeric CSV is about ten bytes, so a scan that loads a block
 * per field mostly throws the rest of the block away.  lp__csv_scanner keeps the positions of
 * the special bytes of the next 64 bytes as a bitmask and answers from it,
 * one count-trailing-zeros per field, until the position passes the block.
 * The bytes must not change while a scanner reads them (the reader uses one
 * per pushed chunk).  tests/c/test_csv_reader.c compares it with
 * lp__csv_scan_ref_delim from every start. */
typedef struct lp__csv_scanner {
    const uint8_t *p;
    size_t         len;
    size_t         base, cover;   /* bits describe p[base, base + cover) */
    uint64_t       bits;          /* bit j: p[base + j] is special */
    uint8_t        delim;
} lp__csv_scanner;

static inline void lp__csv_scanner_init(lp__csv_scanner *s, const uint8_t *p, size_t len, uint8_t delim)
{
    s->p = p;
    s->len = len;
    s->base = s->cover = 0;
    s->bits = 0;
    s->delim = delim;
}

/* Bit j set when p[j] is special, for the 64 bytes p[0, 64). */
static inline uint64_t lp__csv_mask64(const uint8_t *p, uint8_t delim)
{
#ifdef LP_SIMD128
    const v128_t comma = wasm_i8x16_splat((int8_t)delim), quote = wasm_i8x16_splat('"');
    const v128_t lf = wasm_i8x16_splat('\n'), cr = wasm_i8x16_splat('\r');
    uint64_t bits = 0;
    for (int k = 0; k < 4; k++) {
        v128_t b = wasm_v128_load(p + 16 * k);
        v128_t hit = wasm_v128_or(wasm_v128_or(wasm_i8x16_eq(b, comma), wasm_i8x16_eq(b, quote)),
                                  wasm_v128_or(wasm_i8x16_eq(b, lf), wasm_i8x16_eq(b, cr)));
        bits |= (uint64_t)wasm_i8x16_bitmask(hit) << (16 * k);
    }
    return bits;
#elif !defined(__BYTE_ORDER__) || __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ull;
    uint64_t bits = 0;
    for (int k = 0; k < 8; k++) {
        uint64_t w;
        memcpy(&w, p + 8 * k, 8);
        uint64_t hits = lp__csv_zero_bytes(w ^ (ones * delim)) | lp__csv_zero_bytes(w ^ (ones * '"')) |
                        lp__csv_zero_bytes(w ^ (ones * '\n')) | lp__csv_zero_bytes(w ^ (ones * '\r'));
        /* 0x80 per hit byte -> one bit per byte (the multiplication gathers
         * the low bit of byte j into bit 56 + j, without carries). */
        bits |= (((hits >> 7) * 0x0102040810204080ull) >> 56) << (8 * k);
    }
    return bits;
#else
    uint64_t bits = 0;
    for (int j = 0; j < 64; j++) bits |= (uint64_t)lp__csv_is_special_delim(p[j], delim) << j;
    return bits;
#endif
}

static inline void lp__csv_scanner_fill(lp__csv_scanner *s, size_t i)
{
    size_t n = s->len - i;
    s->base = i;
    if (n >= 64) {
        s->bits = lp__csv_mask64(s->p + i, s->delim);
        s->cover = 64;
        return;
    }
    uint64_t bits = 0;   /* the chunk's last bytes, one at a time */
    for (size_t j = 0; j < n; j++) bits |= (uint64_t)lp__csv_is_special_delim(s->p[i + j], s->delim) << j;
    s->bits = bits;
    s->cover = n;
}

/* The same answer as lp__csv_scan_ref_delim(p, i, len, delim), for i <= len. */
static inline size_t lp__csv_scanner_next(lp__csv_scanner *s, size_t i)
{
    for (;;) {
        if (i - s->base >= s->cover) lp__csv_scanner_fill(s, i);   /* (i < base wraps: refilled too) */
        uint64_t b = s->bits >> (i - s->base);
        if (b) return i + (size_t)__builtin_ctzll(b);
        i = s->base + s->cover;
        if (i >= s->len) return s->len;
    }
}

/* ---- the first NUL byte ----
 * The job refuses a NUL in the input (no text CSV has one) and looks for it
 * in every pushed chunk before the reader runs: memchr of Emscripten's libc
 * reads a word at a time, this 64 bytes (wasm SIMD).  The first NUL of
 * p[0, len), or NULL. */
static inline const uint8_t *lp__csv_find_nul(const uint8_t *p, size_t len)
{
#ifdef LP_SIMD128
    const v128_t zero = wasm_i8x16_splat(0);
    size_t i = 0;
    for (; i + 64 <= len; i += 64) {   /* a zero byte makes the minimum zero */
        v128_t m = wasm_u8x16_min(wasm_u8x16_min(wasm_v128_load(p + i), wasm_v128_load(p + i + 16)),
                                  wasm_u8x16_min(wasm_v128_load(p + i + 32), wasm_v128_load(p + i + 48)));
        if (wasm_v128_any_true(wasm_i8x16_eq(m, zero))) break;
    }
    for (; i + 16 <= len; i += 16) {
        uint32_t mask = (uint32_t)wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(p + i), zero));
        if (mask) return p + i + __builtin_ctz(mask);
    }
    return i < len ? memchr(p + i, 0, len - i) : NULL;
#else
    return len ? memchr(p, 0, len) : NULL;
#endif
}

#endif
