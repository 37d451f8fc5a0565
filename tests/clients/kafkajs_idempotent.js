// An idempotent kafkajs producer (idempotent: true, which takes a producer id with
// InitProducerId and numbers its batches) sends COUNT records to partition 0 of TOPIC, in
// several sends, and prints the base offset of each.
// usage: node kafkajs_idempotent.js BOOTSTRAP TOPIC COUNT
const { Kafka, logLevel } = require('kafkajs');

const [bootstrap, topic, countArg] = process.argv.slice(2);
const count = Number(countArg);

async function main() {
  const kafka = new Kafka({ clientId: 'kafkajs-idempotent', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
  await producer.connect();
  for (let first = 0; first < count; first += 10) {
    const messages = [];
    for (let i = first; i < Math.min(count, first + 10); ++i) messages.push({ key: `k${i}`, value: `v${i}`, partition: 0 });
    const [result] = await producer.send({ topic, acks: -1, messages });
    if (result.errorCode !== 0) throw new Error(`send failed: ${JSON.stringify(result)}`);
    console.log(result.baseOffset);
  }
  await producer.disconnect();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
