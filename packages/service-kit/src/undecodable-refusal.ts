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
    const peer = call.getPeer();
    const auth = options.publicMethods?.has(method) ? undefined : options.authenticate(call);
    if (auth !== undefined && !auth.ok) {
      options.security.report({
        kind: 'UNAUTHENTICATED',
        method,
        peer,
        principal: '',
        tenant: '',
        reason: auth.reason,
      });
      options.onRefused?.(status.UNAUTHENTICATED);
      return {
        code: status.UNAUTHENTICATED,
        details: 'a valid API key is required (authorization: Bearer <key>)',
      };
    }
    options.security.report({
      kind: 'MALFORMED_REQUEST',
      method,
      peer,
      principal: auth?.identity.principal ?? '',
      tenant: auth?.identity.tenant ?? '',
      reason: 'undecodable_request',
    });
    options.onRefused?.(status.INVALID_ARGUMENT);
    return { code: status.INVALID_ARGUMENT, details: request.details };
  };
}
