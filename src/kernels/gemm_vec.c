/* gemm_vec.c — the dense kernel for native builds with 128-bit vectors (SSE2
 * on x86-64, NEON on arm64), written with GCC/Clang vector extensions: the
 * same blocking as gemm_simd128.c (4 rows × 8 columns in eight registers, the
 * k loop innermost, each B vector serving four rows; the last 1-3 rows in
 * blocks of 2 × 16 and 1 × 32 columns, so that eight independent accumulators
 * hide the adds' latency; the last columns in 4-lane strips).  Per element
 * the arithmetic is the reference's: acc = acc + a * b in k order from 0,
 * then + bias (then a fused Relu, x < 0 ? 0 : x as a mask), and the build's
 * -ffp-contract=off keeps multiply and add apart, so results are
 * bit-identical to lp_kern_gemm_ref
 * (tests/c/test_kernels.c).  The WASM builds do not use it: the SIMD one has
 * gemm_simd128.c, the scalar one the reference. */
#include "kernels.h"

#if LP_GEMM_VEC
#include <string.h>

typedef float v4f __attribute__((vector_size(16)));

static inline v4f load4(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store4(float *p, v4f v) { memcpy(p, &v, sizeof v); }

static inline v4f splat4(float x) { return (v4f){x, x, x, x}; }

/* `w` (1-4) floats from p into the low lanes, zeros above (a B row's last
 * columns, read without touching the next row or past B's end). */
static inline v4f load_cols(const float *p, size_t w)
{
    v4f v = {0};
    memcpy(&v, p, w * sizeof(float));
    return v;
}

static inline void store_cols(float *p, v4f v, size_t w) { memcpy(p, &v, w * sizeof(float)); }

typedef int32_t v4i __attribute__((vector_size(16)));

/* A fused Relu: x < 0 ? 0 : x (NaN stays NaN), as the reference. */
static inline v4f act(v4f v, int relu) { return relu ? (v4f)((v4i)v & ~(v < (v4f){0})) : v; }

/* Rows [i0, i0 + rows) (1 to 4) × columns [j, j + 8). */
static void block(const float *a, const float *b, const float *bias, float *c, size_t k, size_t m, size_t i0,
                  size_t rows, size_t j, int relu)
{
    v4f acc[4][2] = {{{0}}};
    const float *bq = b + j;
    if (rows == 4) {   /* the common case: fixed trip counts, the accumulators stay in registers */
        const float *a0 = a + i0 * k;
        for (size_t q = 0; q < k; q++, bq += m) {
            v4f b0 = load4(bq), b1 = load4(bq + 4);
            for (size_t r = 0; r < 4; r++) {
                v4f x = splat4(a0[r * k + q]);
                acc[r][0] = acc[r][0] + x * b0;
                acc[r][1] = acc[r][1] + x * b1;
            }
        }
    } else {
        for (size_t q = 0; q < k; q++, bq += m) {
            v4f b0 = load4(bq), b1 = load4(bq + 4);
            for (size_t r = 0; r < rows; r++) {
                v4f x = splat4(a[(i0 + r) * k + q]);
                acc[r][0] = acc[r][0] + x * b0;
                acc[r][1] = acc[r][1] + x * b1;
            }
        }
    }
    for (size_t r = 0; r < rows; r++) {
        v4f lo = acc[r][0], hi = acc[r][1];
        if (bias) lo = lo + load4(bias + j), hi = hi + load4(bias + j + 4);
        store4(c + (i0 + r) * m + j, act(lo, relu));
        store4(c + (i0 + r) * m + j + 4, act(hi, relu));
    }
}

/* Rows [i0, i0 + R) × columns [j, j + 4 * V), R * V = 8 accumulators: R = 2
 * (sixteen columns) or R = 1 (thirty-two). */
#define WIDE_BLOCK(name, R, V)                                                                                   \
    static void name(const float *a, const float *b, const float *bias, float *c, size_t k, size_t m, size_t i0, \
                     size_t j, int relu)                                                                         \
    {                                                                                                            \
        v4f acc[R][V] = {{{0}}};                                                                                 \
        const float *bq = b + j, *a0 = a + i0 * k;                                                               \
        for (size_t q = 0; q < k; q++, bq += m)                                                                  \
            for (size_t r = 0; r < R; r++) {                                                                     \
                v4f x = splat4(a0[r * k + q]);                                                                   \
                for (size_t v = 0; v < V; v++) acc[r][v] = acc[r][v] + x * load4(bq + 4 * v);                   \
            }                                                                                                    \
        for (size_t r = 0; r < R; r++)                                                                           \
            for (size_t v = 0; v < V; v++) {                                                                     \
                v4f s = acc[r][v];                                                                               \
                if (bias) s = s + load4(bias + j + 4 * v);                                                       \
                store4(c + (i0 + r) * m + j + 4 * v, act(s, relu));                                              \
            }                                                                                                    \
    }
WIDE_BLOCK(block2x16, 2, 4)
WIDE_BLOCK(block1x32, 1, 8)

/* Rows [i0, i0 + rows) × columns [j, j + w), w <= 4: one vector per row. */
static void strip(const float *a, const float *b, const float *bias, float *c, size_t k, size_t m, size_t i0,
                  size_t rows, size_t j, size_t w, int relu)
{
    v4f acc[4] = {{0}};
    const float *bq = b + j, *a0 = a + i0 * k;
    for (size_t q = 0; q < k; q++, bq += m) {
        v4f bv = load_cols(bq, w);
        for (size_t r = 0; r < rows; r++) acc[r] = acc[r] + splat4(a0[r * k + q]) * bv;
    }
    for (size_t r = 0; r < rows; r++) {
        v4f s = acc[r];
        if (bias) s = s + load_cols(bias + j, w);
        store_cols(c + (i0 + r) * m + j, act(s, relu), w);
    }
}

/* Rows [i0, i0 + rows) over every column: the widest block that keeps eight
 * accumulators, then 8-column blocks, then strips. */
static void row_block(const float *a, const float *b, const float *bias, float *c, size_t k, size_t m, size_t i0,
                      size_t rows, int relu)
{
    size_t j = 0;
    if (rows == 1)
        for (; j + 32 <= m; j += 32) block1x32(a, b, bias, c, k, m, i0, j, relu);
    else if (rows == 2)
        for (; j + 16 <= m; j += 16) block2x16(a, b, bias, c, k, m, i0, j, relu);
    for (; j + 8 <= m; j += 8) block(a, b, bias, c, k, m, i0, rows, j, relu);
    for (; j < m; j += 4) strip(a, b, bias, c, k, m, i0, rows, j, m - j < 4 ? m - j : 4, relu);
}

void lp_kern_gemm_vec(const float *a, const float *b, const float *bias, float *c, size_t n, size_t k, size_t m,
                      int relu)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) row_block(a, b, bias, c, k, m, i, 4, relu);
    if (n - i >= 2) {   /* 2 or 3 rows left: a pair, then maybe one */
        row_block(a, b, bias, c, k, m, i, 2, relu);
        i += 2;
    }
    if (i < n) row_block(a, b, bias, c, k, m, i, 1, relu);
}
#endif
