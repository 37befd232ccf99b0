import type { ReactNode } from "react";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

/** A load that failed, with a button to try it again. */
export function RetryAlert({
  children,
  onRetry,
  className,
}: {
  children: ReactNode;
  onRetry: () => Promise<unknown> | void;
  className?: string;
}) {
  return (
    <Alert
      tone="error"
      className={className}
      action={
        <Button size="sm" variant="secondary" onClick={() => void onRetry()}>
          Try again
        </Button>
      }
    >
      {children}
    </Alert>
  );
}
