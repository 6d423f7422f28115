// Preloaded (node --require) into the control plane child of bench/soak/run.ts: prints the
// process's memory (process.memoryUsage(): rss, heapTotal, heapUsed, external, arrayBuffers) as
// one `SOAKMEM <json>` line on stdout every SOAK_MEM_INTERVAL_MS (default 1000), so the
// benchmark can follow the V8 heap of the shipped CLI without changing it. The timer is unref'd:
// it never keeps the process alive.
const interval = Number(process.env.SOAK_MEM_INTERVAL_MS) || 1000;
const timer = setInterval(() => {
  try {
    process.stdout.write(`SOAKMEM ${JSON.stringify({ t: Date.now(), ...process.memoryUsage() })}\n`);
  } catch {
    /* stdout gone: the benchmark went away */
  }
}, interval);
timer.unref();
