// The measurement entry grid: keyboard-first, the way inspectors fill a sheet. Tab moves
// across a sample item's characteristics, Enter goes down to the next item at the column
// the row was started in (a spreadsheet's habit), Shift+Enter goes up; Enter after the last
// cell reaches the Save button. A value outside its specification limits (read from the
// JSON in <script id="entry-grid-data">) turns its cell red as it is typed.
(function () {
  "use strict";
  const form = document.getElementById("entry-grid");
  const source = document.getElementById("entry-grid-data");
  if (!form || !source) return;
  const columns = JSON.parse(source.textContent).columns || {};
  const PASS = ["p", "pass", "ok", "1", "y", "yes", "true", "io", "i.o."];
  const FAIL = ["f", "fail", "nok", "0", "n", "no", "false", "nio", "n.i.o."];

  // Whether a typed value conforms: true, false, or null while it is not a value at all.
  function conforms(input) {
    const spec = columns[input.dataset.check];
    const text = input.value.trim();
    if (!spec) return true;
    if (input.validity && input.validity.badInput) return null;
    if (text === "") return true;
    if (spec.kind === "variable") {
      const value = Number(text.replace(",", "."));
      if (!Number.isFinite(value)) return null;
      if (spec.lsl !== null && value < spec.lsl) return false;
      if (spec.usl !== null && value > spec.usl) return false;
      return true;
    }
    if (spec.kind === "attribute") {
      const word = text.toLowerCase();
      if (PASS.includes(word)) return true;
      if (FAIL.includes(word)) return false;
      return null;
    }
    const count = Number(text);
    if (!Number.isInteger(count) || count < 0) return null;
    return count === 0;
  }

  function mark(input) {
    const verdict = conforms(input);
    const cell = input.closest("td");
    const outside = verdict === false;
    const invalid = verdict === null;
    input.classList.toggle("is-invalid", outside || invalid);
    if (cell) cell.classList.toggle("table-danger", outside);
    input.setAttribute("aria-invalid", outside || invalid ? "true" : "false");
    const spec = columns[input.dataset.check];
    if (outside && spec && spec.kind === "variable") {
      const lsl = spec.lsl === null ? "…" : spec.lsl;
      const usl = spec.usl === null ? "…" : spec.usl;
      input.title = "Outside the specification " + lsl + " – " + usl;
    } else if (invalid) {
      input.title = "Not a value of this kind";
    } else {
      input.removeAttribute("title");
    }
  }

  const rows = Array.from(form.querySelectorAll("tbody tr"));
  const grid = rows.map((tr) => Array.from(tr.querySelectorAll("td")).map((td) => td.querySelector("input:not([disabled])")));
  const order = grid.flat().filter(Boolean);
  const place = new Map();
  grid.forEach((cells, r) => cells.forEach((input, c) => { if (input) place.set(input, [r, c]); }));
  const save = form.querySelector("button[type=submit]");
  let anchor = null; // [row, column] where the current row's entry began

  function nextInOrder(from, step) {
    let i = order.indexOf(from) + step;
    return i >= 0 && i < order.length ? order[i] : null;
  }

  // Down (or up) from a cell: the same column in the nearest row with an open cell there,
  // else (that characteristic's sample is complete) the next open cell in reading order.
  function vertical(input, column, step) {
    const [r] = place.get(input);
    for (let row = r + step; row >= 0 && row < grid.length; row += step) {
      if (grid[row][column]) return grid[row][column];
    }
    return nextInOrder(input, step);
  }

  form.addEventListener("input", (event) => {
    if (event.target.matches("input[data-check]")) mark(event.target);
  });

  form.addEventListener("focusin", (event) => {
    const input = event.target;
    if (!place.has(input)) return;
    const [r, c] = place.get(input);
    if (!anchor || anchor[0] !== r) anchor = [r, c];
  });

  form.addEventListener("keydown", (event) => {
    const input = event.target;
    if (event.key !== "Enter" || !place.has(input)) return;
    event.preventDefault();
    const column = anchor && anchor[0] === place.get(input)[0] ? anchor[1] : place.get(input)[1];
    const target = vertical(input, column, event.shiftKey ? -1 : 1);
    if (target) {
      anchor = [place.get(target)[0], place.get(target)[1]];
      target.focus();
      if (target.select) target.select();
    } else if (!event.shiftKey && save) {
      save.focus();
    }
  });

  // Only the filled cells are sent: a large grid's empty ones would pass the number of
  // fields a request may carry.
  form.addEventListener("formdata", (event) => {
    Array.from(event.formData.keys())
      .filter((name) => name.startsWith("m-") && event.formData.get(name) === "")
      .forEach((name) => event.formData.delete(name));
  });

  // A second click while the first save is on its way would be the same batch (the form's
  // key), but there is no need to send it.
  form.addEventListener("submit", () => {
    if (save) window.setTimeout(() => { save.disabled = true; }, 0);
  });
  // Back in the history the page is shown as it was left: the button works again.
  window.addEventListener("pageshow", () => { if (save) save.disabled = false; });

  order.forEach((input) => { if (input.value) mark(input); });
})();
