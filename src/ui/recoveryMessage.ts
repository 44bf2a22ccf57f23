/**
 * The page's account of device losses it recovered from: training went on, so this is news, not
 * an error. Text only.
 */
import type { Recovery } from '../train/resilientTrainer.ts';

export function recoveryText(recoveries: readonly Recovery[]): string {
  const last = recoveries.at(-1);
  if (!last) return '';
  const earlier = recoveries.length > 1 ? ` (${recoveries.length} losses so far)` : '';
  return (
    `GPU device lost at step ${last.lostAtStep}; recovered from the snapshot at step ` +
    `${last.resumedFromStep} on a new device and training continues${earlier}. ` +
    `Reason: ${last.reason}.`
  );
}

export function showRecoveries(paragraph: HTMLParagraphElement, recoveries: readonly Recovery[]) {
  const text = recoveryText(recoveries);
  paragraph.textContent = text;
  paragraph.hidden = text === '';
}
