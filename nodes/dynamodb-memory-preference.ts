/**
 * Node `dynamodb-memory-preference` ("preference"): gets, sets, merges or deletes a user's
 * preferences, or lists their change history. The msg contract is in the help text
 * (locales/en-US/dynamodb-memory-preference.html).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import {
  parsePreferenceHistoryRequest,
  parsePreferenceKeyRequest,
  parsePreferenceMergeRequest,
  parsePreferenceOperation,
  parsePreferenceSetRequest,
} from '../lib/schemas/preference-request';
import { handleMessages } from '../lib/node-red/input-handler';
import { connectionOf, evaluateUser, memoryFor, type MemoryNodeDef } from '../lib/node-red/memory-config';
import { withDefaults } from '../lib/node-red/node-defaults';
import { configuredNumber, definedFields, evaluateOptional, evaluateProperty } from '../lib/node-red/typed-property';

interface PreferenceDef extends MemoryNodeDef {
  operation: string;
  key: string;
  keyType: string;
  value: string;
  valueType: string;
  limit: string;
}

type PreferenceMsg = NodeMessage & { operation?: unknown; limit?: unknown; preferences?: unknown };

export = function register(RED: NodeAPI): void {
  function DynamoDBMemoryPreference(this: Node, deployed: PreferenceDef) {
    const def = withDefaults('dynamodb-memory-preference', deployed);
    RED.nodes.createNode(this, def);
    const limit = configuredNumber(def.limit);
    handleMessages(RED, this, RED._('dynamodb-memory-preference.status.working'), async (msg: PreferenceMsg) => {
      const operation = parsePreferenceOperation(msg.operation ?? def.operation);
      const [userId, key] = await Promise.all([
        evaluateUser(RED, this, msg, def),
        evaluateOptional(RED, this, msg, { value: def.key, type: def.keyType }),
      ]);
      const value = operation === 'set' || operation === 'merge'
        ? await evaluateProperty(RED, this, msg, { value: def.value, type: def.valueType })
        : undefined;
      // Every request is parsed before the connection is even looked up: bad input writes nothing.
      const preferences = () => memoryFor(RED, def.memory).then((memory) => memory.preferences);
      switch (operation) {
        case 'get': {
          const request = parsePreferenceKeyRequest(definedFields({ userId, key }));
          const result = await (await preferences()).get(request);
          msg.preferences = result.preferences;
          if (request.key === undefined) msg.payload = result.preferences;
          else if ('value' in result) msg.payload = result.value;
          else delete msg.payload;
          return RED._('dynamodb-memory-preference.status.got', { count: Object.keys(result.preferences).length });
        }
        case 'set': {
          const request = parsePreferenceSetRequest(definedFields({ userId, key, value }));
          msg.preferences = (await (await preferences()).set(request)).preferences;
          return RED._('dynamodb-memory-preference.status.set', { key: request.key });
        }
        case 'merge': {
          const request = parsePreferenceMergeRequest(definedFields({ userId, values: value }));
          const result = await (await preferences()).merge(request);
          msg.preferences = result.preferences;
          return RED._('dynamodb-memory-preference.status.merged', { count: result.changed });
        }
        case 'delete': {
          const request = parsePreferenceKeyRequest(definedFields({ userId, key }));
          const result = await (await preferences()).delete(request);
          msg.preferences = result.preferences;
          return RED._('dynamodb-memory-preference.status.deleted', { count: result.changed });
        }
        case 'history': {
          const request = parsePreferenceHistoryRequest(definedFields({ userId, key, limit: msg.limit ?? limit }));
          const result = await (await preferences()).history(request);
          msg.preferences = result.preferences;
          msg.payload = result.changes;
          return RED._('dynamodb-memory-preference.status.history', { count: result.changes.length });
        }
      }
    }, connectionOf(RED, def.memory));
  }
  RED.nodes.registerType('dynamodb-memory-preference', DynamoDBMemoryPreference);
};
