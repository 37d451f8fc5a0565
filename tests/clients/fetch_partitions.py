#!/usr/bin/python3
"""A consumer reading several partitions over many small fetches: produces COUNT records to each
of PARTITIONS partitions of TOPIC (created by the broker with num.partitions), then assigns every
partition from offset 0 with fetch sizes of about one batch, and checks each partition's records
come back whole and in order. CLIENT is confluent (confluent-kafka, librdkafka) or kafka-python.

usage: fetch_partitions.py CLIENT BOOTSTRAP TOPIC PARTITIONS COUNT
"""
import sys

client, bootstrap, topic = sys.argv[1], sys.argv[2], sys.argv[3]
partitions, count = int(sys.argv[4]), int(sys.argv[5])
expected = {p: [b"p%d-%d" % (p, i) for i in range(count)] for p in range(partitions)}
read = {p: [] for p in range(partitions)}


def confluent():
    from confluent_kafka import Consumer, Producer, TopicPartition

    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0})
    failed = []
    for i in range(count):
        for p in range(partitions):
            producer.produce(topic, value=expected[p][i], partition=p,
                             on_delivery=lambda err, msg: err and failed.append(err))
        producer.poll(0)
    if producer.flush(30) != 0 or failed:
        sys.exit("not every record was acknowledged: %r" % failed[:3])
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "fetch-partitions",
                         "enable.auto.commit": False, "message.max.bytes": 1000, "fetch.max.bytes": 1024,
                         "max.partition.fetch.bytes": 512, "fetch.wait.max.ms": 50})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    while sum(len(r) for r in read.values()) < partitions * count:
        msg = consumer.poll(10)
        if msg is None:
            break
        if msg.error():
            sys.exit("consumer error: %s" % msg.error())
        read[msg.partition()].append((msg.offset(), msg.value()))
    consumer.close()


def kafka_python():
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", request_timeout_ms=20000)
    futures = [producer.send(topic, value=expected[p][i], partition=p) for i in range(count) for p in range(partitions)]
    for f in futures:
        f.get(timeout=30)
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=10000,
                             fetch_max_bytes=1024, max_partition_fetch_bytes=512, fetch_max_wait_ms=50)
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    consumer.assign(tps)
    for tp in tps:
        consumer.seek(tp, 0)
    for message in consumer:
        read[message.partition].append((message.offset, message.value))
        if sum(len(r) for r in read.values()) == partitions * count:
            break
    per_fetch = consumer.metrics().get("consumer-fetch-manager-metrics", {}).get("records-per-request-avg", 0)
    fetches = partitions * count / per_fetch if per_fetch else 0
    consumer.close()
    if fetches < 2 * partitions:
        sys.exit("about %d fetches: the fetch sizes did not split the reads" % fetches)


{"confluent": confluent, "kafka-python": kafka_python}[client]()
for p in range(partitions):
    if [o for o, _ in read[p]] != list(range(count)):
        sys.exit("partition %d: offsets %r" % (p, [o for o, _ in read[p]][:10]))
    if [v for _, v in read[p]] != expected[p]:
        sys.exit("partition %d: the records read back differ from those produced" % p)
print("ok")
