/* kernels.h — the hot loops, behind one interface.
 *
 * Each kernel has a portable scalar reference (`*_ref`, in *_scalar.c) and,
 * where it pays, a wasm SIMD version (in *_simd128.c, the only files that
 * include <wasm_simd128.h>).  LP_SIMD128 (set by the build when compiling with
 * -msimd128) makes lp_kern_* name the SIMD version; tests compare the two.
 *
 * Agreement contract: tree kernels add leaves to each row's margins in tree
 * order, exactly as the reference does, so SIMD and scalar results are
 * bit-identical.
 */
#ifndef LP_KERNELS_H
#define LP_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* A tree node, 16 bytes.  Leaves point to themselves (left == right == own
 * index) so a fixed number of steps per tree needs no branch on "is leaf";
 * a leaf's feature field is 0 (no flags), so the step it takes reads row[0]
 * and stays put.  lp__forest_check enforces both. */
typedef struct lp__node {
    union {
        float    threshold;   /* split: go left iff x < threshold */
        float    leaf;        /* leaf: the value added to the margin */
        uint32_t cat_set;     /* categorical split: index of its category set */
    } u;
    uint32_t feature;         /* feature index | flags below */
    int32_t  left, right;     /* absolute node indices */
} lp__node;

#define LP__NODE_DEFAULT_LEFT 0x80000000u   /* missing value goes left */
#define LP__NODE_CATEGORICAL  0x40000000u   /* u.cat_set is a category set */
#define LP__NODE_FEATURE_MASK 0x3fffffffu

typedef struct lp__forest {
    size_t    n_trees;
    size_t    n_nodes;
    lp__node *nodes;
    uint32_t *tree_root;      /* n_trees: index of the root in nodes */
    uint32_t *tree_group;     /* n_trees: which margin the tree adds to */
    uint8_t  *tree_depth;     /* n_trees: edges on the longest root-leaf path */
    uint8_t  *tree_has_cat;   /* n_trees: any categorical split */
    /* Category sets: set s is the bitset cat_words[cat_offset[s] ..
     * + cat_n_words[s]]; bit c set = category c goes RIGHT (XGBoost stores
     * the categories of the right branch). */
    size_t    n_cat_sets, n_cat_words;
    uint32_t *cat_offset, *cat_n_words, *cat_words;
    /* The fast kernel's layout (trees_packed.c), built by lp__forest_pack
     * once the trees are final; NULL = not built, the kernels below walk
     * the nodes.  Read-only once built (the kernel's scratch is on its
     * stack), so threads may share the forest. */
    struct lp__packed_forest *packed;
} lp__forest;

/* Adds every tree's leaf to the rows' margins.  x is row-major, n_features
 * per row, NaN = missing; margins is n_rows * n_groups, already holding the
 * base margins.  tree_group[t] < n_groups and feature indices < n_features
 * are guaranteed by the loader. */
void lp_kern_forest_add_ref(const lp__forest *f, const float *x, size_t n_rows,
                            size_t n_features, float *margins, size_t n_groups);

#if defined(LP_SIMD128)
void lp_kern_forest_add_simd128(const lp__forest *f, const float *x, size_t n_rows,
                                size_t n_features, float *margins, size_t n_groups);
#define lp_kern_forest_add_nodes lp_kern_forest_add_simd128
#else
#define lp_kern_forest_add_nodes lp_kern_forest_add_ref
#endif

/* Dense layers: c[n×m] = a[n×k] · b[k×m] (+ bias[m] unless NULL), row-major.
 * Each element is summed over k in order from 0.0f (acc = acc + a*b, no
 * fused multiply-add), then the bias added, then, when relu is set, ONNX
 * Relu applied as the element is stored (y = x < 0 ? 0 : x: NaN stays NaN,
 * as torch, numpy and onnxruntime's Relu give it; a Relu fused into its
 * layer, graph_build.c): SIMD and scalar agree bit
 * for bit. */
void lp_kern_gemm_ref(const float *a, const float *b, const float *bias, float *c, size_t n, size_t k, size_t m,
                      int relu);
/* Native builds with 128-bit vectors use gemm_vec.c (GCC/Clang vector
 * extensions); the scalar WASM build keeps the reference. */
#if !defined(LP_SIMD128) && !defined(__wasm__) && (defined(__SSE2__) || defined(__ARM_NEON)) && \
    (defined(__GNUC__) || defined(__clang__))
#define LP_GEMM_VEC 1
#else
#define LP_GEMM_VEC 0
#endif
#if defined(LP_SIMD128)
void lp_kern_gemm_simd128(const float *a, const float *b, const float *bias, float *c, size_t n, size_t k, size_t m,
                          int relu);
#define lp_kern_gemm lp_kern_gemm_simd128
#elif LP_GEMM_VEC
void lp_kern_gemm_vec(const float *a, const float *b, const float *bias, float *c, size_t n, size_t k, size_t m,
                      int relu);
#define lp_kern_gemm lp_kern_gemm_vec
#else
#define lp_kern_gemm lp_kern_gemm_ref
#endif

/* Activations over a row (act_scalar.c, act_simd128.c): softmax of z[0..n)
 * into p (float exp of z - max, summed in float as four interleaved lanes,
 * each divided by the sum), and erf elementwise; both through
 * core/lp_math.h's lp__expf / lp__erff, so the SIMD versions agree with the
 * references bit for bit (NaN for NaN where an input is NaN). */
void lp_kern_softmax_ref(const float *z, size_t n, float *p);
void lp_kern_erf_ref(const float *x, float *y, size_t n);
/* LayerNormalization of one row of n: mean and variance in float, summed as
 * the softmax's (four lanes), y = (x - mean) * (1 / sqrt(var + eps)) *
 * scale (+ bias unless NULL). */
void lp_kern_layer_norm_ref(const float *x, const float *scale, const float *bias, size_t n, float eps, float *y);
#if defined(LP_SIMD128)
void lp_kern_softmax_simd128(const float *z, size_t n, float *p);
void lp_kern_erf_simd128(const float *x, float *y, size_t n);
void lp_kern_layer_norm_simd128(const float *x, const float *scale, const float *bias, size_t n, float eps, float *y);
#define lp_kern_softmax lp_kern_softmax_simd128
#define lp_kern_erf lp_kern_erf_simd128
#define lp_kern_layer_norm lp_kern_layer_norm_simd128
#else
#define lp_kern_softmax lp_kern_softmax_ref
#define lp_kern_erf lp_kern_erf_ref
#define lp_kern_layer_norm lp_kern_layer_norm_ref
#endif

/* The packed layout (trees_packed.c): thresholds quantised per feature,
 * trees stored complete to their depth, rows walked eight at a time.
 * lp__forest_pack (re)builds it for rows of n_features values; it returns 0
 * when out of memory (f->packed then stays NULL).  Trees it cannot represent
 * exactly keep the node walk, in their place in the tree order, so
 * lp_kern_forest_add_packed gives the reference's bits for every forest. */
typedef struct lp__packed_forest lp__packed_forest;
int    lp__forest_pack(lp__forest *f, size_t n_features);
void   lp__forest_unpack(lp__forest *f);
size_t lp__forest_packed_trees(const lp__forest *f);
/* Packed trees whose levels below the vector levels are walked with gathered
 * bins (vector builds, rows of at most 128 features). */
size_t lp__forest_gathered_trees(const lp__forest *f);
/* Packed trees whose first levels a one-row walk does as vector lanes
 * (lane runs: vector builds, rows of at most 128 features). */
size_t lp__forest_lane_run_trees(const lp__forest *f);
void lp_kern_forest_add_packed(const lp__forest *f, const float *x, size_t n_rows,
                               size_t n_features, float *margins, size_t n_groups);

/* What predictions call: the packed kernel when the layout exists. */
static inline void lp_kern_forest_add(const lp__forest *f, const float *x, size_t n_rows,
                                      size_t n_features, float *margins, size_t n_groups)
{
    if (f->packed) lp_kern_forest_add_packed(f, x, n_rows, n_features, margins, n_groups);
    else lp_kern_forest_add_nodes(f, x, n_rows, n_features, margins, n_groups);
}

/* One step from node n for value x (shared by both kernels for categorical
 * splits, which the SIMD version does not vectorise). */
static inline int32_t lp__node_next(const lp__forest *f, const lp__node *n, float x)
{
    if (x != x) return (n->feature & LP__NODE_DEFAULT_LEFT) ? n->left : n->right;
    if (!(n->feature & LP__NODE_CATEGORICAL)) return x < n->u.threshold ? n->left : n->right;
    uint32_t set = n->u.cat_set;
    uint32_t words = f->cat_n_words[set];
    /* XGBoost truncates the value to an integer category; one that is
     * negative or beyond the set's bitset is not in the set: left. */
    if (!(x >= 0.0f) || x >= (float)words * 32.0f) return n->left;
    uint32_t c = (uint32_t)x;
    uint32_t bit = (f->cat_words[f->cat_offset[set] + c / 32] >> (c % 32)) & 1u;
    return bit ? n->right : n->left;
}

#endif
