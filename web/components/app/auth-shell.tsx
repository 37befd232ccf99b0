import Link from "next/link";
import type { ReactNode } from "react";

import { Logo } from "@/components/ui/icons";
import { APP_NAME } from "@/lib/brand";

/** The centered layout of the signed-out pages (log in, sign up, invitation, confirmation). */
export function AuthShell({
  title,
  subtitle,
  children,
  footer,
}: {
  title: ReactNode;
  subtitle?: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
}) {
  return (
    <div className="relative flex min-h-dvh flex-col bg-slate-50">
      <div
        aria-hidden="true"
        className="pointer-events-none absolute inset-x-0 top-0 h-72 bg-gradient-to-b from-brand-100/60 to-transparent"
      />
      <header className="relative px-6 py-5">
        <Link href="/" className="inline-flex items-center gap-2.5 rounded-lg text-[15px] font-semibold text-slate-900">
          <Logo className="size-7" />
          {APP_NAME}
        </Link>
      </header>
      <main className="relative flex flex-1 items-start justify-center px-4 pt-6 pb-16 sm:pt-12">
        <div className="w-full max-w-[420px]">
          <div className="mb-6 text-center">
            <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
            {subtitle ? <p className="mt-2 text-sm text-slate-500">{subtitle}</p> : null}
          </div>
          <div className="rounded-2xl bg-white p-6 shadow-card ring-1 ring-slate-200/80 sm:p-8">{children}</div>
          {footer ? <div className="mt-6 text-center text-sm text-slate-500">{footer}</div> : null}
        </div>
      </main>
    </div>
  );
}
