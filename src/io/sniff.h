/* sniff.h — is this input a UTF-8 CSV at all?  Looked at once, on the first
 * bytes of an input, before the CSV reader sees anything.
 *
 * Recognised and refused, each with a message that says what the file is and
 * how to get a CSV from it: UTF-16 and UTF-32 text (by byte-order mark, or
 * by the NUL bytes of UTF-16 ASCII), ZIP archives (xlsx, ods, docx, zip),
 * Excel 97-2003 workbooks, PDF, gzip, bzip2, xz, zstd and Parquet files.
 * A UTF-8 byte-order mark is fine (the reader skips it).  A UTF-16 one is
 * seen by the job first (job.c: that input is converted), so the UTF-16
 * messages here are for an input read as UTF-8 or a code page on purpose,
 * or for UTF-16 without a mark.
 */
#ifndef LP_IO_SNIFF_H
#define LP_IO_SNIFF_H

#include <stddef.h>
#include <stdint.h>

#include "../localpredict.h"

/* Bytes lp__sniff_input wants to see, when the input has that many. */
#define LP__SNIFF_BYTES 8

/* `bytes` are the first `len` bytes of the input (len < LP__SNIFF_BYTES only
 * when the whole input is shorter).  LP_OK, or LP_ERR_BAD_CSV saying what
 * the input is instead. */
lp_status lp__sniff_input(const uint8_t *bytes, size_t len, lp_error *err);

#endif
