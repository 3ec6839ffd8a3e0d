// The official openai Node SDK against a running Switchyard server: what an application written for
// OpenAI gets when it points its base URL here. Each check prints "ok <name>" or throws (exit 1).
//
//   node openai_sdk_check.mjs http://127.0.0.1:8080/v1 MODEL [API_KEY [TOOLS_URL TOOLS_MODEL STOP_TOKEN]]
//
// The server must serve MODEL and, when API_KEY is given, require it. With TOOLS_URL, a second
// server there serves TOOLS_MODEL, whose greedy reply to the weather question below calls
// get_weather(city="Paris") and ends on STOP_TOKEN (ToolCallingModelFile); its calls are checked
// too. OfficialNodeSdksTest runs this against tiny generated models.
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const [baseURL, model, apiKey, toolsURL, toolsModel, stopToken] = process.argv.slice(2);
if (!baseURL || !model) {
  console.error('usage: node openai_sdk_check.mjs BASE_URL MODEL [API_KEY]');
  process.exit(2);
}
const client = new OpenAI({ baseURL, apiKey: apiKey ?? 'unused', maxRetries: 0, timeout: 60_000 });
const ok = (name) => console.log(`ok ${name}`);
// ignore_eos is not in the SDK's types; the SDK sends extra fields as they are
const chatRequest = {
  model,
  messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }],
  max_completion_tokens: 10, temperature: 0, ignore_eos: true,
};

const models = await client.models.list();
assert.ok(models.data.some((m) => m.id === model && m.object === 'model'), JSON.stringify(models.data));
const one = await client.models.retrieve(model);
assert.equal(one.id, model);
ok('models');

const completion = await client.completions.create({
  model, prompt: 'The switchyard', max_tokens: 8, temperature: 0, ignore_eos: true, logprobs: 2,
});
const choice = completion.choices[0];
assert.equal(completion.object, 'text_completion');
assert.equal(choice.finish_reason, 'length');
assert.equal(completion.usage.completion_tokens, 8);
assert.equal(completion.usage.total_tokens, completion.usage.prompt_tokens + 8);
assert.equal(choice.logprobs.tokens.length, 8);
assert.equal(choice.logprobs.tokens.join(''), choice.text);
assert.ok(choice.logprobs.token_logprobs.every((lp) => lp <= 0));
ok('completion');

let streamedText = '';
let finish = null;
for await (const chunk of await client.completions.create({
  model, prompt: 'The switchyard', max_tokens: 8, temperature: 0, ignore_eos: true, stream: true,
})) {
  for (const c of chunk.choices) {
    streamedText += c.text;
    finish = c.finish_reason ?? finish;
  }
}
assert.equal(streamedText, choice.text);
assert.equal(finish, 'length');
ok('completion stream');

const byIndex = {};
for await (const chunk of await client.completions.create({
  model, prompt: ['one', 'two'], max_tokens: 4, temperature: 0, ignore_eos: true, stream: true,
})) {
  for (const c of chunk.choices) byIndex[c.index] = (byIndex[c.index] ?? '') + c.text;
}
assert.deepEqual(Object.keys(byIndex).sort(), ['0', '1']);
ok('completion stream of two prompts');

const chat = await client.chat.completions.create({ ...chatRequest, logprobs: true, top_logprobs: 2 });
const message = chat.choices[0].message;
assert.equal(chat.object, 'chat.completion');
assert.equal(message.role, 'assistant');
assert.equal(chat.choices[0].finish_reason, 'length');
assert.equal(chat.usage.completion_tokens, 10);
const content = chat.choices[0].logprobs.content;
assert.equal(content.length, 10);
assert.ok(content.every((t) => t.top_logprobs.length === 2 && t.logprob <= 0));
ok('chat');

let chatText = '';
let usage = null;
for await (const chunk of await client.chat.completions.create({
  ...chatRequest, stream: true, stream_options: { include_usage: true },
})) {
  if (chunk.usage) usage = chunk.usage;
  for (const c of chunk.choices) chatText += c.delta?.content ?? '';
}
assert.equal(chatText, message.content);
// the same counts; the repeated prompt now comes partly from the prefix cache
assert.equal(usage.prompt_tokens, chat.usage.prompt_tokens);
assert.equal(usage.completion_tokens, chat.usage.completion_tokens);
assert.equal(usage.total_tokens, chat.usage.total_tokens);
assert.ok(usage.prompt_tokens_details.cached_tokens > chat.usage.prompt_tokens_details.cached_tokens);
ok('chat stream with usage');

// the SDK's stream helper reassembles the chunks into a whole completion
const helper = client.beta.chat.completions.stream(chatRequest);
const assembled = await helper.finalChatCompletion();
assert.equal(assembled.choices[0].message.content, message.content);
assert.equal(assembled.choices[0].finish_reason, 'length');
ok('chat stream helper');

const seeded = { ...chatRequest, temperature: 0.9, seed: 1234, n: 2 };
const first = await client.chat.completions.create(seeded);
const again = await client.chat.completions.create(seeded);
assert.deepEqual(first.choices.map((c) => c.index), [0, 1]);
assert.deepEqual(again.choices.map((c) => c.message.content), first.choices.map((c) => c.message.content));
ok('seeded sampling with n');

// structured output: the reply is a value of the schema, whatever a random-weight model would write
const structured = await client.chat.completions.create({
  ...chatRequest, max_completion_tokens: 120, ignore_eos: false,
  response_format: {
    type: 'json_schema',
    json_schema: {
      name: 'weather', strict: true,
      schema: {
        type: 'object', properties: { unit: { enum: ['celsius', 'fahrenheit'] }, sunny: { type: 'boolean' } },
        required: ['unit', 'sunny'], additionalProperties: false,
      },
    },
  },
});
const weather = JSON.parse(structured.choices[0].message.content);
assert.ok(['celsius', 'fahrenheit'].includes(weather.unit), structured.choices[0].message.content);
assert.equal(typeof weather.sunny, 'boolean');
assert.equal(structured.choices[0].finish_reason, 'stop');
ok('structured output');

// the Responses API: the same conversation answers as chat does; the SDK adds output_text
const responseRequest = {
  model, instructions: 'Be brief.', input: 'Hello there', max_output_tokens: 10, temperature: 0, ignore_eos: true,
};
const response = await client.responses.create(responseRequest);
assert.equal(response.object, 'response');
assert.equal(response.status, 'incomplete');
assert.equal(response.incomplete_details.reason, 'max_output_tokens');
assert.equal(response.output_text, message.content);
assert.equal(response.usage.output_tokens, 10);
assert.equal(response.usage.input_tokens, chat.usage.prompt_tokens);
ok('responses');

// the SDK's stream helper rebuilds the response from the semantic events (output_text is added to
// whole responses only, and an incomplete one keeps the snapshot its events built)
const responseStream = client.responses.stream(responseRequest);
let deltas = '';
responseStream.on('response.output_text.delta', (event) => { deltas += event.delta; });
const rebuilt = await responseStream.finalResponse();
assert.equal(deltas, message.content);
assert.equal(rebuilt.output[0].type, 'message');
assert.equal(rebuilt.output[0].content[0].text, message.content);
ok('responses stream helper');

// kept responses: read back, continued by id (the earlier turn comes first), deleted
const kept = await client.responses.retrieve(response.id);
assert.equal(kept.id, response.id);
assert.deepEqual(kept.output, response.output);
const continued = await client.responses.create({
  model, previous_response_id: response.id, input: 'And then?', max_output_tokens: 4, temperature: 0, ignore_eos: true,
});
assert.equal(continued.previous_response_id, response.id);
const inputItems = [];
for await (const item of client.responses.inputItems.list(response.id)) inputItems.push(item);
assert.equal(inputItems.length, 1, JSON.stringify(inputItems));
assert.equal(inputItems[0].type, 'message');
assert.equal(inputItems[0].content[0].text, 'Hello there');
assert.ok(continued.usage.input_tokens > response.usage.input_tokens, JSON.stringify(continued.usage));
await client.responses.del(response.id);
await rejects('deleted response', () => client.responses.retrieve(response.id), OpenAI.NotFoundError, 404);
ok('kept responses');

// background responses: queued at once, polled until they end; cancelled while they run
const queued = await client.responses.create({
  model, input: 'Hello there', max_output_tokens: 8, temperature: 0, ignore_eos: true, background: true,
});
assert.equal(queued.status, 'queued');
assert.equal(queued.background, true);
const settle = async (id) => {
  let r = await client.responses.retrieve(id);
  for (let i = 0; i < 600 && (r.status === 'queued' || r.status === 'in_progress'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    r = await client.responses.retrieve(id);
  }
  return r;
};
const polled = await settle(queued.id);
assert.equal(polled.status, 'incomplete');
assert.equal(polled.usage.output_tokens, 8);
assert.ok(polled.output[0].content[0].text.length > 0);
const running = await client.responses.create({
  model, input: 'Tell me everything', max_output_tokens: 200, ignore_eos: true, background: true,
});
await client.responses.cancel(running.id);
const stopped = await settle(running.id);
assert.ok(['cancelled', 'incomplete'].includes(stopped.status), stopped.status); // it may end before the cancel lands
ok('background responses');

// a streamed background response, read as it is made and again from a later event
const streamedEvents = [];
for await (const event of await client.responses.create({
  model, input: 'Hello there', max_output_tokens: 8, temperature: 0, ignore_eos: true, background: true, stream: true,
})) {
  streamedEvents.push(event);
}
assert.equal(streamedEvents[0].type, 'response.created');
assert.equal(streamedEvents[0].response.status, 'queued');
assert.equal(streamedEvents.at(-1).type, 'response.incomplete');
streamedEvents.forEach((e, i) => assert.equal(e.sequence_number, i));
const resumedEvents = [];
for await (const event of await client.responses.retrieve(streamedEvents[0].response.id, { stream: true, starting_after: 3 })) {
  resumedEvents.push(event);
}
assert.deepEqual(resumedEvents, streamedEvents.slice(4));
ok('background stream resumed');

// embeddings: the SDK asks for base64 and decodes it; floats asked for give the same values, unit length
const embedded = await client.embeddings.create({ model, input: ['The switchyard', 'hello'] });
const floats = await client.embeddings.create({ model, input: ['The switchyard', 'hello'], encoding_format: 'float' });
assert.equal(embedded.data.length, 2);
embedded.data.forEach((d, i) => {
  assert.equal(d.index, i);
  assert.equal(d.embedding.length, floats.data[i].embedding.length);
  d.embedding.forEach((x, j) => assert.ok(Math.abs(x - floats.data[i].embedding[j]) < 1e-6));
  const norm = Math.sqrt(d.embedding.reduce((sum, x) => sum + x * x, 0));
  assert.ok(Math.abs(norm - 1) < 1e-4, String(norm));
});
assert.notDeepEqual(embedded.data[0].embedding, embedded.data[1].embedding);
assert.ok(embedded.usage.prompt_tokens > 2, JSON.stringify(embedded.usage));
ok('embeddings');

// errors come back as the SDK's typed errors, with OpenAI's fields
async function rejects(name, call, errorClass, status, param, code) {
  try {
    await call();
  } catch (e) {
    assert.ok(e instanceof errorClass, `${name}: ${e.constructor.name}: ${e.message}`);
    assert.equal(e.status, status, name);
    assert.equal(e.type, status === 401 ? e.type : 'invalid_request_error', name);
    if (param !== undefined) assert.equal(e.param, param, name);
    if (code !== undefined) assert.equal(e.code, code, name);
    assert.ok(e.message.length > 10, name);
    ok(name);
    return;
  }
  assert.fail(`${name}: no error`);
}
await rejects('unknown model', () => client.chat.completions.create({ ...chatRequest, model: 'no-such-model' }),
  OpenAI.NotFoundError, 404, 'model', 'model_not_found');
await rejects('bad temperature', () => client.chat.completions.create({ ...chatRequest, temperature: -1 }),
  OpenAI.BadRequestError, 400, 'temperature');
await rejects('unenforceable schema refused', () => client.chat.completions.create({
  ...chatRequest,
  response_format: {
    type: 'json_schema',
    json_schema: { name: 'count', schema: { type: 'object', properties: { n: { type: 'number', minimum: 1 } } } },
  },
}), OpenAI.BadRequestError, 400, 'response_format.json_schema.schema', 'unsupported_parameter');
await rejects('no such response', () => client.responses.create({ ...responseRequest, previous_response_id: 'resp_1' }),
  OpenAI.NotFoundError, 404, 'previous_response_id', 'previous_response_not_found');
await rejects('context length', () => client.completions.create({ model, prompt: 'x', max_tokens: 10_000_000 }),
  OpenAI.BadRequestError, 400, 'max_tokens', 'context_length_exceeded');
if (apiKey) {
  const wrong = new OpenAI({ baseURL, apiKey: `${apiKey}-wrong`, maxRetries: 0 });
  await rejects('wrong key', () => wrong.models.list(), OpenAI.AuthenticationError, 401);
}
if (toolsURL) {
  const tools = new OpenAI({ baseURL: toolsURL, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
  const toolRequest = {
    model: toolsModel,
    messages: [{ role: 'user', content: 'What is the weather in Paris today?' }],
    tools: [{
      type: 'function',
      function: {
        name: 'get_weather', description: 'The weather now in a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    }],
    max_completion_tokens: 24, temperature: 0, ignore_eos: true, stop_token_ids: [Number(stopToken)],
  };
  const called = await tools.chat.completions.create(toolRequest);
  const call = called.choices[0].message.tool_calls?.[0];
  assert.equal(called.choices[0].finish_reason, 'tool_calls', JSON.stringify(called));
  assert.equal(call.type, 'function');
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
  ok('tool call');

  // the stream helper joins tool-call deltas by index into the same message
  const joined = await tools.beta.chat.completions.stream(toolRequest).finalChatCompletion();
  const joinedCall = joined.choices[0].message.tool_calls[0];
  assert.equal(joined.choices[0].finish_reason, 'tool_calls');
  assert.equal(joinedCall.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(joinedCall.function.arguments), { city: 'Paris' });
  assert.equal(joined.choices[0].message.content ?? '', called.choices[0].message.content ?? '');

  // the next turn: the call and its result go back, as an agent loop sends them
  const next = await tools.chat.completions.create({
    ...toolRequest,
    messages: [...toolRequest.messages, called.choices[0].message,
      { role: 'tool', tool_call_id: call.id, content: '18 C and sunny' }],
    max_completion_tokens: 4, stop_token_ids: undefined,
  });
  assert.ok(next.usage.prompt_tokens > called.usage.prompt_tokens, JSON.stringify(next.usage));
  ok('tool call stream helper and next turn');

  // a named tool_choice: the reply is that call, its arguments held to the tool's schema
  const setUnit = {
    type: 'function',
    function: {
      name: 'set_unit', strict: true,
      parameters: {
        type: 'object', properties: { unit: { enum: ['celsius', 'fahrenheit'] } }, required: ['unit'],
        additionalProperties: false,
      },
    },
  };
  const named = await tools.chat.completions.create({
    ...toolRequest, tools: [...toolRequest.tools, setUnit], stop_token_ids: undefined, max_completion_tokens: 200,
    tool_choice: { type: 'function', function: { name: 'set_unit' } },
  });
  const forcedCall = named.choices[0].message.tool_calls[0];
  assert.equal(forcedCall.function.name, 'set_unit');
  assert.ok(['celsius', 'fahrenheit'].includes(JSON.parse(forcedCall.function.arguments).unit));
  assert.equal(named.choices[0].finish_reason, 'tool_calls');
  ok('named tool_choice');

  // the Responses API's function tools (flat) and function_call items, then the call's output sent back
  const flatTools = [{ type: 'function', name: 'get_weather', description: 'The weather now in a city', strict: false,
    parameters: toolRequest.tools[0].function.parameters }];
  const toolResponse = await tools.responses.create({
    model: toolsModel, input: toolRequest.messages[0].content, tools: flatTools,
    max_output_tokens: 24, temperature: 0, ignore_eos: true, stop_token_ids: [Number(stopToken)],
  });
  const item = toolResponse.output.find((o) => o.type === 'function_call');
  assert.ok(item, JSON.stringify(toolResponse.output));
  assert.equal(item.name, 'get_weather');
  assert.deepEqual(JSON.parse(item.arguments), { city: 'Paris' });
  const answered = await tools.responses.create({
    model: toolsModel, tools: flatTools, max_output_tokens: 4, temperature: 0, ignore_eos: true,
    input: [{ role: 'user', content: toolRequest.messages[0].content }, item,
      { type: 'function_call_output', call_id: item.call_id, output: '18 C and sunny' }],
  });
  assert.ok(answered.usage.input_tokens > toolResponse.usage.input_tokens, JSON.stringify(answered.usage));
  ok('responses function call and its output');
}
console.log('all ok');
