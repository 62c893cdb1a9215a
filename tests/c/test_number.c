/* test_number.c — src/io/number: reading CSV cells (missing spellings, the
 * decimal grammar, what is refused) and writing float32 probabilities (the
 * shortest round-tripping decimal in JavaScript's notation), with a
 * round-trip property over random float32 bit patterns. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/number.h"
#include "lp_test.h"

/* ---- parsing ---- */
static const char *kind_name(lp__cell_kind k)
{
    return k == LP__CELL_NUMBER ? "NUMBER" : k == LP__CELL_MISSING ? "MISSING" : "BAD";
}

static void expect_kind(const char *cell, lp__cell_kind want)
{
    double v = 12345;
    lp__cell_kind got = lp__parse_cell(cell, strlen(cell), &v);
    LP_CHECK(got == want, "parse_cell(\"%s\") = %s, want %s", cell, kind_name(got), kind_name(want));
}

static void expect_number(const char *cell, double want)
{
    double v = 12345;
    lp__cell_kind got = lp__parse_cell(cell, strlen(cell), &v);
    if (!LP_CHECK(got == LP__CELL_NUMBER, "parse_cell(\"%s\") = %s, want NUMBER", cell, kind_name(got))) return;
    LP_CHECK(v == want && signbit(v) == signbit(want), "parse_cell(\"%s\") = %.17g, want %.17g", cell, v, want);
}

LP_TEST(parse_missing_spellings)
{
    static const char *const missing[] = {"", " ", "   ", "\t", " \t ", "NA", "na", "Na", "nA", "NaN",
                                          "nan", "NAN", "nAn", "null", "NULL", "Null", " NA ", "\tnull\t",
                                          "  nan"};
    for (size_t i = 0; i < sizeof missing / sizeof *missing; i++) expect_kind(missing[i], LP__CELL_MISSING);
    /* Only spaces and tabs are trimmed; other words are not missing. */
    expect_kind("N/A", LP__CELL_BAD);
    expect_kind("none", LP__CELL_BAD);
    expect_kind("nil", LP__CELL_BAD);
    expect_kind("NA NA", LP__CELL_BAD);
    expect_kind("\n", LP__CELL_BAD);
}

LP_TEST(parse_numbers)
{
    expect_number("0", 0.0);
    expect_number("-0", -0.0);
    expect_number("+0", 0.0);
    expect_number("1", 1.0);
    expect_number("+1.5", 1.5);
    expect_number("-1.5", -1.5);
    expect_number("0.1", 0.1);
    expect_number(".5", 0.5);
    expect_number("5.", 5.0);
    expect_number("-.25", -0.25);
    expect_number("1e3", 1000.0);
    expect_number("1E3", 1000.0);
    expect_number("1e+3", 1000.0);
    expect_number("2.5e-3", 0.0025);
    expect_number("-2.5E-03", -0.0025);
    expect_number("  42  ", 42.0);
    expect_number("\t42\t", 42.0);
    expect_number(" \t-7.25e1 \t", -72.5);
    expect_number("6.124661E-1", 0.6124661);
    expect_number("00012", 12.0);
    expect_number("1.7976931348623157e308", DBL_MAX);
    expect_number("4.9406564584124654e-324", 4.9406564584124654e-324);
    /* Correctly rounded: the halfway case between two doubles. */
    expect_number("9007199254740993", 9007199254740992.0);
    expect_number("0.30000000000000004", 0.30000000000000004);
    /* Infinity in any case, with a sign. */
    expect_number("inf", INFINITY);
    expect_number("Inf", INFINITY);
    expect_number("+inf", INFINITY);
    expect_number("-inf", -INFINITY);
    expect_number("Infinity", INFINITY);
    expect_number("-Infinity", -INFINITY);
    expect_number("INFINITY", INFINITY);
    expect_number(" -infinity ", -INFINITY);
}

LP_TEST(parse_rejects)
{
    static const char *const bad[] = {
        "0x1p3", "0x10", "1,5", "abc", "1e", "1e+", "1E-", ".", "-", "+", "--1", "+-1", "1-", "1.2.3", "e5",
        ".e1", "1 2", "1_000", "1e5.5", "infx", "-nan", "nan(1)", "NaNs", "in", "infinit", "++inf",
        "1\n", "\v1", "１", "1e1e1", "0b101", "1f", "1d", "$1", "1%",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) expect_kind(bad[i], LP__CELL_BAD);
    /* The length bounds the cell: bytes after it are not read. */
    double v = 0;
    LP_CHECK(lp__parse_cell("12abc", 2, &v) == LP__CELL_NUMBER && v == 12.0, "prefix of \"12abc\" read as %g", v);
    LP_CHECK(lp__parse_cell("NAN", 2, &v) == LP__CELL_MISSING, "\"NA\" prefix of \"NAN\" should be missing");
}

LP_TEST(parse_long_digit_strings)
{
    /* Longer than the 128-byte stack buffer: the heap path. */
    char s[1200];
    memset(s, '0', sizeof s);
    s[0] = '1';
    s[201] = '\0';   /* 1 followed by 200 zeros */
    expect_number(s, 1e200);
    s[0] = '0', s[1] = '.';
    memset(s + 2, '0', 300);
    s[302] = '5', s[303] = '\0';   /* 0.000...05 = 5e-301 */
    expect_number(s, 5e-301);
    /* 1000 significant digits of 1/3. */
    s[0] = '0', s[1] = '.';
    memset(s + 2, '3', 1000);
    s[1002] = '\0';
    expect_number(s, 1.0 / 3.0);
    /* With padding around it and an exponent. */
    char t[1300];
    snprintf(t, sizeof t, "  %se3 \t", s);
    expect_number(t, 1000.0 / 3.0);
    /* A long bad cell is still refused. */
    s[500] = 'x';
    expect_kind(s, LP__CELL_BAD);
    /* Exactly at the buffer boundary: 127 and 128 characters. */
    memset(s, '1', 128);
    s[127] = '\0';
    double v127 = strtod(s, NULL);
    expect_number(s, v127);
    s[127] = '1', s[128] = '\0';
    double v128 = strtod(s, NULL);
    expect_number(s, v128);
}

/* ---- formatting ---- */
static void expect_text(float x, const char *want)
{
    char out[LP__F32_TEXT_CAP];
    memset(out, 'Z', sizeof out);
    size_t n = lp__format_f32(x, out);
    LP_CHECK(strcmp(out, want) == 0 && n == strlen(want), "format_f32(%.9g) = \"%s\" (len %zu), want \"%s\"",
             (double)x, out, n, want);
}

LP_TEST(format_fixed_cases)
{
    expect_text(0.0f, "0");
    expect_text(-0.0f, "0");
    expect_text(1.0f, "1");
    expect_text(-1.0f, "-1");
    expect_text(0.5f, "0.5");
    expect_text(-2.5f, "-2.5");
    expect_text(0.1f, "0.1");
    expect_text(0.3f, "0.3");
    expect_text(1.0f / 3.0f, "0.33333334");
    expect_text(2.0f / 3.0f, "0.6666667");
    expect_text(100.0f, "100");
    expect_text(1e-7f, "1e-7");
    expect_text(1.5e-6f, "0.0000015");
    expect_text(1e-6f, "0.000001");
    expect_text(nextafterf(1e-6f, 0.0f), "9.999999e-7");   /* just below the switch */
    expect_text(123456789.0f, "123456790");
    expect_text(16777216.0f, "16777216");
    expect_text(1e10f, "10000000000");
    expect_text(1e20f, "100000000000000000000");
    expect_text(1e21f, "1e+21");
    expect_text(3.4028235e38f, "3.4028235e+38");
    expect_text(-3.4028235e38f, "-3.4028235e+38");
    expect_text(FLT_MIN, "1.1754944e-38");
    expect_text(1.4e-45f, "1e-45");          /* the smallest subnormal */
    expect_text(-1.4e-45f, "-1e-45");
    expect_text(0.00171250198f, "0.001712502");
    expect_text(0.998287499f, "0.9982875");
    /* Ties between two shortest decimals go to the even digit (ECMA-262). */
    expect_text(ldexpf(1.0f, -12), "0.00024414062");
    expect_text(4194303.75f, "4194303.8");
    /* Near powers of two only a neighbour of the rounded decimal reads back. */
    expect_text(1.26217745e-29f, "1.2621775e-29");
    expect_text(NAN, "NaN");
    expect_text(INFINITY, "Infinity");
    expect_text(-INFINITY, "-Infinity");
}

/* Significant digits of a formatted number: leading and trailing zeros of
 * the mantissa do not count. */
static int significant_digits(const char *text)
{
    char digits[64];
    int n = 0;
    for (const char *p = text; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9') digits[n++] = *p;
    int a = 0, b = n;
    while (a < b && digits[a] == '0') a++;
    while (b > a && digits[b - 1] == '0') b--;
    return b - a;
}

/* The shortest decimal that reads back as x, found independently of the
 * engine: at each precision p the candidates are the correctly rounded
 * p-digit decimal and its two neighbours (near a power of two the rounding
 * interval is lopsided and only a neighbour may hit).  Returns the digit
 * count and, in *want, the value JavaScript prints: the round-tripping
 * candidate nearest to x, the even one on a tie (ECMA-262 Number::toString). */
static int true_shortest(float x, double *want)
{
    char tmp[48];
    double ax = fabs((double)x);
    for (int p = 1; p <= 9; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, ax);
        long long mant = 0;
        const char *q = tmp;
        for (; *q && *q != 'e'; q++)
            if (*q >= '0' && *q <= '9') mant = mant * 10 + (*q - '0');
        int e = atoi(q + 1) - (p - 1);
        int n_found = 0;
        double value[3], dist[3];
        long long cand[3];
        for (int d = -1; d <= 1; d++) {
            long long c = mant + d;
            if (c <= 0) continue;
            snprintf(tmp, sizeof tmp, "%llde%d", c, e);
            if (strtof(tmp, NULL) != fabsf(x)) continue;
            /* A neighbour may carry (999 -> 1000): count what it really has. */
            char digits[32];
            snprintf(digits, sizeof digits, "%lld", c);
            int n = (int)strlen(digits);
            while (n > 1 && digits[n - 1] == '0') n--;
            if (n > p) continue;
            value[n_found] = strtod(tmp, NULL);
            dist[n_found] = fabs(value[n_found] - ax);
            cand[n_found++] = c;
        }
        if (!n_found) continue;
        int best = 0;
        for (int i = 1; i < n_found; i++)
            if (dist[i] < dist[best]) best = i;
        /* A tie: the even one.  The candidates' doubles are off by up to
         * 1.1e-16 of their value, and a distance is at least 5e-10 of it
         * (p <= 9 digits), so equal distances agree to about 2.2e-7. */
        for (int i = 0; i < n_found; i++)
            if (i != best && fabs(dist[i] - dist[best]) <= 1e-6 * dist[best] && cand[i] % 2 == 0) best = i;
        *want = value[best];
        return p;
    }
    *want = ax;
    return 9;
}

static int check_format_property(float x)
{
    char out[LP__F32_TEXT_CAP];
    size_t n = lp__format_f32(x, out);
    if (n != strlen(out) || n >= LP__F32_TEXT_CAP)
        return LP_CHECK(0, "format_f32(%a): length %zu for \"%s\"", (double)x, n, out);
    float back = strtof(out, NULL);
    if (back != x) return LP_CHECK(0, "format_f32(%.9g) = \"%s\" reads back as %.9g", (double)x, out, (double)back);
    if (x == 0) return LP_CHECK(strcmp(out, "0") == 0, "format_f32(%g) = \"%s\"", (double)x, out);
    double closest = 0;
    int sig = significant_digits(out), best = true_shortest(x, &closest);
    if (sig != best)
        return LP_CHECK(0, "format_f32(%.9g) = \"%s\" has %d significant digits; the shortest has %d", (double)x, out,
                        sig, best);
    if (fabs(strtod(out, NULL)) != closest)
        return LP_CHECK(0, "format_f32(%.9g) = \"%s\"; JavaScript prints the shortest decimal %.17g", (double)x, out, closest);
    /* JavaScript's Number::toString: plain for 1e-6 <= |v| < 1e21 (v the
     * decimal printed), exponent form "d[.ddd]e+n" / "e-n" otherwise. */
    double v = fabs(strtod(out, NULL));
    int plain = v == 0 || (v >= 1e-6 && v < 1e21);
    const char *e = strchr(out, 'e');
    const char *m = out + (out[0] == '-');
    if (plain) {
        if (e) return LP_CHECK(0, "format_f32(%.9g) = \"%s\": %g should be in plain notation", (double)x, out, v);
        const char *dot = strchr(m, '.');
        if (dot && (out[n - 1] == '0' || out[n - 1] == '.'))
            return LP_CHECK(0, "\"%s\": trailing zero or point", out);
        if (m[0] == '0' && m[1] != '\0' && m[1] != '.') return LP_CHECK(0, "\"%s\": leading zero", out);
        if (m[0] == '.') return LP_CHECK(0, "\"%s\": no digit before the point", out);
    } else {
        if (!e) return LP_CHECK(0, "format_f32(%.9g) = \"%s\": %g should be in exponent notation", (double)x, out, v);
        if (e[1] != '+' && e[1] != '-') return LP_CHECK(0, "\"%s\": exponent without its sign", out);
        if (e[2] == '0') return LP_CHECK(0, "\"%s\": exponent with a leading zero", out);
        if (m[0] < '1' || m[0] > '9' || (m[1] != 'e' && m[1] != '.'))
            return LP_CHECK(0, "\"%s\": mantissa should be d or d.ddd", out);
        if (m[1] == '.' && (e[-1] == '0' || e[-1] == '.')) return LP_CHECK(0, "\"%s\": trailing zero or point", out);
    }
    return 1;
}

LP_TEST(format_round_trip_random_bits)
{
    lp_test_rng rng = {3};
    int failures = 0;
    for (int i = 0; i < 50000 && failures < 20; i++) {
        uint32_t bits = (uint32_t)lp_test_rand(&rng);
        float x;
        memcpy(&x, &bits, sizeof x);
        if (!isfinite(x)) continue;
        failures += !check_format_property(x);
    }
}

LP_TEST(format_round_trip_special_ranges)
{
    int failures = 0;
    /* Every power of two (lopsided rounding intervals) and its neighbours. */
    for (int e = -149; e <= 127 && failures < 20; e++) {
        float p = ldexpf(1.0f, e);
        failures += !check_format_property(p);
        failures += !check_format_property(nextafterf(p, 0.0f));
        failures += !check_format_property(nextafterf(p, INFINITY));
    }
    /* Around the notation switches and powers of ten. */
    for (int k = -45; k <= 38 && failures < 20; k++) {
        float p = strtof("1", NULL);
        char tmp[16];
        snprintf(tmp, sizeof tmp, "1e%d", k);
        p = strtof(tmp, NULL);
        for (int d = -3; d <= 3; d++) {
            float q = p;
            for (int s = 0; s < (d < 0 ? -d : d); s++) q = nextafterf(q, d < 0 ? 0.0f : INFINITY);
            failures += !check_format_property(q);
        }
    }
    /* Probabilities: the whole (0, 1) range at a fine step, and the
     * subnormals. */
    lp_test_rng rng = {4};
    for (int i = 0; i < 30000 && failures < 20; i++)
        failures += !check_format_property((float)lp_test_uniform(&rng, 0.0, 1.0));
    for (uint32_t b = 1; b < 5000 && failures < 20; b += 7) {
        float x;
        memcpy(&x, &b, sizeof x);
        failures += !check_format_property(x);
    }
    /* Integers, which print without a point. */
    for (int i = 0; i < 3000 && failures < 20; i++) failures += !check_format_property((float)i);
}

/* The fast formatter and its printf-based reference agree byte for byte:
 * random bit patterns, probabilities and the neighbours of powers of two. */
LP_TEST(format_fast_matches_reference)
{
    lp_test_rng rng = {11};
    int failures = 0;
    for (int i = 0; i < 100000 && failures < 20; i++) {
        float x;
        if (i % 3 == 0) {
            uint32_t bits = (uint32_t)lp_test_rand(&rng);
            memcpy(&x, &bits, sizeof x);
        } else if (i % 3 == 1) {
            x = (float)lp_test_uniform(&rng, 0.0, 1.0);
        } else {
            x = nextafterf(ldexpf(1.0f, (int)lp_test_below(&rng, 276) - 149), (i & 4) ? 0.0f : INFINITY);
        }
        char fast[LP__F32_TEXT_CAP], ref[LP__F32_TEXT_CAP];
        lp__format_f32(x, fast);
        lp__format_f32_ref(x, ref);
        if (strcmp(fast, ref) != 0) failures += !LP_CHECK(0, "%a: fast \"%s\", reference \"%s\"", (double)x, fast, ref);
    }
}

/* The fast decimal path gives strtod's double for the numbers CSVs hold. */
LP_TEST(parse_fast_matches_strtod)
{
    lp_test_rng rng = {12};
    int failures = 0;
    for (int i = 0; i < 200000 && failures < 20; i++) {
        char text[64];
        int digits = 1 + (int)lp_test_below(&rng, 19);
        int point = (int)lp_test_below(&rng, (uint32_t)digits + 1);
        int n = 0;
        if (lp_test_below(&rng, 2)) text[n++] = '-';
        for (int d = 0; d < digits; d++) {
            if (d == point && d > 0) text[n++] = '.';
            text[n++] = (char)('0' + lp_test_below(&rng, 10));
        }
        if (lp_test_below(&rng, 4) == 0) n += sprintf(text + n, "e%d", (int)lp_test_below(&rng, 60) - 30);
        text[n] = '\0';
        double got = 0, want = strtod(text, NULL);
        if (lp__parse_cell(text, (size_t)n, &got) != LP__CELL_NUMBER || memcmp(&got, &want, sizeof got) != 0)
            failures += !LP_CHECK(0, "\"%s\": parsed %.17g, strtod %.17g", text, got, want);
    }
}

/* lp__strtod (cJSON's number parser) stops where strtod stops and gives
 * the same double, on the fast path and off it. */
LP_TEST(strtod_replacement_matches_strtod)
{
    static const char *const cases[] = {
        "1.5,", "-0.25]", "1e5x", "2E-3}", "abc", "1e", "1e+", "-", ".5", "5.", "0", "-0",
        "123456789012345678901234567890", "4.9e-324", "1e400", "-1e-400", "0.1 ", "6.124661E-1\"",
        "9007199254740993", "1e22", "1e23", "nan", "inf", "0x10",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *end_fast = NULL, *end_ref = NULL;
        double fast = lp__strtod(cases[i], &end_fast), ref = strtod(cases[i], &end_ref);
        LP_CHECK(memcmp(&fast, &ref, sizeof fast) == 0 || (fast != fast && ref != ref),
                 "\"%s\": %.17g, strtod %.17g", cases[i], fast, ref);
        LP_CHECK(end_fast == end_ref, "\"%s\": stops at %d, strtod at %d", cases[i],
                 (int)(end_fast - cases[i]), (int)(end_ref - cases[i]));
    }
}

/* ---- the float32 fast path (lp__parse_cell_f32, lp__parse_cell_f32_in) ---- */

/* One random cell: mostly numbers as CSV writers print them, and some text
 * that only looks like one. */
static int random_cell(lp_test_rng *rng, char *text)
{
    static const char *const odd[] = {
        "", " ", "-", "+", ".", "-.", "+.e1", "1e", "1e+", "1e-", "1.2.3", "1,5", "0x10", "1_000", "1e5x",
        " 1.5", "1.5 ", "\t2", "NA", "nan", "NULL", "inf", "-Infinity", "1d5", "++1", "--1", "1-", "e5",
        "12345678.9", "1234567.12345678", "0.000000000000000000001", "00000000000000000001.5",
        "9007199254740993", "9007199254740992.5", "123456789012345678901", "1e22", "1e23", "1e-22", "1e-23",
        "3.4028235e38", "3.4028236e38", "1.4e-45", "7e-46", "1.17549435e-38", "-0", "-0.0", "+0.5",
        "16777217", "16777216.5", "0.1000000000000000055511151231257827",
    };
    int n = 0;
    switch (lp_test_below(rng, 12)) {
    case 10:
    case 11: {
        /* The 7-digit decimal nearest a midpoint between two float32s: the
         * hardest cells for the float32 division of short mantissas. */
        float f = (float)lp_test_uniform(rng, 1e-7, 1.0) * (float)pow(10.0, (double)lp_test_below(rng, 8));
        double mid = ((double)f + (double)nextafterf(f, INFINITY)) / 2;
        return sprintf(text, "%.*f", (int)lp_test_below(rng, 8), mid);
    }
    case 8:
    case 9: {
        /* On or next to a midpoint between two float32s, where rounding is
         * decided: from 2^17 on, midpoints have at most 7 fraction digits. */
        float f = (float)lp_test_uniform(rng, 131072.0, 9999999.0);
        double mid = ((double)f + (double)nextafterf(f, INFINITY)) / 2;
        return sprintf(text, "%.7f", mid + 1e-7 * ((int)lp_test_below(rng, 3) - 1));
    }
    case 0: {   /* a float32 as %.{1..9}g prints it */
        uint32_t bits = (uint32_t)lp_test_rand(rng);
        float f;
        memcpy(&f, &bits, sizeof f);
        if (f != f || isinf(f)) f = 1.5f;
        n = sprintf(text, "%.*g", 1 + (int)lp_test_below(rng, 9), (double)f);
        break;
    }
    case 1:
    case 2:   /* %.7g of values like a model's features (the benchmark's data) */
        n = sprintf(text, "%.7g", (double)(float)lp_test_uniform(rng, -40, 40) *
                                      (lp_test_below(rng, 4) ? 1 : lp_test_uniform(rng, 1e-9, 1e9)));
        break;
    case 3:
        return sprintf(text, "%s", odd[lp_test_below(rng, sizeof odd / sizeof *odd)]);
    default: {   /* random digits, point, exponent, signs and leading zeros */
        uint32_t sign = lp_test_below(rng, 4);
        if (sign == 1) text[n++] = '-';
        if (sign == 2) text[n++] = '+';
        int int_digits = (int)lp_test_below(rng, 12), frac_digits = (int)lp_test_below(rng, 12);
        int zeros = lp_test_below(rng, 4) == 0;
        for (int d = 0; d < int_digits; d++) text[n++] = (char)('0' + (zeros && d < 3 ? 0 : lp_test_below(rng, 10)));
        if (frac_digits || lp_test_below(rng, 4) == 0) text[n++] = '.';
        for (int d = 0; d < frac_digits; d++) text[n++] = (char)('0' + lp_test_below(rng, 10));
        if (lp_test_below(rng, 5) == 0)
            n += sprintf(text + n, "%c%s%d", lp_test_below(rng, 2) ? 'e' : 'E',
                         lp_test_below(rng, 3) == 0 ? "+" : "", (int)lp_test_below(rng, 90) - 45);
        text[n] = '\0';
    }
    }
    return n;
}

/* The fast path must give (float)strtod(cell) bit for bit, and lp__parse_cell's
 * kind, on every cell; and the same when the cell sits in a larger buffer
 * whose next bytes look like more number ("1.5" followed by "23e4,"). */
LP_TEST(parse_f32_matches_strtod_on_random_decimals)
{
#ifdef __EMSCRIPTEN__
    const long count = 300000;   /* musl's strtod is slow in WASM */
#else
    const long count = 1000000;
#endif
    static const char trailers[] = "0123456789.eE+-, \n\"";
    lp_test_rng rng = {2024};
    int failures = 0;
    long numbers = 0;
    for (long i = 0; i < count && failures < 20; i++) {
        char text[96], buf[128];
        int n = random_cell(&rng, text);
        double ref_d = 0;
        lp__cell_kind want = lp__parse_cell(text, (size_t)n, &ref_d);
        float want_f = (float)strtod(text, NULL);
        float got = 0, got_in = 0;
        lp__cell_kind kind = lp__parse_cell_f32(text, (size_t)n, &got);
        memcpy(buf, text, (size_t)n);
        size_t extra = 17 + lp_test_below(&rng, 16);
        for (size_t k = 0; k < extra; k++) buf[n + k] = trailers[lp_test_below(&rng, sizeof trailers - 1)];
        lp__cell_kind kind_in = lp__parse_cell_f32_in(buf, (size_t)n, (size_t)n + extra, &got_in);
        if (kind != want || kind_in != want) {
            failures += !LP_CHECK(0, "\"%s\": kind %d / %d, lp__parse_cell says %d", text, kind, kind_in, want);
            continue;
        }
        if (want != LP__CELL_NUMBER) continue;
        numbers++;
        if (memcmp(&got, &want_f, sizeof got) != 0 || memcmp(&got_in, &want_f, sizeof got) != 0)
            failures += !LP_CHECK(0, "\"%s\": %a / %a, (float)strtod %a", text, (double)got, (double)got_in,
                                  (double)want_f);
    }
    LP_CHECK(failures || numbers > count / 2, "only %ld of %ld cells were numbers", numbers, count);
}

/* The eight-digit edges of lp__parse_cell_f32_in: 8 fraction digits (the
 * float32 division is exact-rounding there only by the margin number.h
 * proves), 8 integer digits, both (mantissas past 2^53 must take the slow
 * path), and nine (never the fast path).  Each cell is compared with
 * (float)strtod, bit for bit, alone and followed by more digits in its
 * buffer; and with strtof where a double cannot round twice (mant < 2^24). */
LP_TEST(parse_f32_eight_digit_edges)
{
    static const char *const fixed[] = {
        "0.00000001", "0.99999999", "9.99999999", "99999999", "99999999.9", "0.12345678", "-0.12345678",
        "12345678.12345678", "90071992.54740993", "90071992.54740992", "99999999.99999999", "00000000.00000000",
        "16777215.5", "16777216.5", "8388607.75", "0.000000015", "1.00000005", "0.16777217", "-16777217",
        "123456789", "0.123456789", "1234567.8", ".12345678", "12345678.", "-.00000001", "+99999999",
    };
    lp_test_rng rng = {88};
    int failures = 0;
    for (int i = 0; i < 200000 + (int)(sizeof fixed / sizeof *fixed) && failures < 20; i++) {
        char text[64], buf[96];
        int n;
        if (i < (int)(sizeof fixed / sizeof *fixed)) {
            n = sprintf(text, "%s", fixed[i]);
        } else if (i % 3 == 0) {
            /* The 8-fraction-digit decimals nearest a float32 midpoint. */
            float f = (float)lp_test_uniform(&rng, 1e-8, 1.0) * (float)pow(10.0, (double)lp_test_below(&rng, 8));
            double mid = ((double)f + (double)nextafterf(f, INFINITY)) / 2;
            n = sprintf(text, "%s%.8f", lp_test_below(&rng, 2) ? "-" : "", mid);
        } else {
            /* Up to nine digits on each side of the point. */
            n = 0;
            int a = (int)lp_test_below(&rng, 10), b = (int)lp_test_below(&rng, 10);
            for (int d = 0; d < a; d++) text[n++] = (char)('0' + lp_test_below(&rng, 10));
            text[n++] = '.';
            for (int d = 0; d < b; d++) text[n++] = (char)('0' + lp_test_below(&rng, 10));
            if (a + b == 0) text[n++] = '5';
            text[n] = '\0';
        }
        float want = (float)strtod(text, NULL), got = 0, got_in = 0;
        lp__cell_kind kind = lp__parse_cell_f32(text, (size_t)n, &got);
        memcpy(buf, text, (size_t)n);
        for (int k = 0; k < 24; k++) buf[n + k] = (char)('0' + lp_test_below(&rng, 10));   /* digits after the cell */
        lp__cell_kind kind_in = lp__parse_cell_f32_in(buf, (size_t)n, (size_t)n + 24, &got_in);
        if (kind != LP__CELL_NUMBER || kind_in != LP__CELL_NUMBER || memcmp(&got, &want, sizeof got) != 0 ||
            memcmp(&got_in, &want, sizeof got) != 0)
            failures += !LP_CHECK(0, "\"%s\": %a / %a (kinds %d %d), (float)strtod %a", text, (double)got,
                                  (double)got_in, kind, kind_in, (double)want);
        /* Short mantissas round once either way: strtof agrees too. */
        size_t digits = 0;
        for (int k = 0; k < n; k++) digits += text[k] >= '0' && text[k] <= '9';
        if (digits <= 7 && memcmp(&got_in, &(float){strtof(text, NULL)}, sizeof got) != 0)
            failures += !LP_CHECK(0, "\"%s\": %a, strtof %a", text, (double)got_in, (double)strtof(text, NULL));
    }
}

void test_number(void)
{
    LP_RUN(parse_missing_spellings);
    LP_RUN(parse_numbers);
    LP_RUN(parse_rejects);
    LP_RUN(parse_long_digit_strings);
    LP_RUN(format_fixed_cases);
    LP_RUN(format_round_trip_random_bits);
    LP_RUN(format_round_trip_special_ranges);
    LP_RUN(format_fast_matches_reference);
    LP_RUN(parse_fast_matches_strtod);
    LP_RUN(strtod_replacement_matches_strtod);
    LP_RUN(parse_f32_matches_strtod_on_random_decimals);
    LP_RUN(parse_f32_eight_digit_edges);
}
