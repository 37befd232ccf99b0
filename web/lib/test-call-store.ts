import type { PlacedTestCall } from "@/lib/api";

/** Test calls placed in this tab, waiting for their call page to join the room. Kept in memory
 * only (never storage): the token is for this tab, and a reload shows the call without joining. */
const pending = new Map<string, PlacedTestCall>();

export function rememberTestCall(call: PlacedTestCall): void {
  pending.set(call.call_id, call);
}

/** The join details of a call placed in this tab (null after a reload, or once it was hung up). */
export function findTestCall(callId: string): PlacedTestCall | null {
  return pending.get(callId) ?? null;
}

export function forgetTestCall(callId: string): void {
  pending.delete(callId);
}

const holders = new Map<string, number>();

/** Marks the call as shown on screen. The returned release runs `onLeft` once no view holds
 * the call any more: a view that unmounts and mounts again (React does, when the layout
 * around it changes) does not hang up. */
export function holdTestCall(callId: string, onLeft: () => void): () => void {
  holders.set(callId, (holders.get(callId) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holders.set(callId, (holders.get(callId) ?? 1) - 1);
    window.setTimeout(() => {
      if ((holders.get(callId) ?? 0) > 0) return;
      holders.delete(callId);
      onLeft();
    }, 0);
  };
}
