import { type DataEvent, formatUuid } from '@msi/core';
import { NO_FACTS, type Policy, PolicyError, parsePolicy } from '@msi/policy';
import { eventFromClient, WireError } from '@msi/wire';
import { CliError, EXIT } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import type { Command } from './command.js';
import { buildEvent, eventSpecFromJson } from './event-spec.js';
import { booleanFlag, expectPositionals, parseFlags, stringFlag } from './parse-flags.js';
import { parseJsonText, readText } from './read-input.js';

const HELP = `Usage: msi policy check <policy-file> [--events FILE|-] [--tenant NAME] [--json]

Checks an alerter policy file (YAML or JSON) the way the alerter loads it: every problem is printed as
<file>:<line>:<column> <field path>: <message>, and nothing else happens. A valid file prints its
digest and its rules (severity, and whether each is judged on arrival or once anchored).

With --events, it also shows which rules each event would trigger: one JSON object per line, in the
format \`msi emit\` reads (kind, data, actor, source, destination, attr, …; a data imprint, not a file),
judged as events of --tenant (default acme) received now. Offline: nothing is sent. Rules that read
facts see only the file's facts here (the alerter also applies the facts of anchored STATE events);
the chain-of-custody and integrity rules need the streams and are not judged.

Options:
  --events FILE|-   events to judge, JSON lines ("-" reads standard input)
  --tenant NAME     the tenant the events belong to (default acme)
  --json            print JSON objects instead of lines
  -h, --help        this help

Exit status: 0 valid, 1 the policy is invalid, 2 usage or input error.`;

export const policyCommand: Command = {
  name: 'policy',
  summary: 'check an alerter policy file, and which rules sample events would trigger',
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('policy', args, {
      events: { type: 'string' },
      tenant: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    const [verb = '', path = ''] = expectPositionals('policy', flags, ['check', 'policy-file']);
    if (verb !== 'check') throw new CliError('USAGE', `msi policy: unknown action "${verb}" (only: check)`);
    const json = booleanFlag(flags, 'json');
    const text = await readText(path, io.stdin, 'policy file');
    let policy: Policy;
    try {
      policy = parsePolicy(text, { source: path });
    } catch (error: unknown) {
      if (!(error instanceof PolicyError)) throw error;
      if (json) {
        io.out(`${JSON.stringify({ valid: false, problems: error.problems })}\n`);
      } else {
        io.err(`INVALID ${path}: ${error.problems.length} problem(s)\n${error.message}\n`);
      }
      return EXIT.failed;
    }
    if (json) {
      io.out(
        `${JSON.stringify({
          valid: true,
          digest: policy.digest,
          rules: policy.rules.map((r) => ({ id: r.id, severity: r.severity, evaluate: r.evaluate })),
        })}\n`,
      );
    } else {
      io.out(`VALID ${path}: ${policy.rules.length} rule(s), digest ${policy.digest}\n`);
      for (const rule of policy.rules) {
        io.out(
          `  ${rule.id.padEnd(40)} ${rule.severity.padEnd(8)} ${rule.evaluate === 'arrival' ? 'on arrival' : 'once anchored'}\n`,
        );
      }
    }
    const eventsPath = stringFlag(flags, 'events');
    if (eventsPath !== undefined) {
      const tenant = stringFlag(flags, 'tenant') ?? 'acme';
      for (const line of await judge(
        policy,
        await readText(eventsPath, io.stdin, 'events'),
        eventsPath,
        tenant,
        io,
      )) {
        io.out(`${json ? JSON.stringify(line) : lineText(line)}\n`);
      }
    }
    return EXIT.ok;
  },
};

interface Judged {
  readonly line: number;
  readonly event: string;
  readonly kind: string;
  readonly matches: readonly { rule: string; severity: string; message: string }[];
}

async function judge(
  policy: Policy,
  text: string,
  path: string,
  tenant: string,
  io: CliIo,
): Promise<Judged[]> {
  const out: Judged[] = [];
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    if (raw.trim() === '') continue;
    const where = `${path}:${index + 1}`;
    const spec = eventSpecFromJson(parseJsonText(raw, where, 'event'), where);
    if (spec.dataFile !== undefined)
      throw new CliError('INPUT', `${where}: give "data" (an imprint), not "data-file"`);
    const proto = buildEvent(
      spec,
      undefined,
      { nowMs: io.now(), random16: () => crypto.getRandomValues(new Uint8Array(16)) },
      where,
    );
    let event: DataEvent;
    try {
      event = eventFromClient(
        proto,
        { tenant, submitter: 'msi-policy-check', receivedAt: io.now() * 1000, nonce: new Uint8Array(16) },
        where,
      );
    } catch (error: unknown) {
      if (error instanceof WireError) throw new CliError('INPUT', `${where}: ${error.message}`);
      throw error;
    }
    const matches = policy.rules.flatMap((rule) => {
      const match = rule.match(event, NO_FACTS);
      return match === undefined ? [] : [{ rule: rule.id, severity: rule.severity, message: match.message }];
    });
    out.push({ line: index + 1, event: formatUuid(event.eventId), kind: event.kind, matches });
  }
  return out;
}

function lineText(j: Judged): string {
  if (j.matches.length === 0) return `line ${j.line}: ${j.kind} triggers no rule`;
  return [
    `line ${j.line}: ${j.kind} triggers ${j.matches.length} rule(s)`,
    ...j.matches.map((m) => `  ${m.severity.toUpperCase().padEnd(8)} ${m.rule}: ${m.message}`),
  ].join('\n');
}
