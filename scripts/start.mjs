#!/usr/bin/env node
// `npm start`: the whole system on this machine, in development mode. Uses MSI_NATS_URL and
// MSI_DATABASE_URL when set; otherwise runs nats-server from PATH and an embedded Postgres, with all
// state under MSI_DATA_DIR (default .msi/ in the repository). Ctrl-C stops everything.
// `msi up` runs the same code (startDevConsole in packages/stack) with the same settings: both read
// them with the CLI's devStackSettings, which `msi demo` uses to find the dev API keys.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { startDevConsole } = await import(join(root, 'packages/stack/dist/index.js'));
const { devStackSettings } = await import(join(root, 'packages/cli/dist/config.js'));
const settings = devStackSettings(process.env);

// Caught from the start: a Ctrl-C while starting stops what has started once it is up. The services
// and the embedded servers' keepers run in their own process groups, so a terminal's Ctrl-C reaches
// only this process; devConsole.stop() stops the services first, then NATS, then Postgres. A second
// Ctrl-C exits at once (the services still running are sent SIGTERM, which they take as "exit now").
let devConsole;
let stopping = false;
async function shutdown(signal) {
  if (stopping) process.exit(130);
  stopping = true;
  if (devConsole === undefined) {
    console.log(`\n${signal}: stopping once started…`);
    return;
  }
  console.log(`\n${signal}: stopping…`);
  await devConsole.stop();
  console.log('stopped.');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
// The terminal closed: the services, in their own process groups, did not get its SIGHUP.
process.on('SIGHUP', () => void shutdown('SIGHUP'));

try {
  devConsole = await startDevConsole({
    root,
    dataDir: settings.dataDir,
    natsUrl: settings.natsUrl,
    databaseUrl: settings.databaseUrl,
    write: (text) => process.stdout.write(text),
    tty: process.stdout.isTTY === true,
  });
} catch (error) {
  console.error(`\nCould not start: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
if (stopping) {
  await devConsole.stop();
  console.log('stopped.');
  process.exit(0);
}
