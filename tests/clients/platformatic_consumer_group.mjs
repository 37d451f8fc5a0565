// @platformatic/kafka consumers in a KIP-848 consumer group (groupProtocol 'consumer', so
// ConsumerGroupHeartbeat, OffsetCommit and OffsetFetch with member epochs): a first member reads
// every record of TOPIC; a second joins and the partitions are split between them, never held by
// both; records produced then reach one of the two; when the second leaves, the first gets its
// partitions back and its committed offsets carry a new member past what was read.
// usage: node platformatic_consumer_group.mjs BOOTSTRAP TOPIC PARTITIONS COUNT
import { Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';

const [bootstrap, topic, partitionsArg, countArg] = process.argv.slice(2);
const partitions = Number(partitionsArg);
const count = Number(countArg);
const group = 'kip848-platformatic';

const producer = new Producer({
  clientId: 'kip848-producer', bootstrapBrokers: [bootstrap], serializers: stringSerializers,
  idempotent: false, acks: -1, autocreateTopics: true,
});

async function produce(tag) {
  for (let i = 0; i < count; i++) {
    const messages = [];
    for (let p = 0; p < partitions; p++) messages.push({ topic, partition: p, value: `${tag}-p${p}-${i}` });
    await producer.send({ messages });
  }
}

function member(name) {
  const consumer = new Consumer({
    clientId: name, groupId: group, groupProtocol: 'consumer', bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers,
  });
  const seen = new Set();
  const state = { consumer, seen, stream: null };
  state.start = async () => {
    state.stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: 100 });
    state.stream.on('data', message => seen.add(message.value));
    state.stream.on('error', error => { console.error(`${name}: ${error.stack}`); process.exit(1); });
  };
  return state;
}

function owned(state) {
  const out = new Set();
  for (const a of state.consumer.assignments ?? []) {
    if (a.topic === topic) for (const p of a.partitions) out.add(p);
  }
  return out;
}

async function until(what, check, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

// Until the group's committed offsets (OffsetFetch) reach `offset` on every partition: autocommit
// runs on its own timer, so a member closed right after reading may not have committed yet.
// (@platformatic/kafka commits the offset of the last record it read, not the next one.)
async function committedUpTo(consumer, offset, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  const all = [...Array(partitions).keys()];
  for (;;) {
    const committed = await consumer.listCommittedOffsets({ topics: [{ topic, partitions: all }] });
    const offsets = committed.get(topic) ?? [];
    if (all.every(p => offsets[p] !== undefined && offsets[p] >= BigInt(offset))) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for commits up to ${offset}: ${offsets}`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

function expected(tag) {
  const out = [];
  for (let p = 0; p < partitions; p++) for (let i = 0; i < count; i++) out.push(`${tag}-p${p}-${i}`);
  return out;
}

async function main() {
  await produce('first');
  const a = member('kip848-a');
  await a.start();
  await until('a to read every record', () => expected('first').every(v => a.seen.has(v)));
  await until('a to own every partition', () => owned(a).size === partitions);

  const b = member('kip848-b');
  await b.start();
  // The partitions end up split between the two, and never owned by both at once.
  await until('the partitions to be split', () => {
    const oa = owned(a);
    const ob = owned(b);
    for (const p of oa) if (ob.has(p)) throw new Error(`partition ${p} owned by both members`);
    return oa.size > 0 && ob.size > 0 && oa.size + ob.size === partitions;
  });

  await produce('second');
  await until('the second records to reach the group', () =>
    expected('second').every(v => a.seen.has(v) || b.seen.has(v)));

  await committedUpTo(b.consumer, 2 * count - 1);
  await b.stream.close();
  await b.consumer.close();
  await until('a to get every partition back', () => owned(a).size === partitions);
  await committedUpTo(a.consumer, 2 * count - 1);
  await a.stream.close();
  await a.consumer.close();

  // A new member starts from the offsets the group committed (with member epochs): nothing of
  // the first or second batch is read again.
  await produce('third');
  const c = member('kip848-c');
  await c.start();
  await until('c to read the third records', () => expected('third').every(v => c.seen.has(v)));
  const again = [...c.seen].filter(v => !v.startsWith('third'));
  if (again.length > 0) throw new Error(`read again after the commit: ${again.slice(0, 5).join(', ')}`);
  await c.stream.close();
  await c.consumer.close();
  await producer.close();
  console.log('ok');
}

main().then(() => process.exit(0), error => { console.error(error.stack); process.exit(1); });
