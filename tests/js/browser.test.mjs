// End to end in Chromium: an owner signs up with a business email (a free-mail address is
// refused), confirms it through the local mail catcher, names the business and its first
// workspace, creates and switches to a second one, and invites an agent; the agent opens the
// invitation in another browser context, signs up, confirms, accepts, and sees only that
// workspace.
//
// Needs the whole local stack (`./dev up`). WEB_URL and MAIL_URL move the targets.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  CONFIRM_LINK,
  INVITE_LINK,
  MAIL_URL,
  WEB_URL,
  fillSignUp,
  newPerson,
  onWebUrl,
  pageTitle,
  rand,
  stepper,
  suiteBrowser,
  waitForMailLink,
} from "./lib/browser.mjs";

const PASSWORD = `Pw-${rand(6)}-long`;
const suite = suiteBrowser();

async function signUp(page, { name, email }) {
  await fillSignUp(page, { name, email, password: PASSWORD });
}

test("owner signs up, sets up workspaces and invites an agent who joins", { timeout: 240_000 }, async (t) => {
  const id = rand();
  const domain = `${id}-corp.com`;
  const owner = { name: "Olivia Owner", email: `owner-${id}@${domain}` };
  const agent = { name: "Adam Agent", email: `agent-${id}@${domain}` };
  const businessName = `Acme ${id}`;
  const pages = {};
  const step = stepper(t, pages);

  const ownerSide = await newPerson(suite.browser);
  pages.owner = ownerSide.page;
  const page = ownerSide.page;
  let firstId;
  let secondId;
  let inviteLink;

  await step("a free-mail address is refused with the server's message", async () => {
    await page.goto("/signup");
    await signUp(page, { name: owner.name, email: `owner-${id}@gmail.com` });
    const error = page.getByTestId("signup-error");
    await error.waitFor();
    const text = await error.innerText();
    assert.match(text, /gmail\.com|work email|business email/i, text);
    assert.equal(await page.getByTestId("check-inbox").count(), 0);
  });

  await step("a business address is asked to check its inbox", async () => {
    await page.getByLabel("Work email").fill(owner.email);
    await page.getByRole("button", { name: "Create account" }).click();
    const inbox = page.getByTestId("check-inbox");
    await inbox.waitFor();
    assert.match(await inbox.innerText(), new RegExp(owner.email.replace(/[.]/g, "\\.")));
  });

  await step("the confirmation link lands on onboarding", async () => {
    const { link } = await waitForMailLink(owner.email, CONFIRM_LINK);
    await page.goto(link);
    await page.waitForURL(/\/onboarding$/);
  });

  await step("naming the business and first workspace opens the workspace home", async () => {
    await page.getByLabel("Business name").fill(businessName);
    await page.getByLabel("First workspace").fill("Support");
    await page.getByRole("button", { name: "Create business and workspace" }).click();
    await page.waitForURL(/\/w\/[^/]+$/);
    firstId = new URL(page.url()).pathname.split("/")[2];
    await assertTitle(page, "Support");
    assert.equal(await page.getByTestId("business-name").innerText(), businessName);
    assert.match(await page.getByTestId("home-next-step").innerText(), /Invite your team/);
    assert.match(await page.getByTestId("home-knowledge").innerText(), /Knowledge base/);
    assert.match(await page.getByTestId("coming-next").innerText(), /AI agent[\s\S]*Phone number/);
  });

  await step("a second workspace is created from the switcher", async () => {
    await page.getByTestId("workspace-switcher").click();
    await page.getByTestId("new-workspace").click();
    const dialog = page.getByTestId("new-workspace-dialog");
    await dialog.getByLabel("Workspace name").fill("Billing");
    await dialog.getByRole("button", { name: "Create workspace" }).click();
    await page.waitForURL((url) => /\/w\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith(`/${firstId}`));
    secondId = new URL(page.url()).pathname.split("/")[2];
    await assertTitle(page, "Billing");
  });

  await step("the switcher moves between workspaces (mouse and keyboard)", async () => {
    await page.getByTestId("workspace-switcher").click();
    const options = page.getByTestId("workspace-option");
    assert.equal(await options.count(), 2);
    await options.filter({ hasText: "Support" }).click();
    await page.waitForURL(new RegExp(`/w/${firstId}$`));
    await assertTitle(page, "Support");

    await page.getByTestId("workspace-switcher").focus();
    await page.keyboard.press("ArrowDown");
    await page.getByRole("menu").waitFor();
    await page.keyboard.press("b"); // type-ahead to "Billing"
    await page.keyboard.press("Enter");
    await page.waitForURL(new RegExp(`/w/${secondId}$`));
    await assertTitle(page, "Billing");
  });

  await step("an agent is invited and shows as pending", async () => {
    await page.getByRole("link", { name: "Members" }).click();
    await page.waitForURL(new RegExp(`/w/${secondId}/members$`));
    await page.getByTestId("invite-email").fill(agent.email);
    await page.getByTestId("invite-role").selectOption("agent");
    await page.getByTestId("invite-submit").click();
    await page.getByTestId("invite-success").waitFor();
    const row = page.locator(`[data-testid="invitation-row"][data-email="${agent.email}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /Pending/);
    const mail = await waitForMailLink(agent.email, INVITE_LINK);
    inviteLink = onWebUrl(mail.link);
    const shown = await page.getByTestId("invite-url").inputValue();
    assert.equal(new URL(shown).pathname, new URL(inviteLink).pathname);
  });

  const agentSide = await newPerson(suite.browser);
  pages.agent = agentSide.page;
  const agentPage = agentSide.page;

  await step("the agent opens the invitation, signs up and confirms", async () => {
    await agentPage.goto(inviteLink);
    await agentPage.getByTestId("invite-preview").waitFor();
    assert.match(await agentPage.getByTestId("invite-preview").innerText(), /Billing/);
    await agentPage.getByTestId("invite-signup").click();
    await agentPage.waitForURL(/\/signup\?/);
    assert.equal(await agentPage.getByLabel("Work email").inputValue(), agent.email);
    await signUp(agentPage, agent);
    await agentPage.getByTestId("check-inbox").waitFor();
    const { link } = await waitForMailLink(agent.email, CONFIRM_LINK);
    await agentPage.goto(link);
    await agentPage.waitForURL(/\/invite\//);
  });

  await step("the agent accepts and sees only that workspace", async () => {
    await agentPage.getByTestId("invite-accept-button").click();
    await agentPage.waitForURL(new RegExp(`/w/${secondId}$`));
    await assertTitle(agentPage, "Billing");
    await agentPage.getByTestId("workspace-switcher").click();
    const options = agentPage.getByTestId("workspace-option");
    assert.equal(await options.count(), 1);
    assert.match(await options.first().innerText(), /Billing/);
    assert.equal(await agentPage.getByTestId("new-workspace").count(), 0, "agents cannot create workspaces");
    await agentPage.keyboard.press("Escape");
    // The owner's other workspace is out of the agent's reach.
    await agentPage.goto(`/w/${firstId}`);
    await agentPage.getByTestId("workspace-unavailable").waitFor();
  });

  await step("the owner's member list shows the agent", async () => {
    const row = page.locator(`[data-testid="member-row"][data-email="${agent.email}"]`);
    // Realtime refreshes the list at once; without it, a reload must show the same.
    const live = await row.waitFor({ timeout: 8_000 }).then(
      () => true,
      () => false,
    );
    t.diagnostic(`agent appeared in the owner's list ${live ? "live (realtime)" : "after a reload (realtime did not deliver)"}`);
    if (!live) {
      await page.reload();
      await row.waitFor();
    }
    assert.match(await row.innerText(), /Agent/);
    await page
      .locator(`[data-testid="invitation-row"][data-email="${agent.email}"]`)
      .waitFor({ state: "detached", timeout: 10_000 })
      .catch(async () => {
        await page.reload();
        await page.locator(`[data-testid="invitation-row"][data-email="${agent.email}"]`).waitFor({ state: "detached" });
      });
  });

  const errors = [...ownerSide.problems, ...agentSide.problems].filter(
    (line) => !/realtime|websocket|Failed to load resource/i.test(line),
  );
  if (errors.length) t.diagnostic(`browser errors: ${errors.join(" | ")}`);
  await ownerSide.context.close();
  await agentSide.context.close();
});

async function assertTitle(page, expected) {
  assert.equal(await pageTitle(page, expected), expected);
}
