// The official openai Node SDK, version 6, against a running Switchyard server's Files and Batch
// APIs: an input file uploaded, a batch run from it and its results read back, batches listed and
// cancelled, files listed and deleted, and the SDK's typed errors. Each check prints "ok <name>" or
// throws (exit 1).
//
//   node openai_batches_check.mjs http://127.0.0.1:8080/v1 MODEL [API_KEY]
//
// OfficialNodeSdksTest runs this against a tiny generated model.
import assert from 'node:assert/strict';
import OpenAI, { toFile } from 'openai-v6';

const [baseURL, model, apiKey] = process.argv.slice(2);
if (!baseURL || !model) {
  console.error('usage: node openai_batches_check.mjs BASE_URL MODEL [API_KEY]');
  process.exit(2);
}
const client = new OpenAI({ baseURL, apiKey: apiKey ?? 'unused', maxRetries: 0, timeout: 60_000 });
const ok = (name) => console.log(`ok ${name}`);

const line = (id, content, maxTokens) => JSON.stringify({
  custom_id: id, method: 'POST', url: '/v1/chat/completions',
  // ignore_eos is not in the SDK's types; a batch's bodies go to the server as they are
  body: { model, messages: [{ role: 'user', content }], max_tokens: maxTokens, temperature: 0, ignore_eos: true },
});
const jsonl = (lines) => Buffer.from(lines.join('\n') + '\n');

const input = await client.files.create({
  file: await toFile(jsonl([line('first', 'Hello', 4), line('second', 'The switchyard', 3)]), 'input.jsonl'),
  purpose: 'batch',
});
assert.match(input.id, /^file-/);
assert.equal(input.object, 'file');
assert.equal(input.purpose, 'batch');
assert.equal(input.filename, 'input.jsonl');
assert.deepEqual(await client.files.retrieve(input.id), input);
const listed = [];
for await (const f of client.files.list({ purpose: 'batch' })) listed.push(f.id);
assert.ok(listed.includes(input.id), JSON.stringify(listed));
ok('files create, retrieve, list');

async function ended(id) {
  for (let i = 0; i < 600; i++) {
    const b = await client.batches.retrieve(id);
    if (['completed', 'failed', 'expired', 'cancelled'].includes(b.status)) return b;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`batch ${id} did not end`);
}

const made = await client.batches.create({
  input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { run: 'sdk' },
});
assert.match(made.id, /^batch_/);
assert.equal(made.object, 'batch');
assert.equal(made.metadata.run, 'sdk');
const done = await ended(made.id);
assert.equal(done.status, 'completed', JSON.stringify(done));
assert.deepEqual(done.request_counts, { total: 2, completed: 2, failed: 0 });
assert.equal(done.error_file_id, null);
const text = await (await client.files.content(done.output_file_id)).text();
const results = text.trim().split('\n').map((l) => JSON.parse(l));
assert.deepEqual(results.map((r) => r.custom_id), ['first', 'second']);
for (const r of results) {
  assert.equal(r.response.status_code, 200);
  assert.equal(typeof r.response.body.choices[0].message.content, 'string');
}
assert.equal(done.usage.output_tokens, 7);
ok('batch run and its output read');

const batches = [];
for await (const b of client.batches.list({ limit: 1 })) batches.push(b.id);
assert.ok(batches.includes(made.id), JSON.stringify(batches));
ok('batches list');

const long = await client.files.create({
  file: await toFile(jsonl(Array.from({ length: 30 }, (_, i) => line(`r${i}`, `Count ${i}`, 48))), 'long.jsonl'),
  purpose: 'batch',
});
const running = await client.batches.create({
  input_file_id: long.id, endpoint: '/v1/chat/completions', completion_window: '24h',
});
const cancelling = await client.batches.cancel(running.id);
assert.ok(['cancelling', 'cancelled'].includes(cancelling.status), cancelling.status);
const cancelled = await ended(running.id);
assert.equal(cancelled.status, 'cancelled');
assert.ok(cancelled.request_counts.completed < 30, JSON.stringify(cancelled.request_counts));
ok('batches cancel');

await assert.rejects(client.batches.retrieve('batch_missing'), (e) => e instanceof OpenAI.NotFoundError);
await assert.rejects(client.batches.create({
  input_file_id: 'file-missing', endpoint: '/v1/chat/completions', completion_window: '24h',
}), (e) => e instanceof OpenAI.NotFoundError && e.param === 'input_file_id');
await assert.rejects(client.files.create({ file: await toFile(jsonl(['{}']), 'x.jsonl'), purpose: 'fine-tune' }),
  (e) => e instanceof OpenAI.BadRequestError && e.param === 'purpose');
const gone = await client.files.delete(input.id);
assert.equal(gone.deleted, true);
await assert.rejects(client.files.retrieve(input.id), (e) => e instanceof OpenAI.NotFoundError);
ok('errors and files delete');
console.log('all ok');
