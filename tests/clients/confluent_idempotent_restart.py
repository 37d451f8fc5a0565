#!/usr/bin/python3
"""confluent-kafka (librdkafka): an idempotent producer (enable.idempotence, acks=all) sends
COUNT records to partition 0 of TOPIC one by one, while the test restarts the broker under it.
After every delivery report it writes the number acknowledged so far to PROGRESS, so the test
knows when the stream is under way. Every record must be acknowledged once the broker is back;
then the partition, read from offset 0, must hold exactly the COUNT records, each once and in
order: nothing lost, nothing duplicated by the retries.

usage: confluent_idempotent_restart.py BOOTSTRAP TOPIC COUNT PROGRESS
"""
import os
import sys
import time
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap, topic, count, progress = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
run = uuid.uuid4().hex[:8]
acked = []
errors = []


def report():
    tmp = progress + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(len(acked)))
    os.replace(tmp, progress)


def on_delivery(err, msg):
    if err is not None:
        errors.append(str(err))
    else:
        acked.append(msg.offset())


producer = Producer({
    "bootstrap.servers": bootstrap,
    "acks": "all",
    "enable.idempotence": True,
    "linger.ms": 2,
    "message.timeout.ms": 120000,
    "reconnect.backoff.ms": 50,
    "reconnect.backoff.max.ms": 500,
})
for i in range(count):
    producer.produce(topic, partition=0, key=b"k%d" % i, value=("%s-%d" % (run, i)).encode(),
                     on_delivery=on_delivery)
    producer.poll(0)
    report()
    # A steady stream rather than one burst, so that the restart lands in the middle of it.
    time.sleep(0.002)
if producer.flush(120) != 0:
    sys.exit("records still unacknowledged after the flush")
report()
if errors or len(acked) != count:
    sys.exit("%d of %d acknowledged; errors: %s" % (len(acked), count, errors[:5]))

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "idempotent-restart", "enable.auto.commit": False})
consumer.assign([TopicPartition(topic, 0, 0)])
values = []
deadline = time.time() + 60
while len(values) < count + 1 and time.time() < deadline:
    msg = consumer.poll(2)
    if msg is None:
        if len(values) >= count:
            break
        continue
    if msg.error():
        sys.exit("consumer error: %s" % msg.error())
    values.append(msg.value().decode())
consumer.close()
expected = ["%s-%d" % (run, i) for i in range(count)]
if values != expected:
    missing = sorted(set(expected) - set(values), key=expected.index)
    duplicated = sorted({v for v in values if values.count(v) > 1})
    sys.exit("the partition holds %d records, expected %d; missing %s; duplicated %s" %
             (len(values), count, missing[:5], duplicated[:5]))
print("ok: %d records, each once, in order" % count)
