/* csv_writer.h — appending CSV fields to a byte buffer.
 * RFC 4180 quoting only where needed (a comma, quote, CR or LF in the field);
 * records end with LF (ARCHITECTURE.md, "Output bytes"). */
#ifndef LP_IO_CSV_WRITER_H
#define LP_IO_CSV_WRITER_H

#include <stddef.h>

#include "../core/buf.h"

/* Appends a field, preceded by a comma unless `first`. */
lp_status lp__csv_write_field(lp__buf *out, const char *bytes, size_t len, int first);
lp_status lp__csv_write_f32(lp__buf *out, float value, int first);
lp_status lp__csv_end_record(lp__buf *out);

#endif
