/**
 * Formulas on the page, typeset by KaTeX into their elements. katex.render builds DOM nodes
 * itself; this module is the only one that calls KaTeX, and nothing here writes HTML (the
 * no-code-execution scan holds it to that). The TeX source stays copyable: KaTeX's MathML keeps
 * it as an annotation, copy-tex (loaded by main.ts with KaTeX's CSS) makes a selected formula
 * copy as its TeX, and the element keeps it in data-tex.
 */
import katex from 'katex';
import { formatValue } from './teachingDom.ts';

/** One run of a sentence: plain text, or TeX between `$` signs. */
export interface MathSegment {
  readonly math: boolean;
  readonly text: string;
}

/**
 * `text` cut at its `$` signs: odd runs are TeX. An unpaired `$` is a bug in the sentence that
 * wrote it, said so (silently showing half a formula as text would hide it).
 */
export function splitMath(text: string): MathSegment[] {
  const runs = text.split('$');
  if (runs.length % 2 === 0) throw new Error(`unpaired $ in ${JSON.stringify(text)}`);
  return runs
    .map((run, index) => ({ math: index % 2 === 1, text: run }))
    .filter((segment) => segment.text !== '');
}

/**
 * The settings every formula is typeset with: a formula that does not parse throws (our TeX is
 * fixed text; an error is a bug to see, not to render in red), and no command that reaches out of
 * the formula (\href, \url, \includegraphics, \htmlClass, …) is trusted.
 */
export const KATEX_OPTIONS = { throwOnError: true, trust: false, strict: 'error' } as const;

/** `tex` typeset into `target`, replacing what it held; display style for formulas on their own. */
export function renderTex(target: HTMLElement, tex: string, display = false): void {
  katex.render(tex, target, { ...KATEX_OPTIONS, displayMode: display });
  target.dataset.tex = tex;
}

/** A sentence with `$…$` formulas into `target`: text as text nodes, each formula typeset. */
export function renderSentence(target: HTMLElement, text: string): void {
  target.replaceChildren();
  for (const segment of splitMath(text)) {
    if (!segment.math) {
      target.append(segment.text);
      continue;
    }
    const formula = document.createElement('span');
    renderTex(formula, segment.text);
    target.append(formula);
  }
}

/**
 * A number as TeX: formatValue's four significant digits without trailing zeros (a scale of 4 is
 * 4, not 4.000), its exponent as a power of ten.
 */
export function texNumber(value: number): string {
  if (Number.isNaN(value)) return String.raw`\text{NaN}`;
  if (!Number.isFinite(value)) return value > 0 ? String.raw`\infty` : String.raw`-\infty`;
  const [digits, exponent] = formatValue(value).split('e');
  const mantissa = String(Number(digits));
  return exponent === undefined
    ? mantissa
    : String.raw`${mantissa} \times 10^{${Number(exponent)}}`;
}

/** The label of `input` (from teachingDom's numberInput / selectInput) typeset as `text`. */
export function typesetLabel(input: HTMLInputElement | HTMLSelectElement, text: string): void {
  const label = input.labels?.[0];
  if (!label) throw new Error(`#${input.id} has no label`);
  renderSentence(label, text);
}
