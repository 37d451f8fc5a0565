#!/usr/bin/python3
"""Real consumer groups for the admin client's and kafka-consumer-groups.sh's tests, made by
kafka-python (Debian's python3-kafka) members.

  hold BOOTSTRAP TOPIC GROUP MEMBERS READY_FILE STOP_FILE
      MEMBERS consumers (client ids GROUP-member-0, ...) join GROUP, subscribed to TOPIC with the
      range assignor; once every partition is assigned they read what is there, commit it, and
      write READY_FILE (JSON: client id -> ["topic:partition", ...]); then they keep polling (the
      group stays Stable) until STOP_FILE exists, and leave.
  commit BOOTSTRAP TOPIC GROUP [P=O,...]
      One member joins, reads everything, commits its positions (or the given offsets) and leaves:
      the group is Empty with those committed offsets.
"""
import json
import os
import sys
import threading
import time

from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

DEADLINE = 120  # seconds for anything to happen, generous for a loaded machine


def consumer(bootstrap, group, client_id):
    return KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=10000,
        heartbeat_interval_ms=500,
        metadata_max_age_ms=1000,
    )


class Member(threading.Thread):
    """One member polling in a thread of its own: kafka-python's poll blocks while its member
    joins, so members sharing a thread would wait for each other's rejoin."""

    def __init__(self, bootstrap, topic, group, client_id, commit_now, stop):
        super().__init__(daemon=True)
        self.args = (bootstrap, topic, group, client_id)
        self.commit_now, self.stop = commit_now, stop
        self.assigned = set()
        self.committed = None  # the assignment when it committed

    def run(self):
        bootstrap, topic, group, client_id = self.args
        c = consumer(bootstrap, group, client_id)
        c.subscribe([topic])
        while not self.stop.is_set():
            c.poll(timeout_ms=100)
            self.assigned = set(c.assignment())
            if self.commit_now.is_set() and self.committed is None and self.assigned:
                ends = c.end_offsets(list(self.assigned))
                if all(c.position(tp) >= end for tp, end in ends.items()):
                    c.commit()
                    self.committed = set(self.assigned)
        c.close()


def hold(bootstrap, topic, group, count, ready_file, stop_file):
    probe = KafkaConsumer(bootstrap_servers=bootstrap)
    deadline = time.monotonic() + DEADLINE
    partitions = None
    while not partitions and time.monotonic() < deadline:
        partitions = probe.partitions_for_topic(topic)
        time.sleep(0.05)
    probe.close()
    commit_now, stop = threading.Event(), threading.Event()
    members = [Member(bootstrap, topic, group, "%s-member-%d" % (group, i), commit_now, stop) for i in range(count)]
    for m in members:
        m.start()

    def settled():
        assigned = [m.assigned for m in members]
        union = set(tp.partition for a in assigned for tp in a)
        return union == partitions and all(assigned) and sum(len(a) for a in assigned) == len(partitions)

    while not settled():
        if time.monotonic() > deadline:
            sys.exit("failed: the members did not get every partition of %s" % topic)
        time.sleep(0.05)
    commit_now.set()  # each reads to the end of its partitions and commits
    while not all(m.committed is not None for m in members):
        if time.monotonic() > deadline:
            sys.exit("failed: the members did not commit")
        time.sleep(0.05)
    report = {m.args[3]: sorted("%s:%d" % (tp.topic, tp.partition) for tp in m.committed) for m in members}
    with open(ready_file + ".tmp", "w") as f:
        json.dump(report, f)
    os.rename(ready_file + ".tmp", ready_file)
    while not os.path.exists(stop_file) and time.monotonic() < deadline + DEADLINE:
        time.sleep(0.05)
    stop.set()
    for m in members:
        m.join()


def commit(bootstrap, topic, group, offsets):
    m = consumer(bootstrap, group, group + "-committer")
    m.subscribe([topic])
    deadline = time.monotonic() + DEADLINE
    while not m.assignment() and time.monotonic() < deadline:
        m.poll(timeout_ms=100)
    if not m.assignment():
        sys.exit("failed: no assignment for %s" % group)
    if offsets:
        m.commit({TopicPartition(topic, int(p)): OffsetAndMetadata(int(o), "") for p, o in
                  (pair.split("=") for pair in offsets.split(","))})
    else:
        ends = m.end_offsets(list(m.assignment()))
        while any(m.position(tp) < end for tp, end in ends.items()) and time.monotonic() < deadline:
            m.poll(timeout_ms=100)
        m.commit()
    m.close()
    print("committed")


if __name__ == "__main__":
    if sys.argv[1] == "hold":
        hold(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6], sys.argv[7])
    elif sys.argv[1] == "commit":
        commit(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] if len(sys.argv) > 5 else "")
    else:
        sys.exit("usage: groups_clients.py hold|commit ...")
