import { describe, expect, it } from 'vitest';
import { runRecorded } from './memory-io.test-helper.js';
import { COMMANDS } from './run-cli.js';

describe('runCli', () => {
  it('lists the commands with --help and exits 0; with no command exits 2', async () => {
    const help = await runRecorded(['--help']);
    expect(help.status).toBe(0);
    for (const command of COMMANDS) expect(help.stdout).toContain(`  ${command.name}`);
    expect((await runRecorded([])).status).toBe(2);
  });

  it('names an unknown command', async () => {
    const run = await runRecorded(['verifyy']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^msi: unknown command "verifyy"/);
  });

  it.each(COMMANDS.map((c) => [c.name]))('msi %s --help prints its usage', async (name) => {
    const run = await runRecorded([name, '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: msi ${name} `));
  });

  it('emit refuses bad input before contacting any server', async () => {
    const noServer = await runRecorded(['emit', '--kind', 'STORE', '--data', 'sha256:00', '--actor', 'a']);
    expect(noServer.status).toBe(2);
    expect(noServer.stderr).toMatch(/no ingest server/);
    const both = await runRecorded([
      'emit',
      '--server',
      'localhost:1',
      '--insecure',
      '--jsonl',
      '-',
      '--actor',
      'a',
    ]);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/give no event options with it/);
  });
});
