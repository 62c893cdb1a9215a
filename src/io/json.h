/* json.h — reading JSON documents (models, manifests) through cJSON, with
 * every failure turned into an lp_error that names the field at fault.
 *
 * cJSON reports parse errors through a global pointer; lp__json_parse uses
 * the reentrant return_parse_end instead and converts it to line/column at
 * once, so no cJSON state outlives a call.  Paths in messages are written
 * like "learner.gradient_booster.model.trees[3].left_children[7]".
 */
#ifndef LP_IO_JSON_H
#define LP_IO_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "../localpredict.h"
#include "cJSON.h"

/* `what` names the document in messages ("model JSON", "manifest").
 * lp__json_parse also accepts the NaN / Infinity tokens XGBoost writes
 * (NaN is read as null); lp__json_parse_strict accepts only JSON. */
lp_status lp__json_parse(const uint8_t *bytes, size_t len, const char *what, lp_status bad,
                         cJSON **out, lp_error *err);
lp_status lp__json_parse_strict(const uint8_t *bytes, size_t len, const char *what,
                                lp_status bad, cJSON **out, lp_error *err);

/* One JSON value at the start of [bytes, bytes + len) (leading whitespace
 * skipped), NULL when there is none (*nomem set when memory ran out); *end
 * is where it stops.  Strict JSON,
 * no message: for readers that try a fast path first
 * (formats/xgboost_json_fast.h) and go back to lp__json_parse on failure. */
cJSON *lp__json_parse_value(const uint8_t *bytes, size_t len, const uint8_t **end, int *nomem);

/* A member that must exist and have the given type (cJSON_Object, ...). */
lp_status lp__json_member(const cJSON *obj, const char *key, int type, const char *path,
                          lp_status bad, const cJSON **out, lp_error *err);

/* A number, or a string holding one (XGBoost writes most parameters as
 * strings: "num_class": "3"), or null (a NaN token) read as NaN. */
lp_status lp__json_number(const cJSON *item, const char *path, lp_status bad, double *out,
                          lp_error *err);

/* An integer in [lo, hi] given as number or numeric string. */
lp_status lp__json_int(const cJSON *item, const char *path, long long lo, long long hi,
                       lp_status bad, long long *out, lp_error *err);

/* Number of elements of an array (cJSON_GetArraySize is O(n) too; this
 * exists to give one error when the item is not an array). */
lp_status lp__json_array_len(const cJSON *item, const char *path, lp_status bad, size_t *n,
                             lp_error *err);

#endif
