import { ReceiptError, verifyReceipt } from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { EXIT } from './cli-error.js';
import type { Command } from './command.js';
import { failureJson, formatFailureLine, formatVerifiedLine, verifiedJson } from './format-verified.js';
import { loadTrust, TRUST_FLAGS, TRUST_HELP } from './load-trust.js';
import { booleanFlag, expectPositionals, parseFlags } from './parse-flags.js';
import { parseJsonText, readText } from './read-input.js';

const HELP = `Usage: msi verify <receipt.json> --key VERIFIER_KEY [options]

Verifies a receipt OFFLINE (no server is contacted) against the keys you trust, and prints one
line of what it proves: VALID event <id> <kind> <tenant> <data> round <k> closed <closed_at>
checkpoint <origin>@<size> witnesses: <name>@<time>, ...
On failure prints INVALID <CODE>: <message>, where CODE names the failing step (docs/PROOFS.md §8).

Options:
${TRUST_HELP}
  --json               print a JSON object instead ({"ok": true, ...} or {"ok": false, "code", "message"})
  -h, --help           this help

Exit status: 0 valid, 1 invalid, 2 usage or input error.`;

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'verify a receipt offline against trusted keys',
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('verify', args, { ...TRUST_FLAGS, json: { type: 'boolean' } });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    const [path = '-'] = expectPositionals('verify', flags, ['receipt.json']);
    const json = booleanFlag(flags, 'json');
    const trust = await loadTrust(flags, io);
    const text = await readText(path, io.stdin, 'receipt');
    parseJsonText(text, path, 'receipt'); // not JSON at all: an input error, not a verdict
    try {
      const verified = verifyReceipt(text, trust, { hasher: nodeHasher(), ed25519: nodeEd25519() });
      io.out(`${json ? JSON.stringify(verifiedJson(verified)) : formatVerifiedLine(verified)}\n`);
      return EXIT.ok;
    } catch (error: unknown) {
      if (!(error instanceof ReceiptError)) throw error;
      io.out(
        `${json ? JSON.stringify(failureJson(error.code, error.message)) : formatFailureLine(error.code, error.message)}\n`,
      );
      return EXIT.failed;
    }
  },
};
