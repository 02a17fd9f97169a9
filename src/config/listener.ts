/**
 * The proxy's listener: where it accepts client connections, and what protocol it balances there.
 *
 * A discriminated union on `protocol`, the application protocol of the balanced port:
 * - `http` (or absent): clients speak HTTP/1.1, h2c with prior knowledge (told apart by the connection preface on the
 *   same port) or h2 over TLS (ALPN); the endpoints speak HTTP/1.1.
 * - `http2`: the same clients; the endpoints speak HTTP/2 (h2c with prior knowledge, or h2 by ALPN over upstream TLS).
 * - `grpc`: HTTP/2 on both sides with gRPC's semantics: the outcome is `grpc-status` in the trailers, the proxy's own
 *   errors are gRPC errors, `grpc-timeout` is honoured, the active health check is grpc.health.v1.Health/Check.
 * - `tcp`: L4. Each client connection is balanced on its own to one endpoint, and bytes pass untouched.
 *
 * HTTP/1.1 is the member without a `protocol` field, so configs written before the union existed keep their meaning.
 */
import * as z from 'zod';
import { host, ms, port } from './primitives';

export const ListenerTlsSchema = z
  .object({
    certFile: z.string().min(1).describe('PEM certificate chain, e.g. a mounted kubernetes.io/tls Secret\'s tls.crt.'),
    keyFile: z.string().min(1).describe('PEM private key, e.g. the Secret\'s tls.key.'),
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2').describe('Oldest TLS version a client may use.'),
    reloadCheckMs: ms
      .default(2_000)
      .describe('How often the files are checked for a change (a rotated Secret); new handshakes use the new pair.'),
  })
  .strict()
  .describe('Terminate TLS on the listener. ALPN offers h2 and http/1.1 (HTTP protocols only).');

/** Fields every HTTP member shares. */
const httpFields = {
  host: host.default('0.0.0.0'),
  port: port.default(8080),
  tls: ListenerTlsSchema.optional(),
  maxConnectionAgeMs: ms
    .optional()
    .describe(
      'Close a client connection after this age (HTTP/2: GOAWAY; HTTP/1.1: Connection: close on the next answer), ' +
        'so clients pinned behind an L4 VIP reconnect and spread again. Absent: no age limit.',
    ),
  maxConnectionAgeJitterPercent: z
    .number()
    .min(0)
    .max(100)
    .default(10)
    .describe('Each connection\'s age limit is shortened by a random share up to this percent, so clients do not reconnect in step.'),
};

export const HttpListenerSchema = z
  .object({ protocol: z.literal('http').optional().describe('HTTP to HTTP/1.1 endpoints (the protocol when absent).'), ...httpFields })
  .strict();

export const Http2ListenerSchema = z
  .object({ protocol: z.literal('http2').describe('HTTP to HTTP/2 endpoints (h2c, or h2 with upstream.tls).'), ...httpFields })
  .strict();

export const GrpcListenerSchema = z
  .object({ protocol: z.literal('grpc').describe('gRPC over HTTP/2 on both sides.'), ...httpFields })
  .strict();

export const TcpListenerSchema = z
  .object({
    protocol: z
      .literal('tcp')
      .describe(
        'L4: each connection goes whole to one endpoint; timeouts.connectMs and idleMs apply, and limits.maxInFlight and ' +
          'maxInFlightPerEndpoint count open connections.',
      ),
    host: host.default('0.0.0.0'),
    port: port.default(8080),
  })
  .strict();

export const ListenerSchema = z.discriminatedUnion('protocol', [
  HttpListenerSchema,
  Http2ListenerSchema,
  GrpcListenerSchema,
  TcpListenerSchema,
]);

export type ListenerConfig = z.output<typeof ListenerSchema>;
export type ListenerInput = z.input<typeof ListenerSchema>;
export type ListenerTlsConfig = z.output<typeof ListenerTlsSchema>;
export type ListenerProtocol = NonNullable<ListenerConfig['protocol']>;

/** The listener's protocol, with the default filled in. */
export function listenerProtocol(l: { readonly protocol?: ListenerProtocol }): ListenerProtocol {
  return l.protocol ?? 'http';
}

/** Whether the endpoints speak HTTP/2. */
export function upstreamIsHttp2(l: { readonly protocol?: ListenerProtocol }): boolean {
  return l.protocol === 'http2' || l.protocol === 'grpc';
}
