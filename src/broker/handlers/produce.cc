// Produce: each partition's batch goes to the shard that owns the partition; the shards append
// in parallel and each answers once its appends count as written (durable, by default). acks=0
// gets no response at all, as in Kafka. An idempotent producer's errors (OUT_OF_ORDER_SEQUENCE_NUMBER,
// INVALID_PRODUCER_EPOCH) come back as the partition's error; a retried batch gets its original
// base offset and no error. A batch refused for some of its records lists them in record_errors
// (v8+), each with its index in the batch.
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/produce_request.h"
#include "protocol/generated/message/produce_response.h"

namespace gregor::broker {

namespace {

struct Target {
  size_t topic;      // index in the request
  size_t partition;  // index in the topic's partition_data
  TopicPartition tp;
  std::span<uint8_t> records;
};

}  // namespace

asio::awaitable<HandlerResult> handle_produce(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::ProduceRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);

  protocol::ProduceResponse response;
  // Shared with the shards' appends: an append may answer at once, and the last answer can
  // resume this coroutine (on its own thread) while the target shard is still in its loop.
  auto per_shard = std::make_shared<std::vector<std::vector<Target>>>(broker.shard_count());
  const bool valid_acks = request->acks == 0 || request->acks == 1 || request->acks == -1;
  for (size_t t = 0; t < request->topic_data.size(); ++t) {
    const auto& topic = request->topic_data[t];
    auto& out = response.responses.emplace_back();
    out.name = topic.name;
    for (size_t p = 0; p < topic.partition_data.size(); ++p) {
      const auto& partition = topic.partition_data[p];
      auto& r = out.partition_responses.emplace_back();
      r.index = partition.index;
      r.base_offset = -1;
      if (!valid_acks) {
        r.error_code = static_cast<int16_t>(ErrorCode::invalid_required_acks);
        continue;
      }
      if (!partition.records) {
        r.error_code = static_cast<int16_t>(ErrorCode::invalid_record);
        r.error_message = "the partition's records are null";
        continue;
      }
      TopicPartition tp{topic.name, partition.index};
      // The records are a view into the request frame, which the connection owns and keeps
      // until the response is sent: the append stamps offsets into it in place.
      std::span<uint8_t> records(const_cast<uint8_t*>(partition.records->data()), partition.records->size());
      (*per_shard)[shard_of(tp, static_cast<unsigned>(broker.shard_count()))].push_back(Target{t, p, tp, records});
    }
  }

  std::vector<asio::awaitable<std::vector<ProduceResult>>> appends;
  std::vector<unsigned> shards;
  for (unsigned s = 0; s < per_shard->size(); ++s) {
    if ((*per_shard)[s].empty()) continue;
    shards.push_back(s);
    const int16_t acks = request->acks;
    appends.push_back(invoke_on_async<std::vector<ProduceResult>>(
        broker.shard(s), [&broker, s, per_shard, acks](auto reply) {
          const std::vector<Target>* targets = &(*per_shard)[s];
          auto results = std::make_shared<std::vector<ProduceResult>>(targets->size());
          auto remaining = std::make_shared<size_t>(targets->size());
          for (size_t i = 0; i < targets->size(); ++i) {
            const Target& target = (*targets)[i];
            broker.replicas(s).produce(target.tp, target.records, acks, [results, remaining, i, reply](ProduceResult r) {
              (*results)[i] = std::move(r);
              if (--*remaining == 0) reply(std::move(*results));
            });
          }
        }));
  }
  std::vector<std::vector<ProduceResult>> results = co_await when_all(std::move(appends));
  for (size_t k = 0; k < shards.size(); ++k) {
    const std::vector<Target>& targets = (*per_shard)[shards[k]];
    for (size_t i = 0; i < targets.size(); ++i) {
      const ProduceResult& result = results[k][i];
      auto& r = response.responses[targets[i].topic].partition_responses[targets[i].partition];
      r.error_code = static_cast<int16_t>(result.error);
      if (result.error == ErrorCode::not_leader_or_follower) {
        // Without the partition in the metadata, the topic or partition does not exist here.
        r.error_code = static_cast<int16_t>(ErrorCode::unknown_topic_or_partition);
      }
      if (result.error != ErrorCode::none) {
        r.error_message = result.message;
        if (ctx.api_version >= 8) {
          for (const storage::RecordError& e : result.record_errors) {
            auto& out = r.record_errors.emplace_back();
            out.batch_index = e.batch_index;
            out.batch_index_error_message = e.message;
          }
        }
        continue;
      }
      r.base_offset = result.base_offset;
      r.log_append_time_ms = result.log_append_time;
      r.log_start_offset = result.log_start_offset;
    }
  }
  if (request->acks == 0) co_return HandlerResult::none();
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
