"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useState } from "react";

import { NewWorkspaceDialog } from "@/components/app/new-workspace-dialog";
import { useWorkspaceContext } from "@/components/app/workspace-context";
import { Avatar } from "@/components/ui/avatar";
import { BookIcon, BotIcon, CheckIcon, ChevronUpDownIcon, HeadsetIcon, HomeIcon, LogOutIcon, Logo, PhoneIcon, PhoneOutgoingIcon, PlusIcon, RadioIcon, SettingsIcon, UsersIcon } from "@/components/ui/icons";
import { Menu, MenuItem, MenuLabel, MenuSeparator } from "@/components/ui/menu";
import { Skeleton } from "@/components/ui/spinner";
import { cn } from "@/lib/cn";
import { useSupabase } from "@/lib/supabase/client";

export function TopBar() {
  const { workspaceId, workspace, workspaceError, me } = useWorkspaceContext();
  const unavailable = !workspace && workspaceError !== null;
  const pathname = usePathname();
  const base = `/w/${workspaceId}`;
  const tabs = [
    { href: base, label: "Overview", icon: HomeIcon },
    { href: `${base}/console`, label: "Console", icon: HeadsetIcon },
    { href: `${base}/live`, label: "Live", icon: RadioIcon },
    { href: `${base}/calls`, label: "Calls", icon: PhoneIcon },
    { href: `${base}/callbacks`, label: "Callbacks", icon: PhoneOutgoingIcon },
    { href: `${base}/agent`, label: "Agent", icon: BotIcon },
    { href: `${base}/knowledge`, label: "Knowledge", icon: BookIcon },
    { href: `${base}/members`, label: "Members", icon: UsersIcon },
    { href: `${base}/settings`, label: "Settings", icon: SettingsIcon },
  ];
  const businessName =
    workspace?.business_name ?? me?.businesses.find((b) => b.id === workspace?.business_id)?.name ?? null;

  return (
    <header className="sticky top-0 z-30 border-b border-slate-200/80 bg-white/90 backdrop-blur supports-[backdrop-filter]:bg-white/75">
      <div className="mx-auto max-w-6xl px-4 sm:px-6">
        <div className="flex h-14 items-center gap-2 sm:gap-3">
          <Link href="/" className="shrink-0 rounded-lg" aria-label="Home">
            <Logo className="size-7" />
          </Link>
          <span aria-hidden="true" className="text-slate-300">
            /
          </span>
          {businessName ? (
            <span
              className="hidden max-w-[14rem] truncate text-sm font-medium text-slate-500 sm:inline"
              data-testid="business-name"
            >
              {businessName}
            </span>
          ) : unavailable ? null : (
            <Skeleton className="hidden h-4 w-24 sm:block" />
          )}
          {businessName ? (
            <span aria-hidden="true" className="hidden text-slate-300 sm:inline">
              /
            </span>
          ) : null}
          <WorkspaceSwitcher />
          <div className="ml-auto flex items-center gap-2 sm:gap-3">
            {workspace ? <LiveIndicator /> : null}
            <UserMenu />
          </div>
        </div>
        <nav aria-label="Workspace sections" className={cn("-mb-px flex gap-1 overflow-x-auto", unavailable && "hidden")}>
          {tabs.map(({ href, label, icon: Icon }) => {
            const active = href === base ? pathname === base : pathname.startsWith(href);
            return (
              <Link
                key={href}
                href={href}
                aria-current={active ? "page" : undefined}
                className={cn(
                  "inline-flex items-center gap-2 rounded-t-md border-b-2 px-3 py-2.5 text-sm font-medium whitespace-nowrap transition-colors",
                  active
                    ? "border-brand-600 text-slate-900"
                    : "border-transparent text-slate-500 hover:border-slate-300 hover:text-slate-800",
                )}
              >
                <Icon className="size-4" />
                {label}
              </Link>
            );
          })}
        </nav>
      </div>
    </header>
  );
}

function roleLabel(role: string | null, canManage: boolean): string {
  if (role === "admin") return "Admin";
  if (role === "agent") return "Agent";
  return canManage ? "Manager" : "";
}

function WorkspaceSwitcher() {
  const { workspaceId, workspace, workspaceError, me, canCreateWorkspace } = useWorkspaceContext();
  const [creating, setCreating] = useState(false);
  const name =
    workspace?.name ??
    me?.workspaces.find((w) => w.id === workspaceId)?.name ??
    (workspaceError ? "Choose a workspace" : undefined);

  const groups = (me?.businesses ?? [])
    .map((business) => ({ business, workspaces: (me?.workspaces ?? []).filter((w) => w.business_id === business.id) }))
    .filter((group) => group.workspaces.length > 0);
  const orphans = (me?.workspaces ?? []).filter((w) => !me?.businesses.some((b) => b.id === w.business_id));

  return (
    <>
      <Menu
        label="Switch workspace"
        testId="workspace-switcher"
        className="min-w-0"
        triggerClassName="inline-flex max-w-[16rem] min-w-0 items-center gap-1.5 rounded-lg px-2 py-1.5 text-sm font-semibold text-slate-900 hover:bg-slate-100 aria-expanded:bg-slate-100"
        trigger={
          <>
            <span className="sr-only">Workspace: </span>
            <span className="truncate" data-testid="current-workspace-name">
              {name ?? "Loading…"}
            </span>
            <ChevronUpDownIcon className="size-4 shrink-0 text-slate-400" />
          </>
        }
        menuClassName="w-72 max-w-[calc(100vw-2rem)]"
      >
        {groups.map(({ business, workspaces }) => (
          <div key={business.id} role="group" aria-label={`Workspaces of ${business.name}`}>
            <MenuLabel>{business.name}</MenuLabel>
            {workspaces.map((item) => (
              <MenuItem
                key={item.id}
                href={`/w/${item.id}`}
                checked={item.id === workspaceId}
                testId="workspace-option"
              >
                <span className="flex size-5 shrink-0 items-center justify-center text-brand-600">
                  {item.id === workspaceId ? <CheckIcon className="size-4" /> : null}
                </span>
                <span className="min-w-0 flex-1 truncate">{item.name}</span>
                <span className="text-xs text-slate-400">{roleLabel(item.role, item.can_manage)}</span>
              </MenuItem>
            ))}
          </div>
        ))}
        {orphans.map((item) => (
          <MenuItem key={item.id} href={`/w/${item.id}`} checked={item.id === workspaceId} testId="workspace-option">
            <span className="flex size-5 shrink-0 items-center justify-center text-brand-600">
              {item.id === workspaceId ? <CheckIcon className="size-4" /> : null}
            </span>
            <span className="min-w-0 flex-1 truncate">{item.name}</span>
          </MenuItem>
        ))}
        {canCreateWorkspace ? (
          <>
            <MenuSeparator />
            <MenuItem onSelect={() => setCreating(true)} testId="new-workspace" className="text-brand-700">
              <span className="flex size-5 shrink-0 items-center justify-center">
                <PlusIcon className="size-4" />
              </span>
              New workspace
            </MenuItem>
          </>
        ) : null}
      </Menu>
      <NewWorkspaceDialog open={creating} onClose={() => setCreating(false)} />
    </>
  );
}

function LiveIndicator() {
  const { realtime } = useWorkspaceContext();
  const live = realtime === "live";
  const text = live ? "Live" : realtime === "connecting" ? "Connecting" : "Reconnecting";
  const title = live
    ? "Live updates are on: changes by your teammates appear instantly."
    : realtime === "connecting"
      ? "Connecting to live updates…"
      : "Live updates are unavailable. The page refreshes when you come back to it.";
  return (
    <span
      title={title}
      data-testid="realtime-status"
      data-state={realtime}
      className="hidden items-center gap-1.5 rounded-full px-2 py-1 text-xs font-medium text-slate-500 sm:inline-flex"
    >
      <span className={cn("size-1.5 rounded-full", live ? "bg-emerald-500" : realtime === "connecting" ? "bg-slate-300" : "bg-amber-400")} />
      {text}
      <span className="sr-only">{title}</span>
    </span>
  );
}

function UserMenu() {
  const { me } = useWorkspaceContext();
  const supabase = useSupabase();
  const router = useRouter();
  const email = me?.user.email ?? "";
  const name = me?.user.full_name || null;

  async function logOut() {
    await supabase.auth.signOut().catch(() => undefined);
    router.replace("/login");
    router.refresh();
  }

  return (
    <Menu
      label="Account"
      triggerLabel={`Account: ${name ?? email}`}
      align="end"
      testId="user-menu"
      triggerClassName="flex items-center gap-2 rounded-full p-0.5 hover:bg-slate-100 aria-expanded:bg-slate-100 sm:pr-2"
      trigger={
        <>
          {me ? <Avatar name={name} email={email} /> : <Skeleton className="size-8 rounded-full" />}
          <span className="hidden max-w-[10rem] truncate text-sm font-medium text-slate-700 md:inline">
            {name ?? email}
          </span>
        </>
      }
    >
      <div role="presentation" className="px-2.5 py-2">
        <p className="truncate text-sm font-medium text-slate-900">{name ?? "Signed in"}</p>
        <p className="truncate text-xs text-slate-500" data-testid="user-email">
          {email}
        </p>
      </div>
      <MenuSeparator />
      <MenuItem onSelect={logOut} testId="logout">
        <LogOutIcon className="size-4 text-slate-400" />
        Log out
      </MenuItem>
    </Menu>
  );
}
