import { describe, expect, it } from 'vitest';
import { appRoleStatements, isValidRoleName, LOG_TABLES, MIGRATIONS, SCHEMA } from './schema.js';

describe('appRoleStatements', () => {
  it.each(['Robert', 'a"; DROP TABLE x; --', '', '1abc', 'a'.repeat(64)])(
    'refuses the role name %j',
    (name) => {
      expect(isValidRoleName(name)).toBe(false);
      expect(() => appRoleStatements(name)).toThrow();
    },
  );

  it('grants the log tables only SELECT and INSERT', () => {
    const grants = appRoleStatements('calendar_app').filter((s) => s.startsWith('GRANT'));
    for (const table of LOG_TABLES) {
      const onTable = grants.filter((g) => g.includes(`${SCHEMA}.${table}`));
      expect(onTable.length).toBeGreaterThan(0);
      for (const grant of onTable) expect(grant).not.toMatch(/UPDATE|DELETE|TRUNCATE/);
    }
  });
});

describe('MIGRATIONS', () => {
  it('puts UPDATE/DELETE and TRUNCATE triggers on every log table', () => {
    const sql = MIGRATIONS.map((m) => m.sql).join('\n');
    for (const table of LOG_TABLES) {
      expect(sql).toContain(`BEFORE UPDATE OR DELETE ON ${SCHEMA}.${table}\n  FOR EACH ROW`);
      expect(sql).toContain(`BEFORE TRUNCATE ON ${SCHEMA}.${table}`);
    }
  });
});
