// Kafka's rules for topic names (org.apache.kafka.common.internals.Topic), shared by topic
// creation, config changes and anything else that takes a name from a client.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gregor::metadata {

inline constexpr std::string_view kClusterMetadataTopic = "__cluster_metadata";
inline constexpr size_t kMaxTopicNameLength = 249;

// Why the name is not a legal topic name, in Kafka's words ("Topic name is invalid: '.' is not
// allowed"), or nullopt when it is legal: 1 to 249 characters of [a-zA-Z0-9._-], and neither "."
// nor "..". Lengths are counted as Java counts them (UTF-16 units), so the first rule a name
// breaks is the one Kafka names.
std::optional<std::string> topic_name_error(std::string_view name);

// Metric names turn '.' into '_', so names that differ only there collide.
bool has_collision_chars(std::string_view name);
// The name with every '.' turned into '_': equal for names that collide.
std::string unify_collision_chars(std::string_view name);

}  // namespace gregor::metadata
