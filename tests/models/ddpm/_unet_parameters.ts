/**
 * The canonical ddpm U-Net's parameter count, worked out by layer from
 * shared/spec/canonical-models.md (weights + biases, and scale + offset of
 * each GroupNorm): channels 32/64/64 at 28/14/7, a time embedding of 128.
 */

/** Time embedding width (4 x the base width of 32). */
const EMBEDDING = 128;

/** A k x k convolution from cin to cout channels, with bias. */
const conv = (k: number, cin: number, cout: number) =>
  k * k * cin * cout + cout;

/**
 * ResBlock(cin -> cout): GroupNorm(cin), Conv3x3, Dense(embedding -> cout),
 * GroupNorm(cout), Conv3x3, and a 1x1 skip convolution where the channels
 * change.
 */
const resBlock = (cin: number, cout: number) =>
  2 * cin + conv(3, cin, cout) + (EMBEDDING * cout + cout) + 2 * cout +
  conv(3, cout, cout) + (cin === cout ? 0 : conv(1, cin, cout));

/** Parameters of the canonical ddpm; `conditional` adds the label table. */
export function canonicalUnetParameters(conditional = false): number {
  return (32 * EMBEDDING + EMBEDDING) + // time: Dense(32 -> 128)
    (EMBEDDING * EMBEDDING + EMBEDDING) + // time: Dense(128 -> 128)
    conv(3, 1, 32) + // input
    resBlock(32, 32) + conv(3, 32, 32) + // down0 and its stride-2 conv
    resBlock(32, 64) + conv(3, 64, 64) + // down1 and its stride-2 conv
    resBlock(64, 64) + // down2
    resBlock(64, 64) + // middle
    resBlock(128, 64) + conv(3, 64, 64) + // up2 and its upsampling conv
    resBlock(128, 64) + conv(3, 64, 64) + // up1 and its upsampling conv
    resBlock(96, 32) + // up0
    2 * 32 + conv(3, 32, 1) + // output: GroupNorm, Conv3x3(32 -> 1)
    (conditional ? 11 * EMBEDDING : 0); // label table: 10 classes + "none"
}
