// End to end in Chromium: a workspace admin manages the team and the workspace — invitation
// revoke, the wrong-account invitation page, role change, member removal with confirmation,
// rename, and deletion behind the impact summary and the typed name — plus duplicate sign-up
// and log in. Needs the whole local stack (`./dev up`).

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  INVITE_LINK,
  fillSignUp,
  newPerson,
  onWebUrl,
  pageTitle,
  rand,
  signUpAndConfirm,
  stepper,
  suiteBrowser,
  waitForMailLink,
} from "./lib/browser.mjs";

const suite = suiteBrowser();

const idOf = (page) => new URL(page.url()).pathname.split("/")[2];

test("an admin manages members, renames and deletes a workspace", { timeout: 240_000 }, async (t) => {
  const id = rand();
  const domain = `${id}-works.com`;
  const password = `Pw-${rand(6)}-long`;
  const owner = { name: "Nora Admin", email: `nora-${id}@${domain}`, password };
  const agent = { name: "Ravi Agent", email: `ravi-${id}@${domain}`, password };
  const lead = `lead-${id}@${domain}`;
  const pages = {};
  const step = stepper(t, pages);

  const ownerSide = await newPerson(suite.browser);
  const page = (pages.owner = ownerSide.page);
  let salesId;
  let opsId;
  let inviteLink;

  await step("owner signs up and names the business", async () => {
    await signUpAndConfirm(page, owner);
    await page.waitForURL(/\/onboarding$/);
    await page.getByLabel("Business name").fill(`Works ${id}`);
    await page.getByRole("button", { name: "Sales" }).click(); // a suggestion fills the workspace name
    assert.equal(await page.getByLabel("First workspace").inputValue(), "Sales");
    await page.getByRole("button", { name: "Create business and workspace" }).click();
    await page.waitForURL(/\/w\/[^/]+$/);
    salesId = idOf(page);
    await pageTitle(page, "Sales");
  });

  await step("the new-workspace dialog closes on Escape and creates on submit", async () => {
    await page.getByTestId("workspace-switcher").click();
    await page.getByTestId("new-workspace").click();
    const dialog = page.getByTestId("new-workspace-dialog");
    await dialog.getByLabel("Workspace name").waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("name")), "workspace_name");
    await page.keyboard.press("Escape");
    await dialog.getByLabel("Workspace name").waitFor({ state: "detached" });
    assert.equal(await dialog.evaluate((element) => element.open), false);

    await page.getByTestId("workspace-switcher").click();
    await page.getByTestId("new-workspace").click();
    await dialog.getByLabel("Workspace name").fill("Ops");
    await page.keyboard.press("Enter");
    await page.waitForURL((url) => /\/w\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith(salesId));
    opsId = idOf(page);
    await pageTitle(page, "Ops");
  });

  await step("an invitation can be revoked", async () => {
    await page.goto(`/w/${opsId}/members`);
    await page.getByTestId("invitations-empty").waitFor();
    await page.getByTestId("invite-email").fill(lead);
    await page.getByTestId("invite-role").selectOption("admin");
    await page.getByTestId("invite-submit").click();
    const row = page.locator(`[data-testid="invitation-row"][data-email="${lead}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /Admin/);
    await row.getByTestId("invitation-revoke").click();
    await row.waitFor({ state: "detached" });
    await page.getByTestId("invitations-empty").waitFor();
  });

  await step("the invitation page tells a wrong account so", async () => {
    await page.getByTestId("invite-email").fill(agent.email);
    await page.getByTestId("invite-role").selectOption("agent");
    await page.getByTestId("invite-submit").click();
    await page.locator(`[data-testid="invitation-row"][data-email="${agent.email}"]`).waitFor();
    inviteLink = onWebUrl((await waitForMailLink(agent.email, INVITE_LINK)).link);
    const other = await ownerSide.context.newPage();
    await other.goto(inviteLink);
    const box = other.getByTestId("invite-wrong-account");
    await box.waitFor();
    assert.match(await box.innerText(), new RegExp(agent.email.replace(/[.]/g, "\\.")));
    await other.close();
  });

  const agentSide = await newPerson(suite.browser);
  const agentPage = (pages.agent = agentSide.page);

  await step("the agent joins through the invitation", async () => {
    await signUpAndConfirm(agentPage, agent, { next: new URL(inviteLink).pathname });
    await agentPage.waitForURL(/\/invite\//);
    await agentPage.getByTestId("invite-accept-button").click();
    await agentPage.waitForURL(new RegExp(`/w/${opsId}$`));
    await pageTitle(agentPage, "Ops");
    assert.match(await agentPage.getByTestId("home-next-step").innerText(), /You're on the Ops team/);
  });

  await step("the admin changes the agent's role, then removes them after confirming", async () => {
    const row = page.locator(`[data-testid="member-row"][data-email="${agent.email}"]`);
    await row.waitFor({ timeout: 8_000 }).catch(async () => {
      await page.reload();
      await row.waitFor();
    });
    const saved = page.waitForResponse(
      (response) => response.request().method() === "PATCH" && /\/members\//.test(response.url()),
    );
    await row.getByTestId("member-role").selectOption("admin");
    assert.equal((await saved).status(), 200);
    await page.reload();
    await row.waitFor();
    assert.equal(await row.getByTestId("member-role").inputValue(), "admin");

    await row.getByTestId("member-remove").click();
    const dialog = page.getByTestId("remove-member-dialog");
    await dialog.getByRole("button", { name: "Cancel" }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), "Cancel");
    await page.keyboard.press("Escape");
    assert.equal(await dialog.evaluate((element) => element.open), false);
    assert.equal(await row.count(), 1, "Escape removes nobody");

    await row.getByTestId("member-remove").click();
    await dialog.getByRole("button", { name: "Remove" }).click();
    await row.waitFor({ state: "detached" });
  });

  await step("the removed agent loses the workspace", async () => {
    await agentPage.goto(`/w/${opsId}`);
    await agentPage.getByTestId("workspace-unavailable").waitFor();
  });

  await step("the admin renames the workspace", async () => {
    await page.getByRole("link", { name: "Settings" }).click();
    await page.waitForURL(new RegExp(`/w/${opsId}/settings$`));
    const form = page.getByTestId("rename-workspace-form");
    await form.getByLabel("Name").fill("Operations");
    await form.getByRole("button", { name: "Save" }).click();
    await form.getByText("Saved.").waitFor();
    await page.getByTestId("current-workspace-name").filter({ hasText: "Operations" }).waitFor();
  });

  await step("deleting asks for the exact name and shows what goes with it", async () => {
    await page.getByTestId("delete-workspace").click();
    const dialog = page.getByTestId("delete-workspace-dialog");
    await dialog.getByTestId("deletion-impact").locator("li").first().waitFor();
    const confirm = dialog.getByTestId("delete-confirm");
    await dialog.getByTestId("delete-confirm-input").fill("operations");
    assert.equal(await confirm.isDisabled(), true, "the name must match exactly");
    await dialog.getByTestId("delete-confirm-input").fill("Operations");
    await confirm.click();
    await page.waitForURL(new RegExp(`/w/${salesId}$`));
    await pageTitle(page, "Sales");
    await page.getByTestId("workspace-switcher").click();
    assert.equal(await page.getByTestId("workspace-option").count(), 1);
    await page.keyboard.press("Escape");
  });

  await step("a second sign-up with the same email is told to log in, and logging in works", async () => {
    const other = await newPerson(suite.browser);
    pages.other = other.page;
    await other.page.goto("/signup");
    await fillSignUp(other.page, owner);
    const exists = other.page.getByTestId("signup-exists");
    await exists.waitFor();
    await exists.getByRole("link", { name: "Log in" }).click();
    await other.page.waitForURL(/\/login\?/);
    assert.equal(await other.page.getByLabel("Work email").inputValue(), owner.email);
    await other.page.getByLabel("Password").fill(password);
    await other.page.getByRole("button", { name: "Log in" }).click();
    await other.page.waitForURL(new RegExp(`/w/${salesId}$`));
    await pageTitle(other.page, "Sales");

    await other.page.getByTestId("user-menu").click();
    await other.page.getByTestId("logout").click();
    await other.page.waitForURL(/\/login$/);
    await other.page.goto(`/w/${salesId}/members`);
    await other.page.waitForURL(/\/login\?next=/);
    await other.context.close();
  });

  await ownerSide.context.close();
  await agentSide.context.close();
});
