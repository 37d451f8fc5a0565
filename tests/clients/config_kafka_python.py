#!/usr/bin/python3
"""DescribeConfigs and AlterConfigs with kafka-python's KafkaAdminClient (Debian's python3-kafka):
a topic's configs, changed and described again, and this broker's (node 1).

usage: config_kafka_python.py BOOTSTRAP TOPIC
Exits 0 when every answer is what Kafka gives; otherwise prints the first mismatch and exits 1.
"""
import sys

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

TOPIC_CONFIG, DYNAMIC_BROKER_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG = 1, 2, 4, 5
UNKNOWN_TOPIC_OR_PARTITION, INVALID_CONFIG = 3, 40

bootstrap, topic = sys.argv[1:3]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="kafka-python-configs", request_timeout_ms=10000)


def check(condition, what):
    if not condition:
        print("mismatch:", what)
        sys.exit(1)


def describe(resource_type, name, keys=None):
    """The resource's entries by name: (name, value, read_only, source, sensitive, synonyms)."""
    configs = dict.fromkeys(keys) if keys else None
    responses = admin.describe_configs([ConfigResource(resource_type, name, configs)], include_synonyms=True)
    check(len(responses) == 1 and len(responses[0].resources) == 1, "one result: %r" % (responses,))
    error, message, _, described_name, entries = responses[0].resources[0]
    return error, {e[0]: e for e in entries}


def alter(resource_type, name, configs):
    response = admin.alter_configs([ConfigResource(resource_type, name, configs)])
    return [(r[0], r[1]) for r in response.resources]


admin.create_topics([NewTopic(topic, 1, 1, topic_configs={"cleanup.policy": "compact"})])

error, configs = describe(ConfigResourceType.TOPIC, topic)
check(error == 0, "describe %s: error %d" % (topic, error))
check(configs["cleanup.policy"][1:4] == ("compact", False, TOPIC_CONFIG), configs["cleanup.policy"])
check(configs["cleanup.policy"][5] == [("cleanup.policy", "compact", TOPIC_CONFIG),
                                       ("log.cleanup.policy", "delete", DEFAULT_CONFIG)],
      configs["cleanup.policy"])
check(configs["retention.ms"][1:4] == ("604800000", False, DEFAULT_CONFIG), configs["retention.ms"])
check(configs["segment.bytes"][5] == [("log.segment.bytes", "1073741824", DEFAULT_CONFIG)], configs["segment.bytes"])

# AlterConfigs replaces the topic's configs: cleanup.policy goes back to its default.
check(alter(ConfigResourceType.TOPIC, topic, {"retention.ms": "1000", "max.message.bytes": "2000"}) == [(0, None)],
      "alter the topic")
error, configs = describe(ConfigResourceType.TOPIC, topic, ["retention.ms", "cleanup.policy"])
check(sorted(configs) == ["cleanup.policy", "retention.ms"], sorted(configs))
check(configs["retention.ms"][1:4] == ("1000", False, TOPIC_CONFIG), configs["retention.ms"])
check(configs["cleanup.policy"][1:4] == ("delete", False, DEFAULT_CONFIG), configs["cleanup.policy"])

errors = alter(ConfigResourceType.TOPIC, topic, {"retention.ms": "soon"})
check(errors[0][0] == INVALID_CONFIG, errors)
error, _ = describe(ConfigResourceType.TOPIC, "no-such-topic")
check(error == UNKNOWN_TOPIC_OR_PARTITION, "describe a missing topic: error %d" % error)

# The broker, and one of its log settings changed for it alone.
error, configs = describe(ConfigResourceType.BROKER, "1")
check(error == 0, "describe broker 1: error %d" % error)
check(configs["node.id"][1:4] == ("1", True, STATIC_BROKER_CONFIG), configs["node.id"])
check(configs["num.partitions"][1:4] == ("1", True, DEFAULT_CONFIG), configs["num.partitions"])
check(alter(ConfigResourceType.BROKER, "1", {"log.retention.ms": "3600000"}) == [(0, None)], "alter broker 1")
error, configs = describe(ConfigResourceType.BROKER, "1", ["log.retention.ms"])
check(configs["log.retention.ms"][1:4] == ("3600000", False, DYNAMIC_BROKER_CONFIG), configs["log.retention.ms"])
admin.close()
