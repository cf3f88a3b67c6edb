/**
 * lib/schemas and lib/errors sit below the memory core: the core validates with the schemas and
 * throws the errors, so a run-time import back into lib/memory would be a cycle. Type-only imports
 * leave no require in the compiled code, so they may stay.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const lib = resolve(__dirname, '..', '..', 'lib');

describe('layers of lib/', () => {
  for (const folder of ['schemas', 'errors']) {
    it(`lib/${folder} requires nothing of lib/memory at run time`, () => {
      const modules = readdirSync(join(lib, folder)).filter((file) => file.endsWith('.js'));
      assert.ok(modules.length >= 3, modules.join());
      for (const file of modules) {
        const code = readFileSync(join(lib, folder, file), 'utf8');
        assert.doesNotMatch(code, /require\(["']\.\.\/memory\//, `dist/lib/${folder}/${file}`);
      }
    });
  }
});
