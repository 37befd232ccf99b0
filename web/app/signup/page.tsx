import Link from "next/link";
import { redirect } from "next/navigation";

import { AuthShell } from "@/components/app/auth-shell";
import { SignupForm } from "@/app/signup/signup-form";
import { safeNext } from "@/lib/safe-next";
import { getSessionUser } from "@/lib/supabase/server";

export const metadata = { title: "Create your account" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export default async function SignupPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const next = safeNext(one(params.next));
  if (await getSessionUser()) redirect(next);
  const loginHref = next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`;
  return (
    <AuthShell
      title="Create your account"
      subtitle="Set up AI agents for every department of your business."
      footer={
        <>
          Already have an account?{" "}
          <Link href={loginHref} className="font-medium text-brand-700 hover:text-brand-800">
            Log in
          </Link>
        </>
      }
    >
      <SignupForm next={next} defaultEmail={one(params.email) ?? ""} />
    </AuthShell>
  );
}
