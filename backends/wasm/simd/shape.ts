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

/**
 * The shape as the integers of a pool job, in the order every SIMD
 * convolution task reads them back (tasks run alone, from their source
 * text, so they spell the order out).
 */
export function shapeJob(shape: PaddedConvShape): number[] {
  return [
    shape.batch,
    shape.paddedHeight,
    shape.paddedWidth,
    shape.inChannels,
    shape.outHeight,
    shape.outWidth,
    shape.outChannels,
    shape.filterHeight,
    shape.filterWidth,
    shape.strideHeight,
    shape.strideWidth,
  ];
}
