// DescribeLogDirs: every log dir of the broker (log.dirs) with its partitions' sizes, gathered
// from every shard, since each shard's log manager holds the partitions that hash to it; and,
// from v4, the size and free space of the volume under the dir. A dir that cannot be read
// answers KAFKA_STORAGE_ERROR alone, as Kafka's offline dirs do. Null topics means every
// partition. The metadata log is not a partition and is not listed, as in Kafka.
#include <sys/statvfs.h>

#include <filesystem>
#include <map>
#include <set>

#include "broker/handlers/handlers.h"
#include "broker/handlers/partitions.h"
#include "protocol/generated/message/describe_log_dirs_request.h"
#include "protocol/generated/message/describe_log_dirs_response.h"

namespace gregor::broker {

namespace {

// Kafka's FileStore sizes, where a negative size (overflow) is reported as Long.MAX_VALUE.
int64_t volume_bytes(unsigned long blocks, unsigned long block_size) {
  const unsigned __int128 bytes = static_cast<unsigned __int128>(blocks) * block_size;
  return bytes > static_cast<unsigned __int128>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(bytes);
}

// The answer for the broker's log dirs, given every shard's logs; topics null for every partition.
protocol::DescribeLogDirsResponse describe(const std::vector<std::string>& dirs,
                                           const std::vector<std::vector<LogDirPartition>>& per_shard,
                                           const std::optional<std::vector<protocol::DescribeLogDirsRequest::DescribableLogDirTopic>>& topics,
                                           int16_t version) {
  std::set<TopicPartition> wanted;
  if (topics) {
    for (const auto& topic : *topics) {
      for (int32_t partition : topic.partitions) wanted.insert(TopicPartition{topic.topic, partition});
    }
  }
  // Per dir, per topic, the wanted partitions.
  std::map<std::string, std::map<std::string, std::vector<const LogDirPartition*>>> by_dir;
  for (const auto& logs : per_shard) {
    for (const LogDirPartition& log : logs) {
      if (topics && !wanted.count(log.tp)) continue;
      by_dir[log.log_dir][log.tp.topic].push_back(&log);
    }
  }

  protocol::DescribeLogDirsResponse response;
  for (const std::string& dir : dirs) {
    auto& result = response.results.emplace_back();
    std::error_code ec;
    std::filesystem::path absolute = std::filesystem::absolute(dir, ec);
    absolute = absolute.lexically_normal();
    if (!absolute.has_filename() && absolute != absolute.root_path()) absolute = absolute.parent_path();  // "dir/"
    result.log_dir = ec ? dir : absolute.string();
    struct statvfs volume {};
    if (::statvfs(dir.c_str(), &volume) != 0) {
      result.error_code = static_cast<int16_t>(ErrorCode::kafka_storage_error);
      continue;
    }
    if (version >= 4) {
      result.total_bytes = volume_bytes(volume.f_blocks, volume.f_frsize);
      result.usable_bytes = volume_bytes(volume.f_bavail, volume.f_frsize);
    }
    for (auto& [topic, logs] : by_dir[dir]) {
      auto& t = result.topics.emplace_back();
      t.name = topic;
      std::sort(logs.begin(), logs.end(), [](const auto* a, const auto* b) { return a->tp.partition < b->tp.partition; });
      for (const LogDirPartition* log : logs) {
        auto& p = t.partitions.emplace_back();
        p.partition_index = log->tp.partition;
        p.partition_size = log->size;
        p.offset_lag = log->offset_lag;
        p.is_future_key = false;  // no log moves between dirs (AlterReplicaLogDirs) yet
      }
    }
  }
  return response;
}

}  // namespace

asio::awaitable<HandlerResult> handle_describe_log_dirs(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::DescribeLogDirsRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);

  std::vector<std::string> dirs;
  if (broker.options().storage) {
    for (const std::string& dir : broker.options().storage->manager.log_dirs) {
      if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
    }
  }
  std::vector<std::vector<LogDirPartition>> per_shard;
  if (broker.logs()) {
    std::vector<asio::awaitable<std::vector<LogDirPartition>>> gathers;
    for (unsigned s = 0; s < broker.shard_count(); ++s) {
      gathers.push_back(invoke_on(broker.shard(s), [&broker, s, &dirs] { return broker.replicas(s).describe_logs(dirs); }));
    }
    per_shard = co_await when_all(std::move(gathers));
  }
  co_return respond(ctx, describe(dirs, per_shard, request->topics, ctx.api_version));
}

}  // namespace gregor::broker
