/**
 * The repository root, for the build scripts.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The repository root (with a trailing separator). */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));
