// Topic name rules, with the messages Kafka's Topic.validate gives.
#include "metadata/topic_name.h"

#include <gtest/gtest.h>

namespace gregor::metadata {
namespace {

TEST(TopicName, LegalNames) {
  for (const char* name : {"a", "orders", "Orders-2024_v1.0", "__consumer_offsets", "..."}) {
    EXPECT_FALSE(topic_name_error(name)) << name;
  }
  EXPECT_FALSE(topic_name_error(std::string(249, 'x')));
}

TEST(TopicName, IllegalNamesWithKafkasMessages) {
  EXPECT_EQ(topic_name_error(""), "Topic name is invalid: the empty string is not allowed");
  EXPECT_EQ(topic_name_error("."), "Topic name is invalid: '.' is not allowed");
  EXPECT_EQ(topic_name_error(".."), "Topic name is invalid: '..' is not allowed");
  const std::string long_name(250, 'x');
  EXPECT_EQ(topic_name_error(long_name),
            "Topic name is invalid: the length of '" + long_name + "' is longer than the max allowed length 249");
  EXPECT_EQ(topic_name_error("a b"),
            "Topic name is invalid: 'a b' contains one or more characters other than ASCII alphanumerics, '.', "
            "'_' and '-'");
}

TEST(TopicName, LengthCountsCharactersAsJavaDoes) {
  // 249 two-byte characters are 249 characters long: the character rule is the one broken.
  std::string accented;
  for (int i = 0; i < 249; ++i) accented += "\xc3\xa9";
  EXPECT_NE(topic_name_error(accented)->find("contains one or more characters"), std::string::npos);
}

TEST(TopicName, Collisions) {
  EXPECT_TRUE(has_collision_chars("a.b"));
  EXPECT_TRUE(has_collision_chars("a_b"));
  EXPECT_FALSE(has_collision_chars("a-b"));
  EXPECT_EQ(unify_collision_chars("a.b_c.d"), "a_b_c_d");
}

}  // namespace
}  // namespace gregor::metadata
