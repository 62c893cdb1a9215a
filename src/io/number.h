/* number.h — reading CSV cells as numbers and writing probabilities.
 *
 * Reading: a cell is missing when it is empty or one of NA, NaN, null
 * (any case), after trimming spaces and tabs; otherwise it must be a decimal
 * number (optional sign, digits, optional fraction and exponent) or inf /
 * infinity, and is parsed exactly (correctly rounded) to double.  Hex floats
 * and other strtod extensions are refused.
 *
 * Writing: the shortest decimal that reads back as the same float32, in the
 * notation of JavaScript's Number.prototype.toString (ARCHITECTURE.md,
 * "Output bytes"): plain for 1e-6 <= |x| < 1e21, exponent form otherwise.
 */
#ifndef LP_IO_NUMBER_H
#define LP_IO_NUMBER_H

#include <stddef.h>

typedef enum {
    LP__CELL_NUMBER,
    LP__CELL_MISSING,
    LP__CELL_BAD
} lp__cell_kind;

lp__cell_kind lp__parse_cell(const char *s, size_t len, double *out);

/* strtod with the fast path of lp__parse_cell in front.  cJSON is compiled
 * with -Dstrtod=lp__strtod (Makefile): musl's strtod computes in 128-bit
 * soft-float long double, which made loading a large model slow in WASM. */
double lp__strtod(const char *s, char **end);

/* Writes the text (no NUL needed by callers, but one is written) into
 * out[LP__F32_TEXT_CAP]; returns its length. */
#define LP__F32_TEXT_CAP 32
size_t lp__format_f32(float x, char out[LP__F32_TEXT_CAP]);

/* The reference: the same text found with printf and strtof (exact, slow in
 * WASM); lp__format_f32 falls back to it where doubles cannot decide, and the
 * tests compare the two. */
size_t lp__format_f32_ref(float x, char out[LP__F32_TEXT_CAP]);

#endif
