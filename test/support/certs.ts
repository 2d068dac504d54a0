// A throwaway PKI for TLS tests, made with the openssl command line: a CA and certificates it
// signs, each usable as server and client (mutual TLS), naming the addresses it is dialled at.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TlsFiles } from "../../src/common/tls.js";

const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

export interface Pki {
  dir: string;
  caFile: string;
  /** A certificate signed by the CA for `name`, valid for the IPs and DNS names in `sans`. */
  issue(name: string, sans: string[]): TlsFiles;
}

/** A new CA in `dir`; a second CA in another prefix makes certificates the first does not trust. */
export function createPki(dir: string, prefix = "ca"): Pki {
  const caKey = join(dir, `${prefix}.key`);
  const caFile = join(dir, `${prefix}.crt`);
  const subject = ["-subj", `/CN=llama-orch test ${prefix}`, "-days", "2"];
  openssl(["req", "-x509", ...KEY, "-keyout", caKey, "-out", caFile, ...subject]);
  return {
    dir,
    caFile,
    issue(name, sans) {
      const base = join(dir, `${prefix}-${name}`);
      const ext = `${base}.ext`;
      const alt = sans.map((san) => (/^[\d.]+$|:/.test(san) ? `IP:${san}` : `DNS:${san}`));
      writeFileSync(
        ext,
        `subjectAltName=${alt.join(",")}\nextendedKeyUsage=serverAuth,clientAuth\n`,
      );
      openssl([
        "req",
        ...KEY,
        "-keyout",
        `${base}.key`,
        "-out",
        `${base}.csr`,
        "-subj",
        `/CN=${name}`,
      ]);
      const signing = ["-CA", caFile, "-CAkey", caKey, "-CAcreateserial", "-days", "2"];
      const out = ["-out", `${base}.crt`, "-extfile", ext];
      openssl(["x509", "-req", "-in", `${base}.csr`, ...signing, ...out]);
      return { certFile: `${base}.crt`, keyFile: `${base}.key`, caFile };
    },
  };
}
