import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@msi/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, type RunningConsoleServer, startConsoleServer } from './console-server.js';
import type { GatewayRoute } from './gateway-routes.js';
import { requiredText } from './request-fields.js';
import { CONTENT_SECURITY_POLICY } from './security-headers.js';

// The HTTP edge of the console with a route of its own (the gRPC routes are exercised against the
// real verifier and alerter in console.e2e.test.ts): headers, refusals and CORS.
describe('the console HTTP server', () => {
  let dir = '';
  let server: RunningConsoleServer;
  let base = '';
  const seen: (string | undefined)[] = [];
  const echo: GatewayRoute = async (body, authorization) => {
    seen.push(authorization);
    return { said: requiredText(body, 'say') };
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'console-server-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    server = await startConsoleServer({
      host: '127.0.0.1',
      port: 0,
      staticDir: dir,
      routes: new Map([['/api/v1/echo', echo]]),
      corsOrigins: ['https://allowed.example'],
      log: createLogger({ service: 'console', level: 'error' }),
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  it('serves the app and the API under the strict CSP, the API uncached', async () => {
    const page = await fetch(`${base}/custody`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const api = await post('/api/v1/echo', '{"say":"hi"}', { authorization: 'Bearer k1' });
    expect(await api.json()).toEqual({ said: 'hi' });
    expect(api.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(api.headers.get('cache-control')).toBe('no-store');
    expect(seen.at(-1)).toBe('Bearer k1'); // passed on as it came
  });

  it('refuses what is not an API call, naming the reason', async () => {
    const cases: [Promise<Response>, number, string][] = [
      [post('/api/v1/nothing', '{}'), 404, 'ROUTE_NOT_FOUND'],
      [fetch(`${base}/api/v1/echo`), 405, 'METHOD_NOT_ALLOWED'],
      [post('/api/v1/echo', 'not json'), 400, 'BODY_NOT_JSON'],
      [post('/api/v1/echo', '[1]'), 400, 'BODY_NOT_JSON'],
      [post('/api/v1/echo', '{"say":3}'), 400, 'FIELD_INVALID'],
      [post('/api/v1/echo', `{"say":"${'x'.repeat(MAX_BODY_BYTES)}"}`), 413, 'BODY_TOO_LARGE'],
      [post('/api/v1/echo', '{}', { origin: 'https://evil.example' }), 403, 'ORIGIN_NOT_ALLOWED'],
      [fetch(`${base}/missing.js`), 404, 'ROUTE_NOT_FOUND'],
    ];
    for (const [call, status, code] of cases) {
      const response = await call;
      expect([response.status, ((await response.json()) as { code: string }).code]).toEqual([status, code]);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('answers a configured origin with CORS headers, preflight included', async () => {
    const preflight = await fetch(`${base}/api/v1/echo`, {
      method: 'OPTIONS',
      headers: { origin: 'https://allowed.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://allowed.example');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
    const call = await post('/api/v1/echo', '{"say":"x"}', { origin: 'https://allowed.example' });
    expect(call.status).toBe(200);
    expect(call.headers.get('access-control-allow-origin')).toBe('https://allowed.example');
  });
});
