import { type DataEvent, type Endpoint, formatImprint, formatUuid } from '@msi/core';
import { formatMicros } from '../model/format.js';
import type { ReceiptCheck } from '../model/receipt-check.js';
import { downloadText } from './download.js';
import { StatusBadge } from './status-badge.js';

/** A receipt on screen: its file name, text, and the check made in this page. */
export interface OpenReceipt {
  readonly name: string;
  readonly text: string;
  readonly check: ReceiptCheck;
}

/** The proof path drawn step by step (event → seal → round → checkpoint → witnesses), each verdict here. */
export function ReceiptView({ receipt }: { readonly receipt: OpenReceipt }) {
  const { check } = receipt;
  const download = () => downloadText(receipt.name, receipt.text, 'application/json');
  return (
    <article class="receipt" aria-labelledby="receipt-verdict" data-testid="receipt-view">
      <h3
        id="receipt-verdict"
        data-testid="receipt-verdict"
        class={check.ok ? 'verdict-valid' : 'verdict-invalid'}
      >
        {check.ok ? 'VALID' : `INVALID ${check.code}`}
        <span class="verdict-note"> — verified in this browser against your pinned keys</span>
      </h3>
      {!check.ok && <p class="error">{check.message}</p>}
      <ol class="proof-path" aria-label="Proof path">
        {check.steps.map((step) => (
          <li key={step.step} class={`step step-${step.status}`} data-testid={`step-${step.step}`}>
            <span class="step-label">{step.label}</span>
            <StatusBadge status={step.status} code={step.code} />
            <span class="step-detail">{step.detail}</span>
          </li>
        ))}
      </ol>
      <p>
        <button type="button" onClick={download}>
          Download {receipt.name}
        </button>
      </p>
      {check.ok && check.verified.version === 1 && <EventDetails event={check.verified.event} />}
    </article>
  );
}

function EventDetails({ event }: { readonly event: DataEvent }) {
  const rows: [string, string][] = [
    ['Event id', formatUuid(event.eventId)],
    ['Kind', event.kind],
    ['Tenant', event.tenant],
    ['Actor', event.actor],
    ['Submitter', event.submitter],
    ['Data', formatImprint(event.data)],
    ['Inputs', event.inputs.map(formatImprint).join(', ')],
    ['Outputs', event.outputs.map(formatImprint).join(', ')],
    ['To tenant', event.toTenant],
    ['Source', endpointText(event.source)],
    ['Destination', endpointText(event.destination)],
    ['Occurred', formatMicros(event.occurredAt)],
    ['Received', formatMicros(event.receivedAt)],
  ];
  return (
    <table class="event-details" data-testid="event-details">
      <caption>The event, as proven by the receipt</caption>
      <tbody>
        {rows
          .filter(([, value]) => value !== '')
          .map(([name, value]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td>{value}</td>
            </tr>
          ))}
        {event.attributes.map((attribute) => (
          <tr key={`attr ${attribute.key}`} data-testid="event-attribute">
            <th scope="row">{attribute.key}</th>
            <td>{attribute.value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function endpointText(endpoint: Endpoint): string {
  return [endpoint.system, endpoint.region, endpoint.host].filter((s) => s !== '').join(' / ');
}
