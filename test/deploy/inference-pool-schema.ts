// The InferencePool (inference.networking.k8s.io/v1) as its API reference defines it, as JSON
// Schema: no package ships the Inference Extension's CRDs, and the test must run offline.
const port = { type: "integer", minimum: 1, maximum: 65535 };
const labelValue = {
  type: "string",
  maxLength: 63,
  pattern: "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$",
};

export const inferencePoolSchema = {
  type: "object",
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: { const: "inference.networking.k8s.io/v1" },
    kind: { const: "InferencePool" },
    metadata: {
      type: "object",
      required: ["name"],
      properties: { name: { type: "string", minLength: 1, maxLength: 253 } },
    },
    spec: {
      type: "object",
      additionalProperties: false,
      required: ["selector", "targetPorts", "endpointPickerRef"],
      properties: {
        selector: {
          type: "object",
          additionalProperties: false,
          required: ["matchLabels"],
          properties: {
            matchLabels: { type: "object", minProperties: 1, additionalProperties: labelValue },
          },
        },
        targetPorts: {
          type: "array",
          minItems: 1,
          maxItems: 8,
          items: {
            type: "object",
            additionalProperties: false,
            required: ["number"],
            properties: { number: port },
          },
        },
        appProtocol: { enum: ["http", "kubernetes.io/h2c"] },
        endpointPickerRef: {
          type: "object",
          additionalProperties: false,
          required: ["name", "port"],
          properties: {
            group: { type: "string" },
            kind: { type: "string" },
            name: { type: "string", minLength: 1, maxLength: 253 },
            port: {
              type: "object",
              additionalProperties: false,
              required: ["number"],
              properties: { number: port },
            },
            failureMode: { enum: ["FailOpen", "FailClose"] },
          },
        },
      },
    },
  },
} as const;
