// Producer ids for InitProducerId, as Kafka's RPCProducerIdManager hands them out: the
// controller grants the broker blocks of kProducerIdBlockSize ids (AllocateProducerIds, a
// ProducerIdsRecord in the metadata log, so no id is ever handed out twice, across restarts
// too), and the broker gives them out one by one. When 90% of the current block is gone the next
// one is asked for, so a producer rarely waits for the controller.
//
// Where Kafka answers COORDINATOR_LOAD_IN_PROGRESS while no block is at hand (its request
// threads must not block) and the client retries, a caller here waits for the block: the
// first InitProducerId after a start takes one controller round trip instead of a retry. A
// block the controller refuses fails the waiting callers with COORDINATOR_LOAD_IN_PROGRESS,
// retriable for every client, and the next call asks again.
//
// Not thread-safe: it lives on shard 0, with the metadata service.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "common/status.h"

namespace gregor::broker {

class Broker;

struct ProducerIdBlock {
  int64_t first = 0;
  int32_t size = 0;
};

class ProducerIdManager {
 public:
  using Reply = std::function<void(StatusOr<int64_t>)>;
  // Asks the controller for the next block and calls done with it (later, on the same thread).
  using RequestBlock = std::function<void(std::function<void(StatusOr<ProducerIdBlock>)> done)>;

  explicit ProducerIdManager(RequestBlock request_block) : request_block_(std::move(request_block)) {}
  // The controller of broker, through its metadata service; call from shard 0.
  static std::unique_ptr<ProducerIdManager> for_broker(Broker& broker);

  // Calls reply with the next producer id: at once from the current block, or once the next
  // block has come. Replies go out in call order.
  void generate(Reply reply);

  // For tests: whether a block request is under way.
  bool requesting() const { return requesting_; }

 private:
  std::optional<int64_t> claim();
  void request_next_block();
  void on_block(StatusOr<ProducerIdBlock> block);

  RequestBlock request_block_;
  std::optional<ProducerIdBlock> current_;
  std::optional<ProducerIdBlock> next_;
  int64_t next_id_ = 0;
  bool requesting_ = false;
  std::deque<Reply> waiting_;
};

}  // namespace gregor::broker
