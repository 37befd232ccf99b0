"use client";

import { useEffect, useRef, useState } from "react";

import { useWorkspace } from "@/components/app/workspace-context";
import { AudioLevelMeter } from "@/components/calls/audio-level";
import { Transcript } from "@/components/calls/call-panels";
import { MicrophoneControls } from "@/components/calls/microphone-controls";
import { useCall } from "@/components/calls/use-call";
import type { VoiceConnection } from "@/components/calls/use-voice-room";
import { HandoffBriefing, callerName } from "@/components/console/call-context";
import { ConsoleSearch } from "@/components/console/console-search";
import { CopilotPanel } from "@/components/console/copilot-panel";
import { useAgentRoom } from "@/components/console/use-agent-room";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { BotIcon, PhoneOffIcon } from "@/components/ui/icons";
import { Skeleton } from "@/components/ui/spinner";
import { errorMessage } from "@/lib/api";
import { isLive } from "@/lib/calls";
import { CONSOLE_SPEAKER_LABEL, type ActiveCall, type ConsoleApi, type JoinTicket } from "@/lib/console";

const CONNECTION: Record<VoiceConnection, { label: string; tone: "success" | "warning" | "danger" | "neutral" | "brand" }> = {
  connecting: { label: "Connecting…", tone: "brand" },
  connected: { label: "Connected", tone: "success" },
  reconnecting: { label: "Reconnecting…", tone: "warning" },
  disconnected: { label: "Disconnected", tone: "neutral" },
  failed: { label: "Could not connect", tone: "danger" },
};

/** On the call: the room (my microphone out, the caller in), the live transcript, copilot
 * suggestions, a knowledge search, and hand back / hang up. */
export function InCallPanel({
  api,
  call,
  initialTicket,
  onFinished,
}: {
  api: ConsoleApi;
  call: ActiveCall;
  /** The ticket from Join; without one (after a reload) the panel asks POST /calls/{id}/join. */
  initialTicket: JoinTicket | null;
  onFinished: () => Promise<void>;
}) {
  const { workspace } = useWorkspace();
  const workspaceId = workspace.id;
  const callId = call.call_id;
  const [ticket, setTicket] = useState<JoinTicket | null>(initialTicket?.call_id === callId ? initialTicket : null);
  const [joinProblem, setJoinProblem] = useState<string | null>(null);
  const [pending, setPending] = useState<"hand-back" | "hang-up" | "rejoin" | null>(null);
  const [actionProblem, setActionProblem] = useState<string | null>(null);
  // The audio container apart: the rest of the room is state, read while rendering.
  const { audioContainer, ...room } = useAgentRoom(ticket);
  const { call: detail } = useCall(callId);
  const finishing = useRef(false);
  const { leave } = room;

  const haveTicket = ticket !== null;
  useEffect(() => {
    if (haveTicket) return;
    let cancelled = false;
    api.joinCall(workspaceId, callId).then(
      (fresh) => {
        if (!cancelled) setTicket(fresh);
      },
      (error: unknown) => {
        if (!cancelled) setJoinProblem(errorMessage(error));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api, workspaceId, callId, haveTicket]);

  // The caller hung up (the call ended on the server, or its room was closed): on to the wrap-up.
  const over = (detail !== null && !isLive(detail)) || room.roomClosed;
  useEffect(() => {
    if (!over || finishing.current) return;
    finishing.current = true;
    void leave().then(onFinished);
  }, [over, leave, onFinished]);

  async function finish(which: "hand-back" | "hang-up") {
    setPending(which);
    setActionProblem(null);
    finishing.current = true;
    try {
      // The server learns first, then the room: the AI reads the hand back when I leave.
      if (which === "hand-back") await api.handBack(workspaceId, callId);
      else await api.endCall(workspaceId, callId);
      await leave();
      await onFinished();
    } catch (error) {
      finishing.current = false;
      setActionProblem(errorMessage(error));
      setPending(null);
    }
  }

  async function rejoin() {
    setPending("rejoin");
    setActionProblem(null);
    try {
      setTicket(await api.joinCall(workspaceId, callId));
    } catch (error) {
      setActionProblem(errorMessage(error));
    } finally {
      setPending(null);
    }
  }

  const connection = CONNECTION[room.connection];
  const context = detail
    ? {
        ...call,
        intent: detail.intent,
        topic: detail.topic,
        sentiment_label: detail.sentiment_label,
        sentiment_score: detail.sentiment_score,
        sentiment_trend: detail.sentiment_trend,
      }
    : call;
  const canAct = pending === null && room.connection !== "connecting";

  return (
    <div className="space-y-6" data-testid="in-call" data-call-id={callId} data-connection={room.connection}>
      <Card>
        <CardHeader
          title={
            <span className="flex flex-wrap items-center gap-3">
              {callerName(call)}
              <span data-testid="call-connection" data-state={room.connection}>
                <Badge tone={connection.tone}>{connection.label}</Badge>
              </span>
            </span>
          }
          description="You are talking with the caller. The AI stays silent and listens."
        />
        <CardBody className="space-y-4">
          <AudioLevelMeter track={room.callerTrack} label="Caller" testId="caller-audio-level" />
          {joinProblem ? (
            <Alert tone="error" title="We couldn't join the call" testId="call-join-problem">
              {joinProblem}
            </Alert>
          ) : null}
          {room.micProblem ? (
            <Alert tone="error" title="Microphone unavailable" testId="call-mic-error">
              {room.micProblem}
            </Alert>
          ) : null}
          {room.problem ? (
            <Alert
              tone={room.connection === "disconnected" ? "warning" : "error"}
              testId="call-problem"
              action={
                room.connection === "disconnected" || room.connection === "failed" ? (
                  <Button size="sm" variant="secondary" onClick={() => void rejoin()} loading={pending === "rejoin"} data-testid="call-rejoin">
                    Rejoin
                  </Button>
                ) : null
              }
            >
              {room.problem}
            </Alert>
          ) : null}
          {room.connection === "reconnecting" ? (
            <Alert tone="warning" testId="call-reconnecting">
              Your connection dropped; reconnecting. The caller stays on the line.
            </Alert>
          ) : null}
          {room.audioBlocked ? (
            <Alert
              tone="info"
              title="The browser is holding back the caller's voice"
              action={
                <Button size="sm" variant="secondary" onClick={() => void room.startAudio()}>
                  Play audio
                </Button>
              }
            />
          ) : null}
          {actionProblem ? (
            <Alert tone="error" testId="call-action-problem">
              {actionProblem}
            </Alert>
          ) : null}
          <div className="flex flex-wrap items-center gap-3">
            <MicrophoneControls room={room} testIdPrefix="call" disabled={room.connection !== "connected"} />
            <span className="flex-1" />
            <Button variant="secondary" onClick={() => void finish("hand-back")} loading={pending === "hand-back"} disabled={!canAct} data-testid="call-hand-back">
              <BotIcon className="size-4" />
              Hand back to AI
            </Button>
            <Button variant="danger" onClick={() => void finish("hang-up")} loading={pending === "hang-up"} disabled={!canAct} data-testid="call-hang-up">
              <PhoneOffIcon className="size-4" />
              Hang up
            </Button>
          </div>
          <div ref={audioContainer} hidden data-testid="call-audio" />
        </CardBody>
      </Card>
      <div className="grid gap-6 lg:grid-cols-[1fr_380px]">
        <div className="min-w-0 space-y-6">
          {detail ? <Transcript call={detail} speakers={CONSOLE_SPEAKER_LABEL} title="Live transcript" /> : <Skeleton className="h-72" />}
          <Card>
            <CardHeader title="About this call" />
            <CardBody className="space-y-5">
              <HandoffBriefing context={context} knowledgeTestId="call-knowledge" />
            </CardBody>
          </Card>
        </div>
        <aside className="space-y-6">
          <CopilotPanel callId={callId} initial={call.suggestions} />
          <ConsoleSearch />
        </aside>
      </div>
    </div>
  );
}
