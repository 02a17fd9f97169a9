/**
 * EndpointSlices (discovery.k8s.io/v1) to endpoint specs: pure, so the watch and the tests share it.
 *
 * Conditions, as the API reference defines them: `ready` unset means ready; `serving` unset means the same as
 * `ready`; `terminating` unset means false. An endpoint that is ready takes new requests. One that is not ready but
 * still serving while it terminates is kept as a last resort: it gets new requests only when no ready endpoint is
 * left (the proxy's eligibility decides), and its in-flight requests finish either way. Anything else is left out.
 * An address listed by two slices (during a slice split or a move) counts once, with its best condition.
 */
import { endpointId } from './endpoint-set';
import type { EndpointSpec } from './endpoint-set';

/** The fields of a discovery.k8s.io/v1 EndpointSlice the proxy reads. */
export interface EndpointSlice {
  readonly metadata?: { readonly name?: string; readonly resourceVersion?: string };
  readonly addressType?: string;
  readonly ports?: readonly { readonly name?: string | null; readonly port?: number | null; readonly protocol?: string }[] | null;
  readonly endpoints?:
    | readonly {
        readonly addresses?: readonly string[];
        readonly conditions?: { readonly ready?: boolean | null; readonly serving?: boolean | null; readonly terminating?: boolean | null };
        readonly zone?: string;
        readonly nodeName?: string;
        readonly hints?: { readonly forZones?: readonly { readonly name?: string }[] } | null;
      }[]
    | null;
}

export interface SliceSourceSpec {
  readonly subset: string;
  readonly weight: number;
  readonly portName?: string;
  /** The port when the slices name none (upstream.port). */
  readonly defaultPort: number;
}

/** The zone of `node` as the slices tell it (an endpoint on that node), if any. */
export function zoneOfNode(slices: Iterable<EndpointSlice>, node: string): string | undefined {
  for (const slice of slices) for (const ep of slice.endpoints ?? []) if (ep.nodeName === node && ep.zone) return ep.zone;
  return undefined;
}

/** The port of `slice` the proxy sends to, or undefined when the slice has ports but not the named one. */
export function slicePort(slice: EndpointSlice, spec: SliceSourceSpec): number | undefined {
  const ports = (slice.ports ?? []).filter((p) => typeof p.port === 'number' && (p.protocol ?? 'TCP') === 'TCP');
  if (spec.portName !== undefined) return ports.find((p) => p.name === spec.portName)?.port ?? undefined;
  return ports.length > 0 ? (ports[0].port as number) : spec.defaultPort;
}

/** The endpoints of every slice of a Service, merged. */
export function specsFromSlices(slices: Iterable<EndpointSlice>, spec: SliceSourceSpec): EndpointSpec[] {
  const byId = new Map<string, EndpointSpec>();
  for (const slice of slices) {
    if (slice.addressType !== undefined && slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue; // FQDN
    const port = slicePort(slice, spec);
    if (port === undefined) continue;
    for (const ep of slice.endpoints ?? []) {
      const c = ep.conditions ?? {};
      const ready = c.ready ?? true;
      const serving = c.serving ?? ready;
      const terminating = c.terminating ?? false;
      if (!ready && !(serving && terminating)) continue;
      const address = ep.addresses?.[0];
      if (address === undefined) continue;
      const id = endpointId(address, port);
      const known = byId.get(id);
      if (known && !known.terminating) continue;
      const forZones = ep.hints?.forZones?.map((z) => z.name).filter((z): z is string => typeof z === 'string');
      byId.set(id, { address, port, weight: spec.weight, subset: spec.subset, terminating: !ready, zone: ep.zone, forZones });
    }
  }
  return [...byId.values()];
}
