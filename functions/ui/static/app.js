// The dashboard's entry point: sign-in, a hash router over the three sections, messages.

import { ApiError, claims, clearToken, getJson, getToken, setToken, whenUnauthorized } from "./api.js";
import { field, h, mount, parseQuery } from "./dom.js";
import { forgetApps } from "./apps.js";
import { renderGroup, renderGroups } from "./groups.js";
import { renderAlerts } from "./alerts.js";
import { renderReleases } from "./releases.js";
import { renderReport, renderReports } from "./reports.js";
import { renderTrends } from "./trends.js";

const main = document.getElementById("main");
const errorBox = document.getElementById("error");
const statusBox = document.getElementById("status");

/** What every view gets: messages and navigation. */
const ctx = {
  showError(err) {
    const message = err instanceof Error ? err.message : String(err);
    errorBox.replaceChildren(h("strong", {}, "Error: "), message);
    errorBox.hidden = false;
    // A bug (not an API answer) also goes to the console, with its stack.
    if (err instanceof Error && !(err instanceof ApiError)) console.error(err);
  },
  clearError() {
    errorBox.hidden = true;
    errorBox.replaceChildren();
  },
  announce(message) {
    statusBox.textContent = "";
    // A fresh text node makes screen readers announce the same message twice in a row too.
    window.setTimeout(() => {
      statusBox.textContent = message;
    }, 50);
  },
  navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  /** Run an async action, showing its error (in the API's words) instead of throwing. */
  async guard(action) {
    try {
      return await action();
    } catch (err) {
      ctx.showError(err);
      return undefined;
    }
  },
};

const ROUTES = [
  [/^\/groups$/, "groups", (view, m, q) => renderGroups(view, q, ctx)],
  [/^\/groups\/([a-f0-9]{64})$/, "groups", (view, m, q) => renderGroup(view, m[1], q, ctx)],
  [/^\/trends$/, "trends", (view, m, q) => renderTrends(view, q, ctx)],
  [/^\/alerts$/, "alerts", (view, m, q) => renderAlerts(view, q, ctx)],
  [/^\/releases$/, "releases", (view, m, q) => renderReleases(view, q, ctx)],
  [/^\/reports$/, "reports", (view, m, q) => renderReports(view, ctx)],
  [/^\/reports\/([A-Za-z0-9_.-]+)$/, "reports", (view, m, q) => renderReport(view, m[1], q, ctx)],
  [/^\/reports\/([A-Za-z0-9_.-]+)\/run$/, "reports", (view, m, q) => renderReport(view, m[1], q, ctx, true)],
];

function setSignedIn(signedIn) {
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("who").hidden = !signedIn;
  if (signedIn) {
    const c = claims();
    const label = [c.sub, c.role && `(${c.role}`, c.owner && `· ${c.owner})`].filter(Boolean).join(" ");
    document.getElementById("who-label").textContent = label;
  }
}

function markCurrent(section) {
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.section === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function renderSignIn(reason) {
  setSignedIn(false);
  markCurrent(null);
  document.title = "Sign in · fleetreport";
  const token = h("textarea", {
    id: "token",
    name: "token",
    rows: 4,
    required: true,
    autocomplete: "off",
    spellcheck: "false",
  });
  const form = h(
    "form",
    { class: "card signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in"),
    h("p", {}, "Paste an API token (a JWT). ", h("code", {}, "make run"), " prints one for the demo data."),
    field("API token", token, "Kept in this tab only (sessionStorage) until you sign out."),
    h("button", { type: "submit" }, "Sign in"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = token.value.trim().replace(/^Bearer\s+/i, "");
    if (!value) return;
    setToken(value);
    try {
      await getJson("/reports/groups", "limit=1");
    } catch (err) {
      // 401: the unauthorized hook has cleared the token and shows the sign-in form with the API's message.
      if (err instanceof ApiError && err.status === 401) return;
      // 403 and friends: the token is valid, it just cannot read groups.
    }
    ctx.clearError();
    ctx.announce("Signed in");
    if (!location.hash || location.hash === "#/" || location.hash === "#/signin") location.hash = "#/groups";
    else route();
  });
  mount(main, form);
  if (reason) ctx.showError(reason);
  token.focus();
}

async function route() {
  ctx.clearError();
  if (!getToken()) {
    renderSignIn();
    return;
  }
  setSignedIn(true);
  const hash = location.hash.replace(/^#/, "") || "/groups";
  const [path, query = ""] = hash.split("?");
  const matched = ROUTES.map(([re, section, render]) => [path.match(re), section, render]).find(([m]) => m);
  // aria-busy until the view's first data is in; data-hash names the route it shows (tests wait on both).
  const view = h("div", { class: "view", "aria-busy": "true", "data-hash": hash });
  mount(main, view);
  if (!matched) {
    markCurrent(null);
    mount(view, h("h1", {}, "Not found"), h("p", {}, h("a", { href: "#/groups" }, "Go to the groups")));
    view.setAttribute("aria-busy", "false");
    return;
  }
  const [m, section, render] = matched;
  markCurrent(section);
  try {
    return await render(view, m, parseQuery(query));
  } catch (err) {
    ctx.showError(err);
  } finally {
    view.setAttribute("aria-busy", "false");
  }
  return undefined;
}

/** Move focus to the new content (or what the view asked for) so keyboard users start there. */
function focusView(target) {
  if (target instanceof HTMLElement && target.isConnected) {
    target.focus();
    return;
  }
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

whenUnauthorized((err) => {
  clearToken();
  window.setTimeout(() => renderSignIn(`${err.message} (sign in again)`), 0);
});

document.getElementById("sign-out").addEventListener("click", () => {
  clearToken();
  forgetApps();
  ctx.navigate("#/signin");
  ctx.announce("Signed out");
});

window.addEventListener("hashchange", () => {
  route().then(focusView);
});
route();
