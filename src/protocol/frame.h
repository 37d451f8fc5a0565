// Kafka frames: a big-endian int32 size, then a request or response header, then the body.
// The header's version follows from the API key and version (see api_registry.h), so a request
// header is read by peeking at those two fields first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/decode_error.h"
#include "common/result.h"
#include "protocol/generated/api_registry.h"
#include "protocol/generated/message/request_header.h"
#include "protocol/generated/message/response_header.h"
#include "protocol/message_support.h"

namespace gregor::protocol {

// A request split into its header and the still-encoded body.
struct RequestFrame {
  RequestHeader header;
  int16_t header_version = 0;
  BytesView body;           // view into the frame
  size_t body_offset = 0;   // where the body starts within the frame
};

// Reads the header of a request frame (the bytes after the size prefix). Fails on a truncated
// header and, as Kafka does, on an API key it does not know. The client id is kept as sent:
// null stays null (Kafka's broker treats it as "").
Result<RequestFrame> read_request_header(BytesView frame);

// Appends [size][header][body] to `out`. The header version is chosen from the API registry.
template <typename Body>
std::optional<std::string> write_request(const RequestHeader& header, const Body& body, Bytes& out) {
  ByteWriter w(out);
  const size_t size_at = w.reserve_int32();
  const int16_t version = header.request_api_version;
  header.encode(w, request_header_version(header.request_api_key, version));
  body.encode(w, version);
  w.patch_int32(size_at, static_cast<int32_t>(w.size() - size_at - 4));
  if (!w.ok()) return w.error();
  return std::nullopt;
}

template <typename Body>
std::optional<std::string> write_response(int16_t api_key, int16_t version, int32_t correlation_id,
                                          const Body& body, Bytes& out) {
  ByteWriter w(out);
  const size_t size_at = w.reserve_int32();
  ResponseHeader header;
  header.correlation_id = correlation_id;
  header.encode(w, response_header_version(api_key, version));
  body.encode(w, version);
  w.patch_int32(size_at, static_cast<int32_t>(w.size() - size_at - 4));
  if (!w.ok()) return w.error();
  return std::nullopt;
}

}  // namespace gregor::protocol
