/**
 * rsync-style delta transfer: the receiver sends a Signature of its base, the sender
 * answers with DeltaOps (copies of base blocks and literals), the receiver patches them
 * into a `.partial` and checks the whole hash before renaming (that check is the caller's).
 */

export {
  checkSignature,
  type SignatureWire,
  signatureFromWire,
  signatureToWire,
} from "./check-signature.ts";
export { DeltaEncoder, encodeDelta } from "./delta.ts";
export {
  type CopyOp,
  checkDeltaOp,
  type DeltaOp,
  type LiteralOp,
  MAX_LITERAL,
} from "./delta-op.ts";
export {
  applyDelta,
  type BaseGeometry,
  DeltaPatcher,
  type PatchOptions,
  type ReadBase,
  type WriteOutput,
} from "./patch.ts";
export { RollingChecksum, weakChecksum } from "./rolling-checksum.ts";
export {
  blockCount,
  chooseBlockSize,
  computeSignature,
  MAX_BLOCK_SIZE,
  MIN_BLOCK_SIZE,
  type Signature,
  type SignatureBlock,
  SignatureBuilder,
  type SignatureOptions,
} from "./signature.ts";
export { DEFAULT_STRONG_LENGTH, MAX_STRONG_LENGTH, MIN_STRONG_LENGTH } from "./strong-hash.ts";
