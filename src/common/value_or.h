// A value, or the error saying why there is none: the shape shared by Result<T> (decoders,
// DecodeError) and StatusOr<T> (I/O paths, Status). Each adds its own name for the error.
#pragma once

#include <utility>
#include <variant>

namespace gregor {

template <typename T, typename E>
class ValueOr {
 public:
  ValueOr(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  ValueOr(E error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Only when ok().
  const T& value() const { return std::get<0>(v_); }
  T& value() { return std::get<0>(v_); }
  const T& operator*() const { return value(); }
  T& operator*() { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 protected:
  // Only when !ok().
  const E& failure() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

}  // namespace gregor
