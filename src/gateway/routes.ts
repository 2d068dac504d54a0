// Every route module of the gateway, registered in one place.
import type { FastifyInstance } from "fastify";
import type { GatewayContext } from "./server.js";
import { registerTaskRoutes } from "./task-routes.js";

export function registerRoutes(app: FastifyInstance, context: GatewayContext): void {
  registerTaskRoutes(app, context);
}
