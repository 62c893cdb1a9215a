/* lightgbm_txt.c — LightGBM text model (Booster.save_model) → lp_model.
 *
 * The file: `tree` and header `key=value` lines (version, num_class,
 * num_tree_per_iteration, max_feature_idx, objective, feature_names,
 * feature_infos, average_output), then `Tree=i` blocks of `key=value` lines,
 * `end of trees`, importances, parameters and `pandas_categorical:<JSON>`.
 * Facts and sources: ../shared/FORMAT-NOTES.md §3b; LightGBM's
 * include/LightGBM/tree.h decides.  How its rules become the engine's nodes:
 * - a tree of L leaves has L-1 internal nodes (0..L-2) and L leaves; a child
 *   c >= 0 is internal node c, c < 0 is leaf ~c.  Ours: internal nodes
 *   first, then the leaves, so the root is the tree's first node either way;
 * - numerical split `x <= t` in double: the threshold becomes t's rank among
 *   the feature's thresholds and the input value its rank (feature_prep.h
 *   proves the equivalence); missing type None reads NaN as 0.0, so its
 *   default direction is where 0.0 goes; NaN and Zero use default_left, and
 *   Zero's range |x| <= 1e-35f is made NaN by the preparation;
 * - categorical split: LightGBM sends the bitset's categories LEFT and NaN,
 *   negatives and unlisted categories right; the kernels send a set's
 *   categories RIGHT and the rest (and NaN with default_left) left, so the
 *   bitset is kept and the children are swapped;
 * - leaves are summed per class (tree t adds to class t mod
 *   num_tree_per_iteration); the init score is already in the first trees;
 *   `sigmoid:k` scales the leaves by k and average_output divides them by the
 *   number of iterations, both in double before the one rounding to float32.
 */
#include "lightgbm_txt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../io/json.h"
#include "cJSON.h"
#include "forest_check.h"

#define BAD LP_ERR_BAD_MODEL

/* ---- lines ---- */
typedef struct cursor {
    char  *p, *end;     /* the NUL-terminated copy of the file */
    size_t line;        /* of the line last returned, 1-based */
} cursor;

/* The next line, NUL-terminated in place, without its \r\n; NULL at the end. */
static char *next_line(cursor *c)
{
    if (c->p >= c->end) return NULL;
    char *s = c->p, *nl = memchr(s, '\n', (size_t)(c->end - s));
    char *e = nl ? nl : c->end;
    c->p = nl ? nl + 1 : c->end;
    if (e > s && e[-1] == '\r') e--;
    *e = '\0';
    c->line++;
    return s;
}

/* "key=value": the value when the line's key is `key`, else NULL. */
static char *value_of(char *line, const char *key)
{
    size_t n = strlen(key);
    return strncmp(line, key, n) == 0 && line[n] == '=' ? line + n + 1 : NULL;
}

/* A BAD_MODEL error "tree t[, node n]: <message>" naming the model field. */
static lp_status tree_fail(lp_error *err, size_t t, long node, const char *field, const char *fmt, ...)
    LP__PRINTF(5, 6);
static lp_status tree_fail(lp_error *err, size_t t, long node, const char *field, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (node >= 0) lp__fail(err, BAD, "tree %zu, node %ld: %s", t, node, msg);
    else lp__fail(err, BAD, "tree %zu: %s", t, msg);
    if (err) {
        err->tree = (int64_t)t;
        err->node = node;
        lp__err_set_name(err->field, field, strlen(field));
    }
    return BAD;
}

/* Exactly `want` space-separated numbers. */
static lp_status parse_numbers(const char *s, size_t want, double *out, size_t t, const char *key, lp_error *err)
{
    size_t n = 0;
    if (!s) return tree_fail(err, t, -1, key, "%s is missing", key);
    for (;;) {
        while (*s == ' ') s++;
        if (*s == '\0') break;
        char *end = NULL;
        double v = strtod(s, &end);
        if (end == s || (*end != ' ' && *end != '\0'))
            return tree_fail(err, t, -1, key, "%s holds something that is not a number (value %zu)", key, n);
        if (n < want) out[n] = v;
        n++;
        s = end;
    }
    if (n != want) return tree_fail(err, t, -1, key, "%s has %zu values, expected %zu", key, n, want);
    return LP_OK;
}

/* The same, each an integer in [lo, hi]. */
static lp_status parse_ints(const char *s, size_t want, long long *out, long long lo, long long hi, size_t t,
                            const char *key, lp_error *err)
{
    double *tmp = malloc((want ? want : 1) * sizeof *tmp);
    if (!tmp) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    lp_status st = parse_numbers(s, want, tmp, t, key, err);
    for (size_t i = 0; st == LP_OK && i < want; i++) {
        if (!(tmp[i] >= (double)lo && tmp[i] <= (double)hi) || tmp[i] != floor(tmp[i]))
            st = tree_fail(err, t, -1, key, "%s[%zu] is out of range (%g)", key, i, tmp[i]);
        else out[i] = (long long)tmp[i];
    }
    free(tmp);
    return st;
}

/* ---- objectives ---- */
typedef struct objective_info {
    const char *name;
    lp__link    link;
    lp_task     task;
} objective_info;

static const objective_info objectives[] = {
    {"binary", LP__LINK_SIGMOID, LP_TASK_BINARY},
    {"cross_entropy", LP__LINK_SIGMOID, LP_TASK_BINARY},
    {"xentropy", LP__LINK_SIGMOID, LP_TASK_BINARY},
    {"multiclass", LP__LINK_SOFTMAX, LP_TASK_MULTICLASS},
    {"softmax", LP__LINK_SOFTMAX, LP_TASK_MULTICLASS},
    /* one-vs-all: an independent sigmoid per class, the most probable suggested */
    {"multiclassova", LP__LINK_SIGMOID, LP_TASK_MULTICLASS},
    {"multiclass_ova", LP__LINK_SIGMOID, LP_TASK_MULTICLASS},
    {"ova", LP__LINK_SIGMOID, LP_TASK_MULTICLASS},
    {"ovr", LP__LINK_SIGMOID, LP_TASK_MULTICLASS},
    {"regression", LP__LINK_IDENTITY, LP_TASK_REGRESSION},
    {"regression_l1", LP__LINK_IDENTITY, LP_TASK_REGRESSION},
    {"huber", LP__LINK_IDENTITY, LP_TASK_REGRESSION},
    {"fair", LP__LINK_IDENTITY, LP_TASK_REGRESSION},
    {"quantile", LP__LINK_IDENTITY, LP_TASK_REGRESSION},
    {"mape", LP__LINK_IDENTITY, LP_TASK_REGRESSION},
    {"poisson", LP__LINK_EXP, LP_TASK_REGRESSION},
    {"gamma", LP__LINK_EXP, LP_TASK_REGRESSION},
    {"tweedie", LP__LINK_EXP, LP_TASK_REGRESSION},
};

/* ---- the header ---- */
typedef struct header {
    const char *version, *objective, *feature_names, *feature_infos, *tree_sizes;
    long num_class, per_iteration, max_feature_idx;
    int  average_output;
} header;

static lp_status read_header(cursor *c, header *h, lp_error *err)
{
    char *line = next_line(c);
    if (!line || strcmp(line, "tree") != 0)
        return lp__fail(err, BAD, "not a LightGBM text model: the first line is not \"tree\"");
    h->num_class = h->per_iteration = h->max_feature_idx = -1;
    /* Up to the first tree; the cursor is left on the blank line before it. */
    while (c->p < c->end && strncmp(c->p, "Tree=", 5) != 0 && strncmp(c->p, "end of trees", 12) != 0) {
        line = next_line(c);
        char *v;
        if ((v = value_of(line, "version"))) h->version = v;
        else if ((v = value_of(line, "objective"))) h->objective = v;
        else if ((v = value_of(line, "feature_names"))) h->feature_names = v;
        else if ((v = value_of(line, "feature_infos"))) h->feature_infos = v;
        else if ((v = value_of(line, "tree_sizes"))) h->tree_sizes = v;
        else if ((v = value_of(line, "num_class"))) h->num_class = strtol(v, NULL, 10);
        else if ((v = value_of(line, "num_tree_per_iteration"))) h->per_iteration = strtol(v, NULL, 10);
        else if ((v = value_of(line, "max_feature_idx"))) h->max_feature_idx = strtol(v, NULL, 10);
        else if (strcmp(line, "average_output") == 0) h->average_output = 1;
    }
    if (h->max_feature_idx < 0 || h->max_feature_idx >= (long)LP__NODE_FEATURE_MASK)
        return lp__fail(err, BAD, "max_feature_idx is missing or out of range");
    if (h->num_class < 1 || h->num_class > LP_MAX_CLASSES)
        return lp__fail(err, BAD, "num_class is missing or out of range");
    if (h->per_iteration < 1 || h->per_iteration > LP_MAX_CLASSES)
        return lp__fail(err, BAD, "num_tree_per_iteration is missing or out of range");
    if (!h->objective) return lp__fail(err, BAD, "the objective line is missing");
    return LP_OK;
}

/* ---- one tree, as its text gives it ---- */
typedef struct raw_tree {
    long    n_leaves, n_cat, is_linear;
    char   *split_feature, *threshold, *decision_type, *left_child, *right_child, *leaf_value,
           *cat_boundaries, *cat_threshold;
} raw_tree;

/* Reads the block of tree t (after its "Tree=t" line) up to a blank line. */
static lp_status read_raw_tree(cursor *c, size_t t, raw_tree *r, lp_error *err)
{
    memset(r, 0, sizeof *r);
    r->n_leaves = -1;
    char *line;
    while ((line = next_line(c)) && line[0] != '\0') {
        if (c->p >= c->end) /* a block ends with a blank line; the file must not end inside it */
            return tree_fail(err, t, -1, "Tree", "the file ends inside the tree (is it truncated?)");
        char *v;
        if ((v = value_of(line, "num_leaves"))) r->n_leaves = strtol(v, NULL, 10);
        else if ((v = value_of(line, "num_cat"))) r->n_cat = strtol(v, NULL, 10);
        else if ((v = value_of(line, "is_linear"))) r->is_linear = strtol(v, NULL, 10);
        else if ((v = value_of(line, "split_feature"))) r->split_feature = v;
        else if ((v = value_of(line, "threshold"))) r->threshold = v;
        else if ((v = value_of(line, "decision_type"))) r->decision_type = v;
        else if ((v = value_of(line, "left_child"))) r->left_child = v;
        else if ((v = value_of(line, "right_child"))) r->right_child = v;
        else if ((v = value_of(line, "leaf_value"))) r->leaf_value = v;
        else if ((v = value_of(line, "cat_boundaries"))) r->cat_boundaries = v;
        else if ((v = value_of(line, "cat_threshold"))) r->cat_threshold = v;
    }
    if (r->n_leaves < 1 || r->n_leaves > (long)LP_MAX_NODES / 2)
        return tree_fail(err, t, -1, "num_leaves", "num_leaves is missing or out of range");
    if (r->n_cat < 0 || r->n_cat >= r->n_leaves + (r->n_leaves == 1))
        return tree_fail(err, t, -1, "num_cat", "num_cat is out of range");
    if (r->is_linear)
        return lp__fail(err, LP_ERR_UNSUPPORTED, "tree %zu is a linear tree (linear_tree=true), which is not "
                        "supported: retrain without linear_tree", t);
    return LP_OK;
}

/* Per feature, while reading: how its splits use it. */
typedef struct feature_use {
    uint8_t numeric, categorical, nan_missing, zero_missing, none_missing;
    size_t  n, cap;
    double *thresholds;
} feature_use;

static lp_status use_threshold(feature_use *u, double t, lp_error *err)
{
    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 8;
        double *p = realloc(u->thresholds, cap * sizeof *p);
        if (!p) return lp__fail(err, LP_ERR_NOMEM, "out of memory reading thresholds");
        u->thresholds = p;
        u->cap = cap;
    }
    u->thresholds[u->n++] = t;
    return LP_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct builder {
    lp_model    *m;
    feature_use *use;          /* n_features */
    double      *node_threshold;   /* per node: LightGBM's double threshold */
    uint8_t     *node_missing;     /* per node: LightGBM's missing type (0 None, 1 Zero, 2 NaN) */
    int32_t     *node_origin;      /* per split node: its index in LightGBM's arrays (for messages) */
    uint32_t    *offset, *n_words, *words;
    size_t       n_sets, sets_cap, n_words_total, words_cap;
    double       leaf_scale;
} builder;

static lp_status add_cat_set(builder *b, const uint32_t *bits, size_t n, uint32_t *set, lp_error *err)
{
    if (b->n_sets == b->sets_cap) {
        size_t cap = b->sets_cap ? b->sets_cap * 2 : 16;
        uint32_t *o = realloc(b->offset, cap * sizeof *o);
        if (o) b->offset = o;
        uint32_t *w = realloc(b->n_words, cap * sizeof *w);
        if (w) b->n_words = w;
        if (!o || !w) return lp__fail(err, LP_ERR_NOMEM, "out of memory reading categories");
        b->sets_cap = cap;
    }
    if (b->n_words_total + n > b->words_cap || !b->words) {   /* an empty set still gets a table */
        size_t cap = b->words_cap ? b->words_cap : 64;
        while (cap < b->n_words_total + n) cap *= 2;
        uint32_t *w = realloc(b->words, cap * sizeof *w);
        if (!w) return lp__fail(err, LP_ERR_NOMEM, "out of memory reading categories");
        b->words = w;
        b->words_cap = cap;
    }
    memcpy(b->words + b->n_words_total, bits, n * sizeof *bits);
    b->offset[b->n_sets] = (uint32_t)b->n_words_total;
    b->n_words[b->n_sets] = (uint32_t)n;
    b->n_words_total += n;
    *set = (uint32_t)b->n_sets++;
    return LP_OK;
}

/* Builds tree t's nodes at nodes[base .. *end). */
static lp_status build_tree(builder *b, const raw_tree *r, size_t t, size_t base, size_t *end, lp_error *err)
{
    lp__forest *f = &b->m->forest;
    size_t L = (size_t)r->n_leaves, n_split = L - 1, n_feat = b->m->n_features;
    double *leaf = malloc(L * sizeof *leaf);
    double *thr = malloc((n_split ? n_split : 1) * sizeof *thr);
    long long *feat = malloc((n_split ? n_split : 1) * sizeof *feat);
    long long *dt = malloc((n_split ? n_split : 1) * sizeof *dt);
    long long *lc = malloc((n_split ? n_split : 1) * sizeof *lc);
    long long *rc = malloc((n_split ? n_split : 1) * sizeof *rc);
    long n_cat = r->n_cat;
    long long *bounds = malloc((size_t)(n_cat + 1) * sizeof *bounds);
    long long *cat_words = NULL;
    size_t n_cat_words = 0;
    uint8_t *seen = NULL;   /* per split: placed already */
    struct pending { long long ref; size_t slot; } *stack = NULL;
    lp_status s = leaf && thr && feat && dt && lc && rc && bounds ? LP_OK
                                                                  : lp__fail(err, LP_ERR_NOMEM, "out of memory");
    if (s == LP_OK) s = parse_numbers(r->leaf_value, L, leaf, t, "leaf_value", err);
    if (s == LP_OK && n_split) {
        long long lo = -(long long)L, hi = (long long)n_split - 1;
        if ((s = parse_ints(r->split_feature, n_split, feat, 0, (long long)n_feat - 1, t, "split_feature", err)) ||
            (s = parse_numbers(r->threshold, n_split, thr, t, "threshold", err)) ||
            (s = parse_ints(r->decision_type, n_split, dt, 0, 127, t, "decision_type", err)) ||
            (s = parse_ints(r->left_child, n_split, lc, lo, hi, t, "left_child", err)) ||
            (s = parse_ints(r->right_child, n_split, rc, lo, hi, t, "right_child", err)))
            goto done;
    }
    if (s == LP_OK && n_cat > 0) {
        /* cat_boundaries: n_cat + 1 non-decreasing offsets into cat_threshold. */
        s = parse_ints(r->cat_boundaries, (size_t)n_cat + 1, bounds, 0, 1LL << 19, t, "cat_boundaries", err);
        for (long k = 0; s == LP_OK && k < n_cat; k++)
            if (bounds[k + 1] < bounds[k] || bounds[0] != 0)
                s = tree_fail(err, t, -1, "cat_boundaries",
                              "cat_boundaries must start at 0 and never decrease (entry %ld)", k + 1);
        if (s == LP_OK) {
            n_cat_words = (size_t)bounds[n_cat];
            cat_words = malloc((n_cat_words ? n_cat_words : 1) * sizeof *cat_words);
            if (!cat_words) s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
            else s = parse_ints(r->cat_threshold, n_cat_words, cat_words, 0, 4294967295L, t, "cat_threshold", err);
        }
    }
    if (s != LP_OK) goto done;

    for (size_t j = 0; j < L; j++)
        if (!isfinite(leaf[j])) {
            s = tree_fail(err, t, -1, "leaf_value", "leaf_value[%zu] is not a finite number", j);
            goto done;
        }
    /* Nodes are placed depth-first from the root (LightGBM's node 0, or leaf 0
     * of a one-leaf tree), so the tree comes out as the kernels need it even
     * where LightGBM's arrays are not one: real files have a leaf referenced
     * by two parents and another by none (dmitryikh/leaves'
     * lg_dart_breast_cancer, tree 4), which LightGBM walks without noticing.
     * Such a leaf is copied and the orphan dropped; an internal node reached
     * twice is refused.  The root takes one slot and each split two, so a
     * tree takes at most 2L - 1 slots. */
    seen = calloc(n_split ? n_split : 1, 1);
    stack = malloc((2 * L + 1) * sizeof *stack);
    if (!seen || !stack) {
        s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
        goto done;
    }
    size_t next = base, top = 0;
    stack[top].ref = n_split ? 0 : ~0LL;
    stack[top++].slot = next++;
    while (top) {
        long long ref = stack[--top].ref;
        size_t slot = stack[top].slot;
        lp__node *n = &f->nodes[slot];
        if (ref < 0) {   /* leaf ~ref */
            n->u.leaf = (float)(leaf[~ref] * b->leaf_scale);
            n->feature = 0;
            n->left = n->right = (int32_t)slot;
            continue;
        }
        size_t i = (size_t)ref;
        if (seen[i]) {
            s = tree_fail(err, t, (long)i, "left_child", "is the child of two nodes (or of itself)");
            goto done;
        }
        seen[i] = 1;
        b->node_origin[slot] = (int32_t)i;
        feature_use *u = &b->use[feat[i]];
        int32_t left = (int32_t)next++, right = (int32_t)next++;
        stack[top].ref = lc[i], stack[top++].slot = (size_t)left;
        stack[top].ref = rc[i], stack[top++].slot = (size_t)right;
        int categorical = (int)(dt[i] & 1), default_left = (int)(dt[i] & 2), missing = (int)((dt[i] >> 2) & 3);
        if (missing == 3 || dt[i] > 15) {
            s = tree_fail(err, t, (long)i, "decision_type", "decision_type %lld has an unknown missing type", dt[i]);
            goto done;
        }
        if (categorical) {
            double idx = thr[i];
            if (!(idx >= 0 && idx < (double)n_cat) || idx != floor(idx)) {
                s = tree_fail(err, t, (long)i, "threshold", "threshold %g of a categorical split is not one of "
                              "the tree's %ld category sets", idx, n_cat);
                goto done;
            }
            size_t k = (size_t)idx, nw = (size_t)(bounds[k + 1] - bounds[k]);
            uint32_t *bits = malloc((nw ? nw : 1) * sizeof *bits);
            if (!bits) {
                s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
                goto done;
            }
            for (size_t w = 0; w < nw; w++) bits[w] = (uint32_t)cat_words[bounds[k] + (long long)w];
            s = add_cat_set(b, bits, nw, &n->u.cat_set, err);
            free(bits);
            if (s != LP_OK) goto done;
            /* Swapped: the bitset's categories go LightGBM's left = our right;
             * NaN, negatives and the rest go LightGBM's right = our left. */
            n->left = right;
            n->right = left;
            n->feature = (uint32_t)feat[i] | LP__NODE_CATEGORICAL | LP__NODE_DEFAULT_LEFT;
            u->categorical = 1;
            b->m->feature_is_cat[feat[i]] = 1;
        } else {
            if (thr[i] != thr[i]) {
                s = tree_fail(err, t, (long)i, "threshold", "threshold is NaN");
                goto done;
            }
            n->left = left;
            n->right = right;
            /* None: NaN reads as 0.0, so the default is where 0.0 goes. */
            int go_left = missing == 0 ? 0.0 <= thr[i] : default_left != 0;
            n->feature = (uint32_t)feat[i] | (go_left ? LP__NODE_DEFAULT_LEFT : 0);
            n->u.threshold = 0;   /* set once every threshold of the feature is known */
            b->node_threshold[slot] = thr[i];
            b->node_missing[slot] = (uint8_t)missing;
            u->numeric = 1;
            if (missing == 0) u->none_missing = 1;
            if (missing == 1) u->zero_missing = 1;
            if (missing == 2) u->nan_missing = 1;
            if ((s = use_threshold(u, thr[i], err)) != LP_OK) goto done;
        }
    }
    *end = next;
done:
    free(leaf), free(thr), free(feat), free(dt), free(lc), free(rc), free(bounds), free(cat_words);
    free(seen), free(stack);
    return s;
}

/* After every tree: per-feature preparation and the rank thresholds. */
static lp_status finish_features(builder *b, const uint32_t *tree_end, lp_error *err)
{
    lp_model *m = b->m;
    lp__forest *f = &m->forest;
    m->prep = calloc(m->n_features + 1, sizeof *m->prep);
    if (!m->prep) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    for (size_t j = 0; j < m->n_features; j++) {
        feature_use *u = &b->use[j];
        lp__feature_prep *p = &m->prep[j];
        if (u->numeric && u->categorical)
            return lp__fail(err, BAD, "feature %zu has both numerical and categorical splits", j);
        if (u->nan_missing && u->zero_missing)
            return lp__fail(err, LP_ERR_UNSUPPORTED, "feature %zu has splits with missing type NaN and others "
                            "with missing type Zero, which cannot both hold", j);
        if (u->categorical) p->kind = LP__PREP_CATEGORY;
        if (!u->numeric) continue;
        p->kind = LP__PREP_RANK;
        p->nan_to_zero = !u->nan_missing;
        p->zero_is_missing = u->zero_missing;
        qsort(u->thresholds, u->n, sizeof *u->thresholds, cmp_double);
        size_t k = 0;
        for (size_t i = 0; i < u->n; i++)
            if (k == 0 || u->thresholds[i] != u->thresholds[k - 1]) u->thresholds[k++] = u->thresholds[i];
        if (k >= (1u << 23))
            return lp__fail(err, LP_ERR_LIMIT, "feature %zu has more than 2^23 distinct thresholds", j);
        p->thresholds = u->thresholds;
        p->n_thresholds = k;
        u->thresholds = NULL;
    }
    for (size_t t = 0, begin = 0; t < f->n_trees; begin = tree_end[t], t++)
        for (size_t i = begin; i < tree_end[t]; i++) {
            lp__node *n = &f->nodes[i];
            if (n->left == (int32_t)i || (n->feature & LP__NODE_CATEGORICAL)) continue;
            size_t feat = n->feature & LP__NODE_FEATURE_MASK;
            const lp__feature_prep *p = &m->prep[feat];
            double thr = b->node_threshold[i];
            /* A None-type split on a feature whose tiny values are made missing
             * must send all of [-z, z] where it sends 0.0: true unless its
             * threshold lies inside that range. */
            if (p->zero_is_missing && b->node_missing[i] == 0 && thr >= -LP__LGB_ZERO_THRESHOLD &&
                thr < LP__LGB_ZERO_THRESHOLD) {
                lp__fail(err, LP_ERR_UNSUPPORTED, "tree %zu, node %d: threshold %g lies inside the range "
                         "LightGBM treats as zero", t, (int)b->node_origin[i], thr);
                if (err) err->tree = (int64_t)t, err->node = b->node_origin[i];
                return LP_ERR_UNSUPPORTED;
            }
            n->u.threshold = (float)lp__prep_threshold_index(p, thr) + 0.5f;
        }
    return LP_OK;
}

/* pandas_categorical: one JSON list per categorical column, in column order;
 * they name the categories of the features with categorical feature_infos
 * (a list like "0:1:2" rather than "[min:max]" or "none"). */
static lp_status read_pandas_categorical(lp_model *m, const char *json, const char *infos, lp_error *err)
{
    cJSON *root = NULL;
    lp_status s = lp__json_parse_strict((const uint8_t *)json, strlen(json), "pandas_categorical", BAD, &root, err);
    if (s != LP_OK) return s;   /* not valid JSON, or out of memory */
    if (!cJSON_IsArray(root) || cJSON_GetArraySize(root) == 0 || !infos) goto out;
    size_t n_lists = (size_t)cJSON_GetArraySize(root);
    /* Categorical features per feature_infos. */
    size_t *cat_features = calloc(m->n_features + 1, sizeof *cat_features), n_cat = 0;
    if (!cat_features) {
        s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
        goto out;
    }
    const char *p = infos;
    for (size_t j = 0; j < m->n_features && *p; j++) {
        while (*p == ' ') p++;
        if (*p != '[' && strncmp(p, "none", 4) != 0 && *p) cat_features[n_cat++] = j;
        while (*p && *p != ' ') p++;
    }
    if (n_cat != n_lists) {
        s = lp__fail(err, LP_ERR_UNSUPPORTED, "pandas_categorical has %zu category lists but feature_infos "
                     "names %zu categorical features: cannot tell which list belongs to which feature",
                     n_lists, n_cat);
        free(cat_features);
        goto out;
    }
    size_t k = 0;
    for (const cJSON *list = root->child; list && s == LP_OK; list = list->next, k++) {
        lp__feature_prep *fp = &m->prep[cat_features[k]];
        size_t n = cJSON_IsArray(list) ? (size_t)cJSON_GetArraySize(list) : 0;
        if (!cJSON_IsArray(list)) {
            s = lp__fail(err, BAD, "pandas_categorical[%zu] is not a list", k);
            break;
        }
        fp->categories = calloc(n ? n : 1, sizeof *fp->categories);
        if (!fp->categories) {
            s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
            break;
        }
        if (fp->kind == LP__PREP_AS_IS) fp->kind = LP__PREP_CATEGORY;
        m->feature_is_cat[cat_features[k]] = 1;
        for (const cJSON *c = list->child; c; c = c->next) {
            lp__category *cat = &fp->categories[fp->n_categories];
            char num[32];
            const char *text = NULL;
            cat->number = NAN;
            if (cJSON_IsString(c)) text = c->valuestring;
            else if (cJSON_IsNumber(c)) {
                cat->number = c->valuedouble;
                snprintf(num, sizeof num, "%.17g", c->valuedouble);
                text = num;
            } else if (cJSON_IsBool(c)) text = cJSON_IsTrue(c) ? "true" : "false";
            else {
                s = lp__fail(err, BAD, "pandas_categorical[%zu] holds a category that is not a string, "
                             "number or boolean", k);
                break;
            }
            cat->text = lp__strndup(text, strlen(text));
            if (!cat->text) {
                s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
                break;
            }
            fp->n_categories++;
        }
    }
    free(cat_features);
out:
    cJSON_Delete(root);
    return s;
}

static lp_status read_feature_names(lp_model *m, const char *names, lp_error *err)
{
    if (!names) return LP_OK;
    m->feature_names = calloc(m->n_features + 1, sizeof *m->feature_names);
    if (!m->feature_names) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    const char *p = names;
    size_t j = 0;
    for (; *p; j++) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *e = strchr(p, ' ');
        if (!e) e = p + strlen(p);
        if (j >= m->n_features) break;
        m->feature_names[j] = lp__strndup(p, (size_t)(e - p));
        if (!m->feature_names[j]) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
        p = e;
    }
    if (j != m->n_features || *p)
        return lp__fail(err, BAD, "feature_names does not hold max_feature_idx + 1 = %zu names", m->n_features);
    return LP_OK;
}

static lp_status set_objective(lp_model *m, const header *h, double *leaf_scale, lp_error *err)
{
    char name[48];
    size_t n = strcspn(h->objective, " ");
    snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), h->objective);
    const objective_info *obj = NULL;
    for (size_t i = 0; i < sizeof objectives / sizeof *objectives; i++)
        if (strcmp(objectives[i].name, name) == 0) obj = &objectives[i];
    if (!obj)
        return lp__fail(err, LP_ERR_UNSUPPORTED, "LightGBM objective \"%s\" is not supported (binary, "
                        "cross_entropy, multiclass, multiclassova and the regression objectives are)", name);
    snprintf(m->objective, sizeof m->objective, "%s", h->objective);
    m->link = obj->link;
    m->native_task = obj->task;
    /* Options after the name, "key:value": sigmoid scales the margin. */
    *leaf_scale = 1.0;
    const char *sig = strstr(h->objective, " sigmoid:");
    if (sig && obj->link == LP__LINK_SIGMOID) {
        char *end = NULL;
        double k = strtod(sig + 9, &end);
        if (end == sig + 9 || !(k > 0) || !isfinite(k))
            return lp__fail(err, BAD, "objective \"%s\": sigmoid must be a positive number", h->objective);
        *leaf_scale = k;
    }
    size_t groups = (size_t)h->per_iteration;
    if (obj->task == LP_TASK_MULTICLASS && (h->num_class < 2 || groups != (size_t)h->num_class))
        return lp__fail(err, BAD, "%s needs num_class >= 2 trees per iteration (num_class %ld, "
                        "num_tree_per_iteration %ld)", name, h->num_class, h->per_iteration);
    if (obj->task != LP_TASK_MULTICLASS && groups != 1)
        return lp__fail(err, BAD, "%s has num_tree_per_iteration %ld; expected 1", name, h->per_iteration);
    m->n_groups = groups;
    return LP_OK;
}

lp_status lp__lightgbm_txt_load(const uint8_t *bytes, size_t len, lp_model **out, lp_error *err)
{
    char *text = malloc(len + 1);
    lp_model *m = lp__model_new();
    builder b = {0};
    raw_tree *raws = NULL;
    uint32_t *tree_end = NULL;
    size_t n_trees = 0, raws_cap = 0;
    lp_status s = text && m ? LP_OK : lp__fail(err, LP_ERR_NOMEM, "out of memory");
    if (s != LP_OK) goto done;
    memcpy(text, bytes, len);
    text[len] = '\0';
    if (memchr(text, '\0', len)) {
        s = lp__fail(err, BAD, "not a LightGBM text model: the file holds a NUL byte");
        goto done;
    }
    snprintf(m->format, sizeof m->format, "lightgbm-text");
    snprintf(m->booster, sizeof m->booster, "gbdt");
    cursor c = {text, text + len, 0};
    header h = {0};
    if ((s = read_header(&c, &h, err)) != LP_OK) goto done;
    if (h.version) snprintf(m->producer_version, sizeof m->producer_version, "%s", h.version);
    m->n_features = (size_t)h.max_feature_idx + 1;
    m->feature_is_cat = calloc(m->n_features + 1, 1);
    b.use = calloc(m->n_features + 1, sizeof *b.use);
    if (!m->feature_is_cat || !b.use) {
        s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((s = set_objective(m, &h, &b.leaf_scale, err)) != LP_OK) goto done;
    if ((s = read_feature_names(m, h.feature_names, err)) != LP_OK) goto done;

    /* Tree blocks, then the tail (pandas_categorical). */
    const char *pandas = NULL;
    char *line;
    size_t total = 0;
    int ended = 0;
    while ((line = next_line(&c))) {
        char *v;
        if (!ended && (v = value_of(line, "Tree"))) {
            char *end = NULL;
            long id = strtol(v, &end, 10);
            if (id != (long)n_trees || *end) {
                s = lp__fail(err, BAD, "line %zu: \"Tree=%.20s\" where Tree=%zu was expected", c.line, v, n_trees);
                goto done;
            }
            if (n_trees == raws_cap) {
                raws_cap = raws_cap ? raws_cap * 2 : 64;
                raw_tree *p = realloc(raws, raws_cap * sizeof *p);
                if (!p) {
                    s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
                    goto done;
                }
                raws = p;
            }
            if ((s = read_raw_tree(&c, n_trees, &raws[n_trees], err)) != LP_OK) goto done;
            total += 2 * (size_t)raws[n_trees].n_leaves - 1;
            if (total > LP_MAX_NODES) {
                s = lp__fail(err, LP_ERR_LIMIT, "the model has more than %u tree nodes", (unsigned)LP_MAX_NODES);
                goto done;
            }
            n_trees++;
        } else if (strcmp(line, "end of trees") == 0 || strcmp(line, "feature importances:") == 0 ||
                   strcmp(line, "feature_importances:") == 0 || strcmp(line, "parameters:") == 0) {
            ended = 1;   /* v2 files have no "end of trees" line */
        } else if (strncmp(line, "pandas_categorical:", 19) == 0) {
            pandas = line + 19;
        }
    }
    /* tree_sizes lists one size per tree: a file cut between two trees
     * would otherwise load with fewer trees. */
    size_t n_sizes = 0;
    for (const char *p = h.tree_sizes; p && *p;) {
        while (*p == ' ') p++;
        if (*p) n_sizes++;
        while (*p && *p != ' ') p++;
    }
    if ((!ended && !h.tree_sizes) || (h.tree_sizes && n_sizes != n_trees)) {
        s = lp__fail(err, BAD, "the model has %zu trees where tree_sizes lists %zu: is the file truncated?",
                     n_trees, n_sizes);
        goto done;
    }
    if (n_trees == 0 || n_trees % m->n_groups != 0) {
        s = lp__fail(err, BAD, "the model has %zu trees, not a multiple of num_tree_per_iteration %zu",
                     n_trees, m->n_groups);
        goto done;
    }
    /* LightGBM before 2.2.3 did not put a random forest's average through
     * the objective's link (LightGBM issue #1843: its leaves held
     * probabilities), later versions do; a v2 file does not say which wrote it. */
    if (h.average_output && m->link != LP__LINK_IDENTITY && h.version && strcmp(h.version, "v2") == 0) {
        s = lp__fail(err, LP_ERR_UNSUPPORTED, "a random-forest model (average_output) with objective \"%s\" in "
                     "format v2 is ambiguous: LightGBM before 2.2.3 averaged it without the %s link, later "
                     "versions apply it; re-save the model with LightGBM 3 or later", m->objective,
                     m->link == LP__LINK_EXP ? "exp" : "sigmoid");
        goto done;
    }
    if (h.average_output) b.leaf_scale /= (double)(n_trees / m->n_groups);

    lp__forest *f = &m->forest;
    f->n_trees = n_trees;
    f->n_nodes = total;
    f->nodes = calloc(total, sizeof *f->nodes);
    f->tree_root = calloc(n_trees, sizeof *f->tree_root);
    f->tree_group = calloc(n_trees, sizeof *f->tree_group);
    f->tree_depth = calloc(n_trees, 1);
    f->tree_has_cat = calloc(n_trees, 1);
    tree_end = calloc(n_trees, sizeof *tree_end);
    b.node_threshold = calloc(total, sizeof *b.node_threshold);
    b.node_missing = calloc(total, 1);
    b.node_origin = calloc(total, sizeof *b.node_origin);
    m->base_margin = calloc(m->n_groups, sizeof *m->base_margin);
    if (!f->nodes || !f->tree_root || !f->tree_group || !f->tree_depth || !f->tree_has_cat || !tree_end ||
        !b.node_threshold || !b.node_missing || !b.node_origin || !m->base_margin) {
        s = lp__fail(err, LP_ERR_NOMEM, "out of memory loading %zu tree nodes", total);
        goto done;
    }
    b.m = m;
    size_t base = 0;
    for (size_t t = 0; t < n_trees && s == LP_OK; t++) {
        f->tree_root[t] = (uint32_t)base;
        f->tree_group[t] = (uint32_t)(t % m->n_groups);
        s = build_tree(&b, &raws[t], t, base, &base, err);
        tree_end[t] = (uint32_t)base;
    }
    f->n_nodes = base;   /* fewer than allocated when a tree had unreachable nodes */
    f->cat_offset = b.offset;
    f->cat_n_words = b.n_words;
    f->cat_words = b.words;
    f->n_cat_sets = b.n_sets;
    f->n_cat_words = b.n_words_total;
    b.offset = b.n_words = b.words = NULL;
    if (s == LP_OK) s = lp__forest_check(f, tree_end, m->n_features, m->n_groups, err);
    if (s == LP_OK) s = finish_features(&b, tree_end, err);
    if (s == LP_OK && pandas) s = read_pandas_categorical(m, pandas, h.feature_infos, err);
    m->best_iteration = -1;
    m->trees_in_file = n_trees;
    if (s == LP_OK) s = lp__model_set_outputs(m, LP_TASK_AUTO, err);

done:
    if (b.use)
        for (size_t j = 0; j < m->n_features; j++) free(b.use[j].thresholds);
    free(b.use);
    free(b.node_threshold);
    free(b.node_missing);
    free(b.node_origin);
    free(b.offset), free(b.n_words), free(b.words);
    free(raws);
    free(tree_end);
    free(text);
    if (s != LP_OK) {
        lp_model_destroy(m);
        return s;
    }
    *out = m;
    return LP_OK;
}
