/**
 * The security headers every HTTP answer of the server carries: routes, errors, metrics, and the
 * raw refusals written on an upgrade socket. One place, so no answer can be left without them.
 */

/** For answers that are data, not pages: nothing may load, nothing may frame them. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

/** Headers that do not depend on what is answered. */
const COMMON_HEADERS = {
  // Browsers must take the declared content type as it is: a JSON error is never run as a script.
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

/** Headers for a JSON, text or metrics answer. */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  ...COMMON_HEADERS,
  'content-security-policy': API_CONTENT_SECURITY_POLICY,
};

/**
 * The demo page's policy: its own inline blocks (by hash) and nothing from elsewhere. In CSP
 * Level 3 `connect-src 'self'` also covers ws:/wss: to the same host, which is all the page
 * connects to.
 */
export function pageContentSecurityPolicy(hashes: {
  /** Quoted sources: hashes (`sha256-…`) or `self`. */
  readonly scripts: readonly string[];
  readonly styles: readonly string[];
  /** Other origins the page may open WebSockets to (`ws://host:port`), besides its own. */
  readonly connect?: readonly string[];
}): string {
  const sources = (list: readonly string[]): string => (list.length === 0 ? "'none'" : list.map((hash) => `'${hash}'`).join(' '));
  return [
    "default-src 'none'",
    `script-src ${sources(hashes.scripts)}`,
    `style-src ${sources(hashes.styles)}`,
    ["connect-src 'self'", ...(hashes.connect ?? [])].join(' '),
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers for an HTML page served under `policy`. */
export function pageSecurityHeaders(policy: string): Readonly<Record<string, string>> {
  return { ...COMMON_HEADERS, 'content-security-policy': policy };
}

/**
 * {@link API_SECURITY_HEADERS} as raw header lines (each ending in CRLF), for the answers written
 * straight onto an upgrade socket, where there is no ServerResponse to set headers on.
 */
export const RAW_SECURITY_HEADER_LINES = Object.entries(API_SECURITY_HEADERS)
  .map(([name, value]) => `${titleCase(name)}: ${value}\r\n`)
  .join('');

/** `x-content-type-options` → `X-Content-Type-Options`, as the other raw lines are written. */
function titleCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => dash + letter.toUpperCase());
}
