// The Kafka APIs this broker implements, with the versions it serves: ApiVersions advertises
// exactly this table, and requests for anything else close the connection, as a Kafka broker
// does with a request it cannot parse.
#pragma once

#include <asio/awaitable.hpp>

#include <cstdint>
#include <span>

#include "broker/request.h"

namespace gregor::broker {

class Broker;

using ApiHandler = asio::awaitable<HandlerResult> (*)(Broker& broker, const RequestContext& ctx, BytesView body);

struct ApiEntry {
  int16_t key;
  int16_t min_version;
  int16_t max_version;
  ApiHandler handler;
};

std::span<const ApiEntry> implemented_apis();
const ApiEntry* find_implemented_api(int16_t key);

// The APIs a controller listener (controller.listener.names) serves instead, as Kafka's
// ControllerApis: what brokers and controllers send the active controller. ApiVersions there
// lists exactly these.
std::span<const ApiEntry> controller_apis();
const ApiEntry* find_controller_api(int16_t key);

// Decodes a request body at the context's version; nullopt and a reason when it does not parse.
template <typename Request>
std::optional<Request> decode_request(const RequestContext& ctx, BytesView body, std::string& why) {
  auto decoded = protocol::decode_message<Request>(body, ctx.api_version);
  if (!decoded.ok()) {
    why = std::string(Request::kName) + " v" + std::to_string(ctx.api_version) +
          " does not parse: " + decoded.error().to_string();
    return std::nullopt;
  }
  return std::move(*decoded);
}

}  // namespace gregor::broker
