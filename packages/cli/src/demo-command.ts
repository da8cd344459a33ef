import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatImprint, parseReceiptJson } from '@msi/core';
import { alerterV1 } from '@msi/proto';
import { eventIdText, severityName } from '@msi/wire';
import { type AlerterSession, openAlerterSession } from './alerter-connection.js';
import { CliError, EXIT } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import type { Command } from './command.js';
import { alerterConnection, DEFAULT_ALERTER_ADDRESS, devStackSettings } from './config.js';
import { type DemoKeys, loadDemoKeys } from './demo-config.js';
import { type DemoItem, type DemoTenant, demoFiles, emitArgs, STORY, type StoryEvent } from './demo-story.js';
import { runCaptured } from './demo-subcommand.js';
import { emitCommand } from './emit-command.js';
import { imprintOfFile } from './hash-file.js';
import { historyCommand } from './history-command.js';
import { booleanFlag, type ParsedFlags, parseFlags, stringFlag } from './parse-flags.js';
import { receiptCommand } from './receipt-command.js';
import { verifyCommand } from './verify-command.js';

const HELP = `Usage: msi demo [--data-dir DIR] [--server-ingest HOST:PORT] [--server-verifier HOST:PORT]
                [--server-alerter HOST:PORT] [--out DIR] [--key VERIFIER_KEY [--witness KEY]]

Against a running stack (npm start), plays a multi-tenant data supply chain and narrates it: acme
stores three files in s3/eu-west-1 and declares who may read the customer export, an ETL job
processes two of them into a derived dataset, which moves to a warehouse and on to the tenant
globex, where analysts read it; then four violations (the last reported by an MSI agent). Every receipt is saved to
OUT/receipts/<event-id>.json; one is verified offline (with --key, and a witness quorum of 1 with
--witness); the derived dataset's chain of custody is printed, each row verified. Last, the alerts
the alerter raised on the story's events are listed (waiting up to 20 s for them), with the event
and round each points at. Only imprints of generated files (under OUT/data) leave this machine.

Options:
  --data-dir DIR           where npm start keeps api-keys.json (default: $MSI_DATA_DIR, else .msi
                           in the repository, as npm start and msi up)
  --acme-key KEY           acme's API key instead of the one in DIR/api-keys.json
  --globex-key KEY         globex's API key instead of the one in DIR/api-keys.json
  --server-ingest H:P      ingest's address (default 127.0.0.1:50051)
  --server-verifier H:P    the verifier's address (default 127.0.0.1:50052)
  --server-alerter H:P     the alerter's address (default 127.0.0.1:50054)
  --out DIR                where the data files and receipts go (default ./msi-demo)
  --key VERIFIER_KEY       the calendar's verifier key (npm start prints it); without it nothing is
                           verified: trust cannot come from the server
  --witness KEY            the witness's verifier key (npm start prints it): require its cosignature
  --ca FILE                the servers' CA (default: plaintext, as npm start serves)
  -h, --help               this help

Exit status: 0 the story ran and everything checked verified, 1 a verification failed,
2 usage or input error, 3 a server unreachable or an event not durable.`;

/** How long to wait for a round to be anchored, and for the witness to cosign. */
const ANCHOR_TIMEOUT_S = 60;
const COSIGN_ATTEMPTS = 40;
const COSIGN_PAUSE_MS = 500;
/** How long to wait for the alerts the violations should raise, and how often to look. */
const ALERT_WAIT_MS = 20_000;
const ALERT_POLL_MS = 500;

interface DemoOptions {
  readonly keys: DemoKeys;
  readonly ingest: string;
  readonly verifier: string;
  readonly alerter: string;
  readonly out: string;
  readonly key: string | undefined;
  readonly witness: string | undefined;
  readonly ca: string | undefined;
}

interface Emitted {
  readonly id: string;
  readonly tenant: DemoTenant;
  readonly event: StoryEvent;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'play a multi-tenant data supply chain against a running stack, narrated',
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('demo', args, {
      'data-dir': { type: 'string' },
      'acme-key': { type: 'string' },
      'globex-key': { type: 'string' },
      'server-ingest': { type: 'string' },
      'server-verifier': { type: 'string' },
      'server-alerter': { type: 'string' },
      out: { type: 'string' },
      key: { type: 'string' },
      witness: { type: 'string' },
      ca: { type: 'string' },
    });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    if (flags.positionals.length > 0) {
      throw new CliError('USAGE', `msi demo takes no arguments, got "${flags.positionals[0]}" (see --help)`);
    }
    return playDemo(await optionsOf(flags, io.env), io);
  },
};

async function optionsOf(
  flags: ParsedFlags,
  env: Readonly<Record<string, string | undefined>>,
): Promise<DemoOptions> {
  const keys = await loadDemoKeys(devStackSettings(env, stringFlag(flags, 'data-dir')).dataDir, {
    acme: stringFlag(flags, 'acme-key'),
    globex: stringFlag(flags, 'globex-key'),
  });
  return {
    keys,
    ingest: stringFlag(flags, 'server-ingest') ?? '127.0.0.1:50051',
    verifier: stringFlag(flags, 'server-verifier') ?? '127.0.0.1:50052',
    alerter: stringFlag(flags, 'server-alerter') ?? DEFAULT_ALERTER_ADDRESS,
    out: stringFlag(flags, 'out') ?? 'msi-demo',
    key: stringFlag(flags, 'key'),
    witness: stringFlag(flags, 'witness'),
    ca: stringFlag(flags, 'ca'),
  };
}

async function playDemo(options: DemoOptions, io: CliIo): Promise<number> {
  const say = (line: string) => io.out(`${line}\n`);
  const connect = (address: string, tenant: DemoTenant) => [
    '--server',
    address,
    '--api-key',
    options.keys[tenant],
    ...(options.ca === undefined ? ['--insecure'] : ['--ca', options.ca]),
  ];
  const imprints = await writeItems(options.out, io);
  say(
    `MSI demo: a data supply chain across tenants acme and globex (files under ${join(options.out, 'data')}).`,
  );
  say("Only the files' imprints (sha256) are sent; every event is anchored in the hash calendar.");

  const ids = new Map<string, string>();
  const emitted: Emitted[] = [];
  let stepNumber = 0;
  for (const step of STORY) {
    stepNumber++;
    say(`\nStep ${stepNumber}: ${step.title}`);
    for (const event of step.events) {
      const result = await runCaptured(
        emitCommand,
        [...emitArgs(event, imprints, ids), ...connect(options.ingest, event.tenant)],
        io,
      );
      const ack = JSON.parse(result.out.trim()) as { eventId: string; durable?: boolean; message?: string };
      if (result.status !== EXIT.ok || ack.durable !== true) {
        throw new CliError(
          'UNAVAILABLE',
          `ingest did not make "${event.name}" durable: ${ack.message ?? result.err}`,
        );
      }
      ids.set(event.name, ack.eventId);
      emitted.push({ id: ack.eventId, tenant: event.tenant, event });
      say(`  ${event.tenant}: ${event.say}  [${event.kind} ${ack.eventId}]`);
      if (event.violation !== undefined) say(`    VIOLATION: ${event.violation}`);
    }
    if (step.anchorAfter !== undefined) {
      say(`  ${step.anchorAfter}…`);
      const rounds = await anchorAll(emitted, (e) => connect(options.verifier, e.tenant), io);
      say(`  anchored, by round ${Math.max(...rounds)}.`);
    }
  }
  say('  These violations are anchored and provable like every other event, and the alerter judges them:');
  say('  stateless rules as they arrive, fact and custody rules once their round is anchored.');

  stepNumber++;
  say(`\nStep ${stepNumber}: waiting for anchoring, saving ${emitted.length} receipts`);
  const receiptsDir = join(options.out, 'receipts');
  await mkdir(receiptsDir, { recursive: true });
  for (const event of emitted) {
    await runCaptured(
      receiptCommand,
      [
        event.id,
        '--wait',
        '--timeout',
        String(ANCHOR_TIMEOUT_S),
        '-o',
        join(receiptsDir, `${event.id}.json`),
        ...connect(options.verifier, event.tenant),
      ],
      io,
    );
  }
  say(`  saved ${emitted.length} receipts to ${receiptsDir}/<event-id>.json`);
  let status: number = EXIT.ok;
  if (options.key === undefined) {
    say('  skipping offline verification and the verified history: give --key VERIFIER_KEY');
    say("  (npm start prints the calendar's verifier key; trust cannot come from the server).");
  } else {
    const first = emitted[0];
    if (first === undefined) throw new Error('unreachable: the story emits events');
    status = await verifyOne(first, receiptsDir, options, connect(options.verifier, first.tenant), io);

    stepNumber++;
    const derived = imprints.derived;
    say(`\nStep ${stepNumber}: the chain of custody of the derived dataset ${derived} (acme's view)`);
    const history = await runCaptured(
      historyCommand,
      [derived, '--key', options.key, ...connect(options.verifier, 'acme')],
      io,
    );
    for (const line of history.out.trimEnd().split('\n')) say(`  ${line}`);
    if (history.status !== EXIT.ok) status = history.status;
  }

  stepNumber++;
  say(`\nStep ${stepNumber}: the alerts on this run's events (the alerter at ${options.alerter})`);
  await narrateAlerts(emitted, receiptsDir, options, io);
  return status;
}

/**
 * Waits (at most ALERT_WAIT_MS) until the alerter has raised, on each violation, the alert the
 * shipped policy says it should, then narrates every alert that names one of the run's events. Each
 * tenant's key sees its own tenant's alerts. An alerter that does not answer is reported, not fatal:
 * the story and its proofs stand without it.
 */
async function narrateAlerts(
  emitted: readonly Emitted[],
  receiptsDir: string,
  options: DemoOptions,
  io: CliIo,
): Promise<void> {
  const say = (line: string) => io.out(`${line}\n`);
  const byId = new Map(emitted.map((e) => [e.id, e]));
  const expected = emitted.filter((e) => e.event.alert !== undefined);
  const connection = (tenant: DemoTenant) =>
    alerterConnection(
      {
        server: options.alerter,
        apiKey: options.keys[tenant],
        insecure: options.ca === undefined,
        ca: options.ca,
      },
      {},
    );
  const sessions = [
    await openAlerterSession(connection('acme')),
    await openAlerterSession(connection('globex')),
  ];
  let alerts: alerterV1.Alert[] = [];
  try {
    const deadline = Date.now() + ALERT_WAIT_MS;
    for (;;) {
      alerts = await alertsOnRun(sessions, byId);
      const missing = expected.filter((e) => !alerts.some((a) => a.rule === e.event.alert && names(a, e.id)));
      if (missing.length === 0 || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, ALERT_POLL_MS));
    }
  } catch (error: unknown) {
    if (!(error instanceof CliError) || error.code !== 'UNAVAILABLE') throw error;
    say(`  the alerter did not answer: ${error.message}`);
    say('  (npm start runs it; msi alerts --follow shows what it raises)');
    return;
  } finally {
    for (const session of sessions) session.close();
  }
  say(
    alerts.length === 0
      ? '  the alerter raised no alert on this run'
      : `  the alerter raised ${alerts.length} alert(s) on this run's events:`,
  );
  for (const alert of alerts) {
    const first = alert.eventIds.map(eventIdText).find((id) => byId.has(id));
    const event = first === undefined ? undefined : byId.get(first);
    const round = alert.anchoredRound > 0n ? `anchored in round ${alert.anchoredRound}` : 'not anchored yet';
    say(`  - ${severityName(alert.severity).toUpperCase()} ${alert.rule}: ${alert.message}`);
    if (event !== undefined) {
      say(`      on ${event.event.actor}'s ${event.event.kind} ${event.id}, ${round}`);
      say(`      receipt: ${join(receiptsDir, `${event.id}.json`)}   alert id: ${alert.alertId}`);
      if (event.event.alert !== alert.rule)
        say('      (not one of the staged violations: the policy found this too)');
    }
  }
  for (const e of expected) {
    if (!alerts.some((a) => a.rule === e.event.alert && names(a, e.id))) {
      say(
        `  no ${e.event.alert} alert on ${e.event.actor}'s ${e.event.kind} ${e.id} within ${ALERT_WAIT_MS / 1000} s`,
      );
      say(
        `  (is the alerter running the shipped policy? msi alerts --rule ${e.event.alert} shows what it has)`,
      );
    }
  }
  if (alerts.length > 0)
    say('  msi alerts --follow (with the ops key npm start prints) shows every alert as it is raised.');
}

/** The alerts (of every tenant the sessions see) that name an event of the run, oldest first. */
async function alertsOnRun(
  sessions: readonly AlerterSession[],
  byId: ReadonlyMap<string, Emitted>,
): Promise<alerterV1.Alert[]> {
  const found = new Map<string, alerterV1.Alert>();
  for (const session of sessions) {
    const page = await session.listAlerts(alerterV1.ListAlertsRequest.fromPartial({ pageSize: 1000 }));
    for (const alert of page.alerts) {
      if (alert.eventIds.some((id) => byId.has(eventIdText(id)))) found.set(alert.alertId, alert);
    }
  }
  return [...found.values()].sort((a, b) => (a.sequence < b.sequence ? -1 : 1));
}

const names = (alert: alerterV1.Alert, eventId: string) =>
  alert.eventIds.some((id) => eventIdText(id) === eventId);

/** Waits until every event is anchored (GetReceipt --wait); returns the rounds they are in. */
async function anchorAll(
  events: readonly Emitted[],
  connection: (event: Emitted) => readonly string[],
  io: CliIo,
): Promise<Set<number>> {
  const rounds = new Set<number>();
  for (const event of events) {
    const result = await runCaptured(
      receiptCommand,
      [event.id, '--wait', '--timeout', String(ANCHOR_TIMEOUT_S), ...connection(event)],
      io,
    );
    const receipt = parseReceiptJson(result.out);
    rounds.add(receipt.roundProof.leafIndex);
  }
  return rounds;
}

/**
 * Verifies one receipt offline with the calendar key and, when a witness key is given, a quorum of 1:
 * the receipt is fetched again (bounded) until it carries the witness's cosignature.
 */
async function verifyOne(
  event: Emitted,
  receiptsDir: string,
  options: DemoOptions,
  connection: readonly string[],
  io: CliIo,
): Promise<number> {
  const say = (line: string) => io.out(`${line}\n`);
  const path = join(receiptsDir, `${event.id}.json`);
  const trust = ['--key', options.key ?? ''];
  if (options.witness !== undefined) trust.push('--witness', options.witness, '--quorum', '1');
  say(
    `  verifying ${path} OFFLINE with the calendar key${options.witness === undefined ? '' : ' and a witness quorum of 1'}:`,
  );
  let verified = await runCaptured(verifyCommand, [path, ...trust], io);
  for (
    let attempt = 0;
    options.witness !== undefined && verified.status !== EXIT.ok && attempt < COSIGN_ATTEMPTS;
    attempt++
  ) {
    await new Promise((resolve) => setTimeout(resolve, COSIGN_PAUSE_MS));
    await runCaptured(receiptCommand, [event.id, '-o', path, ...connection], io);
    verified = await runCaptured(verifyCommand, [path, ...trust], io);
  }
  say(`  ${verified.out.trim()}`);
  if (verified.status !== EXIT.ok && options.witness !== undefined) {
    say(
      `  (no receipt with the witness's cosignature within ${(COSIGN_ATTEMPTS * COSIGN_PAUSE_MS) / 1000} s)`,
    );
  }
  if (options.witness === undefined)
    say('  (give --witness KEY, printed by npm start, to require its cosignature)');
  return verified.status;
}

/** Writes the generated items under OUT/data and returns their imprints. */
async function writeItems(out: string, io: CliIo): Promise<Record<DemoItem, string>> {
  const dir = join(out, 'data');
  await mkdir(dir, { recursive: true });
  const nonce = Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(6))).toString('hex');
  const run = `${new Date(io.now()).toISOString()} ${nonce}`;
  const files = demoFiles(run);
  const imprints: Partial<Record<DemoItem, string>> = {};
  for (const [item, { file, text }] of Object.entries(files) as [
    DemoItem,
    { file: string; text: string },
  ][]) {
    const path = join(dir, file);
    await writeFile(path, text);
    imprints[item] = formatImprint(await imprintOfFile(path));
  }
  return imprints as Record<DemoItem, string>;
}
