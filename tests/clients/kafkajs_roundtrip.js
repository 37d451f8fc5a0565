// kafkajs end to end: a producer sends COUNT keyed records (gzip, with headers) to a topic of
// three partitions, then a consumer group reads them all from the beginning, commits, and a
// second consumer of the same group finds nothing left: the commits held.
// usage: node kafkajs_roundtrip.js BOOTSTRAP TOPIC COUNT
const { Kafka, CompressionTypes, logLevel } = require('kafkajs');

const [bootstrap, topic, countArg] = process.argv.slice(2);
const count = Number(countArg);

async function consumeAll(kafka, groupId, expected, timeoutMs) {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, timeoutMs);
    consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({ key: message.key.toString(), value: message.value.toString(), run: message.headers.run.toString() });
        if (seen.length === expected) {
          clearTimeout(timer);
          resolve();
        }
      },
    }).catch(reject);
  });
  await consumer.disconnect();  // commits what was consumed
  return seen;
}

async function main() {
  const kafka = new Kafka({ clientId: 'kafkajs-roundtrip', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();

  const run = String(Date.now());
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let i = 0; i < count; i++) messages.push({ key: `k${i}`, value: `v${i}`, headers: { run } });
  await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages });
  await producer.disconnect();

  const first = await consumeAll(kafka, 'kafkajs-roundtrip', count, 60000);
  if (first.length !== count) throw new Error(`the group read ${first.length} records, expected ${count}`);
  const keys = new Set(first.map((m) => m.key));
  if (keys.size !== count || first.some((m) => m.value !== `v${m.key.slice(1)}` || m.run !== run)) {
    throw new Error('the records read back differ from those produced');
  }
  // The same group again: everything was committed, so nothing is left to read.
  const second = await consumeAll(kafka, 'kafkajs-roundtrip', 1, 5000);
  if (second.length !== 0) throw new Error(`after the commits the group read ${second.length} records again`);
  console.log('ok');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
