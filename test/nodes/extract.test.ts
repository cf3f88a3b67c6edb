/**
 * The extract node (`dynamodb-memory-extract`) in a real Node-RED runtime on DynamoDB Local: the
 * loop a flow wires (due → the model's request on output 1 → the answer back in → applied on
 * output 3), once only on a retry, the flow's embeddings through output 2, and bad answers refused
 * with nothing applied. (The test helper loads no message catalogs, so statuses are checked by colour.)
 */
import assert from 'node:assert/strict';
import { uniqueName, scanTable } from '../support/memory-table';
import { loadMemoryFlow, sent, startNodeRed, stopNodeRed, unloadFlow, type MemoryFlow, type Msg } from '../support/node-flow';

/** An OpenAI chat-completions response whose message is the answer's JSON, as an http request node hands it on. */
const completion = (answer: unknown) => ({
  id: 'chatcmpl-test',
  object: 'chat.completion',
  model: 'gpt-test',
  choices: [{ index: 0, message: { role: 'assistant', content: JSON.stringify(answer), refusal: null }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
});

describe('extract node (dynamodb-memory-extract)', () => {
  let flow: MemoryFlow;
  let sessionId: string;
  let userId: string;
  before(startNodeRed);
  after(stopNodeRed);
  beforeEach(async () => {
    sessionId = uniqueName('s');
    userId = uniqueName('u');
    flow = await loadMemoryFlow([
      { id: 'extract', type: 'dynamodb-memory-extract', every: '4', model: 'gpt-test' },
      { id: 'extract-flow', type: 'dynamodb-memory-extract', every: '1', embeddings: 'flow' },
      { id: 'extract-anthropic', type: 'dynamodb-memory-extract', every: '1', format: 'anthropic', model: 'claude-test' },
      { id: 'store', type: 'dynamodb-memory-store' },
      { id: 'memories', type: 'dynamodb-memory-recall', operation: 'list', scope: 'user' },
    ]);
  });
  afterEach(unloadFlow);

  const store = async (...texts: string[]) => {
    for (const [i, text] of texts.entries()) await sent(flow, 'store', { sessionId, userId, role: i % 2 === 0 ? 'user' : 'assistant', payload: text });
  };
  /** The texts of the user's memories valid at a time (default now), as a recall finds them. */
  const memories = async (validAt?: string) =>
    ((await sent(flow, 'memories', { userId, operation: 'recall', payload: 'the user lives, loves, has', ...(validAt ? { validAt } : {}) }))['payload'] as Msg[]).map((m) => m['text']);

  it('sends nothing until the node\'s count of new messages, then the model\'s request; applies the answer once', async () => {
    await store('Hi, I live in Lisbon.', 'Nice!', 'I love jazz.');
    const early = await flow.runOutputs('extract', { sessionId, userId });
    assert.deepEqual(early, { outputs: [undefined, undefined, undefined] });
    assert.equal(flow.lastStatus('extract')?.fill, 'green');

    await store('Noted.');
    const due = await flow.runOutputs('extract', { sessionId, userId });
    const request = due.outputs[0]!;
    assert.equal(due.outputs[1], undefined);
    const body = request['payload'] as { model: string; messages: Array<{ role: string; content: string }>; response_format: { type: string; json_schema: { strict: boolean } } };
    assert.equal(body.model, 'gpt-test');
    assert.equal(body.response_format.type, 'json_schema');
    assert.equal(body.response_format.json_schema.strict, true);
    assert.deepEqual(JSON.parse(body.messages[1]!.content).messages.map((m: Msg) => m['content']), ['Hi, I live in Lisbon.', 'Nice!', 'I love jazz.', 'Noted.']);
    const extraction = request['extraction'] as { watermark: { to: string }; pending: number };
    assert.equal(extraction.pending, 4);

    // The http request node keeps msg.extraction and puts the response in msg.payload.
    const answer = { ...request, payload: completion({ operations: [{ op: 'ADD', text: 'The user lives in Lisbon', kind: 'fact', importance: 7 }, { op: 'ADD', text: 'The user loves jazz', kind: 'preference', importance: null }] }) };
    const applied = await flow.runOutputs('extract', answer);
    const result = applied.outputs[2]!;
    assert.equal((result['payload'] as Msg)['applied'], true);
    assert.equal(((result['payload'] as Msg)['added'] as Msg[]).length, 2);
    assert.equal(result['extraction'], undefined, 'an applied msg is no answer any more');
    assert.deepEqual((await memories()).sort(), ['The user lives in Lisbon', 'The user loves jazz']);

    // A retry of the same answer (a lost response, a Catch → retry) changes nothing.
    const retried = await flow.runOutputs('extract', answer);
    assert.deepEqual((retried.outputs[2]!['payload'] as Msg)['reason'], 'already-applied');
    assert.equal((await memories()).length, 2);
    // Those messages are covered: not due again.
    assert.deepEqual((await flow.runOutputs('extract', { sessionId, userId })).outputs, [undefined, undefined, undefined]);
  });

  it('extracts now with msg.operation "extract"; an UPDATE supersedes, answerable as of before', async () => {
    await store('I live in Lisbon.');
    const first = (await flow.runOutputs('extract', { sessionId, userId, operation: 'extract' })).outputs[0]!;
    await flow.runOutputs('extract', { ...first, payload: completion({ operations: [{ op: 'ADD', text: 'The user lives in Lisbon', kind: 'home', importance: 8 }] }) });
    const before = new Date().toISOString();
    await store('Actually I moved to Porto last week.');
    const second = (await flow.runOutputs('extract', { sessionId, userId, operation: 'extract' })).outputs[0]!;
    const shown = (second['extraction'] as { memories: Array<{ id: string; text: string }> }).memories;
    assert.deepEqual(shown.map((m) => m.text), ['The user lives in Lisbon']);
    const applied = await flow.runOutputs('extract', { ...second, payload: completion({ operations: [{ op: 'UPDATE', id: shown[0]!.id, text: 'The user lives in Porto' }] }) });
    assert.equal(((applied.outputs[2]!['payload'] as Msg)['updated'] as Msg[]).length, 1);
    assert.deepEqual(await memories(), ['The user lives in Porto']);
    assert.deepEqual(await memories(before), ['The user lives in Lisbon']);
  });

  it('with the flow\'s embeddings, sends the answer\'s texts out to be embedded and applies them with their vectors', async () => {
    const vector = (seed: number) => Array.from({ length: 8 }, (_, i) => Math.sin(seed + i));
    await store('My dog is called Rex.');
    const refused = await flow.runOutputs('extract-flow', { sessionId, userId });
    assert.match(refused.error ?? '', /msg\.embedder/);
    // A memory from before the flow chose its embedder: not comparable, still shown to the model.
    await sent(flow, 'memories', { userId, operation: 'remember', payload: 'The user has a cat called Tom' });
    const due = (await flow.runOutputs('extract-flow', { sessionId, userId, embedder: 'embed-test', embedding: vector(1) })).outputs[0]!;
    assert.equal((due['extraction'] as Msg)['embedder'], 'embed-test');
    assert.deepEqual(((due['extraction'] as Msg)['memories'] as Msg[]).map((m) => m['text']), ['The user has a cat called Tom']);
    const answered = await flow.runOutputs('extract-flow', { ...due, payload: completion({ operations: [{ op: 'ADD', text: 'The user has a dog called Rex', kind: null, importance: null }, { op: 'NONE' }] }) });
    assert.equal(answered.outputs[0], undefined);
    const toEmbed = answered.outputs[1]!;
    assert.deepEqual(toEmbed['payload'], { model: 'embed-test', input: ['The user has a dog called Rex'] });
    assert.deepEqual(await memories(), ['The user has a cat called Tom'], 'nothing is applied before the vectors come back');

    // A wrong number of vectors is refused, and nothing is applied.
    const twice = await flow.runOutputs('extract-flow', { ...toEmbed, payload: { object: 'list', data: [{ index: 0, embedding: vector(2) }, { index: 1, embedding: vector(3) }] } });
    assert.match(twice.error ?? '', /2 embeddings for the answer's 1 texts/);
    // Operations changed on the way back are checked like any answer.
    const tampered = await flow.runOutputs('extract-flow', { ...toEmbed, extraction: { ...(toEmbed['extraction'] as Msg), operations: 'drop everything' }, payload: [vector(2)] });
    assert.match(tampered.error ?? '', /^MemoryInputError/);
    const applied = await flow.runOutputs('extract-flow', { ...toEmbed, payload: { object: 'list', data: [{ object: 'embedding', index: 0, embedding: vector(2) }], model: 'embed-test' } });
    const added = ((applied.outputs[2]!['payload'] as Msg)['added'] as Msg[])[0]!;
    assert.deepEqual([added['embedder'], added['dimension']], ['embed-test', 8]);
    // Recalled with the flow's vectors, as the context node recalls them.
    const found = await sent(flow, 'memories', { userId, operation: 'recall', payload: 'dog', embedder: 'embed-test', embedding: vector(2) });
    assert.deepEqual((found['payload'] as Msg[]).map((m) => m['text']), ['The user has a dog called Rex']);
  });

  it('asks in the Messages API\'s form with "Request for" Anthropic, and applies the answer from the forced tool call', async () => {
    await store('I live in Lisbon.');
    const due = (await flow.runOutputs('extract-anthropic', { sessionId, userId })).outputs[0]!;
    const body = due['payload'] as { model: string; system: string; max_tokens: number; tools: Array<{ name: string }>; tool_choice: unknown; response_format?: unknown };
    assert.equal(body.model, 'claude-test');
    assert.deepEqual(body.tool_choice, { type: 'tool', name: 'memory_operations' });
    assert.deepEqual(body.tools.map((t) => t.name), ['memory_operations']);
    assert.equal(body.response_format, undefined);
    // The Messages API's response as the http request node hands it on.
    const reply = {
      id: 'msg_test', type: 'message', role: 'assistant', model: 'claude-test', stop_reason: 'tool_use',
      content: [{ type: 'tool_use', id: 'toolu_test', name: 'memory_operations', input: { operations: [{ op: 'ADD', text: 'The user lives in Lisbon', kind: 'home', importance: 7 }] } }],
      usage: { input_tokens: 500, output_tokens: 40 },
    };
    const applied = await flow.runOutputs('extract-anthropic', { ...due, payload: reply });
    assert.equal(((applied.outputs[2]!['payload'] as Msg)['added'] as Msg[]).length, 1);
    assert.deepEqual(await memories(), ['The user lives in Lisbon']);
  });

  it('refuses a malformed answer, a foreign id and another user, with nothing applied', async () => {
    await store('I live in Lisbon.');
    const due = (await flow.runOutputs('extract', { sessionId, userId, operation: 'extract' })).outputs[0]!;
    const before = await scanTable(flow.tableName);
    const cases: Array<[unknown, RegExp]> = [
      [completion({ operations: [{ op: 'ADD', text: 'x' }] }), /operations/],
      [{ choices: [{ message: { role: 'assistant', content: 'Sure! Here are the operations.' } }] }, /JSON|answer/],
      [completion({ operations: [{ op: 'DELETE', id: '01JAAAAAAAAAAAAAAAAAAAAAAA' }] }), /01JAAAAAAAAAAAAAAAAAAAAAAA/],
      [{ error: { message: 'Rate limit reached', type: 'requests' } }, /Rate limit reached/],
    ];
    for (const [payload, error] of cases) {
      const outcome = await flow.runOutputs('extract', { ...due, payload });
      assert.match(outcome.error ?? 'no error', error);
      assert.deepEqual(outcome.outputs, [undefined, undefined, undefined]);
      assert.equal(flow.lastStatus('extract')?.fill, 'red');
    }
    const stranger = await flow.runOutputs('extract', { ...due, userId: 'someone-else', payload: completion({ operations: [{ op: 'NONE' }] }) });
    assert.match(stranger.error ?? '', /another user/);
    const badOperation = await flow.runOutputs('extract', { sessionId, userId, operation: 'apply' });
    assert.match(badOperation.error ?? '', /operation/);
    assert.deepEqual(await scanTable(flow.tableName), before);
  });
});
