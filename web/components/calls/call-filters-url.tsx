"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";

import { callFiltersSearch, parseCallFilters, type CallFilters } from "@/lib/calls";

/** The Calls page's filters, kept in the URL's query string so a filtered view can be shared and survives a
 * reload. `key` changes exactly when the filters do. */
export function useCallFiltersInUrl(): {
  filters: CallFilters;
  key: string;
  setFilters: (next: CallFilters) => void;
} {
  const params = useSearchParams();
  const pathname = usePathname();
  const router = useRouter();
  const key = callFiltersSearch(parseCallFilters(params));
  const filters = useMemo(() => parseCallFilters(new URLSearchParams(key)), [key]);

  const setFilters = useCallback(
    (next: CallFilters) => {
      const search = callFiltersSearch(next);
      if (search === key) return;
      router.replace(search ? `${pathname}?${search}` : pathname, { scroll: false });
    },
    [key, pathname, router],
  );

  return { filters, key, setFilters };
}
