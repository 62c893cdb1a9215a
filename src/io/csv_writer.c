/* csv_writer.c — see csv_writer.h. */
#include "csv_writer.h"

#include "number.h"

static int needs_quotes(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') return 1;
    return 0;
}

lp_status lp__csv_write_field(lp__buf *out, const char *bytes, size_t len, int first)
{
    lp_status s = LP_OK;
    if (!first && (s = lp__buf_push(out, ',')) != LP_OK) return s;
    if (!needs_quotes(bytes, len)) return lp__buf_append(out, bytes, len);
    if ((s = lp__buf_reserve(out, len * 2 + 2)) != LP_OK) return s;
    out->data[out->len++] = '"';
    for (size_t i = 0; i < len; i++) {
        if (bytes[i] == '"') out->data[out->len++] = '"';
        out->data[out->len++] = (uint8_t)bytes[i];
    }
    out->data[out->len++] = '"';
    return LP_OK;
}

lp_status lp__csv_write_f32(lp__buf *out, float value, int first)
{
    char text[LP__F32_TEXT_CAP];
    size_t n = lp__format_f32(value, text);
    return lp__csv_write_field(out, text, n, first);
}

lp_status lp__csv_end_record(lp__buf *out)
{
    return lp__buf_push(out, '\n');
}
