import { type EventInput, formatImprint, hashBytes } from '@msi/client';
import { AdapterError, attributesOf, objectOf, parseRecord, textOf } from './record-fields.js';

/**
 * One line of Falco's JSON output (json_output: true) as an MSI event. Falco records carry no content
 * hash: the record itself is anchored, its UTF-8 bytes' SHA-256 being the data (keep the line to show
 * what was anchored). A STATE event: the actor is the user (`user.name`), else the process
 * (`proc.name`); the location is the host, and the container when there is one (`source.region` is
 * `container:<id>`). The line is untrusted input: AdapterError when it is not a Falco alert.
 */
export function falcoAlert(line: string): EventInput {
  const record = parseRecord(line, 'a Falco');
  const rule = textOf(record, 'rule');
  const time = textOf(record, 'time');
  if (rule === undefined || time === undefined)
    throw new AdapterError('NOT_A_RECORD', 'a Falco alert needs rule and time');
  const fields = objectOf(record, 'output_fields') ?? {};
  const container = textOf(fields, 'container.id');
  const inContainer = container !== undefined && container !== 'host';
  const ms = Date.parse(time);
  return {
    kind: 'STATE',
    data: formatImprint(hashBytes(line)),
    actor: textOf(fields, 'user.name') ?? textOf(fields, 'proc.name') ?? 'falco',
    source: {
      system: 'falco',
      host: textOf(record, 'hostname') ?? '',
      ...(inContainer ? { region: `container:${container}` } : {}),
    },
    ...(Number.isNaN(ms) ? {} : { occurredAt: ms * 1000 }),
    attributes: attributesOf({
      'falco.rule': rule,
      'falco.priority': textOf(record, 'priority'),
      'falco.source': textOf(record, 'source'),
      'falco.process': textOf(fields, 'proc.name'),
      'falco.cmdline': textOf(fields, 'proc.cmdline'),
      'falco.file': textOf(fields, 'fd.name'),
      'falco.container': inContainer ? (textOf(fields, 'container.name') ?? container) : undefined,
      'falco.pod': textOf(fields, 'k8s.pod.name'),
      'falco.namespace': textOf(fields, 'k8s.ns.name'),
    }),
  };
}
