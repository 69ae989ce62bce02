/* The audit checklist on a tablet in the field.
 *
 * Every answer is kept on the device first (localStorage, one queue per person and audit,
 * keyed by item), then sent to the API as a batch. What cannot be sent now (no connection,
 * the server out of reach) stays on the device and is sent when the connection comes back,
 * or when the page is opened again: an auditor never loses an answer to a dropped Wi-Fi.
 * An answer given on an older copy of a question (someone else answered it since) is not
 * written over theirs: the card shows their answer and what this auditor had said.
 * Photos and files go with the card's ordinary form, which needs a connection.
 * Without JavaScript each card is an ordinary form and this file is not needed.
 */
(() => {
  "use strict";

  const root = document.getElementById("checklist");
  if (!root || !("answering" in root.dataset)) return;

  const storeKey = `qualitas:checklist:${root.dataset.user}:${root.dataset.audit}`;
  const syncUrl = root.dataset.syncUrl;
  const banner = root.querySelector("[data-banner]");
  const RETRY_MS = 15000;
  let sending = false;
  let again = false;
  let unreachable = false;
  let refused = "";
  let retry = null;

  function load() {
    try {
      return JSON.parse(localStorage.getItem(storeKey) || "{}") || {};
    } catch (err) {
      return {};
    }
  }

  function store(queue) {
    if (Object.keys(queue).length) {
      localStorage.setItem(storeKey, JSON.stringify(queue));
    } else {
      localStorage.removeItem(storeKey);
    }
  }

  function csrf() {
    const field = root.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function card(itemId) {
    return root.querySelector(`form[data-item="${itemId}"]`);
  }

  function answerOf(form) {
    const chosen = form.querySelector("input[name=answer]:checked");
    return chosen ? chosen.value : "";
  }

  function labelOf(form, value) {
    const input = form.querySelector(`input[name=answer][value="${value}"]`);
    const label = input && form.querySelector(`label[for="${input.id}"]`);
    return label ? label.textContent.trim() : value || "no answer";
  }

  function setStatus(form, text, tone) {
    const box = form.querySelector("[data-status]");
    if (!box) return;
    box.textContent = text;
    box.className = `small mt-2${tone ? ` text-${tone}` : ""}`;
  }

  function progress() {
    const answered = [...root.querySelectorAll("form[data-item]")].filter(answerOf).length;
    const count = root.querySelector("[data-answered]");
    if (count) count.textContent = String(answered);
  }

  function showBanner() {
    const kept = Object.keys(load()).length;
    if (!kept) {
      banner.hidden = true;
      banner.textContent = "";
      return;
    }
    const what = `${kept} answer${kept === 1 ? "" : "s"}`;
    if (refused) {
      banner.textContent = `Not saved: ${refused} ${what} kept on this device.`;
    } else if (unreachable || !navigator.onLine) {
      banner.textContent = `Offline — ${what} kept on this device`;
    } else {
      banner.textContent = `Saving ${what}…`;
    }
    banner.hidden = false;
  }

  function later() {
    if (retry === null) {
      retry = window.setTimeout(() => {
        retry = null;
        flush();
      }, RETRY_MS);
    }
  }

  function keep(form) {
    const answer = answerOf(form);
    if (!answer) return;
    const queue = load();
    queue[form.dataset.item] = {
      item: Number(form.dataset.item),
      answer,
      notes: form.querySelector("[data-notes]").value,
      revision: Number(form.querySelector("[data-revision]").value),
      kept: `${Date.now()}-${Math.random()}`,
    };
    store(queue);
    setStatus(form, "Kept on this device, not saved yet.", "body-secondary");
    progress();
    flush();
  }

  function fieldErrors(body, sent) {
    // "answers[2].answer": the third answer sent; shown on its card.
    for (const error of body.errors || []) {
      const where = /^answers\[(\d+)\]/.exec(error.field || "");
      const entry = where && sent[Number(where[1])];
      const form = entry && card(entry.item);
      if (form) setStatus(form, `Not saved: ${error.message}`, "danger");
    }
  }

  function settle(results, sentByItem) {
    const queue = load();
    for (const result of results) {
      const form = card(result.item);
      const sent = sentByItem[result.item];
      const now = queue[result.item];
      const unchanged = now && sent && now.kept === sent.kept;
      if (form) form.querySelector("[data-revision]").value = String(result.revision);
      if (result.status === "saved") {
        if (unchanged) {
          delete queue[result.item];
          if (form) setStatus(form, `Saved (${labelOf(form, result.answer)}).`, "success");
        } else if (now) {
          // Changed again while the first answer was on its way: send that on the new revision.
          now.revision = result.revision;
        }
        continue;
      }
      if (unchanged) delete queue[result.item];
      if (!form) continue;
      const theirs = form.querySelector(`input[name=answer][value="${result.answer}"]`);
      if (theirs) theirs.checked = true;
      form.querySelector("[data-notes]").value = result.notes;
      const yours = sent ? ` Your answer was "${labelOf(form, sent.answer)}"` : "";
      const notes = sent && sent.notes ? ` with the notes: ${sent.notes}` : "";
      setStatus(form, `Conflict: ${result.message}${yours}${notes}.`, "danger");
    }
    store(queue);
    return Object.keys(queue).length;
  }

  async function flush() {
    if (sending) {
      again = true;
      return;
    }
    const sent = Object.values(load());
    if (!sent.length || refused) {
      showBanner();
      return;
    }
    if (!navigator.onLine) {
      unreachable = true;
      showBanner();
      return;
    }
    sending = true;
    showBanner();
    let reply = null;
    try {
      reply = await fetch(syncUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrf(),
        },
        body: JSON.stringify({
          answers: sent.map(({ item, answer, notes, revision }) => ({ item, answer, notes, revision })),
        }),
      });
    } catch (err) {
      reply = null;
    }
    sending = false;
    if (reply === null || reply.status >= 500 || reply.status === 429) {
      // No connection, or the server cannot answer now: keep everything, try again later.
      unreachable = true;
      showBanner();
      later();
      return;
    }
    unreachable = false;
    let body = {};
    try {
      body = await reply.json();
    } catch (err) {
      body = {};
    }
    if (!reply.ok) {
      // Refused as they are (the audit closed, a question taken off, signed out): kept on
      // the device, the reason shown; sent again when the page is opened again.
      refused = body.detail || `the server refused them (${reply.status}).`;
      fieldErrors(body, sent);
      showBanner();
      return;
    }
    const sentByItem = Object.fromEntries(sent.map((entry) => [entry.item, entry]));
    const left = settle(body.results || [], sentByItem);
    progress();
    showBanner();
    if (again || left) {
      again = false;
      if (left) flush();
    }
  }

  // What the device kept from an earlier visit is shown on its card, then sent.
  for (const entry of Object.values(load())) {
    const form = card(entry.item);
    if (!form) continue;
    const chosen = form.querySelector(`input[name=answer][value="${entry.answer}"]`);
    if (chosen) chosen.checked = true;
    form.querySelector("[data-notes]").value = entry.notes;
    setStatus(form, "Kept on this device, not saved yet.", "body-secondary");
  }
  progress();

  root.addEventListener("change", (event) => {
    const form = event.target.closest("form[data-item]");
    if (!form) return;
    if (event.target.name === "answer" || event.target.matches("[data-notes]")) keep(form);
  });

  root.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-item]");
    if (!form) return;
    const files = [...form.querySelectorAll("[data-upload]")].some((i) => i.files.length);
    if (files && navigator.onLine && !unreachable) {
      // The form carries the answer with the files: not sent twice.
      const queue = load();
      delete queue[form.dataset.item];
      store(queue);
      return;
    }
    event.preventDefault();
    keep(form);
    if (files) {
      setStatus(
        form,
        "Offline: your answer is kept on this device; send the photo or file once the connection is back.",
        "warning",
      );
    }
  });

  window.addEventListener("online", () => {
    unreachable = false;
    flush();
  });
  window.addEventListener("offline", showBanner);

  flush();
})();
