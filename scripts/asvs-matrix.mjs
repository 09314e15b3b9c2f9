// Generates docs/asvs.md, the OWASP ASVS 5.0 Level 1 and 2 matrix, from docs/asvs/evidence.json.
// `node scripts/asvs-matrix.mjs` writes it; `--check` only says whether the file on disk is what
// the evidence generates (scripts/asvs-check.mjs runs that check in `npm test`).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..');
export const evidencePath = path.join(root, 'docs/asvs/evidence.json');
export const matrixPath = path.join(root, 'docs/asvs.md');

/**
 * How many Level 1 and Level 2 requirements each chapter of ASVS 5.0.0 has, counted from the
 * standard's own CSV export. The evidence must account for exactly these, so a requirement cannot
 * drop out of the matrix unnoticed.
 */
const chapters = {
  V1: { name: 'Encoding and Sanitization', l1: 8, l2: 19 },
  V2: { name: 'Validation and Business Logic', l1: 4, l2: 7 },
  V3: { name: 'Web Frontend Security', l1: 8, l2: 11 },
  V4: { name: 'API and Web Service', l1: 2, l2: 8 },
  V5: { name: 'File Handling', l1: 4, l2: 5 },
  V6: { name: 'Authentication', l1: 13, l2: 22 },
  V7: { name: 'Session Management', l1: 6, l2: 12 },
  V8: { name: 'Authorization', l1: 4, l2: 3 },
  V9: { name: 'Self-contained Tokens', l1: 4, l2: 3 },
  V10: { name: 'OAuth and OIDC', l1: 5, l2: 24 },
  V11: { name: 'Cryptography', l1: 3, l2: 11 },
  V12: { name: 'Secure Communication', l1: 3, l2: 6 },
  V13: { name: 'Configuration', l1: 1, l2: 12 },
  V14: { name: 'Data Protection', l1: 2, l2: 7 },
  V15: { name: 'Secure Coding and Architecture', l1: 3, l2: 10 },
  V16: { name: 'Security Logging and Error Handling', l1: 0, l2: 16 },
  V17: { name: 'WebRTC', l1: 0, l2: 7 },
};

export const statuses = ['proven', 'design', 'n/a', 'not-yet'];
const statusLabel = {
  proven: 'proven',
  design: 'by design',
  'n/a': 'n/a',
  'not-yet': 'not yet',
};

/** Reads and validates the evidence; throws with every problem found, one per line. */
export function loadEvidence(file = evidencePath) {
  const evidence = JSON.parse(readFileSync(file, 'utf8'));
  const problems = [];
  const counts = {};
  for (const [id, requirement] of Object.entries(evidence.requirements ?? {})) {
    const chapter = /^(V\d+)\.\d+\.\d+$/.exec(id)?.[1];
    if (chapter === undefined || !(chapter in chapters)) {
      problems.push(`${id}: not an ASVS 5.0 requirement id`);
      continue;
    }
    const { level, title, status, tests, reason } = requirement;
    if (level !== 1 && level !== 2) problems.push(`${id}: level must be 1 or 2`);
    if (typeof title !== 'string' || title === '') problems.push(`${id}: no title`);
    if (!statuses.includes(status)) {
      problems.push(`${id}: status must be one of ${statuses.join(', ')}`);
    } else if (status === 'proven') {
      if (!Array.isArray(tests) || tests.length === 0) problems.push(`${id}: proven without tests`);
      for (const test of tests ?? []) {
        if (typeof test.file !== 'string' || typeof test.name !== 'string' || test.name === '') {
          problems.push(`${id}: each test needs a file and a name`);
        } else if (!existsSync(path.join(root, test.file))) {
          problems.push(`${id}: ${test.file} does not exist`);
        }
      }
    } else {
      if (typeof reason !== 'string' || reason === '')
        problems.push(`${id}: ${status} needs a reason`);
      if (tests !== undefined) problems.push(`${id}: only proven requirements list tests`);
    }
    const key = `${chapter} L${level}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  for (const [chapter, { l1, l2 }] of Object.entries(chapters)) {
    for (const [level, expected] of [
      [1, l1],
      [2, l2],
    ]) {
      const found = counts[`${chapter} L${level}`] ?? 0;
      if (found !== expected) {
        problems.push(
          `${chapter}: ${found} Level ${level} requirements, ASVS 5.0.0 has ${expected}`,
        );
      }
    }
  }
  if (problems.length > 0) throw new Error(`docs/asvs/evidence.json:\n  ${problems.join('\n  ')}`);
  return evidence;
}

/** Counts by status for the requirements that pass `filter`. */
export function tally(evidence, filter = () => true) {
  const counts = Object.fromEntries(statuses.map((status) => [status, 0]));
  for (const [id, requirement] of Object.entries(evidence.requirements)) {
    if (filter(id, requirement)) counts[requirement.status] += 1;
  }
  return counts;
}

const chapterOf = (id) => id.split('.')[0];

/** Markdown-escapes prose, leaving `code spans` as they are. */
function prose(text) {
  return text
    .split(/(`[^`]*`)/)
    .map((part, index) =>
      index % 2 === 1
        ? part.replaceAll('|', '\\|')
        : part
            .replace(/[\\*_[\]|]/g, (character) => `\\${character}`)
            .replaceAll('<', '&lt;')
            .replaceAll('>', '&gt;'),
    )
    .join('');
}

/** A test name as a code span (names contain `<`, `_`, `*` and backticks). */
function codeSpan(text) {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence} ${text.replaceAll('|', '\\|')} ${fence}`;
}

function evidenceCell(requirement) {
  const parts = [];
  if (requirement.status === 'proven') {
    for (const test of requirement.tests) {
      const label = test.file.replace(/^(apps\/server\/test|apps\/web\/src|e2e)\//, '');
      parts.push(`[${prose(label)}](../${test.file}): ${codeSpan(test.name)}`);
    }
    if (requirement.note !== undefined) parts.push(prose(requirement.note));
  } else {
    parts.push(prose(requirement.reason));
  }
  return parts.join('<br>');
}

function countRow(label, counts, total) {
  return `| ${label} | ${total} | ${statuses.map((status) => counts[status]).join(' | ')} |`;
}

/** The whole of docs/asvs.md. */
export function renderMatrix(evidence) {
  const entries = Object.entries(evidence.requirements);
  const lines = [
    '# OWASP ASVS 5.0: Level 1 and Level 2 matrix',
    '',
    '<!-- Generated by scripts/asvs-matrix.mjs from docs/asvs/evidence.json. Edit that file, then run',
    '     `node scripts/asvs-matrix.mjs`; `npm test` fails when this file is stale. -->',
    '',
    'Every Level 1 and Level 2 requirement of the [OWASP Application Security Verification Standard',
    '5.0.0](https://github.com/OWASP/ASVS/tree/v5.0.0), with its status in Portcullis:',
    '',
    '- **proven**: the tests listed beside it exercise the requirement; `npm test` fails when one of',
    '  them is missing or fails, or none of them passed (`scripts/asvs-check.mjs` reads the vitest',
    '  JSON report; a test that needs PostgreSQL, Redis or nginx skips where they are missing, and',
    '  every requirement also names a test that runs everywhere);',
    '- **by design**: met by how the code or the deployment is built, for the reason given, with no',
    '  test of its own;',
    '- **n/a**: the feature the requirement governs does not exist here;',
    '- **not yet**: not met, and why.',
    '',
    'Requirement texts are abridged; read the standard for the full wording.',
    '',
    '## Summary',
    '',
    '| Level | Requirements | Proven | By design | N/A | Not yet |',
    '| --- | --: | --: | --: | --: | --: |',
  ];
  for (const level of [1, 2]) {
    const counts = tally(evidence, (_id, requirement) => requirement.level === level);
    const total = entries.filter(([, requirement]) => requirement.level === level).length;
    lines.push(countRow(`Level ${level}`, counts, total));
  }
  lines.push(countRow('Both', tally(evidence), entries.length));
  lines.push(
    '',
    '| Chapter | Requirements | Proven | By design | N/A | Not yet |',
    '| --- | --: | --: | --: | --: | --: |',
  );
  for (const [chapter, { name }] of Object.entries(chapters)) {
    const inChapter = (id) => chapterOf(id) === chapter;
    const total = entries.filter(([id]) => inChapter(id)).length;
    lines.push(
      countRow(
        `[${chapter} ${name}](#${chapter.toLowerCase()})`,
        tally(evidence, inChapter),
        total,
      ),
    );
  }
  const remaining = entries.filter(([, requirement]) => requirement.status === 'not-yet');
  lines.push('', '## Not yet', '');
  for (const [id, requirement] of remaining) {
    lines.push(
      `- **${id}** (L${requirement.level}) ${prose(requirement.title)}: ${prose(requirement.reason)}`,
    );
  }
  for (const [chapter, { name }] of Object.entries(chapters)) {
    lines.push(
      '',
      `<a id="${chapter.toLowerCase()}"></a>`,
      '',
      `## ${chapter} ${name}`,
      '',
      '| Id | Level | Requirement | Status | Evidence |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const [id, requirement] of entries.filter(([entryId]) => chapterOf(entryId) === chapter)) {
      lines.push(
        `| ${id} | L${requirement.level} | ${prose(requirement.title)} | ${statusLabel[requirement.status]} | ${evidenceCell(requirement)} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

if (import.meta.filename === path.resolve(process.argv[1] ?? '')) {
  const generated = renderMatrix(loadEvidence());
  if (process.argv.includes('--check')) {
    const current = existsSync(matrixPath) ? readFileSync(matrixPath, 'utf8') : '';
    if (current !== generated) {
      console.error('asvs: docs/asvs.md is stale; run `node scripts/asvs-matrix.mjs`');
      process.exit(1);
    }
    console.log('asvs: docs/asvs.md is up to date');
  } else {
    writeFileSync(matrixPath, generated);
    console.log('asvs: wrote docs/asvs.md');
  }
}
