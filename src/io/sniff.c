/* sniff.c — see sniff.h.  Magic numbers from each format's specification
 * (ZIP: "PK\3\4" local file header; OLE2 compound file: D0 CF 11 E0 A1 B1 1A
 * E1; PDF: "%PDF-"; gzip: 1F 8B; bzip2: "BZh"; xz: FD "7zXZ" 00; zstd:
 * 28 B5 2F FD; Parquet: "PAR1"). */
#include "sniff.h"

#include <stdio.h>
#include <string.h>

#include "../core/error.h"

typedef struct magic {
    const char *bytes;
    size_t      len;
    const char *what;   /* completes "the input is ..." */
} magic;

static const magic magics[] = {
    {"PK\x03\x04", 4, "a ZIP archive (an Excel .xlsx, OpenDocument .ods or .zip file), not a CSV: "
                      "open it in its program and save or export it as \"CSV UTF-8\""},
    {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8, "an Excel 97-2003 workbook (.xls) or another Office file, not a CSV: "
                                            "open it in Excel and save it as \"CSV UTF-8\""},
    {"%PDF-", 5, "a PDF document, not a CSV: export the table from the program that made it as CSV"},
    {"\x1F\x8B", 2, "gzip-compressed: decompress it first (gunzip FILE.gz)"},
    {"BZh", 3, "bzip2-compressed: decompress it first (bunzip2 FILE.bz2)"},
    {"\xFD" "7zXZ\x00", 6, "xz-compressed: decompress it first (unxz FILE.xz)"},
    {"\x28\xB5\x2F\xFD", 4, "zstd-compressed: decompress it first (unzstd FILE.zst)"},
    {"PAR1", 4, "a Parquet file, not a CSV: write it out as CSV (e.g. pandas.read_parquet(f).to_csv(...))"},
};

static const char convert_hint[] =
    "localpredict reads UTF-8: convert it first, e.g. iconv -f %s -t UTF-8 in.csv > out.csv, "
    "or save it from Excel as \"CSV UTF-8\"";

static lp_status not_csv(lp_error *err, const char *what)
{
    return lp__fail(err, LP_ERR_BAD_CSV, "the input is %s", what);
}

static lp_status wrong_encoding(lp_error *err, const char *encoding, const char *how)
{
    char hint[sizeof convert_hint + 16];
    snprintf(hint, sizeof hint, convert_hint, encoding);
    return lp__fail(err, LP_ERR_BAD_CSV, "the input is %s text (%s); %s", encoding, how, hint);
}

/* UTF-16 without a byte-order mark is read when named (a mark would say it). */
static lp_status utf16_unmarked(lp_error *err, const char *endian, const char *where)
{
    return lp__fail(err, LP_ERR_BAD_CSV, "the input is UTF-16%s text (no byte-order mark, a NUL byte %s every ASCII "
                    "character): read it with --encoding utf-16%s (encoding: 'utf-16%s' in JS), or save it as "
                    "\"CSV UTF-8\"", endian, where, endian[0] == 'L' ? "le" : "be", endian[0] == 'L' ? "le" : "be");
}

lp_status lp__sniff_input(const uint8_t *b, size_t len, lp_error *err)
{
    for (size_t i = 0; i < sizeof magics / sizeof *magics; i++)
        if (len >= magics[i].len && memcmp(b, magics[i].bytes, magics[i].len) == 0)
            return not_csv(err, magics[i].what);
    /* UTF-32 before UTF-16: FF FE 00 00 starts with the UTF-16 LE mark. */
    if (len >= 4 && memcmp(b, "\xFF\xFE\x00\x00", 4) == 0) return wrong_encoding(err, "UTF-32LE", "byte-order mark FF FE 00 00");
    if (len >= 4 && memcmp(b, "\x00\x00\xFE\xFF", 4) == 0) return wrong_encoding(err, "UTF-32BE", "byte-order mark 00 00 FE FF");
    if (len >= 2 && b[0] == 0xFF && b[1] == 0xFE) return wrong_encoding(err, "UTF-16LE", "byte-order mark FF FE");
    if (len >= 2 && b[0] == 0xFE && b[1] == 0xFF) return wrong_encoding(err, "UTF-16BE", "byte-order mark FE FF");
    /* UTF-16 without a mark: ASCII text with a NUL after (LE) or before (BE)
     * every character. */
    if (len >= 4 && b[0] && !b[1] && b[2] && !b[3]) return utf16_unmarked(err, "LE", "after");
    if (len >= 4 && !b[0] && b[1] && !b[2] && b[3]) return utf16_unmarked(err, "BE", "before");
    return LP_OK;
}
