/**
 * One set of defaults per node type (lib/node-red/node-defaults.ts): the built editor files carry
 * exactly those, and a node deployed as a hand-written flow has it, {id, type, z, memory, wires},
 * handles a typical msg as the node dropped from the palette does.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { defaultValues, nodeDefaults, type DefaultProperty, type MemoryNodeType, type NodeType } from '../../lib/node-red/node-defaults';
import { editorScripts } from '../../scripts/node-definitions';
import { uniqueName } from '../support/memory-table';
import { loadMemoryFlow, sent, startNodeRed, stopNodeRed, unloadFlow, type FlowNode, type MemoryFlow, type Msg } from '../support/node-flow';

const dist = join(__dirname, '..', '..');

type EditorProperty = Omit<DefaultProperty, 'validate'> & { validate?: unknown };

/** The `defaults` of the type's built editor file, as the editor gets them: by running its script. */
function editorDefaults(type: NodeType): Record<string, EditorProperty> {
  const folder = type === 'dynamodb-memory-config' ? 'credentials' : 'nodes';
  const registered: Record<string, { defaults: Record<string, EditorProperty> }> = {};
  const RED = {
    nodes: { registerType: (name: string, definition: { defaults: Record<string, EditorProperty> }) => (registered[name] = definition) },
    validators: { typedInput: () => () => true },
  };
  for (const script of editorScripts(readFileSync(join(dist, folder, `${type}.html`), 'utf8'))) runInNewContext(script, { RED });
  assert.ok(registered[type], `${type}.html registers ${type}`);
  return registered[type].defaults;
}

/** What a property says, with its validator only as "has one". */
const described = (properties: Record<string, EditorProperty>) =>
  Object.fromEntries(
    Object.entries(properties).map(([name, { value, required, type, validate }]) => [name, { value, required, type, validated: validate !== undefined }]),
  );

describe('node defaults', () => {
  for (const type of Object.keys(nodeDefaults) as NodeType[]) {
    it(`${type}: the built editor file has the defaults of node-defaults.ts`, () => {
      const editor = editorDefaults(type);
      assert.deepEqual(described(editor), described(nodeDefaults[type]));
      for (const [name, property] of Object.entries(editor)) {
        if (property.validate !== undefined) assert.equal(typeof property.validate, 'function', `${name}'s validate is a function`);
      }
    });
  }

  describe('a node deployed with only {id, type, z, memory, wires}', () => {
    const types: Record<string, MemoryNodeType> = {
      store: 'dynamodb-memory-store',
      history: 'dynamodb-memory-history',
      clear: 'dynamodb-memory-clear',
      preference: 'dynamodb-memory-preference',
      graph: 'dynamodb-memory-graph',
      context: 'dynamodb-memory-context',
      transfer: 'dynamodb-memory-transfer',
      recall: 'dynamodb-memory-recall',
    };
    const variants = ['palette', 'bare'] as const;
    let flow: MemoryFlow;
    before(async () => {
      await startNodeRed();
      flow = await loadMemoryFlow(
        variants.flatMap((variant) =>
          Object.entries(types).map(([name, type]): FlowNode =>
            variant === 'palette'
              ? { ...defaultValues(type), id: `${name}-palette`, type, memory: 'config' }
              : { id: `${name}-bare`, type, position: false },
          ),
        ),
      );
    });
    after(async () => {
      await unloadFlow();
      await stopNodeRed();
    });

    // Each case runs on the palette node first, which shows the expectations are the palette's.
    for (const variant of variants) {
      const node = (name: keyof typeof types) => `${name}-${variant}`;
      const ids = () => ({ sessionId: uniqueName('s'), userId: uniqueName('u') });
      const storeOne = (nodeId: string, who: Msg) => sent(flow, nodeId, { ...who, payload: 'I like jazz' });
      // What the other nodes read is stored by the palette node, so each case tries one node.
      const store = (who: Msg) => storeOne('store-palette', who);

      it(`store (${variant}): stores msg.payload as the user's, in msg.sessionId`, async () => {
        const who = ids();
        const out = await storeOne(node('store'), who);
        const record = out['memory'] as Msg;
        assert.deepEqual([record['sessionId'], record['userId'], record['role'], record['content']], [who.sessionId, who.userId, 'user', 'I like jazz']);
        assert.equal(flow.lastStatus(node('store'))?.fill, 'green');
      });

      it(`history (${variant}): puts the session's messages on msg.history`, async () => {
        const who = ids();
        await store(who);
        const out = await sent(flow, node('history'), who);
        assert.deepEqual(out['history'], [{ role: 'user', content: 'I like jazz' }]);
      });

      it(`clear (${variant}): clears msg.sessionId`, async () => {
        const who = ids();
        await store(who);
        assert.equal((await sent(flow, node('clear'), who))['payload'], 1);
        assert.deepEqual((await sent(flow, node('history'), who))['history'], []);
      });

      it(`preference (${variant}): gets msg.key of msg.userId, and sets it from msg.payload`, async () => {
        const { userId } = ids();
        await sent(flow, node('preference'), { userId, operation: 'set', key: 'language', payload: 'pt' });
        const out = await sent(flow, node('preference'), { userId, key: 'language' });
        assert.equal(out['payload'], 'pt');
      });

      it(`graph (${variant}): upserts the entity in msg.payload into the user's graph`, async () => {
        const { userId } = ids();
        const out = await sent(flow, node('graph'), { userId, payload: { id: 'ana', type: 'person' } });
        assert.deepEqual([(out['payload'] as Msg)['id'], (out['payload'] as Msg)['type']], ['ana', 'person']);
      });

      it(`transfer (${variant}): exports everything of msg.userId as one part`, async () => {
        const who = ids();
        await store(who);
        const part = (await sent(flow, node('transfer'), who))['payload'] as Msg & { sessions: Array<{ sessionId: string; messages: Msg[] }> };
        assert.deepEqual([part['userId'], part['part'], part['last']], [who.userId, 0, true]);
        assert.deepEqual(part.sessions.map((s) => [s.sessionId, s.messages.map((m) => m['content'])]), [[who.sessionId, ['I like jazz']]]);
      });

      it(`recall (${variant}): remembers msg.payload for msg.userId, and recalls by msg.payload`, async () => {
        const { userId } = ids();
        await sent(flow, node('recall'), { userId, operation: 'remember', payload: ['Ana is allergic to peanuts', 'Ana lives in Lisbon'] });
        const out = await sent(flow, node('recall'), { userId, payload: 'peanut allergy' });
        assert.equal((out['payload'] as Msg[])[0]!['text'], 'Ana is allergic to peanuts');
      });

      it(`context (${variant}): builds OpenAI messages within 4000 tokens, the session's history before the new message`, async () => {
        const who = ids();
        await store(who);
        const out = await sent(flow, node('context'), { ...who, payload: 'What do I like?' });
        assert.deepEqual((out['payload'] as { messages: Msg[] }).messages.slice(-2), [
          { role: 'user', content: 'I like jazz' },
          { role: 'user', content: 'What do I like?' },
        ]);
        assert.equal((out['context'] as Msg)['tokenBudget'], 4000);
      });
    }
  });
});
