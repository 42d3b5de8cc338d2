/** Every request to a worker and every reply from it carries the id of its call. */
interface Tagged {
  id: number;
}

/** A request as a caller gives it: without the id, which WorkerCalls adds (each union member). */
export type Untagged<T> = T extends unknown ? Omit<T, "id"> : never;

/**
 * Calls to one worker thread running the script at `url`, started on first use. Each
 * request gets an id that its reply carries back, so calls may be answered in any order;
 * while no call waits, the thread does not keep the process alive. When the thread fails,
 * every waiting call rejects with an Error naming `what`, and the next call starts a fresh
 * thread.
 */
export class WorkerCalls<Request extends Tagged, Reply extends Tagged> {
  #worker: Worker | undefined;
  #nextId = 1;
  readonly #waiting = new Map<
    number,
    { resolve: (reply: Reply) => void; reject: (error: Error) => void }
  >();

  constructor(
    private readonly url: string,
    private readonly what: string,
  ) {}

  /** Sends `request` (moving the buffers in `transfer` to the thread) and resolves to its reply. */
  call(request: Untagged<Request>, transfer: ArrayBuffer[] = []): Promise<Reply> {
    const worker = this.#start();
    const id = this.#nextId++;
    worker.ref();
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      worker.postMessage({ ...request, id } as unknown as Request, transfer);
    });
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(this.url);
    worker.onmessage = (event: MessageEvent<Reply>) => {
      const waiting = this.#waiting.get(event.data.id);
      this.#waiting.delete(event.data.id);
      if (this.#waiting.size === 0) worker.unref();
      waiting?.resolve(event.data);
    };
    worker.onerror = (event) => {
      const error = new Error(`${this.what} failed: ${event.message}`);
      for (const { reject } of this.#waiting.values()) reject(error);
      this.#waiting.clear();
      this.#worker = undefined;
      worker.terminate();
    };
    this.#worker = worker;
    return worker;
  }
}
