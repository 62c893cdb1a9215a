/* error.h — filling an lp_error (private to the engine).
 *
 * Every fallible engine function takes an `lp_error *err` that may be NULL.
 * lp__fail() fills it and returns the status, so call sites read
 *     return lp__fail(err, LP_ERR_BAD_MODEL, "tree %zu: ...", t);
 * Location fields are set by the caller before or after (lp__err_at_*) and
 * are folded into the message by the layer that knows them (the job adds the
 * line and column, the loader the model field).
 */
#ifndef LP_CORE_ERROR_H
#define LP_CORE_ERROR_H

#include "../localpredict.h"

#if defined(__GNUC__)
#define LP__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LP__PRINTF(a, b)
#endif

/* Resets `err` to "ok" (no location) and sets code + formatted message. */
lp_status lp__fail(lp_error *err, lp_status code, const char *fmt, ...) LP__PRINTF(3, 4);

/* Copies a name into one of the error's fixed-size name fields. */
void lp__err_set_name(char *dst, const char *src, size_t src_len);

/* Puts `prefix` in front of the current message ("iris.json: " + msg). */
void lp__err_prefix(lp_error *err, const char *fmt, ...) LP__PRINTF(2, 3);

#endif
