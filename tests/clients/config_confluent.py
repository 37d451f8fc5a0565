#!/usr/bin/python3
"""describe_configs and alter_configs with confluent-kafka's AdminClient (librdkafka): a topic's
configs, changed and described again, and this broker's (node 1).

usage: config_confluent.py BOOTSTRAP TOPIC
Exits 0 when every answer is what Kafka gives; otherwise prints the first mismatch and exits 1.
"""
import sys

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewTopic

bootstrap, topic = sys.argv[1:3]
admin = AdminClient({"bootstrap.servers": bootstrap, "client.id": "confluent-configs"})


def check(condition, what):
    if not condition:
        print("mismatch:", what)
        sys.exit(1)


def describe(resource_type, name):
    [future] = admin.describe_configs([ConfigResource(resource_type, name)], request_timeout=10).values()
    return future.result(timeout=20)


def alter(resource_type, name, configs):
    [future] = admin.alter_configs([ConfigResource(resource_type, name, set_config=configs)],
                                   request_timeout=10).values()
    return future.result(timeout=20)


[created] = admin.create_topics([NewTopic(topic, 1, 1, config={"cleanup.policy": "compact"})]).values()
created.result(timeout=20)

configs = describe(ConfigResource.Type.TOPIC, topic)
policy = configs["cleanup.policy"]
check((policy.value, policy.source, policy.is_read_only) == ("compact", ConfigSource.DYNAMIC_TOPIC_CONFIG.value, False),
      policy)
check([(s.name, s.value, s.source) for s in policy.synonyms.values()] ==
      [("cleanup.policy", "compact", ConfigSource.DYNAMIC_TOPIC_CONFIG.value),
       ("log.cleanup.policy", "delete", ConfigSource.DEFAULT_CONFIG.value)], policy.synonyms)
check((configs["segment.bytes"].value, configs["segment.bytes"].source) ==
      ("1073741824", ConfigSource.DEFAULT_CONFIG.value), configs["segment.bytes"])

alter(ConfigResource.Type.TOPIC, topic, {"retention.ms": "1000"})
configs = describe(ConfigResource.Type.TOPIC, topic)
check((configs["retention.ms"].value, configs["retention.ms"].source) ==
      ("1000", ConfigSource.DYNAMIC_TOPIC_CONFIG.value), configs["retention.ms"])
check(configs["cleanup.policy"].value == "delete", configs["cleanup.policy"])

try:
    alter(ConfigResource.Type.TOPIC, topic, {"retention.ms": "soon"})
    check(False, "retention.ms=soon was accepted")
except KafkaException as e:
    check(e.args[0].name() == "INVALID_CONFIG", e)

configs = describe(ConfigResource.Type.BROKER, "1")
check((configs["node.id"].value, configs["node.id"].source, configs["node.id"].is_read_only) ==
      ("1", ConfigSource.STATIC_BROKER_CONFIG.value, True), configs["node.id"])
alter(ConfigResource.Type.BROKER, "1", {"log.retention.bytes": "1000000000"})
configs = describe(ConfigResource.Type.BROKER, "1")
check((configs["log.retention.bytes"].value, configs["log.retention.bytes"].source) ==
      ("1000000000", ConfigSource.DYNAMIC_BROKER_CONFIG.value), configs["log.retention.bytes"])
