import { expect, test } from '@playwright/test';
import { waitForState } from './dashboardPage.ts';

/**
 * A long build says what it does: the status line names the part being built (of how many),
 * the kernels compiled and the bytes allocated of those planned, then the first evaluation,
 * rather than "Building the trainer…" alone. Every text the line shows is recorded from the
 * page's start by a MutationObserver.
 */

declare global {
  interface Window {
    statusLines?: string[];
  }
}

test('the status line follows the build part by part', async ({ page }) => {
  await page.addInitScript(() => {
    window.statusLines = [];
    document.addEventListener('DOMContentLoaded', () => {
      const line = document.getElementById('run-message');
      if (!line) return;
      new MutationObserver(() => window.statusLines?.push(line.textContent ?? '')).observe(line, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
  });
  await page.goto('/?est=sparse&dim=1000&B=16&points=32&width=32');
  await waitForState(page, 'idle');
  const lines = await page.evaluate(() => window.statusLines ?? []);

  const building = lines
    .map((line) =>
      /^Building the trainer, part (\d+) of (\d+) \(.+\): (\d+) kernels? compiled(, \d+ compiling)?; (.+) of (.+) allocated\.$/.exec(
        line,
      ),
    )
    .filter((match) => match !== null);
  expect(building.length, lines.join('\n')).toBeGreaterThan(1);
  const parts = building.map((match) => Number(match[1]));
  // Parts only move forward, and more than one was seen.
  expect(parts).toEqual([...parts].sort((a, b) => a - b));
  expect(new Set(parts).size).toBeGreaterThan(1);
  expect(Number(building[0][2])).toBeGreaterThan(3);
  expect(Math.max(...building.map((match) => Number(match[3])))).toBeGreaterThan(0);
  expect(lines).toContain('Scoring the untrained network on its 2000 test points…');
  expect(lines.at(-1)).toMatch(/^Ready/);
});
