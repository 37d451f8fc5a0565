#!/usr/bin/python3
"""Produces three keyed records with kafka-python (Debian's python3-kafka). The values repeat
themselves so that every codec shrinks the batch (clients send it uncompressed otherwise).

usage: kafka_python_produce.py BOOTSTRAP TOPIC COMPRESSION   (none, gzip, snappy, lz4, zstd)
"""
import sys

from kafka import KafkaProducer

bootstrap, topic, compression = sys.argv[1:4]
producer = KafkaProducer(bootstrap_servers=bootstrap,
                         client_id="kafka-python-golden",
                         compression_type=None if compression == "none" else compression,
                         request_timeout_ms=10000,
                         max_block_ms=10000)
for i in range(3):
    producer.send(topic, key=b"k%d" % i, value=b"value-%d-" % i + b"gregor" * 40, partition=0)
producer.flush(timeout=10)
producer.close(timeout=10)
