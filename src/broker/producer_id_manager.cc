#include "broker/producer_id_manager.h"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include "broker/broker.h"
#include "protocol/generated/message/allocate_producer_ids_response.h"

namespace gregor::broker {

namespace {

// Kafka prefetches the next block once this share of the current one is handed out.
constexpr double kPrefetchThreshold = 0.9;

Status block_unavailable(const std::string& why) {
  return Status(ErrorCode::coordinator_load_in_progress, "Producer ID block is full. Waiting for next block: " + why);
}

// One AllocateProducerIds through the controller, on shard 0.
asio::awaitable<void> allocate_block(Broker& broker, std::function<void(StatusOr<ProducerIdBlock>)> done) {
  MetadataService* metadata = broker.metadata();
  const int32_t node = broker.options().node_id;
  std::function<controller::ControllerResult<protocol::AllocateProducerIdsResponse>(controller::QuorumController&)> op =
      [metadata, node](controller::QuorumController& controller) {
        const metadata::BrokerRegistration* self = metadata->image()->broker(node);
        return controller.allocate_producer_ids(node, self ? self->epoch : -1);
      };
  std::optional<protocol::AllocateProducerIdsResponse> response =
      co_await metadata->submit<protocol::AllocateProducerIdsResponse>(op);
  if (!response) {
    done(block_unavailable("the metadata log did not commit the allocation"));
  } else if (response->error_code != 0) {
    done(block_unavailable("the controller refused it with error " + std::to_string(response->error_code)));
  } else {
    done(ProducerIdBlock{response->producer_id_start, response->producer_id_len});
  }
}

}  // namespace

std::unique_ptr<ProducerIdManager> ProducerIdManager::for_broker(Broker& broker) {
  return std::make_unique<ProducerIdManager>([&broker](std::function<void(StatusOr<ProducerIdBlock>)> done) {
    asio::co_spawn(broker.shard(0).context(), allocate_block(broker, std::move(done)), asio::detached);
  });
}

std::optional<int64_t> ProducerIdManager::claim() {
  while (true) {
    if (current_ && next_id_ < current_->first + current_->size) {
      const int64_t id = next_id_++;
      const int64_t prefetch_at = current_->first + static_cast<int64_t>(current_->size * kPrefetchThreshold);
      if (id == prefetch_at) request_next_block();
      return id;
    }
    if (!next_) return std::nullopt;
    current_ = next_;
    next_.reset();
    next_id_ = current_->first;
  }
}

void ProducerIdManager::generate(Reply reply) {
  if (waiting_.empty()) {
    if (std::optional<int64_t> id = claim()) {
      reply(*id);
      return;
    }
  }
  waiting_.push_back(std::move(reply));
  request_next_block();
}

void ProducerIdManager::request_next_block() {
  if (requesting_ || next_) return;
  requesting_ = true;
  request_block_([this](StatusOr<ProducerIdBlock> block) { on_block(std::move(block)); });
}

void ProducerIdManager::on_block(StatusOr<ProducerIdBlock> block) {
  requesting_ = false;
  if (!block.ok() || block->size <= 0) {
    Status why = block.ok() ? block_unavailable("the controller granted an empty block") : block.status();
    spdlog::warn("no producer id block: {}", why.message());
    std::deque<Reply> failed = std::move(waiting_);
    waiting_.clear();
    for (Reply& reply : failed) reply(why);
    return;
  }
  next_ = *block;
  while (!waiting_.empty()) {
    std::optional<int64_t> id = claim();
    if (!id) {
      request_next_block();
      return;
    }
    Reply reply = std::move(waiting_.front());
    waiting_.pop_front();
    reply(*id);
  }
}

}  // namespace gregor::broker
