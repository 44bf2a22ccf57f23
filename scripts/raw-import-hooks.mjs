// Node module hooks for `?raw` imports: the module's default export is the file's text.
import { readFile } from 'node:fs/promises';

const rawSuffix = '?raw';

export async function resolve(specifier, context, nextResolve) {
  if (!specifier.endsWith(rawSuffix)) return nextResolve(specifier, context);
  const base = new URL(specifier.slice(0, -rawSuffix.length), context.parentURL);
  return { url: `${base.href}${rawSuffix}`, shortCircuit: true };
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith(rawSuffix)) return nextLoad(url, context);
  const text = await readFile(new URL(url.slice(0, -rawSuffix.length)), 'utf8');
  return {
    format: 'module',
    source: `export default ${JSON.stringify(text)};`,
    shortCircuit: true,
  };
}
