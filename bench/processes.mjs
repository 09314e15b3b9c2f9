// Child processes for the benchmark: the server under test, the floors and the load generators.
// Every child is registered here so that it is killed when the run ends, fails or is interrupted;
// every wait is bounded, so a stuck child cannot hang the run.
import { execFileSync, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWrk, wrkVersion } from './wrk.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(benchDir, '..');
export const serverEntry = path.join(repoRoot, 'apps/server/bundle/server.js');
const floorEntry = path.join(benchDir, 'floor-server.mjs');
const workerEntry = path.join(benchDir, 'load-worker.mjs');

const children = new Set();

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Synchronous, so it also works from process.on('exit'). */
export function killAllChildren() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

let handlersInstalled = false;
export function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllChildren);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      killAllChildren();
      process.exit(130);
    });
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects after `ms` unless `promise` settles first; the timer never keeps the process alive. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A port nobody listens on right now: bind port 0 on loopback, read it, release it. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** VmRSS of a live process in MiB (Linux), or undefined where /proc is not available. */
export function rssMiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

let clockTicksPerSecond;

/**
 * CPU time (user + system, all threads) a live process has used so far, in ms, or undefined where
 * /proc is not available. Unlike throughput, CPU per request does not drop when other processes on
 * the machine take the cores: the process is only charged for time it actually ran.
 */
export function cpuTimeMs(pid) {
  try {
    clockTicksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    clockTicksPerSecond = 100;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / clockTicksPerSecond;
  } catch {
    return undefined;
  }
}

/**
 * One GET with a short timeout; resolves with the status, or 0 when nothing answered. Only a
 * liveness probe on loopback, so the self-signed certificate (not written yet when the server
 * starts for the first time) is not verified here; the API client pins it.
 */
export function probeStatus(url) {
  return new Promise((resolve) => {
    const client = url.startsWith('https:') ? https : http;
    const request = client.get(
      url,
      { agent: false, timeout: 1000, rejectUnauthorized: false },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

/** Polls until `url` answers 200; returns the milliseconds since `startedAt`. */
export async function waitFor200(url, { startedAt, timeoutMs = 20_000, intervalMs = 5, child }) {
  const deadline = startedAt + timeoutMs;
  for (;;) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`${url}: the process exited (${child.exitCode ?? child.signalCode})`);
    }
    if ((await probeStatus(url)) === 200) return performance.now() - startedAt;
    if (performance.now() > deadline) throw new Error(`${url}: no 200 within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

function collectOutput(child) {
  const lines = [];
  const keep = (chunk) => {
    lines.push(String(chunk));
    if (lines.length > 50) lines.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('').trim().slice(-2000);
}

/**
 * BENCH_CPU_PROFILE_DIR=dir writes a V8 CPU profile of every server process into dir (open it in
 * Chrome DevTools), to find which layer a figure is spent in.
 */
const serverNodeArgs =
  process.env.BENCH_CPU_PROFILE_DIR === undefined
    ? []
    : ['--cpu-prof', '--cpu-prof-dir', path.resolve(process.env.BENCH_CPU_PROFILE_DIR)];

/**
 * Starts the production server build. Only PATH and the given variables reach it, and it runs in
 * its data directory, so neither the developer's shell nor a `.env` in the repo changes the result.
 */
export async function startServer({ env, tls = false, timeoutMs = 30_000 }) {
  const startedAt = performance.now();
  const child = track(
    spawn(process.execPath, [...serverNodeArgs, serverEntry], {
      cwd: env.DATA_DIR,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const output = collectOutput(child);
  const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${env.PORT}`;
  try {
    const startupMs = await waitFor200(`${origin}/healthz`, { startedAt, timeoutMs, child });
    return { child, pid: child.pid, origin, startupMs, output };
  } catch (error) {
    await stopProcess(child);
    throw new Error(`server did not start: ${error.message}\n${output()}`);
  }
}

/**
 * Bare node:http / node:https (or bare Fastify) answering with a fixed JSON body: the floor.
 * It listens on port 0 itself and reports the port, so no port can be taken in between.
 */
export async function startFloor({ kind = 'http', body, certFile, keyFile }) {
  const startedAt = performance.now();
  const args = [floorEntry, `--kind=${kind}`, `--body=${body}`];
  if (certFile !== undefined) args.push(`--cert=${certFile}`, `--key=${keyFile}`);
  const child = track(
    spawn(process.execPath, args, {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const output = collectOutput(child);
  const port = await withTimeout(
    new Promise((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (chunk) => {
        buffered += String(chunk);
        const match = /"port":(\d+)/.exec(buffered);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`floor exited (${code}): ${output()}`)));
    }),
    10_000,
    'floor server start',
  );
  const origin = `${kind === 'https' ? 'https' : 'http'}://127.0.0.1:${port}`;
  // Measured the same way as the server's: from spawn to the first 200 on /healthz.
  const startupMs = await waitFor200(`${origin}/healthz`, { startedAt, child });
  return { child, pid: child.pid, origin, port, startupMs };
}

/** SIGTERM, then SIGKILL if the process has not exited after `graceMs`. */
export async function stopProcess(child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  try {
    await withTimeout(exited, graceMs, 'stop');
  } catch {
    child.kill('SIGKILL');
    await withTimeout(exited, 2000, 'kill').catch(() => undefined);
  }
}

let generatorPreference = 'wrk';

/** `autocannon` runs every job on autocannon, e.g. to compare the two generators' floors. */
export function preferGenerator(name) {
  if (name !== 'wrk' && name !== 'autocannon') throw new Error(`unknown load generator ${name}`);
  generatorPreference = name;
}

/** What drives the fixed-request jobs in this run, for the report. */
export function fixedLoadGenerator() {
  const wrk = generatorPreference === 'wrk' ? wrkVersion() : undefined;
  return wrk ?? `autocannon ${autocannonVersion()}`;
}

function autocannonVersion() {
  try {
    const require = createRequire(import.meta.url);
    return JSON.parse(readFileSync(require.resolve('autocannon/package.json'), 'utf8')).version;
  } catch {
    return '';
  }
}

/**
 * Runs one load job in a separate process, so the load generator never shares an event loop (or a
 * garbage collector) with the server it measures: wrk for a fixed request when it is installed
 * (and `useWrk` is left on), autocannon otherwise and for jobs that vary each request.
 */
export async function runLoad(job) {
  if (
    generatorPreference === 'wrk' &&
    job.mode === undefined &&
    job.amount === undefined &&
    wrkVersion() !== undefined
  ) {
    return withTimeout(runWrk(job), job.duration * 1000 + 30_000, `wrk ${job.title ?? ''}`);
  }
  return runAutocannon(job);
}

async function runAutocannon(job) {
  const child = track(fork(workerEntry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const budgetMs = (job.duration ?? 0) * 1000 + (job.amount ? 180_000 : 0) + 30_000;
  try {
    const result = await withTimeout(
      new Promise((resolve, reject) => {
        child.once('message', (message) => {
          if (message.error) reject(new Error(`load worker: ${message.error}`));
          else resolve(message.result);
        });
        child.once('exit', (code) => reject(new Error(`load worker exited early (${code})`)));
        child.send(job);
      }),
      budgetMs,
      `load ${job.title ?? job.url}`,
    );
    return result;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await withTimeout(exited, 2000, 'worker exit').catch(() => undefined);
  }
}
