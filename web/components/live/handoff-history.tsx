import { Badge } from "@/components/ui/badge";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import type { CallDetail, CallOffer } from "@/lib/api";
import { HANDOFF_REASON_LABEL, formatDuration } from "@/lib/calls";
import { DISPOSITION_LABEL } from "@/lib/console";
import {
  DISPOSITION_TONE,
  HANDOFF_STATUS_LABEL,
  HANDOFF_STATUS_TONE,
  OFFER_STATUS_LABEL,
  OFFER_STATUS_TONE,
  formatClock,
  secondsBetween,
} from "@/lib/live";

function offerOutcome(offer: CallOffer): string {
  const after = secondsBetween(offer.offered_at, offer.responded_at);
  if (offer.status === "ringing") return `rings until ${formatClock(offer.expires_at)}`;
  if (offer.status === "expired") return `after ${formatDuration(secondsBetween(offer.offered_at, offer.expires_at))}`;
  return after !== null ? `after ${formatDuration(after)}` : "";
}

/** The handoff of a call: why, who was offered it and what they did, who took it and for how long. */
export function HandoffHistory({ call }: { call: CallDetail }) {
  if (!call.handoff_requested_at && !call.handoff_status && call.offers.length === 0) return null;
  const inCall = secondsBetween(call.human_joined_at, call.human_left_at ?? call.ended_at);
  return (
    <Card data-testid="handoff-history" data-handoff-status={call.handoff_status ?? ""}>
      <CardHeader
        title="Handoff to a person"
        action={
          call.handoff_status ? (
            <span data-testid="handoff-status">
              <Badge tone={HANDOFF_STATUS_TONE[call.handoff_status]}>{HANDOFF_STATUS_LABEL[call.handoff_status]}</Badge>
            </span>
          ) : null
        }
      />
      <CardBody className="space-y-4 text-sm">
        <dl className="grid gap-3">
          {call.handoff_reason ? (
            <div>
              <dt className="text-slate-500">Why</dt>
              <dd className="font-medium text-slate-900" data-testid="handoff-reason">
                {HANDOFF_REASON_LABEL[call.handoff_reason]}
                {call.handoff_requested_at ? (
                  <span className="font-normal text-slate-500"> · {formatClock(call.handoff_requested_at)}</span>
                ) : null}
              </dd>
            </div>
          ) : null}
          {call.human_name ? (
            <div>
              <dt className="text-slate-500">Taken by</dt>
              <dd className="font-medium text-slate-900" data-testid="handoff-human">
                {call.human_name}
              </dd>
              <dd className="text-[13px] text-slate-600" data-testid="handoff-times">
                {call.human_joined_at ? `Joined ${formatClock(call.human_joined_at)}` : null}
                {call.human_left_at ? ` · left ${formatClock(call.human_left_at)}` : null}
                {inCall !== null ? ` · ${formatDuration(inCall)} with the caller` : null}
              </dd>
            </div>
          ) : null}
        </dl>
        {call.offers.length > 0 ? (
          <div>
            <p className="mb-2 text-slate-500">Offers</p>
            <ol className="space-y-2 border-l-2 border-slate-100 pl-3" data-testid="offer-timeline">
              {call.offers.map((offer) => (
                <li key={offer.id} className="text-[13px]" data-testid="offer-event" data-status={offer.status}>
                  <p className="flex flex-wrap items-center gap-1.5">
                    <span className="text-slate-500 tabular-nums">{formatClock(offer.offered_at)}</span>
                    <span className="text-slate-800">
                      Offered to{" "}
                      <span className="font-medium" data-testid="offer-agent">
                        {offer.name ?? offer.email ?? "an agent"}
                      </span>
                    </span>
                  </p>
                  <p className="mt-0.5 flex flex-wrap items-center gap-1.5">
                    <Badge tone={OFFER_STATUS_TONE[offer.status]}>{OFFER_STATUS_LABEL[offer.status]}</Badge>
                    <span className="text-slate-500">{offerOutcome(offer)}</span>
                  </p>
                </li>
              ))}
            </ol>
          </div>
        ) : null}
      </CardBody>
    </Card>
  );
}

/** What the person who took the call wrote when they finished it. */
export function WrapUpCard({ call }: { call: CallDetail }) {
  if (!call.disposition && !call.wrap_up_notes) return null;
  return (
    <Card data-testid="wrap-up" data-disposition={call.disposition ?? ""}>
      <CardHeader
        title="Wrap-up"
        description={
          call.wrapped_up_at
            ? `${call.wrapped_up_by_name ? `By ${call.wrapped_up_by_name}, ` : ""}${formatClock(call.wrapped_up_at)}`
            : undefined
        }
        action={
          call.disposition ? (
            <span data-testid="wrap-up-disposition">
              <Badge tone={DISPOSITION_TONE[call.disposition]}>{DISPOSITION_LABEL[call.disposition]}</Badge>
            </span>
          ) : null
        }
      />
      <CardBody>
        {call.wrap_up_notes ? (
          <p className="text-sm leading-relaxed whitespace-pre-line text-slate-700" data-testid="wrap-up-notes">
            {call.wrap_up_notes}
          </p>
        ) : (
          <p className="text-sm text-slate-500">No notes.</p>
        )}
      </CardBody>
    </Card>
  );
}
