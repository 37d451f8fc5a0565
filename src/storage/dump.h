// Dumps segment files the way Kafka's DumpLogSegments tool (kafka-dump-log.sh) does, with its
// output format line for line, so operators can read and diff Gregor's files as they read
// Kafka's. Works on the files alone (no Log is opened) and only ever reads them.
//
//   .log        "Log starting offset: N", then one line per batch:
//                 baseOffset: 0 lastOffset: 2 count: 3 baseSequence: -1 lastSequence: -1
//                 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 3 isTransactional: false
//                 isControl: false deleteHorizonMs: OptionalLong.empty position: 0
//                 CreateTime: 1002 size: 94 magic: 2 compresscodec: none crc: 1634506295 isvalid: true
//               (one line in the output). With deep iteration, one line per record after its
//               batch:
//                 | offset: 0 CreateTime: 1000 keySize: 2 valueSize: 2 sequence: -1 headerKeys: []
//               ending " key: k0 payload: v0" with print_data_log (keys and values decoded as
//               UTF-8, as Kafka's StringDecoder), or " endTxnMarker: COMMIT coordinatorEpoch: 5"
//               for a transaction marker. Bytes after the last whole batch (a torn or corrupt
//               tail) are reported as "Found 12 invalid bytes at the end of 00000000000000000000.log".
//   .index      "offset: 42 position: 4096" per entry; each entry is checked against the batch at
//               its position in the segment's .log (which must exist beside it).
//   .timeindex  "timestamp: 1042 offset: 42" per entry; each entry is checked against the largest
//               record timestamp of its batch, found through the .index and the .log.
//   .snapshot   one line per producer of a producer state snapshot:
//                 producerId: 7 producerEpoch: 0 coordinatorEpoch: -1 currentTxnFirstOffset:
//                 OptionalLong.empty lastTimestamp: 1002 firstSequence: 0 lastSequence: 2
//                 lastOffset: 2 offsetDelta: 2 timestamp: 1002
//               (one line); a snapshot that does not decode gets Kafka's message on the error
//               stream.
// Every file starts with "Dumping <path>". Other files get "Ignoring unknown file <path>" on the
// error stream: Gregor writes no transaction indexes or KRaft snapshots.
//
// The checks' findings are collected across files and printed after all of them, as Kafka
// prints them to stderr at exit:
//   Mismatches in :<absolute path>                 index entry whose offset is not the last
//     Index offset: 42, log offset: 44             offset of the batch at its position
//   Found timestamp mismatch in :<absolute path>
//     Index timestamp: 1042, log timestamp: 1041
//   Found out of order timestamp in :<absolute path>
//     Index timestamp: 1042, Previously indexed timestamp: 1050
//   The following indexed offsets are not found in the log.
//   Indexed offset: 42, found log offset: 44
//   Non-consecutive offsets in <absolute path>     (deep iteration of a .log; a segment that
//     -1 is followed by 100                         does not start at offset 0 reports this too,
//                                                   as Kafka does)
//
// Errors: a Status for I/O failures, for a file name without a base offset, and where Kafka's
// tool fails with an exception: a record that does not decode during deep iteration, and an
// index that fails index_sanity_check. Corruption Kafka reports in its output (a bad CRC is
// "isvalid: false", a bad tail is "Found N invalid bytes") is output, and the dump returns ok.
//
// Departures from Kafka, all where Kafka's tool would stop with an exception: an index entry
// pointing past the end of the .log or at no whole batch is reported as a mismatch with log
// offset -1; a batch header with an unknown codec or a negative record count ends the walk of
// a .log like a torn tail; control records other than transaction markers (KRaft's, which
// Kafka prints as JSON) print as " controlType: LEADER_CHANGE(2)". index_sanity_check runs
// Gregor's own index check, the one that decides at startup whether an index is rebuilt.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "record/record.h"
#include "storage/file_system.h"

namespace gregor::storage {

// What print_data_log shows of one record, as Kafka's MessageParser returns it: a part that is
// nullopt is left out of the line.
struct ParsedRecord {
  std::optional<std::string> key;
  std::optional<std::string> value;
};

// A decoder for print_data_log (the tool's --offsets-decoder, --cluster-metadata-decoder). An
// error stops the dump there, as an exception from Kafka's parser stops its tool.
using RecordParser = std::function<StatusOr<ParsedRecord>(const record::Record&)>;

// The tool's options, under its command-line names.
struct DumpOptions {
  bool deep_iteration = false;        // --deep-iteration: every record, not only batches
  bool print_data_log = false;        // --print-data-log: keys and values too (implies deep_iteration)
  bool skip_record_metadata = false;  // --skip-record-metadata: only keys and values, no record metadata
  bool verify_index_only = false;     // --verify-index-only: check indexes, print no entries
  bool index_sanity_check = false;    // --index-sanity-check: only the startup check of an index
  int32_t max_message_size = 5 * 1024 * 1024;  // --max-message-size: largest batch an .index entry may point at
  int32_t max_bytes = INT32_MAX;               // --max-bytes: how much of a .log to read
  RecordParser parser;  // how print_data_log shows records; unset: keys and values as UTF-8 text
};

// Dumps files one after another, collecting the checks' findings for print_problems().
class LogDumper {
 public:
  // Dump output goes to out; "Ignoring unknown file" and print_problems() go to err.
  LogDumper(FileSystem& fs, DumpOptions options, std::ostream& out, std::ostream& err);

  // Dumps one file, chosen by its extension. Stops at the first error.
  Status dump(const std::string& path);

  // Whether the checks found anything so far.
  bool has_problems() const;
  // The findings, in Kafka's order: index mismatches, time index findings, non-consecutive
  // offsets.
  void print_problems();

 private:
  Status dump_log(const std::string& path);
  Status dump_offset_index(const std::string& path);
  Status dump_time_index(const std::string& path);
  Status dump_producer_snapshot(const std::string& path);

  // Findings per file, in the order files were first seen.
  template <typename V>
  using PerFile = std::vector<std::pair<std::string, V>>;

  FileSystem& fs_;
  DumpOptions options_;
  std::ostream& out_;
  std::ostream& err_;
  PerFile<std::map<int64_t, int64_t, std::greater<>>> index_mismatches_;  // index offset -> log offset
  PerFile<std::vector<std::pair<int64_t, int64_t>>> timestamp_mismatches_;  // index ts, log ts
  PerFile<std::vector<std::pair<int64_t, int64_t>>> out_of_order_timestamps_;  // index ts, previous
  PerFile<std::vector<std::pair<int64_t, int64_t>>> offsets_not_found_;  // index offset, log offset
  PerFile<std::map<int64_t, int64_t>> non_consecutive_;  // offset -> the offset after it
};

// Kafka's tool: every file in turn, then the findings. Stops at the first error, as the tool
// exits there (the findings so far are not printed then).
Status dump_files(FileSystem& fs, const std::vector<std::string>& paths, const DumpOptions& options,
                  std::ostream& out, std::ostream& err);

// One file, with its findings (and any "Ignoring unknown file") after it on the same stream.
Status dump_file(FileSystem& fs, const std::string& path, const DumpOptions& options, std::ostream& out);

// Bytes as Java's new String(bytes, UTF_8) reads them: each malformed sequence (a maximal
// invalid subpart) becomes U+FFFD.
std::string decode_utf8_lossy(std::string_view bytes);

}  // namespace gregor::storage
