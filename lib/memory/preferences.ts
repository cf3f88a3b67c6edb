/**
 * A user's preferences: one item per key (`USER#<userId>` / `PREF#<key>`), so writers of different
 * keys never meet, and an audit entry (`USER#<userId>` / `PREFLOG#<ulid>`) for every change, written
 * in the same transaction as the change. No Node-RED in here; requests are typed by
 * ../schemas/preference-request (use its `parse…` functions on input you do not control).
 *
 * A change reads the key's item, then writes it with a condition on the version it read (or on its
 * absence), together with the audit entry. When another writer changed the key in between, the
 * condition fails, nothing is written, and the change is read and tried again with backoff.
 */
import {
  GetCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type {
  PreferenceHistoryRequest,
  PreferenceKeyRequest,
  PreferenceMergeRequest,
  PreferenceSetRequest,
} from '../schemas/preference-request';
import { MemoryInputError } from '../errors/input-errors';
import { itemBytes, maxItemBytes } from './item-size';
import { nextItemUlid } from './message-ids';
import { queryPages } from './query-pages';
import { assertNotForgotten, readAsUser } from './session-owner';
import type { TableHandle } from './table-handle';
import { inParallel } from './in-parallel';
import { backoff, maxRetries } from './retry';
import { attribute, key, prefix } from './table-layout';
import { transactionCancellation } from './transaction-cancellation';

export interface PreferencesOptions {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** The clock, for tests. */
  now?: () => number;
}

/** A user's current preferences: key → value. */
export type PreferenceValues = Record<string, unknown>;

/** One audit entry, as `history` hands it out. */
export interface PreferenceChange {
  key: string;
  /** The value before the change; absent when the key was new (or see oldValueOmitted). */
  oldValue?: unknown;
  /** The value after the change; absent when the key was deleted. */
  newValue?: unknown;
  /** ISO 8601. */
  changedAt: string;
  /**
   * Set when old and new value together did not fit one 400 KB item: the old value is then left
   * out of this entry (it is the newValue of the key's previous entry).
   */
  oldValueOmitted?: true;
}

export interface PreferenceResult {
  /** The user's preferences after the operation. */
  preferences: PreferenceValues;
}

export interface GetResult extends PreferenceResult {
  /** The requested key's value; undefined when it is not set (or no key was asked for). */
  value?: unknown;
}

export interface ChangeResult extends PreferenceResult {
  /** Keys changed (set, merged or deleted). */
  changed: number;
}

export interface HistoryResult extends PreferenceResult {
  /** Audit entries, newest first. */
  changes: PreferenceChange[];
}

const defaultHistoryLimit = 20;
/** Keys of one merge or delete-all written at the same time (each in its own transaction). */
const keysInFlight = 4;
/** A version number as large as any stored one, for measuring an item before it is written. */
const widestVersion = Number.MAX_SAFE_INTEGER;

type Item = Record<string, unknown>;

export class Preferences {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => number;

  constructor(options: PreferencesOptions) {
    this.documents = options.documents;
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
  }

  /** All of the user's preferences, and the value of `key` when one is given. One Query. */
  async get(request: PreferenceKeyRequest): Promise<GetResult> {
    const preferences = await this.current(request.userId);
    if (request.key === undefined || !Object.hasOwn(preferences, request.key)) return { preferences };
    return { preferences, value: preferences[request.key] };
  }

  /** Sets one key to a value (any JSON), with an audit entry. */
  async set(request: PreferenceSetRequest): Promise<ChangeResult> {
    this.assertFits(request.userId, request.key, request.value);
    await this.change(request.userId, request.key, { value: request.value });
    // change() has just checked that the user is not being forgotten.
    return { preferences: await this.stored(request.userId), changed: 1 };
  }

  /**
   * Sets each key of `values` on its own (one transaction per key, a few at a time): keys stay
   * independent of each other and of other writers. Every value is measured before any is written.
   */
  async merge(request: PreferenceMergeRequest): Promise<ChangeResult> {
    const entries = Object.entries(request.values as Record<string, unknown>);
    for (const [k, value] of entries) this.assertFits(request.userId, k, value);
    await inParallel(entries, keysInFlight, ([k, value]) => this.change(request.userId, k, { value }));
    return { preferences: await this.stored(request.userId), changed: entries.length };
  }

  /** Deletes one key, or every key of the user, each with an audit entry. */
  async delete(request: PreferenceKeyRequest): Promise<ChangeResult> {
    const keys = request.key === undefined ? Object.keys(await this.current(request.userId)) : [request.key];
    let changed = 0;
    await inParallel(keys, keysInFlight, async (k) => {
      if (await this.change(request.userId, k, undefined)) changed++;
    });
    return { preferences: await this.current(request.userId), changed };
  }

  /**
   * The newest `limit` audit entries, newest first; of one key when `key` is given (a filter: the
   * entries of other keys are read and skipped).
   */
  async history(request: PreferenceHistoryRequest): Promise<HistoryResult> {
    const limit = request.limit ?? defaultHistoryLimit;
    const changes: PreferenceChange[] = [];
    const pages = queryPages(this.documents, {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ...(request.key === undefined ? {} : { FilterExpression: '#key = :key' }),
      ExpressionAttributeNames: {
        '#pk': attribute.partitionKey,
        '#sk': attribute.sortKey,
        ...(request.key === undefined ? {} : { '#key': 'key' }),
      },
      ExpressionAttributeValues: {
        ':pk': key.userPartition(request.userId),
        ':prefix': prefix.preferenceChange,
        ...(request.key === undefined ? {} : { ':key': request.key }),
      },
      ScanIndexForward: false,
      ConsistentRead: true,
      Limit: request.key === undefined ? limit : Math.max(limit, 100),
    });
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        if (changes.length < limit) changes.push(changeFromItem(item));
      }
      if (changes.length >= limit) break;
    }
    return { preferences: await this.current(request.userId), changes };
  }

  /** The user's preferences: one Query of the `PREF#` items (paginated). */
  private current(userId: string): Promise<PreferenceValues> {
    return readAsUser(this.table(), userId, () => this.stored(userId));
  }

  private table(): TableHandle {
    return { documents: this.documents, tableName: this.tableName, now: this.now };
  }

  private async stored(userId: string): Promise<PreferenceValues> {
    const entries: Array<[string, unknown]> = [];
    const pages = queryPages(this.documents, {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ProjectionExpression: '#sk, #value',
      ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#sk': attribute.sortKey, '#value': 'value' },
      ExpressionAttributeValues: { ':pk': key.userPartition(userId), ':prefix': prefix.preference },
      ConsistentRead: true,
    });
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        entries.push([String(item[attribute.sortKey]).slice(prefix.preference.length), item['value']]);
      }
    }
    // fromEntries defines own properties: no key, however named, can reach the prototype.
    return Object.fromEntries(entries);
  }

  private preferenceItem(userId: string, preferenceKey: string, value: unknown, version: number, updatedAt: string): Item {
    return { ...key.preference(userId, preferenceKey), kind: 'preference', userId, key: preferenceKey, value, version, updatedAt };
  }

  private auditEntry(
    userId: string,
    preferenceKey: string,
    ulid: string,
    old: { value: unknown } | undefined,
    next: { value: unknown } | undefined,
    version: number,
    changedAt: string,
  ): Item {
    const entry: Item = {
      ...key.preferenceChange(userId, ulid),
      kind: 'preference-change',
      userId,
      key: preferenceKey,
      ...(old ? { oldValue: old.value } : {}),
      ...(next ? { newValue: next.value } : {}),
      version,
      changedAt,
    };
    if (old && itemBytes(entry) > maxItemBytes) {
      delete entry['oldValue'];
      entry['oldValueOmitted'] = true;
    }
    return entry;
  }

  /**
   * Refuses, before anything is written, a value whose item, or audit entry (without the old
   * value), would not fit 400 KB.
   */
  private assertFits(userId: string, preferenceKey: string, value: unknown): void {
    const at = new Date(0).toISOString();
    const bytes = Math.max(
      itemBytes(this.preferenceItem(userId, preferenceKey, value, widestVersion, at)),
      itemBytes({ ...this.auditEntry(userId, preferenceKey, '0'.repeat(26), undefined, { value }, widestVersion, at), oldValueOmitted: true }),
    );
    if (bytes > maxItemBytes) {
      throw new MemoryInputError('input.preference-too-large', { key: preferenceKey, size: (bytes / 1024).toFixed(1) });
    }
  }

  /**
   * Sets (`next` given) or deletes (`next` undefined) one key, atomically with its audit entry,
   * retrying when another writer changed the key between the read and the write. Resolves to
   * whether anything was written (deleting a key that is not set writes nothing).
   */
  private async change(userId: string, preferenceKey: string, next: { value: unknown } | undefined): Promise<boolean> {
    const itemKey = key.preference(userId, preferenceKey);
    for (let attempt = 0; ; attempt++) {
      const [{ Item: current }] = await Promise.all([
        this.documents.send(new GetCommand({ TableName: this.tableName, Key: itemKey, ConsistentRead: true })),
        assertNotForgotten(this.table(), userId),
      ]);
      if (!current && !next) return false;
      // The entry's ULID is made after the read, so a change that saw another's result sorts after it.
      const nowMs = this.now();
      const changedAt = new Date(nowMs).toISOString();
      // An item without a number version (not written by this pack) is matched by that absence.
      const stored = typeof current?.['version'] === 'number' ? (current['version'] as number) : undefined;
      const version = stored ?? 0;
      const condition: { ConditionExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues?: Item } =
        !current
          ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': attribute.partitionKey } }
          : stored === undefined
            ? { ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#version)', ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#version': 'version' } }
            : { ConditionExpression: '#version = :version', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': stored } };
      const write = next
        ? { Put: { TableName: this.tableName, Item: this.preferenceItem(userId, preferenceKey, next.value, version + 1, changedAt), ...condition } }
        : { Delete: { TableName: this.tableName, Key: itemKey, ...condition } };
      const old = current ? { value: current['value'] } : undefined;
      const audit = this.auditEntry(userId, preferenceKey, nextItemUlid(nowMs), old, next, version + 1, changedAt);
      try {
        await this.documents.send(
          new TransactWriteCommand({ TransactItems: [write, { Put: { TableName: this.tableName, Item: audit } }] }),
        );
        return true;
      } catch (error) {
        const cancelled = transactionCancellation(error);
        if (!cancelled || attempt >= maxRetries) throw error;
        // A failed condition means someone else was quicker: read again and retry.
        if (!cancelled.transient && !cancelled.codes.includes('ConditionalCheckFailed')) throw error;
        await backoff(attempt);
      }
    }
  }
}

function changeFromItem(item: Item): PreferenceChange {
  return {
    key: String(item['key']),
    ...('oldValue' in item ? { oldValue: item['oldValue'] } : {}),
    ...('newValue' in item ? { newValue: item['newValue'] } : {}),
    changedAt: String(item['changedAt']),
    ...(item['oldValueOmitted'] === true ? { oldValueOmitted: true as const } : {}),
  };
}
