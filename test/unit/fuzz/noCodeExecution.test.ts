/**
 * Nothing loaded is ever run as code: the source tree holds no eval, no Function constructor, no
 * string timers, and writes no HTML built from values (innerHTML and friends only with constant
 * strings; names and numbers go in through textContent). The one markup the page admits is
 * KaTeX's, built as DOM nodes by katex.render in src/ui/math.ts with the settings that trust
 * nothing; renderToString (KaTeX's HTML as a string, only of use to an HTML sink) is forbidden.
 * A grep over src/ after comments are removed; the detector is checked on snippets first so the
 * scan cannot pass by matching nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');

/** Every .ts/.js/.html file under `dir`. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(m?[jt]s|html)$/.test(entry.name) ? [path] : [];
  });
}

/** Block comments and line comments (not `//` inside a string such as a URL) removed. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[\s;{}(),])\/\/.*$/gm, '$1');
}

/** A whole constant string: '…', "…" or `…` without ${…}. */
const CONSTANT_STRING = /^\s*('[^'\\]*'|"[^"\\]*"|`[^`$\\]*`)\s*[;)]?\s*$/;

const ALWAYS_FORBIDDEN: [string, RegExp][] = [
  ['eval(', /\beval\s*\(/],
  ['new Function', /\bnew\s+Function\b/],
  ['Function(', /(^|[^\w$.])Function\s*\(/],
  ['string timer', /\bset(Timeout|Interval)\s*\(\s*['"`]/],
  ['javascript: URL', /javascript:/i],
  ['createContextualFragment', /\bcreateContextualFragment\b/],
  ['renderToString', /\brenderToString\b/],
];

/** Sinks that parse HTML: allowed only with a constant string. */
const HTML_SINKS: [string, RegExp][] = [
  ['innerHTML', /\.innerHTML\s*\+?=(?!=)(.*)$/],
  ['outerHTML', /\.outerHTML\s*\+?=(?!=)(.*)$/],
  ['insertAdjacentHTML', /\.insertAdjacentHTML\s*\([^,]*,(.*)$/],
  ['document.write', /\bdocument\.write(?:ln)?\s*\((.*)$/],
];

/** `file:line: what` for every use of a code-running or HTML-parsing sink in `source`. */
function findSinks(file: string, source: string): string[] {
  const found: string[] = [];
  withoutComments(source)
    .split('\n')
    .forEach((line, i) => {
      for (const [what, pattern] of ALWAYS_FORBIDDEN) {
        if (pattern.test(line)) found.push(`${file}:${i + 1}: ${what}: ${line.trim()}`);
      }
      for (const [what, pattern] of HTML_SINKS) {
        const match = pattern.exec(line);
        if (match && !CONSTANT_STRING.test(match[1])) {
          found.push(`${file}:${i + 1}: ${what} with a non-constant value: ${line.trim()}`);
        }
      }
    });
  return found;
}

describe('no code execution from loaded data', () => {
  it('the detector finds each sink and passes the harmless look-alikes', () => {
    const bad = [
      'eval(text);',
      'const f = new Function("a", body);',
      'const g = Function(body);',
      'window.eval (x)',
      "setTimeout('run()', 10);",
      'a.href = "javascript:alert(1)";',
      'el.innerHTML = name;',
      'el.innerHTML += `<b>${name}</b>`;',
      "el.outerHTML = '<p>' + text + '</p>';",
      "el.insertAdjacentHTML('beforeend', html);",
      'document.write(markup);',
      'range.createContextualFragment(html);',
      'el.append(katex.renderToString(tex));',
    ];
    for (const line of bad) expect(findSinks('x.ts', line).length, line).toBeGreaterThan(0);
    const harmless = [
      'evaluate(points);',
      'await evaluation.evaluate();',
      'myFunction(1);',
      'const isFunction = typeof x === "function";',
      "el.innerHTML = '';",
      'el.innerHTML = "<br>";',
      'el.textContent = name;',
      'if (el.innerHTML === "") return;',
      '// eval(text) is never called',
      '/* new Function(body) */',
      "const url = 'https://example.org'; // eval(",
      'setTimeout(() => run(), 10);',
      'katex.render(tex, target, { ...KATEX_OPTIONS, displayMode: true });',
    ];
    for (const line of harmless) expect(findSinks('x.ts', line), line).toEqual([]);
  });

  it('src/ uses none of them', () => {
    const files = sourceFiles(join(ROOT, 'src'));
    expect(files.length).toBeGreaterThan(50);
    const found = files.flatMap((path) =>
      findSinks(relative(ROOT, path), readFileSync(path, 'utf8')),
    );
    expect(found).toEqual([]);
  });

  it('KaTeX is called from src/ui/math.ts alone, every time with its settings', () => {
    const files = sourceFiles(join(ROOT, 'src')).map((path) => ({
      file: relative(ROOT, path),
      source: withoutComments(readFileSync(path, 'utf8')),
    }));
    // The library itself; the page entry loads only its CSS and the copy-tex listener.
    const importers = files.filter((f) => /from\s+['"]katex['"]/.test(f.source)).map((f) => f.file);
    expect(importers).toEqual([join('src', 'ui', 'math.ts')]);
    const math = files.find((f) => f.file === importers[0])?.source ?? '';
    const calls = math.match(/katex\.\w+\([^)]*\)/g) ?? [];
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call).toMatch(/^katex\.render\(.*\.\.\.KATEX_OPTIONS\b/);
    expect(math).toMatch(/KATEX_OPTIONS = \{[^}]*\btrust: false\b/);
  });
});
