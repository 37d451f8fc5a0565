// One function per Kafka API, each in its own file in this folder.
#pragma once

#include "broker/apis.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_api_versions(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_create_topics(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_list_offsets(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_metadata(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_fetch(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_produce(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_init_producer_id(Broker& broker, const RequestContext& ctx, BytesView body);

// ApiVersions for a version this broker does not serve (KIP-511): UNSUPPORTED_VERSION and the
// supported ranges, encoded as version 0 so any client can read it.
HandlerResult unsupported_api_versions(const RequestContext& ctx);

}  // namespace gregor::broker
