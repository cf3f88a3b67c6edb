/**
 * Node-RED's registry looks for a node's .html, its locales/ and icons/ only beside its .js, so the
 * build copies them next to the compiled files. On the way each .html gets its node's `defaults`
 * from lib/node-red/node-defaults.ts, the copy the runtime uses too, written out as a literal: the
 * Flow Library reads a definition without running it. The editor helpers several files share
 * (nodes/editor-helpers.js) go in the same way, each file getting those its placeholder names.
 */
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeDefaults, type DefaultProperty, type NodeType } from '../lib/node-red/node-defaults';

const root = join(__dirname, '..', '..');
const dist = join(root, 'dist');
/** Where an editor file's `defaults` go; nothing else in it may stand for them. */
const placeholder = /^( *)defaults: \{\/\* lib\/node-red\/node-defaults\.ts \*\/\},$/gm;

function literal(properties: Record<string, DefaultProperty>, indent: string): string {
  const entries = Object.entries(properties).map(([name, { value, required, type, validate }]) => {
    const fields = [
      `value: ${JSON.stringify(value)}`,
      ...(type === undefined ? [] : [`type: ${JSON.stringify(type)}`]),
      ...(required === undefined ? [] : [`required: ${required}`]),
      ...(validate === undefined ? [] : [`validate: ${validate}`]),
    ];
    return `${indent}    ${name}: { ${fields.join(', ')} }`;
  });
  return `${indent}defaults: {\n${entries.join(',\n')}\n${indent}},`;
}

/** Where an editor file's shared helpers go, and which: `/* nodes/editor-helpers.js: idTypes, blankOrWhole *\/`. */
const helpersPlaceholder = /^( *)\/\* nodes\/editor-helpers\.js: ([\w, ]+) \*\/$/gm;

/** The helpers by name: each top-level declaration of editor-helpers.js, with the comment above it. */
const editorHelpers = new Map(
  readFileSync(join(root, 'nodes', 'editor-helpers.js'), 'utf8')
    .split(/\n\n+/)
    .flatMap((block) => {
      const name = /^(?:var|function) (\w+)/m.exec(block)?.[1];
      return name === undefined ? [] : [[name, block.trimEnd()] as const];
    }),
);

function withHelpers(html: string, file: string): string {
  return html.replace(helpersPlaceholder, (_line, indent: string, names: string) =>
    names.split(/,\s*/).map((name) => {
      const helper = editorHelpers.get(name);
      if (helper === undefined) throw new Error(`${file}: no helper ${name} in nodes/editor-helpers.js`);
      return helper.split('\n').map((line) => (line === '' ? line : indent + line)).join('\n');
    }).join('\n\n'),
  );
}

function withDefaults(html: string, type: string, file: string): string {
  const properties: Record<string, DefaultProperty> | undefined = nodeDefaults[type as NodeType];
  const places = html.match(placeholder)?.length ?? 0;
  if (!properties || places !== 1) {
    throw new Error(`${file}: ${properties ? `${places} defaults placeholders, expected 1` : `no defaults for ${type} in lib/node-red/node-defaults.ts`}`);
  }
  return html.replace(placeholder, (_line, indent: string) => literal(properties, indent));
}

for (const folder of ['nodes', 'credentials']) {
  for (const file of readdirSync(join(root, folder)).filter((f) => f.endsWith('.html'))) {
    const html = readFileSync(join(root, folder, file), 'utf8');
    writeFileSync(join(dist, folder, file), withHelpers(withDefaults(html, file.replace(/\.html$/, ''), join(folder, file)), join(folder, file)));
  }
  for (const assets of ['locales', 'icons']) {
    cpSync(join(root, assets), join(dist, folder, assets), { recursive: true });
  }
}
