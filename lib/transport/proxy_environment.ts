/**
 * The proxy environment variables, read as curl reads them: which HTTP proxy a
 * `ws:`/`wss:` URL goes through when its proxy setting is `DefaultProxy`, and
 * which hosts `NO_PROXY` exempts.
 *
 * What is read, lower case first, then upper case (curl's order):
 *
 * | target | variables, first non-empty wins |
 * | --- | --- |
 * | `wss:`, `https:` | `https_proxy`, `HTTPS_PROXY`, `all_proxy`, `ALL_PROXY` |
 * | `ws:`, `http:` | `http_proxy`, `HTTP_PROXY`, `all_proxy`, `ALL_PROXY` |
 * | exemptions | `no_proxy`, `NO_PROXY` |
 *
 * Unlike curl, upper-case `HTTP_PROXY` is honoured (as Deno's own `fetch`
 * does); curl ignores it because CGI servers put a request's `Proxy:` header
 * there ("httpoxy"), which a WebSocket client in a Deno program is not exposed to.
 *
 * A proxy value is `http://[user[:password]@]host[:port]`, `host[:port]`,
 * `socks5://...` or `socks5h://...`; without a port, curl's default 1080 is
 * used. User and password are percent-decoded. For both SOCKS5 schemes the
 * proxy resolves the target's name (curl resolves it locally for
 * `socks5://`, but Deno has no `getaddrinfo`: `Deno.resolveDns` skips
 * `/etc/hosts`, so a local lookup would not be the system's; Qt itself
 * always sends names to a SOCKS5 proxy). `https://` (TLS to the proxy) and
 * `socks4://`/`socks4a://` proxies are reported as unsupported rather than
 * silently bypassed.
 *
 * Reading a variable needs `--allow-env` (or `--allow-env=HTTPS_PROXY,...`).
 * Without that permission the variable is treated as unset: the permission is
 * queried, never requested, so no prompt appears and nothing throws.
 *
 * @module
 */

/** A proxy named by an environment variable. */
export interface EnvironmentProxy {
  /** The scheme it was given with (`http` when it had none). */
  scheme: "http" | "socks5" | "socks5h";
  /** The proxy's host name or IP address (IPv6 without brackets). */
  hostname: string;
  /** The proxy's port. */
  port: number;
  /** The user name, percent-decoded, or `""`. */
  user: string;
  /** The password, percent-decoded, or `""`. */
  password: string;
}

/** What the environment says about one target. */
export type EnvironmentChoice =
  | { kind: "direct" }
  | { kind: "http"; proxy: EnvironmentProxy; variable: string }
  | { kind: "socks5"; proxy: EnvironmentProxy; variable: string }
  | { kind: "unsupported"; variable: string; reason: string };

/** Where a connection is going. */
export interface ProxyTarget {
  /** Whether the target is `wss:`/`https:`. */
  secure: boolean;
  /** The target's host name or IP address (IPv6 with or without brackets). */
  hostname: string;
  /** The target's port. */
  port: number;
}

/** Reads one environment variable; `undefined` when unset or unreadable. */
export type EnvironmentReader = (name: string) => string | undefined;

// curl's default port for a proxy given without one.
const DEFAULT_PROXY_PORT = 1080;

/**
 * Reads an environment variable when `--allow-env` grants it, and treats it
 * as unset otherwise (without prompting), or where `Deno.env` does not exist.
 *
 * @param name The variable's name.
 * @returns Its value, or `undefined`.
 */
export function readEnvironment(name: string): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      return undefined;
    }
    return Deno.env.get(name);
  } catch {
    // No permission API or no environment (some hosted runtimes): unset.
    return undefined;
  }
}

function firstSet(names: string[], read: EnvironmentReader): [string, string] | null {
  for (const name of names) {
    const value = read(name)?.trim();
    if (value !== undefined && value !== "") return [name, value];
  }
  return null;
}

/**
 * Chooses the proxy for a target from the environment variables.
 *
 * @param target Where the connection goes.
 * @param read Reads a variable (default: the process environment, permission permitting).
 * @returns Direct, an HTTP or SOCKS5 proxy, or why the configured proxy cannot be used.
 */
export function environmentProxyFor(
  target: ProxyTarget,
  read: EnvironmentReader = readEnvironment,
): EnvironmentChoice {
  const names = target.secure
    ? ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    : ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"];
  const found = firstSet(names, read);
  if (found === null) return { kind: "direct" };
  const noProxy = firstSet(["no_proxy", "NO_PROXY"], read);
  if (noProxy !== null && matchesNoProxy(noProxy[1], target.hostname, target.port)) {
    return { kind: "direct" };
  }
  const [variable, value] = found;
  const parsed = parseProxyUrl(value);
  if (typeof parsed === "string") return { kind: "unsupported", variable, reason: parsed };
  return { kind: parsed.scheme === "http" ? "http" : "socks5", proxy: parsed, variable };
}

/**
 * Parses a proxy URL as curl accepts it. Error texts never repeat the value,
 * which may hold a password.
 *
 * @param value `http://user:password@host:port`, `host:port`, ...
 * @returns The proxy, or a sentence saying why it cannot be used.
 */
export function parseProxyUrl(value: string): EnvironmentProxy | string {
  const text = value.includes("://") ? value : `http://${value}`;
  const scheme = text.slice(0, text.indexOf("://")).toLowerCase();
  if (scheme === "socks4" || scheme === "socks4a") {
    return `SOCKS4 proxies (${scheme}://) are not supported; use socks5h://host:port or http://host:port`;
  }
  if (scheme === "https") {
    return "TLS connections to the proxy (https://) are not supported; use http://host:port";
  }
  if (scheme !== "http" && scheme !== "socks5" && scheme !== "socks5h") {
    return `the proxy scheme ${scheme}:// is not supported; use http:// or socks5h://`;
  }
  let url: URL;
  try {
    // Parsed as http: so that `URL` splits the authority (it leaves a
    // socks5: URL's host opaque).
    url = new URL(`http${text.slice(scheme.length)}`);
  } catch {
    return "it is not a valid proxy URL; use http://host:port";
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  if (hostname === "") return "it names no proxy host; use http://host:port";
  // `URL` drops a port equal to the scheme's default (80), so read whether
  // one was written from the authority itself: no port means curl's 1080.
  const authority = text.slice(text.indexOf("://") + 3).split(/[/?#]/, 1)[0];
  const hostPort = authority.slice(authority.lastIndexOf("@") + 1);
  const written = /^(?:\[[^\]]*\]|[^:]*):(\d+)$/.exec(hostPort);
  const port = written === null ? DEFAULT_PROXY_PORT : Number(written[1]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return "its port is not between 1 and 65535";
  }
  return {
    scheme,
    hostname,
    port,
    user: percentDecode(url.username),
    password: percentDecode(url.password),
  };
}

function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Whether `NO_PROXY` exempts a target. The list is split on commas and
 * whitespace; each entry is one of:
 *
 * - `*`: every host;
 * - a host name, matching itself and every subdomain, without regard to case;
 *   a leading `.` or `*.` is ignored (`.example.com` matches `example.com` too);
 * - an IPv4 or IPv6 address (`127.0.0.1`, `::1`, `[::1]`), matching that address
 *   written in any form the URL parser accepts;
 * - a CIDR block (`10.0.0.0/8`, `fd00::/8`), matching IP addresses inside it;
 * - any of the host or address forms followed by `:port` (`[::1]:8080` for
 *   IPv6), matching only that port.
 *
 * Host names are compared as written: nothing is resolved, so an address
 * entry does not exempt a host name that resolves to it.
 *
 * @param noProxy The variable's value.
 * @param hostname The target host (IPv6 with or without brackets).
 * @param port The target port.
 * @returns `true` when the target must be reached directly.
 */
export function matchesNoProxy(noProxy: string, hostname: string, port: number): boolean {
  const host = normalizeHost(hostname);
  const hostAddress = parseAddress(host);
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return true;
    const slash = entry.indexOf("/");
    if (slash !== -1) {
      if (
        hostAddress !== null && inCidr(hostAddress, entry.slice(0, slash), entry.slice(slash + 1))
      ) {
        return true;
      }
      continue;
    }
    const { name, entryPort } = splitPort(entry);
    if (entryPort !== null && entryPort !== port) continue;
    const entryAddress = parseAddress(name);
    if (entryAddress !== null) {
      if (hostAddress !== null && sameBytes(entryAddress, hostAddress)) return true;
      continue;
    }
    // An address is only exempted by an address or CIDR entry, never by a
    // name suffix such as "0.0.1".
    if (hostAddress !== null) continue;
    const domain = name.replace(/^\*?\./, "").replace(/\.$/, "");
    if (domain === "") continue;
    if (host === domain || host.endsWith("." + domain)) return true;
  }
  return false;
}

function normalizeHost(hostname: string): string {
  return hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
}

// Splits `name:port`, `[v6]:port`, `[v6]`; a bare IPv6 address has no port.
function splitPort(entry: string): { name: string; entryPort: number | null } {
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    if (close === -1) return { name: entry, entryPort: null };
    const rest = entry.slice(close + 1);
    const port = /^:(\d+)$/.exec(rest);
    return { name: entry.slice(1, close), entryPort: port === null ? null : Number(port[1]) };
  }
  const colon = entry.indexOf(":");
  if (colon !== -1 && colon === entry.lastIndexOf(":") && /^\d+$/.test(entry.slice(colon + 1))) {
    return { name: entry.slice(0, colon), entryPort: Number(entry.slice(colon + 1)) };
  }
  return { name: entry, entryPort: null };
}

function inCidr(address: Uint8Array, network: string, bitsText: string): boolean {
  const base = parseAddress(network.replace(/^\[|\]$/g, ""));
  if (base === null || base.length !== address.length || !/^\d+$/.test(bitsText)) return false;
  const bits = Number(bitsText);
  if (bits > base.length * 8) return false;
  for (let i = 0; i < base.length; i++) {
    const take = Math.min(8, Math.max(0, bits - i * 8));
    if (take === 0) break;
    const mask = (0xff << (8 - take)) & 0xff;
    if ((address[i] & mask) !== (base[i] & mask)) return false;
  }
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * Parses an IPv4 address (strict dotted quad) or an IPv6 address (with `::`
 * and an optional dotted IPv4 tail) into its bytes.
 *
 * @param text The address, without brackets.
 * @returns 4 or 16 bytes, or `null` when `text` is not an address.
 */
export function parseAddress(text: string): Uint8Array | null {
  return parseIPv4(text) ?? parseIPv6(text);
}

function parseIPv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) return null;
    const value = Number(parts[i]);
    if (value > 255) return null;
    bytes[i] = value;
  }
  return bytes;
}

function parseIPv6(text: string): Uint8Array | null {
  if (!text.includes(":")) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    const parts = half.split(":");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (i === parts.length - 1 && part.includes(".")) {
        const v4 = parseIPv4(part);
        if (v4 === null) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
        out.push(parseInt(part, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}
