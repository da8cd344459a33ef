import { describe, expect, it } from 'vitest';
import { parseNatsServers, redactNatsUrl } from './server-urls.js';

describe('parseNatsServers', () => {
  it('splits a comma-separated list (nats.js alone would dial only the last)', () => {
    expect(parseNatsServers('nats://nats-1:4222, nats://nats-2:4222,nats://nats-3:4222')).toEqual({
      servers: ['nats://nats-1:4222', 'nats://nats-2:4222', 'nats://nats-3:4222'],
    });
    expect(parseNatsServers('127.0.0.1:4222')).toEqual({ servers: ['nats://127.0.0.1:4222'] });
  });

  it('takes the credentials out of the URLs (nats.js does not read them there), URL-decoded', () => {
    expect(
      parseNatsServers('nats://ingest:p%40ss%3Aw@nats-1:4222,nats://ingest:p%40ss%3Aw@nats-2:4222'),
    ).toEqual({
      servers: ['nats://nats-1:4222', 'nats://nats-2:4222'],
      user: 'ingest',
      pass: 'p@ss:w',
    });
    expect(parseNatsServers('nats://calendar:x@a:4222,nats://b:4222')).toEqual({
      servers: ['nats://a:4222', 'nats://b:4222'],
      user: 'calendar',
      pass: 'x',
    });
  });

  it('refuses different credentials in one list, and an empty list, without printing passwords', () => {
    expect(() => parseNatsServers('nats://a:one@h1:4222,nats://b:two@h2:4222')).toThrow(
      /server 2 names other credentials/,
    );
    expect(() => parseNatsServers(' , ')).toThrow(/no NATS server/);
    expect(() => parseNatsServers('nats://u:secret@[bad')).toThrow(
      /server 1 is not a URL: nats:\/\/u:\*\*\*@\[bad/,
    );
  });
});

describe('redactNatsUrl', () => {
  it('masks every password and keeps the rest', () => {
    expect(
      redactNatsUrl('nats://ingest:s3cret@nats-1:4222,nats://ingest:s3cret@nats-2:4222,nats://nats-3:4222'),
    ).toBe('nats://ingest:***@nats-1:4222,nats://ingest:***@nats-2:4222,nats://nats-3:4222');
  });
});
