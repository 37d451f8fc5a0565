// kafkajs's admin client on consumer groups: a group with a running kafkajs consumer and one
// whose consumer left after committing. listGroups lists both; describeGroups shows the running
// member (its assignment decoded) and the other group Empty; fetchOffsets reads the commits;
// resetOffsets (a consumer of the admin's own that joins the group, seeks and commits) moves the
// empty group's offsets to the earliest, and is refused for the running group;
// deleteGroups deletes the empty group and refuses the running one and a missing one.
// usage: node group_admin_kafkajs.js BOOTSTRAP TOPIC
// Exits 0 when every answer is what Kafka gives; otherwise prints the first mismatch and exits 1.
const assert = require('assert');
const { AssignerProtocol, Kafka, logLevel } = require('kafkajs');

const [bootstrap, topic] = process.argv.slice(2);
const PARTITIONS = 2;
const PER_PARTITION = 3;

async function waitUntil(condition, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function consumerReadingAll(kafka, groupId) {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 3000, heartbeatInterval: 250, maxWaitTimeInMs: 100 });
  let read = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ autoCommit: true, eachMessage: async () => { read += 1; } });
  await waitUntil(() => read >= PARTITIONS * PER_PARTITION, 30000, `${groupId} reading every record`);
  return consumer;
}

async function main() {
  const kafka = new Kafka({ clientId: 'kafkajs-groups', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }] });
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let p = 0; p < PARTITIONS; p++) for (let i = 0; i < PER_PARTITION; i++) messages.push({ partition: p, value: `v${p}-${i}` });
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();

  const running = `${topic}-running`;
  const left = `${topic}-left`;
  const gone = await consumerReadingAll(kafka, left);
  await gone.disconnect();  // commits what it read, and leaves
  const consumer = await consumerReadingAll(kafka, running);

  const offsetsOf = async (groupId) => {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    assert.strictEqual(t.topic, topic);
    return Object.fromEntries(t.partitions.map((p) => [p.partition, p.offset]));
  };
  await waitUntil(async () => (await offsetsOf(running))[1] === String(PER_PARTITION), 10000, 'the running consumer committing');
  assert.deepStrictEqual(await offsetsOf(left), { 0: '3', 1: '3' });
  assert.deepStrictEqual(await offsetsOf(`${topic}-nobody`), { 0: '-1', 1: '-1' });

  const { groups } = await admin.listGroups();
  const listed = Object.fromEntries(groups.map((g) => [g.groupId, g.protocolType]));
  assert.strictEqual(listed[running], 'consumer');
  assert.strictEqual(listed[left], 'consumer');

  const described = Object.fromEntries((await admin.describeGroups([running, left])).groups.map((g) => [g.groupId, g]));
  const r = described[running];
  assert.strictEqual(r.errorCode, 0);
  assert.strictEqual(r.state, 'Stable');
  assert.strictEqual(r.protocolType, 'consumer');
  assert.strictEqual(r.protocol, 'RoundRobinAssigner');
  assert.strictEqual(r.members.length, 1);
  assert.strictEqual(r.members[0].clientId, 'kafkajs-groups');
  assert.strictEqual(r.members[0].clientHost, '/127.0.0.1');
  const assignment = AssignerProtocol.MemberAssignment.decode(r.members[0].memberAssignment);
  assert.deepStrictEqual(assignment.assignment, { [topic]: [0, 1] });
  assert.deepStrictEqual(described[left].state, 'Empty');
  assert.deepStrictEqual(described[left].members, []);

  // resetOffsets commits the special offset (-2: earliest), which Kafka keeps as it is. (It takes
  // kafkajs's maxWaitTime, 5 s: the consumer it runs waits that long with nothing to fetch.)
  await admin.resetOffsets({ groupId: left, topic, earliest: true });
  assert.deepStrictEqual(await offsetsOf(left), { 0: '-2', 1: '-2' });
  await assert.rejects(admin.resetOffsets({ groupId: running, topic, earliest: true }), /must have no running instances/);

  await assert.rejects(admin.deleteGroups([running]), (e) => e.name === 'KafkaJSDeleteGroupsError' &&
    e.groups.length === 1 && e.groups[0].error.type === 'NON_EMPTY_GROUP');
  await assert.rejects(admin.deleteGroups([`${topic}-nobody`]), (e) => e.name === 'KafkaJSDeleteGroupsError' &&
    e.groups[0].error.type === 'GROUP_ID_NOT_FOUND');
  const deleted = await admin.deleteGroups([left]);
  assert.deepStrictEqual(deleted.map((d) => [d.groupId, d.errorCode]), [[left, 0]]);
  assert.deepStrictEqual(await offsetsOf(left), { 0: '-1', 1: '-1' });
  const after = (await admin.listGroups()).groups.map((g) => g.groupId);
  assert(!after.includes(left) && after.includes(running), `listGroups after the delete: ${after}`);

  await consumer.disconnect();
  await waitUntil(async () => (await admin.describeGroups([running])).groups[0].state === 'Empty', 10000, 'the group emptying');
  assert.deepStrictEqual((await admin.deleteGroups([running])).map((d) => d.errorCode), [0]);
  await admin.disconnect();
  console.log('ok');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
