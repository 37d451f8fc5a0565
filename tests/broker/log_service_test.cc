// Storage in the broker: each shard's manager holds the partitions that hash to it, and a clean
// stop leaves gathered checkpoints and the clean-shutdown marker for the next start.
#include <gtest/gtest.h>


#include "../storage/log_test_util.h"
#include "../storage/temp_dir.h"
#include "broker/broker.h"
#include "raw_client.h"
#include "storage/checkpoint_file.h"

namespace gregor::broker {
namespace {

using storage::TopicPartition;

BrokerOptions options_for(const std::string& dir) {
  BrokerOptions o;
  o.listeners = {ListenerOptions{"PLAINTEXT", "127.0.0.1", 0}};
  o.shards = 2;
  LogService::Options logs;
  logs.manager.log_dirs = {dir};
  logs.manager.defaults.message_timestamp_after_max_ms = storage::LogConfig::kLongMax;
  o.storage = logs;
  return o;
}

TEST(LogService, PartitionsLiveOnTheirShardAndSurviveACleanRestart) {
  storage::testing::TempDir dir;
  std::vector<TopicPartition> tps;
  for (int p = 0; p < 8; ++p) tps.push_back({"orders", p});
  {
    Broker broker(options_for(dir.path()));
    ASSERT_TRUE(broker.start().ok());
    for (const TopicPartition& tp : tps) {
      unsigned shard = shard_of(tp, 2);
      bool ok = run_on(broker.shard(shard), [&] {
        auto log = broker.logs()->local().get_or_create(tp, Uuid::from_halves(1, 2), storage::LogConfig{});
        if (!log.ok()) return false;
        Bytes batch = storage::testing::make_batch(tp.partition + 1, 1000);
        return (*log)->append_as_leader(batch, 0).ok();
      });
      ASSERT_TRUE(ok);
    }
    broker.stop();
    Status s = broker.wait();
    ASSERT_TRUE(s.ok()) << s.to_string();
  }
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/.kafka_cleanshutdown"));
  storage::PosixFileSystem fs;
  auto recovery = storage::read_offset_checkpoint(fs, dir.path() + "/recovery-point-offset-checkpoint");
  ASSERT_TRUE(recovery.ok());
  EXPECT_EQ(recovery->size(), tps.size());

  Broker broker(options_for(dir.path()));
  ASSERT_TRUE(broker.start().ok());
  EXPECT_TRUE(broker.logs()->opened_clean());
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/.kafka_cleanshutdown"));
  for (const TopicPartition& tp : tps) {
    unsigned shard = shard_of(tp, 2);
    int64_t end = run_on(broker.shard(shard), [&] {
      storage::Log* log = broker.logs()->local().get(tp);
      return log ? log->log_end_offset() : -1;
    });
    EXPECT_EQ(end, tp.partition + 1) << tp.to_string();
    int64_t elsewhere = run_on(broker.shard(1 - shard), [&] { return broker.logs()->local().get(tp) ? 1 : 0; });
    EXPECT_EQ(elsewhere, 0);
  }
}

}  // namespace
}  // namespace gregor::broker
