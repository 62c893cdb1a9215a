/* sha256.h — SHA-256 of a byte string, as lowercase hex (model identity in
 * `info`, so a user can say exactly which model produced a result). */
#ifndef LP_CORE_SHA256_H
#define LP_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* Writes 64 hex digits and a NUL into hex[65]. */
void lp__sha256_hex(const uint8_t *data, size_t len, char hex[65]);

#endif
