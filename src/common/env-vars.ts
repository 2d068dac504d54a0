// The environment variables serve reads beside its config file, as docs/config.md lists them.

/** Environment variables read with the config; secrets come only from here, never from YAML. */
export const envVars: readonly { name: string; default: string; description: string }[] = [
  { name: "LLAMA_ORCH_CONFIG", default: "unset", description: "Path of the YAML config file." },
  { name: "LLAMA_ORCH_DATA_DIR", default: "unset", description: "Overrides `data_dir`." },
  {
    name: "AUTH_TOKEN",
    default: "unset",
    description: "Bearer token clients and workers must present. Secret: never logged.",
  },
  {
    name: "AUTH_OPTIONAL",
    default: "false",
    description: "`true` or `1`: loopback clients may omit the token.",
  },
  {
    name: "TRUST_PROXY_AUTH",
    default: "false",
    description:
      "`true` or `1`: on the HTTP gateway, a Bearer header from loopback (a reverse proxy on this host) is trusted " +
      "without matching AUTH_TOKEN; logged as `proxy:<fp6>`. Risk: any local process can spoof " +
      "it. Remote callers still need AUTH_TOKEN.",
  },
  {
    name: "HF_ENDPOINT",
    default: "`https://huggingface.co`",
    description: "The Hugging Face hub `hf:` refs are pulled from.",
  },
  {
    name: "HF_TOKEN",
    default: "unset",
    description: "Hugging Face access token for gated or private repos. Secret: never logged.",
  },
  {
    name: "OLLAMA_REGISTRY",
    default: "`https://registry.ollama.ai`",
    description:
      "The Ollama registry `ollama:` refs are pulled from (an OCI registry serving Ollama manifests).",
  },
  {
    name: "HF_HUB_CACHE",
    default: "`$HF_HOME/hub`, else `~/.cache/huggingface/hub`",
    description:
      "The Hugging Face hub cache whose models are used in place (`models import`, and `hf:` refs found there are not downloaded); always an allowed model directory.",
  },
  {
    name: "OLLAMA_MODELS",
    default: "`~/.ollama/models`",
    description:
      "Ollama's models folder whose models are used in place (`models import`, and `ollama:` refs found there are not downloaded); always an allowed model directory.",
  },
];
