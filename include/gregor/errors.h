// The exceptions the client library throws or hands to callbacks, in Kafka's categories.
//
// One scheme throughout: errors are exceptions derived from gregor::KafkaException. Calls made
// on the caller's thread (a producer's send, a constructor) throw them; results that arrive
// later (a send's future, its callback) carry them as a std::exception_ptr. Errors a broker
// answers with are ApiException, carrying Kafka's error code and name; retriable() says whether
// Kafka's exception for that code extends RetriableException.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace gregor {

class KafkaException : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  virtual bool retriable() const { return false; }
};

// A configuration that is unknown, missing, or has a value of the wrong type or out of range.
// The message follows Kafka's ConfigException, e.g.
// "Invalid value x for configuration linger.ms: Not a number of type LONG".
class ConfigException : public KafkaException {
 public:
  using KafkaException::KafkaException;
  ConfigException(const std::string& name, const std::string& value, const std::string& why)
      : KafkaException("Invalid value " + value + " for configuration " + name + (why.empty() ? "" : ": " + why)) {}
};

// A key or value that its serializer refused.
class SerializationException : public KafkaException {
 public:
  using KafkaException::KafkaException;
};

// A record larger than max.request.size or buffer.memory, refused before it is sent.
class RecordTooLargeException : public KafkaException {
 public:
  using KafkaException::KafkaException;
};

// max.block.ms passed in send (metadata or buffer memory), or a record's delivery.timeout.ms.
class TimeoutException : public KafkaException {
 public:
  using KafkaException::KafkaException;
  bool retriable() const override { return true; }
};

// An operation on a client that was closed, or one the client's state does not allow.
class IllegalStateException : public KafkaException {
 public:
  using KafkaException::KafkaException;
};

// An error a broker answered with (or a connection failure, as NETWORK_EXCEPTION): Kafka's error
// code, its name (e.g. "NOT_ENOUGH_REPLICAS") and a message.
class ApiException : public KafkaException {
 public:
  ApiException(int16_t code, const std::string& message);
  int16_t code() const { return code_; }
  const std::string& name() const { return name_; }
  bool retriable() const override;

 private:
  int16_t code_;
  std::string name_;
};

}  // namespace gregor
