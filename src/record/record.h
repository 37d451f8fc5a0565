// Records inside a v2 batch, and the shape every record reader yields.
//
// A v2 record (all integers zigzag varints, lengths -1 for null):
//   length varint          bytes that follow
//   attributes int8        unused, 0
//   timestampDelta varlong from the batch's baseTimestamp
//   offsetDelta varint     from the batch's baseOffset
//   key                    varint length + bytes
//   value                  varint length + bytes
//   headerCount varint
//   headers                each: key (varint length + UTF-8, never null), value (varint length + bytes)
#pragma once

#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

#include "common/byte_reader.h"
#include "common/bytes.h"
#include "record/record_batch.h"

namespace gregor::record {

struct Header {
  std::string_view key;
  std::optional<BytesView> value;
};

// Reads one header; shared by validation and iteration. Returns false once r has failed.
bool read_header(ByteReader& r, Header& out);

// The headers of one record, decoded on demand from bytes the reader already validated.
class Headers {
 public:
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Header;
    using difference_type = std::ptrdiff_t;
    using pointer = const Header*;
    using reference = const Header&;

    Iterator() = default;
    const Header& operator*() const { return current_; }
    const Header* operator->() const { return &current_; }
    Iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.left_ == b.left_; }

   private:
    friend class Headers;
    Iterator(BytesView rest, int32_t count);
    void advance();
    void load();

    BytesView rest_;
    int32_t left_ = -1;  // headers left, counting the current one; -1 at the end
    Header current_;
  };

  Headers() = default;
  Headers(BytesView data, int32_t count) : data_(data), count_(count) {}

  int32_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  Iterator begin() const { return Iterator(data_, count_); }
  Iterator end() const { return Iterator(); }

 private:
  BytesView data_;
  int32_t count_ = 0;
};

// One record with its absolute offset and timestamp. Views point into the batch, or into the
// reader's decompression buffer, and stay valid until the reader opens another batch.
struct Record {
  int64_t offset = 0;
  int64_t timestamp = kNoTimestamp;  // kNoTimestamp for magic 0
  int8_t attributes = 0;
  std::optional<BytesView> key;
  std::optional<BytesView> value;
  Headers headers;  // always empty before magic 2
};

// Iterates the records of v2 batches. An uncompressed batch is read in place with no
// allocation; a compressed one is inflated once into a buffer the reader keeps and reuses,
// bounded by max_decompressed_size.
//
//   RecordReader reader(limit);
//   if (auto err = reader.open(batch)) ...;
//   Record r;
//   while (reader.next(r)) ...;
//   if (!reader.ok()) ... reader.error() ...;
//
// Besides each record's own encoding, the reader checks that the batch holds exactly
// recordCount records and nothing after them.
class RecordReader {
 public:
  explicit RecordReader(size_t max_decompressed_size) : max_decompressed_(max_decompressed_size) {}

  [[nodiscard]] std::optional<DecodeError> open(const RecordBatchView& batch);
  bool next(Record& out);
  bool ok() const { return !failed_; }
  const DecodeError& error() const { return error_; }

 private:
  bool fail(DecodeError error);

  size_t max_decompressed_;
  Bytes buffer_;
  ByteReader reader_{BytesView()};
  bool decompressed_ = false;
  bool failed_ = false;
  DecodeError error_;
  int32_t index_ = 0;
  int32_t count_ = 0;
  int64_t base_offset_ = 0;
  int64_t base_timestamp_ = 0;
  std::optional<int64_t> log_append_time_;
};

}  // namespace gregor::record
