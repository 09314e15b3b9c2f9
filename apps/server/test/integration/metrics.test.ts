import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetricsListener } from '../../src/lib/app-metrics.js';
import {
  createUser,
  startTestApp,
  strongPassword,
  TestClient,
  type TestApp,
} from '../support/test-app.js';

/**
 * Prometheus metrics, scraped over HTTP from their own listener: requests by route pattern and
 * status, latency, security events by type and outcome, the hash queue, the session cache and the
 * mail backlog. The public port does not serve them.
 */

let testApp: TestApp;
let metricsServer: Server;
let metricsUrl: string;

beforeAll(async () => {
  // The app only records when a metrics listener is configured; this test starts its own.
  testApp = await startTestApp({ METRICS_PORT: '9464' });
  metricsServer = await startMetricsListener(testApp.app.metrics.registry, {
    host: '127.0.0.1',
    port: 0,
  });
  const address = metricsServer.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  metricsUrl = `http://127.0.0.1:${address.port}/metrics`;
});

afterAll(async () => {
  await new Promise((resolve) => metricsServer.close(resolve));
  await testApp.close();
});

async function scrape(): Promise<string> {
  const res = await fetch(metricsUrl);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return res.text();
}

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  it('count requests by route pattern (not the URL), security events by type, and read gauges at scrape time', async () => {
    const user = await createUser(testApp, { label: 'metrics' });
    const note = await user.client.post<{ id: string }>('/api/notes', { title: 'm', body: 'b' });
    await user.client.get(`/api/notes/${note.body.id}`);
    await new TestClient(testApp).login(user.email, strongPassword());

    const text = await scrape();
    expect(
      value(
        text,
        'portcullis_http_requests_total{route="/api/notes/:id",method="GET",status="200"}',
      ),
    ).toBe(1);
    expect(text).not.toContain(note.body.id);
    expect(
      value(text, 'portcullis_audit_events_total{type="login_failed",outcome="failure"}'),
    ).toBe(1);
    expect(
      value(text, 'portcullis_audit_events_total{type="login_succeeded",outcome="success"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(
        text,
        'portcullis_http_request_duration_seconds_count{route="/api/notes",method="POST"}',
      ),
    ).toBe(1);
    expect(value(text, 'portcullis_hash_queue_active')).toBe(0);
    expect(value(text, 'portcullis_hash_queue_waiting')).toBe(0);
    expect(value(text, 'portcullis_session_cache_entries')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'portcullis_mail_queue_pending')).toBeGreaterThanOrEqual(0);
    expect(value(text, 'portcullis_csp_reports_total')).toBeGreaterThanOrEqual(0);
    expect(value(text, 'portcullis_process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('with no metrics listener (METRICS_PORT=0), requests are not counted at all', async () => {
    const quiet = await startTestApp({ METRICS_PORT: '0' });
    try {
      expect((await new TestClient(quiet).get('/api/csrf')).status).toBe(200);
      const text = await quiet.app.metrics.registry.metrics();
      expect(text).not.toContain('portcullis_http_requests_total{');
      expect(text).not.toContain('portcullis_process_cpu_user_seconds_total');
    } finally {
      await quiet.close();
    }
  });

  it('an unknown path on the metrics listener is 404; the public port has no /metrics', async () => {
    expect((await fetch(metricsUrl.replace('/metrics', '/other'))).status).toBe(404);
    const res = await fetch(`${testApp.url}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('portcullis_http_requests_total');
  });
});
