// GET /metrics: the control plane's Prometheus series in the text exposition format (SPEC 5.6, 10).
import type { FastifyInstance } from "fastify";
import { OrchError } from "../common/errors.js";
import { sendError } from "./error-envelope.js";
import type { GatewayContext } from "./gateway-context.js";

export function registerMetricsRoute(app: FastifyInstance, context: GatewayContext): void {
  app.get("/metrics", async (_request, reply) => {
    const { metrics } = context;
    if (!metrics) {
      // A standalone gateway holds no series: they live in the control plane's process.
      return sendError(
        reply,
        new OrchError(
          "ROUTE_NOT_FOUND",
          "this gateway runs apart from the control plane; scrape /metrics of `llama-orch serve`",
        ),
      );
    }
    try {
      const text = await metrics.metrics();
      return reply.code(200).type(metrics.contentType).send(text);
    } catch (error) {
      return sendError(reply, new OrchError("INTERNAL", `metrics collection failed: ${error}`));
    }
  });
}
