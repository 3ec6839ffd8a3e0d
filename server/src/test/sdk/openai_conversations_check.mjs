// The official openai Node SDK, version 6 (the first with the Conversations API), against a running
// Switchyard server: conversations and their items, and responses made in a conversation. Each
// check prints "ok <name>" or throws (exit 1).
//
//   node openai_conversations_check.mjs http://127.0.0.1:8080/v1 MODEL [API_KEY]
//
// OfficialNodeSdksTest runs this against a tiny generated model.
import assert from 'node:assert/strict';
import OpenAI from 'openai-v6';

const [baseURL, model, apiKey] = process.argv.slice(2);
if (!baseURL || !model) {
  console.error('usage: node openai_conversations_check.mjs BASE_URL MODEL [API_KEY]');
  process.exit(2);
}
const client = new OpenAI({ baseURL, apiKey: apiKey ?? 'unused', maxRetries: 0, timeout: 60_000 });
const ok = (name) => console.log(`ok ${name}`);

const made = await client.conversations.create({
  metadata: { topic: 'trains' },
  items: [{ type: 'message', role: 'user', content: 'Hello there' }],
});
assert.match(made.id, /^conv_/);
assert.equal(made.object, 'conversation');
assert.equal(made.metadata.topic, 'trains');
const read = await client.conversations.retrieve(made.id);
assert.deepEqual(read, made);
const updated = await client.conversations.update(made.id, { metadata: { topic: 'yards' } });
assert.equal(updated.metadata.topic, 'yards');
ok('conversations create, retrieve, update');

// ignore_eos is not in the SDK's types; the SDK sends extra fields as they are
const turn = { model, max_output_tokens: 4, temperature: 0, ignore_eos: true };
const first = await client.responses.create({ ...turn, conversation: made.id, input: 'And then?' });
assert.equal(first.conversation.id, made.id);
assert.equal(first.output_text.length > 0, true, JSON.stringify(first.output));
const second = await client.responses.create({ ...turn, conversation: { id: made.id }, input: 'More?' });
assert.ok(second.usage.input_tokens > first.usage.input_tokens, JSON.stringify([first.usage, second.usage]));
ok('responses in a conversation');

const items = [];
for await (const item of client.conversations.items.list(made.id, { order: 'asc', limit: 2 })) items.push(item);
assert.deepEqual(items.map((i) => i.role), ['user', 'user', 'assistant', 'user', 'assistant']);
assert.equal(items[2].id, first.output[0].id);
assert.equal(items[2].content[0].text, first.output_text);
assert.equal(items[3].content[0].text, 'More?');
ok('items listed page by page');

const added = await client.conversations.items.create(made.id, {
  items: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'One more' }] }],
});
assert.equal(added.object, 'list');
assert.equal(added.data.length, 1);
const itemId = added.data[0].id;
const one = await client.conversations.items.retrieve(itemId, { conversation_id: made.id });
assert.equal(one.content[0].text, 'One more');
const after = await client.conversations.items.delete(itemId, { conversation_id: made.id });
assert.equal(after.id, made.id);
const latest = await client.conversations.items.list(made.id, { limit: 1 });
assert.equal(latest.data[0].id, second.output[0].id, 'the last first, by default');
ok('items create, retrieve, delete');

const deleted = await client.conversations.delete(made.id);
assert.equal(deleted.deleted, true);
await assert.rejects(client.conversations.retrieve(made.id), (e) => e instanceof OpenAI.NotFoundError);
await assert.rejects(client.responses.create({ ...turn, conversation: made.id, input: 'hi' }),
  (e) => e instanceof OpenAI.NotFoundError && e.param === 'conversation');
ok('conversations delete');
console.log('all ok');
