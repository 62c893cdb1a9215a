/* test_blob.c — src/formats/model_blob: lp_model_serialize -> lp_model_load
 * gives a model that predicts bit-identically and describes itself the same;
 * truncated and corrupted blobs are refused (BAD_MODEL), never crash (ASan
 * watches), and nothing a blob says can make the kernels read outside the
 * row they are given. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/model.h"
#include "localpredict.h"
#include "lp_test.h"

/* A private copy of a model's blob (the model owns the original). */
static uint8_t *blob_of(const lp_model *m, size_t *len)
{
    const uint8_t *p = NULL, *p2 = NULL;
    size_t n = 0, n2 = 0;
    lp_error err;
    if (!LP_CHECK_STATUS(lp_model_serialize(m, &p, &n, &err), LP_OK, &err)) return NULL;
    LP_CHECK_STATUS(lp_model_serialize(m, &p2, &n2, &err), LP_OK, &err);
    LP_CHECK(p == p2 && n == n2, "a second serialize gave another blob");
    LP_CHECK(n > 8 && memcmp(p, "LPMODEL1", 8) == 0, "the blob does not start with its magic");
    uint8_t *copy = malloc(n);
    memcpy(copy, p, n);
    *len = n;
    return copy;
}

/* Rows to predict: the fixture's input, or a grid for the tiny model. */
static int rows_for(const char *name, const lp_model *m, float **x, size_t *n_rows)
{
    if (strcmp(name, "tiny") == 0) {
        static const float v[] = {0, 1, 0.5f, -1, 3, 40, 1.7f};
        size_t n = 0;
        *x = malloc(7 * 7 * 7 * 3 * sizeof **x + 3 * sizeof **x);
        for (int a = 0; a < 7; a++)
            for (int b = 0; b < 7; b++)
                for (int c = 0; c < 7; c++, n++) {
                    (*x)[n * 3] = (a == 6 && b == 6) ? NAN : v[a];
                    (*x)[n * 3 + 1] = v[b];
                    (*x)[n * 3 + 2] = c == 6 ? NAN : v[c];
                }
        *n_rows = n;
        return 1;
    }
    char path[256];
    snprintf(path, sizeof path, "fixtures/xgboost/%s/input.csv", name);
    lp_test_csv in;
    if (!LP_CHECK(lp_test_read_csv(path, &in), "cannot read %s", path)) return 0;
    *x = lp_test_matrix_for_model(m, &in);
    *n_rows = in.n_rows;
    lp_test_csv_free(&in);
    return *x != NULL;
}

static void check_round_trip(const char *name, const char *manifest)
{
    lp_model *a = lp_test_load_named(name, manifest);
    if (!a) return;
    size_t len = 0;
    uint8_t *blob = blob_of(a, &len);
    lp_model *b = NULL;
    lp_error err;
    lp_status s = blob ? lp_model_load(blob, len, NULL, &b, &err) : LP_ERR_USAGE;
    if (LP_CHECK(s == LP_OK, "%s: loading its own blob (%zu bytes): %s: %s", name, len, lp_status_code(s), err.message)) {
        LP_CHECK_STR(lp_model_info_json(b), lp_model_info_json(a));
        float *x = NULL;
        size_t n = 0;
        if (rows_for(name, a, &x, &n)) {
            size_t k = lp_model_n_outputs(a), nf = lp_model_n_features(a);
            float *pa = calloc(n * k + 1, sizeof *pa), *pb = calloc(n * k + 1, sizeof *pb);
            uint8_t *ca = calloc(n * k + 1, 1), *cb = calloc(n * k + 1, 1);
            LP_CHECK_STATUS(lp_model_predict_matrix(a, x, n, nf, NULL, pa, ca, &err), LP_OK, &err);
            LP_CHECK_STATUS(lp_model_predict_matrix(b, x, n, nf, NULL, pb, cb, &err), LP_OK, &err);
            LP_CHECK_MEM(pb, pa, n * k * sizeof *pa);
            LP_CHECK_MEM(cb, ca, n * k);
            free(pa);
            free(pb);
            free(ca);
            free(cb);
        }
        free(x);
        /* The reloaded model serializes to the same bytes. */
        size_t len2 = 0;
        uint8_t *blob2 = blob_of(b, &len2);
        LP_CHECK(blob2 && len2 == len && memcmp(blob2, blob, len) == 0, "%s: blob of the reloaded model differs", name);
        free(blob2);
    }
    lp_model_destroy(b);
    lp_model_destroy(a);
    free(blob);
}

LP_TEST(round_trip_predicts_bit_identically)
{
    check_round_trip("tiny", NULL);
    for (size_t i = 0; i < lp_test_n_xgb_cases; i++) check_round_trip(lp_test_xgb_cases[i], NULL);
    /* What the manifest set travels with the blob. */
    check_round_trip("multilabel", "{\"localpredict\": 1, \"classes\": [\"x\", \"y\", \"z\"], "
                                   "\"threshold\": {\"y\": 0.25}, \"missing\": [-999]}");
    check_round_trip("binary", "{\"localpredict\": 1, \"classes\": [false, true], \"threshold\": 0.7}");
    check_round_trip("no_names", "{\"localpredict\": 1, \"features\": [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]}");
}

/* Loads every prefix of a blob: all must fail, with BAD_MODEL. */
static void check_truncations(const char *name, size_t step)
{
    lp_model *m = lp_test_load_named(name, NULL);
    size_t len = 0;
    uint8_t *blob = m ? blob_of(m, &len) : NULL;
    if (blob) {
        int bad = 0;
        for (size_t cut = 0; cut < len && bad < 5; cut += (cut < 64 || len - cut < 64) ? 1 : step) {
            uint8_t *copy = malloc(cut ? cut : 1);
            memcpy(copy, blob, cut);
            lp_model *out = NULL;
            lp_error err;
            lp_status s = lp_model_load(copy, cut, NULL, &out, &err);
            if (!LP_CHECK(s == LP_ERR_BAD_MODEL && out == NULL, "%s blob cut at %zu of %zu: %s (%s)", name, cut, len,
                          lp_status_code(s), err.message))
                bad++;
            lp_model_destroy(out);
            free(copy);
        }
    }
    free(blob);
    lp_model_destroy(m);
}

LP_TEST(truncated_blobs_are_refused)
{
    check_truncations("tiny", 1);
    check_truncations("categorical", 1);
    check_truncations("multiclass", 1);
    check_truncations("dart", 13);
    check_truncations("multilabel", 13);
}

/* Where the node table sits inside the blob (found by its bytes). */
static size_t node_table_offset(const lp_model *m, const uint8_t *blob, size_t len)
{
    size_t n = m->forest.n_nodes * sizeof *m->forest.nodes;
    for (size_t off = 8; off + n <= len; off++)
        if (memcmp(blob + off, m->forest.nodes, n) == 0) return off;
    return 0;
}

/* If a corrupt blob loads anyway, every node the kernels can step through
 * must keep them inside the row and the category table. */
static int loaded_model_is_safe(const lp_model *m, char *why, size_t cap)
{
    const lp__forest *f = &m->forest;
    for (size_t i = 0; i < f->n_nodes; i++) {
        const lp__node *n = &f->nodes[i];
        uint32_t feature = n->feature & LP__NODE_FEATURE_MASK;
        size_t slots = m->n_features ? m->n_features : 1;
        if (feature >= slots) {
            snprintf(why, cap, "node %zu reads feature %u of %zu", i, feature, slots);
            return 0;
        }
        if ((n->feature & LP__NODE_CATEGORICAL) && n->u.cat_set >= f->n_cat_sets) {
            snprintf(why, cap, "node %zu uses category set %u of %zu", i, n->u.cat_set, f->n_cat_sets);
            return 0;
        }
    }
    return 1;
}

LP_TEST(corrupted_blobs_are_refused)
{
    const char *names[] = {"tiny", "categorical"};
    for (size_t c = 0; c < 2; c++) {
        lp_model *m = lp_test_load_named(names[c], NULL);
        size_t len = 0;
        uint8_t *blob = m ? blob_of(m, &len) : NULL;
        size_t off = blob ? node_table_offset(m, blob, len) : 0;
        if (!blob || !LP_CHECK(off > 0, "%s: node table not found in the blob", names[c])) {
            free(blob);
            lp_model_destroy(m);
            continue;
        }
        /* The blob itself must load, or the checks below prove nothing. */
        lp_model *ok = NULL;
        lp_error err;
        LP_CHECK(lp_model_load(blob, len, NULL, &ok, &err) == LP_OK, "%s: the intact blob does not load: %s", names[c],
                 err.message);
        lp_model_destroy(ok);

        const lp__forest *f = &m->forest;
        uint32_t root1 = f->tree_root[1];
        size_t leaf = 0, cat = SIZE_MAX;
        while (leaf < f->n_nodes && f->nodes[leaf].left != (int32_t)leaf) leaf++;
        for (size_t i = 0; i < f->n_nodes && cat == SIZE_MAX; i++)
            if (f->nodes[i].feature & LP__NODE_CATEGORICAL) cat = i;
        /* field: 0 left, 1 right, 2 feature (keeping the default-left bit), 3 cat_set.
         * must_fail 0: refusing is fine, and so is loading a model the
         * kernels can still walk safely. */
        struct { const char *what; size_t node; int field; uint32_t value; int must_fail; } patches[] = {
            {"child index beyond the node table", 0, 0, (uint32_t)f->n_nodes + 5, 1},
            {"negative child index", 0, 1, (uint32_t)-3, 1},
            {"child index in the next tree", 0, 0, root1 + 1, 1},
            {"child pointing to the root (cycle)", f->nodes[0].left, 0, 0, 1},
            {"child pointing to the next tree's root", 0, 1, root1, 1},
            {"tree 1 pointing back into tree 0", root1, 0, 1, 1},
            {"split on a feature beyond the model's", 0, 2, (uint32_t)m->n_features, 1},
            {"a leaf with feature index 0x3fffffff", leaf, 2, 0x3fffffffu, 1},
            {"a leaf flagged categorical", leaf, 2, LP__NODE_CATEGORICAL, 1},
            {"a leaf flagged default-left", leaf, 2, LP__NODE_DEFAULT_LEFT, 0},
            {"categorical split with a set beyond the table", cat, 3, 1000000, 1},
        };
        for (size_t p = 0; p < sizeof patches / sizeof *patches; p++) {
            if (patches[p].node >= f->n_nodes) continue;   /* e.g. no categorical node */
            uint8_t *bad = malloc(len);
            memcpy(bad, blob, len);
            lp__node node;
            memcpy(&node, bad + off + patches[p].node * sizeof node, sizeof node);
            if (patches[p].field == 0) node.left = (int32_t)patches[p].value;
            if (patches[p].field == 1) node.right = (int32_t)patches[p].value;
            if (patches[p].field == 2) node.feature = patches[p].value | (node.feature & LP__NODE_DEFAULT_LEFT);
            if (patches[p].field == 3) node.u.cat_set = patches[p].value;
            memcpy(bad + off + patches[p].node * sizeof node, &node, sizeof node);
            lp_model *out = NULL;
            lp_status s = lp_model_load(bad, len, NULL, &out, &err);
            if (patches[p].must_fail) {
                LP_CHECK(s == LP_ERR_BAD_MODEL, "%s: %s: got %s (%s)", names[c], patches[p].what, lp_status_code(s),
                         err.message);
                if (s == LP_ERR_BAD_MODEL) LP_CHECK_CONTAINS(err.message, "tree");
            } else if (s == LP_OK) {
                char why[128];
                LP_CHECK(loaded_model_is_safe(out, why, sizeof why),
                         "%s: %s: the blob loads and %s (the kernel would read outside the row)", names[c],
                         patches[p].what, why);
            }
            lp_model_destroy(out);
            free(bad);
        }
        /* A byte too many. */
        uint8_t *longer = malloc(len + 1);
        memcpy(longer, blob, len);
        longer[len] = 0;
        lp_model *out = NULL;
        LP_CHECK_STATUS(lp_model_load(longer, len + 1, NULL, &out, &err), LP_ERR_BAD_MODEL, &err);
        lp_model_destroy(out);
        free(longer);
        free(blob);
        lp_model_destroy(m);
    }
}

LP_TEST(random_blob_corruption_never_crashes)
{
    lp_model *m = lp_test_load_named("tiny", NULL);
    size_t len = 0;
    uint8_t *blob = m ? blob_of(m, &len) : NULL;
    if (!blob) {
        lp_model_destroy(m);
        return;
    }
    lp_test_rng rng = {11};
    float x[7 * 3] = {0, 0, 0, 1, 1, 1, 0.5f, 0.5f, 3, -1, 2, 40, 1e30f, -1e30f, 1.7f, 0, 0, 0, 2, 2, 2};
    int loaded = 0, unsafe = 0;
    for (int iter = 0; iter < 4000; iter++) {
        uint8_t *bad = malloc(len);
        memcpy(bad, blob, len);
        int flips = 1 + (int)lp_test_below(&rng, 4);
        for (int k = 0; k < flips; k++) {
            size_t at = 8 + lp_test_below(&rng, (uint32_t)(len - 8));
            if (lp_test_below(&rng, 2)) bad[at] ^= (uint8_t)(1u << lp_test_below(&rng, 8));
            else bad[at] = (uint8_t)lp_test_rand(&rng);
        }
        lp_model *out = NULL;
        lp_error err;
        lp_status s = lp_model_load(bad, len, NULL, &out, &err);
        if (s == LP_OK) {
            loaded++;
            char why[128];
            if (loaded_model_is_safe(out, why, sizeof why)) {
                size_t nf = lp_model_n_features(out), k = lp_model_n_outputs(out);
                float *rows = malloc((7 * (nf ? nf : 1)) * sizeof *rows);
                for (size_t i = 0; i < 7 * nf; i++) rows[i] = x[i % 21];
                float *p = malloc((7 * k + 1) * sizeof *p);
                uint8_t *ch = malloc(7 * k + 1);
                lp_model_predict_matrix(out, rows, 7, nf, NULL, p, ch, &err);
                (void)lp_model_info_json(out);
                free(rows);
                free(p);
                free(ch);
            } else if (unsafe++ < 3) {
                LP_CHECK(0, "iteration %d: a corrupt blob loads and %s", iter, why);
            }
        } else {
            LP_CHECK(out == NULL, "a failed load returned a model");
        }
        lp_model_destroy(out);
        free(bad);
    }
    LP_CHECK(unsafe == 0, "%d corrupt blobs loaded with nodes the kernels cannot walk safely", unsafe);
    free(blob);
    lp_model_destroy(m);
}

void test_blob(void)
{
    LP_RUN(round_trip_predicts_bit_identically);
    LP_RUN(truncated_blobs_are_refused);
    LP_RUN(corrupted_blobs_are_refused);
    LP_RUN(random_blob_corruption_never_crashes);
}
