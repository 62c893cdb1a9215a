/* test_core.c — src/core: SHA-256 against the FIPS 180-4 / NIST vectors,
 * the status table, lp_error helpers and formatting, and lp_math's exp/log
 * against libm (relative 1e-14, extremes included). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/lp_math.h"
#include "core/sha256.h"
#include "localpredict.h"
#include "lp_test.h"

/* ---- sha256 ---- */
static void check_sha(const char *text, size_t len, const char *want, const char *what)
{
    char hex[65];
    lp__sha256_hex((const uint8_t *)text, len, hex);
    LP_CHECK(strcmp(hex, want) == 0, "sha256(%s): got %s, want %s", what, hex, want);
}

LP_TEST(sha256_standard_vectors)
{
    check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "\"\"");
    check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "\"abc\"");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_sha(m448, strlen(m448), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "448-bit");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                       "klmnopqrlmnopqrsmnopqrstnopqrstu";
    check_sha(m896, strlen(m896), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1", "896-bit");
}

LP_TEST(sha256_million_a_and_block_boundaries)
{
    size_t n = 1000000;
    char *a = malloc(n);
    if (!LP_CHECK(a != NULL, "out of memory")) return;
    memset(a, 'a', n);
    check_sha(a, n, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "1,000,000 x 'a'");
    /* Lengths around the padding boundaries (55/56 bytes: one or two tail
     * blocks), from sha256sum. */
    static const struct { size_t n; const char *hex; } v[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
        {127, "c57e9278af78fa3cab38667bef4ce29d783787a2f731d4e12200270f0c32320a"},
        {128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        char what[32];
        snprintf(what, sizeof what, "%zu x 'a'", v[i].n);
        check_sha(a, v[i].n, v[i].hex, what);
    }
    free(a);
    /* All byte values (hashlib). */
    uint8_t bytes[1024];
    for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (uint8_t)i;
    check_sha((const char *)bytes, sizeof bytes,
              "785b0751fc2c53dc14a4ce3d800e69ef9ce1009eb327ccf458afe09c242c26c9", "bytes 0..255 x 4");
}

/* ---- statuses ---- */
LP_TEST(status_code_and_str_for_every_status)
{
    static const struct { lp_status s; const char *code, *text; } table[] = {
#define X(name, code, text) {name, code, text},
        LP_STATUS_LIST(X)
#undef X
    };
    size_t n = sizeof table / sizeof *table;
    LP_CHECK_EQ_INT(n, LP_STATUS_COUNT);
    for (size_t i = 0; i < n; i++) {
        LP_CHECK_EQ_INT(table[i].s, i);
        LP_CHECK_STR(lp_status_code(table[i].s), table[i].code);
        LP_CHECK_STR(lp_status_str(table[i].s), table[i].text);
        for (size_t k = 0; k < i; k++)
            LP_CHECK(strcmp(table[i].code, table[k].code) != 0, "code %s appears twice", table[i].code);
    }
    LP_CHECK_STR(lp_status_code(LP_OK), "OK");
    LP_CHECK_STR(lp_status_code(LP_ERR_BAD_NUMBER), "BAD_NUMBER");
    LP_CHECK_STR(lp_status_str(LP_ERR_NOMEM), "out of memory");
    LP_CHECK_STR(lp_status_code(LP_STATUS_COUNT), "UNKNOWN");
    LP_CHECK_STR(lp_status_code((lp_status)-1), "UNKNOWN");
    LP_CHECK_STR(lp_status_str((lp_status)1000), "unknown status");
}

LP_TEST(error_clear_fail_prefix)
{
    lp_error err;
    memset(&err, 0x5A, sizeof err);
    lp_error_clear(&err);
    LP_CHECK_EQ_INT(err.code, LP_OK);
    LP_CHECK_EQ_INT(err.line, 0);
    LP_CHECK_EQ_INT(err.column_index, -1);
    LP_CHECK_EQ_INT(err.node, -1);
    LP_CHECK_EQ_INT(err.tree, -1);
    LP_CHECK_STR(err.message, "");
    LP_CHECK_STR(err.column, "");
    LP_CHECK_STR(err.field, "");
    lp_error_clear(NULL);   /* no-op */

    err.line = 7;
    err.tree = 3;
    LP_CHECK_EQ_INT(lp__fail(&err, LP_ERR_BAD_MODEL, "tree %d: %s", 3, "broken"), LP_ERR_BAD_MODEL);
    LP_CHECK_EQ_INT(err.code, LP_ERR_BAD_MODEL);
    LP_CHECK_STR(err.message, "tree 3: broken");
    LP_CHECK_EQ_INT(err.line, 0);   /* lp__fail starts from a clear error */
    LP_CHECK_EQ_INT(err.tree, -1);
    LP_CHECK_EQ_INT(lp__fail(NULL, LP_ERR_LIMIT, "x"), LP_ERR_LIMIT);

    lp__err_prefix(&err, "%s: ", "iris.json");
    LP_CHECK_STR(err.message, "iris.json: tree 3: broken");
    lp__err_prefix(NULL, "ignored");

    /* A long prefix and message are truncated, still NUL-terminated. */
    char big[LP_ERROR_MESSAGE_CAP + 200];
    memset(big, 'm', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    lp__fail(&err, LP_ERR_USAGE, "%s", big);
    LP_CHECK_EQ_INT(strlen(err.message), LP_ERROR_MESSAGE_CAP - 1);
    lp__err_prefix(&err, "PREFIX: ");
    LP_CHECK_EQ_INT(strlen(err.message), LP_ERROR_MESSAGE_CAP - 1);
    LP_CHECK(strncmp(err.message, "PREFIX: mmm", 11) == 0, "prefix not in front: %.20s", err.message);
    lp__err_prefix(&err, "%s", big);
    LP_CHECK_EQ_INT(strlen(err.message), LP_ERROR_MESSAGE_CAP - 1);

    char name[300];
    memset(name, 'n', sizeof name);
    lp__err_set_name(err.column, name, sizeof name);
    LP_CHECK_EQ_INT(strlen(err.column), LP_ERROR_NAME_CAP - 1);
    lp__err_set_name(err.column, "age", 3);
    LP_CHECK_STR(err.column, "age");
}

static void format_case(const lp_error *err, const char *source, const char *want)
{
    char buf[LP_ERROR_MESSAGE_CAP + 300];
    size_t n = lp_error_format(err, source, buf, sizeof buf);
    LP_CHECK_STR(buf, want);
    LP_CHECK_EQ_INT(n, strlen(want));
}

LP_TEST(error_format_variants)
{
    lp_error err;
    lp__fail(&err, LP_ERR_BAD_NUMBER, "not a number: \"abc\"");
    format_case(&err, NULL, "not a number: \"abc\"");
    format_case(&err, "model.json", "model.json: not a number: \"abc\"");
    err.line = 12;
    format_case(&err, NULL, "line 12: not a number: \"abc\"");
    format_case(&err, "data.csv", "data.csv:12: not a number: \"abc\"");
    err.column_index = 4;
    format_case(&err, NULL, "line 12: column 5: not a number: \"abc\"");
    format_case(&err, "data.csv", "data.csv:12: column 5: not a number: \"abc\"");
    lp__err_set_name(err.column, "age", 3);
    format_case(&err, "data.csv", "data.csv:12: column \"age\": not a number: \"abc\"");
    format_case(&err, NULL, "line 12: column \"age\": not a number: \"abc\"");
    /* A column index without a line (a table) is not printed. */
    lp__fail(&err, LP_ERR_BAD_NUMBER, "bad");
    err.column_index = 2;
    format_case(&err, NULL, "bad");

    /* Truncation: cap - 1 characters, NUL-terminated, length returned. */
    lp__fail(&err, LP_ERR_BAD_CSV, "0123456789abcdef");
    err.line = 3;
    char small[10];
    size_t n = lp_error_format(&err, "f.csv", small, sizeof small);
    LP_CHECK_EQ_INT(n, 9);
    LP_CHECK_STR(small, "f.csv:3: ");
    char one[1] = {'X'};
    LP_CHECK_EQ_INT(lp_error_format(&err, "f.csv", one, 1), 0);
    LP_CHECK_EQ_INT(one[0], '\0');
    char zero[1] = {'X'};
    LP_CHECK_EQ_INT(lp_error_format(&err, "f.csv", zero, 0), 0);
    LP_CHECK_EQ_INT(zero[0], 'X');
    /* Exactly full. */
    char exact[8];
    lp__fail(&err, LP_ERR_BAD_CSV, "1234567");
    LP_CHECK_EQ_INT(lp_error_format(&err, NULL, exact, sizeof exact), 7);
    LP_CHECK_STR(exact, "1234567");
}

/* ---- exp / log ---- */
#define MATH_REL_TOL 1e-14
#define SUBNORMAL_ABS_TOL (2 * 4.9406564584124654e-324)

static int close_enough(double got, double want)
{
    if (want != want) return got != got;
    if (isinf(want) || want == 0) return got == want || fabs(got - want) <= SUBNORMAL_ABS_TOL;
    double d = fabs(got - want);
    return d <= MATH_REL_TOL * fabs(want) || d <= SUBNORMAL_ABS_TOL;
}

static void check_exp(double x)
{
    double got = lp__exp(x), want = exp(x);
    LP_CHECK(close_enough(got, want), "lp__exp(%.17g) = %.17g, libm %.17g (rel %.3g)", x, got, want,
             want ? fabs(got - want) / fabs(want) : fabs(got));
}

static void check_log(double x)
{
    double got = lp__log(x), want = log(x);
    LP_CHECK(close_enough(got, want), "lp__log(%.17g) = %.17g, libm %.17g (rel %.3g)", x, got, want,
             want ? fabs(got - want) / fabs(want) : fabs(got));
}

LP_TEST(exp_special_values)
{
    LP_CHECK(lp__exp(0.0) == 1.0, "exp(0) = %.17g", lp__exp(0.0));
    LP_CHECK(lp__exp(-0.0) == 1.0, "exp(-0) = %.17g", lp__exp(-0.0));
    LP_CHECK(isnan(lp__exp(NAN)), "exp(NaN) = %g", lp__exp(NAN));
    LP_CHECK(lp__exp(INFINITY) == INFINITY, "exp(inf) = %g", lp__exp(INFINITY));
    LP_CHECK(lp__exp(-INFINITY) == 0.0, "exp(-inf) = %g", lp__exp(-INFINITY));
    LP_CHECK(lp__exp(1000.0) == INFINITY, "exp(1000) = %g", lp__exp(1000.0));
    LP_CHECK(lp__exp(-1000.0) == 0.0, "exp(-1000) = %g", lp__exp(-1000.0));
}

LP_TEST(exp_matches_libm)
{
    /* The edges of the finite range: exp overflows above ln(DBL_MAX) =
     * 709.782712893384, results are subnormal below -708.39 and round to 0
     * below -745.13. */
    static const double edges[] = {
        709.782712893384, 709.78, 709.7, 709.5, 709.1, 709.0, 708.9, 708.0, 700.0, -700.0,
        -708.3964185322641, -708.4, -708.5, -720.0, -740.0, -744.0, -744.4, -745.0, -745.1,
        -745.13, 1e-300, -1e-300, 1e-17, -1e-17, 1e-9, -1e-9, 0.34657359027997264, -0.34657359027997264,
        0.5, -0.5, 1.0, -1.0, 2.0, 10.0, -10.0, 88.72, -87.33, 0.6931471805599453, 0.6931471805599454,
        -0.6931471805599453,
    };
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) check_exp(edges[i]);
    for (int k = -745; k <= 709; k++) check_exp(k), check_exp(k + 0.5);
    for (int k = -1100; k <= 1020; k++) check_exp(k * 0.6931471805599453);   /* near k*ln2 */
    lp_test_rng rng = {1};
    for (int i = 0; i < 20000; i++) check_exp(lp_test_uniform(&rng, -745.0, 709.78));
    for (int i = 0; i < 20000; i++) check_exp(lp_test_uniform(&rng, -40.0, 40.0));   /* sigmoid range */
    for (int i = 0; i < 2000; i++) check_exp(ldexp(lp_test_uniform(&rng, -1, 1), -(int)lp_test_below(&rng, 60)));
}

LP_TEST(log_special_values)
{
    LP_CHECK(lp__log(1.0) == 0.0, "log(1) = %.17g", lp__log(1.0));
    LP_CHECK(lp__log(0.0) == -INFINITY, "log(0) = %g", lp__log(0.0));
    LP_CHECK(lp__log(-0.0) == -INFINITY, "log(-0) = %g", lp__log(-0.0));
    LP_CHECK(isnan(lp__log(-1.0)), "log(-1) = %g", lp__log(-1.0));
    LP_CHECK(isnan(lp__log(-INFINITY)), "log(-inf) = %g", lp__log(-INFINITY));
    LP_CHECK(isnan(lp__log(NAN)), "log(NaN) = %g", lp__log(NAN));
    LP_CHECK(lp__log(INFINITY) == INFINITY, "log(inf) = %g", lp__log(INFINITY));
}

LP_TEST(log_matches_libm)
{
    static const double edges[] = {
        DBL_MAX, DBL_MIN, 4.9406564584124654e-324, 1e-320, 2.2250738585072009e-308, 1e-300, 1e300,
        0.5, 2.0, 0.7071067811865476, 0.7071067811865475, 1.4142135623730951, 1.4142135623730950,
        1.0 + DBL_EPSILON, 1.0 - DBL_EPSILON / 2, 1.0 + 1e-10, 1.0 - 1e-10, 0.9999, 1.0001, 10.0, 0.1,
        3.0, 1e-7, 0.612466, 1.632743, /* logit of the binary fixture's base_score */
    };
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) check_log(edges[i]);
    for (int e = -1074; e <= 1023; e++) check_log(ldexp(1.0, e)), check_log(ldexp(1.5, e < 1023 ? e : 1022));
    lp_test_rng rng = {2};
    for (int i = 0; i < 20000; i++) {   /* random positive finite bit patterns */
        uint64_t bits = lp_test_rand(&rng) & 0x7FFFFFFFFFFFFFFFull;
        double x;
        memcpy(&x, &bits, sizeof x);
        if (x > 0 && isfinite(x)) check_log(x);
    }
    for (int i = 0; i < 20000; i++) check_log(lp_test_uniform(&rng, 1e-6, 4.0));
    for (int i = 0; i < 2000; i++) check_log(1.0 + lp_test_uniform(&rng, -1e-6, 1e-6));
}

void test_core(void)
{
    LP_RUN(sha256_standard_vectors);
    LP_RUN(sha256_million_a_and_block_boundaries);
    LP_RUN(status_code_and_str_for_every_status);
    LP_RUN(error_clear_fail_prefix);
    LP_RUN(error_format_variants);
    LP_RUN(exp_special_values);
    LP_RUN(exp_matches_libm);
    LP_RUN(log_special_values);
    LP_RUN(log_matches_libm);
}
