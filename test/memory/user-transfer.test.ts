/**
 * Export of everything about a user, and its import into another table, against DynamoDB Local:
 * a round trip gives the same items and the same export, a large user comes in parts within their
 * limits, a malformed part writes nothing, a second import writes nothing and keeps the counters
 * right, and expired items are not exported.
 */
import assert from 'node:assert/strict';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { withCapacityMeter } from '../../lib/memory/consumed-capacity';
import { MemoryInputError, SessionOwnershipError } from '../../lib/errors/input-errors';
import { parseExtractionApplyRequest, parseExtractionDueRequest } from '../../lib/schemas/extraction-request';
import { parseStoreRequest } from '../../lib/schemas/store-request';
import { exportFormat, maxPartRecords, parseExportPart, type ExportPart } from '../../lib/schemas/transfer-request';
import { memoryTable, scanMemoryItems, uniqueName, type MemoryTable } from '../support/memory-table';

type Item = Record<string, unknown>;

async function exportAll(memory: ChatMemory, request: Parameters<ChatMemory['exportUser']>[0]): Promise<ExportPart[]> {
  const parts: ExportPart[] = [];
  for await (const part of memory.exportUser(request)) parts.push(part);
  return parts;
}

/** An export without its time, which is the only thing two exports of the same data may differ in. */
const timeless = (parts: ExportPart[]) => parts.map(({ exportedAt: _, ...rest }) => rest);

const byKey = (a: Item, b: Item) => `${String(a['pk'])} ${String(a['sk'])}`.localeCompare(`${String(b['pk'])} ${String(b['sk'])}`);

/**
 * The items of a table that belong to the user: its sessions, its user partition and its graph.
 * Not the memory scopes' version items nor the working-memory counter: counts of writes, which an
 * import makes anew (the counter's count is checked on its own).
 */
async function itemsOfUser(tableName: string, userId: string, sessionIds: string[]): Promise<Item[]> {
  const pks = new Set([`USER#${userId}`, `GRAPH#USER#${userId}`, ...sessionIds.map((s) => `SESSION#${s}`)]);
  const derived = new Set(['memory-version', 'working-count']);
  return (await scanMemoryItems(tableName)).filter((item) => pks.has(String(item['pk'])) && !derived.has(String(item['kind']))).sort(byKey);
}

/** The records a part holds, counted as the export counts them (a session piece is one, and each record in it). */
function recordsIn(part: ExportPart): number {
  const lists = [part.preferences, part.preferenceChanges, part.entities, part.edges, part.memories, part.memoryChanges];
  const sessions = (part.sessions ?? []).map((s) =>
    1 + [s.messages, s.memories, s.memoryChanges, s.workingEntries, s.workingSteps].reduce((sum, list) => sum + (list?.length ?? 0), 0)
    + (s.summary ? 1 : 0) + (s.extractionWatermark ? 1 : 0));
  return (part.user ? 1 : 0) + [...lists].reduce((sum, list) => sum + (list?.length ?? 0), 0) + sessions.reduce((a, b) => a + b, 0);
}

/** The number the session's working-memory counter holds (what capacity is checked against). */
async function workingCount(tableName: string, sessionId: string): Promise<number | undefined> {
  const counter = (await scanMemoryItems(tableName)).find((item) => item['pk'] === `SESSION#${sessionId}` && item['sk'] === 'WMCOUNT');
  return counter === undefined ? undefined : Number(counter['count']);
}

describe('user export and import', () => {
  let source: MemoryTable;
  let clock: number;
  let memory: ChatMemory;
  before(async () => {
    source = await memoryTable();
    memory = new ChatMemory({ documents: source.connection.documents, tableName: source.tableName, now: () => clock });
  });
  after(() => source.close());
  beforeEach(() => (clock = Date.parse('2026-03-01T00:00:00.000Z')));

  /** Another, empty table with its own ChatMemory (and so its own counters). */
  async function targetTable(): Promise<{ table: MemoryTable; memory: ChatMemory }> {
    const table = await memoryTable();
    return { table, memory: new ChatMemory({ documents: table.connection.documents, tableName: table.tableName, now: () => clock }) };
  }

  /** A user with a bit of everything: three sessions (ids, metadata, tool calls, a summary, TTLs), preferences with history, a graph. */
  async function richUser(): Promise<{ userId: string; sessionIds: string[] }> {
    const userId = uniqueName('ana');
    const sessionIds = [`${userId}-a`, `${userId}-b`, `${userId}-c`];
    const tick = () => (clock += 1000);
    await memory.store(parseStoreRequest({ sessionId: sessionIds[0], userId, role: 'user', payload: 'my name is Ana', messageId: 'turn-1', ttlDays: 30 }));
    tick();
    await memory.store(parseStoreRequest({
      sessionId: sessionIds[0], userId, role: 'assistant', ttlDays: 30,
      payload: [
        { content: null, tool_calls: [{ id: 'call-1', type: 'function', function: { name: 'lookup', arguments: '{"q":"jazz"}' } }] },
        { role: 'tool', content: '{"venue":"Blue Note"}', tool_call_id: 'call-1', name: 'lookup' },
        { content: [{ type: 'text', text: 'Nice to meet you, Ana!' }], metadata: { model: 'm', latencyMs: 12.5 } },
      ],
    }));
    tick();
    for (let i = 0; i < 6; i++) {
      tick();
      await memory.store(parseStoreRequest({ sessionId: sessionIds[1], userId, role: i % 2 ? 'assistant' : 'user', payload: `b${i}`, ...(i === 2 ? { messageId: 'b-two' } : {}) }));
    }
    const covered = await memory.history({ sessionId: sessionIds[1], userId, limit: 3 });
    const all = await source.itemsWithPk(`SESSION#${sessionIds[1]}`);
    const coveredSk = all.find((item) => item['messageId'] === covered[0]!.messageId)!['sk'] as string;
    await memory.storeSummary({ sessionId: sessionIds[1], userId, summary: 'Ana said hello three times.', covers: coveredSk.slice(4) });
    tick();
    await memory.store(parseStoreRequest({ sessionId: sessionIds[2], userId, role: 'system', payload: 'be brief' }));
    await memory.preferences.set({ userId, key: 'name', value: 'Ana' });
    tick();
    await memory.preferences.merge({ userId, values: { genres: ['jazz', 'blues'], seat: { row: 3, aisle: true } } });
    tick();
    await memory.preferences.set({ userId, key: 'genres', value: ['jazz'] });
    await memory.preferences.delete({ userId, key: 'seat' });
    await memory.graph.upsertEntity({ userId }, { id: 'ana', type: 'person', aliases: ['Ana'], properties: { city: 'Lisbon' } });
    await memory.graph.upsertEntity({ userId }, { id: 'blue-note', type: 'venue' });
    await memory.graph.upsertEntity({ userId }, { id: 'jazz', type: 'genre' });
    await memory.graph.link({ userId }, { source: 'ana', relation: 'likes', target: 'blue-note', properties: { since: 2020 } });
    await memory.graph.link({ userId }, { source: 'ana', relation: 'likes', target: 'jazz' });
    tick();
    await memory.graph.unlink({ userId }, { source: 'ana', relation: 'likes', target: 'jazz' }, 'close');
    const remembered = await memory.memories.remember({
      scope: 'user', userId,
      records: [
        { text: 'Ana is allergic to peanuts', kind: 'fact', importance: 9, metadata: { source: 'chat' }, sourceMessageIds: ['turn-1'] },
        { text: 'Ana lives in Lisbon', validFrom: '2020-01-01T00:00:00.000Z', ttlDays: 400 },
        { text: 'an external vector', embedding: [0.25, -1, 3.5] },
      ],
    });
    tick();
    await memory.memories.update({ scope: 'user', userId, id: remembered[1]!.id, text: 'Ana lives in Porto' });
    await memory.memories.forget({ scope: 'user', userId, id: remembered[2]!.id });
    await (await memory.memories.recall({ scope: 'user', userId, query: 'peanuts' })).accessRecorded;
    await sessionScopeData(memory, userId, sessionIds[0]!);
    return { userId, sessionIds };
  }

  /**
   * What a session's partition holds besides messages: its own memory records (one updated, one
   * extracted), working entries (one read since) and reasoning steps, and an extraction watermark
   * that covers all its messages.
   */
  async function sessionScopeData(m: ChatMemory, userId: string, sessionId: string): Promise<void> {
    const scope = { scope: 'session' as const, sessionId, userId };
    const [seat] = await m.memories.remember({ ...scope, records: [{ text: 'Ana wants a window seat tonight', importance: 6 }, { text: 'Ana is in a hurry', kind: 'mood' }] });
    clock += 1000;
    await m.memories.update({ ...scope, id: seat!.id, text: 'Ana wants an aisle seat tonight' });
    const due = await m.extraction.due(parseExtractionDueRequest({ ...scope, every: 1 }));
    assert.equal(due.due, true);
    const applied = await m.extraction.apply(parseExtractionApplyRequest({
      ...scope, watermark: due.watermark, answer: { operations: [{ op: 'ADD', text: 'Ana is called Ana', kind: 'fact', importance: 5 }] },
    }));
    assert.equal(applied.applied, true);
    for (const [i, text] of ['check the seat map', 'Blue Note opens at 8', 'ask about parking'].entries()) {
      clock += 1000;
      await m.working.add({ ...scope, text, importance: 4 + i, capacity: 10, metadata: { step: i } });
    }
    const [, newest] = await m.working.list({ ...scope });
    await m.working.get({ ...scope, id: newest!.id });
    await m.working.addStep({ ...scope, text: 'the user asked for seats' });
    clock += 1000;
    await m.working.addStep({ ...scope, text: 'looked up the seat map', metadata: { tool: 'seats' } });
  }

  /** Everything a session's partition holds besides messages, as the pack reads it. */
  async function sessionScopeReads(m: ChatMemory, userId: string, sessionId: string) {
    const scope = { scope: 'session' as const, sessionId, userId };
    return {
      memories: await m.memories.list(scope),
      history: await m.memories.history(scope),
      recalled: (await m.memories.recall({ ...scope, query: 'which seat does Ana want' })).memories.map((r) => [r.id, r.score]),
      working: await m.working.list(scope),
      steps: await m.working.steps(scope),
      due: await m.extraction.due(parseExtractionDueRequest({ ...scope, every: 1, force: true })),
    };
  }

  it('round trip: exported from one table and imported into another, the user reads and exports the same', async () => {
    const { userId, sessionIds } = await richUser();
    // Someone else's data in the source stays out of the export.
    await memory.store(parseStoreRequest({ sessionId: uniqueName('other'), userId: uniqueName('ben'), role: 'user', payload: 'not Ana' }));
    const parts = await exportAll(memory, { userId, partRecords: 5 });
    assert.ok(parts.length >= 5, `${parts.length} parts`);
    for (const part of parts) assert.deepEqual(parseExportPart(JSON.parse(JSON.stringify(part))), part, 'each part is JSON and valid');
    for (const part of parts) assert.ok(recordsIn(part) <= 5, `part ${part.part}: ${recordsIn(part)} records`);
    const firstSession = parts.flatMap((p) => p.sessions ?? []).filter((piece) => piece.sessionId === sessionIds[0]);
    assert.ok(firstSession.length > 1, "the session's records continue in the next parts");
    assert.deepEqual(firstSession.map((piece) => piece.workingEntries?.length ?? 0).reduce((a, b) => a + b), 3);
    // By bytes too, with the session's memory vectors and working memory in its pieces.
    const small = await exportAll(memory, { userId, partBytes: 4096, partRecords: maxPartRecords });
    for (const part of small) assert.ok(Buffer.byteLength(JSON.stringify(part)) <= 4096, `part ${part.part}: ${Buffer.byteLength(JSON.stringify(part))} bytes`);
    assert.deepEqual(small.flatMap((p) => p.sessions ?? []).flatMap((piece) => piece.memories ?? []), parts.flatMap((p) => p.sessions ?? []).flatMap((piece) => piece.memories ?? []));
    assert.equal(JSON.stringify(parts).includes('not Ana'), false);

    const target = await targetTable();
    try {
      for (const part of parts) await target.memory.importUser({ part: JSON.parse(JSON.stringify(part)) });
      // The same items, key for key and attribute for attribute (counts, tokens, index keys, guards, TTLs).
      assert.deepEqual(await itemsOfUser(target.table.tableName, userId, sessionIds), await itemsOfUser(source.tableName, userId, sessionIds));
      assert.deepEqual(timeless(await exportAll(target.memory, { userId, partRecords: 5 })), timeless(parts));
      assert.deepEqual(timeless(await exportAll(target.memory, { userId })), timeless(await exportAll(memory, { userId })));
      for (const sessionId of sessionIds) {
        assert.deepEqual(await target.memory.history({ sessionId, userId, limit: 100 }), await memory.history({ sessionId, userId, limit: 100 }));
        assert.deepEqual(await target.memory.summary(sessionId), await memory.summary(sessionId));
      }
      assert.deepEqual(await target.memory.listSessions({ userId }), await memory.listSessions({ userId }));
      assert.deepEqual(await target.memory.preferences.history({ userId, limit: 100 }), await memory.preferences.history({ userId, limit: 100 }));
      assert.deepEqual(await target.memory.memories.list({ scope: 'user', userId }), await memory.memories.list({ scope: 'user', userId }));
      assert.deepEqual(await target.memory.memories.history({ scope: 'user', userId }), await memory.memories.history({ scope: 'user', userId }));
      const recalled = async (m: ChatMemory) => (await m.memories.recall({ scope: 'user', userId, query: 'where does Ana live' })).memories.map((r) => [r.id, r.score]);
      assert.deepEqual(await recalled(target.memory), await recalled(memory));
      const neighbours = { id: 'ana', at: clock - 1500 };
      assert.deepEqual(await target.memory.graph.neighbours({ userId }, neighbours), await memory.graph.neighbours({ userId }, neighbours));
      assert.deepEqual(await target.memory.graph.relations({ userId }, { relation: 'likes' }), await memory.graph.relations({ userId }, { relation: 'likes' }));
      // The session's own memory recalls the same; working memory, its chain and the watermark read the same.
      const sessionScope = await sessionScopeReads(target.memory, userId, sessionIds[0]!);
      assert.deepEqual(sessionScope, await sessionScopeReads(memory, userId, sessionIds[0]!));
      assert.equal(sessionScope.memories.items.length, 3);
      assert.deepEqual(sessionScope.steps.map((step) => step.text), ['the user asked for seats', 'looked up the seat map']);
      // Kept, so an extraction in the target does not take the session's messages again.
      assert.equal(sessionScope.due.due, false);
      assert.equal(sessionScope.due.pending, 0);
      assert.match(String(sessionScope.due.watermark.from), /^[0-9A-Z]{26}$/);
      assert.equal(await workingCount(target.table.tableName, sessionIds[0]!), 3);
      assert.deepEqual(await target.memory.tableStats(), { sessions: 3, messages: 11, users: 1 });
      // A messageId keeps its guard: storing it again in the target is a duplicate.
      const again = await target.memory.store(parseStoreRequest({ sessionId: sessionIds[0]!, userId, role: 'user', payload: 'again', messageId: 'turn-1' }));
      assert.equal(again[0]!.duplicate, true);
    } finally {
      target.table.close();
    }
  });

  it('imports as another user id, and refuses a session another user owns in the target, writing nothing', async () => {
    const { userId } = await richUser();
    const [part] = await exportAll(memory, { userId });
    const target = await targetTable();
    try {
      const renamed = uniqueName('ana-new');
      const result = await target.memory.importUser({ part, userId: renamed });
      assert.equal(result.userId, renamed);
      assert.equal((await target.memory.listSessions({ userId: renamed })).sessions.length, 3);
      assert.equal(JSON.stringify(await scanMemoryItems(target.table.tableName)).includes(`"${userId}"`), false, 'no item names the old id');

      const other = await targetTable();
      try {
        // The part's last session belongs to Ben in this table: the whole part is refused.
        const taken = part!.sessions!.at(-1)!.sessionId;
        await other.memory.store(parseStoreRequest({ sessionId: taken, userId: 'ben', role: 'user', payload: "Ben's" }));
        const before = await scanMemoryItems(other.table.tableName);
        await assert.rejects(other.memory.importUser({ part }), (error: unknown) => error instanceof SessionOwnershipError && error.sessionId === taken);
        assert.deepEqual(await scanMemoryItems(other.table.tableName), before);
      } finally {
        other.table.close();
      }
    } finally {
      target.table.close();
    }
  });

  it('refuses a malformed part with an error that names the field, and writes nothing of it', async () => {
    const { userId } = await richUser();
    const [part] = await exportAll(memory, { userId });
    const target = await targetTable();
    try {
      const broken = (change: (p: ExportPart) => void): ExportPart => {
        const copy = JSON.parse(JSON.stringify(part)) as ExportPart;
        change(copy);
        return copy;
      };
      const last = part!.sessions!.length - 1;
      const lastMessage = part!.sessions![last]!.messages.length - 1;
      const cases: Array<[ExportPart | unknown, RegExp]> = [
        // Wrong in the last record of the last section: nothing before it may be written either.
        [broken((p) => ((p.edges!.at(-1) as Item)['validFrom'] = 'yesterday')), /^part\.edges\.1\.validFrom: must be an ISO 8601 date-time string$/],
        [broken((p) => ((p.sessions![last]!.messages[lastMessage] as Item)['role'] = 'robot')), new RegExp(`^part\\.sessions\\.${last}\\.messages\\.${lastMessage}\\.role: must be one of`)],
        [broken((p) => ((p as Item)['format'] = 'langchain')), /^part\.format: must be one of "flowmemory\.user-export"$/],
        [broken((p) => ((p as Item)['version'] = 2)), /^part\.version: must be one of 1$/],
        [broken((p) => ((p.preferences![0] as Item)['extra'] = 1)), /^part\.preferences\.0: unknown property "extra"$/],
        [broken((p) => ((p.sessions![0]!.workingEntries![0] as Item)['importance'] = 11)), /^part\.sessions\.0\.workingEntries\.0\.importance: must be a whole number from 1 to 10$/],
        [broken((p) => ((p.sessions![0]!.extractionWatermark as Item)['covers'] = 'turn-1')), /^part\.sessions\.0\.extractionWatermark\.covers: /],
        // Valid by the schema, but a session memory's vector is not its dimension's length.
        [broken((p) => (p.sessions![0]!.memories![0]!.vector = 'AAAA')), /^memories\.[0-9A-Z]{26}\.vector: must be the record's float32 vector/],
        // Valid by the schema, but a key DynamoDB would refuse (MSGID# and 256 four-byte characters are 1,030 bytes).
        [broken((p) => (p.sessions![last]!.messages[lastMessage]!.messageId = '😀'.repeat(256))), /the key "sk" would be 1030 bytes/],
      ];
      for (const [bad, message] of cases) {
        await assert.rejects(target.memory.importUser({ part: bad }), (error: unknown) => {
          assert.ok(error instanceof MemoryInputError, String(error));
          assert.match(error.message, message);
          return true;
        });
      }
      assert.deepEqual(await scanMemoryItems(target.table.tableName), [], 'nothing was written');
      assert.deepEqual(await target.memory.tableStats(), { sessions: 0, messages: 0, users: 0 });
    } finally {
      target.table.close();
    }
  });

  it('a second import of the same parts (in any order) writes nothing and keeps the counters right', async () => {
    const { userId, sessionIds } = await richUser();
    const parts = await exportAll(memory, { userId, partRecords: 4 });
    const target = await targetTable();
    try {
      // The target has one of the messages already, stored there with its messageId.
      await target.memory.store(parseStoreRequest({ sessionId: sessionIds[1]!, userId, role: 'user', payload: 'b2 stored before', messageId: 'b-two' }));
      const first = [];
      for (const part of parts) first.push(await target.memory.importUser({ part }));
      const written = first.reduce((sum, r) => sum + Object.values(r.written).reduce((a, b) => a + b, 0), 0);
      assert.ok(written > 20, `${written} items written`);
      assert.equal(first.reduce((sum, r) => sum + r.unchanged, 0), 2, 'the user marker and the message whose messageId were there');
      const items = await itemsOfUser(target.table.tableName, userId, sessionIds);
      const stats = await target.memory.tableStats();
      assert.deepEqual(stats, { sessions: 3, messages: 11, users: 1 });

      const second = [];
      for (const part of [...parts].reverse()) second.push(await target.memory.importUser({ part }));
      assert.deepEqual(second.map((r) => r.written), parts.map(() => ({})));
      assert.ok(second.every((r) => r.unchanged > 0));
      assert.deepEqual(await itemsOfUser(target.table.tableName, userId, sessionIds), items);
      assert.deepEqual(await target.memory.tableStats(), stats);
      const session = items.find((item) => item['pk'] === `SESSION#${sessionIds[1]}` && item['sk'] === 'SESSION')!;
      assert.equal(session['messageCount'], items.filter((item) => item['pk'] === `SESSION#${sessionIds[1]}` && String(item['sk']).startsWith('MSG#')).length);
    } finally {
      target.table.close();
    }
  });

  it("merges a session's data into the target's: the working-memory counter counts every entry, a newer watermark stays", async () => {
    const { userId, sessionIds } = await richUser();
    const sessionId = sessionIds[0]!;
    const scope = { scope: 'session' as const, sessionId, userId };
    const parts = await exportAll(memory, { userId, partRecords: 3 });
    const target = await targetTable();
    try {
      // The target has the session already: a later message, extracted there, and a working entry of its own.
      clock += 60_000;
      await target.memory.store(parseStoreRequest({ sessionId, userId, role: 'user', payload: 'I am back', ttlDays: 30 }));
      const due = await target.memory.extraction.due(parseExtractionDueRequest({ ...scope, every: 1 }));
      assert.equal(due.due, true);
      await target.memory.extraction.apply(parseExtractionApplyRequest({ ...scope, watermark: due.watermark, answer: { operations: [{ op: 'NONE' }] } }));
      await target.memory.working.add({ ...scope, text: 'an entry of the target', capacity: 10 });
      // A recall caches the target's session memory (one record of its own) at the scope's version.
      await target.memory.memories.remember({ ...scope, records: [{ text: 'Ana came back after a minute' }] });
      const recalled = async () => (await target.memory.memories.recall({ ...scope, query: 'which seat does Ana want', k: 10 })).memories.map((r) => r.text);
      assert.deepEqual(await recalled(), ['Ana came back after a minute']);

      const results = [];
      for (const part of parts) results.push(await target.memory.importUser({ part }));
      assert.ok(results.every((r) => r.written['extraction-watermark'] === undefined), 'the older watermark is not written');
      assert.deepEqual(await target.memory.extraction.due(parseExtractionDueRequest({ ...scope, every: 1, force: true })), {
        due: false, pending: 0, watermark: { from: due.watermark.to },
      });
      // The import moved the scope's version: the cache reads the imported records too.
      assert.deepEqual((await recalled()).sort(), ['Ana came back after a minute', 'Ana is called Ana', 'Ana is in a hurry', 'Ana wants an aisle seat tonight']);
      assert.equal(results.reduce((sum, r) => sum + (r.written['working-entry'] ?? 0), 0), 3);
      assert.equal((await target.memory.working.list(scope)).length, 4);
      assert.equal(await workingCount(target.table.tableName, sessionId), 4);
      // Capacity holds on the counter: a scope of 4 at capacity 4 makes room for a fifth entry.
      const added = await target.memory.working.add({ ...scope, text: 'one more', capacity: 4, importance: 9 });
      assert.equal(added.stored, true);
      assert.equal(added.evicted.length, 1);
      assert.equal((await target.memory.working.list(scope)).length, 4);
      assert.equal(await workingCount(target.table.tableName, sessionId), 4);
    } finally {
      target.table.close();
    }
  });

  it('exports a large user in parts within the stated limits, and the parts import to the whole', async function () {
    this.timeout(600_000);
    const userId = uniqueName('big');
    const sessions = 3;
    const perSession = 1000;
    for (let s = 0; s < sessions; s++) {
      for (let from = 0; from < perSession; from += 500) {
        clock += 1000;
        const payload = Array.from({ length: 500 }, (_, i) => ({ role: (i % 2 ? 'assistant' : 'user') as 'user', content: `message ${from + i} of session ${s}: ${'x'.repeat(150)}` }));
        await memory.store(parseStoreRequest({ sessionId: `${userId}-${s}`, userId, role: 'user', payload }));
      }
    }
    const exported = withCapacityMeter(() => exportAll(memory, { userId, partRecords: 500 }));
    const started = process.hrtime.bigint();
    const parts = await exported.result;
    const exportMs = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(parts.length, 7, 'three sessions and 3,000 messages at 500 records a part: 3,004 records');
    assert.deepEqual(parts.map((p) => [p.part, p.last]), parts.map((_, i) => [i, i === parts.length - 1]));
    for (const part of parts) {
      const records = (part.sessions ?? []).reduce((sum, s) => sum + 1 + s.messages.length + (s.summary ? 1 : 0), part.user ? 1 : 0);
      assert.ok(records <= 500, `part ${part.part}: ${records} records`);
    }
    // By bytes: no part over 64 KiB of JSON.
    const small = await exportAll(memory, { userId, partBytes: 64 * 1024, partRecords: maxPartRecords });
    for (const part of small) assert.ok(Buffer.byteLength(JSON.stringify(part)) <= 64 * 1024, `part ${part.part}: ${Buffer.byteLength(JSON.stringify(part))} bytes`);
    assert.ok(small.length > 10, `${small.length} parts`);
    assert.deepEqual(small.flatMap((p) => p.sessions ?? []).flatMap((s) => s.messages), parts.flatMap((p) => p.sessions ?? []).flatMap((s) => s.messages));

    const target = await targetTable();
    try {
      const imported = withCapacityMeter(async () => {
        for (const part of parts) await target.memory.importUser({ part });
      });
      const importStarted = process.hrtime.bigint();
      await imported.result;
      const importMs = Number(process.hrtime.bigint() - importStarted) / 1e6;
      assert.deepEqual(await target.memory.tableStats(), { sessions: 3, messages: 3000, users: 1 });
      const history = await target.memory.history({ sessionId: `${userId}-1`, userId, limit: 1000 });
      assert.deepEqual(history.map((m) => m.content), Array.from({ length: 1000 }, (_, i) => `message ${i} of session 1: ${'x'.repeat(150)}`));
      const [e, i] = [exported.capacity(), imported.capacity()];
      console.log(`      export of 3,000 messages: ${exportMs.toFixed(0)} ms, ${e.readUnits} RRU, ${e.calls.length} calls; `
        + `import: ${importMs.toFixed(0)} ms, ${i.writeUnits} WRU, ${i.readUnits} RRU, ${i.calls.length} calls`);
    } finally {
      target.table.close();
    }
  });

  it('leaves expired items out of the export', async () => {
    const userId = uniqueName('ttl');
    const start = clock;
    await memory.store(parseStoreRequest({ sessionId: `${userId}-gone`, userId, role: 'user', payload: 'short-lived', ttlDays: 1 }));
    await memory.store(parseStoreRequest({ sessionId: `${userId}-mixed`, userId, role: 'user', payload: 'short-lived too', ttlDays: 1 }));
    clock += 1000;
    await memory.store(parseStoreRequest({ sessionId: `${userId}-mixed`, userId, role: 'user', payload: 'kept', ttlDays: 10 }));
    const scope = { scope: 'session' as const, sessionId: `${userId}-mixed`, userId };
    await memory.working.add({ ...scope, text: 'for a minute', capacity: 5, ttlSeconds: 60 });
    await memory.working.add({ ...scope, text: 'for the session', capacity: 5 });
    await memory.working.addStep({ ...scope, text: 'a step for a minute', ttlSeconds: 60 });
    const contents = (parts: ExportPart[]) => parts.flatMap((p) => p.sessions ?? []).map((s) => [s.sessionId, s.messages.map((m) => m.content)]);
    assert.deepEqual(contents(await exportAll(memory, { userId })), [[`${userId}-gone`, ['short-lived']], [`${userId}-mixed`, ['short-lived too', 'kept']]]);
    clock = start + 2 * 86400_000;
    const parts = await exportAll(memory, { userId });
    assert.equal(parts[0]!.format, exportFormat);
    assert.deepEqual(contents(parts), [[`${userId}-mixed`, ['kept']]]);
    assert.deepEqual(parts[0]!.sessions![0]!.workingEntries?.map((entry) => entry.text), ['for the session']);
    assert.equal(parts[0]!.sessions![0]!.workingSteps, undefined);
  });
});
