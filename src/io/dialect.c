/* dialect.c — see dialect.h. */
#include "dialect.h"

#include <string.h>

static const uint8_t candidates[] = {',', ';', '\t', '|'};
enum { N_CANDIDATES = sizeof candidates };

static int candidate_index(uint8_t c)
{
    for (int k = 0; k < N_CANDIDATES; k++)
        if (candidates[k] == c) return k;
    return -1;
}

/* Scans the header record from its first byte; counts[] gets the candidates
 * outside quotes.  Returns the offset after its line end, or 0 if none. */
static size_t scan_header(const uint8_t *p, size_t len, size_t counts[N_CANDIDATES])
{
    size_t i = 0;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) i = 3;
    while (i < len && (p[i] == '\n' || p[i] == '\r')) i++;   /* blank lines */
    int in_quotes = 0, field_start = 1;
    for (; i < len; i++) {
        uint8_t c = p[i];
        if (in_quotes) {
            if (c == '"') {
                if (i + 1 < len && p[i + 1] == '"') i++;
                else in_quotes = 0;
            }
            continue;
        }
        if (c == '"' && field_start) {
            in_quotes = 1;
            field_start = 0;
            continue;
        }
        if (c == '\n') return i + 1;
        if (c == '\r') return i + 1 < len && p[i + 1] == '\n' ? i + 2 : i + 1;
        int k = candidate_index(c);
        if (k >= 0) counts[k]++;
        field_start = k >= 0;
    }
    return 0;
}

size_t lp__csv_header_end(const uint8_t *p, size_t len)
{
    size_t counts[N_CANDIDATES] = {0};
    return scan_header(p, len, counts);
}

int lp_csv_detect_delimiter(const uint8_t *p, size_t len)
{
    size_t counts[N_CANDIDATES] = {0};
    scan_header(p, len, counts);
    int best = 0;
    for (int k = 1; k < N_CANDIDATES; k++)
        if (counts[k] > counts[best]) best = k;
    return candidates[best];
}

static const char *const encoding_names[] = {"auto", "utf-8", "windows-1252", "latin1", "utf-16le", "utf-16be"};

const char *lp_encoding_name(lp_encoding e)
{
    return (unsigned)e < sizeof encoding_names / sizeof *encoding_names ? encoding_names[e] : "?";
}

/* ASCII case-insensitive equality. */
static int same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
        if (x != y) return 0;
    }
    return *a == *b;
}

int lp_encoding_from_name(const char *s)
{
    static const struct { const char *name; lp_encoding e; } aliases[] = {
        {"utf-8", LP_ENC_UTF8}, {"utf8", LP_ENC_UTF8},
        {"windows-1252", LP_ENC_WINDOWS_1252}, {"cp1252", LP_ENC_WINDOWS_1252},
        {"latin1", LP_ENC_LATIN1}, {"latin-1", LP_ENC_LATIN1}, {"iso-8859-1", LP_ENC_LATIN1},
        {"utf-16le", LP_ENC_UTF16LE}, {"utf-16be", LP_ENC_UTF16BE},
    };
    if (!s) return -1;
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (same_name(s, aliases[i].name)) return (int)aliases[i].e;
    return -1;
}
