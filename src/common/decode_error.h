// What went wrong while decoding, and where. Decoders never throw: they return or carry one of
// these, so a malformed frame closes one connection with a clear message.
#pragma once

#include <cstddef>
#include <string>

namespace gregor {

struct DecodeError {
  size_t offset = 0;    // byte offset, from the start of the outermost buffer, where it went wrong
  std::string field;    // the field being read ("" when not inside a field)
  std::string message;  // what was wrong

  std::string to_string() const {
    std::string s = "at byte " + std::to_string(offset);
    if (!field.empty()) s += " (" + field + ")";
    return s + ": " + message;
  }
};

}  // namespace gregor
