// Drives a fixed-request job with wrk, a load generator written in C: on this kind of machine it
// sends about twice what autocannon (Node) can, so the bare node:http floor measures the server,
// not the generator. Jobs that vary each request (login storm, token rotation) stay on autocannon,
// where the server's cost per request (Argon2, a database read) is far above the generator's.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let available;

/** wrk's version, or undefined when it is not installed. */
export function wrkVersion() {
  available ??= probe() ?? '';
  return available || undefined;
}

/** Installs wrk where it is missing and this is Debian as root; a full run calls this first. */
export function ensureWrk() {
  if (wrkVersion() !== undefined) return;
  available = install() ?? '';
}

function probe() {
  // `wrk -v` prints its banner; its exit status differs between builds, so only the text counts.
  const result = spawnSync('wrk', ['-v'], { encoding: 'utf8', timeout: 5000 });
  const match = /^wrk (\S+)/m.exec(`${result.stdout ?? ''}${result.stderr ?? ''}`);
  return match ? `wrk ${match[1]}` : undefined;
}

/** As root on Debian, the package is one command away; anywhere else the bench says so. */
function install() {
  if (process.getuid?.() !== 0) return undefined;
  try {
    execFileSync('apt-get', ['install', '-y', '-qq', 'wrk'], {
      stdio: 'ignore',
      timeout: 120_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch {
    return undefined;
  }
  return probe();
}

/** One thread per core the server does not need: on 2 cores, the server gets one, wrk the other. */
export function wrkThreads(connections) {
  return Math.max(1, Math.min(connections, Math.floor(os.availableParallelism() / 2)));
}

const luaString = (value) => `[==[${value}]==]`;

/**
 * The request, and a `done` hook that prints one JSON line: exact status counts per code (from a
 * per-thread table; the `response` hook costs wrk little), latency percentiles and errors.
 */
function script(job) {
  const headers = Object.entries(job.headers ?? {})
    .map(([name, value]) => `wrk.headers[ ${luaString(name)} ] = ${luaString(value)}`)
    .join('\n');
  return `
wrk.method = ${luaString(job.method ?? 'GET')}
${job.body === undefined ? '' : `wrk.body = ${luaString(job.body)}`}
${headers}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses")) do total[code] = (total[code] or 0) + count end
  end
  local parts = {}
  for code, count in pairs(total) do table.insert(parts, string.format('"%d":%d', code, count)) end
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"completed":%d,"durationUs":%d,"statuses":{%s},"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%f,"errors":%d,"timeouts":%d}\\n',
    summary.requests, summary.duration, table.concat(parts, ","),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect + e.read + e.write, e.timeout))
end
`;
}

/** Children's user and system CPU, in ms, from bash's `times` (its second line). */
function childCpuMs(timesOutput) {
  const line = timesOutput.trim().split('\n').at(-1) ?? '';
  const seconds = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map(
    ([, minutes, secs]) => Number(minutes) * 60 + Number(secs),
  );
  return seconds.length === 2 ? (seconds[0] + seconds[1]) * 1000 : undefined;
}

export async function runWrk(job) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-wrk-'));
  try {
    const scriptFile = path.join(dir, 'job.lua');
    writeFileSync(scriptFile, script(job));
    const threads = wrkThreads(job.connections);
    const args = [
      `-t${threads}`,
      `-c${job.connections}`,
      `-d${job.duration}s`,
      '--timeout',
      '10s',
      '-s',
      scriptFile,
      `${job.origin}${job.path}`,
    ];
    // bash runs wrk and then `times`, which reports the CPU its children used: the generator's own.
    const child = spawn(
      'bash',
      ['-c', 'wrk "$@"; status=$?; times; exit $status', 'wrk', ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    const match = /WRK-RESULT (\{.*\})/.exec(stdout);
    if (code !== 0 || !match) {
      throw new Error(`wrk exited with ${code}: ${stderr.trim() || stdout.trim()}`);
    }
    const result = JSON.parse(match[1]);
    const durationSec = result.durationUs / 1e6;
    const generatorCpuMs = childCpuMs(stdout.slice(match.index + match[0].length));
    return {
      title: job.title,
      generator: 'wrk',
      generatorThreads: threads,
      connections: job.connections,
      durationSec,
      completed: result.completed,
      reqPerSec: durationSec > 0 ? result.completed / durationSec : 0,
      latencyMs: {
        p50: result.p50 / 1000,
        p90: result.p90 / 1000,
        p99: result.p99 / 1000,
        max: result.max / 1000,
        mean: result.mean / 1000,
      },
      statusCodes: result.statuses,
      errors: result.errors,
      timeouts: result.timeouts,
      generatorCpuMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
