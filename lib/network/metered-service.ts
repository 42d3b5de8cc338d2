import { isRealizeError } from "../model/errors.ts";
import type { CallMethod, StreamMethod } from "./method.ts";
import type { NetworkMetrics, RequestOutcome } from "./metrics.ts";
import { type CallHandler, type RequestContext, Service, type StreamHandler } from "./service.ts";

/** How a request ended: its error's code, or the reason its signal was aborted with. */
function outcomeOf(error: unknown): RequestOutcome {
  return isRealizeError(error) ? error.code : "internal";
}

function abortedOutcome(context: RequestContext): RequestOutcome | undefined {
  return context.signal.aborted ? outcomeOf(context.signal.reason) : undefined;
}

/**
 * A Service that counts every request it serves in `metrics`, by method and outcome: "ok",
 * the code of the error the handler threw ("internal" for a bug), or why the request was
 * stopped ("cancelled", "timeout", "unreachable" when its connection went). Registering on
 * it is the same as on a plain Service, so a service module needs no change to be counted.
 */
export class MeteredService extends Service {
  constructor(private readonly metrics: NetworkMetrics) {
    super();
  }

  override on<A, R>(method: CallMethod<A, R>, handler: CallHandler<A, R>): this {
    const metrics = this.metrics;
    return super.on(method, async (args, context) => {
      try {
        const result = await handler(args, context);
        metrics.requestDone(method.name, abortedOutcome(context) ?? "ok");
        return result;
      } catch (error) {
        metrics.requestDone(method.name, abortedOutcome(context) ?? outcomeOf(error));
        throw error;
      }
    });
  }

  override onStream<A, C>(method: StreamMethod<A, C>, handler: StreamHandler<A, C>): this {
    const metrics = this.metrics;
    return super.onStream(method, async function* (args, context) {
      let outcome: RequestOutcome | undefined;
      try {
        yield* handler(args, context);
        outcome = abortedOutcome(context) ?? "ok";
      } catch (error) {
        outcome = abortedOutcome(context) ?? outcomeOf(error);
        throw error;
      } finally {
        metrics.requestDone(method.name, outcome ?? abortedOutcome(context) ?? "cancelled");
      }
    });
  }
}
