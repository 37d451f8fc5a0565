// The broker's producer id blocks: ids one by one from the current block, the next block asked
// for at 90%, callers waiting while none is at hand, and a refused block failing them retriably.
#include "broker/producer_id_manager.h"

#include <gtest/gtest.h>

#include <vector>

namespace gregor::broker {
namespace {

class ProducerIdManagerTest : public ::testing::Test {
 protected:
  // Blocks are granted when the test says so.
  std::vector<std::function<void(StatusOr<ProducerIdBlock>)>> requests;
  ProducerIdManager manager{[this](auto done) { requests.push_back(std::move(done)); }};
  std::vector<StatusOr<int64_t>> replies;

  void generate() {
    manager.generate([this](StatusOr<int64_t> id) { replies.push_back(std::move(id)); });
  }
  void grant(int64_t first, int32_t size) {
    ASSERT_FALSE(requests.empty());
    auto done = std::move(requests.front());
    requests.erase(requests.begin());
    done(ProducerIdBlock{first, size});
  }
};

TEST_F(ProducerIdManagerTest, CallersWaitForTheFirstBlockAndAreAnsweredInOrder) {
  generate();
  generate();
  EXPECT_TRUE(replies.empty());
  ASSERT_EQ(requests.size(), 1u) << "one request for both callers";
  grant(5000, 10);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(*replies[0], 5000);
  EXPECT_EQ(*replies[1], 5001);
}

TEST_F(ProducerIdManagerTest, TheNextBlockIsFetchedAtNinetyPercent) {
  generate();
  grant(0, 10);
  for (int i = 1; i < 9; ++i) generate();
  EXPECT_TRUE(requests.empty());
  generate();  // id 9 is the 90% point of a block of ten
  ASSERT_EQ(requests.size(), 1u);
  grant(1000, 10);
  // The rest of the current block, then the next one without waiting.
  generate();
  ASSERT_EQ(replies.size(), 11u);
  EXPECT_EQ(*replies[9], 9);
  EXPECT_EQ(*replies[10], 1000);
  EXPECT_TRUE(requests.empty());
}

TEST_F(ProducerIdManagerTest, ARefusedBlockFailsTheWaitingCallersRetriably) {
  generate();
  generate();
  ASSERT_EQ(requests.size(), 1u);
  requests[0](Status(ErrorCode::coordinator_load_in_progress, "no block"));
  requests.clear();
  ASSERT_EQ(replies.size(), 2u);
  for (const auto& r : replies) EXPECT_EQ(r.status().code(), ErrorCode::coordinator_load_in_progress);
  EXPECT_FALSE(manager.requesting());
  // The next caller asks again.
  generate();
  ASSERT_EQ(requests.size(), 1u);
  grant(42, 1000);
  EXPECT_EQ(*replies.back(), 42);
}

}  // namespace
}  // namespace gregor::broker
