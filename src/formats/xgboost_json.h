/* xgboost_json.h — the XGBoost JSON model loader (save_model("m.json"),
 * schema of xgboost 1.x to 3.x). */
#ifndef LP_FORMATS_XGBOOST_JSON_H
#define LP_FORMATS_XGBOOST_JSON_H

#include "model.h"

/* Builds a validated model; the caller applies manifest and overrides and
 * calls lp__model_finish. */
lp_status lp__xgboost_json_load(const uint8_t *bytes, size_t len, lp_model **out, lp_error *err);

/* The same, always through cJSON (lp__xgboost_json_load tries a faster
 * reader first, xgboost_json_fast.h): tests and fuzzers compare the two. */
lp_status lp__xgboost_json_load_cjson(const uint8_t *bytes, size_t len, lp_model **out, lp_error *err);

/* The same model saved as UBJSON (save_model("model.ubj")). */
lp_status lp__xgboost_ubjson_load(const uint8_t *bytes, size_t len, lp_model **out, lp_error *err);

#endif
