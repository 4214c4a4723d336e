/**
 * Stride-1 convolutions by Winograd's minimal filtering F(m x m, r x r)
 * (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
 * 2016): each m x m block of outputs (a tile) of an r x r filter costs
 * a^2 multiplies per input and output channel pair, a = m + r - 1, instead
 * of direct convolution's m^2 r^2:
 *
 *   Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A
 *
 * with d the tile's a x a input window and g the filter (cross-correlation,
 * as tfjs's conv2d). Over channels the elementwise product becomes a^2
 * independent GEMMs, one per position of the transformed tile:
 * M_p[tiles, Co] = V_p[tiles, Ci] U_p[Ci, Co].
 *
 * Three algorithms (./winograd_algorithms.ts): F(2x2, 3x3) and F(4x4, 3x3)
 * for 3x3 filters (2.25x and 4x fewer multiplies), F(3x3, 2x2) for the 2x2
 * stride-1 convolutions that strided transposed convolutions become
 * (../kernels/Conv2DBackpropInput.ts; 2.25x). The WAT of each is generated
 * from its matrices.
 *
 * Threads take blocks of consecutive tiles. For each block a thread
 * transforms the inputs into V (its own scratch), runs the a^2 GEMMs into M
 * and transforms M into the output, adding the bias: the block's V and M
 * (sized to stay in the 1 MiB L2 beside U) never leave the cache. The input
 * and output transforms run on 4 channels a lane (NHWC keeps channels
 * contiguous).
 *
 * @module
 */
import { multiplyAdd } from "./wat.ts";
import { type KernelPool, poolTask } from "./pool.ts";
import type { PaddedConvShape } from "./shape.ts";
import {
  tileSize,
  WINOGRAD_ALGORITHMS,
  type WinogradAlgorithm,
} from "./winograd_algorithms.ts";

/** Tiles (GEMM rows) per microkernel call: 6 rows x 8 columns = 12 accumulators. */
export const GEMM_ROWS = 6;

/**
 * Tiles per block: a multiple of {@link GEMM_ROWS} with the block's V and M
 * (`positions` x tiles x channels, float32) within `budgetFloats`.
 */
export function tilesPerBlock(
  inChannels: number,
  outChannels: number,
  positions = 16,
  budgetFloats = 1 << 16,
): number {
  const fit = Math.floor(
    budgetFloats / (positions * (inChannels + outChannels)),
  );
  return Math.max(
    GEMM_ROWS,
    Math.min(96, Math.floor(fit / GEMM_ROWS) * GEMM_ROWS),
  );
}

/**
 * WAT that leaves sum_k coefficients[k] * values[k] (f32x4 locals) on the
 * stack: additions and subtractions for ±1, a multiply by a splatted
 * constant otherwise.
 */
export function linearCombination(
  coefficients: readonly number[],
  values: readonly string[],
): string {
  const terms = coefficients.map((c, k) => [c, values[k]] as const)
    .filter(([c]) => c !== 0);
  if (terms.length === 0) return `v128.const i32x4 0 0 0 0`;
  const scaled = (c: number, value: string) =>
    Math.abs(c) === 1
      ? `local.get ${value}`
      : `local.get ${value} v128.const f32x4 ${Math.abs(c)} ${Math.abs(c)} ${
        Math.abs(c)
      } ${Math.abs(c)} f32x4.mul`;
  const parts = [scaled(terms[0][0], terms[0][1])];
  if (terms[0][0] < 0) parts.push(`f32x4.neg`);
  for (const [c, value] of terms.slice(1)) {
    parts.push(scaled(c, value), c > 0 ? `f32x4.add` : `f32x4.sub`);
  }
  return parts.join(" ");
}

/** WAT export names of an algorithm's transforms (the GEMMs are shared). */
export const transformName = (
  kind: "in" | "out" | "dy" | "filter",
  algorithm: WinogradAlgorithm,
) => `wino_${kind}_${algorithm.m}_${algorithm.r}`;

/**
 * A tile transform L P L^T (L: a x k, P a k x k patch) for `tiles`
 * consecutive tiles of one tile row, 4 channels a lane. `src` points at
 * the first tile's top-left, rows `rowBytes` apart, pixels `pixelBytes`
 * apart; tiles are `advance` pixels apart. Channels c..c+3 at position p
 * of tile t go to `dst + p * posBytes + (c / 4) * groupBytes + t *
 * tileBytes`. With L = B^T it is `wino_in_m_r` (V = B^T d B, laid out
 * [position][group][tile][4] so that the GEMM reads a block's rows at
 * fixed offsets from one pointer); with L = A, ./winograd_filter_gradient.ts's
 * `wino_dy_m_r` (Q = A dY A^T, laid out [position][tile][channels]).
 */
export function tileTransformWat(
  name: string,
  left: readonly (readonly number[])[],
  advance: number,
): string {
  const a = left.length, k = left[0].length;
  const d = (i: number, j: number) => `$d${i}_${j}`;
  const t = (i: number, j: number) => `$t${i}_${j}`;
  const locals: string[] = [];
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) locals.push(d(i, j));
  }
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < k; j++) locals.push(t(i, j));
  }
  const lines = [
    `(func (export "${name}")`,
    `(param $src i32) (param $dst i32) (param $groups i32) (param $tiles i32)`,
    `(param $rowBytes i32) (param $pixelBytes i32) (param $posBytes i32)`,
    `(param $groupBytes i32) (param $tileBytes i32)`,
    `(local $c i32) (local $ps i32) (local $pd i32)`,
    locals.map((local) => `(local ${local} v128)`).join(" "),
    `(loop $tile`,
    `local.get $src local.set $ps`,
    `local.get $dst local.set $pd`,
    `local.get $groups local.set $c`,
    `(loop $group`,
  ];
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      lines.push(
        `local.get $ps local.get $rowBytes i32.const ${i} i32.mul i32.add ` +
          `local.get $pixelBytes i32.const ${j} i32.mul i32.add ` +
          `v128.load local.set ${d(i, j)}`,
      );
    }
  }
  // Rows: t = L P.
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < k; j++) {
      const column = Array.from({ length: k }, (_, q) => d(q, j));
      lines.push(`${linearCombination(left[i], column)} local.set ${t(i, j)}`);
    }
  }
  // Columns: t L^T (L^T's column j is L's row j), stored by position.
  for (let i = 0; i < a; i++) {
    const row = Array.from({ length: k }, (_, q) => t(i, q));
    for (let j = 0; j < a; j++) {
      lines.push(
        `local.get $pd local.get $posBytes i32.const ${i * a + j} i32.mul ` +
          `i32.add ${linearCombination(left[j], row)} v128.store`,
      );
    }
  }
  lines.push(
    `local.get $ps i32.const 16 i32.add local.set $ps`,
    `local.get $pd local.get $groupBytes i32.add local.set $pd`,
    `local.get $c i32.const 1 i32.sub local.tee $c br_if $group)`,
    `local.get $src local.get $pixelBytes i32.const ${advance} i32.mul ` +
      `i32.add local.set $src`,
    `local.get $dst local.get $tileBytes i32.add local.set $dst`,
    `local.get $tiles i32.const 1 i32.sub local.tee $tiles br_if $tile)`,
    `)`,
  );
  return lines.join("\n");
}

/**
 * `wino_gemm`: M[rows, 8 * panels] = V[rows, 4 * groups] U for one
 * position, rows in blocks of {@link GEMM_ROWS} (`rowBlocks` of them). V
 * is laid out as `wino_in_*` writes it (a channel group's rows 16 bytes
 * apart, groups `groupBytes` apart), M's rows are `mRowBytes` apart, and U
 * is packed in panels of 8 columns, one row of 8 floats per input channel.
 * Each step broadcasts 4 channels of each row, at fixed offsets from one
 * pointer, against 4 rows of U.
 */
function gemmWat(fused: boolean): string {
  const rows = GEMM_ROWS;
  const acc = (r: number, h: number) => `$acc${r}_${h}`;
  const locals: string[] = [];
  for (let r = 0; r < rows; r++) locals.push(acc(r, 0), acc(r, 1));
  const lines = [
    `(func (export "wino_gemm")`,
    `(param $v i32) (param $u i32) (param $m i32) (param $rowBlocks i32)`,
    `(param $panels i32) (param $groups i32) (param $groupBytes i32) (param $mRowBytes i32)`,
    `(local $panel i32) (local $pu i32) (local $pm i32) (local $pv i32) (local $g i32)`,
    locals.map((name) => `(local ${name} v128)`).join(" "),
    `(local $b0 v128) (local $b1 v128) (local $av v128)`,
    `(loop $block`,
    `local.get $u local.set $pu`,
    `local.get $m local.set $pm`,
    `local.get $panels local.set $panel`,
    `(loop $panelLoop`,
    `local.get $v local.set $pv`,
    `local.get $groups local.set $g`,
  ];
  for (let r = 0; r < rows; r++) {
    lines.push(
      `v128.const i32x4 0 0 0 0 local.tee ${acc(r, 0)} local.set ${acc(r, 1)}`,
    );
  }
  lines.push(`(loop $inner`);
  for (let lane = 0; lane < 4; lane++) {
    lines.push(
      `local.get $pu v128.load offset=${32 * lane} local.set $b0`,
      `local.get $pu v128.load offset=${32 * lane + 16} local.set $b1`,
    );
    for (let r = 0; r < rows; r++) {
      lines.push(
        `local.get $pv v128.load32_splat offset=${
          16 * r + 4 * lane
        } local.set $av`,
        multiplyAdd(fused, "$av", "$b0", acc(r, 0)),
        multiplyAdd(fused, "$av", "$b1", acc(r, 1)),
      );
    }
  }
  lines.push(
    `local.get $pu i32.const 128 i32.add local.set $pu`,
    `local.get $pv local.get $groupBytes i32.add local.set $pv`,
    `local.get $g i32.const 1 i32.sub local.tee $g br_if $inner)`,
  );
  for (let r = 0; r < rows; r++) {
    const at =
      `local.get $pm local.get $mRowBytes i32.const ${r} i32.mul i32.add`;
    lines.push(
      `${at} local.get ${acc(r, 0)} v128.store`,
      `${at} local.get ${acc(r, 1)} v128.store offset=16`,
    );
  }
  lines.push(
    `local.get $pm i32.const 32 i32.add local.set $pm`,
    `local.get $panel i32.const 1 i32.sub local.tee $panel br_if $panelLoop)`,
    `local.get $v i32.const ${16 * rows} i32.add local.set $v`,
    `local.get $m local.get $mRowBytes i32.const ${rows} i32.mul i32.add local.set $m`,
    `local.get $rowBlocks i32.const 1 i32.sub local.tee $rowBlocks br_if $block)`,
    `)`,
  );
  return lines.join("\n");
}

/**
 * `wino_out_m_r`: A^T M A (+ bias, then ReLU when `relu`) for `tiles`
 * consecutive tiles of one tile row, `groups` channel quads each: position
 * p of tile t is read at `m + p * posBytes + t * tileBytes`; the tile's
 * m x m outputs go to `y` (its top-left), rows `rowBytes` apart and pixels
 * `pixelBytes` apart, only rows `rowFirst` to `rowsValid` - 1 and columns
 * `colFirst` to `colsValid` - 1 of each tile. `bias` 0 is none.
 */
function outputTransformWat(algorithm: WinogradAlgorithm): string {
  const a = tileSize(algorithm), { m, at } = algorithm;
  const mm = (i: number, j: number) => `$m${i}_${j}`;
  const s = (i: number, j: number) => `$s${i}_${j}`;
  const y = (i: number, j: number) => `$y${i}_${j}`;
  const locals: string[] = [];
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < a; j++) locals.push(mm(i, j));
  }
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < a; j++) locals.push(s(i, j));
    for (let j = 0; j < m; j++) locals.push(y(i, j));
  }
  const lines = [
    `(func (export "${transformName("out", algorithm)}")`,
    `(param $m i32) (param $y i32) (param $bias i32) (param $groups i32) (param $tiles i32)`,
    `(param $posBytes i32) (param $rowBytes i32) (param $pixelBytes i32) (param $relu i32)`,
    `(param $rowsValid i32) (param $colsValid i32) (param $tileBytes i32)`,
    `(param $rowFirst i32) (param $colFirst i32)`,
    `(local $c i32) (local $pm i32) (local $py i32) (local $pb i32) (local $b v128)`,
    locals.map((name) => `(local ${name} v128)`).join(" "),
    `(loop $tile`,
    `local.get $m local.set $pm`,
    `local.get $y local.set $py`,
    `local.get $bias local.set $pb`,
    `local.get $groups local.set $c`,
    `(loop $group`,
  ];
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < a; j++) {
      lines.push(
        `local.get $pm local.get $posBytes i32.const ${
          i * a + j
        } i32.mul i32.add v128.load local.set ${mm(i, j)}`,
      );
    }
  }
  // Rows: s = A^T M.
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < a; j++) {
      const column = Array.from({ length: a }, (_, k) => mm(k, j));
      lines.push(`${linearCombination(at[i], column)} local.set ${s(i, j)}`);
    }
  }
  lines.push(
    `v128.const i32x4 0 0 0 0 local.set $b`,
    `(if (local.get $bias) (then local.get $pb v128.load local.set $b))`,
  );
  // Columns: y = s A, plus the bias.
  for (let i = 0; i < m; i++) {
    const row = Array.from({ length: a }, (_, k) => s(i, k));
    for (let j = 0; j < m; j++) {
      lines.push(
        `${linearCombination(at[j], row)} local.get $b f32x4.add ` +
          `local.set ${y(i, j)}`,
      );
    }
  }
  lines.push(`(if (local.get $relu) (then`);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      lines.push(
        `local.get ${y(i, j)} v128.const i32x4 0 0 0 0 f32x4.max ` +
          `local.set ${y(i, j)}`,
      );
    }
  }
  lines.push(`))`);
  // Row i and column j are written only where valid.
  const store = (i: number, j: number) =>
    `local.get $py local.get $rowBytes i32.const ${i} i32.mul i32.add ` +
    `local.get $pixelBytes i32.const ${j} i32.mul i32.add local.get ${
      y(i, j)
    } v128.store`;
  const within = (index: number, first: string, end: string) =>
    `(i32.and (i32.le_u (local.get ${first}) (i32.const ${index})) ` +
    `(i32.gt_u (local.get ${end}) (i32.const ${index})))`;
  const rowStores = (i: number) =>
    Array.from(
      { length: m },
      (_, j) =>
        `(if ${within(j, "$colFirst", "$colsValid")} (then ${store(i, j)}))`,
    ).join(" ");
  const rowsText = Array.from(
    { length: m },
    (_, i) =>
      `(if ${within(i, "$rowFirst", "$rowsValid")} (then ${rowStores(i)}))`,
  ).join("\n");
  lines.push(
    rowsText,
    `local.get $pm i32.const 16 i32.add local.set $pm`,
    `local.get $py i32.const 16 i32.add local.set $py`,
    `local.get $pb i32.const 16 i32.add local.set $pb`,
    `local.get $c i32.const 1 i32.sub local.tee $c br_if $group)`,
    `local.get $m local.get $tileBytes i32.add local.set $m`,
    `local.get $y local.get $pixelBytes i32.const ${m} i32.mul i32.add local.set $y`,
    `local.get $tiles i32.const 1 i32.sub local.tee $tiles br_if $tile)`,
    `)`,
  );
  return lines.join("\n");
}

/** The Winograd convolutions' functions, every algorithm's, as WAT. */
export function winogradWat(fused: boolean): string {
  return [
    gemmWat(fused),
    ...WINOGRAD_ALGORITHMS.flatMap((algorithm) => [
      tileTransformWat(
        transformName("in", algorithm),
        algorithm.bt,
        algorithm.m,
      ),
      outputTransformWat(algorithm),
      // U = G g G^T: the r x r taps of 4 output channels a lane.
      tileTransformWat(transformName("filter", algorithm), algorithm.g, 0),
    ]),
  ].join("\n");
}

/**
 * U = G g G^T of an HWIO r x r float32 filter [r, r, Ci, Co] at heap byte
 * address `filter`, packed at `packed` as the GEMM reads it: position p,
 * then panels of 8 output channels, then Ci rows of 8 (a x a x Ci x Co
 * floats). On all the pool's threads, output channels in 8s. (In
 * JavaScript this took 20 ms for the GANs' 2x2 sub-pixel filters, 128 x
 * 256 channels: longer than their convolution's GEMMs.)
 */
export function packWinogradFilter(
  pool: KernelPool,
  algorithm: WinogradAlgorithm,
  filter: number,
  inChannels: number,
  outChannels: number,
  packed: number,
): void {
  if (outChannels % 8 !== 0) {
    throw new Error(
      `packWinogradFilter needs output channels in 8s, got ${outChannels}`,
    );
  }
  pool.run(winogradFilterTask, {
    filter,
    packed,
    inChannels,
    outChannels,
    m: algorithm.m,
    r: algorithm.r,
  });
}

/**
 * One thread's share of {@link packWinogradFilter}: a range of input
 * channels, each output-channel panel through `wino_filter_m_r` as two
 * groups of 4. Runs in the pool's workers from its source text, so
 * everything it uses is inside it.
 */
export const winogradFilterTask = poolTask(
  ["filter", "packed", "inChannels", "outChannels", "m", "r"],
  (kernels, job, part, parts) => {
    const { filter, packed, inChannels, outChannels, m, r } = job;
    // The export name of transformName(), spelt out: this runs alone.
    const transform = kernels[`wino_filter_${m}_${r}`] as (
      ...args: number[]
    ) => void;
    const panels = outChannels / 8;
    const tapBytes = 4 * inChannels * outChannels;
    const first = Math.floor(inChannels * part / parts);
    const last = Math.floor(inChannels * (part + 1) / parts);
    for (let ci = first; ci < last; ci++) {
      for (let panel = 0; panel < panels; panel++) {
        transform(
          filter + 4 * (ci * outChannels + 8 * panel),
          packed + 32 * (panel * inChannels + ci),
          2,
          1,
          r * tapBytes,
          tapBytes,
          32 * panels * inChannels,
          16,
          0,
        );
      }
    }
  },
);

/**
 * One thread's share of a Winograd convolution: the tile blocks whose index
 * is `part` modulo `parts`, each through V and M in the thread's own part
 * of the scratch. Runs in the pool's workers from its source text, so
 * everything it uses is inside it; `job` is laid out as
 * {@link winogradConvolution} writes it.
 */
export const winogradTask = poolTask(
  [
    "xp",
    "u",
    "bias",
    "y",
    "relu",
    "scratch",
    "batch",
    "paddedHeight",
    "paddedWidth",
    "inChannels",
    "outHeight",
    "outWidth",
    "outChannels",
    "blockTiles",
    "gemmRows",
    "m",
    "r",
    "phaseRows",
    "phaseCols",
    "cropTop",
    "cropLeft",
    "yHeight",
    "yWidth",
    "yChannels",
  ],
  (kernels, job, part, parts) => {
    const {
      xp,
      u,
      bias,
      y,
      relu,
      scratch,
      batch,
      paddedHeight,
      paddedWidth,
      inChannels,
      outHeight,
      outWidth,
      outChannels,
      blockTiles,
      gemmRows,
      m,
      r,
      phaseRows,
      phaseCols,
      cropTop,
      cropLeft,
      yHeight,
      yWidth,
      yChannels,
    } = job;
    // The export names of transformName(), spelt out: this runs alone.
    const transformIn = kernels[`wino_in_${m}_${r}`] as (
      ...args: number[]
    ) => void;
    const gemm = kernels.wino_gemm as (...args: number[]) => void;
    const transformOut = kernels[`wino_out_${m}_${r}`] as (
      ...args: number[]
    ) => void;
    const positions = (m + r - 1) * (m + r - 1);
    const tilesHigh = Math.ceil(outHeight / m);
    const tilesWide = Math.ceil(outWidth / m);
    const imageTiles = tilesHigh * tilesWide, total = batch * imageTiles;
    const vPos = 4 * blockTiles * inChannels,
      mPos = 4 * blockTiles * outChannels;
    const vGroup = 16 * blockTiles;
    const v = scratch + part * positions * (vPos + mPos);
    const mBlock = v + positions * vPos;
    const uPos = 4 * inChannels * outChannels;
    const xRow = 4 * paddedWidth * inChannels, xPixel = 4 * inChannels;
    const mTile = 4 * outChannels;
    const yRow = 4 * yWidth * yChannels, yPixel = 4 * yChannels;
    for (let t0 = part * blockTiles; t0 < total; t0 += parts * blockTiles) {
      const t1 = Math.min(total, t0 + blockTiles);
      // Tile rows within the block: [first tile, count, n, ty, tx].
      const runs: number[][] = [];
      for (let t = t0; t < t1;) {
        const n = Math.floor(t / imageTiles), inImage = t % imageTiles;
        const ty = Math.floor(inImage / tilesWide), tx = inImage % tilesWide;
        const count = Math.min(t1 - t, tilesWide - tx);
        runs.push([t, count, n, ty, tx]);
        t += count;
      }
      for (const [t, count, n, ty, tx] of runs) {
        transformIn(
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
      }
      const rowBlocks = Math.ceil((t1 - t0) / gemmRows);
      for (let p = 0; p < positions; p++) {
        gemm(
          v + p * vPos,
          u + p * uPos,
          mBlock + p * mPos,
          rowBlocks,
          outChannels / 8,
          inChannels / 4,
          vGroup,
          mTile,
        );
      }
      // Output channel block (phase) ry, rx of conv output (qy, qx) goes to
      // y's pixel (qy * phaseRows + ry - cropTop, qx * phaseCols + rx -
      // cropLeft) where that lies inside y. (No inner functions here:
      // bundlers name them with helpers that the workers lack.)
      for (const [t, count, n, ty, tx] of runs) {
        for (let phase = 0; phase < phaseRows * phaseCols; phase++) {
          const ry = Math.floor(phase / phaseCols), rx = phase % phaseCols;
          const qyFirst = Math.max(0, Math.ceil((cropTop - ry) / phaseRows));
          const qyEnd = Math.min(
            outHeight,
            Math.floor((yHeight - 1 + cropTop - ry) / phaseRows) + 1,
          );
          const rowFirst = Math.max(0, qyFirst - m * ty);
          const rowEnd = Math.min(m, qyEnd - m * ty);
          if (rowFirst >= rowEnd) continue;
          const qxFirst = Math.max(0, Math.ceil((cropLeft - rx) / phaseCols));
          const qxEnd = Math.min(
            outWidth,
            Math.floor((yWidth - 1 + cropLeft - rx) / phaseCols) + 1,
          );
          // Tiles [kFull, kEnd) of the run are whole; the others go one by one.
          const kFull = Math.min(
            count,
            Math.max(0, Math.ceil(qxFirst / m) - tx),
          );
          const kEnd = Math.min(
            count,
            Math.max(kFull, Math.floor(qxEnd / m) - tx),
          );
          for (let k = 0; k < count;) {
            const tiles = k >= kFull && k < kEnd ? kEnd - k : 1;
            const firstColumn = m * (tx + k);
            const colFirst = Math.max(0, qxFirst - firstColumn);
            const colEnd = Math.min(m, qxEnd - firstColumn);
            if (colFirst < colEnd) {
              transformOut(
                mBlock + (t - t0 + k) * mTile + phase * yPixel,
                y +
                  ((n * yHeight + m * ty * phaseRows + ry - cropTop) * yWidth +
                      firstColumn * phaseCols + rx - cropLeft) * yPixel,
                bias === 0 ? 0 : bias + phase * yPixel,
                yChannels / 4,
                tiles,
                mPos,
                yRow * phaseRows,
                yPixel * phaseCols,
                relu,
                rowEnd,
                colEnd,
                mTile,
                rowFirst,
                colFirst,
              );
            }
            k += tiles;
          }
        }
      }
    }
  },
);

/**
 * A Winograd convolution's geometry, in elements: the direct kernels' shape
 * (./shape.ts) less the filter size and stride, which the algorithm fixes;
 * xp is padded so that every tile's window lies inside it.
 */
export type WinogradShape = Omit<
  PaddedConvShape,
  "filterHeight" | "filterWidth" | "strideHeight" | "strideWidth"
>;

/** Rows and columns of xp that `algorithm` reads: m a tile, plus r - 1. */
export function winogradPaddedSize(
  algorithm: WinogradAlgorithm,
  outHeight: number,
  outWidth: number,
): [number, number] {
  const { m, r } = algorithm;
  return [
    m * Math.ceil(outHeight / m) + r - 1,
    m * Math.ceil(outWidth / m) + r - 1,
  ];
}

/** Bytes of scratch a Winograd convolution needs on `threads` threads. */
export function winogradScratchBytes(
  algorithm: WinogradAlgorithm,
  shape: WinogradShape,
  threads: number,
): number {
  const positions = tileSize(algorithm) ** 2;
  const tiles = tilesPerBlock(shape.inChannels, shape.outChannels, positions);
  return threads * positions * 4 * tiles *
    (shape.inChannels + shape.outChannels);
}

/**
 * Where a convolution's outputs go: its output channels are
 * `phaseRows * phaseCols` blocks of `channels` (phase ry, rx), and output
 * (qy, qx)'s block ry, rx lands at pixel (qy * phaseRows + ry - cropTop,
 * qx * phaseCols + rx - cropLeft) of the [batch, height, width, channels]
 * tensor, or nowhere where that lies outside it. This is the depth-to-space
 * rearrangement and crop of a strided convolution's input gradient (its
 * sub-pixel phases, ../kernels/Conv2DBackpropInput.ts), done as the
 * outputs are written.
 */
export interface OutputLayout {
  phaseRows: number;
  phaseCols: number;
  cropTop: number;
  cropLeft: number;
  height: number;
  width: number;
  channels: number;
}

/** The plain layout: outputs where the convolution puts them. */
export function plainLayout(shape: WinogradShape): OutputLayout {
  return {
    phaseRows: 1,
    phaseCols: 1,
    cropTop: 0,
    cropLeft: 0,
    height: shape.outHeight,
    width: shape.outWidth,
    channels: shape.outChannels,
  };
}

/**
 * y = act(conv(xp, w) + bias), stride 1, by `algorithm`, with heap byte
 * addresses (`packedFilter` from {@link packWinogradFilter}, `bias` 0:
 * none, scratch of {@link winogradScratchBytes}), on all the pool's
 * threads; input channels in 4s, output channels in 8s; y laid out as
 * `layout` says (by default as the convolution's output).
 */
export function winogradConvolution(
  pool: KernelPool,
  algorithm: WinogradAlgorithm,
  xp: number,
  packedFilter: number,
  bias: number,
  y: number,
  relu: boolean,
  scratch: number,
  shape: WinogradShape,
  layout: OutputLayout = plainLayout(shape),
): void {
  if (shape.inChannels % 4 !== 0 || shape.outChannels % 8 !== 0) {
    throw new Error(
      `winogradConvolution needs input channels in 4s and output channels in 8s, got ${shape.inChannels} -> ${shape.outChannels}`,
    );
  }
  const phases = layout.phaseRows * layout.phaseCols;
  if (
    layout.channels % 4 !== 0 || phases * layout.channels !== shape.outChannels
  ) {
    throw new Error(
      `winogradConvolution's output layout needs ${shape.outChannels} channels as phases of a multiple of 4, got ${phases} x ${layout.channels}`,
    );
  }
  pool.run(winogradTask, {
    xp,
    u: packedFilter,
    bias,
    y,
    relu: relu ? 1 : 0,
    scratch,
    batch: shape.batch,
    paddedHeight: shape.paddedHeight,
    paddedWidth: shape.paddedWidth,
    inChannels: shape.inChannels,
    outHeight: shape.outHeight,
    outWidth: shape.outWidth,
    outChannels: shape.outChannels,
    blockTiles: tilesPerBlock(
      shape.inChannels,
      shape.outChannels,
      tileSize(algorithm) ** 2,
    ),
    gemmRows: GEMM_ROWS,
    m: algorithm.m,
    r: algorithm.r,
    phaseRows: layout.phaseRows,
    phaseCols: layout.phaseCols,
    cropTop: layout.cropTop,
    cropLeft: layout.cropLeft,
    yHeight: layout.height,
    yWidth: layout.width,
    yChannels: layout.channels,
  });
}
