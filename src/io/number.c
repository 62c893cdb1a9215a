/* number.c — cell parsing and float32 formatting; see number.h. */
#include "number.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ieq(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (len != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != word[i]) return 0;
    }
    return 1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Checks the decimal grammar; strtod would also take hex, "nan(...)" and
 * leading whitespace of every kind, which CSV users do not mean. */
static int is_decimal(const char *s, size_t len)
{
    size_t i = 0, digits = 0;
    if (i < len && (s[i] == '+' || s[i] == '-')) i++;
    while (i < len && is_digit(s[i])) i++, digits++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && is_digit(s[i])) i++, digits++;
    }
    if (digits == 0) return 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) i++;
        size_t exp_digits = 0;
        while (i < len && is_digit(s[i])) i++, exp_digits++;
        if (exp_digits == 0) return 0;
    }
    return i == len;
}

/* Exact powers of ten: every 10^k with k <= 22 is a double. */
const double lp__pow10_exact[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Clinger's fast path: when the significant digits fit in 2^53 and the
 * decimal exponent in +-22, both operands are exact doubles and one IEEE
 * multiplication or division rounds correctly.  Returns 0 when the number
 * needs the general (strtod) path.  The grammar is already checked. */
static int fast_decimal(const char *s, size_t len, double *out)
{
    size_t i = 0;
    int negative = 0;
    if (s[i] == '+' || s[i] == '-') negative = s[i++] == '-';
    uint64_t mant = 0;
    int digits = 0, exp10 = 0;
    for (; i < len && is_digit(s[i]); i++) {
        if (mant == 0 && s[i] == '0') continue;   /* leading zeros are free */
        if (++digits > 19) return 0;
        mant = mant * 10 + (uint64_t)(s[i] - '0');
    }
    if (i < len && s[i] == '.') {
        for (i++; i < len && is_digit(s[i]); i++) {
            exp10--;
            if (mant == 0 && s[i] == '0') continue;
            if (++digits > 19) return 0;
            mant = mant * 10 + (uint64_t)(s[i] - '0');
        }
    }
    if (i < len) {   /* exponent */
        i++;
        int exp_negative = 0, e = 0;
        if (s[i] == '+' || s[i] == '-') exp_negative = s[i++] == '-';
        for (; i < len; i++) {
            if (e > 10000) return 0;
            e = e * 10 + (s[i] - '0');
        }
        exp10 += exp_negative ? -e : e;
    }
    if (mant > (1ull << 53) || exp10 < -22 || exp10 > 22) return mant == 0 ? (*out = negative ? -0.0 : 0.0, 1) : 0;
    double v = (double)mant;
    v = exp10 < 0 ? v / lp__pow10_exact[-exp10] : v * lp__pow10_exact[exp10];
    *out = negative ? -v : v;
    return 1;
}

int lp__decimal_fast(const char *s, size_t len, double *out)
{
    return fast_decimal(s, len, out);
}

/* The general path: libc's correctly rounded strtod on a NUL-terminated copy. */
static int parse_decimal_ref(const char *s, size_t len, double *out)
{
    char small[128];
    char *buf = len < sizeof small ? small : malloc(len + 1);
    if (!buf) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    *out = strtod(buf, NULL);
    if (buf != small) free(buf);
    return 1;
}

lp__cell_kind lp__parse_cell_f32_outline(const char *s, size_t len, float *out)
{
    return lp__parse_cell_f32(s, len, out);
}

double lp__strtod(const char *s, char **end)
{
    /* Find the end of a decimal number: [+-]digits[.digits][(e|E)[+-]digits]. */
    size_t i = 0;
    if (s[i] == '+' || s[i] == '-') i++;
    while (is_digit(s[i])) i++;
    if (s[i] == '.') {
        i++;
        while (is_digit(s[i])) i++;
    }
    if (s[i] == 'e' || s[i] == 'E') {
        size_t e = i + 1;
        if (s[e] == '+' || s[e] == '-') e++;
        if (is_digit(s[e])) {
            while (is_digit(s[e])) e++;
            i = e;
        }
    }
    /* A letter or point right after (hex "0x10", "1.5.3") is strtod's business. */
    char next = s[i];
    int plain_end = !(next == '.' || next == '_' || (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z'));
    double v;
    if (i > 0 && plain_end && is_decimal(s, i) && fast_decimal(s, i, &v)) {
        if (end) *end = (char *)s + i;
        return v;
    }
    return strtod(s, end);
}

lp__cell_kind lp__parse_cell(const char *s, size_t len, double *out)
{
    while (len && (s[0] == ' ' || s[0] == '\t')) s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    if (len == 0 || ieq(s, len, "na") || ieq(s, len, "nan") || ieq(s, len, "null"))
        return LP__CELL_MISSING;

    if (!is_decimal(s, len)) {
        const char *t = s;
        size_t n = len;
        int neg = 0;
        if (n && (t[0] == '+' || t[0] == '-')) neg = t[0] == '-', t++, n--;
        if (ieq(t, n, "inf") || ieq(t, n, "infinity")) {
            *out = neg ? -INFINITY : INFINITY;
            return LP__CELL_NUMBER;
        }
        return LP__CELL_BAD;
    }
    if (fast_decimal(s, len, out)) return LP__CELL_NUMBER;
    return parse_decimal_ref(s, len, out) ? LP__CELL_NUMBER : LP__CELL_BAD;
}

/* Significant digits of x with the given precision: "d.ddd" mantissa digits
 * (without the point) into digits[], decimal exponent into *exp10. */
static int decimal_digits(double x, int precision, char digits[24], int *exp10)
{
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.*e", precision - 1, x);
    int n = 0;
    const char *p = tmp;
    for (; *p && *p != 'e'; p++)
        if (is_digit(*p)) digits[n++] = *p;
    digits[n] = '\0';
    *exp10 = atoi(p + 1);
    return n;
}

static float read_back(const char *digits, int n, int exp10)
{
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%.*se%d", n, digits, exp10 - (n - 1));
    return strtof(tmp, NULL);
}

/* Adds one unit in the last place of a digit string; may carry into a new
 * leading digit (then the exponent grows). */
static int bump_digits(char *digits, int n, int *exp10, int delta)
{
    int i = n - 1;
    if (delta > 0) {
        while (i >= 0 && digits[i] == '9') digits[i--] = '0';
        if (i < 0) {
            memmove(digits + 1, digits, (size_t)n);
            digits[0] = '1';
            digits[n] = '\0';
            (*exp10)++;
            return n;   /* "1000": the trailing zero is dropped below */
        }
        digits[i]++;
    } else {
        while (i >= 0 && digits[i] == '0') digits[i--] = '9';
        if (i < 0 || (i == 0 && digits[0] == '1' && n == 1)) return 0;   /* would reach zero */
        digits[i]--;
        if (digits[0] == '0') {
            memmove(digits, digits + 1, (size_t)n);
            (*exp10)--;
            return n - 1;
        }
    }
    return n;
}

/* JavaScript's Number::toString layout of digits d1..dk with decimal
 * exponent n-1 (ECMA-262 Number::toString, steps for radix 10). */
static size_t js_layout(int negative, const char *digits, int k, int exp10, char *out)
{
    size_t o = 0;
    int n = exp10 + 1;   /* position of the decimal point after digit n */
    if (negative) out[o++] = '-';
    if (k <= n && n <= 21) {
        memcpy(out + o, digits, (size_t)k), o += (size_t)k;
        for (int i = 0; i < n - k; i++) out[o++] = '0';
    } else if (0 < n && n <= 21) {
        memcpy(out + o, digits, (size_t)n), o += (size_t)n;
        out[o++] = '.';
        memcpy(out + o, digits + n, (size_t)(k - n)), o += (size_t)(k - n);
    } else if (-6 < n && n <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = 0; i < -n; i++) out[o++] = '0';
        memcpy(out + o, digits, (size_t)k), o += (size_t)k;
    } else {
        out[o++] = digits[0];
        if (k > 1) {
            out[o++] = '.';
            memcpy(out + o, digits + 1, (size_t)(k - 1)), o += (size_t)(k - 1);
        }
        o += (size_t)sprintf(out + o, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
    }
    out[o] = '\0';
    return o;
}

/* NaN, infinities and zero, or 0 when x is an ordinary number. */
static size_t format_special(float x, char *out)
{
    if (x != x) return (size_t)sprintf(out, "NaN");
    if (isinf(x)) return (size_t)sprintf(out, x < 0 ? "-Infinity" : "Infinity");
    if (x == 0) return (size_t)sprintf(out, "0");
    return 0;
}

size_t lp__format_f32_ref(float x, char out[LP__F32_TEXT_CAP])
{
    size_t special = format_special(x, out);
    if (special) return special;

    int negative = x < 0;
    double v = fabs((double)x);
    float target = (float)v;
    char digits[24], best[24] = {0};
    int best_n = 0, best_exp = 0;
    /* The shortest precision whose correctly rounded decimal reads back.
     * Near a power of two the rounding interval is lopsided and the nearest
     * p-digit decimal may miss while its neighbour hits: try both. */
    for (int p = 1; p <= 9 && !best_n; p++) {
        int exp10;
        int n = decimal_digits(v, p, digits, &exp10);
        if (read_back(digits, n, exp10) == target) {
            memcpy(best, digits, (size_t)n + 1), best_n = n, best_exp = exp10;
            break;
        }
        for (int delta = -1; delta <= 1 && !best_n; delta += 2) {
            char alt[24];
            int alt_exp = exp10;
            memcpy(alt, digits, (size_t)n + 1);
            int alt_n = bump_digits(alt, n, &alt_exp, delta);
            if (alt_n > 0 && read_back(alt, alt_n, alt_exp) == target)
                memcpy(best, alt, (size_t)alt_n + 1), best_n = alt_n, best_exp = alt_exp;
        }
    }
    while (best_n > 1 && best[best_n - 1] == '0') best_n--;   /* "1.50" -> "1.5" */
    return js_layout(negative, best, best_n, best_exp, out);
}

/* ---- the fast formatter ----
 * The same answer as lp__format_f32_ref without printf or strtof (whose
 * long-double arithmetic is slow in WASM).  A candidate n * 10^q is built in
 * double with one rounding; it reads back as x when it lies strictly inside
 * x's float32 rounding interval, whose midpoints are exact doubles.  When a
 * candidate is too close to a midpoint, or two candidates are equally near x,
 * for a double to decide, the reference answers instead. */

static int digit_count(uint64_t n)
{
    int d = 1;
    while (n >= 10) n /= 10, d++;
    return d;
}

static int significant(uint64_t n)
{
    while (n % 10 == 0) n /= 10;
    return digit_count(n);
}

size_t lp__format_f32(float x, char out[LP__F32_TEXT_CAP])
{
    size_t special = format_special(x, out);
    if (special) return special;
    int negative = x < 0;
    float ax = fabsf(x);
    double v = ax;
    double lo = ((double)nextafterf(ax, 0.0f) + v) / 2;        /* exact: 25 bits */
    double hi = ((double)nextafterf(ax, INFINITY) + v) / 2;
    int k = (int)floor(log10(v));   /* decimal exponent, possibly off by one: checked below */

    for (int p = 1; p <= 9; p++) {
        int q = k - p + 1;
        if (q < -22 || q > 22) break;
        double scale = lp__pow10_exact[q < 0 ? -q : q];
        double scaled = q < 0 ? v * scale : v / scale;
        uint64_t n0 = (uint64_t)(scaled + 0.5);
        uint64_t best = 0;
        double best_dist = 0;
        int found = 0, ambiguous = 0;
        for (int d = -1; d <= 1; d++) {
            if ((d < 0 && n0 == 0) || n0 + (uint64_t)d == 0) continue;
            uint64_t n = n0 + (uint64_t)d;
            if (significant(n) > p) continue;
            double value = q < 0 ? (double)n / scale : (double)n * scale;
            double slack = value * 0x1p-50;   /* a few ulps of the one rounding */
            if (fabs(value - lo) <= slack || fabs(value - hi) <= slack) ambiguous = 1;
            if (!(value > lo && value < hi)) continue;
            double dist = fabs(value - v);
            if (found && fabs(dist - best_dist) <= slack) ambiguous = 1;
            if (!found || dist < best_dist) best = n, best_dist = dist, found = 1;
        }
        if (ambiguous) break;
        if (!found) continue;
        char digits[24];
        int len = digit_count(best);
        for (int i = len - 1; i >= 0; i--, best /= 10) digits[i] = (char)('0' + best % 10);
        digits[len] = '\0';
        int exp10 = q + len - 1;
        while (len > 1 && digits[len - 1] == '0') len--;
        return js_layout(negative, digits, len, exp10, out);
    }
    return lp__format_f32_ref(x, out);
}
