import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { ViewCache } from './event-view.js';
import type { Policy } from './policy.js';
import { PolicyError } from './policy-error.js';
import { readRules } from './read-rules.js';
import { readCustody, readIntegrity, readWebhooks } from './read-settings.js';
import { makeWorld, readLists, readStaticFacts, readTenants } from './read-world.js';
import { readYamlDocument } from './yaml-document.js';
import type { At, YamlReader } from './yaml-reader.js';

const SECTIONS = ['version', 'tenants', 'lists', 'facts', 'rules', 'custody', 'integrity', 'webhooks'];
const DEFAULT_SOURCE = 'policy';

/**
 * Parses, validates and compiles a policy file (YAML, or JSON). `text` is operator input: every field
 * is checked. Throws PolicyError SYNTAX (not YAML) or INVALID listing every problem, each with its line,
 * column and path; `options.source` (e.g. the file name) prefixes them in the message.
 */
export function parsePolicy(text: string, options: { source?: string } = {}): Policy {
  const source = options.source ?? DEFAULT_SOURCE;
  const result = readYamlDocument(text, 'the policy is empty (want at least `version: 1`)', (reader, root) =>
    readPolicy(reader, root, text),
  );
  if (!result.ok) throw new PolicyError(result.code, result.problems, source);
  return result.value;
}

function readPolicy(reader: YamlReader, root: At, text: string): Policy {
  const entries = reader.map(root, SECTIONS) ?? new Map();
  const versionAt = reader.entry(entries, 'version', root, true);
  if (versionAt !== undefined) {
    const version = reader.integer(versionAt, 1, Number.MAX_SAFE_INTEGER);
    if (version !== undefined && version !== 1)
      reader.report(versionAt, `unsupported version ${version} (want 1)`);
  }
  const lists = readLists(reader, entries.get('lists'));
  const world = makeWorld(
    readTenants(reader, entries.get('tenants')),
    readStaticFacts(reader, entries.get('facts')),
  );
  const ctx = { reader, lists, views: new ViewCache(world) };
  const custody = readCustody(ctx, entries.get('custody'));
  return {
    digest: bytesToHex(sha256(utf8ToBytes(text))),
    rules: readRules(ctx, entries.get('rules')),
    custody: custody.settings,
    custodyExempt: custody.exempt,
    integrity: readIntegrity(reader, entries.get('integrity')),
    webhooks: readWebhooks(reader, entries.get('webhooks')),
  };
}
