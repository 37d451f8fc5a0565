#!/usr/bin/python3
"""kafka-python's KafkaAdminClient on consumer groups: a group with a running member (a
confluent-kafka consumer process) and an empty group with committed offsets.
list_consumer_groups lists both, describe_consumer_groups shows the member, its assignment and
the group's state, list_consumer_group_offsets the offsets; delete_consumer_groups deletes the
empty group (its offsets go with it) and refuses the other (NON_EMPTY_GROUP) and a group that
does not exist (GROUP_ID_NOT_FOUND). Prints "ok" when every check passed.

usage: group_admin_kafka_python.py BOOTSTRAP TOPIC
"""
import sys

from kafka.errors import GroupIdNotFoundError, NoError, NonEmptyGroupError

from group_util import Member, admin, check, close_all, committed, create_topic, produce, wait_until

bootstrap, topic = sys.argv[1], sys.argv[2]
PARTITIONS = 2
active, empty = topic + "-active", topic + "-empty"
create_topic(bootstrap, topic, PARTITIONS)
produce(bootstrap, topic, 3, PARTITIONS)
admin_client = admin(bootstrap)

m = Member("confluent", bootstrap, topic, empty, "committer")
wait_until(lambda: len(m.records()) >= 6, 30, "the committer reading", [m])
m.commit({0: 1, 1: 2})
close_all([m])
member = Member("confluent", bootstrap, topic, active, "the-member")
wait_until(lambda: member.assignment() == [0, 1] and len(member.records()) >= 6, 30, "the member reading", [member])
member.commit()

groups = dict(admin_client.list_consumer_groups())
check(groups.get(active) == "consumer" and groups.get(empty) == "consumer", "list_consumer_groups: %r" % groups)

described = {g.group: g for g in admin_client.describe_consumer_groups([active, empty])}
a, e = described[active], described[empty]
check(a.error_code == 0 and a.state == "Stable" and a.protocol_type == "consumer" and a.protocol == "range",
      "describing the active group: %r" % (a,))
check(len(a.members) == 1 and a.members[0].client_id == "the-member" and a.members[0].client_host == "/127.0.0.1",
      "the active group's members: %r" % (a.members,))
check(a.members[0].member_id.startswith("the-member-"), "the member id: %r" % a.members[0].member_id)
assignment = a.members[0].member_assignment.assignment
check([(t, sorted(ps)) for t, ps in assignment] == [(topic, [0, 1])], "the member's assignment: %r" % assignment)
check(e.error_code == 0 and e.state == "Empty" and e.members == [], "describing the empty group: %r" % (e,))

check(committed(admin_client, empty, topic) == {0: 1, 1: 2}, "the empty group's offsets: %r" %
      committed(admin_client, empty, topic))
check(committed(admin_client, active, topic) == {0: 3, 1: 3}, "the active group's offsets: %r" %
      committed(admin_client, active, topic))

# delete_consumer_groups answers each group with the error class of its code.
results = dict(admin_client.delete_consumer_groups([empty, active, topic + "-nobody"]))
check(results[empty] is NoError, "deleting the empty group: %r" % results)
check(results[active] is NonEmptyGroupError, "deleting the active group: %r" % results)
check(results[topic + "-nobody"] is GroupIdNotFoundError, "deleting a missing group: %r" % results)
groups = dict(admin_client.list_consumer_groups())
check(empty not in groups and active in groups, "list_consumer_groups after the delete: %r" % groups)
check(committed(admin_client, empty, topic) == {}, "the deleted group's offsets: %r" %
      committed(admin_client, empty, topic))
[gone] = admin_client.describe_consumer_groups([empty])
check(gone.state == "Dead" and gone.members == [], "describing the deleted group: %r" % (gone,))

# Once its last member leaves, the group is empty and can go.
close_all([member])
wait_until(lambda: admin_client.describe_consumer_groups([active])[0].state == "Empty", 10, "the group emptying")
results = dict(admin_client.delete_consumer_groups([active]))
check(results[active] is NoError, "deleting the emptied group: %r" % results)
print("ok")
