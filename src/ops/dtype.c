/* dtype.c — the element types graph values hold and conversions between
 * them (Cast, and feeding CSV numbers into integer inputs); see graph.h. */
#include <math.h>
#include <stdint.h>

#include "graph.h"

int lp__dtype_computable(int32_t dtype)
{
    switch (dtype) {
    case LP_ONNX_FLOAT: case LP_ONNX_DOUBLE: case LP_ONNX_INT64: case LP_ONNX_INT32: case LP_ONNX_BOOL: return 1;
    default: return 0;   /* LP_ONNX_STRING joins here with the string operators */
    }
}

int lp__dtype_storable(int32_t dtype)
{
    return lp__dtype_computable(dtype) || dtype == LP_ONNX_STRING || dtype == LP__DTYPE_TOKENS;
}

size_t lp__dtype_elem_size(int32_t dtype)
{
    return dtype == LP_ONNX_STRING   ? sizeof(lp__onnx_bytes)
           : dtype == LP__DTYPE_TOKENS ? sizeof(lp__token_row)
                                       : lp__onnx_dtype_size(dtype);
}

double lp__dtype_get_f64(int32_t dtype, const void *data, size_t i)
{
    switch (dtype) {
    case LP_ONNX_FLOAT: return ((const float *)data)[i];
    case LP_ONNX_DOUBLE: return ((const double *)data)[i];
    case LP_ONNX_INT64: return (double)((const int64_t *)data)[i];
    case LP_ONNX_INT32: return ((const int32_t *)data)[i];
    default: return ((const uint8_t *)data)[i];
    }
}

/* A double to int64 as x86's conversion does it (C leaves NaN and values out
 * of range undefined): those give INT64_MIN. */
static int64_t f64_to_i64(double x)
{
    return x == x && x > -9223372036854775808.0 && x < 9223372036854775808.0 ? (int64_t)x : INT64_MIN;
}

static int32_t f64_to_i32(double x)
{
    return x == x && x > -2147483649.0 && x < 2147483648.0 ? (int32_t)x : INT32_MIN;
}

int64_t lp__dtype_get_i64(int32_t dtype, const void *data, size_t i)
{
    switch (dtype) {
    case LP_ONNX_FLOAT: case LP_ONNX_DOUBLE: return f64_to_i64(lp__dtype_get_f64(dtype, data, i));
    case LP_ONNX_INT64: return ((const int64_t *)data)[i];
    case LP_ONNX_INT32: return ((const int32_t *)data)[i];
    default: return ((const uint8_t *)data)[i];
    }
}

void lp__dtype_convert(int32_t to, void *dst, int32_t from, const void *src, size_t n)
{
    int from_float = from == LP_ONNX_FLOAT || from == LP_ONNX_DOUBLE;
    switch (to) {
    case LP_ONNX_FLOAT:
        for (size_t i = 0; i < n; i++)   /* int64 → float rounds once, as static_cast does */
            ((float *)dst)[i] = from == LP_ONNX_INT64 ? (float)((const int64_t *)src)[i]
                                                      : (float)lp__dtype_get_f64(from, src, i);
        break;
    case LP_ONNX_DOUBLE:
        for (size_t i = 0; i < n; i++) ((double *)dst)[i] = lp__dtype_get_f64(from, src, i);
        break;
    case LP_ONNX_INT64:
        for (size_t i = 0; i < n; i++) ((int64_t *)dst)[i] = lp__dtype_get_i64(from, src, i);
        break;
    case LP_ONNX_INT32:
        for (size_t i = 0; i < n; i++)
            ((int32_t *)dst)[i] = from_float ? f64_to_i32(lp__dtype_get_f64(from, src, i))
                                             : (int32_t)(uint32_t)(uint64_t)lp__dtype_get_i64(from, src, i);
        break;
    default:   /* bool */
        for (size_t i = 0; i < n; i++)
            ((uint8_t *)dst)[i] = from_float ? lp__dtype_get_f64(from, src, i) != 0 : lp__dtype_get_i64(from, src, i) != 0;
        break;
    }
}
