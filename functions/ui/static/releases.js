// Releases (SPEC §12): crash-free devices % per version over days (a line chart with its numbers in a
// table), each version's active and crashed devices, and the rollout gate's verdict an update server gets.

import { getJson } from "./api.js";
import { appList } from "./apps.js";
import { field, formatNumber, h, mount, s, select, toQuery } from "./dom.js";

const DAYS = ["7", "14", "30", "60", "90"];
const COLORS = ["#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#6d4c41", "#d81b60"];
const VERDICTS = { proceed: "proceed", halt: "halt", insufficient_data: "insufficient data" };

const percent = (value) => (value === null || value === undefined ? "—" : `${value.toFixed(2)} %`);

/** The requester's apps as a select (by name); a text field for the id when apps cannot be listed. */
function appPicker(current, apps) {
  if (!apps.length) return h("input", { name: "app", value: current || "", autocomplete: "off", placeholder: "app id", required: true });
  return select({ name: "app" }, apps.map((app) => [app.id, app.name]), current);
}

function releasesForm(params, apps, ctx) {
  const inputs = {
    app: appPicker(params.app, apps),
    days: select({ name: "days" }, DAYS, params.days),
    channel: h("input", { name: "channel", value: params.channel || "", autocomplete: "off" }),
    platform: h("input", { name: "platform", value: params.platform || "", autocomplete: "off" }),
  };
  const form = h(
    "form",
    { class: "filters", "aria-label": "Releases of an app" },
    field("App", inputs.app),
    field("Days", inputs.days, "UTC days in each version's series."),
    field("Channel", inputs.channel, "Empty = every channel (the gate too)."),
    field("Platform", inputs.platform, "Empty = every platform."),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Show releases")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = {};
    for (const [name, input] of Object.entries(inputs)) next[name] = input.value.trim();
    ctx.navigate(`#/releases?${toQuery(next)}`);
  });
  return form;
}

/** y from a round percentage under the lowest value to 100 in four even steps, so a 2 % drop shows. */
export function percentScale(values) {
  const low = Math.min(100, ...values);
  const step = [0.25, 0.5, 1, 2.5, 5, 10, 25].find((candidate) => 100 - 4 * candidate <= low) ?? 25;
  return { bottom: 100 - 4 * step, top: 100 };
}

function drawLines(width, days, lines, title) {
  const height = 260;
  const margin = { top: 12, right: 24, bottom: 32, left: 52 }; // room for the last day label
  const plotW = Math.max(10, width - margin.left - margin.right);
  const plotH = height - margin.top - margin.bottom;
  const values = lines.flatMap((line) => line.points.filter((p) => p !== null));
  const { bottom, top } = percentScale(values);
  const x = (i) => margin.left + (days.length > 1 ? (i * plotW) / (days.length - 1) : plotW / 2);
  const y = (v) => margin.top + plotH - ((v - bottom) / (top - bottom)) * plotH;
  const svg = s("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "chart-svg" });
  const step = (top - bottom) / 4;
  for (let i = 0; i <= 4; i += 1) {
    const v = bottom + i * step;
    svg.append(
      s("line", { x1: margin.left, x2: margin.left + plotW, y1: y(v), y2: y(v), class: i ? "grid" : "axis" }),
      s("text", { x: margin.left - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, `${Number(v.toFixed(1))}%`),
    );
  }
  const labelEvery = Math.max(1, Math.ceil((44 * days.length) / plotW));
  days.forEach((day, i) => {
    if (i % labelEvery === 0) svg.append(s("text", { x: x(i), y: height - margin.bottom + 16, "text-anchor": "middle", class: "tick" }, day.slice(5)));
  });
  for (const line of lines) {
    const group = s("g", { class: "release-line", "data-version": line.version });
    // A day without active devices has no percentage: the line breaks there.
    let segment = [];
    const flush = () => {
      if (segment.length > 1) group.append(s("polyline", { points: segment.join(" "), fill: "none", stroke: line.color, "stroke-width": 2 }));
      segment = [];
    };
    line.points.forEach((value, i) => {
      if (value === null) return flush();
      segment.push(`${x(i).toFixed(1)},${y(value).toFixed(1)}`);
      group.append(s("circle", { cx: x(i), cy: y(value), r: 3, fill: line.color }, s("title", {}, `${line.version} · ${days[i]}: ${percent(value)}`)));
    });
    flush();
    svg.append(group);
  }
  return svg;
}

/** Crash-free devices % per version and day: a line chart redrawn at its own width, a legend, the table. */
export function crashFreeChart(items) {
  const days = [...new Set(items.flatMap((item) => item.days.map((d) => d.date)))].sort();
  const lines = items.map((item, i) => {
    const byDay = new Map(item.days.map((d) => [d.date, d.crash_free_devices]));
    return { version: item.version, color: COLORS[i % COLORS.length], points: days.map((d) => byDay.get(d) ?? null) };
  });
  const title = "Crash-free devices per version and day";
  const canvas = h("div", { class: "chart-canvas" });
  const table = h(
    "details",
    { class: "chart-data" },
    h("summary", {}, "Show the numbers"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data", id: "crash-free-table" },
        h("caption", {}, `${title} (crash-free % · active devices · crashed devices)`),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day"), items.map((item) => h("th", { scope: "col", class: "num" }, item.version)))),
        h(
          "tbody",
          {},
          days.map((day) =>
            h(
              "tr",
              {},
              h("th", { scope: "row" }, day),
              items.map((item) => {
                const d = item.days.find((entry) => entry.date === day);
                return h("td", { class: "num" }, d && d.active_devices ? `${percent(d.crash_free_devices)} · ${formatNumber(d.active_devices)} · ${formatNumber(d.crashed_devices)}` : "—");
              }),
            ),
          ),
        ),
      ),
    ),
  );
  const figure = h(
    "figure",
    { class: "chart", id: "crash-free-chart" },
    h("figcaption", {}, title, days.length ? ` (${days[0]} to ${days[days.length - 1]}, UTC)` : ""),
    canvas,
    h(
      "ul",
      { class: "legend", "aria-label": "Legend" },
      lines.map((line) => h("li", {}, s("svg", { width: 12, height: 12, "aria-hidden": "true" }, s("rect", { width: 12, height: 12, fill: line.color })), line.version)),
    ),
    table,
  );
  let lastWidth = 0;
  const draw = () => {
    const width = Math.floor(canvas.clientWidth || 800);
    if (width === lastWidth) return;
    lastWidth = width;
    canvas.replaceChildren(drawLines(width, days, lines, `${title}: one line per version`));
  };
  new ResizeObserver(draw).observe(canvas);
  requestAnimationFrame(draw);
  return figure;
}

function verdictBadge(gate) {
  if (!gate) return h("span", { class: "badge badge-unknown" }, "unknown");
  return h("span", { class: `badge verdict-${gate.verdict}`, "data-verdict": gate.verdict }, VERDICTS[gate.verdict] ?? gate.verdict);
}

const td = (label, attrs, ...content) => h("td", { "data-label": label, ...attrs }, h("span", {}, content));

function gateNote(gate) {
  if (!gate) return null;
  const today = `today ${percent(gate.crash_free_devices)} of ${formatNumber(gate.active_devices)} devices`;
  return h("small", { class: "gate-note" }, `${today}; halts below ${gate.threshold} % with ≥ ${formatNumber(gate.min_devices)} devices`);
}

function releasesTable(items, gates) {
  const headers = ["Version", "Gate", "Crash-free devices", "Active devices", "Crashed devices", "Reports", "Open groups", "First seen"];
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data releases responsive" },
      h("caption", { class: "sr-only" }, "Versions, newest first, with their devices since the first beacon and today's gate verdict"),
      h("thead", {}, h("tr", {}, headers.map((name) => h("th", { scope: "col" }, name)))),
      h(
        "tbody",
        {},
        items.map((item, i) =>
          h(
            "tr",
            { dataset: { version: item.version } },
            td("Version", {}, h("strong", {}, item.version)),
            td("Gate", {}, verdictBadge(gates[i]), " ", gateNote(gates[i])),
            td("Crash-free devices", { class: "num" }, percent(item.crash_free_devices)),
            td("Active devices", { class: "num" }, formatNumber(item.active_devices)),
            td("Crashed devices", { class: "num" }, formatNumber(item.crashed_devices)),
            td("Reports", { class: "num" }, formatNumber(item.reports)),
            td("Open groups", { class: "num" }, formatNumber(item.open_groups)),
            td("First seen", { class: "nowrap" }, item.first_seen ?? "—"),
          ),
        ),
      ),
    ),
  );
}

export async function renderReleases(view, query, ctx) {
  document.title = "Releases · fleetreport";
  const apps = await appList();
  const params = { days: "14", ...query };
  if (!params.app && apps.length) params.app = apps[0].id;
  const results = h("section", { id: "releases-results", "aria-labelledby": "releases-title", "aria-busy": "true" });
  mount(view, h("h1", {}, "Releases"), releasesForm(params, apps, ctx), results);
  if (!params.app) {
    mount(results, h("h2", { id: "releases-title" }, "Versions"), h("p", { class: "empty" }, "Choose an app above to see its releases."));
    results.setAttribute("aria-busy", "false");
    return;
  }
  mount(results, h("h2", { id: "releases-title" }, "Versions"), h("p", {}, "Loading…"));
  const base = `/apps/${encodeURIComponent(params.app)}/releases`;
  const data = await ctx.guard(() => getJson(base, toQuery({ days: params.days, channel: params.channel, platform: params.platform })));
  if (!data) {
    mount(results, h("h2", { id: "releases-title" }, "Versions"), h("p", { class: "empty" }, "Could not load the releases."));
    results.setAttribute("aria-busy", "false");
    return;
  }
  const items = data.items || [];
  const gates = await Promise.all(
    items.map((item) => getJson(`${base}/${encodeURIComponent(item.version)}/gate`, toQuery({ channel: params.channel })).catch(() => null)),
  );
  const appName = apps.find((app) => app.id === params.app)?.name ?? params.app;
  const summary = `${items.length} version${items.length === 1 ? "" : "s"} of ${appName}`;
  mount(
    results,
    h("h2", { id: "releases-title" }, summary),
    items.length ? releasesTable(items, gates) : h("p", { class: "empty" }, "No device of this app has sent a beacon or a report yet."),
    items.length ? h("section", { class: "card", "aria-label": "Crash-free devices chart" }, crashFreeChart(items)) : null,
    data.next_cursor ? h("p", { class: "hint" }, "More versions exist; narrow by channel or platform.") : null,
  );
  results.setAttribute("aria-busy", "false");
  ctx.announce(`${summary} found`);
}
