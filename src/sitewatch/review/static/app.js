// sitewatch review page: plain JavaScript over the vendored Leaflet, no build step, no network
// beyond this app's own server. Scene pixels map to Leaflet's CRS.Simple at the site's deepest
// zoom (zmax), where one map pixel is one full-resolution scene pixel.
"use strict";
(function () {
  const TOKEN = document.querySelector('meta[name="sitewatch-token"]').content;
  const $ = (id) => document.getElementById(id);
  const S = {
    site: null, scenes: [], labels: [], colours: {}, zmax: 0, idx: 0, beforeIdx: 0,
    items: [], sel: -1, polys: [], selRing: null, zoneLayer: null, atSeq: null,
    draw: null, queue: Promise.resolve(), lastLabel: "vehicle", zoomed: false, undo: [],
    names: {}, bulk: null, areaRect: null,
  };
  const map = L.map("map", {
    crs: L.CRS.Simple, minZoom: -4, zoomSnap: 1, attributionControl: false,
    keyboard: false, boxZoom: false, preferCanvas: true,
  });
  // Panes: the "before" date's tiles and boxes sit above the current date's tiles and are
  // clipped to the left of the swipe line; the current date's boxes to its right.
  const beforePane = map.createPane("before");
  beforePane.style.zIndex = 250;
  const beforeBoxPane = map.createPane("beforeBoxes");
  beforeBoxPane.style.zIndex = 390;
  beforeBoxPane.style.pointerEvents = "none";
  const boxPane = map.createPane("boxes");
  boxPane.style.zIndex = 410;
  const boxRenderer = L.canvas({pane: "boxes", padding: 0.5});
  const beforeRenderer = L.canvas({pane: "beforeBoxes", padding: 0.5});
  let beforeBoxes = null;
  let mainLayer = null, beforeLayer = null;

  async function api(path, options) {
    const opts = Object.assign({}, options || {});
    opts.headers = {"X-Sitewatch-Token": TOKEN, "Content-Type": "application/json"};
    const response = await fetch(path, opts);
    const body = await response.json().catch(() => ({error: response.statusText}));
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  }
  function toast(text, ms) {
    const t = $("toast"); t.textContent = text; t.hidden = false;
    clearTimeout(toast.timer); toast.timer = setTimeout(() => { t.hidden = true; }, ms || 4000);
  }
  const toLL = (x, y) => map.unproject([x, y], S.zmax);
  const toPx = (ll) => map.project(ll, S.zmax);
  const scene = () => S.scenes[S.idx];
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  // A label in words, as the report writes it ("armoured vehicles"), singular for n === 1.
  const nameOf = (l, n) => (S.names[l] ? S.names[l][n === 1 ? 0 : 1] : String(l).replace(/_/g, " "));
  const swatch = (l) => `<span class="swatch" style="background:${S.colours[l] || "#fff"}"></span>`;

  function tileLayer(sc, pane) {
    const bounds = L.latLngBounds(toLL(0, sc.height_px), toLL(sc.width_px, 0));
    return L.tileLayer(`/api/tiles/${sc.sha256}/${S.zmax}/{z}/{x}/{y}.jpg`, {
      tileSize: 256, minNativeZoom: 0, maxNativeZoom: S.zmax, minZoom: -4, maxZoom: S.zmax + 3,
      bounds: bounds, noWrap: true, pane: pane || "tilePane", keepBuffer: 4,
    });
  }

  // ---- drawing detections ----------------------------------------------------------------
  function style(it, selected) {
    const colour = S.colours[it.label] || "#ffffff";
    const st = {color: colour, weight: selected ? 4 : 2, opacity: 1, dashArray: null,
                fill: true, fillColor: colour, fillOpacity: selected ? 0.12 : 0.02};
    if (it.status === "unreviewed") st.dashArray = "5 4";
    if (it.status === "rejected") Object.assign(st, {color: "#999", opacity: 0.7, dashArray: "2 5"});
    if (it.loaded) Object.assign(st, {fillColor: S.colours.loaded_transporter, fillOpacity: 0.45});
    if (S.bulk && S.bulk.ids.has(it.id)) Object.assign(st, {color: "#fff", weight: 3, dashArray: null, fillOpacity: 0.4});
    return st;
  }
  function drawItem(i) {
    const it = S.items[i];
    const latlngs = it.corners_px.map((p) => toLL(p[0], p[1]));
    if (S.polys[i]) {
      S.polys[i].setLatLngs(latlngs).setStyle(style(it, i === S.sel));
    } else {
      S.polys[i] = L.polygon(latlngs, Object.assign(style(it, i === S.sel), {renderer: boxRenderer})).addTo(map);
      S.polys[i].on("click", () => select(i, false));
    }
    if (i === S.sel) drawSelRing();
  }
  function drawSelRing() {
    if (S.selRing) { map.removeLayer(S.selRing); S.selRing = null; }
    const it = S.items[S.sel];
    if (!it) return;
    S.selRing = L.polygon(it.corners_px.map((p) => toLL(p[0], p[1])), {
      color: "#fff", weight: 1, fill: false, interactive: false, dashArray: null, renderer: boxRenderer,
    }).addTo(map);
  }
  function clearItems() {
    S.polys.forEach((p) => p && map.removeLayer(p));
    S.polys = [];
    if (S.selRing) map.removeLayer(S.selRing);
    S.selRing = null;
  }

  // ---- selection and side panel ------------------------------------------------------------
  function select(i, pan) {
    const old = S.sel;
    S.sel = Math.max(-1, Math.min(i, S.items.length - 1));
    if (old >= 0 && S.items[old]) S.polys[old].setStyle(style(S.items[old], false));
    if (S.sel >= 0) {
      drawItem(S.sel);
      if (pan !== false) focusSelected(false);
    }
    panel();
  }
  function focusSelected(zoom) {
    const it = S.items[S.sel];
    if (!it) return;
    const c = toLL(it.box.cx_px, it.box.cy_px);
    const side = Math.max(it.box.width_px, it.box.height_px);
    if (zoom || !S.zoomed) {
      const z = Math.round(Math.min(S.zmax + 2, S.zmax + Math.log2(90 / side)));
      map.setView(c, z, {animate: false});
      S.zoomed = true;
    } else {
      map.panInside(c, {padding: [120, 120], animate: false});
    }
  }
  function nextIndex(from, step, unreviewedOnly) {
    const n = S.items.length;
    for (let k = 1; k <= n; k++) {
      const j = from + step * k;
      if (j < 0 || j >= n) break;
      if (!unreviewedOnly || S.items[j].status === "unreviewed") return j;
    }
    return unreviewedOnly ? -1 : Math.max(0, Math.min(n - 1, from + step));
  }
  function panel() {
    const it = S.items[S.sel];
    $("sel-body").innerHTML = it ? `
      <div><span class="swatch" style="background:${S.colours[it.label] || "#fff"}"></span>
      <b>${esc(nameOf(it.label, 1))}</b> · <span class="status-${it.status}">${it.status}</span>
      ${it.loaded ? " · <b>loaded on transporter</b>" : ""}</div>
      <div>${esc(it.id)} (${S.sel + 1} of ${S.items.length}) · score ${it.score.toFixed(2)}
      ${it.original_label && it.original_label !== it.label ? " · model said " + esc(nameOf(it.original_label, 1)) : ""}</div>
      <div>${it.box.width_px.toFixed(0)}×${it.box.height_px.toFixed(0)} px
      ${it.reviewer ? " · last by " + esc(it.reviewer) : ""}</div>` : "nothing selected (press j)";
    const by = {unreviewed: 0, accepted: 0, corrected: 0, rejected: 0};
    S.items.forEach((x) => { by[x.status] += 1; });
    $("progress").innerHTML = `${S.items.length} boxes: ` + Object.entries(by).map(
      ([k, v]) => `<span class="status-${k}">${v} ${k}</span>`).join(", ");
    labelRows();
  }
  // One row per label: its key, its name in words, how many stand on this date after review
  // and how many of those are still to review. Clicking a row picks it for a bulk decision.
  function labelRows() {
    const standing = {}, open = {};
    S.items.forEach((x) => {
      if (x.status === "rejected") return;
      standing[x.label] = (standing[x.label] || 0) + 1;
      if (x.status === "unreviewed") open[x.label] = (open[x.label] || 0) + 1;
    });
    const labels = S.labels.concat(Object.keys(standing).filter((l) => !S.labels.includes(l)));
    $("labels").innerHTML = "<tr><th>key</th><th>label</th><th class='n'>boxes</th><th class='n'>to review</th></tr>" +
      labels.map((l, i) => {
        const n = standing[l] || 0;
        return `<tr class="label-row${n ? "" : " none"}" data-label="${esc(l)}">` +
          `<td>${i < 6 ? `<kbd>${i + 1}</kbd>` : ""}</td><td class="name">${swatch(l)}${esc(nameOf(l, 2))}</td>` +
          `<td class="n">${n}</td><td class="n">${open[l] || 0}</td></tr>`;
      }).join("");
  }
  $("labels").addEventListener("click", (e) => {
    const tr = e.target.closest("tr");
    if (tr && tr.dataset.label) { $("bulk-label").value = tr.dataset.label; bulkCancel(); }
  });
  async function refreshCounts() {
    const rows = await api(`/api/sites/${encodeURIComponent(S.site.name)}/counts`);
    const present = new Set(rows.flatMap((r) => Object.keys(r.by_label)));
    const labels = S.labels.filter((l) => present.has(l)).concat([...present].filter((l) => !S.labels.includes(l)).sort());
    const head = "<tr><th>date</th>" + labels.map((l) => `<th class="n" data-label="${esc(l)}">` +
      `${swatch(l)}${esc(nameOf(l, 2))}</th>`).join("") +
      "<th class='n'>all vehicles</th><th class='n'>loaded on transporters</th><th class='n'>reviewed</th></tr>";
    $("counts").innerHTML = head + rows.map((r) => `<tr class="${r.sha256 === scene().sha256 ? "current" : ""}">` +
      `<td>${r.date}</td>` + labels.map((l) => `<td class="n">${r.by_label[l] || 0}</td>`).join("") +
      `<td class="n">${r.detected ? r.total : "–"}</td><td class="n">${r.loaded}</td>` +
      `<td class="n">${r.reviewed}/${r.of}</td></tr>`).join("");
    map.invalidateSize({pan: false});
  }
  async function refreshHistory() {
    const rows = await api(`/api/scenes/${scene().sha256}/history`);
    $("history").innerHTML = rows.map((r) => `<li data-seq="${r.seq}" class="${r.seq === S.atSeq ? "shown" : ""}">` +
      `#${r.seq} ${esc(r.time_utc.slice(11, 19))} ${esc(r.reviewer)}: ${esc(r.action)} ${esc(r.detection_id)}` +
      ` → <span class="status-${r.status}">${esc(r.status)}</span></li>`).join("");
  }
  $("history").addEventListener("click", (e) => {
    const li = e.target.closest("li");
    if (li) loadItems(Number(li.dataset.seq));
  });

  // ---- loading a date ----------------------------------------------------------------------
  async function loadItems(atSeq) {
    S.atSeq = atSeq === undefined ? null : atSeq;
    const q = S.atSeq === null ? "" : `?at_seq=${S.atSeq}`;
    const data = await api(`/api/scenes/${scene().sha256}/detections${q}`);
    clearItems();
    S.items = data.items;
    S.items.forEach((_, i) => drawItem(i));
    $("banner").hidden = S.atSeq === null;
    $("banner").textContent = S.atSeq === null ? "" :
      `showing the state after decision #${S.atSeq} (read-only) — press Esc for the current state`;
    if (S.sel >= S.items.length) S.sel = -1;
    if (S.sel >= 0) drawItem(S.sel);
    panel();
    refreshHistory();
  }
  async function loadZones() {
    if (S.zoneLayer) map.removeLayer(S.zoneLayer);
    const data = await api(`/api/scenes/${scene().sha256}/zones`);
    S.zoneLayer = L.layerGroup(data.zones.flatMap((z) => {
      const ring = z.ring_px.map((p) => toLL(p[0], p[1]));
      const corner = ring.reduce((a, b) => (b.lat > a.lat || (b.lat === a.lat && b.lng < a.lng) ? b : a));
      return [
        L.polygon(ring, {color: "#fff", weight: 1.5, dashArray: "8 6", fill: false, interactive: false}),
        L.tooltip({permanent: true, className: "zone-label", direction: "right", offset: [4, 10]})
          .setLatLng(corner).setContent(esc(z.name)),
      ];
    })).addTo(map);
    if (data.note) toast(data.note);
  }
  async function showDate(i) {
    S.idx = Math.max(0, Math.min(i, S.scenes.length - 1));
    $("date").value = S.idx;
    const sc = scene();
    $("date-label").textContent = `${sc.date} · ${sc.name}`;
    if (mainLayer) map.removeLayer(mainLayer);
    mainLayer = tileLayer(sc).addTo(map);
    S.sel = -1; S.undo = [];
    bulkCancel();
    updateSwipe();
    await Promise.all([loadItems(), loadZones(), refreshCounts()]);
  }
  // The before date is drawn in the current scene's pixel frame, through the server's
  // registration of the pair (boxes too); when that fails it is shown unaligned, and said so.
  function alignedLayer(before, current) {
    const bounds = L.latLngBounds(toLL(0, current.height_px), toLL(current.width_px, 0));
    return L.tileLayer(`/api/tiles/${before.sha256}/on/${current.sha256}/${S.zmax}/{z}/{x}/{y}.jpg`, {
      tileSize: 256, minNativeZoom: 0, maxNativeZoom: S.zmax, minZoom: -4, maxZoom: S.zmax + 3,
      bounds: bounds, noWrap: true, pane: "before", keepBuffer: 4,
    });
  }
  function alignmentText(a) {
    if (!a.aligned) return "unaligned: registration failed";
    const res = a.residual_m === null ? "residual not measured" : `residual ${a.residual_m.toFixed(2)} m`;
    return `aligned (${a.method}), ${res}`;
  }
  function updateSwipe() {
    if (beforeLayer) { map.removeLayer(beforeLayer); beforeLayer = null; }
    const on = $("swipe").checked && S.scenes.length > 1;
    $("swipe-line").hidden = !on; $("swipe-pos").hidden = !on;
    $("tag-before").hidden = !on; $("tag-after").hidden = !on; $("tag-align").hidden = !on;
    $("tag-before").textContent = "◀ " + (S.scenes[Number($("before").value)] || {}).date;
    $("tag-after").textContent = scene().date + " ▶";
    if (beforeBoxes) { map.removeLayer(beforeBoxes); beforeBoxes = null; }
    const ticket = updateSwipe.ticket = (updateSwipe.ticket || 0) + 1;
    if (on) {
      S.beforeIdx = Number($("before").value);
      const before = S.scenes[S.beforeIdx], current = scene();
      $("tag-align").textContent = "registering…";
      api(`/api/scenes/${before.sha256}/on/${current.sha256}`).catch((e) => ({
        aligned: false, items: null,
        message: `dates ${before.date} and ${current.date} could not be registered: ${e.message}; showing them unaligned`,
      })).then(async (data) => {
        if (ticket !== updateSwipe.ticket) return;  // the swipe changed meanwhile
        $("tag-align").textContent = alignmentText(data);
        $("tag-align").title = data.message || `${data.n_inliers} matching features`;
        if (data.message) toast(data.message, 10000);
        beforeLayer = (data.aligned ? alignedLayer(before, current) : tileLayer(before, "before")).addTo(map);
        clip();
        const items = data.items || (await api(`/api/scenes/${before.sha256}/detections`)).items;
        if (ticket !== updateSwipe.ticket) return;
        beforeBoxes = L.layerGroup(items.filter((it) => it.status !== "rejected").map((it) =>
          L.polygon(it.corners_px.map((q) => toLL(q[0], q[1])), Object.assign(style(it, false), {
            renderer: beforeRenderer, interactive: false})))).addTo(map);
      }).catch((e) => toast(e.message));
    }
    clip();
  }
  function clip() {
    const pos = Number($("swipe-pos").value) / 100;
    $("swipe-line").style.left = (pos * 100) + "%";
    if (!beforeLayer) {
      beforePane.style.clip = beforeBoxPane.style.clip = boxPane.style.clip = "";
      return;
    }
    const size = map.getSize();
    const nw = map.containerPointToLayerPoint([0, 0]);
    const se = map.containerPointToLayerPoint(size);
    const x = nw.x + size.x * pos;
    const left = `rect(${nw.y}px, ${x}px, ${se.y}px, ${nw.x}px)`;
    beforePane.style.clip = beforeBoxPane.style.clip = left;
    boxPane.style.clip = `rect(${nw.y}px, ${se.x}px, ${se.y}px, ${x}px)`;
  }
  map.on("move zoom resize", clip);
  map.on("mousemove", (e) => {
    const sc = scene(), pt = toPx(e.latlng), a = sc && sc.lonlat_affine;
    if (!sc) return;
    let text = `x ${pt.x.toFixed(0)}, y ${pt.y.toFixed(0)} px`;
    if (a) {
      const lon = a[0] + a[1] * pt.x + a[2] * pt.y, lat = a[3] + a[4] * pt.x + a[5] * pt.y;
      text += ` · ${lat.toFixed(6)}, ${lon.toFixed(6)} (lat, lon WGS84)`;
    }
    $("cursor").textContent = text;
  });
  $("swipe-pos").addEventListener("input", clip);
  // Hand the keyboard back to the review after a menu or slider is used.
  $("swipe").addEventListener("change", () => { $("swipe").blur(); updateSwipe(); });
  $("before").addEventListener("change", () => { $("before").blur(); updateSwipe(); });
  $("date").addEventListener("input", () => showDate(Number($("date").value)));
  $("date").addEventListener("change", () => $("date").blur());

  async function showSite(name) {
    const sites = S.sites.sites;
    S.site = sites.find((s) => s.name === name) || sites[0];
    S.scenes = S.site.scenes; S.zmax = S.site.zmax; S.zoomed = false;
    $("date").max = Math.max(0, S.scenes.length - 1);
    $("before").innerHTML = S.scenes.map((s, i) => `<option value="${i}">${esc(s.date)}</option>`).join("");
    const last = S.scenes[S.scenes.length - 1];
    map.fitBounds(L.latLngBounds(toLL(0, last.height_px), toLL(last.width_px, 0)));
    await showDate(S.scenes.length - 1);
  }

  // ---- decisions ---------------------------------------------------------------------------
  function decide(action, extra, advance) {
    if (S.atSeq !== null) { toast("showing an earlier state: press Esc first"); return; }
    const i = S.sel, it = S.items[i];
    if (action !== "add" && !it) return;
    const sha = scene().sha256;
    const body = Object.assign({action: action, detection_id: action === "add" ? null : it.id}, extra || {});
    if (action !== "add" && action !== "undo") S.undo.push(it.id);
    if (advance) {
      const next = nextIndex(i, 1, true);
      select(next >= 0 ? next : nextIndex(i, 1, false));
    }
    S.queue = S.queue.then(async () => {
      const out = await api(`/api/scenes/${sha}/reviews`, {method: "POST", body: JSON.stringify(body)});
      if (sha !== scene().sha256 || S.atSeq !== null) return;
      if (action === "add") {
        S.items.push(out); S.undo.push(out.id); drawItem(S.items.length - 1); select(S.items.length - 1, false);
      }
      else { S.items[i] = out; drawItem(i); }
      panel();
      clearTimeout(decide.timer);
      decide.timer = setTimeout(() => { refreshCounts(); refreshHistory(); }, 250);
    }).catch((e) => toast(e.message));
  }
  function undoLast() {
    const id = S.undo.pop();
    if (id === undefined) { toast("nothing to undo in this session"); return; }
    if (id.bulk) { report(bulkUndo(id)); return; }
    const i = S.items.findIndex((x) => x.id === id);
    if (i < 0) return;
    select(i);
    decide("undo");
  }
  function rotate(deg) {
    const it = S.items[S.sel];
    if (!it) return;
    decide("redraw", {box: Object.assign({}, it.box, {angle_rad: it.box.angle_rad + deg * Math.PI / 180})});
  }

  // ---- bulk decisions ----------------------------------------------------------------------
  // A bulk decision is previewed (the boxes it changes are counted and outlined white), then
  // confirmed; the server stores it only if it still changes exactly the previewed boxes.
  function bulkBody(action) {
    const body = {action: action, label: $("bulk-label").value || null,
                  score_min: Number($("bulk-min").value || 0), score_max: Number($("bulk-max").value || 1),
                  only_unreviewed: $("bulk-unreviewed").checked};
    const text = $("bulk-area").value.trim();
    if (text) {
      const v = text.split(/[\s,]+/).map(Number);
      if (v.length !== 4 || v.some((x) => !Number.isFinite(x))) throw new Error(
        `area "${text}" is not four numbers x0, y0, x1, y1 (scene pixels); drag one with b`);
      body.area_px = v;
    }
    return body;
  }
  function showArea() {
    if (S.areaRect) { map.removeLayer(S.areaRect); S.areaRect = null; }
    const v = $("bulk-area").value.trim().split(/[\s,]+/).map(Number);
    if (v.length === 4 && v.every(Number.isFinite)) {
      S.areaRect = L.rectangle([toLL(v[0], v[1]), toLL(v[2], v[3])], {
        color: "#fff", weight: 1.5, dashArray: "6 4", fill: false, interactive: false}).addTo(map);
    }
  }
  function restyle() { S.items.forEach((_, i) => S.polys[i] && S.polys[i].setStyle(style(S.items[i], i === S.sel))); }
  async function bulkPreview(action) {
    if (S.atSeq !== null) { toast("showing an earlier state: press Esc first"); return; }
    bulkCancel();
    const body = bulkBody(action);
    await S.queue;  // decisions still on their way count
    const out = await api(`/api/scenes/${scene().sha256}/bulk/preview`, {method: "POST", body: JSON.stringify(body)});
    const order = (l) => (S.labels.includes(l) ? S.labels.indexOf(l) : S.labels.length);
    const parts = Object.entries(out.by_label).sort((a, b) => order(a[0]) - order(b[0]))
      .map(([l, n]) => `${n} ${esc(nameOf(l, n))}`);
    const verb = action === "accept" ? "accept" : "reject";
    if (!out.count) { $("bulk-result").textContent = `no box to ${verb}: nothing matches that is not already so`; return; }
    S.bulk = {action: action, body: body, ids: new Set(out.ids), list: out.ids};
    $("bulk-text").innerHTML = `This will <b>${verb} ${out.count} ${out.count === 1 ? "box" : "boxes"}</b>` +
      (parts.length ? ` (${parts.join(", ")})` : "") + ", outlined white on the image.";
    $("bulk-confirm").hidden = false;
    restyle();
  }
  function bulkCancel() {
    if (!S.bulk) return;
    S.bulk = null;
    $("bulk-confirm").hidden = true;
    restyle();
  }
  async function bulkConfirm() {
    const b = S.bulk;
    if (!b) return;
    const started = performance.now();
    const out = await api(`/api/scenes/${scene().sha256}/bulk`, {method: "POST",
      body: JSON.stringify(Object.assign({}, b.body, {expect_ids: b.list}))}).catch(async (e) => {
      bulkCancel();  // refused, so nothing changed; show what stands now
      await loadItems();
      refreshCounts();
      throw e;
    });
    S.bulk = null;
    $("bulk-confirm").hidden = true;
    S.undo.push({bulk: out.seqs, action: out.action, count: out.count});
    await loadItems();
    $("bulk-result").textContent = `${out.action === "accept" ? "accepted" : "rejected"} ${out.count} ` +
      `boxes as one decision (u undoes it)`;
    document.body.dataset.bulkMs = String(Math.round(performance.now() - started));
    document.body.dataset.bulkDone = String((Number(document.body.dataset.bulkDone) || 0) + 1);
    refreshCounts();
  }
  async function bulkUndo(entry) {
    const out = await api(`/api/scenes/${scene().sha256}/bulk/undo`, {method: "POST",
      body: JSON.stringify({seqs: entry.bulk})}).catch((e) => { S.undo.push(entry); throw e; });
    await loadItems();
    $("bulk-result").textContent = `undid the bulk decision on ${out.count} boxes`;
    document.body.dataset.bulkDone = String((Number(document.body.dataset.bulkDone) || 0) + 1);
    refreshCounts();
  }
  const report = (p) => p.catch((e) => toast(e.message));
  $("bulk-accept").addEventListener("click", () => report(bulkPreview("accept")));
  $("bulk-reject").addEventListener("click", () => report(bulkPreview("reject")));
  $("bulk-yes").addEventListener("click", () => report(bulkConfirm()));
  $("bulk-no").addEventListener("click", bulkCancel);
  $("bulk-draw").addEventListener("click", () => { $("bulk-draw").blur(); startDraw("area"); });
  ["bulk-label", "bulk-min", "bulk-max", "bulk-area", "bulk-unreviewed"].forEach((id) =>
    $(id).addEventListener("change", () => { bulkCancel(); if (id === "bulk-area") showArea(); }));

  // ---- drawing a box (add or redraw) -------------------------------------------------------
  function startDraw(mode) {
    if (mode === "redraw" && !S.items[S.sel]) return;
    if (mode === "area") bulkCancel();
    S.draw = {mode: mode, start: null, rect: null};
    map.dragging.disable();
    $("map").classList.add("drawing");
  }
  function endDraw() {
    if (S.draw && S.draw.rect) map.removeLayer(S.draw.rect);
    S.draw = null;
    map.dragging.enable();
    $("map").classList.remove("drawing");
  }
  map.on("mousedown", (e) => {
    if (!S.draw) return;
    S.draw.start = e.latlng;
    S.draw.rect = L.rectangle([e.latlng, e.latlng], {color: "#fff", weight: 2, dashArray: "4 3"}).addTo(map);
  });
  map.on("mousemove", (e) => {
    if (S.draw && S.draw.start) S.draw.rect.setBounds([S.draw.start, e.latlng]);
  });
  map.on("mouseup", (e) => {
    if (!S.draw || !S.draw.start) return;
    const a = toPx(S.draw.start), b = toPx(e.latlng), mode = S.draw.mode;
    endDraw();
    const w = Math.abs(b.x - a.x), h = Math.abs(b.y - a.y);
    if (w < 2 || h < 2) { toast("box too small: drag from one corner to the opposite one"); return; }
    if (mode === "area") {
      const r = (v) => Math.round(v);
      $("bulk-area").value = `${r(Math.min(a.x, b.x))}, ${r(Math.min(a.y, b.y))}, ${r(Math.max(a.x, b.x))}, ${r(Math.max(a.y, b.y))}`;
      showArea();
      return;
    }
    const box = {cx_px: (a.x + b.x) / 2, cy_px: (a.y + b.y) / 2, width_px: w, height_px: h, angle_rad: 0};
    if (mode === "add") decide("add", {box: box, label: S.lastLabel});
    else decide("redraw", {box: box});
  });

  // ---- keyboard ----------------------------------------------------------------------------
  document.addEventListener("keydown", (e) => {
    if (e.target.matches("input[type=text], input[type=number], select") || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    if (k === "Escape") { endDraw(); bulkCancel(); if (S.atSeq !== null) loadItems(); return; }
    const digit = "123456".indexOf(k);
    if (digit >= 0 && S.labels[digit]) {
      S.lastLabel = S.labels[digit];
      decide("relabel", {label: S.labels[digit]}, true);
    } else if (k === "j") select(nextIndex(S.sel, 1, false));
    else if (k === "k") select(nextIndex(Math.max(S.sel, 0), -1, false));
    else if (k === "J") { const n = nextIndex(S.sel, 1, true); if (n >= 0) select(n); else toast("no unreviewed box after this one"); }
    else if (k === "a") decide("accept", null, true);
    else if (k === "r" || k === "x") decide("reject", null, true);
    else if (k === "l") decide("loaded");
    else if (k === "u") undoLast();
    else if (k === "n") startDraw("add");
    else if (k === "d") startDraw("redraw");
    else if (k === "b") startDraw("area");
    else if (k === "[") rotate(-5);
    else if (k === "]") rotate(5);
    else if (k === "f") focusSelected(true);
    else if (k === ",") showDate(S.idx - 1);
    else if (k === ".") showDate(S.idx + 1);
    else if (k === "s") { $("swipe").checked = !$("swipe").checked; updateSwipe(); }
    else return;
    e.preventDefault();
  });

  // ---- start -------------------------------------------------------------------------------
  (async function start() {
    S.sites = await api("/api/sites");
    S.labels = S.sites.labels; S.colours = S.sites.colours;
    $("case").textContent = S.sites.case;
    $("reviewer").textContent = S.sites.reviewer;
    S.names = S.sites.names || {};
    $("bulk-label").innerHTML = '<option value="">any label</option>' + S.labels.map((l) =>
      `<option value="${esc(l)}">${esc(nameOf(l, 2))}</option>`).join("");
    $("site").innerHTML = S.sites.sites.map((s) => `<option>${esc(s.name)}</option>`).join("");
    $("site").addEventListener("change", () => { $("site").blur(); showSite($("site").value); });
    if (!S.sites.sites.length) { toast("this case has no scenes yet: sitewatch ingest first"); return; }
    await showSite(S.sites.sites[0].name);
    document.body.dataset.ready = "1";
  })().catch((e) => toast(e.message));
})();
