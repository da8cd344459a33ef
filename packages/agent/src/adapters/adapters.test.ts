// Records written for these tests in the shapes osquery (file_events, event format) and Falco
// (json_output) document; values made up.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { falcoAlert } from './falco-alert.js';
import { osqueryFileEvent } from './osquery-file-event.js';
import { AdapterError } from './record-fields.js';

const SHA = 'a3f5'.repeat(16);
const osquery = (columns: Record<string, string>) =>
  JSON.stringify({
    name: 'file_events',
    hostIdentifier: 'web-1',
    unixTime: 1_764_795_600,
    action: 'added',
    columns: {
      target_path: '/etc/hosts',
      category: 'etc',
      uid: '0',
      gid: '0',
      mode: '0644',
      size: '220',
      time: '1764795601',
      ...columns,
    },
  });
const sha256Of = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

describe('osquery file_events', () => {
  it('an update is a STATE with the file hash, host and metadata', () => {
    const event = osqueryFileEvent(osquery({ action: 'UPDATED', sha256: SHA.toUpperCase() }));
    expect(event).toMatchObject({
      kind: 'STATE',
      data: `sha256:${SHA}`,
      actor: 'osquery',
      source: { system: 'file', host: 'web-1' },
      occurredAt: 1_764_795_601_000_000,
      attributes: {
        'file.path': '/etc/hosts',
        'file.change': 'modified',
        'file.mode': '0644',
        'osquery.category': 'etc',
      },
    });
  });

  it('a deletion without a hash is a DELETE anchoring the record itself', () => {
    const line = osquery({ action: 'DELETED', sha256: '' });
    const event = osqueryFileEvent(line);
    expect(event.kind).toBe('DELETE');
    expect(event.data).toBe(sha256Of(line));
    expect(event.attributes).toMatchObject({ 'file.change': 'deleted', 'osquery.record_hash': 'true' });
  });

  it('refuses other queries, unknown actions and lines that are not JSON, naming why', () => {
    expect(() => osqueryFileEvent(JSON.stringify({ name: 'processes', columns: {} }))).toThrow(
      /not a file_events result/,
    );
    expect(() => osqueryFileEvent(osquery({ action: 'OPENED' }))).toThrow(AdapterError);
    expect(() => osqueryFileEvent('{"name":')).toThrow(/not JSON/);
  });
});

describe('Falco alerts', () => {
  const line = JSON.stringify({
    output: '21:00:00.123456789: Error File below /etc opened for writing (user=root command=vi /etc/shadow)',
    priority: 'Error',
    rule: 'Write below etc',
    time: '2026-12-03T21:00:00.123456789Z',
    source: 'syscall',
    hostname: 'node-3',
    output_fields: {
      'user.name': 'root',
      'proc.name': 'vi',
      'proc.cmdline': 'vi /etc/shadow',
      'fd.name': '/etc/shadow',
      'container.id': '4f2a9c1b7d3e',
      'container.name': 'web',
      'k8s.pod.name': 'web-7d9f',
      'k8s.ns.name': 'shop',
    },
  });

  it('anchors the record itself, with the user as actor and the container as location', () => {
    expect(falcoAlert(line)).toMatchObject({
      kind: 'STATE',
      data: sha256Of(line),
      actor: 'root',
      source: { system: 'falco', host: 'node-3', region: 'container:4f2a9c1b7d3e' },
      occurredAt: Date.parse('2026-12-03T21:00:00.123Z') * 1000,
      attributes: {
        'falco.rule': 'Write below etc',
        'falco.process': 'vi',
        'falco.file': '/etc/shadow',
        'falco.container': 'web',
        'falco.pod': 'web-7d9f',
      },
    });
  });

  it('a host event has no container; the process is the actor when no user is known', () => {
    const hostLine = JSON.stringify({
      rule: 'r',
      time: '2026-12-03T21:00:00Z',
      hostname: 'h',
      output_fields: { 'proc.name': 'sshd', 'container.id': 'host' },
    });
    const event = falcoAlert(hostLine);
    expect(event.actor).toBe('sshd');
    expect(event.source).toEqual({ system: 'falco', host: 'h' });
    expect(() => falcoAlert('{"priority":"Error"}')).toThrow(/needs rule and time/);
  });

  it('cuts long values to 256 bytes', () => {
    const long = JSON.stringify({ rule: 'r'.repeat(300), time: '2026-12-03T21:00:00Z', output_fields: {} });
    const attributes = falcoAlert(long).attributes as Record<string, string>;
    expect(Buffer.byteLength(attributes['falco.rule'] ?? '')).toBeLessThanOrEqual(256);
  });
});
