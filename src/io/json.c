/* json.c — see json.h. */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/arena.h"
#include "../core/error.h"

/* cJSON reports a failed allocation as a parse error at the spot it reached.
 * To tell the two apart, its allocator hooks (process-wide, installed before
 * every parse, always the same two functions) note a failure in a per-thread
 * flag that each parse resets and reads: no state outlives a call.  They
 * allocate from the thread's cJSON arena when a loader set one (arena.h). */
static _Thread_local int json_alloc_failed;

static void *json_malloc(size_t n)
{
    void *p = lp__cjson_malloc(n);
    if (!p) json_alloc_failed = 1;
    return p;
}

static void json_free(void *p) { lp__cjson_free(p); }

/* JSON has no NaN or Infinity, but XGBoost writes them as bare tokens (the
 * split condition of categorical nodes is NaN).  Outside strings, NaN and
 * -NaN become null (read back as NaN by lp__json_number), Infinity becomes
 * 1e999 (strtod gives inf).  Returns a new buffer, or NULL when there was
 * nothing to replace; *nomem is set when the buffer could not be allocated. */
static char *replace_nonfinite(const uint8_t *bytes, size_t len, size_t *out_len, int *nomem)
{
    static const struct { const char *token, *with; } table[] = {
        {"-Infinity", "-1e999"}, {"Infinity", "1e999"}, {"-NaN", "null"}, {"NaN", "null"},
    };
    char *out = NULL;
    size_t o = 0;
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = bytes[i];
        size_t match = 0, k = 0;
        if (in_string) {
            if (c == '\\') {
                if (out) out[o++] = (char)c;
                if (++i >= len) break;
                c = bytes[i];
            } else if (c == '"') {
                in_string = 0;
            }
        } else if (c == '"') {
            in_string = 1;
        } else if (c == 'N' || c == 'I' || c == '-') {
            for (k = 0; k < sizeof table / sizeof *table; k++) {
                size_t n = strlen(table[k].token);
                if (n <= len - i && memcmp(bytes + i, table[k].token, n) == 0) {
                    match = n;
                    break;
                }
            }
        }
        if (match) {
            if (!out) {
                out = malloc(len + len / 2 + 8);   /* each token grows by at most 1 byte */
                if (!out) {
                    *nomem = 1;
                    return NULL;
                }
                memcpy(out, bytes, i);
                o = i;
            }
            size_t w = strlen(table[k].with);
            memcpy(out + o, table[k].with, w);
            o += w;
            i += match - 1;
        } else if (out) {
            out[o++] = (char)c;
        }
    }
    *out_len = o;
    return out;
}

lp_status lp__json_parse(const uint8_t *bytes, size_t len, const char *what, lp_status bad,
                         cJSON **out, lp_error *err)
{
    size_t fixed_len = 0;
    int nomem = 0;
    char *fixed = replace_nonfinite(bytes, len, &fixed_len, &nomem);
    if (nomem) return lp__fail(err, LP_ERR_NOMEM, "out of memory reading the %s", what);
    if (fixed) {
        lp_status s = lp__json_parse_strict((const uint8_t *)fixed, fixed_len, what, bad, out, err);
        free(fixed);
        return s;
    }
    return lp__json_parse_strict(bytes, len, what, bad, out, err);
}

lp_status lp__json_parse_strict(const uint8_t *bytes, size_t len, const char *what,
                                lp_status bad, cJSON **out, lp_error *err)
{
    const char *end = NULL;
    cJSON_Hooks hooks = {json_malloc, json_free};
    cJSON_InitHooks(&hooks);
    json_alloc_failed = 0;
    cJSON *root = cJSON_ParseWithLengthOpts((const char *)bytes, len, &end, 0);
    if (!root && json_alloc_failed) return lp__fail(err, LP_ERR_NOMEM, "out of memory reading the %s", what);
    if (root) {
        /* Only whitespace may follow the document. */
        size_t pos = (size_t)(end - (const char *)bytes);
        while (pos < len && (bytes[pos] == ' ' || bytes[pos] == '\n' || bytes[pos] == '\r' ||
                             bytes[pos] == '\t' || bytes[pos] == '\0'))
            pos++;
        if (pos == len) {
            *out = root;
            return LP_OK;
        }
        cJSON_Delete(root);
        end = (const char *)bytes + pos;
    }
    size_t pos = end ? (size_t)(end - (const char *)bytes) : 0;
    if (pos > len) pos = len;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos; i++) {
        if (bytes[i] == '\n') line++, col = 1;
        else col++;
    }
    if (pos >= len)
        lp__fail(err, bad, "%s is truncated: it ends before the document is complete", what);
    else if (pos + 1 == len)   /* the last byte: a bad end or a cut file */
        lp__fail(err, bad, "%s is malformed at its last byte (line %zu, column %zu): is the file truncated?",
                 what, line, col);
    else
        lp__fail(err, bad, "%s is malformed at line %zu, column %zu", what, line, col);
    return bad;
}

cJSON *lp__json_parse_value(const uint8_t *bytes, size_t len, const uint8_t **end, int *nomem)
{
    cJSON_Hooks hooks = {json_malloc, json_free};
    cJSON_InitHooks(&hooks);
    json_alloc_failed = 0;
    const char *stop = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts((const char *)bytes, len, &stop, 0);
    if (v) *end = (const uint8_t *)stop;
    else if (json_alloc_failed) *nomem = 1;
    return v;
}

static const char *type_name(int type)
{
    switch (type) {
    case cJSON_Object: return "an object";
    case cJSON_Array: return "an array";
    case cJSON_String: return "a string";
    case cJSON_Number: return "a number";
    default: return "a value of another type";
    }
}

lp_status lp__json_member(const cJSON *obj, const char *key, int type, const char *path,
                          lp_status bad, const cJSON **out, lp_error *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item) {
        lp__fail(err, bad, "%s%s%s is missing", path, *path ? "." : "", key);
    } else if ((item->type & 0xFF) != type) {
        lp__fail(err, bad, "%s%s%s must be %s", path, *path ? "." : "", key, type_name(type));
    } else {
        *out = item;
        return LP_OK;
    }
    if (err) {
        char full[LP_ERROR_NAME_CAP * 2];
        size_t n = (size_t)snprintf(full, sizeof full, "%s%s%s", path, *path ? "." : "", key);
        lp__err_set_name(err->field, full, n < sizeof full ? n : sizeof full - 1);
    }
    return bad;
}

lp_status lp__json_number(const cJSON *item, const char *path, lp_status bad, double *out,
                          lp_error *err)
{
    if (cJSON_IsNumber(item)) {
        *out = item->valuedouble;
        return LP_OK;
    }
    if (cJSON_IsNull(item)) {   /* a NaN token, see replace_nonfinite */
        *out = NAN;
        return LP_OK;
    }
    if (cJSON_IsString(item) && item->valuestring[0]) {
        char *end = NULL;
        double v = strtod(item->valuestring, &end);
        if (*end == '\0') {
            *out = v;
            return LP_OK;
        }
    }
    lp__fail(err, bad, "%s must be a number", path);
    if (err) lp__err_set_name(err->field, path, strlen(path));
    return bad;
}

lp_status lp__json_int(const cJSON *item, const char *path, long long lo, long long hi,
                       lp_status bad, long long *out, lp_error *err)
{
    double v;
    lp_status s = lp__json_number(item, path, bad, &v, err);
    if (s != LP_OK) return s;
    if (!(v >= (double)lo && v <= (double)hi) || v != floor(v)) {
        lp__fail(err, bad, "%s must be an integer from %lld to %lld", path, lo, hi);
        if (err) lp__err_set_name(err->field, path, strlen(path));
        return bad;
    }
    *out = (long long)v;
    return LP_OK;
}

lp_status lp__json_array_len(const cJSON *item, const char *path, lp_status bad, size_t *n,
                             lp_error *err)
{
    if (!cJSON_IsArray(item)) {
        lp__fail(err, bad, "%s must be an array", path);
        if (err) lp__err_set_name(err->field, path, strlen(path));
        return bad;
    }
    size_t count = 0;
    for (const cJSON *c = item->child; c; c = c->next) count++;
    *n = count;
    return LP_OK;
}
