// One kafkajs consumer-group member, run as a process of its own by the group_*.py checks
// (group_util.Member): it reports on stdout, one JSON object a line, what group_member.py
// reports ("assignment", "record", "commit", "commit_failed", "error", "closed"), and takes
// "close" and "commit"
// on stdin.
// usage: node group_member.js CONFIG_JSON   (lib "kafkajs", bootstrap, topic, group, name, and
//        optionally session_timeout_ms, heartbeat_interval_ms, auto_commit, offset_reset)
const readline = require('readline');
const { Kafka, logLevel } = require('kafkajs');

const config = JSON.parse(process.argv[2]);
const emit = (event) => process.stdout.write(JSON.stringify(event) + '\n');

async function main() {
  const kafka = new Kafka({ clientId: config.name, brokers: [config.bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: config.group,
    sessionTimeout: config.session_timeout_ms || 3000,
    heartbeatInterval: config.heartbeat_interval_ms || 250,
    rebalanceTimeout: config.rebalance_timeout_ms || 5000,
    maxWaitTimeInMs: 100,
    retry: { retries: 10, initialRetryTime: 100 },
  });
  const positions = {};
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    const partitions = (e.payload.memberAssignment[config.topic] || []).slice().sort((a, b) => a - b);
    emit({ ev: 'assignment', partitions, generation: null });
  });
  consumer.on(consumer.events.COMMIT_OFFSETS, (e) => {
    const offsets = {};
    for (const t of e.payload.topics) for (const p of t.partitions) offsets[p.partition] = Number(p.offset);
    emit({ ev: 'commit', offsets });
  });
  consumer.on(consumer.events.CRASH, (e) => emit({ ev: 'error', code: e.payload.error.type || e.payload.error.name, msg: e.payload.error.message }));
  await consumer.connect();
  await consumer.subscribe({ topics: [config.topic], fromBeginning: (config.offset_reset || 'earliest') === 'earliest' });
  await consumer.run({
    autoCommit: Boolean(config.auto_commit),
    autoCommitInterval: config.auto_commit_interval_ms || 5000,
    eachMessage: async ({ partition, message }) => {
      positions[partition] = Number(message.offset) + 1;
      emit({ ev: 'record', p: partition, o: Number(message.offset), v: message.value.toString() });
    },
  });
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const command = line.trim();
    if (command === 'commit') {
      try {
        await consumer.commitOffsets(
          Object.entries(positions).map(([p, o]) => ({ topic: config.topic, partition: Number(p), offset: String(o) })),
        );
      } catch (e) {
        emit({ ev: 'commit_failed', msg: e.message });
      }
    } else if (command === 'close') {
      await consumer.disconnect();
      emit({ ev: 'closed' });
      process.exit(0);
    }
  }
  process.exit(1);  // stdin ended: whoever ran this member is gone
}

main().catch((e) => {
  emit({ ev: 'error', code: e.type || e.name, msg: e.message });
  process.exit(1);
});
