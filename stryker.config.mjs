// Mutation testing (`npm run mutate`, see docs/mutation.md): does the server's test suite fail
// when a defence is broken? Scoped to the security plugins and the auth module, where a surviving
// mutant means an attack the tests would not notice. Not part of `npm test`: it is slow.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: ['apps/server/src/plugins/**/*.ts', 'apps/server/src/modules/auth/**/*.ts'],
  testRunner: 'vitest',
  vitest: {
    // Only the 'server' project (not e2e: a browser; not 'server-postgres': the same tests again),
    // with longer time limits for instrumented code.
    configFile: 'stryker.vitest.config.mjs',
  },
  // The in-process tests. The process, fault and multi-instance suites run the built server in a
  // child process (or need PostgreSQL and Redis), which Stryker's instrumented sources never
  // reach: they would only slow the dry run, or fail it for want of a build.
  // Stryker's vitest runner uses worker threads, where process.umask() throws: the data-directory
  // permission test sets the umask, and guards no mutated file.
  testFiles: [
    'apps/server/test/unit/**/*.test.ts',
    'apps/server/test/integration/**/!(data-dir-permissions).test.ts',
  ],
  // Each mutant runs only the tests that executed its code; without this a run takes days.
  coverageAnalysis: 'perTest',
  // Static mutants (code run while the app is built, in the test files' beforeAll: plugin
  // registration, header and cookie constants) are covered by no single test, so each one reruns
  // every related test file: on 2 cores they are half the mutants and about 90% of the time. The
  // vitest runner also reported false survivors among them (edits the tests do catch), so they
  // are skipped; docs/mutation.md lists the hand-made edits that check the constants instead.
  ignoreStatic: true,
  concurrency: 2,
  // Integration tests hash passwords and open databases; a busy 2-core machine needs the slack.
  timeoutMS: 30_000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 30,
  // Reuses the last run's result for every mutant whose code and tests did not change
  // (reports/stryker-incremental.json); `npm run mutate -- --force` runs everything again.
  incremental: true,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  // A surviving mutant fails nothing by itself; docs/mutation.md records the score and why each
  // survivor left is equivalent.
  thresholds: { high: 90, low: 85, break: null },
};
