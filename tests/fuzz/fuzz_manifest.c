/* fuzz_manifest.c — the manifest and the caller overrides (same schema).
 *
 * Input: [selector] JSON bytes.  selector bit 0: the bytes are the manifest
 * (0) or the overrides (1); bits 1-2: which of three small models they apply
 * to (regression, binary, 3-class; the C tests' tiny model with its objective
 * changed).  A model that loads with them must then predict a small CSV
 * without error: whatever a manifest says (classes, task, thresholds,
 * missing sentinels, features), prediction may refuse only at load time.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "localpredict.h"

/* The tiny model of tests/c/main.c with the objective and classes as holes. */
static const char model_format[] =
    "{\"learner\":{\"attributes\":{},\"feature_names\":[\"x0\",\"x1\",\"x2\"],"
    "\"feature_types\":[\"float\",\"float\",\"c\"],"
    "\"gradient_booster\":{\"model\":{\"gbtree_model_param\":{\"num_parallel_tree\":\"1\",\"num_trees\":\"3\"},"
    "\"tree_info\":[%s],\"trees\":["
    "{\"base_weights\":[0,0,0,0,0,0,0],\"categories\":[],\"categories_nodes\":[],\"categories_segments\":[],"
    "\"categories_sizes\":[],\"default_left\":[0,1,0,0,0,0,0],\"id\":0,\"left_children\":[1,3,5,-1,-1,-1,-1],"
    "\"loss_changes\":[0,0,0,0,0,0,0],\"parents\":[2147483647,0,0,1,1,2,2],"
    "\"right_children\":[2,4,6,-1,-1,-1,-1],\"split_conditions\":[0.5,0.5,0.5,-1,1,2,-2],"
    "\"split_indices\":[0,1,1,0,0,0,0],\"split_type\":[0,0,0,0,0,0,0],\"sum_hessian\":[1,1,1,1,1,1,1],"
    "\"tree_param\":{\"num_deleted\":\"0\",\"num_feature\":\"3\",\"num_nodes\":\"7\",\"size_leaf_vector\":\"0\"}},"
    "{\"base_weights\":[0,0,0],\"categories\":[1,3],\"categories_nodes\":[0],\"categories_segments\":[0],"
    "\"categories_sizes\":[2],\"default_left\":[0,0,0],\"id\":1,\"left_children\":[1,-1,-1],"
    "\"loss_changes\":[0,0,0],\"parents\":[2147483647,0,0],\"right_children\":[2,-1,-1],"
    "\"split_conditions\":[NaN,10,20],\"split_indices\":[2,0,0],\"split_type\":[1,0,0],"
    "\"sum_hessian\":[1,1,1],"
    "\"tree_param\":{\"num_deleted\":\"0\",\"num_feature\":\"3\",\"num_nodes\":\"3\",\"size_leaf_vector\":\"0\"}},"
    "{\"base_weights\":[0.25],\"categories\":[],\"categories_nodes\":[],\"categories_segments\":[],"
    "\"categories_sizes\":[],\"default_left\":[0],\"id\":2,\"left_children\":[-1],\"loss_changes\":[0],"
    "\"parents\":[2147483647],\"right_children\":[-1],\"split_conditions\":[0.25],\"split_indices\":[0],"
    "\"split_type\":[0],\"sum_hessian\":[1],"
    "\"tree_param\":{\"num_deleted\":\"0\",\"num_feature\":\"3\",\"num_nodes\":\"1\",\"size_leaf_vector\":\"0\"}}"
    "]},\"name\":\"gbtree\"},"
    "\"learner_model_param\":{\"base_score\":\"5E-1\",\"num_class\":\"%s\",\"num_feature\":\"3\",\"num_target\":\"1\"},"
    "\"objective\":{\"name\":\"%s\",\"reg_loss_param\":{\"scale_pos_weight\":\"1\"}}},"
    "\"version\":[1,7,4]}";

static const struct { const char *tree_info, *num_class, *objective; } variants[3] = {
    {"0,0,0", "0", "reg:squarederror"},
    {"0,0,0", "0", "binary:logistic"},
    {"0,1,2", "3", "multi:softprob"},
};

static const char csv[] = "x0,x1,x2,id\n0.25,0.75,1,a\n1,,3,b\n,-0.5,7,\"c,d\"\n-999,0,2,e\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static char model[sizeof model_format + 64];
    int v = (data[0] >> 1) % 3;
    int n = snprintf(model, sizeof model, model_format, variants[v].tree_info, variants[v].num_class,
                     variants[v].objective);
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof model, "the model text does not fit");

    /* An exact-size copy of the JSON, so ASan sees a read past its end. */
    char *json = malloc(size - 1 ? size - 1 : 1);
    FUZZ_CHECK(json != NULL, "out of memory in the fuzz target");
    memcpy(json, data + 1, size - 1);
    lp_load_options lo = lp_load_options_default();
    if (data[0] & 1) {
        lo.overrides = json;
        lo.overrides_len = size - 1;
    } else {
        lo.manifest = json;
        lo.manifest_len = size - 1;
        lo.manifest_name = "fuzz.localpredict.json";
    }
    lp_error err;
    lp_model *m = NULL;
    lp_status s = lp_model_load((const uint8_t *)model, (size_t)n, &lo, &m, &err);
    free(json);
    if (s != LP_OK) {
        FUZZ_CHECK(m == NULL && err.message[0] != '\0', "a failed load without a message");
        return 0;
    }
    FUZZ_CHECK(lp_model_info_json(m) != NULL, "no info JSON");
    lp_job_options o = lp_job_options_default();
    o.include_input = 1;
    lp_job *job = NULL;
    s = lp_job_create(m, &o, &job, &err);
    if (s == LP_OK) s = lp_job_push(job, (const uint8_t *)csv, sizeof csv - 1, &err);
    if (s == LP_OK) s = lp_job_finish(job, &err);
    /* A manifest may legitimately make the header fail (features it renames,
     * a class named like an input column), or a cell (a typed feature: an
     * integer or boolean column, categories the CSV's values are not among);
     * nothing else may fail past load. */
    FUZZ_CHECK(s == LP_OK || s == LP_ERR_MISSING_COLUMN || s == LP_ERR_DUPLICATE_COLUMN ||
                   s == LP_ERR_COLUMN_COUNT || s == LP_ERR_BAD_NUMBER || s == LP_ERR_UNKNOWN_CATEGORY,
               err.message);
    lp_job_destroy(job);
    lp_model_destroy(m);
    return 0;
}
