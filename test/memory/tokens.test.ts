/** Token counts stay exact on prose and take linear time on text without spaces. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countTokens, truncateToTokens } from '../../lib/memory/tokens';

describe('tokens', () => {
  it('a 400 KB word (no spaces) is counted in under 5 s, not minutes (BPE is quadratic in a word)', () => {
    const word = 'é'.repeat(400_000);
    const started = Date.now();
    assert.equal(countTokens(word), 400_000);
    assert.equal(countTokens(truncateToTokens(word, 1000)), 1000);
    assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
  });

  it('long prose is counted exactly as the tokenizer counts it in one piece', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const whole = require('gpt-tokenizer/encoding/o200k_base') as { countTokens(text: string): number };
    const text = readFileSync(join(__dirname, '../../../docs/data-model.md'), 'utf8');
    assert.ok(text.length > 10_000);
    assert.equal(countTokens(text), whole.countTokens(text));
  });
});
