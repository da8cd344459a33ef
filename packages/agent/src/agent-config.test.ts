import { PolicyError } from '@msi/policy';
import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from './agent-config.js';

const VALID = `version: 1
host: web-1
watch:
  - path: /etc/nginx
    include: ["**/*.conf"]
    class: config
  - path: /usr/local/bin
    class: executable
ignore: ["*.swp"]
limits: { max_files: 5000, max_file_size: 64MiB }
rescan_interval: 5m
state_dir: /var/lib/msi-agent
spool: { max_size: 8MiB }
ingest:
  address: ingest.example:50051
  verifier: verifier.example:50052
  api_key_env: MSI_AGENT_KEY
  log_keys: ["msi.example/calendar+67b72184+AdglrftQ"]
`;

function problemsOf(text: string): string[] {
  try {
    parseAgentConfig(text, 'agent.yaml');
  } catch (error: unknown) {
    if (error instanceof PolicyError) return error.message.split('\n');
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('the agent configuration', () => {
  it('reads every section', () => {
    const config = parseAgentConfig(VALID);
    expect(config.host).toBe('web-1');
    expect(config.watch.map((w) => [w.path, w.fileClass])).toEqual([
      ['/etc/nginx', 'config'],
      ['/usr/local/bin', 'executable'],
    ]);
    expect(config.watch[0]?.include?.('sites/default.conf')).toBe(true);
    expect(config.watch[0]?.include?.('mime.types')).toBe(false);
    expect(config.ignore?.('deep/a.swp')).toBe(true);
    expect(config.limits).toEqual({ maxFiles: 5000, maxFileBytes: 64 * 1024 * 1024 });
    expect(config.rescanIntervalMs).toBe(300_000);
    expect(config.spoolMaxBytes).toBe(8 * 1024 * 1024);
    expect(config.ingest).toMatchObject({
      address: 'ingest.example:50051',
      apiKeyEnv: 'MSI_AGENT_KEY',
      insecure: false,
    });
  });

  it('refuses a config with errors, naming each line, column and field', () => {
    const text = VALID.replace('class: config', 'class: conf')
      .replace('max_files: 5000', 'max_files: -1')
      .replace('state_dir: /var/lib/msi-agent', 'state_dir: var/lib')
      .replace('  api_key_env', '  api_key_envv');
    expect(problemsOf(text)).toEqual([
      'agent.yaml:6:12 watch[0].class: "conf" is not one of file, config, frozen, executable',
      'agent.yaml:10:22 limits.max_files: must be an integer from 1 to 10000000, got -1',
      'agent.yaml:12:12 state_dir: "var/lib" is not an absolute path',
      'agent.yaml:17:3 ingest.api_key_envv: unknown key (did you mean "api_key_env"?)',
    ]);
  });

  it('refuses text that is not YAML, and a missing required section', () => {
    expect(problemsOf('version: 1\nwatch: [\n')[0]).toMatch(/^agent\.yaml:3:1 /);
    expect(problemsOf('version: 1\nstate_dir: /x\ningest: { address: "a:1" }\n')).toEqual([
      'agent.yaml:1:1 watch: is required',
    ]);
  });
});
