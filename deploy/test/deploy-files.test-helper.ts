import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// What the deploy tests read: deploy/'s files and the services' sources.

export const deployDir = join(import.meta.dirname, '..');
export const repoDir = join(deployDir, '..');

/** A file of deploy/, as text. */
export const read = (path: string): string => readFileSync(join(deployDir, path), 'utf8');

/** The text of a service's non-test sources, one entry per file. */
export function sourcesOf(service: string): string[] {
  const dir = join(repoDir, 'services', service, 'src');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.ts') && !file.includes('.test'))
    .map((file) => readFileSync(join(dir, file), 'utf8'));
}

/** MSI_* names a service reads: string literals in its non-test sources. */
export function namesReadBy(service: string): Set<string> {
  const names = new Set<string>();
  for (const text of sourcesOf(service)) for (const m of text.matchAll(/\bMSI_[A-Z0-9_]+/g)) names.add(m[0]);
  return names;
}

/** The service a command runs: `node services/<name>/dist/main.js`. */
export function serviceOf(command: unknown): string | undefined {
  const text = Array.isArray(command) ? command.join(' ') : String(command);
  return /services\/([a-z-]+)\/dist\/main\.js/.exec(text)?.[1];
}

/** The services of docker-compose.yml, as far as the deploy tests look at them. */
export interface ComposeService {
  readonly image?: string;
  readonly command?: unknown;
  readonly profiles?: string[];
  readonly environment?: Record<string, string>;
  readonly deploy?: { readonly replicas?: number };
  readonly volumes?: string[];
  readonly ports?: string[];
  readonly secrets?: string[];
  readonly healthcheck?: { readonly test?: string[] };
}

/**
 * Per MSI service of docker-compose.yml that serves /metrics, the variable naming its metrics port and
 * the port (`MSI_<SERVICE>_METRICS_PORT`), as the deployment sets them.
 */
export function metricsPortsOf(
  services: Readonly<Record<string, ComposeService>>,
): Map<string, { readonly composeName: string; readonly variable: string; readonly port: number }> {
  const ports = new Map<string, { composeName: string; variable: string; port: number }>();
  for (const [composeName, svc] of Object.entries(services)) {
    const service = serviceOf(svc.command);
    if (service === undefined) continue;
    for (const [variable, value] of Object.entries(svc.environment ?? {})) {
      if (/^MSI_[A-Z]+_METRICS_PORT$/.test(variable))
        ports.set(service, { composeName, variable, port: Number(value) });
    }
  }
  return ports;
}
