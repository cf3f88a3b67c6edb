/**
 * The context node in a real Node-RED runtime on DynamoDB Local: each output format checked against
 * an ajv schema of the provider's request shape, the summary output at its threshold, the summary
 * loop through the store node, and statistics.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { countTokens } from '../../lib/memory/tokens';
import type { MemoryConfigNode } from '../../lib/node-red/memory-config';
import { parseRememberRequest } from '../../lib/schemas/memory-request';
import { parseAddWorkingRequest } from '../../lib/schemas/working-request';
import { localConnection, uniqueName } from '../support/memory-table';
import { loadMemoryFlow, sent, startNodeRed, stopNodeRed, unloadFlow, type MemoryFlow, type Msg } from '../support/node-flow';

/** OpenAI chat completions: the `messages` of a request. */
const openAIRequest = {
  type: 'object',
  required: ['messages'],
  additionalProperties: false,
  properties: {
    messages: {
      type: 'array',
      minItems: 1,
      items: {
        oneOf: [
          {
            type: 'object', required: ['role', 'content'], additionalProperties: false,
            properties: { role: { enum: ['system', 'developer'] }, content: { type: 'string' }, name: { type: 'string' } },
          },
          {
            type: 'object', required: ['role', 'content'], additionalProperties: false,
            properties: {
              role: { const: 'user' },
              name: { type: 'string' },
              content: {
                anyOf: [
                  { type: 'string' },
                  { type: 'array', items: { type: 'object', required: ['type'], properties: { type: { enum: ['text', 'image_url', 'input_audio', 'file'] } } } },
                ],
              },
            },
          },
          {
            type: 'object', required: ['role'], additionalProperties: false,
            properties: {
              role: { const: 'assistant' },
              name: { type: 'string' },
              content: { type: ['string', 'null', 'array'] },
              tool_calls: {
                type: 'array',
                items: {
                  type: 'object', required: ['id', 'type', 'function'],
                  properties: {
                    id: { type: 'string' }, type: { const: 'function' },
                    function: { type: 'object', required: ['name', 'arguments'], properties: { name: { type: 'string' }, arguments: { type: 'string' } } },
                  },
                },
              },
            },
          },
          {
            type: 'object', required: ['role', 'content', 'tool_call_id'], additionalProperties: false,
            properties: { role: { const: 'tool' }, content: { type: ['string', 'array'] }, tool_call_id: { type: 'string' } },
          },
        ],
      },
    },
  },
};

/** Anthropic Messages: `system` apart, user/assistant turns of content blocks. */
const anthropicRequest = {
  type: 'object',
  required: ['system', 'messages'],
  additionalProperties: false,
  properties: {
    system: { type: 'string' },
    messages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object', required: ['role', 'content'], additionalProperties: false,
        properties: {
          role: { enum: ['user', 'assistant'] },
          content: {
            anyOf: [
              { type: 'string' },
              {
                type: 'array', minItems: 1,
                items: {
                  oneOf: [
                    { type: 'object', required: ['type', 'text'], additionalProperties: false, properties: { type: { const: 'text' }, text: { type: 'string', minLength: 1 } } },
                    {
                      type: 'object', required: ['type', 'id', 'name', 'input'], additionalProperties: false,
                      properties: { type: { const: 'tool_use' }, id: { type: 'string' }, name: { type: 'string' }, input: { type: 'object' } },
                    },
                    {
                      type: 'object', required: ['type', 'tool_use_id', 'content'], additionalProperties: false,
                      properties: { type: { const: 'tool_result' }, tool_use_id: { type: 'string' }, content: { type: 'string' } },
                    },
                  ],
                },
              },
            ],
          },
        },
      },
    },
  },
};

const ajv = new Ajv({ strict: false, allErrors: true });
const validOpenAI = ajv.compile(openAIRequest);
const validAnthropic = ajv.compile(anthropicRequest);

const nodes = [
  { id: 'store', type: 'dynamodb-memory-store' as const },
  { id: 'clear', type: 'dynamodb-memory-clear' as const },
  { id: 'openai', type: 'dynamodb-memory-context' as const, summaryThreshold: '4' },
  { id: 'anthropic', type: 'dynamodb-memory-context' as const, format: 'anthropic' },
  { id: 'text', type: 'dynamodb-memory-context' as const, format: 'text', encoding: 'cl100k_base' },
  { id: 'stats', type: 'dynamodb-memory-context' as const, mode: 'stats' },
  { id: 'memories', type: 'dynamodb-memory-context' as const, template: 'What you remember:\n{{memories}}' },
  // No shares at all, as a flow deployed through the admin API may be: history takes the rest.
  { id: 'both', type: 'dynamodb-memory-context' as const, template: 'You remember:\n{{memories}}\n\nScratchpad:\n{{working}}' },
  { id: 'both-history-40', type: 'dynamodb-memory-context' as const, template: '{{memories}}\n{{working}}', shareHistory: '40' },
  // As a flow saved before the memories share existed has it: five shares at 100, no shareMemories.
  { id: 'saved-before', type: 'dynamodb-memory-context' as const, shareSystem: '15', sharePreferences: '10', shareFacts: '10', shareSummary: '15', shareHistory: '50' },
];


const toolCall = { id: 'call_1', type: 'function', function: { name: 'venues', arguments: '{"city":"Lisbon"}' } };

describe('context node', () => {
  let flow: MemoryFlow;
  before(startNodeRed);
  after(stopNodeRed);
  beforeEach(async () => (flow = await loadMemoryFlow(nodes)));
  afterEach(unloadFlow);

  async function conversation(sessionId: string, userId: string): Promise<void> {
    await sent(flow, 'store', {
      sessionId, userId, payload: [
        { role: 'user', content: 'Any jazz in Lisbon?' },
        { role: 'assistant', content: null, tool_calls: [toolCall] },
        { role: 'tool', tool_call_id: 'call_1', content: '[{"name":"Hot Clube"}]' },
        { role: 'assistant', content: 'Hot Clube has a show tonight.' },
      ],
    });
    await sent(flow, 'store', { sessionId, userId, payload: 'Book it for two' });
  }

  it('sends an OpenAI chat-completions request, the new message last and not twice', async () => {
    const sessionId = uniqueName('s');
    const userId = uniqueName('u');
    await conversation(sessionId, userId);
    const { sent: out, second } = await flow.runBoth('openai', { sessionId, userId, payload: 'Book it for two' });
    assert.ok(out, 'output 1');
    assert.ok(validOpenAI(out['payload']), JSON.stringify(validOpenAI.errors));
    const messages = (out['payload'] as { messages: Msg[] }).messages;
    assert.equal(messages[0]!['role'], 'system');
    assert.deepEqual(messages.slice(1).map((m) => m['role']), ['user', 'assistant', 'tool', 'assistant', 'user']);
    assert.deepEqual(messages[messages.length - 1], { role: 'user', content: 'Book it for two' });
    const context = out['context'] as { totalTokens: number; tokenBudget: number; history: { count: number } };
    assert.ok(context.totalTokens <= context.tokenBudget);
    assert.equal(context.history.count, 4);
    // Five stored messages, threshold 4: the summary output fired.
    assert.ok(second, 'output 2');
    assert.equal(flow.lastStatus('openai')?.fill, 'green');
  });

  it('sends an Anthropic Messages request with the system prompt apart', async () => {
    const sessionId = uniqueName('s');
    const userId = uniqueName('u');
    await conversation(sessionId, userId);
    const out = await sent(flow, 'anthropic', { sessionId, userId, payload: [{ type: 'text', text: 'And dinner?' }] });
    assert.ok(validAnthropic(out['payload']), JSON.stringify(validAnthropic.errors));
    const { system, messages } = out['payload'] as { system: string; messages: Array<{ role: string; content: Msg[] }> };
    assert.equal(typeof system, 'string');
    assert.deepEqual(messages.map((m) => m.role), ['user', 'assistant', 'user', 'assistant', 'user']);
    assert.deepEqual(messages[1]!.content[0], { type: 'tool_use', id: 'call_1', name: 'venues', input: { city: 'Lisbon' } });
    assert.equal(messages[2]!.content[0]!['type'], 'tool_result');
    assert.deepEqual(messages[4]!.content.at(-1), { type: 'text', text: 'And dinner?' });
  });

  it('sends one plain-text prompt within the budget', async () => {
    const sessionId = uniqueName('s');
    await sent(flow, 'store', { sessionId, payload: 'I like Coltrane' });
    const out = await sent(flow, 'text', { sessionId, payload: 'Who else?', tokenBudget: 200 });
    const prompt = out['payload'] as string;
    assert.equal(typeof prompt, 'string');
    assert.match(prompt, /user: I like Coltrane\nuser: Who else\?$/);
    assert.ok(countTokens(prompt, 'cl100k_base') <= 200);
    assert.equal((out['context'] as Msg)['encoding'], 'cl100k_base');
  });

  it('sends the summary output at the threshold, not before, and the stored summary takes their place', async () => {
    const sessionId = uniqueName('s');
    for (const [i, text] of ['one', 'two', 'three'].entries()) {
      await sent(flow, 'store', { sessionId, role: i % 2 ? 'assistant' : 'user', payload: text });
      const { second } = await flow.runBoth('openai', { sessionId, payload: 'next' });
      assert.equal(second, undefined, `no summary output at ${i + 1} messages`);
    }
    await sent(flow, 'store', { sessionId, payload: 'four' });
    const { sent: out, second } = await flow.runBoth('openai', { sessionId, payload: 'next' });
    assert.ok(out && second, 'both outputs at 4 messages');
    assert.equal(second['role'], 'summary');
    const due = second['payload'] as { summary: null; messages: Msg[]; transcript: string; uncovered: number };
    assert.deepEqual(due.messages.map((m) => m['content']), ['one', 'two', 'three', 'four']);
    assert.equal(due.summary, null);
    assert.equal(due.uncovered, 4);
    assert.equal(flow.lastStatus('openai')?.fill, 'green');
    // A model would write this; the msg then goes into a store node as it is.
    const stored = await sent(flow, 'store', { ...second, payload: 'They counted from one to four.' });
    assert.equal((stored['memory'] as Msg)['stored'], true);
    await sent(flow, 'store', { sessionId, payload: 'five' });
    const after = await flow.runBoth('openai', { sessionId, payload: 'six' });
    assert.equal(after.second, undefined);
    const messages = (after.sent!['payload'] as { messages: Msg[] }).messages;
    assert.match(String(messages[0]!['content']), /They counted from one to four\./);
    assert.deepEqual(messages.slice(1), [{ role: 'user', content: 'five' }, { role: 'user', content: 'six' }]);
    // A summary without covers is refused, and is never a message.
    assert.match((await flow.run('store', { sessionId, role: 'summary', payload: 'x' })).error ?? '', /covers is required/);
  });

  it('reports session and table statistics', async () => {
    const sessionId = uniqueName('s');
    const userId = uniqueName('u');
    await conversation(sessionId, userId);
    await sent(flow, 'store', { sessionId: uniqueName('other'), payload: 'hello' });
    const out = await sent(flow, 'stats', { sessionId, userId });
    const { session, table } = out['payload'] as { session: Msg; table: Msg };
    assert.equal(session['messageCount'], 5);
    const tokens = ['Any jazz in Lisbon?', '[{"name":"Hot Clube"}]', 'Hot Clube has a show tonight.', 'Book it for two'].reduce((n, t) => n + countTokens(t), 0);
    assert.equal(session['tokens'], tokens);
    assert.deepEqual(table, { sessions: 2, messages: 6, users: 1 });
    const viaOperation = await sent(flow, 'openai', { operation: 'stats' });
    assert.deepEqual(viaOperation['payload'], { table: { sessions: 2, messages: 6, users: 1 } });
    await sent(flow, 'clear', { sessionId, userId });
    assert.deepEqual((await sent(flow, 'stats', {}))['payload'], { table: { sessions: 1, messages: 1, users: 1 } });
  });

  it('fills {{memories}} from msg.embedding, with the default shares, and finishes once the access counts are written', async () => {
    const userId = uniqueName('u');
    const connection = localConnection();
    try {
      const memory = new ChatMemory({ documents: connection.documents, tableName: flow.tableName });
      const [jazz, vegetarian] = await memory.memories.remember(parseRememberRequest({
        scope: 'user', userId, embedder: 'toy-3', records: [
          { text: 'Ana likes jazz concerts', kind: 'fact', embedding: [1, 0, 0] },
          { text: 'Ana is vegetarian', kind: 'preference', embedding: [0, 1, 0] },
        ],
      }));
      // The node's access counts take 300 ms more here: the msg goes on before they are written,
      // and done() (then Complete) waits for them.
      const nodeMemory = await (flow.node('config') as unknown as MemoryConfigNode).memory();
      const recall = nodeMemory.memories.recall.bind(nodeMemory.memories);
      let written = false;
      let writtenWhenSent: boolean | undefined;
      nodeMemory.memories.recall = async (request) => {
        const result = await recall(request);
        const accessRecorded = result.accessRecorded.then(() => new Promise<void>((resolve) => setTimeout(resolve, 300))).then(() => {
          written = true;
        });
        return { ...result, accessRecorded };
      };
      const onSent = () => (writtenWhenSent ??= written);
      flow.node('memories-out').on('input', onSent);
      const { sent: out } = await flow.runBoth('memories', { sessionId: uniqueName('s'), userId, payload: 'Dinner ideas?', embedding: [0.2, 0.9, 0], embedder: 'toy-3' });
      flow.node('memories-out').removeListener('input', onSent);
      assert.equal(writtenWhenSent, false, 'the msg waited for the access counts');
      assert.equal(written, true, 'done() came before the access counts were written');
      const system = (out!['payload'] as { messages: Msg[] }).messages[0]!;
      assert.equal(system['content'], 'What you remember:\n- (preference) Ana is vegetarian\n- (fact) Ana likes jazz concerts');
      for (const record of [jazz!, vegetarian!]) assert.equal((await memory.memories.get({ scope: 'user', userId, id: record.id })).accessCount, 1);
      // No msg.embedding: the built-in embedder's vector, which these records were not made with.
      assert.match((await flow.run('memories', { sessionId: uniqueName('s'), userId, payload: 'Dinner ideas?' })).error ?? '', /embedder/);
    } finally {
      connection.client.destroy();
    }
  });

  it('a node saved before the memories share existed builds its context as before, and reads no memory', async () => {
    const userId = uniqueName('u');
    const connection = localConnection();
    try {
      const memory = new ChatMemory({ documents: connection.documents, tableName: flow.tableName });
      await memory.memories.remember(parseRememberRequest({ scope: 'user', userId, records: [{ text: 'Ana is vegetarian' }] }));
      const out = await sent(flow, 'saved-before', { sessionId: uniqueName('s'), userId, payload: 'Is Ana vegetarian?' });
      assert.deepEqual((out['context'] as { memories: unknown }).memories, { text: '', tokens: 0, count: 0, total: 0 });
      const calls = (out['consumedCapacity'] as { calls: Array<{ operation: string }> }).calls;
      assert.ok(!calls.some((c) => c.operation === 'BatchGetItem' || c.operation === 'UpdateItem'), JSON.stringify(calls));
    } finally {
      connection.client.destroy();
    }
  });

  it('builds with both {{memories}} and {{working}} and no shares set, the history taking the rest; a history share of its own over the rest is refused', async () => {
    const sessionId = uniqueName('s');
    const userId = uniqueName('u');
    await sent(flow, 'store', { sessionId, userId, payload: 'plan my trip to Porto' });
    const connection = localConnection();
    try {
      const memory = new ChatMemory({ documents: connection.documents, tableName: flow.tableName });
      await memory.working.add(parseAddWorkingRequest({ scope: 'session', sessionId, userId, text: 'the user cannot travel before Friday', capacity: 5 }));
    } finally {
      connection.client.destroy();
    }
    const out = await sent(flow, 'both', { sessionId, userId, payload: 'trains to Porto?' });
    const context = out['context'] as { shares: Record<string, number>; working: { text: string } };
    assert.deepEqual(context.shares, { system: 15, preferences: 10, facts: 10, summary: 15, memories: 10, working: 10, history: 30 });
    assert.equal(context.working.text, '- the user cannot travel before Friday');
    assert.match((await flow.run('both-history-40', { sessionId, userId, payload: 'trains to Porto?' })).error ?? '', /110%, more than 100%/);
  });

  it('reports wrong input to Catch', async () => {
    assert.match((await flow.run('openai', { payload: 'hi' })).error ?? '', /sessionId is required/);
    assert.match((await flow.run('openai', { sessionId: 's', payload: 'hi', tokenBudget: 5 })).error ?? '', /tokenBudget/);
    assert.equal(flow.lastStatus('openai')?.fill, 'red');
  });
});

describe('example: llm-chatbot', () => {
  it('wires http-in → store → embeddings → context → model → store reply → response, and output 2 → summarise → store summary, no glue between model and store', () => {
    const file = join(__dirname, '..', '..', '..', 'examples', 'llm-chatbot.json');
    const flow = JSON.parse(readFileSync(file, 'utf8')) as Msg[];
    const byId = new Map(flow.map((n) => [n['id'] as string, n]));
    const next = (node: Msg, output = 0) => ((node['wires'] as string[][])[output] ?? []).map((id) => byId.get(id)!);
    const path: string[] = [];
    let node: Msg | undefined = flow.find((n) => n['type'] === 'http in');
    while (node) {
      path.push(`${node['type']}${node['name'] ? `:${node['name']}` : ''}`);
      node = node['wires'] ? next(node)[0] : undefined;
    }
    assert.deepEqual(path, [
      'http in:POST /chat', 'change:unpack', 'dynamodb-memory-store:store user message',
      'change:embedding request', 'http request:embeddings', 'change:use embedding', 'dynamodb-memory-context:context',
      'change:endpoint and key', 'http request:chat completions', 'dynamodb-memory-store:store reply',
      'change:answer', 'http response',
    ]);
    const context = flow.find((n) => n['type'] === 'dynamodb-memory-context')!;
    const loop: string[] = [];
    for (let n: Msg | undefined = next(context, 1)[0]; n; n = next(n)[0]) loop.push(`${n['type']}:${n['name']}`);
    assert.deepEqual(loop, ['function:summarise', 'http request:chat completions', 'dynamodb-memory-store:store summary']);
    assert.equal(flow.filter((n) => n['type'] === 'dynamodb-memory-config').length, 1);
    assert.equal(flow.filter((n) => n['type'] === 'comment').length, 1);
    assert.doesNotMatch(JSON.stringify(flow), /sk-[A-Za-z0-9]{8,}|"credentials"/);
    for (const variable of ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_MODEL', 'OPENAI_EMBEDDING_MODEL']) assert.match(JSON.stringify(flow), new RegExp(variable));
  });
});
