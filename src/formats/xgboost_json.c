/* xgboost_json.c — XGBoost JSON → lp_model.
 *
 * Reads learner.learner_model_param (num_feature, num_class, num_target,
 * base_score in every stored form), learner.objective, feature names and
 * types, and the gbtree / dart booster's trees.  Facts and sources are in
 * ../shared/FORMAT-NOTES.md §3a; where it and xgboost differ, xgboost's own
 * predictions (tests/fixtures/xgboost) decide.  Notably:
 * - a leaf's value is split_conditions[i] (not base_weights);
 * - numeric split: left iff x < threshold, in float32; missing → default_left;
 * - categorical split (split_type 1): the node's categories go right, every
 *   other value (unseen, negative, beyond the set) goes left;
 * - base_score is stored after the inverse link: binary:logistic and
 *   reg:logistic start from logit(base_score), the others from base_score.
 * UBJSON (save_model("m.ubj")) is read by io/ubjson.c into the same cJSON
 * tree, so both forms share this loader.
 * cJSON stays inside this file: the model keeps no JSON.
 */
#include "xgboost_json.h"
#include "xgboost_cats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/arena.h"
#include "../core/error.h"
#include "../core/lp_math.h"
#include "../io/json.h"
#include "../io/ubjson.h"
#include "forest_check.h"
#include "xgboost_json_fast.h"

#define BAD LP_ERR_BAD_MODEL

typedef struct objective_info {
    const char *name;
    lp__link    link;
    int         logit_base;   /* base_score is a probability: start from its logit */
} objective_info;

static const objective_info objectives[] = {
    {"binary:logistic", LP__LINK_SIGMOID, 1},
    {"reg:logistic", LP__LINK_SIGMOID, 1},
    {"binary:logitraw", LP__LINK_SIGMOID, 0},
    {"binary:hinge", LP__LINK_HINGE, 0},
    {"multi:softprob", LP__LINK_SOFTMAX, 0},
    {"multi:softmax", LP__LINK_SOFTMAX, 0},
    {"reg:squarederror", LP__LINK_IDENTITY, 0},
    {"reg:linear", LP__LINK_IDENTITY, 0},
    {"reg:squaredlogerror", LP__LINK_IDENTITY, 0},
    {"reg:pseudohubererror", LP__LINK_IDENTITY, 0},
    {"reg:absoluteerror", LP__LINK_IDENTITY, 0},
    {"count:poisson", LP__LINK_EXP, 0},
    {"reg:gamma", LP__LINK_EXP, 0},
    {"reg:tweedie", LP__LINK_EXP, 0},
};

/* A member by key that may be absent (NULL). */
static const cJSON *opt(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* ---- base_score: "5E-1", "[5E-1]", "[a,b,c]", or a number ---- */
static lp_status read_base_score(const cJSON *item, double *values, size_t cap, size_t *n,
                                 lp_error *err)
{
    const char *path = "learner.learner_model_param.base_score";
    *n = 0;
    if (!item) {
        values[(*n)++] = 0.5;   /* xgboost's default */
        return LP_OK;
    }
    if (cJSON_IsNumber(item)) {
        values[(*n)++] = item->valuedouble;
        return LP_OK;
    }
    if (!cJSON_IsString(item)) return lp__fail(err, BAD, "%s must be a number or a string", path);
    const char *p = item->valuestring;
    while (*p == ' ') p++;
    int bracketed = *p == '[';
    if (bracketed) p++;
    for (;;) {
        char *end = NULL;
        double v = strtod(p, &end);
        if (end == p || *n == cap || !(v == v)) break;
        values[(*n)++] = v;
        p = end;
        while (*p == ' ') p++;
        if (*p == ',' && bracketed) {
            p++;
            continue;
        }
        if (bracketed && *p == ']') p++;
        while (*p == ' ') p++;
        if (*p == '\0') return LP_OK;
        break;
    }
    return lp__fail(err, BAD, "%s is not a number or a bracketed list of numbers: \"%.60s\"", path,
                    item->valuestring);
}

/* ---- numeric arrays of one tree ---- */
typedef struct tree_arrays {
    const cJSON *left, *right, *split_index, *split_cond, *default_left, *split_type;
} tree_arrays;

static lp_status check_len(const cJSON *arr, size_t want, size_t t, const char *name, lp_error *err)
{
    char path[96];
    snprintf(path, sizeof path, "trees[%zu].%s", t, name);
    size_t n = 0;
    lp_status s = lp__json_array_len(arr, path, BAD, &n, err);
    if (s != LP_OK) return s;
    if (n != want) {
        lp__fail(err, BAD, "%s has %zu entries but the tree has %zu nodes", path, n, want);
        if (err) err->tree = (int64_t)t;
        return BAD;
    }
    return LP_OK;
}

static lp_status item_number(const cJSON *item, size_t t, const char *name, size_t i, double *v,
                             lp_error *err)
{
    if (cJSON_IsNumber(item)) {
        *v = item->valuedouble;
        return LP_OK;
    }
    if (cJSON_IsBool(item)) {
        *v = cJSON_IsTrue(item);
        return LP_OK;
    }
    if (cJSON_IsNull(item)) {
        *v = NAN;
        return LP_OK;
    }
    lp__fail(err, BAD, "trees[%zu].%s[%zu] must be a number", t, name, i);
    if (err) err->tree = (int64_t)t, err->node = (int64_t)i;
    return BAD;
}

/* Category sets of one tree: node id → its set index, bitsets appended to the
 * forest's table. */
typedef struct cat_builder {
    uint32_t *offset, *n_words, *words;
    size_t n_sets, sets_cap, n_words_total, words_cap;
} cat_builder;

static lp_status cats_add_set(cat_builder *cb, const long long *cats, size_t n, uint32_t *set_out,
                              lp_error *err)
{
    long long max_cat = -1;
    for (size_t i = 0; i < n; i++)
        if (cats[i] > max_cat) max_cat = cats[i];
    size_t words = (size_t)((max_cat + 1 + 31) / 32);
    if (cb->n_sets == cb->sets_cap) {
        size_t cap = cb->sets_cap ? cb->sets_cap * 2 : 16;
        uint32_t *o = realloc(cb->offset, cap * sizeof *o);
        if (o) cb->offset = o;
        uint32_t *w = realloc(cb->n_words, cap * sizeof *w);
        if (w) cb->n_words = w;
        if (!o || !w) return lp__fail(err, LP_ERR_NOMEM, "out of memory reading categories");
        cb->sets_cap = cap;
    }
    if (cb->n_words_total + words > cb->words_cap) {
        size_t cap = cb->words_cap ? cb->words_cap : 64;
        while (cap < cb->n_words_total + words) cap *= 2;
        uint32_t *w = realloc(cb->words, cap * sizeof *w);
        if (!w) return lp__fail(err, LP_ERR_NOMEM, "out of memory reading categories");
        cb->words = w;
        cb->words_cap = cap;
    }
    uint32_t *bits = cb->words + cb->n_words_total;
    memset(bits, 0, words * sizeof *bits);
    for (size_t i = 0; i < n; i++) bits[cats[i] / 32] |= 1u << (cats[i] % 32);
    cb->offset[cb->n_sets] = (uint32_t)cb->n_words_total;
    cb->n_words[cb->n_sets] = (uint32_t)words;
    cb->n_words_total += words;
    *set_out = (uint32_t)cb->n_sets++;
    return LP_OK;
}

/* Node i of tree t (at nodes[base + i]) from its entries in the node arrays. */
static lp_status set_node(size_t t, size_t i, size_t base, size_t n_nodes, double left, double right,
                          double feature, double cond, double def_left, double type, lp__node *nodes,
                          uint8_t *feature_is_cat, size_t n_features, float leaf_scale, lp_error *err)
{
        lp__node *n = &nodes[base + i];
    int32_t self = (int32_t)(base + i);
    if (left == -1) {   /* leaf: value in split_conditions */
        if (right != -1) {
            lp__fail(err, BAD, "tree %zu, node %zu: has a left child of -1 but a right child of %g",
                     t, i, right);
            if (err) err->tree = (int64_t)t, err->node = (int64_t)i;
            return BAD;
        }
        n->u.leaf = (float)cond * leaf_scale;
        n->feature = 0;
        n->left = n->right = self;
        return LP_OK;
    }
    if (!(left >= 0 && left < (double)n_nodes && right >= 0 && right < (double)n_nodes) ||
        left != floor(left) || right != floor(right)) {
        lp__fail(err, BAD, "tree %zu, node %zu: child index %g is outside the tree's %zu nodes",
                 t, i, (left >= 0 && left < (double)n_nodes) ? right : left, n_nodes);
        if (err) err->tree = (int64_t)t, err->node = (int64_t)i;
        return BAD;
    }
    if (!(feature >= 0 && feature < (double)n_features) || feature != floor(feature)) {
        lp__fail(err, BAD, "tree %zu, node %zu: feature index %g is not below num_feature %zu",
                 t, i, feature, n_features);
        if (err) err->tree = (int64_t)t, err->node = (int64_t)i;
        return BAD;
    }
    n->left = (int32_t)(base + (size_t)left);
    n->right = (int32_t)(base + (size_t)right);
    n->feature = (uint32_t)feature | (def_left != 0 ? LP__NODE_DEFAULT_LEFT : 0);
    if (type == 1) {
        n->feature |= LP__NODE_CATEGORICAL;
        feature_is_cat[(size_t)feature] = 1;
        n->u.cat_set = UINT32_MAX;   /* filled from the categories arrays below */
    } else {
        n->u.threshold = (float)cond;
    }
    return LP_OK;
}

/* Tree t's category sets (its categories* members), and every categorical
 * node must have got one. */
static lp_status read_tree_cats(const cJSON *tree, size_t t, size_t base, size_t n_nodes, lp__node *nodes,
                                cat_builder *cb, lp_error *err)
{
    lp_status s;
    /* Category sets: node categories_nodes[k] owns
     * categories[categories_segments[k] .. + categories_sizes[k]]. */
    const cJSON *cat_nodes = opt(tree, "categories_nodes");
    size_t n_cat_nodes = 0;
    if (cat_nodes && (s = lp__json_array_len(cat_nodes, "categories_nodes", BAD, &n_cat_nodes, err)) != LP_OK)
        return s;
    if (n_cat_nodes) {
        const cJSON *cats = opt(tree, "categories"), *segs = opt(tree, "categories_segments"),
                    *sizes = opt(tree, "categories_sizes");
        size_t n_cats = 0, n_segs = 0, n_sizes = 0;
        if ((s = lp__json_array_len(cats, "categories", BAD, &n_cats, err)) != LP_OK ||
            (s = lp__json_array_len(segs, "categories_segments", BAD, &n_segs, err)) != LP_OK ||
            (s = lp__json_array_len(sizes, "categories_sizes", BAD, &n_sizes, err)) != LP_OK)
            return s;
        if (n_segs != n_cat_nodes || n_sizes != n_cat_nodes) {
            lp__fail(err, BAD, "tree %zu: categories_nodes, categories_segments and categories_sizes "
                     "differ in length", t);
            if (err) err->tree = (int64_t)t;
            return BAD;
        }
        long long *all = malloc((n_cats ? n_cats : 1) * sizeof *all);
        if (!all) return lp__fail(err, LP_ERR_NOMEM, "out of memory reading categories");
        size_t i = 0;
        for (const cJSON *c = cats->child; c; c = c->next, i++) {
            double v = cJSON_IsNumber(c) ? c->valuedouble : -1;
            if (!(v >= 0 && v < 16777216.0) || v != floor(v)) {
                free(all);
                lp__fail(err, BAD, "tree %zu: categories[%zu] is not a category code (0 to 2^24)", t, i);
                if (err) err->tree = (int64_t)t;
                return BAD;
            }
            all[i] = (long long)v;
        }
        const cJSON *cn = cat_nodes->child, *sg = segs->child, *sz = sizes->child;
        for (size_t k = 0; k < n_cat_nodes; k++, cn = cn->next, sg = sg->next, sz = sz->next) {
            double node = cJSON_IsNumber(cn) ? cn->valuedouble : -1;
            double seg = cJSON_IsNumber(sg) ? sg->valuedouble : -1;
            double size = cJSON_IsNumber(sz) ? sz->valuedouble : -1;
            if (!(node >= 0 && node < (double)n_nodes) || !(seg >= 0 && size >= 0) ||
                seg + size > (double)n_cats ||
                !(nodes[base + (size_t)node].feature & LP__NODE_CATEGORICAL)) {
                free(all);
                lp__fail(err, BAD, "tree %zu: category entry %zu does not fit the tree "
                         "(node %g, segment %g, size %g)", t, k, node, seg, size);
                if (err) err->tree = (int64_t)t;
                return BAD;
            }
            s = cats_add_set(cb, all + (size_t)seg, (size_t)size, &nodes[base + (size_t)node].u.cat_set, err);
            if (s != LP_OK) {
                free(all);
                return s;
            }
        }
        free(all);
    }
    for (size_t i = 0; i < n_nodes; i++) {
        lp__node *n = &nodes[base + i];
        if ((n->feature & LP__NODE_CATEGORICAL) && n->u.cat_set == UINT32_MAX) {
            lp__fail(err, BAD, "tree %zu, node %zu: categorical split without a category set", t, i);
            if (err) err->tree = (int64_t)t, err->node = (int64_t)i;
            return BAD;
        }
    }
    return LP_OK;
}


/* Reads tree t into nodes[base .. base + n_nodes). */
static lp_status read_tree(const cJSON *tree, size_t t, size_t base, size_t n_nodes,
                           lp__node *nodes, uint8_t *feature_is_cat, size_t n_features,
                           float leaf_scale, cat_builder *cb, lp_error *err)
{
    tree_arrays a = {opt(tree, "left_children"), opt(tree, "right_children"),
                     opt(tree, "split_indices"), opt(tree, "split_conditions"),
                     opt(tree, "default_left"), opt(tree, "split_type")};
    lp_status s;
    if ((s = check_len(a.left, n_nodes, t, "left_children", err)) != LP_OK ||
        (s = check_len(a.right, n_nodes, t, "right_children", err)) != LP_OK ||
        (s = check_len(a.split_index, n_nodes, t, "split_indices", err)) != LP_OK ||
        (s = check_len(a.split_cond, n_nodes, t, "split_conditions", err)) != LP_OK ||
        (s = check_len(a.default_left, n_nodes, t, "default_left", err)) != LP_OK)
        return s;
    if (a.split_type && (s = check_len(a.split_type, n_nodes, t, "split_type", err)) != LP_OK) return s;

    const cJSON *l = a.left->child, *r = a.right->child, *fi = a.split_index->child,
                *sc = a.split_cond->child, *dl = a.default_left->child,
                *st = a.split_type ? a.split_type->child : NULL;
    for (size_t i = 0; i < n_nodes; i++) {
        double left, right, feature, cond, def_left, type = 0;
        if ((s = item_number(l, t, "left_children", i, &left, err)) != LP_OK ||
            (s = item_number(r, t, "right_children", i, &right, err)) != LP_OK ||
            (s = item_number(fi, t, "split_indices", i, &feature, err)) != LP_OK ||
            (s = item_number(sc, t, "split_conditions", i, &cond, err)) != LP_OK ||
            (s = item_number(dl, t, "default_left", i, &def_left, err)) != LP_OK ||
            (st && (s = item_number(st, t, "split_type", i, &type, err)) != LP_OK))
            return s;
        l = l->next, r = r->next, fi = fi->next, sc = sc->next, dl = dl->next;
        if (st) st = st->next;

        if ((s = set_node(t, i, base, n_nodes, left, right, feature, cond, def_left, type, nodes, feature_is_cat,
                          n_features, leaf_scale, err)) != LP_OK)
            return s;
    }
    return read_tree_cats(tree, t, base, n_nodes, nodes, cb, err);
}

/* Tree t from the fast reader's arrays (xgboost_json_fast.h): the same
 * nodes read_tree builds.  Its failures are never shown (the loader reads the
 * document again with cJSON, whose messages are the ones users see), so
 * where the arrays do not fit it says only that. */
static lp_status read_tree_cols(const lp__xgb_tree_cols *c, size_t t, size_t base, size_t n_nodes,
                                lp__node *nodes, uint8_t *feature_is_cat, size_t n_features,
                                float leaf_scale, cat_builder *cb, lp_error *err)
{
    for (int k = 0; k < LP__XGB_N_COLS; k++)
        if (c->n[k] != n_nodes && !(k == LP__XGB_SPLIT_TYPE && c->n[k] == SIZE_MAX))
            return lp__fail(err, BAD, "trees[%zu]: a node array does not have the tree's %zu nodes", t, n_nodes);
    const double *st = c->n[LP__XGB_SPLIT_TYPE] == SIZE_MAX ? NULL : c->col[LP__XGB_SPLIT_TYPE];
    for (size_t i = 0; i < n_nodes; i++) {
        lp_status s = set_node(t, i, base, n_nodes, c->col[LP__XGB_LEFT][i], c->col[LP__XGB_RIGHT][i],
                               c->col[LP__XGB_SPLIT_INDEX][i], c->col[LP__XGB_SPLIT_COND][i],
                               c->col[LP__XGB_DEFAULT_LEFT][i], st ? st[i] : 0, nodes, feature_is_cat,
                               n_features, leaf_scale, err);
        if (s != LP_OK) return s;
    }
    return read_tree_cats(c->tree, t, base, n_nodes, nodes, cb, err);
}

/* ---- the booster ---- */
/* Adds tree t's num_nodes to *total, refusing vector leaves and oversized models. */
static lp_status tree_size(const cJSON *tree, size_t t, size_t *total, lp_error *err)
{
    const cJSON *param = opt(tree, "tree_param");
    long long n = 0, leaf_vec = 0;
    char path[64];
    snprintf(path, sizeof path, "trees[%zu].tree_param.num_nodes", t);
    if (!cJSON_IsObject(param)) return lp__fail(err, BAD, "trees[%zu].tree_param is missing", t);
    lp_status s = lp__json_int(opt(param, "num_nodes"), path, 1, LP_MAX_NODES, BAD, &n, err);
    if (s != LP_OK) return s;
    const cJSON *lv = opt(param, "size_leaf_vector");
    if (lv && lp__json_int(lv, "size_leaf_vector", 0, 1 << 20, BAD, &leaf_vec, err) == LP_OK && leaf_vec > 1)
        return lp__fail(err, LP_ERR_UNSUPPORTED,
                        "tree %zu has vector leaves (multi_strategy=\"multi_output_tree\"), which are "
                        "not supported yet; train with the default one_output_per_tree", t);
    *total += (size_t)n;
    if (*total > LP_MAX_NODES)
        return lp__fail(err, LP_ERR_LIMIT, "the model has more than %u tree nodes", (unsigned)LP_MAX_NODES);
    return LP_OK;
}

/* fast: the trees' node arrays when the fast reader read the document, else NULL. */
static lp_status read_forest(lp_model *m, const cJSON *booster, const lp__xgb_fast *fast, lp_error *err)
{
    const cJSON *name = opt(booster, "name");
    const cJSON *gbtree = booster, *weight_drop = NULL;
    if (!cJSON_IsString(name))
        return lp__fail(err, BAD, "learner.gradient_booster.name is missing");
    if (strcmp(name->valuestring, "dart") == 0) {
        gbtree = opt(booster, "gbtree");
        weight_drop = opt(booster, "weight_drop");
        if (!cJSON_IsObject(gbtree) || !cJSON_IsArray(weight_drop))
            return lp__fail(err, BAD, "a dart booster needs gbtree and weight_drop");
    } else if (strcmp(name->valuestring, "gbtree") != 0) {
        return lp__fail(err, LP_ERR_UNSUPPORTED,
                        "booster \"%s\" is not supported (gbtree and dart are)", name->valuestring);
    }
    snprintf(m->booster, sizeof m->booster, "%s", name->valuestring);

    const cJSON *model = NULL, *trees = NULL, *tree_info = NULL;
    lp_status s;
    if ((s = lp__json_member(gbtree, "model", cJSON_Object, "gradient_booster", BAD, &model, err)) != LP_OK ||
        (s = lp__json_member(model, "trees", cJSON_Array, "gradient_booster.model", BAD, &trees, err)) != LP_OK ||
        (s = lp__json_member(model, "tree_info", cJSON_Array, "gradient_booster.model", BAD, &tree_info, err)) != LP_OK)
        return s;
    size_t n_trees = 0, n_info = 0, n_weights = 0;
    lp__json_array_len(trees, "trees", BAD, &n_trees, err);
    lp__json_array_len(tree_info, "tree_info", BAD, &n_info, err);
    if (n_info != n_trees)
        return lp__fail(err, BAD, "tree_info has %zu entries for %zu trees", n_info, n_trees);
    if (weight_drop) {
        lp__json_array_len(weight_drop, "weight_drop", BAD, &n_weights, err);
        if (n_weights != n_trees)
            return lp__fail(err, BAD, "weight_drop has %zu entries for %zu trees", n_weights, n_trees);
    }

    /* First pass: node counts, to allocate the node table once; tree t's
     * nodes will end at tree_end[t]. */
    uint32_t *tree_end = calloc(n_trees + 1, sizeof *tree_end);
    if (!tree_end) return lp__fail(err, LP_ERR_NOMEM, "out of memory loading %zu trees", n_trees);
    size_t total = 0, t = 0;
    for (const cJSON *tr = trees->child; tr; tr = tr->next, t++) {
        s = tree_size(tr, t, &total, err);
        if (s != LP_OK) {
            free(tree_end);
            return s;
        }
        tree_end[t] = (uint32_t)total;
    }

    lp__forest *f = &m->forest;
    f->n_trees = n_trees;
    f->n_nodes = total;
    f->nodes = calloc(total ? total : 1, sizeof *f->nodes);
    f->tree_root = calloc(n_trees + 1, sizeof *f->tree_root);
    f->tree_group = calloc(n_trees + 1, sizeof *f->tree_group);
    f->tree_depth = calloc(n_trees + 1, 1);
    f->tree_has_cat = calloc(n_trees + 1, 1);
    if (!f->nodes || !f->tree_root || !f->tree_group || !f->tree_depth || !f->tree_has_cat) {
        free(tree_end);
        return lp__fail(err, LP_ERR_NOMEM, "out of memory loading %zu tree nodes", total);
    }

    cat_builder cb = {0};
    size_t base = 0, cursor = 0;
    t = 0;
    const cJSON *info = tree_info->child, *w = weight_drop ? weight_drop->child : NULL;
    for (const cJSON *tr = trees->child; tr; tr = tr->next, info = info->next, t++) {
        long long group = 0;
        char path[48];
        snprintf(path, sizeof path, "tree_info[%zu]", t);
        if ((s = lp__json_int(info, path, 0, (long long)m->n_groups - 1, BAD, &group, err)) != LP_OK) {
            lp__fail(err, BAD, "tree_info[%zu] must name one of the model's %zu outputs (0 to %zu)", t,
                     m->n_groups, m->n_groups - 1);
            break;
        }
        /* Dart: xgboost multiplies each tree's output by weight_drop[t] in
         * float32; scaling the leaves at load is the same product. */
        float scale = 1.0f;
        if (w) {
            double wd = 0;
            snprintf(path, sizeof path, "weight_drop[%zu]", t);
            if ((s = lp__json_number(w, path, BAD, &wd, err)) != LP_OK) break;
            scale = (float)wd;
            w = w->next;
        }
        size_t n = tree_end[t] - base;
        f->tree_root[t] = (uint32_t)base;
        f->tree_group[t] = (uint32_t)group;
        if (fast) {
            const lp__xgb_tree_cols *cols = lp__xgb_fast_find(fast, tr, &cursor);
            s = cols ? read_tree_cols(cols, t, base, n, f->nodes, m->feature_is_cat, m->n_features, scale, &cb, err)
                     : lp__fail(err, BAD, "trees[%zu] was not read", t);
        } else {
            s = read_tree(tr, t, base, n, f->nodes, m->feature_is_cat, m->n_features, scale, &cb, err);
        }
        if (s != LP_OK) break;
        base += n;
    }
    f->cat_offset = cb.offset;
    f->cat_n_words = cb.n_words;
    f->cat_words = cb.words;
    f->n_cat_sets = cb.n_sets;
    f->n_cat_words = cb.n_words_total;
    if (s == LP_OK) s = lp__forest_check(f, tree_end, m->n_features, m->n_groups, err);
    free(tree_end);
    return s;
}

static lp_status read_features(lp_model *m, const cJSON *learner, lp_error *err)
{
    const cJSON *names = opt(learner, "feature_names");
    size_t n_names = 0;
    if (names && cJSON_IsArray(names)) lp__json_array_len(names, "feature_names", BAD, &n_names, err);
    if (n_names && n_names != m->n_features)
        return lp__fail(err, BAD, "learner.feature_names has %zu names for num_feature %zu",
                        n_names, m->n_features);
    if (n_names) {
        m->feature_names = calloc(n_names, sizeof *m->feature_names);
        if (!m->feature_names) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
        size_t i = 0;
        for (const cJSON *c = names->child; c; c = c->next, i++) {
            if (!cJSON_IsString(c))
                return lp__fail(err, BAD, "learner.feature_names[%zu] must be a string", i);
            m->feature_names[i] = lp__strndup(c->valuestring, strlen(c->valuestring));
            if (!m->feature_names[i]) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
        }
    }
    const cJSON *types = opt(learner, "feature_types");
    size_t i = 0;
    if (types && cJSON_IsArray(types))
        for (const cJSON *c = types->child; c && i < m->n_features; c = c->next, i++)
            if (cJSON_IsString(c) && strcmp(c->valuestring, "c") == 0) m->feature_is_cat[i] = 1;
    return LP_OK;
}

/* Early stopping leaves learner.attributes.best_iteration (a string); the
 * trees of iterations 0..best are what XGBClassifier.predict_proba uses.
 * Iterations map to trees through iteration_indptr (2.0+) or, before it,
 * num_parallel_tree trees per output per iteration. */
static lp_status read_best_iteration(lp_model *m, const cJSON *learner, const cJSON *booster,
                                     lp_error *err)
{
    m->best_iteration = -1;
    m->trees_in_file = m->forest.n_trees;
    const cJSON *best = opt(opt(learner, "attributes"), "best_iteration");
    if (!best) return LP_OK;
    long long iteration = 0;
    lp_status s = lp__json_int(best, "learner.attributes.best_iteration", 0, LP_MAX_NODES, BAD,
                               &iteration, err);
    if (s != LP_OK) return s;
    const cJSON *gbtree = strcmp(m->booster, "dart") == 0 ? opt(booster, "gbtree") : booster;
    const cJSON *model = opt(gbtree, "model");
    const cJSON *indptr = opt(model, "iteration_indptr");
    size_t n_trees = 0;
    if (cJSON_IsArray(indptr)) {
        const cJSON *c = cJSON_GetArrayItem(indptr, (int)iteration + 1);
        if (!cJSON_IsNumber(c)) return LP_OK;   /* past the last iteration: all trees */
        n_trees = (size_t)c->valuedouble;
    } else {
        long long parallel = 1;
        const cJSON *p = opt(opt(model, "gbtree_model_param"), "num_parallel_tree");
        if (p && (s = lp__json_int(p, "gbtree_model_param.num_parallel_tree", 1, 1 << 20, BAD, &parallel,
                                   err)) != LP_OK)
            return s;
        n_trees = (size_t)(iteration + 1) * (size_t)parallel * m->n_groups;
    }
    if (n_trees >= m->forest.n_trees) return LP_OK;   /* the best is the last: nothing to cut */
    m->best_iteration = iteration;
    m->best_iteration_trees = n_trees;
    return LP_OK;
}

/* Margins start from base_score, stored after the inverse link. */
static lp_status set_base_margins(lp_model *m, const objective_info *obj, const double *base,
                                  size_t n_base, lp_error *err)
{
    if (n_base != 1 && n_base != m->n_groups)
        return lp__fail(err, BAD, "base_score has %zu values for %zu outputs", n_base, m->n_groups);
    for (size_t g = 0; g < m->n_groups; g++) {
        double b = base[n_base == 1 ? 0 : g];
        if (obj->logit_base) {
            if (!(b > 0 && b < 1))
                return lp__fail(err, BAD, "base_score %g of %s must lie strictly between 0 and 1",
                                b, obj->name);
            /* As xgboost's ProbToMargin: -log(1/p - 1), with float32 operands. */
            float t = 1.0f / (float)b - 1.0f;
            m->base_margin[g] = (float)-lp__log((double)t);
        } else if (m->link == LP__LINK_EXP) {
            if (!(b > 0)) return lp__fail(err, BAD, "base_score %g of %s must be positive", b, obj->name);
            m->base_margin[g] = (float)lp__log(b);
        } else {
            m->base_margin[g] = (float)b;
        }
    }
    return LP_OK;
}

/* The model from its document tree (from JSON or UBJSON, in the caller's
 * cJSON arena: nothing here frees it) and, from the fast reader, the trees'
 * node arrays (else NULL). */
static lp_status load_document(const cJSON *root, const lp__xgb_fast *fast, const char *format,
                               lp_model **out, lp_error *err)
{
    lp_status s = LP_OK;
    lp_model *m = lp__model_new();
    if (!m) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    snprintf(m->format, sizeof m->format, "%s", format);

    const cJSON *learner = NULL, *params = NULL, *objective = NULL, *booster = NULL, *obj_name = NULL;
    if (!cJSON_IsObject(root)) {
        s = lp__fail(err, BAD, "the model JSON is not an object: is this an XGBoost model saved with save_model(\"model.json\")?");
        goto done;
    }
    if ((s = lp__json_member(root, "learner", cJSON_Object, "", BAD, &learner, err)) != LP_OK ||
        (s = lp__json_member(learner, "learner_model_param", cJSON_Object, "learner", BAD, &params, err)) != LP_OK ||
        (s = lp__json_member(learner, "objective", cJSON_Object, "learner", BAD, &objective, err)) != LP_OK ||
        (s = lp__json_member(objective, "name", cJSON_String, "learner.objective", BAD, &obj_name, err)) != LP_OK ||
        (s = lp__json_member(learner, "gradient_booster", cJSON_Object, "learner", BAD, &booster, err)) != LP_OK) {
        lp__err_prefix(err, "not an XGBoost JSON model: ");
        goto done;
    }

    /* "version": [1, 7, 4], shown by info; anything else (a huge or
     * fractional number, a string) leaves the producer's version unknown. */
    const cJSON *version = opt(root, "version");
    if (cJSON_IsArray(version) && cJSON_GetArraySize(version) == 3) {
        const cJSON *a = version->child, *b = a->next, *c = b->next;
        int ok = 1;
        for (const cJSON *v = a; v; v = v->next)
            ok &= cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 10000 &&
                  v->valuedouble == (double)(int)v->valuedouble;
        if (ok)
            snprintf(m->producer_version, sizeof m->producer_version, "%d.%d.%d", (int)a->valuedouble,
                     (int)b->valuedouble, (int)c->valuedouble);
    }

    const objective_info *obj = NULL;
    for (size_t i = 0; i < sizeof objectives / sizeof *objectives; i++)
        if (strcmp(objectives[i].name, obj_name->valuestring) == 0) obj = &objectives[i];
    if (!obj) {
        /* The names of `objectives` above (a literal: a loop costs the tabular build ~300 B). */
        s = lp__fail(err, LP_ERR_UNSUPPORTED, "objective \"%.40s\" is not supported (supported: binary:logistic, "
                     "binary:logitraw, binary:hinge, multi:softprob, multi:softmax, reg:logistic, reg:squarederror, "
                     "reg:linear, reg:squaredlogerror, reg:pseudohubererror, reg:absoluteerror, count:poisson, "
                     "reg:gamma, reg:tweedie)", obj_name->valuestring);
        goto done;
    }
    snprintf(m->objective, sizeof m->objective, "%s", obj->name);
    m->link = obj->link;

    long long n_features = 0, n_class = 0, n_target = 1;
    if ((s = lp__json_int(opt(params, "num_feature"), "learner.learner_model_param.num_feature", 0,
                          LP__NODE_FEATURE_MASK, BAD, &n_features, err)) != LP_OK)
        goto done;
    if (opt(params, "num_class") &&
        (s = lp__json_int(opt(params, "num_class"), "learner.learner_model_param.num_class", 0,
                          LP_MAX_CLASSES, BAD, &n_class, err)) != LP_OK)
        goto done;
    if (opt(params, "num_target") &&
        (s = lp__json_int(opt(params, "num_target"), "learner.learner_model_param.num_target", 1,
                          LP_MAX_CLASSES, BAD, &n_target, err)) != LP_OK)
        goto done;
    if (m->link == LP__LINK_SOFTMAX) {
        if (n_class < 2) {
            s = lp__fail(err, BAD, "%s needs num_class of at least 2, got %lld", obj->name, n_class);
            goto done;
        }
        m->n_groups = (size_t)n_class;
        m->native_task = LP_TASK_MULTICLASS;
    } else {
        m->n_groups = (size_t)n_target;
        if (m->link == LP__LINK_SIGMOID || m->link == LP__LINK_HINGE)
            m->native_task = n_target > 1 ? LP_TASK_MULTILABEL : LP_TASK_BINARY;
        else
            m->native_task = LP_TASK_REGRESSION;
    }
    /* Leaves read row[0]; a model without features still gets one slot. */
    m->n_features = (size_t)n_features;
    m->feature_is_cat = calloc(m->n_features + 1, 1);
    m->base_margin = calloc(m->n_groups, sizeof *m->base_margin);
    if (!m->feature_is_cat || !m->base_margin) {
        s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
        goto done;
    }

    /* base_score: one value for all outputs, or one per output (3.1+). */
    size_t n_base = 0;
    double *base = malloc(m->n_groups * sizeof *base);
    if (!base) {
        s = lp__fail(err, LP_ERR_NOMEM, "out of memory");
        goto done;
    }
    s = read_base_score(opt(params, "base_score"), base, m->n_groups, &n_base, err);
    if (s == LP_OK) s = set_base_margins(m, obj, base, n_base, err);
    free(base);
    if (s != LP_OK) goto done;

    if ((s = read_features(m, learner, err)) != LP_OK) goto done;
    s = read_forest(m, booster, fast, err);
    if (s == LP_OK) s = read_best_iteration(m, learner, booster, err);
    if (s == LP_OK) {   /* 3.1+: the category re-coder, beside the trees (gbtree) or in dart's gbtree */
        const cJSON *model = opt(booster, "model");
        if (!model) model = opt(opt(booster, "gbtree"), "model");
        s = lp__xgboost_read_cats(m, opt(model, "cats"), err);
    }
    if (s == LP_OK) s = lp__xgboost_read_embedded_manifest(m, opt(learner, "attributes"), err);
    if (s == LP_OK) s = lp__model_set_outputs(m, LP_TASK_AUTO, err);

done:
    if (s != LP_OK) {
        lp_model_destroy(m);
        return s;
    }
    *out = m;
    return LP_OK;
}

/* The fast reader's try (xgboost_json_fast.h): LP_OK and the model,
 * LP_ERR_NOMEM when memory ran out, or another status when it was not taken
 * or the model it read failed a check. */
static lp_status json_load_fast(const uint8_t *bytes, size_t len, lp_model **out, lp_error *err)
{
    lp__arena arena = {NULL, 0};
    lp__arena *before = lp__cjson_use_arena(&arena);
    cJSON *root = NULL;
    lp__xgb_fast fast;
    int taken = lp__xgb_fast_parse(bytes, len, &root, &fast);
    lp_status s = taken == 0 ? LP_OK
                  : taken == 2 ? lp__fail(err, LP_ERR_NOMEM, "out of memory reading the model JSON") : BAD;
    if (s == LP_OK) s = load_document(root, &fast, "xgboost-json", out, err);
    lp__xgb_fast_free(&fast);
    lp__cjson_use_arena(before);
    lp__arena_release(&arena);
    return s;
}

/* The whole document through cJSON: the reference reader, and the one whose
 * messages a bad model gets. */
lp_status lp__xgboost_json_load_cjson(const uint8_t *bytes, size_t len, lp_model **out, lp_error *err)
{
    lp__arena arena = {NULL, 0};
    lp__arena *before = lp__cjson_use_arena(&arena);
    cJSON *root = NULL;
    lp_status s = lp__json_parse(bytes, len, "the model JSON", BAD, &root, err);
    if (s == LP_OK) s = load_document(root, NULL, "xgboost-json", out, err);
    lp__cjson_use_arena(before);
    lp__arena_release(&arena);
    return s;
}

/* cJSON's values live in one arena while the model is read (see arena.h).
 * The fast reader first; whatever it does not take, or any model it reads
 * that fails a check, is read again by cJSON, so a bad model's message is
 * always the cJSON path's.  Out of memory is reported as met. */
lp_status lp__xgboost_json_load(const uint8_t *bytes, size_t len, lp_model **out, lp_error *err)
{
    lp_status s = json_load_fast(bytes, len, out, err);
    if (s == LP_OK || s == LP_ERR_NOMEM) return s;   /* out of memory is not a reason to read again */
    lp_error_clear(err);
    return lp__xgboost_json_load_cjson(bytes, len, out, err);
}

lp_status lp__xgboost_ubjson_load(const uint8_t *bytes, size_t len, lp_model **out, lp_error *err)
{
    lp__arena arena = {NULL, 0};
    lp__arena *before = lp__cjson_use_arena(&arena);
    cJSON *root = NULL;
    lp_status s = lp__ubjson_parse(bytes, len, &root, err);
    if (s == LP_OK) s = load_document(root, NULL, "xgboost-ubjson", out, err);
    lp__cjson_use_arena(before);
    lp__arena_release(&arena);
    return s;
}
