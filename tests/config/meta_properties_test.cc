#include "config/meta_properties.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "config_test_util.h"
#include "storage/sim_file_system.h"

namespace gregor::config {
namespace {

using testing::combined_props;
using testing::error_of;
using testing::load;
using testing::with;

constexpr std::string_view kClusterId = "MkU3OEVBNTcwNTJENDM2Qg";  // a base64url Uuid, as in Kafka's docs

std::string text_of(storage::SimFileSystem& fs, const std::string& path) {
  StatusOr<Bytes> contents = fs.contents(path);
  EXPECT_TRUE(contents.ok()) << contents.status().to_string();
  return contents.ok() ? std::string(contents->begin(), contents->end()) : "";
}

void write_text(storage::SimFileSystem& fs, const std::string& path, std::string_view text) {
  ASSERT_TRUE(fs.create_dirs(storage::parent_path(path)).ok());
  ASSERT_TRUE(storage::write_file_atomically(fs, path, BytesView::of(text)).ok());
}

// Log dirs /data/a and /data/b, the metadata log in /meta.
BrokerConfig three_dirs(int node_id = 1) {
  return load(with(combined_props(), {{"node.id", std::to_string(node_id)},
                                      {"controller.quorum.voters", std::to_string(node_id) + "@localhost:9093"},
                                      {"log.dirs", "/data/a,/data/b"},
                                      {"metadata.log.dir", "/meta"}}));
}

TEST(MetaProperties, WriteThenReadRoundTrips) {
  storage::SimFileSystem fs;
  ASSERT_TRUE(fs.create_dirs("/data").ok());
  fs.sync_all();
  MetaProperties meta{1, std::string(kClusterId), 7, random_uuid()};
  ASSERT_TRUE(write_meta_properties(fs, "/data", meta).ok());
  StatusOr<std::optional<MetaProperties>> read = read_meta_properties(fs, "/data");
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(*read, meta);
  std::string text = text_of(fs, "/data/meta.properties");
  EXPECT_NE(text.find("version=1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("node.id=7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cluster.id=" + std::string(kClusterId) + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find("directory.id=" + meta.directory_id->to_string() + "\n"), std::string::npos) << text;
  // Durable: it survives a crash.
  fs.crash(1);
  EXPECT_EQ(*read_meta_properties(fs, "/data"), meta);
}

TEST(MetaProperties, NoFileIsNotFormatted) {
  storage::SimFileSystem fs;
  EXPECT_EQ(*read_meta_properties(fs, "/nowhere"), std::nullopt);
  ASSERT_TRUE(fs.create_dirs("/empty").ok());
  EXPECT_EQ(*read_meta_properties(fs, "/empty"), std::nullopt);
}

TEST(MetaProperties, ReadsKafkasFile) {
  // As Kafka's Properties.store writes it: a comment and a date first, in no particular order.
  storage::SimFileSystem fs;
  write_text(fs, "/k/meta.properties",
             "#\n#Tue Mar 12 10:00:00 UTC 2024\nnode.id=3\ndirectory.id=AAAAAAAAAAAAAAAAAAAAAQ\nversion=1\n"
             "cluster.id=" +
                 std::string(kClusterId) + "\n");
  MetaProperties meta = **read_meta_properties(fs, "/k");
  EXPECT_EQ(meta.version, 1);
  EXPECT_EQ(meta.node_id, 3);
  EXPECT_EQ(meta.cluster_id, std::string(kClusterId));
  EXPECT_EQ(meta.directory_id, Uuid::from_halves(0, 1));
}

TEST(MetaProperties, VersionZero) {
  StatusOr<MetaProperties> meta = MetaProperties::from_properties({{"broker.id", "4"}});
  ASSERT_TRUE(meta.ok()) << meta.status().to_string();
  EXPECT_EQ(meta->version, 0);
  EXPECT_EQ(meta->node_id, 4);
  EXPECT_EQ(meta->cluster_id, std::nullopt);
  EXPECT_EQ(meta->to_properties(), (Properties{{"broker.id", "4"}, {"version", "0"}}));
}

TEST(MetaProperties, BadFiles) {
  std::string cluster(kClusterId);
  auto error = [](const Properties& props) { return error_of(MetaProperties::from_properties(props)); };
  EXPECT_EQ(error({{"version", "1"}, {"node.id", "1"}}), "cluster.id was not found.");
  EXPECT_EQ(error({{"version", "1"}, {"cluster.id", cluster}}), "Failed to find required property node.id.");
  EXPECT_EQ(error({{"version", "1"}, {"cluster.id", cluster}, {"node.id", "one"}}),
            "Unable to read node.id as a base-10 number.");
  EXPECT_EQ(error({{"version", "2"}, {"cluster.id", cluster}, {"node.id", "1"}}),
            "Unknown meta.properties version number 2");
  EXPECT_EQ(error({{"version", "x"}}), "Invalid meta.properties version string 'x'");
  EXPECT_EQ(error({{"version", "1"}, {"cluster.id", cluster}, {"node.id", "1"}, {"directory.id", "nope"}}),
            "Unable to read directory.id as a Uuid: Input string `nope` decoded as 3 bytes, which is not equal to the "
            "expected 16 bytes of a base64-encoded UUID");
  // A file that does not parse names itself.
  storage::SimFileSystem fs;
  write_text(fs, "/d/meta.properties", "version=1\nnode.id=1\n");
  EXPECT_EQ(error_of(read_meta_properties(fs, "/d")),
            "Error while reading /d/meta.properties: cluster.id was not found.");
}

TEST(ClusterId, RandomIdsAreKafkaUuids) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string id = random_cluster_id();
    EXPECT_EQ(id.size(), 22u);
    EXPECT_FALSE(id.starts_with("-"));
    EXPECT_TRUE(validate_cluster_id(id).ok()) << id;
    std::optional<Uuid> uuid = Uuid::parse(id);
    ASSERT_TRUE(uuid.has_value()) << id;
    EXPECT_EQ(uuid->bytes[6] >> 4, 4) << id;       // version 4
    EXPECT_EQ(uuid->bytes[8] & 0xC0, 0x80) << id;  // IETF variant
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(ClusterId, InvalidIds) {
  EXPECT_TRUE(validate_cluster_id(kClusterId).ok());
  EXPECT_EQ(error_of(validate_cluster_id("my-cluster"), ErrorCode::invalid_config),
            "Cluster ID string my-cluster does not appear to be a valid UUID: Input string `my-cluster` decoded as 7 "
            "bytes, which is not equal to the expected 16 bytes of a base64-encoded UUID");
  EXPECT_EQ(error_of(validate_cluster_id("industrial-streaming-cluster-001"), ErrorCode::invalid_config),
            "Cluster ID string industrial-streaming-cluster-001 does not appear to be a valid UUID: Input string with "
            "prefix `industrial-streaming-clu` is too long to be decoded as a base64 UUID");
  EXPECT_EQ(error_of(validate_cluster_id("MkU3OEVBNTcwNTJENDM2Q!"), ErrorCode::invalid_config),
            "Cluster ID string MkU3OEVBNTcwNTJENDM2Q! does not appear to be a valid UUID: Illegal base64 character 21");
}

TEST(FormatStorage, FormatsEveryDirectory) {
  storage::SimFileSystem fs;
  BrokerConfig config = three_dirs();
  StatusOr<FormatResult> result = format_storage(fs, config, std::string(kClusterId), false);
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(result->formatted, (std::vector<std::string>{"/data/a", "/data/b", "/meta"}));
  EXPECT_TRUE(result->already_formatted.empty());

  StatusOr<FormattedStorage> storage = check_formatted(fs, config);
  ASSERT_TRUE(storage.ok()) << storage.status().to_string();
  EXPECT_EQ(storage->cluster_id, kClusterId);
  EXPECT_EQ(storage->node_id, 1);
  std::set<std::string> directory_ids;
  for (const auto& [dir, meta] : storage->dirs) {
    EXPECT_EQ(meta.version, 1);
    EXPECT_EQ(meta.node_id, 1);
    ASSERT_TRUE(meta.directory_id.has_value());
    directory_ids.insert(meta.directory_id->to_string());
  }
  EXPECT_EQ(directory_ids.size(), 3u);
  // Durable: the directories and files survive a crash.
  fs.crash(7);
  EXPECT_TRUE(check_formatted(fs, config).ok());
}

TEST(FormatStorage, AlreadyFormatted) {
  storage::SimFileSystem fs;
  BrokerConfig config = three_dirs();
  ASSERT_TRUE(format_storage(fs, config, std::string(kClusterId), false).ok());
  std::string before = text_of(fs, "/data/a/meta.properties");
  EXPECT_EQ(
      error_of(format_storage(fs, config, std::string(kClusterId), false)),
      "Log directory /data/a is already formatted. Use --ignore-formatted to ignore this directory and format the "
      "others.");
  StatusOr<FormatResult> again = format_storage(fs, config, std::string(kClusterId), true);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_TRUE(again->formatted.empty());
  EXPECT_EQ(again->already_formatted, (std::vector<std::string>{"/data/a", "/data/b", "/meta"}));
  EXPECT_EQ(text_of(fs, "/data/a/meta.properties"), before);
  // A directory added later is formatted alongside the others.
  BrokerConfig more =
      load(with(combined_props(), {{"log.dirs", "/data/a,/data/b,/data/c"}, {"metadata.log.dir", "/meta"}}));
  StatusOr<FormatResult> added = format_storage(fs, more, std::string(kClusterId), true);
  ASSERT_TRUE(added.ok()) << added.status().to_string();
  EXPECT_EQ(added->formatted, (std::vector<std::string>{"/data/c"}));
  EXPECT_TRUE(check_formatted(fs, more).ok());
}

TEST(FormatStorage, AnotherClusterOrNode) {
  storage::SimFileSystem fs;
  ASSERT_TRUE(format_storage(fs, three_dirs(), std::string(kClusterId), false).ok());
  std::string other = random_cluster_id();
  EXPECT_EQ(
      error_of(format_storage(fs, three_dirs(), other, true), ErrorCode::inconsistent_cluster_id),
      "Invalid cluster.id in: /data/a/meta.properties. Expected " + other + ", but read " + std::string(kClusterId));
  EXPECT_EQ(
      error_of(format_storage(fs, three_dirs(2), std::string(kClusterId), true)),
      "Stored node id 1 doesn't match previous node id 2 in /data/a/meta.properties. If you moved your data, make "
      "sure your configured node id matches. If you intend to create a new node, you should remove all data in "
      "your data directories.");
  EXPECT_EQ(error_of(format_storage(fs, three_dirs(), "not-a-uuid", false)),
            "Cluster ID string not-a-uuid does not appear to be a valid UUID: Input string `not-a-uuid` decoded as 7 "
            "bytes, which is not equal to the expected 16 bytes of a base64-encoded UUID");
}

TEST(FormatStorage, UnreadableDirectoriesAreSkipped) {
  storage::SimFileSystem fs;
  BrokerConfig config = load(with(combined_props(), {{"log.dirs", "/data/a,/data/b"}}));
  write_text(fs, "/data/a/meta.properties", "version=1\nnode.id=\\u00\n");
  StatusOr<FormatResult> result = format_storage(fs, config, std::string(kClusterId), false);
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(result->unreadable, (std::vector<std::string>{"/data/a"}));
  EXPECT_EQ(result->formatted, (std::vector<std::string>{"/data/b"}));
  BrokerConfig only_bad = load(with(combined_props(), {{"log.dirs", "/data/a"}}));
  EXPECT_EQ(error_of(format_storage(fs, only_bad, std::string(kClusterId), false)),
            "No available log directories to format.");
}

TEST(CheckFormatted, NotFormatted) {
  storage::SimFileSystem fs;
  BrokerConfig config = three_dirs();
  EXPECT_EQ(error_of(check_formatted(fs, config)), "No readable meta.properties files found.");
  BrokerConfig one = load(with(combined_props(), {{"log.dirs", "/data/a"}, {"metadata.log.dir", "/meta"}}));
  ASSERT_TRUE(format_storage(fs, one, std::string(kClusterId), false).ok());
  EXPECT_EQ(error_of(check_formatted(fs, config)),
            "No `meta.properties` found in /data/b (have you run `kafka-storage.sh` to format the directory?)");
}

TEST(CheckFormatted, MismatchedDirectories) {
  storage::SimFileSystem fs;
  BrokerConfig config = three_dirs();
  ASSERT_TRUE(format_storage(fs, config, std::string(kClusterId), false).ok());
  EXPECT_EQ(
      error_of(check_formatted(fs, three_dirs(2))),
      "Stored node id 1 doesn't match previous node id 2 in /data/a/meta.properties. If you moved your data, make "
      "sure your configured node id matches. If you intend to create a new node, you should remove all data in "
      "your data directories.");
  // One directory from another cluster.
  std::string other = random_cluster_id();
  ASSERT_TRUE(write_meta_properties(fs, "/data/b", {1, other, 1, random_uuid()}).ok());
  EXPECT_EQ(
      error_of(check_formatted(fs, config), ErrorCode::inconsistent_cluster_id),
      "Invalid cluster.id in: /data/b/meta.properties. Expected " + std::string(kClusterId) + ", but read " + other);
  // Two directories with one directory id.
  Uuid shared = random_uuid();
  ASSERT_TRUE(write_meta_properties(fs, "/data/a", {1, std::string(kClusterId), 1, shared}).ok());
  ASSERT_TRUE(write_meta_properties(fs, "/data/b", {1, std::string(kClusterId), 1, shared}).ok());
  EXPECT_EQ(error_of(check_formatted(fs, config)), "Duplicate directory ID Optional[" + shared.to_string() +
                                                       "] found. It was the ID of /data/a, but also of /data/b");
}

TEST(CheckFormatted, MetadataDirectoryUnreadable) {
  storage::SimFileSystem fs;
  BrokerConfig config = three_dirs();
  ASSERT_TRUE(format_storage(fs, config, std::string(kClusterId), false).ok());
  write_text(fs, "/meta/meta.properties", "version=7\n");
  EXPECT_EQ(error_of(check_formatted(fs, config)),
            "Encountered I/O error in metadata log directory /meta. Cannot continue. (Error while reading "
            "/meta/meta.properties: Unknown meta.properties version number 7)");
}

TEST(CheckFormatted, MissingDirectoryIdIsAssigned) {
  storage::SimFileSystem fs;
  BrokerConfig config = load(with(combined_props(), {{"log.dirs", "/data/a"}}));
  ASSERT_TRUE(fs.create_dirs("/data/a").ok());
  ASSERT_TRUE(write_meta_properties(fs, "/data/a", {1, std::string(kClusterId), 1, std::nullopt}).ok());
  StatusOr<FormattedStorage> storage = check_formatted(fs, config);
  ASSERT_TRUE(storage.ok()) << storage.status().to_string();
  ASSERT_TRUE(storage->dirs.at("/data/a").directory_id.has_value());
  EXPECT_EQ(**read_meta_properties(fs, "/data/a"), storage->dirs.at("/data/a"));
}

TEST(EmbeddedDefault, FormatsOnceThenKeepsTheClusterId) {
  storage::SimFileSystem fs;
  StatusOr<BrokerConfig> config = BrokerConfig::embedded_default("/gregor/data", {}, nullptr);
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  StatusOr<FormattedStorage> first = ensure_formatted_for_embedded_default(fs, *config);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_TRUE(validate_cluster_id(first->cluster_id).ok());
  EXPECT_EQ(first->node_id, 1);
  std::string before = text_of(fs, "/gregor/data/meta.properties");

  StatusOr<FormattedStorage> second = ensure_formatted_for_embedded_default(fs, *config);
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  EXPECT_EQ(second->cluster_id, first->cluster_id);
  EXPECT_EQ(text_of(fs, "/gregor/data/meta.properties"), before);

  // A log dir added later joins the same cluster.
  StatusOr<BrokerConfig> more =
      BrokerConfig::embedded_default("/gregor/data", {"log.dirs=/gregor/data,/gregor/more"}, nullptr);
  ASSERT_TRUE(more.ok()) << more.status().to_string();
  StatusOr<FormattedStorage> third = ensure_formatted_for_embedded_default(fs, *more);
  ASSERT_TRUE(third.ok()) << third.status().to_string();
  EXPECT_EQ(third->cluster_id, first->cluster_id);
  EXPECT_EQ(third->dirs.size(), 2u);
}

}  // namespace
}  // namespace gregor::config
