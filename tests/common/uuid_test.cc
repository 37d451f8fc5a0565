#include "common/uuid.h"

#include <gtest/gtest.h>

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

TEST(Uuid, ReadsAsKafkasFromString) {
  std::string error;
  // Padding and non-zero unused bits are accepted, as Java's decoder accepts them.
  EXPECT_EQ(Uuid::from_kafka_string("AAAAAAAAAAAAAAAAAAAAAQ==", &error), Uuid::from_halves(0, 1));
  EXPECT_EQ(Uuid::from_kafka_string("AAAAAAAAAAAAAAAAAAAAAB", &error), Uuid::zero());
  EXPECT_FALSE(Uuid::from_kafka_string("abc", &error));
  EXPECT_EQ(error,
            "Input string `abc` decoded as 2 bytes, which is not equal to the expected 16 bytes of a "
            "base64-encoded UUID");
  EXPECT_FALSE(Uuid::from_kafka_string("AAAAAAAAAAAAAAAAAAAAAAAAA", &error));
  EXPECT_EQ(error, "Input string with prefix `AAAAAAAAAAAAAAAAAAAAAAAA` is too long to be decoded as a base64 UUID");
  EXPECT_FALSE(Uuid::from_kafka_string("AAAAAAAAAAAAAAAAAAAA+A", &error));
  EXPECT_EQ(error, "Illegal base64 character 2b");
  EXPECT_FALSE(Uuid::from_kafka_string("AAAAA", &error));
  EXPECT_EQ(error, "Last unit does not have enough valid bits");
}

}  // namespace
}  // namespace gregor
