// What a handler gets and gives: the decoded request header with the connection it came on, and
// the response frame, made of encoded bytes and log slices the connection sends with sendfile.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "protocol/frame.h"
#include "storage/segment.h"

namespace gregor::broker {

struct RequestContext {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::string client_id;
  std::string client_address;  // "host:port" of the peer
  std::string listener;         // the listener name, e.g. PLAINTEXT
  unsigned shard = 0;           // the shard the connection lives on
};

// One response frame, the size prefix included, as parts sent in order.
struct Response {
  using Part = std::variant<Bytes, storage::FileSlice>;
  std::vector<Part> parts;
  size_t size() const;
};

// What handling a request ends in: a response, nothing (acks=0 produce), or closing the
// connection (a request Kafka would refuse to parse) with a line for the log.
struct HandlerResult {
  std::optional<Response> response;
  std::optional<std::string> close_reason;

  static HandlerResult none() { return {}; }
  static HandlerResult close(std::string why) { return HandlerResult{std::nullopt, std::move(why)}; }
};

// Encodes body as the response to ctx's request.
template <typename Body>
HandlerResult respond(const RequestContext& ctx, const Body& body) {
  Bytes out;
  if (auto err = protocol::write_response(ctx.api_key, ctx.api_version, ctx.correlation_id, body, out)) {
    return HandlerResult::close("could not encode the response: " + *err);
  }
  HandlerResult r;
  r.response.emplace();
  r.response->parts.emplace_back(std::move(out));
  return r;
}

}  // namespace gregor::broker
