// Reports: the catalogue, a form built from each report's parameter metadata, results and CSV download.

import { getBlob, getJson, getJsonWithPaging } from "./api.js";
import { field, formatNumber, h, mount, select, toQuery } from "./dom.js";

const MAX_ROWS_SHOWN = 500;
const PAGING = [
  ["page", "Page", "1 or more; with Per page, returns one page."],
  ["per_page", "Per page", "1 to 1000 (default 10 when paging)."],
  ["sort_by", "Sort by", "A field the report allows; default the snapshot date."],
];

/** Nested objects become dotted columns; lists of plain values are joined, lists of objects kept as JSON. */
export function flatten(value, prefix = "", out = {}) {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (!entries.length && prefix) out[prefix] = "";
    for (const [key, inner] of entries) flatten(inner, prefix ? `${prefix}.${key}` : key, out);
  } else if (Array.isArray(value)) {
    const plain = value.every((item) => item === null || typeof item !== "object");
    out[prefix || "value"] = plain ? value.join(", ") : JSON.stringify(value);
  } else {
    out[prefix || "value"] = value;
  }
  return out;
}

/** A report result (a list, or a map of key -> object/list) as flat rows. */
export function toRows(result) {
  if (Array.isArray(result)) return result.map((item) => flatten(item));
  if (result && typeof result === "object") {
    return Object.entries(result).flatMap(([key, value]) =>
      Array.isArray(value) ? value.map((item) => ({ key, ...flatten(item) })) : [{ key, ...flatten(value) }],
    );
  }
  return [{ value: result }];
}

function columnsOf(rows) {
  const columns = [];
  const seen = new Set();
  for (const row of rows) {
    for (const name of Object.keys(row)) {
      if (!seen.has(name)) {
        seen.add(name);
        columns.push(name);
      }
    }
  }
  return columns;
}

const cell = (value) => (value === null || value === undefined ? "" : typeof value === "number" ? formatNumber(value) : String(value));

function resultsTable(rows, key) {
  const columns = columnsOf(rows);
  const shown = rows.slice(0, MAX_ROWS_SHOWN);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data results" },
      h("caption", { class: "sr-only" }, `Results of ${key}`),
      h("thead", {}, h("tr", {}, columns.map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, shown.map((row) => h("tr", {}, columns.map((name) => h("td", {}, cell(row[name])))))),
    ),
  );
}

export async function renderReports(view, ctx) {
  document.title = "Reports · fleetreport";
  mount(view, h("h1", {}, "Reports"), h("p", {}, "Loading…"));
  const catalogue = await getJson("/reports");
  mount(
    view,
    h("h1", {}, "Reports"),
    h(
      "ul",
      { class: "catalogue" },
      catalogue.map((report) =>
        h(
          "li",
          { class: "card" },
          h("h2", {}, h("a", { href: `#/reports/${encodeURIComponent(report.key)}` }, report.key)),
          h("p", {}, report.description),
          h("p", { class: "hint" }, `${report.parameters.length} parameters`, report.parameters.some((p) => p.mandatory) ? ` · required: ${report.parameters.filter((p) => p.mandatory).map((p) => p.name).join(", ")}` : ""),
        ),
      ),
    ),
  );
  ctx.announce(`${catalogue.length} reports`);
}

function reportForm(report, values, onRun) {
  const inputs = {};
  const paramFields = report.parameters.map((param) => {
    const input = h("input", {
      name: param.name,
      value: [].concat(values[param.name] ?? []).join(", "),
      required: param.mandatory,
      "aria-required": param.mandatory ? "true" : null,
      autocomplete: "off",
      placeholder: /date$/.test(param.name) ? "yyyy-MM-dd" : null,
    });
    inputs[param.name] = { input, multi: param.multiValued };
    const description = /[.!?)]$/.test(param.description) ? param.description : `${param.description}.`;
    const hint = `${description}${param.multiValued ? " Several values: separate with commas." : ""}`;
    return field(param.mandatory ? `${param.name} (required)` : param.name, input, hint);
  });
  const paging = PAGING.map(([name, label, hint]) => {
    const input = h("input", { name, value: values[name] || "", autocomplete: "off", inputmode: name === "sort_by" ? null : "numeric" });
    inputs[name] = { input, multi: false };
    return field(label, input, hint);
  });
  const order = select({ name: "order" }, [["", "default"], ["asc", "ascending"], ["desc", "descending"]], values.order);
  inputs.order = { input: order, multi: false };
  const form = h(
    "form",
    { class: "card report-form", "aria-labelledby": "params-title" },
    h("h2", { id: "params-title" }, "Parameters"),
    h("div", { class: "filters" }, paramFields),
    h("fieldset", {}, h("legend", {}, "Paging and order"), h("div", { class: "filters" }, paging, field("Order", order, "Default: descending."))),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Run report")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = {};
    for (const [name, { input, multi }] of Object.entries(inputs)) {
      const raw = input.value.trim();
      params[name] = multi ? raw.split(",").map((part) => part.trim()).filter(Boolean) : raw;
    }
    onRun(params);
  });
  return form;
}

async function downloadCsv(key, query, ctx) {
  const blob = await ctx.guard(() => getBlob(`/reports/${encodeURIComponent(key)}/run`, toQuery({ ...query, format: "csv" }), "text/csv"));
  if (!blob) return;
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: `${key}.csv`, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 30_000);
  ctx.announce(`${key}.csv downloaded`);
}

function pager(key, query, total) {
  const page = Number(query.page || 0);
  const perPage = Number(query.per_page || 10);
  if (!page || total === null) return null;
  const pages = Math.max(1, Math.ceil(total / perPage));
  const link = (label, target) =>
    target >= 1 && target <= pages
      ? h("a", { class: "button secondary", href: `#/reports/${key}/run?${toQuery({ ...query, page: String(target) })}` }, label)
      : h("span", { class: "button secondary", "aria-disabled": "true" }, label);
  return h("nav", { class: "pager", "aria-label": "Pages" }, link("← Previous", page - 1), h("span", { class: "pager-info" }, `page ${page} of ${pages}`), link("Next →", page + 1));
}

async function runInto(section, key, query, ctx) {
  section.setAttribute("aria-busy", "true");
  mount(section, h("h2", { id: "results-title" }, "Results"), h("p", {}, "Running…"));
  const outcome = await ctx.guard(() => getJsonWithPaging(`/reports/${encodeURIComponent(key)}/run`, toQuery(query)));
  section.setAttribute("aria-busy", "false");
  if (!outcome) {
    mount(section, h("h2", { id: "results-title" }, "Results"), h("p", { class: "empty" }, "The report did not run."));
    return undefined;
  }
  const rows = toRows(outcome.data);
  const count = outcome.total ?? rows.length;
  const csv = h("button", { type: "button", class: "secondary", onclick: () => downloadCsv(key, query, ctx) }, "Download CSV");
  const heading = h("h2", { id: "results-title", tabindex: "-1" }, `Results (${formatNumber(count)} ${count === 1 ? "row" : "rows"})`);
  mount(
    section,
    heading,
    h("div", { class: "actions" }, csv),
    rows.length ? resultsTable(rows, key) : h("p", { class: "empty" }, "No results."),
    rows.length > MAX_ROWS_SHOWN ? h("p", { class: "hint" }, `Showing the first ${MAX_ROWS_SHOWN} rows; the CSV has them all.`) : null,
    pager(key, query, outcome.total),
  );
  ctx.announce(`${key}: ${count} rows`);
  return heading;
}

/** The report's form; with `run`, also its results for `query` (the hash holds them: links and reloads work). */
export async function renderReport(view, key, query, ctx, run = false) {
  document.title = `${key} · fleetreport`;
  const back = h("a", { href: "#/reports", class: "back" }, "← All reports");
  mount(view, back, h("p", {}, "Loading…"));
  const report = await getJson(`/reports/${encodeURIComponent(key)}`);
  const results = h("section", { class: "results-section", "aria-labelledby": "results-title", "aria-live": "off" });
  const onRun = (params) => ctx.navigate(`#/reports/${encodeURIComponent(key)}/run?${toQuery(params)}`);
  mount(view, back, h("h1", {}, report.key), h("p", { class: "subtitle" }, report.description), reportForm(report, query, onRun), results);
  return run ? runInto(results, key, query, ctx) : undefined;
}
