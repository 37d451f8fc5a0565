#!/usr/bin/python3
"""One consumer-group member, confluent-kafka (librdkafka) or kafka-python, run as a process of
its own by the group_*.py checks (group_util.Member). It subscribes to a topic and reports what
happens to it on stdout, one JSON object a line:

  {"ev": "assignment", "partitions": [...], "generation": G}  its assignment changed (after poll)
  {"ev": "assign_cb" | "revoke_cb", "partitions": [...]}       the rebalance callbacks
  {"ev": "record", "p": P, "o": O, "v": "value"}
  {"ev": "commit", "offsets": {P: O}}                          an acknowledged commit
  {"ev": "commit_failed", "msg": "..."}                        a refused one
  {"ev": "error", "code": "NAME", "msg": "..."}
  {"ev": "closed"}

Commands come on stdin, one a line: "close" (leave the group and exit), "stall" (stop polling,
as an application stuck in its loop does), "commit" (a synchronous commit of what was consumed)
or "commit P=O,P=O" (of those offsets). When stdin ends, the member exits at once.

usage: group_member.py CONFIG_JSON
  CONFIG: lib ("confluent" | "kafka-python"), bootstrap, topic, group, name, and optionally
  assignor, session_timeout_ms, heartbeat_interval_ms, max_poll_interval_ms, instance_id,
  auto_commit, auto_commit_interval_ms, offset_reset, debug (librdkafka's debug contexts).
"""
import json
import os
import struct
import sys
import threading
import time

config = json.loads(sys.argv[1])
lib = config["lib"]
commands = []
commands_lock = threading.Lock()


def emit(**event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def read_commands():
    for line in sys.stdin:
        with commands_lock:
            commands.append(line.strip())
    os._exit(1)  # whoever ran this member is gone


def next_command():
    with commands_lock:
        return commands.pop(0) if commands else None


threading.Thread(target=read_commands, daemon=True).start()


class Confluent:
    def __init__(self):
        from confluent_kafka import Consumer
        settings = {
            "bootstrap.servers": config["bootstrap"],
            "group.id": config["group"],
            "client.id": config["name"],
            "partition.assignment.strategy": config.get("assignor", "range"),
            "session.timeout.ms": config.get("session_timeout_ms", 2000),
            "heartbeat.interval.ms": config.get("heartbeat_interval_ms", 250),
            "enable.auto.commit": config.get("auto_commit", False),
            "auto.commit.interval.ms": config.get("auto_commit_interval_ms", 5000),
            "auto.offset.reset": config.get("offset_reset", "earliest"),
            "topic.metadata.refresh.interval.ms": 1000,
        }
        if config.get("max_poll_interval_ms"):
            settings["max.poll.interval.ms"] = config["max_poll_interval_ms"]
        if config.get("instance_id"):
            settings["group.instance.id"] = config["instance_id"]
        if config.get("debug"):
            settings["debug"] = config["debug"]  # librdkafka's own log, to stderr
        self.consumer = Consumer(settings)
        self.consumer.subscribe([config["topic"]], on_assign=self.on_assign, on_revoke=self.on_revoke)

    def on_assign(self, consumer, partitions):
        emit(ev="assign_cb", partitions=sorted(p.partition for p in partitions))

    def on_revoke(self, consumer, partitions):
        emit(ev="revoke_cb", partitions=sorted(p.partition for p in partitions))

    def poll(self):
        msg = self.consumer.poll(0.05)
        if msg is None:
            return []
        if msg.error():
            emit(ev="error", code=msg.error().name(), msg=msg.error().str())
            return []
        return [(msg.partition(), msg.offset(), msg.value().decode())]

    def assignment(self):
        return sorted(p.partition for p in self.consumer.assignment())

    def generation(self):
        # Only in the group metadata librdkafka serialises for transactions: "CGMDv2:", the
        # generation (int32, host order), then the group and member ids.
        raw = self.consumer.consumer_group_metadata()
        return struct.unpack("=i", raw[7:11])[0] if raw.startswith(b"CGMDv2:") else None

    def commit(self, offsets):
        from confluent_kafka import TopicPartition
        done = self.consumer.commit(offsets=[TopicPartition(config["topic"], p, o) for p, o in offsets.items()],
                                    asynchronous=False)
        failed = [p for p in done if p.error]
        if failed:
            raise RuntimeError("committing %r" % failed)
        return {p.partition: p.offset for p in done}

    def close(self):
        self.consumer.close()


class KafkaPython:
    def __init__(self):
        from kafka import KafkaConsumer
        from kafka.coordinator.assignors.range import RangePartitionAssignor
        from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
        assignors = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor}
        settings = dict(
            bootstrap_servers=config["bootstrap"],
            group_id=config["group"],
            client_id=config["name"],
            partition_assignment_strategy=[assignors[config.get("assignor", "range")]],
            session_timeout_ms=config.get("session_timeout_ms", 2000),
            heartbeat_interval_ms=config.get("heartbeat_interval_ms", 250),
            enable_auto_commit=config.get("auto_commit", False),
            auto_commit_interval_ms=config.get("auto_commit_interval_ms", 5000),
            auto_offset_reset=config.get("offset_reset", "earliest"),
            metadata_max_age_ms=1000,
        )
        if config.get("max_poll_interval_ms"):
            settings["max_poll_interval_ms"] = config["max_poll_interval_ms"]
        self.consumer = KafkaConsumer(**settings)
        from kafka import ConsumerRebalanceListener

        class Listener(ConsumerRebalanceListener):
            def on_partitions_assigned(self, assigned):
                emit(ev="assign_cb", partitions=sorted(tp.partition for tp in assigned))

            def on_partitions_revoked(self, revoked):
                emit(ev="revoke_cb", partitions=sorted(tp.partition for tp in revoked))

        self.consumer.subscribe([config["topic"]], listener=Listener())

    def poll(self):
        from kafka.errors import KafkaError
        try:
            batches = self.consumer.poll(timeout_ms=50)
        except KafkaError as e:
            emit(ev="error", code=type(e).__name__, msg=str(e))
            time.sleep(0.05)  # the error repeats on every poll; do not spin
            return []
        return [(r.partition, r.offset, r.value.decode()) for records in batches.values() for r in records]

    def assignment(self):
        return sorted(tp.partition for tp in self.consumer.assignment())

    def generation(self):
        g = self.consumer._coordinator._generation  # not public, but what the member was given
        return g.generation_id if g else None

    def commit(self, offsets):
        from kafka import TopicPartition
        from kafka.structs import OffsetAndMetadata
        self.consumer.commit({TopicPartition(config["topic"], p): OffsetAndMetadata(o, "") for p, o in offsets.items()})
        return offsets

    def close(self):
        self.consumer.close()


member = Confluent() if lib == "confluent" else KafkaPython()
positions = {}  # partition -> the next offset to consume
reported = None
stalled = False
while True:
    command = next_command()
    if command == "close":
        member.close()
        emit(ev="closed")
        break
    if command == "stall":
        stalled = True
    if command and command.startswith("commit"):
        # "commit": what was consumed; "commit 0=2,1=3": those offsets.
        offsets = dict(positions)
        if command != "commit":
            offsets = {int(p): int(o) for p, o in (e.split("=") for e in command.split()[1].split(","))}
        try:
            emit(ev="commit", offsets=member.commit(offsets))
        except Exception as e:  # during a rebalance, say: the caller tries again
            emit(ev="commit_failed", msg=str(e))
    if stalled:
        time.sleep(0.05)  # the application is stuck: this loop only waits for "close"
        continue
    for p, o, v in member.poll():
        positions[p] = o + 1
        emit(ev="record", p=p, o=o, v=v)
    now = (member.assignment(), member.generation())
    if now != reported:
        reported = now
        emit(ev="assignment", partitions=now[0], generation=now[1])
