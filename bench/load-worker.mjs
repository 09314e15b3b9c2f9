// A load generator in its own process (forked by processes.mjs#runLoad): it receives one job over
// IPC, drives it with autocannon and sends back a summary. Modes:
//   fixed           the same request every time
//   login-storm     wrong-password logins, each from a new email and a new X-Forwarded-For address,
//                   so the per-account and per-client throttles never lock: every attempt reaches
//                   Argon2, which is the expensive part a real credential-stuffing run exercises
//   token-rotation  each request carries the next access token from a file (one per session)
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

function summarize(result) {
  const statusCodes = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = stats.count;
  }
  const completed = result.requests.total;
  return {
    title: result.title,
    connections: result.connections,
    durationSec: result.duration,
    completed,
    reqPerSec: result.duration > 0 ? completed / result.duration : 0,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.average,
    },
    statusCodes,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    resets: result.resets,
  };
}

function requestsFor(job) {
  if (job.mode === 'login-storm') {
    const tag = `${process.pid.toString(36)}${Date.now().toString(36)}`;
    let attempt = 0;
    return [
      {
        method: 'POST',
        path: job.path,
        setupRequest(request) {
          attempt += 1;
          // 10.0.0.0/8 leaves 16 million distinct client addresses for the per-client throttle.
          const ip = `10.${(attempt >> 16) & 255}.${(attempt >> 8) & 255}.${attempt & 255}`;
          return {
            ...request,
            headers: { ...request.headers, 'x-forwarded-for': ip },
            body: JSON.stringify({
              email: `storm-${tag}-${attempt}@bench.example`,
              password: job.stormPassword,
            }),
          };
        },
      },
    ];
  }
  if (job.mode === 'token-rotation') {
    const tokens = readFileSync(job.tokensFile, 'utf8').split('\n').filter(Boolean);
    let next = 0;
    return [
      {
        method: 'GET',
        path: job.path,
        setupRequest(request) {
          const token = tokens[next % tokens.length];
          next += 1;
          return {
            ...request,
            headers: { ...request.headers, cookie: `${job.cookieName}=${token}` },
          };
        },
      },
    ];
  }
  return undefined;
}

async function run(job) {
  const requests = requestsFor(job);
  const options = {
    url: `${job.origin}${job.path}`,
    title: job.title,
    connections: job.connections,
    method: job.method ?? 'GET',
    headers: job.headers ?? {},
    ...(job.body !== undefined ? { body: job.body } : {}),
    ...(job.amount ? { amount: job.amount } : { duration: job.duration }),
    ...(requests ? { requests } : {}),
    ...(job.origin.startsWith('https:') ? { servername: 'localhost' } : {}),
    timeout: 10,
  };
  const cpuBefore = process.cpuUsage();
  const summary = summarize(await autocannon(options));
  const cpu = process.cpuUsage(cpuBefore);
  // The generator's own CPU, so the report can say when it, not the server, was the limit.
  return {
    ...summary,
    generator: 'autocannon',
    generatorThreads: 1,
    generatorCpuMs: (cpu.user + cpu.system) / 1000,
  };
}

process.once('message', (job) => {
  run(job).then(
    (result) => {
      process.send({ result }, () => process.exit(0));
    },
    (error) => {
      process.send({ error: error instanceof Error ? error.message : String(error) }, () =>
        process.exit(1),
      );
    },
  );
});

// If the orchestrator dies, so does its load generator.
process.on('disconnect', () => process.exit(1));
