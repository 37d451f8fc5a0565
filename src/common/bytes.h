// Byte containers shared by every layer: an owned buffer and a non-owning view.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gregor {

using Bytes = std::vector<uint8_t>;

// A read-only window onto bytes owned elsewhere (a request frame, a segment mapping).
// Equality compares contents, so decoded messages holding views compare naturally.
class BytesView {
 public:
  constexpr BytesView() = default;
  constexpr BytesView(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  BytesView(const Bytes& b) : data_(b.data()), size_(b.size()) {}  // NOLINT: implicit by design
  constexpr BytesView(std::span<const uint8_t> s) : data_(s.data()), size_(s.size()) {}  // NOLINT
  static BytesView of(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
  }
  // n bytes that are not in memory: ByteWriter records where they go (see set_deferred_sink).
  static constexpr BytesView deferred(size_t n) { return {nullptr, n}; }
  constexpr bool is_deferred() const { return data_ == nullptr && size_ > 0; }

  constexpr const uint8_t* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr const uint8_t* begin() const { return data_; }
  constexpr const uint8_t* end() const { return data_ + size_; }
  constexpr uint8_t operator[](size_t i) const { return data_[i]; }
  constexpr BytesView subview(size_t pos, size_t n) const { return {data_ + pos, n}; }
  std::string_view as_chars() const { return {reinterpret_cast<const char*>(data_), size_}; }
  Bytes to_bytes() const { return Bytes(begin(), end()); }

  friend bool operator==(const BytesView& a, const BytesView& b) {
    return a.size_ == b.size_ && (a.size_ == 0 || std::memcmp(a.data_, b.data_, a.size_) == 0);
  }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Lower-case hex of the bytes, for logs, dumps and test failure messages.
inline std::string to_hex(BytesView b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 2);
  for (uint8_t c : b) {
    s += kDigits[c >> 4];
    s += kDigits[c & 15];
  }
  return s;
}

}  // namespace gregor
