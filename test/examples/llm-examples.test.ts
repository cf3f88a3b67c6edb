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
import { startLlmStubs, stubEmbedding, stubKeys, type LlmStubs } from '../support/llm-stubs';
import { localConnection, localCredentials, scanTable, uniqueName } from '../support/memory-table';
import { dynamoDBLocal } from '../support/root-hooks';

const examples = [
  { file: 'llm-chatbot.json', path: '/chat', stubPath: '/v1/chat/completions', model: 'gpt-stub-mini', replyFormat: 'openai-chat-completions' },
  { file: 'anthropic-chatbot.json', path: '/anthropic-chat', stubPath: '/v1/messages', model: 'claude-stub', replyFormat: 'anthropic-messages' },
  { file: 'ollama-chatbot.json', path: '/ollama-chat', stubPath: '/api/chat', model: 'llama-stub', replyFormat: 'ollama-chat' },
] as const;

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
      const calls = stubs.requests.slice(before).filter((r) => r.path === example.stubPath);
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
      const calls = stubs.requests.slice(before);
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
});
