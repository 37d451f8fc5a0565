#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>
#include <string>

#include "record/batch_builder.h"
#include "record/compression.h"
#include "record/crc32c.h"
#include "record/record.h"

namespace gregor::record {
namespace {

// A JSON-ish record of about 1 KiB, different per index but reproducible.
std::string json_record(uint32_t i) {
  std::mt19937 rng(i);
  static const char* const kWords[] = {"alpha", "bravo",   "charlie", "delta",
                                       "echo",  "foxtrot", "golf",    "hotel"};
  std::string s = "{\"id\":" + std::to_string(i) + ",\"user\":\"user-" + std::to_string(rng() % 5000) +
                  "\",\"ts\":" + std::to_string(1700000000000 + rng() % 100000) + ",\"tags\":[";
  while (s.size() < 1000) {
    s += "\"" + std::string(kWords[rng() % 8]) + "-" + std::to_string(rng() % 100) + "\",";
  }
  s.back() = ']';
  return s + "}";
}

Bytes records_section(int count) {
  RecordBatchBuilder builder(BatchOptions{});
  for (int i = 0; i < count; ++i) {
    std::string value = json_record(static_cast<uint32_t>(i));
    builder.append(1700000000000 + i, BytesView::of("key-" + std::to_string(i)), BytesView::of(value));
  }
  Bytes batch;
  if (builder.finish(batch)) std::abort();
  return Bytes(batch.begin() + v2::kHeaderSize, batch.end());
}

void BM_Crc32c(benchmark::State& state, uint32_t (*impl)(uint32_t, const uint8_t*, size_t)) {
  if (impl == crc32c_extend_hardware && !crc32c_hardware_available()) {
    state.SkipWithError("no SSE4.2");
    return;
  }
  Bytes data(1 << 20);
  std::mt19937 rng(1);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  for (auto _ : state) benchmark::DoNotOptimize(impl(0, data.data(), data.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK_CAPTURE(BM_Crc32c, hardware, crc32c_extend_hardware);
BENCHMARK_CAPTURE(BM_Crc32c, portable, crc32c_extend_portable);

// 100 records of ~1 KiB: a typical producer batch.
const Bytes& sample() {
  static const Bytes section = records_section(100);
  return section;
}

void BM_Compress(benchmark::State& state, Compression codec) {
  const Bytes& input = sample();
  Bytes out;
  for (auto _ : state) {
    out.clear();
    if (compress(codec, input, out)) state.SkipWithError("compress failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
  state.counters["ratio"] = static_cast<double>(input.size()) / static_cast<double>(out.size());
}

void BM_Decompress(benchmark::State& state, Compression codec) {
  const Bytes& input = sample();
  Bytes packed;
  if (compress(codec, input, packed)) std::abort();
  Bytes out;
  for (auto _ : state) {
    out.clear();
    if (decompress(codec, packed, input.size(), out)) state.SkipWithError("decompress failed");
    benchmark::DoNotOptimize(out.data());
  }
  // Throughput in uncompressed bytes, so codecs compare directly.
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
}

#define CODEC_BENCHMARKS(codec)                              \
  BENCHMARK_CAPTURE(BM_Compress, codec, Compression::codec); \
  BENCHMARK_CAPTURE(BM_Decompress, codec, Compression::codec)
CODEC_BENCHMARKS(gzip);
CODEC_BENCHMARKS(snappy);
CODEC_BENCHMARKS(lz4);
CODEC_BENCHMARKS(zstd);

// 1,000 small records, the per-record overhead case.
constexpr int kRecords = 1000;

void BM_BuildBatch(benchmark::State& state) {
  std::string value(100, 'v');
  Bytes out;
  for (auto _ : state) {
    RecordBatchBuilder builder(BatchOptions{});
    for (int i = 0; i < kRecords; ++i)
      builder.append(1700000000000 + i, BytesView::of("key"), BytesView::of(value));
    out.clear();
    if (builder.finish(out)) state.SkipWithError("finish failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_BuildBatch);

// kRecords uncompressed records with 100-byte values, as BM_BuildBatch writes them.
Bytes sample_batch() {
  RecordBatchBuilder builder(BatchOptions{});
  std::string value(100, 'v');
  for (int i = 0; i < kRecords; ++i)
    builder.append(1700000000000 + i, BytesView::of("key"), BytesView::of(value));
  Bytes bytes;
  if (builder.finish(bytes)) std::abort();
  return bytes;
}

void BM_IterateBatch(benchmark::State& state) {
  const Bytes bytes = sample_batch();
  RecordBatchView batch = *RecordBatchView::parse(bytes);
  RecordReader reader(1 << 20);
  for (auto _ : state) {
    if (reader.open(batch)) state.SkipWithError("open failed");
    Record r;
    size_t total = 0;
    while (reader.next(r)) total += r.value->size();
    benchmark::DoNotOptimize(total);
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_IterateBatch);

void BM_VerifyCrcAndIterate(benchmark::State& state) {
  const Bytes bytes = sample_batch();
  RecordReader reader(1 << 20);
  for (auto _ : state) {
    auto batch = RecordBatchView::parse(bytes);
    if (!batch || batch->verify_crc() || reader.open(*batch)) state.SkipWithError("invalid batch");
    Record r;
    int n = 0;
    while (reader.next(r)) ++n;
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
}
BENCHMARK(BM_VerifyCrcAndIterate);

}  // namespace
}  // namespace gregor::record
