import { describe, expect, it } from 'vitest';
import { isStopCommand, KeeperError, parseKeeperReport, parseKeeperSpec } from './keeper-protocol.js';

describe('parseKeeperSpec', () => {
  it('reads a nats and a postgres spec', () => {
    const nats = { kind: 'nats', binary: '/usr/sbin/nats-server', port: 4333, storeDir: '/tmp/s' };
    const postgres = { kind: 'postgres', dataDir: '/tmp/pg', port: 5433, persistent: true };
    expect(parseKeeperSpec(JSON.stringify(nats))).toEqual(nats);
    expect(parseKeeperSpec(JSON.stringify(postgres))).toEqual(postgres);
    const temporary = { ...nats, persistent: false };
    expect(parseKeeperSpec(JSON.stringify(temporary))).toEqual(temporary);
  });

  it('keeps only the fields of the spec', () => {
    const spec = { kind: 'nats', binary: 'nats-server', port: 1, storeDir: 's', extra: 'dropped' };
    expect(parseKeeperSpec(JSON.stringify(spec))).not.toHaveProperty('extra');
  });

  it.each([
    ['no argument', undefined],
    ['not JSON', '{kind:'],
    ['an unknown kind', '{"kind":"redis","port":6379}'],
    ['port 0', '{"kind":"nats","binary":"b","port":0,"storeDir":"s"}'],
    ['port out of range', '{"kind":"nats","binary":"b","port":70000,"storeDir":"s"}'],
    ['an empty binary', '{"kind":"nats","binary":"","port":4222,"storeDir":"s"}'],
    ['persistent as text', '{"kind":"postgres","dataDir":"d","port":5432,"persistent":"yes"}'],
    ['a nats persistent as text', '{"kind":"nats","binary":"b","port":4222,"storeDir":"s","persistent":1}'],
    ['an array', '[]'],
  ])('rejects %s with KEEPER_PROTOCOL', (_name, json) => {
    expect(() => parseKeeperSpec(json)).toThrow(
      expect.objectContaining({ name: 'KeeperError', code: 'KEEPER_PROTOCOL' }),
    );
  });
});

describe('parseKeeperReport', () => {
  it.each([
    { type: 'ready', url: 'nats://127.0.0.1:4333', port: 4333, serverPid: 4242 },
    { type: 'failed', message: 'initdb failed' },
    { type: 'exited', detail: 'nats-server exited (code 1, signal null)' },
    { type: 'stopped' },
  ])('reads %o', (report) => {
    expect(parseKeeperReport(report)).toEqual(report);
  });

  it.each([
    ['a string', 'shutdown'],
    ['null', null],
    ['ready without a url', { type: 'ready', port: 4333 }],
    ['ready with a bad port', { type: 'ready', url: 'nats://x', port: -1, serverPid: 4242 }],
    ['ready without the server pid', { type: 'ready', url: 'nats://x', port: 4333 }],
    ['ready with pid 0', { type: 'ready', url: 'nats://x', port: 4333, serverPid: 0 }],
    ['failed without a message', { type: 'failed' }],
    ['an unknown type', { type: 'started' }],
  ])('rejects %s', (_name, message) => {
    expect(() => parseKeeperReport(message)).toThrow(KeeperError);
  });
});

describe('isStopCommand', () => {
  it('recognises only { type: "stop" }', () => {
    expect(isStopCommand({ type: 'stop' })).toBe(true);
    expect(isStopCommand('shutdown')).toBe(false); // what PM2 (and async-exit-hook) send
    expect(isStopCommand({ type: 'stopped' })).toBe(false);
    expect(isStopCommand(undefined)).toBe(false);
  });
});
