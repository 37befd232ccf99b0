"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { errorMessage } from "@/lib/api";
import { rememberWorkspace } from "@/lib/last-workspace";
import { useApi } from "@/lib/use-api";

export function AcceptInvitation({ token, workspaceName }: { token: string; workspaceName: string }) {
  const api = useApi();
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function accept() {
    setPending(true);
    setError(null);
    try {
      const { workspace_id } = await api.acceptInvitation(token);
      rememberWorkspace(workspace_id);
      router.replace(`/w/${workspace_id}`);
      router.refresh();
    } catch (caught) {
      setError(errorMessage(caught));
      setPending(false);
    }
  }

  return (
    <div className="space-y-4" data-testid="invite-accept">
      {error ? <Alert tone="error">{error}</Alert> : null}
      <Button size="lg" className="w-full" loading={pending} onClick={accept} data-testid="invite-accept-button">
        Accept and join {workspaceName}
      </Button>
    </div>
  );
}
