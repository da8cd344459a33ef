/**
 * The only place test infrastructure reads the environment. A server given here is used as is;
 * otherwise fixtures try testcontainers (where a Docker engine answers), then embedded servers.
 */
export interface TestServerConfig {
  /** NATS_URL, e.g. nats://127.0.0.1:4222 (JetStream enabled). */
  readonly natsUrl: string | undefined;
  /** DATABASE_URL of a role that may CREATE DATABASE, e.g. postgres://postgres@127.0.0.1:5432/postgres. */
  readonly databaseUrl: string | undefined;
  /** True when a Docker engine socket or DOCKER_HOST is configured. */
  readonly dockerConfigured: boolean;
}

export function readTestServerConfig(env: NodeJS.ProcessEnv, dockerSocketExists: boolean): TestServerConfig {
  return {
    natsUrl: nonEmpty(env.NATS_URL),
    databaseUrl: nonEmpty(env.DATABASE_URL),
    dockerConfigured: dockerSocketExists || nonEmpty(env.DOCKER_HOST) !== undefined,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
