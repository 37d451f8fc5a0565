// Decoding a Produce request that carries one batch of 1,000 records: the request itself (the
// batch stays a view), and the request plus walking every record of the batch.
#include <benchmark/benchmark.h>

#include <string>

#include "protocol/frame.h"
#include "protocol/generated/message/produce_request.h"
#include "record/batch_builder.h"
#include "record/record.h"
#include "record/record_batch.h"

namespace {

using namespace gregor;
namespace p = gregor::protocol;

Bytes make_frame(record::Compression codec) {
  record::BatchOptions opts;
  opts.compression = codec;
  record::RecordBatchBuilder builder(opts);
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "user-" + std::to_string(i);
    const std::string value = "{\"id\":" + std::to_string(i) + ",\"event\":\"click\",\"page\":\"/products/" +
                              std::to_string(i % 37) + "\",\"ms\":" + std::to_string(1700000000000 + i) + "}";
    builder.append(1700000000000 + i, BytesView::of(key), BytesView::of(value));
  }
  static Bytes batch;  // outlives the frame's views
  batch.clear();
  if (builder.finish(batch)) std::abort();
  p::RequestHeader h;
  h.request_api_key = p::ProduceRequest::kApiKey;
  h.request_api_version = 9;
  h.correlation_id = 7;
  h.client_id = "bench";
  p::ProduceRequest req;
  req.acks = -1;
  req.timeout_ms = 30000;
  auto& topic = req.topic_data.emplace_back();
  topic.name = "events";
  topic.partition_data.push_back({0, BytesView(batch), {}});
  Bytes frame;
  if (p::write_request(h, req, frame)) std::abort();
  return Bytes(frame.begin() + 4, frame.end());
}

void BM_ProduceRequestDecode(benchmark::State& state) {
  const Bytes frame = make_frame(record::Compression::none);
  for (auto _ : state) {
    auto header = p::read_request_header(frame);
    auto req = p::decode_message<p::ProduceRequest>(header->body, header->header.request_api_version);
    benchmark::DoNotOptimize(req);
  }
  // Requests per second: the batch inside stays a view, so bytes per second would flatter.
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ProduceRequestDecode);

void BM_ProduceRequestDecodeAndReadRecords(benchmark::State& state) {
  const Bytes frame = make_frame(static_cast<record::Compression>(state.range(0)));
  record::RecordReader reader(16 << 20);
  for (auto _ : state) {
    auto header = p::read_request_header(frame);
    auto req = p::decode_message<p::ProduceRequest>(header->body, header->header.request_api_version);
    auto batch = record::RecordBatchView::parse(*req->topic_data[0].partition_data[0].records);
    if (!batch.ok() || batch->verify_crc() || reader.open(*batch)) std::abort();
    record::Record r;
    int64_t n = 0;
    while (reader.next(r)) ++n;
    if (n != 1000) std::abort();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 1000));
  state.SetLabel(record::compression_name(static_cast<record::Compression>(state.range(0))));
}
BENCHMARK(BM_ProduceRequestDecodeAndReadRecords)->DenseRange(0, 4);

}  // namespace
