/**
 * Stands in for the npm package pngjs in the page's bundle. The model
 * families the page samples also evaluate, and a text model's evaluation
 * writes its prompts under its grid rows with js-pixel-fonts, which loads
 * pngjs (built on Node's streams) for a PNG output of its own that genwasm
 * never calls. The page never evaluates; this empty module keeps Node's
 * modules out of its bundle.
 *
 * @module
 */
export {};
