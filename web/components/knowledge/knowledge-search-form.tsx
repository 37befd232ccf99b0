import type { ComponentProps, FormEvent } from "react";

import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/field";
import { SearchIcon } from "@/components/ui/icons";

/** The question box with its search icon and submit button. Test ids are `${testIdPrefix}-input` and `-submit`. */
export function KnowledgeSearchForm({
  query,
  onQueryChange,
  onSubmit,
  pending,
  testIdPrefix,
  inputLabel,
  placeholder,
  submitLabel,
  inputName,
  submitVariant,
  requireQuery = false,
}: {
  query: string;
  onQueryChange: (query: string) => void;
  onSubmit: (event: FormEvent<HTMLFormElement>) => void;
  pending: boolean;
  testIdPrefix: string;
  inputLabel: string;
  placeholder: string;
  submitLabel: string;
  inputName?: string;
  submitVariant?: ComponentProps<typeof Button>["variant"];
  /** Disable the button while the box is blank. */
  requireQuery?: boolean;
}) {
  return (
    <form onSubmit={onSubmit} className="flex gap-2" role="search" aria-label="Search this workspace's knowledge">
      <div className="relative min-w-0 flex-1">
        <SearchIcon className="pointer-events-none absolute top-1/2 left-3 size-4 -translate-y-1/2 text-slate-400" />
        <Input
          type="search"
          name={inputName}
          aria-label={inputLabel}
          placeholder={placeholder}
          value={query}
          maxLength={500}
          onChange={(event) => onQueryChange(event.target.value)}
          className="pl-9"
          data-testid={`${testIdPrefix}-input`}
        />
      </div>
      <Button
        type="submit"
        variant={submitVariant}
        loading={pending}
        disabled={requireQuery && !query.trim()}
        data-testid={`${testIdPrefix}-submit`}
      >
        {submitLabel}
      </Button>
    </form>
  );
}
