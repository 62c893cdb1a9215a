/* dialect.h — what kind of CSV this is: the delimiter, found from the
 * header line, and the names of the encodings a job can read.
 *
 * Delimiter detection (lp_csv_detect_delimiter in localpredict.h): the first
 * record after a UTF-8 BOM and blank lines is scanned up to its line end,
 * quote-aware (a `"` at the start of a field opens a quoted field, whichever
 * candidate precedes it), and each candidate , ; TAB | outside quotes is
 * counted.  The most frequent wins; a tie goes to the earlier in that order,
 * and a header with none of them (one column) reads as `,`.  Both the job
 * and the --jobs splitters call this one function, so they always agree.
 */
#ifndef LP_IO_DIALECT_H
#define LP_IO_DIALECT_H

#include <stddef.h>
#include <stdint.h>

#include "../localpredict.h"

/* Bytes of decoded input a job holds, at most, to find the header's line
 * end before it decides the delimiter (a longer header is judged on these). */
#define LP__DIALECT_HOLD_BYTES (64u << 10)

/* The offset just after the header record's line end in p[0, len), or 0
 * when the header has not ended within len bytes. */
size_t lp__csv_header_end(const uint8_t *p, size_t len);

#endif
