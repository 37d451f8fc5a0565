#!/usr/bin/python3
"""Writes what the dump-log test reads back, with confluent-kafka (librdkafka):

  an idempotent producer sends COUNT records "k<i>" -> "v<i>" to partition 0 of TOPIC, one
  batch each (flushed one at a time), so the segment has many batches, the producer state a
  producer and its sequences;
  a consumer in group GROUP reads them all and commits synchronously, so __consumer_offsets
  holds the group's metadata (with its member's subscription and assignment) and an offset.

Prints "ok" when every record was acknowledged, read and committed.

usage: dump_log_clients.py BOOTSTRAP TOPIC GROUP COUNT
"""
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

delivered = []
producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 0})
for i in range(count):
    producer.produce(topic, key="k%d" % i, value="v%d" % i, partition=0,
                     on_delivery=lambda err, msg: delivered.append(err))
    producer.flush(30)
if len(delivered) != count or any(delivered):
    sys.exit("produce: %r" % delivered)

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                     "auto.offset.reset": "earliest", "session.timeout.ms": 6000})
consumer.subscribe([topic])
records = []
deadline = time.monotonic() + 60
while len(records) < count and time.monotonic() < deadline:
    m = consumer.poll(0.2)
    if m is not None and not m.error():
        records.append(m)
if len(records) != count:
    sys.exit("read %d of %d records" % (len(records), count))
done = consumer.commit(offsets=[TopicPartition(topic, 0, count)], asynchronous=False)
if [(p.partition, p.offset, p.error) for p in done] != [(0, count, None)]:
    sys.exit("commit answered %r" % done)
consumer.close()
print("ok")
