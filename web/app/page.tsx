import { cookies } from "next/headers";
import { redirect } from "next/navigation";

import { AuthShell } from "@/components/app/auth-shell";
import { ButtonLink } from "@/components/ui/button";
import { Alert } from "@/components/ui/alert";
import { createApi, errorMessage, type Me } from "@/lib/api";
import { LAST_WORKSPACE_COOKIE } from "@/lib/last-workspace";
import { readRuntimeConfig } from "@/lib/runtime-config";
import { getSessionUser } from "@/lib/supabase/server";

/** Sends people where they belong: log in, onboarding, or their last workspace. */
export default async function Home() {
  const user = await getSessionUser();
  if (!user) redirect("/login");

  let me: Me | null = null;
  let failure: string | null = null;
  try {
    me = await createApi(readRuntimeConfig().apiUrl, user.accessToken).me();
  } catch (error) {
    failure = errorMessage(error);
  }

  if (me) {
    if (me.workspaces.length === 0) redirect("/onboarding");
    const last = (await cookies()).get(LAST_WORKSPACE_COOKIE)?.value;
    const target = me.workspaces.find((workspace) => workspace.id === last) ?? me.workspaces[0]!;
    redirect(`/w/${target.id}`);
  }

  return (
    <AuthShell title="We couldn't load your account" subtitle="The app could not reach the server.">
      <div className="space-y-5">
        <Alert tone="error">{failure}</Alert>
        <ButtonLink href="/" size="lg" className="w-full" prefetch={false}>
          Try again
        </ButtonLink>
      </div>
    </AuthShell>
  );
}
