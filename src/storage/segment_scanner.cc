#include "storage/segment_scanner.h"

#include <algorithm>
#include <limits>

#include "common/endian.h"
#include "record/record_batch.h"

namespace gregor::storage {

namespace v2 = record::v2;

bool SegmentScanner::stop(End end, Status status) {
  end_ = end;
  status_ = std::move(status);
  return false;
}

StatusOr<bool> SegmentScanner::fill(size_t n) {
  if (pos_ + n > limit_) return false;
  uint64_t have_end = buf_start_ + buf_.size();
  if (pos_ >= buf_start_ && pos_ + n <= have_end) return true;
  size_t want = std::max(n, static_cast<size_t>(std::min<uint64_t>(read_size_, limit_ - pos_)));
  buf_.resize(want);
  buf_start_ = pos_;
  auto got = file_->read_at(pos_, buf_);
  if (!got.ok()) {
    buf_.clear();
    return got.status();
  }
  buf_.resize(*got);
  return *got >= n;
}

bool SegmentScanner::next(BatchInfo& out) {
  if (end_ != End::none) return false;
  if (current_.size > 0 && current_.position == pos_) pos_ += current_.size;  // step past the last batch
  if (pos_ >= limit_) return stop(End::clean);
  // The header fields every magic shares: offset, size, (leader epoch / crc), magic.
  constexpr size_t kPrefix = v2::kMagic + 1;
  auto have = fill(kPrefix);
  if (!have.ok()) return stop(End::corrupt, have.status());
  if (!*have) return stop(End::torn);
  const uint8_t* p = buf_.data() + (pos_ - buf_start_);
  int64_t base_offset = load_be<int64_t>(p);
  int32_t length = load_be<int32_t>(p + v2::kBatchLength);
  int8_t magic = static_cast<int8_t>(p[v2::kMagic]);
  auto corrupt = [&](const std::string& why) {
    return stop(End::corrupt, Status(ErrorCode::corrupt_message,
                                     "batch at byte " + std::to_string(pos_) + " of " + file_->path() + ": " + why));
  };
  if (magic != 2) return corrupt("magic " + std::to_string(magic) + " (the log holds only magic 2 batches)");
  if (length < static_cast<int32_t>(v2::kHeaderSize - v2::kLogOverhead)) {
    return corrupt("batch length " + std::to_string(length) + " is smaller than the batch header");
  }
  size_t size = static_cast<size_t>(length) + v2::kLogOverhead;
  have = fill(verify_ ? size : v2::kHeaderSize);
  if (!have.ok()) return stop(End::corrupt, have.status());
  if (!*have) return stop(End::torn);
  p = buf_.data() + (pos_ - buf_start_);
  if (pos_ + size > limit_) return stop(End::torn);
  current_.position = pos_;
  current_.size = static_cast<uint32_t>(size);
  current_.base_offset = base_offset;
  // A damaged header may hold any delta: checked before the addition, which could overflow.
  const int32_t last_offset_delta = load_be<int32_t>(p + v2::kLastOffsetDelta);
  if (last_offset_delta < 0) return corrupt("last offset delta is negative");
  if (base_offset > std::numeric_limits<int64_t>::max() - last_offset_delta) {
    return corrupt("base offset " + std::to_string(base_offset) + " plus the last offset delta overflows");
  }
  current_.last_offset = base_offset + last_offset_delta;
  current_.max_timestamp = load_be<int64_t>(p + v2::kMaxTimestamp);
  current_.leader_epoch = load_be<int32_t>(p + v2::kPartitionLeaderEpoch);
  current_.magic = magic;
  current_.attributes = load_be<int16_t>(p + v2::kAttributes);
  current_.producer_id = load_be<int64_t>(p + v2::kProducerId);
  current_.producer_epoch = load_be<int16_t>(p + v2::kProducerEpoch);
  current_.base_sequence = load_be<int32_t>(p + v2::kBaseSequence);
  if (verify_) {
    auto batch = record::RecordBatchView::parse(BytesView(p, size));
    if (!batch.ok()) return corrupt(batch.error().message);
    if (auto err = batch->verify_crc()) return corrupt(err->message);
  }
  out = current_;
  return true;
}

StatusOr<BytesView> SegmentScanner::batch_bytes() {
  auto have = fill(current_.size);
  if (!have.ok()) return have.status();
  if (!*have) return Status(ErrorCode::corrupt_message, "batch at byte " + std::to_string(pos_) + " is cut short");
  return BytesView(buf_.data() + (pos_ - buf_start_), current_.size);
}

}  // namespace gregor::storage
