/* ubjson.h — a bounds-checked Universal Binary JSON reader that builds the
 * same cJSON tree the JSON parser gives, so XGBoost's `save_model("m.ubj")`
 * shares the JSON model loader. */
#ifndef LP_IO_UBJSON_H
#define LP_IO_UBJSON_H

#include <stddef.h>
#include <stdint.h>

#include "../localpredict.h"
#include "cJSON.h"

/* Parses one UBJSON value filling the whole buffer.  Malformed input is
 * LP_ERR_BAD_MODEL with the byte offset at fault. */
lp_status lp__ubjson_parse(const uint8_t *bytes, size_t len, cJSON **out, lp_error *err);

#endif
