"use client";

import type { RemoteParticipant, Room } from "livekit-client";
import { useCallback, useEffect, useRef, useState, type RefCallback } from "react";

import { microphoneProblem, playRemoteVoices, type MicrophoneRemedy } from "@/components/calls/voice-room";
import { errorMessage } from "@/lib/api";

export type VoiceConnection = "connecting" | "connected" | "reconnecting" | "disconnected" | "failed";

export type MicrophoneDevice = { deviceId: string; label: string };

/** Where and with what to join a room (a test call's placement or a console join ticket). */
export type VoiceTicket = { livekit_url: string; token: string };

/** Someone else in the room, and their voice as it arrives. Kept after they leave (`present: false`)
 * so a page can say who left; a rejoin makes them present again. */
export type RemoteVoice = {
  identity: string;
  /** The name they joined with, if any. */
  name: string | null;
  /** An agent participant (the AI worker), not a person. */
  isAgent: boolean;
  present: boolean;
  /** Null until their audio is subscribed, and again once it is gone. */
  track: MediaStreamTrack | null;
};

export type VoiceRoom = {
  connection: VoiceConnection;
  /** Why connecting failed, or why the connection was lost (in words people can act on). */
  problem: string | null;
  micProblem: string | null;
  muted: boolean;
  /** The browser holds back remote audio until a click (autoplay policy). */
  audioBlocked: boolean;
  /** The room was closed on the server (the call ended), not a network drop. */
  roomClosed: boolean;
  /** Everyone else who has been in the room, in the order they (last) joined. */
  voices: RemoteVoice[];
  devices: MicrophoneDevice[];
  deviceId: string | null;
  /** Where the remote voices' <audio> elements go: render `<div ref={room.audioContainer} hidden />`. */
  audioContainer: RefCallback<HTMLDivElement>;
  toggleMute: () => Promise<void>;
  chooseDevice: (deviceId: string) => Promise<void>;
  startAudio: () => Promise<void>;
  /** Disconnects on purpose: no "connection lost" problem follows. */
  leave: () => Promise<void>;
};

type RoomState = Omit<VoiceRoom, "audioContainer" | "toggleMute" | "chooseDevice" | "startAudio" | "leave">;

const INITIAL: RoomState = {
  connection: "connecting",
  problem: null,
  micProblem: null,
  muted: false,
  audioBlocked: false,
  roomClosed: false,
  voices: [],
  devices: [],
  deviceId: null,
};

/** `voices` with the participant present (moved to the end on a rejoin) and `track` when given. */
function withVoice(voices: RemoteVoice[], participant: RemoteParticipant, track?: MediaStreamTrack | null): RemoteVoice[] {
  const known = voices.find((voice) => voice.identity === participant.identity);
  const updated: RemoteVoice = {
    identity: participant.identity,
    name: participant.name?.trim() || null,
    isAgent: participant.isAgent,
    present: true,
    track: track === undefined ? (known?.present ? known.track : null) : track,
  };
  if (known?.present) return voices.map((voice) => (voice === known ? updated : voice));
  return [...voices.filter((voice) => voice !== known), updated];
}

function withoutTrack(voices: RemoteVoice[], participant: RemoteParticipant, stillPresent: boolean): RemoteVoice[] {
  return voices.map((voice) =>
    voice.identity === participant.identity ? { ...voice, track: null, present: stillPresent && voice.present } : voice,
  );
}

/** A LiveKit room joined from the browser with `ticket` (null: not yet): the microphone goes out (permission
 * errors in words people can act on, with `remedy` saying what to do next), every remote voice plays in its own
 * <audio> element, mute, microphone choice (the list follows devices being plugged in and out), livekit-client's
 * reconnects, and a clean disconnect when the ticket changes or the page goes. A new ticket is a new room. */
export function useVoiceRoom(ticket: VoiceTicket | null, remedy: MicrophoneRemedy): VoiceRoom {
  const [state, setState] = useState<{ ticket: VoiceTicket | null; room: RoomState }>({ ticket, room: INITIAL });
  const room = useRef<Room | null>(null);
  const leaving = useRef(false);
  const audioElements = useRef<HTMLDivElement>(null);
  const audioContainer = useCallback((element: HTMLDivElement | null) => {
    audioElements.current = element;
  }, []);
  const remedyRef = useRef(remedy);
  useEffect(() => {
    remedyRef.current = remedy;
  }, [remedy]);

  useEffect(() => {
    if (!ticket) return;
    let cancelled = false;
    let current: Room | null = null;
    leaving.current = false;
    const update = (change: (previous: RoomState) => RoomState) => {
      if (cancelled) return;
      setState((previous) => ({ ticket, room: change(previous.ticket === ticket ? previous.room : INITIAL) }));
    };
    const set = (patch: Partial<RoomState>) => update((previous) => ({ ...previous, ...patch }));

    (async () => {
      const { DisconnectReason, Room, RoomEvent, Track } = await import("livekit-client");
      if (cancelled) return;
      const joined = new Room({ adaptiveStream: false, dynacast: false });
      current = joined;
      room.current = joined;
      const listDevices = async () => {
        const found = await Room.getLocalDevices("audioinput").catch(() => [] as MediaDeviceInfo[]);
        const devices = found.map((device, index) => ({
          deviceId: device.deviceId,
          label: device.label || `Microphone ${index + 1}`,
        }));
        // The person's choice while it is plugged in, else what livekit-client switched to, else the first.
        const listed = (deviceId: string | null | undefined) => devices.some((device) => device.deviceId === deviceId);
        update((previous) => {
          const active = joined.getActiveDevice("audioinput");
          const deviceId = listed(previous.deviceId) ? previous.deviceId : listed(active) ? (active ?? null) : null;
          return { ...previous, devices, deviceId: deviceId ?? devices[0]?.deviceId ?? null };
        });
      };
      playRemoteVoices(joined, { RoomEvent, Track }, audioElements, {
        arrived: (track, participant) => update((previous) => ({ ...previous, voices: withVoice(previous.voices, participant, track) })),
        gone: (participant) => update((previous) => ({ ...previous, voices: withoutTrack(previous.voices, participant, true) })),
      });
      joined
        .on(RoomEvent.ParticipantConnected, (participant) =>
          update((previous) => ({ ...previous, voices: withVoice(previous.voices, participant) })),
        )
        .on(RoomEvent.ParticipantDisconnected, (participant) =>
          update((previous) => ({ ...previous, voices: withoutTrack(previous.voices, participant, false) })),
        )
        .on(RoomEvent.AudioPlaybackStatusChanged, () => set({ audioBlocked: !joined.canPlaybackAudio }))
        .on(RoomEvent.MediaDevicesChanged, () => void listDevices())
        .on(RoomEvent.Reconnecting, () => set({ connection: "reconnecting" }))
        .on(RoomEvent.Reconnected, () => set({ connection: "connected" }))
        .on(RoomEvent.Disconnected, (reason) => {
          const closed = reason === DisconnectReason.ROOM_DELETED || reason === DisconnectReason.ROOM_CLOSED;
          update((previous) => ({
            ...previous,
            connection: "disconnected",
            roomClosed: previous.roomClosed || closed,
            problem: closed || leaving.current ? previous.problem : "The connection to the call was lost.",
            voices: previous.voices.map((voice) => ({ ...voice, present: false, track: null })),
          }));
        });
      try {
        await joined.connect(ticket.livekit_url, ticket.token);
      } catch (error) {
        set({ connection: "failed", problem: `We couldn't reach the voice server: ${errorMessage(error)}` });
        return;
      }
      if (cancelled) return;
      update((previous) => ({
        ...previous,
        connection: "connected",
        audioBlocked: !joined.canPlaybackAudio,
        voices: [...joined.remoteParticipants.values()].reduce((voices, participant) => withVoice(voices, participant), previous.voices),
      }));
      try {
        await joined.localParticipant.setMicrophoneEnabled(true);
      } catch (error) {
        set({ micProblem: microphoneProblem(error, remedyRef.current) });
      }
      await listDevices();
    })().catch((error: unknown) => set({ connection: "failed", problem: errorMessage(error) }));

    return () => {
      cancelled = true;
      void current?.disconnect();
      if (room.current === current) room.current = null;
    };
  }, [ticket]);

  // Changes from the controls apply to the room of the ticket they were made in.
  const patchRoom = useCallback(
    (patch: Partial<RoomState>) =>
      setState((previous) => (previous.ticket === ticket ? { ticket, room: { ...previous.room, ...patch } } : previous)),
    [ticket],
  );

  const muted = state.ticket === ticket ? state.room.muted : false;
  const toggleMute = useCallback(async () => {
    const current = room.current;
    if (!current) return;
    try {
      await current.localParticipant.setMicrophoneEnabled(muted);
      patchRoom({ muted: !muted, micProblem: null });
    } catch (error) {
      patchRoom({ micProblem: microphoneProblem(error, remedyRef.current) });
    }
  }, [muted, patchRoom]);

  const chooseDevice = useCallback(
    async (deviceId: string) => {
      const current = room.current;
      if (!current) return;
      try {
        // Resolves false when the new track does not report the device id it was asked for; an unavailable
        // device throws (the constraint is exact), so the choice stands either way.
        await current.switchActiveDevice("audioinput", deviceId);
        patchRoom({ deviceId, micProblem: null });
      } catch (error) {
        patchRoom({ micProblem: microphoneProblem(error, remedyRef.current) });
      }
    },
    [patchRoom],
  );

  const startAudio = useCallback(async () => {
    await room.current?.startAudio();
    patchRoom({ audioBlocked: false });
  }, [patchRoom]);

  const leave = useCallback(async () => {
    leaving.current = true;
    await room.current?.disconnect();
  }, []);

  const current = state.ticket === ticket ? state.room : INITIAL;
  return { ...current, audioContainer, toggleMute, chooseDevice, startAudio, leave };
}
