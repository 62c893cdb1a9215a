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

/* ---- float32 exp and erf (see lp_math.h) ---------------------------------------------- */

/* Range reduction x = k ln2 + r, |r| <= ln2/2: k rounded to nearest by adding
 * and subtracting 1.5 * 2^23; ln2 split so that k * LN2_HI is exact (k has at
 * most 8 bits, LN2_HI 9).  exp(r) by its Taylor series to r^7 (truncation
 * below 6e-9 relative).  The constants (lp_math.h) are shared with
 * kernels/act_simd128.c. */
float lp__expf(float x)
{
    if (x != x) return x;
    if (x > LP__EXPF_HI) return INFINITY;
    if (x < LP__EXPF_LO) return 0.0f;
    union { float f; unsigned u; } t = {x * LP__LOG2E_F + LP__ROUND_F};
    float kf = t.f - LP__ROUND_F;
    float r = (x - kf * LP__LN2_HI_F) - kf * LP__LN2_LO_F;
    float p = LP__EXPF_C7;
    p = p * r + LP__EXPF_C6;
    p = p * r + LP__EXPF_C5;
    p = p * r + LP__EXPF_C4;
    p = p * r + LP__EXPF_C3;
    p = p * r + LP__EXPF_C2;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    /* k = kf, -126 .. 128, read from t's low bits (t = 1.5 * 2^23 + k) */
    int k = (int)(t.u - LP__ROUND_BITS);
    union { float f; unsigned u; } scale;
    scale.u = (unsigned)((k > 127 ? 127 : k) + 127) << 23;
    return p * scale.f * (k > 127 ? 2.0f : 1.0f);
}

/* erf(|x|) = |x| P(x^2) below 1; 1 - e^(-x^2) g(|x|) on [1, 4), g = erfc(x) e^(x^2)
 * smooth there (a polynomial in (|x| - 2.5) / 1.5); 1 beyond (erf(3.92) rounds
 * to 1 in float).  Coefficients fitted by least squares on Chebyshev nodes
 * against the double functions; the sign is copied back bitwise. */
float lp__erff(float x)
{
    if (x != x) return x;
    union { float f; unsigned u; } v = {x}, a = {x};
    a.u &= 0x7fffffffu;
    float y;
    if (a.f < 1.0f) {
        float s = a.f * a.f;
        static const float c[] = LP__ERFF_A;
        float p = c[0];
        for (size_t i = 1; i < sizeof c / sizeof *c; i++) p = p * s + c[i];
        y = a.f * p;
    } else if (a.f < 4.0f) {
        float s = (a.f - 2.5f) * 0.666666687f;
        static const float c[] = LP__ERFF_B;
        float p = c[0];
        for (size_t i = 1; i < sizeof c / sizeof *c; i++) p = p * s + c[i];
        y = 1.0f - lp__expf(-(a.f * a.f)) * p;
    } else {
        y = 1.0f;
    }
    union { float f; unsigned u; } out = {y};
    out.u |= v.u & 0x80000000u;
    return out.f;
}
