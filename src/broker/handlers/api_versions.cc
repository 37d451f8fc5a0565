// ApiVersions: the APIs and versions this broker serves, exactly the table in apis.cc (a
// controller listener's own table there).
#include <regex>

#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "common/error_code.h"
#include "protocol/generated/message/api_versions_request.h"
#include "protocol/generated/message/api_versions_response.h"

namespace gregor::broker {

namespace {

protocol::ApiVersionsResponse supported(std::span<const ApiEntry> apis) {
  protocol::ApiVersionsResponse response;
  for (const ApiEntry& api : apis) {
    protocol::ApiVersionsResponse::ApiVersion v;
    v.api_key = api.key;
    v.min_version = api.min_version;
    v.max_version = api.max_version;
    response.api_keys.push_back(v);
  }
  return response;
}

// Kafka's rule for ClientSoftwareName and ClientSoftwareVersion (v3+).
bool valid_software_field(const std::string& s) {
  static const std::regex pattern("[a-zA-Z0-9](?:[a-zA-Z0-9\\-.]*[a-zA-Z0-9])?");
  return std::regex_match(s, pattern);
}

}  // namespace

HandlerResult unsupported_api_versions(const RequestContext& ctx) {
  return unsupported_api_versions(ctx, implemented_apis());
}

HandlerResult unsupported_api_versions(const RequestContext& ctx, std::span<const ApiEntry> apis) {
  protocol::ApiVersionsResponse response = supported(apis);
  response.error_code = static_cast<int16_t>(ErrorCode::unsupported_version);
  RequestContext v0 = ctx;
  v0.api_version = 0;
  return respond(v0, response);
}

asio::awaitable<HandlerResult> handle_api_versions(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::ApiVersionsRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  protocol::ApiVersionsResponse response = supported(broker.apis_for(ctx.listener));
  if (ctx.api_version >= 3 &&
      (!valid_software_field(request->client_software_name) || !valid_software_field(request->client_software_version))) {
    response.error_code = static_cast<int16_t>(ErrorCode::invalid_request);
  }
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
