// Portcullis benchmark: the production server build, every defence on, against floors measured in
// the same run on the same machine. See docs/benchmarks.md for the method and the latest figures.
//
//   node bench/run.mjs            full run (about 8 minutes on 2 cores)
//   node bench/run.mjs --smoke    about 30 s: one short round per scenario, small seeds; fails only
//                                 when a scenario got errors or unexpected statuses, never on speed
//   node bench/run.mjs --write    also rewrites the generated block of docs/benchmarks.md
//   node bench/run.mjs --soak     also runs a bounded soak (default 300 s, --soak-seconds=N)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ApiClient, cookieNames } from './api-client.mjs';
import {
  cpuTimeMs,
  fixedLoadGenerator,
  freePort,
  installExitHandlers,
  killAllChildren,
  preferGenerator,
  repoRoot,
  rssMiB,
  runLoad,
  serverEntry,
  sleep,
  startFloor,
  startServer,
  stopProcess,
} from './processes.mjs';
import { formatMs, formatRate, renderResults, writeDocs } from './report.mjs';
import { ensureWrk, wrkThreads } from './wrk.mjs';
import { countRows, mintAccessTokens, seedBulk, writeLines } from './seed-database.mjs';

const { values: flags } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    soak: { type: 'boolean', default: false },
    'soak-seconds': { type: 'string', default: '300' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    only: { type: 'string' },
    // wrk when installed (the bench installs it as root on Debian), else autocannon.
    generator: { type: 'string', default: 'wrk' },
  },
});
preferGenerator(flags.generator);
// The smoke run (part of the test command) never installs anything; .ci/run provides wrk there.
if (!flags.smoke && flags.generator === 'wrk') ensureWrk();

const PHASES = ['profile', 'notes', 'storm', 'layers', 'growth', 'startup', 'https'];
const only = flags.only === undefined ? undefined : new Set(flags.only.split(','));
for (const phase of only ?? []) {
  if (!PHASES.includes(phase))
    throw new Error(`--only: ${phase} is not one of ${PHASES.join(', ')}`);
}

const smoke = flags.smoke;
const settings = {
  rounds: Number(flags.rounds ?? (smoke ? 1 : 3)),
  durationSec: Number(flags.duration ?? (smoke ? 1 : 5)),
  warmupSec: smoke ? 0 : 1,
  layerDurationSec: 3,
  layers: !smoke,
  growth: !smoke,
  startupBreakdown: !smoke,
  startupRuns: smoke ? 1 : 5,
  connections: 32,
  // The storm's readers: enough connections to keep the server's one event loop busy, few enough
  // that their latency shows the server's delay rather than a 32-deep queue in the client.
  readerConnections: 8,
  smallNotes: 100,
  bigNotes: 100_000,
  bigSessions: 100_000,
  bigUsers: 1_000,
  soakSec: Math.min(3600, Math.max(30, Number(flags['soak-seconds']))),
};
if (!Number.isInteger(settings.rounds) || settings.rounds < 1) throw new Error('--rounds: >= 1');
if (!(settings.durationSec > 0)) throw new Error('--duration: seconds > 0');

const PUBLIC_ORIGIN = 'https://localhost';
const PASSWORD = 'quartz-Secret-horse-42-xyz';
const WRONG_PASSWORD = 'bench-Wrong-horse-42-xyz';
const NOTE_BODY = JSON.stringify({
  title: 'Bench note',
  body: 'Written by the load generator to measure the create path.',
});

installExitHandlers();
const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'portcullis-bench-'));
process.on('exit', () => rmSync(tmpRoot, { recursive: true, force: true }));

const rows = [];
const layers = [];
const checks = [];
const warnings = [];
const extra = {};

const median = (values) => {
  const sorted = values.filter((v) => typeof v === 'number').sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function log(message) {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * Records whether a load run got only the statuses it should have. This, not speed, is what
 * fails the smoke run: a bench whose requests all bounce with 403 would measure nothing.
 */
function check(label, summary, allowed = ['200']) {
  const codes = Object.keys(summary.statusCodes);
  const unexpected = codes.filter((code) => !allowed.includes(code));
  const okCount = codes
    .filter((code) => allowed.includes(code))
    .reduce((sum, code) => sum + summary.statusCodes[code], 0);
  const ok = unexpected.length === 0 && summary.errors === 0 && okCount > 0;
  checks.push({
    label,
    ok,
    statusCodes: summary.statusCodes,
    errors: summary.errors,
    timeouts: summary.timeouts,
  });
  if (!ok) {
    log(
      `CHECK FAILED ${label}: statuses ${JSON.stringify(summary.statusCodes)}, errors ${summary.errors}`,
    );
  }
}

function warnIfGeneratorSaturated(label, summary) {
  const load = generatorLoad(summary);
  if (load === undefined || load < GENERATOR_SATURATED) return;
  const message = `${label}: the load generator (${summary.generator}) was ${Math.round(load * 100)}% busy, so this figure may be its limit rather than the server's`;
  warnings.push(message);
  log(`WARNING ${message}`);
}

function serverEnv(dataDir, port, overrides = {}) {
  return {
    DATA_DIR: dataDir,
    TRUST_PROXY: '127.0.0.1',
    PORT: String(port),
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
    LOG_FILE: path.join(dataDir, 'access.log'),
    // The general limiter stays on (its cost is part of every figure); only its ceiling is raised.
    RATE_LIMIT_MAX: '10000000',
    // The load generator keeps sending on a connection the server has asked to close (it ignores
    // `Connection: close`), so the per-socket request bound would turn into Node's own 503s; a
    // browser reconnects. Raised to the ceiling, as the rate limit is.
    MAX_REQUESTS_PER_SOCKET: '1000000',
    PUBLIC_ORIGIN,
    ...overrides,
  };
}

function newDataDir(name) {
  const dir = path.join(tmpRoot, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** One load run; with `pid`, also the CPU time that process spent per completed request. */
async function measure(job, pid) {
  const before = pid === undefined ? undefined : cpuTimeMs(pid);
  const summary = await runLoad(job);
  const after = pid === undefined ? undefined : cpuTimeMs(pid);
  if (before !== undefined && after !== undefined && summary.completed > 0) {
    summary.serverCpuUsPerReq = ((after - before) * 1000) / summary.completed;
  }
  return summary;
}

/**
 * Runs each target once per round, targets interleaved (floor, app, floor, app ...), so a burst of
 * load from elsewhere on the machine hits both sides alike. Medians over the rounds.
 */
async function interleaved(
  targets,
  { rounds = settings.rounds, durationSec = settings.durationSec } = {},
) {
  if (settings.warmupSec > 0) {
    for (const target of targets) {
      await runLoad({
        ...target.job,
        duration: settings.warmupSec,
        title: `${target.key} warm-up`,
      });
    }
  }
  const runs = Object.fromEntries(targets.map((target) => [target.key, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (const target of targets) {
      const summary = await measure(
        { ...target.job, duration: durationSec, title: target.key },
        target.pid,
      );
      check(`${target.key} (round ${round + 1})`, summary, target.allowed);
      warnIfGeneratorSaturated(`${target.key} (round ${round + 1})`, summary);
      runs[target.key].push(summary);
    }
  }
  return Object.fromEntries(targets.map((target) => [target.key, summarizeRuns(runs[target.key])]));
}

/**
 * The share of its threads' time the generator was busy. Near 100%, it was sending as fast as it
 * could, so the figure is the generator's limit, not the server's: warned about, never hidden.
 */
function generatorLoad(run) {
  if (run.generatorCpuMs === undefined || !(run.durationSec > 0)) return undefined;
  return run.generatorCpuMs / (run.durationSec * 1000 * (run.generatorThreads ?? 1));
}

const GENERATOR_SATURATED = 0.9;

function summarizeRuns(runs) {
  const statusCodes = {};
  for (const run of runs) {
    for (const [code, count] of Object.entries(run.statusCodes)) {
      statusCodes[code] = (statusCodes[code] ?? 0) + count;
    }
  }
  return {
    reqPerSec: median(runs.map((run) => run.reqPerSec)),
    p50: median(runs.map((run) => run.latencyMs.p50)),
    p99: median(runs.map((run) => run.latencyMs.p99)),
    cpuUsPerReq: median(runs.map((run) => run.serverCpuUsPerReq)),
    generator: runs[0]?.generator,
    generatorLoad: median(runs.map(generatorLoad)),
    statusCodes,
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    runs,
  };
}

function scenarioRow({ id, scenario, app, floor, target, meets, notes }) {
  const ratio = floor?.reqPerSec ? app.reqPerSec / floor.reqPerSec : undefined;
  const cpu =
    app.cpuUsPerReq === undefined
      ? undefined
      : `server CPU ${Math.round(app.cpuUsPerReq)} µs/req` +
        (floor?.cpuUsPerReq === undefined ? '' : ` (floor ${Math.round(floor.cpuUsPerReq)})`);
  const generator =
    floor?.generatorLoad === undefined
      ? undefined
      : `${floor.generator} ${Math.round(floor.generatorLoad * 100)}% busy on the floor`;
  const row = {
    id,
    scenario,
    reqPerSec: app.reqPerSec,
    p50: app.p50,
    p99: app.p99,
    floorReqPerSec: floor?.reqPerSec,
    ratio,
    target,
    met: meets === undefined ? null : meets({ ratio, p99: app.p99, reqPerSec: app.reqPerSec }),
    notes: [cpu, generator, notes].filter(Boolean).join('; '),
    cpuUsPerReq: app.cpuUsPerReq,
    floorCpuUsPerReq: floor?.cpuUsPerReq,
    statusCodes: app.statusCodes,
  };
  rows.push(row);
  return row;
}

function machineInfo() {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot })
      .toString()
      .trim();
  } catch {
    // Not a git checkout: the date alone identifies the run.
  }
  return {
    date: new Date().toISOString(),
    commit,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadStart: os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(' '),
    loadEnd: undefined,
    initialJsGzip: initialJsGzip(),
    generator: fixedLoadGenerator().startsWith('wrk')
      ? `${fixedLoadGenerator()} (${wrkThreads(settings.connections)} thread(s)) for fixed requests; autocannon for the login storm and token rotation`
      : `${fixedLoadGenerator()} (one process) for every job`,
    mode: smoke ? 'smoke' : 'full',
    rounds: settings.rounds,
    durationSec: settings.durationSec,
  };
}

/** The last line of scripts/bundle-budget.mjs, when the web app has been built. */
function initialJsGzip() {
  if (!existsSync(path.join(repoRoot, 'apps/web/dist/index.html'))) return undefined;
  try {
    const output = execFileSync(process.execPath, ['scripts/bundle-budget.mjs'], {
      cwd: repoRoot,
      timeout: 30_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
    const last = output.trim().split('\n').at(-1) ?? '';
    const match = /initial JavaScript ([\d.]+ KiB) of ([\d.]+ KiB)/.exec(last);
    return match ? `${match[1]} (budget ${match[2]})` : last;
  } catch (error) {
    return `bundle-budget failed: ${String(error.stdout ?? error.message)
      .trim()
      .split('\n')
      .at(-1)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Scenarios 1–3 and the per-layer breakdown: one server over plain HTTP, as behind a TLS proxy.

function wanted(phase) {
  if (only !== undefined) return only.has(phase);
  if (phase === 'layers') return settings.layers;
  if (phase === 'growth') return settings.growth;
  return true;
}

async function httpScenarios({ server, floor, user, dataDir, floorBody }) {
  const readHeaders = user.loadHeaders();
  const writeHeaders = user.loadHeaders({ unsafe: true });
  const floorJob = (overrides = {}) => ({
    origin: floor.origin,
    path: '/api/profile',
    connections: settings.connections,
    ...overrides,
  });
  const profileJob = (overrides = {}) => ({
    origin: server.origin,
    path: '/api/profile',
    headers: readHeaders,
    connections: settings.connections,
    ...overrides,
  });

  if (wanted('profile')) {
    log('scenario 1: authenticated GET /api/profile');
    await profileScenario({ server, floor, floorJob, profileJob });
  }
  if (wanted('notes')) {
    log('scenario 2: POST /api/notes with CSRF token and Origin');
    await createNoteScenario({ server, floor, floorJob, profileJob, writeHeaders });
  }
  if (wanted('storm')) {
    log('scenario 3: login storm against authenticated reads');
    await loginStorm(server, readHeaders);
  }
  if (wanted('layers')) {
    log('per-layer breakdown');
    await layerBreakdown({ server, dataDir, floor, user, profileBody: floorBody });
  }
}

async function profileScenario({ server, floor, floorJob, profileJob }) {
  const s1 = await interleaved([
    { key: 'floor GET', job: floorJob(), pid: floor.pid },
    { key: 'app GET /api/profile', job: profileJob(), pid: server.pid },
  ]);
  scenarioRow({
    id: 'profile',
    scenario: `GET /api/profile, authenticated, ${settings.connections} conns`,
    app: s1['app GET /api/profile'],
    floor: s1['floor GET'],
    target: '≥40% of floor, p99 < 10 ms',
    meets: ({ ratio, p99 }) => ratio >= 0.4 && p99 < 10,
  });
}

async function createNoteScenario({ server, floor, floorJob, profileJob, writeHeaders }) {
  const s2 = await interleaved([
    {
      key: 'floor POST',
      job: floorJob({ method: 'POST', headers: writeHeaders, body: NOTE_BODY }),
      allowed: ['201'],
      pid: floor.pid,
    },
    {
      key: 'app POST /api/notes',
      job: profileJob({
        path: '/api/notes',
        method: 'POST',
        headers: writeHeaders,
        body: NOTE_BODY,
      }),
      allowed: ['201'],
      pid: server.pid,
    },
  ]);
  scenarioRow({
    id: 'create-note',
    scenario: `POST /api/notes, CSRF + Origin, ${settings.connections} conns`,
    app: s2['app POST /api/notes'],
    floor: s2['floor POST'],
    target: '≥20% of floor',
    meets: ({ ratio }) => ratio >= 0.2,
  });
}

/**
 * Wrong-password logins from 32 connections, each from a new email and a new X-Forwarded-For
 * address (the server trusts XFF from 127.0.0.1, as behind a proxy). Per-account and per-client
 * throttles therefore never lock, and every attempt costs one Argon2 verify: the worst case for
 * CPU. Meanwhile another client reads its profile; its throughput is compared with the same
 * reader running alone, interleaved round by round.
 */
async function loginStorm(server, readHeaders) {
  const anonymous = new ApiClient(server.origin, { publicOrigin: PUBLIC_ORIGIN });
  await anonymous.refreshCsrf();
  const reader = {
    origin: server.origin,
    path: '/api/profile',
    headers: readHeaders,
    connections: settings.readerConnections,
  };
  const storm = {
    origin: server.origin,
    path: '/api/login',
    method: 'POST',
    mode: 'login-storm',
    stormPassword: WRONG_PASSWORD,
    headers: anonymous.loadHeaders({ unsafe: true }),
    connections: settings.connections,
  };
  const alone = [];
  const loaded = [];
  const storms = [];
  for (let round = 0; round < settings.rounds; round += 1) {
    const quiet = await runLoad({
      ...reader,
      duration: settings.durationSec,
      title: 'reader alone',
    });
    check(`storm reader alone (round ${round + 1})`, quiet);
    alone.push(quiet);
    // The storm starts first and outlasts the reader, so the reader only sees the steady state.
    const stormRun = runLoad({ ...storm, duration: settings.durationSec + 1.5, title: 'storm' });
    await sleep(700);
    const busy = await runLoad({
      ...reader,
      duration: settings.durationSec,
      title: 'reader in storm',
    });
    const stormSummary = await stormRun;
    check(`storm reader (round ${round + 1})`, busy);
    check(`storm logins (round ${round + 1})`, stormSummary, ['401', '503']);
    loaded.push(busy);
    storms.push(stormSummary);
  }
  const aloneSummary = summarizeRuns(alone);
  const loadedSummary = summarizeRuns(loaded);
  const stormSummary = summarizeRuns(storms);
  const count = (code) => stormSummary.statusCodes[code] ?? 0;
  scenarioRow({
    id: 'login-storm',
    scenario: `Login storm: wrong-password POST /api/login, ${settings.connections} conns`,
    app: stormSummary,
    target: 'report 503s',
    notes: `${count('401')} × 401, ${count('503')} × 503 server_busy, ${count('429')} × 429 over ${settings.rounds} round(s)`,
  });
  scenarioRow({
    id: 'profile-during-storm',
    scenario: `GET /api/profile during the storm, ${settings.readerConnections} conns`,
    app: loadedSummary,
    floor: aloneSummary,
    target: '≥50% of unloaded, p99 < 25 ms',
    meets: ({ ratio, p99 }) => ratio >= 0.5 && p99 < 25,
    notes: `floor = the same reader with no storm (p99 ${formatMs(aloneSummary.p99)})`,
  });
}

/**
 * Where the time goes: the same machine and client, peeling the request path one layer at a time.
 * On a saturated single event loop, 1e6 / (req/s) approximates the CPU cost per request in µs.
 */
async function layerBreakdown({ server, dataDir, floor, user, profileBody }) {
  const fastifyFloor = await startFloor({ kind: 'fastify', body: profileBody });
  const quietPort = await freePort();
  // A second instance on the same database and secrets, differing only in the log level.
  const quiet = await startServer({ env: serverEnv(dataDir, quietPort, { LOG_LEVEL: 'warn' }) });
  // And one with the Prometheus listener on: the price of counting every request.
  const metered = await startServer({
    env: serverEnv(dataDir, await freePort(), { METRICS_PORT: String(await freePort()) }),
  });
  const csrfOnly = { cookie: `${cookieNames.csrf}=${user.cookies.get(cookieNames.csrf)}` };
  const authed = user.loadHeaders();
  const job = (origin, urlPath, headers = {}) => ({
    origin,
    path: urlPath,
    headers,
    connections: settings.connections,
  });
  const targets = [
    {
      key: 'floor',
      label: 'bare node:http, same JSON (floor)',
      job: job(floor.origin, '/api/profile'),
      pid: floor.pid,
    },
    {
      key: 'fastify',
      label: 'bare Fastify 5, same JSON',
      job: job(fastifyFloor.origin, '/api/profile'),
      pid: fastifyFloor.pid,
    },
    {
      key: 'healthz',
      label: 'GET /healthz: hooks, security headers, access log',
      job: job(server.origin, '/healthz'),
      pid: server.pid,
    },
    {
      key: 'csrf',
      label: 'GET /api/csrf: + rate limiter, cookie parsing, HMAC',
      job: job(server.origin, '/api/csrf', csrfOnly),
      pid: server.pid,
    },
    {
      key: 'unauth',
      label: 'GET /api/profile, no cookie: + access guard, 401 error path',
      job: job(server.origin, '/api/profile', csrfOnly),
      pid: server.pid,
      allowed: ['401'],
    },
    {
      key: 'secure',
      label: 'GET /api/secure-data: + JWT verify, session state (no SQL)',
      job: job(server.origin, '/api/secure-data', authed),
      pid: server.pid,
    },
    {
      key: 'profile',
      label: 'GET /api/profile (authenticated): the scenario 1 request',
      job: job(server.origin, '/api/profile', authed),
      pid: server.pid,
    },
    {
      key: 'notes-one',
      label: 'GET /api/notes?limit=1: + query validation, one indexed SQLite query',
      job: job(server.origin, '/api/notes?limit=1', authed),
      pid: server.pid,
    },
    {
      key: 'profile-quiet',
      label: 'GET /api/profile with LOG_LEVEL=warn (no access log line)',
      job: job(quiet.origin, '/api/profile', authed),
      pid: quiet.pid,
    },
    {
      key: 'profile-metrics',
      label: 'GET /api/profile with METRICS_PORT set (Prometheus counters and histogram)',
      job: job(metered.origin, '/api/profile', authed),
      pid: metered.pid,
    },
  ];
  const measured = await interleaved(targets, { durationSec: settings.layerDurationSec });
  const floorRate = measured.floor.reqPerSec;
  let previousUs;
  // These rows compare with the profile row, not with the one above them.
  const besideProfile = ['notes-one', 'profile-quiet', 'profile-metrics'];
  for (const target of targets) {
    const result = measured[target.key];
    const cpuUs = result.cpuUsPerReq;
    layers.push({
      key: target.key,
      label: target.label,
      reqPerSec: result.reqPerSec,
      p50: result.p50,
      p99: result.p99,
      ratio: floorRate ? result.reqPerSec / floorRate : undefined,
      cpuUsPerReq: cpuUs,
      deltaUs: besideProfile.includes(target.key)
        ? cpuUs - measured.profile.cpuUsPerReq
        : previousUs === undefined
          ? undefined
          : cpuUs - previousUs,
    });
    if (!besideProfile.includes(target.key)) previousUs = cpuUs;
  }
  await stopProcess(quiet.child);
  await stopProcess(metered.child);
  await stopProcess(fastifyFloor.child);
}

// ---------------------------------------------------------------------------------------------
// Scenario 5: start-up with migrations already applied.

async function startupScenario(dataDir, floorBody) {
  const appTimes = [];
  const floorTimes = [];
  for (let run = 0; run < settings.startupRuns; run += 1) {
    const floor = await startFloor({ kind: 'http', body: floorBody });
    floorTimes.push(floor.startupMs);
    await stopProcess(floor.child);
    const port = await freePort();
    const server = await startServer({ env: serverEnv(dataDir, port) });
    appTimes.push(server.startupMs);
    await stopProcess(server.child);
  }
  checks.push({ label: 'start-up reached /healthz 200', ok: appTimes.length > 0 });
  if (settings.startupBreakdown) extra.startupBreakdown = startupBreakdown(median(appTimes));
  const app = median(appTimes);
  const floor = median(floorTimes);
  rows.push({
    id: 'startup',
    scenario: 'Start-up: spawn → first 200 on /healthz, migrations applied',
    startupMs: { median: app, max: Math.max(...appTimes), runs: appTimes },
    floorStartupMs: { median: floor, runs: floorTimes },
    ratio: floor / app,
    cells: {
      reqPerSec: '—',
      p50: formatMs(app),
      p99: formatMs(Math.max(...appTimes)),
      floor: formatMs(floor),
    },
    target: '< 1 s',
    met: app < 1000,
    notes: `median (p50 column) and worst (p99 column) of ${appTimes.length} start(s); floor = bare node:http start-up; ratio = floor ÷ app`,
  });
}

/** Wall time of a node process run to its end, in ms. */
function timeNode(args) {
  const started = performance.now();
  execFileSync(process.execPath, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '' },
    stdio: 'ignore',
    timeout: 30_000,
  });
  return performance.now() - started;
}

/**
 * Splits start-up into: Node itself, loading the server's module graph (every module server.js
 * imports statically, without running it), and the rest (config, database, migrations check,
 * plugin registration, listen).
 */
function startupBreakdown(fullMs) {
  const source = readFileSync(serverEntry, 'utf8');
  const imports = [...source.matchAll(/^import\s[^'"]*['"]([^'"]+)['"];?$/gm)].map((match) =>
    match[1].startsWith('.')
      ? pathToFileURL(path.join(path.dirname(serverEntry), match[1])).href
      : match[1],
  );
  const script = imports.map((specifier) => `await import(${JSON.stringify(specifier)});`).join('');
  const runs = settings.startupRuns;
  const nodeMs = median(Array.from({ length: runs }, () => timeNode(['-e', ''])));
  const importMs = median(
    Array.from({ length: runs }, () => timeNode(['--input-type=module', '-e', script])),
  );
  return {
    nodeBootMs: nodeMs,
    moduleGraphMs: importMs - nodeMs,
    restMs: fullMs - importMs,
    importedModules: imports.length,
  };
}

// ---------------------------------------------------------------------------------------------
// Scenario 4: growth — 100 vs 100,000 notes, and 100,000 live sessions.

async function growthScenario(floor) {
  const dataDir = newDataDir('growth');
  const port = await freePort();
  const env = serverEnv(dataDir, port);
  let server = await startServer({ env });
  const user = new ApiClient(server.origin, { publicOrigin: PUBLIC_ORIGIN });
  await user.registerAndLogin({
    email: 'growth@bench.example',
    password: PASSWORD,
    name: 'Growth',
    dataDir,
  });
  const { user: me } = await user.expect(200, 'GET', '/api/profile');
  for (let i = 0; i < settings.smallNotes; i += 1) {
    await user.expect(201, 'POST', '/api/notes', {
      title: `Note ${i}`,
      body: 'Seeded over the API.',
    });
  }
  const listHeaders = user.loadHeaders();
  const targets = () => [
    {
      key: 'floor GET',
      job: { origin: floor.origin, path: '/api/profile', connections: settings.connections },
      pid: floor.pid,
    },
    {
      key: 'app GET /api/notes',
      job: {
        origin: server.origin,
        path: '/api/notes?limit=50',
        headers: listHeaders,
        connections: settings.connections,
      },
      pid: server.pid,
    },
  ];
  log(`scenario 4: GET /api/notes with ${settings.smallNotes} notes`);
  const small = await interleaved(targets());

  await stopProcess(server.child);
  const dbFile = path.join(dataDir, 'portcullis.sqlite');
  const seedStarted = performance.now();
  const sessions = seedBulk(dbFile, {
    ownerId: me.id,
    noteCount: settings.bigNotes - settings.smallNotes,
    userCount: settings.bigUsers,
    sessionCount: settings.bigSessions,
  });
  const noteRows = countRows(dbFile, 'notes');
  const sessionRows = countRows(dbFile, 'sessions');
  log(
    `seeded to ${noteRows} notes and ${sessionRows} sessions in ${Math.round(performance.now() - seedStarted)} ms`,
  );
  server = await startServer({ env });
  extra.bigDatabaseStartupMs = server.startupMs;
  const idleRss = rssMiB(server.pid);

  log(`scenario 4: GET /api/notes with ${noteRows} notes`);
  const big = await interleaved(targets());
  const smallP99 = small['app GET /api/notes'].p99;
  scenarioRow({
    id: 'notes-small',
    scenario: `GET /api/notes?limit=50, ${settings.smallNotes} notes, ${settings.connections} conns`,
    app: small['app GET /api/notes'],
    floor: small['floor GET'],
    target: 'baseline for the next row',
    notes:
      'floor = bare node:http with the small profile JSON, so the ratio also pays for a 50-note body',
  });
  scenarioRow({
    id: 'notes-big',
    scenario: `GET /api/notes?limit=50, ${noteRows.toLocaleString('en-US')} notes`,
    app: big['app GET /api/notes'],
    floor: big['floor GET'],
    target: 'p99 ≤ 2× the 100-note p99',
    meets: ({ p99 }) => p99 <= 2 * Math.max(smallP99, 1),
    notes: `100-note p99 was ${formatMs(smallP99)}; one database file, before and after seeding`,
  });

  log(`scenario 4: GET /api/profile with ${sessionRows} sessions in the database`);
  const profileBig = await interleaved([
    targets()[0],
    {
      key: 'app GET /api/profile',
      job: {
        origin: server.origin,
        path: '/api/profile',
        headers: listHeaders,
        connections: settings.connections,
      },
      pid: server.pid,
    },
  ]);
  scenarioRow({
    id: 'profile-100k-sessions',
    scenario: `GET /api/profile, ${sessionRows.toLocaleString('en-US')} sessions in the database`,
    app: profileBig['app GET /api/profile'],
    floor: profileBig['floor GET'],
    target: '≥40% of floor, p99 < 10 ms',
    meets: ({ ratio, p99 }) => ratio >= 0.4 && p99 < 10,
  });

  log(`scenario 4: one pass over all ${sessions.length} sessions, each request a different one`);
  const tokensFile = path.join(tmpRoot, 'access-tokens.txt');
  writeLines(tokensFile, mintAccessTokens(dataDir, user.cookies.get(cookieNames.access), sessions));
  const beforePass = rssMiB(server.pid);
  const pass = await measure(
    {
      origin: server.origin,
      path: '/api/profile',
      mode: 'token-rotation',
      tokensFile,
      cookieName: cookieNames.access,
      amount: sessions.length,
      connections: settings.connections,
      title: 'session pass',
    },
    server.pid,
  );
  check('pass over seeded sessions', pass);
  const afterPass = rssMiB(server.pid);
  const passSummary = summarizeRuns([pass]);
  const perSessionBytes = ((afterPass - beforePass) * 2 ** 20) / sessions.length;
  scenarioRow({
    id: 'session-pass',
    scenario: `GET /api/profile, each of ${sessions.length.toLocaleString('en-US')} sessions once (cold caches)`,
    app: passSummary,
    floor: profileBig['floor GET'],
    target: 'n/a (memory)',
    notes: `server RSS ${Math.round(idleRss)} MiB idle after restart, ${Math.round(beforePass)} before the pass, ${Math.round(afterPass)} after (≈ ${Math.round(perSessionBytes)} B per cached session)`,
  });
  extra.growth = {
    noteRows,
    sessionRows,
    rssMiB: { idle: idleRss, beforePass, afterPass },
    perSessionBytes,
    bigDatabaseStartupMs: server.startupMs,
  };
  await stopProcess(server.child);
}

// ---------------------------------------------------------------------------------------------
// Scenario 6: HTTPS served by the app itself (no proxy) against bare node:https, same certificate.

async function httpsScenario(floorBody) {
  const dataDir = newDataDir('https');
  const port = await freePort();
  const publicOrigin = `https://localhost:${port}`;
  const env = serverEnv(dataDir, port, { HTTP_PORT: '0', PUBLIC_ORIGIN: publicOrigin });
  delete env.TRUST_PROXY;
  const server = await startServer({ env, tls: true });
  const certFile = path.join(dataDir, 'dev-cert.pem');
  const keyFile = path.join(dataDir, 'dev-key.pem');
  const user = new ApiClient(server.origin, { publicOrigin, ca: readFileSync(certFile) });
  await user.registerAndLogin({
    email: 'tls@bench.example',
    password: PASSWORD,
    name: 'Bench',
    dataDir,
  });
  const floor = await startFloor({ kind: 'https', body: floorBody, certFile, keyFile });
  log('scenario 6: GET /api/profile over the server’s own TLS');
  const measured = await interleaved([
    {
      key: 'floor https',
      job: { origin: floor.origin, path: '/api/profile', connections: settings.connections },
      pid: floor.pid,
    },
    {
      key: 'app https',
      job: {
        origin: server.origin,
        path: '/api/profile',
        headers: user.loadHeaders(),
        connections: settings.connections,
      },
      pid: server.pid,
    },
  ]);
  scenarioRow({
    id: 'profile-https',
    scenario: `GET /api/profile over HTTPS (app's own TLS), ${settings.connections} conns`,
    app: measured['app https'],
    floor: measured['floor https'],
    target: '≥40% of floor, p99 < 10 ms',
    meets: ({ ratio, p99 }) => ratio >= 0.4 && p99 < 10,
    notes: `floor = bare node:https, same self-signed RSA-2048 certificate; first start ${Math.round(server.startupMs)} ms includes generating it`,
  });
  await stopProcess(floor.child);
  await stopProcess(server.child);
}

// ---------------------------------------------------------------------------------------------
// Optional soak: bounded, with RSS samples and a least-squares trend.

function slopePerMinute(samples) {
  const n = samples.length;
  if (n < 2) return undefined;
  const meanT = samples.reduce((sum, s) => sum + s.t, 0) / n;
  const meanR = samples.reduce((sum, s) => sum + s.rss, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.t - meanT) * (s.rss - meanR);
    den += (s.t - meanT) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
}

async function soakScenario() {
  const dataDir = newDataDir('soak');
  const port = await freePort();
  const server = await startServer({ env: serverEnv(dataDir, port) });
  const user = new ApiClient(server.origin, { publicOrigin: PUBLIC_ORIGIN });
  await user.registerAndLogin({
    email: 'soak@bench.example',
    password: PASSWORD,
    name: 'Soak',
    dataDir,
  });
  log(`soak: ${settings.soakSec} s of reads and writes`);
  const samples = [];
  const started = performance.now();
  const sampler = setInterval(() => {
    const rss = rssMiB(server.pid);
    if (rss !== undefined) samples.push({ t: (performance.now() - started) / 1000, rss });
  }, 5000);
  const readRuns = [];
  const writeRuns = [];
  const chunkSec = 15;
  try {
    while ((performance.now() - started) / 1000 < settings.soakSec) {
      const remaining = settings.soakSec - (performance.now() - started) / 1000;
      const duration = Math.max(1, Math.min(chunkSec, remaining));
      const [reads, writes] = await Promise.all([
        runLoad({
          origin: server.origin,
          path: '/api/profile',
          headers: user.loadHeaders(),
          connections: 24,
          duration,
          title: 'soak reads',
        }),
        runLoad({
          origin: server.origin,
          path: '/api/notes',
          method: 'POST',
          headers: user.loadHeaders({ unsafe: true }),
          body: NOTE_BODY,
          connections: 8,
          duration,
          title: 'soak writes',
        }),
      ]);
      check('soak reads', reads);
      check('soak writes', writes, ['201']);
      readRuns.push(reads);
      writeRuns.push(writes);
    }
  } finally {
    clearInterval(sampler);
  }
  // The first fifth is warm-up (JIT, caches, pools filling); the trend is taken over the rest.
  const steady = samples.filter((s) => s.t >= settings.soakSec / 5);
  const slope = slopePerMinute(steady);
  const reads = summarizeRuns(readRuns);
  const writes = summarizeRuns(writeRuns);
  scenarioRow({
    id: 'soak',
    scenario: `Soak ${settings.soakSec} s: profile reads (24 conns) + note writes (8 conns)`,
    app: reads,
    target: 'RSS trend < 1 MiB/min',
    meets: () => slope !== undefined && slope < 1,
    notes: `writes ${formatRate(writes.reqPerSec)} req/s; RSS ${Math.round(samples[0]?.rss ?? 0)} → ${Math.round(samples.at(-1)?.rss ?? 0)} MiB, trend ${slope?.toFixed(2)} MiB/min over ${steady.length} samples`,
  });
  extra.soak = { samples, slopeMiBPerMin: slope };
  await stopProcess(server.child);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (!existsSync(serverEntry)) {
    throw new Error('apps/server/bundle/server.js is missing: run `npm run build` first');
  }
  const machine = machineInfo();
  const startedAt = performance.now();

  // The main server and the floor serve scenarios 1–4; the floor answers with the bench user's
  // real profile JSON, so both sides send the same body.
  const dataDir = newDataDir('http');
  const server = await startServer({ env: serverEnv(dataDir, await freePort()) });
  log(`server up in ${Math.round(server.startupMs)} ms (first start, migrations run)`);
  const user = new ApiClient(server.origin, { publicOrigin: PUBLIC_ORIGIN });
  await user.registerAndLogin({
    email: 'bench@bench.example',
    password: PASSWORD,
    name: 'Bench',
    dataDir,
  });
  const floorBody = JSON.stringify(await user.expect(200, 'GET', '/api/profile'));
  const floor = await startFloor({ kind: 'http', body: floorBody });
  await httpScenarios({ server, floor, user, dataDir, floorBody });
  extra.mainServerRssMiB = rssMiB(server.pid);
  await stopProcess(server.child);
  if (wanted('growth')) await growthScenario(floor);
  await stopProcess(floor.child);
  if (wanted('startup')) {
    log('scenario 5: start-up');
    await startupScenario(dataDir, floorBody);
  }
  if (wanted('https')) await httpsScenario(floorBody);
  if (flags.soak) await soakScenario();
  machine.loadEnd = os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(' ');
  machine.elapsedSec = Math.round((performance.now() - startedAt) / 1000);

  const results = { machine, settings, rows, layers, checks, warnings, extra };
  process.stdout.write(`\n${renderResults(results)}\n\n`);
  mkdirSync(path.join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(
    path.join(repoRoot, 'bench/results/latest.json'),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  if (flags.write) {
    if (smoke) log('--write ignored with --smoke: docs keep full-run figures only');
    else writeDocs(path.join(repoRoot, 'docs/benchmarks.md'), results);
  }
  const failed = checks.filter((c) => !c.ok);
  const missed = rows.filter((row) => row.met === false).length;
  log(
    `${checks.length - failed.length}/${checks.length} checks passed; ${missed} speed target(s) missed; ${warnings.length} generator warning(s); ${machine.elapsedSec} s`,
  );
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    killAllChildren();
    process.exit(code);
  },
  (error) => {
    process.stderr.write(
      `[bench] failed: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    killAllChildren();
    process.exit(1);
  },
);
