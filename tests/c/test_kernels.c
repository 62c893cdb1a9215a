/* test_kernels.c — src/kernels: lp_kern_forest_add_nodes (the wasm SIMD
 * kernel when built with LP_SIMD128, the reference otherwise) and
 * lp_kern_forest_add_packed (vector levels natively and in WASM SIMD) against
 * lp_kern_forest_add_ref on random forests and rows, bit for bit, with
 * sentinels after every margins buffer (STYLE.md conventions 10 and 11).
 * Natively the node kernel is the reference, so that comparison mostly
 * exercises the generator and ASan; `make test-c-wasm` is where the wasm
 * SIMD node kernel meets the reference.  The packed kernel runs in both. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lp_math.h"
#include "formats/forest_check.h"
#include "kernels/kernels.h"
#include "lp_test.h"

#define SENTINELS 8
static const uint32_t sentinel_bits = 0x7FC0DEADu;   /* a NaN payload no kernel computes */

/* ---- random forests ---- */
enum { MAX_POOL = 255 };
typedef struct gen {
    lp__forest f;
    uint32_t  *tree_end;
    size_t     nodes_cap, cat_cap, words_cap;
    size_t     n_features, n_groups;
    float      pool[MAX_POOL];   /* thresholds, also used as inputs to hit them exactly */
    uint32_t   pool_n;           /* how many of pool are used (0: 16) */
    int        too_many_cuts;   /* a feature has more thresholds than the packed layout holds */
    int        dense;           /* trees rarely stop early: deep trees fill their levels */
} gen;

static uint32_t pool_size(const gen *g)
{
    return g->pool_n ? g->pool_n : 16;
}

static uint32_t new_node(gen *g)
{
    if (g->f.n_nodes == g->nodes_cap) {
        g->nodes_cap = g->nodes_cap ? g->nodes_cap * 2 : 64;
        g->f.nodes = realloc(g->f.nodes, g->nodes_cap * sizeof *g->f.nodes);
    }
    memset(&g->f.nodes[g->f.n_nodes], 0, sizeof *g->f.nodes);
    return (uint32_t)g->f.n_nodes++;
}

static uint32_t new_cat_set(gen *g, lp_test_rng *rng)
{
    uint32_t words = 1 + lp_test_below(rng, 3);
    if (g->f.n_cat_sets == g->cat_cap) {
        g->cat_cap = g->cat_cap ? g->cat_cap * 2 : 16;
        g->f.cat_offset = realloc(g->f.cat_offset, g->cat_cap * sizeof *g->f.cat_offset);
        g->f.cat_n_words = realloc(g->f.cat_n_words, g->cat_cap * sizeof *g->f.cat_n_words);
    }
    if (g->f.n_cat_words + words > g->words_cap) {
        g->words_cap = (g->words_cap ? g->words_cap : 16) * 2 + words;
        g->f.cat_words = realloc(g->f.cat_words, g->words_cap * sizeof *g->f.cat_words);
    }
    g->f.cat_offset[g->f.n_cat_sets] = (uint32_t)g->f.n_cat_words;
    g->f.cat_n_words[g->f.n_cat_sets] = words;
    for (uint32_t w = 0; w < words; w++) g->f.cat_words[g->f.n_cat_words++] = (uint32_t)lp_test_rand(rng);
    return (uint32_t)g->f.n_cat_sets++;
}

/* Builds a subtree to `depth` more levels (stopping early at random) and
 * returns its root; children are allocated after their parent. */
static uint32_t build(gen *g, lp_test_rng *rng, int depth, int cat_tree)
{
    uint32_t i = new_node(g);
    if (depth == 0 || lp_test_below(rng, g->dense ? 60 : 5) == 0) {
        lp__node *n = &g->f.nodes[i];
        n->left = n->right = (int32_t)i;
        n->u.leaf = (float)lp_test_uniform(rng, -1, 1);
        /* Leaves carry feature 0 and no flags (kernels.h; lp__forest_check enforces it). */
        n->feature = 0;
        return i;
    }
    uint32_t feature = lp_test_below(rng, (uint32_t)g->n_features);
    uint32_t flags = lp_test_below(rng, 2) ? LP__NODE_DEFAULT_LEFT : 0;
    uint32_t set = 0;
    float threshold = g->pool[lp_test_below(rng, pool_size(g))];
    int cat = cat_tree && lp_test_below(rng, 2);
    if (cat) set = new_cat_set(g, rng), flags |= LP__NODE_CATEGORICAL;
    int32_t left = (int32_t)build(g, rng, depth - 1, cat_tree);
    int32_t right = (int32_t)build(g, rng, depth - 1, cat_tree);
    lp__node *n = &g->f.nodes[i];   /* after the recursion: the table may have moved */
    n->feature = feature | flags;
    if (cat) n->u.cat_set = set;
    else n->u.threshold = threshold;
    n->left = left;
    n->right = right;
    return i;
}

/* The forest's per-tree arrays for n_trees trees, zeroed: the generators
 * fill them. */
static void alloc_trees(gen *g, size_t n_trees)
{
    g->f.n_trees = n_trees;
    g->f.tree_root = calloc(n_trees, sizeof *g->f.tree_root);
    g->f.tree_group = calloc(n_trees, sizeof *g->f.tree_group);
    g->f.tree_depth = calloc(n_trees, 1);
    g->f.tree_has_cat = calloc(n_trees, 1);
    g->tree_end = calloc(n_trees, sizeof *g->tree_end);
}

/* A forest of up to 12 trees of depth 0..max_depth on n_features features
 * (0: 1 to 10), dense or not. */
static int make_forest_of(gen *g, lp_test_rng *rng, int max_depth, int cat_percent, size_t n_features, int dense)
{
    memset(g, 0, sizeof *g);
    g->dense = dense;
    g->n_features = n_features ? n_features : 1 + lp_test_below(rng, 10);
    g->n_groups = 1 + lp_test_below(rng, 4);
    for (int i = 0; i < 16; i++) g->pool[i] = (float)lp_test_uniform(rng, -2, 2);
    g->pool[0] = 0.0f, g->pool[1] = 1.5f, g->pool[2] = -0.0f;
    size_t n_trees = 1 + lp_test_below(rng, 12);
    alloc_trees(g, n_trees);
    for (size_t t = 0; t < n_trees; t++) {
        int depth = (int)lp_test_below(rng, (uint32_t)max_depth + 1);
        int cat_tree = (int)lp_test_below(rng, 100) < cat_percent;
        g->f.tree_root[t] = build(g, rng, depth, cat_tree);
        g->f.tree_group[t] = lp_test_below(rng, (uint32_t)g->n_groups);
        g->tree_end[t] = (uint32_t)g->f.n_nodes;
    }
    /* The loaders' own check: validates the generator, fills the depths. */
    lp_error err;
    lp_status s = lp__forest_check(&g->f, g->tree_end, g->n_features, g->n_groups, &err);
    return LP_CHECK_STATUS(s, LP_OK, &err);
}

static int make_forest(gen *g, lp_test_rng *rng, int max_depth, int cat_percent)
{
    return make_forest_of(g, rng, max_depth, cat_percent, 0, 0);
}

/* n_trees dense trees of depth `depth` (a few stop a level early; with
 * shallow_every, tree t of t % shallow_every == 5 is one level shallower)
 * on n_features features, thresholds from a pool of pool_n values (so a
 * feature may have up to pool_n distinct cuts), 1 to 4 margins a row. */
static int make_forest_same_depth(gen *g, lp_test_rng *rng, size_t n_trees, int depth, size_t n_features,
                                  uint32_t pool_n, size_t shallow_every)
{
    memset(g, 0, sizeof *g);
    g->dense = 1;
    g->n_features = n_features;
    g->n_groups = 1 + lp_test_below(rng, 4);
    g->pool_n = pool_n;
    for (uint32_t i = 0; i < pool_n; i++) g->pool[i] = (float)lp_test_uniform(rng, -2, 2);
    g->pool[0] = 0.0f, g->pool[1] = 1.5f, g->pool[2] = -0.0f;
    alloc_trees(g, n_trees);
    for (size_t t = 0; t < n_trees; t++) {
        g->f.tree_root[t] = build(g, rng, shallow_every && t % shallow_every == 5 ? depth - 1 : depth, 0);
        g->f.tree_group[t] = lp_test_below(rng, (uint32_t)g->n_groups);
        g->tree_end[t] = (uint32_t)g->f.n_nodes;
    }
    lp_error err;
    lp_status s = lp__forest_check(&g->f, g->tree_end, g->n_features, g->n_groups, &err);
    return LP_CHECK_STATUS(s, LP_OK, &err);
}

static void free_forest(gen *g)
{
    lp__forest_free(&g->f);
    free(g->tree_end);
}

/* A value for feature cells: random, a threshold exactly, missing, infinite,
 * or a category code (negative, in range, beyond every set). */
static float random_cell(const gen *g, lp_test_rng *rng)
{
    switch (lp_test_below(rng, 9)) {
    case 0: return NAN;
    case 1: return g->pool[lp_test_below(rng, pool_size(g))];
    case 2: return lp_test_below(rng, 2) ? INFINITY : -INFINITY;
    case 3: return (float)((int)lp_test_below(rng, 100) - 2);
    case 4: return (float)lp_test_below(rng, 100) + 0.5f;
    default: return (float)lp_test_uniform(rng, -3, 3);
    }
}

/* One kernel's margins against the reference's, with the sentinels. */
static int same_margins(const gen *g, const float *a, const float *b, size_t n_rows, const char *kernel,
                        const char *what)
{
    size_t ng = g->n_groups, nm = n_rows * ng;
    for (size_t i = 0; i < SENTINELS; i++) {
        uint32_t sb;
        memcpy(&sb, &b[nm + i], 4);
        if (sb != sentinel_bits)
            return LP_CHECK(0, "%s, %s kernel: sentinel %zu after %zu margins overwritten (0x%08X)", what, kernel,
                            i, nm, sb);
    }
    if (memcmp(a, b, nm * sizeof *a) != 0) {
        size_t i = 0;
        while (memcmp(&a[i], &b[i], sizeof *a) == 0) i++;
        return LP_CHECK(0, "%s, %s kernel: %zu rows x %zu groups, %zu trees, %zu features: margin %zu (row %zu) "
                        "ref %.9g, kernel %.9g", what, kernel, n_rows, ng, g->f.n_trees, g->n_features, i, i / ng,
                        a[i], b[i]);
    }
    return LP_CHECK(1, "ok");
}

/* Runs the reference, the node kernel (SIMD in WASM) and the packed kernel
 * on n_rows rows; returns 0 after reporting a difference.  Packs g's forest. */
static int compare_kernels(gen *g, lp_test_rng *rng, size_t n_rows, const char *what)
{
    size_t nf = g->n_features, ng = g->n_groups, nm = n_rows * ng;
    float *x = malloc((n_rows * nf != 0 ? n_rows * nf : 1) * sizeof *x);   /* exact size: ASan sees overreads */
    for (size_t i = 0; i < n_rows * nf; i++) x[i] = random_cell(g, rng);
    float *m[3];
    for (int k = 0; k < 3; k++) m[k] = malloc((nm + SENTINELS) * sizeof *m[k]);
    for (size_t i = 0; i < nm; i++) m[0][i] = m[1][i] = m[2][i] = (float)lp_test_uniform(rng, -1, 1);
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < SENTINELS; i++) memcpy(&m[k][nm + i], &sentinel_bits, 4);
    lp_kern_forest_add_ref(&g->f, x, n_rows, nf, m[0], ng);
    lp_kern_forest_add_nodes(&g->f, x, n_rows, nf, m[1], ng);
    int ok = LP_CHECK(lp__forest_pack(&g->f, nf), "%s: lp__forest_pack ran out of memory", what);
    /* Every tree without categorical splits and at most 8 deep fits the
     * layout, however sparse (deeper sparse ones may be left to the node walk). */
    size_t plain = 0;
    for (size_t t = 0; t < g->f.n_trees; t++) plain += !g->f.tree_has_cat[t] && g->f.tree_depth[t] <= 8;
    if (ok && !g->too_many_cuts) ok = LP_CHECK(lp__forest_packed_trees(&g->f) >= plain, "%s: %zu of %zu trees packed, want >= %zu",
                          what, lp__forest_packed_trees(&g->f), g->f.n_trees, plain);
    if (ok) lp_kern_forest_add_packed(&g->f, x, n_rows, nf, m[2], ng);
    ok = ok && same_margins(g, m[0], m[1], n_rows, "node", what);
    ok = ok && same_margins(g, m[0], m[2], n_rows, "packed", what);
    free(x);
    for (int k = 0; k < 3; k++) free(m[k]);
    return ok;
}

LP_TEST(which_kernel_runs)
{
#if defined(LP_SIMD128)
    LP_CHECK((void (*)(void))lp_kern_forest_add_nodes != (void (*)(void))lp_kern_forest_add_ref,
             "built with LP_SIMD128 but lp_kern_forest_add_nodes is the reference");
#else
    lp_test_skip("native build: lp_kern_forest_add_nodes is the reference; the SIMD kernel runs in make test-c-wasm");
#endif
}

LP_TEST(packed_matches_reference_across_blocks)
{
    /* Enough rows for several blocks of the packed kernel, deep and shallow trees. */
    lp_test_rng rng = {24};
    for (int iter = 0; iter < 12; iter++) {
        gen g;
        if (make_forest(&g, &rng, iter % 2 ? 8 : 4, 0)) {
            char what[48];
            snprintf(what, sizeof what, "forest %d, many rows", iter);
            compare_kernels(&g, &rng, 200 + lp_test_below(&rng, 900), what);
        }
        free_forest(&g);
    }
}

LP_TEST(simd_matches_reference_random_forests)
{
    lp_test_rng rng = {21};
    int failures = 0;
    for (int iter = 0; iter < 600 && failures < 5; iter++) {
        gen g;
        if (!make_forest(&g, &rng, 8, 30)) {
            free_forest(&g);
            failures++;
            continue;
        }
        size_t n_rows = lp_test_below(&rng, 38);   /* 0..37: every tail of 1-3 rows */
        char what[48];
        snprintf(what, sizeof what, "forest %d", iter);
        failures += !compare_kernels(&g, &rng, n_rows, what);
        free_forest(&g);
    }
}

/* n0 stumps on feature 0, each with its own threshold, interleaved with 50
 * stumps on feature 1 that share 5 thresholds; returns how many were packed
 * after checking the packed margins against the reference. */
static size_t stumps_packed(size_t n0, lp_test_rng *rng)
{
    size_t trees = n0 + 50, packed = 0;
    gen g;
    memset(&g, 0, sizeof g);
    g.n_features = 2;
    g.n_groups = 2;
    g.too_many_cuts = 1;
    for (int i = 0; i < 16; i++) g.pool[i] = (float)i * 0.25f - 2.0f;
    g.f.n_trees = trees;
    g.f.tree_root = calloc(trees, sizeof *g.f.tree_root);
    g.f.tree_group = calloc(trees, sizeof *g.f.tree_group);
    g.f.tree_depth = calloc(trees, 1);
    g.f.tree_has_cat = calloc(trees, 1);
    g.tree_end = calloc(trees, sizeof *g.tree_end);
    for (size_t t = 0, t0 = 0, ones = 0; t < trees; t++) {
        int on_one = t0 == n0 || (t % 7 == 3 && ones < 50);
        ones += on_one;
        uint32_t root = new_node(&g), left = new_node(&g), right = new_node(&g);
        lp__node *n = g.f.nodes;
        n[root].feature = on_one ? 1 | LP__NODE_DEFAULT_LEFT : 0;
        n[root].u.threshold = on_one ? g.pool[t % 5] : -3.0f + 0.02f * (float)t0++;
        n[root].left = (int32_t)left, n[root].right = (int32_t)right;
        n[left].left = n[left].right = (int32_t)left, n[left].u.leaf = 0.001f * (float)t;
        n[right].left = n[right].right = (int32_t)right, n[right].u.leaf = -0.002f * (float)t;
        g.f.tree_root[t] = root;
        g.f.tree_group[t] = (uint32_t)(t % 2);
        g.tree_end[t] = (uint32_t)g.f.n_nodes;
    }
    lp_error err;
    if (LP_CHECK_STATUS(lp__forest_check(&g.f, g.tree_end, 2, 2, &err), LP_OK, &err) &&
        compare_kernels(&g, rng, 77, "stumps"))
        packed = lp__forest_packed_trees(&g.f);
    free_forest(&g);
    return packed;
}

LP_TEST(packed_gathered_levels_match_reference)
{
    /* Dense trees 6 to 10 deep: below the vector levels (5), levels 5-7 take
     * the gathered bins when a row's slots fit a byte (at most 128
     * features), deeper levels the scalar walk; with 129 or more features
     * every level past the vector ones walks scalar.  Random cells include
     * missing values, exact thresholds and infinities; the row counts leave
     * partial groups of 16 and the few-rows path. */
    lp_test_rng rng = {26};
    static const size_t features[] = {3, 50, 128, 129, 140};
    for (size_t fi = 0; fi < sizeof features / sizeof *features; fi++)
        for (int iter = 0; iter < 6; iter++) {
            gen g;
            if (make_forest_of(&g, &rng, 6 + iter % 5, 0, features[fi], 1)) {
                char what[64];
                snprintf(what, sizeof what, "dense forest, %zu features, %d", features[fi], iter);
                size_t deep = 0;
                for (size_t t = 0; t < g.f.n_trees; t++) deep += g.f.tree_depth[t] > 5;
                if (compare_kernels(&g, &rng, 1 + lp_test_below(&rng, 200), what) && deep) {
#if defined(__wasm_simd128__) || defined(__SSE2__) || defined(__ARM_NEON)
                    size_t want = features[fi] <= 128 ? deep : 0;
#else
                    size_t want = 0;   /* no vector levels: nothing is gathered */
#endif
                    LP_CHECK(lp__forest_gathered_trees(&g.f) == want, "%s: %zu of %zu deep trees gathered, want %zu",
                             what, lp__forest_gathered_trees(&g.f), deep, want);
                }
            }
            free_forest(&g);
        }
}

LP_TEST(packed_pairs_of_groups_match_reference)
{
    /* Full groups of 16 rows go through a tree two at a time (vector and
     * gathered levels side by side) when the tree is at most 8 deep; the
     * rest of a block (an odd group, a partial one) one by one.  Row counts
     * around multiples of 32 and of the block (BLOCK_BYTES of bins: 163 rows
     * of 50 features), sparse and dense trees up to 8 deep, 1 to 4 margins a
     * row (group-major blocks), cells with missing values (default left and
     * right), exact thresholds and infinities; every forest fully packed. */
    lp_test_rng rng = {27};
    static const size_t rows[] = {32, 33, 47, 48, 64, 160, 163, 176, 326, 333};
    for (size_t ri = 0; ri < sizeof rows / sizeof *rows; ri++)
        for (int iter = 0; iter < 4; iter++) {
            gen g;
            if (make_forest_of(&g, &rng, 5 + iter % 4, 0, iter % 2 ? 50 : 1 + lp_test_below(&rng, 10), iter / 2)) {
                char what[64];
                snprintf(what, sizeof what, "pairs, %zu rows, forest %d", rows[ri], iter);
                if (compare_kernels(&g, &rng, rows[ri], what))
                    LP_CHECK(lp__forest_packed_trees(&g.f) == g.f.n_trees, "%s: %zu of %zu trees packed", what,
                             lp__forest_packed_trees(&g.f), g.f.n_trees);
            }
            free_forest(&g);
        }
}

LP_TEST(packed_few_rows_walk_trees_side_by_side)
{
    /* A batch of 1 to 5 rows, and a last group of 1 to 5 rows after full
     * groups, walks up to 8 consecutive packed trees side by side (trees of
     * different depths, up to 10; categorical trees between them walk the
     * nodes in their place), adding the leaves in tree order. */
    lp_test_rng rng = {28};
    for (int iter = 0; iter < 24; iter++) {
        gen g;
        if (make_forest_of(&g, &rng, 4 + iter % 7, iter % 3 ? 0 : 20, 1 + lp_test_below(&rng, 60), iter % 2)) {
            char what[64];
            snprintf(what, sizeof what, "few rows, forest %d", iter);
            size_t tail = 1 + (size_t)iter % 5;
            compare_kernels(&g, &rng, iter % 2 ? tail : 16 * (1 + (size_t)iter % 3) + tail, what);
        }
        free_forest(&g);
    }
}

LP_TEST(packed_few_rows_same_depth_and_many_cuts)
{
    /* Runs of 8 trees of one depth (1 to 10) take the few-rows walk whose
     * loop over the trees unrolls, on 16-bit node words when a slot fits a
     * byte (at most 128 features) and on the 32-bit ones otherwise; a run
     * broken by a shallower tree, and a forest's last trees, the general one.  Features with 1 to 255 distinct
     * cuts, around the 16-cut chunks' edges: every row bins with the
     * pivots and one 16-cut chunk (count_cuts_le; a group's 16 lanes'
     * pivots at once).  Batches of 1 to 5 rows, partial groups of 6 to 15,
     * full groups (single and in pairs), and tails of 1 to 5 after full
     * groups; cells hit thresholds exactly, ±0, infinities, missing. */
    lp_test_rng rng = {29};
    static const uint32_t pools[] = {16, 17, 40, 130, 255, 1, 15, 31, 32, 33, 241};
    static const size_t rows[] = {1, 2, 3, 4, 5, 6, 9, 15, 16, 17, 21, 32, 33, 37, 48};
    for (int iter = 0; iter < 66; iter++) {
        gen g;
        int depth = 1 + iter % 10;
        size_t n_trees = 8 + lp_test_below(&rng, 33), n_features = 1 + lp_test_below(&rng, iter % 2 ? 3 : 60);
        if (iter % 8 == 6) n_features = 129 + lp_test_below(&rng, 20);   /* slots past a byte: no half words */
        if (make_forest_same_depth(&g, &rng, n_trees, depth, n_features, pools[iter % 11], 0)) {
            char what[80];
            for (size_t ri = 0; ri < sizeof rows / sizeof *rows; ri++) {
                snprintf(what, sizeof what, "same depth %d, %zu trees, pool %u, %zu rows", depth, n_trees,
                         (unsigned)pools[iter % 11], rows[ri]);
                if (!compare_kernels(&g, &rng, rows[ri], what)) break;
            }
        }
        free_forest(&g);
    }
}

/* How many trees the packed layout should walk as lane runs: from the first
 * tree, every 16 consecutive trees of one depth of at least 6, all packed
 * (true of every tree up to 8 deep without categorical splits; deeper
 * sparse ones may walk the nodes: then this counts too many), in a vector
 * build whose rows' slots fit a byte (at most 128 features). */
static size_t lane_run_trees_wanted(const gen *g)
{
    size_t n = 0;
#if defined(__wasm_simd128__) || defined(__SSE2__) || defined(__ARM_NEON)
    for (size_t t = 0; g->n_features <= 128 && t + 16 <= g->f.n_trees;) {
        unsigned d = g->f.tree_depth[t];
        int fits = d >= 6;
        for (size_t k = 0; fits && k < 16; k++) fits = g->f.tree_depth[t + k] == d && !g->f.tree_has_cat[t + k];
        t += fits ? 16 : 1;
        n += fits ? 16 : 0;
    }
#else
    (void)g;   /* no vectors: no lane runs */
#endif
    return n;
}

LP_TEST(packed_lane_runs_match_reference)
{
    /* One to five rows (a batch, or a tail after full groups) walk runs of
     * 16 trees of one depth (6 to 10) with the trees as vector lanes for
     * their first 4 or 5 levels, then scalar; trees between runs (a
     * forest's last ones, a run broken by a shallower tree)
     * walk as before, in their places in the tree order.  Features with 1
     * to 255 cuts (in the pool), cells missing (default left and right), exact
     * thresholds, infinities; 128 features (the most whose slots fit a
     * byte) and 129 (no lane runs). */
    lp_test_rng rng = {30};
    static const uint32_t pools[] = {1, 16, 40, 255};
    static const size_t rows[] = {1, 2, 3, 4, 5, 17, 21, 37};
    for (int iter = 0; iter < 30; iter++) {
        gen g;
        int depth = 6 + iter % 5;
        size_t n_trees = 16 * (1 + lp_test_below(&rng, 3)) + (iter % 3 ? lp_test_below(&rng, 16) : 0);
        size_t n_features = iter % 6 == 4 ? 128 : iter % 6 == 5 ? 129 : 1 + lp_test_below(&rng, 60);
        /* every 4th forest: a shallower tree every 23 (from tree 5) breaks runs */
        if (make_forest_same_depth(&g, &rng, n_trees, depth, n_features, pools[iter % 4], iter % 4 == 3 ? 23 : 0)) {
            char what[80];
            for (size_t ri = 0; ri < sizeof rows / sizeof *rows; ri++) {
                snprintf(what, sizeof what, "lane runs, depth %d, %zu trees, %zu features, %zu rows", depth,
                         g.f.n_trees, n_features, rows[ri]);
                if (!compare_kernels(&g, &rng, rows[ri], what)) break;
            }
            size_t got = lp__forest_lane_run_trees(&g.f), want = lane_run_trees_wanted(&g);
            LP_CHECK(depth <= 8 ? got == want : got <= want, "%s: %zu trees in lane runs, want %s%zu", what, got,
                     depth <= 8 ? "" : "at most ", want);
        }
        free_forest(&g);
    }
}

LP_TEST(packed_holds_255_cuts_per_feature_and_leaves_more_to_the_node_walk)
{
    lp_test_rng rng = {25};
    LP_CHECK_EQ_INT(stumps_packed(255, &rng), 255 + 50);   /* bins 0..255: one byte */
    LP_CHECK_EQ_INT(stumps_packed(256, &rng), 50);         /* feature 0's trees walk nodes */
    LP_CHECK_EQ_INT(stumps_packed(300, &rng), 50);
}

LP_TEST(simd_matches_reference_every_row_count)
{
    lp_test_rng rng = {22};
    for (int iter = 0; iter < 40; iter++) {
        gen g;
        if (!make_forest(&g, &rng, 6, iter % 2 ? 50 : 0)) {
            free_forest(&g);
            continue;
        }
        for (size_t n = 0; n <= 13; n++) {
            char what[48];
            snprintf(what, sizeof what, "forest %d, %zu rows", iter, n);
            if (!compare_kernels(&g, &rng, n, what)) break;
        }
        free_forest(&g);
    }
}

LP_TEST(simd_matches_reference_edge_forests)
{
    lp_test_rng rng = {23};
    /* Only leaves (depth 0), only deep trees, only categorical trees. */
    static const struct { int depth, cat; } shapes[] = {{0, 0}, {8, 0}, {8, 100}, {3, 100}, {1, 0}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int iter = 0; iter < 60; iter++) {
            gen g;
            if (make_forest(&g, &rng, shapes[s].depth, shapes[s].cat)) {
                char what[64];
                snprintf(what, sizeof what, "shape %zu forest %d", s, iter);
                compare_kernels(&g, &rng, 4 * (1 + lp_test_below(&rng, 6)) + lp_test_below(&rng, 4), what);
            }
            free_forest(&g);
        }
}

LP_TEST(reference_walks_a_hand_built_tree)
{
    /* x0 < 1 ? leaf 10 : (x1 in {2} ? leaf 30 : leaf 20); missing x0 -> right,
     * missing x1 -> left. */
    lp__node nodes[5];
    memset(nodes, 0, sizeof nodes);
    nodes[0] = (lp__node){{.threshold = 1.0f}, 0, 1, 2};
    nodes[1] = (lp__node){{.leaf = 10.0f}, 0, 1, 1};
    nodes[2] = (lp__node){{.cat_set = 0}, 1 | LP__NODE_CATEGORICAL | LP__NODE_DEFAULT_LEFT, 3, 4};
    nodes[3] = (lp__node){{.leaf = 20.0f}, 0, 3, 3};
    nodes[4] = (lp__node){{.leaf = 30.0f}, 0, 4, 4};
    uint32_t root = 0, group = 0, end = 5, off = 0, nw = 1, words = 1u << 2;
    uint8_t depth = 0, has_cat = 0;
    lp__forest f = {1, 5, nodes, &root, &group, &depth, &has_cat, 1, 1, &off, &nw, &words, NULL};
    lp_error err;
    /* lp__forest_check frees nothing; it only fills depth and has_cat. */
    if (!LP_CHECK_STATUS(lp__forest_check(&f, &end, 2, 1, &err), LP_OK, &err)) return;
    LP_CHECK_EQ_INT(depth, 2);
    LP_CHECK_EQ_INT(has_cat, 1);
    static const float rows[][3] = {
        {0, 2, 10}, {1, 2, 30}, {1, 3, 20}, {NAN, 2, 30}, {5, NAN, 20}, {5, 2.9f, 30}, {5, -2, 20}, {5, 64, 20},
    };
    size_t n = sizeof rows / sizeof *rows;
    float x[2 * (sizeof rows / sizeof *rows)], m_ref[sizeof rows / sizeof *rows], m_kern[sizeof rows / sizeof *rows];
    for (size_t r = 0; r < n; r++) x[2 * r] = rows[r][0], x[2 * r + 1] = rows[r][1], m_ref[r] = m_kern[r] = 0.5f;
    lp_kern_forest_add_ref(&f, x, n, 2, m_ref, 1);
    lp_kern_forest_add_nodes(&f, x, n, 2, m_kern, 1);
    for (size_t r = 0; r < n; r++) {
        LP_CHECK(m_ref[r] == rows[r][2] + 0.5f, "row (%g, %g): ref %g, want %g", rows[r][0], rows[r][1], m_ref[r],
                 rows[r][2] + 0.5f);
        LP_CHECK(m_kern[r] == m_ref[r], "row %zu: kernel %g, ref %g", r, m_kern[r], m_ref[r]);
    }
}

/* Bit for bit, except that any NaN matches any NaN (a NaN's payload
 * and sign depend on which operand the hardware passed on). */
static int same_floats(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(isnan(a[i]) && isnan(b[i])) && memcmp(&a[i], &b[i], sizeof *a) != 0) return 0;
    return 1;
}

/* ---- dense ---- */

/* lp_kern_gemm (SIMD in WASM, gemm_vec.c natively) against the reference, bit for bit, for every
 * row tail (n % 4) and column tail (m % 8), with and without a bias and a
 * fused Relu; and the reference against a sum written out here. */
LP_TEST(gemm_matches_reference)
{
    lp_test_rng rng = {31};
    for (int iter = 0; iter < 300; iter++) {
        size_t n = lp_test_below(&rng, 11), k = 1 + lp_test_below(&rng, 40), m = 1 + lp_test_below(&rng, 21);
        float *a = malloc((n * k + 1) * sizeof *a), *b = malloc(k * m * sizeof *b), *bias = malloc(m * sizeof *bias);
        float *c1 = malloc((n * m + 1) * sizeof *c1), *c2 = malloc((n * m + 1) * sizeof *c2);
        for (size_t i = 0; i < n * k; i++) a[i] = (float)lp_test_uniform(&rng, -3, 3);
        for (size_t i = 0; i < k * m; i++) b[i] = (float)lp_test_uniform(&rng, -1, 1);
        for (size_t i = 0; i < m; i++) bias[i] = (float)lp_test_uniform(&rng, -1, 1);
        const float *use_bias = iter % 2 ? bias : NULL;
        int relu = iter % 3 == 0;
        if (relu && n * k > 0) a[0] = NAN;   /* Relu keeps NaN, as torch's and onnxruntime's Relu */
        lp_kern_gemm(a, b, use_bias, c1, n, k, m, relu);
        lp_kern_gemm_ref(a, b, use_bias, c2, n, k, m, relu);
        if (!LP_CHECK(same_floats(c1, c2, n * m), "gemm n=%zu k=%zu m=%zu bias=%d relu=%d: the vector kernel differs",
                      n, k, m, iter % 2, relu))
            iter = 1 << 20;
        for (size_t j = 0; relu && n * k > 0 && j < m; j++)
            if (!LP_CHECK(isnan(c2[j]), "gemm relu: column %zu of a row holding a NaN is %g, not NaN", j, c2[j])) break;
        for (size_t i = 0; i < n && iter < (1 << 20); i++)
            for (size_t j = 0; j < m; j++) {
                float acc = 0;
                for (size_t q = 0; q < k; q++) acc = acc + a[i * k + q] * b[q * m + j];
                if (use_bias) acc = acc + bias[j];
                if (relu) acc = acc < 0 ? 0.0f : acc;
                if (!LP_CHECK(same_floats(&c2[i * m + j], &acc, 1), "reference gemm (%zu, %zu)", i, j)) i = n;
            }
        free(a);
        free(b);
        free(bias);
        free(c1);
        free(c2);
    }
}

/* The small-batch shapes (1-9 rows: the 1×32 and 2×16 blocks and their
 * remainders) for column counts around every block width, bit for bit
 * against the reference; B is allocated to its exact size (ASan catches a
 * read past a row's last columns) and nothing is written past the output. */
LP_TEST(gemm_small_batches_match_reference)
{
    static const size_t widths[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 40, 47, 48, 63, 64, 65, 71, 99};
    lp_test_rng rng = {47};
    for (size_t n = 1; n <= 9; n++)
        for (size_t w = 0; w < sizeof widths / sizeof *widths; w++) {
            size_t m = widths[w], k = 1 + lp_test_below(&rng, 70);
            float *a = malloc(n * k * sizeof *a), *b = malloc(k * m * sizeof *b), *bias = malloc(m * sizeof *bias);
            float *c1 = malloc((n * m + 4) * sizeof *c1), *c2 = malloc(n * m * sizeof *c2);
            for (size_t i = 0; i < n * k; i++) a[i] = (float)lp_test_uniform(&rng, -3, 3);
            for (size_t i = 0; i < k * m; i++) b[i] = (float)lp_test_uniform(&rng, -1, 1);
            for (size_t i = 0; i < m; i++) bias[i] = (float)lp_test_uniform(&rng, -1, 1);
            for (size_t i = 0; i < 4; i++) c1[n * m + i] = 12345.0f;
            const float *use_bias = (n + w) % 2 ? bias : NULL;
            int relu = (n + w) % 3 == 0;
            lp_kern_gemm(a, b, use_bias, c1, n, k, m, relu);
            lp_kern_gemm_ref(a, b, use_bias, c2, n, k, m, relu);
            int same = memcmp(c1, c2, n * m * sizeof *c1) == 0;
            int kept = c1[n * m] == 12345.0f && c1[n * m + 3] == 12345.0f;
            LP_CHECK(same && kept, "gemm n=%zu k=%zu m=%zu bias=%d: %s", n, k, m, use_bias != NULL,
                     same ? "wrote past the output" : "the vector kernel differs");
            free(a);
            free(b);
            free(bias);
            free(c1);
            free(c2);
            if (!same || !kept) return;
        }
}

/* ---- float activations ---- */

/* Distance in float ulps between y and the double reference. */
static double ulps(float y, double ref)
{
    float r = (float)ref;
    if (r == 0.0f) return y == 0.0f ? 0 : 1e9;
    float up = nextafterf(fabsf(r), INFINITY);
    return fabs((double)y - ref) / ((double)up - (double)fabsf(r));
}

/* lp__expf against libm's double exp: within 2 ulps wherever the result is
 * a normal float, 0 below, +inf above, NaN kept. */
LP_TEST(expf_is_within_two_ulps_of_double_exp)
{
    double worst = 0;
    for (int i = 0; i <= 400000; i++) {
        float x = (float)(-87.33 + (88.72 + 87.33) * i / 400000.0);
        double u = ulps(lp__expf(x), exp((double)x));
        if (u > worst) worst = u;
    }
    lp_test_rng rng = {5};
    for (int i = 0; i < 100000; i++) {   /* small arguments, where the result's ulp is fine */
        float x = (float)lp_test_uniform(&rng, -1, 1) * (float)pow(2.0, -(double)lp_test_below(&rng, 30));
        double u = ulps(lp__expf(x), exp((double)x));
        if (u > worst) worst = u;
    }
    LP_CHECK(worst <= 2.0, "lp__expf is %g ulps from exp", worst);
    LP_CHECK(lp__expf(0.0f) == 1.0f, "exp(0) = %g", lp__expf(0.0f));
    LP_CHECK(lp__expf(-88.0f) == 0.0f && lp__expf(-1e30f) == 0.0f && lp__expf(-INFINITY) == 0.0f, "below FLT_MIN");
    LP_CHECK(lp__expf(89.0f) == INFINITY && lp__expf(INFINITY) == INFINITY, "overflow");
    LP_CHECK(isnan(lp__expf(NAN)), "NaN");
    LP_CHECK(ulps(lp__expf(88.7f), exp((double)88.7f)) <= 2.0, "exp(88.7) = %g", lp__expf(88.7f));   /* k = 128 */
}

/* lp__erff against libm's double erf: within 2e-7 absolute everywhere, 4
 * ulps relative below 1 (where GELU's small values need it). */
LP_TEST(erff_is_close_to_double_erf)
{
    double worst_abs = 0, worst_ulps = 0;
    for (int i = -600000; i <= 600000; i++) {
        float x = (float)(i / 100000.0);
        float y = lp__erff(x);
        double ref = erf((double)x), d = fabs((double)y - ref);
        if (d > worst_abs) worst_abs = d;
        if (fabsf(x) < 1.0f && x != 0.0f && ulps(y, ref) > worst_ulps) worst_ulps = ulps(y, ref);
    }
    for (int e = 1; e < 120; e++) {   /* tiny arguments: erf(x) ~ 2x / sqrt(pi) */
        float x = (float)pow(2.0, -e);
        double u = ulps(lp__erff(x), erf((double)x));
        if (u > worst_ulps) worst_ulps = u;
    }
    LP_CHECK(worst_abs <= 2e-7, "lp__erff is %g from erf", worst_abs);
    LP_CHECK(worst_ulps <= 4.0, "lp__erff is %g ulps from erf below 1", worst_ulps);
    LP_CHECK(lp__erff(INFINITY) == 1.0f && lp__erff(-INFINITY) == -1.0f && lp__erff(10.0f) == 1.0f, "tails");
    LP_CHECK(lp__erff(0.0f) == 0.0f && signbit(lp__erff(-0.0f)), "zeros");
    LP_CHECK(isnan(lp__erff(NAN)), "NaN");
}

/* lp_kern_softmax and lp_kern_erf (wasm SIMD under make test-c-wasm)
 * against their references, bit for bit, for every tail length, with
 * attention-mask values and special floats; and the softmax against one in
 * double. */
LP_TEST(activation_kernels_match_reference)
{
    lp_test_rng rng = {77};
    static const float specials[] = {0.0f, -0.0f, 1.0f, -1.0f, 0.99999994f, 4.0f, 3.9999998f, -4.0f, 0.5f,
                                     INFINITY, -INFINITY, NAN, 1e-30f, -87.5f, 88.7f, -10000.0f};
    for (int iter = 0; iter < 400; iter++) {
        size_t n = 1 + lp_test_below(&rng, 40);
        float z[40], p1[40], p2[40], e1[40], e2[40];
        for (size_t i = 0; i < n; i++) {
            z[i] = (float)lp_test_uniform(&rng, -8, 8);
            if (iter % 3 == 1 && lp_test_below(&rng, 4) == 0) z[i] = -3.4028235e38f;   /* a masked position */
            if (iter % 3 == 2 && lp_test_below(&rng, 4) == 0)
                z[i] = specials[lp_test_below(&rng, sizeof specials / sizeof *specials)];
        }
        lp_kern_erf(z, e1, n);
        lp_kern_erf_ref(z, e2, n);
        if (!LP_CHECK(same_floats(e1, e2, n), "erf n=%zu: the kernel differs from the reference", n)) break;
        lp_kern_softmax(z, n, p1);
        lp_kern_softmax_ref(z, n, p2);
        if (!LP_CHECK(same_floats(p1, p2, n), "softmax n=%zu: the kernel differs from the reference", n))
            break;
        if (iter % 3 == 2) continue;   /* specials: NaN and infinities, no accuracy to check */
        double top = z[0], sum = 0;
        for (size_t i = 1; i < n; i++) top = z[i] > top ? z[i] : top;
        for (size_t i = 0; i < n; i++) sum += exp((double)z[i] - top);
        for (size_t i = 0; i < n; i++) {
            double want = exp((double)z[i] - top) / sum;
            if (!LP_CHECK(fabs(p2[i] - want) <= 1e-6 * want + 1e-30, "softmax n=%zu [%zu]: %.9g, want %.9g", n, i,
                          p2[i], want))
                iter = 1 << 20, i = n;
        }
    }
}

/* lp_kern_layer_norm (wasm SIMD under make test-c-wasm) against its
 * reference bit for bit, every tail length, with and without a bias; and the
 * reference against LayerNormalization computed in double. */
LP_TEST(layer_norm_kernel_matches_reference)
{
    lp_test_rng rng = {91};
    for (int iter = 0; iter < 300; iter++) {
        size_t n = 1 + lp_test_below(&rng, 70);
        float x[70], scale[70], bias[70], y1[70], y2[70];
        float offset = (float)lp_test_uniform(&rng, -20, 20);   /* a mean far from 0 */
        for (size_t i = 0; i < n; i++) {
            x[i] = offset + (float)lp_test_uniform(&rng, -3, 3);
            scale[i] = (float)lp_test_uniform(&rng, 0.5, 2);
            bias[i] = (float)lp_test_uniform(&rng, -1, 1);
        }
        const float *b = iter % 2 ? bias : NULL;
        lp_kern_layer_norm(x, scale, b, n, 1e-5f, y1);
        lp_kern_layer_norm_ref(x, scale, b, n, 1e-5f, y2);
        if (!LP_CHECK(memcmp(y1, y2, n * sizeof *y1) == 0, "layer norm n=%zu: the kernel differs from the reference", n))
            break;
        double mean = 0, var = 0;
        for (size_t i = 0; i < n; i++) mean += x[i];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) var += (x[i] - mean) * (x[i] - mean);
        double inv = 1.0 / sqrt(var / (double)n + 1e-5);
        for (size_t i = 0; i < n; i++) {
            double want = (x[i] - mean) * inv * scale[i] + (b ? b[i] : 0);
            if (!LP_CHECK(fabs(y2[i] - want) <= 2e-5, "layer norm n=%zu [%zu]: %.9g, want %.9g", n, i, y2[i], want))
                iter = 1 << 20, i = n;
        }
    }
}

void test_kernels(void)
{
    LP_RUN(layer_norm_kernel_matches_reference);
    LP_RUN(expf_is_within_two_ulps_of_double_exp);
    LP_RUN(erff_is_close_to_double_erf);
    LP_RUN(activation_kernels_match_reference);
    LP_RUN(which_kernel_runs);
    LP_RUN(simd_matches_reference_random_forests);
    LP_RUN(packed_matches_reference_across_blocks);
    LP_RUN(packed_gathered_levels_match_reference);
    LP_RUN(packed_pairs_of_groups_match_reference);
    LP_RUN(packed_few_rows_walk_trees_side_by_side);
    LP_RUN(packed_few_rows_same_depth_and_many_cuts);
    LP_RUN(packed_lane_runs_match_reference);
    LP_RUN(packed_holds_255_cuts_per_feature_and_leaves_more_to_the_node_walk);
    LP_RUN(simd_matches_reference_every_row_count);
    LP_RUN(simd_matches_reference_edge_forests);
    LP_RUN(reference_walks_a_hand_built_tree);
    LP_RUN(gemm_matches_reference);
    LP_RUN(gemm_small_batches_match_reference);
}
