/**
 * A store retried after a lost response never stores its message twice, with or without a
 * messageId: the SDK sends the transaction again with the same ClientRequestToken, and a message's
 * key is a ULID only that store uses. Through the fault proxy (DynamoDB Local never loses an answer).
 */
import assert from 'node:assert/strict';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { connect } from '../../lib/memory/connection';
import { parseStoreRequest } from '../../lib/schemas/store-request';
import { startFaultProxy } from '../support/fault-proxy';
import { localCredentials, memoryTable, scanTable, uniqueName } from '../support/memory-table';
import { dynamoDBLocal } from '../support/root-hooks';

describe('store retries after lost responses', function () {
  this.timeout(120_000);

  it('stores each message at most once, and the session counts exactly what is stored', async () => {
    const table = await memoryTable();
    const proxy = await startFaultProxy(dynamoDBLocal().endpoint, { lostResponse: 0.3 });
    const connection = connect({
      region: 'us-east-1', endpoint: proxy.endpoint, authentication: { type: 'keys', ...localCredentials }, requestTimeoutMs: 10_000, maxAttempts: 6,
    });
    try {
      const memory = new ChatMemory({ documents: connection.documents, tableName: table.tableName });
      const sessionId = uniqueName('s');
      const succeeded: string[] = [];
      for (let i = 0; i < 60; i++) {
        const content = `message ${i}`;
        try {
          await memory.store(parseStoreRequest({ sessionId, role: 'user', payload: content }));
          succeeded.push(content);
        } catch {
          // Every attempt's answer lost: the message may or may not be stored, but once at most.
        }
      }
      assert.ok(proxy.counts.lostResponse >= 10, `lost responses: ${proxy.counts.lostResponse}`);
      const items = await scanTable(table.tableName);
      const contents = items.filter((item) => item['kind'] === 'message').map((item) => String(item['content']));
      assert.equal(new Set(contents).size, contents.length, 'no message stored twice');
      for (const content of succeeded) assert.ok(contents.includes(content), `${content} was reported stored`);
      const session = items.find((item) => item['kind'] === 'session')!;
      assert.equal(session['messageCount'], contents.length, 'the count matches the messages');
    } finally {
      connection.client.destroy();
      await proxy.close();
      table.close();
    }
  });
});
