/* utf8.h — UTF-8 validation (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF). */
#ifndef LP_CORE_UTF8_H
#define LP_CORE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length of the longest valid UTF-8 prefix of bytes[0..len): len when all of
 * it is valid, else the offset of the first byte of the bad sequence. */
size_t lp__utf8_valid_prefix(const uint8_t *bytes, size_t len);

#endif
