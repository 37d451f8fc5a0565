// How the group APIs reach a group's coordinator: the group hashes to a __consumer_offsets
// partition (Kafka's formula, so tools that compute coordinators agree), and the shard that owns
// that partition runs the coordinator (GroupService). These return awaitables without being
// coroutines, so callers may pass lambda temporaries (see invoke_on in net/shard.h).
#pragma once

#include <utility>

#include "broker/broker.h"
#include "group/records.h"
#include "metadata/image.h"

namespace gregor::broker {

inline int32_t offsets_partition_of(Broker& broker, const std::string& group_id) {
  return group::partition_for_group(group_id, broker.options().groups.offsets_partitions);
}

inline unsigned shard_of_offsets_partition(Broker& broker, int32_t partition) {
  return shard_of(TopicPartition{kOffsetsTopic, partition}, static_cast<unsigned>(broker.shard_count()));
}

// Runs op on the group's coordinator: its result, or NOT_COORDINATOR /
// COORDINATOR_LOAD_IN_PROGRESS with R{}.
template <typename R>
asio::awaitable<std::pair<ErrorCode, R>> on_coordinator(
    Broker& broker, const std::string& group_id, std::function<R(group::GroupCoordinator&, int64_t now)> op) {
  const int32_t p = offsets_partition_of(broker, group_id);
  const unsigned s = shard_of_offsets_partition(broker, p);
  auto run = [&broker, s, p, op = std::move(op)](auto reply) {
    broker.groups(s).run<R>(p, op, [reply](ErrorCode e, R r) { reply(std::make_pair(e, std::move(r))); });
  };
  return invoke_on_async<std::pair<ErrorCode, R>>(broker.shard(s), std::move(run));
}

// JoinGroup / SyncGroup: the reply the group completes the request with, or the error.
using WaitedReply = std::pair<ErrorCode, std::optional<group::GroupCoordinator::Reply>>;
inline asio::awaitable<WaitedReply> on_coordinator_waiting(
    Broker& broker, const std::string& group_id,
    std::function<void(group::GroupCoordinator&, group::RequestId, int64_t now)> op) {
  const int32_t p = offsets_partition_of(broker, group_id);
  const unsigned s = shard_of_offsets_partition(broker, p);
  auto run = [&broker, s, p, op = std::move(op)](auto reply) {
    broker.groups(s).run_waiting(p, op, [reply](ErrorCode e, group::GroupCoordinator::Reply* r) {
      reply(WaitedReply(e, r ? std::optional<group::GroupCoordinator::Reply>(std::move(*r)) : std::nullopt));
    });
  };
  return invoke_on_async<WaitedReply>(broker.shard(s), std::move(run));
}

// The peer's address as Kafka reports client hosts: "/" and the IP.
inline std::string client_host(const RequestContext& ctx) {
  std::string host = ctx.client_address.substr(0, ctx.client_address.rfind(':'));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return "/" + host;
}

// The metadata image as KIP-848 consumer groups read topics (names, ids, partition counts).
class ImageTopics : public group::TopicsView {
 public:
  explicit ImageTopics(std::shared_ptr<const metadata::MetadataImage> image) : image_(std::move(image)) {}
  std::optional<group::TopicInfo> by_name(const std::string& name) const override { return info(image_->topic(name)); }
  std::optional<group::TopicInfo> by_id(const Uuid& id) const override { return info(image_->topic(id)); }
  std::vector<std::string> names() const override { return image_->topic_names(); }

 private:
  static std::optional<group::TopicInfo> info(const metadata::TopicImage* t) {
    if (!t) return std::nullopt;
    return group::TopicInfo{t->id, t->name, t->partition_count()};
  }
  std::shared_ptr<const metadata::MetadataImage> image_;
};

}  // namespace gregor::broker
