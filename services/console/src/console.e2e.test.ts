// The console against the real stack (pipeline, verifier, alerter, witness, console as processes),
// driven in headless Chromium: sign-in, search by a dropped file, the custody graph, receipts
// verified in the page (and not on the server's word), a tampered receipt, hostile text, an alert
// acknowledged, keyboard use. Screenshots land in services/console/test-output/.
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { type CliIo, runCli } from '@msi/cli';
import { repositoryRoot, useWorld } from '@msi/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from './browser.test-helper.js';

const ACME = 'console-e2e-acme-key';
const OPS = 'console-e2e-ops-key';
const GLOBEX = 'console-e2e-globex-key';
const world = useWorld({
  label: 'console',
  nats: true,
  pipeline: (w) => ({
    verifier: true,
    console: true,
    witnesses: ['witness-a'],
    // Publications every second (the least the calendar takes), for the calendar view's list.
    extraEnv: { calendar: { MSI_CALENDAR_PUBLICATION_INTERVAL_MS: '1000' } },
    alerter: { policyFile: `${repositoryRoot()}/services/alerter/policies/default.yaml` },
    apiKeys: [
      { key: ACME, tenant: 'acme', principal: 'acme-pipeline', roles: ['emitter', 'auditor'] },
      { key: GLOBEX, tenant: 'globex', principal: 'globex-pipeline', roles: ['emitter', 'auditor'] },
      { key: OPS, tenant: 'ops', principal: `ops-${w.prefix}`, roles: ['operator'] },
    ],
  }),
});

async function msi(args: readonly string[]): Promise<string> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    stdin: () => Readable.from([]),
    env: {
      MSI_INGEST_ADDRESS: world.pipeline.ingestAddress,
      MSI_VERIFIER_ADDRESS: world.pipeline.verifierAddress ?? '',
      MSI_API_KEY: ACME,
    },
    now: () => Date.now(),
  };
  const status = await runCli(args, io);
  if (status !== 0) throw new Error(`msi ${args.join(' ')} exited ${status}: ${stderr}`);
  return stdout;
}

/** Emits one event and waits until its receipt is served; returns the event id. */
async function emitAnchored(args: readonly string[]): Promise<string> {
  const ack = JSON.parse((await msi(['emit', '--insecure', ...args])).trim()) as { eventId: string };
  await msi(['receipt', ack.eventId, '--insecure', '--wait', '--timeout', '30']);
  return ack.eventId;
}

const sha256 = async (text: string) =>
  `sha256:${Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString('hex')}`;

const FILE_TEXT = `quarterly customer export ${Date.now()}\n`;
const HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';

let browser: Browser;
let page: Page;
let consoleUrl = '';
const ids: Record<string, string> = {};

beforeAll(async () => {
  consoleUrl = world.pipeline.consoleUrl ?? '';
  const data = await sha256(FILE_TEXT);
  const derived = await sha256(`derived from ${FILE_TEXT}`);
  const twice = await sha256(`derived twice from ${FILE_TEXT}`);
  ids.store = await emitAnchored([
    '--kind',
    'STORE',
    '--data',
    data,
    '--actor',
    'alice',
    '--destination',
    's3/eu-west-1/b',
  ]);
  ids.process = await emitAnchored([
    '--kind',
    'PROCESS',
    '--data',
    derived,
    '--actor',
    'etl-job',
    '--input',
    data,
    '--output',
    derived,
  ]);
  // A second hop downstream of the item: derived → twice-derived, for the lineage walk.
  ids.process2 = await emitAnchored([
    '--kind',
    'PROCESS',
    '--data',
    twice,
    '--actor',
    'etl-job-2',
    '--input',
    derived,
    '--output',
    twice,
  ]);
  ids.transfer = await emitAnchored([
    '--kind',
    'TRANSFER',
    '--data',
    data,
    '--actor',
    'mallory',
    '--source',
    's3/eu-west-1/b',
    '--destination',
    'partner-sftp/us-east-1/h',
    '--attr',
    'classification=pii',
    '--attr',
    `note=${HOSTILE}`,
  ]);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => world.logs.push(`page error | ${error.message}`));
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

async function signIn(key: string) {
  await page.goto(consoleUrl);
  await page.getByLabel('API key').fill(key);
  await page.getByLabel('API key').press('Enter');
  await page.getByRole('heading', { name: "MSI auditor's console" }).waitFor();
  await page.getByLabel('Pinned keys', { exact: false }).count(); // the trust panel is there
}

async function pinKeys(text: string) {
  await page.getByLabel(/Verifier keys you trust/).fill(text);
}

describe('the console in headless Chromium against the real stack', () => {
  it('serves the app with a strict Content-Security-Policy and CORS off', async () => {
    const response = await fetch(consoleUrl);
    expect(response.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(response.headers.get('content-security-policy')).not.toMatch(/unsafe-inline|unsafe-eval/);
    const crossOrigin = await fetch(`${consoleUrl}/api/v1/checkpoint`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(crossOrigin.status).toBe(403);
    expect(crossOrigin.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("passes each caller's own key to the verifier: the same per-tenant authorization as gRPC", async () => {
    const receipt = (key: string | undefined, body: object) =>
      fetch(`${consoleUrl}/api/v1/receipt`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
        },
        body: JSON.stringify(body),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { code?: string; message?: string },
      }));
    expect(await receipt(undefined, { eventId: ids.store })).toMatchObject({
      status: 401,
      body: { code: 'UNAUTHENTICATED' },
    });
    expect(await receipt('wrong-key', { eventId: ids.store })).toMatchObject({ status: 401 });
    expect(await receipt(GLOBEX, { eventId: ids.store })).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND' },
    });
    expect(await receipt(OPS, { eventId: ids.store })).toMatchObject({
      status: 403,
      body: { code: 'PERMISSION_DENIED' },
    });
    expect(await receipt(ACME, { eventId: 'nope' })).toMatchObject({
      status: 400,
      body: { code: 'FIELD_INVALID', message: 'eventId must be a UUID (8-4-4-4-12 hex digits)' },
    });
    const own = await receipt(ACME, { eventId: ids.store });
    expect(own.status).toBe(200);
    expect(own.body).toHaveProperty('receiptJson');
  });

  it('gives the new routes the same per-tenant authorization (search by actor, lineage)', async () => {
    const call = (path: string, key: string, body: object) =>
      fetch(`${consoleUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    const own = await call('/api/v1/search/actor', ACME, { actor: 'mallory' });
    expect(own.status).toBe(200);
    expect((own.body.entries as { eventId: string }[]).map((e) => e.eventId)).toContain(ids.transfer);
    const other = await call('/api/v1/search/actor', GLOBEX, { actor: 'mallory' });
    expect(other.status).toBe(200);
    expect((other.body.entries as { eventId: string }[]).map((e) => e.eventId)).not.toContain(ids.transfer);
    expect((await call('/api/v1/search/actor', OPS, { actor: 'mallory' })).status).toBe(403);
    expect(await call('/api/v1/lineage', ACME, { data: 'sha256:nope' })).toMatchObject({
      status: 400,
      body: { code: 'FIELD_INVALID', message: 'data must be an imprint such as sha256:<64 hex digits>' },
    });
    expect((await call('/api/v1/lineage', OPS, { data: await sha256(FILE_TEXT) })).status).toBe(403);
  });

  it('refuses a wrong key, signs in with the keyboard, keeps the key out of storage', async () => {
    await page.goto(consoleUrl);
    await page.getByLabel('API key').fill('not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not accepted/);
    await screenshot(page, '01-sign-in-refused');
    await page.getByLabel('API key').fill(ACME);
    await page.keyboard.press('Tab'); // to the button
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Sign in');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    const stored = await page.evaluate<string>(
      'JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie',
    );
    expect(stored).not.toContain(ACME);
  });

  it('searches by a dropped file, draws the lineage and verifies every row in the page', async () => {
    await pinKeys(`${world.pipeline.verifierKey}\n${world.pipeline.witnesses[0]?.verifierKey ?? ''}`);
    // A real drop event whose file is made in the page (the drop zone reads it like a user's file).
    const dropped = await page.evaluateHandle(
      `(() => { const t = new DataTransfer(); t.items.add(new File([${JSON.stringify(FILE_TEXT)}], 'export.csv', { type: 'text/csv' })); return t; })()`,
    );
    const uploads: string[] = [];
    page.on('request', (request) => {
      if ((request.postData() ?? '').includes('quarterly customer export')) uploads.push(request.url());
    });
    await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: dropped });
    await page.getByTestId('custody-result').waitFor();
    const rows = page.getByTestId('custody-row');
    await expect.poll(() => rows.count()).toBe(3);
    for (const text of await rows.allTextContents()) expect(text).toContain('✓ valid');
    expect(await page.getByTestId('lineage-node').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('[data-testid="lineage-graph"] .edge').count()).toBe(2);
    expect(uploads).toEqual([]); // the file itself never left the page
    await page.getByLabel('Only the events of an actor').fill('mallory');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('TRANSFER');
    await page.getByLabel('Only the events of an actor').fill('');
    await screenshot(page, '02-custody-by-dropped-file');
  });

  it('walks the lineage across two hops, every link verified in the page before it is drawn', async () => {
    await page.getByLabel('Hops', { exact: true }).fill('3');
    await page.getByRole('button', { name: 'Walk the lineage' }).click();
    await page.getByTestId('walk-result').waitFor();
    const links = page.getByTestId('walk-row');
    await expect.poll(() => links.count()).toBe(3); // PROCESS, TRANSFER, and the PROCESS one hop further
    for (const text of await links.allTextContents()) expect(text).toContain('✓ valid');
    expect(await links.filter({ hasText: ids.process2 ?? '' }).textContent()).toMatch(/✓ valid\s*2/);
    expect(await page.locator('[data-testid="walk-graph"] .edge').count()).toBe(3);
    await screenshot(page, '02b-lineage-walk');
  });

  it('searches by actor and verifies each row in the page', async () => {
    await page.getByLabel('Actor or submitter').fill('etl-job');
    await page.getByRole('button', { name: 'Find by actor' }).click();
    const rows = page.getByTestId('actor-row');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('✓ valid');
    expect(await rows.first().textContent()).toContain(ids.process ?? '');
    await page.getByLabel('Actor or submitter').fill('mallory');
    await page.getByRole('button', { name: 'Find by actor' }).click();
    await expect.poll(async () => (await rows.allTextContents()).join('|')).toContain(ids.transfer ?? '');
    for (const text of await rows.allTextContents()) expect(text).toContain('✓ valid');
    await screenshot(page, '02c-search-by-actor');
  });

  it('shows the proof path of a receipt verified in the page, and hostile text as text', async () => {
    await page.getByRole('button', { name: ids.transfer ?? '' }).click();
    await expect.poll(() => page.getByTestId('receipt-verdict').textContent()).toMatch(/^VALID/);
    for (const step of ['file', 'event', 'seal', 'round', 'checkpoint', 'witnesses']) {
      expect(await page.getByTestId(`step-${step}`).textContent()).toContain('✓ valid');
    }
    const note = page.getByTestId('event-attribute').filter({ hasText: 'note' }).locator('td');
    expect(await note.textContent()).toBe(HOSTILE);
    expect(
      await page.locator('[data-testid="event-details"] script, [data-testid="event-details"] img').count(),
    ).toBe(0);
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
    await screenshot(page, '03-receipt-verified');

    // Not on the server's word: with another calendar key pinned, the same receipt is invalid.
    await pinKeys('msi.dev/calendar+00000000+AdglrftQ5QZx3ASAne8Q3KHYXaFFumBXZUeUCpPUOSGK');
    await page.getByRole('button', { name: 'Chain of custody' }).click();
    await page.getByLabel('Data hash or event id').fill(ids.store ?? '');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect
      .poll(() => page.getByTestId('receipt-verdict').textContent())
      .toMatch(/^INVALID UNTRUSTED_KEY/);
  });

  it('shows a tampered receipt file invalid with the code of its step', async () => {
    await pinKeys(world.pipeline.verifierKey);
    const receipt = await msi(['receipt', ids.store ?? '', '--insecure']);
    const leafIndex = (JSON.parse(receipt) as { eventProof: { leafIndex: number } }).eventProof.leafIndex;
    const tampered = receipt.replace(`"leafIndex":${leafIndex},`, `"leafIndex":${leafIndex + 1},`);
    expect(tampered).not.toBe(receipt);
    await page.getByLabel(/Verify a receipt file/).setInputFiles({
      name: 'tampered.json',
      mimeType: 'application/json',
      buffer: Buffer.from(tampered),
    });
    await expect
      .poll(() => page.getByTestId('receipt-verdict').textContent())
      .toMatch(/^INVALID EVENT_PROOF_INVALID/);
    expect(await page.getByTestId('step-event').textContent()).toContain('✗ invalid EVENT_PROOF_INVALID');
    expect(await page.getByTestId('step-file').textContent()).toContain('✓ valid');
    expect(await page.getByTestId('step-round').textContent()).toContain('not reached');
    await screenshot(page, '04-tampered-receipt');
  });

  it('lets an operator acknowledge an alert, reaching the views by keyboard', async () => {
    await signIn(OPS);
    // Tab through the page to the Alerts tab and open it with Enter.
    let reached = false;
    for (let i = 0; i < 20 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await page.evaluate('document.activeElement?.textContent')) === 'Alerts';
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Alerts', exact: true }).waitFor();
    const alert = page.locator('[data-testid="alert"][data-rule="pii-outside-allowed-regions"]').first();
    await alert.waitFor({ timeout: 60_000 });
    await alert.getByLabel('Note').fill('partner contract checked');
    await alert.getByRole('button', { name: 'Acknowledge' }).click();
    await expect
      .poll(() => alert.getByTestId('alert-status').textContent(), { timeout: 10_000 })
      .toBe('acknowledged');
    await screenshot(page, '05-alert-acknowledged');
    await page.getByRole('button', { name: 'Calendar' }).click();
    await expect.poll(() => page.getByTestId('calendar-size').textContent()).toMatch(/^\d+$/);
    await screenshot(page, '06-calendar');
  });

  it('shows the witnesses with their lag, cosignatures verified in the page, and publications to download', async () => {
    await signIn(ACME);
    await pinKeys(`${world.pipeline.verifierKey}\n${world.pipeline.witnesses[0]?.verifierKey ?? ''}`);
    await page.getByRole('button', { name: 'Calendar' }).click();
    const witness = page.getByTestId('witness-row').filter({ hasText: 'witness-a' });
    await expect.poll(() => witness.textContent(), { timeout: 30_000 }).toContain('✓ valid');
    expect(await witness.locator('td').nth(5).textContent()).toMatch(/^\d+$/); // lag in entries
    await expect.poll(() => page.getByTestId('round-latency').textContent()).toMatch(/^round \d+ closed /);
    await page.getByTestId('size-chart').waitFor();
    const publication = page.getByTestId('publication-row').first();
    await publication.waitFor({ timeout: 60_000 });
    expect(await publication.textContent()).toContain('✓ valid');
    const downloading = page.waitForEvent('download');
    await publication.getByRole('button', { name: /Download publication of size \d+/ }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^publication-\d+\.txt$/);
    const path = await download.path();
    expect((await readFile(path, 'utf8')).startsWith('MSI publication v1\n')).toBe(true);
    await screenshot(page, '07-calendar-witnesses-publications');
    // With no witness key pinned, the same cosignature is not shown valid.
    await pinKeys(world.pipeline.verifierKey);
    await expect.poll(() => witness.textContent()).toContain('unverified');
  });
});
