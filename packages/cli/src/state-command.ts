import {
  type AgentSettings,
  loadAgentSettings,
  type ProvenReport,
  proveState,
  readIndexOf,
  receiptDirOf,
  StateProofError,
} from '@msi/agent';
import { FileReceiptStore } from '@msi/client';
import { ReceiptVerifier } from '@msi/client/verify';
import { parseVerifierKey, ReceiptError, type ReceiptTrust } from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { ConfigError } from '@msi/service-kit';
import { CliError, EXIT } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import type { Command } from './command.js';
import { formatMicros } from './format-time.js';
import { givesTrust, loadTrust, TRUST_FLAGS, TRUST_HELP } from './load-trust.js';
import { booleanFlag, expectPositionals, parseFlags, stringFlag } from './parse-flags.js';

const HELP = `Usage: msi state <path> --at <time> --config FILE [--host NAME] [trust options]

Prints the content hash the MSI agent on this host reported for <path> at <time>, with the receipts
that prove it, verified offline: the event that set that state (a change, or the baseline), every
later report of the same state up to <time> (rescans), each naming the one before as its parent,
and the next report after <time>, if any. The agent's local index (state_dir of its config) says
which events to look for; the receipts come from its receipt store.

What it proves: that the agent reported this content hash for this path on this host, in events
anchored by the calendar no later than their rounds' times — so the report cannot have been written
or changed afterwards — and that no report of the path is missing between the change and <time>
(each event names its predecessor). What it cannot prove: that the agent saw everything. An agent
(or host) that was tampered with can fail to report a change, or report a false hash; a change that
came and went between two notifications and two rescans is never reported. It proves what was
reported, and when, not what the disk held.

Options:
  --at TIME       an ISO 8601 time with a zone (2026-12-03T21:00:00Z), or now
  --config FILE   the agent's config (its state_dir, host and calendar keys)
  --host NAME     the host the events must name (default: the config's host)
${TRUST_HELP}
                  (default: the config's ingest.log_keys)
  -h, --help      this help

Exit status: 0 proven, 1 a receipt did not verify or the agent reported nothing then, 2 usage error.`;

export const stateCommand: Command = {
  name: 'state',
  summary: 'prove the content hash the agent reported for a path at a time (offline)',
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('state', args, {
      at: { type: 'string' },
      config: { type: 'string' },
      host: { type: 'string' },
      ...TRUST_FLAGS,
    });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    const [path = ''] = expectPositionals('state', flags, ['path']);
    const atUs = parseAt(stringFlag(flags, 'at'), io.now);
    const configFile = stringFlag(flags, 'config');
    if (configFile === undefined) throw new CliError('USAGE', 'msi state: --config FILE is required');
    const settings = readSettings(configFile, io);
    const host = stringFlag(flags, 'host') ?? settings.host;
    const trust = givesTrust(flags) ? await loadTrust(flags, io) : configTrust(settings);
    const store = new FileReceiptStore(receiptDirOf(settings.config.stateDir));
    try {
      const verifier = new ReceiptVerifier(trust, { hasher: nodeHasher(), ed25519: nodeEd25519() });
      const entries = await readIndexOf(settings.config.stateDir, path);
      const proof = await proveState(entries, { path, host, atUs, store, verifier });
      const last = proof.last;
      if (last === undefined) return EXIT.failed;
      const what =
        last.kind === 'DELETE' ? `absent (deleted; last content ${last.state.hash})` : last.state.hash;
      io.out(`${path} on ${host} at ${formatMicros(atUs)}: ${what}\n`);
      for (const p of proof.proven) io.out(`  ${reportLine(p)}\n`);
      io.out(
        proof.next === undefined
          ? '  no later report yet\n'
          : `  next report ${formatMicros(proof.next.atUs)} ${proof.next.change} (not needed for this proof)\n`,
      );
      return EXIT.ok;
    } catch (error: unknown) {
      if (error instanceof StateProofError || error instanceof ReceiptError) {
        throw new CliError('VERIFICATION_FAILED', `${path}: ${error.message}`, { cause: error });
      }
      throw error;
    } finally {
      await store.close();
    }
  },
};

function reportLine(p: ProvenReport): string {
  const e = p.entry;
  const how = p.receipt.version === 1 ? 'receipt v1 (sent on its own)' : 'receipt v2 (aggregated)';
  return `${formatMicros(e.atUs)} ${e.change.padEnd(8)} ${e.kind.padEnd(6)} event ${e.id} round ${p.round}, received by ${formatMicros(p.receivedAtUs)}: ${how} verified`;
}

const ZONED = /(Z|[+-][0-9]{2}:[0-9]{2})$/;

function parseAt(text: string | undefined, nowMs: () => number): number {
  if (text === undefined) throw new CliError('USAGE', 'msi state: --at TIME is required');
  if (text === 'now') return nowMs() * 1000;
  const ms = ZONED.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new CliError(
      'USAGE',
      `msi state: --at "${text}" is not an ISO 8601 time with a zone (e.g. 2026-12-03T21:00:00Z) or now`,
    );
  }
  return ms * 1000;
}

function readSettings(configFile: string, io: CliIo): AgentSettings {
  try {
    return loadAgentSettings(configFile, io.env, { apiKey: false }); // offline: no key needed
  } catch (error: unknown) {
    if (error instanceof ConfigError)
      throw new CliError('INPUT', error.problems.join('\n'), { cause: error });
    throw error;
  }
}

function configTrust(settings: AgentSettings): ReceiptTrust {
  if (settings.config.ingest.logKeys.length === 0) {
    throw new CliError('USAGE', 'msi state: give --key (the config has no ingest.log_keys)');
  }
  return {
    logKeys: settings.config.ingest.logKeys.map((k) => parseVerifierKey(k)),
    witnessKeys: [],
    quorum: 0,
    strict: false,
  };
}
