/* gemm_scalar.c — the reference dense kernel; see kernels.h. */
#include "kernels.h"

void lp_kern_gemm_ref(const float *a, const float *b, const float *bias, float *c, size_t n, size_t k, size_t m,
                      int relu)
{
    for (size_t i = 0; i < n; i++) {
        const float *row = a + i * k;
        for (size_t j = 0; j < m; j++) {
            float acc = 0.0f;
            for (size_t q = 0; q < k; q++) acc = acc + row[q] * b[q * m + j];
            float v = bias ? acc + bias[j] : acc;
            c[i * m + j] = relu && v < 0 ? 0.0f : v;
        }
    }
}
