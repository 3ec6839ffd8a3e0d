// The official Anthropic Node SDK against a running Switchyard server: what an application written for
// Anthropic's Messages API gets when it points its base URL here. Each check prints "ok <name>" or
// throws (exit 1).
//
//   node anthropic_sdk_check.mjs http://127.0.0.1:8080 MODEL API_KEY TOOLS_URL TOOLS_MODEL STOP_TOKEN
//
// The server must serve MODEL and require API_KEY. A second server at TOOLS_URL serves TOOLS_MODEL,
// whose greedy reply to the weather question below calls get_weather(city="Paris") and ends on
// STOP_TOKEN (ToolCallingModelFile). OfficialNodeSdksTest runs this against tiny generated models.
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';

const [baseURL, model, apiKey, toolsURL, toolsModel, stopToken] = process.argv.slice(2);
if (!baseURL || !model || !apiKey || !toolsURL) {
  console.error('usage: node anthropic_sdk_check.mjs BASE_URL MODEL API_KEY TOOLS_URL TOOLS_MODEL STOP_TOKEN');
  process.exit(2);
}
const client = new Anthropic({ baseURL, apiKey, maxRetries: 0, timeout: 60_000 });
const ok = (name) => console.log(`ok ${name}`);
// ignore_eos is not in the SDK's types; the SDK sends extra fields as they are
const greeting = {
  model, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello there' }],
  max_tokens: 8, temperature: 0, ignore_eos: true,
};

const message = await client.messages.create(greeting);
assert.equal(message.type, 'message');
assert.equal(message.role, 'assistant');
assert.equal(message.model, model);
assert.equal(message.stop_reason, 'max_tokens');
assert.equal(message.content.length, 1);
assert.equal(message.content[0].type, 'text');
assert.ok(message.content[0].text.length > 0);
assert.equal(message.usage.output_tokens, 8);
assert.ok(message.usage.input_tokens + message.usage.cache_read_input_tokens > 0);
ok('messages.create');

const stream = client.messages.stream(greeting);
let deltas = '';
stream.on('text', (text) => { deltas += text; });
const streamed = await stream.finalMessage();
assert.deepEqual(streamed.content, message.content);
assert.equal(deltas, message.content[0].text);
assert.equal(streamed.stop_reason, 'max_tokens');
assert.equal(streamed.usage.output_tokens, 8);
ok('messages.stream');

const types = [];
for await (const event of await client.messages.create({ ...greeting, stream: true })) {
  types.push(event.type);
}
assert.equal(types[0], 'message_start');
assert.equal(types.at(-1), 'message_stop');
assert.equal(types.at(-2), 'message_delta');
ok('raw event stream');

const stop = message.content[0].text.slice(2, 4);
const stopped = await client.messages.create({ ...greeting, stop_sequences: [stop] });
assert.equal(stopped.stop_reason, 'stop_sequence');
assert.equal(stopped.stop_sequence, stop);
assert.equal(stopped.content[0].text, message.content[0].text.slice(0, message.content[0].text.indexOf(stop)));
ok('stop sequence');

const counted = await client.messages.countTokens({ model, system: 'Be brief.', messages: greeting.messages });
assert.equal(counted.input_tokens, message.usage.input_tokens + message.usage.cache_read_input_tokens);
ok('countTokens');

const prefilled = await client.messages.create({
  ...greeting, messages: [...greeting.messages, { role: 'assistant', content: 'Sure,' }],
});
assert.equal(prefilled.stop_reason, 'max_tokens');
assert.equal(prefilled.usage.output_tokens, 8);
ok('assistant prefill');

// ---- tools --------------------------------------------------------------------------------------

const toolsClient = new Anthropic({ baseURL: toolsURL, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
const question = 'What is the weather in Paris today?';
const tools = [{
  name: 'get_weather', description: 'The weather now in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
}];
const toolRequest = {
  model: toolsModel, messages: [{ role: 'user', content: question }], tools, max_tokens: 40, temperature: 0,
  ignore_eos: true, stop_token_ids: [Number(stopToken)],
};
const called = await toolsClient.messages.create(toolRequest);
assert.equal(called.stop_reason, 'tool_use');
const use = called.content.find((b) => b.type === 'tool_use');
assert.ok(use, JSON.stringify(called.content));
assert.equal(use.name, 'get_weather');
assert.deepEqual(use.input, { city: 'Paris' });
ok('tool_use');

const streamedCall = await toolsClient.messages.stream(toolRequest).finalMessage();
const streamedUse = streamedCall.content.find((b) => b.type === 'tool_use');
assert.deepEqual(streamedUse.input, { city: 'Paris' });
assert.equal(streamedCall.stop_reason, 'tool_use');
ok('tool_use streamed');

const answered = await toolsClient.messages.create({
  ...toolRequest,
  messages: [
    { role: 'user', content: question },
    { role: 'assistant', content: called.content },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny, 21 C' }] },
  ],
  max_tokens: 5, stop_token_ids: undefined,
});
assert.ok(answered.usage.output_tokens > 0);
ok('tool_result sent back');

const forced = await toolsClient.messages.create({
  ...toolRequest, tool_choice: { type: 'tool', name: 'get_weather' },
});
assert.ok(forced.content.some((b) => b.type === 'tool_use' && b.name === 'get_weather'), JSON.stringify(forced.content));
ok('forced tool_choice');

// ---- errors -------------------------------------------------------------------------------------

await assert.rejects(client.messages.create({ ...greeting, model: 'no-such-model' }), (e) => {
  assert.ok(e instanceof Anthropic.NotFoundError, String(e));
  assert.equal(e.error.type, 'error');
  assert.equal(e.error.error.type, 'not_found_error');
  return true;
});
await assert.rejects(client.messages.create({
  ...greeting,
  messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA==' } }] }],
}), (e) => {
  assert.ok(e instanceof Anthropic.BadRequestError, String(e));
  assert.match(e.message, /messages\[0\]\.content\[0\]\.type/);
  return true;
});
await assert.rejects(new Anthropic({ baseURL, apiKey: 'wrong', maxRetries: 0 }).messages.create(greeting), (e) => {
  assert.ok(e instanceof Anthropic.AuthenticationError, String(e));
  return true;
});
ok('typed errors');

// Message Batches: requests inline, polled until ended, results read through the batch's results_url
const batch = await client.messages.batches.create({
  requests: [
    { custom_id: 'greeting', params: greeting },
    { custom_id: 'short', params: { ...greeting, max_tokens: 3 } },
    { custom_id: 'refused', params: { model, messages: [{ role: 'user', content: 'Hi' }] } },
  ],
});
assert.match(batch.id, /^msgbatch_/);
assert.equal(batch.type, 'message_batch');
let ended = batch;
for (let i = 0; i < 600 && ended.processing_status !== 'ended'; i++) {
  await new Promise((r) => setTimeout(r, 100));
  ended = await client.messages.batches.retrieve(batch.id);
}
assert.equal(ended.processing_status, 'ended', JSON.stringify(ended));
assert.deepEqual(ended.request_counts, { processing: 0, succeeded: 2, errored: 1, canceled: 0, expired: 0 });
const results = {};
for await (const r of await client.messages.batches.results(batch.id)) results[r.custom_id] = r.result;
assert.equal(results.greeting.type, 'succeeded');
assert.deepEqual(results.greeting.message.content, message.content, 'a batch answers as the Messages API does');
assert.equal(results.short.message.usage.output_tokens, 3);
assert.equal(results.refused.type, 'errored');
assert.equal(results.refused.error.error.type, 'invalid_request_error');
ok('message batches create, retrieve, results');

const listed = [];
for await (const b of client.messages.batches.list({ limit: 1 })) listed.push(b.id);
assert.ok(listed.includes(batch.id), JSON.stringify(listed));
const deleted = await client.messages.batches.delete(batch.id);
assert.equal(deleted.type, 'message_batch_deleted');
await assert.rejects(client.messages.batches.retrieve(batch.id), (e) => e instanceof Anthropic.NotFoundError);
const long = await client.messages.batches.create({
  requests: Array.from({ length: 30 }, (_, i) => ({ custom_id: `r${i}`, params: { ...greeting, max_tokens: 48 } })),
});
const canceling = await client.messages.batches.cancel(long.id);
assert.ok(['canceling', 'ended'].includes(canceling.processing_status), canceling.processing_status);
await assert.rejects(client.messages.batches.create({ requests: [] }), (e) => e instanceof Anthropic.BadRequestError);
ok('message batches list, delete, cancel, errors');

console.log('all ok');
