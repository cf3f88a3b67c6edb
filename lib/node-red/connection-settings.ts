/**
 * How the config node's settings (as typed in its dialog) become a DynamoDB connection. The deployed
 * config node and the dialog's Test connection / Create table buttons read them the same way, so a
 * button tests exactly the connection a deploy would make.
 */
import type { Authentication, ConnectionOptions } from '../memory/connection';
import { defaultValues } from './node-defaults';

/** The connection settings of a config node, as the editor stores them (numbers may be strings). */
export interface ConnectionSettings {
  region?: string;
  endpoint?: string;
  table?: string;
  authType?: string;
  profile?: string;
  requestTimeoutMs?: string | number;
  maxAttempts?: string | number;
}

/** The config node's credentials (Node-RED's credential store). */
export interface ConnectionCredentials {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

/** A blank field of the dialog means the field's default, as a property the flow leaves out does. */
const defaults = defaultValues('dynamodb-memory-config');

/** A number typed in the editor; blank or nonsense falls back to the default. */
export function positiveNumber(value: string | number | undefined, fallback: number | undefined): number | undefined {
  const n = Number(value);
  return value === '' || value === undefined || !Number.isFinite(n) || n <= 0 ? fallback : n;
}

export function tableName(settings: ConnectionSettings): string {
  return settings.table || defaults.table;
}

function authentication(settings: ConnectionSettings, credentials: ConnectionCredentials): Authentication {
  if (settings.authType === 'keys') {
    return {
      type: 'keys',
      accessKeyId: credentials.accessKeyId ?? '',
      secretAccessKey: credentials.secretAccessKey ?? '',
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    };
  }
  if (settings.authType === 'profile' && settings.profile) return { type: 'profile', profile: settings.profile };
  return { type: 'chain' };
}

export function connectionOptions(settings: ConnectionSettings, credentials: ConnectionCredentials): ConnectionOptions {
  return {
    region: settings.region || defaults.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    authentication: authentication(settings, credentials),
    requestTimeoutMs: positiveNumber(settings.requestTimeoutMs, Number(defaults.requestTimeoutMs))!,
    maxAttempts: Math.round(positiveNumber(settings.maxAttempts, Number(defaults.maxAttempts))!),
  };
}
