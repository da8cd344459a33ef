/** The data items of the demo: generated files whose imprints the events carry. */
export type DemoItem = 'customers' | 'orders' | 'config' | 'derived';

export type DemoTenant = 'acme' | 'globex';

/** One event of the story, with its data named by item and its parents by event name. */
export interface StoryEvent {
  /** A name other events use as parent. */
  readonly name: string;
  readonly tenant: DemoTenant;
  readonly kind: 'STORE' | 'ACCESS' | 'TRANSFER' | 'PROCESS' | 'DELETE' | 'STATE';
  readonly data: DemoItem;
  readonly actor: string;
  readonly source?: string;
  readonly destination?: string;
  readonly toTenant?: string;
  readonly inputs?: readonly DemoItem[];
  readonly outputs?: readonly DemoItem[];
  readonly attrs?: readonly string[];
  readonly parents?: readonly string[];
  /** What happened, in words. */
  readonly say: string;
  /** Why this event breaks a policy, when it does. */
  readonly violation?: string;
  /** The rule of the shipped policy (services/alerter/policies/default.yaml) it should raise. */
  readonly alert?: string;
}

export interface StoryStep {
  readonly title: string;
  readonly events: readonly StoryEvent[];
  /** When set, every event so far is anchored before the story goes on; said while waiting. */
  readonly anchorAfter?: string;
}

/** The file name and generated content of each item; `run` makes the content (and imprints) unique. */
export function demoFiles(run: string): Record<DemoItem, { readonly file: string; readonly text: string }> {
  const customers = [
    'customer_id,name,email,country',
    `c-1001,Ada Lovelace,ada@example.com,GB`,
    `c-1002,Grace Hopper,grace@example.com,US`,
    `c-1003,Edsger Dijkstra,edsger@example.com,NL`,
  ];
  const orders = [
    'order_id,customer_id,total_eur',
    'o-1,c-1001,120.00',
    'o-2,c-1003,75.50',
    'o-3,c-1001,9.99',
  ];
  return {
    customers: { file: 'customers-export.csv', text: `# demo run ${run}\n${customers.join('\n')}\n` },
    orders: { file: 'orders.csv', text: `# demo run ${run}\n${orders.join('\n')}\n` },
    config: {
      file: 'etl-config.yaml',
      text: `# demo run ${run}\njob: customer-orders\njoin: customer_id\nregion: eu-west-1\n`,
    },
    derived: {
      file: 'customer-orders.csv',
      text: `# demo run ${run}\ncustomer_id,orders,total_eur\nc-1001,2,129.99\nc-1003,1,75.50\n`,
    },
  };
}

const RAW = 's3/eu-west-1/acme-raw';
const CURATED = 's3/eu-west-1/acme-curated';
const WAREHOUSE = 'snowflake/eu-west-1/acme-analytics';
const GLOBEX = 'globex-lake/eu-central-1/shared';

/** Who may read the customer export, as acme declares it (a `readers` fact). */
export const CUSTOMER_READERS = ['crm-export', 'etl-customer-orders', 'reporting-job', 'backup-sync'];

/** The story, step by step (steps 1 to 6; anchoring, verification, history and alerts follow). */
export const STORY: readonly StoryStep[] = [
  {
    title: 'acme stores three files in s3/eu-west-1',
    events: [
      {
        name: 'store-customers',
        tenant: 'acme',
        kind: 'STORE',
        data: 'customers',
        actor: 'crm-export',
        destination: RAW,
        attrs: ['classification=pii'],
        say: 'crm-export STOREs the customer export (classification=pii)',
      },
      {
        name: 'store-orders',
        tenant: 'acme',
        kind: 'STORE',
        data: 'orders',
        actor: 'shop-backend',
        destination: RAW,
        say: 'shop-backend STOREs the orders',
      },
      {
        name: 'store-config',
        tenant: 'acme',
        kind: 'STORE',
        data: 'config',
        actor: 'platform-team',
        destination: 's3/eu-west-1/acme-config',
        say: 'platform-team STOREs the ETL config',
      },
    ],
  },
  {
    title: 'acme declares who may read the customer export (a fact the alerter applies)',
    anchorAfter:
      'waiting until the files and the fact are anchored: a job should read only anchored inputs (else: unanchored-input)',
    events: [
      {
        name: 'readers',
        tenant: 'acme',
        kind: 'STATE',
        data: 'customers',
        actor: 'data-governance',
        attrs: [`fact.readers=${CUSTOMER_READERS.join(',')}`],
        parents: ['store-customers'],
        say: `data-governance records a STATE event: the export's readers are ${CUSTOMER_READERS.join(', ')}`,
      },
    ],
  },
  {
    title: 'an ETL job processes customers + orders into a derived dataset',
    anchorAfter:
      'waiting until the PROCESS is anchored: custody is judged in anchoring order, so the dataset must be produced before it moves (else: unknown-provenance)',
    events: [
      {
        name: 'process',
        tenant: 'acme',
        kind: 'PROCESS',
        // The job's data is its config; the derived dataset is named as output only (an item that is
        // both data and output comes back from GetHistory with role "data,output", which msi history
        // does not accept yet).
        data: 'config',
        actor: 'etl-customer-orders',
        source: RAW,
        destination: CURATED,
        inputs: ['customers', 'orders'],
        outputs: ['derived'],
        parents: ['store-customers', 'store-orders', 'store-config'],
        say: 'etl-customer-orders (configured by the ETL config) PROCESSes customer export + orders -> customer-orders',
      },
    ],
  },
  {
    title: 'the derived dataset moves: to the warehouse, then to the tenant globex',
    anchorAfter: 'waiting until the transfers are anchored, before globex reads what it received',
    events: [
      {
        name: 'to-warehouse',
        tenant: 'acme',
        kind: 'TRANSFER',
        data: 'derived',
        actor: 'replicator',
        source: CURATED,
        destination: WAREHOUSE,
        parents: ['process'],
        say: `replicator TRANSFERs customer-orders ${CURATED} -> ${WAREHOUSE}`,
      },
      {
        name: 'to-globex',
        tenant: 'acme',
        kind: 'TRANSFER',
        data: 'derived',
        actor: 'data-sharing',
        source: WAREHOUSE,
        destination: GLOBEX,
        toTenant: 'globex',
        parents: ['to-warehouse'],
        say: `data-sharing TRANSFERs customer-orders to the tenant globex (${GLOBEX})`,
      },
    ],
  },
  {
    title: 'globex analysts read it',
    events: [
      {
        name: 'alice',
        tenant: 'globex',
        kind: 'ACCESS',
        data: 'derived',
        actor: 'alice',
        source: GLOBEX,
        say: 'alice (globex) ACCESSes customer-orders',
      },
      {
        name: 'bob',
        tenant: 'globex',
        kind: 'ACCESS',
        data: 'derived',
        actor: 'bob',
        source: GLOBEX,
        say: 'bob (globex) ACCESSes customer-orders',
      },
    ],
  },
  {
    title: 'violations',
    events: [
      {
        name: 'pii-us',
        tenant: 'acme',
        kind: 'TRANSFER',
        data: 'customers',
        actor: 'backup-sync',
        source: RAW,
        destination: 's3/us-east-1/acme-backup',
        parents: ['store-customers'],
        attrs: ['classification=pii'],
        say: 'backup-sync TRANSFERs the pii customer export to s3/us-east-1',
        violation: 'pii data sent to a forbidden region (us-east-1)',
        alert: 'pii-outside-allowed-regions',
      },
      {
        name: 'mallory',
        tenant: 'acme',
        kind: 'ACCESS',
        data: 'customers',
        actor: 'mallory',
        source: RAW,
        say: 'mallory ACCESSes the customer export',
        violation: 'an actor who is not a declared reader (mallory) read pii data',
        alert: 'reader-not-allowed',
      },
      {
        name: 'delete',
        tenant: 'acme',
        kind: 'DELETE',
        data: 'customers',
        actor: 'retention-job',
        source: RAW,
        say: 'retention-job DELETEs the customer export',
      },
      {
        name: 'after-delete',
        tenant: 'acme',
        kind: 'ACCESS',
        data: 'customers',
        actor: 'reporting-job',
        source: RAW,
        parents: ['delete'],
        say: 'reporting-job ACCESSes the customer export',
        violation: 'access after deletion',
        alert: 'use-after-delete',
      },
      {
        name: 'frozen-config',
        tenant: 'acme',
        kind: 'STATE',
        data: 'config',
        actor: 'msi-agent',
        source: 'file//etl-1',
        attrs: ['file.path=/etc/etl/etl-config.yaml', 'file.class=frozen', 'file.change=modified'],
        say: 'the MSI agent on etl-1 reports that /etc/etl/etl-config.yaml changed (a frozen path)',
        violation: 'a file under a frozen path changed',
        alert: 'frozen-path-changed',
      },
    ],
  },
];

/** `msi emit` flags for one story event, given the items' imprints and the ids of earlier events. */
export function emitArgs(
  event: StoryEvent,
  imprints: Readonly<Record<DemoItem, string>>,
  ids: ReadonlyMap<string, string>,
): string[] {
  const args = ['--kind', event.kind, '--data', imprints[event.data], '--actor', event.actor];
  const optional: [string, string | undefined][] = [
    ['--source', event.source],
    ['--destination', event.destination],
    ['--to-tenant', event.toTenant],
  ];
  for (const [flag, value] of optional) if (value !== undefined) args.push(flag, value);
  for (const item of event.inputs ?? []) args.push('--input', imprints[item]);
  for (const item of event.outputs ?? []) args.push('--output', imprints[item]);
  for (const attr of event.attrs ?? []) args.push('--attr', attr);
  for (const parent of event.parents ?? []) {
    const id = ids.get(parent);
    if (id === undefined)
      throw new Error(`demo story: parent "${parent}" is not emitted before "${event.name}"`);
    args.push('--parent', id);
  }
  return args;
}
