// The JSON Schema subset the config schema is written in, and builders that keep every object closed.

/** The subset of JSON Schema (draft-07) this file uses, plus one annotation, `defaultNote`. */
export interface SchemaNode {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description?: string;
  default?: unknown;
  /** The documented default where it is computed at load time instead of fixed in the schema. */
  defaultNote?: string;
  enum?: readonly string[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  minLength?: number;
  properties?: Record<string, SchemaNode>;
  required?: readonly string[];
  additionalProperties?: false;
  items?: SchemaNode;
  /** A value of any one of these shapes, e.g. an integer or a keyword. */
  anyOf?: readonly SchemaNode[];
}

// Builders keep `additionalProperties: false` on every object, so no object can forget it.
export function obj(
  description: string,
  properties: Record<string, SchemaNode>,
  required: readonly string[] = [],
): SchemaNode {
  const node: SchemaNode = { type: "object", description, additionalProperties: false, properties };
  // An absent section still gets its members' defaults: ajv fills `{}` and then recurses into it.
  if (required.length === 0) node.default = {};
  else node.required = required;
  return node;
}

export function int(description: string, def?: number, minimum = 0): SchemaNode {
  const node: SchemaNode = { type: "integer", description, minimum };
  if (def !== undefined) node.default = def;
  return node;
}

export function str(
  description: string,
  def?: string,
  extra: Partial<SchemaNode> = {},
): SchemaNode {
  const node: SchemaNode = { type: "string", description, ...extra };
  if (def !== undefined) node.default = def;
  return node;
}

export function oneOf(description: string, values: readonly string[], def?: string): SchemaNode {
  return str(description, def, { enum: values });
}
