// The requester's app names, for the app pickers. Optional: a team user without apps.edit cannot list
// apps (403), and then the pickers are plain text fields.

import { getJson } from "./api.js";

let cached = null;

export function appNames() {
  if (!cached) {
    cached = getJson("/apps")
      .then((data) => {
        const apps = Array.isArray(data) ? data : data.apps || data.items || [];
        return [...new Set(apps.map((app) => app.name).filter(Boolean))].sort();
      })
      .catch(() => {
        cached = null;
        return [];
      });
  }
  return cached;
}
