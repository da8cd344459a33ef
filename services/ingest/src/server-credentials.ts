import { readFile } from 'node:fs/promises';
import { experimental, ServerCredentials } from '@grpc/grpc-js';
import { ConfigError } from '@msi/service-kit';
import type { TransportConfig } from './config.js';

/**
 * The gRPC listener's credentials: plaintext only when configured so explicitly; TLS with the
 * configured certificate; with a client CA, TLS that asks for a client certificate and verifies it
 * against that CA. Unless MSI_INGEST_REQUIRE_CLIENT_CERT is set, a client without a certificate (or
 * with one that does not verify) still connects and must then authenticate with an API key. A file
 * that cannot be read is a ConfigError naming its variable.
 */
export async function serverCredentials(transport: TransportConfig): Promise<ServerCredentials> {
  if (transport.kind === 'insecure') return ServerCredentials.createInsecure();
  const [cert, key] = await Promise.all([
    readSetting('MSI_INGEST_TLS_CERT', transport.certFile),
    readSetting('MSI_INGEST_TLS_KEY', transport.keyFile),
  ]);
  if (transport.clientCaFile === undefined) {
    return ServerCredentials.createSsl(null, [{ cert_chain: cert, private_key: key }], false);
  }
  const ca = await readSetting('MSI_INGEST_CLIENT_CA', transport.clientCaFile);
  // grpc-js's createSsl either ignores client certificates or demands one; its certificate-provider
  // credentials can ask for one without demanding it (rejectUnauthorized = requireClientCert).
  // Note: this experimental function takes the identity provider first, whatever its parameter names say.
  return experimental.createCertificateProviderServerCredentials(
    new StaticCertificates({ certificate: cert, privateKey: key }, undefined),
    new StaticCertificates(undefined, ca),
    transport.requireClientCert,
  );
}

/** A file a setting names; a ConfigError naming the variable when it cannot be read. */
export async function readSetting(variable: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error: unknown) {
    throw new ConfigError([`${variable}: cannot read ${path}: ${(error as Error).message}`]);
  }
}

/**
 * Fixed certificates as a grpc-js CertificateProvider. Listeners are called asynchronously: grpc-js
 * registers its server-side watcher only after adding the listener, and would miss a synchronous call.
 */
class StaticCertificates implements experimental.CertificateProvider {
  readonly #identity: { certificate: Buffer; privateKey: Buffer } | undefined;
  readonly #ca: Buffer | undefined;

  constructor(identity: { certificate: Buffer; privateKey: Buffer } | undefined, ca: Buffer | undefined) {
    this.#identity = identity;
    this.#ca = ca;
  }

  addCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    const update = this.#ca === undefined ? null : { caCertificate: this.#ca };
    queueMicrotask(() => listener(update));
  }

  removeCaCertificateListener(): void {}

  addIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    const update = this.#identity ?? null;
    queueMicrotask(() => listener(update));
  }

  removeIdentityCertificateListener(): void {}
}
