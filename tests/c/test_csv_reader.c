/* test_csv_reader.c — src/io/csv_reader: the RFC 4180 cases one by one, each
 * fed whole, byte by byte, in small fixed chunks and in random chunk sizes
 * (with empty pushes), which must all give the same records (with their
 * physical start lines) and the same error (code, line, column). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/csv_reader.h"
#include "io/csv_scan.h"
#include "lp_test.h"

/* A transcript: one line per record, "<line>:<field>|<field>...", with LF,
 * CR, '|', '\\' and non-ASCII bytes escaped so it stays readable. */
typedef struct collector {
    lp_test_str out;
    int         stop_at;     /* return LP_ERR_RAGGED_ROW on this record (1-based); 0 = never */
    int         n_records;
} collector;

static void escape_into(lp_test_str *s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '\n') lp_test_str_add(s, "\\n", 2);
        else if (c == '\r') lp_test_str_add(s, "\\r", 2);
        else if (c == '|') lp_test_str_add(s, "\\|", 2);
        else if (c == '\\') lp_test_str_add(s, "\\\\", 2);
        else if (c < 32 || c >= 127) lp_test_str_addf(s, "\\x%02X", c);
        else lp_test_str_add(s, &c, 1);
    }
}

static lp_status collect(void *ctx, const lp__csv_record *rec, lp_error *err)
{
    collector *c = ctx;
    c->n_records++;
    if (c->stop_at && c->n_records == c->stop_at) {
        lp__fail(err, LP_ERR_RAGGED_ROW, "stopped by the callback");
        return LP_ERR_RAGGED_ROW;
    }
    lp_test_str_addf(&c->out, "%llu:", (unsigned long long)rec->line);
    for (size_t i = 0; i < rec->n_fields; i++) {
        size_t len;
        const uint8_t *f = lp__csv_field(rec, i, &len);
        if (i) lp_test_str_add(&c->out, "|", 1);
        escape_into(&c->out, f, len);
    }
    lp_test_str_add(&c->out, "\n", 1);
    return LP_OK;
}

typedef struct run_result {
    lp_test_str transcript;
    lp_status   status;
    uint64_t    line;
    int64_t     column;
} run_result;

/* Limits given to the reader by run_reader (0 = the defaults). */
static size_t test_max_columns, test_max_field_bytes;

/* chunk: 0 = the whole input in one push; > 0 = that many bytes per push;
 * < 0 = random sizes 0..-chunk from the seed. */
static run_result run_reader(const char *input, size_t len, int chunk, uint64_t seed, uint64_t first_line,
                             int stop_at)
{
    lp__csv_reader r;
    lp__csv_reader_init(&r, first_line);
    lp__csv_reader_set_limits(&r, test_max_columns, test_max_field_bytes);
    collector c = {{0}, stop_at, 0};
    lp_test_str_add(&c.out, "", 0);
    lp_error err;
    lp_error_clear(&err);
    lp_status s = LP_OK;
    lp_test_rng rng = {seed};
    size_t pos = 0;
    while (s == LP_OK && pos < len) {
        size_t n = len - pos;
        if (chunk > 0 && (size_t)chunk < n) n = (size_t)chunk;
        if (chunk < 0) {
            size_t k = lp_test_below(&rng, (uint32_t)(-chunk) + 1);
            if (k < n) n = k;
        }
        s = lp__csv_reader_push(&r, (const uint8_t *)input + pos, n, collect, &c, &err);
        pos += n;
    }
    if (s == LP_OK) s = lp__csv_reader_finish(&r, collect, &c, &err);
    lp__csv_reader_free(&r);
    lp__csv_reader_free(&r);   /* freeing twice is harmless */
    run_result res = {c.out, s, s == LP_OK ? 0 : err.line, s == LP_OK ? -1 : err.column_index};
    return res;
}

typedef struct csv_case {
    const char *name;
    const char *input;
    size_t      len;         /* 0: strlen(input) */
    const char *want;        /* transcript */
    lp_status   status;
    uint64_t    line;        /* error line, when status != OK */
    int64_t     column;      /* error column index */
} csv_case;

static void check_case(const csv_case *c)
{
    size_t len = c->len ? c->len : strlen(c->input);
    static const int chunks[] = {0, 1, 2, 3, 5, 64, -1, -3, -8, -40};
    for (size_t k = 0; k < sizeof chunks / sizeof *chunks; k++) {
        for (uint64_t seed = 1; seed <= (chunks[k] < 0 ? 4u : 1u); seed++) {
            run_result r = run_reader(c->input, len, chunks[k], seed, 1, 0);
            int ok = strcmp(r.transcript.p, c->want) == 0 && r.status == c->status &&
                     (c->status == LP_OK || (r.line == c->line && r.column == c->column));
            LP_CHECK(ok,
                     "case \"%s\", chunk %d (seed %llu):\n      got  %s (line %llu, column %lld)\n%s"
                     "      want %s (line %llu, column %lld)\n%s",
                     c->name, chunks[k], (unsigned long long)seed, lp_status_code(r.status),
                     (unsigned long long)r.line, (long long)r.column, r.transcript.p, lp_status_code(c->status),
                     (unsigned long long)c->line, (long long)c->column, c->want);
            lp_test_str_free(&r.transcript);
            if (!ok) return;   /* one report per case is enough */
        }
    }
}

static const csv_case rfc_cases[] = {
    {"simple", "a,b\n1,2\n", 0, "1:a|b\n2:1|2\n", LP_OK, 0, 0},
    {"quoted field with commas", "\"a,b\",c\n", 0, "1:a,b|c\n", LP_OK, 0, 0},
    {"doubled quotes", "\"he said \"\"hi\"\"\",x\n", 0, "1:he said \"hi\"|x\n", LP_OK, 0, 0},
    {"a field that is one quote", "\"\"\"\"\n", 0, "1:\"\n", LP_OK, 0, 0},
    {"embedded LF", "h\n\"l1\nl2\",x\ny,z\n", 0, "1:h\n2:l1\\nl2|x\n4:y|z\n", LP_OK, 0, 0},
    {"embedded CRLF", "h\r\n\"l1\r\nl2\",x\r\ny,z\r\n", 0, "1:h\n2:l1\\r\\nl2|x\n4:y|z\n", LP_OK, 0, 0},
    {"embedded lone CR", "\"a\rb\",c\nd\n", 0, "1:a\\rb|c\n3:d\n", LP_OK, 0, 0},
    {"embedded blank lines", "\"a\n\nb\"\nc\n", 0, "1:a\\n\\nb\n4:c\n", LP_OK, 0, 0},
    {"embedded CR then LF after a doubled quote", "\"a\r\"\"\nb\",c\nd\n", 0, "1:a\\r\"\\nb|c\n4:d\n", LP_OK, 0, 0},
    {"two multi-line fields in one record", "\"1\n2\",\"3\n4\"\n5,6\n", 0, "1:1\\n2|3\\n4\n4:5|6\n", LP_OK, 0, 0},
    {"quoted field ending in CR", "\"a\r\"\nb\n", 0, "1:a\\r\n3:b\n", LP_OK, 0, 0},
    {"CRLF endings", "a,b\r\n1,2\r\n", 0, "1:a|b\n2:1|2\n", LP_OK, 0, 0},
    {"lone CR endings", "a,b\r1,2\r3,4", 0, "1:a|b\n2:1|2\n3:3|4\n", LP_OK, 0, 0},
    {"mixed endings", "a\nb\r\nc\rd", 0, "1:a\n2:b\n3:c\n4:d\n", LP_OK, 0, 0},
    {"quoted field then CR", "\"a\"\rb\n", 0, "1:a\n2:b\n", LP_OK, 0, 0},
    {"quoted field then CRLF", "\"a\"\r\nb\n", 0, "1:a\n2:b\n", LP_OK, 0, 0},
    {"BOM", "\xEF\xBB\xBF" "a,b\n1,2\n", 0, "1:a|b\n2:1|2\n", LP_OK, 0, 0},
    {"BOM then quoted field", "\xEF\xBB\xBF\"a,b\"\n", 0, "1:a,b\n", LP_OK, 0, 0},
    {"stream that is only a BOM", "\xEF\xBB\xBF", 0, "", LP_OK, 0, 0},
    {"stream that is a partial BOM", "\xEF\xBB", 0, "1:\\xEF\\xBB\n", LP_OK, 0, 0},
    {"stream that is one BOM byte", "\xEF", 0, "1:\\xEF\n", LP_OK, 0, 0},
    {"partial BOM then data", "\xEF\xBBx,y\n", 0, "1:\\xEF\\xBBx|y\n", LP_OK, 0, 0},
    {"partial BOM then a line end", "\xEF\xBB\n1\n", 0, "1:\\xEF\\xBB\n2:1\n", LP_OK, 0, 0},
    {"partial BOM then a quote", "\xEF\"a\"\n", 0, "1:\\xEF\"a\"\n", LP_OK, 0, 0},
    {"BOM twice: the second is data", "\xEF\xBB\xBF\xEF\xBB\xBF" "a\n", 0, "1:\\xEF\\xBB\\xBFa\n", LP_OK, 0, 0},
    {"BOM prefix then a BOM", "\xEF\xBB\xEF\xBB\xBF\n", 0, "1:\\xEF\\xBB\\xEF\\xBB\\xBF\n", LP_OK, 0, 0},
    {"BOM not at the start is data", "a\n\xEF\xBB\xBF\n", 0, "1:a\n2:\\xEF\\xBB\\xBF\n", LP_OK, 0, 0},
    {"blank lines skipped", "a\n\n\nb\n\r\n\rc\n", 0, "1:a\n4:b\n7:c\n", LP_OK, 0, 0},
    {"leading blank lines", "\n\r\na\n", 0, "3:a\n", LP_OK, 0, 0},
    {"last record without a line end", "a,b\n1,2", 0, "1:a|b\n2:1|2\n", LP_OK, 0, 0},
    {"last record quoted without a line end", "a\n\"x\"", 0, "1:a\n2:x\n", LP_OK, 0, 0},
    {"last record ends in a comma", "a,", 0, "1:a|\n", LP_OK, 0, 0},
    {"final lone CR", "a\r", 0, "1:a\n", LP_OK, 0, 0},
    {"empty fields", ",,\na,,b\n,\n", 0, "1:||\n2:a||b\n3:|\n", LP_OK, 0, 0},
    {"empty quoted fields", "\"\"\n\"\",x\nx,\"\"\n", 0, "1:\n2:|x\n3:x|\n", LP_OK, 0, 0},
    {"spaces are kept", " a , b \n", 0, "1: a | b \n", LP_OK, 0, 0},
    {"a quote inside an unquoted field is data", "a\"b,c\"\n", 0, "1:a\"b|c\"\n", LP_OK, 0, 0},
    {"tabs and semicolons are data", "a\tb;c\n", 0, "1:a\\x09b;c\n", LP_OK, 0, 0},
    {"NUL bytes are data", "a\0b,c\n", 6, "1:a\\x00b|c\n", LP_OK, 0, 0},
    {"empty input", "", 0, "", LP_OK, 0, 0},
    {"only line ends", "\n\r\n\r\n\n", 0, "", LP_OK, 0, 0},
    {"unterminated quote", "a,b\n1,\"oops\n2,3\n", 0, "1:a|b\n", LP_ERR_UNTERMINATED_QUOTE, 2, 1},
    {"unterminated quote on line 1", "\"abc", 0, "", LP_ERR_UNTERMINATED_QUOTE, 1, 0},
    {"unterminated quote spanning lines", "x\n\"a\nb\r\nc", 0, "1:x\n", LP_ERR_UNTERMINATED_QUOTE, 2, 0},
    {"unterminated quote after a doubled quote", "\"a\"\"", 0, "", LP_ERR_UNTERMINATED_QUOTE, 1, 0},
    {"text after the closing quote", "a\n\"x\"y\n", 0, "1:a\n", LP_ERR_BAD_CSV, 2, 0},
    {"text after a multi-line quoted field", "a,b\n1,\"x\ny\"z\n", 0, "1:a|b\n", LP_ERR_BAD_CSV, 3, 1},
    {"space after the closing quote", "\"x\" ,y\n", 0, "", LP_ERR_BAD_CSV, 1, 0},
    {"quote after the closing quote's field", "a,\"b\"\"c\"d\n", 0, "", LP_ERR_BAD_CSV, 1, 1},
};

LP_TEST(rfc4180_cases_every_chunking)
{
    for (size_t i = 0; i < sizeof rfc_cases / sizeof *rfc_cases; i++) check_case(&rfc_cases[i]);
}

LP_TEST(wide_and_long_records)
{
    /* 300 fields (the field table grows past its first 64) and a 100 kB
     * field (the byte buffer grows), every chunking. */
    lp_test_str in = {0}, want = {0};
    lp_test_str_add(&want, "1:", 2);
    for (int i = 0; i < 300; i++) {
        lp_test_str_addf(&in, "%sf%d", i ? "," : "", i);
        lp_test_str_addf(&want, "%sf%d", i ? "|" : "", i);
    }
    lp_test_str_add(&in, "\n\"", 2);
    lp_test_str_add(&want, "\n2:", 3);
    for (int i = 0; i < 100000; i++) {
        char c = (char)('a' + i % 26);
        lp_test_str_add(&in, &c, 1);
        lp_test_str_add(&want, &c, 1);
        if (i % 1000 == 999) {
            lp_test_str_add(&in, "\"\"", 2);
            lp_test_str_add(&want, "\"", 1);
        }
    }
    lp_test_str_add(&in, "\",end\n", 6);
    lp_test_str_add(&want, "|end\n", 5);
    csv_case c = {"wide and long", in.p, in.len, want.p, LP_OK, 0, 0};
    check_case(&c);
    lp_test_str_free(&in);
    lp_test_str_free(&want);
}

LP_TEST(first_line_offsets_every_line)
{
    run_result r = run_reader("a\n\nb\n\"c\nd\"\ne", 12, 0, 1, 100, 0);
    LP_CHECK_STR(r.transcript.p, "100:a\n102:b\n103:c\\nd\n105:e\n");
    lp_test_str_free(&r.transcript);
    r = run_reader("a\n", 2, 0, 1, 0, 0);   /* 0 means 1 */
    LP_CHECK_STR(r.transcript.p, "1:a\n");
    lp_test_str_free(&r.transcript);
    r = run_reader("a\n\"b", 4, 1, 1, 41, 0);
    LP_CHECK_STATUS(r.status, LP_ERR_UNTERMINATED_QUOTE, NULL);
    LP_CHECK_EQ_INT(r.line, 42);
    lp_test_str_free(&r.transcript);
}

LP_TEST(callback_error_stops_the_reader)
{
    const char *in = "a\nb\nc\nd\n";
    for (int chunk = 0; chunk <= 3; chunk++) {
        run_result r = run_reader(in, strlen(in), chunk, 1, 1, 2);
        LP_CHECK_STATUS(r.status, LP_ERR_RAGGED_ROW, NULL);
        LP_CHECK_STR(r.transcript.p, "1:a\n");
        lp_test_str_free(&r.transcript);
    }
    /* The stop on the last record, delivered by finish. */
    run_result r = run_reader("a\nb", 3, 0, 1, 1, 2);
    LP_CHECK_STATUS(r.status, LP_ERR_RAGGED_ROW, NULL);
    lp_test_str_free(&r.transcript);
}

LP_TEST(random_inputs_same_records_for_every_chunking)
{
    /* Random mixes of the interesting bytes: whatever the records are, the
     * chunking must not change them (nor the error). */
    static const char alphabet[] = {'a', 'b', ',', ',', '"', '"', '\n', '\r', ' ', '\xEF', '\xBB', '\xBF'};
    lp_test_rng rng = {5};
    int failures = 0;
    for (int iter = 0; iter < 3000 && failures < 5; iter++) {
        char in[48];
        size_t len = lp_test_below(&rng, sizeof in);
        for (size_t i = 0; i < len; i++) in[i] = alphabet[lp_test_below(&rng, sizeof alphabet)];
        run_result whole = run_reader(in, len, 0, 1, 1, 0);
        static const int chunks[] = {1, 2, 3, -4, -9};
        for (size_t k = 0; k < sizeof chunks / sizeof *chunks; k++) {
            run_result r = run_reader(in, len, chunks[k], (uint64_t)iter + 1, 1, 0);
            int same = strcmp(r.transcript.p, whole.transcript.p) == 0 && r.status == whole.status &&
                       r.line == whole.line && r.column == whole.column;
            if (!same) {
                lp_test_str esc = {0};
                lp_test_str_add(&esc, "", 0);
                escape_into(&esc, (const uint8_t *)in, len);
                failures++;
                LP_CHECK(0, "input \"%s\": chunk %d gives %s line %llu:\n%s  whole gives %s line %llu:\n%s", esc.p,
                         chunks[k], lp_status_code(r.status), (unsigned long long)r.line, r.transcript.p,
                         lp_status_code(whole.status), (unsigned long long)whole.line, whole.transcript.p);
                lp_test_str_free(&esc);
            }
            lp_test_str_free(&r.transcript);
        }
        lp_test_str_free(&whole.transcript);
    }
}

/* The input pushed in pieces cut at the given positions (ascending). */
static run_result run_split(const char *input, size_t len, const size_t *cuts, size_t n_cuts)
{
    lp__csv_reader r;
    lp__csv_reader_init(&r, 1);
    lp__csv_reader_set_limits(&r, test_max_columns, test_max_field_bytes);
    collector c = {{0}, 0, 0};
    lp_test_str_add(&c.out, "", 0);
    lp_error err;
    lp_error_clear(&err);
    lp_status s = LP_OK;
    size_t pos = 0;
    for (size_t k = 0; k <= n_cuts && s == LP_OK; k++) {
        size_t end = k < n_cuts ? cuts[k] : len;
        /* Each piece in its own buffer, so a read past it is caught by ASan. */
        uint8_t *piece = malloc(end - pos + 1);
        memcpy(piece, input + pos, end - pos);
        s = lp__csv_reader_push(&r, piece, end - pos, collect, &c, &err);
        free(piece);
        pos = end;
    }
    if (s == LP_OK) s = lp__csv_reader_finish(&r, collect, &c, &err);
    lp__csv_reader_free(&r);
    run_result res = {c.out, s, s == LP_OK ? 0 : err.line, s == LP_OK ? -1 : err.column_index};
    return res;
}

static int same_result(const run_result *a, const run_result *b)
{
    return strcmp(a->transcript.p, b->transcript.p) == 0 && a->status == b->status && a->line == b->line &&
           a->column == b->column;
}

/* Every way to cut the input into two pieces, and into three, must read as
 * the input in one piece: fields copied at a chunk's end, doubled quotes, CR
 * and LF of one CRLF in different pushes, BOM bytes split. */
static void check_every_split(const char *name, const char *input, size_t len)
{
    run_result whole = run_split(input, len, NULL, 0);
    int failed = 0;
    for (size_t a = 0; a <= len && !failed; a++) {
        for (size_t b = a; b <= len && !failed; b++) {
            size_t cuts[2] = {a, b};
            run_result r = run_split(input, len, cuts, a == b ? 1 : 2);
            if (!same_result(&r, &whole)) {
                failed = 1;
                LP_CHECK(0, "\"%s\" cut at %zu and %zu: %s line %llu column %lld\n%s  whole: %s line %llu column %lld\n%s",
                         name, a, b, lp_status_code(r.status), (unsigned long long)r.line, (long long)r.column,
                         r.transcript.p, lp_status_code(whole.status), (unsigned long long)whole.line,
                         (long long)whole.column, whole.transcript.p);
            }
            lp_test_str_free(&r.transcript);
        }
    }
    LP_CHECK(!failed, "(every split of \"%s\")", name);   /* counted once per input */
    lp_test_str_free(&whole.transcript);
}

LP_TEST(every_split_of_tricky_inputs)
{
    for (size_t i = 0; i < sizeof rfc_cases / sizeof *rfc_cases; i++) {
        const csv_case *c = &rfc_cases[i];
        check_every_split(c->name, c->input, c->len ? c->len : strlen(c->input));
    }
    static const char *const more[] = {
        "a,b,c\r\n1.5,\"x\"\"y\",-2\r\n\r\n\"\",,3e-5\n",
        "\xEF\xBB\xBF\"h\"\"1\",h2\n\"multi\r\nline\",\"a,b\"\r",
        "0.1234567,-1.234567,12.34567,\"7\"\n8,,\"\"\"\"\"\",9\n",
        "\"a\"\"\"\"b\"\"\",c\r\r\nd,\"e\r\"\n",
    };
    for (size_t i = 0; i < sizeof more / sizeof *more; i++) check_every_split(more[i], more[i], strlen(more[i]));
}

/* lp__csv_scanner (64 bytes per bitmask) must agree with the byte-at-a-time
 * reference: from every start, as the reader asks (forward from each answer)
 * and out of order, on buffers longer than a block, with the special bytes
 * at every position around the 64-byte block edges. */
LP_TEST(block_scanner_matches_the_reference)
{
    static const uint8_t specials[] = {',', ';', '"', '\n', '\r'};
    static const uint8_t plain[] = {'1', '.', '-', 'e', ' ', 0x00, 0x80, 0xAC, 0xFF, 0x2C ^ 0x80, 0x0A ^ 0x80};
    lp_test_rng rng = {17};
    uint8_t buf[300];
    int failures = 0;
    for (int iter = 0; iter < 2000 && failures < 5; iter++) {
        size_t len = lp_test_below(&rng, sizeof buf + 1);
        uint32_t density = 2 + lp_test_below(&rng, 30);   /* one special byte in `density`, on average */
        for (size_t i = 0; i < len; i++)
            buf[i] = lp_test_below(&rng, density) ? plain[lp_test_below(&rng, sizeof plain)]
                                                  : specials[lp_test_below(&rng, sizeof specials)];
        uint8_t delim = lp_test_below(&rng, 2) ? ',' : ';';
        lp__csv_scanner sc;
        lp__csv_scanner_init(&sc, buf, len, delim);
        /* As the reader walks: from each special byte to the next. */
        for (size_t i = 0; i <= len;) {
            size_t want = lp__csv_scan_ref_delim(buf, i, len, delim), got = lp__csv_scanner_next(&sc, i);
            if (got != want) {
                failures += !LP_CHECK(0, "walk from %zu of %zu bytes: %zu, want %zu", i, len, got, want);
                break;
            }
            i = want + 1;
        }
        /* From every start, in a random order (the scanner's block is then
         * behind, ahead or around the start). */
        for (size_t k = 0; k <= len; k++) {
            size_t i = lp_test_below(&rng, (uint32_t)len + 1);
            size_t want = lp__csv_scan_ref_delim(buf, i, len, delim), got = lp__csv_scanner_next(&sc, i);
            if (got != want) {
                failures += !LP_CHECK(0, "from %zu of %zu bytes: %zu, want %zu", i, len, got, want);
                break;
            }
        }
    }
    /* One special byte alone at each position of 200 plain bytes. */
    for (size_t s = 0; s < sizeof specials; s++) {
        for (size_t pos = 0; pos < 200; pos++) {
            memset(buf, '7', 200);
            buf[pos] = specials[s];
            lp__csv_scanner sc;
            lp__csv_scanner_init(&sc, buf, 200, specials[s] == ',' ? ',' : ';');
            for (size_t i = 0; i <= 200; i++) {
                size_t want = i <= pos ? pos : 200;
                if (!LP_CHECK(lp__csv_scanner_next(&sc, i) == want, "byte %u at %zu, scan from %zu", specials[s], pos, i))
                    return;
            }
        }
    }
}

/* Records built from known fields (the reference: what was written), as
 * CSV writers write them: quoted where needed, with "" inside, line breaks
 * inside quotes, LF / CRLF / CR line ends, quotes and line ends landing on
 * and around the 64-byte blocks of the scanner.  Read whole and in chunks
 * (where fields straddle pushes and are copied), the reader must give back
 * exactly the fields and their starting lines. */
LP_TEST(generated_records_read_back_exactly)
{
    static const char *const pieces[] = {"0.1234567", "-12.5", "1e-05", "", "NA", "a", " ", ",", "\"", "\n",
                                         "\r\n", "x\"y", "12345678901234567890", ";", "\xC3\xA9"};
    static const char *const line_ends[] = {"\n", "\r\n", "\r"};
    lp_test_rng rng = {23};
    int failures = 0;
    for (int iter = 0; iter < 1500 && failures < 5; iter++) {
        lp_test_str in = {0}, want = {0};
        lp_test_str_add(&in, "", 0);
        lp_test_str_add(&want, "", 0);
        uint64_t line = 1;
        size_t n_records = 1 + lp_test_below(&rng, 8);
        const char *end = line_ends[lp_test_below(&rng, 3)];
        for (size_t r = 0; r < n_records; r++) {
            size_t n_fields = 1 + lp_test_below(&rng, 14);
            lp_test_str_addf(&want, "%llu:", (unsigned long long)line);
            for (size_t f = 0; f < n_fields; f++) {
                char field[64];
                size_t len = 0;
                for (size_t k = lp_test_below(&rng, 4); k > 0; k--) {
                    const char *p = pieces[lp_test_below(&rng, sizeof pieces / sizeof *pieces)];
                    size_t n = strlen(p);
                    if (len + n < sizeof field) memcpy(field + len, p, n), len += n;
                }
                if (n_fields == 1 && len == 0) field[len++] = 'z';   /* an empty line would be skipped */
                int needs_quotes = 0;
                for (size_t k = 0; k < len; k++)
                    needs_quotes |= field[k] == ',' || field[k] == '"' || field[k] == '\n' || field[k] == '\r';
                if (f) lp_test_str_add(&in, ",", 1), lp_test_str_add(&want, "|", 1);
                if (needs_quotes || lp_test_below(&rng, 8) == 0) {
                    lp_test_str_add(&in, "\"", 1);
                    for (size_t k = 0; k < len; k++) {
                        lp_test_str_add(&in, field[k] == '"' ? "\"\"" : &field[k], field[k] == '"' ? 2 : 1);
                        /* A line break inside the field: LF, CRLF or CR each count one line. */
                        if (field[k] == '\n' || (field[k] == '\r' && !(k + 1 < len && field[k + 1] == '\n'))) line++;
                    }
                    lp_test_str_add(&in, "\"", 1);
                } else {
                    lp_test_str_add(&in, field, len);
                }
                escape_into(&want, (const uint8_t *)field, len);
            }
            lp_test_str_add(&want, "\n", 1);
            lp_test_str_add(&in, end, strlen(end));
            line++;
        }
        static const int chunks[] = {0, 1, 7, 64, -70};
        for (size_t k = 0; k < sizeof chunks / sizeof *chunks; k++) {
            run_result got = run_reader(in.p, in.len, chunks[k], (uint64_t)iter + 1, 1, 0);
            if (got.status != LP_OK || strcmp(got.transcript.p, want.p) != 0) {
                lp_test_str esc = {0};
                lp_test_str_add(&esc, "", 0);
                escape_into(&esc, (const uint8_t *)in.p, in.len);
                failures += !LP_CHECK(0, "input \"%s\" (chunk %d): %s\n%s  want\n%s", esc.p, chunks[k],
                                      lp_status_code(got.status), got.transcript.p, want.p);
                lp_test_str_free(&esc);
            }
            lp_test_str_free(&got.transcript);
        }
        lp_test_str_free(&in);
        lp_test_str_free(&want);
    }
}

/* lp__csv_find_nul (64 bytes at a time in WASM) against memchr: one NUL, or
 * none, at every position of buffers around the block sizes. */
LP_TEST(find_nul_matches_memchr)
{
    uint8_t buf[200];
    for (size_t len = 0; len <= sizeof buf; len += len < 70 ? 1 : 13) {
        for (size_t pos = 0; pos <= len; pos++) {   /* pos == len: no NUL */
            for (size_t k = 0; k < len; k++) buf[k] = (uint8_t)(1 + (k * 37) % 255);
            if (pos < len) buf[pos] = 0;
            if (pos + 3 < len) buf[pos + 3] = 0;   /* a second one after it */
            const uint8_t *got = lp__csv_find_nul(buf, len), *want = memchr(buf, 0, len);
            if (!LP_CHECK(got == want, "NUL at %zu of %zu: found at %td", pos, len, got ? got - buf : -1)) return;
        }
    }
}

/* The limits: at the limit reads, one past it is LP_ERR_LIMIT at the field's
 * record line and index, in any chunking (the field then is direct, copied,
 * or grows across pushes); quotes do not count. */
LP_TEST(limits_on_fields_and_columns)
{
    test_max_field_bytes = 8;
    test_max_columns = 4;
    static const csv_case cases[] = {
        {"field at the limit", "12345678,b\n", 0, "1:12345678|b\n", LP_OK, 0, 0},
        {"quoted field at the limit", "x\n\"1234\"\"678\",b\n", 0, "1:x\n2:1234\"678|b\n", LP_OK, 0, 0},
        {"field one past the limit", "a\nb,123456789\n", 0, "1:a\n", LP_ERR_LIMIT, 2, 1},
        {"last field one past the limit", "a\nb,123456789", 0, "1:a\n", LP_ERR_LIMIT, 2, 1},
        {"quoted field past the limit", "a\n\"12\n45\"\"789\"\n", 0, "1:a\n", LP_ERR_LIMIT, 2, 0},
        {"long field on a later line of the record", "\"a\nb\",1234567890\n", 0, "", LP_ERR_LIMIT, 1, 1},
        {"columns at the limit", "a,b,c,d\n1,2,3,4\n", 0, "1:a|b|c|d\n2:1|2|3|4\n", LP_OK, 0, 0},
        {"one column too many", "a,b,c,d\n1,2,3,4,5\n", 0, "1:a|b|c|d\n", LP_ERR_LIMIT, 2, 4},
        {"one empty column too many", "a,b,c,d\n,,,,\n", 0, "1:a|b|c|d\n", LP_ERR_LIMIT, 2, 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        check_case(&cases[i]);
        check_every_split(cases[i].name, cases[i].input, strlen(cases[i].input));
    }
    test_max_field_bytes = 0;
    test_max_columns = 0;
    /* The defaults: 1 MiB fields and 100000 columns. */
    lp_test_str in = {0};
    for (size_t i = 0; i < LP_DEFAULT_MAX_FIELD_BYTES; i++) lp_test_str_add(&in, "7", 1);
    run_result r = run_reader(in.p, in.len, 0, 1, 1, 0);
    LP_CHECK_STATUS(r.status, LP_OK, NULL);
    lp_test_str_free(&r.transcript);
    lp_test_str_add(&in, "7", 1);
    r = run_reader(in.p, in.len, 4096, 1, 1, 0);
    LP_CHECK_STATUS(r.status, LP_ERR_LIMIT, NULL);
    lp_test_str_free(&r.transcript);
    lp_test_str_free(&in);
    for (size_t i = 0; i < LP_DEFAULT_MAX_COLUMNS; i++) lp_test_str_add(&in, ",", 1);
    r = run_reader(in.p, in.len, 0, 1, 1, 0);   /* 100001 empty fields */
    LP_CHECK_STATUS(r.status, LP_ERR_LIMIT, NULL);
    LP_CHECK_EQ_INT(r.column, LP_DEFAULT_MAX_COLUMNS);
    lp_test_str_free(&r.transcript);
    r = run_reader(in.p + 1, in.len - 1, 0, 1, 1, 0);   /* 100000 */
    LP_CHECK_STATUS(r.status, LP_OK, NULL);
    lp_test_str_free(&r.transcript);
    lp_test_str_free(&in);
}

void test_csv_reader(void)
{
    LP_RUN(rfc4180_cases_every_chunking);
    LP_RUN(wide_and_long_records);
    LP_RUN(first_line_offsets_every_line);
    LP_RUN(callback_error_stops_the_reader);
    LP_RUN(random_inputs_same_records_for_every_chunking);
    LP_RUN(every_split_of_tricky_inputs);
    LP_RUN(block_scanner_matches_the_reference);
    LP_RUN(generated_records_read_back_exactly);
    LP_RUN(find_nul_matches_memchr);
    LP_RUN(limits_on_fields_and_columns);
}
