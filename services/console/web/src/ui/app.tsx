import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ApiClient } from '../model/api-client.js';
import { readPinnedTrust } from '../model/pinned-trust.js';
import { BrowserReceiptChecker } from '../model/receipt-check.js';
import { startVerifyWorkers } from '../model/verify-in-workers.js';
import { AlertsView } from './alerts-view.js';
import { CalendarView } from './calendar-view.js';
import { CustodyView } from './custody-view.js';
import { type OpenReceipt, ReceiptView } from './receipt-view.js';
import { SignIn } from './sign-in.js';
import { TrustPanel } from './trust-panel.js';
import { VerifyUpload } from './verify-upload.js';

type Tab = 'custody' | 'receipt' | 'alerts' | 'calendar';

const TABS: readonly { readonly id: Tab; readonly label: string }[] = [
  { id: 'custody', label: 'Chain of custody' },
  { id: 'receipt', label: 'Receipt' },
  { id: 'alerts', label: 'Alerts' },
  { id: 'calendar', label: 'Calendar' },
];

/** The console: sign-in, then the pinned keys and the four views. The API key stays in memory. */
export function App() {
  const [client, setClient] = useState<ApiClient | null>(null);
  const [tab, setTab] = useState<Tab>('custody');
  const [trustText, setTrustText] = useState('');
  const [quorum, setQuorum] = useState(0);
  const [receipt, setReceipt] = useState<OpenReceipt | null>(null);
  const pinned = useMemo(() => readPinnedTrust(trustText, quorum), [trustText, quorum]);
  const checker = useMemo(() => new BrowserReceiptChecker(pinned.trust), [pinned]);
  // The verification workers load and warm up while the auditor signs in and pins keys.
  useEffect(startVerifyWorkers, []);

  if (client === null) return <SignIn onSignedIn={setClient} />;
  const openReceipt = (open: OpenReceipt) => {
    setReceipt(open);
    setTab('receipt');
  };
  return (
    <div class="console">
      <header class="top">
        <h1>MSI auditor's console</h1>
        <button type="button" class="secondary" onClick={() => setClient(null)}>
          Sign out
        </button>
      </header>
      <TrustPanel
        text={trustText}
        quorum={quorum}
        pinned={pinned}
        onText={setTrustText}
        onQuorum={setQuorum}
      />
      <nav class="tabs" aria-label="Views">
        {TABS.map(({ id, label }) => (
          <button
            key={id}
            type="button"
            class={tab === id ? 'tab active' : 'tab'}
            aria-current={tab === id ? 'page' : undefined}
            onClick={() => setTab(id)}
          >
            {label}
          </button>
        ))}
      </nav>
      <main>
        {tab === 'custody' && (
          <CustodyView
            client={client}
            checker={checker}
            trustText={trustText}
            quorum={quorum}
            trusted={pinned.logKeys.length > 0}
            onOpenReceipt={openReceipt}
          />
        )}
        {tab === 'receipt' && (
          <section aria-labelledby="receipt-title">
            <h2 id="receipt-title">Receipt</h2>
            <VerifyUpload checker={checker} onOpen={setReceipt} />
            {receipt !== null && <ReceiptView receipt={receipt} />}
          </section>
        )}
        {tab === 'alerts' && <AlertsView client={client} checker={checker} onOpenReceipt={openReceipt} />}
        {tab === 'calendar' && <CalendarView client={client} pinned={pinned} />}
      </main>
    </div>
  );
}
