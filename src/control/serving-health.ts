// The standard gRPC health service follows readiness: overall ("") and the Orchestrator service
// are SERVING only while at least one pool can take work; the admin services always serve (the
// worker registry must, or no pool could ever become ready).
import type { HealthImplementation, ServingStatus } from "grpc-health-check";
import type { PoolRegistry } from "./pool-registry.js";

/** Services whose answers need a ready pool. */
export const READINESS_SERVICES = ["", "llama_orch.v1.Orchestrator"] as const;

/** Drain and suspicion are plain flags with several writers; a short poll catches them too. */
const RECHECK_MS = 500;

export function servingStatus(registry: PoolRegistry): ServingStatus {
  return registry.all().some((pool) => pool.ready && !pool.draining) ? "SERVING" : "NOT_SERVING";
}

/** Keeps `health` in step with the pools until the returned function is called. */
export function followReadiness(health: HealthImplementation, registry: PoolRegistry): () => void {
  let last: ServingStatus | undefined;
  const update = () => {
    const status = servingStatus(registry);
    if (status === last) return;
    last = status;
    for (const service of READINESS_SERVICES) health.setStatus(service, status);
  };
  update();
  registry.on("ready", update);
  registry.on("down", update);
  const timer = setInterval(update, RECHECK_MS).unref();
  return () => {
    clearInterval(timer);
    registry.off("ready", update);
    registry.off("down", update);
  };
}
