/**
 * The BLAS the PyTorch peer of `deno task bench:peers` runs on, as
 * bench/peers/blas.py reports it, and whether it is fast enough for a fair
 * comparison. Debian's torch calls the system libblas.so.3, which without
 * OpenBLAS is netlib's reference BLAS: about 6 GFLOPS on a 1024² GEMM
 * where OpenBLAS gives about 120, so the peer would be slowed by the
 * library rather than by PyTorch.
 *
 * @module
 */
import { formatNumber } from "../_markdown.ts";

/** What bench/peers/blas.py measured. */
export interface PeerBlas {
  /** The BLAS / LAPACK shared objects the process loaded, in map order. */
  libraries: string[];
  /** BLAS_INFO of torch's build settings ("generic" on Debian). */
  blasInfo?: string;
  /** GFLOPS of a `size`² float32 matrix product; undefined where unknown. */
  gflops?: number;
  /** The matrices' side (1024). */
  size: number;
  /** torch's intra-op threads during the products (1). */
  threads: number;
}

/** Below this many GFLOPS (1024² GEMM, 1 thread) bench:peers refuses to compare. */
export const MIN_PEER_GFLOPS = 30;

/** The Debian package of OpenBLAS that bench:peers installs for the peer. */
export const OPENBLAS_PACKAGE = "libopenblas0-pthread";

/** A finite number, or undefined. */
function finite(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value)
    ? value
    : undefined;
}

/**
 * The probe's JSON object as a {@link PeerBlas}. Numbers that are missing
 * or not finite come back undefined, for {@link blasRefusal} to refuse.
 *
 * @throws Error where `json` is not an object (the probe printed none).
 */
export function parsePeerBlas(json: unknown): PeerBlas {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error("bench/peers/blas.py printed no JSON object");
  }
  const probe = json as Record<string, unknown>;
  return {
    libraries: Array.isArray(probe.libraries)
      ? probe.libraries.filter((path) => typeof path === "string")
      : [],
    blasInfo: typeof probe.blasInfo === "string" ? probe.blasInfo : undefined,
    gflops: finite(probe.gflops),
    size: finite(probe.size) ?? 1024,
    threads: finite(probe.threads) ?? 1,
  };
}

/** Whether the peer loaded OpenBLAS (any library path that names it). */
export function usesOpenBlas(blas: PeerBlas): boolean {
  return blas.libraries.some((path) => /openblas/i.test(path));
}

/**
 * The library the peer's matrix products ran on: the first loaded path
 * that names BLAS (OpenBLAS' core library comes before its libblas.so.3
 * alias), else the first path, else a note that none was found.
 */
export function blasLibrary(blas: PeerBlas): string {
  const named = blas.libraries.find((path) =>
    /blas/i.test(path.split("/").at(-1) ?? "")
  );
  return named ?? blas.libraries[0] ?? "no BLAS library in /proc/self/maps";
}

/** "82.8 GFLOPS", or "unknown GFLOPS" where the probe gave none. */
export function formatGflops(gflops: number | undefined): string {
  return `${gflops === undefined ? "unknown" : formatNumber(gflops)} GFLOPS`;
}

/** What to do about a slow BLAS: install OpenBLAS, or, on it, find a quiet machine. */
function blasAdvice(blas: PeerBlas): string {
  return usesOpenBlas(blas)
    ? "OpenBLAS is loaded, so the machine is likely busy: run bench:peers again on a quiet one"
    : `install OpenBLAS (as root: apt-get install -y ${OPENBLAS_PACKAGE}, and make it ` +
      "libblas.so.3 with update-alternatives where another BLAS was chosen by hand) " +
      "and run bench:peers again";
}

/**
 * Why the peer's BLAS makes the comparison unfair (one line, for stderr),
 * or undefined where it may go ahead: refused below
 * {@link MIN_PEER_GFLOPS} and where the probe measured no GFLOPS at all.
 */
export function blasRefusal(blas: PeerBlas): string | undefined {
  if (blas.gflops !== undefined && blas.gflops >= MIN_PEER_GFLOPS) {
    return undefined;
  }
  const threads = `${blas.threads} thread${blas.threads === 1 ? "" : "s"}`;
  return `PyTorch's BLAS (${blasLibrary(blas)}) does ${
    formatGflops(blas.gflops)
  } on a ${blas.size}² float32 matrix product at ${threads}, ` +
    `below the ${MIN_PEER_GFLOPS} GFLOPS a fair comparison needs, so PEERS.md is left as it was: ` +
    blasAdvice(blas);
}
