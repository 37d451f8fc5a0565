#!/usr/bin/python3
"""A running group rides out a broker crash: three confluent-kafka members with automatic
commits read a 6-partition topic; once they read what was produced, the test's driver kills the
broker (SIGKILL) and starts it again on the same port. The members find the group again as the
broker loaded it from __consumer_offsets: every record produced after the restart is read, the
group ends with its three members owning two partitions each, and its committed offsets reach
the end of every partition. Prints "ok" when every check passed.

usage: group_live_restart.py BOOTSTRAP TOPIC READY_FILE RESTARTED_FILE
  READY_FILE: written when the driver may kill the broker; RESTARTED_FILE: the driver writes it
  once the broker is back.
"""
import os
import sys

from group_util import (Member, admin, balanced, check, close_all, committed, create_topic, produce,
                        wait_until)

bootstrap, topic, ready_file, restarted_file = sys.argv[1:5]
PARTITIONS = 6
group = topic + "-group"
create_topic(bootstrap, topic, PARTITIONS)
members = [Member("confluent", bootstrap, topic, group, "live-%d" % i, assignor="range", session_timeout_ms=6000,
                  auto_commit=True, auto_commit_interval_ms=200) for i in range(3)]
wait_until(lambda: balanced(members, PARTITIONS), 30, "2 partitions for each member", members)
produce(bootstrap, topic, 5, PARTITIONS, tag="before")
wait_until(lambda: sum(len(m.records()) for m in members) >= 5 * PARTITIONS, 30, "every record read", members)

with open(ready_file, "w") as f:
    f.write("ready\n")
wait_until(lambda: os.path.exists(restarted_file), 60, "the broker restarting", members)

after = produce(bootstrap, topic, 5, PARTITIONS, tag="after")
expected = {v for values in after.values() for v in values}
read = lambda: {v for m in members for _, _, v in m.records()}
wait_until(lambda: expected <= read(), 30, "every record produced after the restart read", members)
wait_until(lambda: balanced(members, PARTITIONS), 30, "the three members sharing the partitions again", members)
end = {p: 10 for p in range(PARTITIONS)}
admin_client = admin(bootstrap)
wait_until(lambda: committed(admin_client, group, topic) == end, 20, "the commits reaching the end", members)
check(all(m.proc.poll() is None for m in members), "a member exited:\n" + "\n".join(m.describe() for m in members))
close_all(members)
print("ok")
