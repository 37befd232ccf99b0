"use client";

import { useEffect, useRef, useState } from "react";

import { useWorkspace } from "@/components/app/workspace-context";
import { AudioLevelMeter } from "@/components/calls/audio-level";
import { MicrophoneControls } from "@/components/calls/microphone-controls";
import { useVoiceRoom, type RemoteVoice, type VoiceRoom } from "@/components/calls/use-voice-room";
import type { MicrophoneRemedy } from "@/components/calls/voice-room";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { PhoneOffIcon } from "@/components/ui/icons";
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

/** Where the call stands for the caller: the AI leaving (it hangs up) ends the call, anyone in the room is talking. */
function phaseOf(room: Pick<VoiceRoom, "connection" | "voices">, hungUp: boolean): Phase {
  if (hungUp) return "ended";
  if (room.connection === "connecting") return "connecting";
  if (room.connection === "failed") return "failed";
  if (room.connection === "disconnected") return "ended";
  const agentWasHere = room.voices.some((voice) => voice.isAgent);
  const agentIsHere = room.voices.some((voice) => voice.isAgent && voice.present);
  if (agentWasHere && !agentIsHere) return "ended";
  return room.voices.some((voice) => voice.present) ? "talking" : "waiting";
}

/** A person from the team who joined the call (a handoff), the latest one. */
function humanAgent(voices: RemoteVoice[]): RemoteVoice | null {
  return voices.findLast((voice) => isHumanIdentity(voice.identity)) ?? null;
}

/** Joins the test call's LiveKit room: the microphone goes out, every voice in the room (the AI,
 * and a person from the team after a handoff) plays in its own <audio> element; mute, microphone
 * choice and hang up. Leaving the page hangs up too. */
export function TestCallControls({ placed, onEnded }: { placed: PlacedTestCall; onEnded?: () => void }) {
  const { api, workspace } = useWorkspace();
  // The audio container apart: the rest of the room is state, read while rendering.
  const { audioContainer, ...room } = useVoiceRoom(placed, MICROPHONE_REMEDY);
  const [hangUpProblem, setHangUpProblem] = useState<string | null>(null);
  const [hangingUp, setHangingUp] = useState(false);
  const [hungUp, setHungUp] = useState(false);
  const ended = useRef(false);
  const workspaceId = workspace.id;
  const { leave } = room;

  // Leaving the page hangs up (unless the person already did).
  useEffect(
    () =>
      holdTestCall(placed.call_id, () => {
        if (ended.current) return;
        ended.current = true;
        forgetTestCall(placed.call_id);
        void api.endTestCall(workspaceId, placed.call_id).catch(() => undefined);
      }),
    [api, workspaceId, placed],
  );

  async function hangUp() {
    setHangingUp(true);
    ended.current = true;
    forgetTestCall(placed.call_id);
    try {
      await api.endTestCall(workspaceId, placed.call_id);
    } catch (error) {
      setHangUpProblem(`The call may still be open on the server: ${errorMessage(error)}`);
    } finally {
      await leave();
      setHungUp(true);
      setHangingUp(false);
      onEnded?.();
    }
  }

  const phase = phaseOf(room, hungUp);
  const problem = hangUpProblem ?? room.problem;
  const human = humanAgent(room.voices);
  const humanName = human?.name ?? "A colleague";
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
        {room.micProblem ? (
          <Alert tone="error" title="Microphone unavailable" testId="test-call-mic-error">
            {room.micProblem}
          </Alert>
        ) : null}
        {problem ? (
          <Alert tone="error" testId="test-call-problem">
            {problem}
          </Alert>
        ) : null}
        {room.connection === "reconnecting" && inCall ? (
          <Alert tone="warning" testId="test-call-reconnecting">
            Your connection dropped; reconnecting.
          </Alert>
        ) : null}
        {room.audioBlocked && inCall ? (
          <Alert
            tone="info"
            title="The browser is holding back the agent's voice"
            action={
              <Button size="sm" variant="secondary" onClick={() => void room.startAudio()}>
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
              {human.present ? `${humanName} joined the call` : `${humanName} left the call`}
            </p>
            {human.present ? <AudioLevelMeter track={human.track} label={humanName} testId="agent-audio-level" /> : null}
          </div>
        ) : null}
        <div ref={audioContainer} hidden data-testid="agent-audio" />
        {inCall ? (
          <div className="flex flex-wrap gap-3">
            <MicrophoneControls room={room} testIdPrefix="test-call" disabled={phase === "connecting"} />
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
