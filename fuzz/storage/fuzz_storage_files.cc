// Arbitrary bytes as the files the storage layer reads back: a segment to recover, an index to
// trust after a clean shutdown, and the checkpoint and metadata files. None may crash, hang or
// allocate without bound; a recovered log must read back and take appends.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "record/batch_builder.h"
#include "storage/checkpoint_file.h"
#include "storage/log.h"
#include "storage/partition_metadata.h"
#include "storage/sim_file_system.h"

using namespace gregor;
using namespace gregor::storage;

namespace {

void write(SimFileSystem& fs, const std::string& path, BytesView bytes) {
  auto f = fs.open(path, OpenMode::create);
  if (f.ok()) (void)(*f)->write_at(0, bytes);
}

void exercise(SimFileSystem& fs, bool clean) {
  ManualClock clock;
  InlineSyncExecutor syncs;
  Log::Options o;
  o.dir = "/d/t-0";
  o.clean_shutdown = clean;
  o.config.message_timestamp_after_max_ms = LogConfig::kLongMax;
  auto log = Log::open(fs, clock, syncs, o);
  if (!log.ok()) return;
  int64_t offset = (*log)->log_start_offset();
  for (int i = 0; i < 64 && offset < (*log)->log_end_offset(); ++i) {
    auto r = (*log)->read(offset, 1 << 16);
    if (!r.ok() || r->slice.size == 0) break;
    offset += 1;
  }
  (void)(*log)->offset_for_timestamp(0);
  (void)(*log)->offset_for_timestamp(kMaxTimestamp);
  record::RecordBatchBuilder builder({});
  builder.append(1, BytesView::of("k"), BytesView::of("v"));
  Bytes batch;
  if (builder.finish(batch)) return;
  auto appended = (*log)->append_as_leader(batch, 0);
  if (appended.ok() && appended->base_offset != (*log)->log_end_offset() - 1) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool quiet = (spdlog::set_level(spdlog::level::off), true);
  (void)quiet;
  if (size == 0) return 0;
  uint8_t selector = data[0];
  BytesView bytes(data + 1, size - 1);
  switch (selector % 4) {
    case 0: {  // a segment after a crash
      SimFileSystem fs;
      (void)fs.create_dirs("/d/t-0");
      write(fs, "/d/t-0/00000000000000000000.log", bytes);
      exercise(fs, /*clean=*/false);
      break;
    }
    case 1: {  // an index (and the same bytes as the log) trusted after a clean shutdown
      SimFileSystem fs;
      (void)fs.create_dirs("/d/t-0");
      write(fs, "/d/t-0/00000000000000000000.log", bytes);
      write(fs, "/d/t-0/00000000000000000000.index", bytes.subview(0, bytes.size() / 2 * 2 / 8 * 8));
      write(fs, "/d/t-0/00000000000000000000.timeindex", bytes.subview(0, bytes.size() / 12 * 12));
      exercise(fs, /*clean=*/true);
      break;
    }
    case 2: {
      std::string_view text = bytes.as_chars();
      (void)decode_offset_checkpoint(text, "fuzz");
      (void)decode_leader_epoch_checkpoint(text, "fuzz");
      (void)decode_partition_metadata(text, "fuzz");
      break;
    }
    case 3: {  // a leader epoch checkpoint the log loads
      SimFileSystem fs;
      (void)fs.create_dirs("/d/t-0");
      write(fs, "/d/t-0/leader-epoch-checkpoint", bytes);
      exercise(fs, /*clean=*/false);
      break;
    }
  }
  return 0;
}
