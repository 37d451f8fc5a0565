// Status: success, or a Kafka error code with a one-line message saying what failed.
// StatusOr<T>: a value, or the Status saying why there is none. Used on I/O paths (storage,
// broker), where failures are expected and must reach the client as Kafka error codes.
#pragma once

#include <string>
#include <utility>

#include "common/error_code.h"
#include "common/value_or.h"

namespace gregor {

class Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  // A failed system call: also keeps its errno, so callers can tell a full disk from a failing one.
  Status(ErrorCode code, std::string message, int sys_errno)
      : code_(code), message_(std::move(message)), sys_errno_(sys_errno) {}

  static Status ok_status() { return {}; }

  bool ok() const { return code_ == ErrorCode::none; }
  explicit operator bool() const { return ok(); }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  int sys_errno() const { return sys_errno_; }  // 0 unless from a system call
  // "KAFKA_STORAGE_ERROR: fdatasync of 00000000000000000000.log: Input/output error"
  std::string to_string() const;

 private:
  ErrorCode code_ = ErrorCode::none;
  std::string message_;
  int sys_errno_ = 0;
};

template <typename T>
class StatusOr : public ValueOr<T, Status> {
 public:
  using ValueOr<T, Status>::ValueOr;  // a Status given here must not be ok

  // The failure; an ok Status when there is a value.
  Status status() const { return this->ok() ? Status() : this->failure(); }
};

}  // namespace gregor
