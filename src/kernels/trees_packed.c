/* trees_packed.c — the fast tree-ensemble kernel and the layout it walks.
 *
 * Layout, built once at load (lp__forest_pack):
 *  - Thresholds quantised per feature.  The distinct thresholds of feature f,
 *    sorted, are its cuts; a value's bin is the number of cuts <= it.  For a
 *    split on the k-th cut, x < cut[k] <=> bin(x) <= k, exactly, for every
 *    float32 including ±0 and ±inf.  So a row is binned once (per feature,
 *    count_cuts_le: two steps of vector compares) and the trees compare
 *    small integers.
 *    Bins are stored as int8 minus 128 (so a feature may have up to 255
 *    cuts) and compared signed: go right iff bin - 128 > k - 128.
 *  - Missing values: each feature has two bin slots, one where NaN counts as
 *    the top bin (right at every split) and one where it counts as the
 *    bottom bin (left at every split).  A node reads the slot of its default
 *    direction, so NaN needs no test in the walk.
 *  - Each packable tree is stored complete to its depth d, in breadth-first
 *    order: 2^d - 1 node words (slot * LANES in the low 24 bits, k - 128 as
 *    int8 in the top byte), then 2^d leaf values.  A leaf above the last level is
 *    copied to all its descendants' leaves (the nodes below it test
 *    anything: every way leads to the same value), so every row takes
 *    exactly d steps with no branch: node i -> 2i + 1 + (bin > k).
 *  - Trees the layout cannot hold exactly (categorical splits, too deep or
 *    too sparse to pad: deeper than 8 and more than quadrupled; features
 *    with more than MAX_CUTS cuts) keep the
 *    general node walk of trees_scalar.c, tree by tree, in their place in the
 *    tree order.
 *
 * Walk: rows go in groups of LANES; the bins of a group are stored slot-major
 * (16 rows of a slot side by side), so the first VECTOR_LEVELS levels of a
 * tree are evaluated for all 16 rows at once: at each level every lane picks
 * the bins of its own node (every node's 16 bins loaded, narrowed down by a
 * tree of selects keyed on the lanes' earlier decisions), looks its node's k
 * up in the tree's table of k (a byte shuffle: `ktab`), and compares once.  Levels VECTOR_LEVELS to
 * GATHER_LEVELS_END - 1 (5-7) are "gathered" when a slot fits a byte: each
 * lane's k and slot come from the level's byte tables (`deep`, several
 * 16-byte shuffles OR-ed), then each lane's bin is loaded into its lane
 * (cheaper than masking 32 to 128 nodes, and than 16 scalar steps).  The
 * remaining levels take a scalar walk per lane.  At the leaves, 16
 * consecutive margins (one margin a row, or a block held group-major) get
 * their leaves added as four float vectors.  Full groups go through a tree
 * two at a time, level by level side by side, so that the two walks' chains
 * of dependent steps overlap.  Blocks of several groups go
 * through one tree at a time, so a tree is read from memory once per block.
 * Fewer than FEW_LANES rows (a batch of 1 to 5, or a block's last group of
 * that many) would waste most of a group's lanes: each of them walks
 * FEW_TREES consecutive trees side by side instead, scalar, so that the
 * trees' chains of dependent loads (node word, then bin; the trees come
 * from L2, read once per call) overlap: ~2x the rows/s of one tree at a
 * time at batch 1 in WASM.  A run of FEW_TREES trees of one depth (the
 * usual case) takes walk_few_half: the loop over the trees has a constant
 * count (it unrolls: with a variable count the positions lived in memory,
 * each step waiting on a store), one base pointer serves all eight trees
 * (positions are indices from it, the step's constants immediates: the
 * depth is a constant per case), and with slots that fit a byte the nodes
 * come from a 16-bit copy (`half`: slot, k; half the bytes of a path; the
 * leaves stay in `words`) and the bins from a row-by-row copy (no lane
 * stride).  Few rows are binned with count_cuts_le (two dependent steps of
 * 16 vector compares a feature, against the pivots then one chunk, instead
 * of a binary search of up to eight), for their own lanes only.  Measured
 * interleaved against the previous build (trees_vs_ort.mjs, medians of 11-21
 * rounds, rows per CPU second, load average 5-8): batch 1 about 1.2-1.3x
 * (W1, W2), batch 4 about 1.2-1.3x; the unrolled run alone ~1.15x, the
 * pivot binning ~1.05x (its share of a batch-1 call fell from 12 % to 5 %
 * of a V8 profile), the 16-bit copy ~1.0x on W1 (its trees sit in L2) and
 * ~1.1x on W2 (depth 8) (steps measured one at a time, single runs, noisy).
 * Tried and not kept: 16 trees a run instead of 8 (no faster at batch 1,
 * +30 KB of wasm); loading both children's half words before a node's
 * decision, so the node load leaves the chain (W1 ~1.15x natively, W2
 * ~0.85x, and both 10-20 % slower in V8: more instructions a step, and V8's
 * walk is bound by its instructions more than by the loads' latency).
 * Tried without a measurable gain in WASM (V8,
 * interleaved against the previous build; ±8 % noise on a shared machine):
 * a gathered level's bins as four 4-lane chains OR-ed, its table lookups
 * OR-ed as a tree, lane offsets read back through memory instead of lane
 * extracts, 3 or 4 groups side by side instead of PAIR, 16 or 32 trees
 * side by side for few rows (slower: spills), touching the next trees'
 * first levels early (wasm has no prefetch).  Nor (trees5 session; details
 * in tests/bench/README.md): a gathered level's k and slot loaded per lane
 * from its table instead of swizzled, one group at a time instead of PAIR,
 * four vector levels, 4 or 6 trees side by side for few rows, and the
 * few-rows walk's positions as addresses.
 * Lane runs (trees6 session): for fewer than FEW_LANES rows, each run of
 * LANE_RUN_TREES = 16 consecutive trees of one depth >= 6 (with half words)
 * is walked for one row with the trees as the 16 lanes of a vector for
 * its first levels (5 at depth 6, else 4: lane_run_levels_of), then as two
 * runs of 8 with walk_few_half from the node each lane reached.  A lane
 * level loads every node's 16 slots and 16 k (level-major tables,
 * `lane_runs`), narrows them to each lane's node with a tree of selects
 * keyed on its earlier decisions (as the vector levels do for rows), and
 * looks each lane's bin up in the row's bytes with a swizzle per 16 slots:
 * no load waits on a decision, so the scalar chains of dependent loads
 * (node word, then bin) are 4-5 levels shorter, and the vector levels cost
 * fewer instructions than 16 trees' scalar steps.  Measured interleaved
 * against main's build (medians of 7 rounds, rows per CPU second, load
 * average 9-12): W1 batch 1 1.52x (1.48-1.65), batch 4 1.28x; W2 batch 1
 * 1.31x (1.27-1.44), batch 4 1.16x; batch 8 and 4096 unchanged
 * (0.98-1.02x).  3 lane levels gave W1 1.06-1.09x, W2 1.19x; 4 levels
 * W1 1.25x, W2 1.22x; 5 levels W1 1.38x, W2 1.09x.  The few rows with lane
 * runs take add_trees_few, which calls add_trees for the trees between
 * runs: with the lane code inside add_trees (or add_trees without its
 * few-rows part), V8's code for the full groups' walk, from the same C,
 * ran 0.86-0.96x as fast at batches 8 to 4096 (not the heap layout: main
 * with a dummy allocation of the lane tables' size ran 0.94-1.03x).
 * Tried and not kept (trees6): a per-row decision table for the few-rows
 * walk: each half word the index of its (slot, k) in a table the row fills
 * first with 2 or 4 (left or right), so a step is two loads and two adds,
 * 2 a + table[half word], instead of about eleven operations; no faster
 * (W1 batch 1 0.94x, W2 1.04x; batch 2-4 0.73-0.88x, a table of ~19-24 KB
 * per row to fill, ~11 % of a call, and table loads missing L1): the walk
 * is bound by its chains of dependent loads as much as by its instructions.
 * Batch 4096 against our native build (trees7 session; numbers in
 * tests/bench/README.md): binning now runs ~1.0x native per row in V8, the
 * walk ~0.78x (W2) and ~0.69x (W1).  V8's walk is bound by its vector
 * instructions, not its scalar ones: a bitwise select is three (vpand,
 * vpandn, vpor; gcc: one vpblendmb or pblendvb), and timing a select of two
 * (wrong results, same branch-free paths) ran W1 1.07x, W2 1.05x, while
 * cutting scalar work did nothing.  Tried and not kept (interleaved against
 * main's build, medians of 9-21 rounds): the block's bins at a fixed
 * address (block_bins) and a gathered level's lane offsets as two 16-bit
 * vectors, so a lane is pextrw, add, pinsrb instead of pextrb, shl, lea,
 * pinsrb (W1 0.99-1.00x, W2 0.95-1.04x); add_leaves16 on four 32-bit offset
 * vectors with load32_lane (V8 adds a mov a lane; leaves' share of the
 * profile rose from 13 to 18 %: W1 0.99x, W2 0.94-0.96x); a gathered
 * level's table indices as a chain of subtractions of one vector instead of
 * one constant per table (0.99x); four vector levels, gathered from level 4
 * (WASM 1.02x / 0.97x; the native build's W1 0.81x); a gathered level's
 * bins assembled in two 64-bit scalars, then two lane inserts (WASM 1.03x /
 * 1.01x; native W1 0.71x, W2 0.56x).  select16 as i8x16.relaxed_laneselect
 * (one vpblendvb; exact, the masks come from compares) in a -mrelaxed-simd
 * build under Node's --experimental-wasm-relaxed-simd: W1 1.13x, W2 1.08x,
 * 0.82x / 0.85x of native: it ships as its own build, next.
 * Relaxed SIMD (relaxed session): built with -mrelaxed-simd
 * (localpredict-relaxed.wasm), select16 is i8x16.relaxed_laneselect, one
 * vpblendvb in V8 instead of bitselect's three instructions, exact as every
 * mask lane is all ones or all zeros.  Interleaved against the plain SIMD
 * build in Node 20 with --experimental-wasm-relaxed-simd (15 rounds, rows
 * per CPU second): W1 1.12x at batch 1, 1.13x at 64, 1.12x at 4096; W2
 * 1.04x, 1.08x, 1.08x; at 4096 0.84x (W1) and 0.86x (W2) of our native
 * build, where the plain build reads 0.75x / 0.79x (tests/bench/README.md).
 * lookup16 as i8x16.relaxed_swizzle too (session 11: V8's plain swizzle adds
 * a vpaddusb before each pshufb to zero indices >= 16, which lookup16 never
 * has; lookup16_or_zero relies on the zeroing and stays plain): against the
 * laneselect-only relaxed build, 15 rounds, rows per CPU second, load 6-8:
 * W1 1.01x / 1.10x / 1.09x at batch 1 / 64 / 4096, W2 1.02x / 1.04x / 1.02x.
 * Every row still adds its trees' leaves in tree order, as the reference
 * does, so the margins are bit-identical to lp_kern_forest_add_ref.
 *
 * The vector part uses GCC/Clang vector extensions, so the same source is
 * wasm SIMD under -msimd128, SSE/AVX natively, and plain scalar code in the
 * non-SIMD wasm build (which then skips it: LP_PACKED_VECTORS is off).
 */
#include "kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__clang__)
#define NO_VECTORIZE _Pragma("clang loop vectorize(disable) interleave(disable)")
#define UNROLL _Pragma("clang loop unroll(full)")
#define UNROLL_CLANG UNROLL
#elif defined(__GNUC__)
#define NO_VECTORIZE
#define UNROLL _Pragma("GCC unroll 32")
#define UNROLL_CLANG
#else
#define NO_VECTORIZE
#define UNROLL
#define UNROLL_CLANG
#endif

#if defined(__wasm_simd128__) || defined(__SSE2__) || defined(__ARM_NEON)
#define LP_PACKED_VECTORS 1
#else
#define LP_PACKED_VECTORS 0
#endif

#ifndef VECTOR_LEVELS
#define VECTOR_LEVELS 5      /* tree levels done with vector compares */
#endif
_Static_assert(VECTOR_LEVELS <= 6, "vector_levels looks k up in tables of at most 32 nodes a level");
#ifndef BLOCK_BYTES
#define BLOCK_BYTES 16384    /* bins of one block of groups: stays in L1 */
#endif
#ifndef GATHER_LEVELS_END
#define GATHER_LEVELS_END 8  /* levels VECTOR_LEVELS.. below this: gathered bins */
#endif
_Static_assert(GATHER_LEVELS_END <= 8, "a gathered level's node position must fit int8 (< 128)");
_Static_assert(VECTOR_LEVELS >= 5 || GATHER_LEVELS_END <= VECTOR_LEVELS, "the gathered levels start at level 5");
enum {
    GROUP_MAJOR_FLOATS = 4096,   /* a block's margins copied group-major, at most */
    LANES = 16,              /* rows per group: one int8 vector */
    FEW_LANES = 6,           /* fewer rows (a batch, a block's last group) walk one by one... */
    FEW_TREES = 8,           /* ...each through this many trees side by side (add_packed_trees_few) */
    PAIR = 2,                /* full groups walked side by side (add_packed_tree_pair) */
    MAX_DEPTH = 10,          /* deeper trees keep the general walk */
    PAD_ANY_DEPTH = 8,       /* trees this shallow are packed however sparse */
    KTAB_BYTES = 1 << VECTOR_LEVELS,   /* k of the vector levels' nodes, and one spare */
    MAX_CUTS = 255,          /* bins 0..255 fit a byte */
    MAX_SLOTS = 65536,       /* slots are 16-bit */
    GATHER_MAX_SLOTS = 256,  /* gathered levels name a node's slot in a byte */
    DEEP_BYTES = 512,        /* a tree's gathered-level tables: k, then slot, by node */
    BIN_TOP = 127,           /* bin 255 - 128: right at every split */
    BIN_BOTTOM = -128,       /* bin 0 - 128: left at every split */
    SEARCH_PAD = 16,         /* NaN after each search list: a 16-entry chunk read past its end */
    HALF_MAX_SLOTS = 256,    /* half words name a node's slot in a byte */
    LANE_RUN_TREES = 16,     /* trees as the lanes of a vector for one row (add_lane_run)... */
    LANE_RUN_MIN_DEPTH = 6,  /* ...of this depth or deeper (shallower: add_packed_trees_few) */
    LANE_RUN_MAX_LEVELS = 5, /* their first levels done so: lane_run_levels_of(depth) */
    LANE_RUN_BYTES = 32 * ((1 << LANE_RUN_MAX_LEVELS) - 1)   /* per node: 16 slots, 16 k */
};

typedef struct packed_tree {
    uint32_t words;          /* offset of its node words (UINT32_MAX: general walk) */
    uint32_t deep;           /* offset of its DEEP_BYTES in deep (UINT32_MAX: none) */
    uint32_t half;           /* offset of its half words in half (UINT32_MAX: none) */
    uint8_t  depth;
} packed_tree;

struct lp__packed_forest {
    size_t      n_slots;     /* 2 * n_features: [0, F) NaN right, [F, 2F) NaN left */
    size_t      n_features;
    uint32_t   *cut_offset;  /* n_features + 1: feature f's cuts are cuts[cut_offset[f] ..] */
    float      *cuts;
    /* For binning (count_cuts_le): feature f's cuts again, padded with NaN
     * (which no value is >= of) to search_len[f] (a power of two; only the
     * build reads it), at search[search_offset[f]]. */
    uint32_t   *search_offset, *search_len;
    float      *search;
    /* Each list is followed by
     * SEARCH_PAD more NaN, and pivot[16 f + q] is entry 16 q + 15 of
     * feature f's list (NaN past it). */
    float      *pivot;
    packed_tree *trees;      /* n_trees */
    uint32_t   *words;
    /* Per packed tree, KTAB_BYTES: k - 128 of its first 2^VECTOR_LEVELS - 1 nodes (the vector
     * levels), so a level's thresholds are looked up for 16 lanes at once. */
    int8_t     *ktab;
    /* Per packed tree, KTAB_BYTES words: WORD_OFFSET of the same nodes (the
     * vector levels load every node's bins: no masking of the word there). */
    uint32_t   *voff;
    /* Per packed tree deeper than VECTOR_LEVELS when slots fit a byte:
     * k - 128 of node n at [n], its slot at [256 + n], for the nodes of
     * levels VECTOR_LEVELS .. GATHER_LEVELS_END - 1 (the gathered levels). */
    int8_t     *deep;
    /* Per packed tree when slots fit a byte: its 2^d - 1 node words again,
     * 16 bits each (slot low, k - 128 high), for the few-rows walk: half
     * the bytes of a path to read from memory.  Its leaves stay in words. */
    uint16_t   *half;
    /* Per lane run (LANE_RUN_TREES consecutive trees of one depth, at
     * least LANE_RUN_MIN_DEPTH, with half words), its first
     * LANE_RUN_MAX_LEVELS levels level-major:
     * for node j of those levels, the 16 trees' slots at [32 j], their
     * k - 128 at [32 j + 16]: a lane per tree. */
    int8_t     *lane_runs;
    /* Per tree: the offset of its lane run's tables in lane_runs if it is
     * the first tree of one, else UINT32_MAX.  (Not in packed_tree: at 20
     * bytes instead of 16 the full groups' walk ran 0.9x in V8.) */
    uint32_t   *lane_run_at;
    size_t      groups_per_block;   /* groups binned at once: BLOCK_BYTES of bins */
    size_t      n_packed;    /* trees in the layout (the rest walk generally) */
};

/* ---- building ---- */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Index of t among the n sorted distinct cuts (t is one of them). */
static int32_t cut_index(const float *cuts, size_t n, float t)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (cuts[mid] <= t) lo = mid;
        else hi = mid;
    }
    return (int32_t)lo;
}

/* Whether tree t fits the layout: no categorical split, not too deep, and
 * padding to a complete tree at most quadruples it (plus a small allowance)
 * or costs at most 2 KB (depth <= PAD_ANY_DEPTH): a sparse tree of depth 8
 * walked generally costs several packed ones, as its branches mispredict. */
static int tree_packable(const lp__forest *f, size_t t, size_t tree_nodes)
{
    unsigned d = f->tree_depth[t];
    if (f->tree_has_cat[t] || d > MAX_DEPTH) return 0;
    return d <= PAD_ANY_DEPTH || ((size_t)2 << d) <= 4 * tree_nodes + 64;
}

/* A node word: the byte offset of its slot's bins within a group (slot *
 * LANES) in the low 24 bits, k - 128 as int8 in the top byte.  Both come out
 * of the word with one operation each in the walk. */
static uint32_t node_word(uint32_t slot, int32_t k)
{
    return slot * LANES | (uint32_t)(uint8_t)(int8_t)(k - 128) << 24;
}
#define WORD_OFFSET(w) ((w) & 0xffffffu)
#define WORD_K(w) ((int8_t)((w) >> 24))

/* Writes node i of the source tree at position pos of the complete tree of
 * depth d (level = depth of pos); a leaf is copied down to the last level. */
static void place(const lp__forest *f, const lp__packed_forest *p, int32_t i, uint32_t *out,
                  unsigned d, uint32_t pos, unsigned level)
{
    const lp__node *n = &f->nodes[i];
    if (level == d) {            /* the last level: only leaves get here (d is the tree's depth) */
        uint32_t bits;
        memcpy(&bits, &n->u.leaf, sizeof bits);
        out[pos] = bits;
        return;
    }
    if (n->left == i) {          /* a leaf above the last level */
        /* Slot 0, any k: a test whose answer does not matter, both
         * subtrees hold this leaf. */
        out[pos] = node_word(0, 128);
        place(f, p, i, out, d, 2 * pos + 1, level + 1);
        place(f, p, i, out, d, 2 * pos + 2, level + 1);
        return;
    }
    uint32_t feature = n->feature & LP__NODE_FEATURE_MASK;
    uint32_t base = p->cut_offset[feature];
    int32_t k = cut_index(p->cuts + base, p->cut_offset[feature + 1] - base, n->u.threshold);
    uint32_t slot = feature + ((n->feature & LP__NODE_DEFAULT_LEFT) ? (uint32_t)p->n_features : 0);
    out[pos] = node_word(slot, k);
    place(f, p, n->left, out, d, 2 * pos + 1, level + 1);
    place(f, p, n->right, out, d, 2 * pos + 2, level + 1);
}

void lp__forest_unpack(lp__forest *f)
{
    lp__packed_forest *p = f->packed;
    if (!p) return;
    free(p->cut_offset);
    free(p->cuts);
    free(p->search_offset);
    free(p->search_len);
    free(p->search);
    free(p->pivot);
    free(p->trees);
    free(p->words);
    free(p->ktab);
    free(p->voff);
    free(p->deep);
    free(p->half);
    free(p->lane_runs);
    free(p->lane_run_at);
    free(p);
    f->packed = NULL;
}

int lp__forest_pack(lp__forest *f, size_t n_features)
{
    lp__forest_unpack(f);
    if (2 * n_features > MAX_SLOTS || f->n_trees == 0) return 1;   /* general walk */
    lp__packed_forest *p = calloc(1, sizeof *p);
    if (!p) return 0;
    f->packed = p;
    p->n_features = n_features;
    p->n_slots = 2 * n_features;
    p->cut_offset = calloc(n_features + 1, sizeof *p->cut_offset);
    p->trees = calloc(f->n_trees, sizeof *p->trees);
    uint32_t *count = calloc(n_features + 1, sizeof *count);
    if (!p->cut_offset || !p->trees || !count) goto nomem;

    /* Which trees fit, and the thresholds they use, per feature. */
    size_t n_cuts = 0, n_words = 0;
    for (size_t t = 0; t < f->n_trees; t++) {
        size_t begin = f->tree_root[t];
        size_t end = t + 1 < f->n_trees ? f->tree_root[t + 1] : f->n_nodes;
        if (!tree_packable(f, t, end - begin)) {
            p->trees[t].words = UINT32_MAX;
            continue;
        }
        p->trees[t].depth = f->tree_depth[t];
        for (size_t i = begin; i < end; i++)
            if (f->nodes[i].left != (int32_t)i) count[f->nodes[i].feature & LP__NODE_FEATURE_MASK]++;
    }
    for (size_t j = 0; j < n_features; j++) {
        p->cut_offset[j] = (uint32_t)n_cuts;
        n_cuts += count[j];
    }
    p->cut_offset[n_features] = (uint32_t)n_cuts;
    p->cuts = malloc((n_cuts ? n_cuts : 1) * sizeof *p->cuts);
    if (!p->cuts) goto nomem;
    memset(count, 0, (n_features + 1) * sizeof *count);
    for (size_t t = 0; t < f->n_trees; t++) {
        if (p->trees[t].words == UINT32_MAX) continue;
        size_t begin = f->tree_root[t];
        size_t end = t + 1 < f->n_trees ? f->tree_root[t + 1] : f->n_nodes;
        for (size_t i = begin; i < end; i++)
            if (f->nodes[i].left != (int32_t)i) {
                uint32_t j = f->nodes[i].feature & LP__NODE_FEATURE_MASK;
                p->cuts[p->cut_offset[j] + count[j]++] = f->nodes[i].u.threshold;
            }
    }
    /* Sort and deduplicate each feature's cuts (in place, then compact). */
    size_t w = 0;
    for (size_t j = 0; j < n_features; j++) {
        float *c = p->cuts + p->cut_offset[j];
        size_t n = count[j], u = 0;
        qsort(c, n, sizeof *c, cmp_float);
        for (size_t i = 0; i < n; i++)
            if (u == 0 || c[i] != p->cuts[w + u - 1]) p->cuts[w + u++] = c[i];
        p->cut_offset[j] = (uint32_t)w;
        w += u;
        count[j] = (uint32_t)u;
    }
    p->cut_offset[n_features] = (uint32_t)w;
    /* The padded copies binning searches (features with too many cuts get
     * none: no packed tree reads their bins). */
    p->search_offset = calloc(n_features, sizeof *p->search_offset);
    p->search_len = calloc(n_features, sizeof *p->search_len);
    if (!p->search_offset || !p->search_len) goto nomem;
    size_t n_search = 0;
    for (size_t j = 0; j < n_features; j++) {
        uint32_t len = 0;
        if (count[j] && count[j] <= MAX_CUTS)
            for (len = 1; len < count[j]; len *= 2) {}
        p->search_offset[j] = (uint32_t)n_search;
        p->search_len[j] = len;
        n_search += len + SEARCH_PAD;
    }
    p->search = malloc(n_search * sizeof *p->search);
    p->pivot = malloc(n_features * 16 * sizeof *p->pivot);
    if (!p->search || !p->pivot) goto nomem;
    for (size_t j = 0; j < n_features; j++) {
        float *dst = p->search + p->search_offset[j];
        uint32_t len = p->search_len[j];
        for (uint32_t i = 0; i < len + SEARCH_PAD; i++)
            dst[i] = i < count[j] && i < len ? p->cuts[p->cut_offset[j] + i] : NAN;
        for (uint32_t q = 0; q < 16; q++) p->pivot[j * 16 + q] = 16 * q + 15 < len ? dst[16 * q + 15] : NAN;
    }
    /* Trees splitting on a feature with too many cuts for byte bins walk generally. */
    for (size_t t = 0; t < f->n_trees; t++) {
        if (p->trees[t].words == UINT32_MAX) continue;
        size_t begin = f->tree_root[t];
        size_t end = t + 1 < f->n_trees ? f->tree_root[t + 1] : f->n_nodes;
        for (size_t i = begin; i < end; i++)
            if (f->nodes[i].left != (int32_t)i && count[f->nodes[i].feature & LP__NODE_FEATURE_MASK] > MAX_CUTS) {
                p->trees[t].words = UINT32_MAX;
                break;
            }
        if (p->trees[t].words == UINT32_MAX) continue;
        p->trees[t].words = (uint32_t)n_words;
        n_words += ((size_t)2 << p->trees[t].depth) - 1;
        p->n_packed++;
    }
    free(count);
    count = NULL;
    p->words = malloc((n_words ? n_words : 1) * sizeof *p->words);
    if (!p->words) goto nomem;
    for (size_t t = 0; t < f->n_trees; t++)
        if (p->trees[t].words != UINT32_MAX)
            place(f, p, (int32_t)f->tree_root[t], p->words + p->trees[t].words, p->trees[t].depth, 0, 0);
    /* +16: a level's table is read as 16 bytes from its first node. */
    p->ktab = calloc(f->n_trees * KTAB_BYTES + 16, 1);
    p->voff = calloc(f->n_trees * KTAB_BYTES, sizeof *p->voff);
    if (!p->ktab || !p->voff) goto nomem;
    for (size_t t = 0; t < f->n_trees; t++) {
        if (p->trees[t].words == UINT32_MAX) continue;
        size_t internal = ((size_t)1 << p->trees[t].depth) - 1;
        for (size_t j = 0; j < internal && j < KTAB_BYTES - 1; j++) {
            p->ktab[t * KTAB_BYTES + j] = WORD_K(p->words[p->trees[t].words + j]);
            p->voff[t * KTAB_BYTES + j] = WORD_OFFSET(p->words[p->trees[t].words + j]);
        }
    }

    /* The gathered levels' tables (only when a slot fits a byte). */
    size_t n_deep = 0;
    for (size_t t = 0; t < f->n_trees; t++) {
        p->trees[t].deep = UINT32_MAX;
        if (p->trees[t].words == UINT32_MAX || p->trees[t].depth <= VECTOR_LEVELS ||
            p->n_slots > GATHER_MAX_SLOTS || !LP_PACKED_VECTORS)
            continue;
        p->trees[t].deep = (uint32_t)(n_deep * DEEP_BYTES);
        n_deep++;
    }
    if (n_deep) {
        /* +16: a level's table is read 16 bytes at a time. */
        p->deep = calloc(n_deep * DEEP_BYTES + 16, 1);
        if (!p->deep) goto nomem;
        for (size_t t = 0; t < f->n_trees; t++) {
            if (p->trees[t].deep == UINT32_MAX) continue;
            unsigned end = p->trees[t].depth < GATHER_LEVELS_END ? p->trees[t].depth : GATHER_LEVELS_END;
            int8_t *dt = p->deep + p->trees[t].deep;
            for (size_t n = ((size_t)1 << VECTOR_LEVELS) - 1; n < ((size_t)1 << end) - 1; n++) {
                uint32_t wd = p->words[p->trees[t].words + n];
                dt[n] = WORD_K(wd);
                dt[256 + n] = (int8_t)(uint8_t)(WORD_OFFSET(wd) / LANES);
            }
        }
    }

    /* The half words (only when a slot fits a byte). */
    size_t n_half = 0;
    for (size_t t = 0; t < f->n_trees; t++) {
        p->trees[t].half = UINT32_MAX;
        if (p->trees[t].words == UINT32_MAX || p->n_slots > HALF_MAX_SLOTS) continue;
        p->trees[t].half = (uint32_t)n_half;
        n_half += ((size_t)1 << p->trees[t].depth) - 1;
    }
    if (n_half) {
        p->half = malloc(n_half * sizeof *p->half);
        if (!p->half) goto nomem;
        for (size_t t = 0; t < f->n_trees; t++) {
            if (p->trees[t].half == UINT32_MAX) continue;
            for (size_t n = 0; n < ((size_t)1 << p->trees[t].depth) - 1; n++) {
                uint32_t wd = p->words[p->trees[t].words + n];
                p->half[p->trees[t].half + n] = (uint16_t)(WORD_OFFSET(wd) / LANES | (wd >> 24) << 8);
            }
        }
    }

    /* The lane runs: from the first tree, every LANE_RUN_TREES trees that
     * qualify (the few-rows walk finds them at the same trees). */
    size_t n_lane_runs = 0;
    p->lane_run_at = malloc(f->n_trees * sizeof *p->lane_run_at);
    if (!p->lane_run_at) goto nomem;
    for (size_t t = 0; t < f->n_trees; t++) p->lane_run_at[t] = UINT32_MAX;
    for (size_t t = 0; LP_PACKED_VECTORS && p->half && t + LANE_RUN_TREES <= f->n_trees;) {
        const packed_tree *pt = p->trees + t;
        unsigned d = pt->depth;
        int fits = pt->half != UINT32_MAX && d >= LANE_RUN_MIN_DEPTH;
        for (size_t k = 1; fits && k < LANE_RUN_TREES; k++)
            fits = pt[k].half == pt->half + k * ((1u << d) - 1) && pt[k].depth == d &&
                   pt[k].words == pt->words + k * ((2u << d) - 1);
        if (!fits) {
            t++;
            continue;
        }
        p->lane_run_at[t] = (uint32_t)(n_lane_runs++ * LANE_RUN_BYTES);
        t += LANE_RUN_TREES;
    }
    if (n_lane_runs) {
        p->lane_runs = malloc(n_lane_runs * LANE_RUN_BYTES);
        if (!p->lane_runs) goto nomem;
        for (size_t t = 0; t < f->n_trees; t++) {
            if (p->lane_run_at[t] == UINT32_MAX) continue;
            int8_t *lr = p->lane_runs + p->lane_run_at[t];
            for (size_t k = 0; k < LANE_RUN_TREES; k++)
                for (size_t j = 0; j < (1u << LANE_RUN_MAX_LEVELS) - 1; j++) {
                    uint32_t wd = p->words[p->trees[t + k].words + j];
                    lr[32 * j + k] = (int8_t)(uint8_t)(WORD_OFFSET(wd) / LANES);
                    lr[32 * j + 16 + k] = WORD_K(wd);
                }
        }
    }

    size_t group_bytes = p->n_slots * LANES;
    p->groups_per_block = group_bytes && BLOCK_BYTES / group_bytes > 1 ? BLOCK_BYTES / group_bytes : 1;
    return 1;
nomem:
    free(count);
    lp__forest_unpack(f);
    return 0;
}

size_t lp__forest_packed_trees(const lp__forest *f) { return f->packed ? f->packed->n_packed : 0; }

size_t lp__forest_lane_run_trees(const lp__forest *f)
{
    size_t n = 0;
    for (size_t t = 0; f->packed && t < f->n_trees; t++) n += f->packed->lane_run_at[t] != UINT32_MAX;
    return n * LANE_RUN_TREES;
}

size_t lp__forest_gathered_trees(const lp__forest *f)
{
    size_t n = 0;
    for (size_t t = 0; f->packed && t < f->n_trees; t++) n += f->packed->trees[t].deep != UINT32_MAX;
    return n;
}

/* ---- walking ---- */

/* How many of the 16 floats at c are <= v (NaN never is): four vector
 * compares, their -1s summed. */
static inline uint32_t count_le16(const float *c, float v)
{
#if LP_PACKED_VECTORS
    typedef float v4f_cuts __attribute__((vector_size(16)));
    typedef int32_t v4i_cuts __attribute__((vector_size(16)));
    v4f_cuts vv = {v, v, v, v};
    v4i_cuts n = {0, 0, 0, 0};
    for (int q = 0; q < 4; q++) {
        v4f_cuts a;
        memcpy(&a, c + 4 * q, sizeof a);
        n += (v4i_cuts)(a <= vv);
    }
    return (uint32_t)-(n[0] + n[1] + n[2] + n[3]);
#else
    uint32_t n = 0;
    for (int i = 0; i < 16; i++) n += c[i] <= v;
    return n;
#endif
}

/* The number of feature j's cuts <= v (its bin), in two dependent steps
 * where a binary search takes up to eight: the list's 16 pivots (every
 * 16th cut) say how many whole chunks of 16 cuts are <= v, then the next
 * chunk is counted (past the list's end: NaN).  A fixed number of steps a
 * feature, so the features' (and lanes') counts overlap. */
static inline uint32_t count_cuts_le(const lp__packed_forest *p, size_t j, float v)
{
    uint32_t chunks = count_le16(p->pivot + 16 * j, v);
    return 16 * chunks + count_le16(p->search + p->search_offset[j] + 16 * chunks, v);
}

/* Bins fewer than FEW_LANES rows for the few-rows walk: into the first
 * `rows` lanes of a group (the walk reads no other lane; group may be NULL)
 * and, with half words, row by row into `compact` (row l's slot s at
 * compact[l * n_slots + s], what walk_few_half reads).  Per row and
 * feature: count_cuts_le, then the two slots' bytes. */
static void bin_few(const lp__packed_forest *p, const float *x, size_t rows, size_t n_features, int8_t *group,
                    int8_t *compact)
{
    size_t nf = p->n_features;
    for (size_t l = 0; l < rows; l++)
        for (size_t j = 0; j < nf; j++) {
            float v = x[l * n_features + j];
            int8_t bin = (int8_t)((int)count_cuts_le(p, j, v) - 128);
            int missing = v != v;
            int8_t right = missing ? (int8_t)BIN_TOP : bin, left = missing ? (int8_t)BIN_BOTTOM : bin;
            if (group) group[j * LANES + l] = right, group[(j + nf) * LANES + l] = left;
            if (compact) compact[l * 2 * nf + j] = right, compact[l * 2 * nf + j + nf] = left;
        }
}

/* For 16 values v, how many of the 16 floats at c are <= each (NaN never
 * is): count_le16 for each, but four values a vector against each entry
 * broadcast, with no sum across lanes. */
static inline void count_le16_x16(const float *c, const float *v, uint32_t *out)
{
#if LP_PACKED_VECTORS
    typedef float v4f_cuts __attribute__((vector_size(16)));
    typedef int32_t v4i_cuts __attribute__((vector_size(16)));
    v4f_cuts vv[4];
    v4i_cuts n[4] = {{0}};
    memcpy(vv, v, sizeof vv);
    for (int q = 0; q < 16; q++) {
        v4f_cuts cq = {c[q], c[q], c[q], c[q]};
        for (int b = 0; b < 4; b++) n[b] -= (v4i_cuts)(cq <= vv[b]);
    }
    memcpy(out, n, sizeof n);
#else
    for (int l = 0; l < 16; l++) out[l] = count_le16(c, v[l]);
#endif
}

/* Bins the `rows` rows at x (the rest of the group's lanes get the bins of
 * 0.0) into one group: slot-major, LANES wide.  Per feature, count_cuts_le
 * for the 16 lanes: their chunks from the pivots together
 * (count_le16_x16), then each lane's chunk.  Two steps of compares, where
 * a binary search over up to 256 cuts was eight dependent loads a lane. */
static void bin_group(const lp__packed_forest *p, const float *x, size_t rows, size_t n_features,
                      int8_t *group)
{
    size_t nf = p->n_features, lanes = rows < LANES ? rows : LANES;
    for (size_t j = 0; j < nf; j++) {
        const float *c = p->search + p->search_offset[j];
        float v[LANES];
        uint32_t chunk[LANES];
        for (size_t l = 0; l < LANES; l++) v[l] = l < lanes ? x[l * n_features + j] : 0.0f;
        count_le16_x16(p->pivot + 16 * j, v, chunk);
        for (size_t l = 0; l < LANES; l++) {
            uint32_t at = 16 * chunk[l] + count_le16(c + 16 * chunk[l], v[l]);
            int missing = v[l] != v[l];
            int8_t bin = (int8_t)((int)at - 128);
            group[j * LANES + l] = missing ? (int8_t)BIN_TOP : bin;
            group[(j + nf) * LANES + l] = missing ? (int8_t)BIN_BOTTOM : bin;
        }
    }
}

static inline float leaf_at(const uint32_t *leaves, size_t i)
{
    float v;
    memcpy(&v, &leaves[i], sizeof v);
    return v;
}

/* The general walk of one row through tree t (as trees_scalar.c). */
static float walk_general(const lp__forest *f, size_t t, const float *row)
{
    int32_t i = (int32_t)f->tree_root[t];
    for (unsigned d = f->tree_depth[t]; d; d--) {
        const lp__node *n = &f->nodes[i];
        i = lp__node_next(f, n, row[n->feature & LP__NODE_FEATURE_MASK]);
    }
    return f->nodes[i].u.leaf;
}

#if LP_PACKED_VECTORS
typedef int8_t v16i8 __attribute__((vector_size(16)));
typedef uint8_t v16u8 __attribute__((vector_size(16)));
typedef float v4f __attribute__((vector_size(16)));

/* Lane l gets table[index[l]] (every index in 0..15).  Relaxed SIMD's swizzle
 * is exact for such indices and V8 runs it as one pshufb, without the
 * saturating add its plain swizzle puts before it (to zero indices >= 16). */
static inline v16i8 lookup16(v16i8 table, v16i8 index)
{
#if defined(__wasm_relaxed_simd__)
    return (v16i8)__builtin_wasm_relaxed_swizzle_i8x16(table, index);
#elif defined(__wasm_simd128__)
    return (v16i8)__builtin_wasm_swizzle_i8x16(table, index);
#elif defined(__SSSE3__)
    typedef char v16c __attribute__((vector_size(16)));   /* the builtin's type */
    return (v16i8)__builtin_ia32_pshufb128((v16c)table, (v16c)index);
#else
    v16i8 out;
    for (int l = 0; l < 16; l++) out[l] = table[index[l] & 15];
    return out;
#endif
}

/* Lane l gets table[index[l]], or 0 where index[l] is outside 0..15 (as
 * wasm's swizzle does), so the lookups in several tables can be OR-ed. */
static inline v16i8 lookup16_or_zero(v16i8 table, v16i8 index)
{
#if defined(__wasm_simd128__)
    return (v16i8)__builtin_wasm_swizzle_i8x16(table, index);
#elif defined(__SSSE3__)
    typedef char v16c __attribute__((vector_size(16)));
    /* pshufb gives 0 where the index's top bit is set: set it for 16..127 too. */
    return (v16i8)__builtin_ia32_pshufb128((v16c)table, (v16c)(index | (v16i8)(index > 15)));
#else
    v16i8 out;
    for (int l = 0; l < 16; l++) out[l] = index[l] >= 0 && index[l] < 16 ? table[index[l]] : 0;
    return out;
#endif
}

/* Lane l gets tab[pos[l]], for pos in 0 .. n - 1 (n a multiple of 16, at most 128). */
static inline __attribute__((always_inline)) v16i8 lookup_level(const int8_t *tab, v16i8 pos, uint32_t n)
{
    v16i8 table, out = {0};
    for (uint32_t m = 0; m < n; m += 16) {
        memcpy(&table, tab + m, sizeof table);
        out |= lookup16_or_zero(table, pos - (int8_t)m);
    }
    return out;
}

/* Lane l gets a where mask (all ones in its lane) is set, else b.  Every
 * mask comes from a compare, all ones or all zeros per lane, where relaxed
 * SIMD's laneselect is exact: one vpblendvb in V8 instead of bitselect's
 * three (the localpredict-relaxed.wasm build, scripts/relaxed-opcodes.mjs). */
static inline v16i8 select16(v16i8 mask, v16i8 a, v16i8 b)
{
#if defined(__wasm_relaxed_simd__) && __has_builtin(__builtin_wasm_relaxed_laneselect_i8x16)
    return (v16i8)__builtin_wasm_relaxed_laneselect_i8x16(a, b, mask);
#elif defined(__wasm_relaxed_simd__)
    return (v16i8)__builtin_wasm_laneselect_i8x16(a, b, mask);      /* clang 14's name */
#else
    return (a & mask) | (b & ~mask);
#endif
}

/* 2 pos + (right ? 1 : 0), right being -1 or 0.  Doubled as 16-bit lanes
 * (pos < 128: no bit crosses into the next byte), as wasm has no 8-bit
 * shift and V8 spells `pos + pos` on bytes as a masked 16-bit shift. */
static inline v16i8 next_pos(v16i8 pos, v16i8 right)
{
    typedef uint16_t v8u16 __attribute__((vector_size(16)));
    return (v16i8)((v16u8)((v8u16)pos + (v8u16)pos) - (v16u8)right);
}

/* One gathered level (below the vector levels, where selecting among every
 * node would cost more than it saves): each lane's k and slot are looked up
 * in the level's tables, then each lane's bin is fetched from its own slot,
 * one byte per lane. */
static inline __attribute__((always_inline)) v16i8 gathered_level(const int8_t *deep, const int8_t *group,
                                                                   v16i8 pos, unsigned level)
{
    uint32_t first = (1u << level) - 1, n = 1u << level;
    v16i8 k = lookup_level(deep + first, pos, n);
    v16i8 slot = lookup_level(deep + 256 + first, pos, n);
    /* Spelled out lane by lane: as a loop, clang keeps the vector in memory. */
    v16i8 bins;
#define GATHER_LANE(l) bins[l] = group[(size_t)(uint8_t)slot[l] * LANES + (l)]
    GATHER_LANE(0), GATHER_LANE(1), GATHER_LANE(2), GATHER_LANE(3);
    GATHER_LANE(4), GATHER_LANE(5), GATHER_LANE(6), GATHER_LANE(7);
    GATHER_LANE(8), GATHER_LANE(9), GATHER_LANE(10), GATHER_LANE(11);
    GATHER_LANE(12), GATHER_LANE(13), GATHER_LANE(14), GATHER_LANE(15);
#undef GATHER_LANE
    /* 2 pos + (right ? 1 : 0): at level 7 it reaches 255 (pos < 128 before). */
    return next_pos(pos, bins > k);
}

/* The first `levels` levels of a tree for the 16 rows of a group: returns
 * each lane's position within level `levels`.  At a level of n nodes, each
 * lane needs the bins of its own node: the n nodes' bins are loaded and
 * narrowed down by a tree of n - 1 selects, each keyed on one earlier
 * level's decision (lane went right there: the bit of its position).  Node
 * j's bits, last level's decision lowest, are its position's bits. */
static inline __attribute__((always_inline)) void vector_levels_n(const uint32_t *voff, const int8_t *ktab,
                                                                  const int8_t *const *group, unsigned ng,
                                                                  unsigned levels, v16i8 *pos_out)
{
    v16i8 pos[PAIR], right[PAIR][VECTOR_LEVELS];   /* right: per level, -1 in the lanes that went right */
    for (unsigned g = 0; g < ng; g++) pos[g] = (v16i8){0};
    UNROLL
    for (unsigned level = 0; level < levels; level++) {
        uint32_t first = (1u << level) - 1, n = 1u << level;
        UNROLL
        for (unsigned g = 0; g < ng; g++) {   /* groups interleaved level by level: independent chains */
            /* Nodes in order, merging like a binary counter's carries:
             * part[c] holds the selection among the last 2^c nodes whose
             * bit c is 0. */
            v16i8 part[VECTOR_LEVELS + 1], bins;
            UNROLL
            for (uint32_t j = 0; j < n; j++) {
                v16i8 v;
                memcpy(&v, group[g] + voff[first + j], sizeof v);
                unsigned c = 0;
                UNROLL_CLANG   /* GCC warns on a loop without a count */
                for (; (j >> c) & 1; c++) v = select16(right[g][level - 1 - c], v, part[c]);
                part[c] = v;
            }
            bins = part[level];
            v16i8 k;
            memcpy(&k, ktab + first, sizeof k);
            if (n <= 16) {
                k = lookup16(k, pos[g]);
            } else {   /* 32 nodes: two tables, picked by the first level's decision */
                v16i8 hi, low4 = pos[g] & 15;
                memcpy(&hi, ktab + first + 16, sizeof hi);
                k = select16(right[g][0], lookup16(hi, low4), lookup16(k, low4));
            }
            right[g][level] = bins > k;
            pos[g] = next_pos(pos[g], right[g][level]);
        }
    }
    for (unsigned g = 0; g < ng; g++) pos_out[g] = pos[g];
}

static inline __attribute__((always_inline)) v16i8 vector_levels(const uint32_t *voff, const int8_t *ktab,
                                                                  const int8_t *group, unsigned levels)
{
    v16i8 pos;
    vector_levels_n(voff, ktab, &group, 1, levels, &pos);
    return pos;
}
#endif

#if LP_PACKED_VECTORS
/* At the leaves with 16 consecutive margins: the leaves are fetched into
 * four vectors and added four rows at a time (the same single additions, in
 * the same tree order). */
static inline __attribute__((always_inline)) void add_leaves16(const uint32_t *leaves, v16i8 pos, float *out)
{
    v4f leaf[4];
    /* pos < 256: at level 8 it fills a byte (read unsigned). */
#define LEAF_LANE(l) leaf[(l) / 4][(l) % 4] = leaf_at(leaves, (uint8_t)pos[l])
    LEAF_LANE(0), LEAF_LANE(1), LEAF_LANE(2), LEAF_LANE(3);
    LEAF_LANE(4), LEAF_LANE(5), LEAF_LANE(6), LEAF_LANE(7);
    LEAF_LANE(8), LEAF_LANE(9), LEAF_LANE(10), LEAF_LANE(11);
    LEAF_LANE(12), LEAF_LANE(13), LEAF_LANE(14), LEAF_LANE(15);
#undef LEAF_LANE
    for (int q = 0; q < 4; q++) {
        v4f m;
        memcpy(&m, out + 4 * q, sizeof m);
        m += leaf[q];
        memcpy(out + 4 * q, &m, sizeof m);
    }
}
#endif

/* One row (its bins at lane 0 of `lane`) through FEW_TREES consecutive
 * packed trees of depth d side by side, stored one after the other from
 * `base` (2^(d+1) - 1 words each).  Each walk's position is kept as its
 * word's index from base, so one pointer serves the eight trees and the
 * step's constants are immediates (d is a constant where this is inlined):
 * the loop over the trees unrolls and the positions stay in registers (with
 * a pointer per tree, or a variable count of trees, V8 runs out of
 * registers and each chain also waits for a store to reach the next load).
 * Returns, for each tree, the index of its leaf word from base. */
static inline __attribute__((always_inline)) void walk_few_run(const uint32_t *base, unsigned d,
                                                               const int8_t *lane, uint32_t *at_out)
{
    const uint32_t size = (2u << d) - 1;   /* words of one tree */
    uint32_t at[FEW_TREES];
    UNROLL
    for (uint32_t k = 0; k < FEW_TREES; k++) at[k] = k * size;
    for (unsigned level = 0; level < d; level++) {
        UNROLL
        for (uint32_t k = 0; k < FEW_TREES; k++) {
            /* node i of tree k is word k * size + i; its children 2i + 1 and 2i + 2 */
            uint32_t wd = base[at[k]];
            at[k] = 2 * at[k] + 1 - k * size + (lane[WORD_OFFSET(wd)] > WORD_K(wd));
        }
    }
    UNROLL
    for (uint32_t k = 0; k < FEW_TREES; k++) at_out[k] = at[k];
}

/* walk_few_run on the half words: one row (its bins at row[slot]) through
 * FEW_TREES consecutive packed trees of depth d, their half words one
 * after the other from `half` (2^d - 1 each), from level `from` on, tree k
 * from its node start[k] there.  Returns, for each tree k, its leaf's
 * index in words from the first tree's words (its node words are then
 * 2^(d+1) - 1 a tree). */
static inline __attribute__((always_inline)) void walk_few_half_from(const uint16_t *half, unsigned d,
                                                                     unsigned from, const uint32_t *start,
                                                                     const int8_t *row, uint32_t *at_out)
{
    const uint32_t nodes = (1u << d) - 1;   /* half words of one tree */
    uint32_t at[FEW_TREES];
    UNROLL
    for (uint32_t k = 0; k < FEW_TREES; k++) at[k] = k * nodes + start[k];
    for (unsigned level = from; level < d; level++) {
        UNROLL
        for (uint32_t k = 0; k < FEW_TREES; k++) {
            /* node i of tree k is half word k * nodes + i; its children 2i + 1 and 2i + 2 */
            int32_t h = (int16_t)half[at[k]];   /* slot in the low byte, k - 128 in the high one */
            at[k] = 2 * at[k] + 1 - k * nodes + (row[h & 0xff] > (h >> 8));
        }
    }
    /* Leaf i - nodes of tree k is word k * (2 nodes + 1) + i. */
    UNROLL
    for (uint32_t k = 0; k < FEW_TREES; k++) at_out[k] = at[k] + k * (nodes + 1);
}

static inline __attribute__((always_inline)) void walk_few_half(const uint16_t *half, unsigned d,
                                                                const int8_t *row, uint32_t *at_out)
{
    const uint32_t root[FEW_TREES] = {0};
    walk_few_half_from(half, d, 0, root, row, at_out);
}

#if LP_PACKED_VECTORS
/* How many levels of a lane run of depth d are done as vector lanes, as
 * measured in V8: W1 (depth 6) ran 1.08x faster with 5 than with 4, W2
 * (depth 8) 1.15x faster with 4 than with 5.  A vector level of n nodes
 * costs 2 n loads and 2 (n - 1) selects; a scalar level costs the same at
 * any depth. */
static unsigned lane_run_levels_of(unsigned d) { return d <= 6 ? d - 1 : 4; }

/* The first `levels` levels of a lane run's 16 trees for one row
 * (its bins at row[slot], n_slots of them, readable 16 bytes at a time past
 * the end): a lane per tree.  At each level every lane picks its node's
 * slot and k from the level's nodes (a tree of selects keyed on its earlier
 * decisions, as vector_levels_n), looks its bin up in the row's bytes (a
 * swizzle per 16 slots) and compares once.  No load waits on a decision, so
 * the trees' scalar chains of dependent loads start `levels` levels down.
 * Returns each lane's node within level `levels`. */
static inline __attribute__((always_inline)) v16i8 lane_run_levels(const int8_t *lr, const int8_t *row,
                                                                   size_t n_slots, unsigned levels)
{
    v16i8 pos = {0}, right[LANE_RUN_MAX_LEVELS];
    UNROLL
    for (unsigned level = 0; level < levels; level++) {
        uint32_t first = (1u << level) - 1, n = 1u << level;
        v16i8 slot_part[LANE_RUN_MAX_LEVELS + 1], k_part[LANE_RUN_MAX_LEVELS + 1], bins = {0};
        UNROLL
        for (uint32_t j = 0; j < n; j++) {   /* nodes merged like a binary counter's carries */
            v16i8 slot, k;
            memcpy(&slot, lr + 32 * (first + j), sizeof slot);
            memcpy(&k, lr + 32 * (first + j) + 16, sizeof k);
            unsigned c = 0;
            UNROLL_CLANG
            for (; (j >> c) & 1; c++) {
                slot = select16(right[level - 1 - c], slot, slot_part[c]);
                k = select16(right[level - 1 - c], k, k_part[c]);
            }
            slot_part[c] = slot, k_part[c] = k;
        }
        for (size_t m = 0; m < n_slots; m += 16) {
            v16i8 chunk;
            memcpy(&chunk, row + m, sizeof chunk);
            /* slot - m, wrapping (slots up to 255): 0..15 only in this chunk */
            bins |= lookup16_or_zero(chunk, (v16i8)((v16u8)slot_part[level] - (uint8_t)m));
        }
        right[level] = bins > k_part[level];
        pos = next_pos(pos, right[level]);
    }
    return pos;
}

/* One row (its bins at row[slot]) through the LANE_RUN_TREES trees of the
 * lane run starting at t0: the first levels as vector lanes
 * (lane_run_levels), the rest as two runs of FEW_TREES scalar walks
 * (walk_few_half_from); the leaves added in tree order.  Margins of tree t
 * at m[tree_group[t] * group_stride]. */
static inline __attribute__((always_inline)) void add_lane_run_of(const lp__forest *f, size_t t0,
                                                                  const int8_t *row, float *m,
                                                                  size_t group_stride, unsigned d)
{
    const lp__packed_forest *p = f->packed;
    const packed_tree *pt = p->trees + t0;
    const unsigned levels = lane_run_levels_of(d);
    v16i8 pos = lane_run_levels(p->lane_runs + p->lane_run_at[t0], row, p->n_slots, levels);
    _Static_assert(LANE_RUN_TREES == 2 * FEW_TREES, "two scalar runs a lane run");
    for (size_t r = 0; r < 2; r++) {
        uint32_t start[FEW_TREES], at[FEW_TREES];
        UNROLL
        for (size_t k = 0; k < FEW_TREES; k++) start[k] = (1u << levels) - 1 + (uint8_t)pos[8 * r + k];
        walk_few_half_from(p->half + pt[8 * r].half, d, levels, start, row, at);
        const uint32_t *tw = p->words + pt[8 * r].words;
        UNROLL
        for (size_t k = 0; k < FEW_TREES; k++) m[f->tree_group[t0 + 8 * r + k] * group_stride] += leaf_at(tw, at[k]);
    }
}

static void add_lane_run(const lp__forest *f, size_t t0, const int8_t *row, float *m, size_t group_stride)
{
    _Static_assert(LANE_RUN_MIN_DEPTH == 6 && MAX_DEPTH == 10, "one case a depth");
    switch (f->packed->trees[t0].depth) {   /* constant depths and levels: the loops unroll */
    case 6: add_lane_run_of(f, t0, row, m, group_stride, 6); break;
    case 7: add_lane_run_of(f, t0, row, m, group_stride, 7); break;
    case 8: add_lane_run_of(f, t0, row, m, group_stride, 8); break;
    case 9: add_lane_run_of(f, t0, row, m, group_stride, 9); break;
    default: add_lane_run_of(f, t0, row, m, group_stride, 10); break;
    }
}
#endif

/* A batch of fewer than FEW_LANES rows: each row walks up to FEW_TREES
 * consecutive packed trees side by side, level by level.  One row's walk
 * through one tree is a chain of dependent loads (node word, then bin),
 * mostly from L2 as every tree is read once per call: several trees' chains
 * overlap where one after the other they would wait in turn.  The leaves
 * are added in tree order, as the reference does.  Margins of tree t are at
 * m[tree_group[t] * group_stride + l * row_stride]. */
static void add_packed_trees_few(const lp__forest *f, size_t t0, size_t nt, const int8_t *group,
                                 const int8_t *compact, float *m, size_t group_stride, size_t row_stride,
                                 size_t lanes)
{
    const lp__packed_forest *p = f->packed;
    const uint32_t *tw[FEW_TREES];
    unsigned depth[FEW_TREES] = {0}, max_depth = 0;
    for (size_t k = 0; k < nt; k++) {
        tw[k] = p->words + p->trees[t0 + k].words;
        depth[k] = p->trees[t0 + k].depth;
        if (depth[k] > max_depth) max_depth = depth[k];
    }
    /* The common case: FEW_TREES trees of one depth, 1 to MAX_DEPTH, one
     * after the other in words (packed trees are stored in tree order). */
    unsigned d = depth[0];
    int run = nt == FEW_TREES && d >= 1;
    for (size_t k = 1; k < nt; k++) run &= depth[k] == d && tw[k] == tw[0] + k * ((2u << d) - 1);
    const packed_tree *pt = p->trees + t0;
    int half = run && compact && pt->half != UINT32_MAX;
    for (size_t k = 1; half && k < nt; k++) half &= pt[k].half == pt->half + k * ((1u << d) - 1);
    if (half) {
        const uint16_t *h = p->half + pt->half;
        for (size_t l = 0; l < lanes; l++) {
            uint32_t at[FEW_TREES];
            const int8_t *row = compact + l * p->n_slots;
            switch (d) {   /* constant depths: the steps' constants are immediates */
            case 1: walk_few_half(h, 1, row, at); break;
            case 2: walk_few_half(h, 2, row, at); break;
            case 3: walk_few_half(h, 3, row, at); break;
            case 4: walk_few_half(h, 4, row, at); break;
            case 5: walk_few_half(h, 5, row, at); break;
            case 6: walk_few_half(h, 6, row, at); break;
            case 7: walk_few_half(h, 7, row, at); break;
            case 8: walk_few_half(h, 8, row, at); break;
            case 9: walk_few_half(h, 9, row, at); break;
            default: walk_few_half(h, 10, row, at); break;
            }
            UNROLL
            for (size_t k = 0; k < FEW_TREES; k++)
                m[f->tree_group[t0 + k] * group_stride + l * row_stride] += leaf_at(tw[0], at[k]);
        }
        return;
    }
    if (run) {
        for (size_t l = 0; l < lanes; l++) {
            uint32_t at[FEW_TREES];
            _Static_assert(MAX_DEPTH == 10, "one case a depth");
            switch (d) {   /* constant depths: the steps' constants are immediates */
            case 1: walk_few_run(tw[0], 1, group + l, at); break;
            case 2: walk_few_run(tw[0], 2, group + l, at); break;
            case 3: walk_few_run(tw[0], 3, group + l, at); break;
            case 4: walk_few_run(tw[0], 4, group + l, at); break;
            case 5: walk_few_run(tw[0], 5, group + l, at); break;
            case 6: walk_few_run(tw[0], 6, group + l, at); break;
            case 7: walk_few_run(tw[0], 7, group + l, at); break;
            case 8: walk_few_run(tw[0], 8, group + l, at); break;
            case 9: walk_few_run(tw[0], 9, group + l, at); break;
            default: walk_few_run(tw[0], 10, group + l, at); break;
            }
            UNROLL
            for (size_t k = 0; k < FEW_TREES; k++)
                m[f->tree_group[t0 + k] * group_stride + l * row_stride] += leaf_at(tw[0], at[k]);
        }
        return;
    }
    for (size_t l = 0; l < lanes; l++) {
        uint32_t i[FEW_TREES] = {0};
        for (unsigned level = 0; level < max_depth; level++)
            NO_VECTORIZE
            for (size_t k = 0; k < nt; k++)
                if (level < depth[k]) {
                    uint32_t wd = tw[k][i[k]];
                    i[k] = 2 * i[k] + 1 + (group[WORD_OFFSET(wd) + l] > WORD_K(wd));
                }
        for (size_t k = 0; k < nt; k++)
            m[f->tree_group[t0 + k] * group_stride + l * row_stride] += leaf_at(tw[k], i[k]);
    }
}

/* Adds packed tree t to the rows of one group (`lanes` of them valid): row
 * l's margin is out[l * stride]. */
static void add_packed_tree(const lp__packed_forest *p, const packed_tree *pt, const int8_t *group,
                            float *out, size_t stride, size_t lanes)
{
    size_t n_groups = stride;
    const uint32_t *tw = p->words + pt->words;
    unsigned d = pt->depth;
    int32_t i[LANES];
    unsigned done = 0;
#if LP_PACKED_VECTORS
    const int8_t *ktab = p->ktab + (size_t)(pt - p->trees) * KTAB_BYTES;
    const uint32_t *voff = p->voff + (size_t)(pt - p->trees) * KTAB_BYTES;
    done = d < VECTOR_LEVELS ? d : VECTOR_LEVELS;
    v16i8 pos;
    switch (done) {   /* constant level counts: the loops unroll */
    case 0: pos = vector_levels(voff, ktab, group, 0); break;
    case 1: pos = vector_levels(voff, ktab, group, 1); break;
    case 2: pos = vector_levels(voff, ktab, group, 2); break;
    case 3: pos = vector_levels(voff, ktab, group, 3); break;
    case 4: pos = vector_levels(voff, ktab, group, 4); break;
    case 5: pos = vector_levels(voff, ktab, group, 5); break;
    default: pos = vector_levels(voff, ktab, group, VECTOR_LEVELS); break;
    }
    if (pt->deep != UINT32_MAX) {
        const int8_t *deep = p->deep + pt->deep;
        unsigned end = d < GATHER_LEVELS_END ? d : GATHER_LEVELS_END;
        for (; done < end; done++) {
            switch (done) {   /* constant levels: the table loops unroll */
            case 5: pos = gathered_level(deep, group, pos, 5); break;
            case 6: pos = gathered_level(deep, group, pos, 6); break;
            default: pos = gathered_level(deep, group, pos, 7); break;
            }
        }
    }
    if (done == d && lanes == LANES && stride == 1) {
        add_leaves16(tw + ((1u << d) - 1), pos, out);
        return;
    }
    /* pos < 256: at level 8 it fills a byte (read unsigned). */
    for (size_t l = 0; l < LANES; l++) i[l] = (int32_t)((1u << done) - 1) + (uint8_t)pos[l];
#else
    for (size_t l = 0; l < LANES; l++) i[l] = 0;
#endif
    for (; done < d; done++) {
        /* LANES independent walks interleaved: their loads overlap.  Kept
         * scalar: wasm has no gather, and a vectorised version of this loop
         * spends its time moving lanes in and out. */
        NO_VECTORIZE
        for (size_t l = 0; l < LANES; l++) {
            uint32_t wd = tw[i[l]];
            int32_t right = group[WORD_OFFSET(wd) + l] > WORD_K(wd);
            i[l] = 2 * i[l] + 1 + right;
        }
    }
    for (size_t l = 0; l < lanes; l++) {
        float leaf;
        memcpy(&leaf, &tw[i[l]], sizeof leaf);
        out[l * n_groups] += leaf;
    }
}

/* Whether add_packed_tree_pair takes tree pt: every level vector or gathered. */
static int pair_walks(const packed_tree *pt)
{
    return LP_PACKED_VECTORS && (pt->depth <= VECTOR_LEVELS || (pt->deep != UINT32_MAX && pt->depth <= GATHER_LEVELS_END));
}

/* add_packed_tree for two full groups with 16 consecutive margins each
 * (pair_walks(pt)): the two walks go level by level side by side, so each
 * level's chain of dependent steps (load, select, compare; a gathered
 * level's lookups and insertions) overlaps the other's. */
static void add_packed_tree_pair(const lp__packed_forest *p, const packed_tree *pt, const int8_t *group0,
                                 const int8_t *group1, float *out0, float *out1)
{
#if LP_PACKED_VECTORS
    const uint32_t *tw = p->words + pt->words;
    const int8_t *ktab = p->ktab + (size_t)(pt - p->trees) * KTAB_BYTES;
    const uint32_t *voff = p->voff + (size_t)(pt - p->trees) * KTAB_BYTES;
    const int8_t *group[PAIR] = {group0, group1};
    unsigned d = pt->depth, done = d < VECTOR_LEVELS ? d : VECTOR_LEVELS;
    v16i8 pos[PAIR];
    switch (done) {   /* constant level counts: the loops unroll */
    case 0: vector_levels_n(voff, ktab, group, PAIR, 0, pos); break;
    case 1: vector_levels_n(voff, ktab, group, PAIR, 1, pos); break;
    case 2: vector_levels_n(voff, ktab, group, PAIR, 2, pos); break;
    case 3: vector_levels_n(voff, ktab, group, PAIR, 3, pos); break;
    case 4: vector_levels_n(voff, ktab, group, PAIR, 4, pos); break;
    case 5: vector_levels_n(voff, ktab, group, PAIR, 5, pos); break;
    default: vector_levels_n(voff, ktab, group, PAIR, VECTOR_LEVELS, pos); break;
    }
    if (done < d) {
        const int8_t *deep = p->deep + pt->deep;
        for (; done < d; done++) {
            switch (done) {   /* constant levels: the table loops unroll */
            case 5:
                pos[0] = gathered_level(deep, group0, pos[0], 5);
                pos[1] = gathered_level(deep, group1, pos[1], 5);
                break;
            case 6:
                pos[0] = gathered_level(deep, group0, pos[0], 6);
                pos[1] = gathered_level(deep, group1, pos[1], 6);
                break;
            default:
                pos[0] = gathered_level(deep, group0, pos[0], 7);
                pos[1] = gathered_level(deep, group1, pos[1], 7);
                break;
            }
        }
    }
    add_leaves16(tw + ((1u << d) - 1), pos[0], out0);
    add_leaves16(tw + ((1u << d) - 1), pos[1], out1);
#else
    (void)p, (void)pt, (void)group0, (void)group1, (void)out0, (void)out1;
#endif
}

/* Adds trees t_begin .. t_end - 1 to `rows` rows of a block: the rows at
 * x, their bins at bins (groups of LANES), row r's margin of group k at
 * m[k * group_stride + r * row_stride]. */
static void add_trees(const lp__forest *f, size_t t_begin, size_t t_end, const float *x, size_t rows,
                      size_t n_features, const int8_t *bins, const int8_t *compact, float *m, size_t group_stride,
                      size_t row_stride)
{
    const lp__packed_forest *p = f->packed;
    size_t group_len = p->n_slots * LANES, groups = (rows + LANES - 1) / LANES;
    for (size_t t = t_begin; t < t_end; t++) {
        const packed_tree *pt = &p->trees[t];
        if (rows < FEW_LANES && pt->words != UINT32_MAX) {   /* one group of 1 to FEW_LANES - 1 rows */
            size_t nt = 1;
            while (nt < FEW_TREES && t + nt < t_end && p->trees[t + nt].words != UINT32_MAX) nt++;
            add_packed_trees_few(f, t, nt, bins, compact, m, group_stride, row_stride, rows);
            t += nt - 1;
            continue;
        }
        float *out = m + f->tree_group[t] * group_stride;
        if (pt->words == UINT32_MAX) {
            for (size_t r = 0; r < rows; r++) out[r * row_stride] += walk_general(f, t, x + r * n_features);
            continue;
        }
        size_t g = 0;
        if (row_stride == 1 && pair_walks(pt))
            for (; g + PAIR <= rows / LANES; g += PAIR)
                add_packed_tree_pair(p, pt, bins + g * group_len, bins + (g + 1) * group_len, out + g * LANES,
                                     out + (g + 1) * LANES);
        for (; g < groups; g++) {
            size_t lanes = rows - g * LANES < LANES ? rows - g * LANES : LANES;
            add_packed_tree(p, pt, bins + g * group_len, out + g * LANES * row_stride, row_stride, lanes);
        }
    }
}

/* add_trees for one group of 1 to FEW_LANES - 1 rows of a forest with lane
 * runs: each lane run, and add_trees for the trees between them.  (Not
 * inside add_trees: there, V8's code for the full groups' walk came out
 * 0.86-0.94x as fast at batches 8 to 4096, from the same C.) */
static void add_trees_few(const lp__forest *f, const float *x, size_t rows, size_t n_features, const int8_t *bins,
                          const int8_t *compact, float *m, size_t group_stride, size_t row_stride)
{
    const lp__packed_forest *p = f->packed;
    size_t t = 0;
    while (t < f->n_trees) {
        size_t end = t;
        while (end < f->n_trees && p->lane_run_at[end] == UINT32_MAX) end++;
        add_trees(f, t, end, x, rows, n_features, bins, compact, m, group_stride, row_stride);
        if (end < f->n_trees) {
#if LP_PACKED_VECTORS
            for (size_t l = 0; l < rows; l++)
                add_lane_run(f, end, compact + l * p->n_slots, m + l * row_stride, group_stride);
#endif
            end += LANE_RUN_TREES;
        }
        t = end;
    }
}

void lp_kern_forest_add_packed(const lp__forest *f, const float *x, size_t n_rows,
                               size_t n_features, float *margins, size_t n_groups)
{
    const lp__packed_forest *p = f->packed;
    size_t group_len = p->n_slots * LANES;
    size_t block_rows = p->groups_per_block * LANES;
    /* The block's bins live on the stack (a model is shared read-only);
     * only rows of more than BLOCK_BYTES / 32 features need the heap. */
    _Alignas(16) int8_t stack_bins[BLOCK_BYTES];
    int8_t *bins = stack_bins;
    if (group_len * p->groups_per_block > sizeof stack_bins) {
        bins = malloc(group_len * p->groups_per_block);
        if (!bins) {   /* still exact, just slower */
            lp_kern_forest_add_nodes(f, x, n_rows, n_features, margins, n_groups);
            return;
        }
    }
    /* With several margins a row, the block's margins are copied group-major
     * (each group's rows side by side) while its trees are added, so that
     * 16 rows' leaves add as vectors; a copy moves the values unchanged. */
    _Alignas(16) float by_group[GROUP_MAJOR_FLOATS];
    /* Few rows' bins row by row, for the walk on half words (walk_few_half). */
    int8_t compact_bins[(FEW_LANES - 1) * HALF_MAX_SLOTS + 16];   /* +16: read 16 bytes at a time */
    int8_t *compact = p->half ? compact_bins : NULL;
    int group_major = LP_PACKED_VECTORS && n_groups > 1 && block_rows * n_groups <= GROUP_MAJOR_FLOATS;
    size_t row_stride = group_major ? 1 : n_groups, group_stride = group_major ? block_rows : 1;
    for (size_t r0 = 0; r0 < n_rows; r0 += block_rows) {
        size_t rows = n_rows - r0 < block_rows ? n_rows - r0 : block_rows;
        size_t groups = (rows + LANES - 1) / LANES;
        float *m = group_major ? by_group : margins + r0 * n_groups;
        if (group_major)
            for (size_t r = 0; r < rows; r++)
                for (size_t k = 0; k < n_groups; k++) by_group[k * block_rows + r] = margins[(r0 + r) * n_groups + k];
        /* Bin the block; lanes past the last row are walked but never added. */
        if (rows < FEW_LANES)
            bin_few(p, x + r0 * n_features, rows, n_features, bins, compact);
        else
            for (size_t g = 0; g < groups; g++)
                bin_group(p, x + (r0 + g * LANES) * n_features, rows - g * LANES, n_features, bins + g * group_len);
        /* A last group of fewer than FEW_LANES rows goes through the trees
         * on its own, with the few-rows walk (each row's trees still added
         * in tree order). */
        size_t tail = rows > LANES && rows % LANES < FEW_LANES ? rows % LANES : 0;
        if (rows < FEW_LANES && p->lane_runs)
            add_trees_few(f, x + r0 * n_features, rows, n_features, bins, compact, m, group_stride, row_stride);
        else
            add_trees(f, 0, f->n_trees, x + r0 * n_features, rows - tail, n_features, bins, compact, m, group_stride,
                      row_stride);
        if (tail) {
            const float *tail_x = x + (r0 + rows - tail) * n_features;
            if (compact) bin_few(p, tail_x, tail, n_features, NULL, compact);
            if (p->lane_runs)
                add_trees_few(f, tail_x, tail, n_features, bins + (groups - 1) * group_len, compact,
                              m + (rows - tail) * row_stride, group_stride, row_stride);
            else
                add_trees(f, 0, f->n_trees, tail_x, tail, n_features, bins + (groups - 1) * group_len, compact,
                          m + (rows - tail) * row_stride, group_stride, row_stride);
        }
        if (group_major)
            for (size_t r = 0; r < rows; r++)
                for (size_t k = 0; k < n_groups; k++) margins[(r0 + r) * n_groups + k] = by_group[k * block_rows + r];
    }
    if (bins != stack_bins) free(bins);
}
