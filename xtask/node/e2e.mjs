// Browser tests of the dashboard: Debian's Chromium driven by playwright-core. Run by
// `cargo xtask e2e`, which starts a fresh portal and passes, in the environment:
// PORTAL_URL, BOOTSTRAP_URL, PACKAGE, PUBLIC_KEY, MOSIS_BIN, MOSIS_CONFIG_HOME,
// CHROMIUM, ARTIFACTS. Any console error or CSP violation fails the run.
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";

const env = (name) => {
  const value = process.env[name];
  if (!value) { throw new Error(`${name} is not set; run this through \`cargo xtask e2e\``); }
  return value;
};
const portal = env("PORTAL_URL");
const artifacts = env("ARTIFACTS");
const appId = "com.example.hello";

const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const problems = [];
page.on("console", (msg) => { if (msg.type() === "error") { problems.push(`console: ${msg.text()}`); } });
page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
await context.addInitScript(() => {
  document.addEventListener("securitypolicyviolation", (e) => {
    console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
  });
});

let step = "start";
const check = async (name, fn) => {
  step = name;
  const started = Date.now();
  await fn();
  assert.deepEqual(problems, [], `${name}: the page reported problems`);
  console.log(`ok   ${name} (${Date.now() - started} ms)`);
};
const shot = (name) => page.screenshot({ path: `${artifacts}/${name}.png`, fullPage: true });
const text = (selector) => page.locator(selector).first().innerText();

try {
  await check("sign in through the bootstrap link", async () => {
    await page.goto(env("BOOTSTRAP_URL"));
    await shot("setup-claim");
    await page.getByLabel("Your account name").fill("admin");
    await page.getByRole("button", { name: "Claim this instance" }).click();
    await page.getByText("You are the admin of this instance").waitFor();
    await shot("setup-done");
  });

  await check("keyboard: the first Tab reaches the skip link", async () => {
    await page.goto(`${portal}/apps`);
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.className), "skip-link");
    await shot("apps-empty");
  });

  await check("register an app", async () => {
    await page.getByRole("link", { name: "Register your first app" }).click();
    await page.getByLabel("App ID").fill(appId);
    await page.getByLabel("Display name").fill("Hello <b>world</b>");
    await page.getByRole("button", { name: "Create app" }).click();
    await page.waitForURL(`${portal}/apps/${appId}`);
    assert.equal(await text("h1"), "Hello <b>world</b>", "the name is shown as text");
    await shot("app");
  });

  await check("add a signing key", async () => {
    await page.goto(`${portal}/keys`);
    await page.getByLabel("Public key").fill(readFileSync(env("PUBLIC_KEY"), "utf8"));
    await page.getByLabel("Label").fill("laptop");
    await page.getByRole("button", { name: "Add key" }).click();
    await page.getByRole("cell", { name: "laptop" }).waitFor();
    await shot("keys");
  });

  await check("upload a package from the page and watch its state", async () => {
    await page.goto(`${portal}/apps/${appId}/upload`);
    await page.setInputFiles("#package", env("PACKAGE"));
    await page.getByRole("button", { name: "Upload" }).click();
    await page.getByRole("heading", { name: "Uploaded 0.1.0" }).waitFor();
    await shot("upload-done");
    await page.getByRole("link", { name: "Follow 0.1.0" }).click();
    await page.waitForURL(`${portal}/apps/${appId}/versions/0.1.0`);
    assert.match(await text("#version-state"), /Processing|Awaiting review/);
    // While in flight, the state fragment polls (htmx, every 5 s) and comes back intact;
    // by then the review workers have run the checks.
    const polled = page.waitForResponse((r) => r.url().endsWith("/versions/0.1.0/state") && r.status() === 200,
      { timeout: 15000 });
    await polled;
    await page.locator("#version-state", { hasText: "Awaiting review" }).waitFor({ timeout: 15000 });
    assert.match(await text("#version-state"), /All checks passed/);
    assert.match(await text("#version-state"), /The icon decodes and fits/);
    await shot("version");
    await page.goto(`${portal}/apps/${appId}`);
    assert.match(await text("#versions"), /0\.1\.0/);
  });

  await check("the review queue lists it; its owner cannot decide", async () => {
    await page.getByRole("link", { name: "Review", exact: true }).click();
    await page.waitForURL(`${portal}/review`);
    await page.getByRole("link", { name: "Hello <b>world</b>" }).click();
    await page.waitForURL(`${portal}/review/${appId}/0.1.0`);
    await page.getByText("This is your app: another reviewer decides").waitFor();
    assert.equal(await page.getByRole("button", { name: "Approve and publish" }).count(), 0);
    assert.match(await text("main"), /All checks passed/);
    assert.match(await text("main"), /icon\.png/);
    await shot("review");
  });

  await check("create a token (shown once) and revoke it", async () => {
    await page.goto(`${portal}/tokens`);
    await page.getByLabel("Name").fill("release CI");
    await page.getByRole("button", { name: "Create token" }).click();
    const secret = await page.locator("#new-token").inputValue();
    assert.match(secret, /^mosis_[A-Za-z0-9_-]{43}$/);
    await shot("token-created");
    const me = await fetch(`${portal}/api/v1/me`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(me.status, 200, "the new token works");
    await page.getByRole("link", { name: "Done" }).click();
    assert.equal(await page.locator("#new-token").count(), 0, "the secret is not shown again");
    await page.getByRole("button", { name: "Revoke token release CI" }).click();
    await page.getByText("Revoked").first().waitFor();
    const after = await fetch(`${portal}/api/v1/me`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(after.status, 401, "the revoked token is refused at once");
    await shot("tokens");
  });

  await check("approve a device login of `mosis login`", async () => {
    const cli = spawn(env("MOSIS_BIN"), ["login", "--server", portal], {
      env: { ...process.env, XDG_CONFIG_HOME: env("MOSIS_CONFIG_HOME"), MOSIS_TOKEN: "", MOSIS_SERVER: "" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let output = "";
    const code = await new Promise((resolve, reject) => {
      cli.stderr.on("data", (chunk) => {
        output += chunk;
        const found = output.match(/^\s+([B-Z]{4}-[B-Z]{4})\s*$/m);
        if (found) { resolve(found[1]); }
      });
      cli.on("exit", () => reject(new Error(`mosis login ended early: ${output}`)));
    });
    const exited = new Promise((resolve) => cli.on("exit", resolve));
    await page.goto(`${portal}/device`);
    await page.getByLabel("Code").fill(code.toLowerCase().replace("-", " "));
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByText("Only continue if you started this").waitFor();
    await shot("device-confirm");
    await page.getByRole("button", { name: "Authorize" }).click();
    await page.getByText("Device authorized").waitFor();
    assert.equal(await exited, 0, `mosis login failed: ${output}`);
    assert.match(output, /logged in to .* as admin/);
  });

  await check("account, admin and audit pages; dark mode", async () => {
    await page.goto(`${portal}/account`);
    await shot("account");
    await page.goto(`${portal}/admin/users`);
    await shot("admin-users");
    await page.goto(`${portal}/admin/audit`);
    for (const action of ["instance.claimed", "app.registered", "key.added", "token.created", "token.revoked", "device.approved"]) {
      assert.ok((await page.content()).includes(action), `the audit log has ${action}`);
    }
    await shot("admin-audit");
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${portal}/apps`);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.notEqual(background, "rgb(255, 255, 255)", "dark mode changes the colours");
    await shot("apps-dark");
  });

  await check("sign out", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login/);
    await page.goto(`${portal}/apps`);
    await page.waitForURL(/\/login\?next=/);
  });
} catch (err) {
  await shot(`failed-${step.replace(/\W+/g, "-")}`).catch(() => {});
  console.error(`FAIL ${step}: ${err.message}`);
  await browser.close();
  process.exit(1);
}
await browser.close();
console.log("e2e: all browser checks passed");
