// Preloaded into serve and its worker (NODE_OPTIONS=--import) to write a V8 CPU profile at exit,
// since Node refuses --cpu-prof in NODE_OPTIONS and the supervisor passes no exec arguments.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";

const dir = process.env.LLAMA_ORCH_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 200 });
  session.post("Profiler.start");
  // The main-thread session answers synchronously, so the profile is written before the exit.
  process.on("exit", () => {
    session.post("Profiler.stop", (error, result) => {
      if (error) return;
      const role = process.argv[2] ?? "node";
      const file = join(dir, `${role}-${process.pid}.cpuprofile`);
      writeFileSync(file, JSON.stringify(result.profile));
    });
  });
}
