"""What the group_*.py checks share: group members run as processes of their own
(group_member.py for confluent-kafka and kafka-python, group_member.js for kafkajs) whose reports
are followed here, waiting for a condition with a deadline, creating topics and producing."""
import atexit
import json
import os
import subprocess
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNING = []  # every member process started, killed at exit if still there


@atexit.register
def _kill_members():
    for proc in RUNNING:
        if proc.poll() is None:
            proc.kill()


def fail(what):
    sys.exit("failed: " + what)


def check(condition, what):
    if not condition:
        fail(what)


def poll_until(condition, timeout):
    """Polls condition until it holds (True) or the deadline passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


def wait_until(condition, timeout, what, members=()):
    """Polls condition until it holds; fails, with what each member reported, at the deadline."""
    if not poll_until(condition, timeout):
        fail("timed out after %ss waiting for %s\n%s" % (timeout, what, "\n".join(m.describe() for m in members)))


class Member:
    """A consumer-group member process and what it reported."""

    def __init__(self, lib, bootstrap, topic, group, name, **options):
        config = dict(options, lib=lib, bootstrap=bootstrap, topic=topic, group=group, name=name)
        if lib == "kafkajs":
            argv = ["node", os.path.join(HERE, "group_member.js"), json.dumps(config)]
        else:
            argv = [sys.executable, os.path.join(HERE, "group_member.py"), json.dumps(config)]
        self.name = name
        self.lock = threading.Lock()
        self.events = []
        self.output = []  # whatever else the process printed
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, bufsize=1)
        RUNNING.append(self.proc)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                with self.lock:
                    self.output.append(line.rstrip())
                continue
            with self.lock:
                self.events.append(event)

    def of(self, kind):
        with self.lock:
            return [e for e in self.events if e["ev"] == kind]

    def assignment(self):
        """The partitions the member last reported owning (None before the first report)."""
        last = self.of("assignment")
        return last[-1]["partitions"] if last else None

    def records(self):
        return [(e["p"], e["o"], e["v"]) for e in self.of("record")]

    def errors(self):
        return self.of("error")

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def commit(self, offsets=None, timeout=20):
        """A synchronous commit of offsets ({partition: offset}; default, what the member consumed),
        tried again while it is refused, as it is while the group rebalances. Returns what was
        committed."""
        command = "commit"
        if offsets is not None:
            command += " " + ",".join("%d=%d" % kv for kv in sorted(offsets.items()))
        deadline = time.monotonic() + timeout
        while True:
            done, failed = len(self.of("commit")), len(self.of("commit_failed"))
            self.send(command)
            wait_until(lambda: len(self.of("commit")) > done or len(self.of("commit_failed")) > failed,
                       max(deadline - time.monotonic(), 0), "%s committing" % self.name, [self])
            if len(self.of("commit")) > done:
                return {int(p): o for p, o in self.of("commit")[-1]["offsets"].items()}

    def close(self, timeout=20, asked=False):
        if not asked:
            self.send("close")
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("%s did not close in %ss\n%s" % (self.name, timeout, self.describe()))
        self.reader.join(5)
        check(self.of("closed"), "%s closed cleanly\n%s" % (self.name, self.describe()))

    def kill(self):
        self.proc.kill()  # SIGKILL: no LeaveGroup, no commit
        self.proc.wait()

    def describe(self):
        with self.lock:
            events = [e for e in self.events if e["ev"] != "record"]
            records = len(self.events) - len(events)
            return "%s: %d records, events %s, output %s" % (self.name, records, events, self.output[-20:])


def close_all(members):
    for m in members:
        m.send("close")
    for m in members:
        m.close(asked=True)


def create_topic(bootstrap, topic, partitions):
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, partitions, 1)], operation_timeout=20)
    futures[topic].result(30)


def produce(bootstrap, topic, per_partition, partitions, tag=None):
    """per_partition records to each partition, acks=all; returns {partition: [values]}."""
    from confluent_kafka import Producer
    tag = tag or uuid.uuid4().hex[:8]
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    failed = []
    sent = {p: [] for p in range(partitions)}
    for i in range(per_partition):
        for p in range(partitions):
            value = "%s-%d-%d" % (tag, p, i)
            sent[p].append(value)
            producer.produce(topic, value=value.encode(), partition=p,
                             on_delivery=lambda err, msg: err and failed.append(err))
    check(producer.flush(30) == 0 and not failed, "producing to %s: %r" % (topic, failed))
    return sent


def balanced(members, partitions):
    """Every member owns the same share of the partitions, and together all of them, once each."""
    owned = [m.assignment() for m in members]
    if any(o is None for o in owned):
        return False
    every = sorted(p for o in owned for p in o)
    return every == list(range(partitions)) and all(len(o) == partitions // len(members) for o in owned)


def check_consumed_once(members, sent, owners=None):
    """Every record sent was consumed exactly once across the members, by the owner of its partition
    (owners: member name -> partitions; default, what each member reports owning now)."""
    seen = {}
    for m in members:
        owned = set(owners[m.name] if owners else m.assignment() or [])
        for p, o, v in m.records():
            check(p in owned, "%s consumed %s from partition %d it does not own %s" % (m.name, v, p, sorted(owned)))
            seen[v] = seen.get(v, 0) + 1
    expected = {v for values in sent.values() for v in values}
    twice = sorted(v for v, n in seen.items() if n > 1)
    missing = sorted(expected - set(seen))
    extra = sorted(set(seen) - expected)
    check(not twice and not missing and not extra,
          "consumed twice %s, missing %s, not sent %s" % (twice[:10], missing[:10], extra[:10]))


def admin(bootstrap):
    from kafka.admin import KafkaAdminClient
    return KafkaAdminClient(bootstrap_servers=bootstrap, client_id="group-checks", request_timeout_ms=20000)


def committed(admin_client, group, topic):
    """The group's committed offsets of topic, by OffsetFetch through kafka-python's admin client."""
    offsets = admin_client.list_consumer_group_offsets(group)
    return {tp.partition: om.offset for tp, om in offsets.items() if tp.topic == topic and om.offset >= 0}
