// kafkajs: admin.deleteTopicRecords (DeleteRecords) on a topic it creates, checked through
// admin.fetchTopicOffsets (ListOffsets): the low watermark moves to the offset asked, then to the
// high watermark with offset -1; an offset past the end (OFFSET_OUT_OF_RANGE) fails and changes
// nothing.
// usage: node log_apis_kafkajs.js BOOTSTRAP TOPIC COUNT DELETE_TO
const { Kafka, logLevel } = require('kafkajs');

const [bootstrap, topic, countArg, deleteToArg] = process.argv.slice(2);
const count = parseInt(countArg, 10);
const deleteTo = parseInt(deleteToArg, 10);

function check(what, actual, expected) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
}

async function offsets(admin) {
  const [p] = await admin.fetchTopicOffsets(topic);
  return { low: p.low, high: p.high };
}

async function main() {
  const kafka = new Kafka({ clientId: 'kafkajs-log-apis', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const admin = kafka.admin();
  await admin.connect();
  check('created', await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }), true);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ value: `v${i}`, partition: 0 })) });
  await producer.disconnect();

  // deleteTopicRecords looks the leader up in metadata it does not fetch itself.
  await admin.fetchTopicMetadata({ topics: [topic] });
  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: String(deleteTo) }] });
  check('after deleting before ' + deleteTo, await offsets(admin), { low: String(deleteTo), high: String(count) });
  console.log(`deleteTopicRecords: low watermark ${deleteTo}`);

  // kafkajs's retrier hands back the broker's refusal without its partitions' error codes:
  // that it failed and changed nothing is what can be checked here.
  let refused = null;
  try {
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: String(count + 10) }] });
  } catch (e) {
    refused = e.message;
  }
  check('deleting past the end', refused, 'Error while deleting records');
  check('after the refusal', await offsets(admin), { low: String(deleteTo), high: String(count) });

  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '-1' }] });
  check('after deleting up to the high watermark', await offsets(admin), { low: String(count), high: String(count) });
  console.log(`deleteTopicRecords -1: low watermark ${count}`);
  await admin.disconnect();
  console.log('ok');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
