/* cells.c — see cells.h. */
#include "cells.h"

#include <math.h>

#include "../core/error.h"

float lp__value_to_f32(const lp_model *m, double v)
{
    /* Compared in float32, as XGBoost compares its `missing` value. */
    float f = (float)v;
    for (size_t i = 0; i < m->n_missing_values; i++)
        if (f == (float)m->missing_values[i]) return NAN;
    return f;
}

lp_status lp__bad_cell(const char *text, size_t len, lp_error *err)
{
    int shown = len > 40 ? 40 : (int)len;
    return lp__fail(err, LP_ERR_BAD_NUMBER, "not a number: \"%.*s%s\" (a numeric column takes "
                    "numbers; empty, NA, NaN or null mean missing)", shown, text, len > 40 ? "..." : "");
}
