/**
 * Closing the connection (a redeploy, a stop) waits for the msgs' work on it: a clear that is
 * running when the flow stops deletes the whole session instead of failing half done when the
 * client goes.
 */
import assert from 'node:assert/strict';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { parseStoreRequest } from '../../lib/schemas/store-request';
import { localConnection, scanTable, uniqueName } from '../support/memory-table';
import { loadMemoryFlow, startNodeRed, stopNodeRed, unloadFlow } from '../support/node-flow';

describe('closing the connection', function () {
  this.timeout(120_000);
  before(startNodeRed);
  after(stopNodeRed);

  it('waits for a running clear, which then deletes the whole session', async () => {
    const flow = await loadMemoryFlow([{ id: 'clear', type: 'dynamodb-memory-clear' }]);
    const sessionId = uniqueName('s');
    const seeding = localConnection();
    try {
      const memory = new ChatMemory({ documents: seeding.documents, tableName: flow.tableName });
      for (let i = 0; i < 3; i++) {
        await memory.store(parseStoreRequest({ sessionId, role: 'user', payload: Array.from({ length: 1000 }, (_, k) => `m${i}-${k}`) }));
      }
      await memory.close();
    } finally {
      seeding.client.destroy();
    }
    // Nothing is there to receive the outcome once the flow stops: what the clear did shows in the table.
    void flow.run('clear', { sessionId });
    // The flow stops while the clear runs (3,000 deletes take well over the few ms this gives it).
    await new Promise((resolve) => setTimeout(resolve, 20));
    const before = (await scanTable(flow.tableName)).filter((item) => item['pk'] === `SESSION#${sessionId}`).length;
    await unloadFlow();
    assert.ok(before > 0, 'the clear was still running when the flow stopped');
    const left = (await scanTable(flow.tableName)).filter((item) => item['pk'] === `SESSION#${sessionId}`);
    assert.equal(left.length, 0, 'nothing of the session left');
  });
});
