// A group's recent activity (SPEC §10): a sparkline of the last 24 hours in the list, and bar charts
// of 24 hours and 30 days on the group page, each with its numbers in a table for screen readers.

import { h, s, formatNumber } from "./dom.js";

const total = (points) => points.reduce((sum, p) => sum + (p.count || 0), 0);
const peak = (points) => points.reduce((max, p) => Math.max(max, p.count || 0), 0);

/** An inline SVG line of the 24 hourly counts; its label says the total and the busiest hour. */
export function sparkline(hourly) {
  const points = hourly || [];
  const width = 96;
  const height = 24;
  const top = Math.max(1, peak(points));
  const step = points.length > 1 ? width / (points.length - 1) : width;
  const coords = points.map((p, i) => `${(i * step).toFixed(1)},${(height - 2 - ((p.count || 0) / top) * (height - 4)).toFixed(1)}`);
  const label = `Reports per hour, last 24 hours: ${formatNumber(total(points))} in all, at most ${formatNumber(peak(points))} in an hour`;
  return s(
    "svg",
    { class: "sparkline", viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": label },
    s("title", {}, label),
    s("polyline", { points: coords.join(" "), fill: "none", stroke: "currentColor", "stroke-width": "1.5" }),
  );
}

function barChart(points, keyOf, title, id, unit = "reports", valueOf = (p) => p.count) {
  const width = 720;
  const height = 160;
  const counts = points.map((p) => ({ count: valueOf(p) || 0 }));
  const top = Math.max(1, peak(counts));
  const slot = width / Math.max(1, points.length);
  const bars = points.map((p, i) => {
    const barHeight = ((valueOf(p) || 0) / top) * (height - 20);
    return s(
      "rect",
      { x: (i * slot + 1).toFixed(1), y: (height - barHeight).toFixed(1), width: Math.max(1, slot - 2).toFixed(1), height: barHeight.toFixed(1), class: "bar" },
      s("title", {}, `${keyOf(p)}: ${formatNumber(valueOf(p) || 0)}`),
    );
  });
  const table = h(
    "table",
    { class: "sr-only" },
    h("caption", {}, title),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "When (UTC)"), h("th", { scope: "col" }, unit[0].toUpperCase() + unit.slice(1)))),
    h("tbody", {}, points.map((p) => h("tr", {}, h("td", {}, keyOf(p)), h("td", { class: "num" }, formatNumber(valueOf(p) || 0))))),
  );
  return h(
    "figure",
    { class: "activity-chart", id },
    h("figcaption", {}, `${title} (${formatNumber(total(counts))} ${unit}, busiest ${formatNumber(peak(counts))})`),
    s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, preserveAspectRatio: "none" }, bars),
    table,
  );
}

/** The group page's section: reports per hour (24 h) and per day (30 days). */
export function activitySection(activity) {
  const hourly = activity?.hourly || [];
  const daily = activity?.daily || [];
  return h(
    "section",
    { class: "card", "aria-labelledby": "activity-title" },
    h("h2", { id: "activity-title" }, "Activity"),
    barChart(hourly, (p) => `${String(p.hour).slice(0, 13).replace("T", " ")}:00`, "Reports per hour, last 24 hours", "activity-hourly"),
    barChart(daily, (p) => p.day, "Reports per day, last 30 days", "activity-daily"),
    // Distinct devices per day (SPEC §12); a device reporting on two days counts on both.
    daily.some((p) => p.devices !== undefined)
      ? barChart(daily, (p) => p.day, "Devices reporting per day, last 30 days", "activity-devices", "device-days", (p) => p.devices)
      : null,
  );
}
