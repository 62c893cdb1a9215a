/* lp_math.c — deterministic exp and log; see lp_math.h. */
#include "lp_math.h"

#include <math.h>

/* 2^k for integer k in the normal range, built from the bit pattern. */
static double pow2i(int k)
{
    union { double d; unsigned long long u; } v;
    v.u = (unsigned long long)(k + 1023) << 52;
    return v.d;
}

double lp__exp(double x)
{
    if (x != x) return x;
    if (x > 709.782712893383973096) return INFINITY;   /* log(DBL_MAX) */
    if (x < -745.0) return 0.0;
    /* x = k ln2 + r, |r| <= ln2/2, with ln2 split in two parts so k*ln2_hi is exact. */
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    const double inv_ln2 = 1.44269504088896338700e+00;
    double kd = x * inv_ln2;
    int k = (int)(kd < 0 ? kd - 0.5 : kd + 0.5);
    double r = (x - k * ln2_hi) - k * ln2_lo;
    /* Taylor series to r^13: error < 1e-17 for |r| <= 0.347. */
    double term = 1.0, sum = 1.0;
    for (int i = 1; i <= 13; i++) {
        term = term * r / i;
        sum += term;
    }
    /* Split the scaling so subnormal results and k = 1024 stay representable. */
    if (k > 1000) return sum * pow2i(k - 1000) * pow2i(1000);
    if (k < -1000) return sum * pow2i(k + 1000) * pow2i(-1000);
    return sum * pow2i(k);
}

double lp__log(double x)
{
    if (x != x || x < 0) return NAN;
    if (x == 0) return -INFINITY;
    if (x == INFINITY) return x;
    /* x = m 2^e with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s), s = (m-1)/(m+1). */
    int e = 0;
    double m = frexp(x, &e);   /* m in [0.5, 1) */
    if (m < 0.70710678118654752440) {
        m *= 2;
        e -= 1;
    }
    double s = (m - 1) / (m + 1), s2 = s * s;
    double term = s, sum = 0;
    for (int i = 1; i <= 41; i += 2) {   /* |s| <= 0.1716: s^41 < 1e-31 */
        sum += term / i;
        term *= s2;
    }
    const double ln2 = 6.93147180559945309417e-01;
    return 2 * sum + e * ln2;
}

float lp__sigmoid(float x) { return (float)(1.0 / (1.0 + lp__exp(-(double)x))); }

float lp__tanh(float x)
{
    double e = lp__exp(-2.0 * (x < 0 ? -(double)x : (double)x));   /* in (0, 1]: no overflow */
    double t = (1.0 - e) / (1.0 + e);
    return (float)(x < 0 ? -t : t);
}

void lp__softmax(const float *z, size_t n, int keep_zeros, float *p)
{
    double top = z[0], sum = 0;
    for (size_t g = 1; g < n; g++)
        if (z[g] > top) top = z[g];
    /* Short rows (attention scores, class margins) keep each exp for the
     * second pass instead of computing it again: the same values, half the
     * exps. */
    double kept[64];
    int keep = n <= sizeof kept / sizeof *kept;
    for (size_t g = 0; g < n; g++)
        if (!keep_zeros || z[g] > 1e-7f || z[g] < -1e-7f) {
            double e = lp__exp((double)z[g] - top);
            sum += e;
            if (keep) kept[g] = e;
        }
    for (size_t g = 0; g < n; g++) {
        int zero = keep_zeros && !(z[g] > 1e-7f || z[g] < -1e-7f);
        double e = zero ? (double)z[g] * lp__exp(-top) : keep ? kept[g] : lp__exp((double)z[g] - top);
        p[g] = (float)(e / sum);
    }
}

float lp__probit(float s)
{
    float x = 2 * s - 1;
    float sgn = x < 0 ? -1.0f : 1.0f;
    x = (1 - x) * (1 + x);
    float lg = (float)lp__log((double)x);
    float v = 2 / (3.14159265358979f * 0.147f) + 0.5f * lg;
    float v2 = 1 / 0.147f * lg;
    float v3 = -v + sqrtf(v * v - v2);
    return 1.41421356237f * (sgn * sqrtf(v3));
}
