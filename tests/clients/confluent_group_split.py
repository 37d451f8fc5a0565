#!/usr/bin/python3
"""A confluent-kafka (librdkafka) member of a consumer group that a Gregor consumer is in too.

It subscribes, reads, and keeps writing its state to STATE_FILE as JSON
({"assignment": [partitions], "records": {partition: count}}) whenever it changes, until
STOP_FILE exists; then it closes (leaving the group) and prints the last state.

usage: confluent_group_split.py BOOTSTRAP TOPIC GROUP ASSIGNOR STATE_FILE STOP_FILE
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer

bootstrap, topic, group, assignor, state_file, stop_file = sys.argv[1:7]
consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "partition.assignment.strategy": assignor,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": True,
    "session.timeout.ms": 10000,
})
assignment = []
records = {}


def on_assign(c, partitions):
    global assignment
    assignment = sorted(p.partition for p in partitions)


def on_revoke(c, partitions):
    global assignment
    assignment = []


def write_state():
    tmp = state_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"assignment": assignment, "records": records}, f)
    os.rename(tmp, state_file)


consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
deadline = time.time() + 80
last = None
while not os.path.exists(stop_file) and time.time() < deadline:
    m = consumer.poll(0.1)
    if m is not None and not m.error():
        key = str(m.partition())
        records[key] = records.get(key, 0) + 1
    state = (tuple(assignment), tuple(sorted(records.items())))
    if state != last:
        write_state()
        last = state
consumer.close()
print(json.dumps({"assignment": assignment, "records": records}))
