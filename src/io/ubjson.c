/* ubjson.c — see ubjson.h.
 *
 * Universal Binary JSON (https://ubjson.org, draft 12), as XGBoost writes it
 * (src/common/json.cc, UBJWriter): every value starts with a one-byte
 * marker; numbers are big-endian; an object's keys are a length and the
 * bytes, without the 'S' marker; containers may be "optimised" with '$' (one
 * type for every element) and '#' (the count), which XGBoost uses for its
 * large arrays ("[$d#L<n>" for float32, "[$l#L<n>" for int32, "[$U#L<n>" for
 * uint8).  Every read is checked against the end of the buffer, nesting
 * against LP_MAX_JSON_DEPTH, and every count against the bytes left, so no
 * input can read out of bounds or ask for unbounded memory. */
#include "ubjson.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"

typedef struct reader {
    const uint8_t *start, *p, *end;
    int            depth;
    lp_error      *err;
} reader;

static lp_status bad(reader *r, const char *what)
{
    return lp__fail(r->err, LP_ERR_BAD_MODEL, "the UBJSON model is malformed at byte %zu: %s",
                    (size_t)(r->p - r->start), what);
}

static int take(reader *r, size_t n, const uint8_t **out)
{
    if ((size_t)(r->end - r->p) < n) return 0;
    *out = r->p;
    r->p += n;
    return 1;
}

static uint64_t big_endian(const uint8_t *b, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = v << 8 | b[i];
    return v;
}

/* An integer of type i, U, I, l or L. */
static lp_status read_int(reader *r, uint8_t type, long long *out)
{
    const uint8_t *b;
    size_t n = type == 'i' || type == 'U' ? 1 : type == 'I' ? 2 : type == 'l' ? 4 : type == 'L' ? 8 : 0;
    if (!n) return bad(r, "expected an integer marker (i, U, I, l, L)");
    if (!take(r, n, &b)) return bad(r, "the file ends inside a number");
    uint64_t u = big_endian(b, n);
    switch (type) {
    case 'i': *out = (int8_t)u; break;
    case 'U': *out = (long long)u; break;
    case 'I': *out = (int16_t)u; break;
    case 'l': *out = (int32_t)u; break;
    default: *out = (long long)u; break;   /* two's complement, as int64 */
    }
    return LP_OK;
}

/* A length or count: a non-negative integer no larger than the bytes left
 * (every element or character takes at least... one byte, or none for the
 * marker-only types, which the count bound still keeps finite). */
static lp_status read_count(reader *r, size_t *out)
{
    const uint8_t *m;
    long long v = 0;
    if (!take(r, 1, &m)) return bad(r, "the file ends where a length was expected");
    lp_status s = read_int(r, *m, &v);
    if (s != LP_OK) return s;
    if (v < 0 || (unsigned long long)v > (size_t)(r->end - r->p))
        return bad(r, "a length is negative or longer than the rest of the file");
    *out = (size_t)v;
    return LP_OK;
}

/* A number as the JSON path has it: NaN becomes null, as io/json.c turns
 * XGBoost's bare NaN tokens into null (lp__json_number reads it back as
 * NaN); cJSON_CreateNumber itself would convert NaN to int. */
static cJSON *number_item(double d)
{
    return d != d ? cJSON_CreateNull() : cJSON_CreateNumber(d);
}

static lp_status read_value(reader *r, uint8_t type, cJSON **out);

static lp_status read_string(reader *r, char **out)
{
    size_t n = 0;
    const uint8_t *b;
    lp_status s = read_count(r, &n);
    if (s != LP_OK) return s;
    if (!take(r, n, &b)) return bad(r, "the file ends inside a string");
    if (memchr(b, '\0', n)) return bad(r, "a string holds a NUL byte");
    char *str = malloc(n + 1);
    if (!str) return lp__fail(r->err, LP_ERR_NOMEM, "out of memory reading the UBJSON model");
    memcpy(str, b, n);
    str[n] = '\0';
    *out = str;
    return LP_OK;
}

/* '$' and '#' after '[' or '{': *type 0 = each element has its marker,
 * *count SIZE_MAX = until the closing marker. */
static lp_status read_container_header(reader *r, uint8_t *type, size_t *count)
{
    const uint8_t *m;
    *type = 0;
    *count = SIZE_MAX;
    if (r->p < r->end && *r->p == '$') {
        r->p++;
        if (!take(r, 1, &m)) return bad(r, "the file ends after '$'");
        *type = *m;
        if (r->p >= r->end || *r->p != '#') return bad(r, "a typed container ('$') without a count ('#')");
    }
    if (r->p < r->end && *r->p == '#') {
        r->p++;
        return read_count(r, count);
    }
    return LP_OK;
}

static lp_status read_array(reader *r, cJSON **out)
{
    uint8_t type;
    size_t count;
    lp_status s = read_container_header(r, &type, &count);
    if (s != LP_OK) return s;
    cJSON *arr = cJSON_CreateArray();
    if (!arr) return lp__fail(r->err, LP_ERR_NOMEM, "out of memory reading the UBJSON model");
    for (size_t i = 0; s == LP_OK && i < count; i++) {
        uint8_t t = type;
        if (!t) {
            const uint8_t *m;
            if (!take(r, 1, &m)) {
                s = bad(r, "the file ends inside an array");
                break;
            }
            if (*m == ']' && count == SIZE_MAX) break;
            if (*m == 'N') {   /* no-op */
                i--;
                continue;
            }
            t = *m;
        }
        cJSON *item = NULL;
        s = read_value(r, t, &item);
        if (s == LP_OK) cJSON_AddItemToArray(arr, item);
    }
    if (s != LP_OK) {
        cJSON_Delete(arr);
        return s;
    }
    *out = arr;
    return LP_OK;
}

static lp_status read_object(reader *r, cJSON **out)
{
    uint8_t type;
    size_t count;
    lp_status s = read_container_header(r, &type, &count);
    if (s != LP_OK) return s;
    cJSON *obj = cJSON_CreateObject();
    if (!obj) return lp__fail(r->err, LP_ERR_NOMEM, "out of memory reading the UBJSON model");
    for (size_t i = 0; s == LP_OK && i < count; i++) {
        if (count == SIZE_MAX) {
            if (r->p >= r->end) {
                s = bad(r, "the file ends inside an object");
                break;
            }
            if (*r->p == '}') {
                r->p++;
                break;
            }
            if (*r->p == 'N') {
                r->p++;
                i--;
                continue;
            }
        }
        char *key = NULL;
        if ((s = read_string(r, &key)) != LP_OK) break;
        uint8_t t = type;
        if (!t) {
            const uint8_t *m;
            if (!take(r, 1, &m)) {
                free(key);
                s = bad(r, "the file ends after an object key");
                break;
            }
            t = *m;
        }
        cJSON *item = NULL;
        s = read_value(r, t, &item);
        if (s == LP_OK) cJSON_AddItemToObject(obj, key, item);
        free(key);
    }
    if (s != LP_OK) {
        cJSON_Delete(obj);
        return s;
    }
    *out = obj;
    return LP_OK;
}

static lp_status read_value(reader *r, uint8_t type, cJSON **out)
{
    const uint8_t *b;
    long long iv = 0;
    lp_status s = LP_OK;
    *out = NULL;
    switch (type) {
    case 'Z': *out = cJSON_CreateNull(); break;
    case 'T': *out = cJSON_CreateTrue(); break;
    case 'F': *out = cJSON_CreateFalse(); break;
    case 'i': case 'U': case 'I': case 'l': case 'L':
        if ((s = read_int(r, type, &iv)) != LP_OK) return s;
        *out = cJSON_CreateNumber((double)iv);
        break;
    case 'd': {
        if (!take(r, 4, &b)) return bad(r, "the file ends inside a float32");
        uint32_t u = (uint32_t)big_endian(b, 4);
        float f;
        memcpy(&f, &u, sizeof f);
        *out = number_item((double)f);
        break;
    }
    case 'D': {
        if (!take(r, 8, &b)) return bad(r, "the file ends inside a float64");
        uint64_t u = big_endian(b, 8);
        double d;
        memcpy(&d, &u, sizeof d);
        *out = number_item(d);
        break;
    }
    case 'C':
        if (!take(r, 1, &b)) return bad(r, "the file ends inside a char");
        {
            char c[2] = {(char)b[0], '\0'};
            *out = cJSON_CreateString(c);
        }
        break;
    case 'S': case 'H': {
        char *str = NULL;
        if ((s = read_string(r, &str)) != LP_OK) return s;
        if (type == 'H') {   /* a high-precision number, kept as its text */
            char *end = NULL;
            double v = strtod(str, &end);
            *out = end != str && *end == '\0' ? number_item(v) : NULL;
            if (!*out) {
                free(str);
                return bad(r, "a high-precision number ('H') is not a number");
            }
        } else {
            *out = cJSON_CreateString(str);
        }
        free(str);
        break;
    }
    case '[': case '{':
        if (++r->depth > LP_MAX_JSON_DEPTH) return bad(r, "containers nest too deeply");
        s = type == '[' ? read_array(r, out) : read_object(r, out);
        r->depth--;
        return s;
    default: {
        char what[64];
        snprintf(what, sizeof what, "unknown marker 0x%02x", (unsigned)type);
        r->p--;   /* point at the marker */
        return bad(r, what);
    }
    }
    if (!*out) return lp__fail(r->err, LP_ERR_NOMEM, "out of memory reading the UBJSON model");
    return LP_OK;
}

lp_status lp__ubjson_parse(const uint8_t *bytes, size_t len, cJSON **out, lp_error *err)
{
    reader r = {bytes, bytes, bytes + len, 0, err};
    const uint8_t *m;
    *out = NULL;
    if (!take(&r, 1, &m)) return lp__fail(err, LP_ERR_BAD_MODEL, "the UBJSON model is empty");
    cJSON *root = NULL;
    lp_status s = read_value(&r, *m, &root);
    if (s != LP_OK) return s;
    if (r.p != r.end) {
        cJSON_Delete(root);
        return bad(&r, "bytes follow the end of the document");
    }
    *out = root;
    return LP_OK;
}
