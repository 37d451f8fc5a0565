// Java .properties text, read as java.util.Properties.load reads it and written so that it reads
// back the same. Kafka's server.properties and meta.properties are in this format.
//
// Reading, as Properties.load:
//   - Lines end at \n, \r or \r\n. A line whose first non-blank character is '#' or '!' is a
//     comment; blank lines are skipped. Blanks are ' ', '\t' and '\f'.
//   - A line ending in an odd number of backslashes continues on the next line, whose leading
//     blanks are dropped (a comment line never continues).
//   - The key ends at the first unescaped '=', ':' or blank; blanks, then at most one '=' or ':',
//     then blanks again separate it from the value, which runs to the end of the line. So
//     "k=v", "k:v", "k v" and "k = v" all set k to "v"; a lone "k" sets it to "".
//   - Escapes in keys and values: \t \n \r \f, \uXXXX (UTF-16; surrogate pairs combine into one
//     character), and a backslash before any other character stands for that character.
//   - A key given twice keeps its last value.
// Text is taken as UTF-8 and \u escapes are stored as UTF-8 (Properties.load(InputStream) reads
// Latin-1; UTF-8 files pass through either way as long as they only use ASCII outside values).
// The one way the format can fail is a malformed \uXXXX escape.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace gregor::config {

using Properties = std::map<std::string, std::string>;

// The properties in text. A malformed \u escape is an invalid_config Status naming the line:
// "<source>:<line>: Malformed \uxxxx encoding." ("line <n>: ..." when source is empty).
StatusOr<Properties> parse_properties(std::string_view text, std::string_view source = {});

// Text that parse_properties reads back as props: "key=value" lines in key order, after a
// "#<comment>" line for each line of comment (none when it is empty). As Properties.store, it
// escapes blanks in keys and leading blanks in values, '=', ':', '#', '!' and '\', writes
// control characters as \t \n \r \f, and everything outside printable ASCII as \uXXXX.
std::string write_properties(const Properties& props, std::string_view comment = {});

}  // namespace gregor::config
