import { describe, expect, it } from 'vitest';
import { type KeptServer, keepServer, type StartKeptServer } from './keep-server.js';
import type { KeeperReport, StopReason } from './keeper-protocol.js';

/** A server that records what happens to it; `die` makes it exit on its own. */
function fakeServer(options: { failStart?: string; failStop?: string } = {}) {
  const events: string[] = [];
  let die: (detail: string) => void = () => {};
  let finishStart: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    finishStart = resolve;
  });
  const start: StartKeptServer = async (onUnexpectedExit) => {
    events.push('starting');
    die = onUnexpectedExit;
    await started;
    if (options.failStart !== undefined) throw new Error(options.failStart);
    events.push('started');
    const server: KeptServer = {
      url: 'nats://127.0.0.1:4333',
      port: 4333,
      pid: 4242,
      async stop() {
        events.push('stopping');
        if (options.failStop !== undefined) throw new Error(options.failStop);
        events.push('stopped');
      },
    };
    return server;
  };
  return { start, events, finishStart, die: (detail: string) => die(detail) };
}

function recordingChannel() {
  const reports: KeeperReport[] = [];
  return { reports, channel: { send: async (report: KeeperReport) => void reports.push(report) } };
}

function stopSwitch() {
  let request: (reason: StopReason) => void = () => {};
  const requested = new Promise<StopReason>((resolve) => {
    request = resolve;
  });
  return { requested, request };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('keepServer', () => {
  it.each<StopReason>(['stop-command', 'disconnected', 'SIGTERM'])(
    'reports ready, then on %s stops the server, reports stopped and exits 0',
    async (reason) => {
      const server = fakeServer();
      const { reports, channel } = recordingChannel();
      const stop = stopSwitch();
      const kept = keepServer(server.start, channel, stop.requested);
      server.finishStart();
      await tick();
      expect(reports).toEqual([{ type: 'ready', url: 'nats://127.0.0.1:4333', port: 4333, serverPid: 4242 }]);
      expect(server.events).toEqual(['starting', 'started']);
      stop.request(reason);
      expect(await kept).toBe(0);
      expect(server.events).toEqual(['starting', 'started', 'stopping', 'stopped']);
      expect(reports.at(-1)).toEqual({ type: 'stopped' });
    },
  );

  it('a stop requested while the server starts stops it once started (no orphan)', async () => {
    const server = fakeServer();
    const { reports, channel } = recordingChannel();
    const stop = stopSwitch();
    const kept = keepServer(server.start, channel, stop.requested);
    stop.request('disconnected');
    await tick();
    expect(server.events).toEqual(['starting']);
    server.finishStart();
    expect(await kept).toBe(0);
    expect(server.events).toEqual(['starting', 'started', 'stopping', 'stopped']);
    expect(reports.map((r) => r.type)).toEqual(['ready', 'stopped']);
  });

  it('reports failed and exits 1 when the server does not start', async () => {
    const server = fakeServer({ failStart: 'port 4333 did not open within 10000 ms' });
    const { reports, channel } = recordingChannel();
    server.finishStart();
    expect(await keepServer(server.start, channel, stopSwitch().requested)).toBe(1);
    expect(reports).toEqual([{ type: 'failed', message: 'port 4333 did not open within 10000 ms' }]);
  });

  it('reports exited and exits 1 when the server dies on its own', async () => {
    const server = fakeServer();
    const { reports, channel } = recordingChannel();
    const kept = keepServer(server.start, channel, stopSwitch().requested);
    server.finishStart();
    await tick();
    server.die('nats-server exited (code 1, signal null): disk full');
    expect(await kept).toBe(1);
    expect(reports.at(-1)).toEqual({
      type: 'exited',
      detail: 'nats-server exited (code 1, signal null): disk full',
    });
    expect(server.events).not.toContain('stopping');
  });

  it('reports failed and exits 1 when stopping fails', async () => {
    const server = fakeServer({ failStop: 'pg_ctl: server does not shut down' });
    const { reports, channel } = recordingChannel();
    const stop = stopSwitch();
    const kept = keepServer(server.start, channel, stop.requested);
    server.finishStart();
    stop.request('stop-command');
    expect(await kept).toBe(1);
    expect(reports.at(-1)).toEqual({
      type: 'failed',
      message: 'stopping the server failed: pg_ctl: server does not shut down',
    });
  });
});
