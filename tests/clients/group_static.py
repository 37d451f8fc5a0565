#!/usr/bin/python3
"""Static membership (group.instance.id, KIP-345) with confluent-kafka (librdkafka): three static
members share a 6-partition topic; one of them (not the leader) is closed, which does not leave
the group, and started again as a new process with the same instance id. It comes back to its old
partitions without a rebalance: the others get no rebalance callback and keep their partitions
and generation (which the restarted one joins), and DescribeGroups shows the group Stable
throughout with the others' member ids and assignments unchanged and the instance under a new
member id. Prints "ok" when every check passed.

usage: group_static.py BOOTSTRAP TOPIC
"""
import sys

from group_util import Member, admin, balanced, check, close_all, create_topic, wait_until

bootstrap, topic = sys.argv[1], sys.argv[2]
PARTITIONS = 6
group = topic + "-group"
options = dict(assignor="range", session_timeout_ms=5000)
admin_client = admin(bootstrap)


def start(i):
    return Member("confluent", bootstrap, topic, group, "static-%d" % i, instance_id="instance-%d" % i, **options)


def describe():
    """The group's state and, by client id, each member's id and assigned partitions."""
    [g] = admin_client.describe_consumer_groups([group])
    members = {}
    for m in g.members:
        # kafka-python decodes the consumer protocol's assignment.
        partitions = sorted(p for t, ps in m.member_assignment.assignment for p in ps) if m.member_assignment else []
        members[m.client_id] = (m.member_id, partitions)
    return g.state, members


create_topic(bootstrap, topic, PARTITIONS)
# The first member to join leads; start it alone so that the one restarted is not the leader.
members = [start(0)]
wait_until(lambda: members[0].assignment() == list(range(PARTITIONS)), 30, "the leader's partitions", members)
members += [start(1), start(2)]
wait_until(lambda: balanced(members, PARTITIONS), 30, "2 partitions for each member", members)
wait_until(lambda: describe()[0] == "Stable" and len(describe()[1]) == 3, 10, "a stable group of 3", members)
state, before = describe()
callbacks = [len(m.of("assign_cb")) + len(m.of("revoke_cb")) for m in members]
owned = [m.assignment() for m in members]
generation = lambda m: m.of("assignment")[-1]["generation"]
wait_until(lambda: len({generation(m) for m in members}) == 1, 10, "the members on one generation", members)
generations = [generation(m) for m in members]

# A static member's close does not leave the group: the group stays as it is until the instance
# comes back (or its session expires).
members[2].close()
state, during = describe()
check(state == "Stable" and during == before, "after the static member closed: %s %r" % (state, during))
states = []
restarted = start(2)
wait_until(lambda: states.append(describe()[0]) or restarted.assignment() == owned[2], 20,
           "the restarted member getting %r" % owned[2], members + [restarted])
check(set(states) == {"Stable"}, "the group left Stable while the member came back: %r" % states)
state, after = describe()
check(state == "Stable", "the group is %s" % state)
for name in ("static-0", "static-1"):
    check(after[name] == before[name], "%s changed: %r -> %r" % (name, before[name], after[name]))
check(after["static-2"][1] == before["static-2"][1] and after["static-2"][0] != before["static-2"][0],
      "the instance should be back under a new member id with the same partitions: %r -> %r" %
      (before["static-2"], after["static-2"]))
for i in (0, 1):
    m = members[i]
    check(len(m.of("assign_cb")) + len(m.of("revoke_cb")) == callbacks[i] and m.assignment() == owned[i],
          "%s saw a rebalance\n%s" % (m.name, m.describe()))
check(restarted.of("revoke_cb") == [], "the restarted member had something revoked:\n" + restarted.describe())
after_generations = [generation(m) for m in (members[0], members[1], restarted)]
check(after_generations == generations, "the generation moved: %r -> %r" % (generations, after_generations))
close_all([members[0], members[1], restarted])
print("ok")
