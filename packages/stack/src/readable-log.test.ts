import { describe, expect, it } from 'vitest';
import { readableLogLine } from './readable-log.js';

const plain = { colors: false, timeZone: 'UTC' };

describe('readableLogLine', () => {
  it.each([
    [
      'a pino record with a component',
      {
        level: 'info',
        time: '2026-03-04T05:06:07.089Z',
        service: 'aggregator',
        instance: 'aggregator-1',
        component: 'shard-worker',
        msg: 'sealed',
        shard: 3,
        leaves: 120,
      },
      '05:06:07.089 INFO  aggregator/shard-worker sealed shard=3 leaves=120',
    ],
    [
      'a service-kit record',
      { t: '2026-03-04T23:59:59.999Z', level: 'warn', service: 'ingest', msg: 'NATS away', retry: true },
      '23:59:59.999 WARN  ingest NATS away retry=true',
    ],
    [
      'a service-kit record with a field named time',
      {
        t: '2026-03-04T05:06:07.089Z',
        level: 'info',
        service: 'calendar',
        msg: 'publication',
        time: 'T',
        size: 34,
      },
      '05:06:07.089 INFO  calendar publication time=T size=34',
    ],
    [
      "pino's numeric level and epoch time, its pid and hostname left out",
      { level: 50, time: Date.UTC(2026, 2, 4, 5, 6, 7, 89), pid: 42, hostname: 'h', msg: 'failed' },
      '05:06:07.089 ERROR failed',
    ],
    [
      'text with spaces quoted, objects as JSON, null as it is',
      {
        level: 'debug',
        time: '2026-03-04T05:06:07.089Z',
        service: 'calendar',
        msg: 'round',
        origin: 'msi.dev/calendar',
        note: 'two words',
        seals: [1, 2],
        root: null,
      },
      '05:06:07.089 DEBUG calendar round origin=msi.dev/calendar note="two words" seals=[1,2] root=null',
    ],
    [
      'an error by its message and cause',
      {
        level: 'error',
        time: '2026-03-04T05:06:07.089Z',
        service: 'verifier',
        msg: 'projection stopped',
        error: { name: 'Error', message: 'connection lost', cause: 'ECONNRESET' },
      },
      '05:06:07.089 ERROR verifier projection stopped error="connection lost (cause: ECONNRESET)"',
    ],
  ])('%s', (_name, record, expected) => {
    expect(readableLogLine(JSON.stringify(record), plain)).toBe(expected);
  });

  it("prints a pino error's stack below the line, indented", () => {
    const line = JSON.stringify({
      level: 'error',
      time: '2026-03-04T05:06:07.089Z',
      service: 'alerter',
      msg: 'failed',
      err: {
        type: 'Error',
        message: 'boom',
        stack: 'Error: boom\n    at run (main.js:1:1)\n    at main.js:2:2',
      },
    });
    expect(readableLogLine(line, plain)).toBe(
      '05:06:07.089 ERROR alerter failed err="boom"\n    at run (main.js:1:1)\n    at main.js:2:2',
    );
  });

  it.each([
    ['plain text', 'ingest failed to start: Error: listen EADDRINUSE'],
    ['JSON without a level', '{"msg":"no level"}'],
    ['a JSON array', '[1,2]'],
    ['broken JSON', '{"level":"info",'],
    ['an empty line', ''],
  ])('passes %s through unchanged', (_name, line) => {
    expect(readableLogLine(line, plain)).toBe(line);
  });

  it('colours the level and dims the time only when asked', () => {
    const line = JSON.stringify({ level: 'warn', time: '2026-03-04T05:06:07.089Z', msg: 'slow' });
    expect(readableLogLine(line, { colors: true, timeZone: 'UTC' })).toBe(
      '\x1b[2m05:06:07.089\x1b[0m \x1b[33mWARN \x1b[0m slow',
    );
    expect(readableLogLine(line, plain)).toBe('05:06:07.089 WARN  slow');
  });

  it('shows the time in the zone asked for', () => {
    const line = JSON.stringify({ level: 'info', time: '2026-03-04T05:06:07.089Z', msg: 'm' });
    expect(readableLogLine(line, { colors: false, timeZone: 'Asia/Kolkata' })).toBe('10:36:07.089 INFO  m');
  });
});
