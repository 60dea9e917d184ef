// A stacked per-day bar chart in plain SVG (no library), with a legend and the same data as a table.

import { formatNumber, h, s } from "./dom.js";

const HEIGHT = 300;
const MARGIN = { top: 12, right: 12, bottom: 36, left: 48 };
const FALLBACK_COLORS = ["#5e35b1", "#00897b", "#6d4c41", "#546e7a", "#d81b60", "#7cb342"];

/** 0, a "nice" step and a max that covers `max` with about five ticks. */
export function niceScale(max) {
  if (max <= 0) return { step: 1, top: 1 };
  const rough = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= rough);
  return { step, top: Math.ceil(max / step) * step };
}

/** The day part of a report's day key (`2026-05-20T23:59:59.999+0000` -> `2026-05-20`). */
export const dayOf = (key) => String(key).slice(0, 10);

/** Series in a stable order: the known ones first, then any other key found in the data. */
export function seriesOf(rows, known) {
  const seen = new Set(rows.flatMap((row) => Object.keys(row.values)));
  const series = known.filter((item) => seen.has(item.key) || item.always);
  let i = 0;
  for (const key of [...seen].sort()) {
    if (!series.some((item) => item.key === key)) {
      series.push({ key, label: key, color: FALLBACK_COLORS[i++ % FALLBACK_COLORS.length] });
    }
  }
  return series;
}

function drawSvg(width, rows, series, title) {
  const plotW = Math.max(10, width - MARGIN.left - MARGIN.right);
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const totals = rows.map((row) => series.reduce((sum, item) => sum + (row.values[item.key] || 0), 0));
  const { step, top } = niceScale(Math.max(0, ...totals));
  const y = (v) => MARGIN.top + plotH - (v / top) * plotH;
  const slot = plotW / Math.max(1, rows.length);
  const barW = Math.max(1, Math.min(48, slot * 0.75));
  const svg = s("svg", {
    width,
    height: HEIGHT,
    viewBox: `0 0 ${width} ${HEIGHT}`,
    role: "img",
    "aria-label": title,
    class: "chart-svg",
  });
  for (let v = 0; v <= top; v += step) {
    svg.append(
      s("line", { x1: MARGIN.left, x2: MARGIN.left + plotW, y1: y(v), y2: y(v), class: v ? "grid" : "axis" }),
      s("text", { x: MARGIN.left - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, formatNumber(v)),
    );
  }
  const labelEvery = Math.max(1, Math.ceil(44 / slot));
  rows.forEach((row, i) => {
    const x = MARGIN.left + i * slot + (slot - barW) / 2;
    let base = 0;
    const bar = s("g", { class: "bar", "data-day": row.day });
    for (const item of series) {
      const value = row.values[item.key] || 0;
      if (!value) continue;
      bar.append(
        s(
          "rect",
          { x, y: y(base + value), width: barW, height: Math.max(0, y(base) - y(base + value)), fill: item.color, "data-series": item.key },
          s("title", {}, `${row.day} · ${item.label}: ${formatNumber(value)}`),
        ),
      );
      base += value;
    }
    svg.append(bar);
    if (i % labelEvery === 0) {
      svg.append(
        s("text", { x: x + barW / 2, y: HEIGHT - MARGIN.bottom + 16, "text-anchor": "middle", class: "tick" }, row.day.slice(5)),
      );
    }
  });
  return svg;
}

function legend(series) {
  return h(
    "ul",
    { class: "legend", "aria-label": "Legend" },
    series.map((item) => h("li", {}, s("svg", { width: 12, height: 12, "aria-hidden": "true" }, s("rect", { width: 12, height: 12, fill: item.color })), item.label)),
  );
}

function dataTable(rows, series, title) {
  return h(
    "details",
    { class: "chart-data" },
    h("summary", {}, "Show the numbers"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data" },
        h("caption", {}, title),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day"), series.map((item) => h("th", { scope: "col", class: "num" }, item.label)), h("th", { scope: "col", class: "num" }, "Total"))),
        h(
          "tbody",
          {},
          rows.map((row) =>
            h(
              "tr",
              {},
              h("th", { scope: "row" }, row.day),
              series.map((item) => h("td", { class: "num" }, formatNumber(row.values[item.key] || 0))),
              h("td", { class: "num" }, formatNumber(series.reduce((sum, item) => sum + (row.values[item.key] || 0), 0))),
            ),
          ),
        ),
      ),
    ),
  );
}

/**
 * A figure for a `{dayKey: {series: count}}` report result. `known` = [{key, label, color}] in stacking
 * order. The SVG is redrawn at the figure's own width (text stays legible on a phone).
 */
export function stackedBarChart(result, known, title) {
  const rows = Object.entries(result || {})
    .map(([key, values]) => ({ day: dayOf(key), values: values || {} }))
    .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  const series = seriesOf(rows, known);
  const canvas = h("div", { class: "chart-canvas" });
  const figure = h(
    "figure",
    { class: "chart" },
    h("figcaption", {}, title, rows.length ? ` (${rows[0].day} to ${rows[rows.length - 1].day})` : ""),
    rows.length ? canvas : h("p", { class: "empty" }, "No data in this range."),
    rows.length ? legend(series) : null,
    rows.length ? dataTable(rows, series, title) : null,
  );
  if (!rows.length) return figure;
  let lastWidth = 0;
  const draw = () => {
    const width = Math.floor(canvas.clientWidth || 800);
    if (width === lastWidth) return;
    lastWidth = width;
    canvas.replaceChildren(drawSvg(width, rows, series, `${title}: stacked bars per day`));
  };
  new ResizeObserver(draw).observe(canvas);
  requestAnimationFrame(draw);
  return figure;
}
