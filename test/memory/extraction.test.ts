/** The extraction loop's core against a real DynamoDB Local: due, the request, apply, supersession, idempotency, erasure. */
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import { MemoryInputError } from '../../lib/errors/input-errors';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { extractionOperations, type AnthropicExtractionBody, type ExtractionDue, type OpenAIExtractionBody } from '../../lib/memory/extraction';
import { parseExtractionApplyRequest, parseExtractionDueRequest } from '../../lib/schemas/extraction-request';
import { parseMemoryHistoryRequest, parseRecallRequest, parseRememberRequest, parseUpdateMemoryRequest } from '../../lib/schemas/memory-request';
import { parseStoreRequest } from '../../lib/schemas/store-request';
import { memoryTable, scanMemoryItems, uniqueName, type MemoryTable } from '../support/memory-table';

type Due = Extract<ExtractionDue, { due: true }>;

/** An answer as an OpenAI chat-completions response carries it. */
const completion = (operations: unknown[]) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: JSON.stringify({ operations }) }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
});

describe('extraction loop core', () => {
  let table: MemoryTable;
  before(async () => (table = await memoryTable()));
  after(() => table.close());

  const extraction = () => table.memory.extraction;
  const store = (sessionId: string, userId: string, payload: string, role = 'user') =>
    table.memory.store(parseStoreRequest({ sessionId, userId, role, payload }));
  const due = (request: Record<string, unknown>) => extraction().due(parseExtractionDueRequest(request));
  const apply = (request: Record<string, unknown>) => extraction().apply(parseExtractionApplyRequest(request));
  const remember = (userId: string, records: unknown[]) => table.memory.memories.remember(parseRememberRequest({ scope: 'user', userId, records }));
  const recall = (userId: string, query: string, extra: Record<string, unknown> = {}) =>
    table.memory.memories.recall(parseRecallRequest({ scope: 'user', userId, query, ...extra }));
  const mentions = async (...ids: string[]) => (await scanMemoryItems(table.tableName)).filter((item) => ids.some((id) => JSON.stringify(item).includes(id)));
  const rejects = (promise: Promise<unknown>, text: string) =>
    assert.rejects(promise, (error: unknown) => error instanceof MemoryInputError && error.text === text);

  /** A user with two memories and a session whose three new messages change them. */
  async function scenario() {
    const userId = uniqueName('u');
    const sessionId = uniqueName('s');
    const [lisbon, jazz] = await remember(userId, [
      { text: 'The user lives in Lisbon', kind: 'fact', importance: 7 },
      { text: 'The user likes jazz concerts', kind: 'preference' },
    ]);
    await store(sessionId, userId, 'I moved from Lisbon to Porto last month');
    await store(sessionId, userId, 'Nice! How is Porto?', 'assistant');
    await store(sessionId, userId, 'Great. And I do not like jazz concerts any more. I got a dog, Bolt');
    const pending = (await due({ sessionId, userId, every: 3 })) as Due;
    assert.equal(pending.due, true);
    return { userId, sessionId, lisbon: lisbon!, jazz: jazz!, pending };
  }

  it('is due after `every` new messages and not before; its request carries the messages, memories and schema', async () => {
    const userId = uniqueName('u');
    const sessionId = uniqueName('s');
    await remember(userId, [{ text: 'The user lives in Lisbon', kind: 'fact' }]);
    await store(sessionId, userId, 'Hello, I live in Lisbon');
    await store(sessionId, userId, 'Hi! Nice city.', 'assistant');
    const early = await due({ sessionId, userId, every: 3 });
    assert.deepEqual(early, { due: false, pending: 2, watermark: {} });
    const [third] = await store(sessionId, userId, 'I moved to Porto');
    const ready = (await due({ sessionId, userId, every: 3 })) as Due;
    assert.equal(ready.due, true);
    assert.equal(ready.pending, 3);
    assert.deepEqual(ready.messages.map((m) => m.content), ['Hello, I live in Lisbon', 'Hi! Nice city.', 'I moved to Porto']);
    assert.deepEqual(ready.watermark, { to: ready.messages[2]!.ulid });
    assert.equal(ready.messages[2]!.messageId, third!.messageId);
    assert.equal(ready.memories.length, 1);
    assert.equal(ready.memories[0]!.text, 'The user lives in Lisbon');
    assert.equal(ready.memories[0]!.kind, 'fact');
    const body = ready.request as OpenAIExtractionBody;
    assert.equal(body.messages[0]!.role, 'system');
    assert.match(body.messages[0]!.content, /ADD[\s\S]*UPDATE[\s\S]*DELETE[\s\S]*NONE/);
    const given = JSON.parse(body.messages[1]!.content) as { memories: unknown[]; messages: Array<{ content: string }> };
    assert.deepEqual(given.memories, [{ id: ready.memories[0]!.id, kind: 'fact', text: 'The user lives in Lisbon' }]);
    assert.equal(given.messages[2]!.content, 'I moved to Porto');
    assert.equal(body.response_format.type, 'json_schema');
    assert.equal(body.response_format.json_schema.strict, true);
    assert.ok(!JSON.stringify(body).includes('errorText'), "the model's schema carries none of the pack's keywords");
  });

  it('asks in Anthropic\'s form when told: the prompt as system, the schema as a tool the model must call', async () => {
    const { sessionId, userId, pending } = await scenario();
    const due = await table.memory.extraction.due(parseExtractionDueRequest({ sessionId, userId, every: 1, format: 'anthropic' }));
    assert.ok(due.due);
    const body = due.request as AnthropicExtractionBody;
    assert.match(body.system, /ADD[\s\S]*UPDATE[\s\S]*DELETE[\s\S]*NONE/);
    assert.deepEqual(body.messages.map((m) => m.role), ['user']);
    assert.equal(JSON.parse(body.messages[0]!.content).messages.length, due.messages.length);
    assert.deepEqual(body.tool_choice, { type: 'tool', name: 'memory_operations' });
    assert.deepEqual(body.tools.map((t) => t.name), ['memory_operations']);
    assert.deepEqual(body.tools[0]!.input_schema, (pending.request as OpenAIExtractionBody).response_format.json_schema.schema, 'the same schema as OpenAI gets');
    assert.ok(body.max_tokens >= 1024);
  });

  it('is due on demand with one new message, and not with none', async () => {
    const userId = uniqueName('u');
    const sessionId = uniqueName('s');
    const nothing = await due({ sessionId, userId, every: 5, force: true });
    assert.equal(nothing.due, false);
    await store(sessionId, userId, 'I have a cat');
    assert.equal((await due({ sessionId, userId, every: 5 })).due, false);
    const forced = (await due({ sessionId, userId, every: 5, force: true })) as Due;
    assert.equal(forced.due, true);
    assert.equal(forced.messages.length, 1);
    const applied = await apply({ sessionId, userId, watermark: forced.watermark, answer: { operations: [{ op: 'NONE' }] } });
    assert.equal(applied.applied, true);
    const after = await due({ sessionId, userId, every: 5, force: true });
    assert.deepEqual(after, { due: false, pending: 0, watermark: { from: forced.watermark.to } });
  });

  it("the request's JSON schema is the one apply validates with: a good answer passes both, a bad one neither", async () => {
    const { pending } = await scenario();
    // Strict JSON Schema as the model's endpoint reads it, without the pack's ajv keywords.
    const modelAjv = new Ajv({ strict: true, allowUnionTypes: true });
    const validate = modelAjv.compile((pending.request as OpenAIExtractionBody).response_format.json_schema.schema as object);
    const id = pending.memories[0]!.id;
    const good = {
      operations: [
        { op: 'ADD', text: 'The user has a dog called Bolt', kind: 'fact', importance: 6 },
        { op: 'ADD', text: 'The user moved recently', kind: null, importance: null },
        { op: 'UPDATE', id, text: 'The user lives in Porto' },
        { op: 'NONE' },
      ],
    };
    assert.equal(validate(good), true);
    assert.equal(extractionOperations(good).length, 4);
    const bad = [
      { operations: [{ op: 'ADD', text: 'no kind or importance' }] },
      { operations: [{ op: 'UPDATE', id: 'not-an-id', text: 'x' }] },
      { operations: [{ op: 'MERGE', id }] },
      { operations: [{ op: 'NONE', note: 'extra' }] },
      { ops: [] },
    ];
    for (const answer of bad) {
      assert.equal(validate(answer), false, JSON.stringify(answer));
      assert.throws(() => extractionOperations(answer), MemoryInputError, JSON.stringify(answer));
    }
    // Every form the answer may come in.
    const operations = [{ op: 'NONE' }];
    const text = JSON.stringify({ operations });
    // Anthropic's forced tool call: the answer is the call's input, whatever text comes beside it.
    const toolUse = { type: 'message', role: 'assistant', model: 'claude', content: [{ type: 'text', text: 'Here you are.' }, { type: 'tool_use', id: 'toolu_1', name: 'memory_operations', input: { operations } }] };
    for (const form of [completion(operations), completion(operations).choices[0]!.message, text, '```json\n' + text + '\n```', { operations }, toolUse]) {
      assert.deepEqual(extractionOperations(form), operations);
    }
    assert.throws(() => extractionOperations('{"operations": ['), (e: unknown) => e instanceof MemoryInputError && e.text === 'input.extraction-answer');
  });

  it('applies ADD, UPDATE, DELETE and NONE in one transaction: supersession keeps the old text answerable as of before', async () => {
    const { userId, sessionId, lisbon, jazz, pending } = await scenario();
    const before = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const versionBefore = (await table.itemsWithPk(`USER#${userId}`)).find((i) => i['sk'] === 'MEMVERSION')!['version'] as number;
    const result = await apply({
      sessionId,
      userId,
      watermark: pending.watermark,
      answer: completion([
        { op: 'UPDATE', id: lisbon.id, text: 'The user lives in Porto' },
        { op: 'DELETE', id: jazz.id },
        { op: 'ADD', text: 'The user has a dog called Bolt', kind: 'fact', importance: 6 },
        { op: 'NONE' },
      ]),
    });
    assert.ok(result.applied);
    assert.equal(result.unchanged, 1);
    assert.equal(result.added.length, 1);
    const sourceIds = pending.messages.map((m) => m.messageId);
    assert.deepEqual(result.added[0]!.sourceMessageIds, sourceIds);
    const [{ superseded, record: porto }] = result.updated as [(typeof result.updated)[number]];
    assert.equal(superseded.id, lisbon.id);
    assert.ok(superseded.validTo);
    assert.equal(superseded.version, 2);
    assert.equal(porto.text, 'The user lives in Porto');
    assert.equal(porto.kind, 'fact');
    assert.equal(porto.importance, 7);
    assert.equal(porto.metadata['supersedes'], lisbon.id);
    assert.equal(porto.validFrom, superseded.validTo);
    assert.deepEqual(porto.sourceMessageIds, sourceIds);
    assert.equal(result.deleted[0]!.id, jazz.id);
    assert.ok(result.deleted[0]!.validTo);

    // Audit: one entry per change, and the scope's version once.
    const { items: changes } = await table.memory.memories.history(parseMemoryHistoryRequest({ scope: 'user', userId }));
    const newest = changes.slice(0, 4).map((c) => `${c.action} ${c.id}`).sort();
    assert.deepEqual(newest, [`ADD ${porto.id}`, `ADD ${result.added[0]!.id}`, `DELETE ${jazz.id}`, `UPDATE ${lisbon.id}`].sort());
    const update = changes.find((c) => c.action === 'UPDATE')!;
    assert.equal(update.oldText, 'The user lives in Lisbon');
    assert.equal(update.newText, 'The user lives in Porto');
    const items = await table.itemsWithPk(`USER#${userId}`);
    assert.equal(items.find((i) => i['sk'] === 'MEMVERSION')!['version'], versionBefore + 1);
    assert.equal((await table.itemsWithPk(`SESSION#${sessionId}`)).find((i) => i['sk'] === 'EXTRACTED')!['covers'], pending.watermark.to);

    // Now: Porto, no jazz. As of before: Lisbon and jazz.
    const now = await recall(userId, 'where does the user live? Lisbon or Porto', { k: 5 });
    assert.deepEqual(now.memories.map((m) => m.text).filter((t) => /Lisbon|Porto|jazz/.test(t)), ['The user lives in Porto']);
    const then = await recall(userId, 'where does the user live? Lisbon or Porto jazz', { k: 5, validAt: before });
    const thenTexts = then.memories.map((m) => m.text);
    assert.ok(thenTexts.includes('The user lives in Lisbon') && thenTexts.includes('The user likes jazz concerts'), thenTexts.join(' | '));
    assert.ok(!thenTexts.includes('The user lives in Porto'));

    // A superseded record is no longer one an answer may name.
    const next = await store(sessionId, userId, 'Sorry, forget what I said about jazz');
    const later = (await due({ sessionId, userId, every: 1 })) as Due;
    assert.equal(later.watermark.from, pending.watermark.to);
    assert.equal(later.messages[0]!.messageId, next[0]!.messageId);
    const scan = await scanMemoryItems(table.tableName);
    await rejects(apply({ sessionId, userId, watermark: later.watermark, answer: { operations: [{ op: 'DELETE', id: jazz.id }] } }), 'input.extraction-foreign-id');
    assert.deepEqual(await scanMemoryItems(table.tableName), scan);
  });

  it('applies the same answer once when it is sent again (a retry after a lost response)', async () => {
    const { userId, sessionId, lisbon, pending } = await scenario();
    const request = { sessionId, userId, watermark: pending.watermark, answer: completion([{ op: 'UPDATE', id: lisbon.id, text: 'The user lives in Porto' }, { op: 'ADD', text: 'The user has a dog', kind: null, importance: null }]) };
    const first = await apply(request);
    assert.equal(first.applied, true);
    const scan = await scanMemoryItems(table.tableName);
    const again = await apply(request);
    assert.deepEqual(again, { applied: false, reason: 'already-applied', watermark: { covers: pending.watermark.to } });
    assert.deepEqual(await scanMemoryItems(table.tableName), scan);
  });

  it('an UPDATE of a record another writer changed after apply read it ends the record as it is then, not over it', async () => {
    const { userId, sessionId, lisbon, pending } = await scenario();
    // Between apply's read and its transaction, the flow raises the record's importance.
    let interleaved = false;
    const documents = table.connection.documents;
    const proxied = new Proxy(documents, {
      get: (target, name, receiver) =>
        name === 'send'
          ? async (command: { constructor: { name: string } }) => {
              if (command.constructor.name === 'TransactWriteCommand' && !interleaved) {
                interleaved = true;
                await table.memory.memories.update(parseUpdateMemoryRequest({ scope: 'user', userId, id: lisbon.id, importance: 9 }));
              }
              return target.send(command as never);
            }
          : Reflect.get(target, name, receiver),
    });
    const other = new ChatMemory({ documents: proxied, tableName: table.tableName });
    const result = await other.extraction.apply(
      parseExtractionApplyRequest({ sessionId, userId, watermark: pending.watermark, answer: completion([{ op: 'UPDATE', id: lisbon.id, text: 'The user lives in Porto' }]) }),
    );
    assert.ok(interleaved && result.applied);
    const [{ superseded, record }] = result.updated as [(typeof result.updated)[number]];
    assert.deepEqual([superseded.version, superseded.importance, record.importance], [3, 9, 9], 'read again and applied on version 2');
    const { items } = await table.memory.memories.history(parseMemoryHistoryRequest({ scope: 'user', userId, id: lisbon.id }));
    assert.deepEqual(items.map((c) => [c.action, c.version]), [['UPDATE', 3], ['UPDATE', 2], ['ADD', 1]]);
  });

  it('applies two concurrent extractions of one watermark once', async () => {
    const { userId, sessionId, lisbon, pending } = await scenario();
    const answers = ['The user lives in Porto', 'The user lives in Porto, Portugal'].map((text) =>
      apply({ sessionId, userId, watermark: pending.watermark, answer: completion([{ op: 'UPDATE', id: lisbon.id, text }, { op: 'ADD', text: `${text} with a dog`, kind: null, importance: null }]) }),
    );
    const results = await Promise.all(answers);
    assert.equal(results.filter((r) => r.applied).length, 1, JSON.stringify(results));
    const refused = results.find((r) => !r.applied)!;
    assert.equal(refused.applied, false);
    assert.ok(!refused.applied && refused.reason === 'already-applied');
    const items = await table.itemsWithPk(`USER#${userId}`);
    assert.equal(items.filter((i) => i['kind'] === 'memory').length, 4, 'two remembered, one UPDATE and one ADD');
    assert.equal(items.filter((i) => i['kind'] === 'memory-change').length, 5, 'two ADDs, then UPDATE, ADD, ADD');

    // ADDs alone name no record: only the watermark's condition keeps five at once to one.
    const [next] = await store(sessionId, userId, 'I also started learning Portuguese');
    const ready = (await due({ sessionId, userId, every: 1 })) as Due;
    assert.equal(ready.messages[0]!.messageId, next!.messageId);
    const five = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        apply({ sessionId, userId, watermark: ready.watermark, answer: { operations: [{ op: 'ADD', text: `The user is learning Portuguese (${i})`, kind: null, importance: null }] } }),
      ),
    );
    assert.equal(five.filter((r) => r.applied).length, 1, JSON.stringify(five));
    const after = await table.itemsWithPk(`USER#${userId}`);
    assert.equal(after.filter((i) => i['kind'] === 'memory' && String(i['text']).includes('Portuguese')).length, 1);
  });

  it('another extraction that moved the watermark is reported, not applied', async () => {
    const { userId, sessionId, pending } = await scenario();
    const [extra] = await store(sessionId, userId, 'One more thing');
    const all = await table.memory.history({ sessionId, limit: 10 });
    assert.equal(all.length, 4);
    const longer = (await due({ sessionId, userId, every: 1 })) as Due;
    assert.equal(longer.messages.at(-1)!.messageId, extra!.messageId);
    assert.equal((await apply({ sessionId, userId, watermark: longer.watermark, answer: { operations: [] } })).applied, true);
    const scan = await scanMemoryItems(table.tableName);
    const stale = await apply({ sessionId, userId, watermark: pending.watermark, answer: { operations: [{ op: 'ADD', text: 'x', kind: null, importance: null }] } });
    assert.deepEqual(stale, { applied: false, reason: 'watermark-moved', watermark: { covers: longer.watermark.to } });
    assert.deepEqual(await scanMemoryItems(table.tableName), scan);
  });

  it('a malformed answer, or one naming another user\'s record, changes nothing', async () => {
    const { userId, sessionId, lisbon, pending } = await scenario();
    const [foreign] = await remember(uniqueName('other'), [{ text: 'Another user lives in Madrid' }]);
    const scan = await scanMemoryItems(table.tableName);
    const attempts: Array<[unknown, string]> = [
      ['not json at all', 'input.extraction-answer'],
      [{ operations: [{ op: 'ADD', text: 'x', kind: null, importance: null }, { op: 'UPDATE', id: lisbon.id }] }, 'input.extraction-operation'],
      [{ operations: [{ op: 'ADD', text: 'x', kind: null, importance: 11 }] }, 'input.whole-number'],
      [completion([{ op: 'ADD', text: 'The user has a dog', kind: null, importance: null }, { op: 'DELETE', id: foreign!.id }]), 'input.extraction-foreign-id'],
      [{ operations: [{ op: 'UPDATE', id: '01ARZ3NDEKTSV4RRFFQ69G5FAV', text: 'made up' }] }, 'input.extraction-foreign-id'],
      [{ operations: [{ op: 'UPDATE', id: lisbon.id, text: 'Porto' }, { op: 'DELETE', id: lisbon.id }] }, 'input.extraction-same-id'],
      [{ operations: [{ op: 'ADD', text: '   ', kind: null, importance: null }] }, 'input.memory-text'],
      [{ choices: [{ message: { role: 'assistant', content: null, refusal: null } }] }, 'input.extraction-answer'],
      [{ error: { message: 'rate limited' } }, 'input.reply-error'],
    ];
    for (const [answer, text] of attempts) {
      await assert.rejects(
        apply({ sessionId, userId, watermark: pending.watermark, answer }),
        (error: unknown) => error instanceof MemoryInputError && (error.text === text || assert.fail(`${JSON.stringify(answer)}: ${error.text} ${error.message}`)),
      );
    }
    // A watermark whose `to` is no message of the session.
    await rejects(apply({ sessionId, userId, watermark: { to: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }, answer: { operations: [] } }), 'input.extraction-watermark');
    assert.deepEqual(await scanMemoryItems(table.tableName), scan);
  });

  it('refuses an answer whose transaction would pass 4 MB, and applies nothing', async () => {
    const userId = uniqueName('u');
    const sessionId = uniqueName('s');
    const records = await remember(userId, Array.from({ length: 16 }, (_, i) => ({ text: `Fact number ${i} about the user` })));
    await store(sessionId, userId, 'Everything changed');
    const ready = (await due({ sessionId, userId, every: 1, similar: 0 })) as Due;
    assert.deepEqual(ready.memories, []);
    // 16 UPDATEs of 32,768 three-byte characters: each new text is in the new record, the UPDATE entry and the ADD entry.
    const long = '€'.repeat(32768);
    const scan = await scanMemoryItems(table.tableName);
    await rejects(
      apply({ sessionId, userId, watermark: ready.watermark, answer: { operations: records.map((r) => ({ op: 'UPDATE', id: r.id, text: long })) } }),
      'input.extraction-too-large',
    );
    assert.deepEqual(await scanMemoryItems(table.tableName), scan);
    // Sixteen UPDATEs of short texts are 100 items: one transaction takes them.
    const result = await apply({ sessionId, userId, watermark: ready.watermark, answer: { operations: records.map((r) => ({ op: 'UPDATE', id: r.id, text: `${r.text}, updated` })) } });
    assert.ok(result.applied);
    assert.equal(result.updated.length, 16);
  });

  it('extracts into the session scope when asked', async () => {
    const userId = uniqueName('u');
    const sessionId = uniqueName('s');
    await store(sessionId, userId, 'For this trip I want an aisle seat');
    const ready = (await due({ sessionId, userId, every: 1, scope: 'session' })) as Due;
    const result = await apply({ sessionId, userId, scope: 'session', watermark: ready.watermark, answer: { operations: [{ op: 'ADD', text: 'The user wants an aisle seat on this trip', kind: 'preference', importance: 4 }] } });
    assert.ok(result.applied);
    assert.equal(result.added[0]!.scope, 'session');
    const items = await table.itemsWithPk(`SESSION#${sessionId}`);
    assert.equal(items.filter((i) => i['kind'] === 'memory').length, 1);
    assert.equal((await table.itemsWithPk(`USER#${userId}`)).filter((i) => i['kind'] === 'memory').length, 0);
  });

  it('forget-user erases the watermark and everything extraction wrote', async () => {
    const { userId, sessionId, lisbon, jazz, pending } = await scenario();
    await apply({
      sessionId,
      userId,
      watermark: pending.watermark,
      answer: completion([{ op: 'UPDATE', id: lisbon.id, text: 'The user lives in Porto' }, { op: 'DELETE', id: jazz.id }, { op: 'ADD', text: 'The user has a dog', kind: 'fact', importance: 5 }]),
    });
    assert.ok((await mentions(userId, sessionId)).some((i) => i['kind'] === 'extraction-watermark'));
    const result = await table.memory.forgetUser({ userId });
    assert.equal(result.deleted['extraction-watermark'], 1);
    assert.deepEqual(await mentions(userId, sessionId), []);
  });
});
