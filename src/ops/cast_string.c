/* cast_string.c — ONNX Cast to and from strings, as onnxruntime's CPU kernel
 * does it (core/providers/cpu/tensor/cast_op.cc):
 *   number → string: integers and bool as std::to_string ("42", "-7", "1");
 *   float and double as printf("%.8g") of the value in double ("0.1",
 *   "1e+10", "3.1415927"), NaN as "NaN", infinities as "INF" / "-INF";
 *   string → number: std::stod / std::stoll / std::stoull — leading white
 *   space skipped, the longest number prefix read (so "12abc" is 12, "nan"
 *   and "inf" are numbers), nothing readable or out of range fails the run.
 * The strings a Cast writes live in the run's arena (freed when the chunk of
 * rows is done), so encoders and comparisons after it see their text.
 * A string graph input that only Casts to numbers read is fed as the
 * numbers its cells read as (lp__text_number_input; predict/cells.c reads
 * each cell with lp__text_to_number).  Another string graph input holds
 * the model's own strings (graph.h): a cell the model names nowhere carries
 * no text, so casting it to a number fails the run, naming node and row. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/arena.h"
#include "../formats/feature_prep.h"
#include "graph.h"

/* Element i of data as onnxruntime's Cast writes it; buf has >= 32 bytes. */
static size_t number_text(int32_t dtype, const void *data, size_t i, char *buf)
{
    int n;
    if (dtype == LP_ONNX_FLOAT || dtype == LP_ONNX_DOUBLE) {
        double v = lp__dtype_get_f64(dtype, data, i);
        if (v != v) n = snprintf(buf, 32, "NaN");
        else if (isinf(v)) n = snprintf(buf, 32, v < 0 ? "-INF" : "INF");
        else n = snprintf(buf, 32, "%.8g", v);   /* "%.8g": at most 15 bytes */
    } else {
        n = snprintf(buf, 32, "%lld", (long long)lp__dtype_get_i64(dtype, data, i));
    }
    return n > 0 ? (size_t)n : 0;
}

const char *lp__text_to_number(const char *text, size_t len, int integer, double *out)
{
    char small[128], *copy = small;
    if (len >= sizeof small && !(copy = malloc(len + 1))) return "out of memory";
    memcpy(copy, text, len);   /* strtod wants a NUL; a cell is not one */
    copy[len] = '\0';
    const char *what = NULL;
    char *end;
    errno = 0;
    if (!integer) {
        *out = strtod(copy, &end);
        if (end == copy) what = "not a number";
        else if (errno == ERANGE) what = "a number out of double's range";
    } else {
        long long v = strtoll(copy, &end, 10);
        *out = (double)v;
        if (end == copy) what = "not an integer";
        else if (errno == ERANGE) what = "an integer out of int64's range";
    }
    if (copy != small) free(copy);
    return what;
}

/* The string's text parsed as onnxruntime parses it into `to`; NULL on
 * success, else what went wrong (for the message). */
static const char *text_number(const lp__onnx_bytes *s, int32_t to, void *dst, size_t i)
{
    double v;
    if (to == LP_ONNX_BOOL) {   /* std::stoull, then nonzero: "-1" wraps to a nonzero too */
        const char *what = lp__text_to_number(s->data, s->len, 1, &v);
        if (!what) ((uint8_t *)dst)[i] = v != 0;
        return what;
    }
    if (to == LP_ONNX_FLOAT || to == LP_ONNX_DOUBLE) {
        const char *what = lp__text_to_number(s->data, s->len, 0, &v);
        if (what) return what;
        if (to == LP_ONNX_FLOAT) ((float *)dst)[i] = (float)v;
        else ((double *)dst)[i] = v;
        return NULL;
    }
    /* integers: std::stoll exactly (a double would round beyond 2^53) */
    char small[128];
    if (s->len >= sizeof small) return "not an integer (a string of 128 bytes or more)";
    memcpy(small, s->data, s->len);
    small[s->len] = '\0';
    char *end;
    errno = 0;
    long long k = strtoll(small, &end, 10);
    if (end == small) return "not an integer";
    if (errno == ERANGE) return "an integer out of int64's range";
    if (to == LP_ONNX_INT64) ((int64_t *)dst)[i] = (int64_t)k;
    else ((int32_t *)dst)[i] = (int32_t)(uint32_t)(unsigned long long)k;   /* narrow_cast: the low bits */
    return NULL;
}

int lp__text_number_input(const lp__onnx_model *om, const char *input)
{
    int mode = 0, readers = 0;
    for (size_t k = 0; k < om->n_nodes; k++) {
        const lp__onnx_node *n = &om->nodes[k];
        if (!lp__onnx_node_reads(n, input)) continue;
        readers++;
        const lp__onnx_attr *to = lp__onnx_attr_find(n, "to");
        if (strcmp(n->op_type, "Cast") != 0 || !lp__onnx_is_default(n) || !to ||
            to->type != LP_ONNX_ATTR_INT)
            return 0;
        int want = to->i == LP_ONNX_FLOAT || to->i == LP_ONNX_DOUBLE ? LP__PREP_TEXT_REAL
                   : to->i == LP_ONNX_INT64 || to->i == LP_ONNX_INT32 || to->i == LP_ONNX_BOOL ? LP__PREP_TEXT_INT : 0;
        if (!want || (mode && mode != want)) return 0;
        mode = want;
    }
    return readers ? mode : 0;
}

lp_status lp__build_cast_string(lp__graph *g, lp__op *op, const lp__onnx_node *node, const lp__value *x, int32_t to,
                                lp_error *err)
{
    int32_t from = x->dtype;
    if (!(from == LP_ONNX_STRING || lp__dtype_computable(from)) || !(to == LP_ONNX_STRING || lp__dtype_computable(to)))
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "cast from %s to %s (float, double, int64, int32, bool and "
                           "string are supported)", lp__onnx_dtype_name(from), lp__onnx_dtype_name(to));
    if (x->is_const)   /* folding has no arena to keep strings in; no converter casts a constant to text */
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "a constant cast from %s to %s", lp__onnx_dtype_name(from),
                           lp__onnx_dtype_name(to));
    lp__shape shape = x->shape;
    return lp__op_output(g, op, node, 0, to, &shape, err);
}

void lp__run_cast_string(const lp__run *r, const lp__op *op)
{
    const lp__value *xv = &r->g->values[op->in[0]], *yv = &r->g->values[op->out[0]];
    const void *x = lp__run_data(r, op->in[0]);
    void *y = lp__run_data(r, op->out[0]);
    size_t n = lp__shape_count(&yv->shape, r->n_rows);
    lp__arena *arena = r->scratch ? r->scratch->arena : NULL;
    if (!arena) return;   /* never: lp__build_cast_string refuses constants */
    if (xv->dtype == LP_ONNX_STRING && yv->dtype == LP_ONNX_STRING) {
        memcpy(y, x, n * sizeof(lp__onnx_bytes));
        return;
    }
    if (yv->dtype == LP_ONNX_STRING) {
        lp__onnx_bytes *out = y;
        for (size_t i = 0; i < n; i++) {
            char buf[32];
            size_t len = number_text(xv->dtype, x, i, buf);
            char *text = lp__arena_strndup(arena, buf, len);
            if (!text) {
                lp__run_fail(r, op, SIZE_MAX, LP_ERR_NOMEM, "out of memory");
                return;
            }
            out[i] = (lp__onnx_bytes){text, len};
        }
        return;
    }
    const lp__onnx_bytes *in = x;
    for (size_t i = 0; i < n; i++) {
        size_t row = lp__run_row(r, op->in[0], i);
        if (!in[i].data) {
            lp__run_fail(r, op, row, LP_ERR_BAD_NUMBER, "casts a string to %s, and the string is a cell the model "
                         "names nowhere: only the strings the model lists (its encoders' categories and keys) and "
                         "strings computed by the graph keep their text here", lp__onnx_dtype_name(yv->dtype));
            return;
        }
        const char *what = text_number(&in[i], yv->dtype, y, i);
        if (what) {
            int shown = in[i].len > 40 ? 40 : (int)in[i].len;
            lp__run_fail(r, op, row, LP_ERR_BAD_NUMBER, "casts \"%.*s%s\" to %s: %s (onnxruntime fails the run too)",
                         shown, in[i].data, in[i].len > 40 ? "..." : "", lp__onnx_dtype_name(yv->dtype), what);
            return;
        }
    }
}
