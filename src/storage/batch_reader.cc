#include "storage/batch_reader.h"

#include <algorithm>

namespace gregor::storage {

namespace {

Status corrupt(const Log& log, int64_t offset, const std::string& what) {
  return Status(ErrorCode::corrupt_message, log.dir() + " at offset " + std::to_string(offset) + ": " + what);
}

}  // namespace

StatusOr<int64_t> for_each_batch_step(Log& log, int64_t from_offset, ReadLimit limit, uint32_t read_bytes,
                                      const std::function<Status(const record::RecordBatchView&)>& visit) {
  int64_t offset = std::max(from_offset, log.log_start_offset());
  const int64_t end = limit == ReadLimit::high_watermark ? log.high_watermark() : log.log_end_offset();
  if (offset >= end) return end;
  auto read = log.read(offset, read_bytes, limit);
  if (!read.ok()) return read.status();
  if (read->slice.size == 0) return end;
  Bytes bytes(read->slice.size);
  auto n = read->slice.file->read_at(read->slice.position, bytes);
  if (!n.ok()) return n.status();
  bytes.resize(*n);
  const int64_t before = offset;
  size_t pos = 0;
  while (pos < bytes.size()) {
    auto view = record::RecordBatchView::parse(BytesView(bytes).subview(pos, bytes.size() - pos));
    if (!view.ok()) return corrupt(log, offset, view.error().to_string());
    pos += view->bytes().size();
    if (view->last_offset() < offset) continue;
    if (Status s = visit(*view); !s.ok()) return s;
    offset = view->last_offset() + 1;
  }
  if (offset == before) return corrupt(log, offset, "a read made no progress");
  return offset;
}

Status for_each_batch(Log& log, int64_t from_offset, ReadLimit limit, uint32_t read_bytes,
                      const std::function<Status(const record::RecordBatchView&)>& visit) {
  int64_t offset = from_offset;
  for (;;) {
    const int64_t end = limit == ReadLimit::high_watermark ? log.high_watermark() : log.log_end_offset();
    auto next = for_each_batch_step(log, offset, limit, read_bytes, visit);
    if (!next.ok()) return next.status();
    if (*next >= end) return {};
    offset = *next;
  }
}

}  // namespace gregor::storage
