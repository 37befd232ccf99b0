import type { RemoteParticipant, Room } from "livekit-client";
import type { RefObject } from "react";

import { errorMessage } from "@/lib/api";

/** What to do once the microphone is allowed or connected, in the words of the page that asks. */
export type MicrophoneRemedy = { afterAllowing: string; afterConnecting: string };

/** What the browser says when the microphone cannot be used, in words people can act on. */
export function microphoneProblem(error: unknown, remedy: MicrophoneRemedy): string {
  const name = error instanceof DOMException || error instanceof Error ? error.name : "";
  if (name === "NotAllowedError" || name === "SecurityError") {
    return `Microphone access is blocked. Allow the microphone for this site (the icon in the address bar)${remedy.afterAllowing}`;
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return `No microphone was found. Connect one${remedy.afterConnecting}`;
  }
  if (name === "NotReadableError") return "The microphone is in use by another application, or the system refused it.";
  return `The microphone could not be started: ${errorMessage(error)}`;
}

/** Plays every remote voice in its own <audio> element inside `container` (attaching a second track to one
 * element would replace the first), and reports each voice as it arrives and goes. */
export function playRemoteVoices(
  room: Room,
  livekit: Pick<typeof import("livekit-client"), "RoomEvent" | "Track">,
  container: RefObject<HTMLDivElement | null>,
  voice: {
    arrived?: (track: MediaStreamTrack, participant: RemoteParticipant) => void;
    gone?: (participant: RemoteParticipant) => void;
  } = {},
): void {
  room
    .on(livekit.RoomEvent.TrackSubscribed, (track, _publication, participant) => {
      if (track.kind !== livekit.Track.Kind.Audio) return;
      const element = track.attach();
      element.dataset.identity = participant.identity;
      container.current?.appendChild(element);
      voice.arrived?.(track.mediaStreamTrack, participant);
    })
    .on(livekit.RoomEvent.TrackUnsubscribed, (track, _publication, participant) => {
      for (const element of track.detach()) element.remove();
      voice.gone?.(participant);
    });
}
