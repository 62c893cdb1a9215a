/* act_simd128.c — wasm SIMD twins of the activation kernels: four lanes of
 * exactly the arithmetic of core/lp_math.c's lp__expf and lp__erff (same
 * constants, same operation order, no fused multiply-add), so results are
 * bit-identical to act_scalar.c (tests/c/test_kernels.c). */
#include "kernels.h"

#include <wasm_simd128.h>

#include "../core/lp_math.h"

static inline v128_t splat(float f) { return wasm_f32x4_splat(f); }

static inline v128_t expf4(v128_t x)
{
    v128_t t = wasm_f32x4_add(wasm_f32x4_mul(x, splat(LP__LOG2E_F)), splat(LP__ROUND_F));
    v128_t kf = wasm_f32x4_sub(t, splat(LP__ROUND_F));
    v128_t r = wasm_f32x4_sub(wasm_f32x4_sub(x, wasm_f32x4_mul(kf, splat(LP__LN2_HI_F))),
                              wasm_f32x4_mul(kf, splat(LP__LN2_LO_F)));
    v128_t p = splat(LP__EXPF_C7);
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), splat(LP__EXPF_C6));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), splat(LP__EXPF_C5));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), splat(LP__EXPF_C4));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), splat(LP__EXPF_C3));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), splat(LP__EXPF_C2));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), splat(1.0f));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), splat(1.0f));
    /* 2^k from its bits, k = 128 as 2^127 * 2 (lanes out of range are
     * replaced below, whatever they computed) */
    v128_t k = wasm_i32x4_sub(t, wasm_i32x4_splat((int32_t)LP__ROUND_BITS));
    v128_t big = wasm_i32x4_gt(k, wasm_i32x4_splat(127));
    v128_t scale = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_min(k, wasm_i32x4_splat(127)), wasm_i32x4_splat(127)), 23);
    v128_t y = wasm_f32x4_mul(wasm_f32x4_mul(p, scale), wasm_v128_bitselect(splat(2.0f), splat(1.0f), big));
    y = wasm_v128_bitselect(splat(__builtin_inff()), y, wasm_f32x4_gt(x, splat(LP__EXPF_HI)));
    y = wasm_v128_bitselect(splat(0.0f), y, wasm_f32x4_lt(x, splat(LP__EXPF_LO)));
    return wasm_v128_bitselect(x, y, wasm_f32x4_ne(x, x));
}

static inline v128_t horner4(const float *c, size_t n, v128_t s)
{
    v128_t p = splat(c[0]);
    for (size_t i = 1; i < n; i++) p = wasm_f32x4_add(wasm_f32x4_mul(p, s), splat(c[i]));
    return p;
}

static inline v128_t erff4(v128_t x)
{
    static const float ca[] = LP__ERFF_A, cb[] = LP__ERFF_B;
    v128_t sign = wasm_v128_and(x, wasm_i32x4_splat((int32_t)0x80000000u));
    v128_t a = wasm_f32x4_abs(x);
    v128_t small = wasm_f32x4_lt(a, splat(1.0f));
    v128_t y = wasm_f32x4_mul(a, horner4(ca, sizeof ca / sizeof *ca, wasm_f32x4_mul(a, a)));
    if (!wasm_i32x4_all_true(small)) {   /* some lane at or beyond 1 (or NaN) */
        v128_t s = wasm_f32x4_mul(wasm_f32x4_sub(a, splat(2.5f)), splat(0.666666687f));
        v128_t e = expf4(wasm_f32x4_neg(wasm_f32x4_mul(a, a)));
        v128_t yb = wasm_f32x4_sub(splat(1.0f), wasm_f32x4_mul(e, horner4(cb, sizeof cb / sizeof *cb, s)));
        yb = wasm_v128_bitselect(yb, splat(1.0f), wasm_f32x4_lt(a, splat(4.0f)));
        y = wasm_v128_bitselect(y, yb, small);
    }
    y = wasm_v128_or(y, sign);
    return wasm_v128_bitselect(x, y, wasm_f32x4_ne(x, x));
}

void lp_kern_softmax_simd128(const float *z, size_t n, float *p)
{
    size_t i = 0;
    float top = z[0];
    if (n >= 8) {   /* the maximum is the same whichever order compares (NaN aside: then every output is NaN) */
        v128_t m = wasm_v128_load(z);
        for (i = 4; i + 4 <= n; i += 4) m = wasm_f32x4_pmax(m, wasm_v128_load(z + i));
        m = wasm_f32x4_pmax(m, wasm_i32x4_shuffle(m, m, 2, 3, 0, 1));
        m = wasm_f32x4_pmax(m, wasm_i32x4_shuffle(m, m, 1, 0, 3, 2));
        top = wasm_f32x4_extract_lane(m, 0);
    }
    for (; i < n; i++)
        if (z[i] > top) top = z[i];
    v128_t vtop = splat(top), lanes = splat(0.0f);
    for (i = 0; i + 4 <= n; i += 4) {
        v128_t e = expf4(wasm_f32x4_sub(wasm_v128_load(z + i), vtop));
        wasm_v128_store(p + i, e);
        lanes = wasm_f32x4_add(lanes, e);
    }
    /* (lane 0 + lane 2) + (lane 1 + lane 3), as the reference */
    v128_t pair = wasm_f32x4_add(lanes, wasm_i32x4_shuffle(lanes, lanes, 2, 3, 0, 1));
    float sum = wasm_f32x4_extract_lane(pair, 0) + wasm_f32x4_extract_lane(pair, 1);
    for (; i < n; i++) {
        p[i] = lp__expf(z[i] - top);
        sum = sum + p[i];
    }
    v128_t vs = splat(sum);
    for (i = 0; i + 4 <= n; i += 4) wasm_v128_store(p + i, wasm_f32x4_div(wasm_v128_load(p + i), vs));
    for (; i < n; i++) p[i] = p[i] / sum;
}

void lp_kern_erf_simd128(const float *x, float *y, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, erff4(wasm_v128_load(x + i)));
    for (; i < n; i++) y[i] = lp__erff(x[i]);
}

/* As lane_sum in act_scalar.c: lanes, (0 + 2) + (1 + 3), then the tail. */
static float lane_sum4(const float *x, float shift, int square, size_t n)
{
    v128_t lanes = splat(0.0f), vs = splat(shift);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v128_t c = wasm_f32x4_sub(wasm_v128_load(x + i), vs);
        lanes = wasm_f32x4_add(lanes, square ? wasm_f32x4_mul(c, c) : c);
    }
    v128_t pair = wasm_f32x4_add(lanes, wasm_i32x4_shuffle(lanes, lanes, 2, 3, 0, 1));
    float sum = wasm_f32x4_extract_lane(pair, 0) + wasm_f32x4_extract_lane(pair, 1);
    for (; i < n; i++) {
        float c = x[i] - shift;
        sum = sum + (square ? c * c : c);
    }
    return sum;
}

void lp_kern_layer_norm_simd128(const float *x, const float *scale, const float *bias, size_t n, float eps, float *y)
{
    float mean = lane_sum4(x, 0.0f, 0, n) / (float)n;
    float inv = 1.0f / __builtin_sqrtf(lane_sum4(x, mean, 1, n) / (float)n + eps);
    v128_t vm = splat(mean), vi = splat(inv);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v128_t v = wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + i), vm), vi), wasm_v128_load(scale + i));
        wasm_v128_store(y + i, bias ? wasm_f32x4_add(v, wasm_v128_load(bias + i)) : v);
    }
    for (; i < n; i++) {
        float v = (x[i] - mean) * inv * scale[i];
        y[i] = bias ? v + bias[i] : v;
    }
}
