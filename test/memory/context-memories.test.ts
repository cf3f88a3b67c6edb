/**
 * {{memories}} in the context (issue 13): the user's long-term memories most relevant to the new
 * message, recalled in the user's scope beside the context's other reads, kept best first within
 * the memories share, and not read at all when the template does not use them. Against DynamoDB
 * Local, with every request the core sends logged.
 */
import assert from 'node:assert/strict';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { contextMemoryCount } from '../../lib/memory/context-builder';
import { countTokens } from '../../lib/memory/tokens';
import { parseContextRequest } from '../../lib/schemas/context-request';
import { parseRememberRequest } from '../../lib/schemas/memory-request';
import { parseStoreRequest } from '../../lib/schemas/store-request';
import { localConnection, memoryTable, uniqueName, type MemoryTable } from '../support/memory-table';

/** `kind: text` (no kind before a text without one); the first is the most important. */
const facts = [
  'fact: Ana is allergic to peanuts',
  'event: Ana takes the night train to Porto on Fridays',
  'fact: Ana plays the tenor saxophone in a quartet',
  'preference: Ana wants concert tickets near the stage',
  'preference: Ana drinks green tea in the evening',
  'Ana has a cat called Pimenta',
].map((line, i) => {
  const [, kind, text] = /^(?:(\w+): )?(.*)$/.exec(line)!;
  return { text: text!, ...(kind ? { kind } : {}), ...(i === 0 ? { importance: 9 } : {}) };
});

const template = 'You help Ana.\n\nWhat you remember:\n{{memories}}';

/** Every command the client sends, with its input, when it is sent and when its answer comes. */
type Logged = { event: 'sent' | 'answered'; command: string; input: Record<string, unknown> };

describe('context: {{memories}}', () => {
  let table: MemoryTable;
  let logged: Logged[];
  let memory: ChatMemory;
  let close: () => void;

  before(async () => {
    table = await memoryTable();
    // A client of its own that logs every request, on the same table.
    const connection = localConnection();
    logged = [];
    connection.client.middlewareStack.add(
      (next, context) => async (args) => {
        const entry = { command: String(context.commandName), input: args.input as Record<string, unknown> };
        logged.push({ event: 'sent', ...entry });
        const result = await next(args);
        logged.push({ event: 'answered', ...entry });
        return result;
      },
      { step: 'initialize', name: 'testRequestLog' },
    );
    memory = new ChatMemory({ documents: connection.documents, tableName: table.tableName });
    close = () => connection.client.destroy();
  });
  after(() => {
    close();
    table.close();
  });

  const remember = (userId: string, records: unknown[], embedder?: string) =>
    memory.memories.remember(parseRememberRequest({ scope: 'user', userId, records, ...(embedder ? { embedder } : {}) }));

  /** The logged requests that read or write a long-term memory item (MEM#, MEMVEC#, MEMLOG#, MEMVERSION, or MEMVE: vectors and version). */
  function touchedMemories(requests: Logged[]): string[] {
    return requests
      .filter(({ event, input }) => event === 'sent' && /"MEM(?:#|VEC#|LOG#|VERSION"|VE")/.test(JSON.stringify(input)))
      .map(({ command, input }) => `${command} ${JSON.stringify(input).slice(0, 160)}`);
  }

  it('fills {{memories}} with the memories most relevant to the new message, best first, one line each with its kind', async () => {
    const userId = uniqueName('u');
    const sessionId = uniqueName('s');
    await remember(userId, facts);
    const direct = await memory.memories.recall({ scope: 'user', userId, query: 'does Ana have a peanut allergy?', k: contextMemoryCount });
    await direct.accessRecorded;
    const result = await memory.context(parseContextRequest({ sessionId, userId, payload: 'does Ana have a peanut allergy?', tokenBudget: 2000, template }));
    await result.accessRecorded;
    const { context } = result;
    const lines = context.memories.text.split('\n');
    assert.equal(lines[0], '- (fact) Ana is allergic to peanuts');
    // The recall's order, its kinds, and no more than it returns.
    assert.deepEqual(lines, direct.memories.map((m) => `- ${m.kind ? `(${m.kind}) ` : ''}${m.text}`));
    assert.equal(context.memories.total, contextMemoryCount);
    assert.equal(context.memories.count, contextMemoryCount);
    assert.equal(context.system.text, `You help Ana.\n\nWhat you remember:\n${context.memories.text}`);
    assert.equal(context.memories.tokens, countTokens(context.memories.text));
    // A record without a kind has no "()" before its text.
    const cat = await memory.context(parseContextRequest({ sessionId, userId, payload: 'what is the name of her cat Pimenta?', tokenBudget: 2000, template }));
    await cat.accessRecorded;
    assert.equal(cat.context.memories.text.split('\n')[0], '- Ana has a cat called Pimenta');
  });

  it('keeps the memories that fit the share, best first, and counts the share only where {{memories}} is', async () => {
    const userId = uniqueName('u');
    const sessionId = uniqueName('s');
    await remember(userId, facts);
    const payload = 'does Ana have a peanut allergy?';
    const full = await memory.context(parseContextRequest({ sessionId, userId, payload, tokenBudget: 4000, template }));
    await full.accessRecorded;
    const all = full.context.memories.text.split('\n');
    assert.equal(all.length, contextMemoryCount);
    for (const budget of [60, 80, 100, 150, 200]) {
      const shares = { system: 10, preferences: 0, facts: 0, summary: 0, history: 40, memories: 50 };
      const { context, accessRecorded } = await memory.context(parseContextRequest({ sessionId, userId, payload, tokenBudget: budget, template, shares }));
      await accessRecorded;
      const cap = Math.floor(((budget - 3 - 4 - context.user.tokens) * shares.memories) / 100);
      assert.ok(context.memories.tokens <= cap, `budget ${budget}: ${context.memories.tokens} tokens over the share's ${cap}`);
      assert.equal(context.memories.total, contextMemoryCount);
      const kept = context.memories.count;
      // Best first: the kept lines are the recall's first ones, and the next one would not have fitted.
      assert.deepEqual(context.memories.text === '' ? [] : context.memories.text.split('\n'), all.slice(0, kept), `budget ${budget}`);
      if (kept < all.length) assert.ok(countTokens(all.slice(0, kept + 1).join('\n')) > cap, `budget ${budget}: line ${kept + 1} would have fitted`);
      assert.ok(context.totalTokens <= budget);
    }
    // Five shares at 100 with the memories share left at its default: fine without {{memories}},
    // over 100 with it.
    const five = { system: 15, preferences: 10, facts: 10, summary: 15, history: 50 };
    await memory.context(parseContextRequest({ sessionId, userId, payload, tokenBudget: 1000, shares: five }));
    await assert.rejects(memory.context(parseContextRequest({ sessionId, userId, payload, tokenBudget: 1000, shares: five, template })), /110%, more than 100%/);
  });

  it('reads no memory at all when the template has no {{memories}} or its share is 0', async () => {
    const userId = uniqueName('u');
    const sessionId = uniqueName('s');
    await remember(userId, facts);
    await memory.preferences.set({ userId, key: 'seat', value: 'window' });
    await memory.store(parseStoreRequest({ sessionId, userId, role: 'user', payload: 'hello' }));
    const payload = 'does Ana have a peanut allergy?';
    for (const request of [
      { sessionId, userId, payload, tokenBudget: 2000 },
      { sessionId, userId, payload, tokenBudget: 2000, template: 'Prefs: {{preferences}}\n{{summary}}' },
      { sessionId, userId, payload, tokenBudget: 2000, template, shares: { memories: 0 } },
    ]) {
      logged.length = 0;
      const { context, accessRecorded } = await memory.context(parseContextRequest(request));
      await accessRecorded;
      assert.ok(logged.length > 0, 'the log works');
      assert.deepEqual(touchedMemories(logged), [], `${JSON.stringify(request.template)}: memory items read`);
      assert.deepEqual(context.memories, { text: '', tokens: 0, count: 0, total: 0 });
    }
    // The log does see a recall when there is one: its version item (with the vectors, in a scope's
    // first recall: their sort keys both begin with MEMVE), its records and their access counts.
    logged.length = 0;
    const used = await memory.context(parseContextRequest({ sessionId, userId, payload, tokenBudget: 2000, template }));
    await used.accessRecorded;
    const seen = touchedMemories(logged);
    assert.ok(logged.some(({ input }) => JSON.stringify(input).includes('"MEMVE')), seen.join('\n'));
    assert.ok(seen.some((s) => s.startsWith('UpdateItem')), 'access counts written');
  });

  it('runs the recall beside the other reads, and counts each recalled memory\'s access', async () => {
    const userId = uniqueName('u');
    const sessionId = uniqueName('s');
    const written = await remember(userId, facts);
    logged.length = 0;
    const result = await memory.context(parseContextRequest({ sessionId, userId, payload: 'peanut allergy', tokenBudget: 2000, template: `{{preferences}}\n${template}\n{{summary}}` }));
    // The recall's reads went out before the context's other reads had answered: beside them, not after.
    const at = (event: Logged['event'], text: string) => logged.findIndex((l) => l.event === event && JSON.stringify(l.input).includes(text));
    const recallSent = at('sent', '"MEMVE');
    const summaryAnswered = at('answered', '"SUMMARY"');
    const preferencesAnswered = at('answered', '"PREF#"');
    assert.ok(recallSent >= 0 && summaryAnswered >= 0 && preferencesAnswered >= 0, logged.map((l) => `${l.event} ${l.command}`).join(', '));
    assert.ok(recallSent < summaryAnswered && recallSent < preferencesAnswered, logged.map((l) => `${l.event} ${l.command}`).join(', '));
    await result.accessRecorded;
    const recalledIds = new Set(written.filter((w) => result.context.memories.text.includes(w.text)).map((w) => w.id));
    assert.equal(recalledIds.size, contextMemoryCount);
    for (const record of written) {
      const stored = await memory.memories.get({ scope: 'user', userId, id: record.id });
      assert.equal(stored.accessCount, recalledIds.has(record.id) ? 1 : 0, record.text);
    }
  });

  it("never shows another user's memories", async () => {
    const ana = uniqueName('ana');
    const bob = uniqueName('bob');
    await remember(ana, [{ text: 'Ana is allergic to peanuts', kind: 'fact' }]);
    await remember(bob, [
      { text: 'Bob is allergic to peanuts and shellfish', kind: 'fact' },
      { text: 'Bob has a peanut allergy since childhood', kind: 'fact' },
    ]);
    // Bob's context first: a recall that kept the first user it saw would show Bob's to Ana next.
    const bobs = await memory.context(parseContextRequest({ sessionId: uniqueName('s'), userId: bob, payload: 'peanut allergy?', tokenBudget: 2000, template }));
    await bobs.accessRecorded;
    assert.equal(bobs.context.memories.count, 2);
    assert.doesNotMatch(bobs.context.memories.text, /Ana/);
    const { context, accessRecorded } = await memory.context(parseContextRequest({ sessionId: uniqueName('s'), userId: ana, payload: 'peanut allergy?', tokenBudget: 2000, template }));
    await accessRecorded;
    assert.equal(context.memories.text, '- (fact) Ana is allergic to peanuts');
    assert.doesNotMatch(context.memories.text, /Bob/);
    // No user: no memories at all (they are a user's).
    const anonymous = await memory.context(parseContextRequest({ sessionId: uniqueName('s'), payload: 'peanut allergy?', tokenBudget: 2000, template }));
    assert.equal(anonymous.context.memories.total, 0);
  });

  it('recalls with msg.embedding when given, and with the built-in embedder otherwise', async () => {
    const userId = uniqueName('u');
    // Vectors of a made-up 3-dimension embedder: the texts alone would rank them the other way.
    await remember(userId, [
      { text: 'Ana likes jazz concerts', kind: 'fact', embedding: [1, 0, 0] },
      { text: 'Ana is vegetarian', kind: 'fact', embedding: [0, 1, 0] },
    ], 'toy-3');
    const request = (extra: Record<string, unknown>) =>
      parseContextRequest({ sessionId: uniqueName('s'), userId, payload: 'any jazz concerts tonight?', tokenBudget: 2000, template, ...extra });
    const given = await memory.context(request({ embedding: [0.1, 0.9, 0], embedder: 'toy-3' }));
    await given.accessRecorded;
    assert.deepEqual(given.context.memories.text.split('\n'), ['- (fact) Ana is vegetarian', '- (fact) Ana likes jazz concerts']);
    const other = await memory.context(request({ embedding: [0.9, 0.1, 0], embedder: 'toy-3' }));
    await other.accessRecorded;
    assert.equal(other.context.memories.text.split('\n')[0], '- (fact) Ana likes jazz concerts');
    // Without msg.embedding the built-in embedder's vector is compared, which these records were not made with.
    await assert.rejects(memory.context(request({})), /embedder/);
    // An embedding is checked only when memories are recalled.
    await memory.context(parseContextRequest({ sessionId: uniqueName('s'), userId, payload: 'hi', tokenBudget: 2000, embedding: ['not a number'] }));
    await assert.rejects(memory.context(request({ embedding: ['not a number'], embedder: 'toy-3' })), /embedding/);
  });
});
