// Trends: compliance status per day (status_trend) and reports per day by event type (group_trend).

import { getJson } from "./api.js";
import { appList } from "./apps.js";
import { stackedBarChart } from "./chart.js";
import { field, h, mount, toQuery } from "./dom.js";

const STATUS_SERIES = [
  { key: "valid", label: "valid", color: "#2e7d32" },
  { key: "partial", label: "partial", color: "#f9a825" },
  { key: "invalid", label: "invalid", color: "#c62828" },
];
const EVENT_SERIES = [
  { key: "crash", label: "crash", color: "#c62828" },
  { key: "startup_failure", label: "startup_failure", color: "#6a1b9a" },
  { key: "update_failure", label: "update_failure", color: "#1565c0" },
  { key: "install_failure", label: "install_failure", color: "#ef6c00" },
  { key: "rollback_failure", label: "rollback_failure", color: "#00838f" },
];
const DEFAULT_DAYS = 30;

const isoDay = (date) => date.toISOString().slice(0, 10);

function defaultRange() {
  const end = new Date();
  const start = new Date(end.getTime() - (DEFAULT_DAYS - 1) * 86_400_000);
  return { start_date: isoDay(start), end_date: isoDay(end) };
}

function timeZones() {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return [...new Set(["UTC", local, "GMT-0600", "GMT+05:30", ...zones])];
}

let ownersCache = null;
/** Candlepin owner keys seen in the latest statuses (one bounded page): suggestions, not a limit. */
function ownerKeys() {
  if (!ownersCache) {
    ownersCache = getJson("/reports/consumer_status/run", "per_page=1000&include_reasons=false")
      .then((rows) => {
        const owners = new Map();
        for (const row of Array.isArray(rows) ? rows : []) {
          const owner = row.consumer?.owner;
          if (owner?.key) owners.set(owner.key, owner.displayName || owner.key);
        }
        return [...owners].sort();
      })
      .catch(() => {
        ownersCache = null;
        return [];
      });
  }
  return ownersCache;
}

function datalist(id, entries) {
  const list = h("datalist", { id });
  Promise.resolve(entries).then((items) =>
    list.append(...items.map((item) => (Array.isArray(item) ? h("option", { value: item[0] }, item[1]) : h("option", { value: item })))),
  );
  return list;
}

/** group_trend takes an app id: a select of the requester's apps by name, or a text field for the id. */
function appPicker(current) {
  const picker = h("select", { name: "app" }, h("option", { value: "" }, "— choose an app —"));
  if (current) picker.append(h("option", { value: current, selected: true }, current));
  appList().then((apps) => {
    if (!apps.length) {
      const input = h("input", { name: "app", value: current || "", autocomplete: "off", placeholder: "app id" });
      input.id = picker.id;
      input.setAttribute("aria-describedby", picker.getAttribute("aria-describedby") || "");
      picker.replaceWith(input);
      return;
    }
    picker.replaceChildren(
      h("option", { value: "" }, "— choose an app —"),
      ...apps.map((app) => h("option", { value: app.id, selected: app.id === current }, app.name)),
    );
  });
  return picker;
}

function trendsForm(params, ctx) {
  const inputs = {
    start_date: h("input", { type: "date", name: "start_date", value: params.start_date }),
    end_date: h("input", { type: "date", name: "end_date", value: params.end_date }),
    timezone: h("input", { name: "timezone", value: params.timezone, list: "tz-list", autocomplete: "off", required: true }),
    owner: h("input", { name: "owner", value: params.owner || "", list: "owner-list", autocomplete: "off" }),
    app: appPicker(params.app),
  };
  const form = h(
    "form",
    { class: "filters", "aria-label": "Trend range and filters" },
    field("From", inputs.start_date),
    field("To", inputs.end_date),
    field("Time zone", inputs.timezone, "IANA name or GMT±HH:MM; days start at midnight there."),
    field("Owner (compliance)", inputs.owner, "Candlepin owner key; empty = all."),
    field("App (reports)", inputs.app, "Required for the reports chart."),
    datalist("tz-list", timeZones()),
    datalist("owner-list", ownerKeys()),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Show trends")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = {};
    for (const name of Object.keys(inputs)) next[name] = form.elements[name].value.trim();
    ctx.navigate(`#/trends?${toQuery(next)}`);
  });
  return form;
}

async function statusTrend(section, params, ctx) {
  const query = toQuery({ start_date: params.start_date, end_date: params.end_date, timezone: params.timezone, owner: params.owner });
  const result = await ctx.guard(() => getJson("/reports/status_trend/run", query));
  const title = `Consumers by compliance status${params.owner ? ` (owner ${params.owner})` : ""}`;
  mount(
    section,
    h("h2", { id: "status-trend-title" }, "Compliance status per day"),
    result ? stackedBarChart(result, STATUS_SERIES, title) : h("p", { class: "empty" }, "Could not load the status trend."),
  );
  section.setAttribute("aria-busy", "false");
}

async function groupTrend(section, params, ctx) {
  const heading = h("h2", { id: "group-trend-title" }, "Client reports per day by event type");
  section.setAttribute("aria-busy", "false");
  if (!params.app) {
    mount(section, heading, h("p", { class: "empty" }, "Choose an app above to see its reports per day."));
    return;
  }
  section.setAttribute("aria-busy", "true");
  const query = toQuery({ app: params.app, start_date: params.start_date, end_date: params.end_date, timezone: params.timezone });
  const [result, apps] = await Promise.all([ctx.guard(() => getJson("/reports/group_trend/run", query)), appList()]);
  const appName = apps.find((app) => app.id === params.app)?.name ?? params.app;
  mount(
    section,
    heading,
    result ? stackedBarChart(result, EVENT_SERIES, `Reports for ${appName} by event type`) : h("p", { class: "empty" }, "Could not load the group trend."),
  );
  section.setAttribute("aria-busy", "false");
}

export async function renderTrends(view, query, ctx) {
  document.title = "Trends · fleetreport";
  const params = { ...defaultRange(), timezone: "UTC", ...query };
  const status = h("section", { id: "status-trend", class: "card", "aria-labelledby": "status-trend-title", "aria-busy": "true" }, h("h2", { id: "status-trend-title" }, "Compliance status per day"), h("p", {}, "Loading…"));
  const groups = h("section", { id: "group-trend", class: "card", "aria-labelledby": "group-trend-title", "aria-busy": "true" }, h("h2", { id: "group-trend-title" }, "Client reports per day by event type"));
  mount(view, h("h1", {}, "Trends"), trendsForm(params, ctx), status, groups);
  await Promise.all([statusTrend(status, params, ctx), groupTrend(groups, params, ctx)]);
}
