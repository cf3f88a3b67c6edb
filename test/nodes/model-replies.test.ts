/**
 * The store node takes model replies as the services send them (OpenAI chat completions and
 * Responses, Anthropic Messages, Ollama /api/chat, and so what @inductiv/node-red-openai-api and
 * node-red-contrib-ollama put in msg.payload): it stores the assistant message with the model and
 * the token usage in its metadata, in a real Node-RED on DynamoDB Local; a malformed reply or an
 * error body is refused and nothing is written. The context node hands the stored tool calls back
 * in each format, Ollama's among them, with the node's model.
 */
import assert from 'node:assert/strict';
import { scanTable, uniqueName } from '../support/memory-table';
import { anthropicMessage, errorBodies, ollamaChat, openAIChatCompletion, openAIResponse } from '../support/model-wire';
import { loadMemoryFlow, sent, startNodeRed, stopNodeRed, unloadFlow, type MemoryFlow, type Msg } from '../support/node-flow';

const nodes = [
  { id: 'store', type: 'dynamodb-memory-store' as const },
  { id: 'history', type: 'dynamodb-memory-history' as const, format: 'records' },
  { id: 'ollama', type: 'dynamodb-memory-context' as const, format: 'ollama', model: 'llama3.2' },
  { id: 'openai', type: 'dynamodb-memory-context' as const, format: 'openai', model: 'gpt-4.1-mini' },
  { id: 'anthropic', type: 'dynamodb-memory-context' as const, format: 'anthropic', model: 'claude-sonnet-4-5' },
  { id: 'text', type: 'dynamodb-memory-context' as const, format: 'text', model: 'llama3.2' },
  { id: 'summarising', type: 'dynamodb-memory-context' as const, summaryThreshold: '1' },
];
const weather = { id: 'call_w1', name: 'weather', input: { city: 'Lisbon' } };
const storedCall = { id: 'call_w1', type: 'function', function: { name: 'weather', arguments: '{"city":"Lisbon"}' } };

describe('store node: model replies as they come', () => {
  let flow: MemoryFlow;
  before(startNodeRed);
  after(stopNodeRed);
  beforeEach(async () => (flow = await loadMemoryFlow(nodes)));
  afterEach(unloadFlow);

  async function storedRecord(payload: unknown, extra: Msg = {}): Promise<Msg> {
    const sessionId = uniqueName('s');
    // The node's role is "user", as most store nodes in a flow are: a reply is the assistant's anyway.
    await sent(flow, 'store', { sessionId, payload, ...extra });
    const records = (await sent(flow, 'history', { sessionId }))['history'] as Msg[];
    assert.equal(records.length, 1);
    return records[0]!;
  }

  const shapes: Array<[string, unknown, string, { inputTokens: number; outputTokens: number; totalTokens: number }]> = [
    ['an OpenAI chat-completions response', openAIChatCompletion('Sunny, 24 °C.'), 'gpt-4.1-2025-04-14', { inputTokens: 52, outputTokens: 9, totalTokens: 61 }],
    ['an OpenAI Responses API response', openAIResponse('Sunny, 24 °C.'), 'gpt-4.1-2025-04-14', { inputTokens: 36, outputTokens: 87, totalTokens: 123 }],
    ['an Anthropic Messages response', anthropicMessage('Sunny, 24 °C.'), 'claude-sonnet-4-5-20250929', { inputTokens: 2095, outputTokens: 503, totalTokens: 2598 }],
    ['an Ollama /api/chat response (node-red-contrib-ollama)', ollamaChat('Sunny, 24 °C.'), 'llama3.2', { inputTokens: 26, outputTokens: 298, totalTokens: 324 }],
  ];
  for (const [what, reply, model, usage] of shapes) {
    it(`stores ${what} as the assistant's message, with the model and token usage`, async () => {
      const record = await storedRecord(reply, { metadata: { channel: 'web' } });
      assert.equal(record['role'], 'assistant');
      assert.equal(record['content'], 'Sunny, 24 °C.');
      const metadata = record['metadata'] as Msg;
      assert.equal(metadata['model'], model);
      assert.deepEqual(metadata['usage'], usage);
      assert.equal(metadata['channel'], 'web');
      assert.equal(flow.lastStatus('store')?.fill, 'green');
    });
  }

  const toolShapes: Array<[string, unknown]> = [
    ['OpenAI chat completions', openAIChatCompletion(null, { tools: [weather] })],
    ['the OpenAI Responses API', openAIResponse(null, { tools: [weather] })],
    ['Anthropic Messages', anthropicMessage(null, { tools: [weather] })],
  ];
  for (const [what, reply] of toolShapes) {
    it(`stores the tool calls of ${what} as tool_calls, content null`, async () => {
      const record = await storedRecord(reply);
      assert.equal(record['content'], null);
      assert.deepEqual(record['tool_calls'], [storedCall]);
    });
  }

  it("stores Ollama's tool calls (arguments an object, no id) with an id and JSON arguments", async () => {
    const record = await storedRecord(ollamaChat('', { tools: [weather] }));
    assert.equal(record['content'], null);
    assert.deepEqual(record['tool_calls'], [{ ...storedCall, id: 'call_0' }]);
  });

  it('hands stored tool calls back in each format, with the model: Ollama, OpenAI, Anthropic, text', async () => {
    const sessionId = uniqueName('s');
    await sent(flow, 'store', { sessionId, payload: 'Weather in Lisbon?' });
    await sent(flow, 'store', { sessionId, payload: anthropicMessage(null, { tools: [weather] }) });
    await sent(flow, 'store', { sessionId, payload: { role: 'tool', tool_call_id: 'call_w1', content: '{"sky":"sunny"}' } });
    await sent(flow, 'store', { sessionId, payload: ollamaChat('Sunny.') });
    const ollama = (await sent(flow, 'ollama', { sessionId, payload: 'And tomorrow?' }))['payload'] as Msg;
    assert.equal(ollama['model'], 'llama3.2');
    assert.equal(ollama['stream'], false);
    assert.deepEqual((ollama['messages'] as Msg[]).slice(1), [
      { role: 'user', content: 'Weather in Lisbon?' },
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'weather', arguments: { city: 'Lisbon' } } }] },
      { role: 'tool', content: '{"sky":"sunny"}', tool_name: 'weather' },
      { role: 'assistant', content: 'Sunny.' },
      { role: 'user', content: 'And tomorrow?' },
    ]);
    assert.equal((ollama['messages'] as Msg[])[0]!['role'], 'system');
    const openai = (await sent(flow, 'openai', { sessionId, payload: 'And tomorrow?' }))['payload'] as Msg;
    assert.equal(openai['model'], 'gpt-4.1-mini');
    assert.deepEqual((openai['messages'] as Msg[])[2], { role: 'assistant', content: null, tool_calls: [storedCall] });
    const anthropic = (await sent(flow, 'anthropic', { sessionId, payload: 'And tomorrow?' }))['payload'] as Msg;
    assert.equal(anthropic['model'], 'claude-sonnet-4-5');
    // msg.model wins over the node's; a text prompt names it beside the prompt.
    const text = await sent(flow, 'text', { sessionId, payload: 'And tomorrow?', model: 'qwen3' });
    assert.equal(typeof text['payload'], 'string');
    assert.equal(text['model'], 'qwen3');
    assert.match((await flow.run('ollama', { sessionId, payload: 'x', model: 42 })).error ?? '', /model: must be a model name/);
  });

  it("stores a summary from the model's response to the summarising request", async () => {
    const sessionId = uniqueName('s');
    await sent(flow, 'store', { sessionId, payload: 'one' });
    const { second } = await flow.runBoth('summarising', { sessionId, payload: 'two' });
    assert.ok(second, 'the summary output fired');
    const stored = await sent(flow, 'store', { ...second, payload: openAIChatCompletion('Ana counted to one.') });
    assert.equal((stored['memory'] as Msg)['stored'], true);
    const openai = (await sent(flow, 'openai', { sessionId, payload: 'three' }))['payload'] as { messages: Msg[] };
    assert.match(String(openai.messages[0]!['content']), /Ana counted to one\./);
  });

  const malformed: Array<[string, unknown, RegExp]> = [
    ['a chat completion without choices', { ...openAIChatCompletion('x'), choices: [] }, /payload\.choices: must be a non-empty array of choices/],
    ['a chat completion whose message is not the assistant\'s', { choices: [{ message: { role: 'user', content: 'x' } }] }, /payload\.choices\.0\.message\.role: must be "assistant"/],
    ['a Responses response with reasoning only', { ...openAIResponse(null), output: [{ type: 'reasoning', summary: [] }] }, /payload\.output: must be an array of output items with at least one "message" or "function_call"/],
    ['an Anthropic message whose content is not blocks', { ...anthropicMessage('x'), content: 'x' }, /payload\.content: must be an array of content blocks/],
    ['an Ollama reply without content', { ...ollamaChat('x'), message: { role: 'assistant' } }, /payload\.message\.content is required/],
    ['a negative token count', { ...ollamaChat('x'), eval_count: -1 }, /payload\.eval_count: must be a whole number of tokens, 0 or more/],
    ["OpenAI's error body", errorBodies.openai, /the model service answered with an error, not a reply: Incorrect API key/],
    ["Anthropic's error body", errorBodies.anthropic, /answered with an error, not a reply: Overloaded; nothing was stored/],
    ["Ollama's error body", errorBodies.ollama, /answered with an error, not a reply: model 'llama9' not found/],
  ];
  for (const [what, payload, error] of malformed) {
    it(`refuses ${what}, red, and writes nothing`, async () => {
      const sessionId = uniqueName('s');
      const outcome = await flow.run('store', { sessionId, payload });
      assert.match(outcome.error ?? '', error);
      assert.equal(flow.lastStatus('store')?.fill, 'red');
      assert.equal((await scanTable(flow.tableName)).filter((i) => i['sessionId'] === sessionId).length, 0);
    });
  }
});
