/**
 * Kubernetes' name rules, as the API server checks them in code (apimachinery's validation package), in one module
 * for both sides: the constructs refuse props that would break one, and the manifest validator reports objects that
 * break one. Each function returns what is wrong, or undefined; the caller words the fix for its own audience.
 *
 * Internal: not part of any entry point.
 */

/** Longest DNS-1123 / DNS-1035 label, and so the longest Service, Namespace or label value. */
export const MAX_LABEL_LENGTH = 63;
/** Longest DNS-1123 subdomain, and so the longest name of most objects. */
export const MAX_SUBDOMAIN_LENGTH = 253;
/** Longest IANA service name, and so the longest container port name. */
export const MAX_PORT_NAME_LENGTH = 15;
/** The API server's default `--service-node-port-range`. */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;
/** core.MaxClientIPServiceAffinitySeconds: the longest ClientIP session affinity, one day. */
export const MAX_AFFINITY_SECONDS = 86400;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const SHA256_DIGEST = /@sha256:[0-9a-f]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

function tooLong(name: string, max: number): string | undefined {
  return name.length > max ? `is ${name.length} characters, over the ${max} allowed` : undefined;
}

/** RFC 1123 label: lowercase alphanumerics and "-", alphanumeric at both ends (Namespaces, container names). */
export function dns1123LabelProblem(name: string, max = MAX_LABEL_LENGTH): string | undefined {
  if (!DNS1123_LABEL.test(name)) return 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit';
  return tooLong(name, max);
}

/** RFC 1035 label: a DNS-1123 label that starts with a letter (Service names, and our app and subset names). */
export function dns1035LabelProblem(name: string, max = MAX_LABEL_LENGTH): string | undefined {
  if (!DNS1035_LABEL.test(name)) return 'must be a DNS-1035 label: lowercase letters, digits and "-", starting with a letter and ending with a letter or digit';
  return tooLong(name, max);
}

/** RFC 1123 subdomain: dot-separated DNS-1123 labels (the names of most objects). */
export function dns1123SubdomainProblem(name: string): string | undefined {
  if (!DNS1123_SUBDOMAIN.test(name)) return 'must be a DNS-1123 subdomain: lowercase letters, digits, "-" and "."';
  return tooLong(name, MAX_SUBDOMAIN_LENGTH);
}

/** IANA_SVC_NAME (RFC 6335): the name of a container port or a Service port. */
export function portNameProblem(name: string): string | undefined {
  if (!IANA_SVC_NAME.test(name) || !/[a-z]/.test(name) || name.includes('--')) {
    return 'must be an IANA service name: lowercase letters, digits and "-", with at least one letter, no "--", and a letter or digit at both ends';
  }
  return tooLong(name, MAX_PORT_NAME_LENGTH);
}

/** A label value: empty, or alphanumerics, "-", "_" and "." with an alphanumeric at both ends. */
export function labelValueProblem(value: string): string | undefined {
  if (!LABEL_VALUE.test(value)) return 'must be alphanumerics, "-", "_" or ".", starting and ending alphanumeric';
  return tooLong(value, MAX_LABEL_LENGTH);
}

/** A label or annotation key: an optional DNS-1123 subdomain prefix and "/", then a name like a label value. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (name === '' || labelValueProblem(name) !== undefined) return 'must end in a name of at most 63 alphanumerics, "-", "_" or "."';
  if (prefix !== undefined && dns1123SubdomainProblem(prefix) !== undefined) return 'must have a DNS-1123 subdomain as its prefix';
  return undefined;
}

/** A key of a ConfigMap's or Secret's data: alphanumerics, "-", "_" and ".", not "." or "..", at most 253. */
export function configMapKeyProblem(key: string): string | undefined {
  if (!/^[-._a-zA-Z0-9]+$/.test(key) || key === '.' || key === '..') return 'must be letters, digits, "-", "_" and "." (and not "." or "..")';
  return tooLong(key, MAX_SUBDOMAIN_LENGTH);
}

/** What is wrong with an image reference, for our rule that every image is pinned. */
export type ImageProblem = 'malformed' | 'malformed-digest' | 'untagged' | 'latest';

/**
 * Whether `image` is pinned: `name@sha256:<64 hex>`, or `name:<tag>` with a tag other than `latest`. The tag is what
 * follows a ":" after the last "/", so a registry port (`registry:5000/app`) is not a tag.
 */
export function imageProblem(image: string): ImageProblem | undefined {
  if (image.trim() === '' || /\s/.test(image)) return 'malformed';
  if (image.includes('@')) return SHA256_DIGEST.test(image) ? undefined : 'malformed-digest';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  if (colon < 0) return 'untagged';
  const tag = lastSegment.slice(colon + 1);
  if (tag === '') return 'untagged';
  if (!TAG.test(tag)) return 'malformed';
  return tag === 'latest' ? 'latest' : undefined;
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/**
 * A qualified name (apimachinery's IsQualifiedName), as a Service port's `appProtocol` must be: an optional DNS-1123
 * subdomain prefix and "/", then at most 63 alphanumerics, "-", "_" or ".", alphanumeric at both ends
 * (`kubernetes.io/h2c`, `https`).
 */
export function qualifiedNameProblem(value: string): string | undefined {
  const slash = value.lastIndexOf('/');
  const prefix = slash >= 0 ? value.slice(0, slash) : undefined;
  const name = slash >= 0 ? value.slice(slash + 1) : value;
  if (!QUALIFIED_NAME.test(name) || name.length > MAX_LABEL_LENGTH) {
    return 'must be a qualified name: an optional DNS-1123 subdomain and "/", then at most 63 alphanumerics, "-", "_" or ".", alphanumeric at both ends';
  }
  if (prefix !== undefined && dns1123SubdomainProblem(prefix) !== undefined) return 'must have a DNS-1123 subdomain as its prefix';
  return undefined;
}

/**
 * An Ingress rule's or TLS entry's host (networking/validation): a DNS-1123 subdomain, or one with a leading `*.`
 * label; never an IP address.
 */
export function ingressHostProblem(host: string): string | undefined {
  if (/^[0-9.]+$/.test(host) || host.includes(':')) return 'must be a DNS name, not an IP address';
  const rest = host.startsWith('*.') ? host.slice(2) : host;
  if (dns1123SubdomainProblem(rest) !== undefined) return 'must be a DNS-1123 subdomain (lowercase letters, digits, "-" and "."), optionally starting with "*."';
  return undefined;
}

/**
 * An Ingress path of pathType Prefix or Exact (networking/validation validateIngressHTTPPath): absolute, and without
 * the segments the API server refuses because a controller could read them two ways.
 */
export function ingressPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must be an absolute path, starting with "/"';
  for (const bad of ['//', '/./', '/../', '%2f', '%2F']) if (path.includes(bad)) return `must not contain "${bad}"`;
  for (const bad of ['/..', '/.']) if (path.endsWith(bad)) return `must not end with "${bad}"`;
  return undefined;
}
