// Small DOM helpers. Everything is built with createElement/textContent: API data never becomes markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function apply(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else {
      el.setAttribute(name, String(value));
    }
  }
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** h("a", {href: "#"}, "text", otherNode) */
export function h(tag, attrs, ...children) {
  return append(apply(document.createElement(tag), attrs), children);
}

/** The same for SVG elements (presentation attributes only: the CSP forbids inline styles). */
export function s(tag, attrs, ...children) {
  return append(apply(document.createElementNS(SVG_NS, tag), attrs), children);
}

/** Replace a container's content. */
export function mount(container, ...children) {
  container.replaceChildren();
  return append(container, children);
}

/** A labelled form field: label above the control, an optional hint tied by aria-describedby. */
let fieldSeq = 0;
export function field(label, control, hint) {
  const id = control.id || `f${++fieldSeq}`;
  control.id = id;
  const parts = [h("label", { for: id }, label), control];
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("small", { id: hintId, class: "hint" }, hint));
  }
  return h("div", { class: "field" }, parts);
}

export function select(attrs, options, selected) {
  const el = h("select", attrs);
  for (const opt of options) {
    const [value, text] = Array.isArray(opt) ? opt : [opt, opt];
    el.append(h("option", { value, selected: value === (selected ?? "") }, text));
  }
  return el;
}

/** 2026-05-20T10:00:00.000Z -> "2026-05-20 10:00 UTC" (always UTC: operators compare across machines). */
export function formatTime(value) {
  if (!value) return "";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function formatNumber(n) {
  return typeof n === "number" ? n.toLocaleString("en-US") : n ?? "";
}

export function badge(status) {
  const value = status || "open";
  return h("span", { class: `badge badge-${value}` }, value);
}

/** Query string <-> plain object (multi-valued keys become arrays). */
export function parseQuery(qs) {
  const out = {};
  for (const [k, v] of new URLSearchParams(qs)) {
    if (k in out) out[k] = [].concat(out[k], v);
    else out[k] = v;
  }
  return out;
}

export function toQuery(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    for (const item of [].concat(v)) {
      if (item !== undefined && item !== null && item !== "") q.append(k, item);
    }
  }
  return q.toString();
}
