"use client";

import { PageHeader } from "@/components/app/workspace-main";
import { useWorkspace } from "@/components/app/workspace-context";
import { InCallPanel } from "@/components/console/in-call-panel";
import { OfferCard } from "@/components/console/offer-card";
import { PresenceControl } from "@/components/console/presence-control";
import { useConsole, type Console } from "@/components/console/use-console";
import { WrapUpForm } from "@/components/console/wrap-up-form";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { PhoneIcon } from "@/components/ui/icons";
import { Skeleton } from "@/components/ui/spinner";

export function ConsoleView() {
  const { me } = useWorkspace();
  if (!me) {
    return (
      <div aria-busy="true" className="space-y-6">
        <Skeleton className="h-10 w-64" />
        <Skeleton className="h-48" />
      </div>
    );
  }
  return <AgentConsole userId={me.user.id} />;
}

/** The agent console: my presence, the offer ringing for me, the call I am on, and its wrap-up. */
function AgentConsole({ userId }: { userId: string }) {
  const console = useConsole(userId);
  const { state, error, notice } = console;

  let body;
  if (!state) {
    body = error ? (
      <Alert
        tone="error"
        action={
          <Button size="sm" variant="secondary" onClick={() => void console.reload()}>
            Try again
          </Button>
        }
      >
        {error.message}
      </Alert>
    ) : (
      <Skeleton className="h-64" />
    );
  } else if (state.call && !state.call.wrap_up_due) {
    body = <InCallPanel key={state.call.call_id} api={console.api} call={state.call} initialTicket={console.ticket} onFinished={console.reload} />;
  } else if (state.call) {
    body = <WrapUpForm key={state.call.call_id} api={console.api} call={state.call} onDone={console.reload} />;
  } else if (state.offer) {
    const offer = state.offer;
    body = (
      <OfferCard
        key={offer.offer_id}
        offer={offer}
        onJoin={async () => {
          await console.accept(offer.offer_id);
        }}
        onDecline={() => console.decline(offer.offer_id)}
      />
    );
  } else {
    body = <Idle console={console} />;
  }

  return (
    <div data-testid="console-page" data-realtime={console.realtime}>
      <PageHeader
        title="Console"
        description="Calls the AI hands to a person ring here."
        actions={state ? <PresenceControl presence={state.presence} onChoose={console.choosePresence} /> : null}
      />
      <div className="space-y-6">
        {notice ? (
          <Alert
            tone={notice.tone}
            testId="console-notice"
            action={
              <Button size="sm" variant="ghost" onClick={console.dismissNotice}>
                Dismiss
              </Button>
            }
          >
            {notice.text}
          </Alert>
        ) : null}
        {error && state ? <Alert tone="error">{error.message}</Alert> : null}
        {body}
      </div>
    </div>
  );
}

function Idle({ console }: { console: Console }) {
  const status = console.state?.presence.status;
  const available = status === "available";
  return (
    <Card>
      <EmptyState
        icon={<PhoneIcon className="size-5" />}
        title={available ? "Waiting for calls" : "You won't get calls"}
        description={
          available
            ? "When the AI hands a caller to a person, the call rings here with everything the AI learned."
            : "Set yourself Available to take calls the AI hands to a person."
        }
        action={
          available ? null : (
            <Button onClick={() => void console.choosePresence("available")} data-testid="console-go-available">
              Become available
            </Button>
          )
        }
        testId={available ? "console-waiting" : "console-unavailable"}
      />
    </Card>
  );
}
