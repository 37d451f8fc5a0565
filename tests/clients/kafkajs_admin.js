// kafkajs's admin client: creates topics (with configs, with a replica assignment), lists them,
// fetches their metadata, adds partitions, deletes a topic and describes the cluster; a kafkajs
// producer then sends keyed records to partitions 0 and 2 of TOPIC (2 made by createPartitions),
// which the caller reads back with another client. Prints "ok" when every check passed.
// usage: node kafkajs_admin.js BOOTSTRAP TOPIC
const { Kafka, logLevel } = require('kafkajs');

const [bootstrap, topic] = process.argv.slice(2);

function check(condition, what) {
  if (!condition) throw new Error(`failed: ${what}`);
}

async function expectError(type, call) {
  try {
    await call();
  } catch (e) {
    // Retriable errors come wrapped once the retries are spent.
    const inner = e.cause || e;
    const types = inner.errors ? inner.errors.map((x) => x.type) : [inner.type];
    check(types.includes(type), `expected ${type}, got ${JSON.stringify(types)}: ${e.message}`);
    return;
  }
  throw new Error(`failed: expected ${type}`);
}

async function partitionsOf(admin, name) {
  const { topics } = await admin.fetchTopicMetadata({ topics: [name] });
  check(topics.length === 1 && topics[0].name === name, `fetchTopicMetadata ${name}: ${JSON.stringify(topics)}`);
  return topics[0].partitions.sort((a, b) => a.partitionId - b.partitionId);
}

async function main() {
  const kafka = new Kafka({
    clientId: 'kafkajs-admin',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 1, initialRetryTime: 100 },
  });
  const admin = kafka.admin();
  await admin.connect();

  const created = await admin.createTopics({
    topics: [
      { topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '7200000' }] },
      { topic: `${topic}-assigned`, replicaAssignment: [{ partition: 0, replicas: [1] }, { partition: 1, replicas: [1] }] },
    ],
  });
  check(created === true, `createTopics answered ${created}`);
  // Already there: kafkajs answers false.
  check((await admin.createTopics({ topics: [{ topic }] })) === false, 'a second createTopics was not refused');
  const listed = await admin.listTopics();
  check(listed.includes(topic) && listed.includes(`${topic}-assigned`), `listTopics: ${listed}`);
  const assigned = await partitionsOf(admin, `${topic}-assigned`);
  check(assigned.length === 2, `${topic}-assigned has ${assigned.length} partitions`);
  for (const p of assigned) {
    check(p.leader === 1 && p.replicas.join() === '1' && p.isr.join() === '1', `partition ${JSON.stringify(p)}`);
  }

  await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });
  check((await partitionsOf(admin, topic)).length === 3, 'createPartitions did not make 3 partitions');
  await admin.createPartitions({ topicPartitions: [{ topic, count: 5 }], validateOnly: true });
  check((await partitionsOf(admin, topic)).length === 3, 'a validate-only createPartitions changed the topic');
  await expectError('INVALID_PARTITIONS', () => admin.createPartitions({ topicPartitions: [{ topic, count: 2 }] }));

  await admin.deleteTopics({ topics: [`${topic}-assigned`] });
  check(!(await admin.listTopics()).includes(`${topic}-assigned`), 'deleteTopics left the topic listed');
  await expectError('UNKNOWN_TOPIC_OR_PARTITION', () => admin.deleteTopics({ topics: [`${topic}-assigned`] }));

  const cluster = await admin.describeCluster();
  check(cluster.controller === 1, `describeCluster controller ${cluster.controller}`);
  check(typeof cluster.clusterId === 'string' && cluster.clusterId.length === 22, `clusterId ${cluster.clusterId}`);
  check(cluster.brokers.length === 1 && cluster.brokers[0].nodeId === 1, `brokers ${JSON.stringify(cluster.brokers)}`);
  await admin.disconnect();

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const sent = await producer.send({
    topic,
    acks: -1,
    messages: [
      { key: 'k0', value: 'to-partition-0', partition: 0 },
      { key: 'k2a', value: 'to-new-partition-2', partition: 2 },
      { key: 'k2b', value: 'again-to-partition-2', partition: 2 },
    ],
  });
  await producer.disconnect();
  for (const r of sent) check(r.errorCode === 0, `produce: ${JSON.stringify(sent)}`);
  console.log('ok');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
