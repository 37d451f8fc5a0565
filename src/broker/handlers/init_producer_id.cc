// InitProducerId: a producer id and epoch for an idempotent producer. Without a transactional
// id, as in Kafka's TransactionCoordinator, every request gets a new producer id at epoch 0, also
// one that names its current id and epoch (KIP-360's epoch bump, which only a transactional
// producer keeps its id for); the ids come in blocks from the controller (producer_id_manager.h).
//
// A transactional id needs the transaction coordinator, which this broker does not run yet. The
// checks Kafka makes before it looks for the transaction's state still apply (an empty id is
// INVALID_REQUEST, a timeout outside (0, transaction.max.timeout.ms] INVALID_TRANSACTION_TIMEOUT);
// then the answer is COORDINATOR_NOT_AVAILABLE, what Kafka says while no broker can coordinate
// transactions: retriable, and truthful, where NOT_COORDINATOR would send the client looking for
// another broker that does.
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "broker/producer_id_manager.h"
#include "protocol/generated/message/init_producer_id_request.h"
#include "protocol/generated/message/init_producer_id_response.h"

namespace gregor::broker {

namespace {

struct Generated {
  ErrorCode error = ErrorCode::none;
  int64_t producer_id = -1;
};

}  // namespace

asio::awaitable<HandlerResult> handle_init_producer_id(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::InitProducerIdRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);

  protocol::InitProducerIdResponse response;
  auto fail = [&](ErrorCode error) {
    response.error_code = static_cast<int16_t>(error);
    response.producer_id = -1;
    response.producer_epoch = -1;
    return respond(ctx, response);
  };
  // v3+ may name the producer's current id and epoch: both or neither.
  if ((request->producer_id == -1) != (request->producer_epoch == -1)) co_return fail(ErrorCode::invalid_request);
  if (request->transactional_id) {
    if (request->transactional_id->empty()) co_return fail(ErrorCode::invalid_request);
    if (request->transaction_timeout_ms <= 0 ||
        request->transaction_timeout_ms > broker.options().transaction_max_timeout_ms) {
      co_return fail(ErrorCode::invalid_transaction_timeout);
    }
    co_return fail(ErrorCode::coordinator_not_available);
  }
  if (!broker.producer_ids()) co_return fail(ErrorCode::coordinator_not_available);
  auto generate = [&broker](auto reply) {
    broker.producer_ids()->generate([reply](StatusOr<int64_t> id) {
      reply(id.ok() ? Generated{ErrorCode::none, *id} : Generated{id.status().code(), -1});
    });
  };
  Generated generated = co_await invoke_on_async<Generated>(broker.shard(0), generate);
  if (generated.error != ErrorCode::none) co_return fail(generated.error);
  response.producer_id = generated.producer_id;
  response.producer_epoch = 0;
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
