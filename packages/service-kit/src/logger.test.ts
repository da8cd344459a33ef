import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'debug') {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    service: 'verifier',
    instance: 'verifier-1',
    level,
    write: (line) => {
      expect(line.endsWith('\n')).toBe(true);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  return { log, lines };
}

describe('createLogger (pino)', () => {
  it('writes one JSON line: level label, ISO time, service, instance, msg, fields', () => {
    const { log, lines } = capture();
    log.info('verifier up', { port: 50052 });
    const [line] = lines;
    expect(Object.keys(line ?? {})).toEqual(['level', 'time', 'service', 'instance', 'port', 'msg']);
    expect(line).toMatchObject({
      level: 'info',
      service: 'verifier',
      instance: 'verifier-1',
      msg: 'verifier up',
      port: 50052,
    });
    expect(String(line?.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("never lets a field take the name of the line's own keys: it is written as field_<key>", () => {
    // The calendar logged a publication with its `time`: the line then held two "time" keys, and a
    // reader took the publication's (the dev console showed 19:04:40 for a line written at 21:53).
    const raw: string[] = [];
    const log = createLogger({
      service: 'calendar',
      instance: 'calendar-1',
      level: 'info',
      write: (l) => raw.push(l),
    });
    log.info('publication', {
      time: 1_765_144_439_440,
      size: 15,
      msg: 'm',
      level: 'x',
      service: 's',
      instance: 'i',
    });
    log.child({ time: 7 }).info('child', { size: 1 });
    for (const line of raw) {
      for (const key of ['level', 'time', 'service', 'instance', 'msg'])
        expect(line.split(`"${key}":`).length, `${key} in ${line}`).toBe(2);
    }
    const [first, second] = raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(String(first?.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(first).toMatchObject({
      level: 'info',
      service: 'calendar',
      instance: 'calendar-1',
      msg: 'publication',
      size: 15,
      field_time: 1_765_144_439_440,
      field_msg: 'm',
      field_level: 'x',
      field_service: 's',
      field_instance: 'i',
    });
    expect(second).toMatchObject({ msg: 'child', field_time: 7, size: 1 });
  });

  it('labels every level and drops those below the configured one', () => {
    const { log, lines } = capture('info');
    log.debug('hidden');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines.map((l) => l.level)).toEqual(['info', 'warn', 'error']);
  });

  it('child loggers add their bindings (a component)', () => {
    const { log, lines } = capture();
    log.child({ component: 'projector' }).warn('behind', { stream: 'events' });
    expect(lines[0]).toMatchObject({ component: 'projector', stream: 'events', msg: 'behind' });
  });

  it('redacts secrets: API keys, authorization metadata, passwords, and passwords in URLs', () => {
    const { log, lines } = capture();
    log.info('connecting to postgres://msi:hunter2@db:5432/msi', {
      apiKey: 'k-123',
      metadata: { authorization: 'Bearer k-123' },
      nats: 'nats://svc:s3cret@127.0.0.1:4222,nats://127.0.0.2:4222',
      password: 'pw',
    });
    const text = JSON.stringify(lines[0]);
    for (const secret of ['k-123', 'hunter2', 's3cret', '"pw"']) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({
      msg: 'connecting to postgres://msi:[redacted]@db:5432/msi',
      nats: 'nats://svc:[redacted]@127.0.0.1:4222,nats://127.0.0.2:4222',
      apiKey: '[redacted]',
      metadata: { authorization: '[redacted]' },
    });
  });

  it('shows errors, bytes and bigints readably', () => {
    const { log, lines } = capture();
    const error = Object.assign(new Error('refused', { cause: new Error('ECONNREFUSED') }), { code: 'E1' });
    log.error('failed', { error, leaf: new Uint8Array([0xab, 0x01]), size: 12n });
    expect(lines[0]).toMatchObject({
      error: { name: 'Error', message: 'refused', code: 'E1', cause: 'Error: ECONNREFUSED' },
      leaf: 'ab01',
      size: '12',
    });
  });
});
