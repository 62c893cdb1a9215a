/* number.c — cell parsing and float32 formatting; see number.h. */
#include "number.h"

#include <math.h>
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
    char small[128];
    char *buf = len < sizeof small ? small : malloc(len + 1);
    if (!buf) return LP__CELL_BAD;
    memcpy(buf, s, len);
    buf[len] = '\0';
    *out = strtod(buf, NULL);
    if (buf != small) free(buf);
    return LP__CELL_NUMBER;
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

size_t lp__format_f32(float x, char out[LP__F32_TEXT_CAP])
{
    if (x != x) return (size_t)sprintf(out, "NaN");
    if (isinf(x)) return (size_t)sprintf(out, x < 0 ? "-Infinity" : "Infinity");
    if (x == 0) return (size_t)sprintf(out, "0");

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
