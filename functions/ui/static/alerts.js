// Alerts (SPEC §10): the requester's recent signals, newest first, filtered by app and signal, with
// "Older alerts" following the API's cursor.

import { getJson } from "./api.js";
import { h, mount, field, select, formatTime, formatNumber, toQuery } from "./dom.js";

const SIGNALS = ["group.new", "group.regressed", "group.spike", "group.unmuted"];
const LABELS = {
  "group.new": "New group",
  "group.regressed": "Regressed",
  "group.spike": "Spike",
  "group.unmuted": "Mute ended",
};

function alertRows(items) {
  return items.map((alert) => {
    const group = alert.group || {};
    const href = `#/groups/${group.hash}?${toQuery({ app: alert.app?.name })}`;
    const counts = alert.counts || {};
    const detail = counts.this_hour !== undefined ? `${formatNumber(counts.this_hour)} this hour` : "";
    return h(
      "tr",
      { dataset: { signal: alert.signal } },
      h("td", { "data-label": "When" }, formatTime(alert.occurred_at)),
      h("td", { "data-label": "Signal" }, h("span", { class: `badge signal ${alert.signal.replace(".", "-")}` }, LABELS[alert.signal] || alert.signal)),
      h("td", { "data-label": "App" }, alert.app?.name || ""),
      h("td", { "data-label": "Group" }, h("a", { href }, `${group.application?.version} ${group.event?.type}`), h("br"), h("small", {}, group.event?.reason)),
      h("td", { "data-label": "Reports", class: "num" }, formatNumber(counts.total), detail ? h("small", {}, ` · ${detail}`) : null),
    );
  });
}

export async function renderAlerts(view, query, ctx) {
  document.title = "Alerts · fleetreport";
  const app = h("input", { name: "app", value: query.app || "", autocomplete: "off" });
  const signal = select({ name: "signal" }, [["", "all"], ...SIGNALS.map((name) => [name, LABELS[name]])], query.signal || "");
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter alerts" },
    field("App", app, "Name or id"),
    field("Signal", signal),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Apply")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ctx.navigate(`#/alerts?${toQuery({ app: app.value.trim(), signal: signal.value })}`);
  });
  const body = h("tbody", {});
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Older alerts");
  const empty = h("p", { class: "empty", hidden: true }, "No alerts in the last 30 days.");
  const table = h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data responsive alerts" },
      h("caption", { class: "sr-only" }, "Alerts, newest first"),
      h("thead", {}, h("tr", {}, ["When", "Signal", "App", "Group", "Reports"].map((n) => h("th", { scope: "col" }, n)))),
      body,
    ),
  );
  mount(view, h("h1", {}, "Alerts"), h("p", { class: "subtitle" }, "New, regressed, spiking and unmuted groups (kept 30 days)."), form, table, empty, more);
  let cursor = null;
  const load = async () => {
    const data = await ctx.guard(() => getJson("/alerts", toQuery({ app: query.app, signal: query.signal, limit: 50, cursor })));
    if (!data) return;
    body.append(...alertRows(data.items || []));
    cursor = data.next_cursor || null;
    more.hidden = !cursor;
    empty.hidden = body.children.length > 0;
  };
  more.addEventListener("click", load);
  await load();
}
