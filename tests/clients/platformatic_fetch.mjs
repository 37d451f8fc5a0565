// @platformatic/kafka, a client that fetches with Fetch v17, topics named by id: produces COUNT
// records to each of PARTITIONS partitions of TOPIC, then reads every partition back with its
// low-level fetch(), a few records at a time, by the topic id the metadata gave, and checks the
// records come back whole and in order.
// usage: node platformatic_fetch.mjs BOOTSTRAP TOPIC PARTITIONS COUNT
import { Consumer, Producer, stringSerializers } from '@platformatic/kafka';

const [bootstrap, topic, partitionsArg, countArg] = process.argv.slice(2);
const partitions = Number(partitionsArg);
const count = Number(countArg);
const value = (p, i) => `p${p}-${i}`;

async function main() {
  const producer = new Producer({
    clientId: 'gregor-platformatic',
    bootstrapBrokers: [bootstrap],
    serializers: stringSerializers,
    idempotent: false,
    acks: -1,
    autocreateTopics: true,
  });
  for (let i = 0; i < count; i++) {
    const messages = [];
    for (let p = 0; p < partitions; p++) messages.push({ topic, partition: p, value: value(p, i) });
    await producer.send({ messages });
  }
  await producer.close();

  const consumer = new Consumer({ clientId: 'gregor-platformatic', groupId: 'platformatic', bootstrapBrokers: [bootstrap] });
  const metadata = await consumer.metadata({ topics: [topic] });
  const described = metadata.topics.get(topic);
  if (!described || described.partitionsCount !== partitions) throw new Error(`metadata: ${JSON.stringify(described)}`);
  const read = Array.from({ length: partitions }, () => []);
  let fetches = 0;
  for (let p = 0; p < partitions; p++) {
    const node = described.partitions[p].leader;
    while (read[p].length < count) {
      if (++fetches > 50 * partitions * count) throw new Error('too many fetches');
      const response = await consumer.fetch({
        node,
        maxWaitTime: 100,
        maxBytes: 512,
        topics: [{
          topicId: described.id,
          partitions: [{
            partition: p, currentLeaderEpoch: -1, fetchOffset: BigInt(read[p].length), lastFetchedEpoch: -1,
            partitionMaxBytes: 256,
          }],
        }],
      });
      // Every fetch asks for a session (id 0, epoch 0) it never goes on with: the broker makes one.
      if (response.sessionId <= 0) throw new Error(`no fetch session: id ${response.sessionId}`);
      const [t] = response.responses;
      if (!t || t.topicId !== described.id) throw new Error(`fetch answered for ${t && t.topicId}, not ${described.id}`);
      const part = t.partitions[0];
      if (part.errorCode !== 0) throw new Error(`partition ${p}: error ${part.errorCode}`);
      for (const batch of part.records ?? []) {
        for (const record of batch.records) {
          const offset = Number(batch.firstOffset) + record.offsetDelta;
          if (offset === read[p].length) read[p].push(record.value.toString());
        }
      }
    }
  }
  await consumer.close();
  for (let p = 0; p < partitions; p++) {
    for (let i = 0; i < count; i++) {
      if (read[p][i] !== value(p, i)) throw new Error(`partition ${p} offset ${i}: ${read[p][i]}`);
    }
  }
  if (fetches <= partitions) throw new Error(`only ${fetches} fetches: the sizes did not split the reads`);
  console.log(`ok: ${fetches} fetches`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
