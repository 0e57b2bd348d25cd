// unspin review page: paste or load text, check it, review findings, export.
// Plain ES2020, no dependencies. Offsets from the API are Unicode code points
// (Python string indices), so the checked text is kept as an array of code points.
"use strict";

(() => {
  // ---------------------------------------------------------------- state
  const state = {
    text: "",        // the text that was checked
    cps: [],         // Array.from(text): one entry per code point
    report: null,    // the API report
    order: [],       // finding indices sorted by offset (non-overlapping)
    decisions: [],   // per finding: {status: "pending"|"accepted"|"rejected", choice: int|null}
    openIndex: null, // finding shown in the popover
    rightView: "restored",
  };

  const $ = (sel) => document.querySelector(sel);
  const ui = {
    input: $("#input"), file: $("#file"), drop: $("#dropzone"), check: $("#check"),
    status: $("#status"), error: $("#error"), results: $("#results"),
    score: $("#score"), scoreBar: $("#score-bar"), verdict: $("#verdict"), count: $("#finding-count"),
    original: $("#original"), restored: $("#restored"), edited: $("#edited"),
    rightHeading: $("#right-heading"), showRestored: $("#show-restored"), showEdited: $("#show-edited"),
    popover: $("#popover"), sources: $("#sources"), sourceList: $("#source-list"),
  };


  // ---------------------------------------------------------------- helpers
  /** Create an element: el("span", {class: "x", onclick: fn}, child, "text", ...). */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  /** Text between two code-point offsets of the checked text. */
  const slice = (start, end) => state.cps.slice(start, end).join("");

  const fmt = (x, digits = 2) => (typeof x === "number" ? x.toFixed(digits) : String(x));

  const escapeHtml = (s) => String(s).replace(/[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  function showError(message) {
    ui.error.textContent = message;
    ui.error.hidden = !message;
  }

  function setStatus(message) { ui.status.textContent = message || ""; }

  /** Read an error message from a failed response ({"detail": ...} or plain text). */
  async function errorDetail(resp) {
    let detail = "";
    try {
      const body = await resp.clone().json();
      detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail ?? body);
    } catch {
      try { detail = (await resp.text()).slice(0, 300); } catch { /* ignore */ }
    }
    const prefix = {
      401: "The access token was refused",
      413: "The text is too large",
      422: "The text could not be checked",
      503: "The check ran out of time",
    }[resp.status] || `Server error ${resp.status}`;
    return detail ? `${prefix}: ${detail}` : `${prefix}.`;
  }

  const TOKEN_KEY = "unspin-token";

  /** fetch() with the server's access token, when it asks for one (401): the token is
   *  asked for once and kept for this tab only (sessionStorage). */
  async function api(path, init) {
    const send = () => {
      const token = sessionStorage.getItem(TOKEN_KEY);
      const headers = { ...(init.headers || {}) };
      if (token) headers.Authorization = `Bearer ${token}`;
      return fetch(path, { ...init, headers });
    };
    let resp = await send();
    if (resp.status === 401) {
      const token = window.prompt("This server needs an access token:");
      if (token && token.trim()) {
        sessionStorage.setItem(TOKEN_KEY, token.trim());
        resp = await send();
        if (resp.status === 401) sessionStorage.removeItem(TOKEN_KEY);
      }
    }
    return resp;
  }

  // ---------------------------------------------------------------- input: files
  const TEXT_EXT = /\.(txt|text|md)$/i;
  const EXTRACT_EXT = /\.(pdf|docx|html?|xml)$/i;

  async function loadFile(file) {
    showError("");
    if (!file) return;
    if (TEXT_EXT.test(file.name) || (file.type === "text/plain" && !EXTRACT_EXT.test(file.name))) {
      // Plain text: read in the browser.
      const reader = new FileReader();
      reader.onload = () => { ui.input.value = reader.result; setStatus(`Loaded ${file.name}.`); };
      reader.onerror = () => showError(`Could not read ${file.name}.`);
      reader.readAsText(file);
      return;
    }
    if (!EXTRACT_EXT.test(file.name)) {
      showError(`Unsupported file type: ${file.name}. Use .txt, .pdf, .docx or .html, or paste the text.`);
      return;
    }
    // Documents: ask the server to extract the text.
    setStatus(`Extracting text from ${file.name}…`);
    try {
      const form = new FormData();
      form.append("file", file, file.name);
      const resp = await api("api/extract", { method: "POST", body: form });
      if (resp.status === 404 || resp.status === 405) {
        showError("this server cannot read .pdf/.docx/.html files; paste the text");
        setStatus("");
        return;
      }
      if (!resp.ok) { showError(await errorDetail(resp)); setStatus(""); return; }
      const body = await resp.json();
      ui.input.value = body.text ?? "";
      setStatus(`Loaded ${file.name}.`);
    } catch (err) {
      showError(`Could not reach the server: ${err.message}`);
      setStatus("");
    }
  }

  ui.file.addEventListener("change", () => { loadFile(ui.file.files[0]); ui.file.value = ""; });
  ui.drop.addEventListener("click", (e) => { if (e.target !== ui.file && e.target.tagName !== "LABEL") ui.file.click(); });
  ui.drop.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); ui.file.click(); }
  });
  for (const type of ["dragenter", "dragover"]) {
    ui.drop.addEventListener(type, (e) => { e.preventDefault(); ui.drop.classList.add("over"); });
  }
  for (const type of ["dragleave", "drop"]) {
    ui.drop.addEventListener(type, (e) => { e.preventDefault(); ui.drop.classList.remove("over"); });
  }
  ui.drop.addEventListener("drop", (e) => loadFile(e.dataTransfer.files[0]));

  // ---------------------------------------------------------------- check
  async function runCheck() {
    const text = ui.input.value;
    showError("");
    if (!text.trim()) { showError("Paste some text (or load a file) first."); return; }
    ui.check.disabled = true;
    setStatus("Checking…");
    try {
      const resp = await api("api/check", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ text, restore: true }),
      });
      if (!resp.ok) { showError(await errorDetail(resp)); setStatus(""); return; }
      const report = await resp.json();
      loadReport(text, report);
      const n = report.findings.length;
      setStatus(`Checked: ${n} finding${n === 1 ? "" : "s"}.`);
      if (await canTrace) await runTrace(text);
    } catch (err) {
      showError(`Could not reach the server: ${err.message}`);
      setStatus("");
    } finally {
      ui.check.disabled = false;
    }
  }
  // ---------------------------------------------------------------- trace
  /** Whether the server has a reference index to trace against (GET api/health). */
  const canTrace = fetch("api/health").then((r) => (r.ok ? r.json() : {}))
    .then((health) => !!health.index).catch(() => false);

  /** The indexed documents the text was likely spun from, with its aligned passages. */
  async function runTrace(text) {
    ui.sources.hidden = true;
    ui.sourceList.replaceChildren();
    try {
      const resp = await api("api/trace", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ text, top: 5, quote: true }),
      });
      if (!resp.ok) return; // too short to trace, or no index after all: nothing to show
      const { matches } = await resp.json();
      ui.sourceList.replaceChildren(...(matches.length ? matches.map(sourceCard)
        : [el("p", { class: "muted" }, "No indexed document matches this text.")]));
      ui.sources.hidden = false;
    } catch { /* tracing is extra: the check is shown either way */ }
  }

  function sourceCard(match) {
    const passages = match.passages.map((p) => el("li", { class: "passage" },
      el("div", {}, el("span", { class: "muted small" }, "this text"),
        el("blockquote", {}, slice(p.query_offset, p.query_offset + p.query_length))),
      el("div", {}, el("span", { class: "muted small" },
        `source, characters ${p.source_offset}–${p.source_offset + p.source_length}`),
        el("blockquote", { class: "source-text" }, p.source_text ?? ""))));
    return el("div", { class: "source" },
      el("div", {}, el("strong", { class: "source-id" }, match.id),
        el("span", { class: "muted" }, ` · containment ${fmt(match.score, 2)}`),
        el("span", { class: "muted" }, ` · ${match.passages.length} aligned passage${match.passages.length === 1 ? "" : "s"}`)),
      passages.length ? el("ol", { class: "passages" }, passages) : null);
  }

  ui.check.addEventListener("click", runCheck);
  ui.input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) runCheck();   // Ctrl+Enter checks
  });

  /** Install a fresh report: reset decisions and render everything. */
  function loadReport(text, report) {
    closePopover(false);
    state.text = text;
    state.cps = Array.from(text);
    state.report = report;
    const findings = report.findings || [];
    state.decisions = findings.map(() => ({ status: "pending", choice: null }));
    // Sort by offset; drop any overlap defensively (the API guarantees none).
    const sorted = findings.map((f, i) => i).sort((a, b) => findings[a].offset - findings[b].offset);
    state.order = [];
    let end = 0;
    for (const i of sorted) {
      const f = findings[i];
      if (f.offset < end) { console.warn("overlapping finding skipped", f); continue; }
      if (slice(f.offset, f.offset + f.length) !== f.text) console.warn("finding text mismatch", f);
      state.order.push(i);
      end = f.offset + f.length;
    }
    ui.results.hidden = false;
    renderSummary();
    renderAll();
  }

  // ---------------------------------------------------------------- rendering
  function renderSummary() {
    const { score, verdict, findings } = state.report;
    ui.score.textContent = fmt(score);
    ui.scoreBar.style.width = `${Math.round(Math.max(0, Math.min(1, score)) * 100)}%`;
    ui.scoreBar.style.background = { spun: "var(--bad)", uncertain: "#ffb300", clean: "var(--ok)" }[verdict] || "";
    ui.verdict.textContent = verdict;
    ui.verdict.className = `badge verdict-${verdict}`;
    ui.verdict.setAttribute("aria-label", `Verdict: ${verdict}`);
    ui.count.textContent = `${findings.length} finding${findings.length === 1 ? "" : "s"}`;
  }

  function renderAll() {
    renderOriginal();
    renderRestored();
    renderEdited();
    updateCount();
  }

  function updateCount() {
    const ds = state.decisions;
    const acc = ds.filter((d) => d.status === "accepted").length;
    const rej = ds.filter((d) => d.status === "rejected").length;
    ui.count.textContent = `${ds.length} finding${ds.length === 1 ? "" : "s"} · ${acc} accepted · ${rej} rejected`;
  }

  const findingLabel = (f, d) => {
    const best = f.replacements && f.replacements[0];
    let label = `${f.kind} finding "${f.text}", confidence ${fmt(f.confidence)}`;
    if (d.status === "accepted") label += `, accepted "${f.replacements[d.choice].value}"`;
    else if (best) label += `, suggestion "${best.value}"`;
    return `${label}. Press Enter for details.`;
  };

  /** Left pane: the checked text with a focusable span per non-rejected finding. */
  function renderOriginal() {
    const out = [];
    let pos = 0;
    for (const i of state.order) {
      const f = state.report.findings[i];
      const d = state.decisions[i];
      if (d.status === "rejected") continue;   // rejected: plain text, no highlight
      out.push(slice(pos, f.offset));
      out.push(el("span", {
        class: `finding kind-${f.kind}${d.status === "accepted" ? " accepted" : ""}`,
        id: `finding-${i}`,
        dataset: { index: String(i) },
        tabindex: "0",
        role: "button",
        "aria-haspopup": "dialog",
        "aria-label": findingLabel(f, d),
        title: d.status === "accepted" ? `→ ${f.replacements[d.choice].value}` : `${f.kind} · ${fmt(f.confidence)}`,
      }, slice(f.offset, f.offset + f.length)));
      pos = f.offset + f.length;
    }
    out.push(slice(pos, state.cps.length));
    ui.original.replaceChildren(...out);
  }

  /** Right pane (default): the API's restored text (all best replacements). */
  function renderRestored() {
    ui.restored.textContent = state.report.restored ?? buildEdited(() => 0).text;
  }

  /** Apply accepted replacements to the original text (never incrementally). */
  function buildEdited(choose) {
    const parts = [];
    let text = "", pos = 0;
    for (const i of state.order) {
      const f = state.report.findings[i];
      const choice = choose(i);
      if (choice === null || choice === undefined || !f.replacements || !f.replacements[choice]) continue;
      const before = slice(pos, f.offset), value = f.replacements[choice].value;
      parts.push(before, { value, index: i, observed: f.text });
      text += before + value;
      pos = f.offset + f.length;
    }
    const tail = slice(pos, state.cps.length);
    parts.push(tail);
    return { text: text + tail, parts };
  }

  const acceptedChoice = (i) => (state.decisions[i].status === "accepted" ? state.decisions[i].choice : null);
  const editedText = () => buildEdited(acceptedChoice).text;

  /** Right pane (toggle): my edited version, accepted replacements marked. */
  function renderEdited() {
    const nodes = buildEdited(acceptedChoice).parts.map((p) => {
      if (typeof p === "string") return p;
      if (p.value === "") return el("mark", { class: "removed", title: `removed "${p.observed}"`, "aria-label": `removed "${p.observed}"` });
      return el("mark", { class: "applied", title: `was "${p.observed}"`, dataset: { index: String(p.index) } }, p.value);
    });
    ui.edited.replaceChildren(...nodes);
  }

  function setRightView(view) {
    state.rightView = view;
    const edited = view === "edited";
    ui.restored.hidden = edited;
    ui.edited.hidden = !edited;
    ui.showRestored.setAttribute("aria-pressed", String(!edited));
    ui.showEdited.setAttribute("aria-pressed", String(edited));
    ui.rightHeading.textContent = edited ? "My edited version" : "Restored";
  }
  ui.showRestored.addEventListener("click", () => setRightView("restored"));
  ui.showEdited.addEventListener("click", () => setRightView("edited"));

  // ---------------------------------------------------------------- decisions
  function decide(i, status, choice = null) {
    state.decisions[i] = { status, choice: status === "accepted" ? choice : null };
  }

  function acceptAll() {
    state.report.findings.forEach((f, i) => {
      if (f.replacements && f.replacements.length) decide(i, "accepted", 0);
    });
    closePopover(false);
    renderAll();
    setRightView("edited");
  }

  function rejectAll() {
    state.report.findings.forEach((f, i) => decide(i, "rejected"));
    closePopover(false);
    renderAll();
  }

  function resetDecisions() {
    state.decisions = state.report.findings.map(() => ({ status: "pending", choice: null }));
    closePopover(false);
    renderAll();
  }

  $("#accept-all").addEventListener("click", acceptAll);
  $("#reject-all").addEventListener("click", rejectAll);
  $("#reset").addEventListener("click", resetDecisions);

  // ---------------------------------------------------------------- popover
  ui.original.addEventListener("click", (e) => {
    const span = e.target.closest(".finding");
    if (span) { e.stopPropagation(); openPopover(Number(span.dataset.index), span); }
  });
  ui.original.addEventListener("keydown", (e) => {
    const span = e.target.closest(".finding");
    if (span && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      openPopover(Number(span.dataset.index), span);
    }
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !ui.popover.hidden) { e.preventDefault(); closePopover(true); }
  });
  document.addEventListener("click", (e) => {
    if (!ui.popover.hidden && !ui.popover.contains(e.target) && !e.target.closest(".finding")) closePopover(false);
  });
  window.addEventListener("resize", () => { if (!ui.popover.hidden) positionPopover(); });

  function openPopover(i, anchor) {
    const f = state.report.findings[i];
    const d = state.decisions[i];
    document.querySelectorAll(".finding.active").forEach((s) => s.classList.remove("active"));
    anchor.classList.add("active");
    state.openIndex = i;

    const replacements = (f.replacements || []).map((r, k) => el("button", {
      type: "button",
      class: `replacement${d.status === "accepted" && d.choice === k ? " chosen" : ""}`,
      dataset: { index: String(k) },
      "aria-label": `Accept replacement "${r.value || "(delete)"}", confidence ${fmt(r.confidence)}`,
      onclick: () => { decide(i, "accepted", k); afterDecision(i); },
    }, el("span", {}, r.value === "" ? el("em", {}, "(delete)") : r.value),
       el("span", { class: "conf" }, fmt(r.confidence))));

    ui.popover.replaceChildren(
      el("div", { class: "pop-head" },
        el("div", {},
          el("h4", { id: "popover-title" },
            el("span", { class: `kind-tag kind-${f.kind}` }, f.kind),
            "Finding ", el("span", { class: "muted" }, `#${i + 1}`)),
          el("div", { class: "observed" }, `“${f.text}”`),
          el("div", { class: "muted" }, `confidence ${fmt(f.confidence)} · offset ${f.offset}, length ${f.length}`,
            d.status !== "pending" ? ` · ${d.status}` : "")),
        el("button", { type: "button", class: "close", "aria-label": "Close", onclick: () => closePopover(true) }, "×")),
      replacements.length
        ? el("div", { class: "replacements", role: "group", "aria-label": "Replacements" }, replacements)
        : el("p", { class: "muted" }, "No replacement proposed."),
      el("div", { class: "pop-actions" },
        el("button", { type: "button", id: "reject", "aria-label": "Reject this finding (keep the text)",
          onclick: () => { decide(i, "rejected"); afterDecision(i); } }, "Reject"),
        d.status !== "pending"
          ? el("button", { type: "button", id: "undo", onclick: () => { decide(i, "pending"); afterDecision(i); } }, "Undo")
          : null),
      renderEvidence(f.evidence || {}),
    );
    ui.popover.hidden = false;
    ui.popover.dataset.index = String(i);
    positionPopover(anchor);
    (ui.popover.querySelector(".replacement") || ui.popover.querySelector("#reject")).focus();
  }

  function positionPopover(anchor) {
    anchor = anchor || document.getElementById(`finding-${state.openIndex}`);
    if (!anchor) return;
    const rect = anchor.getBoundingClientRect();
    const width = ui.popover.offsetWidth;
    const left = Math.max(8, Math.min(rect.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - width - 8));
    ui.popover.style.left = `${left}px`;
    ui.popover.style.top = `${rect.bottom + window.scrollY + 6}px`;
  }

  function closePopover(restoreFocus) {
    if (ui.popover.hidden) return;
    const i = state.openIndex;
    ui.popover.hidden = true;
    ui.popover.replaceChildren();
    state.openIndex = null;
    document.querySelectorAll(".finding.active").forEach((s) => s.classList.remove("active"));
    if (restoreFocus && i !== null) {
      const span = document.getElementById(`finding-${i}`);
      (span || ui.original).focus?.();
    }
  }

  /** Re-render after a decision made in the popover, keeping focus sensible. */
  function afterDecision(i) {
    closePopover(false);
    renderAll();
    const span = document.getElementById(`finding-${i}`);
    if (span) span.focus();
    else {
      // Rejected: focus the next remaining highlight, if any.
      const next = [...ui.original.querySelectorAll(".finding")]
        .find((s) => state.report.findings[Number(s.dataset.index)].offset > state.report.findings[i].offset);
      if (next) next.focus();
    }
  }

  // ---------------------------------------------------------------- evidence
  const SOURCE_NAMES = {
    "known-list": "Known tortured phrase",
    discovery: "Substitution found by discovery (candidate sources + language model)",
    profile: "Learned spinner profile (the spinner's own swaps, learned from its traced copies)",
    repair: "Mechanical repair",
  };

  function kv(obj, keys) {
    const rows = [];
    for (const key of keys || Object.keys(obj)) {
      if (!(key in obj)) continue;
      rows.push(el("dt", {}, key.replace(/_/g, " ")), el("dd", {}, valueText(obj[key])));
    }
    return rows.length ? el("dl", {}, rows) : null;
  }

  function valueText(v) {
    if (v === null || v === undefined) return "—";
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : fmt(v, 3);
    if (typeof v === "boolean") return v ? "yes" : "no";
    if (Array.isArray(v) && v.every((x) => typeof x !== "object")) return v.join(", ");
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }

  /** Readable evidence: source-specific parts first, then every key in a details list. */
  function renderEvidence(ev) {
    const parts = [];
    const source = ev.source;
    parts.push(el("div", { class: "section" }, el("strong", {}, SOURCE_NAMES[source] || (source ? `Source: ${source}` : "Evidence"))));

    if (source === "known-list") {
      parts.push(el("p", {},
        "Listed as tortured: ", el("strong", {}, `“${ev.tortured ?? "?"}”`), " for ",
        el("strong", {}, `“${ev.expected ?? "?"}”`),
        ev.nb_papers !== undefined ? ` (seen in ${ev.nb_papers} paper${ev.nb_papers === 1 ? "" : "s"})` : "",
        ev.list ? el("span", { class: "muted" }, ` · list: ${ev.list}`) : ""));
      if (ev.note) parts.push(el("p", { class: "muted" }, `Note: ${ev.note}`));
    }

    if (source === "profile") {
      parts.push(el("p", {}, el("strong", {}, ev.profile ?? "profile"), ": ", ev.explanation ?? ""));
      parts.push(el("p", { class: "muted" },
        `Left unchanged ${ev.kept_in_traced_copies ?? 0}× in traced copies; `
        + `${ev.reference_count ?? 0}× in ${ev.reference_words ?? 0} words of reference text.`));
      if (ev.originals) parts.push(kv(ev.originals));
    }

    if (typeof ev.observed_logprob === "number" && typeof ev.proposed_logprob === "number") {
      // LM log10-probabilities: bars scaled to the lower (more negative) value.
      const lo = Math.min(ev.observed_logprob, ev.proposed_logprob, -1e-9);
      const bar = (v, cls) => el("span", { class: `bar ${cls}`, style: `width:${Math.max(4, Math.round((1 - v / lo) * 100 + 20))}px` });
      parts.push(el("div", { class: "section" },
        el("div", { class: "muted" }, `Language model${ev.lm ? ` (${ev.lm})` : ""}, log10 probability (higher is more natural):`),
        // one element per grid cell: adjacent text nodes would merge into one cell
        el("div", { class: "lp-bars" },
          el("span", {}, "observed"), bar(ev.observed_logprob, "obs"),
          el("span", { class: "lp" }, fmt(ev.observed_logprob, 2)),
          el("span", {}, "proposed"), bar(ev.proposed_logprob, "prop"),
          el("span", { class: "lp" }, fmt(ev.proposed_logprob, 2))),
        typeof ev.gain_log10 === "number"
          ? el("div", {}, `Gain: ${fmt(ev.gain_log10, 2)} log10 (≈ ${Math.pow(10, ev.gain_log10).toPrecision(2)}× more likely)`)
          : null));
    }

    if (ev.case_pattern) {
      const why = {
        "title-phrase": "a mid-sentence Title word before lower-case ones, where a name capitalises every word",
        "caps-word": "a common word in capitals in a lower-case sentence, as a spun acronym keeps",
      };
      parts.push(el("p", {}, "Spinner's case pattern: ", el("strong", {}, ev.case_pattern),
        ` (${why[ev.case_pattern] || "see the README"})`));
    }

    if (Array.isArray(ev.links) && ev.links.length) {
      parts.push(el("div", { class: "section" },
        el("div", { class: "muted" }, "Candidate links:"),
        el("table", {},
          el("thead", {}, el("tr", {}, el("th", {}, "observed"), el("th", {}, "original"), el("th", {}, "sources"), el("th", {}, "synonyms / rank"))),
          el("tbody", {}, ev.links.map((l) => el("tr", {},
            el("td", {}, valueText(l.observed)), el("td", {}, valueText(l.original)),
            el("td", {}, valueText(l.sources)),
            el("td", {}, valueText(l.synonyms_of_original ?? l.candidate_rank))))))));
    }

    if (source === "repair" || ev.rule) {
      parts.push(kv(ev, ["rule", "pasted", "shift", "overwritten", "recovered_from", "margin_log10", "guess"]));
    }

    // Everything, as key/value pairs (the fallback, and the full record).
    const all = kv(ev);
    if (all) parts.push(el("details", {}, el("summary", {}, "All evidence"), all));
    return el("div", { class: "evidence" }, parts);
  }

  // ---------------------------------------------------------------- export
  function download(filename, content, type) {
    const url = URL.createObjectURL(new Blob([content], { type }));
    const a = el("a", { href: url, download: filename });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  function decisionsList() {
    return state.report.findings.map((f, i) => {
      const d = state.decisions[i];
      return {
        index: i, offset: f.offset, length: f.length, text: f.text, kind: f.kind,
        decision: d.status,
        value: d.status === "accepted" ? f.replacements[d.choice].value : null,
      };
    });
  }

  function exportJson() {
    if (!state.report) return;
    const payload = {
      exported_at: new Date().toISOString(),
      text: state.text,
      report: state.report,
      decisions: decisionsList(),
      edited: editedText(),
    };
    download("unspin-report.json", JSON.stringify(payload, null, 2), "application/json");
  }

  const SNAPSHOT_CSS = `body{font:15px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232b;max-width:1000px;margin:2rem auto;padding:0 1rem}
.badge{padding:.1rem .6rem;border-radius:999px;font-weight:700;text-transform:uppercase;font-size:.8rem;color:#fff;background:#888}
.verdict-spun{background:#c62828}.verdict-uncertain{background:#ffb300;color:#3a2600}.verdict-clean{background:#1e8e3e}
.text{white-space:pre-wrap;border:1px solid #dde1e7;border-radius:8px;padding:1rem;overflow-wrap:anywhere}
.kind-lexical{text-decoration:underline wavy #d32f2f;text-underline-offset:3px}
.kind-mechanical{text-decoration:underline solid #e07b00;text-decoration-thickness:3px;background:#fff4e5}
.kind-residue{text-decoration:line-through #8a8f98;color:#8a8f98;background:#f1f2f4}
.accepted{text-decoration:none;background:#e6f4ea;border-bottom:2px solid #1e8e3e}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid #dde1e7;padding:.3rem;text-align:left;vertical-align:top}`;

  function exportHtml() {
    if (!state.report) return;
    const r = state.report;
    const list = decisionsList();
    let body = "", pos = 0;
    for (const i of state.order) {
      const f = r.findings[i], d = state.decisions[i];
      body += escapeHtml(slice(pos, f.offset));
      const cls = `kind-${f.kind}${d.status === "accepted" ? " accepted" : ""}`;
      const tip = f.replacements && f.replacements[0] ? `→ ${f.replacements[0].value}` : f.kind;
      body += d.status === "rejected"
        ? escapeHtml(f.text)
        : `<span class="${cls}" title="${escapeHtml(tip)}">${escapeHtml(slice(f.offset, f.offset + f.length))}</span>`;
      pos = f.offset + f.length;
    }
    body += escapeHtml(slice(pos, state.cps.length));
    const rows = r.findings.map((f, i) => `<tr><td>${i + 1}</td><td>${f.offset}</td><td>${escapeHtml(f.kind)}</td>
<td>${escapeHtml(f.text)}</td><td>${escapeHtml((f.replacements || []).map((x) => x.value).join(" | "))}</td>
<td>${fmt(f.confidence)}</td><td>${escapeHtml((f.evidence || {}).source || "")}</td>
<td>${escapeHtml(list[i].decision)}${list[i].value !== null ? ": " + escapeHtml(list[i].value) : ""}</td></tr>`).join("\n");
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>unspin report</title><style>${SNAPSHOT_CSS}</style></head>
<body>
<h1>unspin report</h1>
<p>Score <strong>${fmt(r.score)}</strong> <span class="badge verdict-${escapeHtml(r.verdict)}">${escapeHtml(r.verdict)}</span>
· ${r.findings.length} findings · exported ${escapeHtml(new Date().toISOString())}</p>
<h2>Text</h2>
<div class="text">${body}</div>
<h2>Findings</h2>
<table><thead><tr><th>#</th><th>offset</th><th>kind</th><th>observed</th><th>replacements</th><th>confidence</th><th>source</th><th>decision</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>Edited text</h2>
<div class="text">${escapeHtml(editedText())}</div>
</body></html>
`;
    download("unspin-report.html", html, "text/html");
  }

  $("#export-json").addEventListener("click", exportJson);
  $("#export-html").addEventListener("click", exportHtml);

  // Exposed for debugging and end-to-end tests.
  window.unspin = { state, loadReport, editedText };
})();
