/** `npm run deploy:generate`: writes deploy/ from the table layout and the list of permissions. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deployFiles } from './deploy/files';

const root = join(__dirname, '..', '..');

for (const [path, text] of Object.entries(deployFiles())) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
  console.log(`wrote ${path}`);
}
