/* error.c — status names and lp_error helpers.
 * The status table is generated from LP_STATUS_LIST so names cannot drift. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_text[] = {
#define LP__TEXT(name, code, text) text,
    LP_STATUS_LIST(LP__TEXT)
#undef LP__TEXT
};

static const char *const status_code[] = {
#define LP__CODE(name, code, text) code,
    LP_STATUS_LIST(LP__CODE)
#undef LP__CODE
};

const char *lp_status_str(lp_status s)
{
    return (unsigned)s < LP_STATUS_COUNT ? status_text[s] : "unknown status";
}

const char *lp_status_code(lp_status s)
{
    return (unsigned)s < LP_STATUS_COUNT ? status_code[s] : "UNKNOWN";
}

void lp_error_clear(lp_error *err)
{
    if (!err) return;
    /* Field by field: the strings are NUL-terminated, so their first byte
     * empties them (a full memset of the 4 KB message was a visible share of
     * a one-row prediction). */
    err->code = LP_OK;
    err->line = 0;
    err->column[0] = err->field[0] = err->message[0] = '\0';
    err->column_index = -1;
    err->node = -1;
    err->tree = -1;
}

lp_status lp__fail(lp_error *err, lp_status code, const char *fmt, ...)
{
    if (!err) return code;
    lp_error_clear(err);
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

void lp__err_set_name(char *dst, const char *src, size_t src_len)
{
    size_t n = src_len < LP_ERROR_NAME_CAP - 1 ? src_len : LP_ERROR_NAME_CAP - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void lp__err_prefix(lp_error *err, const char *fmt, ...)
{
    if (!err) return;
    char prefix[LP_ERROR_MESSAGE_CAP];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    /* Shift the message right by the prefix's length, truncating its end. */
    size_t pn = (size_t)n < sizeof prefix ? (size_t)n : sizeof prefix - 1;
    size_t cap = sizeof err->message;
    if (pn >= cap) pn = cap - 1;
    size_t mn = strlen(err->message);
    if (pn + mn >= cap) mn = cap - 1 - pn;
    memmove(err->message + pn, err->message, mn);
    memcpy(err->message, prefix, pn);
    err->message[pn + mn] = '\0';
}

size_t lp_error_format(const lp_error *err, const char *source, char *buf, size_t cap)
{
    if (!buf || cap == 0) return 0;
    size_t n = 0;
#define LP__APPEND(...)                                                            \
    do {                                                                           \
        int k = snprintf(buf + n, cap - n, __VA_ARGS__);                           \
        if (k > 0) n = (size_t)k < cap - n ? n + (size_t)k : cap - 1;              \
    } while (0)
    if (source && err->line) LP__APPEND("%s:%llu: ", source, (unsigned long long)err->line);
    else if (source) LP__APPEND("%s: ", source);
    else if (err->line) LP__APPEND("line %llu: ", (unsigned long long)err->line);
    /* Header errors name their columns in the message already. */
    int header_error = err->code == LP_ERR_MISSING_COLUMN || err->code == LP_ERR_DUPLICATE_COLUMN;
    if (err->column[0] && !header_error) LP__APPEND("column \"%s\": ", err->column);
    else if (err->column_index >= 0 && err->line && !header_error) LP__APPEND("column %lld: ", (long long)err->column_index + 1);
    LP__APPEND("%s", err->message);
#undef LP__APPEND
    return n;
}
