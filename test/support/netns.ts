// Network namespaces as "hosts" for multi-host tests: one hub namespace linked to each host by a veth
// pair, addresses only from 198.18.0.0/15 (RFC 2544 benchmark range), all created and deleted here.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const PREFIX = "llorch";

function ip(args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Root, and `ip netns` works: the test can make its hosts. */
export function canMakeNamespaces(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    ip(["netns", "list"]);
    return true;
  } catch {
    return false;
  }
}

/** Namespaces left behind by runs whose process is gone (a crash skips the test's own cleanup). */
export function removeOrphans(): void {
  for (const line of ip(["netns", "list"]).split("\n")) {
    const match = new RegExp(`^(${PREFIX}-(\\d+)-\\w+)`).exec(line);
    if (!match?.[1] || !match[2]) continue;
    const pid = Number(match[2]);
    if (pid !== process.pid && !existsSync(`/proc/${pid}`)) ip(["netns", "del", match[1]]);
  }
}

export interface Host {
  /** The namespace's name. */
  ns: string;
  /** This host's address, and the hub's address on the same link. */
  address: string;
  hubAddress: string;
  /** Takes the link down (packets vanish, no reset: a host lost, not a process ended) or up. */
  link(up: boolean): void;
}

export interface Hosts {
  hub: string;
  hosts: Host[];
  /** `ip netns exec NS`, the wrapper that runs a command on a host. */
  exec(ns: string): string[];
  /** Deletes every namespace (and with them the links); idempotent. */
  remove(): void;
}

/** A hub and `count` hosts; host i is 198.18.i.2, the hub 198.18.i.1 on that link. */
export function createHosts(count: number): Hosts {
  const name = (role: string) => `${PREFIX}-${process.pid}-${role}`;
  const hub = name("hub");
  const made: string[] = [];
  const remove = () => {
    for (const ns of made.splice(0)) {
      try {
        ip(["netns", "del", ns]);
      } catch {
        // Already gone.
      }
    }
  };
  try {
    ip(["netns", "add", hub]);
    made.push(hub);
    ip(["-n", hub, "link", "set", "lo", "up"]);
    const hosts = Array.from({ length: count }, (_, i) => {
      const ns = name(`h${i + 1}`);
      ip(["netns", "add", ns]);
      made.push(ns);
      return link(hub, ns, i + 1);
    });
    return { hub, hosts, exec: (ns) => ["ip", "netns", "exec", ns], remove };
  } catch (error) {
    remove();
    throw error;
  }
}

function link(hub: string, ns: string, n: number): Host {
  const hubEnd = `hub${n}`;
  const hostEnd = `eth${n}`;
  const [hubAddress, address] = [`198.18.${n}.1`, `198.18.${n}.2`];
  ip(["-n", hub, "link", "add", hubEnd, "type", "veth", "peer", "name", hostEnd, "netns", ns]);
  ip(["-n", hub, "addr", "add", `${hubAddress}/24`, "dev", hubEnd]);
  ip(["-n", ns, "addr", "add", `${address}/24`, "dev", hostEnd]);
  for (const [where, dev] of [
    [hub, hubEnd],
    [ns, hostEnd],
    [ns, "lo"],
  ] as const) {
    ip(["-n", where, "link", "set", dev, "up"]);
  }
  return {
    ns,
    address,
    hubAddress,
    link: (up) => ip(["-n", ns, "link", "set", hostEnd, up ? "up" : "down"]),
  };
}

/**
 * A TCP forwarder in namespace `ns` from a unix socket (reachable from here: the file system is
 * shared) to `target` inside it: the test's clients reach a server only that namespace can see.
 */
export async function unixForwarder(
  wrapper: string[],
  socket: string,
  target: string,
): Promise<ChildProcess> {
  const port = Number(target.slice(target.lastIndexOf(":") + 1));
  const script = `
    const net = require("node:net");
    net.createServer((from) => {
      const to = net.connect(${port}, "127.0.0.1");
      from.pipe(to).pipe(from);
      from.on("error", () => to.destroy());
      to.on("error", () => from.destroy());
    }).listen(${JSON.stringify(socket)});`;
  const [program = "ip", ...args] = [...wrapper, process.execPath, "-e", script];
  const child = spawn(program, args, { stdio: "ignore" });
  for (let i = 0; i < 200 && !existsSync(socket); i++) await sleep(50);
  if (!existsSync(socket)) throw new Error(`forwarder ${socket} did not listen`);
  return child;
}
