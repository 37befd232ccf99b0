"use client";

import Link from "next/link";
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useId,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
} from "react";

import { cn } from "@/lib/cn";

const ITEM_SELECTOR = '[role="menuitem"]:not([aria-disabled="true"]), [role="menuitemradio"]:not([aria-disabled="true"])';

const MenuContext = createContext<{ close: (refocus?: boolean) => void } | null>(null);

/** A menu button (WAI-ARIA pattern): Enter/Space/ArrowDown open it, arrows move, Home/End jump,
 * Escape closes and returns focus to the button, Tab closes. */
export function Menu({
  trigger,
  label,
  triggerLabel,
  children,
  align = "start",
  className,
  triggerClassName,
  testId,
  menuClassName,
}: {
  trigger: ReactNode;
  /** The menu's accessible name. */
  label: string;
  /** The button's accessible name, when its visible content is not enough. */
  triggerLabel?: string;
  children: ReactNode;
  align?: "start" | "end";
  className?: string;
  triggerClassName?: string;
  menuClassName?: string;
  testId?: string;
}) {
  const [open, setOpen] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  const menuId = useId();
  const focusTarget = useRef<"first" | "last" | "checked">("checked");

  const items = () => Array.from(menuRef.current?.querySelectorAll<HTMLElement>(ITEM_SELECTOR) ?? []);

  const close = useCallback((refocus = true) => {
    setOpen(false);
    if (refocus) buttonRef.current?.focus();
  }, []);

  useEffect(() => {
    if (!open) return;
    const list = items();
    const checked = list.find((item) => item.getAttribute("aria-checked") === "true");
    const target =
      focusTarget.current === "last" ? list[list.length - 1] : focusTarget.current === "checked" ? (checked ?? list[0]) : list[0];
    target?.focus();
    function onPointerDown(event: PointerEvent) {
      if (rootRef.current && !rootRef.current.contains(event.target as Node)) setOpen(false);
    }
    document.addEventListener("pointerdown", onPointerDown);
    return () => document.removeEventListener("pointerdown", onPointerDown);
  }, [open]);

  function onButtonKeyDown(event: KeyboardEvent<HTMLButtonElement>) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      focusTarget.current = event.key === "ArrowUp" ? "last" : "checked";
      setOpen(true);
    }
  }

  function onMenuKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const list = items();
    const index = list.indexOf(document.activeElement as HTMLElement);
    const move = (next: number) => {
      event.preventDefault();
      list[(next + list.length) % list.length]?.focus();
    };
    switch (event.key) {
      case "ArrowDown":
        return move(index + 1);
      case "ArrowUp":
        return move(index - 1);
      case "Home":
        return move(0);
      case "End":
        return move(list.length - 1);
      case "Escape":
        event.preventDefault();
        event.stopPropagation();
        return close(true);
      case "Tab":
        return close(false);
      default:
        if (event.key.length === 1 && /\S/.test(event.key)) {
          const start = index + 1;
          const needle = event.key.toLowerCase();
          for (let step = 0; step < list.length; step++) {
            const candidate = list[(start + step) % list.length];
            if (candidate?.textContent?.trim().toLowerCase().startsWith(needle)) {
              event.preventDefault();
              candidate.focus();
              return;
            }
          }
        }
    }
  }

  return (
    <MenuContext.Provider value={{ close }}>
      <div ref={rootRef} className={cn("relative", className)}>
        <button
          ref={buttonRef}
          type="button"
          aria-haspopup="menu"
          aria-expanded={open}
          aria-controls={open ? menuId : undefined}
          aria-label={triggerLabel}
          data-testid={testId}
          onClick={() => {
            focusTarget.current = "checked";
            setOpen((value) => !value);
          }}
          onKeyDown={onButtonKeyDown}
          className={triggerClassName}
        >
          {trigger}
        </button>
        {open ? (
          <div
            ref={menuRef}
            id={menuId}
            role="menu"
            aria-label={label}
            onKeyDown={onMenuKeyDown}
            className={cn(
              "absolute z-40 mt-2 min-w-56 animate-pop-in rounded-xl bg-white p-1.5 shadow-pop ring-1 ring-slate-200 focus:outline-none",
              align === "end" ? "right-0" : "left-0",
              menuClassName,
            )}
          >
            {children}
          </div>
        ) : null}
      </div>
    </MenuContext.Provider>
  );
}

const itemClass =
  "flex w-full items-center gap-2.5 rounded-lg px-2.5 py-2 text-left text-sm text-slate-700 outline-none " +
  "hover:bg-slate-100 focus-visible:bg-slate-100 focus-visible:outline-none focus:bg-slate-100";

export function MenuItem({
  onSelect,
  href,
  children,
  checked,
  className,
  testId,
}: {
  onSelect?: () => void;
  href?: string;
  children: ReactNode;
  checked?: boolean;
  className?: string;
  testId?: string;
}) {
  const context = useContext(MenuContext);
  const role = checked === undefined ? "menuitem" : "menuitemradio";
  if (href) {
    return (
      <Link
        href={href}
        role={role}
        aria-checked={checked}
        tabIndex={-1}
        data-testid={testId}
        className={cn(itemClass, className)}
        onClick={() => {
          onSelect?.();
          context?.close(false);
        }}
      >
        {children}
      </Link>
    );
  }
  return (
    <button
      type="button"
      role={role}
      aria-checked={checked}
      tabIndex={-1}
      data-testid={testId}
      className={cn(itemClass, className)}
      onClick={() => {
        context?.close(false);
        onSelect?.();
      }}
    >
      {children}
    </button>
  );
}

export function MenuLabel({ children }: { children: ReactNode }) {
  return (
    <div role="presentation" className="px-2.5 pt-2 pb-1 text-[11px] font-semibold tracking-wide text-slate-400 uppercase">
      {children}
    </div>
  );
}

export function MenuSeparator() {
  return <div role="separator" className="my-1.5 h-px bg-slate-100" />;
}
