// `msi agent baseline` and `msi state` against a real pipeline (NATS, Postgres, calendar, aggregator,
// ingest and verifier as processes): a baseline, a change, a second baseline (the change sent on its
// own, the rest in aggregate); the state of the file before and after the change, proven offline; a
// config with errors refused naming its lines.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readIndexOf } from '@msi/agent';
import { useWorld } from '@msi/testkit';
import { describe, expect, it } from 'vitest';
import { formatMicros } from './format-time.js';
import { runRecorded } from './memory-io.test-helper.js';

const API_KEY = 'test-key-cli-agent';
const world = useWorld({
  label: 'cli_agent',
  pipeline: {
    verifier: true,
    apiKeys: [{ key: API_KEY, tenant: 'acme', principal: 'agent-test', roles: ['emitter', 'auditor'] }],
  },
});

const iso = (micros: number): string => new Date(Math.floor(micros / 1000)).toISOString();

describe('msi agent baseline and msi state', () => {
  it('proves the hash reported for a file before and after a change', async () => {
    const files = join(world.workDir, 'files');
    const state = join(world.workDir, 'state');
    await mkdir(files, { recursive: true });
    const config = join(world.workDir, 'agent.yaml');
    await writeFile(
      config,
      `version: 1
host: db-7
watch:
  - path: ${files}
    class: frozen
state_dir: ${state}
ingest:
  address: ${world.pipeline.ingestAddress}
  verifier: ${world.pipeline.verifierAddress}
  insecure: true
  log_keys: ["${world.pipeline.verifierKey}"]
`,
    );
    const env = { MSI_AGENT_API_KEY: API_KEY, MSI_LOG_LEVEL: 'warn' };
    const file = join(files, 'pg_hba.conf');
    await writeFile(file, 'local all all peer\n');
    await writeFile(join(files, 'other.conf'), 'x\n');
    const first = await runRecorded(['agent', 'baseline', '--config', config], { env });
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe(
      'baseline of db-7: 2 file state(s) anchored in aggregate, 0 change(s) sent on their own\n',
    );

    await writeFile(file, 'host all all 0.0.0.0/0 trust\n');
    const second = await runRecorded(['agent', 'baseline', '--config', config], { env });
    expect(second.stdout).toBe(
      'baseline of db-7: 1 file state(s) anchored in aggregate, 1 change(s) sent on their own\n',
    );

    const [baseline, change] = await readIndexOf(state, file);
    if (baseline === undefined || change === undefined) throw new Error('the index lacks the two reports');
    const before = await runRecorded(['state', file, '--at', iso(change.atUs - 1000), '--config', config]);
    expect(before.stderr).toBe('');
    expect(before.stdout.split('\n')[0]).toBe(
      `${file} on db-7 at ${formatMicros(change.atUs - 1000)}: ${baseline.state.hash}`,
    );
    expect(before.stdout).toMatch(/baseline STATE {2}event .* receipt v2 \(aggregated\) verified/);
    expect(before.stdout).toContain(`next report ${formatMicros(change.atUs)} modified`);

    const after = await runRecorded(['state', file, '--at', iso(change.atUs), '--config', config]);
    expect(after.stdout.split('\n')[0]).toBe(
      `${file} on db-7 at ${formatMicros(change.atUs)}: ${change.state.hash}`,
    );
    expect(after.stdout).toMatch(/modified STATE {2}event .* receipt v1 \(sent on its own\) verified/);

    const wrongHost = await runRecorded(['state', file, '--at', 'now', '--config', config, '--host', 'db-8']);
    expect(wrongHost.status).toBe(1);
    expect(wrongHost.stderr).toContain('its host is db-7');
    const tooEarly = await runRecorded([
      'state',
      file,
      '--at',
      iso(baseline.atUs - 60_000_000),
      '--config',
      config,
    ]);
    expect(tooEarly.status).toBe(1);
    expect(tooEarly.stderr).toContain('reported nothing');
  });

  it('refuses a config with errors, naming each line', async () => {
    const config = join(world.workDir, 'bad.yaml');
    await writeFile(
      config,
      'version: 1\nwatch:\n  - path: relative/dir\nstate_dir: /tmp/x\ningest: { address: nowhere }\n',
    );
    const run = await runRecorded(['agent', 'baseline', '--config', config], {
      env: { MSI_AGENT_API_KEY: 'k' },
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      `msi agent: ${config}:3:11 watch[0].path: "relative/dir" is not an absolute path\n${config}:5:20 ingest.address: "nowhere" is not an address host:port\n`,
    );
  });

  it('imports osquery and Falco records as events, refusing lines that are not records', async () => {
    const config = join(world.workDir, 'import.yaml');
    await writeFile(
      config,
      `version: 1\nwatch: [{ path: ${world.workDir} }]\nstate_dir: ${join(world.workDir, 'import-state')}\ningest: { address: "${world.pipeline.ingestAddress}", insecure: true }\n`,
    );
    const osquery = join(world.workDir, 'osqueryd.results.log');
    const columns = {
      action: 'UPDATED',
      target_path: '/etc/hosts',
      sha256: 'ab'.repeat(32),
      time: String(Math.floor(Date.now() / 1000)),
    };
    await writeFile(
      osquery,
      `${JSON.stringify({ name: 'file_events', hostIdentifier: 'web-1', columns })}\nnot json\n`,
    );
    const falco = join(world.workDir, 'falco.json');
    const alert = {
      rule: 'Write below etc',
      time: new Date().toISOString(),
      hostname: 'node-3',
      output_fields: { 'user.name': 'root' },
    };
    await writeFile(falco, `${JSON.stringify(alert)}\n`);
    const env = { MSI_AGENT_API_KEY: API_KEY };
    const fromOsquery = await runRecorded(
      ['agent', 'import', '--format', 'osquery', osquery, '--config', config],
      { env },
    );
    expect(fromOsquery.status).toBe(1);
    expect(fromOsquery.stdout).toBe('1 osquery record(s) sent, 1 refused\n');
    expect(fromOsquery.stderr).toBe('line 2: not an osquery record: the line is not JSON\n');
    const fromFalco = await runRecorded(['agent', 'import', '--format', 'falco', falco, '--config', config], {
      env,
    });
    expect(fromFalco).toMatchObject({ status: 0, stdout: '1 falco record(s) sent, 0 refused\n' });
  });
});
