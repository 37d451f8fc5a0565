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
// Consumer groups (the coordinators are GroupService's).
asio::awaitable<HandlerResult> handle_find_coordinator(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_join_group(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_sync_group(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_heartbeat(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_leave_group(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_offset_commit(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_offset_fetch(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_describe_groups(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_list_groups(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_delete_groups(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_offset_delete(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_delete_topics(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_create_partitions(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_describe_cluster(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_delete_records(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_offset_for_leader_epoch(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_describe_log_dirs(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_describe_configs(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_alter_configs(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_incremental_alter_configs(Broker& broker, const RequestContext& ctx,
                                                                BytesView body);
asio::awaitable<HandlerResult> handle_init_producer_id(Broker& broker, const RequestContext& ctx, BytesView body);
// KIP-848 consumer groups.
asio::awaitable<HandlerResult> handle_consumer_group_heartbeat(Broker& broker, const RequestContext& ctx,
                                                               BytesView body);
asio::awaitable<HandlerResult> handle_consumer_group_describe(Broker& broker, const RequestContext& ctx,
                                                              BytesView body);

// ApiVersions for a version this broker does not serve (KIP-511): UNSUPPORTED_VERSION and the
// supported ranges, encoded as version 0 so any client can read it.
HandlerResult unsupported_api_versions(const RequestContext& ctx);
// The same with the ranges of another table (a controller listener's).
HandlerResult unsupported_api_versions(const RequestContext& ctx, std::span<const ApiEntry> apis);

// The controller's broker lifecycle APIs, on controller listeners (see controller_apis()).
asio::awaitable<HandlerResult> handle_broker_registration(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_broker_heartbeat(Broker& broker, const RequestContext& ctx, BytesView body);
asio::awaitable<HandlerResult> handle_controller_registration(Broker& broker, const RequestContext& ctx,
                                                              BytesView body);

}  // namespace gregor::broker
