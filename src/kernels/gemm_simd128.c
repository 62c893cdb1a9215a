/* gemm_simd128.c — the dense kernel in wasm SIMD: blocks of 4 rows × 8
 * columns held in eight registers, the k loop innermost, so each B vector
 * loaded serves four rows.  Per element the arithmetic is the reference's:
 * acc = acc + a * b in k order from 0, then + bias, no fused multiply-add,
 * hence bit-identical results (tests/c/test_kernels.c). */
#include <wasm_simd128.h>

#include "kernels.h"

/* Four rows × eight columns, the common case, with the accumulators named so
 * they stay in registers. */
static void block4x8(const float *a, const float *b, const float *bias, float *c, size_t k, size_t m, size_t i0,
                     size_t j)
{
    v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    const float *a0 = a + i0 * k, *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k;
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
    float *r0 = c + i0 * m + j, *r1 = r0 + m, *r2 = r1 + m, *r3 = r2 + m;
    wasm_v128_store(r0, c00), wasm_v128_store(r0 + 4, c01);
    wasm_v128_store(r1, c10), wasm_v128_store(r1 + 4, c11);
    wasm_v128_store(r2, c20), wasm_v128_store(r2 + 4, c21);
    wasm_v128_store(r3, c30), wasm_v128_store(r3 + 4, c31);
}

/* The last 1-3 rows × columns [j, j + 8). */
static void block8(const float *a, const float *b, const float *bias, float *c, size_t k, size_t m, size_t i0,
                   size_t rows, size_t j)
{
    v128_t acc[4][2];
    for (size_t r = 0; r < 4; r++) acc[r][0] = acc[r][1] = wasm_f32x4_splat(0.0f);
    for (size_t q = 0; q < k; q++) {
        v128_t b0 = wasm_v128_load(b + q * m + j), b1 = wasm_v128_load(b + q * m + j + 4);
        for (size_t r = 0; r < rows; r++) {
            v128_t x = wasm_f32x4_splat(a[(i0 + r) * k + q]);
            acc[r][0] = wasm_f32x4_add(acc[r][0], wasm_f32x4_mul(x, b0));
            acc[r][1] = wasm_f32x4_add(acc[r][1], wasm_f32x4_mul(x, b1));
        }
    }
    for (size_t r = 0; r < rows; r++) {
        v128_t lo = acc[r][0], hi = acc[r][1];
        if (bias) {
            lo = wasm_f32x4_add(lo, wasm_v128_load(bias + j));
            hi = wasm_f32x4_add(hi, wasm_v128_load(bias + j + 4));
        }
        wasm_v128_store(c + (i0 + r) * m + j, lo);
        wasm_v128_store(c + (i0 + r) * m + j + 4, hi);
    }
}

void lp_kern_gemm_simd128(const float *a, const float *b, const float *bias, float *c, size_t n, size_t k, size_t m)
{
    size_t m8 = m & ~(size_t)7;
    for (size_t i = 0; i < n; i += 4) {
        size_t rows = n - i < 4 ? n - i : 4;
        for (size_t j = 0; j < m8; j += 8) {
            if (rows == 4) block4x8(a, b, bias, c, k, m, i, j);
            else block8(a, b, bias, c, k, m, i, rows, j);
        }
        /* the last m % 8 columns: the reference loop */
        for (size_t r = i; r < i + rows; r++)
            for (size_t j = m8; j < m; j++) {
                float acc = 0.0f;
                for (size_t q = 0; q < k; q++) acc = acc + a[r * k + q] * b[q * m + j];
                c[r * m + j] = bias ? acc + bias[j] : acc;
            }
    }
}
