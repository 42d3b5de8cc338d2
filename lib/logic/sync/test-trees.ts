import { noise } from "../../../fixtures/noise.ts";
import type { TransferSummary } from "../../model/transfer.ts";
import type { TreeDestination, TreeSource } from "./endpoints.ts";
import { MemoryTree } from "./memory-tree.ts";
import { runTransfer, type TransferOptions } from "./transfer.ts";

/** Trees and helpers shared by the transfer tests (engine alone, and through the protocol). */

export const MiB = 1024 * 1024;

/** A tree with directories, an empty directory, symlinks, small, empty and large files. */
export function sampleTree(): MemoryTree {
  const tree = new MemoryTree();
  tree.setDir("docs", { mtimeNs: 5n });
  tree.setFile("docs/a.txt", new TextEncoder().encode("hello\n"), {
    mtimeNs: 1_700_000_000_123_456_789n,
  });
  tree.setFile("docs/deep/b.bin", noise(200_000, 1), { mtimeNs: 2n, mode: 0o600 });
  tree.setFile("run.sh", new TextEncoder().encode("#!/bin/sh\n"), { mode: 0o755 });
  tree.setFile("zero", new Uint8Array(), { mtimeNs: -1_500_000_001n });
  tree.setFile("media/big.bin", noise(3 * MiB + 123, 2));
  tree.setFile("media/huge.bin", noise(4 * MiB, 3));
  tree.setDir("empty");
  tree.setLink("latest", "media/big.bin");
  tree.setLink("docs/dangling", "../nowhere/at/all");
  return tree;
}

/** Runs a push between two endpoints with the test's options. */
export function transfer(
  source: TreeSource,
  destination: TreeDestination,
  options: Partial<TransferOptions> = {},
): Promise<TransferSummary> {
  return runTransfer(source, destination, {
    arena: "photos",
    peer: "nas",
    direction: "push",
    scope: [],
    ...options,
  });
}

/** Plain, comparable form of a tree's entries. */
export function shape(tree: MemoryTree): unknown[] {
  return tree.snapshot().map((e) => ({
    path: e.path.text,
    kind: e.kind,
    size: e.size,
    mtimeNs: e.kind === "dir" ? undefined : e.mtimeNs,
    mode: e.mode,
    hash: e.hash?.toHex(),
    target: e.target,
  }));
}
