// Arbitrary bytes through every reading path of the record module: the batch walker, v2 header
// and CRC checks, record and header iteration (decompression bounded to 1 MiB), legacy message
// sets, control records, and a compress/decompress round trip.
#include <cstdlib>
#include <cstring>

#include "record/batch_walker.h"
#include "record/compression.h"
#include "record/control_record.h"
#include "record/legacy.h"
#include "record/record.h"
#include "record/record_batch.h"

namespace {

using namespace gregor;
using namespace gregor::record;

constexpr size_t kMaxDecompressed = 1 << 20;

// Reads every field the way a consumer would, so sanitizers see each byte the views cover.
size_t touch(const Record& r) {
  size_t sum = static_cast<size_t>(r.offset ^ r.timestamp);
  if (r.key) sum += r.key->empty() ? 0 : (*r.key)[r.key->size() - 1];
  if (r.value) sum += r.value->empty() ? 0 : (*r.value)[r.value->size() - 1];
  for (const Header& h : r.headers) {
    sum += h.key.size();
    if (h.value && !h.value->empty()) sum += (*h.value)[0];
  }
  return sum;
}

size_t read_v2(const RecordBatchView& batch, RecordReader& reader) {
  size_t sum = batch.verify_crc() ? 1 : 0;
  sum += static_cast<size_t>(batch.last_offset() ^ batch.next_offset() ^ batch.max_timestamp());
  sum += static_cast<size_t>(batch.last_sequence()) + (batch.delete_horizon_ms() ? 1 : 0);
  if (reader.open(batch)) return sum;
  Record r;
  while (reader.next(r)) {
    sum += touch(r);
    if (batch.is_control() && r.key && r.value) sum += parse_end_txn_marker(*r.key, *r.value).ok();
  }
  return sum + reader.ok();
}

size_t read_legacy(const LegacyBatchView& entry, LegacyRecordReader& reader) {
  size_t sum = entry.verify_crc() ? 1 : 0;
  if (reader.open(entry)) return sum;
  Record r;
  while (reader.next(r)) sum += touch(r);
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  BytesView input(data, size);
  RecordReader v2_reader(kMaxDecompressed);
  LegacyRecordReader legacy_reader(kMaxDecompressed);
  volatile size_t sink = 0;

  BatchWalker walker(input);
  BatchEntry entry;
  while (walker.next(entry)) {
    if (entry.magic == 2) {
      if (auto batch = RecordBatchView::parse(entry.bytes, entry.position))
        sink = sink + read_v2(*batch, v2_reader);
    } else if (auto legacy = LegacyBatchView::parse(entry.bytes, entry.position)) {
      sink = sink + read_legacy(*legacy, legacy_reader);
    }
  }

  // The parsers directly, on inputs the walker would have refused.
  if (auto batch = RecordBatchView::parse(input)) {
    sink = sink + read_v2(*batch, v2_reader);
    // Stamping the append time leaves a valid CRC whenever it changed the batch or the CRC was
    // valid before (an unchanged batch is left alone, as Kafka's setMaxTimestamp does).
    Bytes copy = input.to_bytes();
    bool valid_before = !batch->verify_crc();
    bool unchanged = batch->timestamp_type() == TimestampType::log_append_time && batch->max_timestamp() == 1;
    if (!set_log_append_time(copy, 1)) std::abort();
    auto stamped = RecordBatchView::parse(copy);
    if (!stamped || stamped->max_timestamp() != 1 || stamped->timestamp_type() != TimestampType::log_append_time) {
      std::abort();
    }
    if ((valid_before || !unchanged) && stamped->verify_crc()) std::abort();
  }
  if (auto legacy = LegacyBatchView::parse(input)) sink = sink + read_legacy(*legacy, legacy_reader);
  sink = sink + parse_control_key(input).ok();

  if (size > 0) {
    // The first byte picks a codec; the rest is both a compressed stream to read and plain
    // data that must survive a round trip.
    auto codec = static_cast<Compression>(data[0] % 5);
    BytesView rest = input.subview(1, size - 1);
    Bytes out;
    sink = sink + !decompress(codec, rest, kMaxDecompressed, out);
    out.clear();
    sink = sink + !decompress_lz4_legacy_v0(rest, kMaxDecompressed, out);
    Bytes packed, unpacked;
    if (compress(codec, rest, packed) || decompress(codec, packed, rest.size(), unpacked) ||
        !(BytesView(unpacked) == rest))
      std::abort();
  }
  return 0;
}
