/* number.h — reading CSV cells as numbers and writing probabilities.
 *
 * Reading: a cell is missing when it is empty or one of NA, NaN, null
 * (any case), after trimming spaces and tabs; otherwise it must be a decimal
 * number (optional sign, digits, optional fraction and exponent) or inf /
 * infinity, and is parsed exactly (correctly rounded) to double.  Hex floats
 * and other strtod extensions are refused.
 *
 * Writing: the shortest decimal that reads back as the same float32, in the
 * notation of JavaScript's Number.prototype.toString (ARCHITECTURE.md,
 * "Output bytes"): plain for 1e-6 <= |x| < 1e21, exponent form otherwise.
 */
#ifndef LP_IO_NUMBER_H
#define LP_IO_NUMBER_H

#include <float.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef enum {
    LP__CELL_NUMBER,
    LP__CELL_MISSING,
    LP__CELL_BAD
} lp__cell_kind;

lp__cell_kind lp__parse_cell(const char *s, size_t len, double *out);

/* 10^0 .. 10^22: every one is exactly a double. */
extern const double lp__pow10_exact[23];

/* lp__parse_cell for float32 callers: the same kind, and the float32 nearest
 * to lp__parse_cell's double (the value a model that takes float32 sees,
 * as numpy's float64 -> float32 gives it to xgboost), bit for bit.
 *
 * The common cell, plain digits with an optional sign, point and short
 * exponent, is read here in one pass: up to 19 digits fit a uint64, and when
 * they are at most 2^53 with a decimal exponent within +-22, both are exact
 * doubles, so one IEEE multiplication or division rounds correctly
 * (Clinger's fast path), exactly as strtod would.  Anything else (spaces,
 * missing words, long mantissas, large exponents, bad text) takes
 * lp__parse_cell.  tests/c/test_number.c compares the two on millions of
 * random decimals. */
static inline lp__cell_kind lp__parse_cell_f32(const char *s, size_t len, float *out)
{
    const char *p = s, *end = s + len;
    int negative = 0;
    if (p < end && (*p == '-' || *p == '+')) negative = *p++ == '-';
    uint64_t mant = 0;   /* wraps past 19 digits: such cells take the slow path */
    const char *digits = p;
    while (p < end && (unsigned)(*p - '0') < 10) mant = mant * 10 + (uint64_t)(*p++ - '0');
    size_t n_digits = (size_t)(p - digits);
    int exp10 = 0;
    if (p < end && *p == '.') {
        const char *frac = ++p;
        while (p < end && (unsigned)(*p - '0') < 10) mant = mant * 10 + (uint64_t)(*p++ - '0');
        n_digits += (size_t)(p - frac);
        exp10 = -(int)(p - frac);
    }
    if (n_digits == 0 || n_digits > 19) goto slow;
    if (p < end) {
        if (*p != 'e' && *p != 'E') goto slow;
        int exp_negative = 0, e = 0;
        if (++p < end && (*p == '-' || *p == '+')) exp_negative = *p++ == '-';
        const char *e_digits = p;
        while (p < end && p - e_digits < 4 && (unsigned)(*p - '0') < 10) e = e * 10 + (*p++ - '0');
        if (p != end || p == e_digits) goto slow;
        exp10 += exp_negative ? -e : e;
    }
    if (mant > (1ull << 53) || exp10 < -22 || exp10 > 22) goto slow;
    {
        double v = (double)mant;
        v = exp10 < 0 ? v / lp__pow10_exact[-exp10] : v * lp__pow10_exact[exp10];
        *out = (float)(negative ? -v : v);
        return LP__CELL_NUMBER;
    }
slow: {
        double v = 0;
        lp__cell_kind kind = lp__parse_cell(s, len, &v);
        *out = (float)v;
        return kind;
    }
}

/* lp__parse_cell_f32, not inlined: the rare cells lp__parse_cell_f32_in
 * hands on, kept out of the job's hot loop. */
lp__cell_kind lp__parse_cell_f32_outline(const char *s, size_t len, float *out);

/* strtod with the fast path of lp__parse_cell in front.  cJSON is compiled
 * with -Dstrtod=lp__strtod (Makefile): musl's strtod computes in 128-bit
 * soft-float long double, which made loading a large model slow in WASM. */
double lp__strtod(const char *s, char **end);

/* Clinger's fast path alone, for a caller that has checked the grammar itself
 * (s[0, len) is [+-]digits[.digits][(e|E)[+-]digits] with a digit): 1 and the
 * correctly rounded double in *out when it applies, else 0 (then strtod). */
int lp__decimal_fast(const char *s, size_t len, double *out);

/* ---- lp__parse_cell_f32 eight digits at a time ----
 * Where more bytes than the cell may be read (the cell sits inside a larger
 * buffer: `readable` bytes from s on), the integer and fraction digits are
 * each found and converted eight at a time in a 64-bit word, without a
 * branch per digit: a CSV of numbers spends most of its time here.  Same
 * answer as lp__parse_cell_f32 (the same Clinger step, for mantissas up to
 * 2^53); anything but [sign]digits[.digits] with at most 8 digits on each
 * side goes to it. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LP__SWAR_DIGITS 1

/* How many of the 8 bytes of w (first byte lowest) are ASCII digits in a row. */
static inline unsigned lp__leading_digits8(uint64_t w)
{
    uint64_t x = w ^ 0x3030303030303030ull;   /* digits become 0..9 */
    uint64_t not_digit = (x & 0xF0F0F0F0F0F0F0F0ull) |
                         (((x & 0x0F0F0F0F0F0F0F0Full) + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull);
    return not_digit ? (unsigned)__builtin_ctzll(not_digit) >> 3 : 8;
}

/* The value of the first n (0..8) digits of w: shifted so that zero bytes
 * lead, then combined pairwise (Lemire, "Fast number parsing", 2021).  A
 * shift by 64 is undefined, so n = 0 keeps no byte through a mask instead. */
static inline uint64_t lp__digits8_value(uint64_t w, unsigned n)
{
    w = ((w & 0x0F0F0F0F0F0F0F0Full) << ((64 - 8 * n) & 63)) & (0 - (uint64_t)(n != 0));
    w = (w * 2561) >> 8;
    w = ((w & 0x00FF00FF00FF00FFull) * 6553601) >> 16;
    return ((w & 0x0000FFFF0000FFFFull) * 42949672960001ull) >> 32;
}
#endif

#if defined(__GNUC__) || defined(__clang__)
#define LP__ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define LP__ALWAYS_INLINE inline
#endif

/* lp__parse_cell_f32_in always inlined: for the job's loop over the cells of
 * a row (the compiler keeps a function this size out of line otherwise, and
 * the call costs as much as a short cell). */
static LP__ALWAYS_INLINE lp__cell_kind lp__parse_cell_f32_hot(const char *s, size_t len, size_t readable,
                                                              float *out)
{
#ifdef LP__SWAR_DIGITS
    /* Reads at most s[0..17]: sign, 8 digits, point, 8 more bytes.  No branch
     * depends on the digits (how many there are varies from cell to cell and
     * would be mispredicted): a cell with no point or no fraction gets
     * n2 = 0, and the one test at the end decides. */
    if (len && readable >= 18) {
        static const uint64_t pow10_u64[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
        static const double sign[2] = {1.0, -1.0};
        const char *p = s, *end = s + len;
        size_t negative = *p == '-';
        p += negative | (*p == '+');
        uint64_t w1, w2;
        memcpy(&w1, p, 8);
        size_t n1 = lp__leading_digits8(w1), room = (size_t)(end - p);
        n1 = n1 < room ? n1 : room;                           /* the bytes after the cell */
        p += n1;
        size_t point = (p < end) & (*p == '.');
        p += point;
        memcpy(&w2, p, 8);
        size_t n2 = lp__leading_digits8(w2) & (0 - point);   /* no point: no fraction */
        room = (size_t)(end - p);
        n2 = n2 < room ? n2 : room;
        if (n1 <= 8 && n2 <= 8 && p + n2 == end && n1 + n2 > 0) {   /* else: exponent, text, long */
            uint64_t mant = lp__digits8_value(w1, (unsigned)n1) * pow10_u64[n2] +
                            lp__digits8_value(w2, (unsigned)n2);
#if FLT_EVAL_METHOD == 0
            if (mant < (1u << 24)) {
                /* Up to 7 significant digits (a %.7g cell): a multiplication
                 * by 10^-n2 in double instead of a division.  v is within
                 * 2^-52 * q of q = mant / 10^n2 (10^-n2 and the product are
                 * each rounded once), and so is the double nearest q, which
                 * the reference rounds to float32.  No float32 midpoint
                 * lies that close to q: for a midpoint m != q,
                 * |q - m| * 10^n2 * 2^(24-E) is a nonzero integer (2^E <= q
                 * < 2^24), so |q - m| / q > 2^-25 / 10^8 > 2^-51.6 (n2 <= 8);
                 * and q is never a midpoint itself (mant < 2^24).  Both
                 * therefore round to the same float32. */
                static const double pow10_neg[9] = {1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8};
                *out = (float)((double)(int32_t)mant * sign[negative] * pow10_neg[n2]);
                return LP__CELL_NUMBER;
            }
#endif
            /* mant <= 2^53: exact as a double, and divided by an exact
             * 10^n2, rounded once (Clinger), as lp__parse_cell does. */
            if (mant <= (1ull << 53)) {
                double v = (double)(int64_t)mant * sign[negative];
                *out = (float)(v / lp__pow10_exact[n2]);
                return LP__CELL_NUMBER;
            }
        }
    }
#endif
    (void)readable;
    return lp__parse_cell_f32_outline(s, len, out);
}

static inline lp__cell_kind lp__parse_cell_f32_in(const char *s, size_t len, size_t readable, float *out)
{
    return lp__parse_cell_f32_hot(s, len, readable, out);
}

/* Writes the text (no NUL needed by callers, but one is written) into
 * out[LP__F32_TEXT_CAP]; returns its length. */
#define LP__F32_TEXT_CAP 32
size_t lp__format_f32(float x, char out[LP__F32_TEXT_CAP]);

/* The reference: the same text found with printf and strtof (exact, slow in
 * WASM); lp__format_f32 falls back to it where doubles cannot decide, and the
 * tests compare the two. */
size_t lp__format_f32_ref(float x, char out[LP__F32_TEXT_CAP]);

#endif
