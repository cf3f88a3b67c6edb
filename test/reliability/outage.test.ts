/**
 * DynamoDB Local stopped while a flow is sending, then started again on the same port: errors reach
 * Catch and the status turns red while it is down, the same deployed flow works again without a
 * redeploy, and a close during the outage ends within Node-RED's close timeout.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startDynamoDBLocal, type DynamoDBLocal } from '../../scripts/dynamodb-local';
import { ensureTable } from '../../lib/memory/table-setup';
import { connect } from '../../lib/memory/connection';
import { localCredentials, uniqueName } from '../support/memory-table';
import { loadMemoryFlow, sent, startNodeRed, stopNodeRed, unloadFlow } from '../support/node-flow';

/** Node-RED gives a node's close handler 15 s before it reports a timeout. */
const nodeRedCloseTimeoutMs = 15_000;

describe('engine outage', function () {
  this.timeout(180_000);
  let engine: DynamoDBLocal | undefined;
  let port: number;
  let dbPath: string;
  before(async () => {
    await startNodeRed();
    port = await freePort();
    dbPath = mkdtempSync(join(tmpdir(), 'outage-'));
    engine = await startDynamoDBLocal({ port, dbPath });
  });
  afterEach(unloadFlow);
  after(async () => {
    await engine?.stop();
    rmSync(dbPath, { recursive: true, force: true });
    await stopNodeRed();
  });


  it('reports errors while DynamoDB is down and works again, without a redeploy, when it is back', async () => {
    const tableName = uniqueName('outage');
    const connection = connect({
      region: 'us-east-1', endpoint: engine!.endpoint, authentication: { type: 'keys', ...localCredentials }, requestTimeoutMs: 5000, maxAttempts: 1,
    });
    await ensureTable(connection.client, tableName).finally(() => connection.client.destroy());
    const flow = await loadMemoryFlow([{ id: 'store', type: 'dynamodb-memory-store' }, { id: 'history', type: 'dynamodb-memory-history' }], {
      tableName,
      config: { endpoint: engine!.endpoint, createTable: false, maxAttempts: '2', requestTimeoutMs: '2000' },
    });
    await sent(flow, 'store', { sessionId: 's', payload: 'before the outage' });

    await engine!.stop();
    const during = await flow.run('store', { sessionId: 's', payload: 'during the outage' });
    assert.match(during.error ?? 'no error', /cannot reach DynamoDB at http:\/\/127\.0\.0\.1:\d+|did not answer in time/);
    assert.equal(flow.lastStatus('store')?.fill, 'red');

    engine = await startDynamoDBLocal({ port, dbPath });
    await sent(flow, 'store', { sessionId: 's', payload: 'after the outage' });
    const history = await sent(flow, 'history', { sessionId: 's' });
    assert.deepEqual((history['history'] as Array<{ content: string }>).map((m) => m.content), ['before the outage', 'after the outage']);
    assert.equal(flow.lastStatus('store')?.fill, 'green');
  });

  it('closes within the close timeout while a store waits on an engine that is down', async () => {
    const flow = await loadMemoryFlow([{ id: 'store', type: 'dynamodb-memory-store' }], {
      config: { endpoint: engine!.endpoint, createTable: false, maxAttempts: '3', requestTimeoutMs: '5000' },
    });
    await engine!.stop();
    const pending = flow.run('store', { sessionId: 's', payload: 'nobody home' });
    const started = Date.now();
    await unloadFlow();
    const closeMs = Date.now() - started;
    assert.ok(closeMs < nodeRedCloseTimeoutMs, `close took ${closeMs} ms`);
    console.log(`      close during an outage: ${closeMs} ms`);
    void pending;
    engine = await startDynamoDBLocal({ port, dbPath });
  });
});
