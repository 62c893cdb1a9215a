/* decode.c — see decode.h.  The Windows-1252 table is the one of the WHATWG
 * Encoding Standard (index-windows-1252). */
#include "decode.h"

#include "../core/error.h"

static const uint16_t cp1252_80_9f[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

void lp__decoder_init(lp__decoder *d, lp_encoding enc)
{
    d->enc = enc;
    d->n_pending = 0;
    d->high = 0;
    d->offset = 0;
}

/* Writes code point cp as UTF-8 at p; returns the bytes written (1-4). */
static size_t put_utf8(uint8_t *p, uint32_t cp)
{
    if (cp < 0x80) {
        p[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        p[0] = (uint8_t)(0xC0 | cp >> 6);
        p[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        p[0] = (uint8_t)(0xE0 | cp >> 12);
        p[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        p[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    p[0] = (uint8_t)(0xF0 | cp >> 18);
    p[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    p[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    p[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

static lp_status bad_utf16(lp_error *err, uint64_t at, const char *what)
{
    return lp__fail(err, LP_ERR_BAD_CSV, "the input is not valid UTF-16: %s at byte %llu", what,
                    (unsigned long long)at);
}

/* One UTF-16 code unit `u`, which started at input byte `at`. */
static lp_status utf16_unit(lp__decoder *d, uint32_t u, uint64_t at, uint8_t *out, size_t *n, lp_error *err)
{
    if (d->high) {
        if (u < 0xDC00 || u > 0xDFFF) return bad_utf16(err, at - 2, "a high surrogate without its low half");
        *n += put_utf8(out + *n, 0x10000 + ((d->high - 0xD800) << 10) + (u - 0xDC00));
        d->high = 0;
        return LP_OK;
    }
    if (u >= 0xD800 && u <= 0xDBFF) {
        d->high = u;
        return LP_OK;
    }
    if (u >= 0xDC00 && u <= 0xDFFF) return bad_utf16(err, at, "a low surrogate without its high half");
    *n += put_utf8(out + *n, u);
    return LP_OK;
}

lp_status lp__decode(lp__decoder *d, const uint8_t *in, size_t len, lp__buf *out, lp_error *err)
{
    /* Worst cases: a single-byte code page doubles (0x80-0xFF are 2 bytes,
     * 0x80-0x9F up to 3); UTF-16 at most 3 bytes per 2. */
    if (len > (SIZE_MAX - 8) / 3 || lp__buf_reserve(out, len * 3 + 8) != LP_OK)
        return lp__fail(err, LP_ERR_NOMEM, "out of memory converting the input to UTF-8");
    uint8_t *o = out->data + out->len;
    size_t n = 0;
    if (d->enc == LP_ENC_WINDOWS_1252 || d->enc == LP_ENC_LATIN1) {
        for (size_t i = 0; i < len; i++) {
            uint32_t c = in[i];
            if (c >= 0x80 && c <= 0x9F && d->enc == LP_ENC_WINDOWS_1252) c = cp1252_80_9f[c - 0x80];
            n += put_utf8(o + n, c);
        }
        d->offset += len;
        out->len += n;
        return LP_OK;
    }
    int be = d->enc == LP_ENC_UTF16BE;
    size_t i = 0;
    lp_status s = LP_OK;
    if (d->n_pending && len) {   /* the code unit split by the previous chunk */
        uint8_t a = d->pending[0], b = in[0];
        s = utf16_unit(d, be ? (uint32_t)(a << 8 | b) : (uint32_t)(b << 8 | a), d->offset - 1, o, &n, err);
        d->n_pending = 0;
        i = 1;
    }
    for (; s == LP_OK && i + 1 < len; i += 2) {
        uint32_t u = be ? (uint32_t)(in[i] << 8 | in[i + 1]) : (uint32_t)(in[i + 1] << 8 | in[i]);
        s = utf16_unit(d, u, d->offset + i, o, &n, err);
    }
    if (s == LP_OK && i < len) {
        d->pending[0] = in[i];
        d->n_pending = 1;
    }
    d->offset += len;
    out->len += n;
    return s;
}

lp_status lp__decode_finish(lp__decoder *d, lp_error *err)
{
    if (d->n_pending) return bad_utf16(err, d->offset - 1, "an odd last byte (half a code unit)");
    if (d->high) return bad_utf16(err, d->offset - 2, "a high surrogate without its low half");
    return LP_OK;
}
