// `gregor dump-log` (bin/kafka-dump-log.sh): Kafka's DumpLogSegments on the command line. The
// dumping itself is storage::LogDumper; this adds Kafka's flags and its record decoders:
//
//   --offsets-decoder            __consumer_offsets records, key and value as JSON:
//                                  key: {"type":"1","data":{"group":"g","topic":"t","partition":0}}
//                                  payload: {"version":"3","data":{"offset":5,...}}
//                                a tombstone's payload is <DELETE>; a classic consumer group's
//                                member subscriptions and assignments are decoded too
//   --cluster-metadata-decoder   __cluster_metadata records:
//                                  payload: {"type":"TOPIC_RECORD","version":0,"data":{...}}
//   --key-decoder-class, --value-decoder-class
//                                Kafka's StringDecoder (the default), IntegerDecoder and
//                                LongDecoder; any other class is refused, there being no JVM
//
// A record a decoder cannot read prints Kafka's "Error at offset N, skipping. <why>" in its
// place. The transaction, remote-log-metadata and share-group-state decoders are refused: Gregor
// keeps none of those topics.
//
// Exit status: 0 when every file was dumped (findings of the index checks go to err, as in
// Kafka), 1 with one line on err for a bad command line, a file that cannot be read, or a file
// the dump cannot go on with (a record that does not decode during deep iteration).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "storage/dump.h"

namespace gregor::tools {

int run_dump_log(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The decoders, for tests.
storage::ParsedRecord parse_cluster_metadata_record(const record::Record& r);
StatusOr<storage::ParsedRecord> parse_offsets_record(const record::Record& r);

}  // namespace gregor::tools
