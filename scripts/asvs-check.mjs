// Fails `npm test` when the ASVS matrix claims more than the tests show: a requirement marked
// `proven` in docs/asvs/evidence.json whose test is missing from the vitest JSON report (renamed,
// deleted) or did not pass, or a docs/asvs.md that is not what the evidence generates.
//
//   node scripts/asvs-check.mjs <vitest JSON report> [--partial]
//
// --partial: for a report of some projects only (`vitest run --project server --project web`):
// tests in files the report does not cover are listed as not run instead of failing.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadEvidence, matrixPath, renderMatrix, root, statuses, tally } from './asvs-matrix.mjs';

const args = process.argv.slice(2);
const partial = args.includes('--partial');
const reportPath = args.find((arg) => !arg.startsWith('--'));
if (reportPath === undefined) {
  console.error('usage: node scripts/asvs-check.mjs <vitest JSON report> [--partial]');
  process.exit(2);
}

const problems = [];
let evidence;
try {
  evidence = loadEvidence();
} catch (error) {
  console.error(`asvs: ${error.message}`);
  process.exit(1);
}

const current = existsSync(matrixPath) ? readFileSync(matrixPath, 'utf8') : '';
if (current !== renderMatrix(evidence)) {
  problems.push('docs/asvs.md is stale: run `node scripts/asvs-matrix.mjs` and commit the result');
}

// The README quotes the counts; they must be the evidence's.
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
for (const level of [1, 2]) {
  const inLevel = Object.values(evidence.requirements).filter((r) => r.level === level);
  const counts = tally(evidence, (_id, requirement) => requirement.level === level);
  const row = `| ${level} | ${inLevel.length} | ${statuses.map((status) => counts[status]).join(' | ')} |`;
  if (!readme.includes(row))
    problems.push(`README.md: the ASVS Level ${level} row should read ${row}`);
}

// The same test runs once per project that includes its file (the server's integration tests run
// on SQLite and again on PostgreSQL, where they are skipped without one): it must pass at least
// once and fail nowhere.
const report = JSON.parse(readFileSync(reportPath, 'utf8'));
const outcomes = new Map();
const filesInReport = new Set();
for (const fileResult of report.testResults ?? []) {
  const file = path.relative(root, fileResult.name).split(path.sep).join('/');
  filesInReport.add(file);
  for (const test of fileResult.assertionResults ?? []) {
    const key = `${file}\n${[...test.ancestorTitles, test.title].join(' > ')}`;
    outcomes.set(key, [...(outcomes.get(key) ?? []), test.status]);
  }
}

// A test skipped here (the PostgreSQL, Redis and nginx suites skip where those are not installed)
// proves nothing in this run, but the requirement stands if another of its tests passed; each
// proven requirement lists at least one test that runs everywhere.
let checked = 0;
const notRun = new Set();
const skipped = [];
for (const [id, requirement] of Object.entries(evidence.requirements)) {
  if (requirement.status !== 'proven') continue;
  let passed = 0;
  let ran = 0;
  for (const test of requirement.tests) {
    const results = outcomes.get(`${test.file}\n${test.name}`);
    if (results === undefined) {
      if (partial && !filesInReport.has(test.file)) {
        notRun.add(test.file);
      } else {
        ran += 1;
        problems.push(`${id}: no test "${test.name}" in ${test.file}`);
      }
      continue;
    }
    ran += 1;
    if (results.includes('failed')) {
      problems.push(`${id}: "${test.name}" (${test.file}) failed`);
    } else if (results.includes('passed')) {
      passed += 1;
    } else {
      skipped.push(`${id}: "${test.name}" (${test.file}) was ${results.join(', ')}`);
    }
  }
  checked += passed;
  if (ran > 0 && passed === 0) problems.push(`${id}: none of its tests passed in this run`);
}

if (problems.length > 0) {
  console.error(`asvs: ${problems.length} problem(s) with the ASVS matrix:`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
const proven = Object.values(evidence.requirements).filter((r) => r.status === 'proven').length;
console.log(
  `asvs: ${proven} proven requirements, ${checked} test references passed; docs/asvs.md is up to date`,
);
for (const line of skipped) console.log(`asvs: skipped here, not counted: ${line}`);
if (notRun.size > 0)
  console.log(`asvs: not in this report (--partial): ${[...notRun].sort().join(', ')}`);
