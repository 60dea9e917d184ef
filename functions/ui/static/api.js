// The API client: same origin, bearer token from sessionStorage, errors carry the API's own message.

const TOKEN_KEY = "fleetreport.token";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** The token's claims, for display only (the API verifies it; we never trust this). */
export function claims(token = getToken()) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = part + "=".repeat((4 - (part.length % 4)) % 4);
    return JSON.parse(atob(padded));
  } catch {
    return {};
  }
}

/** What an error body says, in the API's words: `error` (groups/auth) or `displayMessage` (reports). */
async function messageOf(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    const message = body.error ?? body.displayMessage ?? body.message;
    if (message) return String(message);
  } catch {
    /* not JSON */
  }
  return text.trim() || `${response.status} ${response.statusText}`;
}

let onUnauthorized = () => {};
export function whenUnauthorized(callback) {
  onUnauthorized = callback;
}

/** fetch with the token; returns the Response (2xx) or throws ApiError with the API's message. */
export async function request(method, path, { query, body, accept } = {}) {
  const headers = { Accept: accept || "application/json" };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const url = query ? `${path}?${query}` : path;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, `Cannot reach the API (${err.message})`);
  }
  if (!response.ok) {
    const error = new ApiError(response.status, await messageOf(response));
    if (response.status === 401) onUnauthorized(error);
    throw error;
  }
  return response;
}

export async function getJson(path, query) {
  const response = await request("GET", path, { query });
  return response.json();
}

/** GET returning both the JSON and the paging headers of a report run. */
export async function getJsonWithPaging(path, query) {
  const response = await request("GET", path, { query });
  const total = response.headers.get("X-Total-Count");
  return { data: await response.json(), total: total === null ? null : Number(total) };
}

export async function patchJson(path, query, body) {
  const response = await request("PATCH", path, { query, body });
  return response.json();
}

export async function getBlob(path, query, accept) {
  const response = await request("GET", path, { query, accept });
  return response.blob();
}
