#!/usr/bin/env python3
"""Generates the C side of the event catalogue from libeventlog/catalogue.txt.

    gencat.py CATALOGUE (header|tables|decode|encode|show) OUT

header   eventlog/catalogue.h: ELOG_EV_* ids, one struct per event type
         (the union of its layouts' fields), the elog_fields union.
tables   the layout/field introspection tables (C source).
decode   one field reader per layout, bounds-checked for variable layouts
         (a header of static inline functions, included by decoder.c).
encode   one payload writer per layout, the inverse of its field reader
         (C source, used by the binary log writer, writer.c).
show     the `ghc-events show` text writers per layout (C source): one through
         the elog_writer, and one writing straight into a buffer with room
         for its bound (elog_show_event()'s fast path), and that one fused
         with the layout's field reader, taking the raw payload
         (elog_show_records()'s fast path).

Python standard library only, deterministic output (reproducible builds).
"""
import re
import sys

INT_SIZES = {"u8": 1, "u16": 2, "u32": 4, "u64": 8}
STR_KINDS = {"cstr", "text", "latin1", "bytes", "strvec"}
REST_KINDS = {"text", "latin1", "bytes", "strvec"}
ALL_KINDS = set(INT_SIZES) | STR_KINDS | {"stack"}
C_INT = {"u8": "uint8_t", "u16": "uint16_t", "u32": "uint32_t", "u64": "uint64_t"}
FIELD_KIND = {
    "u8": "ELOG_FIELD_U8", "u16": "ELOG_FIELD_U16", "u32": "ELOG_FIELD_U32",
    "u64": "ELOG_FIELD_U64", "cstr": "ELOG_FIELD_CSTR", "text": "ELOG_FIELD_TEXT",
    "latin1": "ELOG_FIELD_LATIN1", "bytes": "ELOG_FIELD_BYTES",
    "strvec": "ELOG_FIELD_STRVEC", "stack": "ELOG_FIELD_STACK",
}
# show formats: which field kinds accept them, and the C call they become.
INT_FMTS = {
    "": "elog__put_dec(w, {v});",
    "hex": "elog__put_hex(w, {v});",
    "lo16": "elog__put_dec(w, (uint64_t)({v} & 0xffffu));",
    "plus1": "elog__put_dec(w, (uint64_t)({v}) + 1u);",
    "caf": "if ({v} & 1u) elog__put_lit(w, \" CAF\", 4);",
    "stop_status": "elog__put_stop_status(w, {v}, ev->as.{ev}.info);",
    "capset_type": "elog__put_capset_type(w, {v});",
    "breakdown": "elog__put_breakdown(w, {v});",
    "eden_tag": "elog__put_eden_tag(w, {v});",
}
STR_FMTS = {
    "": "elog_writer_put(w, {v}.ptr, {v}.len);",
    "latin1": "elog__put_latin1(w, {v});",
    "hs_list": "elog__put_hs_list(w, {v});",
    "bin": "elog__put_bin(w, {v});",
    "leading_num": "elog__put_leading_num(w, {v});",
}
STACK_FMTS = {"stack": "elog__put_stack(w, {v});"}
HOOKS = {"heap_filters": "elog__put_heap_filters(w, &ev->as.{ev});"}
# The same formats for the fast path (show_internal.h): the pointer code and
# the most bytes it writes, a constant or (per-unit, expression) for text that
# grows with a field. Formats missing here send their layouts to the writer
# path.
DEC_BOUND = {"u8": 3, "u16": 5, "u32": 10, "u64": 20}
INT_FAST = {
    "": ("p = elog__fmt_dec(p, {v});", None),
    "hex": ("p = elog__fmt_hex(p, {v});", 16),
    "lo16": ("p = elog__fmt_dec(p, (uint64_t)({v} & 0xffffu));", 5),
    "plus1": ("p = elog__fmt_dec(p, (uint64_t)({v}) + 1u);", 20),
    "caf": ("if ({v} & 1u) p = elog__fmt_bytes(p, (elog_slice){{(const uint8_t *)\" CAF\", 4}});", 4),
    "stop_status": ("p = elog__fmt_stop_status(p, {v}, ev->as.{ev}.info);", 64),
    "capset_type": ("p = elog__fmt_capset_type(p, {v});", 32),
    "breakdown": ("p = elog__fmt_breakdown(p, {v});", 32),
    "eden_tag": ("p = elog__fmt_eden_tag(p, {v});", 16),
}
STR_FAST = {
    "": ("p = elog__fmt_bytes(p, {v});", (1, "{v}.len")),
    "latin1": ("p = elog__fmt_latin1(p, {v});", (2, "{v}.len")),
}
STACK_FAST = {"stack": ("p = elog__fmt_stack(p, {v});", (12, "{v}.count"))}
# Must not exceed ELOG__SHOW_FAST_BODY (checked by the generated code).
FAST_UNCHECKED_MAX = 960


class CatalogueError(Exception):
    pass


class Field:
    def __init__(self, spec, where):
        m = re.fullmatch(r"(\?)?([a-z_][a-z0-9_]*):([a-z0-9]+)(?:=pow2\(([a-z_][a-z0-9_]*)\))?", spec)
        if not m:
            raise CatalogueError(f"{where}: bad field {spec!r}")
        self.optional = bool(m.group(1))
        self.name, self.kind, self.pow2_of = m.group(2), m.group(3), m.group(4)
        if self.kind not in ALL_KINDS:
            raise CatalogueError(f"{where}: unknown field type {self.kind!r}")
        if self.pow2_of and self.kind not in INT_SIZES:
            raise CatalogueError(f"{where}: derived field {self.name} must be an integer")

    @property
    def derived(self):
        return self.pow2_of is not None

    def c_type(self):
        if self.kind in INT_SIZES:
            return C_INT[self.kind]
        if self.kind == "stack":
            return "elog_u32_array"
        return "elog_slice"


class Layout:
    def __init__(self, lineno, ev_id, name, size, fields, show):
        self.lineno, self.id, self.name, self.size = lineno, ev_id, name, size
        self.fields, self.show = fields, show
        self.variant = 0
        self.index = 0
        self.where = f"catalogue.txt:{lineno}"

    @property
    def variable(self):
        return self.size is None

    @property
    def lname(self):
        return self.name.lower()


def parse(path):
    layouts = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if "|" not in line:
                raise CatalogueError(f"catalogue.txt:{lineno}: missing '| show template'")
            left, show = line.split("|", 1)
            show = show.strip()
            words = left.split()
            if len(words) < 3:
                raise CatalogueError(f"catalogue.txt:{lineno}: need ID NAME SIZE")
            ev_id, name, size = int(words[0]), words[1], words[2]
            if not (0 <= ev_id < 0xffff):
                raise CatalogueError(f"catalogue.txt:{lineno}: id out of range")
            size = None if size == "var" else int(size)
            where = f"catalogue.txt:{lineno}"
            fields = [Field(w, where) for w in words[3:]]
            layouts.append(Layout(lineno, ev_id, name, size, fields, show))
    check(layouts)
    return layouts


def payload_fields(lay):
    return [f for f in lay.fields if not f.derived]


def check(layouts):
    by_id = {}
    for lay in layouts:
        by_id.setdefault(lay.id, []).append(lay)
        names = [f.name for f in lay.fields]
        if len(set(names)) != len(names):
            raise CatalogueError(f"{lay.where}: duplicate field name")
        pf = payload_fields(lay)
        if not lay.variable:
            if any(f.kind not in INT_SIZES or f.optional for f in pf):
                raise CatalogueError(f"{lay.where}: fixed layouts hold integers only")
            used = sum(INT_SIZES[f.kind] for f in pf)
            if used != lay.size:
                raise CatalogueError(f"{lay.where}: fields use {used} bytes, size says {lay.size}")
        rest = [i for i, f in enumerate(pf) if f.kind in REST_KINDS]
        if len(rest) > 1:
            raise CatalogueError(f"{lay.where}: at most one rest-of-payload field")
        if rest and any(f.kind not in INT_SIZES or f.optional for f in pf[rest[0] + 1:]):
            raise CatalogueError(f"{lay.where}: only fixed integers may follow a rest field")
        seen_opt = False
        for f in pf:
            if seen_opt and not f.optional:
                raise CatalogueError(f"{lay.where}: a required field follows an optional one")
            seen_opt = seen_opt or f.optional
        for f in lay.fields:
            if f.derived and f.pow2_of not in names:
                raise CatalogueError(f"{lay.where}: pow2 of unknown field {f.pow2_of}")
    for ev_id, lays in by_id.items():
        if len({l.name for l in lays}) != 1:
            raise CatalogueError(f"id {ev_id}: variants must share one name")
        if len(lays) > 1 and any(l.variable for l in lays):
            raise CatalogueError(f"id {ev_id}: only fixed layouts can have size variants")
        lays.sort(key=lambda l: l.size)
        for v, lay in enumerate(lays):
            lay.variant = v
        # One struct serves all variants: a name must keep its type.
        types = {}
        for lay in lays:
            for f in lay.fields:
                if types.setdefault(f.name, f.kind) != f.kind:
                    raise CatalogueError(f"id {ev_id}: field {f.name} changes type across sizes")
    layouts.sort(key=lambda l: (l.id, l.size if l.size is not None else -1))
    for i, lay in enumerate(layouts):
        lay.index = i
        parse_show(lay)


def parse_show(lay):
    """Splits a template into ('lit', text) / ('field', Field, fmt) / ('hook', name)."""
    names = {f.name: f for f in lay.fields}
    parts, pos, t = [], 0, lay.show
    for m in re.finditer(r"\{([^{}]*)\}", t):
        if m.start() > pos:
            parts.append(("lit", t[pos:m.start()]))
        inner = m.group(1)
        if inner.startswith("="):
            if inner[1:] not in HOOKS:
                raise CatalogueError(f"{lay.where}: unknown hook {inner}")
            parts.append(("hook", inner[1:]))
        else:
            fname, _, fmt = inner.partition(":")
            if fname not in names:
                raise CatalogueError(f"{lay.where}: template names unknown field {fname}")
            f = names[fname]
            table = INT_FMTS if f.kind in INT_SIZES else STACK_FMTS if f.kind == "stack" else STR_FMTS
            if fmt not in table:
                raise CatalogueError(f"{lay.where}: format {fmt!r} does not apply to {f.kind} field {fname}")
            parts.append(("field", f, fmt))
        pos = m.end()
    if pos < len(t):
        parts.append(("lit", t[pos:]))
    for p in parts:
        if p[0] == "lit" and ("{" in p[1] or "}" in p[1]):
            raise CatalogueError(f"{lay.where}: stray brace in template")
    lay.show_parts = parts


def c_string(s):
    out = []
    for ch in s.encode("utf-8"):
        c = chr(ch)
        if c in '"\\':
            out.append("\\" + c)
        elif 0x20 <= ch < 0x7f:
            out.append(c)
        else:
            out.append("\\%03o" % ch)
    return '"' + "".join(out) + '"'


def event_types(layouts):
    """One entry per id: (name, merged field list)."""
    out = {}
    for lay in layouts:
        name, fields = out.setdefault(lay.id, (lay.name, []))
        known = {f.name for f in fields}
        fields.extend(f for f in lay.fields if f.name not in known)
    return out


def gen_header(layouts):
    evs = event_types(layouts)
    o = ["/* Generated by libeventlog/gencat.py from catalogue.txt. Do not edit. */",
         "#ifndef ELOG_CATALOGUE_H", "#define ELOG_CATALOGUE_H", "",
         "/* Included by eventlog.h; include that instead. */", "",
         "/* Event type ids known to libeventlog. */", "enum elog_event_id {"]
    for ev_id, (name, _) in sorted(evs.items()):
        o.append(f"    ELOG_EV_{name} = {ev_id},")
    o += ["};", "", f"#define ELOG_CATALOGUE_LAYOUTS {len(layouts)}", ""]
    for ev_id, (name, fields) in sorted(evs.items()):
        o.append(f"/* id {ev_id} */")
        o.append(f"typedef struct elog_ev_{name.lower()} {{")
        if not fields:
            o.append("    char unused_; /* no fields */")
        for f in fields:
            o.append(f"    {f.c_type()} {f.name};")
        for f in fields:
            if f.optional:
                o.append(f"    bool has_{f.name};")
        o.append(f"}} elog_ev_{name.lower()};")
        o.append("")
    o.append("/* The typed fields of an event, by its layout name (ev->as.create_thread). */")
    o.append("typedef union elog_fields {")
    for ev_id, (name, _) in sorted(evs.items()):
        o.append(f"    elog_ev_{name.lower()} {name.lower()};")
    o += ["} elog_fields;", "", "#endif", ""]
    return "\n".join(o)


def rd(kind, expr):
    return {"u8": f"{expr}[0]", "u16": f"elog__rd16({expr})",
            "u32": f"elog__rd32({expr})", "u64": f"elog__rd64({expr})"}[kind]


def gen_decoder(lay):
    s = f"out->{lay.lname}"
    o = [f"static int decode_{lay.lname}_{lay.variant}(const uint8_t *p, size_t len, elog_fields *out)", "{"]
    pf = payload_fields(lay)
    if not lay.fields:
        o.append("    (void)p;")
        o.append("    (void)out;")
    if not lay.variable:
        o.append("    (void)len;")
        off = 0
        for f in pf:
            o.append(f"    {s}.{f.name} = {rd(f.kind, f'(p + {off})')};")
            off += INT_SIZES[f.kind]
    else:
        o.append("    size_t pos = 0;")
        o.append("    (void)pos;")
        for i, f in enumerate(pf):
            bad = f"return {i + 1};"
            if f.optional:
                o.append(f"    {s}.has_{f.name} = pos < len;")
                o.append(f"    if (pos < len) {{")
                ind = "        "
            else:
                ind = "    "
            if f.kind in INT_SIZES:
                n = INT_SIZES[f.kind]
                o.append(f"{ind}if (len - pos < {n}) {bad}")
                o.append(f"{ind}{s}.{f.name} = {rd(f.kind, '(p + pos)')};")
                o.append(f"{ind}pos += {n};")
            elif f.kind == "cstr":
                o.append(f"{ind}{{")
                o.append(f"{ind}    const uint8_t *nul = memchr(p + pos, 0, len - pos);")
                o.append(f"{ind}    if (!nul) {bad}")
                o.append(f"{ind}    {s}.{f.name}.ptr = p + pos;")
                o.append(f"{ind}    {s}.{f.name}.len = (size_t)(nul - (p + pos));")
                o.append(f"{ind}    pos += {s}.{f.name}.len + 1;")
                o.append(f"{ind}}}")
            elif f.kind == "stack":
                o.append(f"{ind}if (len - pos < 1) {bad}")
                o.append(f"{ind}{s}.{f.name}.count = p[pos];")
                o.append(f"{ind}if (len - pos - 1 < 4u * (size_t)p[pos]) {bad}")
                o.append(f"{ind}{s}.{f.name}.ptr = p + pos + 1;")
                o.append(f"{ind}pos += 1 + 4u * (size_t)p[pos];")
            else:  # rest of payload, minus the fixed integers after it
                tail = sum(INT_SIZES[g.kind] for g in pf[i + 1:])
                if tail:
                    o.append(f"{ind}if (len - pos < {tail}) {bad}")
                o.append(f"{ind}{s}.{f.name}.ptr = p + pos;")
                o.append(f"{ind}{s}.{f.name}.len = len - pos - {tail};")
                o.append(f"{ind}pos = len - {tail};")
            if f.optional:
                o.append("    } else {")
                if f.kind in INT_SIZES:
                    o.append(f"        {s}.{f.name} = 0;")
                else:
                    o.append(f"        {s}.{f.name}.ptr = NULL;")
                    o.append(f"        {s}.{f.name}.len = 0;")
                o.append("    }")
    for f in lay.fields:
        if f.derived:
            o.append(f"    {s}.{f.name} = {s}.{f.pow2_of} >= 16 ? 0 : (uint16_t)(1u << {s}.{f.pow2_of});")
    o += ["    return 0;", "}", ""]
    return o


def gen_tables_c(layouts):
    o = ["/* Generated by libeventlog/gencat.py from catalogue.txt. Do not edit. */",
         "#include <stddef.h>", '#include "catalogue_internal.h"', ""]
    for lay in layouts:
        o.append(f"static const elog_field_info fields_{lay.index}[] = {{")
        st = f"elog_ev_{lay.lname}"
        for f in lay.fields:
            has = f"offsetof({st}, has_{f.name})" if f.optional else "0"
            o.append(f"    {{{c_string(f.name)}, {FIELD_KIND[f.kind]}, offsetof({st}, {f.name}), "
                     f"{'true' if f.optional else 'false'}, {'true' if f.derived else 'false'}, {has}}},")
        if not lay.fields:
            o.append("    {NULL, ELOG_FIELD_U8, 0, false, false, 0}")
        o.append("};")
    o.append("")
    o.append("const elog_layout_info elog__layouts[ELOG_CATALOGUE_LAYOUTS] = {")
    for lay in layouts:
        size = "ELOG_VARIABLE_SIZE" if lay.variable else str(lay.size)
        o.append(f"    {{{lay.id}, {size}, {lay.variant}, {len(lay.fields)}, {lay.index}, "
                 f"{c_string(lay.name)}, fields_{lay.index}}},")
    o += ["};", ""]
    return "\n".join(o)


def gen_decode_h(layouts):
    """Field readers as static inline functions behind one switch, so the
    decoder's hot loop can inline the small fixed-layout ones."""
    o = ["/* Generated by libeventlog/gencat.py from catalogue.txt. Do not edit. */",
         "/* Included once, by decoder.c. */", "#include <string.h>",
         '#include "catalogue_internal.h"', ""]
    for lay in layouts:
        o += [line.replace("static int", "static inline int", 1) if i == 0 else line
              for i, line in enumerate(gen_decoder(lay))]
    o.append("/* Reads the fields of layout `index` from a payload of `len` bytes (len >= size")
    o.append(" * for fixed layouts). `index` is a layout index or ELOG_CATALOGUE_LAYOUTS for")
    o.append(" * an event without a layout (nothing to read); any other value is undefined")
    o.append(" * behaviour, which lets the compiler drop the jump table's range check.")
    o.append(" * Returns 0, or 1 + the index of the first field that does not fit in the")
    o.append(" * payload. */")
    o.append("static inline __attribute__((always_inline)) int")
    o.append("elog__decode_fields(unsigned index, const uint8_t *p, size_t len, elog_fields *out)")
    o.append("{")
    o.append("    switch (index) {")
    for lay in layouts:
        o.append(f"    case {lay.index}: return decode_{lay.lname}_{lay.variant}(p, len, out);")
    o += ["    case ELOG_CATALOGUE_LAYOUTS: return 0;", "    default: __builtin_unreachable();",
          "    }", "}", ""]
    o.append("/* The same for the fixed-size layouts alone (the decoder's fast path): `index`")
    o.append(" * is a fixed layout's index or ELOG_CATALOGUE_LAYOUTS, `p` holds the layout's")
    o.append(" * size in bytes at least, so no field can fail. */")
    o.append("static inline __attribute__((always_inline)) void")
    o.append("elog__decode_fixed_fields(unsigned index, const uint8_t *p, elog_fields *out)")
    o.append("{")
    o.append("    switch (index) {")
    for lay in layouts:
        if not lay.variable:
            o.append(f"    case {lay.index}: (void)decode_{lay.lname}_{lay.variant}(p, {lay.size}, out); return;")
    o += ["    case ELOG_CATALOGUE_LAYOUTS: return;", "    default: __builtin_unreachable();",
          "    }", "}", ""]
    o += gen_straight(layouts)
    o.append("/* The same for the variable-size layouts alone: `index` is a variable layout's")
    o.append(" * index or ELOG_CATALOGUE_LAYOUTS; returns as elog__decode_fields(). */")
    o.append("static inline __attribute__((always_inline)) int")
    o.append("elog__decode_var_fields(unsigned index, const uint8_t *p, size_t len, elog_fields *out)")
    o.append("{")
    o.append("    switch (index) {")
    for lay in layouts:
        if lay.variable:
            o.append(f"    case {lay.index}: return decode_{lay.lname}_{lay.variant}(p, len, out);")
    o += ["    case ELOG_CATALOGUE_LAYOUTS: return 0;", "    default: __builtin_unreachable();",
          "    }", "}", ""]
    return "\n".join(o)


STRAIGHT_MAX_SIZE = 16


def straight_layouts(layouts):
    """The straight shape and the layouts it decodes.

    A fixed layout is a candidate when it has no derived fields and is its
    event's only layout (so its struct holds exactly its payload fields, in
    order). The straight layout S is the candidate of at most
    STRAIGHT_MAX_SIZE payload bytes whose field kinds begin those of the most
    candidates (ties: the smaller payload, then the lower index); those
    candidates are the straight set. Decoding any of them as S fills their
    fields, the common initial sequence of two structs of one union, and
    writes the rest of S's fields past their struct, which they do not use."""
    count = {}
    for lay in layouts:
        count[lay.id] = count.get(lay.id, 0) + 1
    cands = [l for l in layouts if not l.variable and count[l.id] == 1
             and not any(f.derived for f in l.fields)]
    kinds = {l.index: [f.kind for f in l.fields] for l in cands}

    def covered(s):
        k = kinds[s.index]
        return [l for l in cands if kinds[l.index] == k[:len(kinds[l.index])]]

    best = None
    for s in cands:
        if s.size > STRAIGHT_MAX_SIZE or not s.fields:
            continue
        key = (-len(covered(s)), s.size, s.index)
        if best is None or key < best[0]:
            best = (key, s)
    if best is None:
        return None, []
    return best[1], covered(best[1])


def gen_straight(layouts):
    s, members = straight_layouts(layouts)
    o = ["/* Straight decoding, for the decoder's fast path: a layout for which",
         " * elog__layout_straight() is true can be decoded by elog__decode_straight(),",
         " * the same code for all of them (no branch on the type), which reads",
         " * ELOG__STRAIGHT_SIZE payload bytes whatever the layout's size (gencat.py,",
         " * straight_layouts()). */"]
    if s is None:
        o += ["#define ELOG__STRAIGHT_SIZE 0",
              "static inline void elog__decode_straight(const uint8_t *p, elog_fields *out)",
              "{", "    (void)p;", "    (void)out;", "}",
              "static inline bool elog__layout_straight(unsigned index)",
              "{", "    (void)index;", "    return false;", "}", ""]
        return o
    o += [f"#define ELOG__STRAIGHT_SIZE {s.size} /* {s.name}: "
          + " ".join(f.kind for f in s.fields) + " */",
          "static inline __attribute__((always_inline)) void",
          "elog__decode_straight(const uint8_t *p, elog_fields *out)",
          "{",
          f"    (void)decode_{s.lname}_{s.variant}(p, {s.size}, out);",
          "}",
          "static inline bool elog__layout_straight(unsigned index)",
          "{",
          "    switch (index) {"]
    for lay in members:
        o.append(f"    case {lay.index}: /* {lay.name} */")
    o += ["        return true;", "    default:", "        return false;", "    }", "}", ""]
    return o


def gen_show_c(layouts):
    o = ["/* Generated by libeventlog/gencat.py from catalogue.txt. Do not edit. */",
         '#include "decode_gen.h"', '#include "show_internal.h"', ""]
    for lay in layouts:
        o.append(f"static void show_{lay.lname}_{lay.variant}(elog_writer *w, const elog_event *ev)")
        o.append("{")
        used_ev = False
        for part in lay.show_parts:
            if part[0] == "lit":
                text = part[1].replace("\\n", "\n")
                o.append(f"    elog__put_lit(w, {c_string(text)}, {len(text.encode('utf-8'))});")
            elif part[0] == "hook":
                o.append("    " + HOOKS[part[1]].format(ev=lay.lname))
                used_ev = True
            else:
                _, f, fmt = part
                v = f"ev->as.{lay.lname}.{f.name}"
                table = INT_FMTS if f.kind in INT_SIZES else STACK_FMTS if f.kind == "stack" else STR_FMTS
                o.append("    " + table[fmt].format(v=v, ev=lay.lname))
                used_ev = True
        if not used_ev:
            o.append("    (void)ev;")
        o += ["}", ""]
    o.append("const elog__show_fn elog__show_fns[ELOG_CATALOGUE_LAYOUTS] = {")
    for lay in layouts:
        o.append(f"    show_{lay.lname}_{lay.variant},")
    o += ["};", ""]
    o.append(f"_Static_assert({FAST_UNCHECKED_MAX} <= ELOG__SHOW_FAST_BODY, "
             f"\"unchecked fast writers must fit\");")
    o.append("")
    # The fast and the raw writers exist for some layouts only: the tables
    # indexed by layout hold NULL for the others.
    for prefix, gen, ctype, table in (("fast", gen_show_fast, "elog__show_fast_fn", "elog__show_fast"),
                                      ("raw", gen_show_raw, "elog__show_raw_fn", "elog__show_raw")):
        names = {}
        for lay in layouts:
            code = gen(lay)
            if code:
                names[lay.index] = f"{prefix}_{lay.lname}_{lay.variant}"
                o += code
        o.append(f"const {ctype} {table}[ELOG_CATALOGUE_LAYOUTS] = {{")
        for lay in layouts:
            o.append(f"    {names.get(lay.index, 'NULL')},")
        o += ["};", ""]
    return "\n".join(o)


def gen_show_raw(lay):
    """The fast writer of a layout fused with its field reader (decode_gen.h):
    it takes the raw payload instead of a decoded event, so that a record is
    shown without filling an elog_event first (the fields the text does not
    use are dead stores the compiler drops). NULL when the payload does not
    decode, like the fast writer when its text might not fit: the caller then
    takes the decoder's path, which says what is wrong. None for layouts
    without a fast writer."""
    fast = gen_show_fast(lay)
    if not fast:
        return None
    o = [f"static char *raw_{lay.lname}_{lay.variant}(char *p, const char *end, const uint8_t *pl, size_t len)",
         "{", "    elog_fields as_;",
         f"    if (decode_{lay.lname}_{lay.variant}(pl, len, &as_) != 0)",
         "        return NULL;"]
    if not lay.fields:
        o.append("    (void)as_;")
    # The fast writer's body, reading the local fields instead of ev->as.
    body = fast[fast.index("{") + 1:fast.index("    return p;")]
    o += [line.replace("ev->as.", "as_.") for line in body if line != "    (void)ev;"]
    o += ["    return p;", "}", ""]
    return o


def gen_show_fast(lay):
    """The fast-path writer of a layout, or None if a format has none."""
    body, const, grows = [], 0, []
    for part in lay.show_parts:
        if part[0] == "lit":
            text = part[1].replace("\\n", "\n")
            n = len(text.encode("utf-8"))
            body.append(f"    memcpy(p, {c_string(text)}, {n});")
            body.append(f"    p += {n};")
            const += n
        elif part[0] == "hook":
            return None
        else:
            _, f, fmt = part
            v = f"ev->as.{lay.lname}.{f.name}"
            table = INT_FAST if f.kind in INT_SIZES else STACK_FAST if f.kind == "stack" else STR_FAST
            if fmt not in table:
                return None
            code, bound = table[fmt]
            body.append("    " + code.format(v=v, ev=lay.lname))
            if bound is None:
                bound = DEC_BOUND[f.kind]
            if isinstance(bound, tuple):
                grows.append(f"{bound[0]}u * (size_t){bound[1].format(v=v)}")
            else:
                const += bound
    o = [f"static char *fast_{lay.lname}_{lay.variant}(char *p, const char *end, const elog_event *ev)",
         "{"]
    if grows or const > FAST_UNCHECKED_MAX:
        need = " + ".join([f"{const}u"] + grows)
        o.append(f"    if ((size_t)(end - p) < {need})")
        o.append("        return NULL;")
    else:
        o.append("    (void)end;")
    if not any(p[0] != "lit" for p in lay.show_parts):
        o.append("    (void)ev;")
    o += body
    o += ["    return p;", "}", ""]
    return o


def wr(kind, expr, dst):
    return {"u8": f"({dst})[0] = (uint8_t){expr};", "u16": f"elog__wr16({dst}, {expr});",
            "u32": f"elog__wr32({dst}, {expr});", "u64": f"elog__wr64({dst}, {expr});"}[kind]


def gen_encoder(lay):
    """The payload of one layout from its typed fields: integers big-endian,
    strings and byte areas copied, cstr with its NUL, stacks as a u8 count and
    the u32s; optional fields only when their has_ flag is set; derived fields
    are not in the payload."""
    s = f"f->{lay.lname}"
    o = [f"static size_t encode_{lay.lname}_{lay.variant}(const elog_fields *f, uint8_t *p, size_t cap)", "{"]
    pf = payload_fields(lay)
    o.append("    size_t pos = 0;")
    if not pf:
        o.append("    (void)f;")
        o.append("    (void)p;")
        o.append("    (void)cap;")
    for f in pf:
        ind = "    "
        if f.optional:
            o.append(f"    if ({s}.has_{f.name}) {{")
            ind = "        "
        if f.kind in INT_SIZES:
            n = INT_SIZES[f.kind]
            o.append(f"{ind}if (cap - pos < {n}) return SIZE_MAX;")
            o.append(f"{ind}{wr(f.kind, f'{s}.{f.name}', 'p + pos')}")
            o.append(f"{ind}pos += {n};")
        elif f.kind == "stack":
            o.append(f"{ind}if (cap - pos < 1 + 4u * (size_t){s}.{f.name}.count || {s}.{f.name}.count > 255) return SIZE_MAX;")
            o.append(f"{ind}p[pos] = (uint8_t){s}.{f.name}.count;")
            o.append(f"{ind}if ({s}.{f.name}.count) memcpy(p + pos + 1, {s}.{f.name}.ptr, 4u * (size_t){s}.{f.name}.count);")
            o.append(f"{ind}pos += 1 + 4u * (size_t){s}.{f.name}.count;")
        else:
            nul = 1 if f.kind == "cstr" else 0
            o.append(f"{ind}if (cap - pos < {s}.{f.name}.len + {nul}) return SIZE_MAX;")
            o.append(f"{ind}if ({s}.{f.name}.len) memcpy(p + pos, {s}.{f.name}.ptr, {s}.{f.name}.len);")
            o.append(f"{ind}pos += {s}.{f.name}.len;")
            if nul:
                o.append(f"{ind}p[pos++] = 0;")
        if f.optional:
            o.append("    }")
    o += ["    return pos;", "}", ""]
    return o


def gen_encode_c(layouts):
    o = ["/* Generated by libeventlog/gencat.py from catalogue.txt. Do not edit. */",
         "#include <stdint.h>", "#include <string.h>", '#include "catalogue_internal.h"',
         '#include "writer_internal.h"', ""]
    for lay in layouts:
        o += gen_encoder(lay)
    o.append("size_t elog__encode_fields(unsigned index, const elog_fields *f, uint8_t *p, size_t cap)")
    o.append("{")
    o.append("    switch (index) {")
    for lay in layouts:
        o.append(f"    case {lay.index}: return encode_{lay.lname}_{lay.variant}(f, p, cap);")
    o += ["    default: return SIZE_MAX;", "    }", "}", ""]
    return "\n".join(o)


GENERATORS = {"header": gen_header, "tables": gen_tables_c, "decode": gen_decode_h,
              "encode": gen_encode_c, "show": gen_show_c}


def main(argv):
    if len(argv) != 4 or argv[2] not in GENERATORS:
        sys.stderr.write(__doc__)
        return 2
    try:
        layouts = parse(argv[1])
    except CatalogueError as e:
        sys.stderr.write(f"gencat: {e}\n")
        return 1
    with open(argv[3], "w", encoding="utf-8", newline="\n") as f:
        f.write(GENERATORS[argv[2]](layouts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
