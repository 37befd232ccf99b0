"use client";

import { useEffect } from "react";

import { AuthShell } from "@/components/app/auth-shell";
import { Button, ButtonLink } from "@/components/ui/button";

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <AuthShell title="Something went wrong" subtitle="An unexpected error stopped this page from loading.">
      <div className="space-y-3">
        <Button size="lg" className="w-full" onClick={reset}>
          Try again
        </Button>
        <ButtonLink href="/" size="lg" variant="secondary" className="w-full">
          Go to the app
        </ButtonLink>
      </div>
    </AuthShell>
  );
}
