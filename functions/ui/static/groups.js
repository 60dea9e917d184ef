// Groups: the filtered, paged list of report groups, and one group's page (stats, triage, blobs).

import { activitySection, sparkline } from "./activity.js";
import { getJson, patchJson } from "./api.js";
import { appNames } from "./apps.js";
import { badge, field, formatNumber, formatTime, h, mount, select, toQuery } from "./dom.js";

export const EVENT_TYPES = ["crash", "startup_failure", "update_failure", "install_failure", "rollback_failure"];
const STATUSES = ["open", "resolved", "muted"];
const TEXT_FILTERS = [
  ["app", "App"],
  ["version", "Version"],
  ["channel", "Channel"],
  ["platform", "Platform"],
  ["arch", "Arch"],
  ["reason", "Reason"],
];
const LIMITS = ["10", "20", "50", "100"];

function groupHref(item) {
  return `#/groups/${item.group_hash}?${toQuery({ app: item.application?.name })}`;
}

/** `2026-05-20T10:00:00Z` <-> the value of a datetime-local input, both read as UTC. */
function toInputTime(rfc3339) {
  const moment = rfc3339 ? new Date(rfc3339) : null;
  return moment && !Number.isNaN(moment.getTime()) ? moment.toISOString().slice(0, 16) : "";
}
const fromInputTime = (value) => (value ? `${value}:00Z` : "");

function filterForm(query, ctx) {
  const inputs = {};
  const fields = TEXT_FILTERS.map(([name, label]) => {
    inputs[name] = h("input", { name, value: query[name] || "", autocomplete: "off" });
    if (name === "app") inputs[name].setAttribute("list", "app-names");
    return field(label, inputs[name]);
  });
  inputs.type = select({ name: "type" }, [["", "any"], ...EVENT_TYPES], query.type);
  // The API's default is every status; "" leaves the parameter out.
  inputs.status = select({ name: "status" }, [["", "all"], ...STATUSES], query.status === "all" ? "" : query.status);
  inputs.from = h("input", { type: "datetime-local", name: "from", value: toInputTime(query.from) });
  inputs.to = h("input", { type: "datetime-local", name: "to", value: toInputTime(query.to) });
  inputs.limit = select({ name: "limit" }, LIMITS, query.limit || "20");
  const datalist = h("datalist", { id: "app-names" });
  appNames().then((names) => datalist.append(...names.map((n) => h("option", { value: n }))));
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter groups" },
    fields.slice(0, 5),
    field("Event type", inputs.type),
    fields[5],
    field("Status", inputs.status),
    field("Last seen from (UTC)", inputs.from),
    field("Last seen to (UTC)", inputs.to),
    field("Per page", inputs.limit),
    datalist,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit" }, "Apply filters"),
      h("a", { class: "button secondary", href: "#/groups" }, "Clear"),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = {};
    for (const [name, input] of Object.entries(inputs)) params[name] = input.value.trim();
    params.from = fromInputTime(params.from);
    params.to = fromInputTime(params.to);
    if (params.limit === "20") delete params.limit;
    ctx.navigate(`#/groups?${toQuery(params)}`);
  });
  // On a phone the filters fold away (they would fill the first screen); wide screens always show them.
  const active = Object.keys(query).filter((name) => name !== "page" && name !== "limit" && query[name]).length;
  const wide = window.matchMedia("(min-width: 48rem)").matches;
  return h(
    "details",
    { class: "filter-panel", open: wide },
    h("summary", {}, active ? `Filters (${active} active)` : "Filters"),
    form,
  );
}

/** A cell whose content is one element, so the phone layout (label | value) gets one value item. */
const td = (label, attrs, ...content) => h("td", { "data-label": label, ...attrs }, h("span", {}, content));

function groupsTable(items) {
  const headers = ["Status", "App", "Version", "Channel", "Platform", "Event", "Count", "Devices", "Last 24 h", "Last seen", "First seen", "Details"];
  const head = h(
    "tr",
    {},
    headers.map((name) =>
      h("th", { scope: "col", "aria-sort": name === "Last seen" ? "descending" : null }, name === "Last seen" ? `${name} ↓` : name),
    ),
  );
  const rows = items.map((item) =>
    h(
      "tr",
      { dataset: { hash: item.group_hash } },
      td("Status", {}, badge(item.status)),
      td("App", {}, item.application?.name ?? ""),
      td("Version", {}, item.application?.version),
      td("Channel", {}, item.application?.channel || "—"),
      td("Platform", { class: "nowrap" }, `${item.system?.platform || "—"} / ${item.system?.arch || "—"}`),
      // The event is the link: its text tells the rows apart (the app name repeats).
      td("Event", {}, h("a", { href: groupHref(item) }, item.event?.type, h("br"), h("small", {}, item.event?.reason))),
      td("Count", { class: "num" }, formatNumber(item.stats?.count)),
      // Distinct devices that reported the group (SPEC §12): how much of the fleet it hits.
      td("Devices", { class: "num" }, formatNumber(item.stats?.devices ?? "—")),
      td("Last 24 h", {}, sparkline(item.activity?.hourly)),
      td("Last seen", { class: "nowrap" }, formatTime(item.stats?.last_seen)),
      td("First seen", { class: "nowrap" }, formatTime(item.stats?.first_seen)),
      td(
        "Details",
        { class: "num nowrap" },
        `${formatNumber(item.stats?.details_stored ?? 0)} stored`,
        item.stats?.details_rejected ? h("small", {}, ` · ${formatNumber(item.stats.details_rejected)} rejected`) : null,
      ),
    ),
  );
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data groups responsive" },
      h("caption", { class: "sr-only" }, "Report groups, most recently seen first"),
      h("thead", {}, head),
      h("tbody", {}, rows),
    ),
  );
}

function pager(query, page, limit, total) {
  const pages = Math.max(1, Math.ceil(total / limit));
  const link = (label, target, rel) =>
    target >= 1 && target <= pages
      ? h("a", { class: "button secondary", href: `#/groups?${toQuery({ ...query, page: String(target) })}`, rel }, label)
      : h("span", { class: "button secondary", "aria-disabled": "true" }, label);
  const first = total === 0 ? 0 : (page - 1) * limit + 1;
  const last = Math.min(total, page * limit);
  return h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    link("← Previous", page - 1, "prev"),
    h("span", { class: "pager-info" }, `${first}–${last} of ${formatNumber(total)} · page ${page} of ${pages}`),
    link("Next →", page + 1, "next"),
  );
}

export async function renderGroups(view, query, ctx) {
  document.title = "Groups · fleetreport";
  const results = h("section", { "aria-labelledby": "groups-results", "aria-busy": "true" });
  mount(view, h("h1", {}, "Report groups"), filterForm(query, ctx), results);
  mount(results, h("h2", { id: "groups-results", class: "sr-only" }, "Results"), h("p", {}, "Loading…"));
  // activity=hourly: each row's last 24 hours for its sparkline (SPEC §10)
  const data = await ctx.guard(() => getJson("/reports/groups", toQuery({ ...query, activity: "hourly" })));
  results.setAttribute("aria-busy", "false");
  if (!data) {
    mount(results, h("h2", { id: "groups-results", class: "sr-only" }, "Results"), h("p", {}, "No results."));
    return;
  }
  const summary = `${formatNumber(data.total)} group${data.total === 1 ? "" : "s"}`;
  mount(
    results,
    h("h2", { id: "groups-results" }, summary),
    data.items.length ? groupsTable(data.items) : h("p", { class: "empty" }, "No group matches these filters."),
    pager(query, data.page, data.limit, data.total),
  );
  ctx.announce(`${summary} found`);
}

// ------------------------------------------------------------------ one group

function describe(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.filter(([, value]) => value !== undefined && value !== null && value !== "").map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
  );
}

function groupFacts(group) {
  const stats = group.stats || {};
  return h(
    "div",
    { class: "columns" },
    h(
      "section",
      { class: "card", "aria-labelledby": "dims-title" },
      h("h2", { id: "dims-title" }, "Dimensions"),
      describe([
        ["App", group.application?.name],
        ["App id", h("code", {}, group.app_id)],
        ["Version", group.application?.version],
        ["Channel", group.application?.channel || "—"],
        ["Platform", group.system?.platform || "—"],
        ["Arch", group.system?.arch || "—"],
        ["Event type", group.event?.type],
        ["Reason", group.event?.reason],
        ["Group hash", h("code", { class: "hash" }, group.group_hash)],
      ]),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "stats-title" },
      h("h2", { id: "stats-title" }, "Statistics"),
      describe([
        ["Reports", formatNumber(stats.count)],
        ["Devices affected", formatNumber(stats.devices ?? "—")],
        ["First seen", formatTime(stats.first_seen)],
        ["Last seen", formatTime(stats.last_seen)],
        ["Details stored", formatNumber(stats.details_stored)],
        ["Details rejected", formatNumber(stats.details_rejected)],
        ["Status", badge(group.status)],
        ["Resolved", group.resolved_at ? `${formatTime(group.resolved_at)} by ${group.resolved_by ?? "?"}` : null],
        ["Muted until", group.mute_until ? formatTime(group.mute_until) : null],
        ["Muted until count", group.mute_ends_at_count ? formatNumber(group.mute_ends_at_count) : null],
        ["Tags", (group.tags || []).length ? (group.tags || []).map((t) => h("span", { class: "tag" }, t)) : null],
        ["Created", formatTime(group.created_at)],
        ["Updated", formatTime(group.updated_at)],
      ]),
    ),
  );
}

const splitTags = (text) => text.split(/[\s,]+/).filter(Boolean);

function triageForm(group, save) {
  const status = select({ name: "status" }, STATUSES, group.status || "open");
  const tags = h("input", { name: "tags", value: (group.tags || []).join(", "), autocomplete: "off" });
  const note = h("textarea", { name: "note", rows: 4 }, group.note || "");
  // A conditional mute (SPEC §10): the group reopens at this time or after N more reports.
  const muteUntil = h("input", { name: "mute_until", type: "datetime-local" });
  const muteCount = h("input", { name: "mute_until_count", type: "number", min: 1, step: 1, inputmode: "numeric" });
  const form = h(
    "form",
    { class: "card triage", "aria-labelledby": "triage-title" },
    h("h2", { id: "triage-title" }, "Triage"),
    field("Status", status),
    field("Tags", tags, "Separated by commas or spaces; letters, digits, . _ - (up to 20)."),
    field("Note", note, "Up to 2000 bytes. Empty clears it."),
    field("Mute until", muteUntil, "With status muted: reopen on the first report after this time (your time zone)."),
    field("Mute for N more reports", muteCount, "With status muted: reopen after this many more reports."),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Save")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // Send only what changed: resolving twice would move resolved_at.
    const body = {};
    if (status.value !== (group.status || "open")) body.status = status.value;
    const newTags = splitTags(tags.value);
    if (newTags.join(",") !== (group.tags || []).join(",")) body.tags = newTags;
    if (note.value !== (group.note || "")) body.note = note.value;
    if (muteUntil.value || muteCount.value) {
      body.status = status.value; // the API wants the status with the bounds (and answers 400 unless muted)
      if (muteUntil.value) body.mute_until = new Date(muteUntil.value).toISOString();
      if (muteCount.value) body.mute_until_count = Number(muteCount.value);
    }
    await save(body);
  });
  return form;
}

function blobsSection(blobs) {
  const rows = blobs.map((blob) =>
    h(
      "tr",
      {},
      td("Received", {}, formatTime(blob.created_at)),
      td("Compressed", { class: "num" }, `${formatNumber(blob.storage?.compressed_size)} B`),
      td("Decompressed", { class: "num" }, `${formatNumber(blob.storage?.decompressed_size)} B`),
      td("Expires", {}, formatTime(blob.expires_at)),
      td(
        "Download",
        {},
        h("a", { href: blob.url, download: `${blob.id || "details"}.json.gz`, rel: "noopener noreferrer" }, "Download", h("span", { class: "sr-only" }, ` details received ${formatTime(blob.created_at)}`)),
      ),
    ),
  );
  return h(
    "section",
    { class: "card", "aria-labelledby": "blobs-title" },
    h("h2", { id: "blobs-title" }, `Detail payloads (${blobs.length})`),
    blobs.length
      ? h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "data responsive" },
            h("caption", { class: "sr-only" }, "Stored detail payloads, newest first; links expire after 15 minutes"),
            h("thead", {}, h("tr", {}, ["Received", "Compressed", "Decompressed", "Expires", "Download"].map((n) => h("th", { scope: "col" }, n)))),
            h("tbody", {}, rows),
          ),
        )
      : h("p", { class: "empty" }, "No detail payload stored for this group."),
    h("p", { class: "hint" }, "Payloads are gzip-compressed JSON; download links are valid for 15 minutes."),
  );
}

export async function renderGroup(view, groupHash, query, ctx) {
  const path = `/reports/groups/${groupHash}`;
  const appQuery = toQuery({ app: query.app });
  const back = h("a", { href: "#/groups", class: "back" }, "← All groups");
  mount(view, back, h("p", {}, "Loading…"));
  const [group, blobs] = await Promise.all([
    getJson(path, appQuery),
    getJson(`${path}/blobs`, appQuery).catch((err) => {
      ctx.showError(err);
      return { items: [] };
    }),
  ]);
  const title = `${group.application?.name} ${group.application?.version} · ${group.event?.type}`;
  document.title = `${title} · fleetreport`;
  const save = async (body) => {
    const done = await ctx.guard(() => patchJson(path, appQuery, body));
    if (!done) return;
    ctx.clearError();
    ctx.announce("Group updated");
    await renderGroup(view, groupHash, query, ctx);
  };
  mount(
    view,
    back,
    h("h1", {}, title, " ", h("span", { id: "group-status" }, badge(group.status))),
    h("p", { class: "subtitle" }, group.event?.reason),
    groupFacts(group),
    activitySection(group.activity),
    triageForm(group, save),
    blobsSection(blobs.items || []),
  );
}
