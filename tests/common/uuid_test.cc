#include <gtest/gtest.h>

#include "common/uuid.h"

namespace gregor {
namespace {

TEST(Uuid, PrintsAsKafkaDoes) {
  // Kafka prints Uuid(0, 1) as "AAAAAAAAAAAAAAAAAAAAAQ" (URL-safe base64, no padding).
  EXPECT_EQ(Uuid::from_halves(0, 1).to_string(), "AAAAAAAAAAAAAAAAAAAAAQ");
  EXPECT_EQ(Uuid::zero().to_string(), "AAAAAAAAAAAAAAAAAAAAAA");
  Uuid all = Uuid::from_halves(~0ull, ~0ull);
  EXPECT_EQ(all.to_string(), "_____________________w");
}

TEST(Uuid, ParsesWhatItPrints) {
  Uuid u = Uuid::from_halves(0x1234567890abcdef, 0x0fedcba987654321);
  auto parsed = Uuid::parse(u.to_string());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, u);
  EXPECT_EQ(parsed->most_significant(), 0x1234567890abcdefull);
  EXPECT_EQ(parsed->least_significant(), 0x0fedcba987654321ull);
}

TEST(Uuid, RejectsMalformedText) {
  EXPECT_FALSE(Uuid::parse("short"));
  EXPECT_FALSE(Uuid::parse("AAAAAAAAAAAAAAAAAAAAA="));
  EXPECT_FALSE(Uuid::parse("AAAAAAAAAAAAAAAAAAAAAB"));  // non-zero padding bits
}

}  // namespace
}  // namespace gregor
