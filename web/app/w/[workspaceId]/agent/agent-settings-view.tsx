"use client";

import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from "react";

import { ChipToggles, LabelChips } from "@/components/agent/label-chips";
import { TestCallButton } from "@/components/calls/test-call-button";
import { PageHeader } from "@/components/app/workspace-main";
import { useWorkspace } from "@/components/app/workspace-context";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardFooter, CardHeader } from "@/components/ui/card";
import { Field, Input, Select, Textarea } from "@/components/ui/field";
import { Skeleton } from "@/components/ui/spinner";
import { ApiError, errorMessage, type AgentSettings, type AgentSettingsInput, type VoiceOptions } from "@/lib/api";
import { formatRelative } from "@/lib/format";
import { usePostgresChanges, type TableBinding } from "@/lib/realtime";

function editable(settings: AgentSettings): AgentSettingsInput {
  return {
    agent_name: settings.agent_name,
    greeting: settings.greeting,
    instructions: settings.instructions,
    voice: settings.voice,
    language: settings.language,
    escalation: { ...settings.escalation, account_access_topics: [...settings.escalation.account_access_topics] },
    intent_labels: [...settings.intent_labels],
    topic_labels: [...settings.topic_labels],
  };
}

/** The API names nested fields with dots ("escalation.max_unanswered_questions", "intent_labels.2"). */
function fieldOf(error: ApiError | null): string | null {
  if (!error?.field) return null;
  const parts = error.field.split(".");
  if (parts[0] === "escalation") return parts.slice(0, 2).join(".");
  return parts[0] ?? null;
}

type SaveState = "idle" | "saving" | "saved";

export function AgentSettingsView() {
  const { api, workspace } = useWorkspace();
  const [saved, setSaved] = useState<AgentSettings | null>(null);
  const [draft, setDraft] = useState<AgentSettingsInput | null>(null);
  const [options, setOptions] = useState<VoiceOptions | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<ApiError | null>(null);
  const [saveState, setSaveState] = useState<SaveState>("idle");

  const dirty = useMemo(
    () => saved !== null && draft !== null && JSON.stringify(editable(saved)) !== JSON.stringify(draft),
    [saved, draft],
  );
  const dirtyRef = useRef(dirty);
  useEffect(() => {
    dirtyRef.current = dirty;
  });

  const load = useCallback(
    () =>
      Promise.all([api.agentSettings(workspace.id), api.voiceOptions()]).then(
        ([settings, voices]) => {
          setSaved(settings);
          setOptions(voices);
          // Someone else's save shows up here unless this person is in the middle of editing.
          if (!dirtyRef.current) setDraft(editable(settings));
          setLoadError(null);
        },
        (error: unknown) => setLoadError(errorMessage(error)),
      ),
    [api, workspace.id],
  );

  useEffect(() => {
    void load();
  }, [load]);

  const bindings = useMemo<TableBinding[]>(
    () => [{ table: "agent_settings", filter: `workspace_id=eq.${workspace.id}` }],
    [workspace.id],
  );
  usePostgresChanges(`agent:${workspace.id}`, bindings, () => void load());

  const provider = options?.providers.find((item) => item.id === options.provider) ?? null;
  const canEdit = saved?.can_edit ?? false;
  const errorField = fieldOf(saveError);
  const fieldError = (name: string) => (errorField === name ? saveError?.message : undefined);

  function update(change: Partial<AgentSettingsInput>) {
    setDraft((current) => (current ? { ...current, ...change } : current));
    setSaveState("idle");
  }
  function updateEscalation(change: Partial<AgentSettingsInput["escalation"]>) {
    setDraft((current) => (current ? { ...current, escalation: { ...current.escalation, ...change } } : current));
    setSaveState("idle");
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!draft || !canEdit) return;
    setSaveState("saving");
    setSaveError(null);
    try {
      const result = await api.saveAgentSettings(workspace.id, draft);
      setSaved(result);
      setDraft(editable(result));
      setSaveState("saved");
    } catch (error) {
      setSaveError(error instanceof ApiError ? error : new ApiError(0, "error", errorMessage(error)));
      setSaveState("idle");
    }
  }

  const header = (
    <PageHeader
      title="AI agent"
      description={`Who answers ${workspace.name}'s calls, what it says, and when it hands a call to your team.`}
      actions={<TestCallButton variant="secondary" />}
    />
  );

  if (loadError && !saved) {
    return (
      <div data-testid="agent-page">
        {header}
        <Alert
          tone="error"
          title="We couldn't load the agent's settings"
          action={
            <Button variant="secondary" size="sm" onClick={() => void load()}>
              Try again
            </Button>
          }
        >
          {loadError}
        </Alert>
      </div>
    );
  }
  if (!saved || !draft) {
    return (
      <div data-testid="agent-page" aria-busy="true">
        {header}
        <div className="space-y-4">
          <Skeleton className="h-48" />
          <Skeleton className="h-64" />
        </div>
      </div>
    );
  }

  const voices = provider?.voices ?? [];
  const knownVoice = draft.voice === "default" || voices.some((voice) => voice.id === draft.voice);
  const readOnly = !canEdit;

  return (
    <div data-testid="agent-page" data-can-edit={canEdit ? "true" : "false"}>
      {header}
      {readOnly ? (
        <Alert tone="info" className="mb-6" testId="agent-read-only">
          You can see how the agent is set up. Only workspace admins can change it.
        </Alert>
      ) : null}
      <form onSubmit={onSubmit} className="space-y-6" data-testid="agent-form" noValidate>
        <fieldset disabled={readOnly} className="space-y-6">
          <Card>
            <CardHeader title="Identity" description="What callers hear first, and how the agent speaks." />
            <CardBody className="grid gap-5 md:grid-cols-2">
              <Field label="Agent name" error={fieldError("agent_name")} hint="The name the agent introduces itself with.">
                <Input
                  name="agent_name"
                  value={draft.agent_name}
                  maxLength={60}
                  onChange={(event) => update({ agent_name: event.target.value })}
                  data-testid="agent-name"
                />
              </Field>
              <Field
                label="Voice"
                error={fieldError("voice")}
                hint={provider ? `Voices of ${provider.label}.` : undefined}
              >
                <Select
                  name="voice"
                  value={draft.voice}
                  onChange={(event) => update({ voice: event.target.value })}
                  data-testid="agent-voice"
                >
                  <option value="default">Provider default</option>
                  {voices.map((voice) => (
                    <option key={voice.id} value={voice.id}>
                      {voice.label}
                    </option>
                  ))}
                  {knownVoice ? null : <option value={draft.voice}>{draft.voice} (not offered by the current provider)</option>}
                </Select>
              </Field>
              <Field
                label="Greeting"
                className="md:col-span-2"
                error={fieldError("greeting")}
                hint="Said as soon as the caller is connected."
              >
                <Textarea
                  name="greeting"
                  value={draft.greeting}
                  maxLength={500}
                  rows={2}
                  className="min-h-0"
                  onChange={(event) => update({ greeting: event.target.value })}
                  data-testid="agent-greeting"
                />
              </Field>
              <Field
                label="Instructions"
                className="md:col-span-2"
                error={fieldError("instructions")}
                hint="How the agent should behave: tone, what to avoid, what to always mention. Answers still come from your knowledge."
              >
                <Textarea
                  name="instructions"
                  value={draft.instructions}
                  maxLength={8000}
                  rows={5}
                  onChange={(event) => update({ instructions: event.target.value })}
                  data-testid="agent-instructions"
                />
              </Field>
              <Field
                label="Language"
                error={fieldError("language")}
                hint={
                  provider
                    ? `A language code such as “en” or “en-US”. Understood: ${provider.languages.map((item) => item.label).join(", ")}.`
                    : "A language code such as “en” or “en-US”."
                }
              >
                <Input
                  name="language"
                  value={draft.language}
                  maxLength={35}
                  list="agent-languages"
                  onChange={(event) => update({ language: event.target.value })}
                  data-testid="agent-language"
                />
              </Field>
              <datalist id="agent-languages">
                {provider?.languages.map((language) => (
                  <option key={language.code} value={language.code}>
                    {language.label}
                  </option>
                ))}
              </datalist>
            </CardBody>
          </Card>

          <Card>
            <CardHeader
              title="Handing off to a person"
              description="When one of these happens, the AI asks your team to take the call, with its context."
            />
            <CardBody className="grid gap-5 md:grid-cols-2">
              <label className="flex items-start gap-3 md:col-span-2">
                <input
                  type="checkbox"
                  className="mt-0.5 size-4 rounded border-slate-300 text-brand-600 focus:ring-brand-500"
                  checked={draft.escalation.handoff_on_request}
                  onChange={(event) => updateEscalation({ handoff_on_request: event.target.checked })}
                  data-testid="agent-handoff-on-request"
                />
                <span>
                  <span className="block text-sm font-medium text-slate-800">When the caller asks for a person</span>
                  <span className="block text-[13px] text-slate-500">“Can I talk to someone?” goes straight to your team.</span>
                </span>
              </label>
              <Field
                label="Unanswered questions before handing off"
                error={fieldError("escalation.max_unanswered_questions")}
                hint="Questions your knowledge could not answer. 0 turns this off."
              >
                <Input
                  type="number"
                  name="max_unanswered_questions"
                  min={0}
                  max={20}
                  step={1}
                  value={Number.isFinite(draft.escalation.max_unanswered_questions) ? draft.escalation.max_unanswered_questions : ""}
                  onChange={(event) => updateEscalation({ max_unanswered_questions: event.target.valueAsNumber })}
                  data-testid="agent-max-unanswered"
                />
              </Field>
              <Field
                label="Ring time per person (seconds)"
                error={fieldError("escalation.ring_timeout_seconds")}
                hint="How long an offer rings for one available person before it moves to the next."
              >
                <Input
                  type="number"
                  name="ring_timeout_seconds"
                  min={5}
                  max={120}
                  step={1}
                  value={Number.isFinite(draft.escalation.ring_timeout_seconds) ? draft.escalation.ring_timeout_seconds : ""}
                  onChange={(event) => updateEscalation({ ring_timeout_seconds: event.target.valueAsNumber })}
                  data-testid="agent-ring-timeout"
                />
              </Field>
              <Field
                label="Negative sentiment threshold"
                error={fieldError("escalation.negative_sentiment_threshold")}
                hint="From −1 (very negative) to 1 (very positive). Hands off when the caller's mood falls to this or below."
              >
                <Input
                  type="number"
                  name="negative_sentiment_threshold"
                  min={-1}
                  max={1}
                  step={0.05}
                  value={
                    Number.isFinite(draft.escalation.negative_sentiment_threshold)
                      ? draft.escalation.negative_sentiment_threshold
                      : ""
                  }
                  onChange={(event) => updateEscalation({ negative_sentiment_threshold: event.target.valueAsNumber })}
                  data-testid="agent-sentiment-threshold"
                />
              </Field>
              <div className="md:col-span-2">
                <ChipToggles
                  name="account-access"
                  label="Topics that need account access"
                  options={draft.topic_labels}
                  selected={draft.escalation.account_access_topics}
                  onChange={(values) => updateEscalation({ account_access_topics: values })}
                  readOnly={readOnly}
                  error={fieldError("escalation.account_access_topics")}
                  hint="Calls about these topics go to a person who can see the customer's account."
                />
              </div>
            </CardBody>
          </Card>

          <Card>
            <CardHeader
              title="Live analysis labels"
              description="After every caller turn the AI picks the intent and the topic from these lists."
            />
            <CardBody className="grid gap-6 md:grid-cols-2">
              <LabelChips
                name="intents"
                label="Intents"
                values={draft.intent_labels}
                onChange={(values) => update({ intent_labels: values })}
                readOnly={readOnly}
                error={fieldError("intent_labels")}
                placeholder="e.g. cancel an order"
              />
              <LabelChips
                name="topics"
                label="Topics"
                values={draft.topic_labels}
                onChange={(values) =>
                  setDraft((current) =>
                    current
                      ? {
                          ...current,
                          topic_labels: values,
                          // A removed topic cannot stay an account-access topic.
                          escalation: {
                            ...current.escalation,
                            account_access_topics: current.escalation.account_access_topics.filter((topic) =>
                              values.some((value) => value.toLowerCase() === topic.toLowerCase()),
                            ),
                          },
                        }
                      : current,
                  )
                }
                readOnly={readOnly}
                error={fieldError("topic_labels")}
                placeholder="e.g. delivery times"
              />
            </CardBody>
            {readOnly ? null : (
              <CardFooter className="justify-between">
                <SaveStatus state={saveState} dirty={dirty} updatedAt={saved.updated_at} />
                <div className="flex gap-3">
                  <Button
                    variant="ghost"
                    disabled={!dirty || saveState === "saving"}
                    onClick={() => {
                      setDraft(editable(saved));
                      setSaveError(null);
                    }}
                    data-testid="agent-discard"
                  >
                    Discard changes
                  </Button>
                  <Button type="submit" loading={saveState === "saving"} disabled={!dirty} data-testid="agent-save">
                    Save changes
                  </Button>
                </div>
              </CardFooter>
            )}
          </Card>
        </fieldset>
        {saveError ? (
          <Alert tone="error" title="The settings were not saved" testId="agent-save-error">
            {saveError.message}
          </Alert>
        ) : null}
      </form>
    </div>
  );
}

function SaveStatus({ state, dirty, updatedAt }: { state: SaveState; dirty: boolean; updatedAt: string }) {
  const text = state === "saving" ? "Saving…" : dirty ? "Unsaved changes" : state === "saved" ? "Saved" : `Last saved ${formatRelative(updatedAt)}`;
  return (
    <p className="text-[13px] text-slate-500" data-testid="agent-save-state" data-state={dirty ? "dirty" : state} aria-live="polite">
      {text}
    </p>
  );
}
