/* ops_text.c — the text operators of TF-IDF / bag-of-words graphs, as
 * skl2onnx writes scikit-learn's CountVectorizer and TfidfVectorizer:
 * StringNormalizer (ai.onnx 10) → com.microsoft.Tokenizer → Flatten →
 * TfIdfVectorizer (ai.onnx 9) → the usual Mul / Normalizer / classifier.
 * Each reproduces onnxruntime's CPU kernel (string_normalizer.cc,
 * contrib_ops/cpu/tokenizer.cc, tfidfvectorizer.cc), including its corner
 * cases: a batch whose rows hold no token gives an empty token tensor, and
 * TfIdfVectorizer counts unigrams once whatever the skip count.
 *
 * Strings written during a run (lowercased text, token lists) live in the
 * run's arena (lp__run_scratch), freed when the run ends.  A Tokenizer's
 * output is LP__DTYPE_TOKENS: one lp__token_row per row (graph.h). */
#ifndef LP_NO_TEXT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/arena.h"
#include "../core/error.h"
#include "../core/utf8.h"
#include "../text/regex.h"
#include "../text/unicode.h"
#include "graph.h"

static int64_t int_attr(const lp__onnx_node *n, const char *name, int64_t dflt)
{
    const lp__onnx_attr *a = lp__onnx_attr_find(n, name);
    return a && a->type == LP_ONNX_ATTR_INT ? a->i : dflt;
}

static const lp__onnx_attr *typed(const lp__onnx_node *n, const char *name, int type)
{
    const lp__onnx_attr *a = lp__onnx_attr_find(n, name);
    return a && a->type == type ? a : NULL;
}

/* Whether a shape holds the batch's rows (graphs built on fixed shapes,
 * ONNX's node tests, have none). */
static int has_rows(const lp__shape *s)
{
    for (int k = 0; k < s->rank; k++)
        if (s->dims[k] == LP__BATCH) return 1;
    return 0;
}

/* The run stops with this error (the first one wins). */
static void run_fail(const lp__run *r, const lp__op *op, lp_status code, const char *what, size_t row)
{
    if (r->scratch->status != LP_OK) return;
    r->scratch->status = lp__op_fail(op, r->scratch->err, code, "%s", what);
    if (r->scratch->err) {   /* the batch's row and the (one) text feature: callers make them the file's line and column */
        r->scratch->err->line = row + 1;
        r->scratch->err->column_index = 0;
    }
}

static int same(const lp__onnx_bytes *a, const lp__onnx_bytes *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* A string's code points (arena) and the byte offset of each (offs[n] = len);
 * 0 when it is not valid UTF-8 or memory runs out. */
static int decode(lp__arena *a, const lp__onnx_bytes *s, uint32_t **cp, size_t **offs, size_t *n)
{
    const uint8_t *b = (const uint8_t *)s->data;
    size_t len = s->data ? s->len : 0;
    if (lp__utf8_valid_prefix(b, len) < len) return 0;
    *cp = lp__arena_array(a, len + 1, sizeof **cp);
    *offs = lp__arena_array(a, len + 1, sizeof **offs);
    if (!*cp || !*offs) return 0;
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        uint8_t c = b[i];
        int more = c < 0x80 ? 0 : c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
        uint32_t v = more ? c & (0x3F >> more) : c;
        (*offs)[k] = i++;
        while (more--) v = v << 6 | (b[i++] & 0x3F);
        (*cp)[k++] = v;
    }
    (*offs)[k] = len;
    *n = k;
    return 1;
}

/* ---- StringNormalizer ------------------------------------------------------------------ */

/* The simple (one code point) uppercase: the inverse of the lowercase table
 * (the smallest code point lowering to cp), plus the lowercase letters no
 * capital lowers to. */
static uint32_t upper_of(uint32_t cp)
{
    static const uint32_t special[][2] = {{0xB5, 0x39C}, {0x131, 'I'}, {0x17F, 'S'}, {0x345, 0x399}, {0x3C2, 0x3A3},
                                          {0x3D0, 0x392}, {0x3D1, 0x398}, {0x3D5, 0x3A6}, {0x3D6, 0x3A0}, {0x3F0, 0x39A},
                                          {0x3F1, 0x3A1}, {0x3F5, 0x395}, {0x1E9B, 0x1E60}, {0x1FBE, 0x399}};
    if (cp < 0x80) return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
    for (size_t i = 0; i < sizeof special / sizeof *special; i++)
        if (special[i][0] == cp) return special[i][1];
    uint32_t best = cp;
    for (size_t i = 0; i < lp__uc_lower_runs_count; i++) {
        const lp__uc_run *r = &lp__uc_lower_runs[i];
        if (r->is_const) continue;
        int64_t x = (int64_t)cp - r->value;
        if (x < r->first || r->value == 0) continue;
        uint32_t off = (uint32_t)x - r->first;
        if (off % r->step == 0 && off / r->step < r->count && (best == cp || (uint32_t)x < best)) best = (uint32_t)x;
    }
    return best;
}

typedef enum { CASE_NONE, CASE_LOWER, CASE_UPPER } case_action;

typedef struct normalizer {
    case_action           action;
    int                   case_sensitive;
    const lp__onnx_bytes *stopwords;   /* as given, or lowercased when not case-sensitive */
    size_t                n_stopwords;
} normalizer;

static uint32_t change_case(case_action a, uint32_t cp)
{
    uint32_t out[2];
    if (a == CASE_LOWER) return lp__uc_lower(cp, out), out[0];   /* towlower: U+0130 gives "i" alone */
    return a == CASE_UPPER ? upper_of(cp) : cp;
}

/* s with its case changed, in the arena; NULL on a failure (invalid UTF-8
 * sets *bad). */
static const char *recase(lp__arena *a, const lp__onnx_bytes *s, case_action action, size_t *len, int *bad)
{
    uint32_t *cp;
    size_t *offs, n;
    if (!decode(a, s, &cp, &offs, &n)) {
        *bad = s->data && lp__utf8_valid_prefix((const uint8_t *)s->data, s->len) < s->len;
        return NULL;
    }
    char *out = lp__arena_alloc(a, 4 * n + 1), *w = out;
    if (!out) return NULL;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = change_case(action, cp[i]);
        if (c < 0x80) *w++ = (char)c;
        else if (c < 0x800) *w++ = (char)(0xC0 | c >> 6), *w++ = (char)(0x80 | (c & 0x3F));
        else if (c < 0x10000)
            *w++ = (char)(0xE0 | c >> 12), *w++ = (char)(0x80 | (c >> 6 & 0x3F)), *w++ = (char)(0x80 | (c & 0x3F));
        else
            *w++ = (char)(0xF0 | c >> 18), *w++ = (char)(0x80 | (c >> 12 & 0x3F)), *w++ = (char)(0x80 | (c >> 6 & 0x3F)),
            *w++ = (char)(0x80 | (c & 0x3F));
    }
    *w = 0;
    *len = (size_t)(w - out);
    return out;
}

/* Locales whose case mapping is the plain Unicode one this engine has. */
static int plain_locale(const char *l)
{
    return !l[0] || strcmp(l, "C") == 0 || strcmp(l, "POSIX") == 0 || strncmp(l, "C.", 2) == 0 ||
           strncmp(l, "en", 2) == 0;
}

static lp_status build_string_normalizer(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    if (x->dtype != LP_ONNX_STRING || x->is_const)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "takes the rows' strings (a string tensor computed per row)");
    /* onnxruntime takes [C] or [1, C]: skl2onnx reshapes the column to [-1] first */
    if (x->shape.rank != 1 && !(x->shape.rank == 2 && x->shape.dims[0] == 1))
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "takes a string tensor [C] or [1, C] (onnxruntime's rule; "
                               "reshape the rows to [-1] first), not one of rank %d", x->shape.rank);
    normalizer *p = lp__graph_alloc(g, sizeof *p, err);
    if (!p) return err->code;
    const lp__onnx_attr *act = typed(node, "case_change_action", LP_ONNX_ATTR_STRING);
    const char *a = act ? act->s.data : "NONE";
    if (strcmp(a, "LOWER") == 0) p->action = CASE_LOWER;
    else if (strcmp(a, "UPPER") == 0) p->action = CASE_UPPER;
    else if (strcmp(a, "NONE") == 0) p->action = CASE_NONE;
    else return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "attribute case_change_action is \"%.40s\" (LOWER, UPPER or NONE)", a);
    p->case_sensitive = int_attr(node, "is_case_sensitive", 0) != 0;
    const lp__onnx_attr *loc = typed(node, "locale", LP_ONNX_ATTR_STRING);
    if (loc && !plain_locale(loc->s.data))
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "attribute locale is \"%.40s\": only the Unicode default case "
                           "mapping is supported (locale empty, C, POSIX, C.UTF-8 or en*)", loc->s.data);
    const lp__onnx_attr *sw = typed(node, "stopwords", LP_ONNX_ATTR_STRINGS);
    if (sw && sw->count && !has_rows(&x->shape))   /* (ONNX's node tests: the output's length would depend on the data) */
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "stopwords in a graph of fixed shapes: they remove elements, "
                           "so the output's shape depends on the data");
    if (sw && sw->count) {
        lp__onnx_bytes *words = lp__graph_alloc(g, sw->count * sizeof *words, err);
        if (!words) return err->code;
        lp__arena tmp = {0};
        for (size_t i = 0; i < sw->count; i++) {
            words[i] = sw->strings[i];
            if (p->case_sensitive) continue;
            size_t len;
            int bad = 0;
            const char *low = recase(&tmp, &sw->strings[i], CASE_LOWER, &len, &bad);
            char *keep = low ? lp__graph_alloc(g, len + 1, err) : NULL;
            if (!keep) {
                lp__arena_release(&tmp);
                return bad ? lp__op_fail(op, err, LP_ERR_BAD_MODEL, "attribute stopwords: entry %zu is not valid UTF-8", i)
                           : low ? err->code : lp__fail(err, LP_ERR_NOMEM, "out of memory");
            }
            memcpy(keep, low, len);
            words[i] = (lp__onnx_bytes){keep, len};
        }
        lp__arena_release(&tmp);
        p->stopwords = words;
        p->n_stopwords = sw->count;
    }
    op->params = p;
    return lp__op_output(g, op, node, 0, LP_ONNX_STRING, &x->shape, err);
}

static void run_string_normalizer(const lp__run *r, const lp__op *op)
{
    const normalizer *p = op->params;
    const lp__value *xv = &r->g->values[op->in[0]];
    const lp__onnx_bytes *x = lp__run_data(r, op->in[0]);
    lp__onnx_bytes *y = lp__run_data(r, op->out[0]);
    lp__arena *a = r->scratch->arena;
    for (size_t i = 0, n = lp__shape_count(&xv->shape, r->n_rows); i < n; i++) {
        lp__onnx_bytes s = x[i].data ? x[i] : (lp__onnx_bytes){"", 0};
        int bad = 0;
        if (p->n_stopwords) {
            /* A text that is a stop word becomes the empty text.  onnxruntime
             * drops the element, which in a batch moves every later row up;
             * run alone, its answer is the empty text's (all of a row's
             * elements dropped give [""]), which is scikit-learn's too. */
            lp__onnx_bytes key = s;
            if (!p->case_sensitive && !(key.data = recase(a, &s, CASE_LOWER, &key.len, &bad))) goto fail;
            int stop = 0;
            for (size_t k = 0; k < p->n_stopwords && !stop; k++) stop = same(&key, &p->stopwords[k]);
            if (stop) {
                y[i] = (lp__onnx_bytes){"", 0};
                continue;
            }
        }
        if (p->action == CASE_NONE) {
            y[i] = s;
            continue;
        }
        if (!(y[i].data = recase(a, &s, p->action, &y[i].len, &bad))) goto fail;
        continue;
    fail:
        run_fail(r, op, bad ? LP_ERR_BAD_CSV : LP_ERR_NOMEM, bad ? "the text is not valid UTF-8" : "out of memory", i);
        return;
    }
}

/* ---- com.microsoft.Tokenizer ------------------------------------------------------------ */

typedef struct tokenizer {
    int            mark, by_char;
    int64_t        mincharnum;
    lp__onnx_bytes pad;
    lp__regex    **separators;   /* applied in order, each to the pieces of the one before */
    size_t         n_separators;
    lp__regex     *tokenexp;     /* or the tokens are its matches */
} tokenizer;

static const char start_mark[] = "\x02", end_mark[] = "\x03";

/* The compiled pattern, copied into graph-owned memory. */
static lp__regex *compile(lp__graph *g, const lp__op *op, const char *attr, const lp__onnx_bytes *pattern, lp_error *err)
{
    char why[160];
    lp__regex *re = lp__regex_compile(pattern->data, pattern->len, why, sizeof why);
    if (!re) {
        lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "attribute %s: the regular expression \"%.80s\": %s",
                    attr, pattern->data, why);
        return NULL;
    }
    void *copy = lp__graph_alloc(g, lp__regex_bytes(re), err);
    if (copy) memcpy(copy, re, lp__regex_bytes(re));
    lp__regex_free(re);
    return copy;
}

static lp_status build_tokenizer(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    if (x->dtype != LP_ONNX_STRING || x->is_const || (x->shape.rank != 1 && x->shape.rank != 2) ||
        (x->shape.rank == 2 && x->shape.dims[1] != 1))
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "takes one string per row ([N] or [N, 1], computed per row)");
    tokenizer *p = lp__graph_alloc(g, sizeof *p, err);
    if (!p) return err->code;
    const lp__onnx_attr *mark = typed(node, "mark", LP_ONNX_ATTR_INT), *pad = typed(node, "pad_value", LP_ONNX_ATTR_STRING),
                        *minc = typed(node, "mincharnum", LP_ONNX_ATTR_INT),
                        *seps = typed(node, "separators", LP_ONNX_ATTR_STRINGS),
                        *exp = typed(node, "tokenexp", LP_ONNX_ATTR_STRING);
    if (!mark || !pad || !minc)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "attribute %s is required", !mark ? "mark" : !pad ? "pad_value"
                                                                                                 : "mincharnum");
    if (minc->i < 1) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "attribute mincharnum is %lld (at least 1)", (long long)minc->i);
    p->mark = mark->i != 0;
    p->mincharnum = minc->i;
    p->pad = pad->s;
    if (seps) {
        if (!seps->count) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "attribute separators is empty");
        p->by_char = seps->count == 1 && seps->strings[0].len == 0;
    } else if (exp) {
        if (!exp->s.len) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "attribute tokenexp is empty");
        p->by_char = exp->s.len == 1 && exp->s.data[0] == '.';
    } else {
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "needs attribute separators or tokenexp");
    }
    if (p->by_char && p->mincharnum > 1)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "attribute mincharnum is %lld, too big for tokens of one character",
                           (long long)p->mincharnum);
    if (!p->by_char && seps) {
        if (!(p->separators = lp__graph_alloc(g, seps->count * sizeof *p->separators, err))) return err->code;
        for (size_t i = 0; i < seps->count; i++) {
            if (!(p->separators[i] = compile(g, op, "separators", &seps->strings[i], err))) return err->code;
            p->n_separators = i + 1;
        }
    } else if (!p->by_char) {
        if (!(p->tokenexp = compile(g, op, "tokenexp", &exp->s, err))) return err->code;
    }
    op->params = p;
    return lp__op_output(g, op, node, 0, LP__DTYPE_TOKENS, &x->shape, err);
}

/* Appends token [from, to) of the decoded string to a growing list. */
typedef struct token_list { lp__onnx_bytes *v; size_t n, cap; } token_list;

static int push_token(lp__arena *a, token_list *t, const lp__onnx_bytes *s, const size_t *offs, size_t from, size_t to)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        lp__onnx_bytes *v = lp__arena_array(a, cap, sizeof *v);
        if (!v) return 0;
        if (t->n) memcpy(v, t->v, t->n * sizeof *v);
        t->v = v, t->cap = cap;
    }
    t->v[t->n++] = (lp__onnx_bytes){s->data + offs[from], offs[to] - offs[from]};
    return 1;
}

/* One string's tokens (ORT's TokenExpression / SeparatorExpressionTokenizer /
 * CharTokenize); 0 when memory runs out. */
static int tokenize(const tokenizer *p, lp__arena *a, const lp__onnx_bytes *s, const uint32_t *cp, const size_t *offs,
                    size_t n, token_list *out)
{
    size_t minc = (size_t)p->mincharnum;
    if (p->by_char) {
        for (size_t i = 0; i < n; i++)
            if (!push_token(a, out, s, offs, i, i + 1)) return 0;
        return 1;
    }
    if (p->tokenexp) {
        size_t from = 0, ms, me;
        while (from <= n && lp__regex_find(p->tokenexp, cp, n, from, &ms, &me)) {
            if (me - ms >= minc) {
                if (!push_token(a, out, s, offs, ms, me)) return 0;
                from = me;
            } else {
                from = ms + 1;   /* too short (or empty): go on one character later */
            }
        }
        return 1;
    }
    /* separators: each splits the pieces the previous one left; pieces are
     * [from, to) ranges of the whole string (context for \b) */
    size_t *piece = lp__arena_array(a, 2, sizeof *piece), n_pieces = 1;
    if (!piece) return 0;
    piece[0] = 0, piece[1] = n;
    for (size_t k = 0; k < p->n_separators; k++) {
        size_t cap = 16, m = 0, *next = lp__arena_array(a, 2 * cap, sizeof *next);
        if (!next) return 0;
        for (size_t j = 0; j < n_pieces; j++) {
            /* RE2 searches the piece alone: its ends are the text's ends for \\b */
            size_t base = piece[2 * j], end = piece[2 * j + 1], from = base, ms, me;
            for (;;) {
                int hit = from <= end && lp__regex_find(p->separators[k], cp + base, end - base, from - base, &ms, &me);
                if (hit) ms += base, me += base;
                size_t to = hit ? ms : end;
                if (to > from && to - from >= minc) {
                    if (m == cap) {
                        size_t *grown = lp__arena_array(a, 4 * cap, sizeof *grown);
                        if (!grown) return 0;
                        memcpy(grown, next, 2 * m * sizeof *next);
                        next = grown, cap *= 2;
                    }
                    next[2 * m] = from, next[2 * m + 1] = to, m++;
                }
                if (!hit) break;
                from = me > ms ? me : ms + 1;
            }
        }
        piece = next, n_pieces = m;
    }
    for (size_t j = 0; j < n_pieces; j++)
        if (!push_token(a, out, s, offs, piece[2 * j], piece[2 * j + 1])) return 0;
    return 1;
}

static void run_tokenizer(const lp__run *r, const lp__op *op)
{
    const tokenizer *p = op->params;
    const lp__value *xv = &r->g->values[op->in[0]];
    const lp__onnx_bytes *x = lp__run_data(r, op->in[0]);
    lp__token_row *y = lp__run_data(r, op->out[0]);
    lp__arena *a = r->scratch->arena;
    size_t rows = lp__shape_count(&xv->shape, r->n_rows), widest = 0;
    for (size_t i = 0; i < rows; i++) {
        lp__onnx_bytes s = x[i].data ? x[i] : (lp__onnx_bytes){"", 0};
        uint32_t *cp;
        size_t *offs, n;
        token_list t = {0};
        if (p->mark && !push_token(a, &t, &(lp__onnx_bytes){start_mark, 1}, (const size_t[]){0, 1}, 0, 1)) goto nomem;
        if (!decode(a, &s, &cp, &offs, &n)) {
            if (lp__utf8_valid_prefix((const uint8_t *)s.data, s.len) < s.len) {
                run_fail(r, op, LP_ERR_BAD_CSV, "the text is not valid UTF-8", i);
                return;
            }
            goto nomem;
        }
        if (!tokenize(p, a, &s, cp, offs, n, &t)) goto nomem;
        size_t real = t.n - (size_t)p->mark;
        if (p->mark && !push_token(a, &t, &(lp__onnx_bytes){end_mark, 1}, (const size_t[]){0, 1}, 0, 1)) goto nomem;
        y[i] = (lp__token_row){t.v, t.n, 0, &p->pad};
        if (real > widest) widest = real;
        continue;
    nomem:
        run_fail(r, op, LP_ERR_NOMEM, "out of memory", i);
        return;
    }
    /* onnxruntime: no row with a token gives [N, 0] (no marks either) */
    for (size_t i = 0; i < rows; i++) {
        if (!widest) y[i].n = 0;
        y[i].width = widest ? widest + 2 * (size_t)p->mark : 0;
    }
}

/* ---- TfIdfVectorizer -------------------------------------------------------------------- */

/* The pool's n-grams as a trie: node 0 is the root; a child is found by
 * hashing (parent, item). */
typedef struct gram_node { uint32_t parent; uint32_t item; uint32_t id; } gram_node;   /* item: index into the pool */

typedef struct tfidf {
    int                   mode;          /* 1 TF, 2 IDF, 3 TFIDF */
    int64_t               min_n, max_n, max_skip;
    const lp__onnx_bytes *pool_s;        /* or */
    const int64_t        *pool_i;
    gram_node            *nodes;
    size_t                n_nodes;
    uint32_t             *slots;         /* open addressing: node index + 1, 0 = empty */
    size_t                n_slots;       /* a power of two */
    const int64_t        *indexes;       /* ngram id - 1 → output column */
    const float          *weights;       /* per output column (onnxruntime indexes them so), or NULL */
    size_t                width;         /* output columns: max(indexes) + 1 */
} tfidf;

static uint64_t hash_bytes(const char *d, size_t n)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)d[i]) * 1099511628211u;
    return h;
}

static uint64_t item_hash(const tfidf *p, const lp__onnx_bytes *s, int64_t v)
{
    return p->pool_s ? hash_bytes(s->data, s->data ? s->len : 0) : (uint64_t)v * 0x9E3779B97F4A7C15u;
}

static size_t slot_of(uint32_t parent, uint64_t h, size_t n_slots)
{
    uint64_t k = (h ^ ((uint64_t)parent * 0xC2B2AE3D27D4EB4Fu)) * 0x165667B19E3779F9u;
    return (size_t)(k >> 17) & (n_slots - 1);
}

/* The child of `parent` for item (a string, or an integer); 0 if none. */
static uint32_t child(const tfidf *p, uint32_t parent, const lp__onnx_bytes *s, int64_t v)
{
    lp__onnx_bytes empty = {"", 0};
    if (p->pool_s && !s->data) s = &empty;
    for (size_t i = slot_of(parent, item_hash(p, s, v), p->n_slots);; i = (i + 1) & (p->n_slots - 1)) {
        uint32_t at = p->slots[i];
        if (!at) return 0;
        const gram_node *c = &p->nodes[at - 1];
        if (c->parent == parent && (p->pool_s ? same(&p->pool_s[c->item], s) : p->pool_i[c->item] == v)) return at - 1;
    }
}

static uint32_t add_child(tfidf *p, uint32_t parent, uint32_t item)
{
    const lp__onnx_bytes *s = p->pool_s ? &p->pool_s[item] : NULL;
    int64_t v = p->pool_i ? p->pool_i[item] : 0;
    uint32_t found = child(p, parent, s, v);
    if (found) return found;
    size_t i = slot_of(parent, item_hash(p, s, v), p->n_slots);
    while (p->slots[i]) i = (i + 1) & (p->n_slots - 1);
    p->nodes[p->n_nodes] = (gram_node){parent, item, 0};
    p->slots[i] = (uint32_t)++p->n_nodes;
    return (uint32_t)(p->n_nodes - 1);
}

static lp_status build_tfidf(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *x = lp__op_input(g, op, 0, err);
    if (!x) return err->code;
    tfidf *p = lp__graph_alloc(g, sizeof *p, err);
    if (!p) return err->code;
    const lp__onnx_attr *mode = typed(node, "mode", LP_ONNX_ATTR_STRING),
                        *counts = typed(node, "ngram_counts", LP_ONNX_ATTR_INTS),
                        *indexes = typed(node, "ngram_indexes", LP_ONNX_ATTR_INTS),
                        *weights = typed(node, "weights", LP_ONNX_ATTR_FLOATS),
                        *pool_s = typed(node, "pool_strings", LP_ONNX_ATTR_STRINGS),
                        *pool_i = typed(node, "pool_int64s", LP_ONNX_ATTR_INTS);
    const char *m = mode ? mode->s.data : "";
    p->mode = strcmp(m, "TF") == 0 ? 1 : strcmp(m, "IDF") == 0 ? 2 : strcmp(m, "TFIDF") == 0 ? 3 : 0;
    if (!p->mode) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "attribute mode is \"%.40s\" (TF, IDF or TFIDF)", m);
    p->min_n = int_attr(node, "min_gram_length", 0);
    p->max_n = int_attr(node, "max_gram_length", 0);
    p->max_skip = int_attr(node, "max_skip_count", -1);
    if (p->min_n < 1 || p->max_n < p->min_n || p->max_skip < 0 || p->max_skip > 1000000)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "attributes min_gram_length %lld, max_gram_length %lld, "
                           "max_skip_count %lld (1 <= min <= max, skips from 0)", (long long)p->min_n,
                           (long long)p->max_n, (long long)p->max_skip);
    if (!counts || !counts->count || (size_t)p->max_n > counts->count)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "attribute ngram_counts must have an entry per n-gram length up to "
                           "max_gram_length (%lld)", (long long)p->max_n);
    if (!indexes || !indexes->count) return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "attribute ngram_indexes is required");
    if ((pool_s && pool_s->count == 0) || (!pool_s && (!pool_i || !pool_i->count)))
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "needs a non-empty pool_strings or pool_int64s");
    int strings = pool_s != NULL;
    p->pool_s = strings ? pool_s->strings : NULL;
    p->pool_i = strings ? NULL : pool_i->ints;
    size_t total = strings ? pool_s->count : pool_i->count;
    /* the input: a Tokenizer's rows, or items [N, C] (or [C] in a fixed graph) */
    int tokens = x->dtype == LP__DTYPE_TOKENS;
    int want_string = tokens || x->dtype == LP_ONNX_STRING;
    if (x->is_const || (!tokens && x->dtype != LP_ONNX_STRING && x->dtype != LP_ONNX_INT64 && x->dtype != LP_ONNX_INT32))
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "takes strings, int64 or int32 computed per row");
    if (want_string != strings)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "its input holds %s but its pool is %s", want_string ? "strings"
                           : "integers", strings ? "pool_strings" : "pool_int64s");
    lp__shape out = {2, {LP__BATCH, 0}};
    if (tokens) {
        if (lp__shape_count(&x->shape, 1) != 1)
            return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "takes the tokens of one string per row");
    } else if (!has_rows(&x->shape) && x->shape.rank == 1) {   /* fixed shapes (ONNX's node tests): one row */
        out.rank = 1;
    } else if (x->shape.rank != 2 || (has_rows(&x->shape) && x->shape.dims[0] != LP__BATCH)) {
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "takes items [N, C] (the rows first)");
    } else if (!has_rows(&x->shape)) {
        out.dims[0] = x->shape.dims[0];
    }
    /* output columns and weights */
    int64_t widest = -1;
    for (size_t i = 0; i < indexes->count; i++) {
        if (indexes->ints[i] < 0 || indexes->ints[i] > (1 << 24))
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "attribute ngram_indexes holds %lld", (long long)indexes->ints[i]);
        if (indexes->ints[i] > widest) widest = indexes->ints[i];
    }
    p->width = (size_t)widest + 1;
    p->indexes = indexes->ints;
    if (weights && weights->count != indexes->count)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "attribute weights has %zu entries but ngram_indexes %zu",
                           weights->count, indexes->count);
    if (weights && p->mode != 1 && weights->count < p->width)
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "weights has %zu entries for %zu output columns (onnxruntime "
                           "reads a weight per column)", weights->count, p->width);
    p->weights = weights && p->mode != 1 ? weights->floats : NULL;
    /* the trie */
    p->n_slots = 16;
    while (p->n_slots < 2 * (total + 1)) p->n_slots *= 2;
    p->nodes = lp__graph_alloc(g, (total + 1) * sizeof *p->nodes, err);
    p->slots = p->nodes ? lp__graph_alloc(g, p->n_slots * sizeof *p->slots, err) : NULL;
    if (!p->slots) return err->code;
    p->n_nodes = 1;   /* the root */
    size_t id = 1;
    for (size_t n = 1; n <= counts->count; n++) {
        size_t start = (size_t)counts->ints[n - 1], end = n < counts->count ? (size_t)counts->ints[n] : total;
        if (counts->ints[n - 1] < 0 || (n < counts->count && counts->ints[n] < 0) || end < start || end > total)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "attribute ngram_counts: the %zu-grams lie outside the pool", n);
        if ((end - start) % n)
            return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "attribute ngram_counts: the %zu-grams are %zu items, not whole "
                               "%zu-grams", n, end - start, n);
        size_t grams = (end - start) / n;
        if ((int64_t)n < p->min_n || (int64_t)n > p->max_n) {   /* ids still count them */
            id += grams;
            continue;
        }
        for (size_t k = 0; k < grams; k++, id++) {
            uint32_t at = 0;
            for (size_t j = 0; j < n; j++) at = add_child(p, at, (uint32_t)(start + k * n + j));
            if (p->nodes[at].id)
                return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "attribute pool: a %zu-gram appears twice", n);
            p->nodes[at].id = (uint32_t)id;
        }
    }
    if (id - 1 > indexes->count)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "the pool holds %zu n-grams but ngram_indexes %zu", id - 1,
                           indexes->count);
    op->params = p;
    out.dims[out.rank - 1] = (int64_t)p->width;
    return lp__op_output(g, op, node, 0, LP_ONNX_FLOAT, &out, err);
}

/* Item j of a row: a token (padding past the row's tokens), a string or an integer. */
typedef struct row_items {
    const lp__token_row  *tokens;
    const lp__onnx_bytes *strings;
    const void           *ints;
    int                   int32;
    size_t                n;
} row_items;

static uint32_t step(const tfidf *p, const row_items *it, uint32_t at, size_t j)
{
    if (it->tokens) return child(p, at, j < it->tokens->n ? &it->tokens->tok[j] : it->tokens->pad, 0);
    if (it->strings) return child(p, at, &it->strings[j], 0);
    int64_t v = it->int32 ? ((const int32_t *)it->ints)[j] : ((const int64_t *)it->ints)[j];
    return child(p, at, NULL, v);
}

/* onnxruntime's ComputeImpl for one row: counts into freq[width]. */
static void count_row(const tfidf *p, const row_items *it, uint32_t *freq)
{
    size_t start_n = (size_t)p->min_n, max_n = (size_t)p->max_n;
    for (size_t skip = 1; skip <= (size_t)p->max_skip + 1; skip++) {
        for (size_t s = 0; s < it->n; s++) {
            if (s + skip * (start_n - 1) >= it->n) break;
            uint32_t at = 0;
            for (size_t size = 1, j = s; size <= max_n && j < it->n; size++, j += skip) {
                uint32_t hit = step(p, it, at, j);
                if (!hit) break;
                if (size >= start_n && p->nodes[hit].id) freq[p->indexes[p->nodes[hit].id - 1]]++;
                at = hit;
            }
        }
        if (start_n == 1 && ++start_n > max_n) break;   /* unigrams are counted once */
    }
}

static void run_tfidf(const lp__run *r, const lp__op *op)
{
    const tfidf *p = op->params;
    const lp__value *xv = &r->g->values[op->in[0]];
    const void *x = lp__run_data(r, op->in[0]);
    float *y = lp__run_data(r, op->out[0]);
    size_t dims[LP__MAX_RANK];
    lp__run_dims(r, op->in[0], dims);
    size_t rows = xv->dtype == LP__DTYPE_TOKENS ? lp__shape_count(&xv->shape, r->n_rows)
                  : xv->shape.rank == 1         ? 1
                                                : dims[0];
    size_t cols = xv->dtype == LP__DTYPE_TOKENS ? 0 : xv->shape.rank == 1 ? dims[0] : dims[1];
    uint32_t *freq = lp__arena_array(r->scratch->arena, p->width ? p->width : 1, sizeof *freq);
    if (!freq) {
        run_fail(r, op, LP_ERR_NOMEM, "out of memory", 0);
        return;
    }
    for (size_t i = 0; i < rows; i++) {
        row_items it = {0};
        if (xv->dtype == LP__DTYPE_TOKENS) {
            it.tokens = &((const lp__token_row *)x)[i];
            it.n = it.tokens->width;
        } else if (xv->dtype == LP_ONNX_STRING) {
            it.strings = (const lp__onnx_bytes *)x + i * cols, it.n = cols;
        } else {
            it.int32 = xv->dtype == LP_ONNX_INT32;
            it.ints = (const char *)x + i * cols * (it.int32 ? 4 : 8), it.n = cols;
        }
        memset(freq, 0, p->width * sizeof *freq);
        count_row(p, &it, freq);
        float *out = y + i * p->width;
        for (size_t c = 0; c < p->width; c++)
            out[c] = p->mode == 1   ? (float)freq[c]
                     : p->mode == 2 ? (freq[c] ? (p->weights ? p->weights[c] : 1.0f) : 0.0f)
                                    : (p->weights ? (float)freq[c] * p->weights[c] : (float)freq[c]);
    }
}

const lp__op_kind lp__ops_text[] = {
    {"StringNormalizer", "", build_string_normalizer, run_string_normalizer},
    {"Tokenizer", "com.microsoft", build_tokenizer, run_tokenizer},
    {"TfIdfVectorizer", "", build_tfidf, run_tfidf},
};
const size_t lp__n_ops_text = sizeof lp__ops_text / sizeof *lp__ops_text;
#endif
