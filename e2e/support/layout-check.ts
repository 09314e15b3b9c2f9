import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

const widths = [
  { label: '390', size: { width: 390, height: 844 } },
  { label: '1280', size: { width: 1280, height: 900 } },
] as const;

/**
 * Checks the page as it is now on a phone (390 px) and on a desktop (1280 px): nothing may make
 * the page scroll sideways. With E2E_SCREENSHOTS_DIR set, a full-page screenshot of each width is
 * written there, to be looked at by a person (they are not compared with anything).
 */
export async function checkAtBothWidths(page: Page, name: string): Promise<void> {
  const original = page.viewportSize();
  const directory = process.env.E2E_SCREENSHOTS_DIR;
  if (directory !== undefined) mkdirSync(directory, { recursive: true });
  for (const { label, size } of widths) {
    await page.setViewportSize(size);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow, `${name} scrolls sideways at ${label} px`).toBeLessThanOrEqual(0);
    if (directory !== undefined) {
      await page.screenshot({ path: path.join(directory, `${name}-${label}.png`), fullPage: true });
    }
  }
  if (original !== null) await page.setViewportSize(original);
}
