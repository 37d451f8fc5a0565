// Test helpers that lay out batches and legacy messages field by field, independently of the
// module's builder, so tests can check the reader against the wire format itself.
#pragma once

#include <zlib.h>

#include <optional>
#include <string_view>

#include "common/byte_writer.h"
#include "common/bytes.h"
#include "record/crc32c.h"

namespace gregor::record::testing {

inline BytesView view(std::string_view s) { return BytesView::of(s); }

struct V2Header {
  int64_t base_offset = 0;
  int32_t leader_epoch = -1;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t record_count = 0;
};

// A v2 batch around an already encoded records section, with a correct CRC.
inline Bytes v2_batch(const V2Header& h, BytesView records) {
  Bytes out;
  ByteWriter w(out);
  w.write_int64(h.base_offset);
  w.write_int32(static_cast<int32_t>(49 + records.size()));
  w.write_int32(h.leader_epoch);
  w.write_int8(2);
  w.write_uint32(0);  // CRC, patched below
  w.write_int16(h.attributes);
  w.write_int32(h.last_offset_delta);
  w.write_int64(h.base_timestamp);
  w.write_int64(h.max_timestamp);
  w.write_int64(h.producer_id);
  w.write_int16(h.producer_epoch);
  w.write_int32(h.base_sequence);
  w.write_int32(h.record_count);
  w.write_raw(records);
  uint32_t crc = crc32c(BytesView(out.data() + 21, out.size() - 21));
  for (int i = 0; i < 4; ++i) out[17 + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
  return out;
}

// One v2 record with a single optional header.
inline Bytes v2_record(int64_t timestamp_delta, int32_t offset_delta, std::optional<std::string_view> key,
                       std::optional<std::string_view> value) {
  Bytes body;
  ByteWriter w(body);
  w.write_int8(0);
  w.write_varlong(timestamp_delta);
  w.write_varint(offset_delta);
  for (const auto& field : {key, value}) {
    if (!field) {
      w.write_varint(-1);
      continue;
    }
    w.write_varint(static_cast<int32_t>(field->size()));
    w.write_raw(view(*field));
  }
  w.write_varint(0);  // no headers
  Bytes out;
  ByteWriter(out).write_varint(static_cast<int32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// One legacy entry: offset, size, crc, magic, attributes, [timestamp], key, value.
inline Bytes legacy_message(int64_t offset, int8_t magic, int8_t attributes, int64_t timestamp,
                            std::optional<BytesView> key, std::optional<BytesView> value) {
  Bytes message;
  ByteWriter w(message);
  w.write_int8(magic);
  w.write_int8(attributes);
  if (magic == 1) w.write_int64(timestamp);
  for (const auto& field : {key, value}) {
    w.write_int32(field ? static_cast<int32_t>(field->size()) : -1);
    if (field) w.write_raw(*field);
  }
  Bytes out;
  ByteWriter e(out);
  e.write_int64(offset);
  e.write_int32(static_cast<int32_t>(4 + message.size()));
  e.write_uint32(static_cast<uint32_t>(::crc32(0, message.data(), static_cast<uInt>(message.size()))));
  e.write_raw(message);
  return out;
}

inline void append(Bytes& to, const Bytes& more) { to.insert(to.end(), more.begin(), more.end()); }

}  // namespace gregor::record::testing
