/**
 * The SIMD matrix product and transpose (backends/wasm/simd/matmul.ts,
 * transpose.ts) against plain loops, on their own heap: on the calling
 * thread alone (plain memory) and shared with two pool workers (shared
 * memory), with sizes past and short of their 4-, 6- and 8-wide blocks and
 * a matrix shared across the batch.
 */
import assert from "node:assert/strict";
import { matMul } from "../../../backends/wasm/simd/matmul.ts";
import { transposeLastTwo } from "../../../backends/wasm/simd/transpose.ts";
import { buildSimdKernels } from "../../../backends/wasm/simd/node_kernels.ts";
import { defaultCacheDir } from "../../../backends/wasm/_loader.ts";
import { Rng } from "../../_helpers.ts";

const cacheDir = defaultCacheDir();

async function withKernels(
  threads: number,
  run: (
    heap: () => Float32Array,
    pool: NonNullable<Awaited<ReturnType<typeof buildSimdKernels>>>["pool"],
  ) => void,
): Promise<void> {
  const memory = new WebAssembly.Memory(
    threads > 1 ? { initial: 16, maximum: 64, shared: true } : { initial: 16 },
  );
  const kernels = await buildSimdKernels(memory, threads, cacheDir);
  assert.ok(kernels, "the kernels must build where SIMD runs");
  try {
    run(() => new Float32Array(memory.buffer), kernels.pool);
  } finally {
    kernels.pool.close();
  }
}

/** [batch, rows, columns] sizes. */
const TRANSPOSES: [number, number, number][] = [
  [1, 4, 4],
  [1, 8, 12],
  [2, 7, 9], // 1 band + 3 rows, 2 column blocks + 1 column
  [3, 3, 5], // no whole block
  [1, 13, 64],
];

/** batch, m, n, k, and whether At / B is one matrix for the whole batch. */
const PRODUCTS: [number, number, number, number, boolean, boolean][] = [
  [1, 6, 8, 5, false, false],
  [1, 13, 20, 9, false, false], // 6 + 6 + 1 rows, 8 + 8 + 4 columns
  [3, 7, 12, 4, false, true], // B shared
  [2, 5, 4, 1, true, false], // At shared, k = 1
  [1, 64, 36, 40, false, false],
];

for (const threads of [1, 3]) {
  const label = threads > 1 ? "3 threads (shared memory)" : "1 thread";
  Deno.test(`SIMD transpose, ${label}: every shape matches the definition`, async () => {
    await withKernels(threads, (heap, pool) => {
      for (const [batch, rows, columns] of TRANSPOSES) {
        const size = batch * rows * columns;
        const src = Float32Array.from(new Rng(size).uniform(size, -1, 1));
        heap().set(src, 0);
        heap().fill(Number.NaN, size, 2 * size);
        transposeLastTwo(pool, 0, 4 * size, batch, rows, columns);
        const out = heap().subarray(size, 2 * size);
        for (let b = 0; b < batch; b++) {
          for (let r = 0; r < rows; r++) {
            for (let c = 0; c < columns; c++) {
              const want = src[(b * rows + r) * columns + c];
              const got = out[(b * columns + c) * rows + r];
              assert.equal(
                got,
                want,
                `${batch}x${rows}x${columns} [${b}, ${c}, ${r}]`,
              );
            }
          }
        }
      }
    });
  });

  Deno.test(`SIMD matrix product, ${label}: every shape matches the definition`, async () => {
    await withKernels(threads, (heap, pool) => {
      for (const [batch, m, n, k, atShared, bShared] of PRODUCTS) {
        const atSize = (atShared ? 1 : batch) * k * m;
        const bSize = (bShared ? 1 : batch) * k * n;
        const rng = new Rng(m * n * k);
        const at = Float32Array.from(rng.uniform(atSize, -1, 1));
        const b = Float32Array.from(rng.uniform(bSize, -1, 1));
        heap().set(at, 0);
        heap().set(b, atSize);
        const cAt = atSize + bSize;
        // Stale values the product must overwrite, not add to.
        heap().fill(7, cAt, cAt + batch * m * n);
        matMul(pool, 0, 4 * atSize, 4 * cAt, {
          batch,
          m,
          n,
          k,
          atBatchBytes: atShared ? 0 : 4 * k * m,
          bBatchBytes: bShared ? 0 : 4 * k * n,
        });
        const c = heap().subarray(cAt, cAt + batch * m * n);
        for (let e = 0; e < batch; e++) {
          const atE = atShared ? 0 : e * k * m, bE = bShared ? 0 : e * k * n;
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let want = 0;
              for (let p = 0; p < k; p++) {
                want += at[atE + p * m + i] * b[bE + p * n + j];
              }
              const got = c[(e * m + i) * n + j];
              assert.ok(
                Math.abs(got - want) < 1e-4,
                `${batch}x${m}x${n}x${k} C[${e}, ${i}, ${j}] = ${got}, expected ${want}`,
              );
            }
          }
        }
      }
      assert.throws(
        () =>
          matMul(pool, 0, 0, 0, {
            batch: 1,
            m: 4,
            n: 6,
            k: 2,
            atBatchBytes: 0,
            bBatchBytes: 0,
          }),
        /columns in 4s, got 6/,
      );
    });
  });
}
