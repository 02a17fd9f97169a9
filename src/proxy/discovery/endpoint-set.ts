/**
 * The endpoint set: every backend the discovery sources know about, one object per `address:port` for as long as
 * some source holds it (linkerd2-proxy's pool: a stream of reset / add / remove).
 *
 * Each source owns its own membership, so a DNS source and a static source can both name the same address and the
 * endpoint stays until neither does. All three operations are idempotent: adding twice, removing what is not there,
 * or resetting to the same list changes nothing and notifies nobody.
 */
import type { Endpoint } from '../balancer/types';

/** What a discovery source says about one endpoint. */
export interface EndpointSpec {
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly subset: string;
  /** Serving but terminating (EndpointSlices): a last resort for new requests. Unset means false. */
  readonly terminating?: boolean;
  /** Topology zone, when the source knows it. */
  readonly zone?: string;
  /** Zones the endpoint is hinted for (EndpointSlice hints.forZones), when the source has hints. */
  readonly forZones?: readonly string[];
}

/** The pool's view of one backend. Balancers see it through the {@link Endpoint} interface. */
export class UpstreamEndpoint implements Endpoint {
  public inFlight = 0;
  /** Active health check verdict; endpoints start healthy so a new pod serves before its first check. */
  public healthy = true;
  /** Outlier detection: ejected while `ejectedUntil > now`. */
  public ejectedUntil = 0;
  public ejections = 0;
  /** While ejected: when the next probe request may go, and whether one is under way. */
  public probeAt = 0;
  public probing = false;
  public probeWaitMs = 0;
  public consecutiveFailures = 0;
  /** Serving but terminating: new requests only when no other endpoint is eligible; in-flight ones finish. */
  public terminating = false;
  /** Topology zone, when discovery knows it. */
  public zone: string | undefined;
  /** Zones it is hinted for (EndpointSlice hints.forZones); undefined without hints. */
  public forZones: readonly string[] | undefined;
  /** When its slow-start ramp began (ms, the router's clock); 0 when not ramping. */
  public rampStart = 0;
  /** Responses below 500. */
  public successes = 0;
  /** 5xx responses, connect failures, resets and timeouts. */
  public failures = 0;
  /** Origin for the HTTP client, e.g. `http://10.0.0.7:8080` or `http://[fd00::7]:8080`. */
  public readonly origin: string;

  public constructor(
    public readonly id: string,
    public readonly address: string,
    public readonly port: number,
    public readonly weight: number,
    public readonly subset: string,
  ) {
    this.origin = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  }
}

export function endpointId(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export interface EndpointChange {
  readonly added: readonly UpstreamEndpoint[];
  readonly removed: readonly UpstreamEndpoint[];
  readonly all: readonly UpstreamEndpoint[];
}

export type EndpointListener = (change: EndpointChange) => void;

export class EndpointSet {
  private readonly byId = new Map<string, UpstreamEndpoint>();
  /** source -> ids it holds */
  private readonly owners = new Map<string, Set<string>>();
  private readonly listeners: EndpointListener[] = [];
  private list: readonly UpstreamEndpoint[] = [];
  /** Bumped on each change; caches built from `all()` compare it. */
  public version = 0;

  public all(): readonly UpstreamEndpoint[] {
    return this.list;
  }

  public get size(): number {
    return this.list.length;
  }

  public get(id: string): UpstreamEndpoint | undefined {
    return this.byId.get(id);
  }

  public onChange(listener: EndpointListener): void {
    this.listeners.push(listener);
  }

  /** Replaces everything `source` holds with `specs`. */
  public reset(source: string, specs: readonly EndpointSpec[]): EndpointChange {
    const wanted = new Map<string, EndpointSpec>();
    for (const s of specs) wanted.set(endpointId(s.address, s.port), s);
    const held = this.owners.get(source) ?? new Set<string>();
    const added: UpstreamEndpoint[] = [];
    const removed: UpstreamEndpoint[] = [];
    for (const id of [...held]) if (!wanted.has(id)) this.release(source, held, id, removed);
    let changed = false;
    for (const [id, spec] of wanted) changed = this.hold(source, id, spec, added) || changed;
    return this.commit(added, removed, changed);
  }

  public add(source: string, spec: EndpointSpec): EndpointChange {
    const added: UpstreamEndpoint[] = [];
    this.hold(source, endpointId(spec.address, spec.port), spec, added);
    return this.commit(added, []);
  }

  public remove(source: string, id: string): EndpointChange {
    const removed: UpstreamEndpoint[] = [];
    const held = this.owners.get(source);
    if (held?.has(id)) this.release(source, held, id, removed);
    return this.commit([], removed);
  }

  /** Holds `id` for `source`; true when an endpoint held before changed its terminating flag, zone or hints. */
  private hold(source: string, id: string, spec: EndpointSpec, added: UpstreamEndpoint[]): boolean {
    let held = this.owners.get(source);
    if (!held) this.owners.set(source, (held = new Set()));
    const known = this.byId.get(id);
    const terminating = spec.terminating ?? false;
    if (known) {
      held.add(id);
      const zone = spec.zone ?? known.zone;
      const same =
        known.terminating === terminating && known.zone === zone && known.forZones?.join(',') === spec.forZones?.join(',');
      if (same) return false;
      known.terminating = terminating;
      known.zone = zone;
      known.forZones = spec.forZones;
      return true;
    }
    held.add(id);
    const ep = new UpstreamEndpoint(id, spec.address, spec.port, spec.weight, spec.subset);
    ep.terminating = terminating;
    ep.zone = spec.zone;
    ep.forZones = spec.forZones;
    this.byId.set(id, ep);
    added.push(ep);
    return false;
  }

  private release(source: string, held: Set<string>, id: string, removed: UpstreamEndpoint[]): void {
    held.delete(id);
    for (const [other, ids] of this.owners) if (other !== source && ids.has(id)) return;
    const ep = this.byId.get(id);
    if (!ep) return;
    this.byId.delete(id);
    removed.push(ep);
  }

  private commit(added: UpstreamEndpoint[], removed: UpstreamEndpoint[], changed = false): EndpointChange {
    if (added.length === 0 && removed.length === 0 && !changed) return { added, removed, all: this.list };
    // Insertion order of the map: survivors keep their positions, newcomers go to the end (stable for round robin).
    this.list = [...this.byId.values()];
    this.version++;
    const change: EndpointChange = { added, removed, all: this.list };
    for (const l of this.listeners) l(change);
    return change;
  }
}
