#!/usr/bin/python3
"""A member that goes away without leaving loses its partitions to the others.

  kill:  one of three confluent-kafka members is killed with SIGKILL; the coordinator notices once
         its session.timeout.ms passes without a heartbeat, and the two survivors own all six
         partitions: not before the session could have expired, and within a deadline.
  stall: one member stops calling poll(); past max.poll.interval.ms librdkafka leaves the group
         for it and the survivors take over its partitions.
  kafka-python-kill: kill, with kafka-python members.

Records produced afterwards are consumed exactly once by the survivors. Prints "ok" and the time
the takeover took.

usage: group_failover.py BOOTSTRAP TOPIC kill|stall|kafka-python-kill
"""
import sys
import time

from group_util import Member, balanced, check, check_consumed_once, close_all, create_topic, produce, wait_until

bootstrap, topic, mode = sys.argv[1], sys.argv[2], sys.argv[3]
PARTITIONS = 6
SESSION_MS = 2000
HEARTBEAT_MS = 250
MAX_POLL_MS = 2500
lib = "kafka-python" if mode == "kafka-python-kill" else "confluent"
options = dict(assignor="range", session_timeout_ms=SESSION_MS, heartbeat_interval_ms=HEARTBEAT_MS)
if mode == "stall":
    options["max_poll_interval_ms"] = MAX_POLL_MS
create_topic(bootstrap, topic, PARTITIONS)
group = topic + "-group"
members = [Member(lib, bootstrap, topic, group, "%s-%d" % (lib, i), **options) for i in range(3)]
wait_until(lambda: balanced(members, PARTITIONS), 30, "2 partitions for each member", members)
gone, survivors = members[2], members[:2]
started = time.monotonic()
if mode == "stall":
    gone.send("stall")
else:
    gone.kill()
wait_until(lambda: balanced(survivors, PARTITIONS), 20, "3 partitions for each survivor", members)
took = time.monotonic() - started
if mode == "stall":
    # librdkafka notices the missed poll on its own timer, a little after the interval.
    check(took >= MAX_POLL_MS / 1000 * 0.9, "the survivors took over after %.2fs, before max.poll.interval.ms" % took)
else:
    # The last heartbeat was at most a heartbeat interval before the kill.
    earliest = (SESSION_MS - HEARTBEAT_MS) / 1000 - 0.1
    check(took >= earliest, "the survivors took over after %.2fs, before the session could expire" % took)
check(took <= (SESSION_MS + MAX_POLL_MS) / 1000 + 5, "the survivors took over only after %.2fs" % took)
sent = produce(bootstrap, topic, 5, PARTITIONS)
wait_until(lambda: sum(len(m.records()) for m in survivors) >= 5 * PARTITIONS, 30, "every record consumed", members)
check_consumed_once(survivors, sent)
if mode == "stall":
    close_all(members)
else:
    close_all(survivors)
print("ok: the survivors owned every partition %.2fs after the member went" % took)
