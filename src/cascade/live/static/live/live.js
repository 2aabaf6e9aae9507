/* The live room: draws the room from its state and keeps it current.
 *
 * State arrives as a snapshot when the WebSocket connects (and again on every reconnect, so a
 * screen catches up) and then as changed slices. When WebSockets are blocked the page polls
 * state.json instead. Actions are POSTs with the CSRF token; their answer carries "mine" (my
 * votes and my answer). Everything user-typed is inserted with textContent, never as HTML.
 */
(function () {
  "use strict";
  const root = document.getElementById("live");
  if (!root) return;

  const view = root.dataset.view; // learner | host | screen
  const base = root.dataset.base; // /live/<pk>/
  const wsPath = root.dataset.ws;
  const statusEl = document.getElementById("live-status");
  const t = JSON.parse(document.getElementById("live-i18n").textContent);
  const csrf = (() => {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  })();

  const state = { room: null, questions: [], poll: null, pace: null, participation: null, mine: { votes: [], answer: null } };
  let socket = null;
  let failures = 0;
  let pollTimer = null;

  // --- Small DOM helpers -------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("data-") || k.startsWith("aria-") || ["type", "name", "value", "id", "for", "role", "title", "min", "max", "maxlength"].includes(k)) node.setAttribute(k, v === true ? "" : v);
      else node[k] = v;
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }
  function fill(id, ...nodes) {
    const box = document.getElementById(id);
    if (box) box.replaceChildren(...nodes);
  }
  function fmt(s, values) { return s.replace(/%\((\w+)\)s/g, (_, k) => String(values[k])); }
  function say(message, kind) {
    const box = document.getElementById("live-message");
    if (!box) return;
    box.className = "alert alert--" + (kind || "info");
    box.textContent = message;
    box.hidden = !message;
  }

  // --- Transport ---------------------------------------------------------------------------
  function setStatus(text, live) {
    if (!statusEl) return;
    statusEl.textContent = text;
    statusEl.classList.toggle("is-live", !!live);
  }

  function apply(data, sliceName) {
    if (sliceName) state[sliceName] = data;
    else Object.assign(state, data);
    render();
  }

  function connect() {
    if (!("WebSocket" in window) || failures >= 3) { startPolling(); return; }
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + wsPath;
    socket = new WebSocket(url);
    socket.addEventListener("open", () => { failures = 0; stopPolling(); setStatus(t.live, true); });
    socket.addEventListener("message", (event) => {
      const msg = JSON.parse(event.data);
      if (msg.type === "snapshot") apply(msg.data);
      else if (msg.type === "slice") apply(msg.data, msg.slice);
    });
    socket.addEventListener("close", () => {
      socket = null;
      failures += 1;
      setStatus(t.reconnecting, false);
      if (failures >= 3) startPolling();
      setTimeout(connect, Math.min(30000, 1000 * 2 ** failures));
    });
  }

  async function refresh() {
    const response = await fetch(base + "state.json" + (view === "screen" ? "?view=screen" : ""), { credentials: "same-origin" });
    if (response.ok) apply(await response.json());
  }
  function startPolling() {
    if (pollTimer) return;
    setStatus(t.polling, false);
    refresh();
    pollTimer = setInterval(refresh, 5000);
  }
  function stopPolling() { if (pollTimer) { clearInterval(pollTimer); pollTimer = null; } }

  async function post(path, body) {
    const response = await fetch(base + path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (!response.ok) { say(data.title || t.failed, "error"); return null; }
    say("");
    if (data.mine) state.mine = data.mine;
    if (!socket || socket.readyState !== 1) await refresh(); else render();
    return data;
  }

  // --- Questions -----------------------------------------------------------------------------
  function questionItem(q) {
    const mine = state.mine && state.mine.votes.includes(q.id);
    const own = state.mine && q.author_id === state.mine.person_id;
    const author = q.author ? (q.anonymous && view === "host" ? fmt(t.anonymous_to_peers, { name: q.author }) : q.author) : t.anonymous;
    const badges = el("span", { class: "q-badges" },
      q.pinned ? el("span", { class: "badge", text: t.pinned }) : null,
      q.status === "answered" ? el("span", { class: "badge badge--ok", text: t.answered }) : null,
      q.status === "hidden" ? el("span", { class: "badge badge--muted", text: t.hidden }) : null);
    const item = el("li", { class: "q q--" + q.status, "data-question": q.id });
    const votes = el("span", { class: "q-votes", "aria-label": fmt(t.votes, { n: q.votes }), text: String(q.votes) });
    if (view === "learner") {
      const button = el("button", {
        type: "button", class: "btn btn--small " + (mine ? "" : "btn--ghost"),
        "aria-pressed": mine ? "true" : "false", disabled: own || q.status !== "open",
        text: mine ? t.voted : t.upvote,
      });
      button.addEventListener("click", () => post("questions/" + q.id + "/vote/", { up: !mine }));
      item.append(el("div", { class: "q-vote" }, votes, button));
    } else {
      item.append(el("div", { class: "q-vote" }, votes));
    }
    const body = el("div", { class: "q-body" }, el("p", { class: "q-text", text: q.text }), el("p", { class: "q-meta muted small" }, view === "screen" ? "" : author, " ", badges));
    item.append(body);
    if (view === "host") {
      const actions = el("div", { class: "q-actions row" });
      const acts = q.status === "answered" ? [["reopen", t.reopen]] : [["answer", t.mark_answered]];
      if (q.status !== "hidden") acts.push([q.pinned ? "unpin" : "pin", q.pinned ? t.unpin : t.pin], ["hide", t.hide]);
      for (const [action, label] of acts) {
        const b = el("button", { type: "button", class: "btn btn--ghost btn--small", text: label });
        b.addEventListener("click", () => post("questions/" + q.id + "/moderate/", { action }));
        actions.append(b);
      }
      body.append(actions);
    }
    return item;
  }

  function renderQuestions() {
    let list = state.questions || [];
    if (view === "screen") list = list.filter((q) => q.status !== "hidden").slice(0, 8);
    const count = document.getElementById("questions-count");
    if (count) count.textContent = String(list.filter((q) => q.status === "open").length);
    if (!list.length) { fill("questions", el("li", { class: "muted", text: t.no_questions })); return; }
    fill("questions", ...list.map(questionItem));
  }

  // --- Polls ---------------------------------------------------------------------------------
  function bars(labels, counts) {
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    return el("ul", { class: "bars" }, ...labels.map((label, i) => {
      const pct = Math.round((100 * counts[i]) / total);
      const bar = el("span", { class: "bar__fill" });
      bar.dataset.pct = String(pct);
      bar.style.setProperty("--pct", pct + "%");
      return el("li", { class: "bar" }, el("span", { class: "bar__label", text: label }), el("span", { class: "bar__track" }, bar), el("span", { class: "bar__n", text: counts[i] + " (" + pct + "%)" }));
    }));
  }

  function results(poll) {
    const r = poll.results;
    if (!r) return null;
    const box = el("div", { class: "results" });
    if (poll.kind === "single" || poll.kind === "multiple") box.append(bars(poll.options, r.counts));
    else if (poll.kind === "rating" || poll.kind === "confidence") {
      const labels = r.counts.map((_, i) => String(i + 1));
      if (r.before) box.append(el("p", { class: "small", text: fmt(t.before_after, { before: r.before.mean ?? "—", after: r.mean ?? "—" }) }));
      else box.append(el("p", { class: "small", text: fmt(t.mean, { mean: r.mean ?? "—" }) }));
      box.append(bars(labels, r.counts));
    } else if (poll.kind === "word_cloud") {
      const top = Math.max(1, ...r.words.map((w) => w[1]));
      box.append(el("p", { class: "cloud" }, ...r.words.map(([word, n]) => {
        const w = el("span", { class: "cloud__word", text: word, title: String(n) });
        w.dataset.size = String(Math.ceil((4 * n) / top));
        return w;
      })));
    } else {
      box.append(el("ul", { class: "texts" }, ...r.texts.map((x) => el("li", { text: x }))));
    }
    return box;
  }

  function answerForm(poll) {
    const form = el("form", { class: "form poll-form" });
    const kind = poll.kind;
    if (kind === "single" || kind === "multiple") {
      const set = el("fieldset", { class: "choices" }, el("legend", { class: "visually-hidden", text: poll.prompt }));
      poll.options.forEach((label, i) => {
        set.append(el("label", { class: "choice" }, el("input", { type: kind === "single" ? "radio" : "checkbox", name: "value", value: String(i) }), el("span", { text: label })));
      });
      form.append(set);
    } else if (kind === "rating" || kind === "confidence") {
      const set = el("fieldset", { class: "scale" }, el("legend", { class: "visually-hidden", text: poll.prompt }));
      for (let i = 1; i <= poll.scale_max; i++) set.append(el("label", { class: "choice choice--scale" }, el("input", { type: "radio", name: "value", value: String(i) }), el("span", { text: String(i) })));
      form.append(set, el("p", { class: "muted small", text: fmt(t.scale_hint, { max: poll.scale_max }) }));
    } else {
      const id = "poll-text-" + poll.id;
      form.append(el("label", { for: id, text: kind === "word_cloud" ? t.one_word : t.your_answer }), el("input", { type: "text", id, name: "value", maxlength: kind === "word_cloud" ? "40" : "300" }));
    }
    form.append(el("button", { type: "submit", class: "btn", text: t.send }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      let value;
      if (kind === "multiple") value = [...form.querySelectorAll("input:checked")].map((i) => Number(i.value));
      else if (kind === "word_cloud" || kind === "open_text") value = form.querySelector("input").value;
      else { const c = form.querySelector("input:checked"); value = c ? Number(c.value) : null; }
      if (value === null || (Array.isArray(value) && !value.length) || value === "") { say(t.choose_first, "error"); return; }
      post("polls/" + poll.id + "/respond/", { value });
    });
    return form;
  }

  function renderPoll() {
    const poll = state.poll;
    const box = document.getElementById("poll");
    if (!box) return;
    if (!poll) { box.hidden = view !== "host"; fill("poll", el("p", { class: "muted", text: t.no_poll })); return; }
    box.hidden = false;
    const parts = [el("h2", { class: "poll-prompt", text: poll.prompt }), el("p", { class: "muted small", text: fmt(t.responses, { n: poll.responses }) + (poll.status === "closed" ? " · " + t.closed : "") })];
    if (view === "learner") {
      const answered = state.mine && state.mine.answer !== null && state.mine.answer !== undefined;
      if (poll.status === "open" && !answered) parts.push(answerForm(poll));
      else if (answered) parts.push(el("p", { class: "badge badge--ok", text: t.answered_thanks }));
    }
    const res = results(poll);
    if (res && (view !== "screen" || poll.revealed)) parts.push(res);
    else if (view === "learner" && poll.status !== "open") parts.push(el("p", { class: "muted", text: t.waiting_results }));
    fill("poll", ...parts);
  }

  // --- Host panels -----------------------------------------------------------------------------
  function renderPace() {
    if (!state.pace) return;
    for (const [kind, n] of Object.entries(state.pace)) {
      const node = document.querySelector('[data-pace="' + kind + '"]');
      if (node) node.textContent = String(n);
    }
  }

  function renderParticipation() {
    const p = state.participation;
    if (!p) return;
    const set = (id, text) => { const n = document.getElementById(id); if (n) n.textContent = text; };
    set("p-share", Math.round(p.share * 100) + "%");
    set("p-gini", p.gini.toFixed(2));
    set("p-counts", fmt(t.contributed_of, { n: p.contributed, total: p.enrolled, present: p.present }));
    const suggest = document.getElementById("p-suggest");
    if (suggest) suggest.textContent = p.suggest ? p.suggest.name : "—";
    fill("participants", ...p.people.map((person) => {
      const tap = el("button", { type: "button", class: "btn btn--ghost btn--small", text: t.spoke, "aria-label": fmt(t.spoke_label, { name: person.name }) });
      tap.addEventListener("click", () => post("spoken/", { person: person.id }));
      return el("li", { class: "person" + (person.total ? "" : " person--quiet") },
        el("span", { class: "person__name", text: person.name }),
        el("span", { class: "muted small", text: (person.present ? t.here : t.not_here) + " · " + fmt(t.contributions, { n: person.total }) }),
        tap);
    }));
  }

  function renderRoom() {
    if (!state.room) return;
    const closed = document.getElementById("room-closed");
    if (closed) closed.hidden = state.room.open;
    document.querySelectorAll("[data-needs-open]").forEach((n) => { n.hidden = !state.room.open; });
  }

  function render() {
    renderRoom();
    renderQuestions();
    renderPoll();
    if (view === "host") { renderPace(); renderParticipation(); }
  }

  // --- Forms on the page ---------------------------------------------------------------------------
  const askForm = document.getElementById("ask-form");
  if (askForm) {
    askForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = askForm.querySelector("textarea");
      const anonymous = askForm.querySelector('input[name="anonymous"]');
      const done = await post("ask/", { text: text.value, anonymous: anonymous && anonymous.checked });
      if (done) { text.value = ""; say(t.asked, "success"); }
    });
  }
  document.querySelectorAll("[data-react]").forEach((button) => {
    button.addEventListener("click", async () => {
      const done = await post("react/", { kind: button.dataset.react });
      if (done) say(done.counted ? t.reacted : t.react_wait, "info");
    });
  });

  const pollForm = document.getElementById("poll-new");
  async function loadPolls(list) {
    if (!list) {
      const response = await fetch(base + "polls/", { credentials: "same-origin" });
      if (!response.ok) return;
      list = (await response.json()).polls;
    }
    fill("poll-list", ...list.map((p) => {
      const actions = el("span", { class: "row" });
      const acts = p.status === "open" ? [["close", t.close_poll]] : [["launch", t.launch]];
      acts.push(p.revealed ? ["hide", t.hide_results] : ["reveal", t.reveal]);
      for (const [action, label] of acts) {
        const b = el("button", { type: "button", class: "btn btn--ghost btn--small", text: label });
        b.addEventListener("click", async () => { const d = await post("polls/" + p.id + "/", { action }); if (d) loadPolls(d.polls); });
        actions.append(b);
      }
      return el("li", {}, el("span", {}, el("strong", { text: p.prompt }), " ", el("span", { class: "muted small", text: p.status })), actions);
    }));
  }
  if (pollForm) {
    loadPolls();
    pollForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(pollForm).entries());
      data.launch = !!pollForm.querySelector('input[name="launch"]:checked');
      const done = await post("polls/new/", data);
      if (done) { pollForm.reset(); loadPolls(done.polls); }
    });
  }
  const pick = document.getElementById("p-pick");
  if (pick) pick.addEventListener("click", refresh);

  connect();
})();
