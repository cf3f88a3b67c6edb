/**
 * The LLM example flows as shipped, end to end in a real Node-RED (a child process whose user
 * directory links this repo and node-red-contrib-ollama, installed from npm as a dev dependency),
 * against local stub servers that speak each service's wire format (test/support/llm-stubs.ts: the
 * one fake, since no LLM runs here) and the test run's DynamoDB Local: POST a turn, the flow stores
 * it, builds the context, calls the model through the http request node (OpenAI-compatible,
 * Anthropic Messages) or the Ollama chat node, stores the reply as the service sent it and answers.
 * A second turn in the same session shows that the first reached the model through the memory.
 * The OpenAI-compatible one also embeds each message at the stub's `/v1/embeddings` and recalls the
 * user's long-term memories with that vector: one remembered with the same embeddings reaches the
 * model's request.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployFlows, fetchDeployedRoute, type FlowNode, type NodeRed } from '../../scripts/node-red-process';
import { startLinkedNodeRed, repoRoot as root, type LinkedNodeRed } from '../support/linked-node-red';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { ensureTable } from '../../lib/memory/table-setup';
import { parseRememberRequest } from '../../lib/schemas/memory-request';
import { startLlmStubs, stubEmbedding, stubKeys, type LlmStubs, type StubRequest } from '../support/llm-stubs';
import { localConnection, localCredentials, scanTable, uniqueName } from '../support/memory-table';
import { dynamoDBLocal } from '../support/root-hooks';

const examples = [
  { file: 'llm-chatbot.json', path: '/chat', stubPath: '/v1/chat/completions', model: 'gpt-stub-mini', replyFormat: 'openai-chat-completions' },
  { file: 'anthropic-chatbot.json', path: '/anthropic-chat', stubPath: '/v1/messages', model: 'claude-stub', replyFormat: 'anthropic-messages' },
  { file: 'ollama-chatbot.json', path: '/ollama-chat', stubPath: '/api/chat', model: 'llama-stub', replyFormat: 'ollama-chat' },
] as const;

/**
 * A call of the chatbot's extraction loop, not of a turn: it runs after the reply was sent, so it
 * may reach the stub during a later turn. Its chat request asks for JSON in a schema, and its
 * embeddings request embeds a list of texts (a turn's embeds one); Anthropic's forces a tool call.
 */
const isExtraction = (request: StubRequest) =>
  request.body['response_format'] !== undefined || request.body['tool_choice'] !== undefined || Array.isArray(request.body['input']);

/** What the extraction loop's request tells the model (the pack's prompt hands it over as JSON). */
type Extraction = { memories: Array<{ id: string; kind: string | null; text: string }>; messages: Array<{ role: string; content: string }> };

const load = (file: string) => JSON.parse(readFileSync(join(root, 'examples', file), 'utf8')) as FlowNode[];

describe('examples: LLM chatbots against stub services', function () {
  let stubs: LlmStubs;
  let linked: LinkedNodeRed | undefined;
  let nodeRed: NodeRed;
  const tables = new Map<string, string>();

  before(async function () {
    this.timeout(180_000);
    stubs = await startLlmStubs();
    linked = await startLinkedNodeRed('flowmemory-llm-', {
      packages: ['node-red-contrib-ollama'],
      env: {
        OPENAI_BASE_URL: `${stubs.url}/v1`,
        OPENAI_API_KEY: stubKeys.openai,
        OPENAI_MODEL: 'gpt-stub-mini',
        OPENAI_EMBEDDING_MODEL: 'embed-stub',
        ANTHROPIC_BASE_URL: stubs.url,
        ANTHROPIC_API_KEY: stubKeys.anthropic,
        ANTHROPIC_MODEL: 'claude-stub',
        OLLAMA_MODEL: 'llama-stub',
      },
    });
    nodeRed = linked.nodeRed;
    // Each flow as shipped; only its connections point at the test's DynamoDB Local and the stub.
    const flows = examples.flatMap(({ file }) => {
      const table = uniqueName(file.replace('.json', ''));
      tables.set(file, table);
      return load(file).map((node) => {
        if (node.type === 'dynamodb-memory-config') {
          return { ...node, id: `${node.id}`, endpoint: dynamoDBLocal().endpoint, table, authType: 'keys', credentials: localCredentials };
        }
        if (node.type === 'ollama-config-server') return { ...node, host: stubs.url };
        return node;
      });
    });
    await deployFlows(nodeRed.url, flows);
  });

  after(async function () {
    this.timeout(60_000);
    await linked?.stop();
    await stubs?.close();
  });

  async function turn(path: string, sessionId: string, text: string, userId = 'ana'): Promise<string> {
    const response = await fetchDeployedRoute(`${nodeRed.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ userId, sessionId, text }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await response.json()) as { reply?: string; error?: string };
    assert.equal(response.status, 200, `${path} ${text}: ${JSON.stringify(body)}\n${nodeRed.output()}`);
    return body.reply!;
  }

  for (const example of examples) {
    it(`${example.file}: store → context → model → store, and the second turn remembers the first`, async function () {
      this.timeout(90_000);
      const sessionId = uniqueName('s');
      const before = stubs.requests.length;
      assert.equal(await turn(example.path, sessionId, 'Hi, my name is Ana'), 'Nice to meet you, Ana!');
      assert.equal(await turn(example.path, sessionId, 'What is my name?'), 'Your name is Ana.');
      const calls = stubs.requests.slice(before).filter((r) => r.path === example.stubPath && !isExtraction(r));
      assert.equal(calls.length, 2, `two calls to ${example.stubPath}`);
      // The second request carried the first turn, the model's stored reply included, and the model.
      const second = JSON.stringify(calls[1]!.body);
      assert.match(second, /Hi, my name is Ana/);
      assert.match(second, /Nice to meet you, Ana!/);
      assert.equal(calls[1]!.body['model'], example.model);
      const stored = (await scanTable(tables.get(example.file)!))
        .filter((item) => item['sessionId'] === sessionId && item['kind'] === 'message')
        .sort((a, b) => String(a['sk']).localeCompare(String(b['sk'])));
      assert.deepEqual(stored.map((m) => [m['role'], m['content']]), [
        ['user', 'Hi, my name is Ana'],
        ['assistant', 'Nice to meet you, Ana!'],
        ['user', 'What is my name?'],
        ['assistant', 'Your name is Ana.'],
      ]);
      const metadata = stored[1]!['metadata'] as { model?: string; replyFormat?: string; usage?: { inputTokens?: number } };
      assert.equal(metadata.model, example.model);
      assert.equal(metadata.replyFormat, example.replyFormat);
      assert.equal(typeof metadata.usage?.inputTokens, 'number');
    });
  }

  it("llm-chatbot.json: the message's embedding from /v1/embeddings recalls the user's memory into the model's request", async function () {
    this.timeout(90_000);
    const userId = uniqueName('ana');
    const otherUser = uniqueName('bob');
    const tableName = tables.get('llm-chatbot.json')!;
    const connection = localConnection();
    try {
      await ensureTable(connection.client, tableName);
      const memory = new ChatMemory({ documents: connection.documents, tableName });
      // Remembered as a flow would: the vector from the same endpoint's embeddings, named by its model.
      const remember = (user: string, texts: Array<{ text: string; kind: string }>) =>
        memory.memories.remember(parseRememberRequest({
          scope: 'user', userId: user, embedder: 'embed-stub',
          records: texts.map((record) => ({ ...record, embedding: stubEmbedding(record.text) })),
        }));
      await remember(userId, [
        { text: 'Ana is allergic to peanuts', kind: 'fact' },
        { text: 'Ana plays the tenor saxophone', kind: 'fact' },
      ]);
      await remember(otherUser, [{ text: 'Bob is allergic to peanuts too', kind: 'fact' }]);
      const before = stubs.requests.length;
      assert.equal(await turn('/chat', uniqueName('s'), 'Any snack without peanuts at the concert?', userId), 'You said: Any snack without peanuts at the concert?');
      const calls = stubs.requests.slice(before).filter((r) => !isExtraction(r));
      assert.deepEqual(calls.map((r) => r.path), ['/v1/embeddings', '/v1/chat/completions']);
      assert.deepEqual(calls[0]!.body, { model: 'embed-stub', input: 'Any snack without peanuts at the concert?' });
      assert.equal(calls[0]!.headers['authorization'], `Bearer ${stubKeys.openai}`);
      const system = (calls[1]!.body['messages'] as Array<{ role: string; content: string }>)[0]!;
      assert.equal(system.role, 'system');
      // The most relevant memory first, each with its kind; never another user's.
      assert.match(system.content, /What you remember about the user:\n- \(fact\) Ana is allergic to peanuts\n- \(fact\) Ana plays the tenor saxophone/);
      assert.doesNotMatch(system.content, /Bob/);
      // The recall counted its access before the node finished.
      const records = (await memory.memories.list({ scope: 'user', userId })).items;
      assert.deepEqual(records.map((r) => r.accessCount), [1, 1]);
    } finally {
      connection.client.destroy();
    }
  });

  it('llm-chatbot.json: the extraction loop keeps the user\'s memories from the conversation, an update superseding, and the next session recalls them', async function () {
    this.timeout(120_000);
    const userId = uniqueName('ana');
    const sessionId = uniqueName('s');
    const connection = localConnection();
    const memory = new ChatMemory({ documents: connection.documents, tableName: tables.get('llm-chatbot.json')! });
    /** The extraction request that covered a message of this test (others' may arrive late), as the model read it. */
    const extractionOf = (said: string) => {
      const asked = stubs.requests
        .filter((r) => r.path === '/v1/chat/completions' && r.body['response_format'] !== undefined)
        .map((r) => ({ model: r.body['model'], ...(JSON.parse((r.body['messages'] as Array<{ content: string }>)[1]!.content) as Extraction) }));
      return asked.find((request) => request.messages.some((m) => m.content === said))!;
    };
    const records = async () => (await memory.memories.list({ scope: 'user', userId })).items;
    /** Waits for the extraction that runs after a reply to be applied: the records it leaves. */
    const settled = async (expected: number) => {
      for (let tries = 0; tries < 100; tries++) {
        const now = await records();
        if (now.length === expected) return now;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.fail(`the extraction did not apply: ${JSON.stringify(await records())}\n${nodeRed.output()}`);
    };
    try {
      await turn('/chat', sessionId, 'Hi, I live in Lisbon', userId);
      await turn('/chat', sessionId, 'My name is Ana', userId);
      // Four messages: due. The model got them, and answered two ADDs in the request's schema.
      const round1 = await settled(2);
      const asked = extractionOf('Hi, I live in Lisbon');
      assert.deepEqual(asked.messages.map((m) => [m.role, m.content]), [
        ['user', 'Hi, I live in Lisbon'],
        ['assistant', 'You said: Hi, I live in Lisbon'],
        ['user', 'My name is Ana'],
        ['assistant', 'Nice to meet you, Ana!'],
      ]);
      assert.deepEqual(asked.memories, []);
      assert.equal(asked.model, 'gpt-stub-mini');
      assert.deepEqual(round1.map((r) => [r.text, r.kind, r.importance, r.embedder]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))), [
        ['The user lives in Lisbon', 'home', 7, 'embed-stub'],
        ["The user's name is Ana", 'fact', 8, 'embed-stub'],
      ]);
      // The new texts were embedded by the flow's embeddings endpoint, in one call.
      assert.ok(stubs.requests.some((r) => r.path === '/v1/embeddings' && JSON.stringify(r.body['input']) === JSON.stringify(['The user lives in Lisbon', "The user's name is Ana"])));

      await turn('/chat', sessionId, 'I moved to Porto', userId);
      await turn('/chat', sessionId, 'What is my name?', userId);
      const round2 = await settled(3);
      const lisbon = round1.find((r) => r.text.includes('Lisbon'))!;
      const shown = extractionOf('I moved to Porto');
      assert.ok(shown.memories.some((m) => m.id === lisbon.id), 'the model saw the home it updates');
      const ended = round2.find((r) => r.id === lisbon.id)!;
      const porto = round2.find((r) => r.text === 'The user lives in Porto')!;
      assert.ok(ended.validTo, 'Lisbon is superseded, not deleted');
      assert.equal(porto.metadata['supersedes'], lisbon.id);
      assert.equal(porto.validFrom, ended.validTo);

      // A new session knows nothing of the old one's messages: the memory answers.
      assert.equal(await turn('/chat', uniqueName('s'), 'Where do I live?', userId), 'You live in Porto.');
    } finally {
      connection.client.destroy();
    }
  });

  it('anthropic-chatbot.json: the extraction loop served by the Messages API through a forced tool call, recalled in the next session', async function () {
    this.timeout(120_000);
    const userId = uniqueName('ana');
    const sessionId = uniqueName('s');
    const connection = localConnection();
    const memory = new ChatMemory({ documents: connection.documents, tableName: tables.get('anthropic-chatbot.json')! });
    try {
      await turn('/anthropic-chat', sessionId, 'Hi, I live in Lisbon', userId);
      await turn('/anthropic-chat', sessionId, 'My name is Ana', userId);
      let records: Array<{ text: string; embedder: string }> = [];
      for (let tries = 0; tries < 100 && records.length < 2; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        records = (await memory.memories.list({ scope: 'user', userId })).items;
      }
      assert.deepEqual(records.map((r) => [r.text, r.embedder]).sort((a, b) => a[0]!.localeCompare(b[0]!)), [
        ['The user lives in Lisbon', 'hashed-ngrams-v1'],
        ["The user's name is Ana", 'hashed-ngrams-v1'],
      ], nodeRed.output());
      const asked = stubs.requests.find((r) => r.path === '/v1/messages' && r.body['tool_choice'] !== undefined && JSON.stringify(r.body).includes('Hi, I live in Lisbon'))!;
      assert.deepEqual(asked.body['tool_choice'], { type: 'tool', name: 'memory_operations' });
      assert.equal(asked.body['model'], 'claude-stub');
      assert.match(String(asked.body['system']), /long-term memory/);
      assert.equal(await turn('/anthropic-chat', uniqueName('s'), 'Where do I live?', userId), 'You live in Lisbon.');
    } finally {
      connection.client.destroy();
    }
  });
});
