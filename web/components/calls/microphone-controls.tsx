"use client";

import type { VoiceRoom } from "@/components/calls/use-voice-room";
import { Button } from "@/components/ui/button";
import { Select } from "@/components/ui/field";
import { MicIcon, MicOffIcon } from "@/components/ui/icons";

/** Mute/unmute and the microphone menu of a voice room; test ids are `${testIdPrefix}-mute` and `-device`. */
export function MicrophoneControls({
  room,
  testIdPrefix,
  disabled,
}: {
  room: Pick<VoiceRoom, "muted" | "micProblem" | "devices" | "deviceId" | "toggleMute" | "chooseDevice">;
  testIdPrefix: string;
  /** Not connected yet (or any more). */
  disabled: boolean;
}) {
  return (
    <>
      <Button
        variant="secondary"
        onClick={() => void room.toggleMute()}
        disabled={disabled || room.micProblem !== null}
        aria-pressed={room.muted}
        data-testid={`${testIdPrefix}-mute`}
      >
        {room.muted ? <MicOffIcon className="size-4" /> : <MicIcon className="size-4" />}
        {room.muted ? "Unmute" : "Mute"}
      </Button>
      {room.devices.length > 0 ? (
        <Select
          size="sm"
          aria-label="Microphone"
          value={room.deviceId ?? ""}
          onChange={(event) => void room.chooseDevice(event.target.value)}
          disabled={disabled}
          data-testid={`${testIdPrefix}-device`}
          data-device-id={room.deviceId ?? ""}
          className="max-w-56"
        >
          {room.devices.map((device) => (
            <option key={device.deviceId} value={device.deviceId}>
              {device.label}
            </option>
          ))}
        </Select>
      ) : null}
    </>
  );
}
