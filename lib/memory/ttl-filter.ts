/**
 * The one read filter for time-to-live. DynamoDB deletes an expired item only some time after its
 * `expiresAt` (typically within days; DynamoDB Local never), so every read that must not show
 * expired items filters them out itself. A filter is applied after the read: expired items are
 * still read and billed.
 */
import { attribute } from './table-layout';

export function notExpired(nowMs: number) {
  return {
    FilterExpression: 'attribute_not_exists(#expiresAt) OR #expiresAt > :now',
    ExpressionAttributeNames: { '#expiresAt': attribute.expiresAt },
    ExpressionAttributeValues: { ':now': Math.floor(nowMs / 1000) },
  };
}
