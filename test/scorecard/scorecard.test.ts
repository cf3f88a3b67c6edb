/**
 * The pack passes the offline scorecard checks (scripts/scorecard.ts, what the Flow Library's
 * `node-red-dev validate` checks), and those checks fail where the Flow Library's would.
 */
import assert from 'node:assert/strict';
import { editorScripts, registeredTypes } from '../../scripts/node-definitions';
import { definitionProblems, packageChecks, scorecard } from '../../scripts/scorecard';

describe('Flow Library scorecard (offline checks)', () => {
  for (const check of scorecard()) {
    it(`${check.id}: ${check.title}`, () => assert.ok(check.pass, check.detail));
  }

  it('fails a package.json the Flow Library would mark down', () => {
    const checks = packageChecks(
      {
        name: 'node-red-memory',
        keywords: ['chat'],
        engines: { node: '>=23' },
        dependencies: Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((d) => [d, '1.0.0'])),
        'node-red': { version: '>=4.0.0 <5' },
      },
      '4.1.15',
    );
    assert.deepEqual(
      checks.filter((c) => c.pass).map((c) => c.id),
      [],
    );
  });

  it('reads only what is written literally in the editor definition', () => {
    const html = `<script type="text/html" data-template-name="t"></script>
<script type="text/javascript">
    var defaults = { name: { value: '' } };
    RED.nodes.registerType('t', { category: 'chat memory', color: pickColor(), defaults: defaults, inputs: 1, icon: 'a.svg' });
</script>`;
    assert.deepEqual(definitionProblems('t', editorScripts(html).flatMap((code) => registeredTypes(code, 'editor'))), [
      'defaults is not inline',
      'color is not inline',
      'outputs is missing',
    ]);
    const named = `<script type="text/javascript">var type = 't'; RED.nodes.registerType(type, {});</script>`;
    assert.deepEqual(definitionProblems('t', editorScripts(named).flatMap((code) => registeredTypes(code, 'editor'))), [
      "registerType names a non-literal type, expected 't'",
    ]);
  });
});
