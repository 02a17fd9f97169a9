/**
 * The Kubernetes choices our L2s take as plain enums. They live in this leaf module, which imports nothing, so that
 * the table of defaults can name them without an import cycle.
 */

/** Whether a client sticks to one backend pod. */
export enum SessionAffinity {
  /** Each connection may go to any pod. */
  NONE = 'None',
  /** Connections from one client IP go to the same pod. */
  CLIENT_IP = 'ClientIP',
}

/** Whether node-external traffic may hop to pods on other nodes. */
export enum ExternalTrafficPolicy {
  /** Any node forwards to any pod; the client address is masqueraded. */
  CLUSTER = 'Cluster',
  /** Only pods on the receiving node; keeps the client address. */
  LOCAL = 'Local',
}

/** Which pods a budget guards when they are not ready. */
export enum UnhealthyPodEvictionPolicy {
  /** Unready pods may be evicted only while the budget holds. */
  IF_HEALTHY_BUDGET = 'IfHealthyBudget',
  /** Unready pods may always be evicted, so a broken rollout never blocks a node drain. */
  ALWAYS_ALLOW = 'AlwaysAllow',
}

/** The oldest TLS version a client may use at the gateway. TLS 1.0 and 1.1 are never offered (RFC 8996). */
export enum TlsVersion {
  /** TLS 1.2 and 1.3. */
  TLS_1_2 = 'TLSv1.2',
  /** TLS 1.3 only. */
  TLS_1_3 = 'TLSv1.3',
}
