/** What counts as plain JSON: object literals of any realm, not class instances. */
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { jsonSafetyProblem } from '../../lib/schemas/json-safety';

/** The problem of a class instance at path. */
function instance(path: string, className: string) {
  return { text: 'input.json-class', values: { path, className } };
}

describe('plain JSON check', () => {
  it('takes objects built in another vm context, as a Node-RED function node builds them', () => {
    const fromFunctionNode = runInNewContext('({ name: "Ana", nested: { genres: ["jazz"] }, empty: {} })') as object;
    assert.notEqual(Object.getPrototypeOf(fromFunctionNode), Object.prototype);
    assert.equal(jsonSafetyProblem(fromFunctionNode), undefined);
    assert.equal(jsonSafetyProblem(Object.create(null)), undefined);
  });

  it('still refuses class instances, Dates and Buffers, of this realm or another', () => {
    class Thing {
      a = 1;
    }
    assert.deepEqual(jsonSafetyProblem({ x: new Thing() }), instance('x', 'Thing'));
    assert.deepEqual(jsonSafetyProblem({ x: new Date() }), instance('x', 'Date'));
    assert.deepEqual(jsonSafetyProblem({ x: Buffer.from('a') }), instance('x', 'Buffer'));
    assert.deepEqual(jsonSafetyProblem(runInNewContext('({ when: new Date(0) })') as object), instance('when', 'Date'));
    assert.deepEqual(jsonSafetyProblem(runInNewContext('class T {}; ({ t: new T() })') as object), instance('t', 'T'));
  });

  it('refuses numbers the document client will not marshal (beyond Number.MAX_SAFE_INTEGER), not only non-finite ones', () => {
    assert.equal(jsonSafetyProblem({ n: Number.MAX_SAFE_INTEGER, f: 1e-130 }), undefined);
    assert.deepEqual(jsonSafetyProblem({ n: 2 ** 64 }), { text: 'input.json-number', values: { path: 'n', number: '18446744073709552000' } });
    assert.deepEqual(jsonSafetyProblem([-1e100]), { text: 'input.json-number', values: { path: '[0]', number: '-1e+100' } });
  });

  it('takes values nested 31 levels, the most DynamoDB stores in an attribute (the item is its first level)', () => {
    const nested = (levels: number) => Array.from({ length: levels - 1 }).reduce<unknown>((inner) => ({ inner }), {});
    assert.equal(jsonSafetyProblem(nested(31)), undefined);
    assert.deepEqual(jsonSafetyProblem(nested(32)), { text: 'input.json-depth', values: { path: 'inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner.inner', maxDepth: 31 } });
  });
});
