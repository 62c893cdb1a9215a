/* xgboost_json_fast.c — see xgboost_json_fast.h.
 *
 * The walk: objects on the way to the trees (the document, learner,
 * gradient_booster, its gbtree for dart, model) are read member by member
 * here; "trees" is read here tree by tree; any other member's value is handed
 * to cJSON (lp__json_parse_value) and added to the object as cJSON would have
 * added it.  Whatever this file cannot vouch for ends the try (FAIL) and the
 * loader falls back to cJSON, so the rules below only ever need to be at
 * least as strict as cJSON, never as forgiving.
 */
#include "xgboost_json_fast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/arena.h"
#include "../io/json.h"
#include "../io/number.h"

/* cJSON's nesting limit (-DCJSON_NESTING_LIMIT): a document it refuses as too
 * deep must not get through here. */
#ifndef CJSON_NESTING_LIMIT
#define CJSON_NESTING_LIMIT 1000
#endif

typedef struct walker {
    const uint8_t *p, *end;
    lp__xgb_fast  *out;
} walker;

/* The objects the walk descends through. */
typedef enum { OBJ_ROOT, OBJ_LEARNER, OBJ_BOOSTER, OBJ_GBTREE, OBJ_MODEL, OBJ_OTHER } obj_kind;

static const char *const col_names[LP__XGB_N_COLS] = {
    "left_children", "right_children", "split_indices", "split_conditions", "default_left", "split_type",
};
/* Per-node arrays the engine does not read: checked, not kept. */
static const char *const skipped_arrays[] = {"base_weights", "loss_changes", "parents", "sum_hessian"};

/* cJSON's whitespace: every byte up to the space. */
static void skip_ws(walker *w)
{
    while (w->p < w->end && *w->p <= 32) w->p++;
}

static int key_is(const uint8_t *key, size_t n, const char *name)
{
    return strlen(name) == n && memcmp(key, name, n) == 0;
}

/* A key without escapes: [*key, *key + *n) holds its bytes, as cJSON copies
 * them.  A backslash ends the try (escapes are cJSON's business). */
static int read_key(walker *w, const uint8_t **key, size_t *n)
{
    if (w->p >= w->end || *w->p != '"') return 1;
    const uint8_t *start = ++w->p;
    while (w->p < w->end && *w->p != '"') {
        if (*w->p == '\\') return 1;
        w->p++;
    }
    if (w->p >= w->end) return 1;
    *key = start;
    *n = (size_t)(w->p - start);
    w->p++;
    skip_ws(w);
    if (w->p >= w->end || *w->p != ':') return 1;
    w->p++;
    skip_ws(w);
    return 0;
}

/* Containers nested in v, v included. */
static int depth_of(const cJSON *v)
{
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v)) return 0;
    int deepest = 0;
    for (const cJSON *c = v->child; c; c = c->next) {
        int d = depth_of(c);
        if (d > deepest) deepest = d;
    }
    return deepest + 1;
}

/* Any value, by cJSON, inside `level` containers. */
static cJSON *generic_value(walker *w, int level)
{
    if (w->p >= w->end || *w->p == 0xEF) return NULL;   /* cJSON would skip a BOM here */
    const uint8_t *after = NULL;
    cJSON *v = lp__json_parse_value(w->p, (size_t)(w->end - w->p), &after, &w->out->nomem);
    if (!v) return NULL;
    if (level + depth_of(v) > CJSON_NESTING_LIMIT) return NULL;   /* in the arena: nothing to free */
    w->p = after;
    return v;
}

/* Adds v under the key's bytes (copied into the cJSON allocator). */
static int add_member(cJSON *obj, const uint8_t *key, size_t n, cJSON *v)
{
    char *name = lp__cjson_malloc(n + 1);
    if (!name) return 1;   /* the caller notes it: add_member fails only for memory */
    memcpy(name, key, n);
    name[n] = '\0';
    return !cJSON_AddItemToObjectCS(obj, name, v);
}

/* ---- numbers of the node arrays ---- */

/* JSON's number grammar, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, on
 * [s, s + n): what cJSON's strtod reads whole, whatever the next byte. */
static int is_json_number(const uint8_t *s, size_t n, int *integer)
{
    size_t i = 0;
    if (i < n && s[i] == '-') i++;
    if (i >= n) return 0;
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    } else {
        return 0;
    }
    *integer = i == n;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !(s[i] >= '0' && s[i] <= '9')) return 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || !(s[i] >= '0' && s[i] <= '9')) return 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    }
    return i == n;
}

static int starts_with(const walker *w, const char *tok)
{
    size_t n = strlen(tok);
    return (size_t)(w->end - w->p) >= n && memcmp(w->p, tok, n) == 0;
}

static double strtod_text(const char *text)
{
    return lp__strtod(text, NULL);
}

/* One member of a node array as read_tree's item_number reads cJSON's value
 * for it: a number, true 1, false 0, null NaN; XGBoost's bare NaN (cJSON's
 * path reads it as null) and ±Infinity (read as ±1e999).  v NULL: an array
 * that is checked, never read (half of W1's numbers): its numbers are not
 * converted, since whether cJSON takes one does not depend on its value. */
static int read_scalar(walker *w, double *v)
{
    static const struct { const char *token, *as; } words[] = {
        {"true", NULL}, {"false", NULL}, {"null", NULL}, {"NaN", NULL}, {"-NaN", NULL},
        {"Infinity", "1e999"}, {"-Infinity", "-1e999"},
    };
    if (w->p >= w->end) return 1;
    const uint8_t *s = w->p;
    int digit_next = s + 1 < w->end && s[1] >= '0' && s[1] <= '9';
    if (!((*s >= '0' && *s <= '9') || (*s == '-' && digit_next)))   /* not a number: a word */
        for (size_t k = 0; k < sizeof words / sizeof *words; k++)
            if (starts_with(w, words[k].token)) {
                w->p += strlen(words[k].token);
                if (!v) return 0;
                *v = k == 0 ? 1.0 : k == 1 ? 0.0 : words[k].as ? strtod_text(words[k].as) : NAN;
                return 0;
            }
    /* A number: the bytes cJSON's parse_number would take. */
    while (w->p < w->end && ((*w->p >= '0' && *w->p <= '9') || *w->p == '-' || *w->p == '+' ||
                             *w->p == '.' || *w->p == 'e' || *w->p == 'E'))
        w->p++;
    size_t n = (size_t)(w->p - s);
    int integer = 0;
    if (!is_json_number(s, n, &integer)) return 1;
    char text[64];
    if (n >= sizeof text) return 1;
    if (!v) return 0;
    if (integer && n <= 16) {   /* below 2^53: exact, as strtod gives it */
        int neg = s[0] == '-';
        uint64_t u = 0;
        for (size_t i = (size_t)neg; i < n; i++) u = u * 10 + (uint64_t)(s[i] - '0');
        *v = neg ? -(double)u : (double)u;
        return 0;
    }
    /* JSON's grammar (checked above) is within the decimal one: no copy, no second
     * scan, the same double lp__strtod's own fast path gives. */
    if (lp__decimal_fast((const char *)s, n, v)) return 0;
    memcpy(text, s, n);
    text[n] = '\0';
    char *end = NULL;
    *v = lp__strtod(text, &end);
    return end != text + n;
}

static int push_value(lp__xgb_fast *f, int c, double v)
{
    if (f->used[c] == f->values_cap[c]) {
        size_t cap = f->values_cap[c] ? f->values_cap[c] * 2 : 4096;
        double *grown = realloc(f->values[c], cap * sizeof *grown);
        if (!grown) return f->nomem = 1;
        f->values[c] = grown;
        f->values_cap[c] = cap;
    }
    f->values[c][f->used[c]++] = v;
    return 0;
}

/* '[' scalar (',' scalar)* ']', kept in column c (c < 0: checked only).
 * Returns the count in *n. */
static int read_array(walker *w, int c, size_t *n)
{
    *n = 0;
    if (w->p >= w->end || *w->p != '[') return 1;
    w->p++;
    skip_ws(w);
    if (w->p < w->end && *w->p == ']') {
        w->p++;
        return 0;
    }
    for (;;) {
        double v;
        if (read_scalar(w, c >= 0 ? &v : NULL)) return 1;
        if (c >= 0 && push_value(w->out, c, v)) return 1;
        (*n)++;
        skip_ws(w);
        if (w->p >= w->end) return 1;
        if (*w->p == ']') {
            w->p++;
            return 0;
        }
        if (*w->p != ',') return 1;
        w->p++;
        skip_ws(w);
    }
}

/* ---- trees ---- */

/* One tree object (inside `level` containers, itself included). */
static int read_tree_object(walker *w, int level, cJSON **out)
{
    lp__xgb_fast *f = w->out;
    if (f->n_trees == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        lp__xgb_tree_cols *grown = realloc(f->trees, cap * sizeof *grown);
        if (!grown) return f->nomem = 1;
        f->trees = grown;
        f->cap = cap;
    }
    lp__xgb_tree_cols *t = &f->trees[f->n_trees];
    size_t offset[LP__XGB_N_COLS];
    for (int c = 0; c < LP__XGB_N_COLS; c++) t->n[c] = SIZE_MAX, offset[c] = f->used[c];

    cJSON *obj = cJSON_CreateObject();
    if (!obj) return f->nomem = 1;
    w->p++;   /* '{' */
    skip_ws(w);
    if (w->p < w->end && *w->p == '}') {
        w->p++;
    } else {
        for (;;) {
            const uint8_t *key;
            size_t n;
            if (read_key(w, &key, &n)) return 1;
            int col = -1, skipped = 0;
            for (int c = 0; c < LP__XGB_N_COLS; c++)
                if (key_is(key, n, col_names[c])) col = c;
            for (size_t k = 0; k < sizeof skipped_arrays / sizeof *skipped_arrays; k++)
                if (key_is(key, n, skipped_arrays[k])) skipped = 1;
            if (col >= 0) {
                if (t->n[col] != SIZE_MAX) return 1;   /* cJSON keeps the first: leave it to cJSON */
                if (read_array(w, col, &t->n[col])) return 1;
            } else if (skipped && w->p < w->end && *w->p == '[') {
                size_t ignored;
                if (read_array(w, -1, &ignored)) return 1;
            } else {
                cJSON *v = generic_value(w, level);
                if (!v) return 1;
                if (add_member(obj, key, n, v)) return f->nomem = 1;
            }
            skip_ws(w);
            if (w->p >= w->end) return 1;
            if (*w->p == '}') {
                w->p++;
                break;
            }
            if (*w->p != ',') return 1;
            w->p++;
            skip_ws(w);
        }
    }
    /* Pointers once the buffers stop moving (lp__xgb_fast_parse); offsets until then. */
    for (int c = 0; c < LP__XGB_N_COLS; c++) t->col[c] = (const double *)(uintptr_t)offset[c];
    t->tree = obj;
    f->n_trees++;
    *out = obj;
    return 0;
}

/* "trees": '[' tree (',' tree)* ']', inside `level` containers (itself included). */
static int read_trees(walker *w, int level, cJSON **out)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr) return w->out->nomem = 1;
    w->p++;   /* '[' */
    skip_ws(w);
    if (w->p < w->end && *w->p == ']') {
        w->p++;
        *out = arr;
        return 0;
    }
    for (;;) {
        cJSON *tree = NULL;
        if (w->p >= w->end || *w->p != '{' || read_tree_object(w, level + 1, &tree)) return 1;
        cJSON_AddItemToArray(arr, tree);
        skip_ws(w);
        if (w->p >= w->end) return 1;
        if (*w->p == ']') {
            w->p++;
            *out = arr;
            return 0;
        }
        if (*w->p != ',') return 1;
        w->p++;
        skip_ws(w);
    }
}

/* The object kind a member leads to, for the objects on the way to the trees. */
static obj_kind child_kind(obj_kind parent, const uint8_t *key, size_t n)
{
    switch (parent) {
    case OBJ_ROOT: return key_is(key, n, "learner") ? OBJ_LEARNER : OBJ_OTHER;
    case OBJ_LEARNER: return key_is(key, n, "gradient_booster") ? OBJ_BOOSTER : OBJ_OTHER;
    case OBJ_BOOSTER:
        return key_is(key, n, "model") ? OBJ_MODEL : key_is(key, n, "gbtree") ? OBJ_GBTREE : OBJ_OTHER;
    case OBJ_GBTREE: return key_is(key, n, "model") ? OBJ_MODEL : OBJ_OTHER;
    default: return OBJ_OTHER;
    }
}

/* An object on the way to the trees, inside `level` containers (itself included). */
static int read_object(walker *w, obj_kind kind, int level, cJSON **out)
{
    if (level > CJSON_NESTING_LIMIT) return 1;
    cJSON *obj = cJSON_CreateObject();
    if (!obj) return w->out->nomem = 1;
    w->p++;   /* '{' */
    skip_ws(w);
    if (w->p < w->end && *w->p == '}') {
        w->p++;
        *out = obj;
        return 0;
    }
    for (;;) {
        const uint8_t *key;
        size_t n;
        if (read_key(w, &key, &n)) return 1;
        obj_kind child = child_kind(kind, key, n);
        cJSON *v = NULL;
        if (child != OBJ_OTHER && w->p < w->end && *w->p == '{') {
            if (read_object(w, child, level + 1, &v)) return 1;
        } else if (kind == OBJ_MODEL && key_is(key, n, "trees") && w->p < w->end && *w->p == '[') {
            if (read_trees(w, level + 1, &v)) return 1;
        } else {
            v = generic_value(w, level);
            if (!v) return 1;
        }
        if (add_member(obj, key, n, v)) return w->out->nomem = 1;
        skip_ws(w);
        if (w->p >= w->end) return 1;
        if (*w->p == '}') {
            w->p++;
            *out = obj;
            return 0;
        }
        if (*w->p != ',') return 1;
        w->p++;
        skip_ws(w);
    }
}

int lp__xgb_fast_parse(const uint8_t *bytes, size_t len, cJSON **root, lp__xgb_fast *fast)
{
    memset(fast, 0, sizeof *fast);
    *root = NULL;
    walker w = {bytes, bytes + len, fast};
    skip_ws(&w);
    if (w.p >= w.end || *w.p != '{' || read_object(&w, OBJ_ROOT, 1, root)) return fast->nomem ? 2 : 1;
    /* What lp__json_parse_strict lets follow the document. */
    while (w.p < w.end && (*w.p == ' ' || *w.p == '\n' || *w.p == '\r' || *w.p == '\t' || *w.p == '\0')) w.p++;
    if (w.p != w.end) return 1;
    for (size_t t = 0; t < fast->n_trees; t++)
        for (int c = 0; c < LP__XGB_N_COLS; c++)
            fast->trees[t].col[c] = fast->values[c] ? fast->values[c] + (uintptr_t)fast->trees[t].col[c] : NULL;
    return 0;
}

const lp__xgb_tree_cols *lp__xgb_fast_find(const lp__xgb_fast *fast, const cJSON *tree, size_t *cursor)
{
    for (size_t k = 0; k < fast->n_trees; k++) {
        size_t i = (*cursor + k) % fast->n_trees;
        if (fast->trees[i].tree == tree) {
            *cursor = i + 1;
            return &fast->trees[i];
        }
    }
    return NULL;
}

void lp__xgb_fast_free(lp__xgb_fast *fast)
{
    free(fast->trees);
    for (int c = 0; c < LP__XGB_N_COLS; c++) free(fast->values[c]);
    memset(fast, 0, sizeof *fast);
}
