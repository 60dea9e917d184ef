// The requester's apps ({id, name}), for the app pickers. Optional: a team user without apps.edit cannot
// list apps (403); then the pickers fall back to typing.

import { getJson } from "./api.js";

let cached = null;

export function appList() {
  if (!cached) {
    cached = getJson("/apps")
      .then((data) => {
        const apps = Array.isArray(data) ? data : data.items || data.apps || [];
        return apps
          .filter((app) => app.id && app.name)
          .map((app) => ({ id: app.id, name: app.name }))
          .sort((a, b) => a.name.localeCompare(b.name));
      })
      .catch(() => {
        cached = null;
        return [];
      });
  }
  return cached;
}

export async function appNames() {
  return [...new Set((await appList()).map((app) => app.name))];
}

/** Forget the list (another token may see other apps). */
export function forgetApps() {
  cached = null;
}
