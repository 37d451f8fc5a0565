// Arbitrary bytes as a producer state snapshot (`<offset>.snapshot`): the decoder must refuse
// them or give entries that encode and decode back to the same, and a log whose latest snapshot
// they are must open (a snapshot that does not decode is deleted and the state rebuilt from the
// log), keep the producers the bytes name, and take an idempotent producer's appends.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <map>

#include "common/endian.h"
#include "record/batch_builder.h"
#include "record/crc32c.h"
#include "storage/log.h"
#include "storage/producer_state.h"
#include "storage/sim_file_system.h"

using namespace gregor;
using namespace gregor::storage;

namespace {

Bytes batch(int64_t producer_id, int32_t sequence, int64_t timestamp) {
  record::BatchOptions options;
  options.producer_id = producer_id;
  options.producer_epoch = 0;
  options.base_sequence = sequence;
  record::RecordBatchBuilder builder(options);
  builder.append(timestamp, BytesView::of("k"), BytesView::of("v"));
  Bytes out;
  if (builder.finish(out)) __builtin_trap();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool quiet = (spdlog::set_level(spdlog::level::off), true);
  (void)quiet;
  // With the low bit of the first byte set, the CRC is made right, so the entries themselves get explored.
  Bytes owned(data, data + size);
  if (size >= 10 && (data[0] & 1)) {
    owned[0] &= 0xfe;
    store_be<uint32_t>(owned.data() + 2, record::crc32c(BytesView(owned.data() + 6, owned.size() - 6)));
  }
  BytesView bytes(owned);
  auto decoded = decode_producer_snapshot(bytes);
  if (decoded.ok()) {
    auto again = decode_producer_snapshot(encode_producer_snapshot(*decoded));
    if (!again.ok() || *again != *decoded) __builtin_trap();
  }

  // A log of one batch, with the bytes as its snapshot at the log end, opened after a clean shutdown.
  SimFileSystem fs;
  ManualClock clock;
  InlineSyncExecutor syncs;
  Log::Options o;
  o.dir = "/d/t-0";
  o.config.message_timestamp_after_max_ms = LogConfig::kLongMax;
  {
    auto log = Log::open(fs, clock, syncs, o);
    if (!log.ok()) __builtin_trap();
    Bytes first = batch(7, 0, clock.now_ms());
    if (!(*log)->append_as_leader(first, 0).ok()) __builtin_trap();
    if (!(*log)->close().ok()) __builtin_trap();
  }
  auto file = fs.open("/d/t-0/" + producer_snapshot_file_name(1), OpenMode::create);
  if (!file.ok() || !(*file)->truncate(0).ok() || !(*file)->write_at(0, bytes).ok()) __builtin_trap();
  o.clean_shutdown = true;
  o.recovery_point = 1;
  auto log = Log::open(fs, clock, syncs, o);
  if (!log.ok()) return 0;  // a snapshot file the file system cannot read is an I/O error, not a crash
  const ProducerStateManager& state = (*log)->producer_state();
  if (decoded.ok()) {
    // Every producer the snapshot names (its last entry, should it repeat) and producer.id.expiration.ms keeps is
    // there with the snapshot's epoch.
    std::map<int64_t, ProducerSnapshotEntry> last;
    for (const ProducerSnapshotEntry& e : *decoded) last[e.producer_id] = e;
    for (const auto& [id, e] : last) {
      int64_t idle = 0;
      if (__builtin_sub_overflow(clock.now_ms(), e.timestamp, &idle)) idle = e.timestamp < 0 ? INT64_MAX : INT64_MIN;
      if (e.current_txn_first_offset < 0 && idle >= o.producer_id_expiration_ms) continue;
      const ProducerStateEntry* p = state.find(id);
      if (!p || p->producer_epoch != e.producer_epoch) __builtin_trap();
    }
  } else if (const ProducerStateEntry* p = state.find(7); !p || p->last_seq() != 0) {
    __builtin_trap();  // rebuilt from the log
  }
  // A producer the snapshot may or may not know appends; its retry is a duplicate.
  Bytes next = batch(8, 0, clock.now_ms());
  auto appended = (*log)->append_as_leader(next, 0);
  if (!appended.ok()) {
    // Only a sequence the snapshot gave producer 8 can refuse it.
    if (!state.find(8)) __builtin_trap();
    return 0;
  }
  if (!appended->duplicate) {
    Bytes retry = batch(8, 0, clock.now_ms());
    auto again = (*log)->append_as_leader(retry, 0);
    if (!again.ok() || !again->duplicate || again->base_offset != appended->base_offset) __builtin_trap();
  }
  return 0;
}
