#!/usr/bin/python3
"""kafka-python: produces COUNT records with acks=all, then reads them back from the beginning.

usage: kafka_python_roundtrip.py BOOTSTRAP TOPIC COUNT
"""
import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", request_timeout_ms=20000)
offsets = [producer.send(topic, key=b"k", value=b"v%d" % i).get(timeout=30).offset for i in range(count)]
producer.close()
if offsets != list(range(count)):
    sys.exit("unexpected offsets %r" % offsets)
consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=10000)
tp = TopicPartition(topic, 0)
consumer.assign([tp])
consumer.seek(tp, 0)
values = []
for message in consumer:
    values.append(message.value)
    if len(values) == count:
        break
consumer.close()
if values != [b"v%d" % i for i in range(count)]:
    sys.exit("read back %d records: %r" % (len(values), values[:5]))
print("ok")
