// The segment dump in Kafka's DumpLogSegments format: .log files shallow and deep, with data,
// compressed, transactional and control batches, torn and corrupt tails; .index and .timeindex
// files with their checks against the log. Logs are written by a real Log on the simulated file
// system and dumped from their files alone.
#include "storage/dump.h"

#include <gtest/gtest.h>

#include <sstream>

#include "common/endian.h"
#include "log_test_util.h"
#include "record/control_record.h"
#include "storage/log.h"
#include "storage/sim_file_system.h"

namespace gregor::storage {
namespace {

using testing::make_batch;

constexpr const char* kDir = "/data/topic-0";
const std::string kLog0 = std::string(kDir) + "/00000000000000000000.log";
const std::string kIndex0 = std::string(kDir) + "/00000000000000000000.index";
const std::string kTimeIndex0 = std::string(kDir) + "/00000000000000000000.timeindex";

class DumpTest : public ::testing::Test {
 protected:
  LogConfig config() {
    LogConfig c;
    c.message_timestamp_after_max_ms = LogConfig::kLongMax;
    c.retention_ms = -1;
    return c;
  }

  std::unique_ptr<Log> open(LogConfig c) {
    Log::Options o;
    o.dir = kDir;
    o.config = c;
    auto log = Log::open(fs, clock, syncs, o);
    EXPECT_TRUE(log.ok()) << log.status().to_string();
    return log.ok() ? std::move(*log) : nullptr;
  }

  void wait_durable(Log& log, const StatusOr<AppendResult>& r) {
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    Status durable(ErrorCode::unknown_server_error, "not called");
    log.when_durable(r->last_offset + 1, [&](Status s) { durable = s; });
    EXPECT_TRUE(durable.ok()) << durable.to_string();
  }

  // Appends a batch as leader (epoch 3) and waits for it to be durable.
  void append(Log& log, Bytes batch) { wait_durable(log, log.append_as_leader(batch, 3)); }

  // Three batches of three records, k<i>=v<i> at 1000 + i: 94 bytes each.
  void write_three_batches(LogConfig c) {
    auto log = open(c);
    for (int b = 0; b < 3; ++b) append(*log, make_batch(3, 1000 + b * 3, b * 3));
    ASSERT_TRUE(log->close().ok());
  }

  std::string dump(const std::string& path, const DumpOptions& options = {}) {
    std::ostringstream out;
    Status s = dump_file(fs, path, options, out);
    EXPECT_TRUE(s.ok()) << s.to_string();
    return out.str();
  }

  // Overwrites bytes of a file in place (creating it when missing).
  void patch(const std::string& path, uint64_t at, BytesView bytes) {
    auto file = fs.open(path, OpenMode::create);
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    ASSERT_TRUE((*file)->write_at(at, bytes).ok());
  }

  void truncate(const std::string& path, uint64_t size) {
    auto file = fs.open(path, OpenMode::read_write);
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    ASSERT_TRUE((*file)->truncate(size).ok());
  }

  uint64_t size_of(const std::string& path) { return fs.contents(path)->size(); }

  SimFileSystem fs;
  ManualClock clock{1'700'000'000'000};
  InlineSyncExecutor syncs;
};

// The batch lines of write_three_batches' log.
const std::string kBatch0 =
    "baseOffset: 0 lastOffset: 2 count: 3 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 "
    "partitionLeaderEpoch: 3 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty "
    "position: 0 CreateTime: 1002 size: 94 magic: 2 compresscodec: none crc: 1634506295 isvalid: true\n";
const std::string kBatch1 =
    "baseOffset: 3 lastOffset: 5 count: 3 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 "
    "partitionLeaderEpoch: 3 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty "
    "position: 94 CreateTime: 1005 size: 94 magic: 2 compresscodec: none crc: 2959742969 isvalid: true\n";
const std::string kBatch2 =
    "baseOffset: 6 lastOffset: 8 count: 3 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 "
    "partitionLeaderEpoch: 3 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty "
    "position: 188 CreateTime: 1008 size: 94 magic: 2 compresscodec: none crc: 2678178871 isvalid: true\n";

std::string record_line(int i, bool data) {
  std::string size = i < 10 ? "2" : "3";
  std::string s = "| offset: " + std::to_string(i) + " CreateTime: " + std::to_string(1000 + i) + " keySize: " + size +
                  " valueSize: " + size + " sequence: -1 headerKeys: []";
  if (data) s += " key: k" + std::to_string(i) + " payload: v" + std::to_string(i);
  return s + "\n";
}

TEST_F(DumpTest, DumpLogShallowListsEveryBatch) {
  write_three_batches(config());
  EXPECT_EQ(dump(kLog0), "Dumping " + kLog0 + "\nLog starting offset: 0\n" + kBatch0 + kBatch1 + kBatch2);
}

TEST_F(DumpTest, DumpLogDeepIterationListsRecordsAfterTheirBatch) {
  write_three_batches(config());
  DumpOptions o;
  o.deep_iteration = true;
  std::string want = "Dumping " + kLog0 + "\nLog starting offset: 0\n" + kBatch0;
  for (int i = 0; i < 3; ++i) want += record_line(i, false);
  want += kBatch1;
  for (int i = 3; i < 6; ++i) want += record_line(i, false);
  want += kBatch2;
  for (int i = 6; i < 9; ++i) want += record_line(i, false);
  EXPECT_EQ(dump(kLog0, o), want);
}

TEST_F(DumpTest, DumpLogPrintDataLogImpliesDeepIteration) {
  write_three_batches(config());
  DumpOptions o;
  o.print_data_log = true;
  std::string want = "Dumping " + kLog0 + "\nLog starting offset: 0\n" + kBatch0;
  for (int i = 0; i < 3; ++i) want += record_line(i, true);
  want += kBatch1;
  for (int i = 3; i < 6; ++i) want += record_line(i, true);
  want += kBatch2;
  for (int i = 6; i < 9; ++i) want += record_line(i, true);
  EXPECT_EQ(dump(kLog0, o), want);

  o.skip_record_metadata = true;
  std::string bare = dump(kLog0, o);
  EXPECT_NE(bare.find(kBatch0 + "| key: k0 payload: v0\n| key: k1 payload: v1\n"), std::string::npos) << bare;
}

TEST_F(DumpTest, DumpLogPrintsNullsHeadersAndInvalidUtf8AsKafka) {
  auto log = open(config());
  record::RecordBatchBuilder builder(record::BatchOptions{});
  record::Header headers[] = {{"trace", BytesView::of("abc")}, {"h\xC3\xA9", std::nullopt}};
  builder.append(2000, std::nullopt, BytesView::of("only value"), headers);
  builder.append(2001, BytesView::of("only key"), std::nullopt);
  builder.append(2002, BytesView::of("bad\xFF"), BytesView::of("caf\xC3\xA9 \xE2\x82"));
  Bytes batch;
  ASSERT_FALSE(builder.finish(batch));
  append(*log, batch);
  ASSERT_TRUE(log->close().ok());

  DumpOptions o;
  o.print_data_log = true;
  std::string out = dump(kLog0, o);
  EXPECT_NE(out.find("\n| offset: 0 CreateTime: 2000 keySize: -1 valueSize: 10 sequence: -1 "
                     "headerKeys: [trace,h\xC3\xA9] payload: only value\n"
                     "| offset: 1 CreateTime: 2001 keySize: 8 valueSize: -1 sequence: -1 headerKeys: [] key: only key\n"
                     "| offset: 2 CreateTime: 2002 keySize: 4 valueSize: 8 sequence: -1 headerKeys: [] "
                     "key: bad\xEF\xBF\xBD payload: caf\xC3\xA9 \xEF\xBF\xBD\n"),
            std::string::npos)
      << out;
  o.skip_record_metadata = true;
  out = dump(kLog0, o);
  EXPECT_NE(out.find("isvalid: true\n| payload: only value\n| key: only key\n| key: bad"), std::string::npos) << out;
}

TEST_F(DumpTest, DumpLogCompressedBatchesShowTheirCodecAndRecords) {
  auto log = open(config());
  append(*log, make_batch(4, 1000, 0, record::Compression::gzip));
  append(*log, make_batch(4, 1004, 4, record::Compression::lz4));
  append(*log, make_batch(4, 1008, 8, record::Compression::zstd));
  append(*log, make_batch(4, 1012, 12, record::Compression::snappy));
  ASSERT_TRUE(log->close().ok());

  DumpOptions o;
  o.print_data_log = true;
  std::istringstream out(dump(kLog0, o));
  std::vector<std::string> lines;
  for (std::string line; std::getline(out, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 2u + 4 * 5);
  EXPECT_EQ(lines[0], "Dumping " + kLog0);
  EXPECT_EQ(lines[1], "Log starting offset: 0");
  const char* codecs[] = {"gzip", "lz4", "zstd", "snappy"};
  uint64_t position = 0;
  for (int b = 0; b < 4; ++b) {
    const std::string& line = lines[2 + b * 5];
    std::string head = "baseOffset: " + std::to_string(b * 4) + " lastOffset: " + std::to_string(b * 4 + 3) +
                       " count: 4 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 "
                       "partitionLeaderEpoch: 3 isTransactional: false isControl: false "
                       "deleteHorizonMs: OptionalLong.empty position: " +
                       std::to_string(position) + " CreateTime: " + std::to_string(1000 + b * 4 + 3) + " size: ";
    EXPECT_EQ(line.substr(0, head.size()), head);
    uint64_t size = std::stoull(line.substr(head.size()));
    EXPECT_NE(line.find(" magic: 2 compresscodec: " + std::string(codecs[b]) + " crc: "), std::string::npos) << line;
    EXPECT_TRUE(line.ends_with(" isvalid: true")) << line;
    position += size;
    for (int i = 0; i < 4; ++i) {
      int offset = b * 4 + i;
      EXPECT_EQ(lines[2 + b * 5 + 1 + i] + "\n", record_line(offset, true));
    }
  }
  EXPECT_EQ(position, size_of(kLog0));
}

TEST_F(DumpTest, DumpLogShowsProducerFieldsAndTransactionMarkers) {
  auto log = open(config());
  record::BatchOptions txn;
  txn.producer_id = 7;
  txn.producer_epoch = 1;
  txn.base_sequence = 5;
  txn.transactional = true;
  record::RecordBatchBuilder builder(txn);
  builder.append(3000, BytesView::of("a"), BytesView::of("1"));
  builder.append(3001, BytesView::of("b"), BytesView::of("2"));
  Bytes batch;
  ASSERT_FALSE(builder.finish(batch));
  append(*log, batch);

  record::BatchOptions marker;
  marker.base_offset = log->log_end_offset();
  marker.partition_leader_epoch = 3;
  marker.producer_id = 7;
  marker.producer_epoch = 1;
  Bytes commit;
  ASSERT_FALSE(record::build_end_txn_batch(marker, {record::ControlRecordType::commit, 5}, 3005, commit));
  wait_durable(*log, log->append_as_follower(commit));
  ASSERT_TRUE(log->close().ok());

  DumpOptions o;
  o.print_data_log = true;  // control records print no key or payload
  std::string out = dump(kLog0, o);
  EXPECT_EQ(out,
            "Dumping " + kLog0 +
                "\nLog starting offset: 0\n"
                "baseOffset: 0 lastOffset: 1 count: 2 baseSequence: 5 lastSequence: 6 producerId: 7 "
                "producerEpoch: 1 partitionLeaderEpoch: 3 isTransactional: true isControl: false "
                "deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 3001 size: 79 magic: 2 "
                "compresscodec: none crc: 1904932823 isvalid: true\n"
                "| offset: 0 CreateTime: 3000 keySize: 1 valueSize: 1 sequence: 5 headerKeys: [] "
                "key: a payload: 1\n"
                "| offset: 1 CreateTime: 3001 keySize: 1 valueSize: 1 sequence: 6 headerKeys: [] "
                "key: b payload: 2\n"
                "baseOffset: 2 lastOffset: 2 count: 1 baseSequence: -1 lastSequence: -1 producerId: 7 "
                "producerEpoch: 1 partitionLeaderEpoch: 3 isTransactional: true isControl: true "
                "deleteHorizonMs: OptionalLong.empty position: 79 CreateTime: 3005 size: 78 magic: 2 "
                "compresscodec: none crc: 2331969705 isvalid: true\n"
                "| offset: 2 CreateTime: 3005 keySize: 4 valueSize: 6 sequence: -1 headerKeys: [] "
                "endTxnMarker: COMMIT coordinatorEpoch: 5\n");
}

TEST_F(DumpTest, DumpLogLogAppendTimeBatches) {
  LogConfig c = config();
  c.message_timestamp_type = record::TimestampType::log_append_time;
  auto log = open(c);
  append(*log, make_batch(2, 5));
  ASSERT_TRUE(log->close().ok());
  DumpOptions o;
  o.deep_iteration = true;
  std::string out = dump(kLog0, o);
  EXPECT_NE(out.find(" position: 0 LogAppendTime: 1700000000000 size: 83 "), std::string::npos) << out;
  EXPECT_NE(out.find("\n| offset: 1 LogAppendTime: 1700000000000 keySize: 2 valueSize: 2"), std::string::npos)
      << out;
}

TEST_F(DumpTest, DumpLogReportsATornTailAsInvalidBytes) {
  write_three_batches(config());
  truncate(kLog0, 3 * 94 - 12);
  std::string head = "Dumping " + kLog0 + "\nLog starting offset: 0\n" + kBatch0 + kBatch1;
  EXPECT_EQ(dump(kLog0), head + "Found 82 invalid bytes at the end of 00000000000000000000.log\n");

  // Deep iteration stops at the same place.
  DumpOptions o;
  o.deep_iteration = true;
  EXPECT_TRUE(dump(kLog0, o).ends_with(record_line(5, false) +
                                        "Found 82 invalid bytes at the end of 00000000000000000000.log\n"));

  // A tail too short for a batch header.
  truncate(kLog0, 2 * 94 + 10);
  EXPECT_EQ(dump(kLog0), head + "Found 10 invalid bytes at the end of 00000000000000000000.log\n");
}

TEST_F(DumpTest, DumpLogReportsGarbageAfterTheLastBatch) {
  write_three_batches(config());
  Bytes zeros(12, 0);
  patch(kLog0, 3 * 94, zeros);
  EXPECT_EQ(dump(kLog0), "Dumping " + kLog0 + "\nLog starting offset: 0\n" + kBatch0 + kBatch1 + kBatch2 +
                             "Found 12 invalid bytes at the end of 00000000000000000000.log\n");
}

TEST_F(DumpTest, DumpLogMarksABatchWithABadCrcInvalid) {
  write_three_batches(config());
  uint8_t flipped = 'w';  // "v4" becomes "w4" in the middle batch
  auto contents = fs.contents(kLog0);
  ASSERT_TRUE(contents.ok());
  std::string_view text(reinterpret_cast<const char*>(contents->data()), contents->size());
  size_t at = text.find("v4");
  ASSERT_NE(at, std::string_view::npos);
  patch(kLog0, at, BytesView(&flipped, 1));

  DumpOptions o;
  o.print_data_log = true;
  std::string out = dump(kLog0, o);
  std::string bad = kBatch1;
  bad.replace(bad.find("isvalid: true"), 13, "isvalid: false");
  EXPECT_NE(out.find(bad), std::string::npos) << out;
  EXPECT_NE(out.find("| offset: 4 CreateTime: 1004 keySize: 2 valueSize: 2 sequence: -1 headerKeys: [] "
                     "key: k4 payload: w4\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(kBatch2), std::string::npos);
}

TEST_F(DumpTest, DumpLogMaxBytesReadsOnlyWholeBatchesWithinItAndReportsNoTail) {
  write_three_batches(config());
  DumpOptions o;
  o.max_bytes = 2 * 94 + 50;
  EXPECT_EQ(dump(kLog0, o), "Dumping " + kLog0 + "\nLog starting offset: 0\n" + kBatch0 + kBatch1);
}

TEST_F(DumpTest, DumpLogOfALaterSegmentReportsNonConsecutiveOffsetsAsKafka) {
  LogConfig c = config();
  c.segment_bytes = 200;  // two 94-byte batches per segment
  write_three_batches(c);
  std::string second = std::string(kDir) + "/00000000000000000006.log";
  DumpOptions o;
  o.deep_iteration = true;
  std::string out = dump(second, o);
  EXPECT_TRUE(out.starts_with("Dumping " + second + "\nLog starting offset: 6\nbaseOffset: 6 lastOffset: 8 "))
      << out;
  // Kafka starts counting at -1 whatever the segment's base offset.
  EXPECT_TRUE(out.ends_with(record_line(8, false) + "Non-consecutive offsets in " + second +
                            "\n  -1 is followed by 6\n"))
      << out;
}

TEST_F(DumpTest, DumpLogOfAnEmptySegmentPrintsOnlyTheHeader) {
  auto log = open(config());
  ASSERT_TRUE(log->close().ok());
  EXPECT_EQ(dump(kLog0), "Dumping " + kLog0 + "\nLog starting offset: 0\n");
}

TEST_F(DumpTest, DumpIndexListsEntriesCheckedAgainstTheLog) {
  LogConfig c = config();
  c.index_interval_bytes = 0;  // an entry for every batch after the first
  write_three_batches(c);
  std::string want = "Dumping " + kIndex0 + "\noffset: 5 position: 94\noffset: 8 position: 188\n";
  EXPECT_EQ(dump(kIndex0), want);

  DumpOptions verify;
  verify.verify_index_only = true;
  EXPECT_EQ(dump(kIndex0, verify), "Dumping " + kIndex0 + "\n");

  DumpOptions sanity;
  sanity.index_sanity_check = true;
  EXPECT_EQ(dump(kIndex0, sanity), "Dumping " + kIndex0 + "\n" + kIndex0 + " passed sanity check.\n");
}

TEST_F(DumpTest, DumpIndexReportsEntriesThatDoNotMatchTheLog) {
  LogConfig c = config();
  c.index_interval_bytes = 0;
  write_three_batches(c);
  // Entry 0 now points at the first batch (last offset 2), entry 1 past the end of the log.
  uint8_t entries[16];
  store_be<int32_t>(entries, 5);
  store_be<int32_t>(entries + 4, 0);
  store_be<int32_t>(entries + 8, 8);
  store_be<int32_t>(entries + 12, 4000);
  patch(kIndex0, 0, BytesView(entries, sizeof entries));
  EXPECT_EQ(dump(kIndex0), "Dumping " + kIndex0 +
                               "\noffset: 5 position: 0\noffset: 8 position: 4000\n"
                               "Mismatches in :" + kIndex0 +
                               "\n  Index offset: 8, log offset: -1\n  Index offset: 5, log offset: 2\n");
}

TEST_F(DumpTest, DumpIndexStopsAtTheZerosOfAPreallocatedIndex) {
  LogConfig c = config();
  c.index_interval_bytes = 0;
  write_three_batches(c);
  Bytes zeros(8 * 3 + 5, 0);  // three zero entries and a partial one, which Kafka ignores
  patch(kIndex0, 16, zeros);
  EXPECT_EQ(dump(kIndex0), "Dumping " + kIndex0 + "\noffset: 5 position: 94\noffset: 8 position: 188\n");
}

TEST_F(DumpTest, DumpIndexOfAnEmptyIndex) {
  write_three_batches(config());  // 282 bytes: below index.interval.bytes, so no entries
  EXPECT_EQ(dump(kIndex0), "Dumping " + kIndex0 + "\n" + kIndex0 + " is empty.\n");
}

TEST_F(DumpTest, DumpIndexSanityCheckFailsOnACorruptIndex) {
  LogConfig c = config();
  c.index_interval_bytes = 0;
  write_three_batches(c);
  uint8_t entry[8];
  store_be<int32_t>(entry, 9);  // above the next entry's offset
  store_be<int32_t>(entry + 4, 94);
  patch(kIndex0, 0, BytesView(entry, sizeof entry));
  DumpOptions sanity;
  sanity.index_sanity_check = true;
  std::ostringstream out;
  Status s = dump_file(fs, kIndex0, sanity, out);
  EXPECT_EQ(s.code(), ErrorCode::kafka_storage_error);
  EXPECT_NE(s.message().find("out of order"), std::string::npos) << s.to_string();
  // Without the sanity check the corrupt index still dumps.
  EXPECT_TRUE(dump(kIndex0).starts_with("Dumping " + kIndex0 + "\noffset: 9 position: 94\noffset: 8 position: 188\n"));
}

TEST_F(DumpTest, DumpTimeIndexListsEntriesCheckedAgainstTheLog) {
  LogConfig c = config();
  c.index_interval_bytes = 0;
  write_three_batches(c);
  EXPECT_EQ(dump(kTimeIndex0), "Dumping " + kTimeIndex0 + "\ntimestamp: 1005 offset: 5\ntimestamp: 1008 offset: 8\n");

  DumpOptions verify;
  verify.verify_index_only = true;
  EXPECT_EQ(dump(kTimeIndex0, verify), "Dumping " + kTimeIndex0 + "\n");

  DumpOptions sanity;
  sanity.index_sanity_check = true;
  EXPECT_EQ(dump(kTimeIndex0, sanity), "Dumping " + kTimeIndex0 + "\n" + kTimeIndex0 + " passed sanity check.\n");
}

TEST_F(DumpTest, DumpTimeIndexReportsMismatchesOutOfOrderTimestampsAndMissingOffsets) {
  LogConfig c = config();
  c.index_interval_bytes = 0;
  write_three_batches(c);
  uint8_t entries[36];
  store_be<int64_t>(entries, 1004);  // batch 3-5 has max timestamp 1005
  store_be<int32_t>(entries + 8, 5);
  store_be<int64_t>(entries + 12, 1002);  // right for batch 0-2, but below the previous entry
  store_be<int32_t>(entries + 20, 2);
  store_be<int64_t>(entries + 24, 1007);  // offset 7 is not a batch's last offset
  store_be<int32_t>(entries + 32, 7);
  patch(kTimeIndex0, 0, BytesView(entries, sizeof entries));
  std::string abs = kTimeIndex0;
  EXPECT_EQ(dump(kTimeIndex0), "Dumping " + kTimeIndex0 +
                                   "\ntimestamp: 1004 offset: 5\ntimestamp: 1002 offset: 2\n"
                                   "timestamp: 1007 offset: 7\n"
                                   "Found timestamp mismatch in :" + abs +
                                   "\n  Index timestamp: 1004, log timestamp: 1005\n"
                                   "Found out of order timestamp in :" + abs +
                                   "\n  Index timestamp: 1002, Previously indexed timestamp: 1004\n"
                                   "The following indexed offsets are not found in the log.\n"
                                   "Indexed offset: 7, found log offset: 8\n");
}

TEST_F(DumpTest, DumpTimeIndexChecksCompressedBatchesRecordByRecord) {
  LogConfig c = config();
  c.index_interval_bytes = 0;
  auto log = open(c);
  for (int b = 0; b < 3; ++b) append(*log, make_batch(5, 2000 + b * 5, b * 5, record::Compression::zstd));
  ASSERT_TRUE(log->close().ok());
  std::ostringstream out, err;
  ASSERT_TRUE(dump_files(fs, {kLog0, kIndex0, kTimeIndex0}, DumpOptions{}, out, err).ok());
  std::string text = out.str();
  EXPECT_NE(text.find("Dumping " + kTimeIndex0 + "\ntimestamp: 2009 offset: 9\ntimestamp: 2014 offset: 14\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(err.str(), "");
}

TEST_F(DumpTest, DumpFilesPrintsFindingsAfterAllFilesOnTheErrorStream) {
  LogConfig c = config();
  c.segment_bytes = 200;
  c.index_interval_bytes = 0;
  write_three_batches(c);
  std::string second = std::string(kDir) + "/00000000000000000006.log";
  std::string meta = std::string(kDir) + "/partition.metadata";
  DumpOptions o;
  o.deep_iteration = true;
  std::ostringstream out, err;
  ASSERT_TRUE(dump_files(fs, {second, meta, kIndex0}, o, out, err).ok());
  EXPECT_NE(out.str().find("Dumping " + meta + "\nDumping " + kIndex0 + "\noffset: 5 position: 94\n"),
            std::string::npos)
      << out.str();
  EXPECT_EQ(err.str(), "Ignoring unknown file " + meta + "\nNon-consecutive offsets in " + second +
                           "\n  -1 is followed by 6\n");
}

TEST_F(DumpTest, DumpsProducerSnapshotsAsKafka) {
  {
    auto log = open(config());
    append(*log, make_batch(3, 1000, 0, record::Compression::none, 0, true, {7, 2, 40}));
    append(*log, make_batch(2, 2000, 3, record::Compression::none, 0, true, {9, 0, 2147483647}));
    ASSERT_TRUE(log->close().ok());
  }
  const std::string snapshot = std::string(kDir) + "/00000000000000000005.snapshot";
  std::ostringstream out;
  ASSERT_TRUE(dump_file(fs, snapshot, DumpOptions{}, out).ok());
  EXPECT_EQ(out.str(), "Dumping " + snapshot +
                           "\nproducerId: 7 producerEpoch: 2 coordinatorEpoch: -1 currentTxnFirstOffset: "
                           "OptionalLong.empty lastTimestamp: 1002 firstSequence: 40 lastSequence: 42 lastOffset: 2 "
                           "offsetDelta: 2 timestamp: 1002\n"
                           "producerId: 9 producerEpoch: 0 coordinatorEpoch: -1 currentTxnFirstOffset: "
                           "OptionalLong.empty lastTimestamp: 2001 firstSequence: 2147483647 lastSequence: 0 "
                           "lastOffset: 4 offsetDelta: 1 timestamp: 2001\n");
  // A damaged one: Kafka's message on the error stream, and the dump goes on.
  Bytes bytes = *fs.contents(snapshot);
  bytes.back() ^= 1;
  ASSERT_TRUE(write_file_atomically(fs, snapshot, bytes).ok());
  std::ostringstream out2, err;
  ASSERT_TRUE(dump_files(fs, {snapshot}, DumpOptions{}, out2, err).ok());
  EXPECT_EQ(out2.str(), "Dumping " + snapshot + "\n");
  EXPECT_EQ(err.str().rfind("Snapshot is corrupt (CRC is no longer valid). Stored crc: ", 0), 0u) << err.str();
}

TEST_F(DumpTest, DumpFailsOnFilesItCannotRead) {
  write_three_batches(config());
  std::ostringstream out;
  Status missing = dump_file(fs, std::string(kDir) + "/00000000000000000042.log", DumpOptions{}, out);
  EXPECT_EQ(missing.code(), ErrorCode::kafka_storage_error) << missing.to_string();

  patch(std::string(kDir) + "/x.log", 0, BytesView::of("x"));
  Status unnamed = dump_file(fs, std::string(kDir) + "/x.log", DumpOptions{}, out);
  EXPECT_FALSE(unnamed.ok());
  EXPECT_NE(unnamed.message().find("not a base offset"), std::string::npos) << unnamed.to_string();

  // An index without its .log cannot be checked.
  patch(std::string(kDir) + "/00000000000000000100.index", 0, Bytes(8, 0));
  EXPECT_EQ(dump_file(fs, std::string(kDir) + "/00000000000000000100.index", DumpOptions{}, out).code(),
            ErrorCode::kafka_storage_error);
}

TEST_F(DumpTest, DumpLogFailsOnARecordThatDoesNotDecode) {
  write_three_batches(config());
  // Batch 0's first record claims a length past its batch: framing and CRC aside, the records
  // do not decode. Kafka's tool stops with an exception there.
  uint8_t length = 0x7e;  // zigzag 63
  patch(kLog0, 61, BytesView(&length, 1));
  DumpOptions o;
  o.deep_iteration = true;
  std::ostringstream out;
  Status s = dump_file(fs, kLog0, o, out);
  EXPECT_EQ(s.code(), ErrorCode::corrupt_message);
  EXPECT_NE(s.message().find("batch at position 0 of " + kLog0), std::string::npos) << s.to_string();
  EXPECT_NE(out.str().find("isvalid: false\n"), std::string::npos) << out.str();
  // Shallow iteration does not look inside the batches.
  EXPECT_TRUE(dump(kLog0).ends_with(kBatch2));
}

TEST(DumpUtf8, DecodesAsJavasStringDecoder) {
  EXPECT_EQ(decode_utf8_lossy("plain"), "plain");
  EXPECT_EQ(decode_utf8_lossy("caf\xC3\xA9 \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_EQ(decode_utf8_lossy("\xFF"), "\xEF\xBF\xBD");
  EXPECT_EQ(decode_utf8_lossy("a\xE2\x82z"), "a\xEF\xBF\xBDz");                // one for a truncated sequence
  EXPECT_EQ(decode_utf8_lossy("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");       // overlong: two
  EXPECT_EQ(decode_utf8_lossy("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  EXPECT_EQ(decode_utf8_lossy(std::string_view("a\0b", 3)), std::string("a\0b", 3));
}

}  // namespace
}  // namespace gregor::storage
