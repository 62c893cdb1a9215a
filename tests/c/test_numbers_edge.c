/* test_numbers_edge.c — numeric edge cases of CSV cells against what pandas
 * feeds XGBoost (tests/fixtures/numeric/cells.json, recorded by
 * tests/fixtures/gen/gen_numeric_cells.py): pandas.read_csv correctly rounded
 * to float64, then the float32 that DMatrix makes of it.
 *
 * The engine follows that pipeline: a cell pandas reads as a number gives the
 * same float32 (zeros compare equal: pandas reads "-0" as the integer 0, the
 * engine as -0.0, and no tree can tell them apart); a cell pandas reads as
 * missing is missing; a cell pandas cannot read as a number is an error.
 * The deliberate differences are listed in `deviations` below (and in the
 * README's "Numbers" section); each says what the engine does instead. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "io/number.h"
#include "lp_test.h"

typedef struct deviation {
    const char   *cell;
    lp__cell_kind engine;   /* what the engine does */
    const char   *why;
} deviation;

static const deviation deviations[] = {
    /* pandas 1.5 turns a column with an overflowing number into text; the
     * engine reads it as +-inf, as numpy.float32 and Python's float() do. */
    {"1e309", LP__CELL_NUMBER, "overflow is +-inf (numpy)"},
    {"1e400", LP__CELL_NUMBER, "overflow is +-inf (numpy)"},
    {"123456789012345678901234567890", LP__CELL_NUMBER, "a 30-digit integer is a number (numpy)"},
    /* NA, NaN and null are missing in any letter case. */
    {"NAN", LP__CELL_MISSING, "missing spellings in any case"},
    {"na", LP__CELL_MISSING, "missing spellings in any case"},
    {"Null", LP__CELL_MISSING, "missing spellings in any case"},
    /* A cell of spaces is trimmed to empty: missing. */
    {" ", LP__CELL_MISSING, "spaces around a cell are trimmed"},
    /* pandas' other missing spellings are refused with an error naming the
     * cell, rather than silently read as missing: say them in a manifest's
     * "missing" list, or clean the file. */
    {"N/A", LP__CELL_BAD, "only NA, NaN, null and empty mean missing"},
    {"n/a", LP__CELL_BAD, "only NA, NaN, null and empty mean missing"},
    {"#N/A", LP__CELL_BAD, "only NA, NaN, null and empty mean missing"},
    {"<NA>", LP__CELL_BAD, "only NA, NaN, null and empty mean missing"},
    {"1.#QNAN", LP__CELL_BAD, "only NA, NaN, null and empty mean missing"},
    {"-NaN", LP__CELL_BAD, "only NA, NaN, null and empty mean missing"},
    {"-nan", LP__CELL_BAD, "only NA, NaN, null and empty mean missing"},
};

static const deviation *find_deviation(const char *cell)
{
    for (size_t i = 0; i < sizeof deviations / sizeof *deviations; i++)
        if (strcmp(deviations[i].cell, cell) == 0) return &deviations[i];
    return NULL;
}

static lp__cell_kind kind_of(const char *s)
{
    if (strcmp(s, "number") == 0) return LP__CELL_NUMBER;
    if (strcmp(s, "missing") == 0) return LP__CELL_MISSING;
    return LP__CELL_BAD;   /* "text": the column is not numeric */
}

static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static void test_cells_against_pandas(void)
{
    size_t len;
    uint8_t *text = lp_test_read_file("fixtures/numeric/cells.json", &len);
    if (!LP_CHECK(text != NULL, "cannot read fixtures/numeric/cells.json")) return;
    cJSON *doc = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    const cJSON *cells = cJSON_GetObjectItem(doc, "cells");
    if (!LP_CHECK(cJSON_GetArraySize(cells) > 50, "no cells in the fixture")) {
        cJSON_Delete(doc);
        return;
    }
    size_t n_deviations_seen = 0;
    for (const cJSON *c = cells->child; c; c = c->next) {
        const char *cell = cJSON_GetStringValue(cJSON_GetObjectItem(c, "cell"));
        const cJSON *pandas = cJSON_GetObjectItem(c, "pandas");
        lp__cell_kind want = kind_of(cJSON_GetStringValue(cJSON_GetObjectItem(pandas, "kind")));
        const deviation *dev = find_deviation(cell);
        double v = 0;
        lp__cell_kind got = lp__parse_cell(cell, strlen(cell), &v);
        if (dev) {
            n_deviations_seen++;
            LP_CHECK(want != dev->engine, "\"%s\" is listed as a deviation but pandas agrees", cell);
            LP_CHECK(got == dev->engine, "\"%s\": kind %d, the documented deviation is %d (%s)", cell, (int)got,
                     (int)dev->engine, dev->why);
            if (got == LP__CELL_NUMBER) {   /* the numpy value */
                const cJSON *np = cJSON_GetObjectItem(c, "numpy");
                uint32_t np_bits = (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItem(np, "f32_bits"));
                LP_CHECK(bits_of((float)v) == np_bits, "\"%s\": float32 bits %08x, numpy %08x", cell,
                         (unsigned)bits_of((float)v), (unsigned)np_bits);
            }
            continue;
        }
        if (!LP_CHECK(got == want, "\"%s\": kind %d, pandas reads kind %d", cell, (int)got, (int)want)) continue;
        if (got != LP__CELL_NUMBER) continue;
        uint32_t want_bits = (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItem(pandas, "f32_bits"));
        float f = (float)v, w;
        memcpy(&w, &want_bits, sizeof w);
        LP_CHECK(bits_of(f) == want_bits || (f == 0 && w == 0), "\"%s\": float32 %.9g (%08x), pandas %.9g (%08x)",
                 cell, f, (unsigned)bits_of(f), w, (unsigned)want_bits);
    }
    LP_CHECK(n_deviations_seen == sizeof deviations / sizeof *deviations, "%zu of %zu deviations are in the fixture",
             n_deviations_seen, sizeof deviations / sizeof *deviations);
    cJSON_Delete(doc);
}

void test_numbers_edge(void)
{
    lp_test_run("numbers: edge cases against pandas", test_cells_against_pandas);
}
