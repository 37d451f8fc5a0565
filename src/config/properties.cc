#include "config/properties.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace gregor::config {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\f'; }
bool is_line_end(char c) { return c == '\n' || c == '\r'; }

// One logical line: natural lines joined at their continuation backslashes.
struct LogicalLine {
  std::string text;
  // Where each natural line's part starts in text, and that line's number (1-based), so an
  // error inside the logical line can name the natural line it is on.
  std::vector<std::pair<size_t, int>> parts;

  int line_at(size_t offset) const {
    int line = parts.front().second;
    for (const auto& [start, number] : parts) {
      if (start <= offset) line = number;
    }
    return line;
  }
};

// Splits text into logical lines as Properties' LineReader does: comments and blank lines
// dropped, leading blanks dropped, continuations joined (their backslash removed).
std::vector<LogicalLine> logical_lines(std::string_view text) {
  std::vector<LogicalLine> out;
  size_t pos = 0;
  int line_number = 0;
  std::optional<LogicalLine> current;  // set while a continuation is pending
  while (pos < text.size()) {
    size_t end = pos;
    while (end < text.size() && !is_line_end(text[end])) ++end;
    std::string_view natural = text.substr(pos, end - pos);
    ++line_number;
    pos = end;
    if (pos < text.size()) {
      if (text[pos] == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ++pos;
      ++pos;
    }

    while (!natural.empty() && is_blank(natural.front())) natural.remove_prefix(1);
    if (!current) {
      if (natural.empty() || natural.front() == '#' || natural.front() == '!') continue;
      current.emplace();
    } else if (natural.empty()) {
      // An empty continuation line ends the logical line.
      out.push_back(std::move(*current));
      current.reset();
      continue;
    }
    size_t backslashes = 0;
    while (backslashes < natural.size() && natural[natural.size() - 1 - backslashes] == '\\') ++backslashes;
    bool continues = backslashes % 2 == 1;
    if (continues) natural.remove_suffix(1);
    current->parts.emplace_back(current->text.size(), line_number);
    current->text += natural;
    if (!continues) {
      out.push_back(std::move(*current));
      current.reset();
    }
  }
  // A continuation at the end of the text ends the line (its backslash is dropped).
  if (current) out.push_back(std::move(*current));
  return out;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Properties.loadConvert over s[begin, end): escapes resolved. A malformed \u escape gives the
// offset of its backslash in *bad_escape.
std::optional<std::string> unescape(const std::string& s, size_t begin, size_t end, size_t* bad_escape) {
  std::string out;
  uint32_t high_surrogate = 0;  // a \u escape waiting for its low half; 0: none (never a surrogate)
  auto flush_surrogate = [&] {
    if (high_surrogate != 0) append_utf8(out, high_surrogate);  // unpaired: kept as is (WTF-8)
    high_surrogate = 0;
  };
  size_t i = begin;
  while (i < end) {
    char c = s[i];
    if (c != '\\' || i + 1 >= end) {
      flush_surrogate();
      // A lone trailing backslash cannot occur: logical_lines removed it as a continuation.
      out += c;
      ++i;
      continue;
    }
    char e = s[i + 1];
    if (e == 'u') {
      if (end - i < 6) {
        *bad_escape = i;
        return std::nullopt;
      }
      uint32_t unit = 0;
      for (size_t k = i + 2; k < i + 6; ++k) {
        int h = hex_value(s[k]);
        if (h < 0) {
          *bad_escape = i;
          return std::nullopt;
        }
        unit = unit * 16 + static_cast<uint32_t>(h);
      }
      i += 6;
      if (unit >= 0xD800 && unit <= 0xDBFF) {
        flush_surrogate();
        high_surrogate = unit;
      } else if (unit >= 0xDC00 && unit <= 0xDFFF && high_surrogate != 0) {
        append_utf8(out, 0x10000 + ((high_surrogate - 0xD800) << 10) + (unit - 0xDC00));
        high_surrogate = 0;
      } else {
        flush_surrogate();
        append_utf8(out, unit);
      }
      continue;
    }
    flush_surrogate();
    switch (e) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      default:
        out += e;
    }
    i += 2;
  }
  flush_surrogate();
  return out;
}

// Decodes one UTF-8 sequence at s[i]; nullopt (and *len = 1) when it is not valid UTF-8.
std::optional<uint32_t> decode_utf8(std::string_view s, size_t i, size_t* len) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  *len = 1;
  if (b0 < 0x80) return b0;
  size_t n = b0 >= 0xF0 && b0 <= 0xF4 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC2 && b0 < 0xE0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return std::nullopt;
  uint32_t cp = b0 & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return std::nullopt;
  *len = n;
  return cp;
}

void append_u_escape(std::string& out, uint32_t unit) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(unit >> shift) & 0xF];
}

// Properties.saveConvert with escUnicode: what write_properties puts for a key or a value.
std::string escape(std::string_view s, bool is_key) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    size_t len = 1;
    switch (c) {
      case ' ':
        if (i == 0 || is_key) out += '\\';
        out += ' ';
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\f':
        out += "\\f";
        break;
      case '=':
      case ':':
      case '#':
      case '!':
      case '\\':
        out += '\\';
        out += c;
        break;
      default: {
        std::optional<uint32_t> cp = decode_utf8(s, i, &len);
        if (!cp) {
          out += c;  // not UTF-8: the byte as it is
        } else if (*cp >= 0x20 && *cp <= 0x7E) {
          out += c;
        } else if (*cp >= 0x10000) {
          uint32_t v = *cp - 0x10000;
          append_u_escape(out, 0xD800 + (v >> 10));
          append_u_escape(out, 0xDC00 + (v & 0x3FF));
        } else {
          append_u_escape(out, *cp);
        }
      }
    }
    i += len;
  }
  return out;
}

}  // namespace

StatusOr<Properties> parse_properties(std::string_view text, std::string_view source) {
  Properties props;
  for (const LogicalLine& line : logical_lines(text)) {
    const std::string& s = line.text;
    // The key runs to the first unescaped separator or blank.
    size_t key_end = 0;
    bool escaped = false;
    bool has_separator = false;
    for (; key_end < s.size(); ++key_end) {
      char c = s[key_end];
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '=' || c == ':' || is_blank(c)) {
        has_separator = c == '=' || c == ':';
        break;
      }
    }
    size_t value_start = key_end < s.size() ? key_end + 1 : key_end;
    // Blanks, then (unless the key already ended at one) at most one '=' or ':', then blanks.
    while (value_start < s.size() && is_blank(s[value_start])) ++value_start;
    if (!has_separator && value_start < s.size() && (s[value_start] == '=' || s[value_start] == ':')) {
      ++value_start;
      while (value_start < s.size() && is_blank(s[value_start])) ++value_start;
    }

    size_t bad = 0;
    std::optional<std::string> key = unescape(s, 0, key_end, &bad);
    std::optional<std::string> value = key ? unescape(s, value_start, s.size(), &bad) : std::nullopt;
    if (!key || !value) {
      std::string where = source.empty() ? "line " + std::to_string(line.line_at(bad))
                                         : std::string(source) + ":" + std::to_string(line.line_at(bad));
      return Status(ErrorCode::invalid_config, where + ": Malformed \\uxxxx encoding.");
    }
    props.insert_or_assign(std::move(*key), std::move(*value));
  }
  return props;
}

std::string write_properties(const Properties& props, std::string_view comment) {
  std::string out;
  if (!comment.empty()) {
    size_t start = 0;
    while (start <= comment.size()) {
      size_t end = comment.find('\n', start);
      if (end == std::string_view::npos) end = comment.size();
      out += '#';
      out += comment.substr(start, end - start);
      out += '\n';
      start = end + 1;
    }
  }
  for (const auto& [key, value] : props) {
    out += escape(key, true);
    out += '=';
    out += escape(value, false);
    out += '\n';
  }
  return out;
}

}  // namespace gregor::config
