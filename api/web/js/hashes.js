// Hashes with copy buttons, and "compare two images" over GET /api/v1/hash/distance.

import { distance } from "./api.js";
import { announce, copyText, h } from "./dom.js";

export const HASH_TYPES = ["phash", "dhash", "ahash", "whash", "md5", "sha256"];
export const PERCEPTUAL = ["phash", "dhash", "ahash", "whash"];
const LABELS = {
  phash: "pHash (perceptual)",
  dhash: "dHash (difference)",
  ahash: "aHash (average)",
  whash: "wHash (wavelet)",
  md5: "MD5 (file bytes)",
  sha256: "SHA-256 (file bytes)",
};

/** ``<dl class="hashes">``: each hash with a button that copies it. */
export function hashList(hashes) {
  const list = h("dl", { class: "hashes" });
  for (const [type, value] of Object.entries(hashes || {})) {
    if (typeof value !== "string") continue;
    const button = h("button", {
      type: "button",
      class: "small",
      "aria-label": `Copy ${LABELS[type] || type}`,
      text: "Copy",
    });
    button.addEventListener("click", async () => {
      const done = await copyText(value);
      button.textContent = done ? "Copied" : "Copy failed";
      announce(done ? `${type} copied` : `Could not copy ${type}`);
      setTimeout(() => { button.textContent = "Copy"; }, 2000);
    });
    list.append(
      h("dt", { text: LABELS[type] || type }),
      h("dd", { class: "mono", "data-hash": type, text: value }),
      h("div", {}, button),
    );
  }
  return list;
}

function verdict(result) {
  if (result.distance === 0) return "Same fingerprint: very likely the same picture.";
  if (result.similarity >= 0.875) return "Very alike: probably the same picture, resized, recompressed or lightly edited.";
  if (result.similarity >= 0.75) return "Somewhat alike.";
  return "Different pictures, most likely.";
}

/** The "compare two images" panel; ``update(cards)`` lists the cards that have hashes. */
export function comparePanel() {
  const section = document.getElementById("compare-section");
  const form = document.getElementById("compare-form");
  const selects = [document.getElementById("compare-a"), document.getElementById("compare-b")];
  const typeSelect = document.getElementById("compare-type");
  const output = document.getElementById("compare-result");
  let cards = [];

  function fill(select, keep) {
    const previous = select.value;
    select.replaceChildren(...cards.map((card, i) => h("option", { value: String(i), text: card.label })));
    select.value = previous && previous < cards.length ? previous : String(keep);
  }

  function update(all) {
    cards = all.filter((card) => card.hashes && PERCEPTUAL.some((t) => card.hashes[t]));
    section.hidden = cards.length < 2;
    if (cards.length < 2) return;
    fill(selects[0], 0);
    fill(selects[1], 1);
    if (!typeSelect.options.length) {
      typeSelect.replaceChildren(...PERCEPTUAL.map((t) => h("option", { value: t, text: LABELS[t] })));
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const [a, b] = selects.map((select) => cards[Number(select.value)]);
    const type = typeSelect.value;
    const hashA = a?.hashes?.[type];
    const hashB = b?.hashes?.[type];
    if (!hashA || !hashB) {
      output.replaceChildren(h("p", { class: "error", text: `Both images need a ${type}.` }));
      return;
    }
    output.replaceChildren(h("p", { text: "Comparing…" }));
    try {
      const result = await distance(hashA, hashB);
      const bits = hashA.length * 4;
      output.replaceChildren(
        h("p", { class: "verdict", text: verdict(result) }),
        h("dl", { class: "summary" },
          h("dt", { text: "Distance" }),
          h("dd", { id: "compare-distance", "data-distance": result.distance, text: `${result.distance} of ${bits} bits differ` }),
          h("dt", { text: "Similarity" }),
          h("dd", { id: "compare-similarity", text: `${(100 * result.similarity).toFixed(1)} %` })),
      );
    } catch (error) {
      output.replaceChildren(h("p", { class: "error", text: error.message }));
    }
  });
  return { update };
}
