// Control records: the single record of a control batch (attributes bit 5), written by the
// broker rather than a producer. Its key says what kind of marker it is:
//   key   = version int16 (0), type int16
// and for transaction markers (type 0 abort, 1 commit) the value is an EndTxnMarker:
//   value = version int16 (0), coordinatorEpoch int32
// Readers accept newer versions, reading the fields they know, as Kafka does.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "record/batch_builder.h"
#include "common/result.h"

namespace gregor::record {

// Other types exist (KRaft uses 2 and up); they pass through as their numeric value.
enum class ControlRecordType : int16_t { abort = 0, commit = 1 };

struct EndTxnMarker {
  ControlRecordType type = ControlRecordType::abort;
  int32_t coordinator_epoch = 0;
};

std::array<uint8_t, 4> encode_control_key(ControlRecordType type);
Result<ControlRecordType> parse_control_key(BytesView key);

std::array<uint8_t, 6> encode_end_txn_value(int32_t coordinator_epoch);
// Reads the marker from a control record's key and value; fails unless it is abort or commit.
Result<EndTxnMarker> parse_end_txn_marker(BytesView key, BytesView value);

// Appends a complete marker batch, as a transaction coordinator has one written to each
// partition a transaction touched. options supplies producer id/epoch, base offset and leader
// epoch; the control and transactional flags are set here, the codec and sequence cleared.
[[nodiscard]] std::optional<std::string> build_end_txn_batch(BatchOptions options, const EndTxnMarker& marker,
                                                             int64_t timestamp, Bytes& out);

}  // namespace gregor::record
