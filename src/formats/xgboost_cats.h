/* xgboost_cats.h — XGBoost 3.1+'s category re-coder (`cats`: category names
 * -> the codes the trees were trained on) and a manifest embedded in
 * learner.attributes ("localpredict"); see xgboost_cats.c for the layout. */
#ifndef LP_FORMATS_XGBOOST_CATS_H
#define LP_FORMATS_XGBOOST_CATS_H

#include "cJSON.h"
#include "model.h"

/* Fills m->inputs from learner.gradient_booster.model.cats (NULL: none). */
lp_status lp__xgboost_read_cats(lp_model *m, const cJSON *cats, lp_error *err);

/* Keeps learner.attributes.localpredict (a JSON string) as m->embedded_manifest. */
lp_status lp__xgboost_read_embedded_manifest(lp_model *m, const cJSON *attributes, lp_error *err);

#endif
