// A group of tags as a definition list: nested structures nest, long values fold, and the
// raw value (when the page shows printed values and the raw ones were asked for) sits under
// the printed one.

import { h } from "./dom.js";

const LONG = 300; // characters shown before "Show all"
const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

/** A tag's value as one line of text. */
export function formatValue(value) {
  if (value === null || value === undefined) return "(none)";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value)) {
    if (value.every((item) => !isObject(item) && !Array.isArray(item))) return value.map(formatValue).join(", ");
    return JSON.stringify(value);
  }
  if (isObject(value)) return JSON.stringify(value);
  return String(value);
}

function foldable(textValue) {
  if (textValue.length <= LONG) return document.createTextNode(textValue);
  const shown = h("span", { text: `${textValue.slice(0, LONG)}…` });
  const more = h("button", {
    type: "button",
    class: "small more",
    text: `Show all ${textValue.length} characters`,
    onclick: () => {
      shown.textContent = textValue;
      more.remove();
    },
  });
  return h("span", {}, shown, more);
}

function valueCell(value, raw) {
  if (isObject(value)) return h("dd", {}, tagList(value, isObject(raw) ? raw : undefined));
  if (Array.isArray(value) && value.some(isObject)) {
    return h("dd", {}, value.map((item, i) => (isObject(item)
      ? tagList(item, Array.isArray(raw) ? raw[i] : undefined)
      : foldable(formatValue(item)))));
  }
  const shown = formatValue(value);
  const cell = h("dd", {}, foldable(shown));
  if (raw !== undefined && formatValue(raw) !== shown) {
    cell.append(h("span", { class: "raw" }, "raw value: ", foldable(formatValue(raw))));
  }
  return cell;
}

/** ``<dl class="tags">`` of ``group`` (an object, or a list of values); ``raw`` is the same
 *  group read without printed values, or undefined. */
export function tagList(group, raw) {
  if (Array.isArray(group)) {
    return h("ul", {}, group.map((item) => h("li", {}, isObject(item) ? tagList(item) : foldable(formatValue(item)))));
  }
  if (!isObject(group)) return h("p", {}, foldable(formatValue(group)));
  const list = h("dl", { class: "tags" });
  for (const [name, value] of Object.entries(group)) {
    list.append(h("dt", { text: name }), valueCell(value, isObject(raw) ? raw[name] : undefined));
  }
  return list;
}

/** How many tags a group holds (nested structures count their leaves). */
export function countTags(group) {
  if (Array.isArray(group)) return group.length;
  if (!isObject(group)) return 1;
  return Object.values(group).reduce((sum, value) => sum + (isObject(value) ? countTags(value) : 1), 0);
}
