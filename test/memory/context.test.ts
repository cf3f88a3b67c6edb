/**
 * The context builder against DynamoDB Local, over many generated histories (seeded PRNG): the
 * budget is never exceeded, order is kept, the new message is last, tool calls stay with their
 * results. Plus summaries, and the session and table statistics.
 */
import assert from 'node:assert/strict';
import type { ChatMessage } from '../../lib/memory/chat-message';
import { replyPriming } from '../../lib/memory/context-builder';
import { countTokens, contentText, type Encoding } from '../../lib/memory/tokens';
import { parseContextRequest } from '../../lib/schemas/context-request';
import { parseStoreRequest } from '../../lib/schemas/store-request';
import { parseAddWorkingRequest } from '../../lib/schemas/working-request';
import { memoryTable, uniqueName, type MemoryTable } from '../support/memory-table';
import { prng } from '../support/prng';

const words = ['jazz', 'Lisbon', 'concert', 'ticket', 'tomorrow', 'the', 'a', 'blue', 'note', 'venue', 'price', 'é', '東京', '🎷', 'and', 'with', '42'];

function text(random: () => number, maxWords: number): string {
  const n = 1 + Math.floor(random() * maxWords);
  return Array.from({ length: n }, () => words[Math.floor(random() * words.length)]).join(' ');
}

/** A random history: user and assistant turns, some assistant turns calling 1-2 tools with their results. */
function history(random: () => number, turns: number, tag: string): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (let t = 0; t < turns; t++) {
    const r = random();
    if (r < 0.4) messages.push({ role: 'user', content: text(random, 30) });
    else if (r < 0.75) messages.push({ role: 'assistant', content: text(random, 60) });
    else {
      const calls = 1 + Math.floor(random() * 2);
      const ids = Array.from({ length: calls }, (_, i) => `call_${tag}_${t}_${i}`);
      messages.push({
        role: 'assistant',
        content: null,
        tool_calls: ids.map((id) => ({ id, type: 'function', function: { name: 'venues', arguments: JSON.stringify({ q: text(random, 5) }) } })),
      });
      for (const id of ids) messages.push({ role: 'tool', tool_call_id: id, content: text(random, 40) });
    }
  }
  return messages;
}

/** The measure, written again here from its definition. */
function measured(message: ChatMessage, encoding: Encoding): number {
  return 4 + countTokens(contentText(message.content), encoding)
    + (message.tool_calls ? countTokens(JSON.stringify(message.tool_calls), encoding) : 0)
    + (message.tool_call_id ? countTokens(message.tool_call_id, encoding) : 0);
}

function assertToolPairsTogether(kept: ChatMessage[], all: ChatMessage[], where: string): void {
  const callIds = new Set(kept.flatMap((m) => (m.tool_calls ?? []).map((c) => (c as { id: string }).id)));
  for (const m of kept) if (m.role === 'tool') assert.ok(callIds.has(m.tool_call_id!), `${where}: tool result ${m.tool_call_id} without its call`);
  for (const id of callIds) {
    const results = all.filter((m) => m.tool_call_id === id).length;
    assert.equal(kept.filter((m) => m.tool_call_id === id).length, results, `${where}: call ${id} without all its results`);
  }
}

describe('context builder', () => {
  let table: MemoryTable;
  before(async () => (table = await memoryTable()));
  after(() => table.close());

  it('never exceeds the budget, keeps order and tool pairs, and puts the new message last (120 generated histories)', async function () {
    this.timeout(240_000);
    const random = prng(20261122);
    const formats = ['openai', 'anthropic', 'text'] as const;
    const encodings = ['o200k_base', 'cl100k_base'] as const;
    let trimmed = 0;
    for (let run = 0; run < 120; run++) {
      const sessionId = uniqueName(`gen${run}`);
      const stored = history(random, Math.floor(random() * 40), String(run));
      if (stored.length > 0) {
        await table.memory.store(parseStoreRequest({ sessionId, role: 'user', payload: stored as never }));
      }
      const encoding = encodings[run % 2]!;
      const format = formats[run % 3]!;
      const budget = 40 + Math.floor(random() * 1500);
      const payload = `new ${run}: ${text(random, 20)}`;
      const system = Math.floor(random() * 30);
      const request = parseContextRequest({
        sessionId, payload, tokenBudget: budget, encoding, format,
        template: random() < 0.5 ? '' : 'Be brief. {{summary}}',
        shares: { system, preferences: 5, facts: 5, summary: 10, history: 100 - system - 20 },
      });
      const where = `run ${run} (${format}, ${encoding}, budget ${budget}, ${stored.length} stored)`;
      const { payload: out, context } = await table.memory.context(request);
      assert.ok(context.totalTokens <= budget, `${where}: ${context.totalTokens} tokens`);
      const kept = context.history.messages;
      if (kept.length < stored.length) trimmed++;
      // Order: the history is the newest stored messages, as stored.
      assert.deepEqual(kept, stored.slice(stored.length - kept.length).map((m) => ({ ...m })), `${where}: not a suffix in order`);
      assertToolPairsTogether(kept, stored, where);
      if (format === 'text') {
        assert.equal(typeof out, 'string');
        assert.ok(countTokens(out as string, encoding) <= budget, where);
        assert.ok((out as string).endsWith(`user: ${payload}`), `${where}: new message not last`);
      } else if (format === 'openai') {
        const messages = (out as { messages: ChatMessage[] }).messages;
        const total = replyPriming + messages.reduce((sum, m) => sum + measured(m, encoding), 0);
        assert.equal(total, context.totalTokens, where);
        assert.ok(total <= budget, where);
        assert.deepEqual(messages[messages.length - 1], { role: 'user', content: payload }, `${where}: new message not last`);
      } else {
        const { messages } = out as { messages: Array<{ role: string; content: Array<{ type: string; text?: string }> }> };
        const last = messages[messages.length - 1]!;
        assert.equal(last.role, 'user');
        assert.equal(messages[0]!.role, 'user', `${where}: Anthropic's first turn must be the user's`);
        assert.deepEqual(last.content[last.content.length - 1], { type: 'text', text: payload }, `${where}: new message not last`);
      }
    }
    assert.ok(trimmed > 20, `the budgets should cut many histories (cut ${trimmed})`);
  });

  it('refuses a new message that alone does not fit, and shares over 100%', async () => {
    const sessionId = uniqueName('s');
    await assert.rejects(table.memory.context(parseContextRequest({ sessionId, payload: text(prng(1), 200), tokenBudget: 20 })), /does not fit/);
    await assert.rejects(
      table.memory.context(parseContextRequest({ sessionId, payload: 'hi', tokenBudget: 100, shares: { history: 90, system: 30 } })),
      /more than 100%/,
    );
  });

  it('gives the history the rest unless it has a share of its own: the default shares fit any template', async () => {
    const sessionId = uniqueName('s');
    const userId = uniqueName('u');
    await table.memory.store(parseStoreRequest({ sessionId, userId, role: 'user', payload: 'plan my trip to Porto' }));
    await table.memory.working.add(parseAddWorkingRequest({ scope: 'session', sessionId, userId, text: 'the user cannot travel before Friday', capacity: 5 }));
    const build = (template: string, shares?: Record<string, number>) =>
      table.memory.context(parseContextRequest({ sessionId, userId, payload: 'trains?', tokenBudget: 1000, template, ...(shares ? { shares } : {}) }));
    const both = 'You remember:\n{{memories}}\n\nScratchpad:\n{{working}}';
    for (const [template, history] of [['Plan trips.', 50], ['{{memories}}', 40], ['{{working}}', 40], [both, 30]] as const) {
      assert.equal((await build(template)).context.shares.history, history, template);
    }
    const { context } = await build(both);
    assert.deepEqual(context.shares, { system: 15, preferences: 10, facts: 10, summary: 15, memories: 10, working: 10, history: 30 });
    assert.equal(context.working.text, '- the user cannot travel before Friday');
    assert.deepEqual(context.history.messages, [{ role: 'user', content: 'plan my trip to Porto' }]);
    // A history share given is taken as it is: the old default of 40 is over the rest with both
    // placeholders, and refused as before; without them it is what flows saved with it have.
    await assert.rejects(build(both, { history: 40 }), /110%, more than 100%/);
    assert.equal((await build('Plan trips.', { history: 40 })).context.shares.history, 40);
    assert.equal((await build(both, { history: 5 })).context.shares.history, 5);
    // Left to be the rest, it cannot make the others fit.
    await assert.rejects(build('Plan trips.', { system: 60, summary: 40 }), /120%, more than 100%/);
  });

  it('fills preferences, facts and the summary, and the history starts after the summary', async () => {
    const sessionId = uniqueName('s');
    const userId = uniqueName('u');
    const { memory } = table;
    await memory.preferences.set({ userId, key: 'genre', value: 'jazz' });
    await memory.graph.upsertEntity({ userId }, { id: 'Ana', type: 'person' });
    await memory.graph.upsertEntity({ userId }, { id: 'Blue Note', type: 'venue' });
    await memory.graph.link({ userId }, { source: 'Ana', relation: 'likes', target: 'Blue Note' });
    const records = await memory.store(parseStoreRequest({ sessionId, userId, role: 'user', payload: ['one', 'two', 'three', 'four'] }));
    const [, , third] = (await memory.context(parseContextRequest({ sessionId, userId, payload: 'five', tokenBudget: 1000, summaryThreshold: 4 })))
      .summaryDue!.messages;
    assert.equal(third!.content, 'three');
    const due = (await memory.context(parseContextRequest({ sessionId, userId, payload: 'five', tokenBudget: 1000, summaryThreshold: 4 }))).summaryDue!;
    assert.equal(due.messages.length, 4);
    const { stored } = await memory.storeSummary({ sessionId, userId, summary: 'They counted to four.', covers: due.covers });
    assert.equal(stored, true);
    assert.equal(records.length, 4);
    const { context, summaryDue } = await memory.context(parseContextRequest({
      sessionId, userId, payload: 'five', tokenBudget: 1000, summaryThreshold: 4,
      template: 'Prefs:\n{{preferences}}\nFacts:\n{{facts}}\nSummary: {{summary}}',
    }));
    assert.equal(summaryDue, undefined);
    assert.equal(context.system.text, 'Prefs:\n- genre: jazz\nFacts:\n- Ana likes Blue Note\nSummary: They counted to four.');
    assert.deepEqual(context.history.messages, []);
    assert.equal(context.summary.coversMessageId, records[3]!.messageId);
  });

  it('leaves out a paragraph whose placeholders all come out empty, and fills a long history to the budget', async () => {
    const sessionId = uniqueName('s');
    const userId = uniqueName('u');
    await table.memory.preferences.set({ userId, key: 'name', value: 'Ana' });
    const payload = Array.from({ length: 500 }, (_, i) => `message ${i}`);
    await table.memory.store(parseStoreRequest({ sessionId, userId, role: 'user', payload }));
    const { context } = await table.memory.context(parseContextRequest({ sessionId, userId, payload: 'hi', tokenBudget: 8000 }));
    // The default prompt: no graph facts and no summary, so only the summary paragraph goes.
    assert.equal(context.system.text, 'You are a helpful assistant.\n\nWhat you know about the user:\n- name: Ana');
    assert.equal(context.history.count, 500);
    assert.equal(context.history.messages[499]!.content, 'message 499');
  });

  it('counts sessions, messages, users and tokens without a scan', async () => {
    const fresh = await memoryTable();
    try {
      const { memory } = fresh;
      const userId = uniqueName('u');
      await memory.store(parseStoreRequest({ sessionId: 'a', userId, role: 'user', payload: ['hello there', 'how are you'] }));
      await memory.store(parseStoreRequest({ sessionId: 'a', userId, role: 'assistant', payload: 'fine' }));
      await memory.store(parseStoreRequest({ sessionId: 'b', userId, role: 'user', payload: 'again' }));
      await memory.store(parseStoreRequest({ sessionId: 'c', role: 'user', payload: 'anonymous' }));
      const session = await memory.sessionStats({ sessionId: 'a' });
      assert.equal(session.messageCount, 3);
      assert.equal(session.tokens, countTokens('hello there') + countTokens('how are you') + countTokens('fine'));
      assert.equal(session.userId, userId);
      assert.ok(session.createdAt! <= session.lastActivityAt!);
      assert.deepEqual(await memory.tableStats(), { sessions: 3, messages: 5, users: 1 });
      await memory.clearSession({ sessionId: 'b' });
      assert.deepEqual(await memory.tableStats(), { sessions: 2, messages: 4, users: 1 });
      await memory.forgetUser({ userId });
      assert.deepEqual(await memory.tableStats(), { sessions: 1, messages: 1, users: 0 });
    } finally {
      fresh.close();
    }
  });
});
