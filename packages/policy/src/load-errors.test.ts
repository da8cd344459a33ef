import { describe, expect, it } from 'vitest';
import { loadError, problemLines } from './events.test-helper.js';

// Every case is a whole policy file with one mistake, and the exact problem reported for it:
// `line:column path: message` (line and column 1-based, pointing at the offending key or value).
const RULE = `version: 1
rules:
  - id: r
    description: d
    severity: low
`;

interface Case {
  readonly name: string;
  readonly text: string;
  readonly code?: 'SYNTAX' | 'INVALID';
  readonly want: string | readonly string[];
}

const CASES: readonly Case[] = [
  {
    name: 'unknown key, with a suggestion',
    text: `${RULE}    severty: high\n    when: { kind: ACCESS }\n`,
    want: '6:5 rules[0].severty: unknown key (did you mean "severity"?)',
  },
  {
    name: 'unknown top-level section',
    text: 'version: 1\nrule: []\n',
    want: '2:1 rule: unknown key (did you mean "rules"?)',
  },
  {
    name: 'wrong type: a list where a map is expected',
    text: `${RULE}    when: [kind, ACCESS]\n`,
    want: '6:11 rules[0].when: must be a map, got a list',
  },
  {
    name: 'wrong type: time.hour with a string',
    text: `${RULE}    when:\n      time.hour: "9"\n`,
    want: '7:18 rules[0].when.time.hour: must be a number, got the string "9"',
  },
  {
    name: 'bad kind',
    text: `${RULE}    when:\n      kind: TRANSFERED\n`,
    want: '7:13 rules[0].when.kind: "TRANSFERED" is not one of TRANSFER, PROCESS, STORE, ACCESS, DELETE, STATE (did you mean "TRANSFER"?)',
  },
  {
    name: 'bad weekday',
    text: `${RULE}    when:\n      time.weekday: { in: [mon, tues] }\n`,
    want: '7:33 rules[0].when.time.weekday.in[1]: "tues" is not one of mon, tue, wed, thu, fri, sat, sun (did you mean "tue"?)',
  },
  {
    name: 'bad regex',
    text: `${RULE}    when:\n      actor: { matches: "svc-(etl" }\n`,
    want: '7:25 rules[0].when.actor.matches: Invalid regular expression: /svc-(etl/u: Unterminated group',
  },
  {
    name: 'unknown operator',
    text: `${RULE}    when:\n      actor: { not_eq: bob }\n`,
    want: '7:16 rules[0].when.actor.not_eq: unknown key (did you mean "not_in"?)',
  },
  {
    name: 'unknown field path',
    text: `${RULE}    when:\n      destination.regoin: us-east-1\n`,
    want: '7:7 rules[0].when.destination.regoin: unknown field "destination.regoin" (did you mean "destination.region"?)',
  },
  {
    name: 'bad duration',
    text: `${RULE}    when: { kind: ACCESS }\n    dedupe: { window: 10 minutes }\n`,
    want: '7:23 rules[0].dedupe.window: "10 minutes" is not a duration like 500ms, 60s, 10m, 2h or 1d',
  },
  {
    name: 'duplicate rule id',
    text: `${RULE}    when: { kind: ACCESS }\n  - id: r\n    description: again\n    severity: high\n    when: { kind: DELETE }\n`,
    want: '7:9 rules[1].id: duplicate rule id "r"',
  },
  {
    name: 'unknown list',
    text: `version: 1\nlists:\n  eu-regions: [eu-west-1]\nrules:\n  - id: r\n    description: d\n    severity: low\n    when:\n      destination.region: { not_in: { list: eu-region } }\n`,
    want: '9:45 rules[0].when.destination.region.not_in.list: unknown list "eu-region" (did you mean "eu-regions"?)',
  },
  {
    name: 'bad time zone',
    text: 'version: 1\ntenants:\n  acme:\n    timezone: Europe/Berln\n',
    want: '4:15 tenants.acme.timezone: unknown time zone "Europe/Berln"',
  },
  {
    name: 'bad business hours',
    text: 'version: 1\ntenants:\n  acme:\n    business_hours: { days: [mon], from: "18:00", to: "08:00" }\n',
    want: '4:55 tenants.acme.business_hours.to: must be later than from',
  },
  {
    name: 'bad placeholder (pointed at inside the message)',
    text: `${RULE}    when: { kind: ACCESS }\n    message: "{actor} read {dta} at {time.clock}"\n`,
    want: '7:28 rules[0].message: unknown placeholder {dta}',
  },
  {
    name: 'bad webhook url',
    text: 'version: 1\nwebhooks:\n  - name: ops\n    url: ftp://hooks.example/msi\n    secret_env: OPS_SECRET\n',
    want: '4:10 webhooks[0].url: "ftp://hooks.example/msi" is not an http or https URL',
  },
  {
    name: 'both secret and secret_env',
    text: 'version: 1\nwebhooks:\n  - name: ops\n    url: https://hooks.example/msi\n    secret_env: OPS_SECRET\n    secret: hunter2\n',
    want: '6:5 webhooks[0].secret: give either secret or secret_env, not both',
  },
  {
    name: 'YAML syntax error',
    text: 'version: 1\nrules:\n  - id: r\n   description: d\n',
    code: 'SYNTAX',
    want: '4:1 : Sequence item without - indicator',
  },
  {
    name: 'duplicate key',
    text: `${RULE}    when: { kind: ACCESS }\n    severity: high\n`,
    want: '7:5 rules[0].severity: duplicate key',
  },
  {
    name: 'version missing',
    text: 'rules: []\n',
    want: '1:1 version: is required',
  },
  {
    name: 'unsupported version',
    text: 'version: 2\n',
    want: '1:10 version: unsupported version 2 (want 1)',
  },
  {
    name: 'JSON file with an error',
    text: '{\n  "version": 1,\n  "rules": [\n    { "id": "r", "description": "d", "severity": "urgent", "when": { "kind": "ACCESS" } }\n  ]\n}\n',
    want: '4:50 rules[0].severity: "urgent" is not one of low, medium, high, critical',
  },
  {
    name: 'JSON syntax error',
    text: '{\n  "version": 1,\n  "rules": [\n}\n',
    code: 'SYNTAX',
    want: [
      '4:1 : Flow sequence in block collection must be sufficiently indented and end with a ]',
      '4:2 : Flow map must end with a }',
    ],
  },
  {
    name: 'bad imprint in facts',
    text: 'version: 1\nfacts:\n  acme:\n    "sha256:abcd":\n      readers: [alice]\n',
    want: '4:5 facts.acme.sha256:abcd: "sha256:abcd" is not an imprint text: sha256 digest has 2 bytes, want 32',
  },
  {
    name: 'custody rule neither off nor a map',
    text: 'version: 1\ncustody:\n  use_after_delete: on\n',
    want: '3:21 custody.use_after_delete: must be off or { severity, tenants }, got "on"',
  },
];

describe('load errors', () => {
  it.each(CASES)('$name', ({ text, code = 'INVALID', want }) => {
    const error = loadError(text);
    expect(error.code).toBe(code);
    expect(problemLines(error.problems)).toEqual(typeof want === 'string' ? [want] : want);
  });

  it('lists every problem, in file order, one line each with the source name', () => {
    const error = loadError(
      'version: 1\nrules:\n  - id: Bad_Id\n    severity: extreme\n    when: { kind: ACCESS, actor: { eq: [x] } }\n',
      'policies/test.yaml',
    );
    expect(error.message.split('\n')).toEqual([
      'policies/test.yaml:3:5 rules[0].description: is required',
      'policies/test.yaml:3:9 rules[0].id: "Bad_Id" is not a rule id ([a-z0-9][a-z0-9-]{0,63})',
      'policies/test.yaml:4:15 rules[0].severity: "extreme" is not one of low, medium, high, critical',
      'policies/test.yaml:5:40 rules[0].when.actor.eq: must be a string, got a list',
    ]);
  });

  it('refuses an empty file', () => {
    const error = loadError('# nothing\n');
    expect(problemLines(error.problems)).toEqual(['1:1 : the policy is empty (want at least `version: 1`)']);
  });
});
