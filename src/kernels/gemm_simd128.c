/* gemm_simd128.c — the dense kernel in wasm SIMD.  Rows go four at a time in
 * blocks of 4 rows × 8 columns held in eight registers, the k loop innermost,
 * so each B vector loaded serves four rows.  The last 1-3 rows (all of a
 * batch of 1-3 rows) keep eight accumulators too, with wider blocks: 2 rows
 * × 16 columns, 1 row × 32.  Each accumulator is one chain of k dependent
 * adds; with fewer than eight the adds wait on each other's latency, which
 * made a single row cost several times its share of a large batch.  Columns
 * beyond the blocks go through 4-lane strips.
 *
 * Per element the arithmetic is the reference's: acc = acc + a * b in k
 * order from 0, then + bias, no fused multiply-add, then a fused Relu's
 * pmax(x, 0) (x < 0 ? 0 : x, Relu's value for NaN and -0 too), hence
 * bit-identical results (tests/c/test_kernels.c).
 *
 * Measured and not kept (tests/bench/README.md, "Dense kernel"): B packed
 * at load into panels of eight columns with the four rows of A packed side
 * by side (every load one base register plus a constant), 5 × 8, 6 × 8 and
 * 4 × 12 blocks, the k loop unrolled by hand, panels outermost so a panel
 * stays in L1, four k steps per load of A with lane shuffles (V8 spills: it
 * has fifteen vector registers), A's four rows interleaved so the broadcasts
 * share one address (gemm3): none was faster here.  What bounds the
 * loop is its multiplies and adds (wasm SIMD has no fused multiply-add
 * without relaxed SIMD, which would also change the rounding) and its six
 * loads a step: in L1 it runs at about 60-70 % of the rate of the same eight
 * chains with their operands in registers. */
#include <wasm_simd128.h>

#include "kernels.h"

/* Four row pointers; a block of fewer rows repeats its first row in the
 * missing places, computes the copies alongside (the same chains, so no
 * longer a wait) and stores only its `rows`. */
typedef struct rows4 {
    const float *a[4];
    float       *c[4];
    size_t       rows;
} rows4;

static rows4 rows_at(const float *a, float *c, size_t k, size_t m, size_t i0, size_t rows)
{
    rows4 r;
    for (size_t t = 0; t < 4; t++) {
        size_t i = i0 + (t < rows ? t : 0);
        r.a[t] = a + i * k;
        r.c[t] = c + i * m;
    }
    r.rows = rows;
    return r;
}

/* The store's Relu, when fused: pmax(x, 0) = x < 0 ? 0 : x. */
static inline v128_t act(v128_t v, int relu) { return relu ? wasm_f32x4_pmax(v, wasm_f32x4_splat(0.0f)) : v; }

/* Up to four rows × eight columns [j, j + 8), the accumulators named so they
 * stay in registers. */
static void block4x8(const rows4 *r, const float *b, const float *bias, size_t k, size_t m, size_t j, int relu)
{
    v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    const float *a0 = r->a[0], *a1 = r->a[1], *a2 = r->a[2], *a3 = r->a[3];
    const float *bq = b + j;
    for (size_t q = 0; q < k; q++, bq += m) {
        v128_t b0 = wasm_v128_load(bq), b1 = wasm_v128_load(bq + 4);
        v128_t x0 = wasm_f32x4_splat(a0[q]), x1 = wasm_f32x4_splat(a1[q]);
        v128_t x2 = wasm_f32x4_splat(a2[q]), x3 = wasm_f32x4_splat(a3[q]);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x0, b0));
        c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x0, b1));
        c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x1, b0));
        c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x1, b1));
        c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x2, b0));
        c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x2, b1));
        c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x3, b0));
        c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x3, b1));
    }
    if (bias) {
        v128_t z0 = wasm_v128_load(bias + j), z1 = wasm_v128_load(bias + j + 4);
        c00 = wasm_f32x4_add(c00, z0), c01 = wasm_f32x4_add(c01, z1);
        c10 = wasm_f32x4_add(c10, z0), c11 = wasm_f32x4_add(c11, z1);
        c20 = wasm_f32x4_add(c20, z0), c21 = wasm_f32x4_add(c21, z1);
        c30 = wasm_f32x4_add(c30, z0), c31 = wasm_f32x4_add(c31, z1);
    }
    if (r->rows > 3) wasm_v128_store(r->c[3] + j, act(c30, relu)), wasm_v128_store(r->c[3] + j + 4, act(c31, relu));
    if (r->rows > 2) wasm_v128_store(r->c[2] + j, act(c20, relu)), wasm_v128_store(r->c[2] + j + 4, act(c21, relu));
    if (r->rows > 1) wasm_v128_store(r->c[1] + j, act(c10, relu)), wasm_v128_store(r->c[1] + j + 4, act(c11, relu));
    wasm_v128_store(r->c[0] + j, act(c00, relu)), wasm_v128_store(r->c[0] + j + 4, act(c01, relu));
}

/* Two rows × sixteen columns [j, j + 16). */
static void block2x16(const rows4 *r, const float *b, const float *bias, size_t k, size_t m, size_t j, int relu)
{
    v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    const float *a0 = r->a[0], *a1 = r->a[1];
    const float *bq = b + j;
    for (size_t q = 0; q < k; q++, bq += m) {
        v128_t b0 = wasm_v128_load(bq), b1 = wasm_v128_load(bq + 4);
        v128_t b2 = wasm_v128_load(bq + 8), b3 = wasm_v128_load(bq + 12);
        v128_t x0 = wasm_f32x4_splat(a0[q]), x1 = wasm_f32x4_splat(a1[q]);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x0, b0));
        c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x0, b1));
        c02 = wasm_f32x4_add(c02, wasm_f32x4_mul(x0, b2));
        c03 = wasm_f32x4_add(c03, wasm_f32x4_mul(x0, b3));
        c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x1, b0));
        c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x1, b1));
        c12 = wasm_f32x4_add(c12, wasm_f32x4_mul(x1, b2));
        c13 = wasm_f32x4_add(c13, wasm_f32x4_mul(x1, b3));
    }
    if (bias) {
        v128_t z0 = wasm_v128_load(bias + j), z1 = wasm_v128_load(bias + j + 4);
        v128_t z2 = wasm_v128_load(bias + j + 8), z3 = wasm_v128_load(bias + j + 12);
        c00 = wasm_f32x4_add(c00, z0), c01 = wasm_f32x4_add(c01, z1);
        c02 = wasm_f32x4_add(c02, z2), c03 = wasm_f32x4_add(c03, z3);
        c10 = wasm_f32x4_add(c10, z0), c11 = wasm_f32x4_add(c11, z1);
        c12 = wasm_f32x4_add(c12, z2), c13 = wasm_f32x4_add(c13, z3);
    }
    float *r0 = r->c[0] + j, *r1 = r->c[1] + j;
    wasm_v128_store(r0, act(c00, relu)), wasm_v128_store(r0 + 4, act(c01, relu));
    wasm_v128_store(r0 + 8, act(c02, relu)), wasm_v128_store(r0 + 12, act(c03, relu));
    wasm_v128_store(r1, act(c10, relu)), wasm_v128_store(r1 + 4, act(c11, relu));
    wasm_v128_store(r1 + 8, act(c12, relu)), wasm_v128_store(r1 + 12, act(c13, relu));
}

/* One row × thirty-two columns [j, j + 32): a matrix-vector product's block. */
static void block1x32(const rows4 *r, const float *b, const float *bias, size_t k, size_t m, size_t j, int relu)
{
    v128_t c0 = wasm_f32x4_splat(0.0f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    const float *a0 = r->a[0];
    const float *bq = b + j;
    for (size_t q = 0; q < k; q++, bq += m) {
        v128_t x = wasm_f32x4_splat(a0[q]);
        c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(x, wasm_v128_load(bq)));
        c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(x, wasm_v128_load(bq + 4)));
        c2 = wasm_f32x4_add(c2, wasm_f32x4_mul(x, wasm_v128_load(bq + 8)));
        c3 = wasm_f32x4_add(c3, wasm_f32x4_mul(x, wasm_v128_load(bq + 12)));
        c4 = wasm_f32x4_add(c4, wasm_f32x4_mul(x, wasm_v128_load(bq + 16)));
        c5 = wasm_f32x4_add(c5, wasm_f32x4_mul(x, wasm_v128_load(bq + 20)));
        c6 = wasm_f32x4_add(c6, wasm_f32x4_mul(x, wasm_v128_load(bq + 24)));
        c7 = wasm_f32x4_add(c7, wasm_f32x4_mul(x, wasm_v128_load(bq + 28)));
    }
    if (bias) {
        const float *z = bias + j;
        c0 = wasm_f32x4_add(c0, wasm_v128_load(z)), c1 = wasm_f32x4_add(c1, wasm_v128_load(z + 4));
        c2 = wasm_f32x4_add(c2, wasm_v128_load(z + 8)), c3 = wasm_f32x4_add(c3, wasm_v128_load(z + 12));
        c4 = wasm_f32x4_add(c4, wasm_v128_load(z + 16)), c5 = wasm_f32x4_add(c5, wasm_v128_load(z + 20));
        c6 = wasm_f32x4_add(c6, wasm_v128_load(z + 24)), c7 = wasm_f32x4_add(c7, wasm_v128_load(z + 28));
    }
    float *o = r->c[0] + j;
    wasm_v128_store(o, act(c0, relu)), wasm_v128_store(o + 4, act(c1, relu));
    wasm_v128_store(o + 8, act(c2, relu)), wasm_v128_store(o + 12, act(c3, relu));
    wasm_v128_store(o + 16, act(c4, relu)), wasm_v128_store(o + 20, act(c5, relu));
    wasm_v128_store(o + 24, act(c6, relu)), wasm_v128_store(o + 28, act(c7, relu));
}

/* `w` (1-4) floats from p into the low lanes, zeros above: the last columns
 * of a B row are read without touching the next row's (or past B's end). */
static inline v128_t load_cols(const float *p, size_t w)
{
    switch (w) {
    case 1: return wasm_v128_load32_zero(p);
    case 2: return wasm_v128_load64_zero(p);
    case 3: return wasm_v128_load32_lane(p + 2, wasm_v128_load64_zero(p), 2);
    default: return wasm_v128_load(p);
    }
}

static inline void store_cols(float *p, v128_t v, size_t w)
{
    if (w == 4) {
        wasm_v128_store(p, v);
        return;
    }
    p[0] = wasm_f32x4_extract_lane(v, 0);
    if (w > 1) p[1] = wasm_f32x4_extract_lane(v, 1);
    if (w > 2) p[2] = wasm_f32x4_extract_lane(v, 2);
}

/* Up to four rows × columns [j, j + w), w <= 4: one vector per row. */
static void strip(const rows4 *r, const float *b, const float *bias, size_t k, size_t m, size_t j, size_t w, int relu)
{
    v128_t c0 = wasm_f32x4_splat(0.0f), c1 = c0, c2 = c0, c3 = c0;
    const float *a0 = r->a[0], *a1 = r->a[1], *a2 = r->a[2], *a3 = r->a[3];
    const float *bq = b + j;
    for (size_t q = 0; q < k; q++, bq += m) {
        v128_t bv = load_cols(bq, w);
        c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(wasm_f32x4_splat(a0[q]), bv));
        c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(wasm_f32x4_splat(a1[q]), bv));
        c2 = wasm_f32x4_add(c2, wasm_f32x4_mul(wasm_f32x4_splat(a2[q]), bv));
        c3 = wasm_f32x4_add(c3, wasm_f32x4_mul(wasm_f32x4_splat(a3[q]), bv));
    }
    if (bias) {
        v128_t z = load_cols(bias + j, w);
        c0 = wasm_f32x4_add(c0, z), c1 = wasm_f32x4_add(c1, z), c2 = wasm_f32x4_add(c2, z), c3 = wasm_f32x4_add(c3, z);
    }
    if (r->rows > 3) store_cols(r->c[3] + j, act(c3, relu), w);
    if (r->rows > 2) store_cols(r->c[2] + j, act(c2, relu), w);
    if (r->rows > 1) store_cols(r->c[1] + j, act(c1, relu), w);
    store_cols(r->c[0] + j, act(c0, relu), w);
}

/* The rows of r (1, 2 or 4) over every column: the widest block that keeps
 * eight accumulators, then 8-column blocks, then strips. */
static void row_block(const rows4 *r, const float *b, const float *bias, size_t k, size_t m, int relu)
{
    size_t j = 0;
    if (r->rows == 1)
        for (; j + 32 <= m; j += 32) block1x32(r, b, bias, k, m, j, relu);
    else if (r->rows == 2)
        for (; j + 16 <= m; j += 16) block2x16(r, b, bias, k, m, j, relu);
    for (; j + 8 <= m; j += 8) block4x8(r, b, bias, k, m, j, relu);
    for (; j < m; j += 4) strip(r, b, bias, k, m, j, m - j < 4 ? m - j : 4, relu);
}

void lp_kern_gemm_simd128(const float *a, const float *b, const float *bias, float *c, size_t n, size_t k, size_t m,
                          int relu)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        rows4 r = rows_at(a, c, k, m, i, 4);
        row_block(&r, b, bias, k, m, relu);
    }
    if (n - i >= 2) {   /* 2 or 3 rows left: a pair, then maybe one */
        rows4 r = rows_at(a, c, k, m, i, 2);
        row_block(&r, b, bias, k, m, relu);
        i += 2;
    }
    if (i < n) {
        rows4 r = rows_at(a, c, k, m, i, 1);
        row_block(&r, b, bias, k, m, relu);
    }
}
