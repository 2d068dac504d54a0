// Loads the compiled addon once, with an actionable message when it has not been built.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { addonPath } from "../common/paths.js";
import type { NativeAddon } from "./native-addon.js";

function load(): NativeAddon {
  if (!existsSync(addonPath)) {
    throw new Error(
      `the llama-orch addon is not built (${addonPath} is missing): run \`npm run build:addon\``,
    );
  }
  const require = createRequire(import.meta.url);
  return require(addonPath) as NativeAddon;
}

export const addon: NativeAddon = load();
