/**
 * Instants as requests give them (an ISO 8601 string or epoch milliseconds: fields.ts `instant`)
 * and as items store them: normalised ISO strings, so that times compare as strings in DynamoDB.
 */
import { MemoryInputError } from '../errors/input-errors';

export function epochMs(instant: string | number): number {
  return typeof instant === 'number' ? instant : Date.parse(instant);
}

export function iso(instant: string | number): string {
  const date = new Date(instant);
  if (Number.isNaN(date.getTime())) throw new MemoryInputError('input.not-a-time', { instant });
  return date.toISOString();
}
