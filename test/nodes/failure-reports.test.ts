/** SDK failures reach the node status and Catch in plain language (explainAwsFailure via handleMessages). */
import assert from 'node:assert/strict';
import { uniqueName } from '../support/memory-table';
import { loadMemoryFlow, startNodeRed, stopNodeRed, unloadFlow } from '../support/node-flow';

describe('failure reports', () => {
  before(startNodeRed);
  after(stopNodeRed);
  afterEach(unloadFlow);

  it('a store on a missing table, create table off: red status and Catch say how to create it', async () => {
    const missing = uniqueName('missing');
    const flow = await loadMemoryFlow([{ id: 'store', type: 'dynamodb-memory-store' }], { config: { table: missing, createTable: false } });
    const outcome = await flow.run('store', { sessionId: 's', payload: 'hello' });
    const advice = `table "${missing}" is missing: enable "create table" in the connection, or click Create table`;
    assert.equal(outcome.error, `MemoryServiceError: ${advice}`);
    const catchError = outcome.caught?.['error'] as { message: string; stack?: string };
    assert.doesNotMatch(JSON.stringify(catchError), /\$response|\$metadata|ResourceNotFoundException: /);
    const status = flow.lastStatus('store');
    assert.equal(status?.fill, 'red');
    assert.equal(status?.text, `${advice.slice(0, 59)}…`);
  });

  it("the config node's table creation fails the same way: wrong keys, in plain words", async () => {
    const flow = await loadMemoryFlow([{ id: 'history', type: 'dynamodb-memory-history' }], {
      config: { table: uniqueName('never'), createTable: true },
      credentials: { accessKeyId: 'not-alphanumeric', secretAccessKey: 'x' },
    });
    const outcome = await flow.run('history', { sessionId: 's' });
    assert.equal(outcome.error, "MemoryServiceError: the access key id or secret is wrong: check the connection's credentials");
    assert.equal(flow.lastStatus('history')?.fill, 'red');
  });

  /** Runs a check on a msg nested too deep for Node-RED to copy; it must leave no unhandled rejection (which stops Node-RED). */
  async function withTooDeep(check: (deep: unknown) => Promise<void>): Promise<void> {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 5000; i++) deep = [deep];
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      await check(deep);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(rejections, []);
    } finally {
      process.removeListener('unhandledRejection', onRejection);
    }
  }

  it('a msg nested too deep for Node-RED to copy: its error still reaches Catch (by msg id), the runtime stays up', async () => {
    const flow = await loadMemoryFlow([{ id: 'store', type: 'dynamodb-memory-store' }]);
    await withTooDeep(async (deep) => {
      const outcome = await flow.run('store', { sessionId: 's', payload: { content: 'x', metadata: { deep } } });
      assert.match(outcome.error ?? '', /^MemoryInputError: payload\.metadata: .* nested deeper than \d+ levels/);
      assert.equal(flow.lastStatus('store')?.fill, 'red');
    });
  });

  it('a recall with a deep field it does not read: sent on, then its done() (after the access counts) reaches Catch once, not a crash', async () => {
    const flow = await loadMemoryFlow([{ id: 'memories', type: 'dynamodb-memory-recall', scope: 'user' }]);
    await withTooDeep(async (deep) => {
      const outcome = await flow.runOutputs('memories', { userId: 'u', operation: 'recall', payload: 'hi', cursor: deep });
      assert.ok(outcome.outputs[0], 'the recall is sent on');
      assert.match(outcome.error ?? '', /could not copy the msg/);
      assert.equal(flow.lastStatus('memories')?.fill, 'red');
    });
  });
});
