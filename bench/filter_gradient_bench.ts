/**
 * What bounds the conv filter gradient's microkernel (the dcgan's 4x4
 * stride-2 dW, its step's top line in bench/PROFILE.md): the 6 x 8 kernel of
 * backends/wasm/simd/filter_gradient.ts on one image of that layer, in
 * cache (x 16x16x64 padded, dy 7x7x128), one call per tap and channel
 * block, beside the same kernel with its input broadcasts taken out of the
 * loop and with every load taken out. Those two compute wrong sums; they
 * only say how fast the loop would run without those loads, so the gap
 * between the three rows is the cost of the loads (single thread; compare
 * with bench/ceiling_bench.ts).
 *
 * A fourth row is a candidate for the next kernel: the same sums with x and
 * dy channel-major (each channel's positions contiguous), so that both
 * operands are whole-vector loads and no input is broadcast: 2 input x 6
 * output channels, 12 accumulators over 4 positions each, summed across
 * lanes at the end. It needs x and dy transposed first, which this bench
 * does not time.
 *
 * @module
 */
import { microkernelWat } from "../backends/wasm/simd/filter_gradient.ts";
import { compileWat } from "../backends/wasm/simd/assemble.ts";
import { GROUP_SEPARATOR } from "./_cases.ts";

const [ROWS, LANES] = [6, 8] as const;
const [WIDTH, IN, OUT, SIDE] = [16, 64, 128, 7];
const X = 0, DY = 4 * WIDTH * WIDTH * IN, DW = DY + 4 * SIDE * SIDE * OUT;
const CALLS = 2048;
const group =
  `dW microkernel ${ROWS}x${LANES}, 7x7 positions${GROUP_SEPARATOR}1 thread`;

/** The kernel's loop with the broadcasts of x hoisted out (one per call). */
function withoutBroadcasts(text: string): string {
  return text
    .replace(
      /local\.get \$px v128\.load32_splat offset=\d+ local\.set \$xv/g,
      "",
    )
    .replace(
      "local.get $height local.set $row",
      "local.get $x v128.load32_splat local.set $xv local.get $height local.set $row",
    );
}

/** ... and with dy's vector loads hoisted out too. */
function withoutLoads(text: string): string {
  return withoutBroadcasts(text)
    .replace(/local\.get \$dy v128\.load offset=\d+ local\.set \$b\d/g, "")
    .replace(
      "local.get $height local.set $row",
      "local.get $dy v128.load local.set $b0 local.get $dy v128.load offset=16 local.set $b1 local.get $height local.set $row",
    );
}

/** The kernel module, fused where the engine has relaxed SIMD. */
async function compile(text: (fused: boolean) => string) {
  for (const fused of [true, false]) {
    const module = await compileWat(
      `(module (memory (export "memory") 64) ${text(fused)})`,
      fused,
    );
    if (module) return { module, fused };
  }
  throw new Error("no SIMD");
}

const variants = {
  "as built": (text: string) => text,
  "no x broadcasts in the loop": withoutBroadcasts,
  "no loads in the loop": withoutLoads,
};
for (const [name, edit] of Object.entries(variants)) {
  const { module, fused } = await compile((fused) =>
    edit(microkernelWat(ROWS, LANES, fused))
  );
  const instance = new WebAssembly.Instance(module, {});
  const kernel = instance.exports[`dw_${ROWS}x${LANES}`] as (
    ...args: number[]
  ) => void;
  const heap = new Float32Array(
    (instance.exports.memory as WebAssembly.Memory).buffer,
  );
  for (let i = 0; i < DW / 4; i++) heap[i] = (i % 17) / 17 - 0.5;
  Deno.bench({
    name: `${name}, ${fused ? "relaxed_madd" : "mul + add"} (${
      CALLS * SIDE * SIDE * ROWS * LANES * 2 / 1e6
    } MFLOP)`,
    group,
    baseline: name === "as built",
    warmup: 20,
    fn() {
      for (let c = 0; c < CALLS; c++) {
        const ci = (c * ROWS) % (IN - ROWS), co = (c * LANES) % OUT;
        kernel(
          X + 4 * ci,
          DY + 4 * co,
          DW + 4 * (ci * OUT + co),
          SIDE,
          SIDE,
          4 * 2 * WIDTH * IN,
          4 * 2 * IN,
          4 * OUT,
          4 * OUT,
        );
      }
    },
  });
}

/**
 * The channel-major candidate: acc[r][c] (4 positions a lane) += x[r][p..]
 * * dy[c][p..] over `count` quads of positions, rows of x and dy `stride`
 * bytes apart; the 12 accumulators are stored whole (their lanes summed by
 * the caller).
 */
function channelMajorWat(fused: boolean): string {
  const [rows, columns] = [2, 6];
  const acc = (r: number, c: number) => `$a${r}_${c}`;
  const madd = (a: string, b: string, c: string) =>
    fused
      ? `local.get ${a} local.get ${b} local.get ${c} f32x4.relaxed_madd local.set ${c}`
      : `local.get ${a} local.get ${b} f32x4.mul local.get ${c} f32x4.add local.set ${c}`;
  const lines = [
    `(func (export "channel_major") (param $x i32) (param $dy i32) (param $out i32) (param $count i32) (param $stride i32)`,
  ];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) lines.push(`(local ${acc(r, c)} v128)`);
    lines.push(`(local $x${r} v128)`);
  }
  lines.push(`(local $d v128)`, `(loop $quads`);
  for (let r = 0; r < rows; r++) {
    lines.push(
      `local.get $x local.get $stride i32.const ${r} i32.mul i32.add v128.load local.set $x${r}`,
    );
  }
  for (let c = 0; c < columns; c++) {
    lines.push(
      `local.get $dy local.get $stride i32.const ${c} i32.mul i32.add v128.load local.set $d`,
    );
    for (let r = 0; r < rows; r++) lines.push(madd(`$x${r}`, "$d", acc(r, c)));
  }
  lines.push(
    `local.get $x i32.const 16 i32.add local.set $x`,
    `local.get $dy i32.const 16 i32.add local.set $dy`,
    `local.get $count i32.const 1 i32.sub local.tee $count br_if $quads)`,
  );
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      lines.push(
        `local.get $out local.get ${acc(r, c)} v128.store offset=${
          16 * (r * columns + c)
        }`,
      );
    }
  }
  lines.push(")");
  return lines.join("\n");
}

{
  // The layer's 64 x 49 positions, one tap: x rows of 2 channels and dy rows
  // of 6, each 3136 floats; a call does the multiply-adds of 16 calls above.
  const positions = 64 * SIDE * SIDE;
  const stride = 4 * positions;
  const { module, fused } = await compile(channelMajorWat);
  const instance = new WebAssembly.Instance(module, {});
  const kernel = instance.exports.channel_major as (...args: number[]) => void;
  const heap = new Float32Array(
    (instance.exports.memory as WebAssembly.Memory).buffer,
  );
  for (let i = 0; i < 8 * positions; i++) heap[i] = (i % 13) / 13 - 0.5;
  const calls = CALLS / 16;
  Deno.bench({
    name: `channel-major 2x6 candidate, ${
      fused ? "relaxed_madd" : "mul + add"
    } (${calls * positions * 2 * 6 * 2 / 1e6} MFLOP)`,
    group,
    warmup: 20,
    fn() {
      for (let c = 0; c < calls; c++) {
        kernel(0, 2 * stride, 8 * stride, positions / 4, stride);
      }
    },
  });
}
