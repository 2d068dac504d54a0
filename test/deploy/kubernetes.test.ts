// deploy/kubernetes: every overlay renders offline (`kubectl kustomize`), every object validates
// against the Kubernetes schemas (kubernetes-models; the InferencePool against its v1 API), and the
// ports, probes, flags and metric names in the manifests agree with the code that serves them.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Ajv } from "ajv";
import { DaemonSet, Deployment } from "kubernetes-models/apps/v1";
import { ConfigMap, PersistentVolumeClaim, Secret, Service } from "kubernetes-models/v1";
import { parseAllDocuments } from "yaml";
import { validateConfig } from "../../src/common/config.js";
import { createLogger } from "../../src/common/logger.js";
import { repoRoot } from "../../src/common/paths.js";
import { MODEL_SERVER_METRICS } from "../../src/control/model-server-metrics.js";
import { connectControl } from "../../src/gateway/grpc-clients.js";
import { buildGateway } from "../../src/gateway/server.js";
import { inferencePoolSchema } from "./inference-pool-schema.js";

// biome-ignore lint/suspicious/noExplicitAny: rendered YAML is untyped until validated
type K8sObject = Record<string, any>;

const root = join(repoRoot, "deploy", "kubernetes");
const overlays = readdirSync(root).filter((d) => existsSync(join(root, d, "kustomization.yaml")));

const models: Record<string, new (data: K8sObject) => { validate(): void }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "apps/v1/Deployment": Deployment,
  "apps/v1/DaemonSet": DaemonSet,
};
const validatePool = new Ajv({ strict: false }).compile(inferencePoolSchema);

const rendered = new Map<string, K8sObject[]>();

/** Each overlay is rendered once; tests get their own copy to read. */
function render(overlay: string): K8sObject[] {
  if (!rendered.has(overlay)) rendered.set(overlay, kustomize(overlay));
  return structuredClone(rendered.get(overlay) ?? []);
}

function kustomize(overlay: string): K8sObject[] {
  const out = execFileSync("kubectl", ["kustomize", join(root, overlay)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return parseAllDocuments(out).map((doc) => doc.toJS() as K8sObject);
}

function validate(object: K8sObject): void {
  const key = `${object.apiVersion}/${object.kind}`;
  if (key === "inference.networking.k8s.io/v1/InferencePool") {
    assert.ok(
      validatePool(object),
      `${object.metadata.name}: ${JSON.stringify(validatePool.errors)}`,
    );
    return;
  }
  const Model = models[key];
  assert.ok(Model, `no schema for ${key}: add it to the test`);
  new Model(object).validate();
}

const workloads = (objects: K8sObject[]) =>
  objects.filter((o) => o.kind === "Deployment" || o.kind === "DaemonSet");

/** The named container port of a workload's first container. */
function containerPort(workload: K8sObject, name: string): number | undefined {
  const ports: K8sObject[] = workload.spec.template.spec.containers[0].ports ?? [];
  return ports.find((p) => p.name === name)?.containerPort;
}

/** The llama-orch config a `serve` workload mounts at /etc/llama-orch/config.yaml, validated. */
function serveConfig(objects: K8sObject[], workload: K8sObject) {
  const volumes: K8sObject[] = workload.spec.template.spec.volumes;
  const name = volumes.find((v) => v.name === "config")?.configMap?.name;
  const map = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === name);
  assert.ok(map, `${workload.metadata.name} mounts ConfigMap ${name}`);
  const source = `${name}/config.yaml`;
  const doc = parseAllDocuments(map.data["config.yaml"])[0]?.toJS();
  return validateConfig(doc, { env: { AUTH_TOKEN: "from-the-secret" }, source });
}

const portOf = (address: string) => Number(address.slice(address.lastIndexOf(":") + 1));
const flag = (args: string[], name: string) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

describe("Kubernetes manifests (deploy/kubernetes)", () => {
  it("has the two topologies and the Inference Extension overlay", () => {
    assert.deepEqual(overlays.sort(), ["inference-extension", "per-node", "remote-workers"]);
  });

  for (const overlay of overlays) {
    it(`${overlay}: renders offline and every object validates against its schema`, () => {
      const objects = render(overlay);
      assert.ok(objects.length > 0);
      for (const object of objects) validate(object);
    });
  }

  it("a serve workload's ports, probes and config agree with its config file", () => {
    for (const overlay of overlays) {
      const objects = render(overlay);
      for (const workload of workloads(objects)) {
        const container = workload.spec.template.spec.containers[0];
        if (container.args[0] !== "serve") continue;
        const config = serveConfig(objects, workload);
        assert.equal(containerPort(workload, "http"), portOf(config.server.httpAddr));
        assert.equal(containerPort(workload, "grpc"), portOf(config.server.grpcAddr));
        assert.equal(container.livenessProbe.httpGet.path, "/livez");
        assert.equal(container.readinessProbe.httpGet.path, "/readyz");
        for (const probe of [container.livenessProbe, container.readinessProbe]) {
          assert.equal(probe.httpGet.port, "http");
          assert.equal(probe.httpGet.scheme, config.tls.certFile ? "HTTPS" : "HTTP");
        }
        const annotations = workload.spec.template.metadata.annotations;
        assert.equal(Number(annotations["prometheus.io/port"]), portOf(config.server.httpAddr));
        assert.equal(annotations["prometheus.io/path"], "/metrics");
        assert.ok(container.resources?.limits?.["nvidia.com/gpu"] || config.pools.length === 0);
      }
    }
  });

  it("topology B: workers dial the control plane's Service and listen where they advertise", () => {
    const objects = render("remote-workers");
    const control = workloads(objects).find((w) => w.metadata.name === "llama-orch-control");
    assert.ok(control);
    const config = serveConfig(objects, control);
    assert.deepEqual(config.pools, [], "the control plane serves only registered workers");
    const worker = workloads(objects).find((w) => w.metadata.name === "llama-orch-worker");
    const container = worker?.spec.template.spec.containers[0];
    const args: string[] = container.args;
    const service = objects.find(
      (o) => o.kind === "Service" && o.metadata.name === "llama-orch-control",
    );
    assert.ok(service);
    const grpc = service.spec.ports.find((p: K8sObject) => p.name === "grpc");
    assert.equal(flag(args, "control"), `${service.metadata.name}:${grpc.port}`);
    assert.equal(portOf(flag(args, "listen") ?? ""), containerPort(worker as K8sObject, "worker"));
    assert.equal(
      portOf(flag(args, "advertise") ?? ""),
      containerPort(worker as K8sObject, "worker"),
    );
    const mounted: string[] = worker?.spec.template.spec.volumes
      .find((v: K8sObject) => v.name === "tls")
      .secret.items.map((i: K8sObject) => `/etc/llama-orch/tls/${i.path}`);
    for (const name of ["tls-cert", "tls-key", "tls-ca"]) {
      assert.ok(mounted.includes(flag(args, name) ?? ""), `--${name} is a mounted file`);
    }
  });

  it("the InferencePool selects the serve pods on their HTTP port", () => {
    const objects = render("inference-extension");
    const pool = objects.find((o) => o.kind === "InferencePool");
    const serve = workloads(objects).find(
      (w) => w.spec.template.spec.containers[0].args[0] === "serve",
    );
    assert.ok(pool && serve);
    const labels = serve.spec.template.metadata.labels;
    for (const [key, value] of Object.entries(pool.spec.selector.matchLabels)) {
      assert.equal(labels[key], value, `pods carry ${key}=${value}`);
    }
    assert.deepEqual(pool.spec.targetPorts, [{ number: containerPort(serve, "http") }]);
  });

  it("exports the model-server metrics under the stock Endpoint Picker's vLLM names", () => {
    assert.deepEqual(MODEL_SERVER_METRICS, {
      waiting: "vllm:num_requests_waiting",
      running: "vllm:num_requests_running",
      kvUsage: "vllm:kv_cache_usage_perc",
    });
  });

  it("the probe and scrape paths are routes of the gateway", async () => {
    const clients = connectControl("127.0.0.1:1", undefined);
    const app = buildGateway(
      { clients, log: createLogger({ level: "silent" }) },
      {
        token: undefined,
        optional: false,
      },
    );
    await app.ready();
    const missing = ["/livez", "/readyz", "/metrics"].filter(
      (url) => !app.hasRoute({ method: "GET", url }),
    );
    await app.close();
    clients.close();
    assert.deepEqual(missing, []);
  });
});
