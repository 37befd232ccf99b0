"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { useSupabase } from "@/lib/supabase/client";

export function LoginForm({
  next,
  defaultEmail,
  initialError,
}: {
  next: string;
  defaultEmail: string;
  initialError: string | null;
}) {
  const supabase = useSupabase();
  const router = useRouter();
  const [email, setEmail] = useState(defaultEmail);
  const [password, setPassword] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(initialError);
  const [unconfirmed, setUnconfirmed] = useState(false);
  const [resent, setResent] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setPending(true);
    setError(null);
    setUnconfirmed(false);
    try {
      const { error: signInError } = await supabase.auth.signInWithPassword({ email: email.trim(), password });
      if (signInError) {
        setUnconfirmed(signInError.code === "email_not_confirmed");
        setError(signInError.message || "We couldn't log you in. Please try again.");
        setPending(false);
        return;
      }
      router.replace(next);
      router.refresh();
    } catch {
      setError("We couldn't reach the sign-in service. Check your connection and try again.");
      setPending(false);
    }
  }

  async function resend() {
    const redirect = new URL("/auth/confirm", window.location.origin);
    if (next !== "/") redirect.searchParams.set("next", next);
    const { error: resendError } = await supabase.auth.resend({
      type: "signup",
      email: email.trim(),
      options: { emailRedirectTo: redirect.toString() },
    });
    if (resendError) setError(resendError.message);
    else setResent(true);
  }

  return (
    <form onSubmit={onSubmit} className="space-y-5" noValidate={false} data-testid="login-form">
      {error ? (
        <Alert
          tone="error"
          testId="login-error"
          action={
            unconfirmed && !resent ? (
              <button type="button" onClick={resend} className="font-medium underline underline-offset-2">
                Resend the confirmation email
              </button>
            ) : null
          }
        >
          {error}
        </Alert>
      ) : null}
      {resent ? <Alert tone="success">We sent a new confirmation link to {email.trim()}.</Alert> : null}
      <Field label="Work email">
        <Input
          type="email"
          name="email"
          autoComplete="email"
          required
          autoFocus={!defaultEmail}
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          placeholder="you@company.com"
        />
      </Field>
      <Field label="Password">
        <Input
          type="password"
          name="password"
          autoComplete="current-password"
          required
          autoFocus={Boolean(defaultEmail)}
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
      </Field>
      <Button type="submit" size="lg" className="w-full" loading={pending}>
        Log in
      </Button>
    </form>
  );
}
