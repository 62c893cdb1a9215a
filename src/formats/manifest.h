/* manifest.h — the `*.localpredict.json` manifest and the caller overrides
 * (CLI flags, JS options), which share its schema:
 *   {"localpredict": 1, "classes": [...], "task": "binary",
 *    "threshold": 0.5 | {"label": 0.7}, "missing": [-999], "features": [...]}
 * Precedence: overrides > manifest > what the model stores.  Unknown keys are
 * an error that names them, so typos are caught. */
#ifndef LP_FORMATS_MANIFEST_H
#define LP_FORMATS_MANIFEST_H

#include "model.h"

lp_status lp__manifest_apply(lp_model *m, const lp_load_options *opts, lp_error *err);

#endif
