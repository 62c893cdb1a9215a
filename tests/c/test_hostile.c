/* test_hostile.c — inputs that are not what they claim to be, and limits:
 * the sniffer (src/io/sniff.c: UTF-16/32, xlsx/zip, xls, PDF, compressed
 * files), NUL bytes, invalid UTF-8 (src/core/utf8.c) in the header and in
 * kept fields, and every limit of localpredict.h with its default and the
 * option that raises it.  Each bad input is pushed whole and one byte at a
 * time: the error must not depend on the split. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "localpredict.h"
#include "lp_test.h"

/* Runs a job of `m` over `in` (whole when `bytewise` is 0, else one byte per
 * push); returns the status, fills err and the output. */
static lp_status run(const lp_model *m, const lp_job_options *jo, const char *in, size_t len, int bytewise,
                     lp_error *err, lp_test_str *out)
{
    lp_job *job = NULL;
    lp_status s = lp_job_create(m, jo, &job, err);
    for (size_t at = 0; s == LP_OK && at < len;) {
        size_t n = bytewise ? 1 : len;
        s = lp_job_push(job, (const uint8_t *)in + at, n, err);
        at += n;
    }
    if (s == LP_OK) s = lp_job_finish(job, err);
    if (out && job) lp_test_str_add(out, lp_job_output(job), lp_job_output_len(job));
    lp_job_destroy(job);
    return s;
}

typedef struct bad_input {
    const char *name;
    const char *bytes;
    size_t      len;
    lp_status   status;
    uint64_t    line;        /* 0: no line */
    const char *message;     /* a part of the message */
} bad_input;

#define BYTES(s) s, sizeof s - 1

static void test_not_csv(void)
{
    lp_model *m = lp_test_load_named("tiny", NULL);
    if (!m) return;
    static const bad_input cases[] = {
        {"xlsx (zip)", BYTES("PK\x03\x04\x14\x00\x06\x00rest"), LP_ERR_BAD_CSV, 0, "a ZIP archive (an Excel .xlsx"},
        {"xls (OLE2)", BYTES("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0"), LP_ERR_BAD_CSV, 0, "Excel 97-2003 workbook"},
        {"PDF", BYTES("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n"), LP_ERR_BAD_CSV, 0, "a PDF document"},
        {"gzip", BYTES("\x1F\x8B\x08\x00\x00\x00\x00\x00"), LP_ERR_BAD_CSV, 0, "gzip-compressed"},
        {"zstd", BYTES("\x28\xB5\x2F\xFD\x24\x00"), LP_ERR_BAD_CSV, 0, "zstd-compressed"},
        /* (UTF-16 with a byte-order mark is read since issue 9: test_dialect.c) */
        {"UTF-16LE without BOM", BYTES("x\0000\0,\0x\0001\0"), LP_ERR_BAD_CSV, 0, "UTF-16LE text (no byte-order mark"},
        {"UTF-32LE with BOM", BYTES("\xFF\xFE\0\0x\0\0\0"), LP_ERR_BAD_CSV, 0, "UTF-32LE"},
        {"UTF-16 short file (a byte-order mark alone)", BYTES("\xFF\xFE"), LP_ERR_EMPTY_INPUT, 0, "empty"},
        {"a NUL in a data row", BYTES("x0,x1,x2\n1,2,3\n4,\0,6\n"), LP_ERR_BAD_CSV, 3, "NUL byte"},
        {"a NUL after CRLF lines", BYTES("x0,x1,x2\r\n1,2,3\r\n\r\n4,5,6\0\r\n"), LP_ERR_BAD_CSV, 4, "NUL byte"},
        {"a NUL in the header", BYTES("x0,x1\0,x2\n"), LP_ERR_BAD_CSV, 1, "NUL byte"},
        {"a header in Windows-1252", BYTES("x0,x1,x2,caf\xE9\n1,2,3,4\n"), LP_ERR_BAD_CSV, 1,
         "the name of column 4 is not valid UTF-8 (byte 0xE9 at position 4)"},
        {"an overlong UTF-8 header", BYTES("x0,x1,x2,\xC0\xAF\n"), LP_ERR_BAD_CSV, 1, "column 4"},
    };
    lp_job_options jo = lp_job_options_default();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const bad_input *c = &cases[i];
        for (int bytewise = 0; bytewise <= 1; bytewise++) {
            lp_error err;
            lp_test_str out = {0};
            lp_status s = run(m, &jo, c->bytes, c->len, bytewise, &err, &out);
            if (!LP_CHECK(s == c->status, "%s (bytewise %d): status %s, want %s: %s", c->name, bytewise,
                          lp_status_code(s), lp_status_code(c->status), err.message))
                continue;
            LP_CHECK(strstr(err.message, c->message) != NULL, "%s: message \"%s\" lacks \"%s\"", c->name, err.message,
                     c->message);
            LP_CHECK(err.line == c->line, "%s: line %llu, want %llu", c->name, (unsigned long long)err.line,
                     (unsigned long long)c->line);
            /* Refused before any record (later rows: the header was written, and
             * the caller drops the output of a failed job). */
            if (c->line <= 1) LP_CHECK(out.len == 0, "%s: output written before the error", c->name);
            lp_test_str_free(&out);
        }
    }

    /* Inputs shorter than the sniffer's window, and a UTF-8 BOM, are CSV. */
    static const char *fine[] = {"x0,x1,x2", "x0,x1,x2\n", "\xEF\xBB\xBFx0,x1,x2\n1,2,3\n", "x0,x1,x2\n1,2,3"};
    for (size_t i = 0; i < sizeof fine / sizeof *fine; i++)
        for (int bytewise = 0; bytewise <= 1; bytewise++) {
            lp_error err;
            LP_CHECK_STATUS(run(m, &jo, fine[i], strlen(fine[i]), bytewise, &err, NULL), LP_OK, &err);
        }
    /* "x0" alone passes the sniffer and is then a header that lacks columns. */
    lp_error err;
    LP_CHECK_STATUS(run(m, &jo, "x0", 2, 0, &err, NULL), LP_ERR_MISSING_COLUMN, &err);

    /* A job given the header of a slice sniffs the header; UTF-16 is read by
     * one job only (a slice could start inside a code unit). */
    jo.header = "\xFF\xFEx\0000\0";
    jo.header_len = 6;
    lp_job *job = NULL;
    LP_CHECK_STATUS(lp_job_create(m, &jo, &job, &err), LP_ERR_USAGE, &err);
    LP_CHECK_CONTAINS(err.message, "UTF-16");
    LP_CHECK(job == NULL, "a job despite the error");
    jo.header = "PK\x03\x04\x14\x00\x06\x00rest";
    jo.header_len = 12;
    LP_CHECK_STATUS(lp_job_create(m, &jo, &job, &err), LP_ERR_BAD_CSV, &err);
    LP_CHECK_CONTAINS(err.message, "ZIP");
    LP_CHECK(job == NULL, "a job despite the error");
    lp_model_destroy(m);
}

static void test_utf8_fields(void)
{
    lp_model *m = lp_test_load_named("tiny", NULL);
    if (!m) return;
    lp_job_options jo = lp_job_options_default();
    jo.include_input = 1;
    lp_error err;
    /* A kept field in Latin-1: the row and the column are named. */
    const char *latin1 = "x0,x1,x2,name\n1,2,3,ok\n1,2,3,Jos\xE9\n";
    for (int bytewise = 0; bytewise <= 1; bytewise++) {
        LP_CHECK_STATUS(run(m, &jo, latin1, strlen(latin1), bytewise, &err, NULL), LP_ERR_BAD_CSV, &err);
        LP_CHECK_EQ_INT(err.line, 3);
        LP_CHECK_STR(err.column, "name");
        LP_CHECK_CONTAINS(err.message, "not valid UTF-8 (byte 0xE9 at position 4 of the field)");
    }
    /* Valid multi-byte UTF-8 is copied as it is. */
    const char *utf8 = "x0,x1,x2,name\n1,2,3,Jos\xC3\xA9 \xF0\x9F\x98\x80\n";
    lp_test_str out = {0};
    LP_CHECK_STATUS(run(m, &jo, utf8, strlen(utf8), 1, &err, &out), LP_OK, &err);
    LP_CHECK(out.p && strstr(out.p, "Jos\xC3\xA9 \xF0\x9F\x98\x80,") != NULL, "the UTF-8 field was not kept: %s",
             out.p ? out.p : "");
    lp_test_str_free(&out);
    /* A column neither kept nor a feature is checked too (issue 9: bytes
     * that are not UTF-8 mean the file is read in the wrong encoding). */
    jo.include_input = 0;
    for (int bytewise = 0; bytewise <= 1; bytewise++) {
        LP_CHECK_STATUS(run(m, &jo, latin1, strlen(latin1), bytewise, &err, NULL), LP_ERR_BAD_CSV, &err);
        LP_CHECK_EQ_INT(err.line, 3);
        LP_CHECK_STR(err.column, "name");
        LP_CHECK_CONTAINS(err.message, "--encoding windows-1252");
    }
    lp_model_destroy(m);

    /* The validator against the well-formed sequences of Unicode table 3-7. */
    static const struct { const char *s; size_t len, valid; } v[] = {
        {"abc", 3, 3},
        {"\xC3\xA9", 2, 2},
        {"\xE2\x82\xAC", 3, 3},
        {"\xF0\x9F\x98\x80", 4, 4},
        {"\xF4\x8F\xBF\xBF", 4, 4},        /* U+10FFFF */
        {"a\xC0\xAF", 3, 1},               /* overlong "/" */
        {"\xE0\x80\xAF", 3, 0},            /* overlong, 3 bytes */
        {"\xED\xA0\x80", 3, 0},            /* a surrogate */
        {"\xF4\x90\x80\x80", 4, 0},        /* above U+10FFFF */
        {"\xF5\x80\x80\x80", 4, 0},
        {"ab\xE2\x82", 4, 2},              /* cut short */
        {"\x80", 1, 0},                    /* a lone continuation byte */
        {"\xC3\xA9\xC3", 3, 2},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        LP_CHECK(lp__utf8_valid_prefix((const uint8_t *)v[i].s, v[i].len) == v[i].valid, "case %zu: %zu, want %zu", i,
                 lp__utf8_valid_prefix((const uint8_t *)v[i].s, v[i].len), v[i].valid);
}

/* The tiny model with its trees replaced by one chain of `depth` splits
 * (each goes right to the next split, left to a leaf). */
static char *chain_model(int depth)
{
    int n = 2 * depth + 1;
    lp_test_str t = {0};
    lp_test_str_addf(&t, "\"trees\":[{\"base_weights\":[");
    for (int i = 0; i < n; i++) lp_test_str_addf(&t, "%s0", i ? "," : "");
    lp_test_str_add(&t, "]", 1);
    static const char *arrays[] = {"left_children", "right_children", "split_indices", "split_conditions",
                                   "default_left", "split_type"};
    for (size_t a = 0; a < sizeof arrays / sizeof *arrays; a++) {
        lp_test_str_addf(&t, ",\"%s\":[", arrays[a]);
        for (int i = 0; i < n; i++) {
            int internal = i < depth;
            long v = 0;
            if (a == 0) v = internal ? depth + i : -1;
            if (a == 1) v = internal ? (i + 1 < depth ? i + 1 : 2 * depth) : -1;
            if (a == 3) v = internal ? 0 : i;
            lp_test_str_addf(&t, "%s%ld", i ? "," : "", v);
        }
        lp_test_str_add(&t, "]", 1);
    }
    lp_test_str_addf(&t, ",\"tree_param\":{\"num_nodes\":\"%d\"}}]", n);
    char *one = LP_REPLACE(lp_test_tiny_model, "\"tree_info\":[0,0,0]", "\"tree_info\":[0]");
    char *start = one ? strstr(one, "\"trees\":[") : NULL;
    char *end = start ? strstr(start, "]},\"name\"") : NULL;
    lp_test_str model = {0};
    if (start && end) {
        lp_test_str_add(&model, one, (size_t)(start - one));
        lp_test_str_add(&model, t.p, t.len);
        lp_test_str_add(&model, end + 1, strlen(end + 1));
    }
    free(one);
    lp_test_str_free(&t);
    return model.p;
}

static void test_limits(void)
{
    const uint8_t *tiny = (const uint8_t *)lp_test_tiny_model;
    size_t tiny_len = strlen(lp_test_tiny_model);
    lp_error err;
    lp_model *m = NULL;
    lp_load_options lo = lp_load_options_default();

    /* Model size: the limit is the caller's; one byte under fails. */
    lo.max_model_bytes = tiny_len - 1;
    LP_CHECK_STATUS(lp_model_load(tiny, tiny_len, &lo, &m, &err), LP_ERR_LIMIT, &err);
    LP_CHECK_CONTAINS(err.message, "over the limit of");
    LP_CHECK_CONTAINS(err.message, "lp_load_options.max_model_bytes");
    LP_CHECK(m == NULL, "a model despite the limit");
    lo.max_model_bytes = tiny_len;
    LP_CHECK_STATUS(lp_model_load(tiny, tiny_len, &lo, &m, &err), LP_OK, &err);
    lp_model_destroy(m);
    m = NULL;
    LP_CHECK(LP_MAX_MODEL_BYTES == (size_t)256 << 20, "the documented default is 256 MiB");

    /* Node count: the tiny model has 7 + 3 + 1 nodes. */
    lo = lp_load_options_default();
    lo.max_nodes = 10;
    LP_CHECK_STATUS(lp_model_load(tiny, tiny_len, &lo, &m, &err), LP_ERR_LIMIT, &err);
    LP_CHECK_CONTAINS(err.message, "11 tree nodes, over the limit of 10");
    lo.max_nodes = 11;
    LP_CHECK_STATUS(lp_model_load(tiny, tiny_len, &lo, &m, &err), LP_OK, &err);
    lp_model_destroy(m);
    m = NULL;
    lo.max_nodes = (size_t)INT32_MAX + 1;
    LP_CHECK_STATUS(lp_model_load(tiny, tiny_len, &lo, &m, &err), LP_ERR_USAGE, &err);

    /* Tree depth: the default is 64; raised, a deeper tree loads and predicts
     * its deepest leaf; 255 is the ceiling. */
    static const struct { int depth; unsigned limit; lp_status want; } d[] = {
        {2, 1, LP_ERR_LIMIT},   {65, 0, LP_ERR_LIMIT},  {65, 65, LP_OK},
        {200, 255, LP_OK},      {256, 255, LP_ERR_LIMIT}, {3, 256, LP_ERR_USAGE},
    };
    for (size_t i = 0; i < sizeof d / sizeof *d; i++) {
        char *text = chain_model(d[i].depth);
        if (!LP_CHECK(text != NULL, "no chain model")) continue;
        lo = lp_load_options_default();
        lo.max_tree_depth = d[i].limit;
        lp_status s = lp_model_load((const uint8_t *)text, strlen(text), &lo, &m, &err);
        if (LP_CHECK(s == d[i].want, "depth %d, limit %u: %s, want %s (%s)", d[i].depth, d[i].limit,
                     lp_status_code(s), lp_status_code(d[i].want), err.message) &&
            s == LP_OK) {
            float x[3] = {1, 1, 1}, p;
            LP_CHECK_STATUS(lp_model_predict_matrix(m, x, 1, 3, NULL, &p, NULL, &err), LP_OK, &err);
            LP_CHECK(p == (float)(0.5 + 2 * d[i].depth), "deepest leaf %g", p);
        }
        if (s == LP_ERR_LIMIT) LP_CHECK_CONTAINS(err.message, "tree 0");
        lp_model_destroy(m);
        m = NULL;
        free(text);
    }

    /* Rows per batch. */
    m = lp_test_load_named("tiny", NULL);
    if (!m) return;
    lp_job_options jo = lp_job_options_default();
    lp_job *job = NULL;
    jo.batch_rows = LP_MAX_BATCH_ROWS + 1;
    LP_CHECK_STATUS(lp_job_create(m, &jo, &job, &err), LP_ERR_LIMIT, &err);
    LP_CHECK_CONTAINS(err.message, "rows per batch");
    jo.batch_rows = (size_t)-1;
    LP_CHECK_STATUS(lp_job_create(m, &jo, &job, &err), LP_ERR_LIMIT, &err);
    jo.batch_rows = LP_MAX_BATCH_ROWS;
    LP_CHECK_STATUS(lp_job_create(m, &jo, &job, &err), LP_OK, &err);
    lp_job_destroy(job);
    lp_model_destroy(m);
}

/* The ONNX limits (tensor elements, graph nodes, operators run) on a real
 * torch.onnx.export MLP: fixtures/onnx/mlp_relu_softmax has 6 nodes (Gemm,
 * Relu, Gemm, Relu, Gemm, Softmax), all run, and its largest initializer is
 * 2.weight, [16, 32] = 512 elements (counted with onnx.load).  One under each
 * is LP_ERR_LIMIT naming the option and the CLI flag; at the count it loads;
 * and a blob of the model is held to the limits it is loaded under. */
static void test_onnx_limits(void)
{
#ifndef LP_NO_ONNX
    size_t len = 0;
    uint8_t *bytes = lp_test_read_file("fixtures/onnx/mlp_relu_softmax/model.onnx", &len);
    if (!LP_CHECK(bytes != NULL, "fixtures/onnx/mlp_relu_softmax/model.onnx is missing")) return;
    static const struct {
        size_t tensor_elements, graph_nodes, graph_ops;
        const char *names[2];   /* in the message: the C option and the CLI flag; NULL = loads */
    } cases[] = {
        {511, 0, 0, {"lp_load_options.max_tensor_elements", "--max-tensor-elements"}},
        {0, 5, 0, {"lp_load_options.max_graph_nodes", "--max-graph-nodes"}},
        {0, 0, 5, {"lp_load_options.max_graph_ops", "--max-graph-ops"}},
        {512, 6, 6, {NULL, NULL}},
    };
    const uint8_t *blob = NULL;
    size_t blob_len = 0;
    lp_model *full = NULL;
    lp_error err;
    LP_CHECK_STATUS(lp_model_load(bytes, len, NULL, &full, &err), LP_OK, &err);
    if (full) LP_CHECK_STATUS(lp_model_serialize(full, &blob, &blob_len, &err), LP_OK, &err);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lp_load_options lo = lp_load_options_default();
        lo.max_tensor_elements = cases[i].tensor_elements;
        lo.max_graph_nodes = cases[i].graph_nodes;
        lo.max_graph_ops = cases[i].graph_ops;
        lp_status want = cases[i].names[0] ? LP_ERR_LIMIT : LP_OK;
        for (int from_blob = 0; from_blob < 2 && (from_blob == 0 || blob); from_blob++) {
            lp_model *m = NULL;
            lp_status s = from_blob ? lp_model_load(blob, blob_len, &lo, &m, &err) : lp_model_load(bytes, len, &lo, &m, &err);
            LP_CHECK(s == want, "case %zu%s: %s, want %s (%s)", i, from_blob ? " (blob)" : "", lp_status_code(s),
                     lp_status_code(want), err.message);
            if (s == LP_ERR_LIMIT && want == LP_ERR_LIMIT) {
                LP_CHECK_CONTAINS(err.message, cases[i].names[0]);
                LP_CHECK_CONTAINS(err.message, cases[i].names[1]);
            }
            lp_model_destroy(m);
        }
    }
    lp_model_destroy(full);
    free(bytes);
    LP_CHECK(LP_MAX_TENSOR_ELEMENTS == (size_t)1 << 28 && LP_MAX_GRAPH_NODES == (size_t)1 << 20 &&
             LP_MAX_GRAPH_OPS == 10000, "the documented defaults");
#endif
}

void test_hostile(void)
{
    lp_test_run("hostile: not a CSV, NUL bytes, bad UTF-8 headers", test_not_csv);
    lp_test_run("hostile: UTF-8 in kept fields", test_utf8_fields);
    lp_test_run("hostile: limits", test_limits);
    lp_test_run("hostile: ONNX limits", test_onnx_limits);
}
