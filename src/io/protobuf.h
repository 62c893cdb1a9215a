/* protobuf.h — a bounds-checked reader of the protocol buffers wire format.
 *
 * Why our own and not nanopb or protobuf-c: ONNX files are read once, field by
 * field, into the loader's own structures; a generated decoder would add a
 * schema compiler to the build and copy every tensor, while this ~150-line
 * reader hands out views into the caller's bytes (tensors are copied once,
 * aligned, by the ONNX decoder) and checks every length against the end of
 * its enclosing message.  It knows nothing about ONNX.
 *
 * Use:
 *     lp__pb_doc doc;
 *     lp__pb msg = lp__pb_open(&doc, bytes, len);
 *     lp__pb_field f;
 *     while (lp__pb_next(&msg, &f)) {          // 0 at the end or after any error
 *         switch (f.number) { case 1: ... lp__pb_sub(&msg, &f) for a sub-message }
 *     }
 *     if (doc.error) ...                        // what went wrong, at which byte
 *
 * Every reader opened from one document shares its error slot: the first
 * fault anywhere stops all of them.  Groups (wire types 3, 4) are deprecated
 * and never used by ONNX: an error.
 */
#ifndef LP_IO_PROTOBUF_H
#define LP_IO_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

enum { LP_PB_VARINT = 0, LP_PB_FIXED64 = 1, LP_PB_LEN = 2, LP_PB_FIXED32 = 5 };

typedef struct lp__pb_doc {
    const uint8_t *base;       /* start of the whole buffer, for byte offsets */
    const char    *error;      /* NULL, or what went wrong (a static string) */
    size_t         error_at;   /* byte offset of the fault */
} lp__pb_doc;

typedef struct lp__pb {
    const uint8_t *p, *end;
    lp__pb_doc    *doc;
} lp__pb;

typedef struct lp__pb_field {
    uint32_t       number;
    int            wire;       /* LP_PB_* */
    uint64_t       value;      /* VARINT, FIXED64, FIXED32 payload */
    const uint8_t *data;       /* LEN payload */
    size_t         len;
    size_t         at;         /* byte offset of the field's tag, for errors */
} lp__pb_field;

lp__pb lp__pb_open(lp__pb_doc *doc, const void *bytes, size_t len);

/* The next field of `m`: 1 when one was read, 0 at the end or once the
 * document has an error. */
int lp__pb_next(lp__pb *m, lp__pb_field *f);

/* The sub-message carried by field `f` of `m` (fails the document if `f` is
 * not length-delimited). */
lp__pb lp__pb_sub(lp__pb *m, const lp__pb_field *f);

/* Records a schema-level fault (e.g. a negative length) at field `f`; returns 0. */
int lp__pb_fail(lp__pb *m, const lp__pb_field *f, const char *what);

/* Typed views of one field; each checks the wire type (0 and a document
 * error if wrong). */
int lp__pb_int64(lp__pb *m, const lp__pb_field *f, int64_t *out);
int lp__pb_float(lp__pb *m, const lp__pb_field *f, float *out);

/* Repeated scalars arrive packed (one LEN field) or one per field; both forms
 * are legal and may be mixed.  lp__pb_count adds this field's element count
 * to *n; lp__pb_read_* store its elements at out[*n...] and advance *n (the
 * caller sized `out` with the counting pass over the same bytes). */
int lp__pb_count(lp__pb *m, const lp__pb_field *f, int scalar_wire, size_t *n);
int lp__pb_read_int64s(lp__pb *m, const lp__pb_field *f, int64_t *out, size_t *n);
int lp__pb_read_floats(lp__pb *m, const lp__pb_field *f, float *out, size_t *n);
int lp__pb_read_doubles(lp__pb *m, const lp__pb_field *f, double *out, size_t *n);

#endif
