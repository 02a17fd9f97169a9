/**
 * The protocol the proxy's listener speaks to clients, chosen in code like the algorithm. It names the listener's
 * container port, gives the client Service port its `appProtocol`, and writes the config's listener.
 */
import type { ListenerInput, ListenerProtocol } from '../config';

/** The listener protocol. Create one through a static factory. */
export class Protocol {
  /**
   * HTTP/1.1. The config's listener carries no `protocol` field for it (HTTP/1.1 is the config's default), and the
   * client Service port no `appProtocol`, so manifests written before protocols were a choice keep their bytes.
   */
  public static http(): Protocol {
    return new Protocol('http', 'http', undefined);
  }

  private constructor(
    /** The protocol as the config's listener names it. */
    public readonly kind: ListenerProtocol,
    /** Name of the listener's container port, an IANA service name. */
    public readonly portName: string,
    /** The `appProtocol` of the client Service port, e.g. `kubernetes.io/h2c`; unset when Kubernetes needs none. */
    public readonly appProtocol: string | undefined,
  ) {}

  /** The config's listener on `host:port`. */
  public listener(host: string, port: number): ListenerInput {
    return this.kind === 'http' ? { host, port } : { protocol: this.kind, host, port };
  }
}
