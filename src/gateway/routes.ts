// Every route module of the gateway, registered in one place.
import type { FastifyInstance } from "fastify";
import { registerAnthropicRoutes } from "./anthropic-routes.js";
import { registerControlRoutes } from "./control-routes.js";
import { registerEventsRoutes } from "./events-routes.js";
import type { GatewayContext } from "./gateway-context.js";
import { registerHealthRoutes } from "./health-routes.js";
import { registerImportRoutes } from "./import-routes.js";
import { registerMetricsRoute } from "./metrics-route.js";
import { registerModelAdminRoutes } from "./model-admin-routes.js";
import { registerOpenAiRoutes } from "./openai-routes.js";
import { registerPullRoutes } from "./pull-routes.js";
import { registerStatusPage } from "./status-page/page-routes.js";
import { registerTaskRoutes } from "./task-routes.js";
import { registerWorkerRoutes } from "./worker-routes.js";

export function registerRoutes(app: FastifyInstance, context: GatewayContext): void {
  registerTaskRoutes(app, context);
  registerControlRoutes(app, context);
  registerMetricsRoute(app, context);
  registerOpenAiRoutes(app, context);
  registerWorkerRoutes(app, context);
  registerPullRoutes(app, context);
  registerModelAdminRoutes(app, context);
  registerImportRoutes(app, context);
  registerHealthRoutes(app, context);
  registerAnthropicRoutes(app, context);
  registerEventsRoutes(app, context);
  registerStatusPage(app);
}
