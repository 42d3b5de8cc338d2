import * as v from "valibot";
import type { DeltaOp } from "../delta/delta-op.ts";
import type { ArenaPath } from "../model/arena-path.ts";
import type { ByteRanges } from "../model/byte-ranges.ts";
import type { Hash } from "../model/hash.ts";
import type { TreeEntry } from "../model/tree-entry.ts";
import { listingPageCodec } from "./listing-wire.ts";
import {
  type CallMethod,
  callMethod,
  type StreamMethod,
  schemaCodec,
  streamMethod,
} from "./method.ts";
import type { RpcConnection } from "./rpc-connection.ts";
import {
  type BytesArg,
  clipText,
  DATA_CHUNK,
  entryToWire,
  ITEMS_PER_MESSAGE,
  itemResultToWire,
  leavesToWire,
  mtimeToWire,
  READ_CHUNK,
  rangesToWire,
  wireArena,
  wireBytesArg,
  wireCount,
  wireData,
  wireEntry,
  wireHash,
  wireItemResult,
  wireLeaves,
  wireMtime,
  wireOps,
  wirePath,
  wirePathText,
  wireRanges,
  wireText,
} from "./sync-wire.ts";

/**
 * The RPC methods of push and pull (lib/logic/sync/endpoints.ts, one method per endpoint
 * operation), shared by the remote endpoints that call them and the peer service that
 * answers them.
 *
 * A caller first opens a session (`sync.open`) for one arena and one side: a stream that
 * sends the session number and then stays open, so the peer learns when the caller is done
 * or its connection is gone and can release what the session holds (open partials). Every
 * other method names the arena and the session. Reception tokens belong to the session.
 * Values larger than one message are paged: listings, leaves, needs, signatures and reads
 * come as streams; leaves and signatures sent to the peer are staged in pieces first.
 */

/** What a remote endpoint needs of a connection (an RpcConnection, or a test double). */
export type SyncCaller = Pick<RpcConnection, "call" | "stream">;

/** Which endpoint of the peer a session talks to. */
export type SyncSide = "source" | "destination";

const sessionArgs = { arena: wireArena, session: wireCount };
const tokenArgs = { ...sessionArgs, token: wireCount };
const done = schemaCodec(v.null());

/** A session's arena and number, carried by every method but `sync.open`. */
export interface SessionArgs {
  arena: string;
  session: number;
}

/** Args that hold domain values: validated by `schema`, put on the wire by `encode`. */
function codec<
  E extends v.ObjectEntries,
  A extends v.InferOutput<v.StrictObjectSchema<E, undefined>>,
>(entries: E, encode: (args: A) => unknown = (args) => args) {
  return schemaCodec(
    v.strictObject(entries),
    encode as (args: v.InferOutput<v.StrictObjectSchema<E, undefined>>) => unknown,
  );
}

const entries = v.pipe(v.array(wireEntry), v.maxLength(ITEMS_PER_MESSAGE));
const results = v.pipe(v.array(wireItemResult), v.maxLength(ITEMS_PER_MESSAGE));
const entriesArgs = codec(
  { ...sessionArgs, entries },
  (a: SessionArgs & { entries: TreeEntry[] }) => ({
    ...a,
    entries: a.entries.map(entryToWire),
  }),
);
const itemResults = schemaCodec(results, (r) => r.map(itemResultToWire));
/** Args naming a session and some of its paths (at most ITEMS_PER_MESSAGE). */
const pathsArgs = codec(
  { ...sessionArgs, paths: v.pipe(v.array(wirePath), v.maxLength(ITEMS_PER_MESSAGE)) },
  (a: SessionArgs & { paths: ArenaPath[] }) => ({ ...a, paths: a.paths.map((p) => p.text) }),
);

/** One page of a delta signature: blocks `first…` of the base's geometry. */
export interface SignaturePage {
  blockSize: number;
  fileSize: number;
  strongLength: number;
  first: number;
  weak: Uint8Array;
  strong: Uint8Array;
}

/** The sync protocol's methods. */
export const syncMethods = {
  /** Opens a session on `side` of `arena`; one chunk with its number, then open until cancelled. */
  open: streamMethod("sync.open", {
    args: codec({ arena: wireArena, side: v.picklist(["source", "destination"]) }),
    chunk: schemaCodec(v.strictObject({ session: wireCount })),
  }),
  /** Appends a piece at `offset` (the bytes staged so far) to stage `stage` of the session. */
  stage: callMethod("sync.stage", {
    args: codec({
      ...sessionArgs,
      stage: wireCount,
      offset: wireCount,
      data: wireData(DATA_CHUNK),
    }),
    result: done,
  }),
  /** The side's listing under `scope`, in pages of entries and failures. */
  list: streamMethod("sync.list", {
    args: codec(
      {
        ...sessionArgs,
        scope: v.pipe(v.array(wirePath), v.maxLength(ITEMS_PER_MESSAGE)),
        hashes: v.optional(v.picklist(["all", "known"])),
      },
      (a: SessionArgs & { scope: ArenaPath[]; hashes?: "all" | "known" }) => ({
        ...a,
        scope: a.scope.map((p) => p.text),
      }),
    ),
    chunk: listingPageCodec,
  }),
  /** The hashes of source files as they are now, with the size and mtime hashed. */
  hashes: callMethod("sync.hashes", {
    args: pathsArgs,
    result: schemaCodec(
      v.pipe(
        v.array(
          v.union([
            v.pipe(
              v.strictObject({
                path: wirePathText,
                hash: wireHash,
                size: wireCount,
                mtime: wireMtime,
              }),
              v.transform(({ mtime, ...read }) => ({ ...read, mtimeNs: mtime })),
            ),
            v.strictObject({ path: wirePathText, error: wireText }),
          ]),
        ),
        v.maxLength(ITEMS_PER_MESSAGE),
      ),
      (reads) =>
        reads.map((r) =>
          "error" in r
            ? { path: r.path, error: clipText(r.error) }
            : { path: r.path, hash: r.hash.bytes, size: r.size, mtime: mtimeToWire(r.mtimeNs) },
        ),
    ),
  }),
  /**
   * A whole source file listed without a hash, if it is still the version listed: chunks
   * of at most READ_CHUNK bytes, then the Merkle root of exactly what was sent.
   */
  stream: streamMethod("sync.stream", {
    args: codec(
      { ...sessionArgs, path: wirePath, size: wireCount, mtime: wireMtime },
      (a: SessionArgs & { path: ArenaPath; size: number; mtime: bigint }) => ({
        ...a,
        path: a.path.text,
        mtime: mtimeToWire(a.mtime),
      }),
    ),
    chunk: schemaCodec(
      v.union([v.strictObject({ data: wireData(READ_CHUNK) }), v.strictObject({ hash: wireHash })]),
      (c) => ("hash" in c ? { hash: c.hash.bytes } : c),
    ),
  }),
  /** The leaf hashes of a source file as listed, in pages. */
  leaves: streamMethod("sync.leaves", {
    args: codec(
      { ...sessionArgs, path: wirePath, hash: wireHash },
      (a: SessionArgs & { path: ArenaPath; hash: Hash }) => ({
        ...a,
        path: a.path.text,
        hash: a.hash.bytes,
      }),
    ),
    chunk: schemaCodec(wireLeaves, leavesToWire),
  }),
  /** Bytes `[start, end)` of a source file, in chunks of at most READ_CHUNK bytes. */
  read: streamMethod("sync.read", {
    args: codec(
      { ...sessionArgs, path: wirePath, start: wireCount, end: wireCount },
      (a: SessionArgs & { path: ArenaPath; start: number; end: number }) => ({
        ...a,
        path: a.path.text,
      }),
    ),
    chunk: schemaCodec(wireData(READ_CHUNK)),
  }),
  /**
   * Whole small files: the answers for a prefix of `paths`, in order (at least one); the
   * caller asks again for the rest. A file may come with the hash the peer vouches for.
   */
  readSmall: callMethod("sync.readSmall", {
    args: pathsArgs,
    result: schemaCodec(
      v.pipe(
        v.array(
          v.union([
            v.pipe(
              v.strictObject({
                path: wirePathText,
                data: wireData(DATA_CHUNK),
                hash: v.optional(wireHash),
                mtime: v.optional(wireMtime),
              }),
              v.transform(
                ({ mtime, ...read }): SmallFileRead =>
                  mtime === undefined ? read : { ...read, mtimeNs: mtime },
              ),
            ),
            v.strictObject({ path: wirePathText, error: wireText }),
          ]),
        ),
        v.maxLength(ITEMS_PER_MESSAGE),
      ),
      (reads) =>
        reads.map((r) => {
          if (!("data" in r)) return { path: r.path, error: clipText(r.error) };
          const out: Record<string, unknown> = { path: r.path, data: r.data };
          if (r.hash !== undefined) out.hash = r.hash.bytes;
          if (r.mtimeNs !== undefined) out.mtime = mtimeToWire(r.mtimeNs);
          return out;
        }),
    ),
  }),
  /**
   * The delta of a source file against a signature, in batches of ops; with `ranges`, of
   * just those ranges of the file laid end to end.
   */
  delta: streamMethod("sync.delta", {
    args: codec(
      {
        ...sessionArgs,
        path: wirePath,
        signature: v.strictObject({
          blockSize: wireCount,
          fileSize: wireCount,
          strongLength: wireCount,
          weak: wireBytesArg,
          strong: wireBytesArg,
        }),
        ranges: v.optional(wireRanges),
      },
      (a: SessionArgs & { path: ArenaPath; signature: SignatureArg; ranges?: ByteRanges }) =>
        withRanges({ ...a, path: a.path.text }, a.ranges),
    ),
    chunk: schemaCodec(wireOps),
  }),
  /** Removes a source file or symlink that was verified at the destination (--move). */
  remove: callMethod("sync.remove", {
    args: codec({ ...sessionArgs, entry: wireEntry }, (a: SessionArgs & { entry: TreeEntry }) => ({
      ...a,
      entry: entryToWire(a.entry),
    })),
    result: done,
  }),
  /** Removes those of `dirs` that are empty, deepest first. */
  removeEmptyDirs: callMethod("sync.removeEmptyDirs", {
    args: codec(
      { ...sessionArgs, dirs: v.pipe(v.array(wirePath), v.maxLength(ITEMS_PER_MESSAGE)) },
      (a: SessionArgs & { dirs: ArenaPath[] }) => ({ ...a, dirs: a.dirs.map((p) => p.text) }),
    ),
    result: done,
  }),
  makeDirs: callMethod("sync.makeDirs", { args: entriesArgs, result: itemResults }),
  makeLinks: callMethod("sync.makeLinks", { args: entriesArgs, result: itemResults }),
  setMeta: callMethod("sync.setMeta", { args: entriesArgs, result: itemResults }),
  /** Writes, verifies and commits whole small files. */
  writeSmall: callMethod("sync.writeSmall", {
    args: codec(
      {
        ...sessionArgs,
        files: v.pipe(
          v.array(v.strictObject({ entry: wireEntry, data: wireData(DATA_CHUNK) })),
          v.maxLength(ITEMS_PER_MESSAGE),
        ),
      },
      (a: SessionArgs & { files: { entry: TreeEntry; data: Uint8Array }[] }) => ({
        ...a,
        files: a.files.map((f) => ({ entry: entryToWire(f.entry), data: f.data })),
      }),
    ),
    result: itemResults,
  }),
  /**
   * Opens the partial of a file: its token, then what it needs, in pages of ranges.
   * Without leaves, for a file streamed whole whose root comes with `sync.commit`.
   */
  begin: streamMethod("sync.begin", {
    args: codec(
      { ...sessionArgs, entry: wireEntry, leaves: v.optional(wireBytesArg) },
      (a: SessionArgs & { entry: TreeEntry; leaves?: BytesArg }) => ({
        ...a,
        entry: entryToWire(a.entry),
      }),
    ),
    chunk: schemaCodec(
      v.strictObject({
        token: wireCount,
        hasBase: v.boolean(),
        need: wireRanges,
        resumable: v.optional(v.boolean()),
      }),
      (c) => ({ ...c, need: rangesToWire(c.need) }),
    ),
  }),
  write: callMethod("sync.write", {
    args: codec({ ...tokenArgs, offset: wireCount, data: wireData(DATA_CHUNK) }),
    result: done,
  }),
  /**
   * The signature of the reception's base, in pages of blocks; with `ranges`, of the base's
   * bytes over those ranges laid end to end (the patches then rebuild just those ranges).
   */
  signature: streamMethod("sync.signature", {
    args: codec(
      { ...tokenArgs, ranges: v.optional(wireRanges) },
      (a: SessionArgs & { token: number; ranges?: ByteRanges }) => withRanges(a, a.ranges),
    ),
    chunk: schemaCodec(
      v.strictObject({
        blockSize: wireCount,
        fileSize: wireCount,
        strongLength: wireCount,
        first: wireCount,
        weak: wireData(DATA_CHUNK),
        strong: wireData(DATA_CHUNK),
      }),
    ),
  }),
  patch: callMethod("sync.patch", {
    args: codec(
      { ...tokenArgs, ops: wireOps },
      (a: SessionArgs & { token: number; ops: DeltaOp[] }) => a,
    ),
    result: done,
  }),
  /** Verifies and publishes a reception; `hash` is the root of one begun without leaves. */
  commit: callMethod("sync.commit", {
    args: codec(
      { ...tokenArgs, hash: v.optional(wireHash) },
      (a: SessionArgs & { token: number; hash?: Hash }) =>
        a.hash === undefined ? a : { ...a, hash: a.hash.bytes },
    ),
    result: done,
  }),
  abort: callMethod("sync.abort", {
    args: codec({ ...tokenArgs, keep: v.boolean() }),
    result: done,
  }),
};

/** `args` with its byte ranges in wire form, or without the key when there are none. */
function withRanges<A extends { ranges?: ByteRanges }>(args: A, ranges: ByteRanges | undefined) {
  const { ranges: _, ...rest } = args;
  return ranges === undefined ? rest : { ...rest, ranges: rangesToWire(ranges) };
}

/** A delta signature as a request carries it: the geometry, and its packed blocks inline or staged. */
export interface SignatureArg {
  blockSize: number;
  fileSize: number;
  strongLength: number;
  weak: BytesArg;
  strong: BytesArg;
}

/** The argument type of a method. */
export type ArgsOf<M> =
  M extends CallMethod<infer A, unknown> ? A : M extends StreamMethod<infer A, unknown> ? A : never;

/** A small file as sync.readSmall gives it, in domain values (the mtime when it held still). */
export interface SmallFileRead {
  path: string;
  data: Uint8Array;
  hash?: Hash;
  mtimeNs?: bigint;
}

/** A reception page as it crosses the wire, in domain values. */
export interface BeginPage {
  token: number;
  hasBase: boolean;
  need: ByteRanges;
  resumable?: boolean;
}
