import Link from "next/link";
import { redirect } from "next/navigation";

import { AuthShell } from "@/components/app/auth-shell";
import { LoginForm } from "@/app/login/login-form";
import { safeNext } from "@/lib/safe-next";
import { getSessionUser } from "@/lib/supabase/server";

export const metadata = { title: "Log in" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export default async function LoginPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const next = safeNext(one(params.next));
  if (await getSessionUser()) redirect(next);
  const signupHref = next === "/" ? "/signup" : `/signup?next=${encodeURIComponent(next)}`;
  return (
    <AuthShell
      title="Welcome back"
      subtitle="Log in to manage your workspaces and take calls."
      footer={
        <>
          New here?{" "}
          <Link href={signupHref} className="font-medium text-brand-700 hover:text-brand-800">
            Create an account
          </Link>
        </>
      }
    >
      <LoginForm next={next} defaultEmail={one(params.email) ?? ""} initialError={one(params.error) ?? null} />
    </AuthShell>
  );
}
