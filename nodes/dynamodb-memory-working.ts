/**
 * Node `dynamodb-memory-working` ("working memory"): a scratchpad for multi-step reasoning in a
 * session's scope or a named namespace, with a capacity and an eviction policy set in the node, a
 * TTL, and an ordered reasoning chain (lib/memory/working-memory.ts). The operation comes from the
 * node or msg.operation. The msg contract is in the help text (locales/en-US/dynamodb-memory-working.html).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import {
  defaultCapacity,
  parseAddStepRequest,
  parseAddWorkingRequest,
  parseListWorkingRequest,
  parseWorkingIdRequest,
  parseWorkingOperation,
  parseWorkingScopeRequest,
} from '../lib/schemas/working-request';
import { handleMessages, type WorkResult } from '../lib/node-red/input-handler';
import { connectionOf, evaluateUser, memoryFor, type MemoryNodeDef } from '../lib/node-red/memory-config';
import { withDefaults } from '../lib/node-red/node-defaults';
import { configuredNumber, definedFields, evaluateOptional } from '../lib/node-red/typed-property';

interface WorkingDef extends MemoryNodeDef {
  operation: string;
  scope: string;
  sessionId: string;
  sessionIdType: string;
  namespace: string;
  capacity: string;
  policy: string;
  ttlSeconds: string;
}

type WorkingMsg = NodeMessage & { operation?: unknown; workingId?: unknown; importance?: unknown; metadata?: unknown; order?: unknown; limit?: unknown; working?: unknown };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An entry or step as msg.payload gives it: a text, or `{text, importance?, metadata?}`; msg.importance and msg.metadata as well. */
function textFields(msg: WorkingMsg, names: string[]): Record<string, unknown> {
  const given = isObject(msg.payload) ? msg.payload : { text: msg.payload };
  return Object.fromEntries(names.map((name) => [name, given[name] ?? (msg as Record<string, unknown>)[name]]));
}

export = function register(RED: NodeAPI): void {
  function DynamoDBMemoryWorking(this: Node, deployed: WorkingDef) {
    const def = withDefaults('dynamodb-memory-working', deployed);
    RED.nodes.createNode(this, def);
    const configured = { capacity: configuredNumber(def.capacity), ttlSeconds: configuredNumber(def.ttlSeconds) };
    handleMessages(RED, this, RED._('dynamodb-memory-working.status.working'), async (msg: WorkingMsg): Promise<WorkResult> => {
      const operation = parseWorkingOperation(msg.operation ?? def.operation);
      const [userId, sessionId] = await Promise.all([
        def.scope === 'session' ? evaluateUser(RED, this, msg, def) : undefined,
        def.scope === 'session' ? evaluateOptional(RED, this, msg, { value: def.sessionId, type: def.sessionIdType }) : undefined,
      ]);
      const scope = definedFields({ scope: def.scope, userId, sessionId, namespace: def.scope === 'named' && def.namespace !== '' ? def.namespace : undefined });
      // Every request is parsed before the connection is even looked up: bad input writes nothing.
      const working = () => memoryFor(RED, def.memory).then((memory) => memory.working);
      const id = () => msg.workingId ?? (isObject(msg.payload) ? msg.payload['id'] : undefined);
      switch (operation) {
        case 'add': {
          const request = parseAddWorkingRequest(
            definedFields({ ...scope, ...textFields(msg, ['text', 'importance', 'metadata']), capacity: configured.capacity ?? defaultCapacity, policy: def.policy, ttlSeconds: configured.ttlSeconds }),
          );
          const { entry, ...how } = await (await working()).add(request);
          msg.payload = entry;
          msg.working = how;
          return RED._(how.stored ? 'dynamodb-memory-working.status.added' : 'dynamodb-memory-working.status.notStored', { count: how.evicted.length });
        }
        case 'get':
        case 'remove': {
          const request = parseWorkingIdRequest(definedFields({ ...scope, id: id() }));
          msg.payload = operation === 'get' ? await (await working()).get(request) : await (await working()).remove(request);
          return RED._(operation === 'get' ? 'dynamodb-memory-working.status.get' : 'dynamodb-memory-working.status.remove');
        }
        case 'list': {
          const request = parseListWorkingRequest(definedFields({ ...scope, order: msg.order, limit: msg.limit }));
          const entries = await (await working()).list(request);
          msg.payload = entries;
          return RED._('dynamodb-memory-working.status.listed', { count: entries.length });
        }
        case 'step': {
          const request = parseAddStepRequest(definedFields({ ...scope, ...textFields(msg, ['text', 'metadata']), ttlSeconds: configured.ttlSeconds }));
          msg.payload = await (await working()).addStep(request);
          return RED._('dynamodb-memory-working.status.step');
        }
        case 'steps': {
          const request = parseWorkingScopeRequest(definedFields({ ...scope, limit: msg.limit }));
          const steps = await (await working()).steps(request);
          msg.payload = steps;
          return RED._('dynamodb-memory-working.status.steps', { count: steps.length });
        }
        case 'clear': {
          const request = parseWorkingScopeRequest(scope);
          msg.payload = await (await working()).clear(request);
          return RED._('dynamodb-memory-working.status.cleared');
        }
      }
    }, connectionOf(RED, def.memory));
  }
  RED.nodes.registerType('dynamodb-memory-working', DynamoDBMemoryWorking);
};
