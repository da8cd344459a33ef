// The agent configs deploy/ ships (the systemd example and the DaemonSet's ConfigMap) load.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseAgentConfig } from './agent-config.js';

const deploy = (path: string) => readFileSync(new URL(`../../../deploy/${path}`, import.meta.url), 'utf8');

describe('the shipped agent configs', () => {
  it('deploy/agent/agent.yaml loads', () => {
    expect(parseAgentConfig(deploy('agent/agent.yaml')).watch.map((w) => w.fileClass)).toEqual([
      'config',
      'executable',
      'frozen',
    ]);
  });

  it("the DaemonSet's ConfigMap loads", () => {
    const configMap = parseAllDocuments(deploy('k8s/agent.yaml'))
      .map((d) => d.toJS() as { kind: string; data?: Record<string, string> })
      .find((o) => o.kind === 'ConfigMap');
    const config = parseAgentConfig(configMap?.data?.['agent.yaml'] ?? '');
    expect(config.watch.map((w) => w.path)).toEqual(['/host/etc', '/host/usr/local/bin']);
  });
});
