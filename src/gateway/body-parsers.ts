// Request body parsing: JSON as fastify parses it, except that an empty body is no body, whatever
// its content type, because many clients send `content-type: application/json` on every POST.
import type { FastifyInstance } from "fastify";
import { OrchError } from "../common/errors.js";

export function registerBodyParsers(app: FastifyInstance): void {
  // Prototype poisoning stays refused, as in fastify's default parser.
  const json = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = String(body);
    if (text === "") done(null, undefined);
    else json(request, text, done);
  });
  // Other types carry no body we read; an empty one passes so body-less routes still answer.
  app.addContentTypeParser("*", { parseAs: "string" }, (request, body, done) => {
    if (String(body) === "") return done(null, undefined);
    const type = String(request.headers["content-type"]);
    done(
      new OrchError("INVALID_PARAMS", `unsupported content-type ${type}; send application/json`),
    );
  });
}
