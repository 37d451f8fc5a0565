// Bounds-checked reading of Kafka's primitive encodings: big-endian integers, (zigzag) varints,
// classic and compact strings/bytes/arrays, UUIDs.
//
// Errors are sticky: the first failure records a DecodeError and every later read returns a
// zero value without moving, so generated decoders read straight through and check ok() at
// loop heads and at the end. No read ever allocates more than the bytes that remain: every
// length prefix is checked against remaining() before anything is reserved or copied.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/decode_error.h"
#include "common/endian.h"
#include "common/uuid.h"

namespace gregor {

class ByteReader {
 public:
  explicit ByteReader(BytesView data, size_t base_offset = 0)
      : begin_(data.data()), pos_(data.data()), end_(data.data() + data.size()), base_(base_offset) {}

  bool ok() const { return !failed_; }
  const DecodeError& error() const { return error_; }
  size_t offset() const { return base_ + static_cast<size_t>(pos_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - pos_); }
  bool at_end() const { return pos_ == end_; }
  const uint8_t* position() const { return pos_; }

  // Records the first error; later calls are ignored so the root cause is what gets reported.
  void fail(const char* field, std::string message);

  // Restrict reads to the next n bytes (a tagged field, a sized section). Returns the saved
  // end to hand back to pop_limit, which also skips whatever the section left unread.
  const uint8_t* push_limit(size_t n, const char* field);
  void pop_limit(const uint8_t* saved_end);

  // The fixed-width reads and the one-byte varint case are inline: they are the inner loop of
  // record iteration and request decoding.
  int8_t read_int8(const char* field) {
    if (!need(1, field)) return 0;
    return static_cast<int8_t>(*pos_++);
  }
  int16_t read_int16(const char* field) { return static_cast<int16_t>(read_be<uint16_t>(field)); }
  int32_t read_int32(const char* field) { return static_cast<int32_t>(read_be<uint32_t>(field)); }
  int64_t read_int64(const char* field) { return static_cast<int64_t>(read_be<uint64_t>(field)); }
  uint16_t read_uint16(const char* field) { return read_be<uint16_t>(field); }
  uint32_t read_uint32(const char* field) { return read_be<uint32_t>(field); }
  double read_float64(const char* field);
  bool read_bool(const char* field) { return read_int8(field) != 0; }
  Uuid read_uuid(const char* field);

  uint32_t read_uvarint(const char* field) {
    if (!failed_ && pos_ < end_ && *pos_ < 0x80) return *pos_++;
    return static_cast<uint32_t>(read_uvarint_slow(field, 5));
  }
  uint64_t read_uvarlong(const char* field) {
    if (!failed_ && pos_ < end_ && *pos_ < 0x80) return *pos_++;
    return read_uvarint_slow(field, 10);
  }
  int32_t read_varint(const char* field) {  // zigzag
    const uint32_t z = read_uvarint(field);
    return static_cast<int32_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  int64_t read_varlong(const char* field) {  // zigzag
    const uint64_t z = read_uvarlong(field);
    return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }

  BytesView read_view(size_t n, const char* field);
  void skip(size_t n, const char* field);

  // Kafka strings are at most 32767 bytes, whichever way their length is written.
  static constexpr int32_t kMaxStringLength = 0x7fff;

  // Length prefixes. Classic: int16 (strings) / int32 (bytes, arrays), negative = null.
  // Compact (flexible versions): unsigned varint of length + 1, 0 = null.
  // Return -1 for null; a length that exceeds the remaining bytes fails the read.
  int32_t read_string_length(bool compact, const char* field);
  int32_t read_bytes_length(bool compact, const char* field);
  // min_element_size lets fixed-size arrays reject counts the bytes cannot hold.
  int32_t read_array_length(bool compact, const char* field, size_t min_element_size = 1);

  std::string read_string(bool compact, const char* field);
  std::optional<std::string> read_nullable_string(bool compact, const char* field);
  Bytes read_bytes(bool compact, const char* field);
  std::optional<Bytes> read_nullable_bytes(bool compact, const char* field);
  BytesView read_bytes_view(bool compact, const char* field);
  std::optional<BytesView> read_nullable_bytes_view(bool compact, const char* field);

 private:
  bool need(size_t n, const char* field) {
    if (!failed_ && static_cast<size_t>(end_ - pos_) >= n) [[likely]]
      return true;
    return need_slow(n, field);
  }
  bool need_slow(size_t n, const char* field);
  int64_t read_length_prefix(bool compact, bool int16_prefix, const char* field);
  uint64_t read_uvarint_slow(const char* field, int max_bytes);

  template <typename T>
  T read_be(const char* field) {
    if (!need(sizeof(T), field)) return 0;
    const T v = load_be<T>(pos_);
    pos_ += sizeof(T);
    return v;
  }

  const uint8_t* begin_;
  const uint8_t* pos_;
  const uint8_t* end_;
  size_t base_;
  bool failed_ = false;
  DecodeError error_;
};

}  // namespace gregor
