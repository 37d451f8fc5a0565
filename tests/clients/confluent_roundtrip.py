#!/usr/bin/python3
"""confluent-kafka (librdkafka): produces COUNT keyed records with acks=all from an idempotent
producer (enable.idempotence, as librdkafka and the Java client default to today), then reads the
partition from offset 0 with assign() and checks it holds EXPECTED records (default COUNT), the
last COUNT of them the ones just produced, in order.

usage: confluent_roundtrip.py BOOTSTRAP TOPIC COUNT [EXPECTED]
"""
import sys
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
expected = int(sys.argv[4]) if len(sys.argv) > 4 else count
run = uuid.uuid4().hex[:8]
acked = []
producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 5})
for i in range(count):
    producer.produce(topic, key=b"k%d" % i, value=("%s-%d" % (run, i)).encode(),
                     on_delivery=lambda err, msg: acked.append(err is None and msg.offset()))
if producer.flush(30) != 0 or len(acked) != count or any(a is False for a in acked):
    sys.exit("not every record was acknowledged: %r" % acked)
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "roundtrip", "enable.auto.commit": False})
consumer.assign([TopicPartition(topic, 0, 0)])
records = []
while len(records) < expected:
    msg = consumer.poll(10)
    if msg is None:
        break
    if msg.error():
        sys.exit("consumer error: %s" % msg.error())
    records.append(msg)
consumer.close()
if len(records) != expected:
    sys.exit("read %d records, expected %d" % (len(records), expected))
if [m.offset() for m in records] != list(range(expected)):
    sys.exit("offsets are not 0..%d" % (expected - 1))
mine = [m.value().decode() for m in records[-count:]]
if mine != ["%s-%d" % (run, i) for i in range(count)]:
    sys.exit("the records read back differ from those produced")
print("ok")
