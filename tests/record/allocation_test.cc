// Iterating an uncompressed batch must not touch the heap. Counting replaced global
// allocation functions make that checkable.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "record/batch_builder.h"
#include "record/record.h"

namespace {
std::atomic<size_t> allocations{0};
}  // namespace

void* operator new(size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace gregor::record {
namespace {

TEST(Allocation, UncompressedIterationAllocatesNothing) {
  RecordBatchBuilder builder(BatchOptions{});
  Header headers[] = {{"a", BytesView::of("1")}, {"b", std::nullopt}};
  for (int i = 0; i < 500; ++i) builder.append(i, BytesView::of("key"), BytesView::of("value"), headers);
  Bytes bytes;
  ASSERT_FALSE(builder.finish(bytes));
  auto batch = RecordBatchView::parse(bytes);
  ASSERT_TRUE(batch);
  RecordReader reader(1 << 20);

  size_t before = allocations.load();
  bool opened = !reader.open(*batch);
  Record r;
  int records = 0, header_count = 0;
  while (reader.next(r)) {
    ++records;
    for (const Header& h : r.headers) header_count += h.key.size() == 1;
  }
  bool crc_ok = !batch->verify_crc();
  size_t during = allocations.load() - before;

  EXPECT_TRUE(opened);
  EXPECT_TRUE(reader.ok());
  EXPECT_TRUE(crc_ok);
  EXPECT_EQ(records, 500);
  EXPECT_EQ(header_count, 1000);
  EXPECT_EQ(during, 0u);
}

TEST(Allocation, CompressedBatchesReuseTheReadersBuffer) {
  BatchOptions options;
  options.compression = Compression::lz4;
  RecordBatchBuilder builder(options);
  for (int i = 0; i < 200; ++i)
    builder.append(i, BytesView::of("key"), BytesView::of("a compressible value"));
  Bytes bytes;
  ASSERT_FALSE(builder.finish(bytes));
  auto batch = RecordBatchView::parse(bytes);
  ASSERT_TRUE(batch);
  RecordReader reader(1 << 20);
  ASSERT_FALSE(reader.open(*batch));  // warms the buffer

  size_t before = allocations.load();
  Record r;
  int records = 0;
  while (reader.next(r)) ++records;
  size_t iterating = allocations.load() - before;
  EXPECT_EQ(records, 200);
  EXPECT_EQ(iterating, 0u);
}

}  // namespace
}  // namespace gregor::record
