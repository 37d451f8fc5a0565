#!/usr/bin/env python3
"""Generates Gregor's C++ Kafka protocol codec from Kafka's JSON message specs.

Usage: tools/codegen/kafka_codegen.py [--spec DIR] [--out DIR] [--check]

Reads every *.json under the spec directory's message/, metadata/, group-coordinator/,
transaction-coordinator/, share-coordinator/, raft/ and streams/ folders and writes, under
--out (default src/protocol/generated):
  <folder>/<snake_name>.h/.cc   one plain struct per message, with decode/encode
  <folder>/all.h                includes every message of the folder and an X-macro listing them
  api_registry.h/.cc            API keys, names, version ranges and header versions
  api_visit.h                   calls a functor with the request and response types of an API key
--check writes nothing and exits 1 when the committed output differs from what would be written.

Standard library only: the build never runs this; its output is committed.
"""

import argparse
import json
import os
import re
import sys

SPEC_FOLDERS = ["message", "metadata", "group-coordinator", "transaction-coordinator",
                "share-coordinator", "raft", "streams"]
MAX_VERSION = 32767
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))

CPP_KEYWORDS = {
    "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case", "catch", "char", "class",
    "const", "constexpr", "continue", "default", "delete", "do", "double", "else", "enum",
    "explicit", "export", "extern", "false", "float", "for", "friend", "goto", "if", "inline",
    "int", "long", "mutable", "namespace", "new", "noexcept", "not", "operator", "or", "private",
    "protected", "public", "register", "return", "short", "signed", "sizeof", "static", "struct",
    "switch", "template", "this", "throw", "true", "try", "typedef", "typename", "union",
    "unsigned", "using", "virtual", "void", "volatile", "while", "version",
}

PRIMITIVES = {
    # spec type: (C++ type, reader, writer, fixed wire size or 0)
    "bool": ("bool", "read_bool", "write_bool", 1),
    "int8": ("int8_t", "read_int8", "write_int8", 1),
    "int16": ("int16_t", "read_int16", "write_int16", 2),
    "uint16": ("uint16_t", "read_uint16", "write_uint16", 2),
    "int32": ("int32_t", "read_int32", "write_int32", 4),
    "uint32": ("uint32_t", "read_uint32", "write_uint32", 4),
    "int64": ("int64_t", "read_int64", "write_int64", 8),
    "float64": ("double", "read_float64", "write_float64", 8),
    "uuid": ("Uuid", "read_uuid", "write_uuid", 16),
}
VARIABLE = {"string", "bytes", "records"}


class SpecError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Spec reading

def strip_comments(text):
    """Removes // line comments and /* */ block comments that are not inside strings."""
    out, i, n, in_string = [], 0, len(text), False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


class Versions:
    """An inclusive version range; lo > hi means none."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    @staticmethod
    def parse(text):
        text = (text or "none").strip()
        if text == "none":
            return Versions(1, 0)
        if text.endswith("+"):
            return Versions(int(text[:-1]), MAX_VERSION)
        if "-" in text:
            lo, hi = text.split("-")
            return Versions(int(lo), int(hi))
        return Versions(int(text), int(text))

    def empty(self):
        return self.lo > self.hi

    def intersect(self, other):
        return Versions(max(self.lo, other.lo), min(self.hi, other.hi))

    def contains(self, v):
        return self.lo <= v <= self.hi

    def minus(self, other):
        """self without other, which must leave a single range."""
        if other.empty() or self.intersect(other).empty():
            return self
        if other.lo <= self.lo and other.hi >= self.hi:
            return Versions(1, 0)
        if other.lo <= self.lo:
            return Versions(other.hi + 1, self.hi)
        if other.hi >= self.hi:
            return Versions(self.lo, other.lo - 1)
        raise SpecError("version range difference is not one range")

    def cpp_range(self):
        if self.empty():
            return "{1, 0}"
        return "{%d, %d}" % (self.lo, self.hi)

    def cond(self, valid):
        """A C++ condition on `version`, simplified by the message's valid range."""
        r = self.intersect(valid)
        if r.empty():
            return "false"
        parts = []
        if r.lo > valid.lo:
            parts.append("version >= %d" % r.lo)
        if r.hi < valid.hi:
            parts.append("version <= %d" % r.hi)
        return " && ".join(parts) if parts else "true"


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = s.lower()
    return s + "_" if s in CPP_KEYWORDS else s


class Field:
    def __init__(self, spec, message):
        self.name = spec["name"]
        self.member = snake(self.name)
        t = spec["type"]
        self.is_array = t.startswith("[]")
        self.elem = t[2:] if self.is_array else t
        self.is_struct = self.elem[:1].isupper()
        if not self.is_struct and self.elem not in PRIMITIVES and self.elem not in VARIABLE:
            raise SpecError("%s.%s: unknown type %s" % (message.name, self.name, t))
        # As in Kafka: a field with taggedVersions but no versions is on the wire exactly then.
        versions = spec.get("versions") or spec.get("taggedVersions")
        if not versions:
            raise SpecError("%s.%s: no versions" % (message.name, self.name))
        self.versions = Versions.parse(versions)
        self.nullable = Versions.parse(spec.get("nullableVersions")).intersect(self.versions)
        self.tagged = Versions.parse(spec.get("taggedVersions")).intersect(self.versions)
        self.tag = int(spec.get("tag", -1))
        if (self.tag >= 0) != (not self.tagged.empty()):
            raise SpecError("%s.%s: tag and taggedVersions go together" % (message.name, self.name))
        if not self.tagged.empty() and self.tagged.hi != MAX_VERSION:
            raise SpecError("%s.%s: taggedVersions must be open-ended" % (message.name, self.name))
        if self.tag >= 0 and self.elem == "records":
            raise SpecError("%s.%s: records cannot be tagged" % (message.name, self.name))
        self.regular = self.versions.minus(self.tagged)
        self.ignorable = str(spec.get("ignorable", False)).lower() == "true"
        self.map_key = bool(spec.get("mapKey", False))
        self.entity = spec.get("entityType", "")
        self.default = spec.get("default")
        self.zero_copy = bool(spec.get("zeroCopy", False))
        self.flexible_override = (Versions.parse(spec["flexibleVersions"])
                                  if spec.get("flexibleVersions") else None)
        if self.flexible_override is not None and (self.is_array or self.elem not in ("string", "bytes")):
            raise SpecError("%s.%s: flexibleVersions overrides only string and bytes fields"
                            % (message.name, self.name))
        self.struct = None
        if self.is_struct and "fields" in spec:
            self.struct = message.add_struct(self.elem, spec["fields"])
        if self.default == "null" and (self.nullable.lo > max(self.versions.lo, 0)
                                       or self.nullable.hi < self.versions.hi):
            raise SpecError("%s.%s: a null default needs the field nullable in all its versions"
                            % (message.name, self.name))

    def nullable_ever(self):
        return not self.nullable.empty()

    def nullable_everywhere(self, valid):
        """Nullable in every version in which the field is on the wire."""
        fv = self.versions.intersect(valid)
        return self.nullable.lo <= fv.lo and self.nullable.hi >= fv.hi

    # C++ types -----------------------------------------------------------------------------
    def elem_type(self):
        if self.is_struct:
            return self.elem
        if self.elem in PRIMITIVES:
            return PRIMITIVES[self.elem][0]
        if self.elem == "string":
            return "std::string"
        if self.elem == "records" or self.zero_copy:
            return "BytesView"
        return "Bytes"

    def cpp_type(self):
        t = self.elem_type()
        if self.is_array:
            t = "std::vector<%s>" % t
        if self.nullable_ever():
            if not self.is_array and self.elem in PRIMITIVES:
                raise SpecError("%s: nullable primitive" % self.name)
            t = "std::optional<%s>" % t
        return t

    def default_expr(self):
        """The C++ value of the field's default, or '' for value-initialization."""
        d = self.default
        if d == "null":
            return "std::nullopt"
        if self.is_array or self.is_struct:
            # Kafka's defaults: an empty collection, a default-constructed struct; not null.
            if not self.nullable_ever():
                return ""
            return ("std::vector<%s>{}" if self.is_array else "%s{}") % self.elem_type()
        if self.elem == "string":
            text = d if isinstance(d, str) else ""
            return json.dumps(text) if (text or self.nullable_ever()) else ""
        if self.elem == "records":
            return "std::nullopt" if self.nullable_ever() else ""  # Kafka's records default is null
        if self.elem == "bytes":
            return "%s{}" % self.elem_type() if self.nullable_ever() else ""
        if self.elem == "bool":
            if d is None:
                return "false"
            return "true" if str(d).lower() == "true" else "false"
        if self.elem == "uuid":
            if d:
                raise SpecError("%s: uuid defaults are not supported" % self.name)
            return ""
        if self.elem == "float64":
            return repr(float(d)) if d is not None else "0.0"
        if d is None or d == "":
            return "0"
        # Kafka's rules: decimal, or hex with a lower-case 0x prefix, within the type's range.
        text = str(d)
        v = int(text[2:], 16) if text.startswith("0x") else int(text, 10)
        bits = {"int8": 8, "int16": 16, "uint16": 16, "int32": 32, "uint32": 32, "int64": 64}[self.elem]
        lo, hi = (0, 2 ** bits - 1) if self.elem.startswith("u") else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        if not lo <= v <= hi:
            raise SpecError("%s: default %s out of range for %s" % (self.name, text, self.elem))
        if self.elem == "int64" and v == -(2 ** 63):
            return "INT64_MIN"
        if self.elem == "int32" and v == -(2 ** 31):
            return "INT32_MIN"
        return str(v) if self.elem != "int64" else "INT64_C(%d)" % v

    def default_value_expr(self):
        """An expression the field compares equal to when it holds its default."""
        return self.default_expr() or "%s{}" % self.cpp_type()


class Struct:
    def __init__(self, name, message, is_message=False):
        self.name, self.message, self.is_message = name, message, is_message
        self.fields = []

    def qualified(self):
        return self.name if self.is_message else "%s::%s" % (self.message.namespace(), self.name)

    def tagged_fields(self):
        tagged = sorted((f for f in self.fields if f.tag >= 0), key=lambda f: f.tag)
        tags = [f.tag for f in tagged]
        if len(set(tags)) != len(tags):
            raise SpecError("%s: duplicate tags %s" % (self.name, tags))
        return tagged


class Message:
    def __init__(self, spec, folder, filename):
        self.folder, self.filename = folder, filename
        self.name = spec["name"]
        self.kind = spec.get("type", "data")
        self.api_key = spec.get("apiKey")
        self.valid = Versions.parse(spec.get("validVersions"))
        self.flexible = Versions.parse(spec.get("flexibleVersions")).intersect(self.valid)
        self.listeners = spec.get("listeners", [])
        self.latest_unstable = bool(spec.get("latestVersionUnstable", False))
        self.deprecated = Versions.parse(spec.get("deprecatedVersions"))
        self.structs = []          # nested + common, in declaration order
        self.struct_names = set()
        self.common_specs = {cs["name"]: cs for cs in spec.get("commonStructs", [])}
        self.common_done = {}
        # Common structs first, in dependency order, so nested structs can use them.
        for cs_name in self.common_specs:
            self.common_struct(cs_name)
        self.root = Struct(self.name, self, is_message=True)
        self.root.fields = [Field(f, self) for f in spec.get("fields", [])]
        self.resolve(self.root)

    def common_struct(self, name):
        if name in self.common_done:
            if self.common_done[name] is None:
                raise SpecError("%s: common struct %s refers to itself" % (self.name, name))
            return self.common_done[name]
        self.common_done[name] = None
        spec = self.common_specs[name]
        for f in spec["fields"]:
            elem = f["type"][2:] if f["type"].startswith("[]") else f["type"]
            if elem in self.common_specs and "fields" not in f:
                self.common_struct(elem)
        s = self.add_struct(name, spec["fields"])
        self.common_done[name] = s
        return s

    def add_struct(self, name, field_specs):
        if name in self.struct_names or name == self.name:
            raise SpecError("%s: struct %s defined twice" % (self.name, name))
        self.struct_names.add(name)
        s = Struct(name, self)
        s.fields = [Field(f, self) for f in field_specs]  # nested structs register first
        self.structs.append(s)
        self.resolve(s)
        return s

    def resolve(self, struct):
        for f in struct.fields:
            if f.is_struct and f.struct is None:
                if f.elem not in self.common_specs:
                    raise SpecError("%s.%s: unknown struct %s" % (self.name, f.name, f.elem))
                f.struct = self.common_done.get(f.elem)

    def all_structs(self):
        return self.structs + [self.root]

    def file_stem(self):
        return snake(self.name).rstrip("_")

    def namespace(self):
        """Where the message's nested structs are defined (aliased inside the message struct)."""
        return self.file_stem()


# ---------------------------------------------------------------------------------------------
# Code emission

class Out:
    def __init__(self):
        self.lines = []

    def __call__(self, text="", indent=0):
        for line in text.split("\n") if text else [""]:
            self.lines.append(("  " * indent + line) if line else "")

    def text(self):
        return "\n".join(self.lines) + "\n"


def banner(source):
    return "// Generated by tools/codegen/kafka_codegen.py from %s. Do not edit." % source


def flex_expr(field, msg):
    """Whether the field uses compact encodings: the message's flexibility unless overridden."""
    if field.flexible_override is None:
        return "flexible"
    c = field.flexible_override.cond(msg.valid)
    return c if c in ("true", "false") else "(%s)" % c


def min_elem_size(field):
    if field.elem in PRIMITIVES:
        return PRIMITIVES[field.elem][3]
    return 1


def emit_read_value(o, f, msg, target, ind, tagged=False):
    """Reads one value of field f (array, struct or scalar) into `target`."""
    name = '"%s"' % f.name
    flex = flex_expr(f, msg)
    nullable_cond = f.nullable.cond(msg.valid)
    always_nullable = f.nullable_everywhere(msg.valid)

    def null_check(is_null):
        if f.nullable_ever() and not always_nullable:
            o("if (%s && !(%s) && r.ok()) r.fail(%s, \"null in a version where the field is not nullable\");"
              % (is_null, nullable_cond, name), ind)

    if f.is_array:
        o("{", ind)
        o("const int32_t n = r.read_array_length(%s, %s, %d);" % (flex, name, min_elem_size(f)), ind + 1)
        if f.nullable_ever():
            o("if (n < 0) {", ind + 1)
            o("%s.reset();" % target, ind + 2)
            null_check("true")
            o("} else {", ind + 1)
            o("auto& items = %s.emplace();" % target, ind + 2)
        else:
            o("if (n < 0) {", ind + 1)
            o("if (r.ok()) r.fail(%s, \"null array in a non-nullable field\");" % name, ind + 2)
            o("} else {", ind + 1)
            o("auto& items = %s;" % target, ind + 2)
        o("items.clear();", ind + 2)
        if f.elem in PRIMITIVES:
            o("items.reserve(static_cast<size_t>(n));", ind + 2)
        o("for (int32_t i = 0; i < n && r.ok(); ++i) {", ind + 2)
        if f.is_struct:
            o("items.emplace_back().decode(r, version);", ind + 3)
        elif f.elem in PRIMITIVES:
            o("items.push_back(r.%s(%s));" % (PRIMITIVES[f.elem][1], name), ind + 3)
        elif f.elem == "string":
            o("items.push_back(r.read_string(%s, %s));" % (flex, name), ind + 3)
        else:
            reader = "read_bytes_view" if f.elem_type() == "BytesView" else "read_bytes"
            o("items.push_back(r.%s(%s, %s));" % (reader, flex, name), ind + 3)
        o("}", ind + 2)
        o("}", ind + 1)
        o("}", ind)
        return
    if f.is_struct:
        # A nullable struct is preceded by a marker: an int8 (-1 null, 1 present), or inside a
        # tagged field an unsigned varint (0 null, 1 present) read as a signed int as Kafka does.
        marker_null = ("static_cast<int32_t>(r.read_uvarint(%s)) <= 0" if tagged else "r.read_int8(%s) < 0") % name
        if not f.nullable_ever():
            o("%s.decode(r, version);" % target, ind)
        elif always_nullable:
            o("if (%s) {" % marker_null, ind)
            o("%s.reset();" % target, ind + 1)
            o("} else {", ind)
            o("%s.emplace().decode(r, version);" % target, ind + 1)
            o("}", ind)
        else:
            o("if ((%s) && %s) {" % (nullable_cond, marker_null), ind)
            o("%s.reset();" % target, ind + 1)
            o("} else {", ind)
            o("%s.emplace().decode(r, version);" % target, ind + 1)
            o("}", ind)
        return
    if f.elem in PRIMITIVES:
        o("%s = r.%s(%s);" % (target, PRIMITIVES[f.elem][1], name), ind)
        return
    if f.elem == "string":
        reader = "read_nullable_string" if f.nullable_ever() else "read_string"
    elif f.elem_type() == "BytesView":
        reader = "read_nullable_bytes_view" if f.nullable_ever() else "read_bytes_view"
    else:
        reader = "read_nullable_bytes" if f.nullable_ever() else "read_bytes"
    o("%s = r.%s(%s, %s);" % (target, reader, flex, name), ind)
    null_check("!%s" % target)


def emit_write_value(o, f, msg, src, ind, tagged=False):
    name = f.name
    flex = flex_expr(f, msg)
    nullable_cond = f.nullable.cond(msg.valid)
    always_nullable = f.nullable_everywhere(msg.valid)

    def null_guard(is_null):
        if f.nullable_ever() and not always_nullable:
            o("if (%s && !(%s)) w.fail(\"%s: null in a version where the field is not nullable\");"
              % (is_null, nullable_cond, name), ind)

    if f.is_array:
        if f.nullable_ever():
            null_guard("!%s" % src)
            o("if (!%s) {" % src, ind)
            o("w.write_array_length(-1, %s);" % flex, ind + 1)
            o("} else {", ind)
            items, ind2 = "*" + src, ind + 1
        else:
            items, ind2 = src, ind
        size = "%s->size()" % src if f.nullable_ever() else "%s.size()" % src
        o("w.write_array_length(static_cast<int32_t>(%s), %s);" % (size, flex), ind2)
        o("for (const auto& item : %s) {" % items, ind2)
        if f.is_struct:
            o("item.encode(w, version);", ind2 + 1)
        elif f.elem in PRIMITIVES:
            o("w.%s(item);" % PRIMITIVES[f.elem][2], ind2 + 1)
        elif f.elem == "string":
            o("w.write_string(item, %s);" % flex, ind2 + 1)
        else:
            o("w.write_bytes(item, %s);" % flex, ind2 + 1)
        o("}", ind2)
        if f.nullable_ever():
            o("}", ind)
        return
    if f.is_struct:
        if not f.nullable_ever():
            o("%s.encode(w, version);" % src, ind)
            return
        if not always_nullable:
            o("if (!(%s)) {" % nullable_cond, ind)
            o("if (%s) %s->encode(w, version);" % (src, src), ind + 1)
            o("else w.fail(\"%s: null in a version where the field is not nullable\");" % name, ind + 1)
            o("} else if (!%s) {" % src, ind)
        else:
            o("if (!%s) {" % src, ind)
        o("w.write_uvarint(0);" if tagged else "w.write_int8(-1);", ind + 1)
        o("} else {", ind)
        o("w.write_uvarint(1);" if tagged else "w.write_int8(1);", ind + 1)
        o("%s->encode(w, version);" % src, ind + 1)
        o("}", ind)
        return
    if f.elem in PRIMITIVES:
        o("w.%s(%s);" % (PRIMITIVES[f.elem][2], src), ind)
        return
    null_guard("!%s" % src)
    if f.elem == "string":
        writer = "write_nullable_string" if f.nullable_ever() else "write_string"
    else:
        writer = "write_nullable_bytes" if f.nullable_ever() else "write_bytes"
    o("w.%s(%s, %s);" % (writer, src, flex), ind)


def emit_preamble(o, msg):
    """Declares `flexible` for a decode/encode body; returns whether any version is flexible."""
    has_flex = msg.flexible.cond(msg.valid)
    o(("const bool flexible = %s;" % has_flex) if has_flex != "false" else "constexpr bool flexible = false;", 1)
    o("(void)flexible;", 1)
    o("(void)version;", 1)
    return has_flex != "false"


def emit_regular_fields(o, s, msg, emit_value):
    """Emits emit_value for every non-tagged field, guarded by the versions it is on the wire."""
    for f in s.fields:
        cond = f.regular.cond(msg.valid)
        if cond == "false":
            continue
        if cond == "true":
            emit_value(o, f, msg, f.member, 1)
        else:
            o("if (%s) {" % cond, 1)
            emit_value(o, f, msg, f.member, 2)
            o("}", 1)


def emit_decode(o, s, msg):
    o("void %s::decode(ByteReader& r, int16_t version) {" % s.qualified())
    uses_flex = emit_preamble(o, msg)
    emit_regular_fields(o, s, msg, emit_read_value)
    if uses_flex:
        tagged = s.tagged_fields()
        if not tagged:
            o("if (flexible) read_tagged_fields(r, unknown_tagged_fields, [](uint32_t) { return false; });", 1)
        else:
            o("if (flexible) {", 1)
            o("read_tagged_fields(r, unknown_tagged_fields, [&](uint32_t tag) {", 2)
            o("switch (tag) {", 3)
            for f in tagged:
                o("case %d:" % f.tag, 4)
                cond = f.tagged.cond(msg.flexible)  # only reached in flexible versions
                if cond != "true":
                    # As Kafka: a known tag outside its taggedVersions is malformed, not unknown.
                    o("if (!(%s)) {" % cond, 5)
                    o("r.fail(\"%s\", \"tag %d is not valid for version \" + std::to_string(version));"
                      % (f.name, f.tag), 6)
                    o("return true;", 6)
                    o("}", 5)
                emit_read_value(o, f, msg, f.member, 5, tagged=True)
                o("return true;", 5)
            o("default:", 4)
            o("return false;", 5)
            o("}", 3)
            o("});", 2)
            o("}", 1)
    o("}")
    o()


def emit_encode(o, s, msg):
    o("void %s::encode(ByteWriter& w, int16_t version) const {" % s.qualified())
    uses_flex = emit_preamble(o, msg)
    # A non-default value in a version that lacks the field is an error unless ignorable.
    for f in s.fields:
        present = f.versions
        cond = present.cond(msg.valid)
        if cond == "true" or f.ignorable:
            continue
        neg = "!(%s)" % cond if cond != "false" else "true"
        o("if (%s && %s != %s) {" % (neg, f.member, f.default_value_expr()), 1)
        o("w.fail(\"%s.%s is not supported in version \" + std::to_string(version));"
          % (msg.name, f.name), 2)
        o("}", 1)
    emit_regular_fields(o, s, msg, emit_write_value)
    no_tags_check = ("w.fail(\"%s: tagged fields were set, but version \" + std::to_string(version) + "
                     "\" does not support them\");" % msg.name)
    if not uses_flex:
        o("if (!unknown_tagged_fields.empty()) %s" % no_tags_check, 1)
    else:
        o("if (!flexible && !unknown_tagged_fields.empty()) %s" % no_tags_check, 1)
        o("if (flexible) {", 1)
        tagged = s.tagged_fields()
        for f in tagged:
            cond = f.tagged.cond(msg.flexible)  # only reached in flexible versions
            guard = "" if cond == "true" else "(%s) && " % cond
            o("const bool has_%s = %s%s != %s;" % (f.member.rstrip("_"), guard, f.member, f.default_value_expr()), 2)
        count = " + ".join("static_cast<uint32_t>(has_%s)" % f.member.rstrip("_") for f in tagged) or "0"
        o("TaggedFieldWriter tagged(w, unknown_tagged_fields, %s);" % count, 2)
        for f in tagged:
            o("if (has_%s) {" % f.member.rstrip("_"), 2)
            o("tagged.field(%d, [&](ByteWriter& w) {" % f.tag, 3)
            emit_write_value(o, f, msg, f.member, 4, tagged=True)
            o("});", 3)
            o("}", 2)
        o("tagged.finish();", 2)
        o("}", 1)
    o("}")
    o()


def emit_struct_decl(o, s, msg, ind):
    o("struct %s {" % s.name, ind)
    if s.is_message:
        if msg.api_key is not None:
            o("static constexpr int16_t kApiKey = %d;" % msg.api_key, ind + 1)
        o("static constexpr const char* kName = \"%s\";" % msg.name, ind + 1)
        o("static constexpr VersionRange kValidVersions = %s;" % msg.valid.cpp_range(), ind + 1)
        o("static constexpr VersionRange kFlexibleVersions = %s;" % msg.flexible.cpp_range(), ind + 1)
        o()
        for nested in msg.structs:
            o("using %s = %s::%s;" % (nested.name, msg.namespace(), nested.name), ind + 1)
        if msg.structs:
            o()
    for f in s.fields:
        d = f.default_expr()
        o("%s %s%s;" % (f.cpp_type(), f.member, (" = " + d) if d else "{}"), ind + 1)
    o("TaggedFields unknown_tagged_fields;", ind + 1)
    o()
    o("static constexpr std::array<FieldInfo, %d> kFields = {{" % len(s.fields), ind + 1)
    for f in s.fields:
        o("{\"%s\", %s, %s, %s, %d, %s, %s, \"%s\"}," % (
            f.name, f.versions.cpp_range(), f.nullable.cpp_range(), f.tagged.cpp_range(), f.tag,
            "true" if f.ignorable else "false", "true" if f.map_key else "false", f.entity), ind + 2)
    o("}};", ind + 1)
    o()
    o("// Decoding expects a default-constructed object; errors stay in the reader.", ind + 1)
    o("void decode(ByteReader& r, int16_t version);", ind + 1)
    o("void encode(ByteWriter& w, int16_t version) const;", ind + 1)
    o()
    o("// Calls v(member, kFields[i]) for every field, in spec order.", ind + 1)
    for const in ("", " const"):
        o("template <typename V>", ind + 1)
        o("void visit_fields(V&& v)%s {" % const, ind + 1)
        for i, f in enumerate(s.fields):
            o("v(%s, kFields[%d]);" % (f.member, i), ind + 2)
        if not s.fields:
            o("(void)v;", ind + 2)
        o("}", ind + 1)
    o()
    o("friend bool operator==(const %s&, const %s&) = default;" % (s.name, s.name), ind + 1)
    o("};", ind)


def generate_message(msg, source):
    h = Out()
    h(banner(source))
    h("#pragma once")
    h()
    h("#include <array>")
    h("#include <cstdint>")
    h("#include <optional>")
    h("#include <string>")
    h("#include <vector>")
    h()
    h("#include \"protocol/message_support.h\"")
    h()
    h("namespace gregor::protocol {")
    h()
    if msg.structs:
        # Nested structs live at namespace scope so each is complete before the next uses it
        # (std::optional<Nested> needs that); the message struct aliases them.
        h("namespace %s {" % msg.namespace())
        h()
        for nested in msg.structs:
            emit_struct_decl(h, nested, msg, 0)
            h()
        h("}  // namespace %s" % msg.namespace())
        h()
    emit_struct_decl(h, msg.root, msg, 0)
    h()
    h("}  // namespace gregor::protocol")
    c = Out()
    c(banner(source))
    c("#include \"protocol/generated/%s/%s.h\"" % (msg.folder.replace("-", "_"), msg.file_stem()))
    c()
    c("#include <string>")
    c()
    c("namespace gregor::protocol {")
    c()
    for s in msg.all_structs():
        emit_decode(c, s, msg)
        emit_encode(c, s, msg)
    c("}  // namespace gregor::protocol")
    return h.text(), c.text()


def generate_folder_index(folder, messages):
    o = Out()
    o(banner("the %s/ folder" % folder))
    o("#pragma once")
    o()
    for m in messages:
        o("#include \"protocol/generated/%s/%s.h\"" % (folder.replace("-", "_"), m.file_stem()))
    o()
    macro = "GREGOR_FOR_EACH_%s_MESSAGE" % folder.replace("-", "_").upper()
    o("// %s(X) calls X(Type) for every message generated from %s/." % (macro, folder))
    o("#define %s(X) \\" % macro)
    for i, m in enumerate(messages):
        o("  X(%s)%s" % (m.name, " \\" if i + 1 < len(messages) else ""))
    return o.text()


def generate_registry(messages):
    requests = {m.api_key: m for m in messages if m.kind == "request"}
    responses = {m.api_key: m for m in messages if m.kind == "response"}
    h = Out()
    h(banner("message/*Request.json and message/*Response.json"))
    h("#pragma once")
    h()
    h("#include <cstdint>")
    h("#include <span>")
    h()
    h("#include \"protocol/message_support.h\"")
    h()
    h("namespace gregor::protocol {")
    h()
    h("// Which listeners serve an API (the spec's \"listeners\").")
    h("enum Listener : uint8_t { kZkBroker = 1, kBroker = 2, kController = 4 };")
    h()
    h("struct ApiInfo {")
    h("  int16_t key;")
    h("  const char* name;                  // e.g. \"Produce\"")
    h("  VersionRange versions;             // the request's validVersions")
    h("  int16_t request_flexible_from;     // first flexible request version, -1 if none")
    h("  int16_t response_flexible_from;    // first flexible response version, -1 if none")
    h("  VersionRange deprecated;           // deprecatedVersions")
    h("  bool latest_version_unstable;")
    h("  uint8_t listeners;                 // Listener bits")
    h("};")
    h()
    h("// Every API in key order; find_api returns nullptr for an unknown key.")
    h("std::span<const ApiInfo> all_apis();")
    h("const ApiInfo* find_api(int16_t key);")
    h()
    h("// Header versions for a request/response of (key, version): request header 2 and response")
    h("// header 1 for flexible versions, except ControlledShutdown v0 (request header 0) and")
    h("// ApiVersions responses, which are always header 0 so any client can read them.")
    h("int16_t request_header_version(int16_t key, int16_t version);")
    h("int16_t response_header_version(int16_t key, int16_t version);")
    h()
    h("}  // namespace gregor::protocol")
    c = Out()
    c(banner("message/*Request.json and message/*Response.json"))
    c("#include \"protocol/generated/api_registry.h\"")
    c()
    c("#include <array>")
    c()
    c("namespace gregor::protocol {")
    c()
    c("namespace {")
    c("constexpr std::array<ApiInfo, %d> kApis = {{" % len(requests))
    for key in sorted(requests):
        rq, rs = requests[key], responses[key]
        bits = " | ".join("k%s" % {"zkBroker": "ZkBroker", "broker": "Broker", "controller": "Controller"}[l]
                          for l in sorted(set(rq.listeners))) or "0"
        c("    {%d, \"%s\", %s, %d, %d, %s, %s, static_cast<uint8_t>(%s)}," % (
            key, rq.name[:-len("Request")], rq.valid.cpp_range(),
            rq.flexible.lo if not rq.flexible.empty() else -1,
            rs.flexible.lo if not rs.flexible.empty() else -1,
            rq.deprecated.cpp_range(), "true" if rq.latest_unstable else "false", bits))
    c("}};")
    c("}  // namespace")
    c()
    c("std::span<const ApiInfo> all_apis() { return kApis; }")
    c()
    c("const ApiInfo* find_api(int16_t key) {")
    c("  // Keys are dense from 0, so the key is the index.")
    c("  if (key < 0 || static_cast<size_t>(key) >= kApis.size()) return nullptr;")
    c("  return &kApis[static_cast<size_t>(key)];")
    c("}")
    c()
    c("int16_t request_header_version(int16_t key, int16_t version) {")
    c("  if (key == %d && version == 0) return 0;  // ControlledShutdown v0" % requests_key(requests, "ControlledShutdownRequest"))
    c("  const ApiInfo* api = find_api(key);")
    c("  if (api && api->request_flexible_from >= 0 && version >= api->request_flexible_from) return 2;")
    c("  return 1;")
    c("}")
    c()
    c("int16_t response_header_version(int16_t key, int16_t version) {")
    c("  if (key == %d) return 0;  // ApiVersions" % requests_key(requests, "ApiVersionsRequest"))
    c("  const ApiInfo* api = find_api(key);")
    c("  if (api && api->response_flexible_from >= 0 && version >= api->response_flexible_from) return 1;")
    c("  return 0;")
    c("}")
    c()
    c("}  // namespace gregor::protocol")
    if sorted(requests) != list(range(len(requests))):
        raise SpecError("API keys are not dense from 0")
    if set(requests) != set(responses):
        raise SpecError("requests and responses do not pair up")

    v = Out()
    v(banner("message/*Request.json and message/*Response.json"))
    v("#pragma once")
    v()
    v("#include <type_traits>")
    v()
    v("#include \"protocol/generated/message/all.h\"")
    v()
    v("namespace gregor::protocol {")
    v()
    v("// Calls f(std::type_identity<Request>{}, std::type_identity<Response>{}) for the API `key`;")
    v("// returns false, without calling f, for an unknown key.")
    v("template <typename F>")
    v("bool visit_api(int16_t key, F&& f) {")
    v("  switch (key) {")
    for key in sorted(requests):
        v("    case %d:" % key)
        v("      f(std::type_identity<%s>{}, std::type_identity<%s>{});" % (requests[key].name, responses[key].name))
        v("      return true;")
    v("    default:")
    v("      return false;")
    v("  }")
    v("}")
    v()
    v("}  // namespace gregor::protocol")
    return h.text(), c.text(), v.text()


def requests_key(requests, name):
    for k, m in requests.items():
        if m.name == name:
            return k
    raise SpecError("no %s in the spec" % name)


# ---------------------------------------------------------------------------------------------

def load_messages(spec_dir):
    messages = []
    for folder in SPEC_FOLDERS:
        path = os.path.join(spec_dir, folder)
        if not os.path.isdir(path):
            raise SpecError("missing spec folder %s" % path)
        for fn in sorted(os.listdir(path)):
            if not fn.endswith(".json"):
                continue
            with open(os.path.join(path, fn), encoding="utf-8") as fh:
                spec = json.loads(strip_comments(fh.read()))
            try:
                messages.append(Message(spec, folder, fn))
            except SpecError as e:
                raise SpecError("%s/%s: %s" % (folder, fn, e))
    return messages


def render(spec_dir):
    """Returns {relative path: text} for everything the generator writes."""
    messages = load_messages(spec_dir)
    files = {}
    for m in messages:
        sub = m.folder.replace("-", "_")
        h, c = generate_message(m, "%s/%s" % (m.folder, m.filename))
        files["%s/%s.h" % (sub, m.file_stem())] = h
        files["%s/%s.cc" % (sub, m.file_stem())] = c
    for folder in SPEC_FOLDERS:
        files["%s/all.h" % folder.replace("-", "_")] = generate_folder_index(
            folder, [m for m in messages if m.folder == folder])
    h, c, v = generate_registry([m for m in messages if m.folder == "message"])
    files["api_registry.h"], files["api_registry.cc"], files["api_visit.h"] = h, c, v
    sources = sorted(p for p in files if p.endswith(".cc"))
    cm = Out()
    cm("# " + banner("the spec").lstrip("/ "))
    cm("set(GREGOR_GENERATED_PROTOCOL_SOURCES")
    for p in sources:
        cm("  ${CMAKE_CURRENT_LIST_DIR}/%s" % p)
    cm(")")
    files["sources.cmake"] = cm.text()
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spec", default=os.path.join(ROOT, "..", "shared", "kafka-protocol"))
    ap.add_argument("--out", default=os.path.join(ROOT, "src", "protocol", "generated"))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    try:
        files = render(args.spec)
    except SpecError as e:
        sys.exit("kafka_codegen: %s" % e)
    stale = []
    for rel, text in sorted(files.items()):
        path = os.path.join(args.out, rel)
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if old != text:
            stale.append(rel)
            if not args.check:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(text)
    # Files this run did not produce are leftovers of a spec that no longer has them.
    for dirpath, _, names in os.walk(args.out):
        for n in names:
            rel = os.path.relpath(os.path.join(dirpath, n), args.out)
            if rel not in files:
                stale.append(rel)
                if not args.check:
                    os.remove(os.path.join(dirpath, n))
    if args.check:
        if stale:
            print("kafka_codegen: out of date: %s" % ", ".join(stale[:10]))
            sys.exit(1)
        print("kafka_codegen: %d files up to date" % len(files))
    else:
        print("kafka_codegen: %d files, %d changed" % (len(files), len(stale)))


if __name__ == "__main__":
    main()
