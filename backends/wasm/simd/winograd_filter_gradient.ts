/**
 * The filter gradient of a stride-1 convolution in Winograd's F(m x m,
 * r x r) domain (./winograd.ts has the forward convolution). The forward
 * tile is Y = A^T [U ⊙ V] A with U = G g G^T and V = B^T d B, all linear,
 * so by the chain rule
 *
 *   dU_p = sum over tiles of V_p (A dY A^T)_p,   dg = G^T dU G,
 *
 * where dY is the tile's m x m of output gradients. Over channels the sum
 * is a^2 GEMMs (one per position p) of V_p^T [Ci, tiles] by
 * Q_p = (A dY A^T)_p [tiles, Co]: a^2 multiply-adds per tile and channel
 * pair, against m^2 r^2 for the direct filter gradient.
 *
 * Threads take blocks of tiles as the forward convolution does: each
 * transforms its block's x into V (`wino_in_*`) and dy into Q
 * (`wino_dy_*`), then adds V_p^T Q_p into its own dU (`wino_dw`); the
 * caller adds the threads' dU and maps it back through G^T . G.
 *
 * @module
 */
import { multiplyAdd } from "./wat.ts";
import { type KernelPool, poolTask } from "./pool.ts";
import {
  tilesPerBlock,
  tileTransformWat,
  transformName,
  type WinogradShape,
} from "./winograd.ts";
import {
  tileSize,
  WINOGRAD_ALGORITHMS,
  type WinogradAlgorithm,
} from "./winograd_algorithms.ts";

/**
 * `wino_dw`: dU[4 * groups, 8 * panels] += V^T Q over `tiles` tiles, for
 * one position. V is laid out as `wino_in` writes it (a tile's 4 channels
 * of a group 16 bytes apart, groups `groupBytes` apart), Q's rows are
 * `qRowBytes` apart, dU's `duRowBytes`. A call's accumulators are 4 input
 * channels (one group) x 8 output channels.
 */
function filterGemmWat(fused: boolean): string {
  const acc = (r: number, h: number) => `$acc${r}_${h}`;
  const accumulators: string[] = [];
  for (let r = 0; r < 4; r++) accumulators.push(acc(r, 0), acc(r, 1));
  const rowAt = (r: number) =>
    `local.get $pdu local.get $duRowBytes i32.const ${r} i32.mul i32.add`;
  const lines = [
    `(func (export "wino_dw")`,
    `(param $v i32) (param $q i32) (param $du i32) (param $groups i32) (param $panels i32)`,
    `(param $tiles i32) (param $groupBytes i32) (param $qRowBytes i32) (param $duRowBytes i32)`,
    `(local $panel i32) (local $t i32) (local $pv i32) (local $pq i32) (local $pdu i32) (local $qPanel i32)`,
    accumulators.map((name) => `(local ${name} v128)`).join(" "),
    `(local $b0 v128) (local $b1 v128) (local $av v128)`,
    `(loop $group`,
    `local.get $q local.set $qPanel`,
    `local.get $du local.set $pdu`,
    `local.get $panels local.set $panel`,
    `(loop $panelLoop`,
  ];
  for (let r = 0; r < 4; r++) {
    lines.push(
      `${rowAt(r)} v128.load local.set ${acc(r, 0)}`,
      `${rowAt(r)} v128.load offset=16 local.set ${acc(r, 1)}`,
    );
  }
  lines.push(
    `local.get $v local.set $pv`,
    `local.get $qPanel local.set $pq`,
    `local.get $tiles local.set $t`,
    `(loop $inner`,
    `local.get $pq v128.load local.set $b0`,
    `local.get $pq v128.load offset=16 local.set $b1`,
  );
  for (let r = 0; r < 4; r++) {
    lines.push(
      `local.get $pv v128.load32_splat offset=${4 * r} local.set $av`,
      multiplyAdd(fused, "$av", "$b0", acc(r, 0)),
      multiplyAdd(fused, "$av", "$b1", acc(r, 1)),
    );
  }
  lines.push(
    `local.get $pv i32.const 16 i32.add local.set $pv`,
    `local.get $pq local.get $qRowBytes i32.add local.set $pq`,
    `local.get $t i32.const 1 i32.sub local.tee $t br_if $inner)`,
  );
  for (let r = 0; r < 4; r++) {
    lines.push(
      `${rowAt(r)} local.get ${acc(r, 0)} v128.store`,
      `${rowAt(r)} local.get ${acc(r, 1)} v128.store offset=16`,
    );
  }
  lines.push(
    `local.get $qPanel i32.const 32 i32.add local.set $qPanel`,
    `local.get $pdu i32.const 32 i32.add local.set $pdu`,
    `local.get $panel i32.const 1 i32.sub local.tee $panel br_if $panelLoop)`,
    `local.get $v local.get $groupBytes i32.add local.set $v`,
    `local.get $du local.get $duRowBytes i32.const 4 i32.mul i32.add local.set $du`,
    `local.get $groups i32.const 1 i32.sub local.tee $groups br_if $group)`,
    `)`,
  );
  return lines.join("\n");
}

/**
 * The Winograd filter gradients' functions, every algorithm's, as WAT
 * (the input transforms are ./winograd.ts's).
 */
export function winogradFilterGradientWat(fused: boolean): string {
  return [
    filterGemmWat(fused),
    // Q = A dY A^T, A being A^T's transpose.
    ...WINOGRAD_ALGORITHMS.map((algorithm) =>
      tileTransformWat(
        transformName("dy", algorithm),
        algorithm.at[0].map((_, i) => algorithm.at.map((row) => row[i])),
        algorithm.m,
      )
    ),
  ].join("\n");
}

/**
 * V and Q of a block, in floats: twice the forward convolution's, since
 * each pass over a block reads and writes all of a thread's dU.
 */
const BLOCK_BUDGET_FLOATS = 1 << 17;

/**
 * One thread's share of a Winograd filter gradient: the tile blocks whose
 * index is `part` modulo `parts`, added into the thread's own dU (zeroed by
 * the caller). Runs in the pool's workers from its source text, so
 * everything it uses is inside it; `job` is laid out as
 * {@link winogradFilterGradient} writes it.
 */
export const winogradFilterGradientTask = poolTask(
  [
    "xp",
    "dyp",
    "du",
    "scratch",
    "batch",
    "paddedHeight",
    "paddedWidth",
    "inChannels",
    "tilesHigh",
    "tilesWide",
    "outChannels",
    "blockTiles",
    "m",
    "r",
  ],
  (kernels, job, part, parts) => {
    const {
      xp,
      dyp,
      du,
      scratch,
      batch,
      paddedHeight,
      paddedWidth,
      inChannels,
      tilesHigh,
      tilesWide,
      outChannels,
      blockTiles,
      m,
      r,
    } = job;
    // The export names of transformName(), spelt out: this runs alone.
    const transformX = kernels[`wino_in_${m}_${r}`] as (
      ...args: number[]
    ) => void;
    const transformDy = kernels[`wino_dy_${m}_${r}`] as (
      ...args: number[]
    ) => void;
    const gemm = kernels.wino_dw as (...args: number[]) => void;
    const positions = (m + r - 1) * (m + r - 1);
    const imageTiles = tilesHigh * tilesWide, total = batch * imageTiles;
    const vPos = 4 * blockTiles * inChannels,
      qPos = 4 * blockTiles * outChannels;
    const vGroup = 16 * blockTiles;
    const v = scratch + part * positions * (vPos + qPos);
    const q = v + positions * vPos;
    const duPos = 4 * inChannels * outChannels;
    const myDu = du + part * positions * duPos;
    const xRow = 4 * paddedWidth * inChannels, xPixel = 4 * inChannels;
    const dyRow = 4 * m * tilesWide * outChannels, dyPixel = 4 * outChannels;
    for (let t0 = part * blockTiles; t0 < total; t0 += parts * blockTiles) {
      const t1 = Math.min(total, t0 + blockTiles);
      for (let t = t0; t < t1;) {
        const n = Math.floor(t / imageTiles), inImage = t % imageTiles;
        const ty = Math.floor(inImage / tilesWide), tx = inImage % tilesWide;
        const count = Math.min(t1 - t, tilesWide - tx);
        transformX(
          xp + ((n * paddedHeight + m * ty) * paddedWidth + m * tx) * xPixel,
          v + (t - t0) * 16,
          inChannels / 4,
          count,
          xRow,
          xPixel,
          vPos,
          vGroup,
          16,
        );
        transformDy(
          dyp + ((n * m * tilesHigh + m * ty) * m * tilesWide + m * tx) *
              dyPixel,
          q + (t - t0) * dyPixel,
          outChannels / 4,
          count,
          dyRow,
          dyPixel,
          qPos,
          16,
          dyPixel,
        );
        t += count;
      }
      for (let p = 0; p < positions; p++) {
        gemm(
          v + p * vPos,
          q + p * qPos,
          myDu + p * duPos,
          inChannels / 4,
          outChannels / 8,
          t1 - t0,
          vGroup,
          dyPixel,
          dyPixel,
        );
      }
    }
  },
);

/**
 * Bytes of scratch for {@link winogradFilterGradient}: V and Q blocks, and
 * dU, for every thread.
 */
export function winogradFilterGradientScratch(
  algorithm: WinogradAlgorithm,
  shape: WinogradShape,
  threads: number,
): { blocks: number; gradients: number } {
  const { inChannels, outChannels } = shape;
  const positions = tileSize(algorithm) ** 2;
  const tiles = tilesPerBlock(
    inChannels,
    outChannels,
    positions,
    BLOCK_BUDGET_FLOATS,
  );
  return {
    blocks: threads * positions * 4 * tiles * (inChannels + outChannels),
    gradients: threads * positions * 4 * inChannels * outChannels,
  };
}

/**
 * dg = G^T (sum of the threads' dU) G: `du` holds `threads` consecutive
 * [a^2, Ci, Co] sums; `dw` receives the HWIO [r, r, Ci, Co] gradient.
 */
export function untransformFilterGradient(
  algorithm: WinogradAlgorithm,
  du: Float32Array,
  threads: number,
  inChannels: number,
  outChannels: number,
  dw: Float32Array,
): Float32Array {
  const { r, g } = algorithm, a = tileSize(algorithm);
  const positions = a * a, pairs = inChannels * outChannels;
  const u = new Float64Array(positions), h = new Float64Array(r * a);
  for (let pair = 0; pair < pairs; pair++) {
    u.fill(0);
    for (let thread = 0; thread < threads; thread++) {
      for (let p = 0; p < positions; p++) {
        u[p] += du[(thread * positions + p) * pairs + pair];
      }
    }
    // h = G^T u (r x a).
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < a; j++) {
        let sum = 0;
        for (let k = 0; k < a; k++) sum += g[k][i] * u[k * a + j];
        h[i * a + j] = sum;
      }
    }
    // dg = h G (r x r).
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < r; j++) {
        let sum = 0;
        for (let k = 0; k < a; k++) sum += h[i * a + k] * g[k][j];
        dw[(i * r + j) * pairs + pair] = sum;
      }
    }
  }
  return dw;
}

/**
 * The threads' dU sums of a stride-1 filter gradient by `algorithm`, with
 * heap byte addresses: `xp` padded as the forward Winograd convolution pads
 * it, `dyp` the output gradient zero-padded to multiples of m, `du` zeroed
 * room for every thread's [a^2, Ci, Co] and `scratch` of
 * {@link winogradFilterGradientScratch}'s `blocks`. Input channels in 4s,
 * output channels in 8s.
 */
export function winogradFilterGradient(
  pool: KernelPool,
  algorithm: WinogradAlgorithm,
  xp: number,
  dyp: number,
  du: number,
  scratch: number,
  shape: WinogradShape,
): void {
  const { inChannels, outChannels } = shape;
  if (inChannels % 4 !== 0 || outChannels % 8 !== 0) {
    throw new Error(
      `winogradFilterGradient needs input channels in 4s and output channels in 8s, got ${inChannels} -> ${outChannels}`,
    );
  }
  pool.run(winogradFilterGradientTask, {
    xp,
    dyp,
    du,
    scratch,
    batch: shape.batch,
    paddedHeight: shape.paddedHeight,
    paddedWidth: shape.paddedWidth,
    inChannels,
    tilesHigh: Math.ceil(shape.outHeight / algorithm.m),
    tilesWide: Math.ceil(shape.outWidth / algorithm.m),
    outChannels,
    blockTiles: tilesPerBlock(
      inChannels,
      outChannels,
      tileSize(algorithm) ** 2,
      BLOCK_BUDGET_FLOATS,
    ),
    m: algorithm.m,
    r: algorithm.r,
  });
}
