/* lightgbm_txt.h — LightGBM text models (Booster.save_model → model.txt). */
#ifndef LP_FORMATS_LIGHTGBM_TXT_H
#define LP_FORMATS_LIGHTGBM_TXT_H

#include "model.h"

/* Loads a model.txt; every structural problem is LP_ERR_BAD_MODEL naming
 * the tree and node, linear trees and unknown objectives LP_ERR_UNSUPPORTED. */
lp_status lp__lightgbm_txt_load(const uint8_t *bytes, size_t len, lp_model **out, lp_error *err);

#endif
