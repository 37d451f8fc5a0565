// Appends Kafka's primitive encodings to a byte buffer; the mirror of ByteReader.
//
// Encoding can fail only when a value does not fit its wire form (a string over 32767 bytes in a
// classic int16-prefixed field). The first such failure is recorded and ok() turns false; the
// bytes written are then not a valid message and must not be sent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <vector>

#include "common/bytes.h"
#include "common/endian.h"
#include "common/uuid.h"

namespace gregor {

class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out) : out_(out) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

  size_t size() const { return out_.size(); }

  void write_int8(int8_t v) { out_.push_back(static_cast<uint8_t>(v)); }
  void write_int16(int16_t v) { put_be(static_cast<uint16_t>(v)); }
  void write_int32(int32_t v) { put_be(static_cast<uint32_t>(v)); }
  void write_int64(int64_t v) { put_be(static_cast<uint64_t>(v)); }
  void write_uint16(uint16_t v) { put_be(v); }
  void write_uint32(uint32_t v) { put_be(v); }
  void write_float64(double v);
  void write_bool(bool v) { out_.push_back(v ? 1 : 0); }
  void write_uuid(const Uuid& u) { write_raw(u.bytes.data(), u.bytes.size()); }

  void write_uvarint(uint32_t v);
  void write_uvarlong(uint64_t v);
  void write_varint(int32_t v) { write_uvarint((static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31)); }
  void write_varlong(int64_t v) { write_uvarlong((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }

  void write_raw(const uint8_t* data, size_t n) { out_.insert(out_.end(), data, data + n); }
  void write_raw(BytesView v) { write_raw(v.data(), v.size()); }

  // Length prefixes; -1 writes null. See ByteReader for the two forms.
  void write_string_length(int32_t n, bool compact);
  void write_bytes_length(int32_t n, bool compact);
  void write_array_length(int32_t n, bool compact) { write_bytes_length(n, compact); }

  void write_string(std::string_view s, bool compact);
  void write_nullable_string(const std::optional<std::string>& s, bool compact);
  void write_bytes(BytesView b, bool compact);
  void write_nullable_bytes(const std::optional<BytesView>& b, bool compact);
  void write_nullable_bytes(const std::optional<Bytes>& b, bool compact);

  // Reserve an int32 now and fill it in later (frame sizes, batch lengths).
  size_t reserve_int32() {
    size_t at = out_.size();
    out_.resize(at + 4);
    return at;
  }
  void patch_int32(size_t at, int32_t v);

  // Zero-copy sends: a bytes field given as BytesView::deferred(n) (no data, n bytes) is written
  // as its length only, and its place recorded here; the sender splices the n bytes in (a log
  // slice sent with sendfile). Without a sink, a deferred field fails the encoding.
  struct Deferred {
    size_t position;  // in the output, where the n bytes belong
    size_t size;
  };
  void set_deferred_sink(std::vector<Deferred>* sink) { deferred_ = sink; }

 private:
  template <typename T>
  void put_be(T v) {
    uint8_t b[sizeof(T)];
    store_be(b, v);
    write_raw(b, sizeof(T));
  }

  Bytes& out_;
  std::string error_;
  std::vector<Deferred>* deferred_ = nullptr;
};

// Bytes an unsigned varint takes on the wire.
constexpr size_t uvarint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

}  // namespace gregor
