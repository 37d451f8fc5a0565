// Client configuration: Kafka's producer defaults, and errors that name the key.
#include <gtest/gtest.h>

#include <fstream>

#include "../storage/temp_dir.h"
#include "gregor/config.h"
#include "gregor/producer.h"

namespace gregor {
namespace {

std::string error_of(const Properties& props) {
  try {
    producer_config_def().parse(props);
  } catch (const ConfigException& e) {
    return e.what();
  }
  return "";
}

TEST(ClientConfig, ProducerDefaultsAreKafkas) {
  ConfigValues c = producer_config_def().parse({{"bootstrap.servers", "localhost:9092"}});
  EXPECT_EQ(c.get_string("acks"), "all");
  EXPECT_EQ(c.get_long("linger.ms"), 5);
  EXPECT_EQ(c.get_int("batch.size"), 16384);
  EXPECT_EQ(c.get_long("buffer.memory"), 33554432);
  EXPECT_EQ(c.get_long("max.block.ms"), 60000);
  EXPECT_EQ(c.get_string("compression.type"), "none");
  EXPECT_EQ(c.get_int("retries"), 2147483647);
  EXPECT_EQ(c.get_long("retry.backoff.ms"), 100);
  EXPECT_EQ(c.get_long("retry.backoff.max.ms"), 1000);
  EXPECT_EQ(c.get_int("request.timeout.ms"), 30000);
  EXPECT_EQ(c.get_int("delivery.timeout.ms"), 120000);
  EXPECT_EQ(c.get_int("max.in.flight.requests.per.connection"), 5);
  EXPECT_TRUE(c.get_bool("enable.idempotence"));
  EXPECT_EQ(c.get_int("max.request.size"), 1048576);
  EXPECT_EQ(c.get_long("metadata.max.age.ms"), 300000);
  EXPECT_FALSE(c.get_bool("partitioner.ignore.keys"));
  EXPECT_EQ(c.get_optional_string("partitioner.class"), std::nullopt);
  EXPECT_EQ(c.get_optional_string("transactional.id"), std::nullopt);
  EXPECT_EQ(c.get_list("bootstrap.servers"), std::vector<std::string>{"localhost:9092"});
  EXPECT_FALSE(c.originally_set("acks"));
  EXPECT_TRUE(c.originally_set("bootstrap.servers"));
}

TEST(ClientConfig, ErrorsNameTheKeyAsKafkaDoes) {
  EXPECT_EQ(error_of({}), "Missing required configuration \"bootstrap.servers\" which has no default value.");
  EXPECT_EQ(error_of({{"bootstrap.servers", "h:1"}, {"lingr.ms", "5"}}), "Unknown configuration 'lingr.ms'");
  EXPECT_EQ(error_of({{"bootstrap.servers", "h:1"}, {"linger.ms", "soon"}}),
            "Invalid value soon for configuration linger.ms: Not a number of type LONG");
  EXPECT_EQ(error_of({{"bootstrap.servers", "h:1"}, {"batch.size", "-1"}}),
            "Invalid value -1 for configuration batch.size: Value must be at least 0");
  EXPECT_EQ(error_of({{"bootstrap.servers", "h:1"}, {"batch.size", "3000000000"}}),
            "Invalid value 3000000000 for configuration batch.size: Not a number of type INT");
  EXPECT_EQ(error_of({{"bootstrap.servers", "h:1"}, {"acks", "2"}}),
            "Invalid value 2 for configuration acks: String must be one of: all, -1, 0, 1");
  EXPECT_EQ(error_of({{"bootstrap.servers", "h:1"}, {"compression.type", "brotli"}}),
            "Invalid value brotli for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd");
  EXPECT_EQ(error_of({{"bootstrap.servers", "h:1"}, {"enable.idempotence", "yes"}}),
            "Invalid value yes for configuration enable.idempotence: Expected value to be either true or false");
  EXPECT_EQ(error_of({{"bootstrap.servers", ""}}), "Invalid value  for configuration bootstrap.servers: Empty list");
  // Whitespace around numbers and booleans is ignored, as Kafka trims them.
  EXPECT_EQ(error_of({{"bootstrap.servers", "h:1"}, {"linger.ms", " 10 "}, {"enable.idempotence", "TRUE"}}), "");
}

TEST(ClientConfig, ProducerRefusesConflictingSettings) {
  auto producer_error = [](Properties props) -> std::string {
    props.try_emplace("bootstrap.servers", "127.0.0.1:1");
    try {
      ByteProducer p(props);
    } catch (const ConfigException& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(producer_error({{"enable.idempotence", "true"}, {"acks", "1"}}),
            "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.");
  EXPECT_EQ(producer_error({{"enable.idempotence", "true"}, {"max.in.flight.requests.per.connection", "6"}}),
            "To use the idempotent producer, max.in.flight.requests.per.connection must be set to at most 5. "
            "Current value is 6.");
  EXPECT_EQ(producer_error({{"delivery.timeout.ms", "1000"}, {"request.timeout.ms", "2000"}}),
            "delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms");
  EXPECT_EQ(producer_error({{"partitioner.class", "com.example.Mine"}}),
            "Invalid value com.example.Mine for configuration partitioner.class: Class com.example.Mine cannot be found");
  EXPECT_EQ(producer_error({{"security.protocol", "SSL"}}),
            "Invalid value SSL for configuration security.protocol: only PLAINTEXT is supported by this client");
  EXPECT_EQ(producer_error({{"bootstrap.servers", "nohost"}}), "Invalid url in bootstrap.servers: nohost");
  // Idempotence that was not asked for gives way to acks=1, as in Kafka.
  EXPECT_EQ(producer_error({{"acks", "1"}}), "");
}

TEST(ClientConfig, SerializerClassesMustFitTheTypes) {
  Properties props{{"bootstrap.servers", "127.0.0.1:1"},
                   {"key.serializer", "org.apache.kafka.common.serialization.IntegerSerializer"}};
  try {
    Producer<std::string, std::string> p(props);
    FAIL() << "an IntegerSerializer for string keys was accepted";
  } catch (const ConfigException& e) {
    EXPECT_NE(std::string(e.what()).find("key.serializer"), std::string::npos) << e.what();
  }
  props["key.serializer"] = "org.apache.kafka.common.serialization.StringSerializer";
  props["value.serializer"] = "org.apache.kafka.common.serialization.LongSerializer";
  Producer<std::string, int64_t> ok(props);
  ok.close(std::chrono::milliseconds(0));
}

TEST(ClientConfig, PropertiesFilesReadAsJavaReadsThem) {
  Properties p = parse_properties(
      "# a comment\n"
      "! another\n"
      "bootstrap.servers=localhost:9092\n"
      "  client.id : my-client  \n"
      "acks all\n"
      "linger.ms=1\\\n"
      "    0\n"
      "key\\=with\\:seps=tab\\there\n"
      "empty=\n");
  EXPECT_EQ(p["bootstrap.servers"], "localhost:9092");
  EXPECT_EQ(p["client.id"], "my-client  ");
  EXPECT_EQ(p["acks"], "all");
  EXPECT_EQ(p["linger.ms"], "10");
  EXPECT_EQ(p["key=with:seps"], "tab\there");
  EXPECT_EQ(p["empty"], "");
  EXPECT_EQ(p.size(), 6u);

  storage::testing::TempDir dir;
  const std::string path = dir.path() + "/producer.properties";
  std::ofstream(path) << "bootstrap.servers=h:9092\nlinger.ms=20\n";
  ConfigValues c = producer_config_def().parse(load_properties(path));
  EXPECT_EQ(c.get_long("linger.ms"), 20);
  EXPECT_THROW(load_properties(dir.path() + "/missing.properties"), ConfigException);
}

TEST(ClientConfig, IntegerSerializersAreBigEndian) {
  EXPECT_EQ(IntegerSerializer().serialize("t", 0x01020304), (Bytes{1, 2, 3, 4}));
  EXPECT_EQ(IntegerSerializer().serialize("t", -2), (Bytes{0xff, 0xff, 0xff, 0xfe}));
  EXPECT_EQ(LongSerializer().serialize("t", 0x0102030405060708), (Bytes{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(StringSerializer().serialize("t", "h\xc3\xa9"), (Bytes{'h', 0xc3, 0xa9}));
}

TEST(ClientConfig, ConsumerDefaultsAreKafkas) {
  ConfigValues c = consumer_config_def().parse({{"bootstrap.servers", "localhost:9092"}});
  EXPECT_EQ(c.get_optional_string("group.id"), std::nullopt);
  EXPECT_EQ(c.get_optional_string("group.instance.id"), std::nullopt);
  EXPECT_EQ(c.get_string("group.protocol"), "classic");
  EXPECT_EQ(c.get_string("auto.offset.reset"), "latest");
  EXPECT_TRUE(c.get_bool("enable.auto.commit"));
  EXPECT_EQ(c.get_int("auto.commit.interval.ms"), 5000);
  EXPECT_EQ(c.get_int("fetch.min.bytes"), 1);
  EXPECT_EQ(c.get_int("fetch.max.wait.ms"), 500);
  EXPECT_EQ(c.get_int("max.partition.fetch.bytes"), 1048576);
  EXPECT_EQ(c.get_int("fetch.max.bytes"), 52428800);
  EXPECT_EQ(c.get_int("max.poll.records"), 500);
  EXPECT_EQ(c.get_int("session.timeout.ms"), 45000);
  EXPECT_EQ(c.get_int("heartbeat.interval.ms"), 3000);
  EXPECT_EQ(c.get_int("max.poll.interval.ms"), 300000);
  EXPECT_EQ(c.get_int("default.api.timeout.ms"), 60000);
  EXPECT_EQ(c.get_string("isolation.level"), "read_uncommitted");
  EXPECT_EQ(c.get_list("partition.assignment.strategy"),
            (std::vector<std::string>{"org.apache.kafka.clients.consumer.RangeAssignor",
                                      "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"}));
  EXPECT_EQ(c.get_optional_string("key.deserializer"), std::nullopt);
}

TEST(ClientConfig, ConsumerErrorsNameTheKey) {
  auto error = [](const Properties& extra) {
    Properties p{{"bootstrap.servers", "h:1"}};
    p.insert(extra.begin(), extra.end());
    try {
      consumer_config_def().parse(p);
    } catch (const ConfigException& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error({{"auto.offset.reset", "smallest"}}),
            "Invalid value smallest for configuration auto.offset.reset: String must be one of: latest, earliest, none");
  EXPECT_EQ(error({{"max.poll.records", "0"}}),
            "Invalid value 0 for configuration max.poll.records: Value must be at least 1");
  EXPECT_EQ(error({{"isolation.level", "serializable"}}),
            "Invalid value serializable for configuration isolation.level: String must be one of: read_committed, "
            "read_uncommitted");
  EXPECT_EQ(error({{"linger.ms", "5"}}), "Unknown configuration 'linger.ms'");
  EXPECT_EQ(error({{"group.protocol", "CONSUMER"}}), "");
}

}  // namespace
}  // namespace gregor
