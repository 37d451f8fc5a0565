#!/usr/bin/python3
"""confluent-kafka (librdkafka): a consumer after DeleteRecords. Reading from the beginning
starts at the new log start; a consumer holding an offset below it gets OFFSET_OUT_OF_RANGE
from the broker and, with auto.offset.reset=earliest, resumes at the log start. The topic must
hold COUNT records (offsets 0 to COUNT-1) whose log start is START.

usage: log_apis_confluent.py BOOTSTRAP TOPIC COUNT START
"""
import sys

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

bootstrap, topic, count, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])


def read_from(offset):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "log-apis", "enable.auto.commit": False,
                         "auto.offset.reset": "earliest"})
    consumer.assign([TopicPartition(topic, 0, offset)])
    offsets = []
    while len(offsets) < count - start:
        msg = consumer.poll(10)
        if msg is None:
            break
        if msg.error():
            sys.exit("consumer error: %s" % msg.error())
        offsets.append(msg.offset())
    low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    consumer.close()
    return offsets, low, high


for name, offset in (("the beginning", OFFSET_BEGINNING), ("a deleted offset", 0)):
    offsets, low, high = read_from(offset)
    if offsets != list(range(start, count)):
        sys.exit("from %s read offsets %r, expected %d..%d" % (name, offsets[:5], start, count - 1))
    if (low, high) != (start, count):
        sys.exit("watermarks %r, expected %r" % ((low, high), (start, count)))
    print("from %s: offsets %d..%d" % (name, offsets[0], offsets[-1]))
print("ok")
