#!/usr/bin/python3
"""Committed offsets, as another client sees them (OffsetFetch through kafka-python's
KafkaAdminClient.list_consumer_group_offsets):

  auto: consumers with enable.auto.commit and a short auto.commit.interval.ms (confluent-kafka,
        kafka-python, kafkajs, each in a group of its own) read every record; while they keep
        running, their group's committed offsets reach the end of every partition.
  sync-async: synchronous and asynchronous commits of chosen offsets, with confluent-kafka and
        kafka-python: a synchronous commit is visible once it returns, an asynchronous one once
        its callback reports success; the committing consumer reads them back too.

Prints "ok" when every check passed.

usage: group_commits.py BOOTSTRAP TOPIC auto|sync-async
"""
import sys

from group_util import (Member, admin, check, close_all, committed, create_topic, poll_until, produce,
                        wait_until)

bootstrap, topic, mode = sys.argv[1], sys.argv[2], sys.argv[3]
PARTITIONS = 3
PER_PARTITION = 4
create_topic(bootstrap, topic, PARTITIONS)
produce(bootstrap, topic, PER_PARTITION, PARTITIONS)
admin_client = admin(bootstrap)
end = {p: PER_PARTITION for p in range(PARTITIONS)}


def auto_commits():
    for lib in ("confluent", "kafka-python", "kafkajs"):
        group = "%s-auto-%s" % (topic, lib)
        m = Member(lib, bootstrap, topic, group, lib + "-auto", auto_commit=True, auto_commit_interval_ms=200)
        wait_until(lambda: len(m.records()) >= PARTITIONS * PER_PARTITION, 30, lib + " reading every record", [m])
        wait_until(lambda: committed(admin_client, group, topic) == end, 15,
                   "%s auto-committing %r (committed: %r)" % (lib, end, committed(admin_client, group, topic)), [m])
        check(m.proc.poll() is None, lib + " still running: the commits were the automatic ones")
        close_all([m])


def confluent_commits():
    from confluent_kafka import Consumer, TopicPartition
    acknowledged = []
    group = topic + "-confluent"
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                         "auto.offset.reset": "earliest", "session.timeout.ms": 2000,
                         "on_commit": lambda err, partitions: acknowledged.append((err, partitions))})
    consumer.subscribe([topic])
    records = []
    check(poll_until(lambda: records.extend(m for m in [consumer.poll(0.1)] if m and not m.error()) or
                     len(records) >= PARTITIONS * PER_PARTITION, 30), "confluent reading every record")
    # Synchronous: committed by the time commit() returns.
    first = next(m for m in records if m.partition() == 0)
    done = consumer.commit(message=first, asynchronous=False)
    check([(p.partition, p.offset, p.error) for p in done] == [(0, first.offset() + 1, None)],
          "confluent's synchronous commit answered %r" % done)
    check(committed(admin_client, group, topic) == {0: first.offset() + 1},
          "after a synchronous commit: %r" % committed(admin_client, group, topic))
    # Asynchronous: committed once the callback (served by poll) says so.
    check(consumer.commit(offsets=[TopicPartition(topic, 1, 3), TopicPartition(topic, 2, 2)], asynchronous=True)
          is None, "an asynchronous commit returns at once")
    check(poll_until(lambda: consumer.poll(0.05) is None and acknowledged, 20), "confluent's commit callback")
    err, partitions = acknowledged[-1]
    check(err is None and sorted((p.partition, p.offset) for p in partitions) == [(1, 3), (2, 2)],
          "confluent's asynchronous commit: %r %r" % (err, partitions))
    check(committed(admin_client, group, topic) == {0: first.offset() + 1, 1: 3, 2: 2},
          "after an asynchronous commit: %r" % committed(admin_client, group, topic))
    mine = consumer.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)
    check([p.offset for p in mine] == [first.offset() + 1, 3, 2], "confluent's committed(): %r" % mine)
    consumer.close()


def kafka_python_commits():
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata
    group = topic + "-kafka-python"
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                             auto_offset_reset="earliest", session_timeout_ms=2000, heartbeat_interval_ms=250)
    consumer.subscribe([topic])
    count = []
    check(poll_until(lambda: count.extend(r for rs in consumer.poll(100).values() for r in rs) or
                     len(count) >= PARTITIONS * PER_PARTITION, 30), "kafka-python reading every record")
    tp = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    consumer.commit({tp[0]: OffsetAndMetadata(2, "sync")})
    check(committed(admin_client, group, topic) == {0: 2}, "after a synchronous commit: %r" %
          committed(admin_client, group, topic))
    acknowledged = []
    consumer.commit_async({tp[1]: OffsetAndMetadata(1, "async"), tp[2]: OffsetAndMetadata(4, "async")},
                          callback=lambda offsets, response: acknowledged.append(response))
    check(poll_until(lambda: consumer.poll(50) == {} and acknowledged, 20), "kafka-python's commit callback")
    check(not isinstance(acknowledged[0], Exception), "kafka-python's asynchronous commit: %r" % acknowledged)
    offsets = admin_client.list_consumer_group_offsets(group)
    check({tp.partition: (om.offset, om.metadata) for tp, om in offsets.items()} ==
          {0: (2, "sync"), 1: (1, "async"), 2: (4, "async")}, "after an asynchronous commit: %r" % offsets)
    check([consumer.committed(t) for t in tp] == [2, 1, 4], "kafka-python's committed()")
    consumer.close(autocommit=False)


if mode == "auto":
    auto_commits()
else:
    confluent_commits()
    kafka_python_commits()
print("ok")
