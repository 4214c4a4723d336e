/**
 * Stride-1 3x3 convolutions by Winograd's minimal filtering F(2x2, 3x3)
 * (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
 * 2016): each 2x2 block of outputs (a tile) costs 16 multiplies per input
 * and output channel pair instead of direct convolution's 36, 2.25x fewer.
 *
 *   Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A
 *
 * with d the tile's 4x4 input window, g the 3x3 filter and
 *
 *   B^T = [1  0 -1  0]   G = [ 1    0    0 ]   A^T = [1  1  1  0]
 *         [0  1  1  0]       [1/2  1/2  1/2]         [0  1 -1 -1]
 *         [0 -1  1  0]       [1/2 -1/2  1/2]
 *         [0  1  0 -1]       [ 0    0    1 ]
 *
 * (cross-correlation, as tfjs's conv2d). Over channels the elementwise
 * product becomes 16 independent GEMMs, one per position of the 4x4
 * transformed tile: M_p[tiles, Co] = V_p[tiles, Ci] U_p[Ci, Co].
 *
 * Threads take blocks of consecutive tiles. For each block a thread
 * transforms the inputs into V (its own scratch), runs the 16 GEMMs into M
 * and transforms M into the output, adding the bias: the block's V and M
 * (sized to stay in the 1 MiB L2 beside U) never leave the cache. The input
 * and output transforms are additions only, on 4 channels a lane (NHWC
 * keeps channels contiguous). B^T, G and A^T hold only 0, ±1 and ±1/2, so
 * the float32 result differs from direct convolution's by a few roundings
 * (tests/backends/wasm/simd_winograd_test.ts bounds it).
 *
 * @module
 */
import { multiplyAdd } from "./wat.ts";
import type { KernelPool } from "./pool.ts";

/** Tiles (GEMM rows) per microkernel call: 6 rows x 8 columns = 12 accumulators. */
export const GEMM_ROWS = 6;

/**
 * Tiles per block: a multiple of {@link GEMM_ROWS} with the block's V and M
 * (16 positions x tiles x channels, float32) within `budgetFloats`.
 */
export function tilesPerBlock(
  inChannels: number,
  outChannels: number,
  budgetFloats = 1 << 16,
): number {
  const fit = Math.floor(budgetFloats / (16 * (inChannels + outChannels)));
  return Math.max(
    GEMM_ROWS,
    Math.min(96, Math.floor(fit / GEMM_ROWS) * GEMM_ROWS),
  );
}

/**
 * `wino_in`: B^T d B for `tiles` consecutive tiles of one tile row. `x`
 * points at the first tile's top-left input (padded), rows `rowBytes` apart
 * and pixels `pixelBytes` apart. V is laid out [position][channel group of
 * 4][tile][4]: channels c..c+3 at position p of tile t go to
 * `v + p * posBytes + (c / 4) * groupBytes + t * 16`, so that the GEMM
 * reads a block's rows at fixed offsets from one pointer.
 */
function inputTransformWat(): string {
  const d = (i: number, j: number) => `$d${i}${j}`;
  const t = (i: number, j: number) => `$t${i}${j}`;
  const locals: string[] = [];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) locals.push(d(i, j), t(i, j));
  }
  const lines = [
    `(func (export "wino_in")`,
    `(param $x i32) (param $v i32) (param $groups i32) (param $tiles i32)`,
    `(param $rowBytes i32) (param $pixelBytes i32) (param $posBytes i32) (param $groupBytes i32)`,
    `(local $c i32) (local $px i32) (local $pv i32)`,
    locals.map((name) => `(local ${name} v128)`).join(" "),
    `(loop $tile`,
    `local.get $x local.set $px`,
    `local.get $v local.set $pv`,
    `local.get $groups local.set $c`,
    `(loop $group`,
  ];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      lines.push(
        `local.get $px local.get $rowBytes i32.const ${i} i32.mul i32.add ` +
          `local.get $pixelBytes i32.const ${j} i32.mul i32.add ` +
          `v128.load local.set ${d(i, j)}`,
      );
    }
  }
  const combine = (
    target: string,
    a: string,
    op: "add" | "sub",
    b: string,
  ) => `local.get ${a} local.get ${b} f32x4.${op} local.set ${target}`;
  // Rows: t = B^T d.
  for (let j = 0; j < 4; j++) {
    lines.push(
      combine(t(0, j), d(0, j), "sub", d(2, j)),
      combine(t(1, j), d(1, j), "add", d(2, j)),
      combine(t(2, j), d(2, j), "sub", d(1, j)),
      combine(t(3, j), d(1, j), "sub", d(3, j)),
    );
  }
  // Columns: v = t B, stored position by position.
  const store = (p: number, a: string, op: "add" | "sub", b: string) =>
    `local.get $pv local.get $posBytes i32.const ${p} i32.mul i32.add ` +
    `local.get ${a} local.get ${b} f32x4.${op} v128.store`;
  for (let i = 0; i < 4; i++) {
    lines.push(
      store(4 * i + 0, t(i, 0), "sub", t(i, 2)),
      store(4 * i + 1, t(i, 1), "add", t(i, 2)),
      store(4 * i + 2, t(i, 2), "sub", t(i, 1)),
      store(4 * i + 3, t(i, 1), "sub", t(i, 3)),
    );
  }
  lines.push(
    `local.get $px i32.const 16 i32.add local.set $px`,
    `local.get $pv local.get $groupBytes i32.add local.set $pv`,
    `local.get $c i32.const 1 i32.sub local.tee $c br_if $group)`,
    `local.get $x local.get $pixelBytes i32.const 2 i32.mul i32.add local.set $x`,
    `local.get $v i32.const 16 i32.add local.set $v`,
    `local.get $tiles i32.const 1 i32.sub local.tee $tiles br_if $tile)`,
    `)`,
  );
  return lines.join("\n");
}

/**
 * `wino_gemm`: M[rows, 8 * panels] = V[rows, 4 * groups] U for one
 * position, rows in blocks of {@link GEMM_ROWS} (`rowBlocks` of them). V
 * is laid out as `wino_in` writes it (a channel group's rows 16 bytes
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
 * `wino_out`: A^T m A (+ bias, then ReLU when `relu`) for `tiles`
 * consecutive tiles of one tile row: position p of tile t is read at
 * `m + p * posBytes + t * 16 * groups`; the tile's 2x2 outputs go to `y`
 * (its top-left), rows `rowBytes` apart and pixels `pixelBytes` apart, only
 * the first `rowsValid` rows and `colsValid` columns (1 or 2) of each tile.
 * `bias` 0 is none.
 */
function outputTransformWat(): string {
  const m = (i: number, j: number) => `$m${i}${j}`;
  const locals: string[] = [];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) locals.push(m(i, j));
  }
  const s = (i: number, j: number) => `$s${i}${j}`;
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 4; j++) locals.push(s(i, j));
  }
  const lines = [
    `(func (export "wino_out")`,
    `(param $m i32) (param $y i32) (param $bias i32) (param $groups i32) (param $tiles i32)`,
    `(param $posBytes i32) (param $rowBytes i32) (param $pixelBytes i32) (param $relu i32)`,
    `(param $rowsValid i32) (param $colsValid i32)`,
    `(local $c i32) (local $pm i32) (local $py i32) (local $pb i32) (local $b v128)`,
    `(local $y00 v128) (local $y01 v128) (local $y10 v128) (local $y11 v128)`,
    locals.map((name) => `(local ${name} v128)`).join(" "),
    `(loop $tile`,
    `local.get $m local.set $pm`,
    `local.get $y local.set $py`,
    `local.get $bias local.set $pb`,
    `local.get $groups local.set $c`,
    `(loop $group`,
  ];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      lines.push(
        `local.get $pm local.get $posBytes i32.const ${
          4 * i + j
        } i32.mul i32.add v128.load local.set ${m(i, j)}`,
      );
    }
  }
  // Rows: s = A^T m.
  for (let j = 0; j < 4; j++) {
    lines.push(
      `local.get ${m(0, j)} local.get ${m(1, j)} f32x4.add local.get ${
        m(2, j)
      } f32x4.add local.set ${s(0, j)}`,
      `local.get ${m(1, j)} local.get ${m(2, j)} f32x4.sub local.get ${
        m(3, j)
      } f32x4.sub local.set ${s(1, j)}`,
    );
  }
  lines.push(
    `v128.const i32x4 0 0 0 0 local.set $b`,
    `(if (local.get $bias) (then local.get $pb v128.load local.set $b))`,
  );
  // Columns: y = s A, plus the bias.
  for (let i = 0; i < 2; i++) {
    lines.push(
      `local.get ${s(i, 0)} local.get ${s(i, 1)} f32x4.add local.get ${
        s(i, 2)
      } f32x4.add local.get $b f32x4.add local.set $y${i}0`,
      `local.get ${s(i, 1)} local.get ${s(i, 2)} f32x4.sub local.get ${
        s(i, 3)
      } f32x4.sub local.get $b f32x4.add local.set $y${i}1`,
    );
  }
  lines.push(`(if (local.get $relu) (then`);
  for (const name of ["$y00", "$y01", "$y10", "$y11"]) {
    lines.push(
      `local.get ${name} v128.const i32x4 0 0 0 0 f32x4.max local.set ${name}`,
    );
  }
  lines.push(`))`);
  const store = (i: number, j: number) =>
    `local.get $py local.get $rowBytes i32.const ${i} i32.mul i32.add ` +
    `local.get $pixelBytes i32.const ${j} i32.mul i32.add local.get $y${i}${j} v128.store`;
  lines.push(
    store(0, 0),
    `(if (i32.gt_u (local.get $colsValid) (i32.const 1)) (then ${
      store(0, 1)
    }))`,
    `(if (i32.gt_u (local.get $rowsValid) (i32.const 1)) (then ${store(1, 0)}`,
    `(if (i32.gt_u (local.get $colsValid) (i32.const 1)) (then ${
      store(1, 1)
    }))))`,
    `local.get $pm i32.const 16 i32.add local.set $pm`,
    `local.get $py i32.const 16 i32.add local.set $py`,
    `local.get $pb i32.const 16 i32.add local.set $pb`,
    `local.get $c i32.const 1 i32.sub local.tee $c br_if $group)`,
    `local.get $m local.get $groups i32.const 16 i32.mul i32.add local.set $m`,
    `local.get $y local.get $pixelBytes i32.const 2 i32.mul i32.add local.set $y`,
    `local.get $tiles i32.const 1 i32.sub local.tee $tiles br_if $tile)`,
    `)`,
  );
  return lines.join("\n");
}

/** The Winograd convolution's functions, as WAT. */
export function winogradWat(fused: boolean): string {
  return [inputTransformWat(), gemmWat(fused), outputTransformWat()].join(
    "\n",
  );
}

/**
 * U = G g G^T of an HWIO 3x3 filter [3, 3, Ci, Co], packed as the GEMM
 * reads it: position p, then panels of 8 output channels, then Ci rows of 8
 * floats (`out` holds 16 * Ci * Co floats; Co in 8s).
 */
export function packWinogradFilter(
  filter: Float32Array,
  inChannels: number,
  outChannels: number,
  out: Float32Array,
): Float32Array {
  const panels = outChannels / 8;
  const g = new Float64Array(9), gg = new Float64Array(12);
  for (let ci = 0; ci < inChannels; ci++) {
    for (let co = 0; co < outChannels; co++) {
      for (let tap = 0; tap < 9; tap++) {
        g[tap] = filter[(tap * inChannels + ci) * outChannels + co];
      }
      // G g: 4 rows of 3.
      for (let j = 0; j < 3; j++) {
        const [g0, g1, g2] = [g[j], g[3 + j], g[6 + j]];
        gg[j] = g0;
        gg[3 + j] = (g0 + g1 + g2) / 2;
        gg[6 + j] = (g0 - g1 + g2) / 2;
        gg[9 + j] = g2;
      }
      const panel = Math.floor(co / 8), lane = co % 8;
      for (let i = 0; i < 4; i++) {
        const [c0, c1, c2] = [gg[3 * i], gg[3 * i + 1], gg[3 * i + 2]];
        const row = [c0, (c0 + c1 + c2) / 2, (c0 - c1 + c2) / 2, c2];
        for (let j = 0; j < 4; j++) {
          const p = 4 * i + j;
          out[((p * panels + panel) * inChannels + ci) * 8 + lane] = row[j];
        }
      }
    }
  }
  return out;
}

/** The Winograd convolution's index among the pool's tasks (simd/kernels.ts). */
export const WINOGRAD_TASK = 2;

/**
 * One thread's share of a Winograd convolution: the tile blocks whose index
 * is `part` modulo `parts`, each through V and M in the thread's own part
 * of the scratch. Runs in the pool's workers from its source text, so
 * everything it uses is inside it; `job` is laid out as
 * {@link winogradConvolution} writes it.
 */
export function winogradTask(
  kernels: WebAssembly.Exports,
  job: Int32Array,
  part: number,
  parts: number,
): void {
  const [
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
  ] = job;
  // The export names of winogradWat(), spelt out: this runs alone.
  const transformIn = kernels.wino_in as (...args: number[]) => void;
  const gemm = kernels.wino_gemm as (...args: number[]) => void;
  const transformOut = kernels.wino_out as (...args: number[]) => void;
  const tilesHigh = Math.ceil(outHeight / 2),
    tilesWide = Math.ceil(outWidth / 2);
  const imageTiles = tilesHigh * tilesWide, total = batch * imageTiles;
  const vPos = 4 * blockTiles * inChannels, mPos = 4 * blockTiles * outChannels;
  const vGroup = 16 * blockTiles;
  const v = scratch + part * 16 * (vPos + mPos), m = v + 16 * vPos;
  const uPos = 4 * inChannels * outChannels;
  const xRow = 4 * paddedWidth * inChannels, xPixel = 4 * inChannels;
  const yRow = 4 * outWidth * outChannels, yPixel = 4 * outChannels;
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
        xp + ((n * paddedHeight + 2 * ty) * paddedWidth + 2 * tx) * xPixel,
        v + (t - t0) * 16,
        inChannels / 4,
        count,
        xRow,
        xPixel,
        vPos,
        vGroup,
      );
    }
    const rowBlocks = Math.ceil((t1 - t0) / gemmRows);
    for (let p = 0; p < 16; p++) {
      gemm(
        v + p * vPos,
        u + p * uPos,
        m + p * mPos,
        rowBlocks,
        outChannels / 8,
        inChannels / 4,
        vGroup,
        yPixel,
      );
    }
    for (const [t, count, n, ty, tx] of runs) {
      const rowsValid = Math.min(2, outHeight - 2 * ty);
      // A last tile of an odd-width row has one column.
      const partial = tx + count === tilesWide && outWidth % 2 === 1 ? 1 : 0;
      const at = (k: number) => [
        m + (t - t0 + k) * yPixel,
        y + ((n * outHeight + 2 * ty) * outWidth + 2 * (tx + k)) * yPixel,
      ];
      if (count > partial) {
        transformOut(
          ...at(0),
          bias,
          outChannels / 4,
          count - partial,
          mPos,
          yRow,
          yPixel,
          relu,
          rowsValid,
          2,
        );
      }
      if (partial) {
        transformOut(
          ...at(count - 1),
          bias,
          outChannels / 4,
          1,
          mPos,
          yRow,
          yPixel,
          relu,
          rowsValid,
          1,
        );
      }
    }
  }
}

/** A Winograd convolution's geometry, in elements. */
export interface WinogradShape {
  batch: number;
  /** xp's height and width: x padded so that every tile's 4x4 window is inside. */
  paddedHeight: number;
  paddedWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
}

/** Rows and columns of xp a Winograd convolution reads: two a tile, plus two. */
export function winogradPaddedSize(
  outHeight: number,
  outWidth: number,
): [number, number] {
  return [2 * Math.ceil(outHeight / 2) + 2, 2 * Math.ceil(outWidth / 2) + 2];
}

/** Bytes of scratch a Winograd convolution needs on `threads` threads. */
export function winogradScratchBytes(
  shape: WinogradShape,
  threads: number,
): number {
  const tiles = tilesPerBlock(shape.inChannels, shape.outChannels);
  return threads * 16 * 4 * tiles * (shape.inChannels + shape.outChannels);
}

/**
 * y = act(conv3x3(xp, w) + bias), stride 1, with heap byte addresses
 * (`packedFilter` from {@link packWinogradFilter}, `bias` 0: none, scratch
 * of {@link winogradScratchBytes}), on all the pool's threads; input
 * channels in 4s, output channels in 8s.
 */
export function winogradConvolution(
  pool: KernelPool,
  xp: number,
  packedFilter: number,
  bias: number,
  y: number,
  relu: boolean,
  scratch: number,
  shape: WinogradShape,
): void {
  if (shape.inChannels % 4 !== 0 || shape.outChannels % 8 !== 0) {
    throw new Error(
      `winogradConvolution needs input channels in 4s and output channels in 8s, got ${shape.inChannels} -> ${shape.outChannels}`,
    );
  }
  pool.run(WINOGRAD_TASK, [
    xp,
    packedFilter,
    bias,
    y,
    relu ? 1 : 0,
    scratch,
    shape.batch,
    shape.paddedHeight,
    shape.paddedWidth,
    shape.inChannels,
    shape.outHeight,
    shape.outWidth,
    shape.outChannels,
    tilesPerBlock(shape.inChannels, shape.outChannels),
    GEMM_ROWS,
  ]);
}
