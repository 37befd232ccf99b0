import { Suspense } from "react";

import { CallsView } from "@/app/w/[workspaceId]/calls/calls-view";

export const metadata = { title: "Calls" };

export default function CallsPage() {
  // The view reads its filters from the query string (useSearchParams needs a Suspense boundary).
  return (
    <Suspense>
      <CallsView />
    </Suspense>
  );
}
