import { hostname } from 'node:os';
import { PolicyError } from '@msi/policy';
import { ConfigError, ConfigReader, fromFile, LOG_LEVELS, type ServiceSettings } from '@msi/service-kit';
import { type AgentConfig, parseAgentConfig } from './agent-config.js';

/** What the agent process runs with: its config file, checked, and the environment's parts. */
export interface AgentSettings extends ServiceSettings {
  readonly configFile: string;
  readonly config: AgentConfig;
  /** The host reported in events: MSI_AGENT_HOST, else the config's `host`, else the machine's name. */
  readonly host: string;
  readonly apiKey: string;
}

/**
 * Reads the agent's config file and the environment (MSI_AGENT_HOST over the config's host, e.g. a
 * Kubernetes node's name; MSI_LOG_LEVEL, MSI_METRICS_HOST/PORT, and the
 * API key in the variable the config names; `apiKey: false` for offline use). A bad file is
 * refused with one problem per line, `<file>:<line>:<column> <field>: <message>`.
 */
export function loadAgentSettings(
  configFile: string,
  env: Readonly<Record<string, string | undefined>>,
  options: { readonly apiKey?: boolean } = {},
): AgentSettings {
  const config = parseOrRefuse(
    fromFile('--config', configFile, (text) => text),
    configFile,
  );
  const r = new ConfigReader(env);
  const settings: AgentSettings = {
    configFile,
    config,
    host: r.optionalString('MSI_AGENT_HOST') ?? config.host ?? hostname(),
    apiKey: options.apiKey === false ? '' : r.string(config.ingest.apiKeyEnv),
    logLevel: r.oneOf('MSI_LOG_LEVEL', LOG_LEVELS, 'info'),
    metricsHost: r.string('MSI_METRICS_HOST', '127.0.0.1'),
    metricsPort: r.integer('MSI_METRICS_PORT', 0, { min: 0, max: 65535 }),
  };
  r.done();
  return settings;
}

function parseOrRefuse(text: string, configFile: string): AgentConfig {
  try {
    return parseAgentConfig(text, configFile);
  } catch (error: unknown) {
    if (error instanceof PolicyError) throw new ConfigError(error.message.split('\n'));
    throw error;
  }
}
