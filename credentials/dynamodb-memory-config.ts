/**
 * Config node `dynamodb-memory-config`: one DynamoDB connection (region, endpoint, table,
 * credentials) shared by every memory node that names it. One SDK client per config node, made when
 * the flow starts and destroyed when it stops. Secrets live in Node-RED's credential store.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { ChatMemory } from '../lib/memory/chat-memory';
import { connect, type Authentication } from '../lib/memory/connection';
import { ensureTable } from '../lib/memory/table-setup';
import type { MemoryConfigNode } from '../lib/node-red/memory-config';

interface ConfigDef extends NodeDef {
  region: string;
  endpoint: string;
  table: string;
  authType: 'chain' | 'keys' | 'profile';
  profile: string;
  createTable: boolean;
  requestTimeoutMs: string | number;
  maxAttempts: string | number;
  ttlDays: string | number;
}

interface ConfigCredentials {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

const defaults = { region: 'us-east-1', table: 'chat-memory', requestTimeoutMs: 5000, maxAttempts: 3 };

/** A number typed in the editor; blank or nonsense falls back to the default. */
function positiveNumber(value: string | number | undefined, fallback: number | undefined): number | undefined {
  const n = Number(value);
  return value === '' || value === undefined || !Number.isFinite(n) || n <= 0 ? fallback : n;
}

function authentication(def: ConfigDef, credentials: ConfigCredentials): Authentication {
  if (def.authType === 'keys') {
    return {
      type: 'keys',
      accessKeyId: credentials.accessKeyId ?? '',
      secretAccessKey: credentials.secretAccessKey ?? '',
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    };
  }
  if (def.authType === 'profile' && def.profile) return { type: 'profile', profile: def.profile };
  return { type: 'chain' };
}

export = function register(RED: NodeAPI): void {
  function DynamoDBMemoryConfig(this: Node<ConfigCredentials>, def: ConfigDef) {
    RED.nodes.createNode(this, def);
    const node = this as unknown as MemoryConfigNode;
    const credentials: ConfigCredentials = this.credentials ?? {};
    const tableName = def.table || defaults.table;
    const region = def.region || defaults.region;
    node.place = { tableName, region, ...(def.endpoint ? { endpoint: def.endpoint } : {}) };
    const connection = connect({
      region,
      ...(def.endpoint ? { endpoint: def.endpoint } : {}),
      authentication: authentication(def, credentials),
      requestTimeoutMs: positiveNumber(def.requestTimeoutMs, defaults.requestTimeoutMs)!,
      maxAttempts: Math.round(positiveNumber(def.maxAttempts, defaults.maxAttempts)!),
    });
    const defaultTtlDays = positiveNumber(def.ttlDays, undefined);
    const memory = new ChatMemory({
      documents: connection.documents,
      tableName,
      ...(defaultTtlDays !== undefined ? { defaultTtlDays } : {}),
    });
    let ready: Promise<ChatMemory> | undefined;
    node.memory = () => {
      ready ??= (def.createTable ? ensureTable(connection.client, tableName) : Promise.resolve()).then(
        () => memory,
        (error: unknown) => {
          ready = undefined; // let the next message try again
          throw error;
        },
      );
      return ready;
    };
    node.on('close', (_removed: boolean, done: () => void) => {
      connection.client.destroy();
      done();
    });
  }

  RED.nodes.registerType<Node<ConfigCredentials>, ConfigDef, unknown, ConfigCredentials>('dynamodb-memory-config', DynamoDBMemoryConfig, {
    credentials: {
      accessKeyId: { type: 'text' },
      secretAccessKey: { type: 'password' },
      sessionToken: { type: 'password' },
    },
  });
};
