/* test_xgb_fast.c — the XGBoost JSON loader's fast reader
 * (src/formats/xgboost_json_fast.h) against the cJSON path it stands in for:
 * on every model xgboost saved (the fixtures, recorded by gen_xgboost.py) it
 * is taken and builds a byte-identical model (same blob, same info); on
 * documents it must not vouch for it steps aside; and every bad model gets
 * exactly the cJSON path's status and message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/manifest.h"
#include "formats/xgboost_json.h"
#include "formats/xgboost_json_fast.h"
#include "core/arena.h"
#include "localpredict.h"
#include "lp_test.h"

/* Whether the fast reader takes the document (in an arena, as the loader runs it). */
static int fast_takes(const char *text, size_t len)
{
    lp__arena arena = {NULL, 0};
    lp__arena *before = lp__cjson_use_arena(&arena);
    cJSON *root = NULL;
    lp__xgb_fast fast;
    int taken = lp__xgb_fast_parse((const uint8_t *)text, len, &root, &fast) == 0;
    lp__xgb_fast_free(&fast);
    lp__cjson_use_arena(before);
    lp__arena_release(&arena);
    return taken;
}

/* Loads through both paths; both must agree on the status, the message and,
 * when loaded, the model's blob and info. */
static void check_same(const char *what, const char *text, size_t len)
{
    lp_model *a = NULL, *b = NULL;
    lp_error ea, eb;
    lp_status sa = lp__xgboost_json_load((const uint8_t *)text, len, &a, &ea);
    lp_status sb = lp__xgboost_json_load_cjson((const uint8_t *)text, len, &b, &eb);
    LP_CHECK(sa == sb, "%s: status %d from the loader, %d from the cJSON path", what, sa, sb);
    if (sa != LP_OK || sb != LP_OK) {
        LP_CHECK(strcmp(ea.message, eb.message) == 0, "%s: message \"%s\" vs the cJSON path's \"%s\"", what,
                 ea.message, eb.message);
        LP_CHECK(ea.tree == eb.tree && ea.node == eb.node, "%s: tree/node differ from the cJSON path's", what);
    } else {
        lp_error e;
        /* as lp_model_load finishes a model: blob and info */
        LP_CHECK_STATUS(lp__manifest_apply(a, NULL, &e), LP_OK, &e);
        LP_CHECK_STATUS(lp__manifest_apply(b, NULL, &e), LP_OK, &e);
        LP_CHECK_STATUS(lp__model_finish(a, &e), LP_OK, &e);
        LP_CHECK_STATUS(lp__model_finish(b, &e), LP_OK, &e);
        const uint8_t *pa, *pb;
        size_t na, nb;
        if (LP_CHECK_STATUS(lp_model_serialize(a, &pa, &na, &e), LP_OK, &e) &&
            LP_CHECK_STATUS(lp_model_serialize(b, &pb, &nb, &e), LP_OK, &e))
            LP_CHECK(na == nb && memcmp(pa, pb, na) == 0, "%s: the two paths built different models", what);
        LP_CHECK_STR(lp_model_info_json(a), lp_model_info_json(b));
    }
    lp_model_destroy(a);
    lp_model_destroy(b);
}

LP_TEST(test_fast_takes_xgboost_files)
{
    char path[256];
    for (size_t i = 0; i < lp_test_n_xgb_cases; i++) {
        snprintf(path, sizeof path, "fixtures/xgboost/%s/model.json", lp_test_xgb_cases[i]);
        size_t len = 0;
        char *text = (char *)lp_test_read_file(path, &len);
        if (!LP_CHECK(text != NULL, "cannot read %s", path)) continue;
        LP_CHECK(fast_takes(text, len), "the fast reader did not take %s", path);
        check_same(path, text, len);
        free(text);
    }
    LP_CHECK(fast_takes(lp_test_tiny_model, strlen(lp_test_tiny_model)), "the fast reader did not take the tiny model");
    check_same("tiny", lp_test_tiny_model, strlen(lp_test_tiny_model));
}

/* Documents the fast reader leaves to cJSON, which still loads them. */
LP_TEST(test_fast_steps_aside)
{
    static const struct { const char *from, *to, *why; } cases[] = {
        {"\"x0\"", "\"x\\u0030\"", "(taken: an escape in a string cJSON reads)"},
        {"\"left_children\":[1,3,5,", "\"left_c\\u0068ildren\":[1,3,5,", "an escape in a key"},
        {"\"split_conditions\":[0.5,", "\"split_conditions\":[5E-1,", "(taken: an exponent is JSON)"},
        {"\"split_conditions\":[0.5,", "\"split_conditions\":[.5,", "a number JSON does not allow"},
        {"\"split_conditions\":[0.5,", "\"split_conditions\":[0.5e,", "a cut exponent"},
        {"\"split_conditions\":[0.5,", "\"split_conditions\":[0.5, \"1\", ", "a string in a node array"},
        {"\"default_left\":[0,1,", "\"default_left\":[0,1],\"default_left\":[1,1,", "a node array twice"},
        {"\"tree_info\":[0,0,0]", "\"tree_info\":[0,0,NaN]", "NaN outside the node arrays"},
        {"\"version\":[1,7,4]}", "\"version\":[1,7,4]} x", "bytes after the document"},
        {"\"split_conditions\":[0.5,", "\"split_conditions\":[0.5, -Infinity,", "(taken: -Infinity in a node array)"},
        {"\"split_conditions\":[0.5,", "\"split_conditions\":[0.5, NaN,", "(taken: NaN in a node array)"},
        {"\"split_conditions\":[0.5,", "\"split_conditions\":[0.5, null, true,", "(taken: null and true)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *text = LP_REPLACE(lp_test_tiny_model, cases[i].from, cases[i].to);
        if (!text) continue;
        int expect_taken = cases[i].why[0] == '(';
        LP_CHECK(fast_takes(text, strlen(text)) == expect_taken, "%s: the fast reader %s it", cases[i].why,
                 expect_taken ? "did not take" : "took");
        check_same(cases[i].why, text, strlen(text));
        free(text);
    }
}

/* Deep nesting: what cJSON refuses (more than 64 levels) the fast reader
 * must not accept, also below the levels it walks itself. */
LP_TEST(test_fast_nesting_limit)
{
    /* A member of a tree object sits inside 6 containers (document, learner,
     * gradient_booster, model, trees, the tree): 58 more levels are the most. */
    for (int extra = 55; extra <= 62; extra++) {
        char *deep = malloc(2 * (size_t)extra + 32), *p = deep;
        p += sprintf(p, "\"id\":2,\"x\":");
        for (int i = 0; i < extra; i++) *p++ = '[';
        for (int i = 0; i < extra; i++) *p++ = ']';
        sprintf(p, ",");
        char *text = LP_REPLACE(lp_test_tiny_model, "\"id\":2,", deep);
        if (text) {
            char name[64];
            snprintf(name, sizeof name, "a tree member nested %d deep", extra);
            LP_CHECK(fast_takes(text, strlen(text)) == (extra <= 58), "%s: taken %d", name, fast_takes(text, strlen(text)));
            check_same(name, text, strlen(text));
        }
        free(text);
        free(deep);
    }
}

/* Bad models: the same message as the cJSON path (the fast path's own
 * failures are never shown). */
LP_TEST(test_fast_bad_models_same_messages)
{
    static const struct { const char *from, *to; } cases[] = {
        {"\"left_children\":[1,3,5,-1", "\"left_children\":[1,3,9,-1"},      /* child outside the tree */
        {"\"split_indices\":[0,1,1,", "\"split_indices\":[0,7,1,"},          /* feature index */
        {"\"right_children\":[2,4,6,-1,-1,-1,-1]", "\"right_children\":[2,4,6,-1,-1,-1]"},   /* length */
        {"\"left_children\":[1,3,5,-1,-1,-1,-1],", ""},                        /* missing array */
        {"\"split_conditions\":[0.5,0.5,0.5,-1,1,2,-2]", "\"split_conditions\":[0.5,0.5,0.5,-1,1,2,{}]"},
        {"\"right_children\":[2,4,6,-1,", "\"right_children\":[2,4,6,3,"},    /* leaf with a right child */
        {"\"num_nodes\":\"7\"", "\"num_nodes\":\"8\""},
        {"\"tree_info\":[0,0,0]", "\"tree_info\":[0,0,1]"},
        {"\"split_type\":[0,0,0,0,0,0,0]", "\"split_type\":[1,0,0,0,0,0,0]"},  /* categorical without a set */
        {"\"version\":[1,7,4]}", "\"version\":[1,7,4]"},                        /* truncated */
        {"\"default_left\":[0,1,0", "\"default_left\":[0,1,,0"},               /* malformed */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *text = LP_REPLACE(lp_test_tiny_model, cases[i].from, cases[i].to);
        if (!text) continue;
        lp_model *m = NULL;
        lp_error e;
        LP_CHECK(lp__xgboost_json_load((const uint8_t *)text, strlen(text), &m, &e) != LP_OK,
                 "case %zu (%s): the bad model loaded", i, cases[i].to);
        lp_model_destroy(m);
        check_same(cases[i].to, text, strlen(text));
        free(text);
    }
}

void test_xgb_fast(void)
{
    LP_RUN(test_fast_takes_xgboost_files);
    LP_RUN(test_fast_steps_aside);
    LP_RUN(test_fast_nesting_limit);
    LP_RUN(test_fast_bad_models_same_messages);
}
