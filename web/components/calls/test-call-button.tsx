"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import { useWorkspace } from "@/components/app/workspace-context";
import { Button } from "@/components/ui/button";
import { PhoneIcon } from "@/components/ui/icons";
import { errorMessage } from "@/lib/api";
import { rememberTestCall } from "@/lib/test-call-store";

/** Places a browser test call to this workspace's agent and opens its call page, which joins the room. */
export function TestCallButton({ variant = "primary" }: { variant?: "primary" | "secondary" }) {
  const { api, workspace } = useWorkspace();
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function place() {
    setPending(true);
    setError(null);
    try {
      const call = await api.placeTestCall(workspace.id);
      rememberTestCall(call);
      router.push(`/w/${workspace.id}/calls/${call.call_id}`);
    } catch (caught) {
      setError(errorMessage(caught));
      setPending(false);
    }
  }

  return (
    <div className="flex flex-col items-end gap-1">
      <Button variant={variant} onClick={() => void place()} loading={pending} data-testid="test-call-button">
        <PhoneIcon className="size-4" />
        Test call
      </Button>
      {error ? (
        <p role="alert" className="max-w-xs text-right text-[13px] text-red-600" data-testid="test-call-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
