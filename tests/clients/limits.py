#!/usr/bin/python3
"""confluent-kafka (librdkafka) at the broker's limits.

usage: limits.py large BOOTSTRAP TOPIC
         a 1 MB value is written and read back; a 2 MB one is refused with MESSAGE_TOO_LARGE
       limits.py partitions BOOTSTRAP TOPIC COUNT
         one topic of COUNT partitions: a record to each, each read back from its partition
       limits.py topics BOOTSTRAP PREFIX COUNT
         COUNT topics: a record to each, each read back
       limits.py produce-until BOOTSTRAP TOPIC STOPFILE
         produces with acks=all until STOPFILE exists, then prints "delivered N"; any failed
         delivery is an error
"""
import os
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def fail(why):
    sys.exit(why)


def create_topics(bootstrap, topics, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(t, num_partitions=partitions, replication_factor=1) for t in topics],
                                  operation_timeout=60)
    for topic, future in futures.items():
        try:
            future.result(60)
        except Exception as e:  # noqa: BLE001 - the error is the test's output
            fail("creating %s failed: %s" % (topic, e))


def produce_all(producer, items):
    """items: (topic, partition, value); every one must be acknowledged."""
    results = []
    for topic, partition, value in items:
        while True:
            try:
                producer.produce(topic, value=value, partition=partition,
                                 on_delivery=lambda err, msg: results.append(err))
                break
            except BufferError:
                producer.poll(0.1)
    if producer.flush(120) != 0:
        fail("records still unacknowledged after the flush")
    errors = [e for e in results if e is not None]
    if len(results) != len(items) or errors:
        fail("%d of %d acknowledged, errors: %s" % (len(results) - len(errors), len(items), errors[:5]))


def read_back(bootstrap, expected, extra=None):
    """expected: {(topic, partition): [values from offset 0]}"""
    config = {"bootstrap.servers": bootstrap, "group.id": "limits", "enable.auto.commit": False}
    config.update(extra or {})
    consumer = Consumer(config)
    consumer.assign([TopicPartition(t, p, 0) for (t, p) in expected])
    got = {key: [] for key in expected}
    want = sum(len(v) for v in expected.values())
    have = 0
    deadline = time.time() + 120
    while have < want and time.time() < deadline:
        msg = consumer.poll(1)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                continue
            fail("consumer error: %s" % msg.error())
        got[(msg.topic(), msg.partition())].append(msg.value())
        have += 1
    consumer.close()
    for key, values in expected.items():
        if got[key] != values:
            fail("%s[%d]: read %d records, expected %d" % (key[0], key[1], len(got[key]), len(values)))


def large(bootstrap, topic):
    create_topics(bootstrap, [topic], 1)
    one_mb = os.urandom(1000 * 1000)
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "message.max.bytes": 4 << 20,
                         "compression.type": "none"})
    produce_all(producer, [(topic, 0, one_mb)])
    read_back(bootstrap, {(topic, 0): [one_mb]})
    # Over the broker's message.max.bytes (1048588 by default): the broker refuses it.
    errors = []
    producer.produce(topic, value=os.urandom(2 << 20), partition=0, on_delivery=lambda err, msg: errors.append(err))
    producer.flush(60)
    if len(errors) != 1 or errors[0] is None or errors[0].code() != KafkaError.MSG_SIZE_TOO_LARGE:
        fail("a 2 MB record: expected MESSAGE_TOO_LARGE, got %s" % errors)
    # The refused record left nothing behind: the partition still holds the 1 MB one only.
    read_back(bootstrap, {(topic, 0): [one_mb]})


def partitions(bootstrap, topic, count):
    create_topics(bootstrap, [topic], count)
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 20})
    items = [(topic, p, b"p%d" % p) for p in range(count)]
    produce_all(producer, items)
    read_back(bootstrap, {(topic, p): [b"p%d" % p] for p in range(count)})


def topics(bootstrap, prefix, count):
    names = ["%s-%d" % (prefix, i) for i in range(count)]
    create_topics(bootstrap, names, 1)
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 20})
    produce_all(producer, [(t, 0, t.encode()) for t in names])
    read_back(bootstrap, {(t, 0): [t.encode()] for t in names})


def produce_until(bootstrap, topic, stop_file):
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 2})
    errors = []
    delivered = [0]

    def on_delivery(err, msg):
        if err is None:
            delivered[0] += 1
        else:
            errors.append(err)

    sent = 0
    while not os.path.exists(stop_file):
        producer.produce(topic, value=b"steady-%d" % sent, partition=0, on_delivery=on_delivery)
        sent += 1
        producer.poll(0.005)
        if errors:
            fail("delivery failed while producing: %s" % errors[0])
    if producer.flush(60) != 0 or errors or delivered[0] != sent:
        fail("sent %d, delivered %d, errors %s" % (sent, delivered[0], errors[:5]))
    print("delivered %d" % sent)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "large":
        large(args[0], args[1])
    elif mode == "partitions":
        partitions(args[0], args[1], int(args[2]))
    elif mode == "topics":
        topics(args[0], args[1], int(args[2]))
    elif mode == "produce-until":
        produce_until(args[0], args[1], args[2])
    else:
        fail(__doc__)
    print("ok")
