#!/usr/bin/python3
"""auto.offset.reset for a group without committed offsets, with confluent-kafka (librdkafka) and
kafka-python consumers in groups of their own, on a 2-partition topic (one per library) holding
5 records a partition:
  earliest: the group reads every record, from offset 0;
  latest:   it reads none of them, only records produced once it has its partitions;
  none:     an error (librdkafka's "error" setting: _AUTO_OFFSET_RESET; kafka-python:
            NoOffsetForPartitionError), and no record;
and with committed offsets the policy does not apply: a "none" group reads from them.
Prints "ok" when every check passed.

usage: group_offset_reset.py BOOTSTRAP TOPIC
"""
import sys
import time

from group_util import Member, check, close_all, create_topic, poll_until, produce, wait_until

bootstrap, topic = sys.argv[1], sys.argv[2]
PARTITIONS = 2
NONE = {"confluent": "error", "kafka-python": "none"}
NO_OFFSET_ERRORS = {"confluent": "_AUTO_OFFSET_RESET", "kafka-python": "NoOffsetForPartitionError"}


def member(lib, policy, group):
    return Member(lib, bootstrap, topic + "-" + lib, "%s-%s" % (topic, group), "%s-%s" % (lib, group),
                  offset_reset=policy)


for lib in ("confluent", "kafka-python"):
    create_topic(bootstrap, topic + "-" + lib, PARTITIONS)
    before = produce(bootstrap, topic + "-" + lib, 5, PARTITIONS, tag="before")
    old = {v for values in before.values() for v in values}
    earliest = member(lib, "earliest", lib + "-earliest")
    wait_until(lambda: len(earliest.records()) >= 10, 30, "%s earliest reading every record" % lib, [earliest])
    records = earliest.records()
    check(sorted((p, o) for p, o, _ in records) == [(p, o) for p in range(PARTITIONS) for o in range(5)],
          "%s earliest read %r" % (lib, records))

    latest = member(lib, "latest", lib + "-latest")
    wait_until(lambda: latest.assignment() == [0, 1], 30, "%s latest getting its partitions" % lib, [latest])
    # The consumer looks up the end offsets once it has its partitions, a little later: produce
    # until a new record reaches it.
    deadline = time.monotonic() + 20
    batch = 0
    while True:
        produce(bootstrap, topic + "-" + lib, 1, PARTITIONS, tag="%s-after%d" % (lib, batch))
        batch += 1
        if poll_until(lambda: latest.records(), 0.3):
            break
        check(time.monotonic() < deadline, "%s latest read nothing produced after it joined\n%s" % (lib, latest.describe()))
    records = latest.records()
    check(not old & {v for _, _, v in records}, "%s latest read records produced before it joined: %r" % (lib, records))

    none = member(lib, NONE[lib], lib + "-none")
    wait_until(lambda: none.errors(), 30, "%s none failing without committed offsets" % lib, [none])
    error = none.errors()[0]
    check(error["code"] == NO_OFFSET_ERRORS[lib], "%s none failed with %r" % (lib, error))
    check(not none.records(), "%s none read records without committed offsets" % lib)
    close_all([earliest, latest, none])

    # A group with committed offsets reads from them, whatever its reset policy.
    committer = member(lib, "earliest", lib + "-committed")
    wait_until(lambda: committer.assignment() == [0, 1], 30, "%s joining to commit" % lib, [committer])
    positions = {0: 2, 1: 3}
    committer.commit(positions)
    close_all([committer])
    resumed = member(lib, NONE[lib], lib + "-committed")
    wait_until(lambda: resumed.assignment() == [0, 1] and resumed.records(), 30, "%s none with committed offsets" % lib,
               [resumed])
    check(not resumed.errors(), "%s none failed with committed offsets: %r" % (lib, resumed.errors()))
    firsts = {}
    for p, o, _ in resumed.records():
        firsts.setdefault(p, o)
    for p, o in firsts.items():
        check(o == positions[p], "%s resumed partition %d at %d, committed %s" % (lib, p, o, positions))
    close_all([resumed])
print("ok")
