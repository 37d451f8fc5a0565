// Produces three keyed records with kafkajs; the values repeat themselves so compression pays.
// usage: node kafkajs_produce.js BOOTSTRAP TOPIC COMPRESSION   (none or gzip: kafkajs's built-ins)
const { Kafka, CompressionTypes, logLevel } = require('kafkajs');

const [bootstrap, topic, compression] = process.argv.slice(2);
const codecs = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP };

async function main() {
  const kafka = new Kafka({
    clientId: 'kafkajs-golden',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({
    topic,
    compression: codecs[compression],
    messages: [0, 1, 2].map((i) => ({ key: `k${i}`, value: `value-${i}-${'gregor'.repeat(40)}`, partition: 0 })),
  });
  await producer.disconnect();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
