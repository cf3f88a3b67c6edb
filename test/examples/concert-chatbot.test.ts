/**
 * examples/concert-chatbot.json as shipped, deployed to a real Node-RED (a child process on a
 * temporary user directory that links this repo, the way `npm start` runs it), driven over HTTP
 * only, with its connection pointed at the test run's DynamoDB Local.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployFlows, type FlowNode, type NodeRed } from '../../scripts/node-red-process';
import { startLinkedNodeRed, repoRoot as root, type LinkedNodeRed } from '../support/linked-node-red';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { parseRecallRequest } from '../../lib/schemas/memory-request';
import { localConnection, localCredentials, uniqueName } from '../support/memory-table';
import { dynamoDBLocal } from '../support/root-hooks';

const example = JSON.parse(readFileSync(join(root, 'examples', 'concert-chatbot.json'), 'utf8')) as FlowNode[];

describe('example: concert chatbot', function () {
  const tableName = uniqueName('concert');
  let linked: LinkedNodeRed | undefined;
  let nodeRed: NodeRed | undefined;

  before(async function () {
    this.timeout(180_000);
    linked = await startLinkedNodeRed('flowmemory-concert-');
    nodeRed = linked.nodeRed;
    const flow = example.map((node) =>
      node.type === 'dynamodb-memory-config'
        ? { ...node, endpoint: dynamoDBLocal().endpoint, table: tableName, authType: 'keys', credentials: localCredentials }
        : node,
    );
    await deployFlows(nodeRed.url, flow);
    // POST /flows answers before the new flow has started: wait until its http in nodes listen.
    const deadline = Date.now() + 30_000;
    while ((await fetch(`${nodeRed.url}/concert-chat`).catch(() => undefined))?.status !== 200) {
      if (Date.now() > deadline) throw new Error(`GET /concert-chat never answered 200:\n${nodeRed.output()}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  });

  after(async function () {
    this.timeout(60_000);
    await linked?.stop();
  });

  /** One chat turn over HTTP, as the page sends it. */
  async function say(userId: string, sessionId: string, text: string): Promise<string> {
    const response = await fetch(`${nodeRed!.url}/concert-chat/message`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ userId, sessionId, text }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await response.json()) as { reply?: string; error?: string };
    assert.equal(response.status, 200, `${text}: ${JSON.stringify(body)}\n${nodeRed!.output()}`);
    assert.equal(typeof body.reply, 'string');
    return body.reply!;
  }

  it('is one tab with a comment and one connection on the AWS credential chain, without credentials', () => {
    const configs = example.filter((n) => n.type === 'dynamodb-memory-config');
    assert.equal(configs.length, 1);
    assert.deepEqual(
      [configs[0]!['region'], configs[0]!['table'], configs[0]!['authType'], configs[0]!['createTable'], 'credentials' in configs[0]!],
      ['us-east-1', 'chat-memory', 'chain', true, false],
    );
    assert.ok(example.some((n) => n.type === 'comment'));
    assert.equal(example.filter((n) => n.type === 'tab').length, 1);
  });

  it('serves the chat page on GET /concert-chat, with no external assets', async () => {
    const response = await fetch(`${nodeRed!.url}/concert-chat`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(response.status, 200, `${await response.clone().text()}\n${nodeRed!.output()}`);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    const html = await response.text();
    assert.match(html, /document.cookie/);
    assert.match(html, /'\/message'/);
    assert.doesNotMatch(html, /(src|href)=["']?(https?:)?\/\//i);
  });

  it('remembers a user across sessions: greets them by name and recommends from what it learnt', async function () {
    this.timeout(120_000);
    const ana = uniqueName('ana');
    const first = randomUUID();
    assert.match(await say(ana, first, 'Hi!'), /^Hello! I'm the concert bot/);
    assert.equal(await say(ana, first, 'My name is Ana'), 'Nice to meet you, Ana!');
    assert.equal(await say(ana, first, 'I like jazz and blues'), 'Noted: you like jazz and blues. Since you like jazz, how about the Blue Note?');
    assert.equal(await say(ana, first, 'I went to the Blue Note.'), "I'll remember the Blue Note.");

    // A new session (a new page load) of the same user: the first reply greets and recommends.
    const second = randomUUID();
    assert.equal(await say(ana, second, 'hello'), 'Welcome back, Ana! Since you like jazz, how about the Village Vanguard?');
    // Only the first message of the session is a "welcome back".
    assert.match(await say(ana, second, 'hello again'), /^Hello, Ana!/);
    assert.equal(await say(ana, second, 'can you recommend something?'), 'Since you like jazz, how about the Village Vanguard?');

    // Another user, in a new session, is not greeted as Ana nor as returning.
    const bob = uniqueName('bob');
    const bobReply = await say(bob, randomUUID(), 'hello');
    assert.doesNotMatch(bobReply, /Welcome back|, Ana/);
    assert.match(bobReply, /^Hello! I'm the concert bot/);
    assert.equal(await say(bob, randomUUID(), 'hello'), 'Welcome back!', 'Bob returns, but never told his name');
  });

  it('keeps what a user said in one session as a memory, and brings it up in a later session when a message is about it', async function () {
    this.timeout(120_000);
    const cleo = uniqueName('cleo');
    const first = randomUUID();
    assert.equal(await say(cleo, first, 'My name is Cleo'), 'Nice to meet you, Cleo!');
    assert.equal(await say(cleo, first, 'My favourite band is Snarky Puppy'), "I'll keep that in mind.");
    // Not in the session it was said in.
    assert.doesNotMatch(await say(cleo, first, 'Is Snarky Puppy playing soon?'), /You told me before/);

    const second = randomUUID();
    // A message about something else brings up nothing (its score stays below the threshold).
    assert.equal(await say(cleo, second, 'hello'), 'Welcome back, Cleo!');
    assert.equal(await say(cleo, second, 'Is Snarky Puppy playing soon?'), 'You told me before: "My favourite band is Snarky Puppy".');
    assert.equal(await say(cleo, second, 'remember that I prefer seats near the stage'), "I'll keep that in mind.");
    assert.doesNotMatch(await say(cleo, second, 'I like jazz'), /You told me before/);

    const third = randomUUID();
    assert.match(await say(cleo, third, 'Which seats do I prefer?'), /^Welcome back, Cleo! You told me before: "I prefer seats near the stage"\./);
    // Another user's memories are not recalled.
    assert.doesNotMatch(await say(uniqueName('dan'), randomUUID(), 'Is Snarky Puppy playing soon?'), /You told me before/);
  });

  it('merges a note said again instead of keeping a copy, and supersedes a home: "I moved to Porto" ends "I live in Lisbon"', async function () {
    this.timeout(120_000);
    const eve = uniqueName('eve');
    const first = randomUUID();
    assert.equal(await say(eve, first, 'My name is Eve'), 'Nice to meet you, Eve!');
    assert.equal(await say(eve, first, 'I live in Lisbon'), "I'll keep that in mind.");
    assert.equal(await say(eve, first, 'My favourite band is Snarky Puppy'), "I'll keep that in mind.");

    const second = randomUUID();
    assert.equal(await say(eve, second, 'I moved to Porto.'), "Welcome back, Eve! I'll keep that in mind.");
    assert.equal(await say(eve, second, 'My favourite band is Snarky Puppy!'), 'I know, you told me that already. You told me before: "My favourite band is Snarky Puppy".');

    const third = randomUUID();
    assert.equal(await say(eve, third, 'Where do I live?'), 'Welcome back, Eve! You told me before: "I moved to Porto".');

    // What the table holds: one note of the band (merged), Lisbon ended when Porto began, both kept.
    const connection = localConnection();
    try {
      const memory = new ChatMemory({ documents: connection.documents, tableName });
      const { items } = await memory.memories.list({ scope: 'user', userId: eve, limit: 10 });
      const byText = new Map(items.map((r) => [r.text, r]));
      assert.deepEqual([...byText.keys()].sort(), ['I live in Lisbon', 'I live in Porto', 'favourite band is Snarky Puppy']);
      const band = byText.get('favourite band is Snarky Puppy')!;
      assert.equal(band.version, 2);
      const lisbon = byText.get('I live in Lisbon')!;
      const porto = byText.get('I live in Porto')!;
      assert.equal(lisbon.validTo, porto.validFrom);
      // Ended by the remember that added Porto, in its transaction: Porto names it, its entry Porto's text.
      assert.equal(porto.metadata['supersedes'], lisbon.id);
      const { items: changes } = await memory.memories.history({ scope: 'user', userId: eve, limit: 20 });
      assert.deepEqual(changes.filter((c) => c.action !== 'ADD').map((c) => [c.action, c.id, c.newText]), [['MERGE', band.id, 'favourite band is Snarky Puppy'], ['UPDATE', lisbon.id, 'I live in Porto']]);
      const recall = (validAt?: string) =>
        memory.memories.recall(parseRecallRequest({ scope: 'user', userId: eve, query: 'Where do I live?', kind: 'home', ...(validAt ? { validAt } : {}) }));
      assert.deepEqual((await recall()).memories.map((m) => m.text), ['I live in Porto']);
      // As of when Lisbon was said: Lisbon.
      assert.deepEqual((await recall(lisbon.createdAt)).memories.map((m) => m.text), ['I live in Lisbon']);
    } finally {
      connection.client.destroy();
    }
  });

  it('answers bad requests with 400 and another user\'s session with 403', async () => {
    const bad = await fetch(`${nodeRed!.url}/concert-chat/message`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ userId: 'u', text: 'hi' }),
    });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /sessionId/);
    const session = randomUUID();
    await say(uniqueName('owner'), session, 'hi');
    const other = await fetch(`${nodeRed!.url}/concert-chat/message`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ userId: uniqueName('intruder'), sessionId: session, text: 'hi' }),
    });
    assert.equal(other.status, 403);
    assert.match(((await other.json()) as { error: string }).error, /^SessionOwnershipError/);
  });
});
