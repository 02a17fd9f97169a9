/** Options of {@link LoadBalancedApp.addConsumer}: a sidecar proxy in a consumer workload. */
export interface ConsumerOptions {
  /**
   * Port the sidecar listens on, on 127.0.0.1.
   * @default 15001
   */
  readonly port?: number;
  /**
   * Admin port of the sidecar (probes, metrics), on 0.0.0.0.
   * @default 9901
   */
  readonly adminPort?: number;
  /**
   * Environment variable set to the sidecar's URL on the consumer's containers; `false` sets none.
   * @default - `<APP_NAME>_URL`, e.g. `HELLO_URL`
   */
  readonly envVar?: string | false;
  /**
   * Hardens the consumer's pod to Pod Security "restricted", as the app's own pods are: every container present now
   * (init containers too) drops ALL capabilities and must not be privileged, escalate privileges or run as root; the
   * pod gets the RuntimeDefault seccomp profile. A setting of yours that restricted forbids is refused with an error
   * rather than overwritten. `false` leaves your containers' security contexts as they are (the sidecar and the
   * seccomp profile it needs are still added).
   * @default true
   */
  readonly hardenPod?: boolean;
}

