import { redirect } from "next/navigation";

import { OnboardingForm } from "@/app/onboarding/onboarding-form";
import { LogoutButton } from "@/components/app/logout-button";
import { Alert } from "@/components/ui/alert";
import { ButtonLink } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Logo, UsersIcon } from "@/components/ui/icons";
import { createApi, errorMessage, type Me } from "@/lib/api";
import { APP_NAME } from "@/lib/brand";
import { readRuntimeConfig } from "@/lib/runtime-config";
import { getSessionUser } from "@/lib/supabase/server";

export const metadata = { title: "Set up your business" };

export default async function OnboardingPage() {
  const user = await getSessionUser();
  if (!user) redirect("/login?next=/onboarding");

  let me: Me | null = null;
  let failure: string | null = null;
  try {
    me = await createApi(readRuntimeConfig().apiUrl, user.accessToken).me();
  } catch (error) {
    failure = errorMessage(error);
  }
  if (me && me.workspaces.length > 0) redirect("/");

  const managed = me?.businesses.find((business) => business.role === "owner" || business.role === "admin") ?? null;
  const agentOnly = me !== null && me.businesses.length > 0 && managed === null;
  const firstName = (me?.user.full_name ?? "").trim().split(/\s+/)[0];

  return (
    <div className="min-h-dvh bg-slate-50">
      <header className="border-b border-slate-200/80 bg-white">
        <div className="mx-auto flex h-14 max-w-5xl items-center justify-between px-4 sm:px-6">
          <span className="inline-flex items-center gap-2.5 text-[15px] font-semibold">
            <Logo className="size-7" />
            {APP_NAME}
          </span>
          <div className="flex items-center gap-3 text-sm text-slate-500">
            <span className="hidden sm:inline" data-testid="current-user-email">
              {user.email}
            </span>
            <LogoutButton variant="ghost" size="sm" />
          </div>
        </div>
      </header>
      <main className="mx-auto grid max-w-5xl gap-10 px-4 py-10 sm:px-6 md:grid-cols-[1fr_440px] md:py-16">
        <section className="md:pt-4">
          <p className="text-sm font-medium text-brand-700">Welcome{firstName ? `, ${firstName}` : ""}</p>
          <h1 className="mt-2 text-3xl font-semibold tracking-tight text-slate-900">
            {agentOnly ? "You're almost in" : managed ? "Create a workspace" : "Set up your business"}
          </h1>
          <p className="mt-3 max-w-md text-[15px] leading-relaxed text-slate-600">
            Each department of your business gets its own <strong className="font-medium text-slate-800">workspace</strong>
            : its own AI agent, phone number, knowledge base and team. Nothing in one workspace is visible from another.
          </p>
          <ol className="mt-8 space-y-4 text-sm">
            {[
              ["Name your business", "The company your callers know."],
              ["Create a first workspace", "For example Support, Billing or Sales."],
              ["Invite your team", "Human agents who take over calls from the AI."],
            ].map(([title, text], index) => (
              <li key={title} className="flex gap-3">
                <span className="flex size-6 shrink-0 items-center justify-center rounded-full bg-white text-xs font-semibold text-brand-700 ring-1 ring-brand-200">
                  {index + 1}
                </span>
                <span>
                  <span className="block font-medium text-slate-800">{title}</span>
                  <span className="text-slate-500">{text}</span>
                </span>
              </li>
            ))}
          </ol>
        </section>
        <section className="rounded-2xl bg-white p-6 shadow-card ring-1 ring-slate-200/80 sm:p-8">
          {failure ? (
            <div className="space-y-4">
              <Alert tone="error" title="We couldn't load your account">
                {failure}
              </Alert>
              <ButtonLink href="/onboarding" variant="secondary" prefetch={false}>
                Try again
              </ButtonLink>
            </div>
          ) : agentOnly ? (
            <EmptyState
              icon={<UsersIcon className="size-5" />}
              title="No workspace yet"
              description="You belong to a business but to none of its workspaces. Ask an admin to invite you to one; the invitation link brings you straight in."
              testId="onboarding-no-workspace"
            />
          ) : (
            <OnboardingForm business={managed} />
          )}
        </section>
      </main>
    </div>
  );
}
