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

double lp__exp(double x);
double lp__log(double x);   /* x > 0 */

#endif
