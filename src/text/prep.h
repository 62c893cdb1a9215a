/* prep.h — a model's text preprocessing, as the manifest's "preprocess"
 * declares it: which CSV column(s) hold the text (several are joined with a
 * separator), the normalisation steps in order, the tokenizer with its
 * vocabulary (inline or a referenced file), the length every row is padded
 * or truncated to, and the names of the model inputs that take the token
 * ids, the attention mask and the token type ids.  Parsed once at load,
 * read-only afterwards (shareable between threads); rows are turned into ids
 * with caller-owned scratch (lp__text_scratch). */
#ifndef LP_TEXT_PREP_H
#define LP_TEXT_PREP_H

#include "../io/json.h"
#include "keras.h"
#include "normalize.h"
#include "wordpiece.h"

/* A file the manifest may reference by name (vocab.txt, tokenizer.json …),
 * handed in by the caller that read it (lp_load_options.parts). */
typedef lp_part lp__text_file;

typedef enum { LP__STEP_LOWER, LP__STEP_STRIP_ACCENTS, LP__STEP_REMOVE, LP__STEP_COLLAPSE, LP__STEP_NFC } lp__text_step_kind;
typedef struct lp__text_step { lp__text_step_kind kind; lp__text_removal removal; } lp__text_step;

/* LP__TOK_GRAPH: the model takes the text itself (a string input) and
 * tokenizes it in its graph (TF-IDF: Tokenizer → TfIdfVectorizer); only
 * the columns, their join and the normalisation steps apply. */
typedef enum { LP__TOK_KERAS, LP__TOK_WORDPIECE, LP__TOK_WORDS, LP__TOK_GRAPH } lp__tokenizer_kind;

typedef struct lp__text_prep {
    char         **columns;      /* the text columns, joined in this order */
    size_t         n_columns;
    char          *join;         /* separator between columns (UTF-8) */
    size_t         join_len;
    lp__text_step *steps;
    size_t         n_steps;
    lp__tokenizer_kind tokenizer;
    lp__keras_tokenizer keras;   /* LP__TOK_KERAS */
    lp__wordpiece  wordpiece;    /* LP__TOK_WORDPIECE */
    lp__vocab      words;        /* LP__TOK_WORDS: word → id, split on whitespace */
    int64_t        oov_id;       /* LP__TOK_WORDS: id of an unknown word, -1 = dropped */
    size_t         max_length;   /* ids per row (LP__TOK_GRAPH: 1, the text) */
    int            pad_pre, truncate_pre;   /* Keras and words: pad_sequences' options */
    int64_t        pad_value;
    char          *input_ids, *input_mask, *input_type_ids;   /* model input names; mask/type may be NULL */
} lp__text_prep;

/* Parses the manifest's "preprocess" object.  `where` names the manifest in
 * messages; files are those a string-valued "vocab" may name. */
lp_status lp__text_prep_parse(lp__text_prep *p, const cJSON *preprocess, const lp__text_file *files, size_t n_files,
                              const char *where, lp_error *err);
void      lp__text_prep_free(lp__text_prep *p);

/* Finds the text columns in a CSV header: column_index[k] for columns[k].
 * A missing one is LP_ERR_MISSING_COLUMN naming every missing column. */
lp_status lp__text_prep_bind(const lp__text_prep *p, char *const *header, size_t n_header, size_t *column_index,
                             lp_error *err);

typedef struct lp__text_scratch { lp__buf text; lp__ustr work; lp__ids ids; } lp__text_scratch;
void lp__text_scratch_free(lp__text_scratch *s);

/* A row's text, the columns joined and the steps applied, into s->text
 * (what LP__TOK_GRAPH feeds the model); errors as lp__text_prep_row's. */
lp_status lp__text_prep_text(const lp__text_prep *p, const uint8_t *const *cells, const size_t *cell_lens,
                             lp__text_scratch *s, lp_error *err);

/* One row: cells[k] is the text of columns[k] (an empty cell is the empty
 * string).  Writes max_length ids, and (when not NULL) the attention mask
 * and token type ids.  Invalid UTF-8 is LP_ERR_BAD_CSV naming the column
 * (err->column) and the byte. */
lp_status lp__text_prep_row(const lp__text_prep *p, const uint8_t *const *cells, const size_t *cell_lens,
                            lp__text_scratch *s, int64_t *ids, int64_t *mask, int64_t *type_ids, lp_error *err);

#endif
