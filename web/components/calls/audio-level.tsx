"use client";

import { useEffect, useState } from "react";

import { cn } from "@/lib/cn";

const SAMPLE_EVERY_MS = 100;

/** The RMS (0..1) of a received audio track, measured with a WebAudio AnalyserNode about ten
 * times a second: proof that the other side's voice actually arrives, not just that a track exists. */
export function useAudioLevel(track: MediaStreamTrack | null): number {
  const [measured, setMeasured] = useState<{ track: MediaStreamTrack | null; level: number }>({ track: null, level: 0 });

  useEffect(() => {
    if (!track) return;
    const context = new AudioContext();
    const source = context.createMediaStreamSource(new MediaStream([track]));
    const analyser = context.createAnalyser();
    analyser.fftSize = 2048;
    source.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    // A context created without a user gesture may start suspended.
    void context.resume().catch(() => undefined);
    const interval = window.setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const sample of samples) sum += sample * sample;
      setMeasured({ track, level: Math.min(1, Math.sqrt(sum / samples.length)) });
    }, SAMPLE_EVERY_MS);
    return () => {
      window.clearInterval(interval);
      source.disconnect();
      void context.close().catch(() => undefined);
    };
  }, [track]);

  return track && measured.track === track ? measured.level : 0;
}

/** A small bar for the level of one received voice; `data-level` carries the RMS for tests and tools. */
export function AudioLevelMeter({
  track,
  label,
  testId,
  className,
}: {
  track: MediaStreamTrack | null;
  label: string;
  testId: string;
  className?: string;
}) {
  const level = useAudioLevel(track);
  // Speech RMS rarely goes above 0.25: scale so that normal speech fills most of the bar.
  const shown = Math.min(1, level * 4);
  return (
    <div className={cn("flex items-center gap-2", className)}>
      <span className="w-24 shrink-0 text-xs text-slate-500">{label}</span>
      <div
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={1}
        aria-valuenow={Number(level.toFixed(3))}
        data-testid={testId}
        data-level={level.toFixed(4)}
        data-receiving={track ? "true" : "false"}
        className="h-2 flex-1 overflow-hidden rounded-full bg-slate-100"
      >
        <div
          className={cn("h-full rounded-full transition-[width] duration-100", shown > 0.05 ? "bg-emerald-500" : "bg-slate-300")}
          style={{ width: `${Math.round(shown * 100)}%` }}
        />
      </div>
    </div>
  );
}
