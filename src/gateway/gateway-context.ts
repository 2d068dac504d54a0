// What the gateway's route modules share: the control plane's clients, the logger and the settings.
// Its own module, importing no route, so routes and the server that registers them form no cycle.
import type { Registry } from "prom-client";
import type { Logger } from "../common/logger.js";
import type { TlsMaterial } from "../common/tls.js";
import type { ControlClients } from "./grpc-clients.js";

/** What every route module gets. */
export interface GatewayContext {
  clients: ControlClients;
  log: Logger;
  /** Absent in a standalone gateway: /metrics then points at the control plane's process. */
  metrics?: Registry;
  /** Interval of SSE keep-alive comments, in ms; default the config default (15000). */
  sseKeepaliveMs?: number;
  /** Allowed CORS origins; absent or empty: CORS off. */
  corsOrigins?: readonly string[];
  /** Serve HTTPS with this certificate; plaintext (h2c or HTTP/1.1) without. */
  tls?: TlsMaterial;
}
