"use client";

import Link from "next/link";
import type { ReactNode } from "react";

import { PageHeader } from "@/components/app/workspace-main";
import { useWorkspace } from "@/components/app/workspace-context";
import { TestCallButton } from "@/components/calls/test-call-button";
import { KnowledgeCard } from "@/components/knowledge/knowledge-card";
import { useKnowledgeSources } from "@/components/knowledge/use-knowledge-sources";
import { Badge } from "@/components/ui/badge";
import { ButtonLink } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { ArrowRightIcon, BotIcon, CheckIcon, PhoneIcon, UserPlusIcon, UsersIcon } from "@/components/ui/icons";
import { formatDate, plural, roleName } from "@/lib/format";

export function WorkspaceHome() {
  const { workspace, business } = useWorkspace();
  const base = `/w/${workspace.id}`;
  const alone = workspace.member_count <= 1;
  const knowledge = useKnowledgeSources("home");
  const hasKnowledge = (knowledge.sources ?? []).length > 0;

  return (
    <div data-testid="workspace-home">
      <PageHeader
        title={workspace.name}
        description={
          <span className="flex flex-wrap items-center gap-x-2 gap-y-1">
            <span>{workspace.business_name}</span>
            <span aria-hidden="true">·</span>
            <span>{plural(workspace.member_count, "member")}</span>
            <span aria-hidden="true">·</span>
            <Badge tone={workspace.can_manage ? "brand" : "neutral"}>
              {roleName(workspace.role ?? (business?.role === "owner" ? "owner" : null), workspace.can_manage)}
            </Badge>
          </span>
        }
        actions={
          <>
            {workspace.can_manage ? (
              <ButtonLink href={`${base}/members`} variant={alone ? "primary" : "secondary"}>
                <UserPlusIcon className="size-4" />
                Invite people
              </ButtonLink>
            ) : null}
            <TestCallButton variant={workspace.can_manage && alone ? "secondary" : "primary"} />
          </>
        }
      />

      <div className="grid gap-6 lg:grid-cols-[1fr_320px]">
        <div className="space-y-6">
          <Card>
            {workspace.can_manage && alone ? (
              <EmptyState
                icon={<UsersIcon className="size-5" />}
                title="Invite your team"
                description={`Human agents take over calls when the AI can't help. Invite the people who work in ${workspace.name}; they'll get an email with a link to join.`}
                action={
                  <ButtonLink href={`${base}/members`} data-testid="invite-team-cta">
                    Invite your team
                    <ArrowRightIcon className="size-4" />
                  </ButtonLink>
                }
                testId="home-next-step"
              />
            ) : workspace.can_manage ? (
              <EmptyState
                icon={<UsersIcon className="size-5" />}
                title={`Your team: ${plural(workspace.member_count, "member")}`}
                description="Add more people, change who is an admin, or see pending invitations."
                action={
                  <ButtonLink href={`${base}/members`} variant="secondary" data-testid="invite-team-cta">
                    Manage members
                    <ArrowRightIcon className="size-4" />
                  </ButtonLink>
                }
                testId="home-next-step"
              />
            ) : (
              <EmptyState
                icon={<PhoneIcon className="size-5" />}
                title={`You're on the ${workspace.name} team`}
                description="When the AI agent hands a call over to a person, it will show up here with the caller's context. Nothing to do yet."
                testId="home-next-step"
              />
            )}
          </Card>

          <KnowledgeCard knowledge={knowledge} />

          <section aria-labelledby="voice-heading">
            <div className="mb-3 flex items-center gap-2">
              <h2 id="voice-heading" className="text-sm font-semibold text-slate-900">
                Voice
              </h2>
              <span className="text-sm text-slate-500">who answers this workspace&apos;s calls</span>
            </div>
            <div className="grid gap-4 md:grid-cols-2" data-testid="coming-next">
              <Link
                href={`${base}/agent`}
                className="group rounded-xl bg-white p-4 shadow-card ring-1 ring-slate-200/80 hover:ring-brand-300"
                data-testid="home-agent"
              >
                <div className="flex items-center justify-between gap-2">
                  <span className="flex size-8 items-center justify-center rounded-lg bg-brand-50 text-brand-600">
                    <BotIcon className="size-4" />
                  </span>
                  <ArrowRightIcon className="size-4 text-slate-400 group-hover:text-brand-600" />
                </div>
                <h3 className="mt-3 text-sm font-semibold text-slate-800">AI agent</h3>
                <p className="mt-1 text-[13px] leading-relaxed text-slate-500">
                  {workspace.can_manage
                    ? "Its name, greeting, instructions, voice, and when it hands a call to your team."
                    : "See how the agent is set up, and try it with a test call."}
                </p>
              </Link>
              <ComingNext
                icon={<PhoneIcon className="size-4" />}
                title="Phone number"
                text="A number your callers dial to reach this workspace's AI agent, with live transcripts."
              />
            </div>
          </section>
        </div>

        <aside className="space-y-6">
          {workspace.can_manage ? (
            <Card>
              <CardHeader title="Getting started" />
              <CardBody className="py-4">
                <ol className="space-y-3.5 text-sm">
                  <Step done title="Create the workspace" />
                  <Step done={!alone} title="Invite your team" href={`${base}/members`} />
                  <Step done={hasKnowledge} title="Add knowledge" href={`${base}/knowledge`} />
                  <Step title="Set up the AI agent" href={`${base}/agent`} />
                  <Step title="Try it with a test call" href={`${base}/calls`} />
                  <Step title="Get a phone number" soon />
                </ol>
              </CardBody>
            </Card>
          ) : null}
          <Card>
            <CardHeader title="About this workspace" />
            <CardBody className="py-4">
              <dl className="space-y-3 text-sm">
                <Row label="Business" value={workspace.business_name} />
                <Row label="Members" value={String(workspace.member_count)} />
                <Row label="Created" value={formatDate(workspace.created_at)} />
              </dl>
            </CardBody>
          </Card>
        </aside>
      </div>
    </div>
  );
}

function ComingNext({ icon, title, text }: { icon: ReactNode; title: string; text: string }) {
  return (
    <div
      className="rounded-xl border border-dashed border-slate-300 bg-white/60 p-4"
      aria-label={`${title}: coming next`}
      role="group"
    >
      <div className="flex items-center justify-between gap-2">
        <span className="flex size-8 items-center justify-center rounded-lg bg-slate-100 text-slate-500">{icon}</span>
        <Badge tone="neutral">Coming next</Badge>
      </div>
      <h3 className="mt-3 text-sm font-semibold text-slate-800">{title}</h3>
      <p className="mt-1 text-[13px] leading-relaxed text-slate-500">{text}</p>
    </div>
  );
}

function Step({ title, done = false, soon = false, href }: { title: string; done?: boolean; soon?: boolean; href?: string }) {
  return (
    <li className="flex items-center gap-3">
      <span
        className={
          done
            ? "flex size-5 items-center justify-center rounded-full bg-emerald-500 text-white"
            : "flex size-5 items-center justify-center rounded-full ring-1 ring-slate-300 ring-inset"
        }
      >
        {done ? <CheckIcon className="size-3" strokeWidth={3} /> : null}
        <span className="sr-only">{done ? "Done" : "Not done"}</span>
      </span>
      {href && !done ? (
        <Link href={href} className="font-medium text-brand-700 hover:text-brand-800">
          {title}
        </Link>
      ) : (
        <span className={done ? "text-slate-500 line-through decoration-slate-300" : "text-slate-700"}>{title}</span>
      )}
      {soon ? <span className="ml-auto text-xs whitespace-nowrap text-slate-400">Coming next</span> : null}
    </li>
  );
}

function Row({ label, value }: { label: string; value: string }) {
  return (
    <div className="flex justify-between gap-4">
      <dt className="text-slate-500">{label}</dt>
      <dd className="truncate text-right font-medium text-slate-800">{value}</dd>
    </div>
  );
}
