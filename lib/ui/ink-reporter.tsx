import { type Instance, render } from "ink";
import type { TransferProgress, TransferSummary } from "../model/transfer.ts";
import { failureLines, type ProgressReporter, summaryLine } from "./progress-reporter.ts";
import { TransferView } from "./transfer-view.tsx";

const FRAME_MS = 100;

/** The Ink progress bar on stderr, redrawn at most ten times a second. */
export class InkReporter implements ProgressReporter {
  private instance: Instance | undefined;
  private latest: TransferProgress | undefined;
  private lastDraw = 0;

  progress(snapshot: TransferProgress): void {
    this.latest = snapshot;
    const now = Date.now();
    if (now - this.lastDraw < FRAME_MS) return;
    this.lastDraw = now;
    this.draw(snapshot);
  }

  file(): void {}

  async finish(summary: TransferSummary): Promise<void> {
    if (this.latest) this.draw(this.latest);
    this.instance?.unmount();
    await this.instance?.waitUntilExit();
    for (const line of failureLines(summary)) process.stderr.write(line);
    process.stderr.write(`${summaryLine(summary)}\n`);
  }

  private draw(snapshot: TransferProgress): void {
    const view = <TransferView progress={snapshot} />;
    if (this.instance) this.instance.rerender(view);
    else
      this.instance = render(view, {
        stdout: process.stderr,
        patchConsole: false,
        exitOnCtrlC: false,
      });
  }
}
