/**
 * The values Deno's workers take in `deno.permissions`, checked the way Deno 2 checks them.
 *
 * Deno checks them only when a worker is constructed, in the middle of a run; a value it
 * refuses then fails the whole run with an error naming neither the option nor the value.
 * These rules were found by trying values on Deno 2.9's worker constructor, and
 * `tests/eval_permissions_test.ts` keeps comparing them with it, value by value.
 *
 * @module
 */

import { describeValue } from "../src/errors.ts";

/** The `sys` kinds Deno knows; any other is refused ("unknown system info kind"). */
const SYS_KINDS: ReadonlySet<string> = new Set([
  "cpus",
  "getPriority",
  "getegid",
  "gid",
  "homedir",
  "hostname",
  "inspector",
  "loadavg",
  "networkInterfaces",
  "osRelease",
  "osUptime",
  "setPriority",
  "statfs",
  "systemMemoryInfo",
  "uid",
  "userInfo",
  "username",
]);

/**
 * Why Deno's worker would refuse `value` in the list of permission `name`, or `undefined`
 * when it takes it. `name` is one of the eight names a worker's permission object takes.
 */
export function permissionValueProblem(name: string, value: unknown): string | undefined {
  if (value instanceof URL) {
    // read, write, ffi and run take file URLs as paths; net, env, sys and import none.
    if (!["read", "write", "ffi", "run"].includes(name)) return `expected a string, not a URL`;
    return value.protocol === "file:" ? undefined : `expected a file URL, not '${value.href}'`;
  }
  if (typeof value !== "string") return `expected a string, not ${describeValue(value)}`;
  switch (name) {
    case "read":
    case "write":
    case "ffi":
      return value === "" ? "an empty path" : undefined;
    case "env":
      return value === "" ? "an empty variable name" : undefined;
    case "sys":
      return SYS_KINDS.has(value) ? undefined : `unknown system information kind '${value}'` +
        ` (expected one of ${[...SYS_KINDS].join(", ")})`;
    case "net":
    case "import":
      return hostProblem(value);
    default: // run: Deno takes any command name, even an empty one
      return undefined;
  }
}

/** Why `value` is not a `HOST[:PORT]` as Deno's `net` and `import` lists take it. */
function hostProblem(value: string): string | undefined {
  if (value.includes("://")) return `expected a host, not the URL '${value}'`;
  let host: string;
  let port: string | undefined;
  if (value.startsWith("[")) {
    const end = value.indexOf("]");
    if (end === -1) return `an IPv6 address lacks its ']' in '${value}'`;
    host = value.slice(1, end);
    const rest = value.slice(end + 1);
    if (rest !== "" && !rest.startsWith(":")) return `expected ':PORT' after ']' in '${value}'`;
    port = rest === "" ? undefined : rest.slice(1);
    if (!isIpv6(host)) return `invalid IPv6 address '${host}'`;
  } else {
    const parts = value.split(":");
    if (parts.length > 2) return `an IPv6 address must be in brackets, as [::1]:80, in '${value}'`;
    host = parts[0]!;
    port = parts[1];
    if (host === "") return `a host is missing in '${value}'`;
    if (!isHostName(host) && !isIpv4Subnet(host)) return `invalid host '${host}'`;
  }
  // Deno reads the port as Rust reads a u16: a leading + or zeros are fine.
  if (port !== undefined && !(/^\+?\d+$/.test(port) && Number(port) <= 65535)) {
    return `invalid port '${port}' in '${value}'`;
  }
  return undefined;
}

/**
 * A domain name as Deno takes one: ASCII labels of letters, digits, `_` and `-`, optionally
 * a leading `*.` wildcard and a trailing dot. (Deno also passes `#` in a label.)
 */
function isHostName(host: string): boolean {
  return /^(\*\.)?[A-Za-z0-9_#-]+(\.[A-Za-z0-9_#-]+)*\.?$/.test(host);
}

/** An IPv4 subnet, `10.0.0.0/8`: four octets in canonical form and a prefix of 0 to 32. */
function isIpv4Subnet(host: string): boolean {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(0|[1-9]\d?)$/.exec(host);
  if (!match) return false;
  const octets = match.slice(1, 5);
  return octets.every((octet) => /^(0|[1-9]\d{0,2})$/.test(octet) && Number(octet) <= 255) &&
    Number(match[5]) <= 32;
}

/** An IPv6 address, with an optional zone (`fe80::1%eth0`), which URLs do not take. */
function isIpv6(address: string): boolean {
  const [bare = ""] = address.split("%", 1);
  if (!bare.includes(":")) return false;
  try {
    new URL(`http://[${bare}]/`);
    return true;
  } catch {
    return false;
  }
}
