/* regex.c — see regex.h.  The pattern compiles to a list of atoms; a match
 * is a Thompson simulation over them (a set of "before atom i" states per
 * position), so the time is O(text × atoms) per start position, never
 * exponential. */
#include "regex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/utf8.h"

typedef struct cp_range { uint32_t first, last; } cp_range;

typedef enum { ATOM_CLASS, ATOM_BOUNDARY, ATOM_NOT_BOUNDARY } atom_kind;

typedef struct atom {
    atom_kind kind;
    int       negate;            /* ATOM_CLASS: matches what is NOT in its ranges */
    size_t    first, n_ranges;   /* its ranges: ranges[first .. first + n_ranges) */
    int       optional, repeat;  /* ? and * → optional; * and + → repeat */
} atom;

/* One block, no pointers inside (so it can be copied): the atoms, then the
 * ranges they share. */
struct lp__regex {
    size_t n_atoms, n_ranges, bytes;
    atom   atoms[];
};

static cp_range *ranges_of(const lp__regex *re)
{
    return (cp_range *)(void *)((char *)re + sizeof *re + re->n_atoms * sizeof(atom));
}

size_t lp__regex_bytes(const lp__regex *re)
{
    return re->bytes;
}

void lp__regex_free(lp__regex *re)
{
    free(re);
}

/* ---- parsing ---------------------------------------------------------------------------- */

typedef struct parser {
    const uint8_t *p;
    size_t         len, at;
    char          *why;
    size_t         why_len;
    int            failed;
    atom          *atoms;      /* being built */
    size_t         n_atoms;
    cp_range      *ranges;
    size_t         n_ranges;
} parser;

static void refuse(parser *ps, const char *what)
{
    if (!ps->failed) snprintf(ps->why, ps->why_len, "%s (at character %zu)", what, ps->at + 1);
    ps->failed = 1;
}

/* The next code point of the pattern (checked valid UTF-8 beforehand). */
static uint32_t next_cp(parser *ps)
{
    uint8_t b = ps->p[ps->at++];
    if (b < 0x80) return b;
    int more = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : 1;
    uint32_t cp = b & (0x3F >> more);
    while (more-- && ps->at < ps->len) cp = cp << 6 | (ps->p[ps->at++] & 0x3F);
    return cp;
}

/* Adds a range to atom a, the last atom (its ranges are the last ones). */
static int add_range(parser *ps, atom *a, uint32_t first, uint32_t last)
{
    cp_range *r = realloc(ps->ranges, (ps->n_ranges + 1) * sizeof *r);
    if (!r) {
        refuse(ps, "out of memory");
        return 0;
    }
    ps->ranges = r;
    if (!a->n_ranges) a->first = ps->n_ranges;
    ps->ranges[ps->n_ranges++] = (cp_range){first, last};
    a->n_ranges++;
    return 1;
}

/* \d \w \s as RE2 has them (ASCII). */
static int add_perl_class(parser *ps, atom *a, char c)
{
    switch (c) {
    case 'd': return add_range(ps, a, '0', '9');
    case 'w': return add_range(ps, a, '0', '9') && add_range(ps, a, 'A', 'Z') && add_range(ps, a, 'a', 'z') &&
                     add_range(ps, a, '_', '_');
    default:  return add_range(ps, a, '\t', '\n') && add_range(ps, a, '\f', '\r') && add_range(ps, a, ' ', ' ');
    }
}

/* The code point an escape \c stands for as a literal, or UINT32_MAX when
 * it is not a literal escape. */
static uint32_t escaped_literal(uint32_t c)
{
    switch (c) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case 'f': return '\f';
    case 'v': return '\v';
    default: break;
    }
    if (c < 0x80 && ((c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~')))
        return c;
    return UINT32_MAX;
}

/* After a '\\' inside [...]: adds what the escape stands for. */
static void class_escape(parser *ps, atom *a, uint32_t *single)
{
    *single = UINT32_MAX;
    if (ps->at >= ps->len) {
        refuse(ps, "the pattern ends with a lone backslash");
        return;
    }
    uint32_t c = next_cp(ps);
    if (c == 'd' || c == 'w' || c == 's') {
        add_perl_class(ps, a, (char)c);
        return;
    }
    uint32_t lit = escaped_literal(c);
    if (lit == UINT32_MAX) {
        char what[64];
        snprintf(what, sizeof what, "the escape \\%c is not supported", c < 0x80 ? (char)c : '?');
        refuse(ps, what);
        return;
    }
    *single = lit;
}

static void parse_bracket(parser *ps, atom *a)
{
    if (ps->at < ps->len && ps->p[ps->at] == '^') a->negate = 1, ps->at++;
    int first = 1;
    while (!ps->failed) {
        if (ps->at >= ps->len) {
            refuse(ps, "a [ class is not closed");
            return;
        }
        if (ps->p[ps->at] == ']' && !first) {
            ps->at++;
            return;
        }
        first = 0;
        uint32_t lo;
        if (ps->p[ps->at] == '\\') {
            ps->at++;
            class_escape(ps, a, &lo);
            if (lo == UINT32_MAX) continue;   /* a class such as \d, added */
        } else if (ps->p[ps->at] == '[' && ps->at + 1 < ps->len && ps->p[ps->at + 1] == ':') {
            refuse(ps, "POSIX classes [:name:] are not supported");
            return;
        } else {
            lo = next_cp(ps);
        }
        uint32_t hi = lo;
        if (ps->at + 1 < ps->len && ps->p[ps->at] == '-' && ps->p[ps->at + 1] != ']') {
            ps->at++;
            if (ps->p[ps->at] == '\\') {
                ps->at++;
                class_escape(ps, a, &hi);
                if (hi == UINT32_MAX) {
                    refuse(ps, "a range ends in a class");
                    return;
                }
            } else {
                hi = next_cp(ps);
            }
            if (hi < lo) {
                refuse(ps, "a range runs backwards");
                return;
            }
        }
        add_range(ps, a, lo, hi);
    }
}

/* One atom at ps->at into a (its quantifier is read by the caller). */
static void parse_atom(parser *ps, atom *a)
{
    uint32_t c = next_cp(ps);
    if (ps->failed) return;
    switch (c) {
    case '[': parse_bracket(ps, a); return;
    case '.': a->negate = 1; add_range(ps, a, '\n', '\n'); return;   /* RE2: any character but \n */
    case '(': refuse(ps, "groups and flags such as (?u) are not supported"); return;
    case ')': refuse(ps, "an unmatched )"); return;
    case '|': refuse(ps, "alternation | is not supported"); return;
    case '^': case '$': refuse(ps, "the anchors ^ and $ are not supported"); return;
    case '{': case '}': refuse(ps, "counted repetition {m,n} is not supported"); return;
    case '*': case '+': case '?': refuse(ps, "a repetition with nothing to repeat"); return;
    case '\\': break;
    default: add_range(ps, a, c, c); return;
    }
    if (ps->at >= ps->len) {
        refuse(ps, "the pattern ends with a lone backslash");
        return;
    }
    c = next_cp(ps);
    if (c == 'b' || c == 'B') {
        a->kind = c == 'b' ? ATOM_BOUNDARY : ATOM_NOT_BOUNDARY;
        return;
    }
    if (c == 'd' || c == 'w' || c == 's' || c == 'D' || c == 'W' || c == 'S') {
        a->negate = c < 'a';
        add_perl_class(ps, a, (char)(c | 0x20));
        return;
    }
    uint32_t lit = escaped_literal(c);
    if (lit == UINT32_MAX) {
        char what[64];
        snprintf(what, sizeof what, "the escape \\%c is not supported", c < 0x80 ? (char)c : '?');
        refuse(ps, what);
        return;
    }
    add_range(ps, a, lit, lit);
}

lp__regex *lp__regex_compile(const char *pattern, size_t len, char *why, size_t why_len)
{
    parser ps = {(const uint8_t *)pattern, len, 0, why, why_len, 0, NULL, 0, NULL, 0};
    if (len == 0) refuse(&ps, "the pattern is empty");
    if (lp__utf8_valid_prefix(ps.p, len) < len) refuse(&ps, "the pattern is not valid UTF-8");
    while (!ps.failed && ps.at < len) {
        atom *grown = realloc(ps.atoms, (ps.n_atoms + 1) * sizeof *grown);
        if (!grown) {
            refuse(&ps, "out of memory");
            break;
        }
        ps.atoms = grown;
        atom *a = &ps.atoms[ps.n_atoms++];
        memset(a, 0, sizeof *a);
        parse_atom(&ps, a);
        if (ps.failed || ps.at >= len) continue;
        char q = (char)ps.p[ps.at];
        if (q != '?' && q != '*' && q != '+') continue;
        if (a->kind != ATOM_CLASS) {
            refuse(&ps, "a repeated \\b or \\B");
            break;
        }
        ps.at++;
        a->optional = q != '+';
        a->repeat = q != '?';
        if (ps.at < len && (ps.p[ps.at] == '?' || ps.p[ps.at] == '*' || ps.p[ps.at] == '+'))
            refuse(&ps, "lazy or nested repetition (such as +? or **) is not supported");
    }
    lp__regex *re = NULL;
    if (!ps.failed) {
        size_t bytes = sizeof *re + ps.n_atoms * sizeof(atom) + ps.n_ranges * sizeof(cp_range);
        if (!(re = malloc(bytes))) {
            refuse(&ps, "out of memory");
        } else {
            re->n_atoms = ps.n_atoms, re->n_ranges = ps.n_ranges, re->bytes = bytes;
            if (ps.n_atoms) memcpy(re->atoms, ps.atoms, ps.n_atoms * sizeof(atom));
            if (ps.n_ranges) memcpy(ranges_of(re), ps.ranges, ps.n_ranges * sizeof(cp_range));
        }
    }
    free(ps.atoms);
    free(ps.ranges);
    return re;
}

/* ---- matching --------------------------------------------------------------------------- */

static int class_has(const lp__regex *re, const atom *a, uint32_t cp)
{
    const cp_range *r = ranges_of(re) + a->first;
    int in = 0;
    for (size_t i = 0; i < a->n_ranges && !in; i++) in = cp >= r[i].first && cp <= r[i].last;
    return in != a->negate;
}

static int is_word(uint32_t cp)
{
    return (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || cp == '_';
}

static int at_boundary(const uint32_t *cp, size_t n, size_t pos)
{
    int before = pos > 0 && is_word(cp[pos - 1]), after = pos < n && is_word(cp[pos]);
    return before != after;
}

/* Adds state i and what it reaches without consuming (optional atoms skipped,
 * assertions that hold at pos passed). */
static void add_state(const lp__regex *re, uint8_t *set, size_t i, const uint32_t *cp, size_t n, size_t pos)
{
    while (i <= re->n_atoms && !set[i]) {
        set[i] = 1;
        if (i == re->n_atoms) return;
        const atom *a = &re->atoms[i];
        if (a->kind != ATOM_CLASS) {
            if ((a->kind == ATOM_BOUNDARY) != at_boundary(cp, n, pos)) return;
        } else if (!a->optional) {
            return;
        }
        i++;
    }
}

int lp__regex_find(const lp__regex *re, const uint32_t *cp, size_t n, size_t from, size_t *start, size_t *end)
{
    size_t k = re->n_atoms;
    uint8_t small[2][64], *cur = small[0], *nxt = small[1], *heap = NULL;
    if (k + 1 > sizeof small[0]) {
        if (!(heap = malloc(2 * (k + 1)))) return 0;
        cur = heap, nxt = heap + k + 1;
    }
    int found = 0;
    for (size_t s = from; s <= n && !found; s++) {
        memset(cur, 0, k + 1);
        add_state(re, cur, 0, cp, n, s);
        size_t last = SIZE_MAX;
        if (cur[k]) last = s;
        for (size_t pos = s; pos < n; pos++) {
            memset(nxt, 0, k + 1);
            int any = 0;
            for (size_t i = 0; i < k; i++) {
                if (!cur[i] || re->atoms[i].kind != ATOM_CLASS || !class_has(re, &re->atoms[i], cp[pos])) continue;
                if (re->atoms[i].repeat) add_state(re, nxt, i, cp, n, pos + 1);
                add_state(re, nxt, i + 1, cp, n, pos + 1);
                any = 1;
            }
            if (!any) break;
            if (nxt[k]) last = pos + 1;
            uint8_t *t = cur;
            cur = nxt, nxt = t;
        }
        if (last != SIZE_MAX) *start = s, *end = last, found = 1;
    }
    free(heap);
    return found;
}
