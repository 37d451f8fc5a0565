// CreatePartitions: the controller checks the new counts and assignments and writes the new
// partitions' records (none with validate_only); once the image is published the shards that
// own the new partitions lead them, so a client may produce to them as soon as it is answered.
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/create_partitions_request.h"
#include "protocol/generated/message/create_partitions_response.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_create_partitions(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::CreatePartitionsRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  auto op = [request = *request](controller::QuorumController& c) { return c.create_partitions(request); };
  auto response = co_await broker.metadata()->submit<protocol::CreatePartitionsResponse>(op);
  if (!response) {
    // The metadata log failed: no partition was created.
    protocol::CreatePartitionsResponse failed;
    for (const auto& t : request->topics) {
      auto& r = failed.results.emplace_back();
      r.name = t.name;
      r.error_code = static_cast<int16_t>(ErrorCode::kafka_storage_error);
    }
    co_return respond(ctx, failed);
  }
  co_return respond(ctx, *response);
}

}  // namespace gregor::broker
