import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from './cli-error.js';

/** The two tenants of the demo and their API keys. */
export interface DemoKeys {
  readonly acme: string;
  readonly globex: string;
}

/**
 * The acme and globex API keys from `<dataDir>/api-keys.json` as `npm start` writes it: an array of
 * `{"key", "tenant", ...}` (input from disk: checked, not trusted). Flags given win over the file;
 * the file is read only when a key is missing. Throws CliError INPUT/USAGE naming what is missing.
 */
export async function loadDemoKeys(
  dataDir: string,
  flags: { readonly acme?: string | undefined; readonly globex?: string | undefined },
): Promise<DemoKeys> {
  if (flags.acme !== undefined && flags.globex !== undefined) {
    return { acme: flags.acme, globex: flags.globex };
  }
  const path = join(dataDir, 'api-keys.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(
      'USAGE',
      `cannot read ${path} (${reason}): start the stack with npm start, or give --data-dir (or MSI_DATA_DIR), or --acme-key and --globex-key`,
      { cause: error },
    );
  }
  const fromFile = apiKeysByTenant(text, path);
  const acme = flags.acme ?? fromFile.get('acme');
  const globex = flags.globex ?? fromFile.get('globex');
  if (acme === undefined || globex === undefined) {
    throw new CliError(
      'INPUT',
      `${path} holds no API key for tenant ${acme === undefined ? 'acme' : 'globex'}`,
    );
  }
  return { acme, globex };
}

/** tenant → first key, from the api-keys.json text. Throws CliError INPUT when it is not that shape. */
export function apiKeysByTenant(text: string, path: string): Map<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error: unknown) {
    throw new CliError('INPUT', `${path} is not JSON`, { cause: error });
  }
  if (!Array.isArray(value)) throw new CliError('INPUT', `${path} must hold an array of API keys`);
  const keys = new Map<string, string>();
  for (const item of value as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const { key, tenant } = item as Record<string, unknown>;
    if (typeof key === 'string' && typeof tenant === 'string' && !keys.has(tenant)) keys.set(tenant, key);
  }
  return keys;
}
