#!/usr/bin/env node
// `npm start`: the whole system on this machine, in development mode. Uses MSI_NATS_URL and
// MSI_DATABASE_URL when set; otherwise runs nats-server from PATH and an embedded Postgres, with all
// state under MSI_DATA_DIR (default .msi/ in the repository). Ctrl-C stops everything.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { startDevStack, watchRounds } = await import(join(root, 'packages/stack/dist/index.js'));

const colors = ['\x1b[36m', '\x1b[35m', '\x1b[33m', '\x1b[32m', '\x1b[34m', '\x1b[31m'];
const names = new Map();
const tty = process.stdout.isTTY;
function prefixed({ name, line }) {
  if (!names.has(name)) names.set(name, colors[names.size % colors.length]);
  let text = line;
  try {
    const record = JSON.parse(line);
    const { t, level, service, msg, ...rest } = record;
    const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    text = `${level.toUpperCase().padEnd(5)} ${msg}${extra}`;
  } catch {}
  const label = name.padEnd(12);
  process.stdout.write(
    `${tty ? '\r\x1b[K' : ''}${tty ? names.get(name) : ''}${label}${tty ? '\x1b[0m' : ''} | ${text}\n`,
  );
}

const dataDir = resolve(process.env.MSI_DATA_DIR ?? join(root, '.msi'));
console.log(`MSI development stack (data in ${dataDir}) — starting…`);
let stack;
try {
  stack = await startDevStack({
    root,
    dataDir,
    natsUrl: process.env.MSI_NATS_URL || undefined,
    databaseUrl: process.env.MSI_DATABASE_URL || undefined,
    onLine: prefixed,
  });
} catch (error) {
  console.error(`\nCould not start: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
await stack.pipeline.waitUntilServing(60_000);
const banner = [
  '',
  'MSI is up (development mode: dev keys, plaintext gRPC on loopback).',
  `  ingest (gRPC)      ${stack.pipeline.ingestAddress}`,
  `  verifier (gRPC)    ${stack.pipeline.verifierAddress}`,
  `  NATS               ${stack.natsUrl}   (${stack.origin.nats})`,
  `  Postgres           ${stack.databaseUrl.replace(/:[^:@/]+@/, ':***@')}   (${stack.origin.postgres})`,
  `  verifier key       ${stack.pipeline.verifierKey}`,
  ...stack.pipeline.witnesses.map((w) => `  witness            ${w.url}   key ${w.verifierKey}`),
  ...stack.apiKeys.map((k) => `  API key ${k.tenant.padEnd(10)} ${k.key}   (${k.roles.join(', ')})`),
  '  alerter: not part of the stack yet (issue 6).',
  '  Ctrl-C stops everything; state is kept for the next start.',
  '',
];
console.log(banner.join('\n'));

let last;
const window = [];
const stopWatching = await watchRounds(stack.natsUrl, stack.prefix, (round) => {
  last = round;
  window.push(round.events);
  if (window.length > 5) window.shift();
});
const status = setInterval(
  () => {
    if (last === undefined) return;
    const perSecond = window.reduce((a, b) => a + b, 0) / window.length;
    const line = `status: round ${last.round} · ${last.seals} seal(s) · ${Math.round(perSecond)} events/s anchored · open alerts: n/a (no alerter yet)`;
    if (tty) process.stdout.write(`\r\x1b[K${line}`);
    else console.log(line);
  },
  tty ? 1000 : 10_000,
);

let stopping = false;
async function shutdown(signal) {
  if (stopping) process.exit(1);
  stopping = true;
  clearInterval(status);
  console.log(`\n${signal}: stopping…`);
  await stopWatching();
  await stack.stop();
  console.log('stopped.');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
