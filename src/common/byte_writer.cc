#include "common/byte_writer.h"

#include <bit>

namespace gregor {

void ByteWriter::write_float64(double v) { put_be(std::bit_cast<uint64_t>(v)); }

void ByteWriter::write_uvarint(uint32_t v) { write_uvarlong(v); }

void ByteWriter::write_uvarlong(uint64_t v) {
  uint8_t b[10];
  size_t n = 0;
  while (v >= 0x80) {
    b[n++] = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  b[n++] = static_cast<uint8_t>(v);
  write_raw(b, n);
}

void ByteWriter::write_string_length(int32_t n, bool compact) {
  // Kafka refuses strings over 32767 bytes in either encoding.
  if (n > INT16_MAX) {
    fail("string of " + std::to_string(n) + " bytes is over the 32767-byte limit");
    n = INT16_MAX;
  }
  if (compact) {
    write_uvarint(static_cast<uint32_t>(n + 1));
  } else {
    write_int16(static_cast<int16_t>(n));
  }
}

void ByteWriter::write_bytes_length(int32_t n, bool compact) {
  if (compact) {
    write_uvarint(static_cast<uint32_t>(n + 1));
  } else {
    write_int32(n);
  }
}

void ByteWriter::write_string(std::string_view s, bool compact) {
  write_string_length(static_cast<int32_t>(s.size()), compact);
  write_raw(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

void ByteWriter::write_nullable_string(const std::optional<std::string>& s, bool compact) {
  if (!s) return write_string_length(-1, compact);
  write_string(*s, compact);
}

void ByteWriter::write_bytes(BytesView b, bool compact) {
  write_bytes_length(static_cast<int32_t>(b.size()), compact);
  if (b.is_deferred()) {
    if (!deferred_) {
      if (error_.empty()) error_ = "a deferred bytes field with nowhere to record it";
      return;
    }
    deferred_->push_back(Deferred{out_.size(), b.size()});
    return;
  }
  write_raw(b);
}

void ByteWriter::write_nullable_bytes(const std::optional<BytesView>& b, bool compact) {
  if (!b) return write_bytes_length(-1, compact);
  write_bytes(*b, compact);
}

void ByteWriter::write_nullable_bytes(const std::optional<Bytes>& b, bool compact) {
  if (!b) return write_bytes_length(-1, compact);
  write_bytes(*b, compact);
}

void ByteWriter::patch_int32(size_t at, int32_t v) { store_be(out_.data() + at, v); }

}  // namespace gregor
