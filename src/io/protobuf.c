/* protobuf.c — wire-format reader; see protobuf.h.
 * Reference: https://protobuf.dev/programming-guides/encoding/ */
#include "protobuf.h"

#include <string.h>

static int fail_at(lp__pb *m, const uint8_t *where, const char *what)
{
    if (!m->doc->error) {
        m->doc->error = what;
        m->doc->error_at = (size_t)(where - m->doc->base);
    }
    m->p = m->end;
    return 0;
}

lp__pb lp__pb_open(lp__pb_doc *doc, const void *bytes, size_t len)
{
    const uint8_t *b = bytes;
    doc->base = b;
    doc->error = NULL;
    doc->error_at = 0;
    lp__pb m = { b, b + len, doc };
    return m;
}

/* A base-128 varint of at most 10 bytes whose value fits 64 bits. */
static int read_varint(lp__pb *m, const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (p >= end) return fail_at(m, *pp, "truncated varint");
        uint8_t byte = *p++;
        if (i == 9 && byte > 1) return fail_at(m, *pp, "varint longer than 64 bits");
        v |= (uint64_t)(byte & 0x7f) << (7 * i);
        if (!(byte & 0x80)) {
            *pp = p;
            *out = v;
            return 1;
        }
    }
    return fail_at(m, *pp, "varint longer than 10 bytes");
}

static uint64_t load_le(const uint8_t *p, int width)
{
    uint64_t v = 0;
    for (int i = width - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

int lp__pb_next(lp__pb *m, lp__pb_field *f)
{
    if (m->doc->error || m->p >= m->end) return 0;
    const uint8_t *start = m->p;
    uint64_t tag;
    if (!read_varint(m, &m->p, m->end, &tag)) return 0;
    memset(f, 0, sizeof *f);
    f->at = (size_t)(start - m->doc->base);
    f->wire = (int)(tag & 7);
    if ((tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) return fail_at(m, start, "invalid field number");
    f->number = (uint32_t)(tag >> 3);
    size_t left;
    switch (f->wire) {
    case LP_PB_VARINT:
        return read_varint(m, &m->p, m->end, &f->value);
    case LP_PB_FIXED64:
    case LP_PB_FIXED32: {
        int width = f->wire == LP_PB_FIXED64 ? 8 : 4;
        if ((size_t)(m->end - m->p) < (size_t)width) return fail_at(m, start, "truncated fixed-width field");
        f->value = load_le(m->p, width);
        m->p += width;
        return 1;
    }
    case LP_PB_LEN: {
        uint64_t len;
        if (!read_varint(m, &m->p, m->end, &len)) return 0;
        left = (size_t)(m->end - m->p);
        if (len > left) return fail_at(m, start, "length runs past the end of its message");
        f->data = m->p;
        f->len = (size_t)len;
        m->p += len;
        return 1;
    }
    case 3: case 4:
        return fail_at(m, start, "protobuf groups are not used by ONNX (wire type 3/4)");
    default:
        return fail_at(m, start, "invalid wire type");
    }
}

lp__pb lp__pb_sub(lp__pb *m, const lp__pb_field *f)
{
    lp__pb sub = { NULL, NULL, m->doc };
    if (f->wire != LP_PB_LEN) {
        lp__pb_fail(m, f, "expected a sub-message (length-delimited field)");   /* sub stays empty */
        return sub;
    }
    sub.p = f->data;
    sub.end = f->data + f->len;
    return sub;
}

int lp__pb_fail(lp__pb *m, const lp__pb_field *f, const char *what)
{
    return fail_at(m, m->doc->base + f->at, what);
}

int lp__pb_int64(lp__pb *m, const lp__pb_field *f, int64_t *out)
{
    if (f->wire != LP_PB_VARINT) return lp__pb_fail(m, f, "expected an integer (varint field)");
    *out = (int64_t)f->value;   /* two's complement, as protobuf encodes int32/int64 */
    return 1;
}

int lp__pb_float(lp__pb *m, const lp__pb_field *f, float *out)
{
    if (f->wire != LP_PB_FIXED32) return lp__pb_fail(m, f, "expected a float (fixed32 field)");
    uint32_t bits = (uint32_t)f->value;
    memcpy(out, &bits, sizeof bits);
    return 1;
}

static int width_of(int wire) { return wire == LP_PB_FIXED64 ? 8 : wire == LP_PB_FIXED32 ? 4 : 0; }

int lp__pb_count(lp__pb *m, const lp__pb_field *f, int scalar_wire, size_t *n)
{
    if (f->wire == scalar_wire) {
        (*n)++;
        return 1;
    }
    if (f->wire != LP_PB_LEN) return lp__pb_fail(m, f, "repeated field of the wrong wire type");
    if (scalar_wire == LP_PB_VARINT) {
        /* Every varint ends with exactly one byte whose high bit is clear. */
        if (f->len && (f->data[f->len - 1] & 0x80)) return lp__pb_fail(m, f, "truncated packed varint");
        size_t ends = 0;
        for (size_t i = 0; i < f->len; i++) ends += !(f->data[i] & 0x80);
        *n += ends;
        return 1;
    }
    size_t w = (size_t)width_of(scalar_wire);
    if (f->len % w) return lp__pb_fail(m, f, "packed fixed-width field has a partial element");
    *n += f->len / w;
    return 1;
}

int lp__pb_read_int64s(lp__pb *m, const lp__pb_field *f, int64_t *out, size_t *n)
{
    if (f->wire == LP_PB_VARINT) {
        out[(*n)++] = (int64_t)f->value;
        return 1;
    }
    if (f->wire != LP_PB_LEN) return lp__pb_fail(m, f, "repeated integer field of the wrong wire type");
    const uint8_t *p = f->data, *end = f->data + f->len;
    while (p < end) {
        uint64_t v;
        if (!read_varint(m, &p, end, &v)) return 0;
        out[(*n)++] = (int64_t)v;
    }
    return 1;
}

/* Packed or single fixed-width elements, converted by `store`. */
#define READ_FIXED(NAME, TYPE, WIRE, BITS_T)                                          \
    int NAME(lp__pb *m, const lp__pb_field *f, TYPE *out, size_t *n)                    \
    {                                                                                   \
        if (f->wire == WIRE) {                                                          \
            BITS_T bits = (BITS_T)f->value;                                             \
            memcpy(&out[(*n)++], &bits, sizeof bits);                                   \
            return 1;                                                                   \
        }                                                                               \
        if (f->wire != LP_PB_LEN || f->len % sizeof(BITS_T))                            \
            return lp__pb_fail(m, f, "repeated " #TYPE " field of the wrong wire type or length"); \
        size_t k = f->len / sizeof(BITS_T);                                             \
        for (size_t i = 0; i < k; i++) {                                                \
            BITS_T bits = (BITS_T)load_le(f->data + i * sizeof(BITS_T), sizeof(BITS_T)); \
            memcpy(&out[(*n)++], &bits, sizeof bits);                                   \
        }                                                                               \
        return 1;                                                                       \
    }

READ_FIXED(lp__pb_read_floats, float, LP_PB_FIXED32, uint32_t)
READ_FIXED(lp__pb_read_doubles, double, LP_PB_FIXED64, uint64_t)
