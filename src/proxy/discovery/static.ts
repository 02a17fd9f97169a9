/** Static discovery: the endpoints written in the config, announced once. */
import type { EndpointSpec } from './endpoint-set';

export interface StaticSourceSpec {
  readonly subset: string;
  readonly endpoints: readonly { readonly address: string; readonly port?: number; readonly weight: number }[];
}

export function staticSpecs(source: StaticSourceSpec, defaultPort: number): EndpointSpec[] {
  return source.endpoints.map((e) => ({
    address: e.address,
    port: e.port ?? defaultPort,
    weight: e.weight,
    subset: source.subset,
  }));
}
