import { afterEach, describe, expect, test } from "bun:test";
import * as v from "valibot";
import { noise } from "../../../fixtures/noise.ts";
import { rejection } from "../../../fixtures/rejection.ts";
import type { DeltaOp } from "../../delta/delta-op.ts";
import type { Signature } from "../../delta/signature.ts";
import { ArenaPath } from "../../model/arena-path.ts";
import { ByteRange } from "../../model/byte-range.ts";
import { ByteRanges } from "../../model/byte-ranges.ts";
import { RealizeError } from "../../model/errors.ts";
import { Hash } from "../../model/hash.ts";
import type { TreeEntry } from "../../model/tree-entry.ts";
import { memoryLinkPair } from "../../network/memory-transport.ts";
import { schemaCodec, streamMethod } from "../../network/method.ts";
import { RpcConnection } from "../../network/rpc-connection.ts";
import { Service } from "../../network/service.ts";
import { syncMethods } from "../../network/sync-protocol.ts";
import type { Reception, SmallRead, StreamPiece } from "./endpoints.ts";
import { MemoryTree } from "./memory-tree.ts";
import { type EndpointResolver, registerSyncService } from "./peer-service.ts";
import type { PeerSessions } from "./peer-sessions.ts";
import { RemoteDestination } from "./remote-destination.ts";
import { RemoteSource } from "./remote-source.ts";
import { MiB, sampleTree, shape, transfer } from "./test-trees.ts";

interface Pair {
  client: RpcConnection;
  server: RpcConnection;
  sessions: PeerSessions;
}

const open: RpcConnection[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
});

let dials = 0;

/** Connects `name` over the memory pipe to a peer ("nas") answering with `service`. */
async function dial(service: Service, name = "laptop"): Promise<Omit<Pair, "sessions">> {
  dials++;
  const [toNas, toCaller] = memoryLinkPair(
    { name, address: `memory:${dials}` },
    { name: "nas", address: "memory:nas" },
  );
  const client = new RpcConnection(toNas);
  const server = new RpcConnection(toCaller, { service });
  open.push(client, server);
  await Promise.all([client.ready, server.ready]);
  return { client, server };
}

/** A client ("laptop") connected to a peer ("nas") serving the sync protocol. */
async function connect(resolve: EndpointResolver): Promise<Pair> {
  const service = new Service();
  const sessions = registerSyncService(service, resolve);
  return { ...(await dial(service)), sessions };
}

/** A peer that shares only arena "photos", held in `tree`. */
function sharing(tree: MemoryTree): EndpointResolver {
  return async (arena, peer) => {
    if (arena !== "photos" || peer !== "laptop") {
      throw new RealizeError("not_shared", `nas does not share arena ${arena}`, { arena });
    }
    return { source: tree, destination: tree };
  };
}

describe("the transfer engine through the sync protocol", () => {
  test("push: a whole tree, then nothing, then one changed byte (one small block of its leaf), then a delta", async () => {
    const local = sampleTree();
    const remote = new MemoryTree();
    const { client, sessions } = await connect(sharing(remote));
    const wire = () => client.bytes.read + client.bytes.written;
    const run = async () => {
      const destination = new RemoteDestination(client, "photos");
      try {
        return await transfer(local, destination, { wireBytes: wire });
      } finally {
        await destination.release();
      }
    };
    const first = await run();
    expect(first.failed).toEqual([]);
    expect(shape(remote)).toEqual(shape(local));
    expect(first.bytes.wire).toBeGreaterThan(first.bytes.sent);

    expect((await run()).bytes.sent).toBe(0);

    const edited = Uint8Array.from(local.content("media/huge.bin")!);
    edited[3 * MiB] = (edited[3 * MiB] ?? 0) ^ 1;
    local.setFile("media/huge.bin", edited, { mtimeNs: 3n });
    const oneByte = await run();
    expect(oneByte.bytes.sent).toBe(2048);
    expect(shape(remote)).toEqual(shape(local));

    const shifted = new Uint8Array(edited.length + 50);
    shifted.set(edited, 50);
    local.setFile("media/huge.bin", shifted, { mtimeNs: 4n });
    const literal = remote.stats.literal;
    const delta = await run();
    expect(delta.bytes.sent).toBe(remote.stats.literal - literal);
    expect(delta.bytes.sent).toBeLessThan(16 * 1024);
    expect(shape(remote)).toEqual(shape(local));
    while (sessions.size > 0) await Bun.sleep(1);
    expect(remote.openFiles).toBe(0);
  });

  test("pull: a whole tree, --move empties the peer's tree of what was verified", async () => {
    const remote = sampleTree();
    const local = new MemoryTree();
    local.setDir("zero");
    const { client } = await connect(sharing(remote));
    const summary = await transfer(new RemoteSource(client, "photos"), local, {
      direction: "pull",
      move: true,
    });
    expect(summary.failed.map((f) => f.path)).toEqual(["zero"]);
    expect(remote.snapshot().map((e) => e.path.text)).toEqual(["zero"]);
    expect(local.content("media/huge.bin")).toEqual(noise(4 * MiB, 3));
    expect(local.nodes.get("latest")?.target).toBe("media/big.bin");
  });

  test("pull: a file changed at the peer between listing and sending ends up right", async () => {
    const remote = sampleTree();
    const local = new MemoryTree();
    let lists = 0;
    remote.afterList = () => {
      if (lists++ === 0) remote.setFile("media/big.bin", noise(MiB + 1, 77), { mtimeNs: 6n });
    };
    const { client } = await connect(sharing(remote));
    const summary = await transfer(new RemoteSource(client, "photos"), local, {
      direction: "pull",
    });
    expect(summary.failed).toEqual([]);
    expect(shape(local)).toEqual(shape(remote));
  });

  test("a push stopped midway keeps the peer's partial, releases its session, and resumes", async () => {
    const local = new MemoryTree();
    local.setFile("movie.bin", noise(4 * MiB, 5));
    const remote = new MemoryTree();
    const { client, sessions } = await connect(sharing(remote));
    const stop = new AbortController();
    remote.afterWrite = () => stop.abort();
    const destination = new RemoteDestination(client, "photos");
    const first = await transfer(local, destination, { stop: stop.signal });
    await destination.release();
    expect(first.interrupted).toBe(true);
    expect(remote.partials.get("movie.bin")?.have.totalLength).toBeGreaterThan(0);
    expect(remote.openFiles).toBe(0);
    while (sessions.size > 0) await Bun.sleep(1);

    remote.afterWrite = undefined;
    const kept = remote.partials.get("movie.bin")!.have.totalLength;
    const second = await transfer(local, destination);
    expect(second.bytes.sent).toBe(4 * MiB - kept);
    expect(remote.content("movie.bin")).toEqual(local.content("movie.bin"));
  });

  test("a closed connection ends the peer's session and closes its open files", async () => {
    const remote = new MemoryTree();
    const { client, server, sessions } = await connect(sharing(remote));
    const destination = new RemoteDestination(client, "photos");
    const entry = new MemoryTree();
    entry.setFile("f", noise(300_000, 9));
    const [file] = (await entry.list([])).entries;
    await destination.begin(file!, await entry.leaves(file!.path, file!.hash!));
    expect(remote.openFiles).toBe(1);
    expect(sessions.size).toBe(1);
    client.close();
    await server.closed;
    while (sessions.size > 0) await Bun.sleep(1);
    expect(remote.openFiles).toBe(0);
    expect(remote.partials.has("f")).toBe(true);
  });
});

describe("refusals through the sync protocol", () => {
  test.each(["push", "pull"] as const)(
    "%s of an arena the peer does not share fails with not_shared",
    async (direction) => {
      const { client } = await connect(sharing(new MemoryTree()));
      const local = sampleTree();
      const job =
        direction === "push"
          ? transfer(local, new RemoteDestination(client, "secret"))
          : transfer(new RemoteSource(client, "secret"), local, { direction });
      const error = await rejection(job);
      expect(error.code).toBe("not_shared");
      expect(error.data.arena).toBe("secret");
    },
  );

  test.each([
    ["another connection of the same peer", "laptop"],
    ["another peer", "phone"],
  ])("a session cannot be used from %s", async (_, name) => {
    const remote = new MemoryTree();
    const service = new Service();
    const sessions = registerSyncService(service, async (arena) => {
      if (arena !== "photos") throw new RealizeError("not_shared", "not shared");
      return { source: remote, destination: remote };
    });
    const first = await dial(service);
    const destination = new RemoteDestination(first.client, "photos");
    await destination.list([]);
    expect(sessions.size).toBe(1);
    const other = await dial(service, name);
    const error = await rejection(
      other.client.call(syncMethods.abort, { arena: "photos", session: 1, token: 1, keep: false }),
    );
    expect(error.code).toBe("protocol");
    expect(error.message).toContain("no open sync session 1");
    expect(await destination.makeDirs([])).toEqual([]);
  });

  test("a session is refused for another arena than it was opened on", async () => {
    const { client } = await connect(async () => ({
      source: sampleTree(),
      destination: new MemoryTree(),
    }));
    await new RemoteSource(client, "photos").list([]);
    const error = await rejection(
      client.call(syncMethods.remove, {
        arena: "videos",
        session: 1,
        entry: {
          path: ArenaPath.parse("zero"),
          kind: "symlink",
          size: 1,
          mtimeNs: 0n,
          mode: 0,
          target: "x",
        },
      }),
    );
    expect(error.code).toBe("protocol");
  });

  test("malformed arguments from a caller close the connection as a protocol error", async () => {
    const remote = sampleTree();
    const { client, sessions } = await connect(sharing(remote));
    await new RemoteSource(client, "photos").list([]);
    const raw = streamMethod("sync.list", {
      args: schemaCodec(v.unknown()),
      chunk: schemaCodec(v.unknown()),
    });
    const error = await rejection(
      client.stream(raw, { arena: "photos", session: 1, scope: ["docs/../../etc"] }).next(),
    );
    expect(error.code).toBe("protocol");
    expect(error.message).toContain("..");
    expect(client.open).toBe(false);
    while (sessions.size > 0) await Bun.sleep(1);
  });

  test.each([
    ["a path with ..", ["a/../b", "file", 1, 0, 0, 0o644, new Uint8Array(32)]],
    ["a partial file's name", [".a.realize-partial", "file", 1, 0, 0, 0o644, new Uint8Array(32)]],
    ["a hash of the wrong length", ["a", "file", 1, 0, 0, 0o644, new Uint8Array(31)]],
  ])("a listing from the peer with %s is refused", async (_, wireEntry) => {
    const service = new Service()
      .onStream(
        streamMethod("sync.open", {
          args: schemaCodec(v.unknown()),
          chunk: schemaCodec(v.unknown()),
        }),
        function* () {
          yield { session: 1 };
        },
      )
      .onStream(
        streamMethod("sync.list", {
          args: schemaCodec(v.unknown()),
          chunk: schemaCodec(v.unknown()),
        }),
        function* () {
          yield { entries: [wireEntry], failures: [] };
        },
      );
    const { client } = await dial(service);
    const error = await rejection(new RemoteSource(client, "photos").list([]));
    expect(error.code).toBe("protocol");
    expect(error.message).toContain("sync.list");
  });
});

/** A tree whose endpoints answer with values too large for one message, to exercise paging. */
class HugeTree extends MemoryTree {
  static readonly LEAVES = 140_000;
  readonly file: TreeEntry = {
    path: ArenaPath.parse("disk.img"),
    kind: "file",
    size: HugeTree.LEAVES * 64 * 1024,
    mtimeNs: 1n,
    mode: 0o644,
    hash: Hash.fromBytes(new Uint8Array(32).fill(1)),
  };
  readonly leafHashes = Array.from({ length: HugeTree.LEAVES }, (_, i) =>
    Hash.fromBytes(new Uint8Array(32).fill(i % 251)),
  );
  readonly signatureSent: Signature = {
    blockSize: 1024,
    fileSize: 100_000 * 1024 - 5,
    strongLength: 16,
    blocks: Array.from({ length: 100_000 }, (_, i) => ({
      weak: (i * 2654435761) >>> 0,
      strong: new Uint8Array(16).fill(i % 256),
    })),
  };
  received: { leaves?: readonly Hash[]; signature?: Signature } = {};
  readonly need = ByteRanges.of(
    ...Array.from({ length: HugeTree.LEAVES / 2 }, (_, i) =>
      ByteRange.withLength(i * 2 * 65536, 65536),
    ),
  );

  override async leaves(): Promise<Hash[]> {
    return this.leafHashes;
  }
  override async begin(_: TreeEntry, leaves: readonly Hash[]): Promise<Reception> {
    this.received.leaves = leaves;
    return { token: 42, need: this.need, hasBase: true };
  }
  override async signature(): Promise<Signature> {
    return this.signatureSent;
  }
  override async *delta(_: ArenaPath, signature: Signature): AsyncIterable<DeltaOp[]> {
    this.received.signature = signature;
    yield Array.from({ length: 10_000 }, (_, block) => ({ op: "copy", block }));
  }
  override async readSmall(paths: readonly ArenaPath[]): Promise<SmallRead[]> {
    return paths.map((p) => ({ path: p.text, data: noise(900 * 1024, 2 * p.text.charCodeAt(0)) }));
  }
}

describe("a source peer that lies about a streamed file", () => {
  /** A peer tree whose streams of "movie.bin" are bent by `bend`. */
  function lyingPeer(bend: (pieces: StreamPiece[]) => StreamPiece[]): {
    remote: MemoryTree;
    local: MemoryTree;
  } {
    const remote = new MemoryTree();
    remote.setFile("movie.bin", noise(2 * MiB, 71));
    const honest = remote.stream.bind(remote);
    remote.stream = async function* (path, listed) {
      const pieces: StreamPiece[] = [];
      for await (const piece of honest(path, listed)) pieces.push(piece);
      yield* bend(pieces);
    };
    return { remote, local: new MemoryTree() };
  }

  test("a root that is not the root of the bytes sent is refused; the retry goes by leaves and arrives exact", async () => {
    const { remote, local } = lyingPeer((pieces) => [
      ...pieces.filter((p) => "data" in p),
      { hash: Hash.fromBytes(new Uint8Array(32).fill(9)) },
    ]);
    const refused: string[] = [];
    const commit = local.commit.bind(local);
    local.commit = (token, hash) =>
      commit(token, hash).catch((e: RealizeError) => {
        refused.push(e.code);
        throw e;
      });
    const { client } = await connect(sharing(remote));
    const summary = await transfer(new RemoteSource(client, "photos"), local, {
      direction: "pull",
    });
    expect(refused).toEqual(["hash_mismatch"]);
    expect(summary.failed).toEqual([]);
    expect(local.content("movie.bin")).toEqual(remote.content("movie.bin"));
    expect(local.partials.size).toBe(0);
  });

  test.each([
    [
      "more bytes than listed",
      (pieces: StreamPiece[]) => [{ data: new Uint8Array(10) }, ...pieces],
    ],
    ["bytes after the root", (pieces: StreamPiece[]) => [...pieces, { data: new Uint8Array(10) }]],
    ["no root at all", (pieces: StreamPiece[]) => pieces.filter((p) => "data" in p)],
  ])("%s: the job stops as a protocol error, nothing shown", async (_, bend) => {
    const { remote, local } = lyingPeer(bend);
    const { client } = await connect(sharing(remote));
    const error = await rejection(
      transfer(new RemoteSource(client, "photos"), local, { direction: "pull" }),
    );
    expect(error.code).toBe("protocol");
    expect(local.content("movie.bin")).toBeUndefined();
  });
});

describe("values larger than one message are paged", () => {
  test("leaves, receptions, signatures, deltas and small reads of huge files cross intact", async () => {
    const huge = new HugeTree();
    const { client } = await connect(async () => ({ source: huge, destination: huge }));
    const source = new RemoteSource(client, "photos");
    const destination = new RemoteDestination(client, "photos");

    const leaves = await source.leaves(huge.file.path, huge.file.hash!);
    expect(leaves.map((l) => l.toHex())).toEqual(huge.leafHashes.map((l) => l.toHex()));

    const reception = await destination.begin(huge.file, huge.leafHashes);
    expect(reception.token).toBe(42);
    expect(reception.need.equals(huge.need)).toBe(true);
    expect(huge.received.leaves?.map((l) => l.toHex())).toEqual(
      huge.leafHashes.map((l) => l.toHex()),
    );

    expect(await destination.signature(42)).toEqual(huge.signatureSent);

    const batches: DeltaOp[][] = [];
    for await (const ops of source.delta(huge.file.path, huge.signatureSent)) batches.push(ops);
    expect(huge.received.signature).toEqual(huge.signatureSent);
    expect(batches.flat()).toHaveLength(10_000);
    expect(batches.length).toBeGreaterThan(1);

    const paths = ["a", "b", "c", "d"].map((p) => ArenaPath.parse(p));
    const reads = await source.readSmall(paths);
    expect(reads.map((r) => r.path)).toEqual(["a", "b", "c", "d"]);
    for (const read of reads) {
      const want = noise(900 * 1024, 2 * read.path.charCodeAt(0));
      expect("data" in read && Buffer.from(read.data).equals(want)).toBe(true);
    }
    await destination.release();
  });
});
