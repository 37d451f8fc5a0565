#include "record/batch_walker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "batch_bytes.h"
#include "record/batch_builder.h"
#include "record/legacy.h"

namespace gregor::record {
namespace {

using ::testing::HasSubstr;
using testing::view;

Bytes v2(int64_t base_offset, int records) {
  BatchOptions options;
  options.base_offset = base_offset;
  RecordBatchBuilder builder(options);
  for (int i = 0; i < records; ++i) builder.append(1000 + i, view("key"), view("some value"));
  Bytes out;
  EXPECT_FALSE(builder.finish(out));
  return out;
}

std::vector<BatchEntry> walk(BatchWalker& walker) {
  std::vector<BatchEntry> out;
  BatchEntry e;
  while (walker.next(e)) out.push_back(e);
  return out;
}

TEST(BatchWalker, YieldsEveryBatchWithItsMagicAndPosition) {
  Bytes records = testing::legacy_message(0, 0, 0, 0, std::nullopt, view("zero"));
  testing::append(records, testing::legacy_message(1, 1, 0, 500, view("k"), view("one")));
  size_t v2_at = records.size();
  testing::append(records, v2(2, 3));
  testing::append(records, v2(5, 1));

  BatchWalker walker(records);
  std::vector<BatchEntry> batches = walk(walker);
  EXPECT_TRUE(walker.ok());
  EXPECT_EQ(walker.partial_tail(), 0u);
  ASSERT_EQ(batches.size(), 4u);
  EXPECT_EQ(batches[0].magic, 0);
  EXPECT_EQ(batches[1].magic, 1);
  EXPECT_EQ(batches[2].magic, 2);
  EXPECT_EQ(batches[3].magic, 2);
  EXPECT_EQ(batches[0].position, 0u);
  EXPECT_EQ(batches[2].position, v2_at);
  EXPECT_EQ(batches[3].position + batches[3].bytes.size(), records.size());
  auto third = RecordBatchView::parse(batches[2].bytes, batches[2].position);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->base_offset(), 2);
  auto first = LegacyBatchView::parse(batches[0].bytes, batches[0].position);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->value(), view("zero"));
}

TEST(BatchWalker, StopsBeforeAPartialTrailingBatch) {
  Bytes records = v2(0, 2);
  Bytes next = v2(2, 2);
  size_t complete = records.size();
  for (size_t cut : {size_t{1}, size_t{12}, size_t{16}, size_t{17}, size_t{61}, next.size() - 1}) {
    Bytes data = records;
    data.insert(data.end(), next.begin(), next.begin() + static_cast<ptrdiff_t>(cut));
    BatchWalker walker(data);
    EXPECT_EQ(walk(walker).size(), 1u) << cut;
    EXPECT_TRUE(walker.ok()) << cut;
    EXPECT_EQ(walker.partial_tail(), cut);
    EXPECT_EQ(data.size() - walker.partial_tail(), complete);
  }
}

TEST(BatchWalker, EmptyInput) {
  BatchWalker walker(BytesView{});
  EXPECT_TRUE(walk(walker).empty());
  EXPECT_TRUE(walker.ok());
  EXPECT_EQ(walker.partial_tail(), 0u);
}

TEST(BatchWalker, SizeBelowTheSmallestMessageIsCorrupt) {
  Bytes records = v2(0, 1);
  size_t second = records.size();
  testing::append(records, v2(1, 1));
  records[second + 11] = 13;
  records[second + 10] = records[second + 9] = records[second + 8] = 0;
  BatchWalker walker(records);
  EXPECT_EQ(walk(walker).size(), 1u);
  ASSERT_FALSE(walker.ok());
  EXPECT_EQ(walker.error().field, "size");
  EXPECT_EQ(walker.error().offset, second + 8);
  EXPECT_THAT(walker.error().message, HasSubstr("below the minimum of 14"));
}

TEST(BatchWalker, ACorruptPartialBatchIsCorruptNotPartial) {
  // Kafka checks the size once 12 bytes are here and the magic once 17 are, before asking
  // whether the whole batch is.
  Bytes small_size = v2(0, 1);
  small_size[11] = 5;
  small_size[8] = small_size[9] = small_size[10] = 0;
  small_size.resize(13);
  BatchWalker w1(small_size);
  EXPECT_TRUE(walk(w1).empty());
  EXPECT_FALSE(w1.ok());
  EXPECT_EQ(w1.error().field, "size");

  Bytes bad_magic = v2(0, 1);
  bad_magic[16] = 7;
  bad_magic.resize(30);
  BatchWalker w2(bad_magic);
  EXPECT_TRUE(walk(w2).empty());
  EXPECT_FALSE(w2.ok());
  EXPECT_EQ(w2.error().field, "magic");
}

TEST(BatchWalker, UnknownMagicIsAnError) {
  Bytes records = v2(0, 1);
  records[16] = 3;
  BatchWalker walker(records);
  EXPECT_TRUE(walk(walker).empty());
  ASSERT_FALSE(walker.ok());
  EXPECT_EQ(walker.error().field, "magic");
  EXPECT_EQ(walker.error().offset, 16u);
}

}  // namespace
}  // namespace gregor::record
