import { useState } from 'preact/hooks';
import type {
  AckResponseJson,
  AlertJson,
  AlertsRequestJson,
  AlertsResponseJson,
  ReceiptResponseJson,
} from '../../../src/api-types.js';
import type { ApiClient } from '../model/api-client.js';
import { formatMicros } from '../model/format.js';
import type { BrowserReceiptChecker } from '../model/receipt-check.js';
import type { OpenReceipt } from './receipt-view.js';
import { messageOf } from './sign-in.js';
import { usePolling } from './use-polling.js';

/** How often the list is read again (live updates). */
const POLL_MS = 2000;

/** Alerts the key may see, with filters, refreshed live; operators acknowledge them. */
export function AlertsView(props: {
  readonly client: ApiClient;
  readonly checker: BrowserReceiptChecker;
  readonly onOpenReceipt: (open: OpenReceipt) => void;
}) {
  const { client } = props;
  const [filter, setFilter] = useState<AlertsRequestJson>({ pageSize: 100 });
  const [alerts, setAlerts] = useState<readonly AlertJson[]>([]);
  const [error, setError] = useState('');
  const [updated, setUpdated] = useState('');
  const [refresh, setRefresh] = useState(0);

  usePolling(
    async (stopped) => {
      const response = await client.post<AlertsResponseJson>('/api/v1/alerts', filter);
      if (stopped()) return;
      setAlerts(response.alerts);
      setUpdated(new Date().toISOString());
    },
    POLL_MS,
    setError,
    [client, filter, refresh],
  );

  const set = (field: keyof AlertsRequestJson, value: string) =>
    setFilter((old) => ({ ...old, [field]: value === '' ? undefined : value }));

  const openReceipt = async (eventId: string) => {
    try {
      const { receiptJson } = await client.post<ReceiptResponseJson>('/api/v1/receipt', { eventId });
      props.onOpenReceipt({
        name: `receipt-${eventId}.json`,
        text: receiptJson,
        check: props.checker.check(receiptJson),
      });
    } catch (failure: unknown) {
      setError(messageOf(failure));
    }
  };

  return (
    <section aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alerts</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Severity at least
          <select onChange={(e) => set('minSeverity', e.currentTarget.value)}>
            <option value="">any</option>
            <option value="low">low</option>
            <option value="medium">medium</option>
            <option value="high">high</option>
            <option value="critical">critical</option>
          </select>
        </label>
        <label>
          Category
          <select onChange={(e) => set('category', e.currentTarget.value)}>
            <option value="">any</option>
            <option value="policy">policy</option>
            <option value="custody">custody</option>
            <option value="integrity">integrity</option>
          </select>
        </label>
        <label>
          Status
          <select onChange={(e) => set('status', e.currentTarget.value)}>
            <option value="">any</option>
            <option value="open">open</option>
            <option value="acknowledged">acknowledged</option>
          </select>
        </label>
        <label>
          Rule
          <input type="text" spellcheck={false} onChange={(e) => set('rule', e.currentTarget.value.trim())} />
        </label>
        <label>
          Tenant
          <input
            type="text"
            spellcheck={false}
            onChange={(e) => set('tenant', e.currentTarget.value.trim())}
          />
        </label>
      </form>
      <p class="note" role="status" aria-live="polite">
        {alerts.length} alert{alerts.length === 1 ? '' : 's'}; live, last read{' '}
        {updated === '' ? '—' : updated}.
      </p>
      {error !== '' && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <ul class="alerts">
        {alerts.map((alert) => (
          <AlertItem
            key={alert.alertId}
            alert={alert}
            client={client}
            onChanged={() => setRefresh((n) => n + 1)}
            onError={setError}
            onOpenReceipt={openReceipt}
          />
        ))}
      </ul>
    </section>
  );
}

function AlertItem(props: {
  readonly alert: AlertJson;
  readonly client: ApiClient;
  readonly onChanged: () => void;
  readonly onError: (message: string) => void;
  readonly onOpenReceipt: (eventId: string) => void;
}) {
  const { alert } = props;
  const [note, setNote] = useState('');
  const noteId = `ack-note-${alert.alertId}`;
  const acknowledge = async (event: Event) => {
    event.preventDefault();
    try {
      await props.client.post<AckResponseJson>('/api/v1/alerts/ack', { alertId: alert.alertId, note });
      props.onChanged();
    } catch (failure: unknown) {
      props.onError(messageOf(failure));
    }
  };
  return (
    <li
      class={`alert severity-${alert.severity} status-${alert.status}`}
      data-testid="alert"
      data-rule={alert.rule}
    >
      <div class="alert-head">
        <span class="severity">{alert.severity.toUpperCase()}</span>
        <span class="rule">{alert.rule}</span>
        <span class="tenant">{alert.tenant === '' ? 'system' : alert.tenant}</span>
        <span class="when">{formatMicros(Number(alert.firstSeenUs))}</span>
        {alert.occurrences !== '1' && <span class="count">×{alert.occurrences}</span>}
        <span class="alert-status" data-testid="alert-status">
          {alert.status}
        </span>
      </div>
      <p class="alert-message">{alert.message}</p>
      {alert.eventIds.length > 0 && (
        <p class="alert-events">
          Events:{' '}
          {alert.eventIds.slice(0, 5).map((id) => (
            <button key={id} type="button" class="link" onClick={() => props.onOpenReceipt(id)}>
              {id}
            </button>
          ))}
        </p>
      )}
      {alert.status === 'acknowledged' ? (
        <p class="note">
          Acknowledged by {alert.acknowledgedBy} at {formatMicros(Number(alert.acknowledgedAtUs))}
          {alert.acknowledgeNote === '' ? '' : `: ${alert.acknowledgeNote}`}
        </p>
      ) : (
        <form class="ack" onSubmit={acknowledge}>
          <label for={noteId}>Note</label>
          <input id={noteId} type="text" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          <button type="submit">Acknowledge</button>
        </form>
      )}
    </li>
  );
}
