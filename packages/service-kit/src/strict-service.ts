import type {
  ServerUnaryCall,
  ServerWritableStream,
  ServiceDefinition,
  sendUnaryData,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { requestSchemaOf } from './proto-schemas.js';
import { type DecodeProblem, findDecodeProblem } from './strict-decode.js';
import type { MappedStatus } from './unary-handler.js';

/**
 * What a strict request deserializer gives instead of a message when the body does not decode
 * (see findDecodeProblem): the handler sees it, where grpc-js itself would answer INTERNAL
 * ("Error deserializing request") before any handler ran — never UNAUTHENTICATED, never reported.
 */
export class UndecodableRequest {
  constructor(readonly problem: DecodeProblem) {}

  /** `<field>: <message>`; `body: <message>` when the body as a whole is at fault. */
  get details(): string {
    const { field, message } = this.problem;
    return `${field === '' ? 'body' : field}: ${message}`;
  }
}

export function isUndecodable(value: unknown): value is UndecodableRequest {
  return value instanceof UndecodableRequest;
}

/**
 * Answers a call whose request did not decode: the service authenticates the caller (UNAUTHENTICATED
 * when that fails, else INVALID_ARGUMENT naming the field; public methods go straight to the latter)
 * and reports the refusal as a security event.
 */
export type UndecodableHandler = (call: RefusedCall, request: UndecodableRequest) => MappedStatus;

/** What the refusal may look at of the call. */
export type RefusedCall = Pick<
  ServerUnaryCall<unknown, unknown>,
  'metadata' | 'getPeer' | 'getPath' | 'getAuthContext'
>;

/**
 * The service with strict request deserializers (the schema comes from proto/ by the method's path).
 * Unary and server-streaming methods whose request did not decode are answered by `onUndecodable`
 * and never reach the implementation; a request-streaming method receives UndecodableRequest as a
 * message (its implementation checks each one with isUndecodable).
 */
export function strictService(
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
  onUndecodable: UndecodableHandler,
): { definition: ServiceDefinition; implementation: UntypedServiceImplementation } {
  const strictDefinition: Record<string, ServiceDefinition[string]> = {};
  const strictImplementation: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const schema = requestSchemaOf(method.path);
    const decode = method.requestDeserialize;
    strictDefinition[name] = {
      ...method,
      requestDeserialize: (body: Buffer) => {
        const problem = findDecodeProblem(schema, body);
        if (problem !== undefined) return new UndecodableRequest(problem);
        try {
          return decode(body);
        } catch (error: unknown) {
          const reason = error instanceof Error ? error.message : String(error);
          return new UndecodableRequest({ field: '', message: `not a ${schema.typeName}: ${reason}` });
        }
      },
    };
    const handler = implementation[name];
    if (handler === undefined || method.requestStream) {
      if (handler !== undefined) strictImplementation[name] = handler;
      continue;
    }
    strictImplementation[name] = method.responseStream
      ? (call: ServerWritableStream<unknown, unknown>) => {
          if (!isUndecodable(call.request)) return (handler as (c: typeof call) => void)(call);
          call.emit('error', onUndecodable(call, call.request));
        }
      : (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
          if (!isUndecodable(call.request))
            return (handler as (c: typeof call, cb: typeof callback) => void)(call, callback);
          callback(onUndecodable(call, call.request));
        };
  }
  return { definition: strictDefinition, implementation: strictImplementation };
}
