"use client";

import type { RemoteParticipant, Room } from "livekit-client";
import { useCallback, useEffect, useRef, useState, type RefObject } from "react";

import { microphoneProblem, playRemoteVoices, type MicrophoneRemedy } from "@/components/calls/voice-room";
import { errorMessage } from "@/lib/api";
import { isHumanIdentity, type JoinTicket } from "@/lib/console";

export type RoomConnection = "connecting" | "connected" | "reconnecting" | "disconnected" | "failed";

export type MicrophoneDevice = { deviceId: string; label: string };

export type AgentRoom = {
  connection: RoomConnection;
  /** Why connecting failed, or why the room closed (in words people can act on). */
  problem: string | null;
  micProblem: string | null;
  muted: boolean;
  audioBlocked: boolean;
  /** The caller's voice as it arrives (for the level meter); null until subscribed. */
  callerTrack: MediaStreamTrack | null;
  /** The room was closed on the server (the call ended), not a network drop. */
  roomClosed: boolean;
  devices: MicrophoneDevice[];
  deviceId: string | null;
  toggleMute: () => Promise<void>;
  chooseDevice: (deviceId: string) => Promise<void>;
  startAudio: () => Promise<void>;
  leave: () => Promise<void>;
};

const MICROPHONE_REMEDY: MicrophoneRemedy = {
  afterAllowing: ": the caller can't hear you until you do.",
  afterConnecting: ", then choose it below.",
};

/** The caller: neither the AI (an agent participant) nor a person from the team. */
function isCaller(participant: RemoteParticipant): boolean {
  return !participant.isAgent && !isHumanIdentity(participant.identity);
}

/** Joins a call's LiveKit room as the human agent: publishes the microphone, plays every remote voice
 * in its own <audio> element inside `audioContainer`, and follows livekit-client's reconnects. */
export function useAgentRoom(ticket: JoinTicket | null, audioContainer: RefObject<HTMLDivElement | null>): AgentRoom {
  const [connection, setConnection] = useState<RoomConnection>("connecting");
  const [problem, setProblem] = useState<string | null>(null);
  const [micProblem, setMicProblem] = useState<string | null>(null);
  const [muted, setMuted] = useState(false);
  const [audioBlocked, setAudioBlocked] = useState(false);
  const [callerTrack, setCallerTrack] = useState<MediaStreamTrack | null>(null);
  const [roomClosed, setRoomClosed] = useState(false);
  const [devices, setDevices] = useState<MicrophoneDevice[]>([]);
  const [deviceId, setDeviceId] = useState<string | null>(null);
  const room = useRef<Room | null>(null);
  const leaving = useRef(false);

  useEffect(() => {
    if (!ticket) return;
    let cancelled = false;
    let current: Room | null = null;

    (async () => {
      const { DisconnectReason, Room, RoomEvent, Track } = await import("livekit-client");
      if (cancelled) return;
      current = new Room({ adaptiveStream: false, dynacast: false });
      room.current = current;
      const listDevices = async () => {
        const found = await Room.getLocalDevices("audioinput").catch(() => [] as MediaDeviceInfo[]);
        if (cancelled) return;
        setDevices(found.map((device, index) => ({ deviceId: device.deviceId, label: device.label || `Microphone ${index + 1}` })));
        setDeviceId(current?.getActiveDevice("audioinput") ?? found[0]?.deviceId ?? null);
      };
      playRemoteVoices(current, { RoomEvent, Track }, audioContainer, {
        arrived: (track, participant) => {
          if (isCaller(participant)) setCallerTrack(track);
        },
        gone: (participant) => {
          if (isCaller(participant)) setCallerTrack(null);
        },
      });
      current
        .on(RoomEvent.AudioPlaybackStatusChanged, () => setAudioBlocked(!current?.canPlaybackAudio))
        .on(RoomEvent.MediaDevicesChanged, () => void listDevices())
        .on(RoomEvent.Reconnecting, () => setConnection("reconnecting"))
        .on(RoomEvent.Reconnected, () => setConnection("connected"))
        .on(RoomEvent.Disconnected, (reason) => {
          if (cancelled) return;
          setConnection("disconnected");
          setCallerTrack(null);
          if (reason === DisconnectReason.ROOM_DELETED || reason === DisconnectReason.ROOM_CLOSED) setRoomClosed(true);
          else if (!leaving.current) setProblem("The connection to the call was lost.");
        });
      try {
        await current.connect(ticket.livekit_url, ticket.token);
      } catch (error) {
        if (!cancelled) {
          setConnection("failed");
          setProblem(`We couldn't reach the voice server: ${errorMessage(error)}`);
        }
        return;
      }
      if (cancelled) return;
      setConnection("connected");
      setAudioBlocked(!current.canPlaybackAudio);
      try {
        await current.localParticipant.setMicrophoneEnabled(true);
      } catch (error) {
        if (!cancelled) setMicProblem(microphoneProblem(error, MICROPHONE_REMEDY));
      }
      await listDevices();
    })().catch((error: unknown) => {
      if (!cancelled) {
        setConnection("failed");
        setProblem(errorMessage(error));
      }
    });

    return () => {
      cancelled = true;
      void current?.disconnect();
      room.current = null;
    };
  }, [ticket, audioContainer]);

  const toggleMute = useCallback(async () => {
    const current = room.current;
    if (!current) return;
    try {
      await current.localParticipant.setMicrophoneEnabled(muted);
      setMuted(!muted);
      setMicProblem(null);
    } catch (error) {
      setMicProblem(microphoneProblem(error, MICROPHONE_REMEDY));
    }
  }, [muted]);

  const chooseDevice = useCallback(async (next: string) => {
    const current = room.current;
    if (!current) return;
    try {
      await current.switchActiveDevice("audioinput", next);
      setDeviceId(next);
      setMicProblem(null);
    } catch (error) {
      setMicProblem(microphoneProblem(error, MICROPHONE_REMEDY));
    }
  }, []);

  const startAudio = useCallback(async () => {
    await room.current?.startAudio();
    setAudioBlocked(false);
  }, []);

  const leave = useCallback(async () => {
    leaving.current = true;
    await room.current?.disconnect();
  }, []);

  return {
    connection,
    problem,
    micProblem,
    muted,
    audioBlocked,
    callerTrack,
    roomClosed,
    devices,
    deviceId,
    toggleMute,
    chooseDevice,
    startAudio,
    leave,
  };
}
