"use client";

import { useEffect, useState } from "react";

import { HandoffBriefing, TranscriptSoFar, callerName, waitedFor } from "@/components/console/call-context";
import { useNow } from "@/components/knowledge/use-knowledge-sources";
import { Button } from "@/components/ui/button";
import { Card, CardBody } from "@/components/ui/card";
import { PhoneIcon, PhoneOffIcon } from "@/components/ui/icons";
import { secondsLeft, type OfferCard as Offer } from "@/lib/console";

const BEEP_EVERY_MS = 2000;

/** A soft two-tone ring made with WebAudio (nothing to download), every two seconds while mounted. */
function useRingTone(): void {
  useEffect(() => {
    let context: AudioContext | null = null;
    try {
      context = new AudioContext();
    } catch {
      return;
    }
    const ring = () => {
      if (!context || context.state !== "running") {
        void context?.resume().catch(() => undefined);
        return;
      }
      const start = context.currentTime;
      for (const [offset, frequency] of [
        [0, 660],
        [0.18, 880],
      ] as const) {
        const oscillator = context.createOscillator();
        const gain = context.createGain();
        oscillator.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, start + offset);
        gain.gain.exponentialRampToValueAtTime(0.08, start + offset + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.16);
        oscillator.connect(gain).connect(context.destination);
        oscillator.start(start + offset);
        oscillator.stop(start + offset + 0.17);
      }
    };
    ring();
    const interval = window.setInterval(ring, BEEP_EVERY_MS);
    return () => {
      window.clearInterval(interval);
      void context?.close().catch(() => undefined);
    };
  }, []);
}

/** A call offered to me: who, why, what the AI knows so far, a ring countdown, Join and Decline. */
export function OfferCard({
  offer,
  onJoin,
  onDecline,
}: {
  offer: Offer;
  onJoin: () => Promise<void>;
  onDecline: () => Promise<void>;
}) {
  const now = useNow(250);
  const [pending, setPending] = useState<"join" | "decline" | null>(null);
  useRingTone();
  // Join connects at once: have the LiveKit client loaded while the offer rings.
  useEffect(() => {
    void import("livekit-client");
  }, []);
  const left = secondsLeft(offer.expires_at, now);
  const waited = waitedFor(offer, now);
  const share = offer.ring_timeout_seconds > 0 ? Math.min(1, left / offer.ring_timeout_seconds) : 0;

  async function act(which: "join" | "decline") {
    setPending(which);
    try {
      await (which === "join" ? onJoin() : onDecline());
    } finally {
      setPending(null);
    }
  }

  return (
    <Card
      className="overflow-hidden ring-2 ring-brand-400"
      data-testid="offer-card"
      data-offer-id={offer.offer_id}
      data-call-id={offer.call_id}
      role="alertdialog"
      aria-labelledby="offer-title"
    >
      <div className="h-1 bg-brand-100" aria-hidden="true">
        <div className="h-full bg-brand-500 transition-[width] duration-200" style={{ width: `${Math.round(share * 100)}%` }} />
      </div>
      <div className="flex flex-wrap items-center justify-between gap-4 border-b border-slate-100 px-5 py-4 sm:px-6">
        <div className="min-w-0">
          <p className="text-xs font-semibold tracking-wide text-brand-700 uppercase">Incoming call for you</p>
          <h2 id="offer-title" className="mt-0.5 text-lg font-semibold text-slate-900" data-testid="offer-caller">
            {callerName(offer)}
          </h2>
          <p className="text-sm text-slate-500">
            {offer.caller_name && offer.caller_number ? `${offer.caller_number} · ` : ""}
            {waited ? (
              <>
                waiting <span data-testid="offer-waiting" className="tabular-nums">{waited}</span>
              </>
            ) : (
              "just now"
            )}
          </p>
        </div>
        <div className="flex items-center gap-3">
          <span className="text-sm text-slate-500 tabular-nums" data-testid="offer-countdown" data-seconds={left}>
            {left} s
          </span>
          <Button variant="secondary" onClick={() => void act("decline")} loading={pending === "decline"} disabled={pending !== null} data-testid="offer-decline">
            <PhoneOffIcon className="size-4" />
            Decline
          </Button>
          <Button onClick={() => void act("join")} loading={pending === "join"} disabled={pending !== null} data-testid="offer-join">
            <PhoneIcon className="size-4" />
            Join
          </Button>
        </div>
      </div>
      <CardBody className="grid gap-6 md:grid-cols-2">
        <div className="space-y-5">
          <HandoffBriefing context={offer} knowledgeTestId="offer-knowledge" />
        </div>
        <section className="space-y-2">
          <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">Conversation so far</h3>
          <TranscriptSoFar context={offer} />
        </section>
      </CardBody>
    </Card>
  );
}
