import { signatureFromWire, signatureToWire } from "../../delta/check-signature.ts";
import type { Signature } from "../../delta/signature.ts";
import { leafCount } from "../../hash/index.ts";
import type { ArenaPath } from "../../model/arena-path.ts";
import { ByteRange } from "../../model/byte-range.ts";
import { ByteRanges } from "../../model/byte-ranges.ts";
import { RealizeError } from "../../model/errors.ts";
import { Hash } from "../../model/hash.ts";
import type { RequestContext, Service } from "../../network/service.ts";
import {
  syncMethods as m,
  type SessionArgs,
  type SignaturePage,
} from "../../network/sync-protocol.ts";
import {
  BLOCKS_PER_PAGE,
  batchBySize,
  clipText,
  DATA_CHUNK,
  entryProblem,
  entryWireSize,
  LEAVES_PER_PAGE,
  leavesFromBytes,
  MESSAGE_BUDGET,
  OPS_PER_MESSAGE,
  opsWireSize,
  RANGES_PER_PAGE,
  READ_CHUNK,
  textWireSize,
} from "../../network/sync-wire.ts";
import type { Listing, PathFailure, SmallRead } from "./endpoints.ts";
import { type ArenaEndpoints, PeerSessions } from "./peer-sessions.ts";

/**
 * Finds this peer's endpoints of `arena` for the calling `peer`; throws RealizeError
 * "not_shared" when this peer does not share that arena with it. Each call should give a
 * destination of its own: a session releases its destination when it ends.
 */
export type EndpointResolver = (arena: string, peer: string) => Promise<ArenaEndpoints>;

function resolved(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** A listing in pages; an entry a peer would refuse becomes a failure naming it. */
function* listingPages(listing: Listing): Generator<Listing> {
  const failures: PathFailure[] = [];
  const entries = listing.entries.filter((e) => {
    const problem = entryProblem(e);
    if (problem !== undefined) failures.push({ path: e.path.text, error: `it ${problem}` });
    return problem === undefined;
  });
  for (const part of batchBySize(entries, entryWireSize)) yield { entries: part, failures: [] };
  const clipped = [...listing.failures, ...failures].map((f) => ({
    path: clipText(f.path),
    error: clipText(f.error),
  }));
  for (const part of batchBySize(clipped, (f) => textWireSize(f.path, f.error))) {
    yield { entries: [], failures: part };
  }
}

/** Answers for a prefix of `paths` that fits one message (at least one answer). */
function smallReplies(paths: readonly ArenaPath[], reads: readonly SmallRead[]): SmallRead[] {
  const byPath = new Map(reads.map((r) => [r.path, r]));
  const replies: SmallRead[] = [];
  let bytes = 0;
  for (const { text } of paths) {
    const read = byPath.get(text) ?? { path: text, error: `${text} was not read` };
    const reply =
      "data" in read && read.data.length > DATA_CHUNK
        ? { path: text, error: `${text} grew to ${read.data.length} bytes since it was listed` }
        : read;
    const size =
      "data" in reply
        ? textWireSize(text) + reply.data.length + Hash.BYTES
        : textWireSize(text, reply.error);
    if (replies.length > 0 && bytes + size > MESSAGE_BUDGET) break;
    replies.push(reply);
    bytes += size;
  }
  return replies;
}

/** A signature in pages of at most BLOCKS_PER_PAGE blocks (one page for an empty base). */
function* signaturePages(signature: Signature): Generator<SignaturePage> {
  const { blockSize, fileSize, strongLength, weak, strong } = signatureToWire(signature);
  const count = signature.blocks.length;
  let first = 0;
  do {
    const end = Math.min(count, first + BLOCKS_PER_PAGE);
    yield {
      blockSize,
      fileSize,
      strongLength,
      first,
      weak: weak.subarray(first * 4, end * 4),
      strong: strong.subarray(first * strongLength, end * strongLength),
    };
    first = end;
  } while (first < count);
}

/**
 * Answers the sync protocol (lib/network/sync-protocol.ts) on `service` with this peer's
 * endpoints, found by `resolve` when a caller opens a session. A session lasts as long as
 * its `sync.open` stream: when the caller ends it or the connection closes, the session is
 * forgotten and its destination released (open partials are kept for a later resume).
 * Returns the sessions, so a caller can see how many are open.
 */
export function registerSyncService(service: Service, resolve: EndpointResolver): PeerSessions {
  const sessions = new PeerSessions();
  const source = (args: SessionArgs, context: RequestContext) =>
    sessions.get(args, context, "source").endpoints.source;
  const destination = (args: SessionArgs, context: RequestContext) =>
    sessions.get(args, context, "destination").endpoints.destination;

  service
    .onStream(m.open, async function* ({ arena, side }, context) {
      const endpoints = await resolve(arena, context.peer);
      const session = sessions.open(context, arena, side, endpoints);
      try {
        yield { session: session.id };
        await resolved(context.signal);
      } finally {
        sessions.close(session.id);
        if (side === "destination") await endpoints.destination.release().catch(() => {});
      }
    })
    .onStream(m.list, async function* (args, context) {
      const { side, endpoints } = sessions.get(args, context);
      const { scope, hashes } = args;
      const listing =
        side === "source"
          ? await endpoints.source.list(scope, hashes)
          : await endpoints.destination.list(scope);
      yield* listingPages(listing);
    })
    .on(m.stage, (args, context) => {
      sessions.stage(sessions.get(args, context), args.stage, args.offset, args.data);
      return null;
    })
    .onStream(m.leaves, async function* (args, context) {
      const leaves = await source(args, context).leaves(args.path, args.hash);
      for (let i = 0; i < leaves.length; i += LEAVES_PER_PAGE) {
        yield leaves.slice(i, i + LEAVES_PER_PAGE);
      }
    })
    .onStream(m.read, async function* (args, context) {
      const { path, start, end } = args;
      if (end < start) throw new RealizeError("protocol", `a read of [${start}, ${end})`);
      const chunks = source(args, context).read(path, new ByteRange(start, end), context.signal);
      for await (const data of chunks) {
        for (let at = 0; at < data.length; at += READ_CHUNK) {
          yield data.subarray(at, at + READ_CHUNK);
        }
      }
    })
    .on(m.readSmall, async (args, context) =>
      smallReplies(args.paths, await source(args, context).readSmall(args.paths)),
    )
    .on(m.hashes, (args, context) => source(args, context).hashes(args.paths))
    .onStream(m.stream, async function* (args, context) {
      const listed = { size: args.size, mtimeNs: args.mtime };
      for await (const piece of source(args, context).stream(args.path, listed, context.signal)) {
        if ("hash" in piece) {
          yield piece;
          continue;
        }
        for (let at = 0; at < piece.data.length; at += READ_CHUNK) {
          yield { data: piece.data.subarray(at, at + READ_CHUNK) };
        }
      }
    })
    .onStream(m.delta, async function* (args, context) {
      const session = sessions.get(args, context, "source");
      const { weak, strong, ...geometry } = args.signature;
      const signature = signatureFromWire({
        ...geometry,
        weak: sessions.take(session, weak),
        strong: sessions.take(session, strong),
      });
      const deltas = session.endpoints.source.delta(
        args.path,
        signature,
        context.signal,
        args.ranges,
      );
      for await (const ops of deltas) {
        yield* batchBySize(ops, (op) => opsWireSize([op]), MESSAGE_BUDGET, OPS_PER_MESSAGE);
      }
    })
    .on(m.remove, async (args, context) => {
      await source(args, context).remove(args.entry);
      return null;
    })
    .on(m.removeEmptyDirs, async (args, context) => {
      await source(args, context).removeEmptyDirs(args.dirs);
      return null;
    })
    .on(m.makeDirs, (args, context) => destination(args, context).makeDirs(args.entries))
    .on(m.makeLinks, (args, context) => destination(args, context).makeLinks(args.entries))
    .on(m.setMeta, (args, context) => destination(args, context).setMeta(args.entries))
    .on(m.writeSmall, (args, context) => destination(args, context).writeSmall(args.files))
    .onStream(m.begin, async function* (args, context) {
      const session = sessions.get(args, context, "destination");
      const { entry } = args;
      if (args.leaves === undefined) {
        const rec = await session.endpoints.destination.begin(entry);
        yield rec;
        return;
      }
      const leaves = leavesFromBytes(sessions.take(session, args.leaves));
      if (leaves?.length !== leafCount(entry.size)) {
        throw new RealizeError(
          "protocol",
          `the leaves sent for ${entry.path.text} are not ${leafCount(entry.size)} hashes`,
          { path: entry.path.text },
        );
      }
      const { token, hasBase, need } = await session.endpoints.destination.begin(entry, leaves);
      const ranges = need.ranges;
      for (let i = 0; i === 0 || i < ranges.length; i += RANGES_PER_PAGE) {
        yield { token, hasBase, need: ByteRanges.of(...ranges.slice(i, i + RANGES_PER_PAGE)) };
      }
    })
    .on(m.write, async (args, context) => {
      await destination(args, context).write(args.token, args.offset, args.data);
      return null;
    })
    .onStream(m.signature, async function* (args, context) {
      yield* signaturePages(await destination(args, context).signature(args.token, args.ranges));
    })
    .on(m.patch, async (args, context) => {
      await destination(args, context).patch(args.token, args.ops);
      return null;
    })
    .on(m.commit, async (args, context) => {
      await destination(args, context).commit(args.token, args.hash);
      return null;
    })
    .on(m.abort, async (args, context) => {
      await destination(args, context).abort(args.token, args.keep);
      return null;
    });
  return sessions;
}
