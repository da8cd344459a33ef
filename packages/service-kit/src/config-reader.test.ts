import { describe, expect, it } from 'vitest';
import { ConfigError, ConfigReader } from './config-reader.js';

describe('ConfigReader', () => {
  it('reads values and falls back to defaults', () => {
    const reader = new ConfigReader({ A: 'x', N: '42', B: 'true', E: 'b' });
    expect(reader.string('A')).toBe('x');
    expect(reader.string('MISSING', 'd')).toBe('d');
    expect(reader.integer('N', 1, { min: 0, max: 100 })).toBe(42);
    expect(reader.boolean('B', false)).toBe(true);
    expect(reader.oneOf('E', ['a', 'b'] as const, 'a')).toBe('b');
    expect(() => reader.done()).not.toThrow();
  });

  it('reads the metrics listener the same way for every service: loopback, 0 = off', () => {
    expect(new ConfigReader({}).metricsListener('MSI_X_METRICS_HOST', 'MSI_X_METRICS_PORT', 9100)).toEqual({
      metricsHost: '127.0.0.1',
      metricsPort: 9100,
    });
    const set = new ConfigReader({ MSI_X_METRICS_HOST: '0.0.0.0', MSI_X_METRICS_PORT: '0' });
    expect(set.metricsListener('MSI_X_METRICS_HOST', 'MSI_X_METRICS_PORT', 9100)).toEqual({
      metricsHost: '0.0.0.0',
      metricsPort: 0,
    });
  });

  it('reports every problem at once, naming each variable', () => {
    const reader = new ConfigReader({ N: '1.5', B: 'maybe', E: 'z' });
    reader.string('REQUIRED');
    reader.integer('N', 1, { min: 0, max: 10 });
    reader.boolean('B', false);
    reader.oneOf('E', ['a', 'b'] as const, 'a');
    let error: unknown;
    try {
      reader.done();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'REQUIRED is required',
      'N="1.5" must be an integer in [0, 10]',
      'B="maybe" must be true or false',
      'E="z" must be one of a, b',
    ]);
  });
});

describe('ConfigReader.validated', () => {
  it("records the validator's message under the variable's name, and skips a missing value", () => {
    const r = new ConfigReader({ MSI_A: 'bad', MSI_B: 'good' });
    const check = (value: string) => {
      if (value !== 'good') throw new Error(`"${value}" is not good`);
    };
    expect(r.validated('MSI_A', undefined, check)).toBe('bad');
    expect(r.validated('MSI_B', undefined, check)).toBe('good');
    expect(r.validated('MSI_C', 'good', check)).toBe('good');
    expect(r.validated('MSI_D', undefined, check)).toBe('');
    expect(() => r.done()).toThrow(ConfigError);
    try {
      r.done();
    } catch (error: unknown) {
      expect((error as ConfigError).problems).toEqual(['MSI_A: "bad" is not good', 'MSI_D is required']);
    }
  });
});
