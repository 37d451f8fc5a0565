#!/usr/bin/python3
"""Three consumers share a 6-partition topic: once the group settles each owns 2 partitions, and
every record produced after that is consumed exactly once across them. Each member is a process
of its own; MEMBERS says which client and assignor each one is (one library, or a mix sharing a
protocol). Prints "ok" when every check passed.

usage: group_balance.py BOOTSTRAP TOPIC MEMBERS
  MEMBERS: comma-separated LIB:ASSIGNOR, LIB one of confluent, kafka-python, kafkajs
           e.g. confluent:cooperative-sticky,confluent:cooperative-sticky,confluent:cooperative-sticky
"""
import sys

from group_util import Member, balanced, check_consumed_once, close_all, create_topic, produce, wait_until

bootstrap, topic, spec = sys.argv[1], sys.argv[2], sys.argv[3]
PARTITIONS = 6
create_topic(bootstrap, topic, PARTITIONS)
members = []
for i, entry in enumerate(spec.split(",")):
    lib, assignor = entry.split(":")
    members.append(Member(lib, bootstrap, topic, topic + "-group", "%s-%d" % (lib, i), assignor=assignor))
wait_until(lambda: balanced(members, PARTITIONS), 30, "2 partitions for each member", members)
sent = produce(bootstrap, topic, 10, PARTITIONS)
total = sum(len(v) for v in sent.values())
wait_until(lambda: sum(len(m.records()) for m in members) >= total, 30, "every record consumed", members)
check_consumed_once(members, sent)
owners = {m.name: m.assignment() for m in members}
# Members close one after another, and those still in get the partitions of those gone: they
# resume from what was committed, so nothing is consumed twice on the way out either.
for m in members:
    m.commit()
close_all(members)
check_consumed_once(members, sent, owners)
print("ok")
