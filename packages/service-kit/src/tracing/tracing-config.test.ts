import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config-reader.js';
import { readTracingConfig } from './tracing-config.js';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    readTracingConfig(env);
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('readTracingConfig', () => {
  it('is off without an OTLP endpoint', () => {
    expect(readTracingConfig({})).toEqual({ enabled: false });
    expect(readTracingConfig({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toEqual(
      {
        enabled: false,
      },
    );
  });

  it('appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT, as the SDK does', () => {
    expect(readTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318/' })).toEqual({
      enabled: true,
      url: 'http://jaeger:4318/v1/traces',
      sampler: 'parentbased_always_on',
      ratio: 1,
    });
  });

  it('takes OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, before the base endpoint', () => {
    const config = readTracingConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/otlp/traces',
    });
    expect(config).toMatchObject({ enabled: true, url: 'https://b/otlp/traces' });
  });

  it('reads the sampler and its ratio', () => {
    const config = readTracingConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.01',
    });
    expect(config).toMatchObject({ sampler: 'parentbased_traceidratio', ratio: 0.01 });
  });

  it('names every bad variable', () => {
    expect(
      problemsOf({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://x/',
        OTEL_TRACES_SAMPLER: 'sometimes',
        OTEL_TRACES_SAMPLER_ARG: '2',
      }),
    ).toEqual([
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "ftp://x/" must be an http:// or https:// URL',
      'OTEL_EXPORTER_OTLP_ENDPOINT: "jaeger:4318" must be an http:// or https:// URL',
      expect.stringMatching(/^OTEL_TRACES_SAMPLER="sometimes" must be one of always_on, /),
      'OTEL_TRACES_SAMPLER_ARG="2" must be a number in [0, 1]',
    ]);
    expect(problemsOf({ OTEL_TRACES_SAMPLER_ARG: 'half' })).toEqual([
      'OTEL_TRACES_SAMPLER_ARG="half" must be a number in [0, 1]',
    ]);
  });
});
