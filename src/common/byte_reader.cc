#include "common/byte_reader.h"

#include <bit>
#include <cstring>

namespace gregor {

void ByteReader::fail(const char* field, std::string message) {
  if (failed_) return;
  failed_ = true;
  error_ = DecodeError{offset(), field ? field : "", std::move(message)};
}

bool ByteReader::need_slow(size_t n, const char* field) {
  if (failed_) return false;
  fail(field, "needs " + std::to_string(n) + " bytes, " + std::to_string(remaining()) + " left");
  return false;
}

const uint8_t* ByteReader::push_limit(size_t n, const char* field) {
  const uint8_t* saved = end_;
  if (need(n, field)) end_ = pos_ + n;
  return saved;
}

void ByteReader::pop_limit(const uint8_t* saved_end) {
  if (!failed_) pos_ = end_;
  end_ = saved_end;
}

double ByteReader::read_float64(const char* field) {
  uint64_t bits = static_cast<uint64_t>(read_int64(field));
  return std::bit_cast<double>(bits);
}

Uuid ByteReader::read_uuid(const char* field) {
  Uuid u;
  if (!need(16, field)) return u;
  std::memcpy(u.bytes.data(), pos_, 16);
  pos_ += 16;
  return u;
}

uint64_t ByteReader::read_uvarint_slow(const char* field, int max_bytes) {
  uint64_t v = 0;
  for (int i = 0; i < max_bytes; ++i) {
    if (!need(1, field)) return 0;
    const uint8_t b = *pos_++;
    v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) return v;
  }
  fail(field, "varint longer than " + std::to_string(max_bytes) + " bytes");
  return 0;
}

BytesView ByteReader::read_view(size_t n, const char* field) {
  if (!need(n, field)) return {};
  BytesView v(pos_, n);
  pos_ += n;
  return v;
}

void ByteReader::skip(size_t n, const char* field) {
  if (need(n, field)) pos_ += n;
}

namespace {
// Shared tail of the length readers. As in Kafka, any negative length means null (a compact
// length is read as a signed 32-bit value before the 1 is taken off), and a length must fit in
// what is left, scaled by the smallest possible element.
int32_t check_length(ByteReader& r, int64_t n, size_t unit, const char* field, const char* what) {
  if (!r.ok()) return 0;
  if (n < 0) return -1;
  if (n > 0 && static_cast<uint64_t>(n) > r.remaining() / (unit ? unit : 1)) {
    r.fail(field, std::string(what) + " " + std::to_string(n) + " exceeds the " +
                      std::to_string(r.remaining()) + " bytes left");
    return 0;
  }
  return static_cast<int32_t>(n);
}
}  // namespace

int64_t ByteReader::read_length_prefix(bool compact, bool int16_prefix, const char* field) {
  if (compact) return static_cast<int64_t>(static_cast<int32_t>(read_uvarint(field))) - 1;
  return int16_prefix ? read_int16(field) : read_int32(field);
}

int32_t ByteReader::read_string_length(bool compact, const char* field) {
  const int32_t n = check_length(*this, read_length_prefix(compact, true, field), 1, field, "string length");
  if (n > kMaxStringLength) {  // only a compact length can say so
    fail(field, "string length " + std::to_string(n) + " is over " + std::to_string(kMaxStringLength));
    return 0;
  }
  return n;
}

int32_t ByteReader::read_bytes_length(bool compact, const char* field) {
  return check_length(*this, read_length_prefix(compact, false, field), 1, field, "bytes length");
}

int32_t ByteReader::read_array_length(bool compact, const char* field, size_t min_element_size) {
  return check_length(*this, read_length_prefix(compact, false, field), min_element_size, field, "array length");
}

std::string ByteReader::read_string(bool compact, const char* field) {
  int32_t n = read_string_length(compact, field);
  if (n < 0) {
    if (ok()) fail(field, "null string in a non-nullable field");
    return {};
  }
  BytesView v = read_view(static_cast<size_t>(n), field);
  return std::string(v.as_chars());
}

std::optional<std::string> ByteReader::read_nullable_string(bool compact, const char* field) {
  int32_t n = read_string_length(compact, field);
  if (n < 0 || !ok()) return std::nullopt;
  BytesView v = read_view(static_cast<size_t>(n), field);
  return std::string(v.as_chars());
}

BytesView ByteReader::read_bytes_view(bool compact, const char* field) {
  int32_t n = read_bytes_length(compact, field);
  if (n < 0) {
    if (ok()) fail(field, "null bytes in a non-nullable field");
    return {};
  }
  return read_view(static_cast<size_t>(n), field);
}

std::optional<BytesView> ByteReader::read_nullable_bytes_view(bool compact, const char* field) {
  int32_t n = read_bytes_length(compact, field);
  if (n < 0 || !ok()) return std::nullopt;
  return read_view(static_cast<size_t>(n), field);
}

Bytes ByteReader::read_bytes(bool compact, const char* field) {
  return read_bytes_view(compact, field).to_bytes();
}

std::optional<Bytes> ByteReader::read_nullable_bytes(bool compact, const char* field) {
  auto v = read_nullable_bytes_view(compact, field);
  if (!v) return std::nullopt;
  return v->to_bytes();
}

}  // namespace gregor
