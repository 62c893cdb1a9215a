/* act_scalar.c — the reference activation kernels (softmax of a row, erf);
 * see kernels.h. */
#include "kernels.h"

#include <math.h>

#include "../core/lp_math.h"

void lp_kern_softmax_ref(const float *z, size_t n, float *p)
{
    float top = z[0];
    for (size_t i = 1; i < n; i++)
        if (z[i] > top) top = z[i];
    /* summed as four lanes (element i into lane i % 4 while whole groups of
     * four last), the lanes paired, then the tail: the SIMD version's order */
    float lane[4] = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (size_t l = 0; l < 4; l++) {
            p[i + l] = lp__expf(z[i + l] - top);
            lane[l] = lane[l] + p[i + l];
        }
    float sum = (lane[0] + lane[2]) + (lane[1] + lane[3]);
    for (; i < n; i++) {
        p[i] = lp__expf(z[i] - top);
        sum = sum + p[i];
    }
    for (i = 0; i < n; i++) p[i] = p[i] / sum;
}

void lp_kern_erf_ref(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = lp__erff(x[i]);
}

/* Sums as four interleaved lanes, paired, then the tail (softmax's order). */
static float lane_sum(const float *x, float shift, int square, size_t n)
{
    float lane[4] = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (size_t l = 0; l < 4; l++) {
            float c = x[i + l] - shift;
            lane[l] = lane[l] + (square ? c * c : c);
        }
    float sum = (lane[0] + lane[2]) + (lane[1] + lane[3]);
    for (; i < n; i++) {
        float c = x[i] - shift;
        sum = sum + (square ? c * c : c);
    }
    return sum;
}

void lp_kern_layer_norm_ref(const float *x, const float *scale, const float *bias, size_t n, float eps, float *y)
{
    float mean = lane_sum(x, 0.0f, 0, n) / (float)n;
    float inv = 1.0f / sqrtf(lane_sum(x, mean, 1, n) / (float)n + eps);
    for (size_t i = 0; i < n; i++) {
        float v = (x[i] - mean) * inv * scale[i];
        y[i] = bias ? v + bias[i] : v;
    }
}
