"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { ApiError, errorMessage, type Business } from "@/lib/api";
import { rememberWorkspace } from "@/lib/last-workspace";
import { useApi } from "@/lib/use-api";

const SUGGESTIONS = ["Support", "Billing", "Sales"];

/** Names the business and its first workspace in one step (or, for a business that has
 * none left, creates a workspace in it). */
export function OnboardingForm({ business }: { business: Business | null }) {
  const api = useApi();
  const router = useRouter();
  const [businessName, setBusinessName] = useState("");
  const [workspaceName, setWorkspaceName] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setPending(true);
    setError(null);
    try {
      const workspace = business
        ? await api.createWorkspace(business.id, workspaceName.trim())
        : (await api.createBusiness(businessName.trim(), workspaceName.trim())).workspace;
      rememberWorkspace(workspace.id);
      router.replace(`/w/${workspace.id}`);
      router.refresh();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : errorMessage(caught));
      setPending(false);
    }
  }

  const field = error instanceof ApiError ? error.field : null;
  const businessError = field === "name" && !business ? errorMessage(error) : undefined;
  const workspaceError =
    field === "first_workspace_name" || (field === "name" && business) ? errorMessage(error) : undefined;
  const generalError = error && !businessError && !workspaceError ? errorMessage(error) : null;

  return (
    <form onSubmit={onSubmit} className="space-y-5" data-testid="onboarding-form">
      <div>
        <h2 className="text-base font-semibold text-slate-900">
          {business ? `A new workspace for ${business.name}` : "Your business"}
        </h2>
        <p className="mt-1 text-sm text-slate-500">You can rename both later.</p>
      </div>
      {generalError ? <Alert tone="error">{generalError}</Alert> : null}
      {business ? null : (
        <Field label="Business name" error={businessError}>
          <Input
            name="business_name"
            required
            autoFocus
            maxLength={120}
            autoComplete="organization"
            value={businessName}
            onChange={(event) => setBusinessName(event.target.value)}
            placeholder="Acme Inc."
          />
        </Field>
      )}
      <Field
        label={business ? "Workspace name" : "First workspace"}
        error={workspaceError}
        hint="One department: it gets its own AI agent, phone number and knowledge base."
      >
        <Input
          name="workspace_name"
          required
          autoFocus={Boolean(business)}
          maxLength={80}
          value={workspaceName}
          onChange={(event) => setWorkspaceName(event.target.value)}
          placeholder="Customer Support"
        />
      </Field>
      <div className="flex flex-wrap items-center gap-2 text-xs text-slate-500">
        <span>Suggestions:</span>
        {SUGGESTIONS.map((suggestion) => (
          <button
            key={suggestion}
            type="button"
            onClick={() => setWorkspaceName(suggestion)}
            className="rounded-full bg-slate-100 px-2.5 py-1 font-medium text-slate-700 hover:bg-slate-200"
          >
            {suggestion}
          </button>
        ))}
      </div>
      <Button type="submit" size="lg" className="w-full" loading={pending}>
        {business ? "Create workspace" : "Create business and workspace"}
      </Button>
    </form>
  );
}
