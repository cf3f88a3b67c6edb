/**
 * Node-RED's registry looks for a node's .html, its locales/ and icons/ only beside its .js, so the
 * build copies them next to the compiled files.
 */
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const dist = join(root, 'dist');

for (const folder of ['nodes', 'credentials']) {
  for (const file of readdirSync(join(root, folder)).filter((f) => f.endsWith('.html'))) {
    cpSync(join(root, folder, file), join(dist, folder, file));
  }
  for (const assets of ['locales', 'icons']) {
    cpSync(join(root, assets), join(dist, folder, assets), { recursive: true });
  }
}
