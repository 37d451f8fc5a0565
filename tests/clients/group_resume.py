#!/usr/bin/python3
"""A consumer that joins a group starts exactly at the group's committed offsets. The topic has 3
partitions of 10 records.

  resume:  a confluent-kafka member commits chosen offsets (one of them the end of its partition)
           and leaves; then a confluent-kafka, a kafka-python and a kafkajs consumer, each in
           such a group, read from exactly those offsets: every later record once, none before.
  commit GROUP OFFSETS: a member of GROUP commits OFFSETS (P=O,P=O,...) and leaves (the topic is
           made on first use); with "stay" it is still in the group when the script ends; with
           "crash=PID" the broker process PID is killed (SIGKILL) as soon as the commit is
           acknowledged.
  verify GROUP OFFSETS: GROUP's committed offsets are OFFSETS (read by another client), and a new
           member starts at them.

Prints "ok" when every check passed.

usage: group_resume.py BOOTSTRAP TOPIC resume
       group_resume.py BOOTSTRAP TOPIC commit|verify GROUP OFFSETS [stay] [crash=PID]
"""
import os
import signal
import sys

from confluent_kafka import KafkaError, KafkaException

from group_util import Member, admin, check, close_all, committed, create_topic, produce, wait_until

bootstrap, topic, mode = sys.argv[1], sys.argv[2], sys.argv[3]
PARTITIONS = 3
PER_PARTITION = 10


def parse(offsets):
    return {int(p): int(o) for p, o in (e.split("=") for e in offsets.split(","))}


def make_topic():
    try:
        create_topic(bootstrap, topic, PARTITIONS)
    except KafkaException as e:
        if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise
        return
    produce(bootstrap, topic, PER_PARTITION, PARTITIONS)


def commit(group, offsets, stay=False, crash=None):
    m = Member("confluent", bootstrap, topic, group, "committer", offset_reset="error")
    wait_until(lambda: m.assignment() == list(range(PARTITIONS)), 30, "the committer's partitions", [m])
    done = m.commit(offsets)
    if crash:
        os.kill(crash, signal.SIGKILL)  # the broker, the moment it acknowledged the commit
    check(done == offsets, "committed %r, asked for %r" % (done, offsets))
    if stay or crash:
        m.kill()  # still a member when the broker goes
    else:
        close_all([m])


def resume(lib, group, offsets):
    """A new member reads every record from the committed offsets on, and nothing before."""
    m = Member(lib, bootstrap, topic, group, lib + "-resumed", offset_reset="earliest")
    expected = sorted((p, o) for p in range(PARTITIONS) for o in range(offsets[p], PER_PARTITION))
    consumed = lambda: sorted((p, o) for p, o, _ in m.records())
    wait_until(lambda: len(consumed()) >= len(expected), 30, "%s reading from %r" % (lib, offsets), [m])
    close_all([m])
    check(consumed() == expected, "%s resumed at %r reading %r" % (lib, offsets, consumed()))


make_topic()
if mode == "resume":
    offsets = {0: 3, 1: 7, 2: PER_PARTITION}
    for lib in ("confluent", "kafka-python", "kafkajs"):
        group = "%s-%s" % (topic, lib)
        commit(group, offsets)
        resume(lib, group, offsets)
elif mode == "commit":
    crash = [int(a[len("crash="):]) for a in sys.argv[6:] if a.startswith("crash=")]
    check(all(pid > 1 for pid in crash), "crash= needs the broker's process id")  # never -1: every process
    commit(sys.argv[4], parse(sys.argv[5]), stay="stay" in sys.argv[6:], crash=crash[0] if crash else None)
else:
    group, offsets = sys.argv[4], parse(sys.argv[5])
    check(committed(admin(bootstrap), group, topic) == offsets,
          "committed %r, expected %r" % (committed(admin(bootstrap), group, topic), offsets))
    resume("kafka-python", group, offsets)
print("ok")
