/**
 * Where the proxy finds its endpoints: one discriminated union on `kind`, one member per way of discovery (a static
 * list, the DNS of a headless Service; later a watch of EndpointSlices). Each source belongs to one subset.
 */
import * as z from 'zod';
import { host, ms, port } from './primitives';

/**
 * The one variable a DNS host name may hold: the proxy replaces it with its pod's namespace (env POD_NAMESPACE, from the
 * downward API). The constructs write it when the namespace is not known at synth time, so that `kubectl apply -n
 * team-a` makes the proxy look in team-a.
 */
export const POD_NAMESPACE_REF = '$(POD_NAMESPACE)';


export const StaticEndpointSchema = z
  .object({
    address: host.describe('IP address or host name.'),
    port: port.optional().describe('Port of this endpoint; defaults to upstream.port.'),
    weight: z.number().positive().default(1),
  })
  .strict();

export const StaticSourceSchema = z
  .object({
    kind: z.literal('static'),
    subset: z.string().min(1).default('default'),
    endpoints: z.array(StaticEndpointSchema).min(1),
  })
  .strict();

export const DnsSourceSchema = z
  .object({
    kind: z.literal('dns'),
    subset: z.string().min(1).default('default'),
    hostname: host
      .refine((h) => h.replaceAll(POD_NAMESPACE_REF, '').match(/[$()]/) === null, {
        message: `only ${POD_NAMESPACE_REF} may be used as a variable, with no other "$", "(" or ")"`,
      })
      .describe(
        `DNS name with one A/AAAA record per ready pod: a headless Service. ${POD_NAMESPACE_REF} in it is replaced ` +
          'with the pod\'s namespace (env POD_NAMESPACE) at startup.',
      ),
    weight: z.number().positive().default(1).describe('Weight of every endpoint this name resolves to.'),
    family: z.union([z.literal(4), z.literal(6), z.literal(0)]).default(0).describe('4, 6, or 0 for both.'),
    refreshIntervalMs: ms.default(5_000).describe('Longest time between two look-ups.'),
    servers: z
      .array(z.string().min(1))
      .optional()
      .describe('DNS servers as "ip" or "ip:port"; the system resolver when absent.'),
  })
  .strict();

/** The ServiceAccount mount every pod gets when it mounts a token. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export const EndpointSlicesSourceSchema = z
  .object({
    kind: z.literal('endpoint-slices'),
    subset: z.string().min(1).default('default'),
    service: z
      .string()
      .regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a Service name (a DNS-1035 label)')
      .describe('Service whose EndpointSlices are watched: those labelled kubernetes.io/service-name=<service>.'),
    namespace: z
      .string()
      .min(1)
      .default(POD_NAMESPACE_REF)
      .describe(`Namespace of the Service; ${POD_NAMESPACE_REF} (the default) is the proxy pod's own (env POD_NAMESPACE).`),
    portName: z
      .string()
      .min(1)
      .optional()
      .describe("Name of the slice port to use; by default the slices' first port, else upstream.port."),
    weight: z.number().positive().default(1).describe('Weight of every endpoint of these slices.'),
    apiServer: z
      .string()
      .url()
      .optional()
      .describe('API server URL; by default https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, as in a pod.'),
    tokenFile: z.string().min(1).default(`${SERVICE_ACCOUNT_DIR}/token`).describe('Bearer token, re-read on every request.'),
    caFile: z.string().min(1).default(`${SERVICE_ACCOUNT_DIR}/ca.crt`).describe("CA bundle the API server's certificate is checked against."),
    resyncMs: ms.default(300_000).describe('Longest watch before it is renewed (the API server may end it sooner).'),
  })
  .strict();

export const DiscoverySourceSchema = z.discriminatedUnion('kind', [StaticSourceSchema, DnsSourceSchema, EndpointSlicesSourceSchema]);

export type DiscoverySource = z.output<typeof DiscoverySourceSchema>;
export type DiscoverySourceInput = z.input<typeof DiscoverySourceSchema>;
export type DiscoveryKind = DiscoverySource['kind'];
