/* gemm_vec.c — the dense kernel for native builds with 128-bit vectors (SSE2
 * on x86-64, NEON on arm64), written with GCC/Clang vector extensions: the
 * same blocking as gemm_simd128.c (4 rows × 8 columns in eight registers, the
 * k loop innermost, each B vector serving four rows).  Per element the
 * arithmetic is the reference's: acc = acc + a * b in k order from 0, then
 * + bias, and the build's -ffp-contract=off keeps multiply and add apart, so
 * results are bit-identical to lp_kern_gemm_ref (tests/c/test_kernels.c).
 * The WASM builds do not use it: the SIMD one has gemm_simd128.c, the scalar
 * one the reference. */
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

/* Rows [i0, i0 + rows) (1 to 4) × columns [j, j + 8). */
static void block(const float *a, const float *b, const float *bias, float *c, size_t k, size_t m, size_t i0,
                  size_t rows, size_t j)
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
        store4(c + (i0 + r) * m + j, lo);
        store4(c + (i0 + r) * m + j + 4, hi);
    }
}

void lp_kern_gemm_vec(const float *a, const float *b, const float *bias, float *c, size_t n, size_t k, size_t m)
{
    size_t m8 = m & ~(size_t)7;
    for (size_t i = 0; i < n; i += 4) {
        size_t rows = n - i < 4 ? n - i : 4;
        for (size_t j = 0; j < m8; j += 8) block(a, b, bias, c, k, m, i, rows, j);
        /* the last m % 8 columns: the reference loop */
        for (size_t r = i; r < i + rows; r++)
            for (size_t j = m8; j < m; j++) {
                float acc = 0.0f;
                for (size_t q = 0; q < k; q++) acc = acc + a[r * k + q] * b[q * m + j];
                c[r * m + j] = bias ? acc + bias[j] : acc;
            }
    }
}
#endif
