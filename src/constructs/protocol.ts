/**
 * The application protocol of the balanced port, chosen in code like the algorithm. It writes the config's listener,
 * names the proxy's listener port, and gives Service ports their `appProtocol`, so that meshes, cloud load balancers
 * and ingress controllers that read it speak the right protocol to the gateway and to the app.
 */
import type { ListenerInput, ListenerProtocol } from '../config';

/**
 * `appProtocol` of a port that speaks HTTP/2 in clear text with prior knowledge (KEP-3726's standard value).
 */
export const APP_PROTOCOL_H2C = 'kubernetes.io/h2c';
/**
 * `appProtocol` of a port that speaks HTTP over TLS, whatever the HTTP version ALPN settles on. `kubernetes.io/h2c`
 * would be wrong there: it means clear text, and a peer that believes it sends an h2c preface into a TLS handshake.
 * HTTP/2 over TLS is the `https` URI scheme (RFC 9113, section 3), and `https` is the IANA service name that
 * Kubernetes accepts unprefixed and that Istio and cloud load balancers read as TLS.
 */
export const APP_PROTOCOL_TLS = 'https';

/** The protocol the proxy balances. Create one through a static factory. */
export class Protocol {
  /**
   * HTTP to HTTP/1.1 endpoints; clients may speak HTTP/1.1 or HTTP/2 (h2c, or h2 over the gateway's TLS). The
   * config's listener carries no `protocol` field for it (HTTP/1.1 is the config's default), and Service ports no
   * `appProtocol`, so manifests written before protocols were a choice keep their bytes.
   */
  public static http(): Protocol {
    return new Protocol('http', 'http');
  }

  /**
   * HTTP to endpoints that speak HTTP/2: h2c with prior knowledge, or h2 by ALPN with `backendTls`. Clients speak
   * what they speak to {@link Protocol.http}; every request (every HTTP/2 stream) is balanced on its own.
   */
  public static http2(): Protocol {
    return new Protocol('http2', 'h2c');
  }

  /**
   * gRPC: HTTP/2 on both sides with gRPC's semantics. Every call is balanced on its own, the outcome is the
   * `grpc-status`, and the active health check is `grpc.health.v1.Health/Check` (`healthCheck.grpcService`).
   */
  public static grpc(): Protocol {
    return new Protocol('grpc', 'grpc');
  }

  /**
   * L4: each client connection goes whole to one endpoint, bytes untouched. No TLS at the proxy, no HTTP health
   * checks (health is a TCP connect), no header- or cookie-keyed algorithms, no Ingress.
   */
  public static tcp(): Protocol {
    return new Protocol('tcp', 'tcp');
  }

  private constructor(
    /** The protocol as the config's listener names it. */
    public readonly kind: ListenerProtocol,
    /** Name of the listener's container port without TLS, an IANA service name. */
    public readonly portName: string,
  ) {}

  /** Whether the protocol is HTTP of some version (everything but TCP): TLS, health paths and Ingress apply. */
  public get isHttp(): boolean {
    return this.kind !== 'tcp';
  }

  /** Whether the endpoints speak HTTP/2. */
  public get upstreamHttp2(): boolean {
    return this.kind === 'http2' || this.kind === 'grpc';
  }

  /**
   * What a consumer calls its sidecar at: `http://127.0.0.1:<port>` for HTTP, and `127.0.0.1:<port>` for gRPC (a
   * channel target; `http://` is no gRPC scheme) and TCP (an address).
   */
  public sidecarAddress(port: number): string {
    return this.kind === 'http' || this.kind === 'http2' ? `http://127.0.0.1:${port}` : `127.0.0.1:${port}`;
  }

  /** The config's listener on `host:port`. */
  public listener(host: string, port: number): ListenerInput {
    return this.kind === 'http' ? { host, port } : { protocol: this.kind, host, port };
  }

  /**
   * Name of the listener's container port: with TLS `https` (HTTP/1.1 or h2 by ALPN), `h2` for http2; gRPC keeps
   * `grpc` either way, as its clients do not change with TLS.
   */
  public listenerPortName(tls: boolean): string {
    if (!tls || this.kind === 'grpc' || this.kind === 'tcp') return this.portName;
    return this.kind === 'http2' ? 'h2' : 'https';
  }

  /**
   * `appProtocol` of a Service port that speaks this protocol, with or without TLS: the gateway's client-facing port
   * (what clients speak to the proxy) and the app's balanced port (what the proxy speaks to the pods).
   * - HTTP without TLS: none. HTTP/1.1 and h2c share the gateway's port, so no one value is true, and the pods speak
   *   HTTP/1.1, which needs none; it also keeps the bytes of manifests written before protocols existed.
   * - http2 and gRPC without TLS: `kubernetes.io/h2c`, so that a mesh or a load balancer in front keeps HTTP/2 (and
   *   gRPC's trailers) instead of downgrading to HTTP/1.1.
   * - any HTTP over TLS: `https`, never `kubernetes.io/h2c`, which means clear text; HTTP/2 over TLS is the `https`
   *   scheme (RFC 9113), and h2 is then ALPN's choice, not the port's.
   * - TCP: none; Kubernetes' default is plain TCP.
   */
  public appProtocol(tls: boolean): string | undefined {
    if (this.kind === 'tcp') return undefined;
    if (tls) return APP_PROTOCOL_TLS;
    return this.upstreamHttp2 ? APP_PROTOCOL_H2C : undefined;
  }
}
