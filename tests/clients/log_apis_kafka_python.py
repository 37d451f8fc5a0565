#!/usr/bin/python3
"""kafka-python: the partition-log APIs through kafka-python's own client and protocol types.
Debian's kafka-python 2.0.2 has no admin calls for them, so this declares their request and
response schemas (the non-flexible versions a Kafka 4.0 broker serves) with kafka-python's type
system and sends them over its KafkaClient, as an application on that version would.

Produces COUNT records to TOPIC (auto-created, one partition), then:
  OffsetForLeaderEpoch v3 as a consumer: epoch 0 ends at COUNT; a newer current epoch is
    UNKNOWN_LEADER_EPOCH;
  DeleteRecords v1 before DELETE_TO: low watermark DELETE_TO; beyond the end: OFFSET_OUT_OF_RANGE;
  DescribeLogDirs v1 for every topic: the partition is in one log dir, with its size.

usage: log_apis_kafka_python.py BOOTSTRAP TOPIC COUNT DELETE_TO
"""
import sys
import time

from kafka import KafkaClient, KafkaProducer
from kafka.protocol.api import Request, Response
from kafka.protocol.types import Array, Boolean, Int16, Int32, Int64, Schema, String

OFFSET_OUT_OF_RANGE = 1
UNKNOWN_LEADER_EPOCH = 75


class OffsetForLeaderEpochResponse_v3(Response):
    API_KEY = 23
    API_VERSION = 3
    SCHEMA = Schema(
        ('throttle_time_ms', Int32),
        ('topics', Array(
            ('topic', String('utf-8')),
            ('partitions', Array(
                ('error_code', Int16),
                ('partition', Int32),
                ('leader_epoch', Int32),
                ('end_offset', Int64))))))


class OffsetForLeaderEpochRequest_v3(Request):
    API_KEY = 23
    API_VERSION = 3
    RESPONSE_TYPE = OffsetForLeaderEpochResponse_v3
    SCHEMA = Schema(
        ('replica_id', Int32),
        ('topics', Array(
            ('topic', String('utf-8')),
            ('partitions', Array(
                ('partition', Int32),
                ('current_leader_epoch', Int32),
                ('leader_epoch', Int32))))))


class DeleteRecordsResponse_v1(Response):
    API_KEY = 21
    API_VERSION = 1
    SCHEMA = Schema(
        ('throttle_time_ms', Int32),
        ('topics', Array(
            ('name', String('utf-8')),
            ('partitions', Array(
                ('partition_index', Int32),
                ('low_watermark', Int64),
                ('error_code', Int16))))))


class DeleteRecordsRequest_v1(Request):
    API_KEY = 21
    API_VERSION = 1
    RESPONSE_TYPE = DeleteRecordsResponse_v1
    SCHEMA = Schema(
        ('topics', Array(
            ('name', String('utf-8')),
            ('partitions', Array(
                ('partition_index', Int32),
                ('offset', Int64))))),
        ('timeout_ms', Int32))


class DescribeLogDirsResponse_v1(Response):
    API_KEY = 35
    API_VERSION = 1
    SCHEMA = Schema(
        ('throttle_time_ms', Int32),
        ('results', Array(
            ('error_code', Int16),
            ('log_dir', String('utf-8')),
            ('topics', Array(
                ('name', String('utf-8')),
                ('partitions', Array(
                    ('partition_index', Int32),
                    ('partition_size', Int64),
                    ('offset_lag', Int64),
                    ('is_future_key', Boolean))))))))


class DescribeLogDirsRequest_v1(Request):
    API_KEY = 35
    API_VERSION = 1
    RESPONSE_TYPE = DescribeLogDirsResponse_v1
    SCHEMA = Schema(
        ('topics', Array(
            ('topic', String('utf-8')),
            ('partitions', Array(Int32)))))


def fail(what):
    sys.exit(what)


bootstrap, topic, count, delete_to = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", request_timeout_ms=20000)
offsets = [producer.send(topic, value=b"v%d" % i, partition=0).get(timeout=30).offset for i in range(count)]
producer.close()
if offsets != list(range(count)):
    fail("unexpected offsets %r" % offsets)

client = KafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=20000)
deadline = time.time() + 30
node = None
while time.time() < deadline:
    node = client.least_loaded_node()
    if node is not None and client.ready(node):
        break
    client.poll(timeout_ms=100)
else:
    fail("no broker became ready")


def call(request):
    future = client.send(node, request)
    client.poll(future=future, timeout_ms=20000)
    if not future.succeeded():
        fail("%s failed: %r" % (type(request).__name__, future.exception))
    return future.value


epochs = call(OffsetForLeaderEpochRequest_v3(-1, [(topic, [(0, -1, 0), (0, 1, 0)])]))
(_, [(name, [latest, ahead])]) = epochs.throttle_time_ms, epochs.topics
if name != topic or latest != (0, 0, 0, count):
    fail("OffsetForLeaderEpoch for epoch 0: %r" % (epochs.topics,))
if ahead[0] != UNKNOWN_LEADER_EPOCH:
    fail("OffsetForLeaderEpoch with a newer current epoch: %r" % (ahead,))
print("OffsetForLeaderEpoch: epoch 0 ends at %d" % latest[3])

deleted = call(DeleteRecordsRequest_v1([(topic, [(0, delete_to), (0, count + 5)])], 10000))
[(name, [moved, beyond])] = deleted.topics
if moved != (0, delete_to, 0):
    fail("DeleteRecords before %d: %r" % (delete_to, moved))
if beyond[2] != OFFSET_OUT_OF_RANGE or beyond[1] != -1:
    fail("DeleteRecords beyond the end: %r" % (beyond,))
print("DeleteRecords: low watermark %d" % moved[1])

dirs = call(DescribeLogDirsRequest_v1(None))
found = []
for error_code, log_dir, topics in dirs.results:
    if error_code != 0:
        fail("log dir %s: error %d" % (log_dir, error_code))
    for name, partitions in topics:
        for partition_index, size, lag, future in partitions:
            if name == topic:
                found.append((log_dir, partition_index, size, lag, future))
if len(found) != 1 or found[0][1] != 0 or found[0][2] <= 0 or found[0][3] != 0 or found[0][4]:
    fail("DescribeLogDirs: %r" % (found,))
print("DescribeLogDirs: %s holds %d bytes of %s-0" % (found[0][0], found[0][2], topic))
client.close()
print("ok")
