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

#endif
