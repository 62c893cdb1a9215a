/* trees_simd128.c — tree-ensemble kernel with wasm SIMD: four rows walk each
 * tree together, one level per step; the comparison, the missing-value test
 * and the child choice are done on all four lanes at once.  Trees with
 * categorical splits and the last n_rows % 4 rows use the scalar step.
 * Leaves are added to each row in tree order, as in trees_scalar.c, so the
 * results are bit-identical to the reference. */
#include "kernels.h"

#include <wasm_simd128.h>

static void add_tree_scalar(const lp__forest *f, size_t t, const float *row, float *out)
{
    int32_t i = (int32_t)f->tree_root[t];
    for (unsigned d = f->tree_depth[t]; d; d--) {
        const lp__node *n = &f->nodes[i];
        i = lp__node_next(f, n, row[n->feature & LP__NODE_FEATURE_MASK]);
    }
    out[f->tree_group[t]] += f->nodes[i].u.leaf;
}

void lp_kern_forest_add_simd128(const lp__forest *f, const float *x, size_t n_rows,
                                size_t n_features, float *margins, size_t n_groups)
{
    const lp__node *nodes = f->nodes;
    size_t r = 0;
    for (; r + 4 <= n_rows; r += 4) {
        const float *row0 = x + r * n_features, *row1 = row0 + n_features,
                    *row2 = row1 + n_features, *row3 = row2 + n_features;
        float *out = margins + r * n_groups;
        for (size_t t = 0; t < f->n_trees; t++) {
            if (f->tree_has_cat[t]) {
                for (int k = 0; k < 4; k++)
                    add_tree_scalar(f, t, row0 + k * n_features, out + k * n_groups);
                continue;
            }
            int32_t i0, i1, i2, i3;
            i0 = i1 = i2 = i3 = (int32_t)f->tree_root[t];
            for (unsigned d = f->tree_depth[t]; d; d--) {
                const lp__node *a = &nodes[i0], *b = &nodes[i1], *c = &nodes[i2], *e = &nodes[i3];
                v128_t xv = wasm_f32x4_make(row0[a->feature & LP__NODE_FEATURE_MASK],
                                            row1[b->feature & LP__NODE_FEATURE_MASK],
                                            row2[c->feature & LP__NODE_FEATURE_MASK],
                                            row3[e->feature & LP__NODE_FEATURE_MASK]);
                v128_t tv = wasm_f32x4_make(a->u.threshold, b->u.threshold,
                                            c->u.threshold, e->u.threshold);
                v128_t flags = wasm_i32x4_make((int32_t)a->feature, (int32_t)b->feature,
                                               (int32_t)c->feature, (int32_t)e->feature);
                v128_t lv = wasm_i32x4_make(a->left, b->left, c->left, e->left);
                v128_t rv = wasm_i32x4_make(a->right, b->right, c->right, e->right);
                /* left iff x < threshold, or x is missing and the default is left;
                 * the default-left flag is the sign bit, so a shift makes a mask. */
                v128_t missing = wasm_f32x4_ne(xv, xv);
                v128_t default_left = wasm_i32x4_shr(flags, 31);
                v128_t go_left = wasm_v128_or(wasm_f32x4_lt(xv, tv),
                                              wasm_v128_and(missing, default_left));
                v128_t next = wasm_v128_bitselect(lv, rv, go_left);
                i0 = wasm_i32x4_extract_lane(next, 0);
                i1 = wasm_i32x4_extract_lane(next, 1);
                i2 = wasm_i32x4_extract_lane(next, 2);
                i3 = wasm_i32x4_extract_lane(next, 3);
            }
            size_t g = f->tree_group[t];
            out[g] += nodes[i0].u.leaf;
            out[n_groups + g] += nodes[i1].u.leaf;
            out[2 * n_groups + g] += nodes[i2].u.leaf;
            out[3 * n_groups + g] += nodes[i3].u.leaf;
        }
    }
    lp_kern_forest_add_ref(f, x + r * n_features, n_rows - r, n_features,
                           margins + r * n_groups, n_groups);
}
