/**
 * Classroom mode: a link with `hide=dim,lr,…` hides those controls (and optional parts of the
 * page), so a teacher can hand out a run where only the knobs of the lesson move. The hidden
 * controls keep the values the link gives them; the run and the URL are otherwise unchanged.
 */
import type { Hideable } from './urlState.ts';
import './pageGlobals.ts';

/** The elements behind each name a link may hide: a control's input(s), or a part of the page. */
const ELEMENTS: Record<Hideable, readonly string[]> = {
  pde: ['pde'],
  dim: ['dimension-slider', 'dimension', 'memory-estimate'],
  est: ['estimator'],
  B: ['jets-per-point'],
  collapsed: ['collapsed'],
  points: ['points'],
  width: ['width'],
  depth: ['depth'],
  act: ['activation'],
  gain: ['first-layer-gain', 'first-layer-gain-hint'],
  lr: ['learning-rate'],
  sched: ['schedule'],
  warmup: ['warmup-steps'],
  grad: ['gradient-estimator'],
  steps: ['steps'],
  seed: ['seed'],
  fields: ['field-views', 'field-scatter'],
  teaching: ['teaching'],
  export: ['export-model', 'export-safetensors', 'export-csv'],
  import: ['import-model', 'import-message'],
  // The race's lane editor: the race stays, fixed to the link's lanes.
  race: ['race-lanes'],
  rollback: ['rollback'],
};

const HIDDEN_CLASS = 'classroom-hidden';

function hide(element: Element): void {
  element.classList.add(HIDDEN_CLASS);
}

/** Hides what `hidden` names, with the labels and wrappers that would be left empty. */
export function applyClassroomMode(hidden: readonly Hideable[]): void {
  window.jetpinn.classroom = { hidden: [...hidden] };
  for (const name of hidden) {
    for (const id of ELEMENTS[name]) {
      const target = document.getElementById(id);
      if (!target) continue;
      hide(target);
      document.querySelectorAll(`label[for="${id}"]`).forEach(hide);
      // A checkbox inside its label, a slider and its number box side by side.
      const wrapper = target.closest('label, .slider-pair');
      if (wrapper) hide(wrapper);
    }
  }
  // A settings group with nothing left to set goes too.
  for (const fieldset of document.querySelectorAll('#options-form fieldset')) {
    const controls = fieldset.querySelectorAll('input, select');
    if ([...controls].every((control) => control.closest(`.${HIDDEN_CLASS}`))) hide(fieldset);
  }
  const note = document.getElementById('classroom-note');
  if (note) {
    note.textContent =
      hidden.length === 0
        ? ''
        : `Classroom mode: this link hides ${hidden.join(', ')}. ` +
          'Remove hide=… from the address to see every control.';
    note.hidden = hidden.length === 0;
  }
}
