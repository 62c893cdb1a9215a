/* lp_math.h — the transcendental functions the engine's outputs depend on.
 *
 * They are written here, with only + - * / on doubles, instead of taken from
 * libm, so that the native build (glibc) and the WASM build (musl) produce the
 * same bits: ARCHITECTURE.md promises byte-identical output for tree models.
 * Accuracy is a few double ulps, far below the float32 the results are
 * rounded to.
 */
#ifndef LP_CORE_MATH_H
#define LP_CORE_MATH_H

#include <stddef.h>

double lp__exp(double x);
double lp__log(double x);   /* x > 0 */

/* Scores → probabilities, shared by the output links and ONNX operators. */
float lp__sigmoid(float x);
float lp__tanh(float x);
/* Softmax of z[0..n) into p, in double.  keep_zeros: scores within 1e-7 of
 * zero stay (nearly) 0 instead of exp(0 - max), onnxruntime's SOFTMAX_ZERO. */
void  lp__softmax(const float *z, size_t n, int keep_zeros, float *p);
/* onnxruntime's PROBIT: sqrt(2) * erfinv(2s - 1) with its closed-form
 * erfinv approximation (Winitzki, a = 0.147), in float as there. */
float lp__probit(float s);

/* Float32 exp and erf for the dense graph's hot activations (attention
 * softmax, GELU), where the double versions above cost more than the rest
 * of a transformer.  Only float + - * and bit moves (no libm, no FMA: the
 * build's -ffp-contract=off), so native and WASM round alike; each has a
 * lane-for-lane wasm SIMD twin in kernels/act_simd128.c.  Accuracy, checked
 * against libm's double results by tests/c/test_kernels.c: lp__expf within
 * 2 float ulps for x >= -87.33 (below, where the result would be under
 * FLT_MIN, it returns 0); lp__erff within 2e-7 absolute and a few ulps
 * relative. */
float lp__expf(float x);
float lp__erff(float x);

/* Their constants, shared with the SIMD twins (which must round alike). */
#define LP__EXPF_HI   88.7228317f      /* above: +inf */
#define LP__EXPF_LO   (-87.3365479f)   /* below: 0 (exp would be < FLT_MIN) */
#define LP__LOG2E_F   1.44269502f
#define LP__ROUND_F   12582912.0f      /* 1.5 * 2^23 */
#define LP__ROUND_BITS 0x4b400000u     /* its bits */
#define LP__LN2_HI_F  0.693359375f
#define LP__LN2_LO_F  (-2.12194440e-4f)
/* exp(r) = 1 + r + r^2/2! + ... + r^7/7!, by Horner */
#define LP__EXPF_C7 1.98412701e-4f
#define LP__EXPF_C6 1.38888892e-3f
#define LP__EXPF_C5 8.33333377e-3f
#define LP__EXPF_C4 4.16666679e-2f
#define LP__EXPF_C3 1.66666672e-1f
#define LP__EXPF_C2 0.5f
/* erf(x) / x as a polynomial in x^2 on [0, 1) (degree 5, highest first) */
#define LP__ERFF_A { -5.696713342e-04f, 4.934519064e-03f, -2.672698908e-02f, 1.128078923e-01f, -3.761241436e-01f, \
                     1.128379107e+00f }
/* erfc(x) e^(x^2) on [1, 4) in s = (x - 2.5) / 1.5 (degree 12, highest first) */
#define LP__ERFF_B { 1.381908805e-05f, -3.692872269e-05f, 5.494724974e-05f, -1.439485932e-04f, 4.145081039e-04f, \
                     -1.017117756e-03f, 2.401701640e-03f, -5.567332730e-03f, 1.248970348e-02f, -2.700572461e-02f, \
                     5.611047149e-02f, -1.115210056e-01f, 2.108063698e-01f }

#endif
