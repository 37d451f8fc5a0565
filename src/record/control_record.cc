#include "record/control_record.h"

#include "common/byte_reader.h"
#include "common/endian.h"
#include "record/wire.h"

namespace gregor::record {

std::array<uint8_t, 4> encode_control_key(ControlRecordType type) {
  std::array<uint8_t, 4> key{};
  store_be<int16_t>(key.data(), 0);
  store_be(key.data() + 2, static_cast<int16_t>(type));
  return key;
}

Result<ControlRecordType> parse_control_key(BytesView key) {
  ByteReader r(key);
  int16_t version = r.read_int16("control key version");
  if (r.ok() && version < 0) r.fail("control key version", "negative version " + std::to_string(version));
  int16_t type = r.read_int16("control key type");
  if (!r.ok()) return r.error();
  return static_cast<ControlRecordType>(type);
}

std::array<uint8_t, 6> encode_end_txn_value(int32_t coordinator_epoch) {
  std::array<uint8_t, 6> value{};
  store_be<int16_t>(value.data(), 0);
  store_be(value.data() + 2, coordinator_epoch);
  return value;
}

Result<EndTxnMarker> parse_end_txn_marker(BytesView key, BytesView value) {
  Result<ControlRecordType> type = parse_control_key(key);
  if (!type) return type.error();
  if (*type != ControlRecordType::abort && *type != ControlRecordType::commit)
    return DecodeError{
        2, "control key type",
        "control type " + std::to_string(static_cast<int>(*type)) + " is not a transaction marker"};
  ByteReader r(value);
  int16_t version = r.read_int16("end txn marker version");
  if (r.ok() && version < 0) r.fail("end txn marker version", "negative version " + std::to_string(version));
  int32_t epoch = r.read_int32("coordinator epoch");
  if (!r.ok()) return r.error();
  return EndTxnMarker{*type, epoch};
}

std::optional<std::string> build_end_txn_batch(BatchOptions options, const EndTxnMarker& marker,
                                               int64_t timestamp, Bytes& out) {
  // Kafka writes markers uncompressed and outside the producer's sequence numbering.
  options.control = true;
  options.transactional = true;
  options.compression = Compression::none;
  options.timestamp_type = TimestampType::create_time;
  options.delete_horizon_ms.reset();
  options.base_sequence = -1;
  std::array<uint8_t, 4> key = encode_control_key(marker.type);
  std::array<uint8_t, 6> value = encode_end_txn_value(marker.coordinator_epoch);
  RecordBatchBuilder builder(options);
  builder.append(timestamp, BytesView(key.data(), key.size()), BytesView(value.data(), value.size()));
  return builder.finish(out);
}

}  // namespace gregor::record
