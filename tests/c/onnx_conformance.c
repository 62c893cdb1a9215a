/* onnx_conformance.c — ONNX's own node tests (Debian's libonnx-testdata,
 * onnx 1.12: data/node/<test>/model.onnx + test_data_set_N/{input,output}_K.pb)
 * run through the engine's graph, natively and in WASM.
 *
 * The node tests arrive as one archive on stdin (tests/c/run-conformance.mjs
 * writes it; the format is main.c's: "LPFIXTURES 1" LF, then records
 * <path> LF <length> LF <bytes>), because Emscripten 3.1.6's standalone libc
 * cannot open files.  For each test whose every operator the engine knows,
 * the graph is built on the test's fixed shapes (lp__graph_build_fixed: no
 * batch dimension) and each data set's outputs compared with onnx's within
 * its backend test tolerance (|got - want| <= 1e-7 + 1e-3 |want|; integers
 * and bools exactly; NaN matches NaN; shapes must agree).
 *
 * Prints one line per test: PASS, FAIL (why), SKIP (an operator the engine
 * has, with an attribute, type or shape it refuses: the message says which)
 * or OTHER (an operator the engine does not have); then the counts.  Exits
 * non-zero when a test fails.  `--only NAME` runs one test. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "formats/onnx_graph.h"
#include "localpredict.h"
#include "ops/graph.h"

typedef struct entry { const char *path; const uint8_t *data; size_t len; } entry;

static uint8_t *read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        uint8_t *p = realloc(buf, cap *= 2);
        if (!p) free(buf);
        buf = p;
    }
    *len = n;
    return buf;
}

static size_t parse_archive(uint8_t *bytes, size_t len, entry **out)
{
    static const char magic[] = "LPFIXTURES 1\n";
    size_t pos = sizeof magic - 1, n = 0, cap = 0;
    *out = NULL;
    if (len < pos || memcmp(bytes, magic, pos) != 0) return 0;
    while (pos < len) {
        char *nl = memchr(bytes + pos, '\n', len - pos);
        if (!nl) break;
        *nl = '\0';
        char *end = NULL;
        unsigned long long size = strtoull(nl + 1, &end, 10);
        if (!end || *end != '\n' || size > len - (size_t)((uint8_t *)end + 1 - bytes)) break;
        if (n == cap) {
            entry *p = realloc(*out, (cap = cap ? 2 * cap : 1024) * sizeof *p);
            if (!p) break;
            *out = p;
        }
        (*out)[n++] = (entry){(const char *)bytes + pos, (uint8_t *)end + 1, (size_t)size};
        pos = (size_t)((uint8_t *)end + 1 - bytes) + (size_t)size;
    }
    return n;
}

static const entry *find(const entry *e, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(e[i].path, path) == 0) return &e[i];
    return NULL;
}

/* Whether got matches onnx's want (the backend test's rule). */
static int close_enough(int32_t dtype, const void *got, const void *want, size_t i)
{
    if (dtype == LP_ONNX_STRING) {   /* StringNormalizer's: the same bytes */
        const lp__onnx_bytes *a = (const lp__onnx_bytes *)got + i, *b = (const lp__onnx_bytes *)want + i;
        return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
    }
    if (dtype == LP_ONNX_FLOAT || dtype == LP_ONNX_DOUBLE) {
        double a = lp__dtype_get_f64(dtype, got, i), b = lp__dtype_get_f64(dtype, want, i);
        if (a != a || b != b) return a != a && b != b;
        if (isinf(b)) return a == b;
        return fabs(a - b) <= 1e-7 + 1e-3 * fabs(b);
    }
    return lp__dtype_get_i64(dtype, got, i) == lp__dtype_get_i64(dtype, want, i);
}

enum { PASS, FAIL, SKIP, OTHER };

/* ONNX's node tests pass shapes, axes, starts, ends and K as graph inputs,
 * where real models store initializers or Constants (the engine takes them
 * at build time): int64 inputs of rank 0 or 1 become initializers holding
 * the data set's values.  Returns the number of inputs left to feed. */
static lp_status bake_parameters(lp__onnx_model *om, const entry *e, size_t n, const char *dir, int set,
                                 lp__onnx_tensor *inputs, size_t *n_inputs, lp_error *err)
{
    char path[512];
    lp__onnx_tensor *inits = lp__arena_array(&om->arena, om->n_initializers + om->n_inputs + 1, sizeof *inits);
    if (!inits) return LP_ERR_NOMEM;
    memcpy(inits, om->initializers, om->n_initializers * sizeof *inits);
    size_t n_init = om->n_initializers, k = 0;
    *n_inputs = 0;
    for (size_t i = 0; i < om->n_inputs; i++) {
        int init = 0;
        for (size_t j = 0; j < om->n_initializers; j++) init |= strcmp(om->inputs[i].name, om->initializers[j].name) == 0;
        if (init) continue;
        snprintf(path, sizeof path, "%s/test_data_set_%d/input_%zu.pb", dir, set, k++);
        const entry *in = find(e, n, path);
        lp__onnx_tensor t;
        if (!in) return lp__fail(err, LP_ERR_USAGE, "%s is missing", path);
        if (om->inputs[i].type.kind != LP_ONNX_KIND_TENSOR)
            return lp__fail(err, LP_ERR_UNSUPPORTED, "input \"%s\" is a sequence or optional value", om->inputs[i].name);
        lp_status s = lp__onnx_decode_tensor(in->data, in->len, om, &t, err);
        if (s != LP_OK) return s;
        if (t.dtype == LP_ONNX_INT64 && t.rank <= 1) {
            t.name = om->inputs[i].name;
            inits[n_init++] = t;
        } else {
            inputs[(*n_inputs)++] = t;
        }
    }
    om->initializers = inits;
    om->n_initializers = n_init;
    return LP_OK;
}

/* Runs data set `set` of test `dir` ("node/test_abs"); fills why. */
static int run_set(const entry *e, size_t n, const char *dir, const entry *model, int set, char *why, size_t why_len)
{
    char path[512];
    lp__onnx_model om;
    lp_error err;
    if (lp__onnx_decode(model->data, model->len, &om, &err) != LP_OK)
        return snprintf(why, why_len, "decode: %s", err.message), FAIL;
    lp__onnx_tensor inputs[32];
    size_t n_in = 0;
    if (om.n_inputs > 32) return lp__onnx_model_free(&om), snprintf(why, why_len, "too many inputs"), SKIP;
    lp_status baked = bake_parameters(&om, e, n, dir, set, inputs, &n_in, &err);
    if (baked != LP_OK) {
        snprintf(why, why_len, "set %d: %s", set, err.message);
        lp__onnx_model_free(&om);
        return baked == LP_ERR_UNSUPPORTED ? SKIP : FAIL;
    }
    lp__onnx_model scratch;   /* an arena for the tensors (the graph takes om over) */
    memset(&scratch, 0, sizeof scratch);
    scratch.limits.tensor_elements = LP_MAX_TENSOR_ELEMENTS;   /* the expected outputs are decoded against it */
    lp__onnx_tensor keep[32];
    for (size_t k = 0; k < n_in; k++) {
        keep[k] = inputs[k];
        size_t bytes = inputs[k].count * lp__dtype_elem_size(inputs[k].dtype);   /* strings: lp__onnx_bytes */
        keep[k].data = lp__arena_alloc(&scratch.arena, bytes + 8);
        if (keep[k].data) memcpy(keep[k].data, inputs[k].data, bytes);
    }
    lp__graph *g = NULL;
    lp_status s = lp__graph_build_fixed(&om, &g, &err);
    if (s != LP_OK) {
        snprintf(why, why_len, "%s", err.message);
        lp__onnx_model_free(&scratch);
        return s == LP_ERR_UNSUPPORTED || s == LP_ERR_LIMIT ? SKIP : FAIL;
    }
    int result = PASS;
    lp__graph_feed feeds[32];
    if (g->n_inputs != n_in) snprintf(why, why_len, "%zu inputs fed, %zu taken", n_in, g->n_inputs), result = FAIL;
    for (size_t k = 0; k < g->n_inputs && result == PASS; k++) {
        size_t want = lp__shape_count(&g->values[g->inputs[k].value].shape, 1);
        if (keep[k].dtype != g->inputs[k].dtype || keep[k].count != want) {
            snprintf(why, why_len, "input %zu of set %d: %s × %zu, the model declares %s × %zu", k, set,
                     lp__onnx_dtype_name(keep[k].dtype), keep[k].count, lp__onnx_dtype_name(g->inputs[k].dtype), want);
            result = SKIP;
        }
        feeds[k] = (lp__graph_feed){keep[k].dtype, keep[k].data};
    }
    void *outs[16] = {0};
    lp__onnx_tensor expect[16];
    size_t n_out = g->n_fixed_outputs < 16 ? g->n_fixed_outputs : 16;
    for (size_t k = 0; k < n_out && result == PASS; k++) {
        snprintf(path, sizeof path, "%s/test_data_set_%d/output_%zu.pb", dir, set, k);
        const entry *o = find(e, n, path);
        const lp__value *v = &g->values[g->fixed_outputs[k]];
        if (!o || lp__onnx_decode_tensor(o->data, o->len, &scratch, &expect[k], &err) != LP_OK) {
            snprintf(why, why_len, "output %zu of set %d unreadable", k, set);
            result = FAIL;
        } else if (expect[k].dtype != v->dtype || expect[k].rank != (size_t)v->shape.rank ||
                   expect[k].count != lp__shape_count(&v->shape, 1)) {
            snprintf(why, why_len, "output %zu: %s of rank %d and %zu elements, onnx %s of rank %zu and %zu", k,
                     lp__onnx_dtype_name(v->dtype), v->shape.rank, lp__shape_count(&v->shape, 1),
                     lp__onnx_dtype_name(expect[k].dtype), expect[k].rank, expect[k].count);
            result = FAIL;
        } else {
            for (size_t d = 0; d < expect[k].rank; d++)
                if (expect[k].dims[d] != v->shape.dims[d]) {
                    snprintf(why, why_len, "output %zu: dimension %zu is %lld, onnx %lld", k, d,
                             (long long)v->shape.dims[d], (long long)expect[k].dims[d]);
                    result = FAIL;
                }
            outs[k] = malloc(expect[k].count * lp__dtype_elem_size(v->dtype) + 8);
        }
    }
    if (result == PASS && lp__graph_run_fixed(g, feeds, outs, &err) != LP_OK) {
        snprintf(why, why_len, "run: %s", err.message);
        result = FAIL;
    }
    for (size_t k = 0; k < n_out && result == PASS; k++)
        for (size_t i = 0; i < expect[k].count; i++)
            if (!close_enough(expect[k].dtype, outs[k], expect[k].data, i)) {
                snprintf(why, why_len, "set %d, output %zu, element %zu: %.9g, onnx %.9g", set, k, i,
                         lp__dtype_get_f64(expect[k].dtype, outs[k], i),
                         lp__dtype_get_f64(expect[k].dtype, expect[k].data, i));
                result = FAIL;
                break;
            }
    for (size_t k = 0; k < n_out; k++) free(outs[k]);
    lp__onnx_model_free(&scratch);
    lp__graph_free(g);
    return result;
}

/* Node tests whose expected values follow numpy where the engine follows
 * onnxruntime, on purpose (README, "Map inputs and Cast to strings"): onnx
 * writes a float cast to a string as numpy's shortest text ("0.6048455"),
 * onnxruntime's Cast writes printf("%.8g") ("0.60484552"), and the models
 * converters write are run by onnxruntime. */
static const char *departure(const char *name)
{
    if (strcmp(name, "test_cast_FLOAT_to_STRING") == 0 || strcmp(name, "test_castlike_FLOAT_to_STRING_expanded") == 0)
        return "onnx expects numpy's shortest float text; the engine writes onnxruntime's %.8g";
    return NULL;
}

static int run_test(const entry *e, size_t n, const char *dir, char *why, size_t why_len)
{
    char path[512];
    const char *name = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    if (departure(name)) return snprintf(why, why_len, "%s", departure(name)), SKIP;
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    const entry *model = find(e, n, path);
    lp__onnx_model om;
    lp_error err;
    if (!model || lp__onnx_decode(model->data, model->len, &om, &err) != LP_OK)
        return snprintf(why, why_len, "model.onnx unreadable"), FAIL;
    for (size_t i = 0; i < om.n_nodes; i++)
        if (!lp__graph_knows(&om.nodes[i])) {
            snprintf(why, why_len, "operator %s%s%s", om.nodes[i].domain[0] ? om.nodes[i].domain : "",
                     om.nodes[i].domain[0] ? "." : "", om.nodes[i].op_type);
            lp__onnx_model_free(&om);
            return OTHER;
        }
    lp__onnx_model_free(&om);
    int result = PASS, sets = 0;
    for (int set = 0; result == PASS && set < 16; set++) {
        snprintf(path, sizeof path, "%s/test_data_set_%d/output_0.pb", dir, set);
        if (!find(e, n, path)) break;
        sets++;
        result = run_set(e, n, dir, model, set, why, why_len);
    }
    if (result == PASS && sets == 0) snprintf(why, why_len, "no data set"), result = FAIL;
    return result;
}

int main(int argc, char **argv)
{
    const char *only = argc > 2 && strcmp(argv[1], "--only") == 0 ? argv[2] : NULL;
    size_t len = 0;
    uint8_t *bytes = read_all(stdin, &len);
    entry *e = NULL;
    size_t n = bytes ? parse_archive(bytes, len, &e) : 0;
    if (!n) {
        fprintf(stderr, "onnx_conformance: no node tests on stdin (run it through tests/c/run-conformance.mjs)\n");
        return 2;
    }
    int counts[4] = {0};
    static const char *const label[] = {"PASS", "FAIL", "SKIP", "OTHER"};
    const char *last = "";
    for (size_t i = 0; i < n; i++) {
        /* Each test once, at its model.onnx: "node/test_x/model.onnx". */
        const char *slash = strrchr(e[i].path, '/');
        if (!slash || strcmp(slash, "/model.onnx") != 0) continue;
        char dir[256];
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - e[i].path), e[i].path);
        if (strcmp(dir, last) == 0) continue;
        last = e[i].path;
        const char *name = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
        if (only && strcmp(name, only) != 0) continue;
        char why[4200] = "";
        int r = run_test(e, n, dir, why, sizeof why);
        counts[r]++;
        printf("%s %s%s%s\n", label[r], name, why[0] ? ": " : "", why);
    }
    printf("node tests: %d passed, %d failed, %d skipped (operators the engine has), %d of other operators\n",
           counts[PASS], counts[FAIL], counts[SKIP], counts[OTHER]);
    free(e);
    free(bytes);
    return counts[FAIL] ? 1 : 0;
}
