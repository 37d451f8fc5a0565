// Status: success, or a Kafka error code with a one-line message saying what failed.
// StatusOr<T>: a value, or the Status saying why there is none. Used on I/O paths (storage,
// broker), where failures are expected and must reach the client as Kafka error codes.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "common/error_code.h"

namespace gregor {

class Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return {}; }

  bool ok() const { return code_ == ErrorCode::none; }
  explicit operator bool() const { return ok(); }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "KAFKA_STORAGE_ERROR: fdatasync of 00000000000000000000.log: Input/output error"
  std::string to_string() const;

 private:
  ErrorCode code_ = ErrorCode::none;
  std::string message_;
};

template <typename T>
class StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  StatusOr(Status status) : v_(std::move(status)) {}  // NOLINT; status must not be ok

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Only when ok().
  const T& value() const { return std::get<0>(v_); }
  T& value() { return std::get<0>(v_); }
  const T& operator*() const { return value(); }
  T& operator*() { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The failure; an ok Status when there is a value.
  Status status() const { return ok() ? Status() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace gregor
