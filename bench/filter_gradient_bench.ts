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
