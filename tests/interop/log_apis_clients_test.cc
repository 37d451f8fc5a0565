// Real clients against a real `gregor server` process, on the partition-log APIs:
// librdkafka's admin DeleteRecords (linked in), then kcat and confluent-kafka consuming from the
// new log start, before and after a restart; kafka-python speaking OffsetForLeaderEpoch,
// DeleteRecords and DescribeLogDirs; kafkajs's admin.deleteTopicRecords.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <memory>

#include "broker_process_test.h"

namespace gregor::testing {
namespace {

class LogApisClientsTest : public BrokerProcessTest {
 protected:
  // Every offset kcat reads from the beginning of the partition, one a line.
  ProcessResult kcat_offsets(const std::string& topic) {
    return kcat({"-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q", "-f", "%o\n"});
  }
};

std::string lines(int64_t from, int64_t to) {
  std::string out;
  for (int64_t i = from; i < to; ++i) out += std::to_string(i) + "\n";
  return out;
}

// DeleteRecords through librdkafka's admin API: the offsets it reports per partition.
rd_kafka_topic_partition_list_t* delete_records(const std::string& bootstrap, const std::string& topic, int64_t offset,
                                                std::string& error) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)> rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err),
                                                        rd_kafka_destroy);
  if (!rk) {
    error = err;
    return nullptr;
  }
  rd_kafka_topic_partition_list_t* wanted = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(wanted, topic.c_str(), 0)->offset = offset;
  rd_kafka_DeleteRecords_t* request = rd_kafka_DeleteRecords_new(wanted);
  rd_kafka_topic_partition_list_destroy(wanted);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk.get());
  rd_kafka_DeleteRecords(rk.get(), &request, 1, nullptr, queue);
  rd_kafka_DeleteRecords_destroy(request);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 60'000);
  rd_kafka_topic_partition_list_t* out = nullptr;
  if (!event) {
    error = "no DeleteRecords result within 60 s";
  } else if (rd_kafka_event_error(event)) {
    error = rd_kafka_event_error_string(event);
  } else {
    const rd_kafka_DeleteRecords_result_t* result = rd_kafka_event_DeleteRecords_result(event);
    out = rd_kafka_topic_partition_list_copy(rd_kafka_DeleteRecords_result_offsets(result));
  }
  if (event) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  return out;
}

TEST_F(LogApisClientsTest, LibrdkafkaDeletesRecordsAndConsumersStartAtTheNewLogStart) {
  if (!have_program("kcat")) GTEST_SKIP() << "kcat is not installed";
  std::string records;
  for (int i = 0; i < 10; ++i) records += "record-" + std::to_string(i) + "\n";
  auto produced = kcat({"-P", "-t", "trimmed", "-p", "0"}, records);
  ASSERT_EQ(produced.exit_code, 0) << produced.output;
  auto before = kcat_offsets("trimmed");
  ASSERT_EQ(before.exit_code, 0) << before.output;
  ASSERT_EQ(before.output, lines(0, 10));

  std::string error;
  rd_kafka_topic_partition_list_t* result = delete_records(broker->bootstrap(), "trimmed", 6, error);
  ASSERT_NE(result, nullptr) << error;
  ASSERT_EQ(result->cnt, 1);
  EXPECT_EQ(result->elems[0].err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(result->elems[0].err);
  EXPECT_EQ(result->elems[0].offset, 6);  // the new low watermark
  rd_kafka_topic_partition_list_destroy(result);

  result = delete_records(broker->bootstrap(), "trimmed", 50, error);
  ASSERT_NE(result, nullptr) << error;
  EXPECT_EQ(result->elems[0].err, RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE);
  rd_kafka_topic_partition_list_destroy(result);

  auto after = kcat_offsets("trimmed");
  ASSERT_EQ(after.exit_code, 0) << after.output;
  EXPECT_EQ(after.output, lines(6, 10));
  auto confluent = python("log_apis_confluent.py", {broker->bootstrap(), "trimmed", "10", "6"});
  EXPECT_EQ(confluent.exit_code, 0) << confluent.output;

  // The new log start is kept across a restart.
  ASSERT_EQ(broker->stop(), 0) << broker->log();
  ASSERT_TRUE(broker->start()) << broker->log();
  auto restarted = kcat_offsets("trimmed");
  ASSERT_EQ(restarted.exit_code, 0) << restarted.output;
  EXPECT_EQ(restarted.output, lines(6, 10));
}

TEST_F(LogApisClientsTest, KafkaPythonSpeaksOffsetForLeaderEpochDeleteRecordsAndDescribeLogDirs) {
  auto result = python("log_apis_kafka_python.py", {broker->bootstrap(), "kp-log", "12", "5"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("DeleteRecords: low watermark 5"), std::string::npos) << result.output;
  if (!have_program("kcat")) return;
  auto consumed = kcat_offsets("kp-log");
  ASSERT_EQ(consumed.exit_code, 0) << consumed.output;
  EXPECT_EQ(consumed.output, lines(5, 12));
}

TEST_F(LogApisClientsTest, KafkajsDeletesTopicRecords) {
  if (!have_program("node")) GTEST_SKIP() << "node is not installed";
  auto result = run_process({"node", std::string(GREGOR_SOURCE_DIR) + "/tests/clients/log_apis_kafkajs.js",
                             broker->bootstrap(), "js-log", "8", "3"},
                            std::chrono::seconds(90));
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

}  // namespace
}  // namespace gregor::testing
