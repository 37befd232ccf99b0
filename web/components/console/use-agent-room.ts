"use client";

import { useVoiceRoom, type RemoteVoice, type VoiceRoom } from "@/components/calls/use-voice-room";
import type { MicrophoneRemedy } from "@/components/calls/voice-room";
import { isHumanIdentity, type JoinTicket } from "@/lib/console";

export type AgentRoom = VoiceRoom & {
  /** The caller's voice as it arrives (for the level meter); null until subscribed. */
  callerTrack: MediaStreamTrack | null;
};

const MICROPHONE_REMEDY: MicrophoneRemedy = {
  afterAllowing: ": the caller can't hear you until you do.",
  afterConnecting: ", then choose it below.",
};

/** The caller: neither the AI (an agent participant) nor a person from the team. */
function isCaller(voice: RemoteVoice): boolean {
  return !voice.isAgent && !isHumanIdentity(voice.identity);
}

/** Joins a call's LiveKit room as the human agent (the shared voice room), with the caller's voice picked out. */
export function useAgentRoom(ticket: JoinTicket | null): AgentRoom {
  const room = useVoiceRoom(ticket, MICROPHONE_REMEDY);
  const caller = room.voices.findLast((voice) => voice.present && isCaller(voice));
  return { ...room, callerTrack: caller?.track ?? null };
}
