import path from 'node:path';
import { BaseSequencer } from 'vitest/node';
import { defineConfig, mergeConfig } from 'vitest/config';
import server from './apps/server/vitest.config.ts';

/**
 * Stryker stops a mutant's run at the first failing test, so the order of the files sets the cost
 * of every mutant it kills. Vitest runs the slowest files first (right for a full run on many
 * workers); here the file that failed last run goes first (it is likely to kill the next mutant of
 * the same code), then the fastest.
 */
class FailFastSequencer extends BaseSequencer {
  /** @param {import('vitest/node').TestSpecification[]} files */
  sort(files) {
    const { cache, config } = this.ctx;
    const state = (/** @type {import('vitest/node').TestSpecification} */ spec) => {
      const key = `${spec.project.name}:${path.relative(config.root, spec.moduleId)}`;
      const result = cache.getFileTestResults(key);
      return {
        failed: result?.failed === true,
        // Files not run yet are ordered by size, a proxy for their duration.
        cost: result?.duration ?? cache.getFileStats(key)?.size ?? Number.MAX_SAFE_INTEGER,
      };
    };
    return Promise.resolve(
      files
        .map((spec) => ({ spec, ...state(spec) }))
        .sort((a, b) => Number(b.failed) - Number(a.failed) || a.cost - b.cost)
        .map(({ spec }) => spec),
    );
  }
}

/**
 * The 'server' project as `npm run mutate` runs it (see stryker.config.mjs): the same tests, with
 * time limits for instrumented code on a busy machine (Stryker runs two test runners side by side,
 * so a test that takes 2 s under `npm test` can take several times that), and failing files first.
 */
export default mergeConfig(
  server,
  defineConfig({
    test: {
      root: path.join(import.meta.dirname, 'apps/server'),
      testTimeout: 60_000,
      hookTimeout: 120_000,
      sequence: { sequencer: FailFastSequencer },
    },
  }),
);
