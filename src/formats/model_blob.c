/* model_blob.c — see model_blob.h.  Writer and reader mirror each other
 * field by field; keep them in the same order. */
#include "model_blob.h"

#include "../ops/graph.h"
#include "onnx_graph.h"
#ifndef LP_NO_ONNX
#include "onnx_dims.h"
#include "onnx_load.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "ensemble.h"
#include "forest_check.h"
#include "text_model.h"

/* ---- writing ---- */
typedef struct writer {
    lp__buf  *buf;
    lp_status status;
} writer;

static void put(writer *w, const void *p, size_t n)
{
    if (w->status == LP_OK) w->status = lp__buf_append(w->buf, p, n);
}
static void put_u64(writer *w, uint64_t v) { put(w, &v, sizeof v); }
static void put_str(writer *w, const char *s)
{
    uint64_t n = strlen(s);
    put_u64(w, n);
    put(w, s, (size_t)n);
}

static void write_model(writer *w, const lp_model *m)
{
    const lp__forest *f = &m->forest;
    put(w, LP__BLOB_MAGIC, 8);
    put_str(w, m->format);
    put_str(w, m->objective);
    put_str(w, m->booster);
    put_str(w, m->producer_name);
    put_str(w, m->producer_version);
    put_str(w, m->sha256);
    put_u64(w, m->source_bytes);
    put_u64(w, m->n_features);
    put_u64(w, m->feature_names != NULL);
    for (size_t i = 0; m->feature_names && i < m->n_features; i++) put_str(w, m->feature_names[i]);
    put(w, m->feature_is_cat, m->n_features);
    put_u64(w, m->n_missing_values);
    put(w, m->missing_values, m->n_missing_values * sizeof(double));
    put_u64(w, m->n_groups);
    put(w, m->base_margin, m->n_groups * sizeof(float));
    put(w, &m->average_divisor, sizeof m->average_divisor);
    put_u64(w, m->base_after != NULL);
    if (m->base_after) put(w, m->base_after, m->n_groups * sizeof(float));
    put_u64(w, (uint64_t)m->link);
    put_u64(w, (uint64_t)m->native_task);
    put_u64(w, (uint64_t)m->task);
    put_u64(w, m->n_outputs);
    for (size_t k = 0; k < m->n_outputs; k++) put_str(w, m->output_names[k]);
    for (size_t k = 0; k < m->n_outputs; k++) put_u64(w, (uint64_t)m->output_types[k]);
    put(w, m->thresholds, m->n_outputs * sizeof(double));
    put_u64(w, m->trees_in_file);
    put_u64(w, (uint64_t)(m->best_iteration + 1));   /* 0 = none */
    put_u64(w, f->n_trees);
    put_u64(w, f->n_nodes);
    put(w, f->nodes, f->n_nodes * sizeof *f->nodes);
    put(w, f->tree_root, f->n_trees * sizeof *f->tree_root);
    put(w, f->tree_group, f->n_trees * sizeof *f->tree_group);
    put_u64(w, f->n_cat_sets);
    put_u64(w, f->n_cat_words);
    put(w, f->cat_offset, f->n_cat_sets * sizeof *f->cat_offset);
    put(w, f->cat_n_words, f->n_cat_sets * sizeof *f->cat_n_words);
    put(w, f->cat_words, f->n_cat_words * sizeof *f->cat_words);
    put_str(w, m->details_json ? m->details_json : "");
    put_u64(w, m->prep != NULL);
    for (size_t j = 0; m->prep && j < m->n_features; j++) {
        const lp__feature_prep *p = &m->prep[j];
        put_u64(w, p->kind);
        put_u64(w, p->nan_to_zero);
        put_u64(w, p->zero_is_missing);
        put_u64(w, p->n_thresholds);
        put(w, p->thresholds, p->n_thresholds * sizeof(double));
        put_u64(w, p->n_categories);
        for (size_t i = 0; i < p->n_categories; i++) {
            put_str(w, p->categories[i].text);
            put(w, &p->categories[i].number, sizeof(double));
        }
    }
    /* A dense ONNX model travels as its file: rebuilding the graph is cheap. */
    put_u64(w, m->graph_source_len);
    put(w, m->graph_source, m->graph_source_len);
    /* Typed inputs and categories (feature_types.h). */
    put_u64(w, m->inputs != NULL);
    for (size_t j = 0; m->inputs && j < m->n_features; j++) {
        const lp__input_spec *p = &m->inputs[j];
        put_u64(w, p->kind);
        put_u64(w, p->unknown_missing);
        put_u64(w, p->numeric_names);
        put_u64(w, p->n_categories);
        for (size_t i = 0; i < p->n_categories; i++) {
            put_str(w, p->names[i]);
            put(w, &p->codes[i], sizeof(double));
        }
    }
    /* A text model's preprocessing as its manifest gave it ("preprocess" and
     * the vocabulary file it names), parsed again when the blob is read. */
#ifndef LP_NO_TEXT
    const struct lp__text_model *t = m->text;
    put_u64(w, t != NULL);
    if (t) {
        put_str(w, t->spec);
        put_str(w, t->where ? t->where : "");
        put_u64(w, t->vocab.name != NULL);
        if (t->vocab.name) {
            put_str(w, t->vocab.name);
            put_u64(w, t->vocab.len);
            put(w, t->vocab.bytes, t->vocab.len);
        }
    }
#else
    put_u64(w, 0);
#endif
    /* The graph inputs' symbolic dimensions the load bound (onnx_dims.h). */
    put_u64(w, m->n_dim_bindings);
    for (size_t i = 0; i < m->n_dim_bindings; i++) {
        const lp__dim_binding *b = &m->dim_bindings[i];
        put_str(w, b->symbol ? b->symbol : "");
        put_str(w, b->input ? b->input : "");
        put_u64(w, (uint64_t)b->axis);
        put_u64(w, (uint64_t)b->value);
        put_str(w, b->source);
    }
}

lp_status lp_model_serialize(const lp_model *model, const uint8_t **out, size_t *out_len, lp_error *err)
{
    lp_model *m = (lp_model *)model;   /* the blob is a cache inside the model */
    if (m->ensemble && m->blob.len == 0) {   /* its manifest and its members' blobs */
        lp_status s = lp__ensemble_serialize(m, err);
        if (s != LP_OK) return s;
    }
    if (m->blob.len == 0) {
        writer w = {&m->blob, LP_OK};
        write_model(&w, m);
        if (w.status != LP_OK) {
            lp__buf_free(&m->blob);
            return lp__fail(err, LP_ERR_NOMEM, "out of memory serialising the model");
        }
    }
    *out = m->blob.data;
    *out_len = m->blob.len;
    return LP_OK;
}

/* ---- reading ---- */
typedef struct reader {
    const uint8_t *p;
    size_t         left;
    int            ok;
    int            nomem;   /* stopped by a failed allocation, not by the bytes */
} reader;

static void out_of_memory(reader *r)
{
    r->ok = 0;
    r->nomem = 1;
}

static const void *take(reader *r, size_t n)
{
    if (!r->ok || n > r->left) {
        r->ok = 0;
        return NULL;
    }
    const void *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

static uint64_t get_u64(reader *r)
{
    uint64_t v = 0;
    const void *p = take(r, sizeof v);
    if (p) memcpy(&v, p, sizeof v);
    return v;
}

/* A count of elements of `size` bytes that must fit in what is left. */
static size_t get_count(reader *r, size_t size)
{
    uint64_t n = get_u64(r);
    if (n > r->left / (size ? size : 1)) r->ok = 0;
    return r->ok ? (size_t)n : 0;
}

static void get_into(reader *r, void *dst, size_t n)
{
    const void *p = take(r, n);
    if (p && n) memcpy(dst, p, n);
}

static void get_fixed_str(reader *r, char *dst, size_t cap)
{
    size_t n = get_count(r, 1);
    if (n >= cap) r->ok = 0;
    const void *p = take(r, n);
    if (p) memcpy(dst, p, n), dst[n] = '\0';
}

static char *get_str(reader *r)
{
    size_t n = get_count(r, 1);
    const char *p = take(r, n);
    char *s = p ? lp__strndup(p, n) : NULL;
    if (p && !s) out_of_memory(r);
    else if (!s) r->ok = 0;
    return s;
}

/* Allocates n elements of `size` (at least one, so an empty array is not NULL). */
static void *get_array(reader *r, size_t n, size_t size)
{
    if (!r->ok) return NULL;
    void *dst = calloc(n ? n : 1, size);
    if (!dst) {
        out_of_memory(r);
        return NULL;
    }
    get_into(r, dst, n * size);
    return dst;
}

int lp__blob_is(const uint8_t *bytes, size_t len)
{
    return len >= 8 && memcmp(bytes, LP__BLOB_MAGIC, 8) == 0;
}

/* The dense graph from the ONNX bytes the blob carries; it must agree with
 * the model fields stored beside it. */
static lp_status rebuild_graph(lp_model *m, const lp__onnx_limits *limits, int text, lp_error *err)
{
#ifdef LP_NO_ONNX
    (void)m;
    (void)text;
    (void)limits;
    return lp__fail(err, LP_ERR_UNSUPPORTED, "this blob holds an ONNX graph, and this engine is the tabular-only "
                    "build (LP_NO_ONNX)");
#else
    lp__onnx_model om;
    const lp__onnx_node *ensemble = NULL;
    int trees = m->forest.n_trees > 0;   /* trees after encoders: the graph computes their features */
    lp_status s = lp__onnx_decode_limited(m->graph_source, m->graph_source_len, limits, &om, err);
    lp__dim_bindings dims = lp__onnx_dims_of(m);
    if (s == LP_OK) s = trees ? lp__onnx_feature_graph(&om, &m->graph, &ensemble, err) : lp__graph_build_bound(&om, &dims, &m->graph, err);
    /* (a text model's features are its text columns, attached afterwards) */
    if (s == LP_OK && ((!text && m->graph->n_features != m->n_features) || (!trees && m->graph->n_outputs != m->n_groups)))
        s = lp__fail(err, LP_ERR_BAD_MODEL, "the model blob is truncated or corrupt");
    return s;
#endif
}

lp_status lp__blob_load(const uint8_t *bytes, size_t len, const lp__onnx_limits *onnx, lp_model **out,
                        lp_error *err)
{
    reader r = {bytes + 8, len - 8, 1, 0};
    lp_model *m = lp__model_new();
    if (!m) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    lp__forest *f = &m->forest;
    get_fixed_str(&r, m->format, sizeof m->format);
    get_fixed_str(&r, m->objective, sizeof m->objective);
    get_fixed_str(&r, m->booster, sizeof m->booster);
    get_fixed_str(&r, m->producer_name, sizeof m->producer_name);
    get_fixed_str(&r, m->producer_version, sizeof m->producer_version);
    get_fixed_str(&r, m->sha256, sizeof m->sha256);
    m->source_bytes = (size_t)get_u64(&r);
    m->n_features = get_count(&r, 1);
    if (get_u64(&r) && r.ok) {
        m->feature_names = calloc(m->n_features ? m->n_features : 1, sizeof *m->feature_names);
        if (!m->feature_names) out_of_memory(&r);
        for (size_t i = 0; r.ok && i < m->n_features; i++) m->feature_names[i] = get_str(&r);
    }
    /* One spare slot, as the JSON loader allocates (a featureless model's padding). */
    m->feature_is_cat = r.ok ? calloc(m->n_features + 1, 1) : NULL;
    if (r.ok && !m->feature_is_cat) out_of_memory(&r);
    get_into(&r, m->feature_is_cat, m->n_features);
    m->n_missing_values = get_count(&r, sizeof(double));
    m->missing_values = get_array(&r, m->n_missing_values, sizeof(double));
    m->n_groups = get_count(&r, sizeof(float));
    m->base_margin = get_array(&r, m->n_groups, sizeof(float));
    get_into(&r, &m->average_divisor, sizeof m->average_divisor);
    if (!(m->average_divisor >= 0)) r.ok = 0;
    if (get_u64(&r)) m->base_after = get_array(&r, m->n_groups, sizeof(float));
    uint64_t link = get_u64(&r), native_task = get_u64(&r), task = get_u64(&r);
    if (link > LP__LINK_LAST || native_task > LP_TASK_REGRESSION || task > LP_TASK_REGRESSION ||
        m->n_groups == 0)
        r.ok = 0;
    m->link = (lp__link)link;
    m->native_task = (lp_task)native_task;
    size_t n_outputs = get_count(&r, 1);
    /* Outputs follow from the task; the stored names and types replace the defaults. */
    if (r.ok && lp__model_set_outputs(m, (lp_task)task, err) != LP_OK) r.ok = 0;
    if (r.ok && n_outputs != m->n_outputs) r.ok = 0;
    for (size_t k = 0; r.ok && k < n_outputs; k++) {
        char *name = get_str(&r);
        if (name) free(m->output_names[k]), m->output_names[k] = name;
    }
    for (size_t k = 0; r.ok && k < n_outputs; k++) {
        uint64_t type = get_u64(&r);
        if (type > LP__LABEL_BOOL) r.ok = 0;
        m->output_types[k] = (lp__label_type)type;
    }
    if (r.ok) get_into(&r, m->thresholds, n_outputs * sizeof(double));
    /* As the manifest allows: thresholds from 0 to 1, missing sentinels that
     * are numbers (not NaN, which no cell compares equal to). */
    for (size_t k = 0; r.ok && k < n_outputs; k++)
        if (!(m->thresholds[k] >= 0 && m->thresholds[k] <= 1)) r.ok = 0;
    for (size_t i = 0; r.ok && i < m->n_missing_values; i++)
        if (m->missing_values[i] != m->missing_values[i]) r.ok = 0;
    m->trees_in_file = (size_t)get_u64(&r);
    uint64_t best_plus_one = get_u64(&r);   /* 0 = none; checked before the subtraction */
    if (best_plus_one > (uint64_t)LP_MAX_NODES + 1) r.ok = 0;
    m->best_iteration = r.ok ? (long long)best_plus_one - 1 : -1;
    f->n_trees = get_count(&r, 8);
    f->n_nodes = get_count(&r, sizeof *f->nodes);
    /* A blob holds only the trees its model used: "best" keeps them all. */
    m->best_iteration_trees = f->n_trees;
    if (m->best_iteration < -1 || m->best_iteration > (long long)LP_MAX_NODES) r.ok = 0;
    f->nodes = get_array(&r, f->n_nodes, sizeof *f->nodes);
    f->tree_root = get_array(&r, f->n_trees, sizeof *f->tree_root);
    f->tree_group = get_array(&r, f->n_trees, sizeof *f->tree_group);
    f->n_cat_sets = get_count(&r, 8);
    f->n_cat_words = get_count(&r, 4);
    f->cat_offset = get_array(&r, f->n_cat_sets, sizeof *f->cat_offset);
    f->cat_n_words = get_array(&r, f->n_cat_sets, sizeof *f->cat_n_words);
    f->cat_words = get_array(&r, f->n_cat_words, sizeof *f->cat_words);
    m->details_json = r.ok ? get_str(&r) : NULL;
    if (m->details_json && !m->details_json[0]) free(m->details_json), m->details_json = NULL;
    if (get_u64(&r) && r.ok) {   /* per-feature preparation (LightGBM) */
        m->prep = calloc(m->n_features + 1, sizeof *m->prep);
        if (!m->prep) out_of_memory(&r);
        for (size_t j = 0; r.ok && j < m->n_features; j++) {
            lp__feature_prep *p = &m->prep[j];
            uint64_t kind = get_u64(&r), nan_to_zero = get_u64(&r), zero = get_u64(&r);
            if (kind > LP__PREP_TEXT_INT || nan_to_zero > 1 || zero > 1) r.ok = 0;
            p->kind = (uint8_t)kind, p->nan_to_zero = (uint8_t)nan_to_zero, p->zero_is_missing = (uint8_t)zero;
            p->n_thresholds = get_count(&r, sizeof(double));
            p->thresholds = get_array(&r, p->n_thresholds, sizeof(double));
            for (size_t i = 1; r.ok && i < p->n_thresholds; i++)
                if (!(p->thresholds[i - 1] < p->thresholds[i])) r.ok = 0;   /* sorted, distinct */
            size_t n_cat = get_count(&r, 8 + sizeof(double));
            p->categories = r.ok ? calloc(n_cat ? n_cat : 1, sizeof *p->categories) : NULL;
            if (!p->categories && r.ok) out_of_memory(&r);
            for (; r.ok && p->n_categories < n_cat; p->n_categories++) {
                lp__category *c = &p->categories[p->n_categories];
                c->text = get_str(&r);
                get_into(&r, &c->number, sizeof(double));
                if (!c->text) {
                    r.ok = 0;
                    break;
                }
            }
        }
    }
    m->graph_source_len = get_count(&r, 1);
    if (m->graph_source_len) m->graph_source = get_array(&r, m->graph_source_len, 1);
    if (get_u64(&r) && r.ok) {   /* typed inputs and categories */
        m->inputs = calloc(m->n_features + 1, sizeof *m->inputs);
        if (!m->inputs) out_of_memory(&r);
        for (size_t j = 0; r.ok && j < m->n_features; j++) {
            lp__input_spec *p = &m->inputs[j];
            uint64_t kind = get_u64(&r), unknown = get_u64(&r), numeric = get_u64(&r);
            if (kind > LP__INPUT_LAST || unknown > 1 || numeric > 1) r.ok = 0;
            p->kind = (uint8_t)kind, p->unknown_missing = (uint8_t)unknown;
            size_t n_cat = get_count(&r, 8 + sizeof(double));
            if (r.ok && (kind == LP__INPUT_CATEGORY) != (n_cat > 0)) r.ok = 0;   /* a category has a table */
            if (!r.ok || !n_cat) continue;
            char **names = calloc(n_cat, sizeof *names);
            double *codes = calloc(n_cat, sizeof *codes);
            if (!names || !codes) {
                free(names);
                free(codes);
                out_of_memory(&r);
                break;
            }
            size_t got = 0;
            for (; r.ok && got < n_cat; got++) {
                names[got] = get_str(&r);
                get_into(&r, &codes[got], sizeof(double));
                if (!names[got] || !(codes[got] >= 0 && codes[got] < 16777216)) r.ok = 0;
            }
            if (!r.ok) {
                for (size_t i = 0; i < n_cat; i++) free(names[i]);
                free(names);
                free(codes);
                break;
            }
            lp_error sub;
            if (lp__input_set_categories(p, names, codes, n_cat, "the model blob", LP_ERR_BAD_MODEL, &sub) != LP_OK) {
                if (sub.code == LP_ERR_NOMEM) out_of_memory(&r);
                r.ok = 0;
            }
            p->numeric_names = (uint8_t)numeric;
        }
    }
    /* A text model's preprocessing: pointers into the blob, parsed once the graph is built. */
    const char *text_spec = NULL, *vocab_bytes = NULL;
    char *text_where = NULL, *vocab_name = NULL;
    size_t text_spec_len = 0, vocab_len = 0;
    if (get_u64(&r) && r.ok) {
#ifndef LP_NO_TEXT
        text_spec_len = get_count(&r, 1);
        text_spec = take(&r, text_spec_len);
        text_where = get_str(&r);
        if (get_u64(&r) && r.ok) {
            vocab_name = get_str(&r);
            vocab_len = get_count(&r, 1);
            vocab_bytes = take(&r, vocab_len);
        }
        if (!m->graph_source_len) r.ok = 0;
#else
        (void)text_spec_len, (void)vocab_bytes, (void)vocab_len;
        r.ok = 0;   /* (a full engine's blob) */
#endif
    }
    size_t n_dims = get_count(&r, 8 * 5);
    for (size_t i = 0; r.ok && i < n_dims; i++) {
        char *symbol = get_str(&r), *input = get_str(&r);
        uint64_t axis = get_u64(&r), value = get_u64(&r);
        char *source = get_str(&r);
        if (r.ok && (axis >= LP__MAX_RANK || value < 1 || value > 1000000)) r.ok = 0;
#ifndef LP_NO_ONNX
        if (r.ok && lp__onnx_dims_add(m, symbol[0] ? symbol : NULL, input[0] ? input : NULL, (int)axis, (int64_t)value,
                                      source, err) != LP_OK)
            out_of_memory(&r);
#else
        r.ok = 0;   /* (a full engine's blob) */
#endif
        free(symbol);
        free(input);
        free(source);
    }
    /* Depths and categorical flags are derived by lp__forest_check. */
    f->tree_depth = calloc(f->n_trees + 1, 1);
    f->tree_has_cat = calloc(f->n_trees + 1, 1);
    if (!f->tree_depth || !f->tree_has_cat) out_of_memory(&r);

    lp_status s = LP_OK;
    if (!r.ok || r.left != 0) {
        if (r.nomem)
            s = lp__fail(err, LP_ERR_NOMEM, "out of memory reading the model blob");
        else if (!err || err->code == LP_OK)
            s = lp__fail(err, LP_ERR_BAD_MODEL, "the model blob is truncated or corrupt");
        else
            s = err->code;
    }
    /* Trees are contiguous and in order: tree t ends where t + 1 begins. */
    uint32_t *tree_end = s == LP_OK ? calloc(f->n_trees + 1, sizeof *tree_end) : NULL;
    if (s == LP_OK && !tree_end) s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
    for (size_t t = 0; s == LP_OK && t < f->n_trees; t++)
        tree_end[t] = t + 1 < f->n_trees ? f->tree_root[t + 1] : (uint32_t)f->n_nodes;
    /* The graph first: for trees after encoders it says how wide their features are. */
    if (s == LP_OK && m->graph_source_len) s = rebuild_graph(m, onnx, text_spec != NULL, err);
    if (s == LP_OK) s = lp__forest_check(f, tree_end, lp__model_tree_width(m), m->n_groups, err);
    free(tree_end);
#ifndef LP_NO_TEXT
    if (s == LP_OK && text_spec) {
        lp_part vocab = {vocab_name, (const uint8_t *)vocab_bytes, vocab_len};
        s = lp__text_attach_source(m, text_spec, text_spec_len, text_where && text_where[0] ? text_where : "the model blob",
                                   vocab_name ? &vocab : NULL, err);
    }
#endif
    free(text_where);
    free(vocab_name);
    if (s != LP_OK) {
        lp_model_destroy(m);
        return s;
    }
    *out = m;
    return LP_OK;
}
