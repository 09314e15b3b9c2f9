// Turns measurements into the Markdown tables printed to stdout and written to docs/benchmarks.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export const RESULTS_START = '<!-- bench:results:start -->';
export const RESULTS_END = '<!-- bench:results:end -->';

const dash = '—';

export function formatRate(value) {
  return value === undefined || value === null ? dash : Math.round(value).toLocaleString('en-US');
}

export function formatMs(value) {
  if (value === undefined || value === null) return dash;
  return `${value >= 100 ? Math.round(value) : Number(value.toFixed(1))} ms`;
}

export function formatPercent(ratio) {
  return ratio === undefined || ratio === null ? dash : `${Math.round(ratio * 100)}%`;
}

function formatMet(met) {
  if (met === null || met === undefined) return 'n/a';
  return met ? 'yes' : '**no**';
}

function table(header, rows) {
  const escape = (cell) => String(cell).replaceAll('|', '\\|');
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 || i === header.length - 1 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

/** Rows carry display strings (`cells`) next to the raw numbers that go to the JSON. */
export function scenarioTable(rows) {
  return table(
    ['Scenario', 'req/s', 'p50', 'p99', 'Floor req/s', 'Ratio', 'Target', 'Met?', 'Notes'],
    rows.map((row) => [
      row.scenario,
      row.cells?.reqPerSec ?? formatRate(row.reqPerSec),
      row.cells?.p50 ?? formatMs(row.p50),
      row.cells?.p99 ?? formatMs(row.p99),
      row.cells?.floor ?? formatRate(row.floorReqPerSec),
      formatPercent(row.ratio),
      row.target ?? dash,
      formatMet(row.met),
      row.notes ?? '',
    ]),
  );
}

export function layerTable(layers) {
  return table(
    [
      'Layer (what the request goes through)',
      'req/s',
      'p50',
      'p99',
      '% of floor',
      'Server CPU µs/req',
      'Δ µs',
    ],
    layers.map((layer, i) => [
      layer.label,
      formatRate(layer.reqPerSec),
      formatMs(layer.p50),
      formatMs(layer.p99),
      formatPercent(layer.ratio),
      formatRate(layer.cpuUsPerReq),
      i === 0 || layer.deltaUs === undefined
        ? dash
        : `${layer.deltaUs >= 0 ? '+' : ''}${Math.round(layer.deltaUs)}`,
    ]),
  );
}

export function machineLines(machine) {
  return [
    `- Date: ${machine.date}; commit ${machine.commit}`,
    `- CPU: ${machine.cpuModel}, ${machine.cores} cores; ${machine.memoryGiB} GiB RAM; ${machine.os}`,
    `- Node ${machine.node}; load average at start ${machine.loadStart}, at end ${machine.loadEnd ?? dash} (other processes share this machine)`,
    `- Load generator: ${machine.generator ?? 'autocannon'}`,
    `- Initial JS (gzip): ${machine.initialJsGzip ?? 'not measured (apps/web/dist missing)'}`,
    `- Mode: ${machine.mode}; ${machine.rounds} interleaved round(s) of ${machine.durationSec} s per target, medians reported`,
  ];
}

export function renderResults(results) {
  const parts = [
    '### Machine',
    '',
    ...machineLines(results.machine),
    '',
    '### Scenarios',
    '',
    scenarioTable(results.rows),
  ];
  if (results.warnings?.length > 0) {
    parts.push('', '**Load generator saturated** (these figures may be its limit):', '');
    parts.push(...results.warnings.map((warning) => `- ${warning}`));
  }
  const startup = results.extra?.startupBreakdown;
  if (startup !== undefined) {
    parts.push(
      '',
      `Start-up breakdown (medians): Node itself ${formatMs(startup.nodeBootMs)}, loading the server's module graph (the ${startup.importedModules} modules server.js imports, not run) ${formatMs(startup.moduleGraphMs)}, the rest (config, SQLite, migrations check, plugins, listen, first probe) ${formatMs(startup.restMs)}.`,
    );
  }
  if (results.layers.length > 0) {
    parts.push('', '### Per-layer breakdown (authenticated profile read, 32 connections)', '');
    parts.push(layerTable(results.layers));
  }
  return parts.join('\n');
}

const docsSkeleton = `# Benchmarks

Run with \`npm run bench\` (\`-- --write\` updates the results below, \`-- --soak\` adds a bounded soak,
\`npm run bench:smoke\` is the short check the test command runs).

${RESULTS_START}
${RESULTS_END}
`;

/** Replaces only the generated block, so the hand-written analysis around it survives a re-run. */
export function writeDocs(file, results) {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : docsSkeleton;
  const start = current.indexOf(RESULTS_START);
  const end = current.indexOf(RESULTS_END);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`${file}: the ${RESULTS_START} … ${RESULTS_END} markers are missing`);
  }
  const block = `${RESULTS_START}\n\n${renderResults(results)}\n\n${RESULTS_END}`;
  writeFileSync(
    file,
    current.slice(0, start) + block + current.slice(end + RESULTS_END.length),
    'utf8',
  );
}
