/**
 * The machine a report ran on: CPU model, cores, Deno, OS and load.
 *
 * @module
 */

/** What the report says about the machine. */
export interface Machine {
  /** "model name" from /proc/cpuinfo (see {@link cpuModel}). */
  cpuModel: string;
  /** Logical cores (`navigator.hardwareConcurrency`). */
  cores: number;
  deno: string;
  v8: string;
  os: string;
}

/**
 * The first "model name" line of /proc/cpuinfo. Deno 2.9 lets a script read
 * /proc/cpuinfo only under --allow-all, so without it this returns `fallback`:
 * pass the `cpu` field of `deno bench --json`, which Deno itself takes from
 * the same line.
 */
export function cpuModel(fallback = "unknown"): string {
  try {
    const cpuinfo = Deno.readTextFileSync("/proc/cpuinfo");
    const match = cpuinfo.match(/^model name\s*:\s*(.+)$/m);
    return match ? match[1].trim() : fallback;
  } catch {
    return fallback;
  }
}

/** Describes this machine; `cpuFallback` as for {@link cpuModel}. */
export function describeMachine(cpuFallback?: string): Machine {
  let release = "";
  try {
    release = ` ${Deno.osRelease()}`;
  } catch { /* needs --allow-sys; the target alone will do */ }
  return {
    cpuModel: cpuModel(cpuFallback),
    cores: navigator.hardwareConcurrency || 1,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    os: `${Deno.build.target}${release}`,
  };
}

/**
 * The 1-minute load average, or undefined where it cannot be read. Above
 * zero-ish it means other processes were competing for the cores.
 */
export function loadAverage(): number | undefined {
  try {
    return Deno.loadavg()[0];
  } catch {
    return undefined;
  }
}
