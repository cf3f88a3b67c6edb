/**
 * The config dialog's Test connection and Create table buttons: two admin endpoints that take the
 * values typed in the dialog, so they work before the connection is deployed. Like the buttons of
 * Node-RED's core nodes, they need the node type's write permission when adminAuth is set.
 *
 * A secret the dialog has not changed arrives as Node-RED's placeholder: the stored one is used.
 * No secret is ever written back in an answer or to the log.
 */
import type { Request, Response } from 'express';
import type { NodeAPI } from 'node-red';
import { explainAwsFailure } from '../memory/aws-failure';
import { connect } from '../memory/connection';
import { inspectTable, tableUsable, type TableCheck } from '../memory/table-check';
import { ensureTable } from '../memory/table-setup';
import { localizedFailure } from './failure-message';
import {
  connectionOptions,
  tableName as tableNameOf,
  type ConnectionCredentials,
  type ConnectionSettings,
} from './connection-settings';

const nodeType = 'dynamodb-memory-config';

/** What the editor shows in a password field whose value it never received. */
const storedPasswordPlaceholder = '__PWRD__';

const secretFields = ['secretAccessKey', 'sessionToken'] as const;

/** What the dialog renders. */
export interface ConnectionAnswer {
  ok: boolean;
  /** Create table only: whether it made the table or found it. */
  table?: 'created' | 'existed';
  checks: TableCheck[];
  message: string;
}

type DialogValues = ConnectionSettings & ConnectionCredentials & { id?: string };

function text(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/**
 * The stored credentials of a deployed connection. Only of this node type: any other node's
 * secrets must not be sent to an endpoint typed in this dialog.
 */
function storedCredentials(RED: NodeAPI, id: string | undefined): ConnectionCredentials | undefined {
  if (!id || RED.nodes.getNode(id)?.type !== nodeType) return undefined;
  return RED.nodes.getCredentials(id) as ConnectionCredentials | undefined;
}

/** The dialog's values, with the stored secret wherever the dialog holds the placeholder. */
function dialogValues(RED: NodeAPI, body: unknown): { settings: ConnectionSettings; credentials: ConnectionCredentials; secrets: string[] } {
  const raw = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const values: DialogValues = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, text(v)]));
  const credentials: ConnectionCredentials = { accessKeyId: values.accessKeyId };
  for (const field of secretFields) {
    const typed = values[field];
    credentials[field] = typed === storedPasswordPlaceholder ? storedCredentials(RED, values.id)?.[field] : typed;
  }
  return {
    settings: values,
    credentials,
    secrets: secretFields.map((f) => credentials[f]).filter((s): s is string => !!s),
  };
}

/**
 * A message with every secret masked, in case an error quoted one. Real secrets are long (40
 * characters and more); masking a toy one such as DynamoDB Local's "local" would garble the
 * endpoint `localhost` instead.
 */
function masked(message: string, secrets: string[]): string {
  return secrets.filter((secret) => secret.length >= 8).reduce((m, secret) => m.split(secret).join('****'), message);
}

function summary(tableName: string, checks: TableCheck[], created: boolean): string {
  const what = created ? `created table "${tableName}"` : `connected to table "${tableName}"`;
  if (!tableUsable(checks)) return `${what}, but this pack cannot use it: see the checks`;
  if (checks.some((c) => c.state === 'warn')) return `${what}: usable, with warnings`;
  return `${what}: ready for this pack`;
}

type Action = 'test-connection' | 'create-table';

async function answer(RED: NodeAPI, action: Action, body: unknown): Promise<ConnectionAnswer> {
  const { settings, credentials, secrets } = dialogValues(RED, body);
  const tableName = tableNameOf(settings);
  const options = connectionOptions(settings, credentials);
  const connection = connect(options);
  try {
    const table = action === 'create-table' ? await ensureTable(connection.client, tableName) : undefined;
    const checks = await inspectTable(connection.client, tableName);
    return { ok: tableUsable(checks), ...(table ? { table } : {}), checks, message: summary(tableName, checks, table === 'created') };
  } catch (error) {
    const explained = explainAwsFailure(error, {
      tableName,
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    });
    return { ok: false, checks: [], message: masked(localizedFailure(explained, RED._).message, secrets) };
  } finally {
    connection.client.destroy();
  }
}

/** Registers both endpoints; call once, when the config node's type is registered. */
export function registerConfigAdminEndpoints(RED: NodeAPI): void {
  const canWrite = RED.auth.needsPermission(`${nodeType}.write`);
  for (const action of ['test-connection', 'create-table'] as const) {
    RED.httpAdmin.post(`/${nodeType}/${action}`, canWrite, (req: Request, res: Response) => {
      answer(RED, action, req.body).then(
        (result) => res.json(result),
        // Only a bug gets here: answer() turns every DynamoDB failure into an answer.
        (error: unknown) => {
          RED.log.error(`${nodeType} ${action}: ${(error as Error)?.message}`);
          res.status(500).json({ ok: false, checks: [], message: 'internal error: see the Node-RED log' });
        },
      );
    });
  }
}
