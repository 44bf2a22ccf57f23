/**
 * DOM and number helpers of the teaching panels, which build their elements in code: text goes
 * in through textContent only, never as HTML.
 */

/** A new `tag` element at the end of `parent`, with `text` as its text. */
export function append<K extends keyof HTMLElementTagNameMap>(
  parent: HTMLElement,
  tag: K,
  text?: string,
): HTMLElementTagNameMap[K] {
  const child = document.createElement(tag);
  if (text !== undefined) child.textContent = text;
  parent.append(child);
  return child;
}

/** A labelled integer input in min..max. */
export function numberInput(
  parent: HTMLElement,
  id: string,
  label: string,
  min: number,
  max: number,
): HTMLInputElement {
  const labelElement = append(parent, 'label', label);
  const input = append(parent, 'input');
  input.id = id;
  input.type = 'number';
  input.min = String(min);
  input.max = String(max);
  input.step = '1';
  labelElement.htmlFor = id;
  return input;
}

/** Four significant digits; exponent form for very large and very small magnitudes. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const size = Math.abs(value);
  return size >= 1e4 || size < 1e-3 ? value.toExponential(3) : value.toPrecision(4);
}

/** An error's message for a status line. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A labelled select of (value, text) options. */
export function selectInput(
  parent: HTMLElement,
  id: string,
  label: string,
  options: readonly (readonly [value: string, text: string])[],
): HTMLSelectElement {
  const labelElement = append(parent, 'label', label);
  const select = append(parent, 'select');
  select.id = id;
  labelElement.htmlFor = id;
  for (const [value, text] of options) append(select, 'option', text).value = value;
  return select;
}

/** A teaching panel's frame: a closed <details> with its title, a controls row and a status line. */
export function teachingPanel(
  parent: HTMLElement,
  id: string,
  title: string,
): { element: HTMLDetailsElement; controls: HTMLDivElement; message: HTMLParagraphElement } {
  const element = append(parent, 'details');
  element.id = id;
  element.className = 'teaching-panel';
  append(element, 'summary', title);
  const controls = append(element, 'div');
  controls.className = 'teaching-controls';
  const message = append(element, 'p');
  message.id = `${id}-message`;
  message.className = 'hint';
  message.setAttribute('role', 'status');
  return { element, controls, message };
}

/**
 * `task` made safe to call at any time: a call while it runs does not start a second run but
 * one more after it, so the last settings asked for are always the ones drawn.
 */
export function coalesced(task: () => Promise<void>): () => Promise<void> {
  let running = false;
  let again = false;
  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await task();
    } finally {
      running = false;
    }
    if (again) {
      again = false;
      await run();
    }
  };
  return run;
}
