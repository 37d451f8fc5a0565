// describeConfigs and alterConfigs with kafkajs's admin client: a topic's configs, changed and
// described again, and this broker's (node 1).
// usage: node config_kafkajs.js BOOTSTRAP TOPIC
// Exits 0 when every answer is what Kafka gives; otherwise prints the first mismatch and exits 1.
const assert = require('assert');
const { Kafka, ConfigResourceTypes, ConfigSource, logLevel } = require('kafkajs');

const [bootstrap, topic] = process.argv.slice(2);

async function main() {
  const kafka = new Kafka({ clientId: 'kafkajs-configs', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
  });

  const describe = async (type, name, configNames) => {
    const { resources } = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type, name, configNames }] });
    assert.strictEqual(resources.length, 1);
    assert.strictEqual(resources[0].errorCode, 0);
    return Object.fromEntries(resources[0].configEntries.map((e) => [e.configName, e]));
  };

  let configs = await describe(ConfigResourceTypes.TOPIC, topic);
  assert.strictEqual(configs['cleanup.policy'].configValue, 'compact');
  assert.strictEqual(configs['cleanup.policy'].configSource, ConfigSource.TOPIC_CONFIG);
  assert.deepStrictEqual(configs['cleanup.policy'].configSynonyms, [
    { configName: 'cleanup.policy', configValue: 'compact', configSource: ConfigSource.TOPIC_CONFIG },
    { configName: 'log.cleanup.policy', configValue: 'delete', configSource: ConfigSource.DEFAULT_CONFIG },
  ]);
  assert.strictEqual(configs['max.message.bytes'].configValue, '1048588');
  assert.strictEqual(configs['max.message.bytes'].isDefault, true);

  await admin.alterConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: '1000' }] }],
  });
  configs = await describe(ConfigResourceTypes.TOPIC, topic, ['retention.ms', 'cleanup.policy']);
  assert.deepStrictEqual(Object.keys(configs).sort(), ['cleanup.policy', 'retention.ms']);
  assert.strictEqual(configs['retention.ms'].configValue, '1000');
  assert.strictEqual(configs['retention.ms'].configSource, ConfigSource.TOPIC_CONFIG);
  assert.strictEqual(configs['cleanup.policy'].configValue, 'delete');

  await assert.rejects(
    admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'no-such-topic' }] }),
    (e) => e.type === 'UNKNOWN_TOPIC_OR_PARTITION',
  );
  await assert.rejects(
    admin.alterConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: 'soon' }] }],
    }),
    (e) => e.type === 'INVALID_CONFIG',
  );

  configs = await describe(ConfigResourceTypes.BROKER, '1');
  assert.strictEqual(configs['node.id'].configValue, '1');
  assert.strictEqual(configs['node.id'].readOnly, true);
  assert.strictEqual(configs['node.id'].configSource, ConfigSource.STATIC_BROKER_CONFIG);
  await admin.alterConfigs({
    resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'message.max.bytes', value: '2000000' }] }],
  });
  configs = await describe(ConfigResourceTypes.BROKER, '1', ['message.max.bytes']);
  assert.strictEqual(configs['message.max.bytes'].configValue, '2000000');
  assert.strictEqual(configs['message.max.bytes'].configSource, ConfigSource.DYNAMIC_BROKER_CONFIG);
  await admin.disconnect();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
