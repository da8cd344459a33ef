import { status } from '@grpc/grpc-js';
import type { Identity } from './credentials.js';
import type { SecurityReporter } from './security-reporter.js';
import type { RefusedCall, UndecodableHandler, UndecodableRequest } from './strict-service.js';

/** A caller's authentication: its identity, or a short machine-readable reason why not. */
export type CallAuthentication =
  | { readonly ok: true; readonly identity: Identity }
  | { readonly ok: false; readonly reason: string };

export interface UndecodableRefusalOptions {
  readonly authenticate: (call: RefusedCall) => CallAuthentication;
  readonly security: SecurityReporter;
  /** Paths of the methods anyone may call: their bodies are refused without authenticating. */
  readonly publicMethods?: ReadonlySet<string>;
  /** Told of each refusal (a metric). */
  readonly onRefused?: (code: status) => void;
}

/**
 * The refusal of an undecodable request for a service with authenticated methods: UNAUTHENTICATED
 * when the caller does not authenticate (reported as such, with the reason), else INVALID_ARGUMENT
 * naming the field (reported as MALFORMED_REQUEST); on a public method INVALID_ARGUMENT at once.
 */
export function undecodableRefusal(options: UndecodableRefusalOptions): UndecodableHandler {
  return (call: RefusedCall, request: UndecodableRequest) => {
    const method = call.getPath();
    const auth: CallAuthentication = options.publicMethods?.has(method)
      ? { ok: false, reason: 'public_method' }
      : options.authenticate(call);
    const unauthenticated = !auth.ok && auth.reason !== 'public_method';
    options.security.report({
      kind: unauthenticated ? 'UNAUTHENTICATED' : 'MALFORMED_REQUEST',
      method,
      peer: call.getPeer(),
      principal: auth.ok ? auth.identity.principal : '',
      tenant: auth.ok ? auth.identity.tenant : '',
      reason: auth.ok || !unauthenticated ? 'undecodable_request' : auth.reason,
    });
    const code = unauthenticated ? status.UNAUTHENTICATED : status.INVALID_ARGUMENT;
    options.onRefused?.(code);
    return {
      code,
      details: unauthenticated
        ? 'a valid API key is required (authorization: Bearer <key>)'
        : request.details,
    };
  };
}
