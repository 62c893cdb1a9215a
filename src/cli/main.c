/* main.c — the native command line, with the flags of the npm CLI
 * (wasm/cli.mjs) and ARCHITECTURE.md's "Decisions":
 *
 *   localpredict predict MODEL INPUT [-o OUT] [flags]
 *   localpredict info MODEL [--json]
 *
 * Exit codes: 0 ok, 1 usage, 2 bad model, 3 bad input data, 4 I/O,
 * 5 limit exceeded, 130 cancelled.  Errors are one line on stderr:
 *   localpredict: <file>:<line>: column "<name>": <what is wrong>
 * With -o the output goes to a temporary file renamed on success, so a failed
 * run leaves no output file behind.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cJSON.h"
#include "localpredict.h"
#include "parallel.h"

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_MODEL = 2, EXIT_DATA = 3, EXIT_IO = 4, EXIT_LIMIT = 5,
       EXIT_CANCELLED = 130 };

static const char usage[] =
    "usage: localpredict predict MODEL INPUT [-o OUT] [options]\n"
    "       localpredict info MODEL [--json]\n"
    "\n"
    "Predicts every row of the CSV file INPUT with MODEL (an XGBoost JSON or UBJSON\n"
    "model, a LightGBM model.txt or an ONNX model) and writes a CSV with one probability column\n"
    "per class and a \"Suggested Label\" column.  INPUT or OUT \"-\" is stdin/stdout;\n"
    "without -o the predictions go to stdout.\n"
    "MODEL may also be an ensemble's manifest (NAME.localpredict.json with\n"
    "\"ensemble\"): the files it names are read beside it.  (.zip bundles: use the\n"
    "JS CLI, npx localpredict, or unzip them.)\n"
    "\n"
    "options:\n"
    "  -o, --output OUT      write to OUT (via a temporary file renamed on success)\n"
    "  --manifest FILE       manifest (default: MODEL's name + .localpredict.json, if present)\n"
    "  --task TASK           multiclass, binary, multilabel or regression\n"
    "  --classes a,b,c       class names in the model's order (or @FILE, one per line)\n"
    "  --threshold T         decision threshold for binary and multi-label (default 0.5)\n"
    "  --include-input       copy every input column in front of the predictions\n"
    "  --keep col,col        copy only these input columns in front\n"
    "  --jobs N              threads (default: the number of cores; inputs under\n"
    "                        8 MiB, stdin and --check run on one)\n"
    "  --check               check the input against the model (header, encoding,\n"
    "                        delimiter, column types in the first 1000 rows); predict nothing\n"
    "  --delimiter X         the input's field delimiter: , ; | or tab (default: detected\n"
    "                        from the header line)\n"
    "  --encoding E          the input's encoding: utf-8, windows-1252, latin1, utf-16le,\n"
    "                        utf-16be (default: UTF-8, or UTF-16 by its byte-order mark)\n"
    "  --decimal-comma       numbers use a decimal comma (1,5); needs a delimiter other than ,\n"
    "  --no-header           the first line is data (the model takes columns by position,\n"
    "                        or name them with --columns a,b,c)\n"
    "  --columns a,b,c       column names of a file without a header (with --no-header)\n"
    "  --excel               write for Excel: UTF-8 byte-order mark and CRLF line ends\n"
    "  --on-error fail|skip  a row with a bad cell fails the run (default) or keeps its\n"
    "                        place with empty probabilities and the message in an Error column\n"
    "  --quiet               no progress on stderr\n"
    "  --json                (info) print the model description as JSON\n"
    "\n"
    "limits (raise them for a model or file that needs more; README \"Hostile input, limits and numbers\"):\n"
    "  --max-model-bytes N      model file size (default 268435456)\n"
    "  --max-tree-nodes N       tree nodes in the model (default 67108864)\n"
    "  --max-tree-depth N       levels of one tree (default 64, at most 255)\n"
    "  --max-tensor-elements N  elements of one ONNX tensor (default 268435456)\n"
    "  --max-graph-nodes N      nodes an ONNX graph declares (default 1048576)\n"
    "  --max-graph-ops N        operators a dense ONNX graph runs (default 10000)\n"
    "  --max-field-bytes N      bytes of one CSV field (default 1048576)\n"
    "  --max-columns N          fields of one CSV record (default 100000)\n"
    "  -h, --help            this help\n"
    "  --version             the engine's version\n"
    "\n"
    "exit codes: 0 ok, 1 usage, 2 bad or unsupported model, 3 bad input data,\n"
    "            4 I/O error, 5 limit exceeded, 130 cancelled\n";

/* The --max-* flags: the engine's limits, named as in wasm/cli.mjs (same ranges). */
enum { LIM_MODEL_BYTES, LIM_TREE_NODES, LIM_TREE_DEPTH, LIM_TENSOR_ELEMENTS, LIM_GRAPH_NODES, LIM_GRAPH_OPS,
       LIM_FIELD_BYTES, LIM_COLUMNS, LIM_COUNT };
static const struct {
    const char *flag;
    unsigned long long max;   /* the API's ceiling (2^32 - 1 unless lower) */
} limit_flags[LIM_COUNT] = {
    {"--max-model-bytes", 4294967295u}, {"--max-tree-nodes", 2147483647u}, {"--max-tree-depth", 255},
    {"--max-tensor-elements", 4294967295u}, {"--max-graph-nodes", 4294967295u}, {"--max-graph-ops", 4294967295u},
    {"--max-field-bytes", 4294967295u}, {"--max-columns", 4294967295u},
};

typedef struct options {
    const char *command, *model, *input, *output, *manifest, *task, *classes, *threshold, *keep;
    int include_input, check, quiet, json, jobs;
    const char *limit_text[LIM_COUNT];
    unsigned long long limit[LIM_COUNT];   /* 0 = the engine's default */
    /* dialects (issue 9) */
    const char *delimiter, *encoding, *columns, *on_error;
    int decimal_comma, no_header, excel;
} options;

static int delimiter_byte(const char *v);

static volatile sig_atomic_t interrupted;
static char *temp_path;   /* removed on any failure */

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("localpredict: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

static int exit_code_for(lp_status s)
{
    switch (s) {
    case LP_OK: return EXIT_OK;
    case LP_ERR_USAGE: return EXIT_USAGE;
    case LP_ERR_BAD_MODEL:
    case LP_ERR_UNSUPPORTED:
    case LP_ERR_BAD_MANIFEST: return EXIT_MODEL;
    case LP_ERR_LIMIT:
    case LP_ERR_NOMEM: return EXIT_LIMIT;
    default: return EXIT_DATA;
    }
}

static int fail_engine(const lp_error *err, const char *source)
{
    char line[LP_ERROR_MESSAGE_CAP + 256];
    lp_error_format(err, source, line, sizeof line);
    return fail(exit_code_for(err->code), "%s", line);
}

/* ---- files ---- */
static int read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return fail(EXIT_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        uint8_t *bigger = realloc(buf, cap * 2);
        if (!bigger) free(buf);
        buf = bigger;
        cap *= 2;
    }
    int bad = ferror(f);
    if (f != stdin) fclose(f);
    if (!buf) return fail(EXIT_LIMIT, "%s: out of memory reading the file", path);
    if (bad) {
        free(buf);
        return fail(EXIT_IO, "%s: read error", path);
    }
    *out = buf;
    *len = n;
    return EXIT_OK;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- overrides: the flags as manifest-shaped JSON ---- */
static int add_classes(cJSON *o, const char *spec)
{
    uint8_t *text = NULL;
    size_t len = 0;
    char sep = ',';
    if (spec[0] == '@') {
        int rc = read_file(spec + 1, &text, &len);
        if (rc) return rc;
        sep = '\n';
    } else {
        len = strlen(spec);
        text = malloc(len + 1);
        if (!text) return fail(EXIT_LIMIT, "out of memory");
        memcpy(text, spec, len);
    }
    cJSON *arr = cJSON_AddArrayToObject(o, "classes");
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != (uint8_t)sep) continue;
        size_t end = i;
        if (sep == '\n' && end > start && text[end - 1] == '\r') end--;
        if (!(sep == '\n' && i == len && end == start)) {   /* a final newline ends the list */
            char *name = malloc(end - start + 1);
            if (!name) break;
            memcpy(name, text + start, end - start);
            name[end - start] = '\0';
            cJSON_AddItemToArray(arr, cJSON_CreateString(name));
            free(name);
        }
        start = i + 1;
    }
    free(text);
    return EXIT_OK;
}

static int build_overrides(const options *o, char **out)
{
    *out = NULL;
    if (!o->task && !o->classes && !o->threshold) return EXIT_OK;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "localpredict", 1);
    if (o->task) cJSON_AddStringToObject(j, "task", o->task);
    if (o->threshold) {
        char *end = NULL;
        double t = strtod(o->threshold, &end);
        if (*end || end == o->threshold || !(t >= 0 && t <= 1)) {
            cJSON_Delete(j);
            return fail(EXIT_USAGE, "--threshold must be a number from 0 to 1, got \"%s\"", o->threshold);
        }
        cJSON_AddNumberToObject(j, "threshold", t);
    }
    if (o->classes) {
        int rc = add_classes(j, o->classes);
        if (rc) {
            cJSON_Delete(j);
            return rc;
        }
    }
    *out = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return *out ? EXIT_OK : fail(EXIT_LIMIT, "out of memory");
}

/* ---- model ---- */
/* ---- the files a manifest names: an ensemble's members (and their
 * manifests), a text model's vocabulary ("preprocess.vocab") ---- */
typedef struct cli_parts {
    lp_part *parts;
    size_t   n;
} cli_parts;

static void free_parts(cli_parts *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free((void *)p->parts[i].name);
        free((void *)p->parts[i].bytes);
    }
    free(p->parts);
    p->parts = NULL;
    p->n = 0;
}

/* The JSON of a manifest ({"localpredict": ...}) when bytes are one, else NULL. */
static cJSON *manifest_json(const uint8_t *bytes, size_t len)
{
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", bytes[i])) i++;
    if (i == len || bytes[i] != '{' || len > ((size_t)4 << 20)) return NULL;
    cJSON *root = cJSON_ParseWithLength((const char *)bytes, len);
    if (cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "localpredict")) return root;
    cJSON_Delete(root);
    return NULL;
}

/* The manifest's JSON when MODEL's bytes are a manifest with "ensemble", else NULL. */
static cJSON *ensemble_manifest(const uint8_t *bytes, size_t len)
{
    cJSON *root = manifest_json(bytes, len);
    if (root && cJSON_GetObjectItemCaseSensitive(root, "ensemble")) return root;
    cJSON_Delete(root);
    return NULL;
}

/* Reads `name` (relative to the manifest's folder, or absolute) into p; `key`
 * is the manifest key naming it, for the message when it is not there. */
static int add_part(cli_parts *p, const char *manifest_path, const char *key, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->parts[i].name, name) == 0) return EXIT_OK;
    const char *slash = strrchr(manifest_path, '/');
    size_t dir = name[0] == '/' || !slash ? 0 : (size_t)(slash - manifest_path) + 1;
    char *path = malloc(dir + strlen(name) + 1);
    lp_part *more = realloc(p->parts, (p->n + 1) * sizeof *more);
    if (more) p->parts = more;
    char *copy = path && more ? malloc(strlen(name) + 1) : NULL;
    if (!copy) {
        free(path);
        return fail(EXIT_LIMIT, "out of memory");
    }
    memcpy(path, manifest_path, dir);
    strcpy(path + dir, name);
    strcpy(copy, name);
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc = file_exists(path) ? read_file(path, &bytes, &len)
           : fail(EXIT_IO, "%s: \"%s\" names the file \"%s\", which is not there (looked for %s)",
                  manifest_path, key, name, path);
    free(path);
    if (rc) {
        free(copy);
        return rc;
    }
    p->parts[p->n++] = (lp_part){copy, bytes, len};
    return EXIT_OK;
}

/* Reads every file the manifest names: each "ensemble" entry's "model" (and
 * "manifest" when it is a file name), and "preprocess.vocab" when it is a
 * file name.  (A malformed entry is the engine's to name.) */
static int read_named_parts(const char *manifest_path, const cJSON *root, cli_parts *p)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "ensemble");
    for (const cJSON *e = cJSON_IsArray(list) ? list->child : NULL; e; e = e->next) {
        const char *model = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "model"));
        const char *man = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "manifest"));
        int rc = model && model[0] ? add_part(p, manifest_path, "ensemble.model", model) : EXIT_OK;
        if (!rc && man && man[0]) rc = add_part(p, manifest_path, "ensemble.manifest", man);
        if (rc) return rc;
    }
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(root, "preprocess");
    const char *vocab = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(pre, "vocab"));
    return vocab && vocab[0] ? add_part(p, manifest_path, "preprocess.vocab", vocab) : EXIT_OK;
}

static int load_model(const options *o, lp_model **model)
{
    uint8_t *bytes = NULL, *manifest = NULL;
    size_t len = 0, manifest_len = 0;
    char *overrides = NULL, *default_manifest = NULL;
    int rc = read_file(o->model, &bytes, &len);
    const char *manifest_path = o->manifest;
    cli_parts parts = {0};
    cJSON *ensemble = rc ? NULL : ensemble_manifest(bytes, len);
    if (ensemble) {   /* MODEL is an ensemble's manifest: the model is the files it names */
        if (manifest_path) rc = fail(EXIT_USAGE, "%s is an ensemble's manifest: give it alone, without --manifest", o->model);
        if (!rc) rc = read_named_parts(o->model, ensemble, &parts);
        cJSON_Delete(ensemble);
        manifest = bytes, manifest_len = len, manifest_path = o->model;
        bytes = NULL, len = 0;
    }
    if (!rc && !manifest_path) {
        /* <model name without extension>.localpredict.json beside the model */
        size_t n = strlen(o->model);
        const char *slash = strrchr(o->model, '/'), *dot = strrchr(o->model, '.');
        if (dot && (!slash || dot > slash)) n = (size_t)(dot - o->model);
        default_manifest = malloc(n + sizeof ".localpredict.json");
        if (default_manifest) {
            memcpy(default_manifest, o->model, n);
            strcpy(default_manifest + n, ".localpredict.json");
            if (file_exists(default_manifest)) manifest_path = default_manifest;
        }
    }
    if (!rc && manifest_path && !manifest) {
        rc = read_file(manifest_path, &manifest, &manifest_len);
        cJSON *root = rc ? NULL : manifest_json(manifest, manifest_len);
        if (root) rc = read_named_parts(manifest_path, root, &parts);   /* e.g. its vocabulary */
        cJSON_Delete(root);
    }
    if (!rc) rc = build_overrides(o, &overrides);
    if (!rc) {
        lp_load_options lo = lp_load_options_default();
        lo.manifest = (const char *)manifest;
        lo.manifest_len = manifest_len;
        lo.manifest_name = manifest_path;
        lo.overrides = overrides;
        lo.overrides_len = overrides ? strlen(overrides) : 0;
        lo.parts = parts.parts;
        lo.n_parts = parts.n;
        lo.max_model_bytes = (size_t)o->limit[LIM_MODEL_BYTES];
        lo.max_nodes = (size_t)o->limit[LIM_TREE_NODES];
        lo.max_tree_depth = (unsigned)o->limit[LIM_TREE_DEPTH];
        lo.max_tensor_elements = (size_t)o->limit[LIM_TENSOR_ELEMENTS];
        lo.max_graph_nodes = (size_t)o->limit[LIM_GRAPH_NODES];
        lo.max_graph_ops = (size_t)o->limit[LIM_GRAPH_OPS];
        lp_error err;
        if (lp_model_load(bytes, len, &lo, model, &err) != LP_OK)
            rc = fail_engine(&err, err.code == LP_ERR_BAD_MANIFEST || err.code == LP_ERR_USAGE ? NULL : o->model);
    }
    free(bytes);
    free(manifest);
    free(overrides);
    free(default_manifest);
    free_parts(&parts);
    return rc;
}

/* ---- info ---- */
/* The "trees" line of a tree model, or the "graph" line of a dense one. */
static void print_computation(const cJSON *i, const char *indent)
{
    const cJSON *operators = cJSON_GetObjectItem(i, "operators");
    printf("%s", indent);
    double trees = cJSON_GetNumberValue(cJSON_GetObjectItem(i, "trees"));
    if (cJSON_IsNumber(operators) && !(trees > 0)) {
        printf("graph      %.0f operators (dense layers and activations)", operators->valuedouble);
        const char *scores = cJSON_GetStringValue(cJSON_GetObjectItem(i, "scoresFrom"));
        if (scores) printf(", scores from \"%s\"", scores);
        printf("\n");
        return;
    }
    if (cJSON_IsNumber(operators))   /* ONNX trees after encoders: the graph computes their features */
        printf("graph      %.0f operators (the trees' features)\n%s", operators->valuedouble, indent);
    const cJSON *best = cJSON_GetObjectItem(i, "bestIteration");
    printf("trees      %.0f (%s booster, %.0f nodes, max depth %.0f)", trees,
           cJSON_GetStringValue(cJSON_GetObjectItem(i, "booster")),
           cJSON_GetNumberValue(cJSON_GetObjectItem(i, "nodes")),
           cJSON_GetNumberValue(cJSON_GetObjectItem(i, "maxDepth")));
    if (cJSON_IsNumber(best))
        printf("; early stopping: iterations 0-%.0f, %.0f of the file's %.0f trees", best->valuedouble, trees,
               cJSON_GetNumberValue(cJSON_GetObjectItem(i, "treesInFile")));
    printf("\n");
}

static void print_list(const cJSON *arr, int quote)
{
    int first = 1;
    for (const cJSON *c = arr ? arr->child : NULL; c; c = c->next, first = 0) {
        char *text = cJSON_IsString(c) ? NULL : cJSON_PrintUnformatted(c);
        printf(quote ? "%s\"%s\"" : "%s%s", first ? "" : ", ", text ? text : c->valuestring);
        free(text);
    }
}

/* A number as JavaScript's Number.prototype.toString writes it (shortest
 * round-trip digits; plain for 1e-6 <= |x| < 1e21), so both CLIs print the
 * same bytes. */
static void print_js_number(double x)
{
    char buf[40];
    int p = 1;
    for (; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, x);
        if (strtod(buf, NULL) == x) break;
    }
    if (x == 0) {
        printf("0");
        return;
    }
    /* buf = [-]d.ddde±XX: digits and decimal exponent */
    const char *s = buf;
    int neg = *s == '-';
    if (neg) s++;
    char digits[24];
    int n = 0;
    for (; *s && *s != 'e'; s++)
        if (*s != '.') digits[n++] = *s;
    digits[n] = '\0';
    while (n > 1 && digits[n - 1] == '0') digits[--n] = '\0';
    int e = atoi(s + 1);   /* x = 0.d1d2... * 10^(e+1) */
    if (neg) printf("-");
    if (e >= 21 || e < -6) {
        printf("%c", digits[0]);
        if (n > 1) printf(".%s", digits + 1);
        printf("e%c%d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    } else if (e < 0) {
        printf("0.");
        for (int i = -1; i > e; i--) printf("0");
        printf("%s", digits);
    } else if (n <= e + 1) {
        printf("%s", digits);
        for (int i = n; i <= e; i++) printf("0");
    } else {
        printf("%.*s.%s", e + 1, digits, digits + e + 1);
    }
}

/* The manifest's details, one line each ("name       Iris"). */
static void print_details(const cJSON *details, const char *indent)
{
    static const char *const keys[] = {"name", "type", "version", "trained", "description"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(details, keys[k]));
        if (v) printf("%s%-10s %s\n", indent, keys[k], v);
    }
    const cJSON *metrics = cJSON_GetObjectItem(details, "metrics");
    for (const cJSON *x = metrics ? metrics->child : NULL; x; x = x->next) {
        printf("%smetric     %s: ", indent, x->string);
        if (cJSON_IsNumber(x)) print_js_number(x->valuedouble);
        else printf("%s", x->valuestring);
        printf("\n");
    }
}

/* The "dims" line: the symbolic input dimensions the load bound, as
 * wasm/cli.mjs writes it ("input_ids dimension 1 (\"sequence\") = 16
 * (preprocess.max_length)", "\"features\" = 4 (dims)"). */
static void print_dims(const cJSON *dims)
{
    if (!cJSON_IsArray(dims) || !dims->child) return;
    printf("dims       ");
    for (const cJSON *d = dims->child; d; d = d->next) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(d, "name"));
        const char *input = cJSON_GetStringValue(cJSON_GetObjectItem(d, "input"));
        if (input) {
            printf("%s dimension %.0f", input, cJSON_GetNumberValue(cJSON_GetObjectItem(d, "axis")));
            if (name) printf(" (\"%s\")", name);
        } else {
            printf("\"%s\"", name ? name : "");
        }
        printf(" = %.0f (%s)%s", cJSON_GetNumberValue(cJSON_GetObjectItem(d, "size")),
               cJSON_GetStringValue(cJSON_GetObjectItem(d, "source")), d->next ? ", " : "\n");
    }
}

/* An ensemble's "members" line (in place of the trees line). */
static void print_members_line(const cJSON *members)
{
    printf("members    %d:", cJSON_GetArraySize(members));
    int first = 1;
    for (const cJSON *m = members->child; m; m = m->next, first = 0) {
        printf("%s %s (weight ", first ? "" : ",", cJSON_GetStringValue(cJSON_GetObjectItem(m, "name")));
        print_js_number(cJSON_GetNumberValue(cJSON_GetObjectItem(m, "weight")));
        printf(")");
    }
    printf("\n");
}

/* The ensemble's members, one block each: what `info` says of a model, indented. */
static void print_member_blocks(const cJSON *members)
{
    int n = 0;
    for (const cJSON *m = members->child; m; m = m->next) {
        const cJSON *i = cJSON_GetObjectItem(m, "info");
        const cJSON *names = cJSON_GetObjectItem(cJSON_GetObjectItem(i, "features"), "names");
        printf("member %-3d %s\n", ++n, cJSON_GetStringValue(cJSON_GetObjectItem(m, "name")));
        printf("  model      %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(m, "model")));
        printf("  format     %s (%s)\n", cJSON_GetStringValue(cJSON_GetObjectItem(i, "format")),
               cJSON_GetStringValue(cJSON_GetObjectItem(i, "producer")));
        printf("  weight     ");
        print_js_number(cJSON_GetNumberValue(cJSON_GetObjectItem(m, "weight")));
        printf("\n  objective  %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(i, "objective")));
        print_computation(i, "  ");
        printf("  features   %.0f", cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(i, "features"), "count")));
        if (cJSON_IsArray(names)) {
            printf(": ");
            print_list(names, 0);
        }
        printf("\n");
        const cJSON *details = cJSON_GetObjectItem(i, "details");
        if (cJSON_IsObject(details)) print_details(details, "  ");
        printf("  sha256     %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(i, "sha256")));
    }
}

static int run_info(const options *o)
{
    lp_model *model = NULL;
    int rc = load_model(o, &model);
    if (rc) return rc;
    const char *json = lp_model_info_json(model);
    if (o->json) {
        printf("%s\n", json);
    } else {
        cJSON *i = cJSON_Parse(json);
        const cJSON *features = cJSON_GetObjectItem(i, "features");
        const cJSON *names = cJSON_GetObjectItem(features, "names");
        const cJSON *classes = cJSON_GetObjectItem(i, "classes");
        printf("model      %s\n", o->model);
        printf("format     %s (%s)\n", cJSON_GetStringValue(cJSON_GetObjectItem(i, "format")),
               cJSON_GetStringValue(cJSON_GetObjectItem(i, "producer")));
        printf("objective  %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(i, "objective")));
        printf("task       %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(i, "task")));
        const cJSON *members = cJSON_GetObjectItem(i, "members");
        if (cJSON_IsArray(members)) print_members_line(members);
        else print_computation(i, "");
        printf("features   %.0f", cJSON_GetNumberValue(cJSON_GetObjectItem(features, "count")));
        if (cJSON_IsArray(names)) {
            printf(": ");
            print_list(names, 0);
        } else {
            printf(" (unnamed: taken by position)");
        }
        printf("\n");
        print_dims(cJSON_GetObjectItem(i, "dims"));
        if (cJSON_IsArray(classes)) {
            printf("classes    %d: ", cJSON_GetArraySize(classes));
            print_list(classes, 0);
            printf("\n");
            printf("thresholds ");
            print_list(cJSON_GetObjectItem(i, "thresholds"), 0);
            printf("\n");
        }
        const cJSON *details = cJSON_GetObjectItem(i, "details");
        if (cJSON_IsObject(details)) print_details(details, "");
        printf("sha256     %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(i, "sha256")));
        printf("engine     %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(i, "engine")));
        if (cJSON_IsArray(members)) print_member_blocks(members);
        cJSON_Delete(i);
    }
    lp_model_destroy(model);
    return EXIT_OK;
}

/* ---- predict ---- */
static int write_all(FILE *out, const uint8_t *p, size_t n, const char *name)
{
    if (n && fwrite(p, 1, n, out) != n) return fail(EXIT_IO, "%s: write error: %s", name, strerror(errno));
    return EXIT_OK;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --jobs: a regular file this big or bigger is predicted on several threads (below
 * it, starting threads costs more than it saves); slices are about SLICE_BYTES. */
enum { PARALLEL_MIN_BYTES = 8 << 20, SLICE_BYTES = 1 << 20 };

static int parallel_jobs(const options *o, FILE *in)
{
    if (o->check) return 1;
    struct stat st;
    if (fstat(fileno(in), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < PARALLEL_MIN_BYTES) return 1;
    /* UTF-16 is read by one job: a cut could split a code unit. */
    uint8_t mark[2];
    if (o->encoding && (lp_encoding_from_name(o->encoding) == LP_ENC_UTF16LE ||
                        lp_encoding_from_name(o->encoding) == LP_ENC_UTF16BE))
        return 1;
    if (!o->encoding && pread(fileno(in), mark, 2, 0) == 2 &&
        ((mark[0] == 0xFF && mark[1] == 0xFE) || (mark[0] == 0xFE && mark[1] == 0xFF)))
        return 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return o->jobs ? o->jobs : cores > 1 ? (int)(cores < 1024 ? cores : 1024) : 1;
}

/* --on-error skip: how many rows were skipped and where the first ones are
 * (the same words as wasm/cli.mjs).  The words fit both kinds of skipped row:
 * one that could not be read and one the model could not score (an unknown
 * category, a computed index out of range); the Error column tells which. */
static void report_skipped(const options *o, const char *in_name, unsigned long long skipped,
                           const unsigned long long *lines, size_t n_lines)
{
    if (o->quiet || !skipped) return;
    fprintf(stderr, "localpredict: %s: %llu row%s %s left without predictions (the Error column says why): line%s ",
            in_name, skipped, skipped == 1 ? "" : "s", skipped == 1 ? "was" : "were", skipped == 1 ? "" : "s");
    for (size_t i = 0; i < n_lines; i++) fprintf(stderr, "%s%llu", i ? ", " : "", lines[i]);
    fprintf(stderr, "%s\n", skipped > n_lines ? ", ..." : "");
}

static int stream_parallel(const options *o, const lp_model *model, const lp_job_options *jo, int jobs,
                           FILE *in, FILE *out, const char *in_name, const char *out_name)
{
    lp_error err;
    lp_error_clear(&err);
    unsigned long long rows = 0;
    int sys = 0;
    double start = now_seconds();
    lp_par_skipped skipped = {0};
    lp_par_status st = lp_cli_predict_parallel(model, jo, jobs, SLICE_BYTES, in, out, &interrupted, &rows,
                                               &err, &sys, &skipped);
    switch (st) {
    case LP_PAR_OK: break;
    case LP_PAR_ENGINE: return fail_engine(&err, in_name);
    case LP_PAR_READ: return fail(EXIT_IO, "%s: read error: %s", in_name, strerror(sys));
    case LP_PAR_WRITE: return fail(EXIT_IO, "%s: write error: %s", out_name, strerror(sys));
    case LP_PAR_NOMEM: return fail(EXIT_LIMIT, "out of memory");
    case LP_PAR_CANCELLED: return fail(EXIT_CANCELLED, "cancelled");
    case LP_PAR_THREADS: return -1;
    }
    report_skipped(o, in_name, skipped.count, skipped.lines, skipped.n_lines);
    if (!o->quiet && isatty(2))
        fprintf(stderr, "localpredict: %llu rows predicted in %.2f s on %d threads\n", rows, now_seconds() - start,
                jobs);
    return EXIT_OK;
}

static int stream_csv(const options *o, lp_model *model, FILE *in, FILE *out, const char *in_name,
                      const char *out_name)
{
    lp_job_options jo = lp_job_options_default();
    jo.include_input = o->include_input;
    jo.check_only = o->check;
    jo.max_field_bytes = (size_t)o->limit[LIM_FIELD_BYTES];
    jo.max_columns = (size_t)o->limit[LIM_COLUMNS];
    jo.delimiter = o->delimiter ? delimiter_byte(o->delimiter) : 0;
    jo.encoding = o->encoding ? (lp_encoding)lp_encoding_from_name(o->encoding) : LP_ENC_AUTO;
    jo.decimal_comma = o->decimal_comma;
    jo.no_header = o->no_header;
    jo.excel = o->excel;
    jo.on_error = o->on_error && strcmp(o->on_error, "skip") == 0 ? LP_ON_ERROR_SKIP : LP_ON_ERROR_FAIL;
    char *columns = NULL;
    if (o->columns) {
        columns = strdup(o->columns);
        if (!columns) return fail(EXIT_LIMIT, "out of memory");
        for (char *p = columns; *p; p++)
            if (*p == ',') *p = '\0';
        jo.columns = columns;
        jo.columns_len = strlen(o->columns);
    }
    char *keep = NULL;
    if (o->keep) {
        keep = strdup(o->keep);
        if (!keep) {
            free(columns);
            return fail(EXIT_LIMIT, "out of memory");
        }
        for (char *p = keep; *p; p++)
            if (*p == ',') *p = '\0';
        jo.keep = keep;
        jo.keep_len = strlen(o->keep);
    }
    int jobs = parallel_jobs(o, in);
    if (jobs > 1) {
        int rc = stream_parallel(o, model, &jo, jobs, in, out, in_name, out_name);
        if (rc >= 0) {
            free(keep);
            free(columns);
            return rc;
        }
        /* No thread could start: one job on this thread. */
    }
    lp_error err;
    lp_job *job = NULL;
    if (lp_job_create(model, &jo, &job, &err) != LP_OK) {
        free(keep);
        free(columns);
        return fail_engine(&err, in_name);
    }
    enum { CHUNK = 1 << 20 };
    uint8_t *buf = malloc(CHUNK);
    int rc = buf ? EXIT_OK : fail(EXIT_LIMIT, "out of memory");
    int progress = !o->quiet && isatty(2);
    double start = now_seconds(), last = start;
    uint64_t bytes = 0;
    while (!rc) {
        size_t n = fread(buf, 1, CHUNK, in);
        if (interrupted) {
            rc = fail(EXIT_CANCELLED, "cancelled");
            break;
        }
        if (n == 0) {
            if (ferror(in)) rc = fail(EXIT_IO, "%s: read error: %s", in_name, strerror(errno));
            break;
        }
        bytes += n;
        if (lp_job_push(job, buf, n, &err) != LP_OK) rc = fail_engine(&err, in_name);
        else if (!o->check) rc = write_all(out, lp_job_output(job), lp_job_output_len(job), out_name);
        lp_job_output_clear(job);
        if (progress && now_seconds() - last > 0.2) {
            last = now_seconds();
            fprintf(stderr, "\r%llu rows, %.1f MB read, %.1f MB/s   ", (unsigned long long)lp_job_rows(job),
                    bytes / 1e6, bytes / 1e6 / (last - start));
        }
    }
    if (!rc) {
        if (lp_job_finish(job, &err) != LP_OK) rc = fail_engine(&err, in_name);
        else if (!o->check) rc = write_all(out, lp_job_output(job), lp_job_output_len(job), out_name);
    }
    if (progress) fprintf(stderr, "\r%*s\r", 60, "");
    if (!rc && o->check && !o->quiet)
        fprintf(stderr, "localpredict: %s: the header has every column the model needs\n", in_name);
    else if (!rc && progress)
        fprintf(stderr, "localpredict: %llu rows predicted in %.2f s\n", (unsigned long long)lp_job_rows(job),
                now_seconds() - start);
    if (!rc && o->check) fputs(lp_job_check_text(job), stdout);
    if (!rc && !o->check) {
        unsigned long long lines[LP_SKIPPED_LINES_KEPT];
        size_t n_lines = 0;
        while (n_lines < LP_SKIPPED_LINES_KEPT && lp_job_skipped_line(job, n_lines))
            lines[n_lines] = lp_job_skipped_line(job, n_lines), n_lines++;
        report_skipped(o, in_name, (unsigned long long)lp_job_skipped(job), lines, n_lines);
    }
    lp_job_destroy(job);
    free(buf);
    free(keep);
    free(columns);
    return rc;
}

static int run_predict(const options *o)
{
    lp_model *model = NULL;
    int rc = load_model(o, &model);
    if (rc) return rc;
    const char *in_name = strcmp(o->input, "-") == 0 ? "<stdin>" : o->input;
    FILE *in = strcmp(o->input, "-") == 0 ? stdin : fopen(o->input, "rb");
    if (!in) {
        lp_model_destroy(model);
        return fail(EXIT_IO, "%s: cannot open: %s", o->input, strerror(errno));
    }
    FILE *out = stdout;
    const char *out_name = "<stdout>";
    int to_file = o->output && strcmp(o->output, "-") != 0 && !o->check;
    if (to_file) {
        out_name = o->output;
        size_t n = strlen(o->output) + 32;
        temp_path = malloc(n);
        if (temp_path) snprintf(temp_path, n, "%s.tmp-%ld", o->output, (long)getpid());
        out = temp_path ? fopen(temp_path, "wb") : NULL;
        if (!out) {
            rc = fail(EXIT_IO, "%s: cannot write: %s", o->output, strerror(errno));
            free(temp_path);
            temp_path = NULL;
        }
    }
    if (!rc) rc = stream_csv(o, model, in, out, in_name, out_name);
    if (in != stdin) fclose(in);
    if (to_file && out) {
        if (fclose(out) != 0 && !rc) rc = fail(EXIT_IO, "%s: write error: %s", o->output, strerror(errno));
        if (!rc && rename(temp_path, o->output) != 0)
            rc = fail(EXIT_IO, "%s: cannot write: %s", o->output, strerror(errno));
        if (rc) remove(temp_path);
        free(temp_path);
        temp_path = NULL;
    } else if (fflush(stdout) != 0 && !rc) {
        rc = fail(EXIT_IO, "<stdout>: write error: %s", strerror(errno));
    }
    lp_model_destroy(model);
    return rc;
}

/* ---- arguments ---- */
/* The option that takes the value, or NULL when `a` takes none. */
static const char **value_slot(options *o, const char *a)
{
    static const char *jobs_text;
    if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) return &o->output;
    if (strcmp(a, "--manifest") == 0) return &o->manifest;
    if (strcmp(a, "--task") == 0) return &o->task;
    if (strcmp(a, "--classes") == 0) return &o->classes;
    if (strcmp(a, "--threshold") == 0) return &o->threshold;
    if (strcmp(a, "--keep") == 0) return &o->keep;
    if (strcmp(a, "--jobs") == 0) return &jobs_text;
    for (int k = 0; k < LIM_COUNT; k++)
        if (strcmp(a, limit_flags[k].flag) == 0) return &o->limit_text[k];
    if (strcmp(a, "--delimiter") == 0) return &o->delimiter;
    if (strcmp(a, "--encoding") == 0) return &o->encoding;
    if (strcmp(a, "--columns") == 0) return &o->columns;
    if (strcmp(a, "--on-error") == 0) return &o->on_error;
    return NULL;
}

static int *flag_slot(options *o, const char *a)
{
    if (strcmp(a, "--include-input") == 0) return &o->include_input;
    if (strcmp(a, "--check") == 0) return &o->check;
    if (strcmp(a, "--quiet") == 0) return &o->quiet;
    if (strcmp(a, "--json") == 0) return &o->json;
    if (strcmp(a, "--decimal-comma") == 0) return &o->decimal_comma;
    if (strcmp(a, "--no-header") == 0) return &o->no_header;
    if (strcmp(a, "--excel") == 0) return &o->excel;
    return NULL;
}

/* --delimiter's value as a byte: one ASCII character, or "tab" / "\t". */
static int delimiter_byte(const char *v)
{
    if (strcmp(v, "tab") == 0 || strcmp(v, "TAB") == 0 || strcmp(v, "\\t") == 0) return '\t';
    if (strlen(v) != 1 || (unsigned char)v[0] > 127 || v[0] == '"' || v[0] == '\n' || v[0] == '\r') return -1;
    return v[0];
}

/* The dialect flags (issue 9), checked before anything is read; the same
 * messages as wasm/cli.mjs. */
static int check_dialect_args(const options *o)
{
    if (o->delimiter && delimiter_byte(o->delimiter) < 0)
        return fail(EXIT_USAGE, "--delimiter must be one character such as , ; | or tab, not \"%s\"", o->delimiter);
    if (o->encoding && lp_encoding_from_name(o->encoding) < 0)
        return fail(EXIT_USAGE, "--encoding must be utf-8, windows-1252, latin1, utf-16le or utf-16be, not \"%s\"",
                    o->encoding);
    if (o->on_error && strcmp(o->on_error, "fail") != 0 && strcmp(o->on_error, "skip") != 0)
        return fail(EXIT_USAGE, "--on-error must be fail or skip, not \"%s\"", o->on_error);
    if (o->columns && !o->no_header)
        return fail(EXIT_USAGE, "--columns names the columns of a file without a header: add --no-header");
    if (o->decimal_comma && o->delimiter && delimiter_byte(o->delimiter) == ',')
        return fail(EXIT_USAGE, "--decimal-comma needs a delimiter other than , (a comma cannot both separate the "
                    "fields and be the decimal point)");
    return EXIT_OK;
}

static int parse_args(int argc, char **argv, options *o)
{
    const char *positional[3] = {0};
    int n_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **value = value_slot(o, a);
        int *flag = flag_slot(o, a);
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            exit(EXIT_OK);
        } else if (strcmp(a, "--version") == 0) {
            printf("localpredict %s\n", lp_version());
            exit(EXIT_OK);
        } else if (value) {
            if (i + 1 == argc) return fail(EXIT_USAGE, "%s needs a value (see localpredict --help)", a);
            *value = argv[++i];
            if (strcmp(a, "--jobs") == 0) {
                char *end = NULL;
                long j = strtol(*value, &end, 10);
                if (*end || j < 1 || j > 1024)
                    return fail(EXIT_USAGE, "--jobs must be a whole number from 1 to 1024");
                o->jobs = (int)j;
            }
        } else if (flag) {
            *flag = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return fail(EXIT_USAGE, "unknown option %s (see localpredict --help)", a);
        } else if (n_pos < 3) {
            positional[n_pos++] = a;
        } else {
            return fail(EXIT_USAGE, "too many arguments (see localpredict --help)");
        }
    }
    if (n_pos == 0) return fail(EXIT_USAGE, "no command (see localpredict --help)");
    o->command = positional[0];
    if (strcmp(o->command, "predict") == 0) {
        if (n_pos != 3) return fail(EXIT_USAGE, "usage: localpredict predict MODEL INPUT [-o OUT]");
        o->model = positional[1];
        o->input = positional[2];
    } else if (strcmp(o->command, "info") == 0) {
        if (n_pos != 2) return fail(EXIT_USAGE, "usage: localpredict info MODEL [--json]");
        o->model = positional[1];
    } else {
        return fail(EXIT_USAGE, "unknown command \"%s\" (commands: predict, info)", o->command);
    }
    if (o->include_input && o->keep) return fail(EXIT_USAGE, "--include-input and --keep cannot be combined");
    for (int k = 0; k < LIM_COUNT; k++) {
        const char *t = o->limit_text[k];
        if (!t) continue;
        unsigned long long v = 0;
        int digits = 0;
        for (; t[digits] >= '0' && t[digits] <= '9' && v <= limit_flags[k].max; digits++)
            v = v * 10 + (unsigned)(t[digits] - '0');
        if (digits == 0 || t[digits] || v < 1 || v > limit_flags[k].max)
            return fail(EXIT_USAGE, "%s must be a whole number from 1 to %llu, got \"%s\"", limit_flags[k].flag,
                        limit_flags[k].max, t);
        o->limit[k] = v;
    }
    return check_dialect_args(o);
}

int main(int argc, char **argv)
{
    options o;
    memset(&o, 0, sizeof o);
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    return strcmp(o.command, "info") == 0 ? run_info(&o) : run_predict(&o);
}
