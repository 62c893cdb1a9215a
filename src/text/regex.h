/* regex.h — the small regular-expression subset the ONNX Tokenizer's
 * `tokenexp` and `separators` use in practice (what skl2onnx writes for
 * scikit-learn's CountVectorizer and TfidfVectorizer), matched as
 * onnxruntime's RE2 does with longest_match: leftmost, then longest.
 *
 * Supported: a sequence of atoms, each optionally followed by ?, * or +.
 * An atom is a code point (UTF-8), an escaped punctuation character, \n \t
 * \r \f \v, the classes \d \w \s \D \W \S (ASCII, as RE2's), `.` (any code
 * point but \n), a bracket class [...] or [^...] with ranges and those
 * escapes, or the assertions \b \B (ASCII word boundary, as RE2's).  Not
 * supported (refused at load, by name): groups and flags `(...)`, `(?u)`,
 * alternation `|`, counted repetition `{m,n}`, anchors `^` `$`, lazy
 * quantifiers, \p classes, back-references and other escapes. */
#ifndef LP_TEXT_REGEX_H
#define LP_TEXT_REGEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct lp__regex lp__regex;

/* Compiles pattern[0..len) (UTF-8).  Returns NULL when it is outside the
 * subset or memory runs out; then `why` (why_len bytes) says what. */
lp__regex *lp__regex_compile(const char *pattern, size_t len, char *why, size_t why_len);
void       lp__regex_free(lp__regex *re);
/* A compiled regex is one block without inner pointers: lp__regex_bytes of
 * it may be copied elsewhere (memcpy) and used there. */
size_t     lp__regex_bytes(const lp__regex *re);

/* The leftmost-longest match in cp[from..n) (code points): returns 1 and
 * sets [*start, *end), or 0 when there is none.  A match may be empty. */
int lp__regex_find(const lp__regex *re, const uint32_t *cp, size_t n, size_t from, size_t *start, size_t *end);

#endif
