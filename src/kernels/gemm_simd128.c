/* gemm_simd128.c — the dense kernel in wasm SIMD: blocks of 4 rows × 8
 * columns held in eight registers, the k loop innermost, so each B vector
 * loaded serves four rows.  Per element the arithmetic is the reference's:
 * acc = acc + a * b in k order from 0, then + bias, no fused multiply-add,
 * hence bit-identical results (tests/c/test_kernels.c). */
#include <wasm_simd128.h>

#include "kernels.h"

/* One row band [i0, i0 + rows) × columns [j, j + 8), rows <= 4. */
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
        for (size_t j = 0; j < m8; j += 8) block8(a, b, bias, c, k, m, i, rows, j);
        /* the last m % 8 columns: the reference loop */
        for (size_t r = i; r < i + rows; r++)
            for (size_t j = m8; j < m; j++) {
                float acc = 0.0f;
                for (size_t q = 0; q < k; q++) acc = acc + a[r * k + q] * b[q * m + j];
                c[r * m + j] = bias ? acc + bias[j] : acc;
            }
    }
}
