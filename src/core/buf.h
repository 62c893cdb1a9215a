/* buf.h — a growable byte buffer (output CSV, record fields, blobs).
 * Growth doubles; a failed growth leaves the buffer unchanged and returns
 * LP_ERR_NOMEM so callers can report it instead of aborting. */
#ifndef LP_CORE_BUF_H
#define LP_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "../localpredict.h"

typedef struct lp__buf {
    uint8_t *data;
    size_t   len;
    size_t   cap;
} lp__buf;

lp_status lp__buf_reserve(lp__buf *b, size_t extra);
lp_status lp__buf_append(lp__buf *b, const void *bytes, size_t n);
lp_status lp__buf_push(lp__buf *b, uint8_t byte);
void      lp__buf_free(lp__buf *b);

#endif
