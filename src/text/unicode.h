/* unicode.h — the Unicode character properties and mappings text
 * preprocessing needs, from compact generated tables (unicode_tables.c, made
 * by scripts/gen-unicode-tables.py from Python's unicodedata, so that
 * lowercasing, splitting and accent stripping agree with the Python
 * tokenizers models were trained with). */
#ifndef LP_TEXT_UNICODE_H
#define LP_TEXT_UNICODE_H

#include <stddef.h>
#include <stdint.h>

typedef enum lp__uc_prop {
    LP__UC_PUNCT,           /* P* and ASCII punctuation/symbols (BERT's _is_punctuation) */
    LP__UC_MN,              /* nonspacing mark: dropped by accent stripping */
    LP__UC_DIGIT,           /* decimal digit (Nd, str.isdecimal) */
    LP__UC_SPACE,           /* str.isspace */
    LP__UC_CASED,           /* Cased (final sigma) */
    LP__UC_CASE_IGNORABLE,  /* Case_Ignorable and not Cased (final sigma) */
    LP__UC_CONTROL,         /* Cc, Cf, Co except \t \n \r (BERT's clean_text) */
    LP__UC_PROP_COUNT
} lp__uc_prop;

typedef struct lp__uc_range { uint32_t first, last; } lp__uc_range;
typedef struct lp__uc_table { const lp__uc_range *ranges; size_t count; } lp__uc_table;
/* Code points first, first+step, ... (count of them) map to cp + value
 * (is_const 0) or all to value (is_const 1). */
typedef struct lp__uc_run { uint32_t first; uint16_t count; uint8_t step, is_const; int32_t value; } lp__uc_run;
typedef struct lp__uc_multi { uint32_t cp; uint32_t to[3]; } lp__uc_multi;

/* The generated tables (unicode_tables.c). */
extern const char lp__uc_version[];
extern const lp__uc_table lp__uc_props[LP__UC_PROP_COUNT];
extern const lp__uc_run lp__uc_lower_runs[];
extern const size_t lp__uc_lower_runs_count;
extern const uint32_t lp__uc_strip_from[], lp__uc_strip_to[];
extern const size_t lp__uc_strip_count;
extern const lp__uc_multi lp__uc_strip_multi[];
extern const size_t lp__uc_strip_multi_count;

/* NFC's data: canonical combining classes, one-level canonical
 * decompositions (Hangul is algorithmic), primary composites. */
typedef struct lp__uc_ccc_range { uint32_t first, last; uint8_t ccc; } lp__uc_ccc_range;
extern const lp__uc_ccc_range lp__uc_ccc[];
extern const size_t lp__uc_ccc_count;
extern const uint32_t lp__uc_decomp_from[], lp__uc_decomp_to[][2];
extern const size_t lp__uc_decomp_count;
extern const uint16_t lp__uc_compose_index[];   /* into lp__uc_decomp_*, sorted by the pair */
extern const size_t lp__uc_compose_count;

/* The canonical combining class of cp (0 for starters). */
uint8_t lp__uc_ccc_of(uint32_t cp);
/* cp's one-level canonical decomposition into out (1 or 2 code points;
 * Hangul syllables into their L V (T) jamo, 2 or 3); 0 when it has none. */
size_t lp__uc_decompose(uint32_t cp, uint32_t out[3]);
/* The primary composite of a + b (Hangul LV and LVT included), or 0. */
uint32_t lp__uc_compose(uint32_t a, uint32_t b);

/* Whether cp has the property. */
int lp__uc_is(lp__uc_prop prop, uint32_t cp);

/* The lowercase of one code point without context (U+0130 gives two code
 * points, "i" and U+0307; final sigma is the caller's: lp__text_lower).
 * Writes 1 or 2 code points to out, returns how many. */
size_t lp__uc_lower(uint32_t cp, uint32_t out[2]);

/* NFD of cp with the nonspacing marks (Mn) removed, as BERT's accent
 * stripping does: writes 0 to 3 code points to out (a Hangul syllable gives
 * its 2 or 3 jamo), returns how many. */
size_t lp__uc_strip_accents(uint32_t cp, uint32_t out[3]);

/* CJK ideographs as BERT's _is_chinese_char (Unified Ideographs, extensions
 * A to E, compatibility ideographs; not kana or hangul). */
int lp__uc_is_cjk(uint32_t cp);

#endif
