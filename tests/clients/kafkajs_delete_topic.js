// Creates TOPIC with kafkajs's admin client, then deletes it; prints "deleted", or the type of
// the error the deletion got, and then whether the topic is still listed.
// usage: node kafkajs_delete_topic.js BOOTSTRAP TOPIC
const { Kafka, logLevel } = require('kafkajs');

const [bootstrap, topic] = process.argv.slice(2);

async function main() {
  const kafka = new Kafka({ clientId: 'kafkajs-delete', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  try {
    await admin.deleteTopics({ topics: [topic] });
    console.log('deleted');
  } catch (e) {
    const inner = e.cause || e;
    console.log(inner.type || inner.name);
  }
  console.log((await admin.listTopics()).includes(topic) ? 'listed' : 'not listed');
  await admin.disconnect();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
