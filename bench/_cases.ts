/**
 * The benchmark catalog: every case's name, shape and work, shared by the
 * `*_bench.ts` suites (which time them) and `report.ts` (which matches the
 * timings back by name and turns them into GFLOPS). No tfjs import here, so
 * the report can read it without starting an engine.
 *
 * @module
 */

/** Which report table a case belongs to. */
export type BenchFamily =
  | "gemm"
  | "conv"
  | "conv-transpose"
  | "group-norm"
  | "elementwise";

/** One timed kernel call. */
export interface BenchCase {
  /** Unique bench name; the key the report matches results on. */
  name: string;
  family: BenchFamily;
  /** The shapes, in words, for the report. */
  shape: string;
  /** Floating-point operations per call, where GFLOPS mean something. */
  flops?: number;
  /** Output elements per call, for the throughput of memory-bound ops. */
  elements?: number;
  /**
   * False where tfjs's cpu backend cannot be timed in reasonable time: its
   * Conv2DBackpropFilter took 178 s for one call of the target shape here.
   */
  onCpu: boolean;
}

/** Separates the family from the engine in a bench group name. */
export const GROUP_SEPARATOR = " · ";

/**
 * The bench group for a family on an engine, e.g. "gemm · wasm simd, 1 thread
 * (2 cores), tfjs 4.22.0": deno bench shows what ran, and the report reads the
 * engine back from it.
 */
export function groupName(family: BenchFamily, engineLabel: string): string {
  return `${family}${GROUP_SEPARATOR}${engineLabel}`;
}

/** A convolution's geometry, always described as the forward conv (NHWC, square kernel). */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  kernel: number;
  stride: number;
}

/** FLOPs of an n x n by n x n matrix product: 2n^3. */
export function gemmFlops(size: number): number {
  return 2 * size ** 3;
}

/**
 * FLOPs of a forward conv: 2 * N * OH * OW * Co * KH * KW * Ci. Its two
 * backprops (and so conv-transpose) are counted with the same figure.
 */
export function convFlops(conv: ConvGeometry): number {
  return 2 * conv.batch * conv.outHeight * conv.outWidth * conv.outChannels *
    conv.kernel * conv.kernel * conv.inChannels;
}

/** Matrix sizes for the GEMM suite. */
export const GEMM_SIZES = [128, 256, 512, 1024] as const;

/** The GEMM case for one size. */
export function gemmCase(size: number): BenchCase {
  return {
    name: `gemm n=${size}`,
    family: "gemm",
    shape: `${size}x${size} by ${size}x${size}`,
    flops: gemmFlops(size),
    onCpu: true,
  };
}

/**
 * A dense layer's matrix product as tf.matMul takes it: op(a) [m, k] times
 * op(b) [k, n], op a transpose where asked.
 */
export interface DenseProduct {
  /** Which layer and which of its three products. */
  label: string;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * The canonical models' largest dense products, batch 64 (see
 * bench/PROFILE.md): the vae's 3136 <-> 32 / 16 layers and the dcgan
 * generator's 64 -> 6272 projection, forward and both gradients.
 */
export const DENSE_PRODUCTS: readonly DenseProduct[] = [
  {
    label: "vae encoder y = x W",
    m: 64,
    k: 3136,
    n: 32,
    transposeA: false,
    transposeB: false,
  },
  {
    label: "vae encoder dx = dy W^T",
    m: 64,
    k: 32,
    n: 3136,
    transposeA: false,
    transposeB: true,
  },
  {
    label: "vae encoder dW = x^T dy",
    m: 3136,
    k: 64,
    n: 32,
    transposeA: true,
    transposeB: false,
  },
  {
    label: "vae decoder dW = z^T dy",
    m: 16,
    k: 64,
    n: 3136,
    transposeA: true,
    transposeB: false,
  },
  {
    label: "dcgan generator y = z W",
    m: 64,
    k: 64,
    n: 6272,
    transposeA: false,
    transposeB: false,
  },
  {
    label: "dcgan discriminator y = x W",
    m: 64,
    k: 6272,
    n: 1,
    transposeA: false,
    transposeB: false,
  },
];

/** The GEMM case of one dense product. */
export function denseCase(product: DenseProduct): BenchCase {
  const { label, m, k, n, transposeA, transposeB } = product;
  return {
    name: `dense ${label}`,
    family: "gemm",
    shape: `${m}x${k}${transposeA ? " (a^T)" : ""} by ${k}x${n}${
      transposeB ? " (b^T)" : ""
    }`,
    flops: 2 * m * k * n,
    onCpu: true,
  };
}

/** The target conv shape: batch 32, 28x28, 32 -> 64 channels, 3x3, stride 1, same. */
export const CONV_TARGET: ConvGeometry = {
  batch: 32,
  inHeight: 28,
  inWidth: 28,
  inChannels: 32,
  outHeight: 28,
  outWidth: 28,
  outChannels: 64,
  kernel: 3,
  stride: 1,
};

const convTargetShape = "x 32x28x28x32, filter 3x3x32x64, stride 1, same";

/** The conv target shape's forward pass (Conv2D). */
export const convForwardCase: BenchCase = {
  name: "conv2d forward",
  family: "conv",
  shape: convTargetShape,
  flops: convFlops(CONV_TARGET),
  onCpu: true,
};

/** The conv target shape's input gradient (Conv2DBackpropInput). */
export const convBackwardInputCase: BenchCase = {
  name: "conv2d backward-input",
  family: "conv",
  shape: `${convTargetShape}; dy 32x28x28x64`,
  flops: convFlops(CONV_TARGET),
  onCpu: true,
};

/** The conv target shape's filter gradient (Conv2DBackpropFilter). */
export const convBackwardFilterCase: BenchCase = {
  name: "conv2d backward-filter",
  family: "conv",
  shape: `${convTargetShape}; dy 32x28x28x64`,
  flops: convFlops(CONV_TARGET),
  onCpu: false,
};

/**
 * The canonical DCGAN generator's transposed convs (batch 64, 4x4, stride 2,
 * same), each written as the forward conv it is the input gradient of: its
 * `in*` side is the transposed conv's output.
 */
export const CONV_TRANSPOSE_SHAPES: readonly ConvGeometry[] = [
  {
    batch: 64,
    inHeight: 14,
    inWidth: 14,
    inChannels: 64,
    outHeight: 7,
    outWidth: 7,
    outChannels: 128,
    kernel: 4,
    stride: 2,
  },
  {
    batch: 64,
    inHeight: 28,
    inWidth: 28,
    inChannels: 1,
    outHeight: 14,
    outWidth: 14,
    outChannels: 64,
    kernel: 4,
    stride: 2,
  },
];

/** The conv-transpose case for one geometry (see {@link CONV_TRANSPOSE_SHAPES}). */
export function convTransposeCase(conv: ConvGeometry): BenchCase {
  const from = `${conv.outHeight}x${conv.outWidth}x${conv.outChannels}`;
  const to = `${conv.inHeight}x${conv.inWidth}x${conv.inChannels}`;
  return {
    name: `conv2dTranspose ${from}->${to}`,
    family: "conv-transpose",
    shape:
      `batch ${conv.batch}, ${from} -> ${to}, k${conv.kernel} s${conv.stride} same`,
    flops: convFlops(conv),
    onCpu: true,
  };
}

/**
 * The canonical flow's coupling convolutions with few channels on one side
 * (batch 64, 3x3, stride 1, same): the output layer at each level (64 -> 4
 * at 14x14, 64 -> 8 at 7x7), forward, and the input gradient of level 1's
 * first layer (2 -> 64), all genwasm's narrow SIMD convolution on wasm.
 */
export const NARROW_CONV_SHAPES: readonly ConvGeometry[] = [
  {
    batch: 64,
    inHeight: 14,
    inWidth: 14,
    inChannels: 64,
    outHeight: 14,
    outWidth: 14,
    outChannels: 4,
    kernel: 3,
    stride: 1,
  },
  {
    batch: 64,
    inHeight: 7,
    inWidth: 7,
    inChannels: 64,
    outHeight: 7,
    outWidth: 7,
    outChannels: 8,
    kernel: 3,
    stride: 1,
  },
];

/** The flow's first coupling conv at level 1, whose input gradient is narrow. */
export const NARROW_INPUT_GRADIENT_SHAPE: ConvGeometry = {
  batch: 64,
  inHeight: 14,
  inWidth: 14,
  inChannels: 2,
  outHeight: 14,
  outWidth: 14,
  outChannels: 64,
  kernel: 3,
  stride: 1,
};

/** The forward case of one {@link NARROW_CONV_SHAPES} geometry. */
export function narrowConvCase(conv: ConvGeometry): BenchCase {
  const shape =
    `x ${conv.batch}x${conv.inHeight}x${conv.inWidth}x${conv.inChannels}, ` +
    `filter ${conv.kernel}x${conv.kernel}x${conv.inChannels}x${conv.outChannels}, stride 1, same`;
  return {
    name: `conv2d forward ${conv.inChannels}->${conv.outChannels} ` +
      `at ${conv.inHeight}x${conv.inWidth} (flow)`,
    family: "conv",
    shape,
    flops: convFlops(conv),
    onCpu: true,
  };
}

/** The input-gradient case of {@link NARROW_INPUT_GRADIENT_SHAPE}. */
export const narrowInputGradientCase: BenchCase = {
  name: "conv2d backward-input 2->64 at 14x14 (flow)",
  family: "conv",
  shape: "x 64x14x14x2, filter 3x3x2x64, stride 1, same; dy 64x14x14x64",
  flops: convFlops(NARROW_INPUT_GRADIENT_SHAPE),
  onCpu: true,
};

/** The activation shape of the group-norm and elementwise suites (NHWC). */
export const ACTIVATION_SHAPE = [64, 28, 28, 32] as const;

/** Groups for the group-norm suite. */
export const GROUP_NORM_GROUPS = 8;

const activationElements = ACTIVATION_SHAPE.reduce((a, b) => a * b, 1);
const activationShape = ACTIVATION_SHAPE.join("x");

/** Group norm from tf ops: reshape, moments, normalise, scale and shift. */
export const groupNormCase: BenchCase = {
  name: `groupNorm ${GROUP_NORM_GROUPS} groups`,
  family: "group-norm",
  shape: `${activationShape}, ${GROUP_NORM_GROUPS} groups`,
  elements: activationElements,
  onCpu: true,
};

/** The elementwise ops timed. */
export const ELEMENTWISE_OPS = [
  "add",
  "mul",
  "sigmoid",
  "tanh",
  "relu",
  "leakyRelu",
  "exp",
] as const;

/** One of {@link ELEMENTWISE_OPS}. */
export type ElementwiseOp = typeof ELEMENTWISE_OPS[number];

/** The elementwise case for one op. */
export function elementwiseCase(op: ElementwiseOp): BenchCase {
  const binary = op === "add" || op === "mul";
  return {
    name: op,
    family: "elementwise",
    shape: binary
      ? `${activationShape} ${op === "add" ? "+" : "*"} ${activationShape}`
      : activationShape,
    elements: activationElements,
    onCpu: true,
  };
}

/** Every case, in report order. */
export function allCases(): BenchCase[] {
  return [
    ...GEMM_SIZES.map(gemmCase),
    ...DENSE_PRODUCTS.map(denseCase),
    convForwardCase,
    convBackwardInputCase,
    convBackwardFilterCase,
    ...NARROW_CONV_SHAPES.map(narrowConvCase),
    narrowInputGradientCase,
    ...CONV_TRANSPOSE_SHAPES.map(convTransposeCase),
    groupNormCase,
    ...ELEMENTWISE_OPS.map(elementwiseCase),
  ];
}
