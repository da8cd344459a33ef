import { type DataEvent, formatImprint, formatUuid } from '@msi/core';

/** A data item as held by one tenant (at one place, once transferred there): a node of the graph. */
export interface LineageNode {
  readonly key: string;
  readonly imprint: string;
  readonly tenant: string;
  /** Where a TRANSFER took it (`system/region`); empty for the item as its tenant holds it. */
  readonly place: string;
  /** Events (other than PROCESS and TRANSFER) that touched it here, e.g. STORE, ACCESS. */
  readonly touches: number;
  /** Column (depth in the lineage) and row, for drawing. */
  readonly layer: number;
  readonly row: number;
}

/** A PROCESS (input → output) or a TRANSFER (from one holder or place to another). */
export interface LineageEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: 'PROCESS' | 'TRANSFER';
  readonly eventId: string;
  /** Who (actor) and, for a transfer, where: shown as text. */
  readonly label: string;
}

export interface LineageGraph {
  readonly nodes: readonly LineageNode[];
  readonly edges: readonly LineageEdge[];
  readonly layers: number;
  readonly rows: number;
}

/**
 * The lineage drawn from verified events only: PROCESS inputs → outputs, TRANSFERs across systems,
 * regions and tenants. A node is an imprint held by a tenant; layers follow the longest path from a
 * source (a cycle, impossible in honest data, is cut where it closes).
 */
export function buildLineage(events: readonly DataEvent[]): LineageGraph {
  const touches = new Map<string, { imprint: string; tenant: string; place: string; touches: number }>();
  const edges: LineageEdge[] = [];
  const node = (imprint: string, tenant: string, place = '') => {
    const key = `${imprint} ${tenant} ${place}`;
    let found = touches.get(key);
    if (found === undefined) {
      found = { imprint, tenant, place, touches: 0 };
      touches.set(key, found);
    }
    return { key, found };
  };
  const seen = new Set<string>();
  for (const event of events) {
    const eventId = formatUuid(event.eventId);
    if (seen.has(eventId)) continue; // one event may name the item in several roles
    seen.add(eventId);
    const data = formatImprint(event.data);
    if (event.kind === 'PROCESS') {
      for (const input of event.inputs) {
        for (const output of event.outputs) {
          edges.push({
            from: node(formatImprint(input), event.tenant).key,
            to: node(formatImprint(output), event.tenant).key,
            kind: 'PROCESS',
            eventId,
            label: event.actor,
          });
        }
      }
    } else if (event.kind === 'TRANSFER') {
      const to = event.toTenant === '' ? event.tenant : event.toTenant;
      const place = [event.destination.system, event.destination.region].filter((s) => s !== '').join('/');
      edges.push({
        from: node(data, event.tenant).key,
        to: node(data, to, place).key,
        kind: 'TRANSFER',
        eventId,
        label: place === '' ? event.actor : `${event.actor} → ${place}`,
      });
    } else node(data, event.tenant).found.touches += 1;
  }
  const layerOf = layers([...touches.keys()], edges);
  const rowsPerLayer = new Map<number, number>();
  const nodes: LineageNode[] = [];
  for (const [key, n] of touches) {
    const layer = layerOf.get(key) ?? 0;
    const row = rowsPerLayer.get(layer) ?? 0;
    rowsPerLayer.set(layer, row + 1);
    nodes.push({ key, ...n, layer, row });
  }
  return {
    nodes,
    edges,
    layers: Math.max(0, ...layerOf.values()) + 1,
    rows: Math.max(0, ...rowsPerLayer.values()),
  };
}

/** Longest-path layering (Kahn's order); nodes left on a cycle keep the layer reached so far. */
function layers(keys: readonly string[], edges: readonly LineageEdge[]): Map<string, number> {
  const incoming = new Map<string, number>(keys.map((k) => [k, 0]));
  const outgoing = new Map<string, string[]>();
  for (const edge of edges) {
    if (edge.from === edge.to) continue;
    incoming.set(edge.to, (incoming.get(edge.to) ?? 0) + 1);
    const list = outgoing.get(edge.from);
    if (list === undefined) outgoing.set(edge.from, [edge.to]);
    else list.push(edge.to);
  }
  const layer = new Map<string, number>(keys.map((k) => [k, 0]));
  const ready = keys.filter((k) => incoming.get(k) === 0);
  while (ready.length > 0) {
    const key = ready.pop() as string;
    for (const next of outgoing.get(key) ?? []) {
      layer.set(next, Math.max(layer.get(next) ?? 0, (layer.get(key) ?? 0) + 1));
      const left = (incoming.get(next) ?? 1) - 1;
      incoming.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  return layer;
}
