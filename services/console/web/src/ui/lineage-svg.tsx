import { shorten } from '../model/format.js';
import type { LineageGraph } from '../model/lineage-graph.js';

const COLUMN = 260;
const ROW = 64;
const BOX_W = 200;
const BOX_H = 44;
const PAD = 16;
/** Room above the first row for an arrow that loops back to its own node. */
const TOP = 40;

/** Event ids named in the title of an arrow that stands for several events. */
const MAX_TITLE_EVENTS = 5;

interface ParallelEdges {
  readonly edge: LineageGraph['edges'][number];
  count: number;
  readonly eventIds: string[];
  /** The distinct labels (who, and where to), in order. */
  readonly labels: string[];
}

/**
 * The edges with the same ends and kind drawn as one arrow (e.g. the same item transferred to the
 * same place again and again): its count, and its events in order, go in its title.
 */
function parallelEdges(edges: LineageGraph['edges']): ParallelEdges[] {
  const groups = new Map<string, ParallelEdges>();
  for (const edge of edges) {
    const key = `${edge.kind} ${edge.from} ${edge.to}`;
    const group = groups.get(key);
    if (group === undefined) {
      groups.set(key, { edge, count: 1, eventIds: [edge.eventId], labels: [edge.label] });
    } else {
      group.count += 1;
      group.eventIds.push(edge.eventId);
      if (!group.labels.includes(edge.label)) group.labels.push(edge.label);
    }
  }
  return [...groups.values()];
}

/** The lineage graph as SVG: data items held by tenants, PROCESS and TRANSFER arrows. Text only. */
export function LineageSvg({
  graph,
  testId = 'lineage-graph',
}: {
  readonly graph: LineageGraph;
  readonly testId?: string;
}) {
  if (graph.nodes.length === 0) return <p class="note">No verified event to draw.</p>;
  const at = new Map(graph.nodes.map((n) => [n.key, { x: PAD + n.layer * COLUMN, y: TOP + n.row * ROW }]));
  const width = PAD * 2 + (graph.layers - 1) * COLUMN + BOX_W;
  const height = TOP + PAD + (graph.rows - 1) * ROW + BOX_H;
  return (
    <div class="graph-scroll">
      <svg
        class="lineage"
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`Lineage graph: ${graph.nodes.length} data items, ${graph.edges.length} links`}
        data-testid={testId}
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="8"
            markerHeight="8"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
          </marker>
        </defs>
        {parallelEdges(graph.edges).map(({ edge, count, eventIds, labels }) => {
          const from = at.get(edge.from);
          const to = at.get(edge.to);
          if (from === undefined || to === undefined) return null;
          const x1 = from.x + BOX_W;
          const y1 = from.y + BOX_H / 2;
          const x2 = to.x;
          const y2 = to.y + BOX_H / 2;
          const same = edge.from === edge.to;
          const d = same
            ? `M${x1},${y1} C${x1 + 40},${y1 - 40} ${from.x - 40},${y1 - 40} ${from.x},${y1}`
            : `M${x1},${y1} C${x1 + 40},${y1} ${x2 - 40},${y2} ${x2},${y2}`;
          const events =
            count === 1
              ? `event ${edge.eventId}`
              : `${count} events: ${eventIds.slice(0, MAX_TITLE_EVENTS).join(', ')}${count > MAX_TITLE_EVENTS ? ', …' : ''}`;
          return (
            <g
              key={`${edge.kind} ${edge.from} ${edge.to}`}
              class={`edge edge-${edge.kind.toLowerCase()}`}
              data-count={count}
            >
              <path
                d={d}
                marker-end="url(#arrow)"
                stroke-width={count === 1 ? undefined : Math.min(6, 1.5 + Math.log2(count))}
              />
              <title>{`${edge.kind}${count === 1 ? '' : ` ×${count}`} by ${labels.slice(0, MAX_TITLE_EVENTS).join('; ')}${labels.length > MAX_TITLE_EVENTS ? '; …' : ''} (${events})`}</title>
            </g>
          );
        })}
        {graph.nodes.map((node) => {
          const p = at.get(node.key);
          if (p === undefined) return null;
          return (
            <g key={node.key} class="node" transform={`translate(${p.x},${p.y})`} data-testid="lineage-node">
              <rect width={BOX_W} height={BOX_H} rx={6} />
              <text x={8} y={18}>
                {shorten(node.imprint, 26)}
              </text>
              <text x={8} y={36} class="node-tenant">
                {`${shorten(node.tenant, 16)}${node.place === '' ? '' : ` @ ${shorten(node.place, 14)}`}${node.touches > 0 ? ` · ${node.touches} event${node.touches === 1 ? '' : 's'}` : ''}`}
              </text>
              <title>{`${node.imprint} held by ${node.tenant}${node.place === '' ? '' : ` at ${node.place}`}`}</title>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
