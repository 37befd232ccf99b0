"use client";

import type { RemoteParticipant, Room } from "livekit-client";
import { useEffect, useRef, useState } from "react";

import { useWorkspace } from "@/components/app/workspace-context";
import { AudioLevelMeter } from "@/components/calls/audio-level";
import { microphoneProblem, playRemoteVoices, type MicrophoneRemedy } from "@/components/calls/voice-room";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { MicIcon, MicOffIcon, PhoneOffIcon } from "@/components/ui/icons";
import { Spinner } from "@/components/ui/spinner";
import { errorMessage, type PlacedTestCall } from "@/lib/api";
import { isHumanIdentity } from "@/lib/console";
import { forgetTestCall, holdTestCall } from "@/lib/test-call-store";

type Phase = "connecting" | "waiting" | "talking" | "ended" | "failed";

const PHASE_TEXT: Record<Phase, string> = {
  connecting: "Connecting…",
  waiting: "Waiting for the agent to answer…",
  talking: "On the call with the agent",
  ended: "Call ended",
  failed: "The call could not connect",
};

const MICROPHONE_REMEDY: MicrophoneRemedy = {
  afterAllowing: ", then place the call again.",
  afterConnecting: " and place the call again.",
};

/** A person from the team who joined the call (a handoff), and their voice as it arrives. */
type HumanAgent = { identity: string; name: string; present: boolean; track: MediaStreamTrack | null };

function displayName(participant: RemoteParticipant): string {
  return participant.name?.trim() || "A colleague";
}

/** Joins the test call's LiveKit room: the microphone goes out, every voice in the room (the AI,
 * and a person from the team after a handoff) plays in its own <audio> element; mute and hang up.
 * Leaving the page hangs up too. */
export function TestCallControls({ placed, onEnded }: { placed: PlacedTestCall; onEnded?: () => void }) {
  const { api, workspace } = useWorkspace();
  const [phase, setPhase] = useState<Phase>("connecting");
  const [muted, setMuted] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [micProblem, setMicProblem] = useState<string | null>(null);
  const [audioBlocked, setAudioBlocked] = useState(false);
  const [hangingUp, setHangingUp] = useState(false);
  const [human, setHuman] = useState<HumanAgent | null>(null);
  const room = useRef<Room | null>(null);
  const audio = useRef<HTMLDivElement>(null);
  const ended = useRef(false);
  const workspaceId = workspace.id;

  useEffect(() => {
    let cancelled = false;
    // Leaving the page hangs up (unless the person already did).
    const release = holdTestCall(placed.call_id, () => {
      if (ended.current) return;
      ended.current = true;
      forgetTestCall(placed.call_id);
      void api.endTestCall(workspaceId, placed.call_id).catch(() => undefined);
    });
    let current: Room | null = null;

    (async () => {
      const { Room, RoomEvent, Track } = await import("livekit-client");
      if (cancelled) return;
      current = new Room({ adaptiveStream: false, dynacast: false });
      room.current = current;
      const hasAgent = (r: Room) => [...r.remoteParticipants.values()].length > 0;
      playRemoteVoices(current, { RoomEvent, Track }, audio, {
        arrived: (track, participant) => {
          if (isHumanIdentity(participant.identity)) {
            setHuman({ identity: participant.identity, name: displayName(participant), present: true, track });
          }
        },
        gone: (participant) => {
          if (isHumanIdentity(participant.identity)) {
            setHuman((previous) => (previous?.identity === participant.identity ? { ...previous, track: null } : previous));
          }
        },
      });
      current
        .on(RoomEvent.ParticipantConnected, (participant) => {
          setPhase("talking");
          if (isHumanIdentity(participant.identity)) {
            setHuman({ identity: participant.identity, name: displayName(participant), present: true, track: null });
          }
        })
        .on(RoomEvent.ParticipantDisconnected, (participant) => {
          if (participant.isAgent) setPhase("ended");
          if (isHumanIdentity(participant.identity)) {
            setHuman((previous) =>
              previous?.identity === participant.identity ? { ...previous, present: false, track: null } : previous,
            );
          }
        })
        .on(RoomEvent.AudioPlaybackStatusChanged, () => setAudioBlocked(!current?.canPlaybackAudio))
        .on(RoomEvent.Disconnected, () => {
          if (!cancelled) setPhase((previous) => (previous === "failed" ? previous : "ended"));
        });
      try {
        await current.connect(placed.livekit_url, placed.token);
      } catch (error) {
        if (!cancelled) {
          setPhase("failed");
          setProblem(`We couldn't reach the voice server: ${errorMessage(error)}`);
        }
        return;
      }
      if (cancelled) return;
      setPhase(hasAgent(current) ? "talking" : "waiting");
      setAudioBlocked(!current.canPlaybackAudio);
      try {
        await current.localParticipant.setMicrophoneEnabled(true);
      } catch (error) {
        if (!cancelled) setMicProblem(microphoneProblem(error, MICROPHONE_REMEDY));
      }
    })().catch((error: unknown) => {
      if (!cancelled) {
        setPhase("failed");
        setProblem(errorMessage(error));
      }
    });

    return () => {
      cancelled = true;
      void current?.disconnect();
      room.current = null;
      release();
    };
  }, [api, workspaceId, placed]);

  async function toggleMute() {
    const current = room.current;
    if (!current) return;
    try {
      await current.localParticipant.setMicrophoneEnabled(muted);
      setMuted(!muted);
      setMicProblem(null);
    } catch (error) {
      setMicProblem(microphoneProblem(error, MICROPHONE_REMEDY));
    }
  }

  async function hangUp() {
    setHangingUp(true);
    ended.current = true;
    forgetTestCall(placed.call_id);
    try {
      await api.endTestCall(workspaceId, placed.call_id);
    } catch (error) {
      setProblem(`The call may still be open on the server: ${errorMessage(error)}`);
    } finally {
      await room.current?.disconnect();
      setPhase("ended");
      setHangingUp(false);
      onEnded?.();
    }
  }

  const inCall = phase === "connecting" || phase === "waiting" || phase === "talking";
  return (
    <Card data-testid="test-call" data-state={phase}>
      <CardHeader title="Test call" description="You are the caller. Speak to the agent as a customer would." />
      <CardBody className="space-y-4">
        <p className="flex items-center gap-2 text-sm font-medium text-slate-800" data-testid="test-call-state">
          {phase === "connecting" || phase === "waiting" ? <Spinner className="text-brand-600" /> : null}
          {phase === "talking" ? <span className="size-2 animate-pulse rounded-full bg-emerald-500" /> : null}
          {PHASE_TEXT[phase]}
        </p>
        {micProblem ? (
          <Alert tone="error" title="Microphone unavailable" testId="test-call-mic-error">
            {micProblem}
          </Alert>
        ) : null}
        {problem ? (
          <Alert tone="error" testId="test-call-problem">
            {problem}
          </Alert>
        ) : null}
        {audioBlocked && inCall ? (
          <Alert
            tone="info"
            title="The browser is holding back the agent's voice"
            action={
              <Button size="sm" variant="secondary" onClick={() => void room.current?.startAudio().then(() => setAudioBlocked(false))}>
                Play audio
              </Button>
            }
          />
        ) : null}
        {human ? (
          <div className="space-y-2 rounded-lg bg-emerald-50 px-3 py-2.5 ring-1 ring-emerald-100 ring-inset">
            <p
              className="text-sm font-medium text-emerald-900"
              data-testid="test-call-human"
              data-present={human.present ? "true" : "false"}
            >
              {human.present ? `${human.name} joined the call` : `${human.name} left the call`}
            </p>
            {human.present ? <AudioLevelMeter track={human.track} label={human.name} testId="agent-audio-level" /> : null}
          </div>
        ) : null}
        <div ref={audio} hidden data-testid="agent-audio" />
        {inCall ? (
          <div className="flex flex-wrap gap-3">
            <Button
              variant="secondary"
              onClick={() => void toggleMute()}
              disabled={phase === "connecting" || micProblem !== null}
              aria-pressed={muted}
              data-testid="test-call-mute"
            >
              {muted ? <MicOffIcon className="size-4" /> : <MicIcon className="size-4" />}
              {muted ? "Unmute" : "Mute"}
            </Button>
            <Button variant="danger" onClick={() => void hangUp()} loading={hangingUp} data-testid="test-call-hang-up">
              <PhoneOffIcon className="size-4" />
              Hang up
            </Button>
          </div>
        ) : null}
      </CardBody>
    </Card>
  );
}
