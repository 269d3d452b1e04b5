// Talking to this exifq server: the API key, errors, jobs (submit, then long polls with ?wait=),
// batches, the hash distance, and what the server offers (read from /openapi.json).

const KEY_STORAGE = "exifq.apiKey";
const JOB_WAIT = 20; // seconds a status request may block (the server allows up to 30)
const BATCH_WAIT = 2; // the page shows a batch's progress between long polls
const RETRIES = 4; // for 429 and 503, honouring Retry-After

export class ApiError extends Error {
  constructor(status, message, code = "") {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const apiKey = {
  get() {
    try {
      return localStorage.getItem(KEY_STORAGE) || "";
    } catch {
      return "";
    }
  },
  set(value) {
    try {
      if (value) localStorage.setItem(KEY_STORAGE, value);
      else localStorage.removeItem(KEY_STORAGE);
    } catch {
      // storage disabled: the key lasts as long as the page
    }
  },
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function address(path, query) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
  }
  return url;
}

/** A request to this server: JSON back, ApiError for an error answer. */
export async function request(path, { method = "GET", form, json, query } = {}) {
  const headers = { Accept: "application/json" };
  const key = apiKey.get();
  if (key) headers["X-API-Key"] = key;
  let body = form;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  for (let attempt = 0; ; attempt += 1) {
    let response;
    try {
      response = await fetch(address(path, query), { method, headers, body });
    } catch {
      throw new ApiError(0, "The server could not be reached. Is it still running?");
    }
    if ((response.status === 429 || response.status === 503) && attempt < RETRIES) {
      const after = Number(response.headers.get("Retry-After"));
      await sleep(1000 * Math.min(30, after > 0 ? after : 2 ** attempt));
      continue;
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (!response.ok) {
      const message = data && typeof data.error === "string" ? data.error : `HTTP ${response.status}`;
      throw new ApiError(response.status, message);
    }
    return data;
  }
}

function jobForm(input, options) {
  const form = new FormData();
  for (const [name, value] of Object.entries(options)) form.append(name, value);
  if (input.file) form.append("file", input.file, input.file.name);
  else form.append("url", input.url);
  return form;
}

/** Run one job on ``input`` ({file} or {url}) and wait for its end; the finished job's body. */
export async function runJob(op, input, options = {}) {
  let job = await request(`/api/v1/${op}`, {
    method: "POST",
    form: jobForm(input, options),
    query: { wait: JOB_WAIT },
  });
  while (job.status === "queued" || job.status === "processing") {
    job = await request(job.statusUrl, { query: { wait: JOB_WAIT } });
  }
  if (job.status !== "completed") {
    const error = job.error || {};
    throw new ApiError(200, error.message || "The job failed", error.code || "");
  }
  return job;
}

/**
 * One batch: every input × every operation. Calls ``onItems(items)`` with the items that
 * finished since the last poll (with their results, and ``input``: the one they belong to).
 */
export async function runBatch(inputs, operations, options, onItems) {
  // The server orders a batch's inputs files first, then URLs; item i is input i / ops.
  const ordered = [...inputs.filter((i) => i.file), ...inputs.filter((i) => !i.file)];
  const form = new FormData();
  form.append("operations", operations.join(","));
  for (const [name, value] of Object.entries(options)) form.append(name, value);
  for (const input of ordered) {
    if (input.file) form.append("file", input.file, input.file.name);
    else form.append("url", input.url);
  }
  const batch = await request("/api/v1/batch", { method: "POST", form });
  const seen = new Set();
  let offset = 0; // every item before it has been shown
  while (seen.size < batch.total) {
    const page = await request(`/api/v1/batch/${batch.uuid}`, {
      query: { wait: BATCH_WAIT, include: "results", offset },
    });
    const fresh = page.items.filter(
      (item) => (item.status === "completed" || item.status === "failed") && !seen.has(item.index),
    );
    for (const item of fresh) {
      seen.add(item.index);
      item.input = ordered[Math.floor(item.index / operations.length)];
    }
    if (fresh.length) onItems(fresh);
    while (seen.has(offset)) offset += 1;
  }
}

/** ``GET /api/v1/hash/distance``: {distance, similarity}. */
export function distance(a, b) {
  return request("/api/v1/hash/distance", { query: { a, b } });
}

/** The sizes the server accepts (defaults when it does not say). */
export async function limits() {
  try {
    return await request("/api/v1/limits");
  } catch {
    return { maxUploadBytes: 50e6, maxBatchItems: 1000, maxBatchBytes: 1e9 };
  }
}

/**
 * Whether the server asks for an API key: a POST without inputs answers 401 before it looks
 * at the body when keys are configured (and the page has no valid one), else 400.
 */
export async function keyRequired() {
  try {
    await request("/api/v1/batch", { method: "POST", json: {} });
  } catch (error) {
    return error.status === 401;
  }
  return false;
}

function deref(spec, node) {
  let value = node;
  for (let hops = 0; value && typeof value.$ref === "string" && hops < 10; hops += 1) {
    const parts = value.$ref.replace(/^#\//, "").split("/");
    value = parts.reduce((at, part) => (at ? at[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined), spec);
  }
  return value;
}

/** Whether an operation of the spec takes ``name``, as a parameter or a body field. */
export function takesOption(spec, path, name) {
  const operation = deref(spec, spec?.paths?.[path]?.post);
  if (!operation) return false;
  const parameters = (operation.parameters || []).map((p) => deref(spec, p));
  if (parameters.some((p) => p && p.name === name)) return true;
  const content = deref(spec, operation.requestBody)?.content || {};
  return Object.values(content).some((media) => {
    const schema = deref(spec, media.schema);
    return Boolean(schema && schema.properties && name in schema.properties);
  });
}

/** What this server offers beyond the basics, read from its OpenAPI description. */
export async function capabilities() {
  try {
    const spec = await request("/openapi.json");
    return { printed: takesOption(spec, "/api/v1/extract", "values") };
  } catch {
    return { printed: false };
  }
}
