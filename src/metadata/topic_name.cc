#include "metadata/topic_name.h"

#include <algorithm>

namespace gregor::metadata {

namespace {

// The length Java's String.length() gives for UTF-8 bytes: one unit per code point, two for
// those above U+FFFF (a 4-byte sequence). Stray bytes count one each.
size_t utf16_length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xc0) == 0x80) continue;  // continuation byte
    n += (c >= 0xf0) ? 2 : 1;
  }
  return n;
}

bool legal_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

}  // namespace

std::optional<std::string> topic_name_error(std::string_view name) {
  std::string reason;
  if (name.empty()) {
    reason = "the empty string is not allowed";
  } else if (name == ".") {
    reason = "'.' is not allowed";
  } else if (name == "..") {
    reason = "'..' is not allowed";
  } else if (utf16_length(name) > kMaxTopicNameLength) {
    reason = "the length of '" + std::string(name) + "' is longer than the max allowed length " +
             std::to_string(kMaxTopicNameLength);
  } else if (!std::all_of(name.begin(), name.end(), legal_char)) {
    reason =
        "'" + std::string(name) + "' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'";
  } else {
    return std::nullopt;
  }
  return "Topic name is invalid: " + reason;
}

bool has_collision_chars(std::string_view name) { return name.find_first_of("._") != std::string_view::npos; }

std::string unify_collision_chars(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '.', '_');
  return out;
}

}  // namespace gregor::metadata
