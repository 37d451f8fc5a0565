#!/usr/bin/python3
"""Produces three keyed records with kafka-python (Debian's python3-kafka). The values repeat
themselves so that every codec shrinks the batch (clients send it uncompressed otherwise).

usage: kafka_python_produce.py BOOTSTRAP TOPIC COMPRESSION [API_VERSION]
  COMPRESSION: none, gzip, snappy, lz4, zstd
  API_VERSION: the broker version to assume, e.g. 0.9 (message format v0) or 0.10.1 (v1);
               by default the client asks the broker (ApiVersions) and uses record batches (v2)
"""
import sys

from kafka import KafkaProducer

bootstrap, topic, compression = sys.argv[1:4]
api_version = tuple(int(p) for p in sys.argv[4].split(".")) if len(sys.argv) > 4 else None
producer = KafkaProducer(bootstrap_servers=bootstrap,
                         api_version=api_version,
                         client_id="kafka-python-golden",
                         compression_type=None if compression == "none" else compression,
                         request_timeout_ms=10000,
                         max_block_ms=10000)
for i in range(3):
    producer.send(topic, key=b"k%d" % i, value=b"value-%d-" % i + b"gregor" * 40, partition=0)
producer.flush(timeout=10)
producer.close(timeout=10)
