#!/usr/bin/env python3
"""gen-unicode-tables.py — writes src/text/unicode_tables.c, the compact
Unicode tables of the text preprocessing (src/text/unicode.h).

Run by hand (`python3 scripts/gen-unicode-tables.py > src/text/unicode_tables.c`)
when the Unicode version should move; the output is committed so that
building never needs Python.  Every table is derived from this Python's own
`unicodedata` and `str` methods, so the C code reproduces exactly what
Python's `str.lower`, `str.isspace`, `str.isdecimal` and
`unicodedata.normalize('NFD')` do for the Unicode version printed in the
header (the version Keras and BERT's Python tokenizers see on this Python).

Compactness: properties are sorted lists of code point ranges (a few
hundred each); lowercase is runs (a first code point, a length, a step of 1
or 2 between the mapped code points, and either one delta added to each of
them or one target they all map to); accent stripping, whose targets are
arbitrary, two sorted arrays.  About 10 KB gzipped in all (`make size`)."""
import string
import sys
import unicodedata as ud

MAX = 0x110000
ALL = [cp for cp in range(MAX) if not 0xD800 <= cp < 0xE000]


def ranges(pred):
    out, start, prev = [], None, None
    for cp in ALL:
        if pred(cp):
            if start is None:
                start = cp
            elif cp != prev + 1:
                out.append((start, prev))
                start = cp
            prev = cp
        elif start is not None:
            out.append((start, prev))
            start = None
    if start is not None:
        out.append((start, prev))
    return out


def cat(cp):
    return ud.category(chr(cp))


# Cased and Case_Ignorable as Python's str.lower sees them (its final-sigma
# rule): "xΣ".lower() ends in ς only when x is cased; "AxΣ" also when x is
# case-ignorable (skipped on the way back to the cased A).
def final_sigma(s):
    return s.lower()[-1] == "\u03c2"


def is_cased(cp):
    return final_sigma(chr(cp) + "\u03a3")


def is_case_ignorable(cp):
    return not is_cased(cp) and final_sigma("A" + chr(cp) + "\u03a3")


ASCII_PUNCT = set(map(ord, string.punctuation))
PROPS = [
    # name, predicate, what it is
    ("LP__UC_PUNCT", lambda cp: cat(cp).startswith("P") or cp in ASCII_PUNCT,
     "Unicode punctuation (P*) and ASCII's punctuation and symbols (string.punctuation), as BERT's _is_punctuation"),
    ("LP__UC_MN", lambda cp: cat(cp) == "Mn", "nonspacing marks (Mn): what accent stripping drops after NFD"),
    ("LP__UC_DIGIT", lambda cp: chr(cp).isdecimal(), "decimal digits (Nd), Python's str.isdecimal"),
    ("LP__UC_SPACE", lambda cp: chr(cp).isspace(), "Python's str.isspace (what str.split() splits on)"),
    ("LP__UC_CASED", is_cased, "Cased, as str.lower's final-sigma rule sees it"),
    ("LP__UC_CASE_IGNORABLE", is_case_ignorable, "Case_Ignorable (and not Cased), likewise"),
    ("LP__UC_CONTROL", lambda cp: cat(cp) in ("Cc", "Cf", "Co") and chr(cp) not in "\t\n\r",
     "what BERT's clean_text drops as control: Cc, Cf, Co except tab, LF, CR"),
]


def runs(mapping):
    """mapping: cp -> single target cp.  Disjoint runs (so a binary search
    finds the one run that can hold a code point): a step of 1 or 2 between
    members (step 2 only over code points the mapping leaves alone), whose
    targets either move with the source (a delta) or stay (one target)."""
    cps = sorted(mapping)
    out, i = [], 0
    while i < len(cps):
        first = cps[i]
        best = (1, 1, "delta", mapping[first] - first)
        for step in (1, 2):
            for kind in ("delta", "const"):
                value = mapping[first] - first if kind == "delta" else mapping[first]
                n = 1
                while True:
                    nxt = first + step * n
                    if nxt not in mapping or (step == 2 and nxt - 1 in mapping):
                        break
                    if mapping[nxt] != (nxt + value if kind == "delta" else value):
                        break
                    n += 1
                if n > best[0]:
                    best = (n, step, kind, value)
        n, step, kind, value = best
        out.append((first, n, step, kind, value))
        last = first + step * (n - 1)
        while i < len(cps) and cps[i] <= last:
            i += 1
    return out


def emit_runs(name, mapping, what):
    rs = runs(dict(mapping))
    # check: the runs reproduce the mapping exactly
    got = {}
    for start, n, step, kind, value in rs:
        for k in range(n):
            cp = start + step * k
            got.setdefault(cp, cp + value if kind == "delta" else value)
    assert got == mapping, name
    print(f"/* {what}: {len(mapping)} code points in {len(rs)} runs. */")
    print(f"const lp__uc_run {name}[] = {{")
    for start, n, step, kind, value in rs:
        print(f"    {{0x{start:05X}, {n}, {step}, {1 if kind == 'const' else 0}, {value}}},")
    print("};")
    print(f"const size_t {name}_count = {len(rs)};\n")


def main():
    print(f"""/* unicode_tables.c — GENERATED by scripts/gen-unicode-tables.py from Python
 * {sys.version.split()[0]}'s unicodedata (Unicode {ud.unidata_version}).  Do not edit: rerun the script.
 * See src/text/unicode.h for what each table means. */
#include "unicode.h"

const char lp__uc_version[] = "{ud.unidata_version}";
""")
    for name, pred, what in PROPS:
        rs = ranges(pred)
        print(f"/* {what}: {len(rs)} ranges. */")
        print(f"static const lp__uc_range {name.lower()}_ranges[] = {{")
        for a, b in rs:
            print(f"    {{0x{a:05X}, 0x{b:05X}}},")
        print("};\n")
    print("const lp__uc_table lp__uc_props[LP__UC_PROP_COUNT] = {")
    for name, _, _ in PROPS:
        print(f"    [{name}] = {{{name.lower()}_ranges, sizeof {name.lower()}_ranges / sizeof *{name.lower()}_ranges}},")
    print("};\n")

    lower, lower_multi = {}, []
    for cp in ALL:
        lo = chr(cp).lower()
        if lo != chr(cp):
            if len(lo) == 1:
                lower[cp] = ord(lo)
            else:
                lower_multi.append((cp, lo))
    assert lower_multi == [(0x130, "i\u0307")], lower_multi  # src/text/unicode.c handles U+0130
    emit_runs("lp__uc_lower_runs", lower, "str.lower of one code point (U+0130 and final sigma are in unicode.c)")

    strip, strip_multi = {}, []
    for cp in ALL:
        if 0xAC00 <= cp <= 0xD7A3 or cat(cp) == "Mn":   # Hangul: algorithmic; Mn: dropped by the MN property
            continue
        d = "".join(c for c in ud.normalize("NFD", chr(cp)) if ud.category(c) != "Mn")
        if d == chr(cp):
            continue
        if len(d) == 1:
            strip[cp] = ord(d)
        else:
            strip_multi.append((cp, d))
    # Arbitrary targets (a thousand are CJK compatibility ideographs): sorted
    # sources and their targets as two arrays, which gzip better than pairs.
    print(f"/* NFD without Mn, where it is one code point: {len(strip)} sources (sorted) and targets. */")
    print("const uint32_t lp__uc_strip_from[] = {")
    for cp in sorted(strip):
        print(f"    0x{cp:05X},")
    print("};")
    print("const uint32_t lp__uc_strip_to[] = {")
    for cp in sorted(strip):
        print(f"    0x{strip[cp]:05X},")
    print("};")
    print(f"const size_t lp__uc_strip_count = {len(strip)};\n")
    print(f"/* ... and where it is {len(strip_multi)} sequences of 0 to 3 code points (zero-terminated). */")
    print("const lp__uc_multi lp__uc_strip_multi[] = {")
    for cp, d in strip_multi:
        assert len(d) <= 3
        print(f"    {{0x{cp:05X}, {{{', '.join('0x%04X' % ord(c) for c in d)}}}}},")
    print("};")
    print(f"const size_t lp__uc_strip_multi_count = {len(strip_multi)};\n")
    emit_nfc()


def emit_nfc():
    """NFC's data (src/text/normalize.c lp__text_nfc): the canonical combining
    classes as ranges of one class; the canonical decompositions of one level
    (Hangul syllables are algorithmic), sorted by code point, as two arrays;
    and the primary composites (a pair that composes: not a singleton, not
    excluded, not non-starter) as indexes into the decompositions, sorted by
    the pair they compose (so a pair is found by binary search)."""
    ccc = []
    for cp in ALL:
        c = ud.combining(chr(cp))
        if not c:
            continue
        if ccc and ccc[-1][1] == cp - 1 and ccc[-1][2] == c:
            ccc[-1][1] = cp
        else:
            ccc.append([cp, cp, c])
    print(f"/* Canonical combining classes (non-zero): {len(ccc)} ranges of one class. */")
    print("const lp__uc_ccc_range lp__uc_ccc[] = {")
    for a, b, c in ccc:
        print(f"    {{0x{a:05X}, 0x{b:05X}, {c}}},")
    print("};")
    print(f"const size_t lp__uc_ccc_count = {len(ccc)};\n")
    dec = {}
    for cp in ALL:
        if 0xAC00 <= cp <= 0xD7A3:
            continue
        d = ud.decomposition(chr(cp))
        if d and not d.startswith("<"):
            dec[cp] = [int(x, 16) for x in d.split()]
            assert len(dec[cp]) <= 2
    print(f"/* Canonical decompositions of one level: {len(dec)} code points (sorted) and their one or two code"
          " points (the second 0 for one). */")
    print("const uint32_t lp__uc_decomp_from[] = {")
    for cp in sorted(dec):
        print(f"    0x{cp:05X},")
    print("};")
    print("const uint32_t lp__uc_decomp_to[][2] = {")
    for cp in sorted(dec):
        d = dec[cp] + [0]
        print(f"    {{0x{d[0]:05X}, 0x{d[1]:05X}}},")
    print("};")
    print(f"const size_t lp__uc_decomp_count = {len(dec)};\n")
    order = sorted(dec)
    comp = sorted((dec[cp][0], dec[cp][1], order.index(cp)) for cp in order
                  if len(dec[cp]) == 2 and ud.normalize("NFC", chr(cp)) == chr(cp))
    assert len(order) < 65536
    print(f"/* Primary composites: {len(comp)} indexes into lp__uc_decomp_*, sorted by the pair they compose. */")
    print("const uint16_t lp__uc_compose_index[] = {")
    for _, _, i in comp:
        print(f"    {i},")
    print("};")
    print(f"const size_t lp__uc_compose_count = {len(comp)};")


main()
