// Kafka's text checkpoint files and partition.metadata: exact bytes written, what reads back,
// and what is rejected.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "storage/checkpoint_file.h"
#include "storage/partition_metadata.h"
#include "storage/posix_file_system.h"
#include "temp_dir.h"

namespace gregor::storage {
namespace {

using testing::TempDir;

class CheckpointFile : public ::testing::Test {
 protected:
  std::string slurp(const std::string& path) {
    auto bytes = read_file(fs_, path);
    EXPECT_TRUE(bytes.ok()) << bytes.status().to_string();
    return bytes.ok() ? std::string(bytes->begin(), bytes->end()) : std::string();
  }
  void put(const std::string& path, std::string_view text) {
    ASSERT_TRUE(write_file_atomically(fs_, path, BytesView::of(text)).ok());
  }
  // The error reading text as an offset checkpoint; fails the test when it reads fine.
  Status offset_error(std::string_view text) {
    std::string path = dir_.file("replication-offset-checkpoint");
    put(path, text);
    auto read = read_offset_checkpoint(fs_, path);
    EXPECT_FALSE(read.ok()) << "accepted " << quote_for_message(text);
    if (read.ok()) return {};
    EXPECT_EQ(read.status().code(), ErrorCode::kafka_storage_error);
    EXPECT_NE(read.status().message().find(path), std::string::npos) << read.status().message();
    EXPECT_EQ(read.status().message().find('\n'), std::string::npos) << read.status().message();
    return read.status();
  }

  TempDir dir_;
  PosixFileSystem fs_;
};

TEST_F(CheckpointFile, OffsetCheckpointHasKafkasExactBytes) {
  std::string path = dir_.file(std::string(kRecoveryPointOffsetCheckpointFile));
  OffsetCheckpoint offsets{{{"foo", 1}, 20}, {{"bar", 2}, 5}, {{"foo", 0}, 10}};
  ASSERT_TRUE(write_offset_checkpoint(fs_, path, offsets).ok());
  EXPECT_EQ(slurp(path), "0\n3\nbar 2 5\nfoo 0 10\nfoo 1 20\n");
  EXPECT_FALSE(fs_.exists(path + ".tmp"));

  auto read = read_offset_checkpoint(fs_, path);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(*read, offsets);
}

TEST_F(CheckpointFile, EmptyOffsetCheckpoint) {
  std::string path = dir_.file(std::string(kLogStartOffsetCheckpointFile));
  ASSERT_TRUE(write_offset_checkpoint(fs_, path, {}).ok());
  EXPECT_EQ(slurp(path), "0\n0\n");
  auto read = read_offset_checkpoint(fs_, path);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->empty());
}

TEST_F(CheckpointFile, RewriteReplacesTheWholeFile) {
  std::string path = dir_.file(std::string(kCleanerOffsetCheckpointFile));
  ASSERT_TRUE(write_offset_checkpoint(fs_, path, {{{"a", 0}, 1}, {{"b", 0}, 2}, {{"c", 0}, 3}}).ok());
  ASSERT_TRUE(write_offset_checkpoint(fs_, path, {{{"a", 0}, 9}}).ok());
  EXPECT_EQ(slurp(path), "0\n1\na 0 9\n");
}

TEST_F(CheckpointFile, ExtremeValuesRoundTrip) {
  std::string path = dir_.file("replication-offset-checkpoint");
  OffsetCheckpoint offsets{{{"t", INT32_MAX}, INT64_MAX},
                           {{"t", -1}, INT64_MIN},
                           {{"__consumer_offsets", 49}, -1},
                           {{"a.b_c-d", 0}, 0}};
  ASSERT_TRUE(write_offset_checkpoint(fs_, path, offsets).ok());
  EXPECT_EQ(slurp(path),
            "0\n4\n__consumer_offsets 49 -1\na.b_c-d 0 0\nt -1 -9223372036854775808\n"
            "t 2147483647 9223372036854775807\n");
  auto read = read_offset_checkpoint(fs_, path);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(*read, offsets);
}

TEST_F(CheckpointFile, LeaderEpochCheckpointHasKafkasExactBytes) {
  std::string path = dir_.file(std::string(kLeaderEpochCheckpointFile));
  std::vector<EpochEntry> entries{{0, 0}, {1, 100}, {3, 250}};
  ASSERT_TRUE(write_leader_epoch_checkpoint(fs_, path, entries).ok());
  EXPECT_EQ(slurp(path), "0\n3\n0 0\n1 100\n3 250\n");
  auto read = read_leader_epoch_checkpoint(fs_, path);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(*read, entries);

  ASSERT_TRUE(write_leader_epoch_checkpoint(fs_, path, {}).ok());
  EXPECT_EQ(slurp(path), "0\n0\n");
}

TEST_F(CheckpointFile, LeaderEpochEntriesReadInFileOrderUnchecked) {
  // The file format does not order or validate entries; the cache does when loading.
  std::string path = dir_.file(std::string(kLeaderEpochCheckpointFile));
  put(path, "0\n3\n5 10\n2 3\n-1 -7\n");
  auto read = read_leader_epoch_checkpoint(fs_, path);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(*read, (std::vector<EpochEntry>{{5, 10}, {2, 3}, {-1, -7}}));
}

TEST_F(CheckpointFile, GenericLinesRoundTrip) {
  std::string path = dir_.file("custom-checkpoint");
  std::vector<std::string> lines{"a b c", "", "  spaced  "};
  ASSERT_TRUE(write_checkpoint(fs_, path, lines, 3).ok());
  EXPECT_EQ(slurp(path), "3\n3\na b c\n\n  spaced  \n");
  auto read = read_checkpoint(fs_, path, 3);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(*read, lines);

  auto wrong_version = read_checkpoint(fs_, path, 0);
  ASSERT_FALSE(wrong_version.ok());
  EXPECT_NE(wrong_version.status().message().find("Unrecognised version 3"), std::string::npos);
}

TEST_F(CheckpointFile, WriterRejectsWhatCouldNotBeReadBack) {
  std::string path = dir_.file("custom-checkpoint");
  EXPECT_FALSE(write_checkpoint(fs_, path, {"ok", "two\nlines"}).ok());
  EXPECT_FALSE(write_checkpoint(fs_, path, {"cr\r"}).ok());
  EXPECT_FALSE(write_offset_checkpoint(fs_, path, {{{"has space", 0}, 1}}).ok());
  EXPECT_FALSE(write_offset_checkpoint(fs_, path, {{{"", 0}, 1}}).ok());
  EXPECT_FALSE(fs_.exists(path));
}

TEST_F(CheckpointFile, WriteFailureIsAStorageError) {
  std::string path = join_path(dir_.file("no-such-dir"), "replication-offset-checkpoint");
  Status s = write_offset_checkpoint(fs_, path, {{{"t", 0}, 1}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kafka_storage_error);
  EXPECT_NE(s.message().find("no-such-dir"), std::string::npos) << s.message();
}

TEST_F(CheckpointFile, MissingFileReadsAsEmpty) {
  // Kafka creates a checkpoint file empty when it opens it, so a missing one holds no entries.
  std::string path = dir_.file("recovery-point-offset-checkpoint");
  auto offsets = read_offset_checkpoint(fs_, path);
  ASSERT_TRUE(offsets.ok()) << offsets.status().to_string();
  EXPECT_TRUE(offsets->empty());
  auto epochs = read_leader_epoch_checkpoint(fs_, path);
  ASSERT_TRUE(epochs.ok());
  EXPECT_TRUE(epochs->empty());
  auto lines = read_checkpoint(fs_, path);
  ASSERT_TRUE(lines.ok());
  EXPECT_TRUE(lines->empty());
  EXPECT_FALSE(fs_.exists(path));
}

TEST_F(CheckpointFile, TruncatedHeadersReadAsEmpty) {
  // Kafka returns no entries when the file ends before the version or count line.
  std::string path = dir_.file("recovery-point-offset-checkpoint");
  for (std::string_view text : {"", "0", "0\n", "0\r\n"}) {
    put(path, text);
    auto read = read_offset_checkpoint(fs_, path);
    ASSERT_TRUE(read.ok()) << quote_for_message(text) << ": " << read.status().to_string();
    EXPECT_TRUE(read->empty());
  }
}

TEST_F(CheckpointFile, ReadsAsJavasReadLineAndSplit) {
  // "\r\n", "\r" and "\n" all end lines; the last needs no terminator; entries split on runs
  // of whitespace, trailing whitespace ignored; numbers may carry a sign.
  std::string path = dir_.file("replication-offset-checkpoint");
  put(path, "0\r\n+4\rt 0\t5\nt  1 \x0B 6  \r\nu 2 +7\nu -0 -8");
  auto read = read_offset_checkpoint(fs_, path);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(*read, (OffsetCheckpoint{{{"t", 0}, 5}, {{"t", 1}, 6}, {{"u", 2}, 7}, {{"u", 0}, -8}}));
}

TEST_F(CheckpointFile, DuplicatePartitionKeepsTheLastOffset) {
  std::string path = dir_.file("replication-offset-checkpoint");
  put(path, "0\n3\nt 0 5\nt 1 1\nt 0 7\n");
  auto read = read_offset_checkpoint(fs_, path);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(*read, (OffsetCheckpoint{{{"t", 0}, 7}, {{"t", 1}, 1}}));
}

TEST_F(CheckpointFile, RejectsUnknownVersion) {
  Status s = offset_error("1\n0\n");
  EXPECT_NE(s.message().find("Unrecognised version 1 on line 1"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("expected version 0"), std::string::npos) << s.message();
}

TEST_F(CheckpointFile, RejectsUnparsableHeaderLines) {
  for (std::string_view text : {"zero\n0\n", " 0\n0\n", "0 \n0\n", "2147483648\n", "\n0\n"}) {
    Status s = offset_error(text);
    EXPECT_NE(s.message().find("Malformed line 1 in checkpoint file"), std::string::npos) << s.message();
  }
  for (std::string_view text : {"0\nx\n", "0\n1.0\nt 0 1\n", "0\n-1\n", "0\n\n"}) {
    Status s = offset_error(text);
    EXPECT_NE(s.message().find("Malformed line 2 in checkpoint file"), std::string::npos) << s.message();
  }
}

TEST_F(CheckpointFile, RejectsFewerEntriesThanCounted) {
  Status s = offset_error("0\n3\nt 0 1\nt 1 2\n");
  EXPECT_NE(s.message().find("Expected 3 entries"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("found 2"), std::string::npos) << s.message();
  offset_error("0\n1\n");
}

TEST_F(CheckpointFile, RejectsMoreEntriesThanCounted) {
  // Kafka reads every line to the end of the file and compares with the count.
  Status s = offset_error("0\n1\nt 0 1\nt 1 2\n");
  EXPECT_NE(s.message().find("Expected 1 entries"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("found 2"), std::string::npos) << s.message();
  offset_error("0\n0\nt 0 1\n");
}

TEST_F(CheckpointFile, RejectsTrailingBlankLine) {
  Status s = offset_error("0\n1\nt 0 1\n\n");
  EXPECT_NE(s.message().find("Malformed line 4 in checkpoint file"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(": \"\""), std::string::npos) << s.message();
}

TEST_F(CheckpointFile, RejectsMalformedOffsetEntries) {
  for (std::string_view entry : {"t 0", "t 0 1 2", " t 0 1", "t x 1", "t 0 1x", "t 0 0x10",
                                 "t 2147483648 1", "t 0 9223372036854775808", "t 0 -", "t 0 1.5"}) {
    std::string text = "0\n2\nt 5 5\n" + std::string(entry) + "\n";
    Status s = offset_error(text);
    EXPECT_NE(s.message().find("Malformed line 4 in checkpoint file"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(quote_for_message(entry)), std::string::npos) << s.message();
  }
}

TEST_F(CheckpointFile, MalformedLineReportedBeforeCountMismatch) {
  Status s = offset_error("0\n5\nt 0 1\nnot an entry at all\n");
  EXPECT_NE(s.message().find("Malformed line 4"), std::string::npos) << s.message();
}

TEST_F(CheckpointFile, RejectsMalformedEpochEntries) {
  std::string path = dir_.file(std::string(kLeaderEpochCheckpointFile));
  for (std::string_view entry : {"1", "1 2 3", "x 2", "1 y", "2147483648 0", " 1 2"}) {
    put(path, "0\n1\n" + std::string(entry) + "\n");
    auto read = read_leader_epoch_checkpoint(fs_, path);
    ASSERT_FALSE(read.ok()) << entry;
    EXPECT_EQ(read.status().code(), ErrorCode::kafka_storage_error);
    EXPECT_EQ(read.status().message(),
              "Malformed line 3 in checkpoint file " + path + ": " + quote_for_message(entry));
  }
}

TEST_F(CheckpointFile, RejectsInvalidUtf8) {
  Status s = offset_error("0\n1\nt\xC3\x28 0 1\n");
  EXPECT_NE(s.message().find("not valid UTF-8"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("line 3"), std::string::npos) << s.message();
  // Valid multi-byte UTF-8 is just part of the entry.
  std::string path = dir_.file("replication-offset-checkpoint");
  put(path, "0\n1\nt\xC3\xA9 0 1\n");
  auto read = read_offset_checkpoint(fs_, path);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(read->begin()->first.topic, "t\xC3\xA9");
}

TEST_F(CheckpointFile, Utf8ValidationMatchesJavasStrictDecoder) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("\xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"));
  size_t bad = 99;
  EXPECT_FALSE(is_valid_utf8("ab\xC0\x80", &bad));  // overlong NUL
  EXPECT_EQ(bad, 2u);
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\x80"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(is_valid_utf8("\x80"));              // stray continuation
}

TEST_F(CheckpointFile, SplitsLinesAsJavaReadLine) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(split_java_lines(""), V{});
  EXPECT_EQ(split_java_lines("\n"), V{""});
  EXPECT_EQ(split_java_lines("a"), V{"a"});
  EXPECT_EQ(split_java_lines("a\n"), V{"a"});
  EXPECT_EQ(split_java_lines("a\r\n\r\nb\rc\n\n"), (V{"a", "", "b", "c", ""}));
  EXPECT_EQ(split_java_lines("\r\r\n"), (V{"", ""}));
}

TEST_F(CheckpointFile, QuotesLinesForMessages) {
  EXPECT_EQ(quote_for_message("t 0 1"), "\"t 0 1\"");
  EXPECT_EQ(quote_for_message("a\"b\\c\x01\xFF"), "\"a\\\"b\\\\c\\x01\\xff\"");
  std::string long_line(200, 'x');
  EXPECT_EQ(quote_for_message(long_line), "\"" + std::string(120, 'x') + "\"...");
}

// ---- partition.metadata ----------------------------------------------------------------------

// Named as the suite; the struct is spelled storage::PartitionMetadata below.
class PartitionMetadata : public CheckpointFile {
 protected:
  std::string path() { return partition_metadata_path(dir_.path()); }
  Status read_error(std::string_view text) {
    put(path(), text);
    auto read = read_partition_metadata(fs_, dir_.path());
    EXPECT_FALSE(read.ok()) << "accepted " << quote_for_message(text);
    if (read.ok()) return {};
    EXPECT_EQ(read.status().code(), ErrorCode::kafka_storage_error);
    EXPECT_NE(read.status().message().find(path()), std::string::npos) << read.status().message();
    EXPECT_EQ(read.status().message().find('\n'), std::string::npos) << read.status().message();
    return read.status();
  }
  StatusOr<storage::PartitionMetadata> read_text(std::string_view text) {
    put(path(), text);
    return read_partition_metadata(fs_, dir_.path());
  }
};

TEST_F(PartitionMetadata, WritesKafkasExactBytes) {
  Uuid id = Uuid::from_halves(0x1234567890abcdefull, 0x0fedcba987654321ull);
  ASSERT_TRUE(write_partition_metadata(fs_, dir_.path(), id).ok());
  // Kafka writes no line break after the topic id.
  EXPECT_EQ(slurp(path()), "version: 0\ntopic_id: " + id.to_string());
  EXPECT_EQ(encode_partition_metadata(Uuid::from_halves(0, 1)),
            "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ");
  EXPECT_EQ(file_name(path()), "partition.metadata");
  EXPECT_FALSE(fs_.exists(path() + ".tmp"));

  auto read = read_partition_metadata(fs_, dir_.path());
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(read->version, 0);
  EXPECT_EQ(read->topic_id, id);
}

TEST_F(PartitionMetadata, RefusesToWriteZeroTopicId) {
  EXPECT_FALSE(write_partition_metadata(fs_, dir_.path(), Uuid::zero()).ok());
  EXPECT_FALSE(fs_.exists(path()));
}

TEST_F(PartitionMetadata, ReadsWhatKafkaAccepts) {
  Uuid id = Uuid::from_halves(0, 1);
  for (std::string_view text : {"version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n",
                                "version: 0\r\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\r\n",
                                "version:  \t0\ntopic_id:\tAAAAAAAAAAAAAAAAAAAAAQ\nanything: else\n",
                                // Java's base64 decoder takes padding and ignores unused bits.
                                "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ==",
                                "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAR"}) {
    auto read = read_text(text);
    ASSERT_TRUE(read.ok()) << quote_for_message(text) << ": " << read.status().to_string();
    EXPECT_EQ(*read, (storage::PartitionMetadata{0, id}));
  }
}

TEST_F(PartitionMetadata, AcceptsLaterVersionsForDowngrade) {
  auto read = read_text("version: 1\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ");
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(read->version, 1);
  read = read_text("version: +000000000002\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ");
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(read->version, 2);
  EXPECT_FALSE(read_text("version: 2147483648\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ").ok());
}

TEST_F(PartitionMetadata, RejectsMalformedFiles) {
  EXPECT_NE(read_error("").message().find("Missing line 1"), std::string::npos);
  EXPECT_NE(read_error("version: 0\n").message().find("Missing line 2"), std::string::npos);
  for (std::string_view text : {"version:0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ",
                                "Version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ",
                                " version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ",
                                "version: zero\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ",
                                "version: 0 \ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ",
                                "version: \ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ"}) {
    Status s = read_error(text);
    EXPECT_NE(s.message().find("Malformed line 1 in partition metadata file"), std::string::npos)
        << s.message();
  }
  for (std::string_view text : {"version: 0\ntopic: AAAAAAAAAAAAAAAAAAAAAQ",
                                "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAA",
                                "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ=",
                                "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQAA",
                                "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAA+Q",
                                "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ ",
                                "version: 0\ntopic_id: 00000000-0000-0000-0000-000000000001"}) {
    Status s = read_error(text);
    EXPECT_NE(s.message().find("Malformed line 2 in partition metadata file"), std::string::npos)
        << s.message();
  }
}

TEST_F(PartitionMetadata, RejectsNegativeVersionAndZeroTopicId) {
  Status version = read_error("version: -1\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ");
  EXPECT_NE(version.message().find("Unrecognized version -1 on line 1"), std::string::npos)
      << version.message();
  Status zero = read_error("version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_NE(zero.message().find("Invalid topic ID"), std::string::npos) << zero.message();
}

TEST_F(PartitionMetadata, MissingFileIsAnError) {
  // Kafka checks that the file exists before reading it; reading a missing one fails.
  auto read = read_partition_metadata(fs_, dir_.path());
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), ErrorCode::kafka_storage_error);
  EXPECT_NE(read.status().message().find("partition.metadata"), std::string::npos);
}

}  // namespace
}  // namespace gregor::storage
