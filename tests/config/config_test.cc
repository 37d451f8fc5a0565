// The .properties format, and the sample config/server.properties.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/broker_config.h"
#include "config/properties.h"
#include "config_test_util.h"

namespace gregor::config {
namespace {

using testing::error_of;

Properties parse(std::string_view text) {
  StatusOr<Properties> props = parse_properties(text);
  EXPECT_TRUE(props.ok()) << props.status().to_string();
  return props.ok() ? *props : Properties{};
}

TEST(Properties, KeyValueSeparators) {
  EXPECT_EQ(parse("a=1\nb:2\nc 3\nd = 4\ne\t:\t5\nf\ng =\nh  :  \n"),
            (Properties{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", "5"}, {"f", ""}, {"g", ""}, {"h", ""}}));
}

TEST(Properties, OnlyOneSeparatorIsSkipped) {
  EXPECT_EQ(parse("k==v"), (Properties{{"k", "=v"}}));
  EXPECT_EQ(parse("k = =v"), (Properties{{"k", "=v"}}));
  EXPECT_EQ(parse("k :v"), (Properties{{"k", "v"}}));
  EXPECT_EQ(parse("k : : v"), (Properties{{"k", ": v"}}));
  EXPECT_EQ(parse("k v=w"), (Properties{{"k", "v=w"}}));
}

TEST(Properties, LeadingBlanksGoTrailingBlanksStay) {
  EXPECT_EQ(parse("  \t\fkey = value  \n"), (Properties{{"key", "value  "}}));
}

TEST(Properties, CommentsAndBlankLines) {
  EXPECT_EQ(parse("# comment\n! also a comment\n   # indented comment\n\n \t \nk=v\n#k=w\n"), (Properties{{"k", "v"}}));
  // '#' and '!' only start comments at the start of a line.
  EXPECT_EQ(parse("k=a#b!c"), (Properties{{"k", "a#b!c"}}));
}

TEST(Properties, LineEndings) {
  EXPECT_EQ(parse("a=1\r\nb=2\rc=3\n\rd=4"), (Properties{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}}));
}

TEST(Properties, ContinuationLines) {
  // The continuation's leading blanks are dropped, its backslash removed.
  EXPECT_EQ(parse("k = a\\\n    b\\\n\t c\nj=d"), (Properties{{"k", "abc"}, {"j", "d"}}));
  // Also across \r\n, and inside the key.
  EXPECT_EQ(parse("lo\\\r\n  ng=v"), (Properties{{"long", "v"}}));
  // A continued line may start with '#': it is not a comment.
  EXPECT_EQ(parse("k=a\\\n#b"), (Properties{{"k", "a#b"}}));
  // An even number of backslashes is escaped backslashes, not a continuation.
  EXPECT_EQ(parse("k=a\\\\\nj=b"), (Properties{{"k", "a\\"}, {"j", "b"}}));
  // A comment never continues.
  EXPECT_EQ(parse("# comment \\\nk=v"), (Properties{{"k", "v"}}));
  // An empty line ends the continuation; a continuation at the end of the text ends the line.
  EXPECT_EQ(parse("k=a\\\n\nj=b\\"), (Properties{{"k", "a"}, {"j", "b"}}));
}

TEST(Properties, Escapes) {
  EXPECT_EQ(parse(R"(k=\t\n\r\f\=\:\#\!\\\q\ x)"), (Properties{{"k", "\t\n\r\f=:#!\\q x"}}));
  // Escaped separators and blanks belong to the key.
  EXPECT_EQ(parse(R"(a\=b=c)"), (Properties{{"a=b", "c"}}));
  EXPECT_EQ(parse(R"(a\ b c)"), (Properties{{"a b", "c"}}));
  EXPECT_EQ(parse(R"(a\:b:c)"), (Properties{{"a:b", "c"}}));
}

TEST(Properties, UnicodeEscapesBecomeUtf8) {
  EXPECT_EQ(parse(R"(k=caf\u00e9 \u20AC \uD83D\uDE00 \u0041)"),
            (Properties{{"k", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 A"}}));
  // UTF-8 in the text passes through.
  EXPECT_EQ(parse("k=\xC3\xBC"), (Properties{{"k", "\xC3\xBC"}}));
}

TEST(Properties, LaterKeysWin) { EXPECT_EQ(parse("k=1\nk=2\nj=0\nk=3"), (Properties{{"j", "0"}, {"k", "3"}})); }

TEST(Properties, MalformedUnicodeEscapeNamesTheLine) {
  EXPECT_EQ(error_of(parse_properties("a=1\nb=\\u12\nc=3\n")), "line 2: Malformed \\uxxxx encoding.");
  EXPECT_EQ(error_of(parse_properties("a=\\u12zz")), "line 1: Malformed \\uxxxx encoding.");
  EXPECT_EQ(error_of(parse_properties("\\uXYZW=1")), "line 1: Malformed \\uxxxx encoding.");
  // The line of the escape, inside a continued logical line.
  EXPECT_EQ(error_of(parse_properties("# one\na=x\\\n  y\\\n  \\u00\n"), ErrorCode::invalid_config),
            "line 4: Malformed \\uxxxx encoding.");
  EXPECT_EQ(error_of(parse_properties("a=\\u", "server.properties")),
            "server.properties:1: Malformed \\uxxxx encoding.");
}

TEST(Properties, WriteEscapesAsPropertiesStore) {
  EXPECT_EQ(write_properties({{"a", "1"}, {"b", "x y"}}), "a=1\nb=x y\n");
  EXPECT_EQ(write_properties({{"k", "v"}}, "first\nsecond"), "#first\n#second\nk=v\n");
  EXPECT_EQ(write_properties({{"a b=c:d", " v#!\\"}}), "a\\ b\\=c\\:d=\\ v\\#\\!\\\\\n");
  EXPECT_EQ(write_properties({{"t", "\t\n\r\f\x01"}}), "t=\\t\\n\\r\\f\\u0001\n");
  EXPECT_EQ(write_properties({{"u", "caf\xC3\xA9\xF0\x9F\x98\x80"}}), "u=caf\\u00E9\\uD83D\\uDE00\n");
}

TEST(Properties, WriteThenParseRoundTrips) {
  Properties props = {
      {" key with spaces ", "  leading and trailing  "},
      {"a=b:c", "#!\\ \\"},
      {"tab\there", "line\nbreak\r\f"},
      {"unicode", "caf\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x82\xAC"},
      {"", "empty key"},
      {"empty", ""},
      {"#not a comment", "!"},
  };
  EXPECT_EQ(parse(write_properties(props, "a comment")), props);
}

TEST(SampleServerProperties, LoadsWithoutWarnings) {
  std::vector<std::string> warnings;
  StatusOr<BrokerConfig> config =
      BrokerConfig::load_file(std::string(GREGOR_SOURCE_DIR) + "/config/server.properties", {}, &warnings);
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  EXPECT_EQ(config->process_roles(), (std::vector<std::string>{"broker", "controller"}));
  EXPECT_EQ(config->node_id(), 1);
  EXPECT_EQ(config->quorum_voters(), (std::vector<QuorumVoter>{{1, "localhost", 9093}}));
  EXPECT_EQ(config->log_dirs(), (std::vector<std::string>{"/tmp/kraft-combined-logs"}));
  EXPECT_EQ(config->metadata_log_dir(), "/tmp/kraft-combined-logs");
  EXPECT_EQ(config->listeners(),
            (std::vector<Endpoint>{{"PLAINTEXT", "", 9092, "PLAINTEXT"}, {"CONTROLLER", "", 9093, "PLAINTEXT"}}));
  EXPECT_EQ(config->advertised_listeners(), (std::vector<Endpoint>{{"PLAINTEXT", "localhost", 9092, "PLAINTEXT"}}));
  EXPECT_EQ(config->advertised_controller_listeners(),
            (std::vector<Endpoint>{{"CONTROLLER", "localhost", 9093, "PLAINTEXT"}}));
  EXPECT_EQ(config->offsets_topic_replication_factor(), 1);
  EXPECT_EQ(config->transaction_state_log_min_isr(), 1);
  EXPECT_EQ(config->log_defaults().retention_ms, 168 * 3600000LL);
  EXPECT_EQ(config->log_defaults().flush_messages, 1);
}

TEST(SampleServerProperties, OverridesWin) {
  StatusOr<BrokerConfig> config =
      BrokerConfig::load_file(std::string(GREGOR_SOURCE_DIR) + "/config/server.properties",
                              {"num.partitions=3", "log.dirs=/a,/b", "num.partitions=4"}, nullptr);
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->num_partitions(), 4);
  EXPECT_EQ(config->log_dirs(), (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(config->originals().at("num.partitions"), "4");
}

TEST(SampleServerProperties, MissingFileIsAnError) {
  EXPECT_EQ(error_of(BrokerConfig::load_file("/nonexistent/server.properties", {}, nullptr)),
            "Cannot read config file /nonexistent/server.properties: No such file or directory");
}

}  // namespace
}  // namespace gregor::config
