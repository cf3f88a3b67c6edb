/**
 * The migration from LangChain's DynamoDB chat history (scripts/langchain-migration.ts), on tables
 * written by @langchain/community's DynamoDBChatMessageHistory itself on DynamoDB Local, read back
 * through ChatMemory.history; and the npm script's command line on the same engine.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateTableCommand, waitUntilTableExists, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBChatMessageHistory } from '@langchain/community/stores/message/dynamodb';
import { AIMessage, ChatMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { migrateLangChainTable } from '../../scripts/langchain-migration';
import { localCredentials, memoryTable, uniqueName, type MemoryTable } from '../support/memory-table';
import { dynamoDBLocal } from '../support/root-hooks';

/** A table as LangChain expects it: one string partition key of the given name, nothing else. */
async function langChainTable(client: DynamoDBClient, partitionKey: string): Promise<string> {
  const tableName = uniqueName('langchain');
  await client.send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
  }));
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: tableName });
  return tableName;
}

describe('migration from a LangChain DynamoDB chat history table', () => {
  let target: MemoryTable;
  before(async () => (target = await memoryTable()));
  after(() => target.close());

  const history = (tableName: string, sessionId: string, partitionKey: string, messageAttributeName?: string) =>
    new DynamoDBChatMessageHistory({
      tableName,
      sessionId,
      partitionKey,
      ...(messageAttributeName ? { messageAttributeName } : {}),
      config: { region: 'us-east-1', endpoint: dynamoDBLocal().endpoint, credentials: localCredentials },
    });

  it('moves every session in order, with roles, contents and counts, and a second run stores nothing', async () => {
    const source = await langChainTable(target.connection.client, 'id');
    const prefix = uniqueName('lc');
    const conversation: BaseMessage[] = [
      new SystemMessage('You are a concert guide.'),
      new HumanMessage('my name is Ana'),
      new AIMessage({ content: 'Nice to meet you, Ana!', additional_kwargs: { function_call: { name: 'remember', arguments: '{"name":"Ana"}' } } }),
      new ToolMessage({ content: '{"saved":true}', tool_call_id: 'call-1' }),
      new ChatMessage('and I like jazz', 'user'),
      new AIMessage('Then the Blue Note it is.'),
    ];
    const long = Array.from({ length: 1200 }, (_, i) => (i % 2 ? new AIMessage(`answer ${i}`) : new HumanMessage(`question ${i}`)));
    // LangChain's own writes: one message at a time, and a batch.
    const first = history(source, `${prefix}-first`, 'id');
    for (const message of conversation) await first.addMessage(message);
    for (let from = 0; from < long.length; from += 300) await history(source, `${prefix}-long`, 'id').addMessages(long.slice(from, from + 300));
    await history(source, `${prefix}-owned`, 'id').addMessages([new HumanMessage('hi'), new AIMessage('hello')]);
    // An application that kept the user beside LangChain's list.
    await target.connection.documents.send(new UpdateCommand({ TableName: source, Key: { id: `${prefix}-owned` }, UpdateExpression: 'SET ownerId = :u', ExpressionAttributeValues: { ':u': 'ana' } }));
    // A session id this layout cannot take: reported, and the others still migrate.
    await history(source, `${prefix}#bad`, 'id').addMessage(new HumanMessage('lost'));
    // LangChain reads its own table (but not this session: it drops a tool message's tool_call_id on
    // write and then refuses to read the message back; the migration takes it as it is stored).
    assert.equal((await history(source, `${prefix}-owned`, 'id').getMessages()).length, 2);

    const memory = new ChatMemory({ documents: target.connection.documents, tableName: target.tableName });
    const statsBefore = await memory.tableStats();
    const options = { source: { documents: target.connection.documents, tableName: source, userIdAttribute: 'ownerId' }, target: { memory, documents: target.connection.documents } };
    const result = await migrateLangChainTable(options);
    assert.deepEqual({ ...result, skipped: result.skipped.map((s) => s.sessionId) }, {
      items: 4, sessions: 3, messages: conversation.length + long.length + 2, alreadyMigrated: 0, skipped: [`${prefix}#bad`],
    });
    assert.match(result.skipped[0]!.reason, /sessionId: must be a non-empty string/);

    const migrated = await memory.history({ sessionId: `${prefix}-first`, limit: 100 });
    assert.deepEqual(migrated.map((m) => [m.role, m.content]), [
      ['system', 'You are a concert guide.'],
      ['user', 'my name is Ana'],
      ['assistant', 'Nice to meet you, Ana!'],
      ['tool', '{"saved":true}'],
      ['user', 'and I like jazz'],
      ['assistant', 'Then the Blue Note it is.'],
    ]);
    assert.deepEqual(migrated[2]!.metadata, { additional_kwargs: { function_call: { name: 'remember', arguments: '{"name":"Ana"}' } } });
    assert.deepEqual(migrated.map((m) => m.messageId), conversation.map((_, i) => `langchain-${i}`));
    const longRead = await memory.history({ sessionId: `${prefix}-long`, limit: 2000 });
    assert.deepEqual(longRead.map((m) => [m.role, m.content]), long.map((m, i) => [i % 2 ? 'assistant' : 'user', m.content]));
    assert.equal((await memory.sessionStats({ sessionId: `${prefix}-long` })).messageCount, 1200);
    assert.deepEqual((await memory.listSessions({ userId: 'ana' })).sessions.map((s) => [s.sessionId, s.messageCount]), [[`${prefix}-owned`, 2]]);
    assert.deepEqual(await memory.tableStats(), { sessions: statsBefore.sessions + 3, messages: statsBefore.messages + 1208, users: statsBefore.users + 1 });

    // LangChain keeps writing; a second run stores only the new message.
    await first.addMessage(new HumanMessage('one more'));
    const again = await migrateLangChainTable(options);
    assert.deepEqual([again.sessions, again.messages, again.alreadyMigrated], [3, 1, 1208]);
    assert.deepEqual((await memory.history({ sessionId: `${prefix}-first`, limit: 1 })).map((m) => m.content), ['one more']);
    assert.deepEqual(await memory.tableStats(), { sessions: statsBefore.sessions + 3, messages: statsBefore.messages + 1209, users: statsBefore.users + 1 });
  });

  it('reads a Flowise-style table (its own partition key and list attribute) through the npm script', async function () {
    this.timeout(120_000);
    const source = await langChainTable(target.connection.client, 'sessionKey');
    const sessionId = uniqueName('flowise');
    await history(source, sessionId, 'sessionKey', 'chatHistory').addMessages([new HumanMessage('hello from Flowise'), new AIMessage('hi!')]);
    const script = join(__dirname, '..', '..', 'scripts', 'migrate-langchain.js');
    const run = (extra: string[]) => promisify(execFile)(process.execPath, [script,
      '--source-table', source, '--target-table', target.tableName, '--endpoint', dynamoDBLocal().endpoint,
      '--session-id-attribute', 'sessionKey', ...extra,
    ], { env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_REGION: 'us-east-1' } });
    // The default list attribute is not there: nothing to migrate, and it says so.
    assert.match((await run([])).stdout, /read 1 items .*: 0 sessions, 0 messages stored/);
    assert.match((await run(['--messages-attribute', 'chatHistory'])).stdout, /read 1 items .*: 1 sessions, 2 messages stored/);
    const memory = new ChatMemory({ documents: target.connection.documents, tableName: target.tableName });
    assert.deepEqual((await memory.history({ sessionId })).map((m) => [m.role, m.content]), [['user', 'hello from Flowise'], ['assistant', 'hi!']]);
  });
});
