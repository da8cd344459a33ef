import { ConfigReader } from '../config-reader.js';

/** The samplers of OTEL_TRACES_SAMPLER (the OpenTelemetry SDK's names) that the services support. */
export const SAMPLER_NAMES = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

export type SamplerName = (typeof SAMPLER_NAMES)[number];

/** Tracing settings: off unless an OTLP endpoint is set. */
export type TracingConfig =
  | { readonly enabled: false }
  | {
      readonly enabled: true;
      /** Where spans are POSTed (OTLP/HTTP, JSON): `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces` or the traces endpoint. */
      readonly url: string;
      readonly sampler: SamplerName;
      /** The ratio of the `*traceidratio` samplers, in [0, 1]. */
      readonly ratio: number;
    };

/**
 * Reads the standard OpenTelemetry variables, as users of the OTel SDK expect them:
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the full URL) or OTEL_EXPORTER_OTLP_ENDPOINT (a base URL,
 * `/v1/traces` appended) turn tracing on; OTEL_TRACES_SAMPLER (default parentbased_always_on) and
 * OTEL_TRACES_SAMPLER_ARG (the ratio, default 1) choose what is sampled. Called by the service
 * runner with the environment it gives the service's config loader. Throws a ConfigError naming each
 * bad variable. (The exporter itself still honours OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT and
 * _COMPRESSION.)
 */
export function readTracingConfig(env: Readonly<Record<string, string | undefined>>): TracingConfig {
  const reader = new ConfigReader(env);
  const tracesUrl = reader.validated('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', '', httpUrl);
  const baseUrl = reader.validated('OTEL_EXPORTER_OTLP_ENDPOINT', '', httpUrl);
  const sampler = reader.oneOf('OTEL_TRACES_SAMPLER', SAMPLER_NAMES, 'parentbased_always_on');
  const ratioText = reader.optionalString('OTEL_TRACES_SAMPLER_ARG');
  const ratio = ratioText === undefined ? 1 : Number(ratioText);
  if (ratioText !== undefined && !(/^[0-9.eE+-]+$/.test(ratioText) && ratio >= 0 && ratio <= 1)) {
    reader.problem(`OTEL_TRACES_SAMPLER_ARG=${JSON.stringify(ratioText)} must be a number in [0, 1]`);
  }
  reader.done();
  const url = tracesUrl !== '' ? tracesUrl : baseUrl !== '' ? `${baseUrl.replace(/\/+$/, '')}/v1/traces` : '';
  if (url === '') return { enabled: false };
  return { enabled: true, url, sampler, ratio };
}

function httpUrl(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${JSON.stringify(value)} must be an http:// or https:// URL`);
  }
}
