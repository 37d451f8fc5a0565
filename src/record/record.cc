#include "record/record.h"

#include <string>

#include "record/wire.h"

namespace gregor::record {

namespace {

// A varint-length byte string; as in Kafka, any negative length is null.
std::optional<BytesView> read_varint_bytes(ByteReader& r, const char* field) {
  int32_t n = r.read_varint(field);
  if (!r.ok() || n < 0) return std::nullopt;
  BytesView v = r.read_view(static_cast<size_t>(n), field);
  if (!r.ok()) return std::nullopt;
  return v;
}

}  // namespace

bool read_header(ByteReader& r, Header& out) {
  int32_t n = r.read_varint("header key length");
  if (r.ok() && n < 0) r.fail("header key length", "negative header key length " + std::to_string(n));
  if (!r.ok()) return false;
  out.key = r.read_view(static_cast<size_t>(n), "header key").as_chars();
  out.value = read_varint_bytes(r, "header value");
  return r.ok();
}

Headers::Iterator::Iterator(BytesView rest, int32_t count) : rest_(rest), left_(count) { load(); }

void Headers::Iterator::advance() {
  --left_;
  load();
}

void Headers::Iterator::load() {
  if (left_ <= 0) {
    left_ = -1;
    return;
  }
  ByteReader r(rest_);
  read_header(r, current_);  // cannot fail: the record reader validated these bytes
  rest_ = rest_.subview(rest_.size() - r.remaining(), r.remaining());
}

std::optional<DecodeError> RecordReader::open(const RecordBatchView& batch) {
  failed_ = false;
  error_ = {};
  index_ = 0;
  count_ = batch.record_count();
  base_offset_ = batch.base_offset();
  base_timestamp_ = batch.base_timestamp();
  log_append_time_.reset();
  // With log-append time the broker stamped one time for the whole batch, kept in maxTimestamp;
  // the per-record deltas are the producer's and no longer meaningful.
  if (batch.timestamp_type() == TimestampType::log_append_time) log_append_time_ = batch.max_timestamp();

  size_t records_at = batch.position() + v2::kHeaderSize;
  decompressed_ = batch.compression() != Compression::none;
  if (count_ == 0) {
    // As Kafka: a batch without records yields nothing, whatever its records section holds.
    decompressed_ = false;
    reader_ = ByteReader(BytesView());
    return std::nullopt;
  }
  if (!decompressed_) {
    reader_ = ByteReader(batch.records_section(), records_at);
    return std::nullopt;
  }
  buffer_.clear();
  if (auto err = decompress(batch.compression(), batch.records_section(), max_decompressed_, buffer_)) {
    err->offset += records_at;
    err->field = std::string("records (") + compression_name(batch.compression()) + ")";
    reader_ = ByteReader(BytesView());
    failed_ = true;
    error_ = *err;
    return err;
  }
  reader_ = ByteReader(buffer_);
  return std::nullopt;
}

bool RecordReader::fail(DecodeError error) {
  failed_ = true;
  error_ = std::move(error);
  error_.field = "record " + std::to_string(index_) + (error_.field.empty() ? "" : " " + error_.field);
  if (decompressed_) error_.message += " (offset within the decompressed records)";
  return false;
}

bool RecordReader::next(Record& out) {
  if (failed_) return false;
  ByteReader& r = reader_;
  if (index_ == count_) {
    if (r.at_end()) return false;
    return fail(DecodeError{
        r.offset(), "",
        std::to_string(r.remaining()) + " bytes after the batch's " + std::to_string(count_) + " records"});
  }
  if (r.at_end())
    return fail(DecodeError{
        r.offset(), "",
        "batch declares " + std::to_string(count_) + " records but holds only " + std::to_string(index_)});

  int32_t length = r.read_varint("length");
  if (r.ok() && length < 0) r.fail("length", "negative record length " + std::to_string(length));
  if (!r.ok()) return fail(r.error());
  const uint8_t* saved_end = r.push_limit(static_cast<size_t>(length), "length");
  out.attributes = r.read_int8("attributes");
  int64_t timestamp_delta = r.read_varlong("timestampDelta");
  int32_t offset_delta = r.read_varint("offsetDelta");
  out.key = read_varint_bytes(r, "key");
  out.value = read_varint_bytes(r, "value");
  int32_t header_count = r.read_varint("headerCount");
  if (r.ok() && header_count < 0)
    r.fail("headerCount", "negative header count " + std::to_string(header_count));
  const uint8_t* headers_at = r.position();
  Header h;
  for (int32_t i = 0; i < header_count && read_header(r, h); ++i) {
  }
  if (r.ok() && !r.at_end())
    r.fail("length", "record length " + std::to_string(length) + " leaves " + std::to_string(r.remaining()) +
                         " bytes unread");
  r.pop_limit(saved_end);
  if (!r.ok()) return fail(r.error());

  out.headers = Headers(BytesView(headers_at, static_cast<size_t>(r.position() - headers_at)), header_count);
  out.offset = wire::wrapping_add(base_offset_, offset_delta);
  out.timestamp = log_append_time_ ? *log_append_time_ : wire::wrapping_add(base_timestamp_, timestamp_delta);
  ++index_;
  return true;
}

}  // namespace gregor::record
