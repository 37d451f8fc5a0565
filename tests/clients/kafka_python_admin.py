#!/usr/bin/python3
"""kafka-python's KafkaAdminClient: creates topics (with configs, with replica assignments),
lists and describes them, adds partitions and produces to a new one, deletes a topic, describes
the cluster, and checks the errors of bad requests. Prints "ok" when every check passed.

usage: kafka_python_admin.py BOOTSTRAP
"""
import sys

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewPartitions, NewTopic
from kafka.errors import (InvalidPartitionsError, TopicAlreadyExistsError,
                          UnknownTopicOrPartitionError)

bootstrap = sys.argv[1]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=20000, client_id="kp-admin")


def check(condition, what):
    if not condition:
        sys.exit("failed: " + what)


def expect_error(error, call, *args):
    try:
        call(*args)
    except error:
        return
    sys.exit("failed: expected %s from %s%r" % (error.__name__, call.__name__, args))


def partitions_of(topic):
    [described] = admin.describe_topics([topic])
    check(described["error_code"] == 0, "describing %s: %r" % (topic, described))
    return sorted(p["partition"] for p in described["partitions"])


admin.create_topics([
    NewTopic("kp-configured", 2, 1, topic_configs={"cleanup.policy": "compact", "retention.ms": "3600000"}),
    NewTopic("kp-assigned", -1, -1, replica_assignments={0: [1], 1: [1], 2: [1]}),
])
check({"kp-configured", "kp-assigned"} <= set(admin.list_topics()), "list_topics: %r" % admin.list_topics())
check(partitions_of("kp-configured") == [0, 1], "kp-configured partitions")
check(partitions_of("kp-assigned") == [0, 1, 2], "kp-assigned partitions")
[assigned] = admin.describe_topics(["kp-assigned"])
for p in assigned["partitions"]:
    check(p["leader"] == 1 and p["replicas"] == [1] and p["isr"] == [1], "kp-assigned partition %r" % p)
expect_error(TopicAlreadyExistsError, admin.create_topics, [NewTopic("kp-configured", 1, 1)])

admin.create_partitions({"kp-configured": NewPartitions(4)})
check(partitions_of("kp-configured") == [0, 1, 2, 3], "kp-configured after create_partitions")
# validate_only changes nothing.
admin.create_partitions({"kp-configured": NewPartitions(6)}, validate_only=True)
check(partitions_of("kp-configured") == [0, 1, 2, 3], "kp-configured after a validate-only create_partitions")
expect_error(InvalidPartitionsError, admin.create_partitions, {"kp-configured": NewPartitions(4)})
expect_error(InvalidPartitionsError, admin.create_partitions, {"kp-configured": NewPartitions(2)})
expect_error(UnknownTopicOrPartitionError, admin.create_partitions, {"kp-nowhere": NewPartitions(2)})

# A new partition is led at once: produce to it.
producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", request_timeout_ms=20000)
sent = producer.send("kp-configured", key=b"k", value=b"to-a-new-partition", partition=3).get(timeout=30)
producer.close()
check(sent.partition == 3 and sent.offset == 0, "produced to the new partition: %r" % (sent,))

admin.delete_topics(["kp-assigned"])
check("kp-assigned" not in admin.list_topics(), "kp-assigned still listed after delete_topics")
expect_error(UnknownTopicOrPartitionError, admin.delete_topics, ["kp-assigned"])
# Created again under the same name: a new topic.
admin.create_topics([NewTopic("kp-assigned", 1, 1)])
check(partitions_of("kp-assigned") == [0], "kp-assigned created again")

cluster = admin.describe_cluster()
check(cluster["controller_id"] == 1, "describe_cluster controller: %r" % cluster)
check(len(cluster["cluster_id"] or "") == 22, "describe_cluster cluster id: %r" % cluster)
check([(b["node_id"], b["host"]) for b in cluster["brokers"]] == [(1, "127.0.0.1")], "brokers: %r" % cluster)
admin.close()
print("ok")
