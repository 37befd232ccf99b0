"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import { Button, type ButtonProps } from "@/components/ui/button";
import { useSupabase } from "@/lib/supabase/client";

/** Logs out, then goes to `to` (default /login). */
export function LogoutButton({ to = "/login", children = "Log out", ...props }: ButtonProps & { to?: string }) {
  const supabase = useSupabase();
  const router = useRouter();
  const [pending, setPending] = useState(false);
  return (
    <Button
      {...props}
      loading={pending}
      onClick={async () => {
        setPending(true);
        await supabase.auth.signOut().catch(() => undefined);
        router.replace(to);
        router.refresh();
      }}
    >
      {children}
    </Button>
  );
}
