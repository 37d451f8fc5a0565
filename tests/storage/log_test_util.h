// Shared by the storage tests: batches to append, and reading a log back record by record.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "record/batch_builder.h"
#include "record/record.h"
#include "storage/log.h"
#include "temp_dir.h"

namespace gregor::storage::testing {

struct Rec {
  int64_t offset = 0;
  int64_t timestamp = 0;
  std::string key;
  std::string value;
  bool operator==(const Rec&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Rec& r) {
  return os << "{" << r.offset << " @" << r.timestamp << " " << r.key << "=" << r.value << "}";
}

// The idempotent producer fields of a batch (none by default).
struct ProducerFields {
  int64_t id = -1;
  int16_t epoch = -1;
  int32_t base_sequence = -1;
};

// One batch of count records "k<first+i>" = "v<first+i>" (padded with value_size bytes).
inline Bytes make_batch(int count, int64_t timestamp, int first = 0, record::Compression codec = record::Compression::none,
                        size_t value_size = 0, bool with_keys = true, ProducerFields producer = {}) {
  record::BatchOptions options;
  options.compression = codec;
  options.producer_id = producer.id;
  options.producer_epoch = producer.epoch;
  options.base_sequence = producer.base_sequence;
  record::RecordBatchBuilder builder(options);
  for (int i = 0; i < count; ++i) {
    std::string key = "k" + std::to_string(first + i);
    std::string value = "v" + std::to_string(first + i) + std::string(value_size, 'x');
    builder.append(timestamp + i, with_keys ? std::optional<BytesView>(BytesView::of(key)) : std::nullopt,
                   BytesView::of(value));
  }
  Bytes out;
  auto err = builder.finish(out);
  EXPECT_FALSE(err) << *err;
  return out;
}

// Every record of the bytes of a slice.
inline std::vector<Rec> records_of(BytesView bytes) {
  std::vector<Rec> out;
  size_t pos = 0;
  record::RecordReader reader(64u << 20);
  while (pos < bytes.size()) {
    auto batch = record::RecordBatchView::parse(bytes.subview(pos, bytes.size() - pos));
    EXPECT_TRUE(batch.ok()) << batch.error().to_string();
    if (!batch.ok()) break;
    EXPECT_FALSE(batch->verify_crc());
    EXPECT_FALSE(reader.open(*batch));
    record::Record r;
    while (reader.next(r)) {
      out.push_back(Rec{r.offset, r.timestamp, r.key ? std::string(r.key->as_chars()) : std::string(),
                        r.value ? std::string(r.value->as_chars()) : std::string()});
    }
    EXPECT_TRUE(reader.ok());
    pos += batch->bytes().size();
  }
  return out;
}

inline Bytes slice_bytes(const FileSlice& slice) {
  Bytes out(slice.size);
  if (slice.size == 0) return out;
  auto n = slice.file->read_at(slice.position, out);
  EXPECT_TRUE(n.ok());
  EXPECT_EQ(*n, slice.size);
  return out;
}

// Reads the whole log from `from` up to the log end (or high watermark).
inline std::vector<Rec> read_all(Log& log, int64_t from, ReadLimit limit = ReadLimit::log_end,
                                 uint32_t max_bytes = 64 * 1024) {
  std::vector<Rec> out;
  int64_t offset = from;
  for (int guard = 0; guard < 1'000'000; ++guard) {
    auto r = log.read(offset, max_bytes, limit);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    if (!r.ok() || r->slice.size == 0) break;
    Bytes bytes = slice_bytes(r->slice);
    for (const Rec& rec : records_of(bytes)) {
      if (rec.offset >= offset) out.push_back(rec);
    }
    // Past the last batch, even one compaction left without records, as consumers go on.
    int64_t next = offset;
    for (size_t pos = 0; pos < bytes.size();) {
      auto batch = record::RecordBatchView::parse(BytesView(bytes).subview(pos, bytes.size() - pos));
      if (!batch.ok()) break;
      next = batch->last_offset() + 1;
      pos += batch->bytes().size();
    }
    if (next <= offset) break;
    offset = next;
  }
  return out;
}


}  // namespace gregor::storage::testing
