/**
 * Header lists and HTTP/2 header blocks. The proxy keeps headers as flat [name, value, ...] lists (as HTTP/1.1
 * parses them); an HTTP/2 block is the same list with the pseudo-headers first and every name lower-case. Both
 * directions, requests and responses, go through here, so what HTTP/2 forbids or requires is checked in one place:
 *
 * - connection-specific fields are left out of what we send (RFC 9113 8.2.2), and make what we receive malformed;
 * - names must be lower-case tokens, values must hold no NUL, CR or LF and no whitespace at either end (8.2.1): a
 *   value with CR LF from an HTTP/2 peer must never reach an HTTP/1.1 peer, where it would split the message;
 * - several `cookie` fields are joined with "; " for HTTP/1.1 (8.2.3).
 */

/** Connection-specific fields HTTP/2 forbids (RFC 9113 8.2.2). `te` is allowed in a request when it says "trailers". */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'te']);

/** tchar (RFC 9110 5.6.2) without upper case: the bytes an HTTP/2 field name may hold. */
const NAME_CHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") NAME_CHAR[c.charCodeAt(0)] = 1;

/** Whether `name` is a valid HTTP/2 field name (lower-case token). */
export function validFieldName(name: string): boolean {
  const n = name.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c > 127 || NAME_CHAR[c] === 0) return false;
  }
  return true;
}

/** Whether `value` is a valid field value: no NUL, CR or LF, no space or tab at either end. */
export function validFieldValue(value: string): boolean {
  const n = value.length;
  if (n === 0) return true;
  let c = value.charCodeAt(0);
  if (c === 0x20 || c === 0x09) return false;
  c = value.charCodeAt(n - 1);
  if (c === 0x20 || c === 0x09) return false;
  for (let i = 0; i < n; i++) {
    c = value.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d) return false;
  }
  return true;
}

/** Appends the fields of `list` an HTTP/2 block may carry to `out`: names lower-case, connection-specific left out. */
function addFields(list: readonly string[], out: string[], request: boolean): void {
  for (let i = 0; i < list.length; i += 2) {
    let name = list[i];
    if (hasUpper(name)) name = name.toLowerCase();
    const value = list[i + 1];
    if (request && name === 'host') continue;
    if (CONNECTION_SPECIFIC.has(name) && !(request && name === 'te' && value.toLowerCase() === 'trailers')) continue;
    out.push(name, value);
  }
}

function hasUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
  }
  return false;
}

/** A request head as an HTTP/2 block: Host becomes :authority, `te: trailers` is kept. */
export function requestFields(method: string, scheme: string, path: string, list: readonly string[]): string[] {
  const out = [':method', method, ':scheme', scheme];
  for (let i = 0; i < list.length; i += 2) {
    if (list[i].length === 4 && list[i].toLowerCase() === 'host') {
      out.push(':authority', list[i + 1]);
      break;
    }
  }
  out.push(':path', path);
  addFields(list, out, true);
  return out;
}

/** A response head (or a 1xx) as an HTTP/2 block. */
export function responseFields(status: number, list: readonly string[]): string[] {
  const out = [':status', String(status)];
  addFields(list, out, false);
  return out;
}

/** Trailers as an HTTP/2 block. */
export function trailerFields(list: readonly string[]): string[] {
  const out: string[] = [];
  addFields(list, out, false);
  return out;
}

/**
 * A response block or trailers from an HTTP/2 endpoint, checked: `status` (or -1 for trailers, which must have
 * none) and the regular fields. A string result says what is malformed.
 */
export function readResponseFields(fields: readonly string[], out: string[], trailers: boolean): number | string {
  let status = -1;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i];
    const value = fields[i + 1];
    if (name.charCodeAt(0) === 58 /* : */) {
      if (name !== ':status' || trailers || status >= 0 || out.length > 0) return `pseudo-header ${name} misplaced`;
      if (!/^[1-9][0-9][0-9]$/.test(value)) return `:status "${value}"`;
      status = Number(value);
      continue;
    }
    if (!validFieldName(name)) return `field name "${name}"`;
    if (!validFieldValue(value)) return `the value of ${name}`;
    if (CONNECTION_SPECIFIC.has(name)) return `connection-specific field ${name}`;
    out.push(name, value);
  }
  if (!trailers && status < 0) return 'no :status';
  return status;
}
