// What an extract result means for a person: the camera, the date, the place, what could
// identify someone (location, serial numbers, names), and the groups of tags by title.
// Pure functions of the result's ``metadata`` object (README "Extract" gives its shape).

const SERIAL = /serial/i;
const PERSON_TAGS = ["Artist", "OwnerName", "CameraOwnerName", "By-line", "dc:Creator", "dc:creator"];
const PLACE_TAGS = [
  "Sub-location", "City", "Province-State", "Country-PrimaryLocationName",
  "photoshop:City", "photoshop:State", "photoshop:Country",
  "Iptc4xmpCore:Location", "iptc4xmpcore:location",
];

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
const text = (value) => (typeof value === "string" ? value.trim() : "");

function firstOf(...values) {
  for (const value of values) {
    if (typeof value === "string" && value.trim()) return value.trim();
    if (typeof value === "number") return String(value);
  }
  return "";
}

/** {make, model, lens}: empty strings for what the file does not say. */
export function camera(md) {
  const ifd0 = md?.exif?.image || {};
  const exif = md?.exif?.exif || {};
  const xmp = md?.xmp || {};
  const make = firstOf(ifd0.Make, xmp["tiff:Make"]);
  const model = firstOf(ifd0.Model, xmp["tiff:Model"]);
  const lensModel = firstOf(exif.LensModel, xmp["aux:Lens"], xmp["exifEX:LensModel"]);
  const lensMake = firstOf(exif.LensMake);
  const lens = lensMake && lensModel && !lensModel.startsWith(lensMake) ? `${lensMake} ${lensModel}` : lensModel;
  return { make, model, lens };
}

function parseStamp(value) {
  const match = /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?/.exec(value || "");
  if (!match) return null;
  const [, y, mo, d, hh, mm, ss] = match.map(Number);
  if (!y || mo < 1 || mo > 12 || d < 1 || d > 31) return null;
  return new Date(Date.UTC(y, mo - 1, d, hh, mm, ss || 0));
}

/** When the photo was taken: {text, datetime, zone} or null. The clock time as the camera wrote it. */
export function takenAt(md) {
  const exif = md?.exif?.exif || {};
  const ifd0 = md?.exif?.image || {};
  const raw = firstOf(md?.datetimeOriginal, exif.DateTimeOriginal, exif.CreateDate, md?.xmp?.["xmp:CreateDate"], ifd0.ModifyDate);
  const date = parseStamp(raw);
  if (!date) return raw ? { text: raw, datetime: "", zone: "" } : null;
  const shown = new Intl.DateTimeFormat(undefined, {
    dateStyle: "long", timeStyle: "medium", timeZone: "UTC",
  }).format(date);
  const zone = firstOf(exif.OffsetTimeOriginal, exif.OffsetTime);
  return { text: shown, datetime: date.toISOString().slice(0, 19), zone };
}

function degrees(value, positive, negative) {
  return `${Math.abs(value).toFixed(6)}° ${value >= 0 ? positive : negative}`;
}

/** The GPS position: {lat, lon, altitude, text, mapUrl} or null. */
export function place(md) {
  const gps = md?.gps;
  if (!isObject(gps)) return null;
  const lat = Number(gps.latitude);
  const lon = Number(gps.longitude);
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || gps.latitude === null || gps.longitude === null) return null;
  const altitude = Number.isFinite(Number(gps.altitude)) && gps.altitude !== null ? Number(gps.altitude) : null;
  const la = lat.toFixed(6);
  const lo = lon.toFixed(6);
  return {
    lat,
    lon,
    altitude,
    text: `${degrees(lat, "N", "S")}, ${degrees(lon, "E", "W")}`,
    mapUrl: `https://www.openstreetmap.org/?mlat=${la}&mlon=${lo}#map=16/${la}/${lo}`,
  };
}

/** Names of places written in IPTC or XMP (city, region, country). */
export function placeNames(md) {
  const found = [];
  for (const group of [md?.iptc, md?.xmp]) {
    if (!isObject(group)) continue;
    for (const tag of PLACE_TAGS) {
      const value = text(group[tag]);
      if (value && !found.includes(value)) found.push(value);
    }
  }
  return found;
}

function walk(node, path, visit) {
  if (!isObject(node)) return;
  for (const [name, value] of Object.entries(node)) {
    visit(name, value, path);
    if (isObject(value)) walk(value, [...path, name], visit);
  }
}

function present(value) {
  if (value === null || value === undefined) return false;
  if (typeof value === "string") return value.trim() !== "" && !/^0+$/.test(value.trim());
  if (typeof value === "number") return value !== 0;
  if (Array.isArray(value)) return value.length > 0;
  return !isObject(value);
}

/** Every serial-number tag with a value, anywhere in EXIF (maker notes too) or XMP. */
export function serials(md) {
  const found = [];
  const seen = new Set();
  const visit = (name, value, path) => {
    if (!SERIAL.test(name) || !present(value)) return;
    const shown = Array.isArray(value) ? value.join(" ") : String(value);
    const key = shown; // the same number under EXIF and XMP names is one serial
    if (seen.has(key)) return;
    seen.add(key);
    found.push({ name, value: shown, where: path.join(" › ") });
  };
  walk(md?.exif, ["EXIF"], visit);
  walk(md?.xmp, ["XMP"], visit);
  walk(md?.iptc, ["IPTC"], visit);
  return found;
}

/** People the file names (artist, owner, creator). */
export function people(md) {
  const found = [];
  for (const group of [md?.exif?.image, md?.exif?.exif, md?.iptc, md?.xmp]) {
    if (!isObject(group)) continue;
    for (const tag of PERSON_TAGS) {
      const values = Array.isArray(group[tag]) ? group[tag] : [group[tag]];
      for (const value of values.map(text)) if (value && !found.includes(value)) found.push(value);
    }
  }
  return found;
}

const EXIF_TITLES = {
  image: "EXIF: main image (IFD0)",
  exif: "EXIF: photo settings",
  gps: "EXIF: GPS",
  interoperability: "EXIF: interoperability",
  thumbnail: "EXIF: thumbnail (IFD1)",
};
const TOP_TITLES = {
  iptc: "IPTC",
  xmp: "XMP",
  icc: "ICC colour profile",
  comments: "Comments",
  image: "Image facts",
  file: "File",
  warnings: "Reader's warnings",
};
const SHOWN_ELSEWHERE = new Set(["gps", "datetimeOriginal", "pHash", "colors"]);

/** True for a value worth a group of its own. */
export function hasContent(value) {
  if (value === null || value === undefined || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isObject(value)) return Object.keys(value).length > 0;
  return true;
}

/** [{title, key, value}] in reading order; ``key`` locates the same group in another result. */
export function groups(md) {
  const out = [];
  const exif = isObject(md?.exif) ? md.exif : {};
  for (const [name, value] of Object.entries(exif)) {
    if (name === "makernote" && isObject(value)) {
      const vendors = Object.entries(value);
      const nested = vendors.length && vendors.every(([, tags]) => isObject(tags));
      if (nested) for (const [vendor, tags] of vendors) out.push({ title: `Maker notes: ${vendor}`, key: ["exif", "makernote", vendor], value: tags });
      else out.push({ title: "Maker notes", key: ["exif", "makernote"], value });
    } else {
      out.push({ title: EXIF_TITLES[name] || `EXIF: ${name}`, key: ["exif", name], value });
    }
  }
  for (const [name, value] of Object.entries(md || {})) {
    if (name === "exif" || SHOWN_ELSEWHERE.has(name)) continue;
    out.push({ title: TOP_TITLES[name] || name, key: [name], value });
  }
  const order = (g) => (g.key[0] === "image" ? 2 : g.key[0] === "file" ? 3 : g.key[0] === "warnings" ? 4 : 1);
  return out.filter((g) => hasContent(g.value)).sort((a, b) => order(a) - order(b));
}

/** The value at ``key`` (a list of names) in ``md``. */
export function at(md, key) {
  return key.reduce((node, name) => (isObject(node) ? node[name] : undefined), md);
}
