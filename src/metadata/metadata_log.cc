#include "metadata/metadata_log.h"

#include <algorithm>
#include <utility>

#include "record/batch_builder.h"
#include "record/record.h"
#include "record/record_batch.h"
#include "storage/batch_reader.h"

namespace gregor::metadata {

namespace {

// How much one read of the partition asks for; a larger batch is still returned whole.
constexpr uint32_t kReadBytes = 1024 * 1024;

Status corrupt(int64_t offset, const std::string& what) {
  return Status(ErrorCode::corrupt_message, "metadata log at offset " + std::to_string(offset) + ": " + what);
}

}  // namespace

StatusOr<std::vector<MetadataRecord>> decode_batch_records(BytesView bytes) {
  auto batch = record::RecordBatchView::parse(bytes);
  if (!batch.ok()) return Status(ErrorCode::corrupt_message, batch.error().to_string());
  if (auto err = batch->verify_crc()) return corrupt(batch->base_offset(), err->to_string());
  std::vector<MetadataRecord> records;
  if (batch->is_control()) return records;
  record::RecordReader reader(std::max<size_t>(bytes.size() * 64, kReadBytes));
  if (auto err = reader.open(*batch)) return corrupt(batch->base_offset(), err->to_string());
  record::Record r;
  while (reader.next(r)) {
    if (!r.value) return corrupt(r.offset, "a record with a null value");
    auto decoded = decode_record(*r.value);
    if (!decoded.ok()) return corrupt(r.offset, decoded.error().to_string());
    records.push_back(std::move(*decoded));
  }
  if (!reader.ok()) return corrupt(batch->base_offset(), reader.error().to_string());
  return records;
}

storage::LogConfig MetadataLog::log_config(const Options& options) {
  storage::LogConfig config;
  config.cleanup_policy_delete = true;
  config.cleanup_policy_compact = false;
  config.retention_ms = -1;
  config.retention_bytes = -1;
  config.max_message_bytes = options.max_batch_bytes;
  return config;
}

StatusOr<MetadataLog::Opened> MetadataLog::open(storage::FileSystem& fs, storage::Clock& clock,
                                                storage::SyncExecutor& syncs, Options options) {
  storage::Log::Options log_options;
  log_options.dir = storage::join_path(options.metadata_dir, kPartitionDirName);
  log_options.config = log_config(options);
  auto log = storage::Log::open(fs, clock, syncs, std::move(log_options));
  if (!log.ok()) return log.status();
  // What recovery kept may still be only in the page cache: make it durable before treating it
  // as committed, or a power loss could take back records the image already reflects.
  if (Status s = (*log)->flush(); !s.ok()) return s;
  (*log)->set_high_watermark((*log)->log_end_offset());

  ImageBuilder builder(MetadataImage::empty());
  builder.set_cluster_id(options.cluster_id);
  std::unique_ptr<MetadataLog> metadata_log(new MetadataLog(clock, std::move(*log), std::move(options)));
  Status replayed = metadata_log->read_committed(0, [&](const Batch& batch) -> Status {
    for (size_t i = 0; i < batch.records.size(); ++i) {
      const int64_t offset = batch.base_offset + static_cast<int64_t>(i);
      if (Status s = builder.apply(batch.records[i]); !s.ok()) {
        return Status(s.code(), "replaying the metadata log at offset " + std::to_string(offset) + ": " + s.message());
      }
      builder.set_last(offset, batch.leader_epoch);
    }
    return {};
  });
  if (!replayed.ok()) return replayed;
  return Opened{std::move(metadata_log), builder.build()};
}

StatusOr<int64_t> MetadataLog::append(std::span<const MetadataRecord> records, int32_t leader_epoch,
                                      CommitCallback on_commit) {
  if (records.empty()) {
    const int64_t end = log_->log_end_offset();
    log_->when_durable(end, [on_commit = std::move(on_commit), end](Status s) { on_commit(s, end, end - 1); });
    return end;
  }
  record::RecordBatchBuilder builder(record::BatchOptions{});
  const int64_t now = clock_.now_ms();
  Bytes value;
  for (const MetadataRecord& record : records) {
    value.clear();
    if (auto err = encode_record(record, value)) {
      return Status(ErrorCode::invalid_record, std::string("encoding ") + record.type_name() + ": " + *err);
    }
    builder.append(now, std::nullopt, value);
  }
  Bytes batch;
  if (auto err = builder.finish(batch)) return Status(ErrorCode::invalid_record, "building a metadata batch: " + *err);
  if (batch.size() > static_cast<size_t>(options_.max_batch_bytes)) {
    return Status(ErrorCode::message_too_large, "a metadata batch of " + std::to_string(records.size()) +
                                                    " records takes " + std::to_string(batch.size()) +
                                                    " bytes, more than the limit of " +
                                                    std::to_string(options_.max_batch_bytes));
  }
  auto appended = log_->append_as_leader(batch, leader_epoch);
  if (!appended.ok()) return appended.status();
  const int64_t base = appended->base_offset;
  const int64_t last = appended->last_offset;
  log_->when_durable(last + 1, [this, on_commit = std::move(on_commit), base, last](Status s) {
    if (s.ok() && log_->high_watermark() < last + 1) log_->set_high_watermark(last + 1);
    on_commit(s, base, last);
  });
  return base;
}

Status MetadataLog::read_committed(int64_t from_offset, const std::function<Status(const Batch&)>& visit) {
  return storage::for_each_batch(*log_, from_offset, storage::ReadLimit::high_watermark, kReadBytes,
                                 [&](const record::RecordBatchView& view) -> Status {
                                   auto records = decode_batch_records(view.bytes());
                                   if (!records.ok()) return records.status();
                                   return visit(Batch{view.base_offset(), view.partition_leader_epoch(),
                                                      std::move(*records)});
                                 });
}

Status MetadataLog::close() { return log_->close(); }

}  // namespace gregor::metadata
