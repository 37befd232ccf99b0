"use client";

import Link from "next/link";
import { useEffect, useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";

import { Alert } from "@/components/ui/alert";
import { Button, ButtonLink } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { ExternalLinkIcon, MailIcon } from "@/components/ui/icons";
import { createApi } from "@/lib/api";
import { useConfig } from "@/lib/config-context";
import { useSupabase } from "@/lib/supabase/client";

type Outcome = { kind: "check-inbox"; email: string } | { kind: "exists"; email: string };

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function SignupForm({ next, defaultEmail }: { next: string; defaultEmail: string }) {
  const supabase = useSupabase();
  const config = useConfig();
  const router = useRouter();
  const [fullName, setFullName] = useState("");
  const [email, setEmail] = useState(defaultEmail);
  const [password, setPassword] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [policy, setPolicy] = useState<{ email: string; reason: string | null }>({ email: "", reason: null });
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  // Instant feedback on the email's domain (free-mail and disposable domains are refused).
  // The server-side hook stays the authority: this is only a hint.
  useEffect(() => {
    const value = email.trim();
    if (!EMAIL_SHAPE.test(value) || !config.apiUrl) return;
    const controller = new AbortController();
    const timer = window.setTimeout(async () => {
      try {
        const result = await createApi(config.apiUrl, null).checkEmailPolicy(value, controller.signal);
        if (!controller.signal.aborted) {
          setPolicy({ email: value, reason: result.allowed ? null : (result.reason ?? "Please use your work email.") });
        }
      } catch {
        // The check is only a hint: the sign-up itself is checked by the server.
      }
    }, 350);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [email, config.apiUrl]);

  function redirectUrl(): string {
    const url = new URL("/auth/confirm", window.location.origin);
    if (next !== "/") url.searchParams.set("next", next);
    return url.toString();
  }

  const emailHint = policy.email === email.trim() ? policy.reason : null;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    setPending(true);
    const address = email.trim();
    try {
      const { data, error: signUpError } = await supabase.auth.signUp({
        email: address,
        password,
        options: { emailRedirectTo: redirectUrl(), data: { full_name: fullName.trim() } },
      });
      if (signUpError) {
        setError(signUpError.message || "We couldn't create your account. Please try again.");
        return;
      }
      if (data.user && (data.user.identities?.length ?? 0) === 0) {
        setOutcome({ kind: "exists", email: address });
        return;
      }
      if (data.session) {
        router.replace(next);
        router.refresh();
        return;
      }
      setOutcome({ kind: "check-inbox", email: address });
    } catch {
      setError("We couldn't reach the sign-up service. Check your connection and try again.");
    } finally {
      setPending(false);
    }
  }

  const loginHref = `/login?${new URLSearchParams({ ...(next !== "/" ? { next } : {}), email: outcome?.email ?? email.trim() })}`;

  if (outcome?.kind === "exists") {
    return (
      <div className="space-y-5" data-testid="signup-exists">
        <Alert tone="info" title="You already have an account">
          An account with <strong>{outcome.email}</strong> already exists. Log in to continue.
        </Alert>
        <ButtonLink href={loginHref} size="lg" className="w-full">
          Log in
        </ButtonLink>
        <button
          type="button"
          onClick={() => setOutcome(null)}
          className="block w-full text-center text-sm text-slate-500 hover:text-slate-700"
        >
          Use a different email
        </button>
      </div>
    );
  }

  if (outcome?.kind === "check-inbox") {
    return (
      <CheckInbox email={outcome.email} loginHref={loginHref} redirectUrl={redirectUrl} onBack={() => setOutcome(null)} />
    );
  }

  return (
    <form onSubmit={onSubmit} className="space-y-5" data-testid="signup-form">
      {error ? (
        <Alert tone="error" title="We couldn't create your account" testId="signup-error">
          {error}
        </Alert>
      ) : null}
      <Field label="Full name">
        <Input
          name="full_name"
          autoComplete="name"
          required
          autoFocus
          value={fullName}
          onChange={(event) => setFullName(event.target.value)}
          placeholder="Jane Cooper"
        />
      </Field>
      <Field
        label="Work email"
        error={!error && emailHint ? emailHint : undefined}
        hint="Use your company address: free and disposable email providers aren't accepted."
      >
        <Input
          type="email"
          name="email"
          autoComplete="email"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          placeholder="you@company.com"
        />
      </Field>
      <Field label="Password" hint="At least 8 characters.">
        <Input
          type="password"
          name="password"
          autoComplete="new-password"
          required
          minLength={8}
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
      </Field>
      <Button type="submit" size="lg" className="w-full" loading={pending}>
        Create account
      </Button>
      <p className="text-center text-xs text-slate-400">
        We&apos;ll email you a link to confirm your address.
      </p>
    </form>
  );
}

function CheckInbox({
  email,
  loginHref,
  redirectUrl,
  onBack,
}: {
  email: string;
  loginHref: string;
  redirectUrl: () => string;
  onBack: () => void;
}) {
  const supabase = useSupabase();
  const { mailCatcherUrl } = useConfig();
  const [resendState, setResendState] = useState<"idle" | "sending" | "sent" | string>("idle");

  async function resend() {
    setResendState("sending");
    const { error } = await supabase.auth.resend({ type: "signup", email, options: { emailRedirectTo: redirectUrl() } });
    setResendState(error ? error.message : "sent");
  }

  return (
    <div className="space-y-5 text-center" data-testid="check-inbox">
      <div className="mx-auto flex size-12 items-center justify-center rounded-full bg-brand-50 text-brand-600 ring-8 ring-brand-50/50">
        <MailIcon className="size-5" />
      </div>
      <div>
        <h2 className="text-lg font-semibold text-slate-900">Check your inbox</h2>
        <p className="mt-1.5 text-sm text-slate-600">
          We sent a confirmation link to <strong className="font-medium text-slate-900">{email}</strong>. Open it to
          finish setting up your account.
        </p>
      </div>
      {mailCatcherUrl ? (
        <a
          href={mailCatcherUrl}
          target="_blank"
          rel="noreferrer"
          className="inline-flex items-center gap-1.5 rounded-md text-sm font-medium text-brand-700 hover:text-brand-800"
          data-testid="local-inbox-link"
        >
          Open local inbox
          <ExternalLinkIcon className="size-3.5" />
        </a>
      ) : null}
      <div className="border-t border-slate-100 pt-4 text-sm text-slate-500">
        {resendState === "sent" ? (
          <p role="status">A new link is on its way.</p>
        ) : resendState !== "idle" && resendState !== "sending" ? (
          <p role="alert" className="text-red-600">
            {resendState}
          </p>
        ) : (
          <p>
            Didn&apos;t get it?{" "}
            <button
              type="button"
              onClick={resend}
              disabled={resendState === "sending"}
              className="font-medium text-brand-700 hover:text-brand-800 disabled:opacity-60"
            >
              Resend the email
            </button>{" "}
            or{" "}
            <button type="button" onClick={onBack} className="font-medium text-brand-700 hover:text-brand-800">
              use a different address
            </button>
            .
          </p>
        )}
        <p className="mt-2">
          Already confirmed?{" "}
          <Link href={loginHref} className="font-medium text-brand-700 hover:text-brand-800">
            Log in
          </Link>
        </p>
      </div>
    </div>
  );
}
