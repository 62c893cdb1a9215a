/* test_onnx_decode.c — the protobuf reader and the ONNX decoder.
 *
 * Real files (torch.onnx.export, onnx.helper) are compared with what the onnx
 * library itself reads from them (fixtures/onnx/decode/CASE.expected.json, see
 * tests/fixtures/gen/gen_onnx_decode.py); hand-encoded bytes cover the wire
 * forms those writers never produce (unpacked repeated fields, interleaving)
 * and every malformation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "formats/onnx_graph.h"
#include "io/protobuf.h"
#include "lp_test.h"

/* ---- against onnx.load ------------------------------------------------------ */

static long long json_ll(const cJSON *j) { return j && cJSON_IsString(j) ? strtoll(j->valuestring, NULL, 10) : -999; }

static int same_float_bits(float a, double want)
{
    float w = (float)want;
    return memcmp(&a, &w, sizeof a) == 0;
}

static void check_type(const lp__onnx_type *t, const cJSON *want, const char *what)
{
    const char *kind = cJSON_GetObjectItem(want, "kind")->valuestring;
    int want_kind = !strcmp(kind, "tensor") ? LP_ONNX_KIND_TENSOR : !strcmp(kind, "sequence") ? LP_ONNX_KIND_SEQUENCE
                  : !strcmp(kind, "map") ? LP_ONNX_KIND_MAP : LP_ONNX_KIND_OTHER;
    if (!LP_CHECK(t->kind == want_kind, "%s: kind %d, want %s", what, t->kind, kind)) return;
    const cJSON *elem = cJSON_GetObjectItem(want, "elem");
    if (elem) LP_CHECK(t->elem == elem->valueint, "%s: elem %d, want %d", what, t->elem, elem->valueint);
    const cJSON *dims = cJSON_GetObjectItem(want, "dims");
    if (dims) {
        if (!LP_CHECK(t->rank == cJSON_GetArraySize(dims), "%s: rank %d", what, t->rank)) return;
        for (int k = 0; k < t->rank; k++)
            LP_CHECK(t->dims[k] == json_ll(cJSON_GetArrayItem(dims, k)), "%s: dim %d = %lld", what, k,
                     (long long)t->dims[k]);
    } else if (t->kind == LP_ONNX_KIND_TENSOR) {
        LP_CHECK(t->rank == -1, "%s: rank %d, want none", what, t->rank);
    }
    const cJSON *inner = cJSON_GetObjectItem(want, "inner");
    if (inner && LP_CHECK(t->inner != NULL, "%s: no inner type", what)) check_type(t->inner, inner, what);
}

static void check_tensor(const lp__onnx_tensor *t, const cJSON *want)
{
    LP_CHECK_STR(t->name, cJSON_GetObjectItem(want, "name")->valuestring);
    LP_CHECK_EQ_INT(t->dtype, cJSON_GetObjectItem(want, "dtype")->valueint);
    const cJSON *dims = cJSON_GetObjectItem(want, "dims");
    if (!LP_CHECK_EQ_INT(t->rank, cJSON_GetArraySize(dims))) return;
    for (size_t k = 0; k < t->rank; k++) LP_CHECK_EQ_INT(t->dims[k], json_ll(cJSON_GetArrayItem(dims, (int)k)));
    const cJSON *values = cJSON_GetObjectItem(want, "values");
    if (!LP_CHECK(t->count == (size_t)cJSON_GetArraySize(values), "%s: %zu elements", t->name, t->count)) return;
    for (size_t i = 0; i < t->count; i++) {
        const cJSON *v = cJSON_GetArrayItem(values, (int)i);
        switch (t->dtype) {
        case LP_ONNX_FLOAT:
            LP_CHECK(same_float_bits(((float *)t->data)[i], v->valuedouble), "%s[%zu] = %.9g, want %.9g",
                     t->name, i, ((float *)t->data)[i], v->valuedouble);
            break;
        case LP_ONNX_DOUBLE:
            LP_CHECK(((double *)t->data)[i] == v->valuedouble, "%s[%zu]", t->name, i);
            break;
        case LP_ONNX_STRING: {
            const lp__onnx_bytes *s = (const lp__onnx_bytes *)t->data + i;
            LP_CHECK(s->len == strlen(v->valuestring) && !memcmp(s->data, v->valuestring, s->len), "%s[%zu]",
                     t->name, i);
            break;
        }
        default: {
            long long want_v = json_ll(v), got;
            switch (t->dtype) {
            case LP_ONNX_INT8: got = ((int8_t *)t->data)[i]; break;
            case LP_ONNX_UINT8: case LP_ONNX_BOOL: got = ((uint8_t *)t->data)[i]; break;
            case LP_ONNX_UINT16: got = ((uint16_t *)t->data)[i]; break;
            case LP_ONNX_INT32: got = ((int32_t *)t->data)[i]; break;
            default: got = ((int64_t *)t->data)[i]; break;   /* int64; uint64 compared as its bits */
            }
            if (t->dtype == LP_ONNX_UINT64) want_v = (long long)strtoull(v->valuestring, NULL, 10);
            LP_CHECK(got == want_v, "%s[%zu] = %lld, want %lld", t->name, i, got, want_v);
        }
        }
    }
}

static void check_attr(const lp__onnx_attr *a, const cJSON *want)
{
    LP_CHECK_STR(a->name, cJSON_GetObjectItem(want, "name")->valuestring);
    if (!LP_CHECK_EQ_INT(a->type, cJSON_GetObjectItem(want, "type")->valueint)) return;
    const cJSON *v = cJSON_GetObjectItem(want, "value");
    switch (a->type) {
    case LP_ONNX_ATTR_FLOAT: LP_CHECK(same_float_bits(a->f, v->valuedouble), "%s", a->name); break;
    case LP_ONNX_ATTR_INT: LP_CHECK_EQ_INT(a->i, json_ll(v)); break;
    case LP_ONNX_ATTR_STRING: LP_CHECK_STR(a->s.data, v->valuestring); break;
    case LP_ONNX_ATTR_TENSOR: if (LP_CHECK(a->t != NULL, "%s: no tensor", a->name)) check_tensor(a->t, v); break;
    case LP_ONNX_ATTR_FLOATS: case LP_ONNX_ATTR_INTS: case LP_ONNX_ATTR_STRINGS:
        if (!LP_CHECK(a->count == (size_t)cJSON_GetArraySize(v), "%s: %zu elements", a->name, a->count)) return;
        for (size_t i = 0; i < a->count; i++) {
            const cJSON *e = cJSON_GetArrayItem(v, (int)i);
            if (a->type == LP_ONNX_ATTR_FLOATS) LP_CHECK(same_float_bits(a->floats[i], e->valuedouble), "%s[%zu]", a->name, i);
            else if (a->type == LP_ONNX_ATTR_INTS) LP_CHECK_EQ_INT(a->ints[i], json_ll(e));
            else LP_CHECK_STR(a->strings[i].data, e->valuestring);
        }
        break;
    default: break;
    }
}

static void check_strings(const char *const *got, size_t n, const cJSON *want)
{
    if (!LP_CHECK_EQ_INT(n, cJSON_GetArraySize(want))) return;
    for (size_t i = 0; i < n; i++) LP_CHECK_STR(got[i], cJSON_GetArrayItem(want, (int)i)->valuestring);
}

static void check_against_onnx(const char *name)
{
    char path[256];
    size_t len, jlen;
    snprintf(path, sizeof path, "fixtures/onnx/decode/%s.onnx", name);
    uint8_t *bytes = lp_test_read_file(path, &len);
    snprintf(path, sizeof path, "fixtures/onnx/decode/%s.expected.json", name);
    uint8_t *json = lp_test_read_file(path, &jlen);
    cJSON *want = json ? cJSON_Parse((const char *)json) : NULL;
    if (!LP_CHECK(bytes && want, "%s: fixture missing", name)) goto done;

    lp__onnx_model m;
    lp_error err;
    if (!LP_CHECK_STATUS(lp__onnx_decode(bytes, len, &m, &err), LP_OK, &err)) goto done;
    LP_CHECK_EQ_INT(m.ir_version, json_ll(cJSON_GetObjectItem(want, "ir_version")));
    LP_CHECK_STR(m.producer_name, cJSON_GetObjectItem(want, "producer_name")->valuestring);
    LP_CHECK_STR(m.producer_version, cJSON_GetObjectItem(want, "producer_version")->valuestring);
    LP_CHECK_STR(m.graph_name, cJSON_GetObjectItem(want, "graph_name")->valuestring);
    const cJSON *opsets = cJSON_GetObjectItem(want, "opsets");
    if (LP_CHECK_EQ_INT(m.n_opsets, cJSON_GetArraySize(opsets)))
        for (size_t i = 0; i < m.n_opsets; i++) {
            const cJSON *o = cJSON_GetArrayItem(opsets, (int)i);
            LP_CHECK_STR(m.opsets[i].domain, cJSON_GetArrayItem(o, 0)->valuestring);
            LP_CHECK_EQ_INT(m.opsets[i].version, json_ll(cJSON_GetArrayItem(o, 1)));
        }
    const cJSON *meta = cJSON_GetObjectItem(want, "metadata");
    if (LP_CHECK_EQ_INT(m.n_metadata, cJSON_GetArraySize(meta)))
        for (size_t i = 0; i < m.n_metadata; i++) {
            LP_CHECK_STR(m.metadata_keys[i], cJSON_GetArrayItem(cJSON_GetArrayItem(meta, (int)i), 0)->valuestring);
            LP_CHECK_STR(m.metadata_values[i], cJSON_GetArrayItem(cJSON_GetArrayItem(meta, (int)i), 1)->valuestring);
        }
    const cJSON *values[2] = { cJSON_GetObjectItem(want, "inputs"), cJSON_GetObjectItem(want, "outputs") };
    const lp__onnx_value *got_values[2] = { m.inputs, m.outputs };
    size_t n_values[2] = { m.n_inputs, m.n_outputs };
    for (int io = 0; io < 2; io++) {
        if (!LP_CHECK_EQ_INT(n_values[io], cJSON_GetArraySize(values[io]))) continue;
        for (size_t i = 0; i < n_values[io]; i++) {
            const cJSON *v = cJSON_GetArrayItem(values[io], (int)i);
            LP_CHECK_STR(got_values[io][i].name, cJSON_GetObjectItem(v, "name")->valuestring);
            check_type(&got_values[io][i].type, cJSON_GetObjectItem(v, "type"), got_values[io][i].name);
        }
    }
    const cJSON *nodes = cJSON_GetObjectItem(want, "nodes");
    if (LP_CHECK_EQ_INT(m.n_nodes, cJSON_GetArraySize(nodes)))
        for (size_t i = 0; i < m.n_nodes; i++) {
            const lp__onnx_node *n = &m.nodes[i];
            const cJSON *w = cJSON_GetArrayItem(nodes, (int)i);
            LP_CHECK_STR(n->name, cJSON_GetObjectItem(w, "name")->valuestring);
            LP_CHECK_STR(n->op_type, cJSON_GetObjectItem(w, "op_type")->valuestring);
            LP_CHECK_STR(n->domain, cJSON_GetObjectItem(w, "domain")->valuestring);
            check_strings(n->inputs, n->n_inputs, cJSON_GetObjectItem(w, "inputs"));
            check_strings(n->outputs, n->n_outputs, cJSON_GetObjectItem(w, "outputs"));
            const cJSON *attrs = cJSON_GetObjectItem(w, "attrs");
            if (LP_CHECK_EQ_INT(n->n_attrs, cJSON_GetArraySize(attrs)))
                for (size_t k = 0; k < n->n_attrs; k++) check_attr(&n->attrs[k], cJSON_GetArrayItem(attrs, (int)k));
        }
    const cJSON *inits = cJSON_GetObjectItem(want, "initializers");
    if (LP_CHECK_EQ_INT(m.n_initializers, cJSON_GetArraySize(inits)))
        for (size_t i = 0; i < m.n_initializers; i++) check_tensor(&m.initializers[i], cJSON_GetArrayItem(inits, (int)i));
    lp__onnx_model_free(&m);
done:
    cJSON_Delete(want);
    free(json);
    free(bytes);
}

LP_TEST(onnx_torch_mlp) { check_against_onnx("mlp_torch"); }
LP_TEST(onnx_tree_zipmap) { check_against_onnx("tree_zipmap"); }
LP_TEST(onnx_typed_tensors) { check_against_onnx("typed_tensors"); }

/* Every truncation of a real file is an error, never a crash or a success
 * that reads past the end (ASan watches the reads). */
LP_TEST(onnx_every_truncation_fails_cleanly)
{
    size_t len;
    uint8_t *bytes = lp_test_read_file("fixtures/onnx/decode/tree_zipmap.onnx", &len);
    if (!LP_CHECK(bytes != NULL, "fixture missing")) return;
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, bytes, cut);
        lp__onnx_model m;
        lp_error err;
        lp_status s = lp__onnx_decode(copy, cut, &m, &err);
        /* A cut at a field boundary of the outer message can still decode (a
         * shorter valid message); any failure must be a clean BAD_MODEL. */
        if (s != LP_OK) LP_CHECK(s == LP_ERR_BAD_MODEL, "cut %zu: status %d: %s", cut, s, err.message);
        else lp__onnx_model_free(&m);
        free(copy);
    }
    free(bytes);
}

/* ---- hand-encoded wire forms -------------------------------------------------- */

typedef struct enc { uint8_t b[512]; size_t n; } enc;

static void put_varint(enc *e, uint64_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        e->b[e->n++] = byte | (v ? 0x80 : 0);
    } while (v);
}
static void put_tag(enc *e, uint32_t field, int wire) { put_varint(e, (uint64_t)field << 3 | (uint32_t)wire); }
static void put_bytes(enc *e, uint32_t field, const void *p, size_t n)
{
    put_tag(e, field, LP_PB_LEN);
    put_varint(e, n);
    memcpy(e->b + e->n, p, n);
    e->n += n;
}
static void put_str(enc *e, uint32_t field, const char *s) { put_bytes(e, field, s, strlen(s)); }
static void put_msg(enc *e, uint32_t field, const enc *m) { put_bytes(e, field, m->b, m->n); }
static void put_int(enc *e, uint32_t field, int64_t v) { put_tag(e, field, LP_PB_VARINT); put_varint(e, (uint64_t)v); }
static void put_float(enc *e, uint32_t field, float f)
{
    uint32_t bits;
    memcpy(&bits, &f, 4);
    put_tag(e, field, LP_PB_FIXED32);
    for (int i = 0; i < 4; i++) e->b[e->n++] = (uint8_t)(bits >> (8 * i));
}

/* A model whose graph has one initializer `tensor` and one node `node`. */
static void wrap_model(enc *model, const enc *tensor, const enc *node)
{
    enc graph = { { 0 }, 0 };
    if (node) put_msg(&graph, 1, node);
    put_str(&graph, 2, "g");
    if (tensor) put_msg(&graph, 5, tensor);
    model->n = 0;
    put_int(model, 1, 8);
    put_msg(model, 7, &graph);
}

static lp_status decode_enc(const enc *e, lp__onnx_model *m, lp_error *err) { return lp__onnx_decode(e->b, e->n, m, err); }

LP_TEST(onnx_unpacked_and_interleaved_fields)
{
    /* dims unpacked, float_data split across packed and unpacked fields, a
     * node whose inputs interleave with attributes. */
    enc t = { { 0 }, 0 }, packed = { { 0 }, 0 }, node = { { 0 }, 0 }, attr = { { 0 }, 0 }, model;
    put_int(&t, 1, 2);
    put_float(&t, 4, 1.0f);
    put_int(&t, 2, LP_ONNX_FLOAT);
    put_int(&t, 1, 2);
    float rest[3] = { 2.0f, 3.0f, 4.0f };
    memcpy(packed.b, rest, sizeof rest);
    packed.n = sizeof rest;
    put_msg(&t, 4, &packed);
    put_str(&t, 8, "w");
    put_str(&node, 1, "a");
    put_str(&attr, 1, "alpha");
    put_int(&attr, 20, LP_ONNX_ATTR_INTS);
    put_int(&attr, 8, -3);
    put_int(&attr, 8, 5);
    put_msg(&node, 5, &attr);
    put_str(&node, 1, "");
    put_str(&node, 1, "w");
    put_str(&node, 2, "out");
    put_str(&node, 4, "Op");
    wrap_model(&model, &t, &node);

    lp__onnx_model m;
    lp_error err;
    if (!LP_CHECK_STATUS(decode_enc(&model, &m, &err), LP_OK, &err)) return;
    const lp__onnx_tensor *w = &m.initializers[0];
    LP_CHECK_STR(w->name, "w");
    LP_CHECK_EQ_INT(w->rank, 2);
    LP_CHECK_EQ_INT(w->count, 4);
    for (int i = 0; i < 4; i++) LP_CHECK(((float *)w->data)[i] == (float)(i + 1), "w[%d]", i);
    LP_CHECK_EQ_INT(((uintptr_t)w->data) % 16, 0);
    const lp__onnx_node *n = &m.nodes[0];
    LP_CHECK_EQ_INT(n->n_inputs, 3);
    LP_CHECK_STR(n->inputs[0], "a");
    LP_CHECK_STR(n->inputs[1], "");
    LP_CHECK_STR(n->inputs[2], "w");
    const lp__onnx_attr *alpha = lp__onnx_attr_find(n, "alpha");
    if (LP_CHECK(alpha && alpha->count == 2, "alpha")) {
        LP_CHECK_EQ_INT(alpha->ints[0], -3);
        LP_CHECK_EQ_INT(alpha->ints[1], 5);
    }
    LP_CHECK(lp__onnx_attr_find(n, "beta") == NULL, "beta");
    lp__onnx_model_free(&m);

    /* bool values in unpacked int32_data, narrowed to bytes */
    t.n = 0;
    put_str(&t, 8, "b");
    put_int(&t, 2, LP_ONNX_BOOL);
    put_int(&t, 1, 3);
    put_int(&t, 5, 1);
    put_int(&t, 5, 0);
    put_int(&t, 5, 1);
    wrap_model(&model, &t, NULL);
    if (!LP_CHECK_STATUS(decode_enc(&model, &m, &err), LP_OK, &err)) return;
    LP_CHECK_MEM(m.initializers[0].data, "\1\0\1", 3);
    lp__onnx_model_free(&m);
}

/* Decodes `model` expecting `status` and a message containing `needle`. */
static void expect_error(const enc *model, lp_status status, const char *needle)
{
    lp__onnx_model m;
    lp_error err;
    if (LP_CHECK_STATUS(decode_enc(model, &m, &err), status, &err)) LP_CHECK_CONTAINS(err.message, needle);
    else if (err.code == LP_OK) lp__onnx_model_free(&m);
}

LP_TEST(onnx_malformed_wire)
{
    enc e = { { 0 }, 0 };
    e.b[0] = 0x08; e.n = 1;                                    /* tag, no varint */
    expect_error(&e, LP_ERR_BAD_MODEL, "truncated varint at byte 1");
    e.n = 0;
    put_tag(&e, 1, LP_PB_VARINT);
    for (int i = 0; i < 10; i++) e.b[e.n++] = 0xff;            /* 11-byte varint */
    e.b[e.n++] = 0x01;
    expect_error(&e, LP_ERR_BAD_MODEL, "varint longer than");
    e.n = 0;
    put_tag(&e, 7, LP_PB_LEN);
    put_varint(&e, 1000);                                      /* length past the end */
    expect_error(&e, LP_ERR_BAD_MODEL, "length runs past the end of its message at byte 0");
    e.n = 0;
    put_tag(&e, 7, 3);                                         /* group */
    expect_error(&e, LP_ERR_BAD_MODEL, "groups");
    e.n = 0;
    put_tag(&e, 7, 7);
    expect_error(&e, LP_ERR_BAD_MODEL, "invalid wire type");
    e.n = 0;
    put_varint(&e, 0 << 3 | LP_PB_VARINT);                     /* field number 0 */
    put_varint(&e, 1);
    expect_error(&e, LP_ERR_BAD_MODEL, "invalid field number");
    e.n = 0;
    put_int(&e, 1, 8);                                         /* no graph */
    expect_error(&e, LP_ERR_BAD_MODEL, "ONNX model: no graph: this is not an ONNX model file");
    e.n = 0;
    put_float(&e, 7, 1.0f);                                    /* graph of the wrong wire type */
    put_int(&e, 1, 8);
    expect_error(&e, LP_ERR_BAD_MODEL, "graph is not a message");
    e.n = 0;
    const char *text = "{\"learner\": {}}";                    /* a JSON file is not protobuf */
    memcpy(e.b, text, strlen(text));
    e.n = strlen(text);
    expect_error(&e, LP_ERR_BAD_MODEL, "not a valid ONNX file");
}

LP_TEST(onnx_bad_tensors)
{
    enc t, model;
    /* shape says 3 elements, 2 stored */
    t.n = 0;
    put_str(&t, 8, "w");
    put_int(&t, 2, LP_ONNX_FLOAT);
    put_int(&t, 1, 3);
    put_float(&t, 4, 1.0f);
    put_float(&t, 4, 2.0f);
    wrap_model(&model, &t, NULL);
    expect_error(&model, LP_ERR_BAD_MODEL, "ONNX initializer 0: tensor \"w\" has shape of 3 elements but 2 stored");
    /* raw_data of the wrong length */
    t.n = 0;
    put_str(&t, 8, "r");
    put_int(&t, 2, LP_ONNX_INT64);
    put_int(&t, 1, 2);
    put_bytes(&t, 9, "12345678123", 11);
    wrap_model(&model, &t, NULL);
    expect_error(&model, LP_ERR_BAD_MODEL, "tensor \"r\" has shape of 2 elements");
    /* negative dimension */
    t.n = 0;
    put_str(&t, 8, "n");
    put_int(&t, 2, LP_ONNX_FLOAT);
    put_int(&t, 1, -1);
    wrap_model(&model, &t, NULL);
    expect_error(&model, LP_ERR_BAD_MODEL, "negative dimension");
    /* a shape too large to allocate */
    t.n = 0;
    put_str(&t, 8, "big");
    put_int(&t, 2, LP_ONNX_FLOAT);
    put_int(&t, 1, 1 << 20);
    put_int(&t, 1, 1 << 20);
    wrap_model(&model, &t, NULL);
    expect_error(&model, LP_ERR_LIMIT, "tensor \"big\" has more than");
    /* external data */
    t.n = 0;
    put_str(&t, 8, "ext");
    put_int(&t, 2, LP_ONNX_FLOAT);
    put_int(&t, 14, 1);
    wrap_model(&model, &t, NULL);
    expect_error(&model, LP_ERR_UNSUPPORTED, "tensor \"ext\" keeps its data in an external file");
    /* complex numbers */
    t.n = 0;
    put_str(&t, 8, "z");
    put_int(&t, 2, LP_ONNX_COMPLEX64);
    wrap_model(&model, &t, NULL);
    expect_error(&model, LP_ERR_UNSUPPORTED, "tensor \"z\" has element type complex64");
    /* a bad packed float field inside a node attribute names the node */
    enc node = { { 0 }, 0 }, attr = { { 0 }, 0 };
    put_str(&attr, 1, "weights");
    put_int(&attr, 20, LP_ONNX_ATTR_FLOATS);
    put_bytes(&attr, 7, "abcde", 5);
    put_str(&node, 3, "tree");
    put_str(&node, 4, "TreeEnsembleClassifier");
    put_msg(&node, 5, &attr);
    wrap_model(&model, NULL, &node);
    expect_error(&model, LP_ERR_BAD_MODEL, "node 0 \"tree\" (TreeEnsembleClassifier)");
}

void test_onnx_decode(void)
{
    LP_RUN(onnx_torch_mlp);
    LP_RUN(onnx_tree_zipmap);
    LP_RUN(onnx_typed_tensors);
    LP_RUN(onnx_every_truncation_fails_cleanly);
    LP_RUN(onnx_unpacked_and_interleaved_fields);
    LP_RUN(onnx_malformed_wire);
    LP_RUN(onnx_bad_tensors);
}
