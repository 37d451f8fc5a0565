// librdkafka, linked in, against Gregor's record format: batches librdkafka produces with every
// codec decode to the records sent, and batches Gregor builds with every codec are consumed by
// librdkafka as written.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

#include "captured.h"
#include "fake_broker.h"
#include "protocol/generated/message/produce_request.h"
#include "record/batch_builder.h"

namespace gregor::testing {
namespace {

using record::Compression;
const std::string kTopic = "interop";

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

KafkaHandle make_client(rd_kafka_type_t type, const std::vector<std::pair<std::string, std::string>>& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : settings) {
    EXPECT_EQ(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err), RD_KAFKA_CONF_OK) << err;
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  EXPECT_NE(rk, nullptr) << err;
  return KafkaHandle(rk);
}

// Records with every shape a batch can carry: null key, null value, empty value, headers
// (one with a null value), and a value large enough to make compression matter.
std::vector<ProducedRecord> sample_records() {
  std::vector<ProducedRecord> rs;
  rs.push_back({"key-0", "value-0", {{"trace", "abc"}, {"empty", std::nullopt}}});
  rs.push_back({std::nullopt, "no key", {}});
  rs.push_back({"tombstone", std::nullopt, {}});
  rs.push_back({"empty", "", {}});
  std::string big;
  for (int i = 0; i < 200; ++i) big += "{\"id\":" + std::to_string(i) + ",\"name\":\"gregor\"},";
  rs.push_back({"big", big, {{"h", "v"}}});
  return rs;
}

class LibrdkafkaCodec : public ::testing::TestWithParam<Compression> {};

TEST_P(LibrdkafkaCodec, ProducedBatchesDecodeToTheRecordsSent) {
  FakeBroker broker(kTopic);
  auto producer = make_client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", broker.bootstrap()},
                                                  {"compression.codec", record::compression_name(GetParam())},
                                                  {"linger.ms", "50"},
                                                  {"enable.idempotence", "false"}});
  ASSERT_TRUE(producer);
  const auto sent = sample_records();
  for (const auto& r : sent) {
    rd_kafka_headers_t* hdrs = rd_kafka_headers_new(r.headers.size());
    for (const auto& [k, v] : r.headers)
      rd_kafka_header_add(hdrs, k.data(), static_cast<ssize_t>(k.size()), v ? v->data() : nullptr,
                          v ? static_cast<ssize_t>(v->size()) : 0);
    // librdkafka's argument macros cast without parentheses: pass plain variables.
    const void* key = r.key ? r.key->data() : nullptr;
    const size_t key_len = r.key ? r.key->size() : 0;
    void* value = r.value ? const_cast<char*>(r.value->data()) : nullptr;
    const size_t value_len = r.value ? r.value->size() : 0;
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer.get(), RD_KAFKA_V_TOPIC(kTopic.c_str()), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_KEY(key, key_len),
        RD_KAFKA_V_VALUE(value, value_len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs),
        RD_KAFKA_V_END);
    ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
  }
  ASSERT_EQ(rd_kafka_flush(producer.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);

  const auto reqs = broker.requests();
  for (const auto& req : reqs) expect_reencodes_identically(req);
  std::vector<Compression> codecs;
  EXPECT_EQ(produced_records(reqs, &codecs), sent);
  // librdkafka sends a batch uncompressed when compressing does not shrink it; the batch with
  // the large record always shrinks.
  EXPECT_NE(std::find(codecs.begin(), codecs.end(), GetParam()), codecs.end())
      << "batch codecs: " << ::testing::PrintToString(codecs);
  for (auto c : codecs) EXPECT_TRUE(c == GetParam() || c == Compression::none);
}

TEST_P(LibrdkafkaCodec, GregorBatchesAreConsumedAsWritten) {
  FakeBroker broker(kTopic);
  const auto records = sample_records();
  // Two batches, so the consumer also crosses a batch boundary.
  Bytes log;
  const int64_t base_timestamp = 1700000000000;
  int64_t offset = 0;
  for (size_t split : {size_t{2}, records.size()}) {
    record::BatchOptions opts;
    opts.base_offset = offset;
    opts.compression = GetParam();
    opts.partition_leader_epoch = 0;
    record::RecordBatchBuilder builder(opts);
    for (; static_cast<size_t>(offset) < split; ++offset) {
      const auto& r = records[static_cast<size_t>(offset)];
      std::vector<record::Header> hs;
      for (const auto& [k, v] : r.headers)
        hs.push_back({k, v ? std::optional<BytesView>(BytesView::of(*v)) : std::nullopt});
      auto view = [](const std::optional<std::string>& s) {
        return s ? std::optional<BytesView>(BytesView::of(*s)) : std::nullopt;
      };
      builder.append(base_timestamp + offset, view(r.key), view(r.value), hs);
    }
    ASSERT_FALSE(builder.finish(log));
  }
  broker.set_log(log, offset);

  auto consumer = make_client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", broker.bootstrap()},
                                                  {"group.id", "interop"},
                                                  {"enable.auto.commit", "false"},
                                                  {"check.crcs", "true"}});
  ASSERT_TRUE(consumer);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(parts, kTopic.c_str(), 0)->offset = 0;
  ASSERT_EQ(rd_kafka_assign(consumer.get(), parts), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(parts);

  std::vector<ProducedRecord> got;
  std::vector<int64_t> offsets, timestamps;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (got.size() < records.size() && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 200);
    if (!m) continue;
    if (m->err) {
      ADD_FAILURE() << rd_kafka_message_errstr(m);
      rd_kafka_message_destroy(m);
      break;
    }
    ProducedRecord pr;
    if (m->key) pr.key = std::string(static_cast<const char*>(m->key), m->key_len);
    if (m->payload) pr.value = std::string(static_cast<const char*>(m->payload), m->len);
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name;
      const void* val;
      size_t size;
      for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
        pr.headers.emplace_back(name, val ? std::optional<std::string>(std::string(static_cast<const char*>(val), size))
                                          : std::nullopt);
    }
    offsets.push_back(m->offset);
    timestamps.push_back(rd_kafka_message_timestamp(m, nullptr));
    got.push_back(std::move(pr));
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(consumer.get());
  ASSERT_EQ(got.size(), records.size());
  EXPECT_EQ(got, records);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(offsets[i], static_cast<int64_t>(i));
    EXPECT_EQ(timestamps[i], base_timestamp + static_cast<int64_t>(i));
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, LibrdkafkaCodec,
                         ::testing::Values(Compression::none, Compression::gzip, Compression::snappy,
                                           Compression::lz4, Compression::zstd),
                         [](const auto& info) { return std::string(record::compression_name(info.param)); });

}  // namespace
}  // namespace gregor::testing
