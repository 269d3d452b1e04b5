// One file's card: what it holds (summary, warnings, groups), its hashes, and its
// "remove metadata" report with the cleaned file's download.

import { bytes, h } from "./dom.js";
import { hashList } from "./hashes.js";
import { at, camera, groups, people, place, placeNames, serials, takenAt } from "./summary.js";
import { countTags, tagList } from "./tags.js";

const GROUP_NAMES = {
  exif: "EXIF", gps: "GPS position", makerNotes: "maker notes", thumbnail: "embedded thumbnail",
  iptc: "IPTC", xmp: "XMP", icc: "colour profile", comments: "comments", orientation: "orientation",
  copyright: "copyright",
};
let counter = 0;

function row(term, ...definition) {
  return [h("dt", { text: term }), h("dd", {}, ...definition)];
}

function warnings(md) {
  const out = [];
  const where = place(md);
  const names = placeNames(md);
  if (where || names.length) {
    const detail = [where ? `GPS position ${where.text}` : "", names.length ? `place names: ${names.join(", ")}` : ""];
    out.push(h("p", { class: "warning", "data-warning": "location" },
      h("strong", { text: "This file shows where it was taken." }),
      `Anyone who gets it can see the place (${detail.filter(Boolean).join("; ")}).`));
  }
  const found = serials(md);
  if (found.length) {
    const list = found.map((s) => `${s.name} ${s.value}`).join("; ");
    out.push(h("p", { class: "warning", "data-warning": "serial" },
      h("strong", { text: "This file carries a serial number." }),
      `It can link this photo to other photos from the same camera or lens (${list}).`));
  }
  return out;
}

function summary(md) {
  const { make, model, lens } = camera(md);
  const when = takenAt(md);
  const where = place(md);
  const names = placeNames(md);
  const who = people(md);
  const rows = [];
  if (make) rows.push(...row("Camera maker", make));
  if (model) rows.push(...row("Camera model", model));
  if (lens) rows.push(...row("Lens", lens));
  if (when) {
    const time = h("time", { datetime: when.datetime || null, text: when.text });
    rows.push(...row("Taken", time, when.zone ? ` (UTC${when.zone})` : ""));
  }
  if (where) {
    const link = h("a", { href: where.mapUrl, target: "_blank", rel: "noopener noreferrer" },
      "Open in OpenStreetMap", h("span", { class: "visually-hidden", text: " (opens a new tab)" }));
    rows.push(...row("Place", h("span", { class: "coordinates", text: where.text }), " · ", link));
    if (where.altitude !== null) rows.push(...row("Altitude", `${where.altitude.toFixed(1)} m`));
  }
  if (names.length) rows.push(...row("Place names", names.join(", ")));
  if (who.length) rows.push(...row("People named", who.join(", ")));
  const colours = Array.isArray(md.colors) ? md.colors.filter((c) => c && c.hex) : [];
  if (colours.length) {
    rows.push(...row("Main colours", ...colours.map((c) => {
      const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
      swatch.style.backgroundColor = c.hex;
      return h("span", { class: "colour" }, swatch, `${c.hex} `);
    })));
  }
  if (!rows.length) return h("p", { class: "hint", text: "No camera, date or place found in this file." });
  return h("dl", { class: "summary" }, rows);
}

export class Card {
  /** ``input``: {file} or {url}; ``actions``: {remove(card), raw(card)} or null ones. */
  constructor(input, { printed, actions }) {
    counter += 1;
    this.id = `card-${counter}`;
    this.input = input;
    this.label = input.file ? input.file.name : input.url;
    this.printed = printed;
    this.actions = actions;
    this.metadata = null;
    this.raw = null;
    this.hashes = null;
    const title = h("h3", { id: `${this.id}-title`, text: this.label });
    this.facts = h("p", { class: "facts" });
    this.state = h("p", { class: "state", text: "Waiting…" });
    const thumb = input.file ? h("img", { class: "thumb", alt: "" }) : null;
    if (thumb) {
      thumb.src = URL.createObjectURL(input.file);
      thumb.addEventListener("error", () => thumb.remove());
    }
    this.body = h("div", { class: "card-body" });
    this.removeButton = h("button", { type: "button", class: "primary", text: "Remove metadata", onclick: () => actions.remove(this) });
    this.rawButton = h("button", { type: "button", class: "secondary", text: "Show raw values", hidden: true, onclick: () => actions.raw(this) });
    this.report = h("div", { class: "report", "aria-live": "polite" });
    this.hashBox = h("div", { class: "hash-box" });
    this.groupBox = h("div", { class: "groups" });
    this.el = h("article", { class: "card", id: this.id, "aria-labelledby": title.id },
      h("div", { class: "card-head" }, thumb, h("div", {}, title, this.facts)),
      this.state, this.body,
      h("div", { class: "actions" }, this.removeButton, this.rawButton),
      this.report, this.hashBox, this.groupBox);
  }

  setState(message, failed = false) {
    this.state.textContent = message;
    this.state.classList.toggle("failed", failed);
    this.state.hidden = !message;
  }

  /** An extract result (``{metadata, ...}``). */
  showExtract(result) {
    const md = result.metadata || {};
    this.metadata = md;
    const image = md.image || {};
    const file = md.file || {};
    const facts = [String(image.format || "").toUpperCase(), image.width && image.height ? `${image.width} × ${image.height} pixels` : "", bytes(file.size)];
    this.facts.textContent = facts.filter(Boolean).join(" · ");
    const found = warnings(md);
    const nothing = h("p", { class: "clean", text: "No GPS position or serial number found." });
    this.body.replaceChildren(...(found.length ? found : [nothing]), summary(md));
    this.rawButton.hidden = !this.printed;
    this.renderGroups();
  }

  /** The same file read without printed values. */
  showRaw(result) {
    this.raw = result.metadata || {};
    this.rawButton.hidden = true;
    this.renderGroups();
  }

  renderGroups() {
    const all = groups(this.metadata || {});
    const open = new Set([...this.groupBox.querySelectorAll("details[open]")].map((d) => d.dataset.group));
    const heading = h("h4", { text: "Everything in the file" });
    const note = this.printed
      ? (this.raw ? "Values as ExifTool prints them, with the raw value under each one that differs." : "Values as ExifTool prints them.")
      : "Values as stored in the file.";
    this.groupBox.replaceChildren(heading, h("p", { class: "hint", text: note }), ...all.map((group) => {
      const raw = this.raw ? at(this.raw, group.key) : undefined;
      const key = group.key.join(".");
      return h("details", { "data-group": key, open: open.has(key) },
        h("summary", {}, group.title, h("span", { class: "count", text: ` (${countTags(group.value)})` })),
        tagList(group.value, raw));
    }));
  }

  showHashes(result) {
    this.hashes = result.hashes || {};
    this.hashBox.replaceChildren(h("h4", { text: "Hashes" }), hashList(this.hashes));
  }

  showError(what, message) {
    this.body.append(h("p", { class: "error", text: `${what}: ${message}` }));
  }

  /** A finished remove job: what went, and the cleaned file to download. */
  showRemoved(job) {
    const removed = Array.isArray(job.removed) ? job.removed : [];
    const groupsGone = (job.removedGroups || []).map((g) => GROUP_NAMES[g] || g);
    const kept = (job.kept || []).map((k) => (typeof k === "string" ? GROUP_NAMES[k] || k : k.type || JSON.stringify(k)));
    const name = job.fileName || this.label;
    const link = h("a", { href: job.downloadUrl, download: name, class: "button primary", "data-download": "cleaned" },
      `Download the cleaned file`);
    const saved = job.bytesBefore - job.bytesAfter;
    this.report.replaceChildren(
      h("h4", { text: "Metadata removed" }),
      groupsGone.length ? h("p", {}, "Removed: ", groupsGone.join(", "), ".") : h("p", { text: "There was no metadata to remove." }),
      removed.length ? h("ul", {}, removed.map((part) => h("li", {}, `${part.type || "block"}`, part.size ? ` (${bytes(part.size)})` : ""))) : null,
      kept.length ? h("p", {}, "Kept: ", kept.join(", "), ".") : null,
      h("p", {}, `Size: ${bytes(job.bytesBefore)} before, ${bytes(job.bytesAfter)} after`, saved > 0 ? ` (${bytes(saved)} less).` : "."),
      h("p", {}, link, " ", h("span", { class: "hint", text: "The server keeps it for 24 hours." })),
    );
    return link;
  }
}
