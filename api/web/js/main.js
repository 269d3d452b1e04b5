// The page: photos in (picked, dropped, or a URL), one batch per group of inputs (extract and
// hash), cards filled in as items finish, "remove metadata" per file, the API key on demand.

import { ApiError, apiKey, capabilities, keyRequired, limits, runBatch, runJob } from "./api.js";
import { Card } from "./card.js";
import { announce, bytes, h } from "./dom.js";
import { comparePanel, HASH_TYPES } from "./hashes.js";

const $ = (id) => document.getElementById(id);
const BATCH_OVERHEAD = 64 * 1024; // multipart framing per batch request, beside the files
const page = {
  cards: [],
  printed: false,
  limits: { maxUploadBytes: 50e6, maxBatchItems: 1000, maxBatchBytes: 1e9 },
  pending: null, // what to run again once an API key is given
};
const compare = comparePanel();

// --- API key ---------------------------------------------------------------------------

function showKey(message) {
  $("key-section").hidden = false;
  if (message) $("key-message").textContent = message;
  $("api-key").value = apiKey.get();
}

function askForKey(retry) {
  page.pending = retry;
  showKey(apiKey.get()
    ? "The server did not accept this API key. Check it and save it again."
    : "This server asks for an API key. Enter it, and the page will carry on.");
  $("api-key").focus();
  announce("An API key is needed");
}

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  apiKey.set($("api-key").value.trim());
  $("key-message").textContent = "Key saved in this browser.";
  announce("API key saved");
  const retry = page.pending;
  page.pending = null;
  if (retry) retry();
});

$("key-forget").addEventListener("click", () => {
  apiKey.set("");
  $("api-key").value = "";
  $("key-message").textContent = "Key removed from this browser.";
  announce("API key removed");
});

// --- progress --------------------------------------------------------------------------

function progress(done, total, failed) {
  $("progress-section").hidden = false;
  $("progress").max = Math.max(1, total);
  $("progress").value = done;
  const word = total === 1 ? "file" : "files";
  let message = `Reading ${total} ${word}: ${done} ready.`;
  if (done >= total) {
    message = failed ? `Done: ${total - failed} of ${total} ${word} read.` : `Done: ${total} ${word} read.`;
  }
  if (failed) message += ` ${failed} could not be read.`;
  $("progress-label").textContent = message;
}

// --- cards -----------------------------------------------------------------------------

function refresh() {
  $("empty").hidden = page.cards.length > 0;
  $("clear").hidden = page.cards.length === 0;
  compare.update(page.cards);
}

async function removeMetadata(card) {
  card.removeButton.disabled = true;
  card.report.replaceChildren(h("p", { text: "Removing metadata…" }));
  try {
    const job = await runJob("remove", card.input);
    const link = card.showRemoved(job);
    link.click();
    announce(`Metadata removed from ${card.label}; the cleaned file is downloading`);
  } catch (error) {
    if (error.status === 401) askForKey(() => removeMetadata(card));
    card.report.replaceChildren(h("p", { class: "error", text: `Could not remove metadata: ${error.message}` }));
  } finally {
    card.removeButton.disabled = false;
  }
}

async function showRawValues(card) {
  card.rawButton.disabled = true;
  try {
    card.showRaw(await runJob("extract", card.input));
    announce(`Raw values shown for ${card.label}`);
  } catch (error) {
    if (error.status === 401) askForKey(() => showRawValues(card));
    card.showError("Could not read the raw values", error.message);
  } finally {
    card.rawButton.disabled = false;
  }
}

const actions = { remove: removeMetadata, raw: showRawValues };

function chunks(cards) {
  const { maxBatchItems, maxBatchBytes } = page.limits;
  const out = [];
  let current = [];
  let size = BATCH_OVERHEAD;
  for (const card of cards) {
    const bytesOf = card.input.file ? card.input.file.size + 1024 : 4096;
    if (current.length && (current.length >= maxBatchItems || size + bytesOf > maxBatchBytes)) {
      out.push(current);
      current = [];
      size = BATCH_OVERHEAD;
    }
    current.push(card);
    size += bytesOf;
  }
  if (current.length) out.push(current);
  return out;
}

function batchOptions() {
  const options = { types: HASH_TYPES.join(",") };
  if (page.printed) options.values = "printed";
  return options;
}

/** Extract and hash ``cards`` in batches; the cards fill in as their items finish. */
async function read(cards) {
  const total = cards.length;
  const ops = ["extract", "hash"];
  const byInput = new Map(cards.map((card) => [card.input, card]));
  const left = new Map(cards.map((card) => [card, ops.length]));
  let done = 0;
  let failed = 0;
  progress(0, total, 0);
  const onItems = (items) => {
    for (const item of items) {
      const card = byInput.get(item.input);
      if (!card) continue;
      if (item.status !== "completed") {
        const what = item.op === "hash" ? "Could not hash it" : "Could not read it";
        card.showError(what, item.error?.message || "failed");
      } else if (item.op === "extract") card.showExtract(item.result);
      else if (item.op === "hash") card.showHashes(item.result);
      left.set(card, left.get(card) - 1);
      if (left.get(card) === 0) {
        done += 1;
        if (!card.metadata) failed += 1;
        card.setState("");
      }
    }
    progress(done, total, failed);
    refresh();
  };
  for (const group of chunks(cards)) {
    for (const card of group) card.setState("Reading…");
    try {
      await runGroup(group, ops, onItems);
    } catch (error) {
      if (error.status === 401) {
        for (const card of cards) if (left.get(card)) card.setState("Waiting for an API key…");
        askForKey(() => read(cards.filter((card) => left.get(card))));
        return;
      }
      for (const card of group) if (left.get(card)) card.setState(`Could not read it: ${error.message}`, true);
      $("progress-label").textContent = `Stopped: ${error.message}`;
      return;
    }
  }
  announce(`Done: ${total} ${total === 1 ? "file" : "files"} read`);
}

async function runGroup(group, ops, onItems) {
  const inputs = group.map((card) => card.input);
  try {
    await runBatch(inputs, ops, batchOptions(), onItems);
  } catch (error) {
    // A server whose spec offered printed values but whose batches refuse them: raw values.
    if (!(error instanceof ApiError && error.status === 400 && page.printed && /values/.test(error.message))) throw error;
    page.printed = false;
    for (const card of page.cards) card.printed = false;
    await runBatch(inputs, ops, batchOptions(), onItems);
  }
}

function add(inputs) {
  if (!inputs.length) return;
  const fresh = inputs.map((input) => new Card(input, { printed: page.printed, actions }));
  const accepted = [];
  for (const card of fresh) {
    $("cards").append(card.el);
    page.cards.push(card);
    const size = card.input.file ? card.input.file.size : 0;
    if (size > page.limits.maxUploadBytes) {
      card.setState(`Too large for this server: ${bytes(size)} (limit ${bytes(page.limits.maxUploadBytes)}).`, true);
    } else {
      accepted.push(card);
    }
  }
  refresh();
  if (accepted.length) read(accepted);
}

// --- inputs ----------------------------------------------------------------------------

$("files").addEventListener("change", (event) => {
  add([...event.target.files].map((file) => ({ file })));
  event.target.value = "";
});

$("url-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const url = $("url").value.trim();
  if (url) add([{ url }]);
  $("url").value = "";
});

$("clear").addEventListener("click", () => {
  for (const card of page.cards) {
    const img = card.el.querySelector("img");
    if (img) URL.revokeObjectURL(img.src);
  }
  page.cards = [];
  $("cards").replaceChildren();
  $("progress-section").hidden = true;
  $("compare-result").replaceChildren();
  refresh();
  $("files").focus();
  announce("Results cleared");
});

const drop = $("drop");
document.addEventListener("dragover", (event) => {
  event.preventDefault();
  drop.classList.add("over");
});
document.addEventListener("dragleave", (event) => {
  if (!event.relatedTarget) drop.classList.remove("over");
});
document.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  const files = [...(event.dataTransfer?.files || [])];
  add(files.map((file) => ({ file })));
});

// --- start -----------------------------------------------------------------------------

async function start() {
  if (apiKey.get()) showKey("");
  const [caps, sizes, needsKey] = await Promise.all([capabilities(), limits(), keyRequired()]);
  page.printed = caps.printed;
  page.limits = { ...page.limits, ...sizes };
  if (needsKey) showKey(apiKey.get() ? "The server did not accept the saved API key." : "");
  document.body.dataset.ready = "true";
}

refresh();
start();
