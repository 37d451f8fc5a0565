// Serializers, as Kafka's org.apache.kafka.common.serialization: strings as UTF-8 bytes,
// bytes as they are, 32- and 64-bit integers big-endian (IntegerSerializer, LongSerializer).
// A serializer that cannot serialize a value throws SerializationException.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "gregor/errors.h"

namespace gregor {

using Bytes = std::vector<uint8_t>;

template <typename T>
class Serializer {
 public:
  virtual ~Serializer() = default;
  virtual Bytes serialize(const std::string& topic, const T& data) = 0;
};

class StringSerializer : public Serializer<std::string> {
 public:
  Bytes serialize(const std::string&, const std::string& data) override { return Bytes(data.begin(), data.end()); }
};

class BytesSerializer : public Serializer<Bytes> {
 public:
  Bytes serialize(const std::string&, const Bytes& data) override { return data; }
};

template <typename Int>
class BigEndianSerializer : public Serializer<Int> {
 public:
  Bytes serialize(const std::string&, const Int& data) override {
    Bytes out(sizeof(Int));
    auto u = static_cast<std::make_unsigned_t<Int>>(data);
    for (size_t i = 0; i < sizeof(Int); ++i) out[sizeof(Int) - 1 - i] = static_cast<uint8_t>(u >> (8 * i));
    return out;
  }
};
using ShortSerializer = BigEndianSerializer<int16_t>;
using IntegerSerializer = BigEndianSerializer<int32_t>;
using LongSerializer = BigEndianSerializer<int64_t>;

// The serializer a Kafka class name (as key.serializer / value.serializer take it) stands for,
// when it can serialize T; nullptr when the name is unknown or serializes another type. The
// short name ("StringSerializer") is accepted too.
template <typename T>
std::shared_ptr<Serializer<T>> serializer_for_class(const std::string& class_name) {
  const std::string prefix = "org.apache.kafka.common.serialization.";
  std::string name = class_name.rfind(prefix, 0) == 0 ? class_name.substr(prefix.size()) : class_name;
  if constexpr (std::is_same_v<T, std::string>) {
    if (name == "StringSerializer") return std::make_shared<StringSerializer>();
  } else if constexpr (std::is_same_v<T, Bytes>) {
    if (name == "ByteArraySerializer" || name == "BytesSerializer") return std::make_shared<BytesSerializer>();
  } else if constexpr (std::is_same_v<T, int16_t>) {
    if (name == "ShortSerializer") return std::make_shared<ShortSerializer>();
  } else if constexpr (std::is_same_v<T, int32_t>) {
    if (name == "IntegerSerializer") return std::make_shared<IntegerSerializer>();
  } else if constexpr (std::is_same_v<T, int64_t>) {
    if (name == "LongSerializer") return std::make_shared<LongSerializer>();
  }
  return nullptr;
}

// The serializer used when none is configured or given: the one for T's natural Kafka class.
template <typename T>
std::shared_ptr<Serializer<T>> default_serializer() {
  if constexpr (std::is_same_v<T, std::string>) return std::make_shared<StringSerializer>();
  else if constexpr (std::is_same_v<T, Bytes>) return std::make_shared<BytesSerializer>();
  else if constexpr (std::is_same_v<T, int16_t>) return std::make_shared<ShortSerializer>();
  else if constexpr (std::is_same_v<T, int32_t>) return std::make_shared<IntegerSerializer>();
  else if constexpr (std::is_same_v<T, int64_t>) return std::make_shared<LongSerializer>();
  else return nullptr;
}

}  // namespace gregor
