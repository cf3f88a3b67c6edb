/**
 * What working memory (`ChatMemory.working`) accepts: a scope (a session's, or a namespace flows
 * share by name; never a user's: a scratchpad belongs to one conversation or one task) and, per
 * operation, the request. Types come from the schemas; use the `parse…` functions on input you do
 * not control.
 */
import * as field from './fields';
import { importance, limit, recordId, scopeProperties, text } from './memory-request';
import { parser, type FromSchema } from './validator';

export const workingOperations = ['add', 'get', 'remove', 'list', 'step', 'steps', 'clear'] as const;
export type WorkingOperation = (typeof workingOperations)[number];

const workingOperationSchema = {
  type: 'object',
  required: ['operation'],
  properties: { operation: { type: 'string', enum: workingOperations, errorText: 'input.one-of' } },
} as const;

export const workingScopes = ['session', 'named'] as const;
export type WorkingScopeKind = (typeof workingScopes)[number];

/** Which entry goes when an add would pass the capacity: lowest importance, least recently used, or oldest. */
export const evictionPolicies = ['importance', 'lru', 'oldest'] as const;
export type EvictionPolicy = (typeof evictionPolicies)[number];

const workingScopeProperties = {
  ...scopeProperties,
  scope: { type: 'string', enum: workingScopes, errorText: 'input.one-of' },
} as const;

/** The capacity of a node whose setting is blank (the palette's default). */
export const defaultCapacity = 20;

/** Seconds an entry or step lives (a scratchpad's lifetime is minutes or hours, not days). */
const ttlSeconds = { type: 'integer', minimum: 1, maximum: 3153600000, errorText: 'input.whole-number' } as const;

export const addWorkingRequestSchema = {
  type: 'object',
  required: ['scope', 'text', 'capacity'],
  additionalProperties: false,
  properties: {
    ...workingScopeProperties,
    text,
    /** 1 (trivia) to 10; 5 when not given. */
    importance,
    metadata: field.metadata,
    ttlSeconds,
    /** How many live entries the scope holds at most (the node's setting). */
    capacity: { type: 'integer', minimum: 1, maximum: 1000, errorText: 'input.whole-number' },
    /** Which entry goes when the scope is full (default `importance`). */
    policy: { type: 'string', enum: evictionPolicies, errorText: 'input.one-of' },
  },
} as const;

export const workingIdRequestSchema = {
  type: 'object',
  required: ['scope', 'id'],
  additionalProperties: false,
  properties: { ...workingScopeProperties, id: recordId },
} as const;

export const listWorkingRequestSchema = {
  type: 'object',
  required: ['scope'],
  additionalProperties: false,
  properties: {
    ...workingScopeProperties,
    /** `newest` (default): newest first; a policy: the order that policy keeps them in, the next to go last. */
    order: { type: 'string', enum: ['newest', ...evictionPolicies], errorText: 'input.one-of' },
    limit,
  },
} as const;

export const addStepRequestSchema = {
  type: 'object',
  required: ['scope', 'text'],
  additionalProperties: false,
  properties: { ...workingScopeProperties, text, metadata: field.metadata, ttlSeconds },
} as const;

export const workingScopeRequestSchema = {
  type: 'object',
  required: ['scope'],
  additionalProperties: false,
  properties: { ...workingScopeProperties, limit },
} as const;

export type AddWorkingRequest = FromSchema<typeof addWorkingRequestSchema>;
export type WorkingIdRequest = FromSchema<typeof workingIdRequestSchema>;
export type ListWorkingRequest = FromSchema<typeof listWorkingRequestSchema>;
export type AddStepRequest = FromSchema<typeof addStepRequestSchema>;
export type WorkingScopeRequest = FromSchema<typeof workingScopeRequestSchema>;

export const parseAddWorkingRequest = parser(addWorkingRequestSchema);
export const parseWorkingIdRequest = parser(workingIdRequestSchema);
export const parseListWorkingRequest = parser(listWorkingRequestSchema);
export const parseAddStepRequest = parser(addStepRequestSchema);
export const parseWorkingScopeRequest = parser(workingScopeRequestSchema);

const parseOperation = parser(workingOperationSchema);

/** The operation, or a MemoryInputError naming `operation`. */
export function parseWorkingOperation(operation: unknown): WorkingOperation {
  return parseOperation(operation === undefined ? {} : { operation }).operation as WorkingOperation;
}
