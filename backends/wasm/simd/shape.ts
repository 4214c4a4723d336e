/**
 * The geometry genwasm's SIMD convolution kernels share.
 *
 * @module
 */

/**
 * One convolution over x zero-padded to xp, all in elements: the forward
 * conv's geometry, which its filter gradient shares. Each kernel states what
 * it needs of the channel counts.
 */
export interface PaddedConvShape {
  batch: number;
  /** xp's height and width (x padded so that every tap reads inside it). */
  paddedHeight: number;
  paddedWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
}
