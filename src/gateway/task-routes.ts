// Data-plane routes: tasks, their SSE streams, cancel, sessions (being written).
import type { FastifyInstance } from "fastify";
import type { GatewayContext } from "./server.js";

export function registerTaskRoutes(_app: FastifyInstance, _context: GatewayContext): void {}
