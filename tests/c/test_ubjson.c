/* test_ubjson.c — src/io/ubjson: hand-written documents give the cJSON tree
 * the UBJSON spec says (every marker, typed and counted containers, no-ops);
 * malformed ones are refused with the byte offset, never crash or read out of
 * bounds (ASan watches), and no count can ask for more memory than the file's
 * size allows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/ubjson.h"
#include "lp_test.h"

static cJSON *parse(const char *bytes, size_t len, lp_status want, const char *says)
{
    cJSON *root = NULL;
    lp_error err;
    lp_status s = lp__ubjson_parse((const uint8_t *)bytes, len, &root, &err);
    if (LP_CHECK_STATUS(s, want, &err) && says) LP_CHECK_CONTAINS(err.message, says);
    if (s != LP_OK) LP_CHECK(root == NULL, "a failed parse left a tree");
    return root;
}

LP_TEST(ubjson_every_marker)
{
    /* {"a": int8 -2, "bb": uint8 200, "c": int16 -300, "d": int32 70000,
     *  "e": int64 2^40, "f": float32 1.5, "g": float64 0.1, "h": "hi",
     *  "i": true, "j": false, "k": null, "l": char 'x', "m": H "2.5"} */
    static const char doc[] =
        "{" "i\x01" "a" "i\xfe"
        "U\x02" "bb" "U\xc8"
        "i\x01" "c" "I\xfe\xd4"
        "i\x01" "d" "l\x00\x01\x11\x70"
        "i\x01" "e" "L\x00\x00\x01\x00\x00\x00\x00\x00"
        "i\x01" "f" "d\x3f\xc0\x00\x00"
        "i\x01" "g" "D\x3f\xb9\x99\x99\x99\x99\x99\x9a"
        "i\x01" "h" "Si\x02hi"
        "i\x01" "i" "T"
        "i\x01" "j" "F"
        "i\x01" "k" "Z"
        "N"
        "i\x01" "l" "Cx"
        "i\x01" "m" "Hi\x03" "2.5"
        "}";
    cJSON *root = parse(doc, sizeof doc - 1, LP_OK, NULL);
    if (!root) return;
    char *text = cJSON_PrintUnformatted(root);
    LP_CHECK_STR(text, "{\"a\":-2,\"bb\":200,\"c\":-300,\"d\":70000,\"e\":1099511627776,\"f\":1.5,\"g\":0.1,"
                       "\"h\":\"hi\",\"i\":true,\"j\":false,\"k\":null,\"l\":\"x\",\"m\":2.5}");
    free(text);
    cJSON_Delete(root);
}

LP_TEST(ubjson_containers)
{
    /* Typed and counted: [$d#i\x02 1.0f 2.0f], counted untyped [#i\x02 i1 i2],
     * open [i1 [] {}], counted object {#i\x01 i\x01 "k" T}. */
    static const char doc[] =
        "[" "[$d#i\x02" "\x3f\x80\x00\x00" "\x40\x00\x00\x00"
        "[#i\x02" "i\x01" "i\x02"
        "[" "i\x01" "[]" "{}" "]"
        "{#i\x01" "i\x01" "k" "T"
        "[$U#i\x03" "\x00\x01\xff"
        "]";
    cJSON *root = parse(doc, sizeof doc - 1, LP_OK, NULL);
    if (!root) return;
    char *text = cJSON_PrintUnformatted(root);
    LP_CHECK_STR(text, "[[1,2],[1,2],[1,[],{}],{\"k\":true},[0,1,255]]");
    free(text);
    cJSON_Delete(root);
}

LP_TEST(ubjson_malformed_is_refused)
{
    parse("", 0, LP_ERR_BAD_MODEL, "empty");
    parse("[i\x01", 3, LP_ERR_BAD_MODEL, "ends inside an array");
    parse("{i\x05" "ab", 5, LP_ERR_BAD_MODEL, "longer than the rest of the file");
    parse("{i\x01" "a" "q", 5, LP_ERR_BAD_MODEL, "byte 4: unknown marker 0x71");
    parse("[$d]", 4, LP_ERR_BAD_MODEL, "without a count");
    parse("[#i\xff]", 5, LP_ERR_BAD_MODEL, "negative");
    parse("[$Z#L\x7f\xff\xff\xff\xff\xff\xff\xff", 13, LP_ERR_BAD_MODEL, "longer than the rest");
    parse("Si\x03" "a\0b", 6, LP_ERR_BAD_MODEL, "NUL");
    parse("TT", 2, LP_ERR_BAD_MODEL, "bytes follow");
    parse("Hi\x01x", 4, LP_ERR_BAD_MODEL, "not a number");
    /* Nesting deeper than LP_MAX_JSON_DEPTH. */
    char deep[200];
    memset(deep, '[', sizeof deep);
    parse(deep, sizeof deep, LP_ERR_BAD_MODEL, "nest too deeply");
}

/* Every prefix and every single-byte change of a real model: a clean result
 * either way (ASan and UBSan watch the reads). */
LP_TEST(ubjson_cut_and_flipped_models_never_crash)
{
    size_t n = 0;
    uint8_t *bytes = lp_test_read_file("fixtures/xgboost/categorical/model.ubj", &n);
    if (!LP_CHECK(bytes != NULL, "no categorical/model.ubj")) return;
    size_t refused = 0, tried = 0;
    for (size_t len = 0; len < n; len += 1 + len / 64, tried++) {
        cJSON *root = NULL;
        if (lp__ubjson_parse(bytes, len, &root, NULL) != LP_OK) refused++;
        cJSON_Delete(root);
    }
    LP_CHECK(refused == tried, "%zu of %zu cut documents parsed", tried - refused, tried);
    lp_test_rng rng = {7};
    uint8_t *copy = malloc(n);
    for (int k = 0; k < 300; k++) {
        memcpy(copy, bytes, n);
        copy[lp_test_below(&rng, (uint32_t)n)] = (uint8_t)lp_test_rand(&rng);
        lp_model *m = NULL;
        lp_error err;
        if (lp_model_load(copy, n, NULL, &m, &err) == LP_OK) lp_model_destroy(m);
    }
    LP_CHECK(1, "no crash");
    free(copy);
    free(bytes);
}

void test_ubjson(void)
{
    LP_RUN(ubjson_every_marker);
    LP_RUN(ubjson_containers);
    LP_RUN(ubjson_malformed_is_refused);
    LP_RUN(ubjson_cut_and_flipped_models_never_crash);
}
